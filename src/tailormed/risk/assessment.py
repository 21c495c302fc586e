"""Clinical risk for one person: the equations their data allow, what-ifs, and cited prevention advice.

Pure functions over a :class:`Person`; ``tailormed.pipelines.risk`` reads the inputs and writes the outputs.

What-ifs recompute the same equation with one modifiable factor changed, and are ranked by absolute risk
reduction (ARR):

* **stop smoking**: the equation with ``current_smoker = False`` (the risk of a non-smoker with the same
  profile; the benefit accrues over years);
* **blood pressure to target on treatment**: systolic BP set to 130 mm Hg *with* antihypertensive treatment
  (ACC/AHA 2017 blood-pressure guideline target <130/80; Whelton et al., Hypertension 2018). The equations
  weight a treated SBP more than the same untreated SBP, so the treated state is what reaching the target with
  medication looks like; keeping "untreated" would describe a person whose SBP were 130 without treatment. A
  change that does not lower the estimate (an SBP just above 130 whose treated 130 carries more equation risk)
  is not listed;
* **high-intensity statin**: LDL-C lowered by 50% (ACC/AHA 2018 cholesterol guideline: high intensity
  lowers LDL-C by >=50%; Grundy et al., Circulation 2019), and the risk multiplied by 0.78 per mmol/L of
  LDL-C lowered (Cholesterol Treatment Trialists' Collaboration, Lancet 2010;376:1670-81: 22% fewer major
  vascular events per 1.0 mmol/L). Needs a measured LDL-C;
* **weight to BMI 25** (FINDRISC only): the score recomputed with BMI 24.9 and the waist unchanged.

Statin advice first places the person in a statin-benefit group of the ACC/AHA 2018 cholesterol guideline
(Grundy et al., Circulation 2019; :func:`statin_benefit_group`): already on a statin, older than 75, LDL-C
>= 190 mg/dL (20-75 years), diabetes (40-75 years), or primary prevention at 40-75 years. Only the last gets
the ACC/AHA 2019 primary-prevention risk categories for 10-year ASCVD risk (Arnett et al., Circulation 2019:
<5% low, 5 to <7.5% borderline, 7.5 to <20% intermediate, >=20% high) and the USPSTF 2022 statin
recommendation (JAMA 2022;328:746-753: adults 40-75 years with LDL-C < 190 mg/dL, at least one CVD risk
factor and 10-year risk >=10%: offer a statin, grade B; 7.5 to <10%: selectively offer, grade C; the USPSTF
also covers diabetes). The other groups get their guideline statement, not a band.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal, TypeVar

from tailormed.errors import InputError
from tailormed.model.risk import Person
from tailormed.risk.equations import (
    CKD_EPI_2021_SOURCE,
    RiskEstimate,
    check_hba1c,
    check_sdi_decile,
    check_uacr,
    ckd_epi_2021,
    findrisc,
    pooled_cohort_ascvd_10y,
    prevent,
)

MG_DL_PER_MMOL_L = 38.67
CTT_RR_PER_MMOL_L = 0.78
BP_TARGET_MMHG = 130.0
HIGH_INTENSITY_LDL_REDUCTION = 0.50



@dataclass
class WhatIf:
    """One modifiable factor changed, and what it does to one estimate."""

    change: str
    estimate: str
    baseline: float
    after: float
    source: str
    horizon_years: int = 10
    """The horizon of the estimate changed (what-ifs are ranked within a horizon)."""
    estimate_name: str = ""
    """The estimate's display name (:attr:`RiskEstimate.name`; ``estimate`` is the equation's key)."""

    @property
    def absolute_risk_reduction(self) -> float:
        return self.baseline - self.after


@dataclass
class Advice:
    """One prevention statement triggered by a rule, with its source."""

    topic: str
    statement: str
    source: str


@dataclass
class Assessment:
    """All estimates, what-ifs (best first), advice and the equations that could not be run."""

    estimates: list[RiskEstimate]
    what_ifs: list[WhatIf]
    advice: list[Advice]
    skipped: dict[str, str] = field(default_factory=dict)
    keyed: dict[str, RiskEstimate] = field(default_factory=dict)
    """The same estimates by their key in :data:`EQUATIONS` (e.g. "PREVENT 10-year ASCVD")."""


def _pce(p: Person) -> RiskEstimate:
    return pooled_cohort_ascvd_10y(
        age=p.age, sex=p.sex, race_group=p.race_group, total_cholesterol_mg_dl=_need(p.total_cholesterol_mg_dl,
                                                                                     "total cholesterol"),
        hdl_mg_dl=_need(p.hdl_mg_dl, "HDL cholesterol"), systolic_bp_mmhg=_need(p.systolic_bp_mmhg, "systolic BP"),
        on_antihypertensive=p.on_antihypertensive, current_smoker=p.current_smoker, diabetes=p.diabetes)


@dataclass(frozen=True)
class PreventOptional:
    """The optional PREVENT predictors that can be used, and why any given one cannot."""

    uacr_mg_g: float | None
    hba1c_percent: float | None
    sdi_decile: int | None
    problems: list[str]


N = TypeVar("N", float, int)


def _usable(value: N | None, check: Callable[[N], N], problems: list[str]) -> N | None:
    if value is None:
        return None
    try:
        return check(value)
    except InputError as exc:
        problems.append(f"{exc.message}; not used (an invalid optional predictor is dropped, as in preventr)")
        return None


def prevent_optional_predictors(p: Person) -> PreventOptional:
    """The person's UACR, HbA1c and SDI that PREVENT can use, with a note for each given one it cannot.

    As preventr does by default (``optional_strict = FALSE``), an optional predictor outside its valid range is
    dropped with a message and the model is chosen from those left; a required predictor out of range still
    stops the equation.
    """
    problems: list[str] = []
    return PreventOptional(uacr_mg_g=_usable(p.uacr_mg_g, check_uacr, problems),
                           hba1c_percent=_usable(p.hba1c_percent, check_hba1c, problems),
                           sdi_decile=_usable(p.sdi_decile, check_sdi_decile, problems), problems=problems)


EGFR_EQUATION_NAMES = {"ckd_epi_2021": "CKD-EPI 2021", "ckd_epi_2009": "CKD-EPI 2009", "mdrd": "MDRD Study"}
FU_2023 = ("Fu et al., Nephrol Dial Transplant 2023;38:119-128: in 1.6 million Stockholm adults the 2021 equation "
           "read a median 3.9 (IQR 2.9-4.8) mL/min/1.73 m2 higher than the 2009 one")


@dataclass(frozen=True)
class KidneyFunction:
    """The eGFR the equations use, and how it was obtained."""

    egfr: float | None
    note: str | None
    computed: bool = False


def kidney_function(p: Person) -> KidneyFunction:
    """The eGFR for PREVENT and the CKD risk enhancer.

    PREVENT's models are race-free (Khan et al., Circulation 2024;149:430-449); the race-free creatinine equation is
    CKD-EPI 2021 (Inker et al., NEJM 2021), which the NKF-ASN task force recommends for US practice. With serum
    creatinine (and the person's age and sex, always known) eGFR is computed with it; otherwise the eGFR given is used
    and the note names the equation it came from (a 2009 CKD-EPI eGFR without its race coefficient reads lower than
    the 2021 one for the same creatinine, with it higher; MDRD is another equation again).

    >>> round(kidney_function(Person(age=60, sex="male", serum_creatinine_mg_dl=1.0)).egfr or 0, 1)
    86.2
    >>> kidney_function(Person(age=60, sex="male", egfr=80, egfr_equation="ckd_epi_2021")).note is None
    True
    """
    if p.serum_creatinine_mg_dl is not None and p.age >= 18:
        value = ckd_epi_2021(p.serum_creatinine_mg_dl, p.age, p.sex)
        note = (f"eGFR {value:.0f} mL/min/1.73 m2 computed from serum creatinine {p.serum_creatinine_mg_dl:.2f} mg/dL "
                f"with the race-free CKD-EPI 2021 equation ({CKD_EPI_2021_SOURCE})")
        if p.egfr is not None:
            given = EGFR_EQUATION_NAMES.get(p.egfr_equation or "", "equation not recorded")
            note += f"; the eGFR given ({p.egfr:g}, {given}) is not used"
        return KidneyFunction(egfr=value, note=note + ".", computed=True)
    if p.egfr is None:
        return KidneyFunction(egfr=None, note=None)
    if p.egfr_equation == "ckd_epi_2021":
        return KidneyFunction(egfr=p.egfr, note=None)
    if p.egfr_equation == "ckd_epi_2009":
        note = (f"eGFR {p.egfr:g} as reported, by the CKD-EPI 2009 equation (with its race term), not the race-free "
                f"CKD-EPI 2021 one; without its race coefficient the 2009 equation reads lower for the same "
                f"creatinine ({FU_2023}), and with it (applied to Black patients) higher. Give serum "
                "creatinine (serum_creatinine_mg_dl, or LOINC 2160-0/14682-9) to compute CKD-EPI 2021.")
    elif p.egfr_equation == "mdrd":
        note = (f"eGFR {p.egfr:g} as reported, by the MDRD Study equation, not the race-free CKD-EPI 2021 one. Give "
                "serum creatinine (serum_creatinine_mg_dl, or LOINC 2160-0/14682-9) to compute CKD-EPI 2021.")
    else:
        note = (f"eGFR {p.egfr:g} as given; the equation it came from is not recorded (egfr_equation). The race-free "
                "CKD-EPI 2021 equation is the one to use; give serum creatinine to compute it.")
    return KidneyFunction(egfr=p.egfr, note=note)


def _prevent(outcome: str, horizon: int) -> Callable[[Person], RiskEstimate]:
    def run(p: Person) -> RiskEstimate:
        optional = prevent_optional_predictors(p)
        kidney = kidney_function(p)
        estimate = prevent(
            outcome=outcome, horizon_years=horizon, age=p.age, sex=p.sex,  # type: ignore[arg-type]
            total_cholesterol_mg_dl=_need(p.total_cholesterol_mg_dl, "total cholesterol"),
            hdl_mg_dl=_need(p.hdl_mg_dl, "HDL cholesterol"), systolic_bp_mmhg=_need(p.systolic_bp_mmhg, "systolic BP"),
            diabetes=p.diabetes, current_smoker=p.current_smoker,
            egfr=_need(kidney.egfr, "eGFR (or serum creatinine)"),
            on_antihypertensive=p.on_antihypertensive, on_statin=p.on_statin,
            bmi=p.bmi if outcome == "heart_failure" else None, uacr_mg_g=optional.uacr_mg_g,
            hba1c_percent=optional.hba1c_percent, sdi_decile=optional.sdi_decile)
        # 30-year estimates are named apart so they never collide with the 10-year ones (plots, PRS adjustment)
        name = f"{estimate.name} (30-year)" if horizon == 30 else estimate.name
        kidney_notes = [kidney.note] if kidney.note else []
        return replace(estimate, name=name, notes=[*estimate.notes, *kidney_notes, *optional.problems])
    return run


FINDRISC_NOT_FOR_DIABETES = ("known diabetes: FINDRISC estimates the risk of developing type 2 diabetes in people "
                             "who do not have it")
FINDRISC_ANTIHYPERTENSIVE_NOTE = (
    "The item 'ever taken antihypertensive medication regularly' is scored from current use only (not on one now: "
    "0 points); regular use in the past scores 2, so the score may under-score.")


def _findrisc(p: Person) -> RiskEstimate:
    if p.diabetes:
        raise _NotApplicableError(FINDRISC_NOT_FOR_DIABETES)
    estimate = _findrisc_score(p)
    if not p.on_antihypertensive:
        return replace(estimate, notes=[*estimate.notes, FINDRISC_ANTIHYPERTENSIVE_NOTE])
    return estimate


def _findrisc_score(p: Person) -> RiskEstimate:
    return findrisc(
        age=p.age, sex=p.sex, bmi=_need(p.bmi, "BMI"), waist_cm=_need(p.waist_cm, "waist"),
        physically_active_30min_daily=_need(p.physically_active_30min_daily, "physical activity"),
        eats_vegetables_fruit_berries_daily=_need(p.eats_vegetables_fruit_berries_daily, "vegetables and fruit"),
        ever_antihypertensive_medication=p.on_antihypertensive,
        history_of_high_glucose=_need(p.history_of_high_glucose, "history of high glucose"),
        family_history=_need(p.family_history_diabetes, "family history of diabetes"))


T = TypeVar("T")


def _need(value: T | None, what: str) -> T:
    if value is None:
        raise _MissingInputError(what)
    return value


class _MissingInputError(Exception):
    """An input the equation needs is unknown (the equation is skipped, not refused)."""


class _NotApplicableError(Exception):
    """The equation does not apply to this person (skipped with the reason given)."""


EQUATIONS: dict[str, Callable[[Person], RiskEstimate]] = {
    "PCE 10-year ASCVD": _pce,
    "PREVENT 10-year total CVD": _prevent("total_cvd", 10),
    "PREVENT 10-year ASCVD": _prevent("ascvd", 10),
    "PREVENT 10-year heart failure": _prevent("heart_failure", 10),
    # 30-year estimates: ages 30-59 only (PREVENT's 30-year validity range), skipped with the reason otherwise
    "PREVENT 30-year total CVD": _prevent("total_cvd", 30),
    "PREVENT 30-year ASCVD": _prevent("ascvd", 30),
    "PREVENT 30-year heart failure": _prevent("heart_failure", 30),
    "FINDRISC type 2 diabetes": _findrisc,
}


FIRST_EVENT_EQUATIONS = tuple(name for name in EQUATIONS if name != "FINDRISC type 2 diabetes")
"""The cardiovascular equations: each estimates a *first* event in people without cardiovascular disease."""

PCE_NOT_FOR_ASCVD = (
    "clinical ASCVD: the Pooled Cohort Equations estimate the risk of a first hard ASCVD event in adults 40-79 "
    "without it (Goff et al., Circulation 2014;129(25 Suppl 2):S49-S73), so they do not describe this person's risk; "
    "secondary prevention does not use a risk estimate to decide on a statin (Grundy et al. 2019, section 4.1)")
PREVENT_NOT_FOR_ASCVD = (
    "clinical ASCVD: PREVENT estimates first cardiovascular events in adults 30-79 without known cardiovascular "
    "disease (Khan et al., Circulation 2024;149:430-449), so it does not describe this person's risk")
SECONDARY_PREVENTION_NOTES = (
    "The risk-lowering what-ifs (stop smoking, blood pressure, statin) recompute first-event equations and are not "
    "shown for a person with clinical ASCVD; smoking cessation and blood-pressure control remain part of secondary "
    "prevention.",
)


def assess(person: Person) -> Assessment:
    """Every equation the data allow (validity ranges enforced by the equations), what-ifs and advice.

    With clinical ASCVD (``person.clinical_ascvd``) the first-event equations (PCE, PREVENT) are not run: they are
    listed as not computed with the reason, and no what-if or polygenic adjustment rests on them."""
    estimates: dict[str, RiskEstimate] = {}
    skipped: dict[str, str] = {}
    for name, equation in EQUATIONS.items():
        if person.clinical_ascvd and name in FIRST_EVENT_EQUATIONS:
            skipped[name] = PCE_NOT_FOR_ASCVD if name.startswith("PCE") else PREVENT_NOT_FOR_ASCVD
            continue
        try:
            estimates[name] = equation(person)
        except _MissingInputError as missing:
            skipped[name] = f"needs {missing}"
        except _NotApplicableError as reason:
            skipped[name] = str(reason)
        except InputError as exc:
            skipped[name] = exc.message
    what_ifs = [w for name in estimates for w in _what_ifs(name, person, estimates[name])]
    # Ranked by absolute risk reduction within a horizon (10-year first): 30-year reductions are larger by
    # construction and would otherwise push every 10-year one down the list.
    what_ifs.sort(key=lambda w: (estimates[w.estimate].horizon_years, -w.absolute_risk_reduction))
    return Assessment(estimates=list(estimates.values()), what_ifs=what_ifs, advice=_advice(person, estimates),
                      skipped=skipped, keyed=dict(estimates))


def _what_ifs(name: str, person: Person, baseline: RiskEstimate) -> list[WhatIf]:
    changes: list[tuple[str, Person, float, str]] = []
    cardiovascular = name != "FINDRISC type 2 diabetes"
    if person.current_smoker and cardiovascular:
        changes.append(("stop smoking", replace(person, current_smoker=False), 1.0, "the same equation"))
    if person.systolic_bp_mmhg is not None and person.systolic_bp_mmhg > BP_TARGET_MMHG and cardiovascular:
        # Modelled as reached with treatment: on an antihypertensive at 130 (the equations' treated-SBP terms)
        label = f"systolic BP to {BP_TARGET_MMHG:.0f} mm Hg" + (
            "" if person.on_antihypertensive else " with antihypertensive treatment")
        changes.append((label, replace(person, systolic_bp_mmhg=BP_TARGET_MMHG, on_antihypertensive=True), 1.0,
                        "modelled as treated (on an antihypertensive at 130 mm Hg); target <130/80: Whelton et al., "
                        "Hypertension 2018 (ACC/AHA)"))
    if name == "FINDRISC type 2 diabetes" and person.bmi is not None and person.bmi >= 25:
        changes.append(("weight to BMI 24.9", replace(person, bmi=24.9), 1.0, "the same score"))
    # The CTT relative risk is for major (atherosclerotic) vascular events over about five years of treatment:
    # applied to 10-year ASCVD estimates only, not extrapolated to 30 years.
    ten_year_ascvd = name.endswith("ASCVD") and baseline.horizon_years == 10
    if person.ldl_mg_dl is not None and not person.on_statin and ten_year_ascvd:
        lowered = person.ldl_mg_dl * HIGH_INTENSITY_LDL_REDUCTION / MG_DL_PER_MMOL_L
        changes.append(("high-intensity statin (LDL-C -50%)", person, CTT_RR_PER_MMOL_L**lowered,
                        "CTT Collaboration, Lancet 2010 (RR 0.78 per mmol/L LDL-C); Grundy et al., "
                        "Circulation 2019 (high intensity lowers LDL-C >=50%)"))
    found = []
    for change, changed, relative_risk, source in changes:
        try:
            recomputed = EQUATIONS[name](changed)
        except (_MissingInputError, _NotApplicableError, InputError):
            continue  # the changed profile falls outside the equation's validity range
        if change.startswith("systolic BP") and recomputed.risk >= baseline.risk:
            continue  # treated 130 carries at least the untreated risk in this equation: not a way to lower it
        if baseline.points is not None and recomputed.points is not None:  # a points score: show the points move
            band = " (the same risk band)" if recomputed.risk == baseline.risk else ""
            source = f"{source}: {baseline.points} -> {recomputed.points} points{band}"
        found.append(WhatIf(change=change, estimate=name, baseline=baseline.risk, after=recomputed.risk * relative_risk,
                            source=source, horizon_years=baseline.horizon_years, estimate_name=baseline.name))
    return found


ACC_AHA_2019 = "ACC/AHA primary prevention guideline, Arnett et al., Circulation 2019;140:e596-e646"
ACC_AHA_2018_CHOLESTEROL = "ACC/AHA cholesterol guideline, Grundy et al., Circulation 2019;139:e1082-e1143"


def risk_enhancers(person: Person) -> list[str]:
    """The ACC/AHA risk-enhancing factors present (Grundy et al. 2019, Table 6; Arnett et al. 2019).

    Each is checked only when the person file gives it: family history of premature ASCVD (men <55, women
    <65 years), LDL-C >=160 mg/dL, chronic kidney disease (eGFR 15-59), metabolic syndrome, preeclampsia or
    premature menopause, chronic inflammatory disease (e.g. rheumatoid arthritis, psoriasis, HIV), South Asian
    ancestry, triglycerides >=175 mg/dL, hs-CRP >=2 mg/L, Lp(a) >=50 mg/dL or >=125 nmol/L, apoB >=130 mg/dL,
    ankle-brachial index <0.9.
    """
    egfr = kidney_function(person).egfr
    checks: list[tuple[bool | None, str]] = [
        (person.family_history_premature_ascvd, "family history of premature ASCVD"),
        (None if person.ldl_mg_dl is None else person.ldl_mg_dl >= 160, "LDL-C >= 160 mg/dL"),
        (None if egfr is None else 15 <= egfr < 60, "chronic kidney disease (eGFR 15-59)"),
        (person.metabolic_syndrome, "metabolic syndrome"),
        (person.preeclampsia_or_premature_menopause, "history of preeclampsia or premature menopause"),
        (person.chronic_inflammatory_disease, "chronic inflammatory disease"),
        (person.south_asian_ancestry, "South Asian ancestry"),
        (None if person.triglycerides_mg_dl is None else person.triglycerides_mg_dl >= 175,
         "triglycerides >= 175 mg/dL"),
        (None if person.hs_crp_mg_l is None else person.hs_crp_mg_l >= 2.0, "hs-CRP >= 2 mg/L"),
        (None if person.lpa_mg_dl is None and person.lpa_nmol_l is None else
         (person.lpa_mg_dl or 0) >= 50 or (person.lpa_nmol_l or 0) >= 125, "Lp(a) >= 50 mg/dL (125 nmol/L)"),
        (None if person.apob_mg_dl is None else person.apob_mg_dl >= 130, "apoB >= 130 mg/dL"),
        (None if person.ankle_brachial_index is None else person.ankle_brachial_index < 0.9,
         "ankle-brachial index < 0.9"),
    ]
    return [label for present, label in checks if present]


def _calcium_advice(person: Person) -> Advice | None:
    """Coronary calcium to refine a borderline/intermediate decision (Grundy et al. 2019, section 4.4.2)."""
    cac = person.coronary_artery_calcium
    if cac is None:
        return None
    if cac == 0:
        text = ("CAC 0: reasonable to withhold or defer a statin and reassess in 5-10 years, unless diabetes, "
                "current smoking or a family history of premature ASCVD is present.")
    elif cac < 100:
        text = (f"CAC {cac:g} (1-99): starting a statin is reasonable" +
                (" (age 55 or over)." if person.age >= 55 else "; the guideline's support is for age 55 and over."))
    else:
        text = f"CAC {cac:g} (>= 100): starting a statin is reasonable."
    return Advice("coronary artery calcium", text, ACC_AHA_2018_CHOLESTEROL)


StatinBenefitGroup = Literal["clinical ASCVD", "already on a statin", "older than 75", "LDL-C >= 190 mg/dL",
                             "diabetes, age 40-75", "diabetes, age 20-39", "primary prevention, age 40-75", "none"]

SEVERE_LDL_MG_DL = 190.0

GROUP_ADVICE: dict[str, str] = {
    "already on a statin": (
        "Already taking a statin: the 10-year estimate describes risk on treatment (the treated cholesterol is the "
        "input), so the risk bands for deciding whether to start one do not apply; no advice to start a statin is "
        "given. Review adherence and the LDL-C response with the clinician (the guideline checks it 4-12 weeks "
        "after starting or changing the dose; Grundy et al. 2019, section 4.4.3)."),
    "older than 75": (
        "Age over 75 without clinical ASCVD: the guideline advises a clinician-patient discussion of the potential "
        "benefit and harms, other conditions and preferences before starting a statin; with LDL-C 70-189 mg/dL a "
        "moderate-intensity statin may be reasonable (COR IIb) (Grundy et al. 2019, section 4.4.4, older adults). "
        "The 40-75 risk bands are not used."),
    "LDL-C >= 190 mg/dL": (
        "LDL-C >= 190 mg/dL (severe hypercholesterolaemia): a high-intensity statin (or the maximally tolerated "
        "one) is recommended without calculating 10-year risk (COR I); look for secondary causes and consider "
        "familial hypercholesterolaemia (Grundy et al. 2019, section 4.2)."),
    "diabetes, age 40-75": (
        "Diabetes, age 40-75: at least a moderate-intensity statin is indicated regardless of the 10-year risk "
        "(COR I); with multiple ASCVD risk factors a high-intensity statin aiming to lower LDL-C by 50% or more is "
        "reasonable (COR IIa) (Grundy et al. 2019, section 4.3)."),
}
"""The statement for each statin-benefit group that is not decided by the risk bands (our wording)."""


def statin_benefit_group(person: Person) -> StatinBenefitGroup:
    """The ACC/AHA 2018 cholesterol guideline's statin-benefit group, checked before any risk band (Grundy et al.,
    Circulation 2019, sections 4.1-4.4):

    * clinical ASCVD (section 4.1, ``clinical_ascvd: true``): secondary prevention, whatever else applies; every
      other group is primary prevention and assumes no clinical ASCVD (said so when the field is not recorded);

    * already on a statin: the bands decide whether to *start* one, so they do not apply;
    * older than 75 (section 4.4.4, older adults): a clinician-patient discussion;
    * LDL-C >= 190 mg/dL at 20-75 (section 4.2, COR I): high-intensity statin, no risk calculation;
    * diabetes at 40-75 (section 4.3, COR I): at least moderate intensity, whatever the risk;
    * diabetes at 20-39 (section 4.3, COR IIb): a statin may be reasonable with diabetes-specific risk enhancers;
    * otherwise 40-75: the 10-year risk bands (section 4.4.2; Arnett et al. 2019);
    * "none" below 40 without diabetes (below 20 with LDL-C >= 190): no statin rule here.
    """
    if person.clinical_ascvd:
        return "clinical ASCVD"
    if person.on_statin:
        return "already on a statin"
    if person.age > 75:
        return "older than 75"
    if person.ldl_mg_dl is not None and person.ldl_mg_dl >= SEVERE_LDL_MG_DL and person.age >= 20:
        return "LDL-C >= 190 mg/dL"
    if person.age < 40:
        return "diabetes, age 20-39" if person.diabetes and person.age >= 20 else "none"
    if person.diabetes:
        return "diabetes, age 40-75"
    return "primary prevention, age 40-75"


_WHY_NO_BAND = {
    "already on a statin": "estimated on treatment; the bands for starting a statin do not apply",
    "older than 75": "the 40-75 risk bands are not used over 75",
    "LDL-C >= 190 mg/dL": "not needed to decide on a statin at LDL-C >= 190 mg/dL",
    "diabetes, age 40-75": "with diabetes it can guide the statin's intensity (COR IIa), not whether to start one",
}


SECONDARY_PREVENTION_SOURCE = f"{ACC_AHA_2018_CHOLESTEROL}, section 4.1"
VERY_HIGH_RISK = ("very high risk means several major ASCVD events (acute coronary syndrome within the past 12 months, "
                  "an earlier myocardial infarction, ischaemic stroke, symptomatic peripheral artery disease) or one "
                  "such event with several high-risk conditions (age 65 or over, heterozygous familial "
                  "hypercholesterolaemia, CABG or PCI outside the major event(s), diabetes, hypertension, chronic "
                  "kidney disease with eGFR 15-59, current smoking, LDL-C persistently >= 100 mg/dL despite a "
                  "maximally tolerated statin and ezetimibe, heart failure; Grundy et al. 2019, table 4)")


SECONDARY_PREVENTION_2026 = (
    "Check against the 2026 ACC/AHA dyslipidemia guideline, which replaces the 2018 one and is not yet curated here: "
    "summaries of it agree that it sets LDL-C goals in secondary prevention (< 55 mg/dL at very high risk, < 70 mg/dL "
    "otherwise), with ezetimibe, a PCSK9 antibody or other non-statin therapy added to reach them.")


def secondary_prevention_advice(person: Person) -> list[Advice]:
    """The 2018 AHA/ACC cholesterol guideline's advice for clinical ASCVD (Grundy et al., Circulation 2019, section
    4.1; wording ours):

    * 75 or younger: a high-intensity statin (or the maximally tolerated one) aiming to lower LDL-C by 50% or more
      (COR I); moderate intensity when high intensity is not tolerated (COR I);
    * older than 75: starting a moderate- or high-intensity statin is reasonable after weighing benefit, adverse
      effects, interactions, frailty and preferences (COR IIa); continuing a tolerated high-intensity one is
      reasonable (COR IIa);
    * LDL-C >= 70 mg/dL on a maximally tolerated statin: adding ezetimibe is reasonable at very high risk (COR IIa);
      at 75 or younger and not at very high risk it may be reasonable (COR IIb; the guideline's figure 1 gives this
      step in the 75-or-younger branch only). Whether the person is at very high risk is not recorded, so both are
      stated; with LDL-C not given, the step is described, not advised.
    """
    if person.age <= 75:
        statin = ("Clinical ASCVD, age 75 or younger: a high-intensity statin (or the maximally tolerated one), aiming "
                  "to lower LDL-C by 50% or more (COR I); if high intensity is not tolerated, a moderate-intensity "
                  "statin (COR I).")
    else:
        statin = ("Clinical ASCVD, older than 75: starting a moderate- or high-intensity statin is reasonable after "
                  "weighing the expected risk reduction against adverse effects, drug interactions, frailty and the "
                  "person's preferences (COR IIa); a high-intensity statin that is tolerated can reasonably be "
                  "continued (COR IIa).")
    if person.on_statin:
        statin += (" Already on a statin: check that its intensity matches this and review the LDL-C response (4-12 "
                   "weeks after starting or changing the dose).")
    found = [Advice("secondary prevention", statin, SECONDARY_PREVENTION_SOURCE)]
    otherwise = " and, at 75 or younger, may be reasonable otherwise (COR IIb)" if person.age <= 75 else ""
    ezetimibe = ("If LDL-C stays >= 70 mg/dL on a maximally tolerated statin, adding ezetimibe is reasonable at very "
                 f"high risk (COR IIa){otherwise}; {VERY_HIGH_RISK}. Whether this person is at very high risk is not "
                 "recorded.")
    ldl = person.ldl_mg_dl
    if ldl is not None and ldl >= 70 and person.on_statin:
        text = f"LDL-C {ldl:.0f} mg/dL on a statin. " + ezetimibe
    elif ldl is None or ldl >= 70:
        text = ("LDL-C is not given. " if ldl is None else "") + ezetimibe
    else:
        text = (f"LDL-C {ldl:.0f} mg/dL: below the 70 mg/dL at which the 2018 guideline adds ezetimibe to a maximally "
                "tolerated statin.")
    found.append(Advice("secondary prevention: LDL-C", f"{text} {SECONDARY_PREVENTION_2026}",
                        SECONDARY_PREVENTION_SOURCE))
    return found


CONFIRM_ASCVD = (
    "The record lists condition(s) that may be clinical ASCVD but that TailorMed does not take as established (code "
    "not recognised, or not confirmed): {entries}. If any is a myocardial infarction, acute coronary syndrome, angina, "
    "coronary or other arterial revascularisation, stroke or TIA of atherosclerotic origin, or symptomatic peripheral "
    "artery disease (including aortic aneurysm), set "
    "clinical_ascvd: true in the person file: secondary-prevention advice (a high-intensity statin at 75 or younger) "
    "then applies and the first-event estimates below do not. The estimates and statin advice below are for primary "
    "prevention and are valid only if none of them is.")

ASSUMED_NO_ASCVD = (
    "Clinical ASCVD is not recorded: the statin advice below is for primary prevention and assumes the person has "
    "had no myocardial infarction or acute coronary syndrome, angina, coronary or other arterial revascularisation, "
    "stroke or TIA, and has no symptomatic peripheral artery disease (including aortic aneurysm). If they have, set "
    "clinical_ascvd: true in the person file: secondary-prevention advice then applies and the first-event estimates "
    "do not.")


LIPID_GUIDELINE_STATUS = (
    "Which guideline: the lipid and statin advice follows the 2018 AHA/ACC multisociety cholesterol guideline (Grundy "
    "et al., Circulation 2019) and the 2019 ACC/AHA primary-prevention guideline. The 2026 ACC/AHA multisociety "
    "guideline on the management of dyslipidemia (Blumenthal, Morris et al., Circulation 2026; "
    "doi:10.1161/CIR.0000000000001423) replaces the 2018 guideline, with PREVENT-ASCVD risk categories and LDL-C "
    "goals; its recommendations are not yet curated here (docs/risk.md), so check the statin advice against it.")
"""Shown with every risk result: the advice's guideline has been replaced, and which parts of the new one we have
not curated (docs/risk.md, "Which guideline")."""


def prevention_setting(clinical_ascvd: bool | None, source: str | None = None,
                       to_confirm: str | None = None) -> dict[str, object]:
    """What the advice assumes about clinical ASCVD, for the report's first lines; ``to_confirm`` lists record
    entries that may be clinical ASCVD but were not recognised by code (then nothing is "assumed absent").

    >>> prevention_setting(None)["setting"]
    'primary prevention (clinical ASCVD not recorded; assumed absent)'
    >>> prevention_setting(None, to_confirm="Old myocardial infarction (SNOMED CT 1, b.json:entry[0])")["setting"]
    'clinical ASCVD to confirm: the record lists possible clinical ASCVD'
    """
    if not clinical_ascvd and clinical_ascvd is not False and to_confirm:
        return {"clinical_ascvd": None, "setting": "clinical ASCVD to confirm: the record lists possible clinical "
                "ASCVD", "statement": CONFIRM_ASCVD.format(entries=to_confirm), "notes": [], "to_confirm": to_confirm,
                "guideline_status": LIPID_GUIDELINE_STATUS}
    if clinical_ascvd:
        setting = "secondary prevention (clinical ASCVD)"
        statement = ("Clinical ASCVD is recorded" + (f" ({source})" if source else "") + ": the first-event risk "
                     "equations (Pooled Cohort Equations, PREVENT) do not apply and are not shown; the statin advice "
                     "is the 2018 AHA/ACC cholesterol guideline's secondary prevention (Grundy et al. 2019, section "
                     "4.1).")
        notes = list(SECONDARY_PREVENTION_NOTES)
    elif clinical_ascvd is False:
        setting = "primary prevention (no clinical ASCVD)"
        statement = "No clinical ASCVD is recorded (clinical_ascvd: false): the advice is for primary prevention."
        notes = []
    else:
        setting = "primary prevention (clinical ASCVD not recorded; assumed absent)"
        statement = ASSUMED_NO_ASCVD
        notes = []
    return {"clinical_ascvd": clinical_ascvd, "setting": setting, "statement": statement, "notes": notes,
            "guideline_status": LIPID_GUIDELINE_STATUS}


def diabetes_young_adult_advice(person: Person) -> Advice:
    """Adults 20-39 with diabetes (Grundy et al. 2019, section 4.3, recommendation 7, COR IIb, LOE C-LD): with
    diabetes of long duration (>= 10 years type 2, >= 20 years type 1), albuminuria (>= 30 mg/g creatinine), eGFR
    < 60, retinopathy, neuropathy or ankle-brachial index < 0.9, starting a statin may be reasonable. Each enhancer
    is checked only when the person file gives what it needs; the unknown ones are named, never assumed absent."""
    present: list[str] = []
    unknown: list[str] = []

    def check(value: bool | None, label: str) -> None:
        (unknown if value is None else present if value else []).append(label)

    duration, kind = person.diabetes_duration_years, person.diabetes_type
    threshold = {"type_1": 20, "type_2": 10}.get(kind or "")
    if duration is None or threshold is None:
        long_duration = None
        if duration is not None and duration >= 20:
            long_duration = True  # long whichever the type
        elif duration is not None and duration < 10:
            long_duration = False  # short whichever the type
    else:
        long_duration = duration >= threshold
    check(long_duration, "long duration (>= 10 years type 2, >= 20 years type 1)")
    check(None if person.uacr_mg_g is None else person.uacr_mg_g >= 30, "albuminuria (UACR >= 30 mg/g)")
    egfr = kidney_function(person).egfr
    check(None if egfr is None else egfr < 60, "eGFR < 60")
    check(person.diabetic_retinopathy, "retinopathy")
    check(person.diabetic_neuropathy, "neuropathy")
    check(None if person.ankle_brachial_index is None else person.ankle_brachial_index < 0.9,
          "ankle-brachial index < 0.9")
    rule = ("for adults 20-39 with diabetes and a diabetes-specific risk enhancer, starting a statin may be reasonable "
            "(COR IIb)")
    if present:
        text = f"Diabetes, age {person.age:g}, with {'; '.join(present)}: {rule}."
    else:
        text = f"Diabetes, age {person.age:g}: {rule}; none of these enhancers is recorded as present."
    if unknown:
        text += f" Not known: {'; '.join(unknown)}."
    if person.sex == "female":
        text += (" A woman who could become pregnant and takes a statin should use reliable contraception (the same "
                 "guideline).")
    return Advice("statin benefit group", text, f"{ACC_AHA_2018_CHOLESTEROL}, section 4.3")


def _advice(person: Person, estimates: dict[str, RiskEstimate]) -> list[Advice]:
    advice = []
    group = statin_benefit_group(person)
    if group == "clinical ASCVD":
        return secondary_prevention_advice(person) + cancer_screening(person) + _diabetes_screening(estimates)
    if person.clinical_ascvd is None and group != "none":
        advice.append(Advice("prevention setting", ASSUMED_NO_ASCVD, ACC_AHA_2018_CHOLESTEROL))
    if group == "diabetes, age 20-39":
        advice.append(diabetes_young_adult_advice(person))
    if group in GROUP_ADVICE:
        advice.append(Advice("statin benefit group", GROUP_ADVICE[group], ACC_AHA_2018_CHOLESTEROL))
    pce = estimates.get("PCE 10-year ASCVD")
    if pce is not None and group in _WHY_NO_BAND:
        advice.append(Advice("10-year ASCVD risk", f"{pce.risk:.1%} 10-year ASCVD risk (PCE); {_WHY_NO_BAND[group]}.",
                             ACC_AHA_2018_CHOLESTEROL))
    if pce is not None and group == "primary prevention, age 40-75":
        advice += _risk_band_advice(person, pce.risk)
    # USPSTF 2022: adults 40-75 without CVD, with LDL-C < 190 mg/dL and no familial hypercholesterolaemia, not on a
    # statin; diabetes is one of its risk factors
    if pce is not None and group in ("primary prevention, age 40-75", "diabetes, age 40-75"):
        risk = pce.risk
        risk_factor = person.diabetes or person.current_smoker or person.on_antihypertensive or (
            person.systolic_bp_mmhg is not None and person.systolic_bp_mmhg >= 130) or (
            person.ldl_mg_dl is not None and person.ldl_mg_dl > 130) or (
            person.hdl_mg_dl is not None and person.hdl_mg_dl < 40)
        if risk_factor and risk >= 0.075:
            grade = "B: offer a statin" if risk >= 0.10 else "C: selectively offer a statin, by preference"
            advice.append(Advice("statin", f"Age {person.age:g}, at least one CVD risk factor, 10-year risk "
                                 f"{risk:.1%}: USPSTF grade {grade}.", "USPSTF, JAMA 2022;328(8):746-753"))
    advice += cancer_screening(person)
    return advice + _diabetes_screening(estimates)


def _diabetes_screening(estimates: dict[str, RiskEstimate]) -> list[Advice]:
    diabetes = estimates.get("FINDRISC type 2 diabetes")
    if diabetes is not None and diabetes.points is not None and diabetes.points >= 15:
        return [Advice("diabetes", f"FINDRISC {diabetes.points} points ({diabetes.category}): test for diabetes "
                       "(fasting glucose or HbA1c) and offer a lifestyle intervention.",
                       "Lindström & Tuomilehto, Diabetes Care 2003")]
    return []


def _risk_band_advice(person: Person, risk: float) -> list[Advice]:
    """The ACC/AHA 2019 band of a primary-prevention 10-year PCE risk at 40-75, with enhancers and calcium."""
    category = "low" if risk < 0.05 else "borderline" if risk < 0.075 else "intermediate" if risk < 0.20 else "high"
    statements = {
        "low": "Low 10-year ASCVD risk: emphasise healthy lifestyle; no statin on risk grounds alone.",
        "borderline": "Borderline risk: if risk enhancers are present, discuss a moderate-intensity statin.",
        "intermediate": "Intermediate risk: discuss a moderate-intensity statin (aim LDL-C -30% or more); "
                        "risk enhancers or a coronary calcium score can refine the decision.",
        "high": "High risk: start a high-intensity statin aiming to lower LDL-C by 50% or more.",
    }
    scope = ""
    if person.ldl_mg_dl is None:
        scope = " The bands are for LDL-C 70-189 mg/dL; LDL-C is not given, so that is assumed."
    elif person.ldl_mg_dl < 70:
        scope = f" The bands are for LDL-C 70-189 mg/dL; at {person.ldl_mg_dl:g} mg/dL they are outside their scope."
    found = [Advice("ASCVD risk category", f"{risk:.1%} 10-year ASCVD risk ({category}). " + statements[category]
                    + scope, ACC_AHA_2019)]
    if category in ("borderline", "intermediate"):
        enhancers = risk_enhancers(person)
        if enhancers:
            found.append(Advice("risk enhancers", f"Risk-enhancing factors present ({'; '.join(enhancers)}): they "
                                "favour starting or intensifying statin therapy.", ACC_AHA_2018_CHOLESTEROL))
        calcium = _calcium_advice(person)
        if calcium is not None:
            found.append(calcium)
    return found


POLYGENIC_OUTCOMES: dict[str, tuple[str, ...]] = {
    "ascvd": ("PCE 10-year ASCVD", "PREVENT 10-year ASCVD"),
    "total_cvd": ("PREVENT 10-year total CVD",),
    "heart_failure": ("PREVENT 10-year heart failure",),
}
"""The outcome a score's hazard ratio was estimated for -> the 10-year estimates (keys of :data:`EQUATIONS`) it may
adjust. Published hazard ratios per SD come from about 10 years' follow-up: 30-year estimates are never adjusted.
"ascvd" (the default) takes a coronary (CHD/CAD) or ASCVD hazard ratio, the kind usually published; PCE's outcome
is hard ASCVD (coronary death, myocardial infarction, stroke)."""


def check_polygenic_outcome(outcome: str, source: str | None = None) -> None:
    """Refuse an outcome :data:`POLYGENIC_OUTCOMES` does not know (an :class:`InputError` naming the known ones)."""
    if outcome not in POLYGENIC_OUTCOMES:
        raise InputError(f"the polygenic score's outcome must be one of {', '.join(POLYGENIC_OUTCOMES)}, got "
                         f"{outcome!r}", source=source)


def with_polygenic_score(estimate: RiskEstimate, z: float, hazard_ratio_per_sd: float, source: str) -> float:
    """The estimate adjusted by a polygenic score, under proportional hazards:
    ``1 - (1 - risk) ** (HR ** z / exp(ln(HR) ** 2 / 2))``, where ``HR`` is the score's published (or
    user-calibrated) hazard ratio per standard deviation and ``z`` the person's score in SD of the reference
    population.

    The clinical estimate is the risk averaged over everyone with the same clinical profile, whatever their score
    (the score assumed independent of the equation's inputs). Its hazard therefore corresponds to the *mean*
    multiplier ``E[HR ** Z] = exp(ln(HR) ** 2 / 2)`` for ``Z ~ N(0, 1)`` (the mean of a log-normal), not to
    ``HR ** 0 = 1``; dividing by that mean keeps the population's average hazard unchanged, as polygenic risk models
    do when they scale the relative risk to mean 1 (Pharoah et al., Nat Genet 2002;31:33-36). A person at z = 0 is
    therefore slightly below the clinical estimate.
    """
    if not (hazard_ratio_per_sd > 0 and math.isfinite(hazard_ratio_per_sd)) or not math.isfinite(z):
        raise InputError(f"hazard ratio per SD must be positive and z finite (got {hazard_ratio_per_sd}, {z})",
                         source=source)
    log_hr = math.log(hazard_ratio_per_sd)
    multiplier = math.exp(log_hr * z - log_hr**2 / 2)
    return float(1.0 - (1.0 - estimate.risk) ** multiplier)


def polygenic_estimates(assessment: Assessment, z: float, hazard_ratio_per_sd: float, outcome: str,
                        source: str) -> dict[str, float]:
    """Estimate name -> the estimate adjusted by the score, for the 10-year estimates of ``outcome`` only
    (:data:`POLYGENIC_OUTCOMES`; another outcome is an :class:`InputError`)."""
    check_polygenic_outcome(outcome, source)
    return {estimate.name: with_polygenic_score(estimate, z, hazard_ratio_per_sd, source)
            for key, estimate in assessment.keyed.items() if key in POLYGENIC_OUTCOMES[outcome]}


def cancer_screening(person: Person) -> list[Advice]:
    """USPSTF average-risk cancer screening by age and sex (sex assigned at birth).

    Colorectal (JAMA 2021;325:1965-1977): 45-49 grade B, 50-75 grade A. Breast (JAMA 2024;331:1918-1930):
    biennial mammography 40-74, grade B. Cervical (JAMA 2018;320:674-686): 21-29 cytology every 3 years,
    30-65 cytology every 3 years, hrHPV every 5 years or co-testing every 5 years, grade A. Lung (JAMA
    2021;325:962-970): annual low-dose CT 50-80 with >=20 pack-years who smoke or quit within 15 years,
    grade B. Prostate (JAMA 2018;319:1901-1913): PSA screening an individual decision at 55-69 (grade C).
    """
    age, found = person.age, []
    if 45 <= age <= 75:
        found.append(Advice("colorectal cancer screening", f"Age {age:g}: screen for colorectal cancer (stool test "
                            "or colonoscopy schedule); grade " + ("A." if age >= 50 else "B."),
                            "USPSTF, JAMA 2021;325(19):1965-1977"))
    if person.sex == "female" and 40 <= age <= 74:
        found.append(Advice("breast cancer screening", "Biennial screening mammography (grade B).",
                            "USPSTF, JAMA 2024;331(22):1918-1930"))
    if person.sex == "female" and 21 <= age <= 65:
        how = ("cervical cytology every 3 years" if age < 30 else
               "cytology every 3 years, hrHPV testing every 5 years, or co-testing every 5 years")
        found.append(Advice("cervical cancer screening", f"Screen with {how} (grade A).",
                            "USPSTF, JAMA 2018;320(7):674-686"))
    found += _lung_screening(person)
    if person.sex == "male" and 55 <= age <= 69:
        found.append(Advice("prostate cancer screening", "Discuss PSA-based screening; an individual decision "
                            "(grade C).", "USPSTF, JAMA 2018;319(18):1901-1913"))
    return found


LUNG_SOURCE = "USPSTF, JAMA 2021;325(10):962-970"


def _lung_screening(person: Person) -> list[Advice]:
    """USPSTF 2021 lung cancer screening (grade B): 50-80 years, >= 20 pack-years, and smoking now or quit within
    the past 15 years (quit 0 years ago counts as recent). With pack-years unknown, a recent smoker is told what is
    missing instead of being advised; someone who quit more than 15 years ago is not eligible whatever the
    pack-years."""
    quit_years = person.years_since_quit_smoking
    if not 50 <= person.age <= 80 or not (person.current_smoker or quit_years is not None):
        return []
    recent = person.current_smoker or (quit_years is not None and quit_years <= 15)
    if not recent:
        return []
    status = "smokes now" if person.current_smoker else f"quit {quit_years:g} years ago"
    if person.pack_years is None:
        return [Advice("lung cancer screening", f"Age {person.age:g}, {status}: eligibility for annual low-dose CT "
                       "depends on a smoking history of at least 20 pack-years, which is not recorded; record "
                       "pack-years to decide (grade B criteria).", LUNG_SOURCE)]
    if person.pack_years >= 20:
        return [Advice("lung cancer screening", f"Age {person.age:g}, {person.pack_years:g} pack-years, {status}: "
                       "annual low-dose CT (grade B).", LUNG_SOURCE)]
    return []
