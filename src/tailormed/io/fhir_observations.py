"""Read clinical and lifestyle measurements from a FHIR R4 Bundle of Observations (LOINC-coded), and clinical
ASCVD from its Conditions and Procedures.

Each recognised LOINC code maps to one :class:`~tailormed.model.risk.ClinicalInputs` field; values are
converted to that field's unit (UCUM codes or the usual unit strings), and a unit we cannot convert is an
error naming the entry, never a silent guess. When several Observations give the same measurement, the one
with the latest ``effectiveDateTime`` wins. Blood pressure panels (85354-9) are read from their components.

An eGFR keeps the equation its LOINC code names (:data:`EGFR_EQUATIONS`); serum/plasma creatinine (2160-0 mg/dL,
14682-9 umol/L) is read so the engine can compute CKD-EPI 2021 itself. Conditions whose code is in
:data:`CLINICAL_ASCVD_CODES` (and are not refuted, entered in error or only provisional), and completed Procedures whose
code is in :data:`REVASCULARISATION_CODES` (coronary or carotid revascularisation), are listed as evidence of clinical
ASCVD; a Condition or Procedure can only say that the person has it, never that they do not.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tailormed.documents import load_json
from tailormed.errors import InputError
from tailormed.model.risk import ClinicalInputs, Measurement

MG_DL_PER_MMOL_L_CHOLESTEROL = 38.67  # 1 mmol/L cholesterol = 38.67 mg/dL (molar mass 386.65 g/mol)
MG_G_PER_MG_MMOL_CREATININE = 8.84  # albumin/creatinine: mg/mmol -> mg/g (creatinine 113.12 g/mol)

# LOINC code -> (field, canonical unit)
LOINC_FIELDS: dict[str, tuple[str, str]] = {
    "8480-6": ("systolic_bp_mmhg", "mm[Hg]"),
    "8462-4": ("diastolic_bp_mmhg", "mm[Hg]"),
    "2093-3": ("total_cholesterol_mg_dl", "mg/dL"),
    "2085-9": ("hdl_cholesterol_mg_dl", "mg/dL"),
    "13457-7": ("ldl_cholesterol_mg_dl", "mg/dL"),  # LDL, calculated
    "18262-6": ("ldl_cholesterol_mg_dl", "mg/dL"),  # LDL, direct assay
    "2089-1": ("ldl_cholesterol_mg_dl", "mg/dL"),
    "4548-4": ("hba1c_percent", "%"),
    # Urine albumin/creatinine (PREVENT's UACR, mg/g). 9318-7 and 14959-1 are mass ratios (mg/g); 32294-1 is an
    # unspecified "[Ratio]", so its unit decides (mg/g or mg/mmol), and a value without a known unit is refused.
    "9318-7": ("uacr_mg_g", "mg/g"),
    "14959-1": ("uacr_mg_g", "mg/g"),
    "32294-1": ("uacr_mg_g", "mg/g"),
    "39156-5": ("bmi_kg_m2", "kg/m2"),
    "29463-7": ("body_weight_kg", "kg"),
    "8302-2": ("body_height_cm", "cm"),
    "8280-0": ("waist_cm", "cm"),
    "33914-3": ("egfr_ml_min_1_73m2", "mL/min/{1.73_m2}"),
    "62238-1": ("egfr_ml_min_1_73m2", "mL/min/{1.73_m2}"),
    "98979-8": ("egfr_ml_min_1_73m2", "mL/min/{1.73_m2}"),
    "2160-0": ("creatinine_mg_dl", "mg/dL"),  # creatinine [mass/volume] in serum or plasma
    "14682-9": ("creatinine_mg_dl", "mg/dL"),  # creatinine [moles/volume] in serum or plasma (umol/L)
}
EGFR_EQUATIONS: dict[str, str] = {"33914-3": "mdrd", "62238-1": "ckd_epi_2009", "98979-8": "ckd_epi_2021"}
"""The creatinine-based equation each eGFR LOINC code names: MDRD Study; CKD-EPI (the 2009 equation); CKD-EPI 2021."""
UMOL_L_PER_MG_DL_CREATININE = 88.42  # creatinine 113.12 g/mol
# Units by field where a field's unit converts differently from the canonical unit's usual meaning (mg/dL of
# creatinine is not mg/dL of cholesterol)
_FIELD_CONVERSIONS: dict[str, dict[str, Callable[[float], float]]] = {
    "creatinine_mg_dl": {"mg/dl": lambda v: v, "umol/l": lambda v: v / UMOL_L_PER_MG_DL_CREATININE,
                         "\u00b5mol/l": lambda v: v / UMOL_L_PER_MG_DL_CREATININE,
                         "mmol/l": lambda v: v * 1000 / UMOL_L_PER_MG_DL_CREATININE},
}

ICD10CM_SYSTEM = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED_SYSTEM = "http://snomed.info/sct"
# SNOMED CT codes of myocardial infarction: the expansion (20240502) of the VSAC value set "Initial Myocardial
# Infarction" 2.16.840.1.113883.3.526.3.403 (v20240125), as published in cqframework/ecqm-content-qicore-2024
# input/vocabulary/valueset/external/valueset-2.16.840.1.113883.3.526.3.403.json (commit 4661e38), less the entries
# that are not by themselves atherosclerotic: postoperative and procedural infarction (129574000, 1163440003,
# 703212004), microinfarct (42531007) and MINOCA (879955009). Those, like any code missing here, are flagged as
# possible clinical ASCVD to confirm (POSSIBLE_ASCVD_WORDS), never taken as absent.
_MI_SNOMED_CODES = """
    10273003 1204151009 1204152002 1204154001 1204155000 1204222000 15713001000119100 15990001 194802003 194809007
    194856005 22298006 233835003 233838001 233843008 30277009 304914007 307140009 314207007 32574007 394710008
    401303003 401314000 418044006 428196007 428752002 44811000087108 44821000087100 44831000087103 44841000087109
    44851000087107 52035003 54329005 57054005 58612006 62695002 65547006 70211005 703164000 703165004 703213009
    703251009 703252002 703253007 70422006 70998009 726499301000119105 73795002 76593002 79009004 836293000 836294006
    836295007 840309000 840312002 840316004 840609007 840680009 896689003 896691006 896696001 896697005
""".split()  # noqa: SIM905 (a wrapped block of codes reads better than a list literal)
CLINICAL_ASCVD_CODES: dict[tuple[str, str], str] = {
    # Curated from the VSAC value sets of the CMS347 eCQM "Statin Therapy for the Prevention and Treatment of
    # Cardiovascular Disease" (as published in cqframework/ecqm-content-qicore-2024), kept to the 2018 AHA/ACC
    # cholesterol guideline's definition of clinical ASCVD (Grundy et al., Circulation 2019;139:e1082-e1143,
    # section 4.1): acute coronary syndrome or myocardial infarction, stable or unstable angina, coronary or other
    # arterial revascularisation, stroke, TIA, peripheral artery disease, all of atherosclerotic origin. Codes of the
    # measure's broader sets that do not by themselves mean clinical ASCVD (e.g. I25.10 coronary atherosclerosis
    # without angina, I70.0 aortic atherosclerosis, I65 carotid stenosis, haemorrhagic-stroke sequelae) are left out.
    # ICD-10-CM keys are code prefixes ("I63.1" matches I63.10-I63.19); SNOMED CT keys are exact codes.
    # Myocardial Infarction, 2.16.840.1.113883.3.526.3.403 (v20210218)
    (ICD10CM_SYSTEM, "I21.0"): "myocardial infarction", (ICD10CM_SYSTEM, "I21.1"): "myocardial infarction",
    (ICD10CM_SYSTEM, "I21.2"): "myocardial infarction", (ICD10CM_SYSTEM, "I21.3"): "myocardial infarction",
    (ICD10CM_SYSTEM, "I21.4"): "myocardial infarction", (ICD10CM_SYSTEM, "I21.9"): "myocardial infarction",
    (ICD10CM_SYSTEM, "I21.A9"): "myocardial infarction",
    (SNOMED_SYSTEM, "22298006"): "myocardial infarction", (SNOMED_SYSTEM, "57054005"): "myocardial infarction",
    (SNOMED_SYSTEM, "401303003"): "myocardial infarction", (SNOMED_SYSTEM, "401314000"): "myocardial infarction",
    (SNOMED_SYSTEM, "394710008"): "myocardial infarction", (SNOMED_SYSTEM, "194856005"): "myocardial infarction",
    (SNOMED_SYSTEM, "32574007"): "myocardial infarction", (SNOMED_SYSTEM, "428752002"): "myocardial infarction",
    (SNOMED_SYSTEM, "233843008"): "myocardial infarction",
    (SNOMED_SYSTEM, "726499301000119105"): "myocardial infarction",
    # Atherosclerosis and Peripheral Arterial Disease, 2.16.840.1.113762.1.4.1047.21 (v20210220): old myocardial
    # infarction, coronary atherosclerosis with angina, limb atherosclerosis with claudication, rest pain, ulceration
    # or gangrene (symptomatic peripheral artery disease)
    (ICD10CM_SYSTEM, "I25.2"): "old myocardial infarction", (ICD10CM_SYSTEM, "I25.11"): "coronary atherosclerosis "
    "with angina", (ICD10CM_SYSTEM, "I70.21"): "peripheral artery disease with claudication",
    (ICD10CM_SYSTEM, "I70.22"): "peripheral artery disease with rest pain",
    (ICD10CM_SYSTEM, "I70.23"): "peripheral artery disease with ulceration",
    (ICD10CM_SYSTEM, "I70.24"): "peripheral artery disease with ulceration",
    (ICD10CM_SYSTEM, "I70.25"): "peripheral artery disease with ulceration",
    (ICD10CM_SYSTEM, "I70.26"): "peripheral artery disease with gangrene",
    # Stable and Unstable Angina, 2.16.840.1.113762.1.4.1047.47 (v20170504)
    (ICD10CM_SYSTEM, "I20.0"): "unstable angina", (ICD10CM_SYSTEM, "I20.1"): "angina",
    (ICD10CM_SYSTEM, "I20.8"): "angina", (ICD10CM_SYSTEM, "I20.9"): "angina",
    (ICD10CM_SYSTEM, "I23.7"): "post-infarction angina",
    (SNOMED_SYSTEM, "194828000"): "angina", (SNOMED_SYSTEM, "233819005"): "stable angina",
    (SNOMED_SYSTEM, "233821000"): "new onset angina", (SNOMED_SYSTEM, "314116003"): "post-infarction angina",
    (SNOMED_SYSTEM, "4557003"): "preinfarction syndrome", (SNOMED_SYSTEM, "59021001"): "angina decubitus",
    # Cerebrovascular Disease Stroke or TIA, 2.16.840.1.113762.1.4.1047.44 (v20170504): TIA and cerebral infarction
    # (not I63.6, infarction from cerebral venous thrombosis, which is not atherosclerotic)
    (ICD10CM_SYSTEM, "G45.0"): "transient ischaemic attack", (ICD10CM_SYSTEM, "G45.1"): "transient ischaemic attack",
    (ICD10CM_SYSTEM, "G45.2"): "transient ischaemic attack", (ICD10CM_SYSTEM, "G45.8"): "transient ischaemic attack",
    (ICD10CM_SYSTEM, "G45.9"): "transient ischaemic attack",
    (ICD10CM_SYSTEM, "I63.0"): "ischaemic stroke", (ICD10CM_SYSTEM, "I63.1"): "ischaemic stroke",
    (ICD10CM_SYSTEM, "I63.2"): "ischaemic stroke", (ICD10CM_SYSTEM, "I63.3"): "ischaemic stroke",
    (ICD10CM_SYSTEM, "I63.4"): "ischaemic stroke", (ICD10CM_SYSTEM, "I63.5"): "ischaemic stroke",
    (ICD10CM_SYSTEM, "I63.8"): "ischaemic stroke", (ICD10CM_SYSTEM, "I63.9"): "ischaemic stroke",
    (SNOMED_SYSTEM, "266257000"): "transient ischaemic attack", (SNOMED_SYSTEM, "422504002"): "ischaemic stroke",
    (SNOMED_SYSTEM, "432504007"): "cerebral infarction", (SNOMED_SYSTEM, "371040005"): "thrombotic stroke",
    (SNOMED_SYSTEM, "140911000119109"): "ischaemic stroke", (SNOMED_SYSTEM, "140921000119102"): "ischaemic stroke",
    (SNOMED_SYSTEM, "23671000119107"): "ischaemic stroke (sequela)",
    (SNOMED_SYSTEM, "195185009"): "cerebral infarction", (SNOMED_SYSTEM, "195189003"): "cerebral infarction",
    # ICD-10-CM codes that record a past event or revascularisation (ICD-10-CM 2024 tabular list): I22 subsequent
    # STEMI/NSTEMI; I25.7 atherosclerosis of a coronary bypass graft (a past CABG); Z95.1 aortocoronary bypass
    # graft, Z95.5 coronary angioplasty implant and graft, Z98.61 coronary angioplasty status; I70.3-I70.7
    # atherosclerosis of a bypass graft of the extremities (a past peripheral revascularisation); I69.3 sequelae of
    # cerebral infarction; I20.2 refractory angina; G45.3 amaurosis fugax (a retinal TIA)
    (ICD10CM_SYSTEM, "I22"): "subsequent myocardial infarction",
    (ICD10CM_SYSTEM, "I25.7"): "coronary bypass graft atherosclerosis (past CABG)",
    (ICD10CM_SYSTEM, "Z95.1"): "aortocoronary bypass graft (past CABG)",
    (ICD10CM_SYSTEM, "Z95.5"): "coronary angioplasty implant (past PCI)",
    (ICD10CM_SYSTEM, "Z98.61"): "coronary angioplasty status (past PCI)",
    (ICD10CM_SYSTEM, "I70.3"): "bypass graft atherosclerosis of the extremities (past revascularisation)",
    (ICD10CM_SYSTEM, "I70.4"): "bypass graft atherosclerosis of the extremities (past revascularisation)",
    (ICD10CM_SYSTEM, "I70.5"): "bypass graft atherosclerosis of the extremities (past revascularisation)",
    (ICD10CM_SYSTEM, "I70.6"): "bypass graft atherosclerosis of the extremities (past revascularisation)",
    (ICD10CM_SYSTEM, "I70.7"): "bypass graft atherosclerosis of the extremities (past revascularisation)",
    (ICD10CM_SYSTEM, "I69.3"): "sequelae of ischaemic stroke", (ICD10CM_SYSTEM, "I20.2"): "refractory angina",
    (ICD10CM_SYSTEM, "G45.3"): "amaurosis fugax (retinal transient ischaemic attack)",
    **{(SNOMED_SYSTEM, code): "myocardial infarction" for code in _MI_SNOMED_CODES},
}
"""(code system, code or ICD-10-CM prefix) -> the clinical ASCVD condition it records. Small and cited, not the whole
measure: a Condition not listed leaves clinical ASCVD unknown, never false. Revascularisation is a Procedure in FHIR:
see :data:`REVASCULARISATION_CODES`."""

ICD10PCS_SYSTEM = "http://www.cms.gov/Medicare/Coding/ICD10"  # the system URI the VSAC value sets use for ICD-10-PCS
_CABG = "coronary artery bypass graft"
_PCI = "percutaneous coronary intervention"
_CAROTID = "carotid revascularisation"
REVASCULARISATION_CODES: dict[tuple[str, str], str] = {
    # Curated from the procedure value sets of the same CMS347 eCQM, as published in
    # cqframework/ecqm-content-qicore-2024
    # (input/cql/StatinTherapyforthePreventionandTreatmentofCardiovascularDiseaseFHIR.cql, define "ASVCD Diagnosis or
    # Procedure before End of Measurement Period", which counts these Procedures when status = 'completed'), kept to
    # what the 2018 AHA/ACC cholesterol guideline calls clinical ASCVD: "coronary or other arterial revascularization"
    # (Grundy et al., Circulation 2019;139:e1082-e1143, section 4.1). Diagnostic imaging of a graft or artery, ligation,
    # embolectomy, aneurysm surgery, stent grafts and cerebral bypasses in those sets are not revascularisation of an
    # atherosclerotic artery and are left out. The measure's "CABG or PCI Procedure" set
    # (2.16.840.1.113762.1.4.1138.566, v20180818) is CPT (AMA-licensed, not used) and HCPCS only.
    # ICD-10-PCS keys are prefixes over the code's first axes (section, body system, root operation, body part[,
    # approach]), under which the value sets list their codes (0210 "Bypass Coronary Artery, One Artery": 0210083 to
    # 02104ZF); a 7-character code under one of them matches. SNOMED CT keys are exact codes.
    #
    # Value set files read: input/vocabulary/valueset/external/converted/valueset-<OID>.json in that repository, at
    # the commit named below (the measure's CQL at commit 07333f4f).
    #
    # CABG Surgeries, 2.16.840.1.113883.3.666.5.694 (v20160331; commit 8634ef4e): ICD-10-PCS 0210-0213 "Bypass
    # Coronary Artery, One / Two / Three / Four or More Arteries" (open, percutaneous and percutaneous endoscopic;
    # every graft the set lists)
    (ICD10PCS_SYSTEM, "0210"): _CABG, (ICD10PCS_SYSTEM, "0211"): _CABG, (ICD10PCS_SYSTEM, "0212"): _CABG,
    (ICD10PCS_SYSTEM, "0213"): _CABG,
    # SNOMED CT: bypass grafting by number of grafts, graft and approach, emergency, minimally invasive, robotic,
    # revision of a bypass (not: 252427007, 438530000, 440332008, 450506009, angiography of a bypass graft)
    **{(SNOMED_SYSTEM, code): _CABG for code in (
        "10190003", "10326007", "119564002", "119565001", "14323007", "17073005", "175021005", "175029007",
        "175036008", "175037004", "175038009", "175039001", "175040004", "232717009", "232719007", "232720001",
        "232721002", "232722009", "232723004", "232724005", "29819009", "3546002", "359597003", "359601003",
        "39202005", "39724006", "405598005", "405599002", "414088005", "418551006", "419132001", "67166004",
        "736970002", "736971003", "736972005", "736973000", "74371005", "82247006", "8876004", "90487008")},
    # PCI, 2.16.840.1.113762.1.4.1045.67 (v20170504; commit 7b497577): ICD-10-PCS "Dilation of Coronary Artery, One /
    # Two / Three / Four or More Arteries", percutaneous (3) or percutaneous endoscopic (4) approach, any device
    # (027[0-3][34]...; the value set lists all 160 of them)
    **{(ICD10PCS_SYSTEM, f"027{part}{approach}"): _PCI for part in "0123" for approach in "34"},
    # SNOMED CT: angioplasty, stenting, atherectomy, emergency PCI, balloon angioplasty of a coronary bypass graft
    # (all 18 of the set)
    **{(SNOMED_SYSTEM, code): _PCI for code in (
        "11101003", "175066001", "36969009", "397193006", "397431004", "414089002", "415070008", "428488008",
        "429499003", "429639007", "429809004", "609153008", "609154002", "68466008", "698740005", "707828002",
        "737085003", "85053006")},
    # Carotid Intervention, 2.16.840.1.113883.3.117.1.7.1.204 (v20170504; commit 8634ef4e): SNOMED CT endarterectomy
    # (open, percutaneous, eversion, with angioplasty), angioplasty and stenting of the carotid arteries. Not:
    # ligation, embolectomy or thrombectomy, angiography alone, aneurysm operations, stent grafts, reconstruction or
    # replacement, extracranial-intracranial and other bypasses (not, by themselves, revascularisation of an
    # atherosclerotic stenosis). The set's ICD-10-PCS codes (dilation, but also fluoroscopy) are not curated.
    **{(SNOMED_SYSTEM, code): _CAROTID for code in (
        "66951008", "233296007", "233297003", "233298008", "175367001", "15023006", "276949008", "276950008",
        "276951007", "405407008", "405408003", "405409006", "405411002", "405412009",  # endarterectomy
        "175380003", "233259003", "233260008", "405326004", "417884003", "419014003", "420026003", "420046008",
        "429287007", "431535003", "431659001", "432039002", "433711000", "433734009", "434433007",  # angioplasty
        "233405004", "425611003", "418405008", "431515004", "431519005", "432785007", "433056003", "433683001",
        "433690006")},  # stent insertion
}
"""(code system, code or ICD-10-PCS prefix) -> the arterial revascularisation a completed FHIR Procedure records.
Small and cited: a Procedure not listed (peripheral arterial revascularisation, which CMS347 has no value set for,
or a CPT code) leaves clinical ASCVD unknown, never false; if its text names a revascularisation it is listed for the
clinician to confirm (:func:`possible_revascularisations`)."""
_NOT_PERFORMED = {"not-done", "entered-in-error"}
_NOT_ESTABLISHED = {"refuted", "entered-in-error", "unconfirmed", "provisional", "differential"}
#: Verification statuses that do not establish a Condition but must not make it vanish either: such a Condition that
#: may be clinical ASCVD is put to the clinician with its status (refuted and entered-in-error ones are dropped).
_UNSETTLED = {"unconfirmed", "provisional", "differential"}
#: ICD-10-CM codes under a listed prefix that are not (necessarily) atherosclerotic: I20.1 angina with documented spasm,
#: I20.81 angina with coronary microvascular dysfunction. They are put to the clinician to confirm instead.
_ICD10CM_NOT_ASCVD = ("I20.1", "I20.81")
#: ICD-10-CM chapters where a code we do not list may still record clinical ASCVD (ischaemic heart disease
#: I20-I25, cerebral infarction and its sequelae, vascular syndromes of the brain G46, atherosclerosis and peripheral
#: vascular disease, aortic aneurysm (PAD "including aortic aneurysm", Grundy 2019 section 4.1), arterial embolism,
#: diabetic peripheral angiopathy E08-E13 .51/.52, TIA, graft / angioplasty status, history of cerebral infarction
#: Z86.73): such a Condition is reported for the clinician to confirm.
POSSIBLE_ASCVD_ICD10CM = ("I20", "I21", "I22", "I23", "I24", "I25", "I63", "I65", "I66", "I69.3", "I70", "I71",
                          "I73.9", "I74", "G45", "G46", "Z95.1", "Z95.5", "Z95.820", "Z98.61", "Z98.62", "Z86.73",
                          *(f"E{n:02d}.5{k}" for n in (8, 9, 10, 11, 13) for k in (1, 2)))
#: ICD-10-CM codes inside those chapters that do not suggest clinical ASCVD: G45.4 transient global amnesia.
_ICD10CM_NOT_POSSIBLE = ("G45.4",)
#: Words in a Condition's code text or display that may mean clinical ASCVD when its code is not one we list.
POSSIBLE_ASCVD_WORDS = re.compile(
    r"(?<!splenic )(?<!renal )(?<!kidney )(?<!pulmonary )(?<!bowel )(?<!intestinal )"
    r"infarct(?!\w* of (the )?(spleen|kidney|lung|bowel|intestine|omentum))|heart attack|angina|"
    r"coronary|isch[a]?emic (stroke|heart|attack|cerebrovascular|(foot |leg |limb |toe )?ulcer)|critical limb|"
    r"myocardial isch|cerebral isch|transient isch|"
    r"stroke|cerebrovascular accident|cerebral artery|peripheral arter|peripheral vascular|peripheral angiopath|"
    r"peripheral circulatory|claudication|revasculari|bypass graft|arterial bypass|angioplast|atheroscl|carotid|"
    r"amaurosis|aortic aneurysm|femoropopliteal|fem-pop|aortobifemoral|aorto-?iliac|(iliac|femoral|popliteal|tibial) "
    r"(artery )?(stent|bypass)|\bCVA\b|\bTIA\b|\bN?STEMI\b|\bCABG\b|\bPCI\b|\bMI\b|\bCAD\b|\bPAD\b|"
    r"\bPVD\b|\bIHD\b|\bACS\b|\bASCVD\b", re.IGNORECASE)
"""Specific enough not to flag a gastric bypass, a ureteral stent, ischaemic colitis or a splenic infarct; wide enough
for "Old myocardial infarction", "History of CVA", "Brain stem infarction", "Peripheral vascular disease", "CAD s/p
stent" or "Femoropopliteal bypass"."""
#: Wording that, even with the words above, is not the person's own arterial disease: family history, calcium scoring
#: or coronary calcification (primary-prevention tools), haemorrhagic stroke.
NOT_ASCVD_WORDS = re.compile(r"family history|\bFH\b|famil|calcium|calcification|ha?emorrhag|isch[a]?emia and "
                             r"infarction of kidney", re.IGNORECASE)
#: Procedure wording that is not arterial revascularisation although it names a bypass or the aorta.
NOT_REVASCULARISATION_WORDS = re.compile(r"cardiopulmonary bypass|valve|gastric|dialysis", re.IGNORECASE)
#: ICD-10-CM family-history codes (Z80-Z84): never the person's own disease.
_ICD10CM_FAMILY_HISTORY = ("Z80", "Z81", "Z82", "Z83", "Z84")
#: Words in a Procedure's code text or display that may mean a revascularisation when its code is not one we list:
#: an arterial word together with a therapeutic one (a coronary angiogram or a calcium score is not one).
POSSIBLE_REVASCULARISATION_WORDS = re.compile(
    r"bypass|angioplast|stent|endarterectom|atherectom|revasculari|transluminal|\bPTCA\b|\bCABG\b|\bPCI\b",
    re.IGNORECASE)
ARTERIAL_WORDS = re.compile(
    r"coronary|arter|carotid|aort|femoral|popliteal|iliac|tibial|peroneal|fem-pop|\bPTCA\b|\bCABG\b|\bPCI\b",
    re.IGNORECASE)
#: ICD-10-PCS tables of arterial bypass, dilation and restriction/occlusion-free procedures on lower and upper
#: arteries (041 bypass lower arteries, 047 dilation lower arteries, 037 dilation upper arteries): put to confirm.
POSSIBLE_REVASCULARISATION_ICD10PCS = ("041", "047", "037")
BP_PANEL = "85354-9"
SMOKING_STATUS = "72166-2"
# SNOMED CT answers for tobacco smoking status (the US Core value set).
SMOKING_SNOMED: dict[str, str] = {
    "449868002": "current", "428041000124106": "current", "77176002": "current", "428061000124105": "current",
    "428071000124103": "current", "8517006": "former", "266919005": "never", "266927001": "unknown",
}

_IDENTITY: Callable[[float], float] = lambda v: v  # noqa: E731
_CONVERSIONS: dict[str, dict[str, Callable[[float], float]]] = {
    "mm[Hg]": {"mm[hg]": _IDENTITY, "mmhg": _IDENTITY},
    "mg/dL": {"mg/dl": _IDENTITY, "mmol/l": lambda v: v * MG_DL_PER_MMOL_L_CHOLESTEROL},
    "%": {"%": _IDENTITY, "mmol/mol": lambda v: v / 10.929 + 2.15},  # IFCC -> NGSP master equation
    "kg/m2": {"kg/m2": _IDENTITY, "kg/m^2": _IDENTITY},
    "kg": {"kg": _IDENTITY, "[lb_av]": lambda v: v * 0.45359237, "lb": lambda v: v * 0.45359237,
           "g": lambda v: v / 1000.0},
    "cm": {"cm": _IDENTITY, "m": lambda v: v * 100.0, "[in_i]": lambda v: v * 2.54, "in": lambda v: v * 2.54},
    "mL/min/{1.73_m2}": {"ml/min/{1.73_m2}": _IDENTITY, "ml/min/1.73m2": _IDENTITY, "ml/min/1.73 m2": _IDENTITY},
    # 1 mmol creatinine = 113.12 mg, so 1 mg albumin per mmol creatinine = 8.84 mg/g.
    "mg/g": {"mg/g": _IDENTITY, "mg/g{creat}": _IDENTITY, "mg/g{cre}": _IDENTITY, "ug/mg": _IDENTITY,
             "ug/mg{creat}": _IDENTITY, "mg/mmol": lambda v: v * MG_G_PER_MG_MMOL_CREATININE,
             "mg/mmol{creat}": lambda v: v * MG_G_PER_MG_MMOL_CREATININE},
}


def read_fhir_observations(path: Path) -> ClinicalInputs:
    """Parse a FHIR Bundle (or a single Observation) into the latest value of each measurement."""
    return observations_to_inputs(load_json(Path(path), "FHIR bundle"), source=str(path))


def _mapping(value: Any) -> dict[str, Any]:
    """A JSON object, or an empty one for anything else (FHIR elements of the wrong shape are not ours to read)."""
    return value if isinstance(value, dict) else {}


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


_PARTIAL_DATE = re.compile(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


def observation_time(resource: dict[str, Any]) -> str | None:
    """When an Observation was made, as FHIR gives it: ``effectiveDateTime``, ``effectiveInstant``, the end (else the
    start) of ``effectivePeriod``, else ``issued`` (when it was reported); None when it has none of them."""
    period = _mapping(resource.get("effectivePeriod"))
    for value in (resource.get("effectiveDateTime"), resource.get("effectiveInstant"), period.get("end"),
                  period.get("start"), resource.get("issued")):
        if isinstance(value, str) and time_bounds(value.strip()) is not None:
            return value.strip()  # the first readable one: an unreadable effective time does not hide "issued"
    return None


def time_bounds(text: str | None) -> tuple[datetime, datetime] | None:
    """The span of time a FHIR date or dateTime can stand for, in UTC: a year, a month or a day (taken as UTC days)
    span it, a time with its zone is an instant (a time without one is read as UTC). None when it cannot be read.

    >>> start, end = time_bounds("2026-03")
    >>> start.isoformat(), end.isoformat()
    ('2026-03-01T00:00:00+00:00', '2026-04-01T00:00:00+00:00')
    >>> time_bounds("2026-06-01T23:00:00-05:00")[0].isoformat()
    '2026-06-02T04:00:00+00:00'
    >>> time_bounds("yesterday") is None, time_bounds("9999-12-31") is None
    (True, True)
    """
    try:
        return _time_bounds(text)
    except (ValueError, OverflowError):  # 9999-12-31 has no next day; 0001-01-01T00:30+01:00 no UTC instant
        return None


def _time_bounds(text: str | None) -> tuple[datetime, datetime] | None:
    if not text:
        return None
    if "T" in text:  # an unreadable text or an impossible date raises ValueError, caught by time_bounds
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC), moment.astimezone(UTC)
    match = _PARTIAL_DATE.fullmatch(text)
    if not match:
        return None
    year, month, day = int(match.group(1)), int(match.group(2) or 1), int(match.group(3) or 1)
    start = datetime(year, month, day, tzinfo=UTC)
    if match.group(3):
        return start, start + timedelta(days=1)
    if match.group(2):
        return start, datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    return start, datetime(year + 1, 1, 1, tzinfo=UTC)


def _time_key(text: str | None) -> datetime:
    """Order of observations by their earliest possible time (unreadable or missing: before any other)."""
    bounds = time_bounds(text)
    return bounds[0] if bounds else datetime.min.replace(tzinfo=UTC)


def observations_to_inputs(document: Any, *, source: str) -> ClinicalInputs:
    """The parsed-JSON form of :func:`read_fhir_observations`."""
    resources = _observations(document, source)
    latest: dict[str, tuple[datetime, Measurement]] = {}
    smoking: tuple[datetime, str, str, str] | None = None
    equation: str | None = None
    for where, resource in resources:
        codes = _loinc_codes(resource)
        date = observation_time(resource)
        key = _time_key(date)
        if SMOKING_STATUS in codes:
            status = _smoking_status(resource, source, where)
            if smoking is None or key >= smoking[0]:
                smoking = (key, date or "", status, f"{source}:{where}")
            continue
        for field, measurement in _measurements(resource, codes, source, where):
            if field not in latest or key >= latest[field][0]:
                latest[field] = (key, measurement)
                if field == "egfr_ml_min_1_73m2":
                    named = {EGFR_EQUATIONS[c] for c in codes if c in EGFR_EQUATIONS}
                    equation = named.pop() if len(named) == 1 else "unknown"
    values: dict[str, Any] = {field: measurement for field, (_, measurement) in latest.items()}
    if "egfr_ml_min_1_73m2" in values:
        values["egfr_equation"] = equation
    values["clinical_ascvd"] = clinical_ascvd_conditions(document, source) + revascularisations(document, source)
    values["possible_clinical_ascvd"] = (possible_clinical_ascvd_conditions(document, source)
                                         + possible_revascularisations(document, source))
    if smoking is not None:
        values["smoking"], values["smoking_source"] = smoking[2], smoking[3]
        values["smoking_date"] = smoking[1] or None
    return ClinicalInputs(**values)


def _resources(document: Any, kind: str) -> list[tuple[str, dict[str, Any]]]:
    """The resources of type ``kind`` in a Bundle (or the document itself when it is one), with where each is."""
    if not isinstance(document, dict):
        return []
    items: list[tuple[str, Any]] = [(kind, document)]
    if document.get("resourceType") != kind:
        items = [(f"entry[{i}]", _mapping(e).get("resource")) for i, e in enumerate(_items(document.get("entry")))]
    return [(where, r) for where, r in items if isinstance(r, dict) and r.get("resourceType") == kind]


def _codings(resource: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(system, code, display) of each coding of a resource's ``code``."""
    return [(str(_mapping(c).get("system") or ""), str(_mapping(c).get("code") or ""),
             str(_mapping(c).get("display") or "")) for c in _items(_mapping(resource.get("code")).get("coding"))]


def _established_conditions(document: Any, *, unsettled: bool = False) -> list[tuple[str, dict[str, Any], str]]:
    """The Conditions of a Bundle (or a single Condition) with where each is and its verification status, less those
    refuted or entered in error, and (unless ``unsettled``) those unconfirmed, provisional or differential; a resolved
    or inactive one stays (a past myocardial infarction is clinical ASCVD for life)."""
    kept = []
    dropped = _NOT_ESTABLISHED - _UNSETTLED if unsettled else _NOT_ESTABLISHED
    for where, resource in _resources(document, "Condition"):
        verification = {str(_mapping(c).get("code")) for c in _items(_mapping(resource.get("verificationStatus"))
                                                                          .get("coding"))}
        clinical = {str(_mapping(c).get("code")) for c in _items(_mapping(resource.get("clinicalStatus"))
                                                                      .get("coding"))}
        if not (verification & dropped or "entered-in-error" in clinical):
            kept.append((where, resource, ", ".join(sorted(verification & _UNSETTLED))))
    return kept


def _system_name(system: str) -> str:
    return "ICD-10-CM" if "icd-10" in system else "SNOMED CT" if "snomed" in system else system or "no system"


def clinical_ascvd_conditions(document: Any, source: str) -> list[str]:
    """The established Conditions whose code is in :data:`CLINICAL_ASCVD_CODES`, each as ``"<condition> (<system
    code>, <source>:entry[i])"``."""
    found = []
    for where, resource, _ in _established_conditions(document):
        for system, code, _ in _codings(resource):
            condition = _ascvd_condition(system, code)
            if condition is not None:
                found.append(f"{condition} ({_system_name(system)} {code}, {source}:{where})")
                break
    return found


def possible_clinical_ascvd_conditions(document: Any, source: str) -> list[str]:
    """Established Conditions not in :data:`CLINICAL_ASCVD_CODES` that may still record clinical ASCVD: an ICD-10-CM
    code in :data:`POSSIBLE_ASCVD_ICD10CM`, or a code text or display matching :data:`POSSIBLE_ASCVD_WORDS` (a SNOMED
    CT code for myocardial infarction that our list lacks, "Old myocardial infarction", a coronary stent). A short
    code list must not turn a recorded infarction into "no clinical ASCVD": these are reported for the clinician to
    confirm, as ``"<text or display> (<system code>, <source>:entry[i])"``.

    >>> bundle = {"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Condition", "code": {
    ...     "coding": [{"system": SNOMED_SYSTEM, "code": "999999", "display": "Old myocardial infarction"}]}}}]}
    >>> possible_clinical_ascvd_conditions(bundle, "b.json")
    ['Old myocardial infarction (SNOMED CT 999999, b.json:entry[0])']
    """
    found = []
    for where, resource, status in _established_conditions(document, unsettled=True):
        concept = _mapping(resource.get("code"))
        codings = _codings(resource)
        label = str(concept.get("text") or "").strip() or next((d for _, _, d in codings if d), "Condition")
        recognised = [(system, code) for system, code, _ in codings if _ascvd_condition(system, code)]
        if recognised and not status:
            continue  # established and recognised: clinical_ascvd_conditions reports it
        text = " ".join([str(concept.get("text") or "")] + [display for _, _, display in codings])
        icd = [(system, code) for system, code, _ in codings if system == ICD10CM_SYSTEM]
        if any(_icd_starts(code, _ICD10CM_FAMILY_HISTORY) for _, code in icd) or NOT_ASCVD_WORDS.search(text):
            continue
        by_code = [(system, code) for system, code in icd
                   if _icd_starts(code, POSSIBLE_ASCVD_ICD10CM) and not _icd_starts(code, _ICD10CM_NOT_POSSIBLE)]
        if recognised or by_code or POSSIBLE_ASCVD_WORDS.search(text):
            system, code = (recognised or by_code or [(codings[0][0], codings[0][1]) if codings else ("", "")])[0]
            unsettled = f", {status}" if status else ""
            found.append(f"{label} ({_system_name(system)} {code}{unsettled}, {source}:{where})")
    return found


def _procedures(document: Any) -> list[tuple[str, dict[str, Any]]]:
    """The Procedures of a Bundle (or a single Procedure) with where each is, less those not done or entered in
    error."""
    return [(where, r) for where, r in _resources(document, "Procedure") if r.get("status") not in _NOT_PERFORMED]


def _performed(resource: dict[str, Any]) -> str:
    performed = resource.get("performedDateTime") or _mapping(resource.get("performedPeriod")).get("start")
    return f", performed {str(performed):.40}" if performed else ""


def _procedure_system_name(system: str) -> str:
    return "ICD-10-PCS" if system == ICD10PCS_SYSTEM else _system_name(system)


def revascularisations(document: Any, source: str) -> list[str]:
    """The completed Procedures of a Bundle (or a single Procedure) whose code is in :data:`REVASCULARISATION_CODES`,
    each as ``"<procedure> (Procedure, <system code>[, performed <date>], <source>:entry[i])"``. Only status
    ``completed`` counts (not ``not-done``, ``entered-in-error``, ``stopped``, ``in-progress`` or a missing status), as
    in the CMS347 measure; a revascularisation however long ago is clinical ASCVD."""
    found = []
    for where, resource in _procedures(document):
        if resource.get("status") != "completed":
            continue
        for system, code, _ in _codings(resource):
            procedure = revascularisation(system, code)
            if procedure is not None:
                found.append(f"{procedure} (Procedure, {_procedure_system_name(system)} {code.upper():.20}"
                             f"{_performed(resource)}, {source}:{where})")
                break
    return found


def possible_revascularisations(document: Any, source: str) -> list[str]:
    """Procedures that may record a revascularisation but do not establish one, for the clinician to confirm (as
    :func:`possible_clinical_ascvd_conditions` does for Conditions): a listed code whose status is not ``completed``
    (``in-progress``, ``stopped``, ``on-hold``, ``preparation``, ``unknown`` or none; not ``not-done`` or
    ``entered-in-error``), an ICD-10-PCS code of the peripheral arterial bypass or dilation tables
    (:data:`POSSIBLE_REVASCULARISATION_ICD10PCS`), or a code we do not list (CPT, a peripheral bypass) whose text or
    display names both a therapeutic step (:data:`POSSIBLE_REVASCULARISATION_WORDS`) and an artery
    (:data:`ARTERIAL_WORDS`).

    >>> cpt = {"system": "http://www.ama-assn.org/go/cpt", "code": "33533",
    ...        "display": "Coronary artery bypass, using arterial graft(s); single arterial graft"}
    >>> possible_revascularisations({"resourceType": "Procedure", "status": "completed", "code": {"coding": [cpt]}},
    ...                             "p.json")  # doctest: +ELLIPSIS
    ['Coronary artery bypass, using arterial graft(s)...(Procedure, http://www.ama-assn.org/go/cpt 33533, p.json:...)']
    """
    found = []
    for where, resource in _procedures(document):
        codings = _codings(resource)
        listed = [(system, code) for system, code, _ in codings if revascularisation(system, code)]
        status = str(resource.get("status") or "no status")
        if listed:
            if status != "completed":
                system, code = listed[0]
                found.append(f"{revascularisation(system, code)}, status {status:.20} (Procedure, "
                             f"{_procedure_system_name(system)} {code.upper():.20}{_performed(resource)}, "
                             f"{source}:{where})")
            continue
        text = " ".join([str(_mapping(resource.get("code")).get("text") or "")] + [d for _, _, d in codings]).strip()
        peripheral = [(system, code) for system, code, _ in codings if system == ICD10PCS_SYSTEM and
                      code.upper().startswith(POSSIBLE_REVASCULARISATION_ICD10PCS)]
        worded = POSSIBLE_REVASCULARISATION_WORDS.search(text) and ARTERIAL_WORDS.search(text)
        if peripheral or (worded and not NOT_ASCVD_WORDS.search(text) and not NOT_REVASCULARISATION_WORDS.search(text)):
            system, code = peripheral[0] if peripheral else (codings[0][0], codings[0][1]) if codings else ("", "")
            found.append(f"{text:.120} (Procedure{', status ' + status if status != 'completed' else ''}, "
                         f"{_procedure_system_name(system)} {code:.20}{_performed(resource)}, {source}:{where})")
    return found


def revascularisation(system: str, code: str) -> str | None:
    """The arterial revascularisation a Procedure code records, or None.

    >>> revascularisation(SNOMED_SYSTEM, "232717009"), revascularisation(SNOMED_SYSTEM, "252427007")
    ('coronary artery bypass graft', None)
    >>> revascularisation(ICD10PCS_SYSTEM, "02120AW"), revascularisation(ICD10PCS_SYSTEM, "02703DZ")
    ('coronary artery bypass graft', 'percutaneous coronary intervention')
    >>> revascularisation(ICD10PCS_SYSTEM, "02700DZ")  # open dilation: not in the PCI value set
    """
    if system == SNOMED_SYSTEM:
        return REVASCULARISATION_CODES.get((SNOMED_SYSTEM, code))
    bare = code.upper()
    if system != ICD10PCS_SYSTEM or len(bare) != 7 or not bare.isalnum():
        return None
    for (code_system, prefix), procedure in REVASCULARISATION_CODES.items():
        if code_system == ICD10PCS_SYSTEM and bare.startswith(prefix):
            return procedure
    return None


def _icd_starts(code: str, prefixes: tuple[str, ...]) -> bool:
    """Whether an ICD-10 code (dots or not) starts with one of ``prefixes``.

    >>> _icd_starts("E11.51", ("E11.5",)), _icd_starts("Z8249", ("Z82",)), _icd_starts("I10", ("I1",))
    (True, True, True)
    """
    return code.upper().replace(".", "").startswith(tuple(p.replace(".", "") for p in prefixes))


def _ascvd_condition(system: str, code: str) -> str | None:
    """The clinical ASCVD condition a code records, or None.

    >>> _ascvd_condition(ICD10CM_SYSTEM, "I21.4"), _ascvd_condition(ICD10CM_SYSTEM, "I63.6")
    ('myocardial infarction', None)
    >>> _ascvd_condition(ICD10CM_SYSTEM, "I25.119"), _ascvd_condition(ICD10CM_SYSTEM, "I25.10")
    ('coronary atherosclerosis with angina', None)
    >>> _ascvd_condition(ICD10CM_SYSTEM, "I2511")  # written without the dot
    'coronary atherosclerosis with angina'
    """
    if system == SNOMED_SYSTEM:
        return CLINICAL_ASCVD_CODES.get((SNOMED_SYSTEM, code))
    if system != ICD10CM_SYSTEM or not code:
        return None
    if _icd_starts(code, _ICD10CM_NOT_ASCVD):
        return None
    for (code_system, prefix), condition in CLINICAL_ASCVD_CODES.items():
        if code_system == ICD10CM_SYSTEM and _icd_starts(code, (prefix,)):
            return condition
    return None


def _observations(document: Any, source: str) -> list[tuple[str, dict[str, Any]]]:
    if not isinstance(document, dict) or "resourceType" not in document:
        raise InputError("not a FHIR resource (no resourceType)", source=source)
    if document["resourceType"] == "Observation":
        return [("Observation", document)]
    if document["resourceType"] != "Bundle":
        raise InputError(f"expected a Bundle or an Observation, found {document['resourceType']!r:.60}",
                         source=source)
    found = []
    entries = document.get("entry")
    if entries is not None and not isinstance(entries, list):
        raise InputError("Bundle.entry must be a list", source=source)
    for position, entry in enumerate(entries or []):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and resource.get("resourceType") == "Observation":
            if resource.get("status") in ("entered-in-error", "cancelled"):
                continue
            found.append((f"entry[{position}]", resource))
    return found


def _loinc_codes(resource: dict[str, Any]) -> set[str]:
    codings = _items(_mapping(resource.get("code")).get("coding"))
    return {str(c.get("code")) for c in codings if isinstance(c, dict) and "loinc.org" in str(c.get("system", ""))}


def _measurements(resource: dict[str, Any], codes: set[str], source: str,
                  where: str) -> list[tuple[str, Measurement]]:
    date = observation_time(resource)
    if BP_PANEL in codes:
        found = []
        for position, component in enumerate(_items(resource.get("component"))):
            if not isinstance(component, dict):
                continue
            for field_code in _loinc_codes(component) & set(LOINC_FIELDS):
                found.append(_convert(component, field_code, date, source, f"{where}.component[{position}]"))
        return found
    return [_convert(resource, code, date, source, where) for code in sorted(codes & set(LOINC_FIELDS))]


def _convert(holder: dict[str, Any], code: str, date: Any, source: str, where: str) -> tuple[str, Measurement]:
    field, canonical = LOINC_FIELDS[code]
    quantity = _mapping(holder.get("valueQuantity"))
    raw = quantity.get("value")
    if not isinstance(raw, int | float) or isinstance(raw, bool):
        raise InputError(f"LOINC {code} has no numeric valueQuantity", source=source, location=where)
    value = float(raw) if not isinstance(raw, int) or abs(raw) < 2**1023 else math.inf
    if not math.isfinite(value) or value < 0:
        raise InputError(f"LOINC {code}: valueQuantity.value must be a finite number, 0 or more, got {raw!r:.40}",
                         source=source, location=where)
    unit = str(quantity.get("code") or quantity.get("unit") or "").strip()
    conversions = _FIELD_CONVERSIONS.get(field, _CONVERSIONS[canonical])
    converter = conversions.get(unit.lower())
    if converter is None:
        known = ", ".join(sorted(conversions))
        raise InputError(f"LOINC {code}: unit {unit!r} cannot be converted to {canonical} (known: {known})",
                         source=source, location=where)
    converted = converter(value)
    if not math.isfinite(converted):
        raise InputError(f"LOINC {code}: {value:g} {unit} is too large to convert to {canonical}", source=source,
                         location=where)
    original = None if unit.lower() == canonical.lower() else f"{value:g} {unit}"
    return field, Measurement(value=round(converted, 6), unit=canonical, date=str(date) if date else None,
                              source=f"{source}:{where}", original=original)


def _smoking_status(resource: dict[str, Any], source: str, where: str) -> str:
    codings = _items(_mapping(resource.get("valueCodeableConcept")).get("coding"))
    for coding in codings:
        status = SMOKING_SNOMED.get(str(_mapping(coding).get("code")))
        if status:
            return status
    raise InputError("smoking status (LOINC 72166-2) without a recognised SNOMED CT answer", source=source,
                     location=where)
