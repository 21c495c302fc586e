"""The three clinical gaps of the risk engine's review: clinical ASCVD (secondary prevention), eGFR by equation for
PREVENT (CKD-EPI 2021 from creatinine), and adults 20-39 with diabetes (Grundy et al. 2019, sections 4.1 and 4.3)."""

import json
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tailormed.cli import app
from tailormed.errors import InputError
from tailormed.io.fhir_observations import read_fhir_observations
from tailormed.io.risk_profile import read_person
from tailormed.model.risk import person_from_values
from tailormed.report.risk import render_risk_html
from tailormed.risk.assessment import (
    FIRST_EVENT_EQUATIONS,
    Person,
    assess,
    kidney_function,
    statin_benefit_group,
)
from tailormed.risk.equations import ckd_epi_2021, prevent

# A 50-year-old non-smoking woman with good lipids and blood pressure: 'low' by the PCE bands (primary prevention
# would say no statin on risk grounds alone).
LOW_RISK_50F = Person(age=50, sex="female", total_cholesterol_mg_dl=170, hdl_mg_dl=65, ldl_mg_dl=85,
                      systolic_bp_mmhg=112, egfr=95, bmi=24)


def _texts(person: Person) -> str:
    return " | ".join(f"{a.topic}: {a.statement} [{a.source}]" for a in assess(person).advice)


# ------------------------------------------------------------------------------------------- clinical ASCVD


def test_low_primary_prevention_band_is_what_the_person_gets_without_clinical_ascvd() -> None:
    assert "no statin on risk grounds alone" in _texts(LOW_RISK_50F)


def test_clinical_ascvd_gets_secondary_prevention_not_first_event_estimates() -> None:
    person = replace(LOW_RISK_50F, clinical_ascvd=True, current_smoker=True, systolic_bp_mmhg=150)
    result = assess(person)
    assert statin_benefit_group(person) == "clinical ASCVD"
    assert not [e for e in result.estimates if e.name.startswith(("Pooled", "PREVENT"))]
    assert set(FIRST_EVENT_EQUATIONS) <= set(result.skipped)
    assert "clinical ASCVD" in result.skipped["PCE 10-year ASCVD"] and "Goff" in result.skipped["PCE 10-year ASCVD"]
    assert "without known cardiovascular disease" in result.skipped["PREVENT 10-year ASCVD"]
    assert result.what_ifs == []  # no blood-pressure or smoking what-if on a first-event equation
    text = _texts(person)
    assert "no statin on risk grounds alone" not in text and "USPSTF, JAMA 2022" not in text
    assert "high-intensity statin" in text and "50% or more (COR I)" in text and "section 4.1" in text


def test_clinical_ascvd_over_75_and_the_ezetimibe_step() -> None:
    older = replace(LOW_RISK_50F, age=80, clinical_ascvd=True)
    assert "older than 75" in _texts(older) and "(COR IIa)" in _texts(older)
    assert "(COR IIb)" not in _texts(older)  # the not-very-high-risk ezetimibe step is the 75-or-younger branch
    on_statin = replace(LOW_RISK_50F, age=60, clinical_ascvd=True, on_statin=True, ldl_mg_dl=92)
    text = _texts(on_statin)
    assert "LDL-C 92 mg/dL on a statin" in text and "ezetimibe is reasonable at very high risk (COR IIa)" in text
    assert "may be reasonable otherwise (COR IIb)" in text
    below_70 = _texts(replace(on_statin, ldl_mg_dl=60))
    assert "ezetimibe is reasonable" not in below_70 and "below the 70 mg/dL" in below_70
    # the 2026 guideline's secondary-prevention goals are put as a check, at any LDL-C (60 is above its < 55)
    assert "< 55 mg/dL at very high risk" in below_70 and "not yet curated" in below_70


def test_unrecorded_clinical_ascvd_is_said_to_be_assumed_absent() -> None:
    assumed = [a for a in assess(LOW_RISK_50F).advice if a.topic == "prevention setting"]
    assert len(assumed) == 1 and "assumes" in assumed[0].statement and "clinical_ascvd: true" in assumed[0].statement
    recorded = assess(replace(LOW_RISK_50F, clinical_ascvd=False)).advice
    assert not [a for a in recorded if a.topic == "prevention setting"]


def test_clinical_ascvd_must_be_true_or_false() -> None:
    with pytest.raises(InputError, match="clinical_ascvd must be true or false") as error:
        person_from_values({"age": 60, "sex": "male", "clinical_ascvd": "yes"})
    assert error.value.location == "clinical_ascvd"


def test_bad_clinical_ascvd_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    person = tmp_path / "person.yaml"
    person.write_text("age: 60\nsex: male\nclinical_ascvd: 1\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["risk", "assess", str(person), "--out", str(out)])
    assert result.exit_code == 2
    assert "person.yaml" in result.output and "clinical_ascvd must be true or false" in result.output
    assert not out.exists()


def _condition(code: str, system: str = "http://hl7.org/fhir/sid/icd-10-cm", **extra: object) -> dict:
    return {"resourceType": "Condition", "code": {"coding": [{"system": system, "code": code}]}, **extra}


def _bundle(tmp_path: Path, *resources: dict) -> Path:
    path = tmp_path / "obs.json"
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection",
                                "entry": [{"resource": r} for r in resources]}))
    return path


def test_fhir_conditions_record_clinical_ascvd(tmp_path: Path) -> None:
    refuted = {"verificationStatus": {"coding": [{"code": "refuted"}]}}
    _bundle(tmp_path, _condition("I25.10"), _condition("I63.6"), _condition("I21.4", **refuted))
    assert read_fhir_observations(tmp_path / "obs.json").clinical_ascvd == []
    resolved = {"clinicalStatus": {"coding": [{"code": "resolved"}]}}
    _bundle(tmp_path, _condition("I25.10"), _condition("I21.4", **resolved),
            _condition("401303003", "http://snomed.info/sct"), _condition("422504002", "http://snomed.info/sct"),
            _condition("G45.4"))  # G45.4 transient global amnesia: not a TIA
    found = read_fhir_observations(tmp_path / "obs.json").clinical_ascvd
    assert [f.split(" (")[0] for f in found] == ["myocardial infarction", "myocardial infarction", "ischaemic stroke"]
    assert "obs.json:entry[1]" in found[0]
    (tmp_path / "person.yaml").write_text("age: 58\nsex: male\nfhir_bundle: obs.json\n")
    person, origin = read_person(tmp_path / "person.yaml")
    assert person.clinical_ascvd is True and "I21.4" in origin["clinical_ascvd"]


def test_every_infarction_of_the_value_set_and_past_revascularisation_codes_count(tmp_path: Path) -> None:
    # 54329005 (acute MI of anterior wall) is in VSAC's myocardial infarction value set: a review found it fell through
    snomed = "http://snomed.info/sct"
    _bundle(tmp_path, _condition("54329005", snomed), _condition("I25.700"), _condition("Z95.5"),
            _condition("I70.411"), _condition("I69.351"), _condition("I22.0"), _condition("I20.81"))
    inputs = read_fhir_observations(tmp_path / "obs.json")
    assert [f.split(" (")[0] for f in inputs.clinical_ascvd] == [
        "myocardial infarction", "coronary bypass graft atherosclerosis", "coronary angioplasty implant",
        "bypass graft atherosclerosis of the extremities", "sequelae of ischaemic stroke",
        "subsequent myocardial infarction"]
    # angina with coronary microvascular dysfunction is not atherosclerotic, but is put to the clinician
    assert len(inputs.possible_clinical_ascvd) == 1 and "I20.81" in inputs.possible_clinical_ascvd[0]


def test_a_condition_that_may_be_clinical_ascvd_is_never_assumed_absent(tmp_path: Path) -> None:
    unknown_mi = {"resourceType": "Condition", "verificationStatus": {"coding": [{"code": "confirmed"}]}, "code": {
        "coding": [{"system": "http://snomed.info/sct", "code": "1755008", "display": "Old myocardial infarction"}]}}
    _bundle(tmp_path, unknown_mi, _condition("J45.909"))  # and asthma, which is not put to the clinician
    (tmp_path / "person.yaml").write_text("age: 63\nsex: male\ntotal_cholesterol_mg_dl: 210\nhdl_mg_dl: 40\n"
                                          "systolic_bp_mmhg: 140\nfhir_bundle: obs.json\n")
    out = tmp_path / "out"
    assert CliRunner().invoke(app, ["risk", "assess", str(tmp_path / "person.yaml"), "--out", str(out),
                                    "-q"]).exit_code == 0
    document = json.loads((out / "risk.json").read_text())
    setting = document["prevention_setting"]
    assert setting["setting"].startswith("clinical ASCVD to confirm") and "assumed absent" not in setting["setting"]
    assert "Old myocardial infarction (SNOMED CT 1755008" in setting["to_confirm"]
    assert "J45" not in setting["to_confirm"]
    assert document["advice"][0]["topic"] == "confirm clinical ASCVD first"
    assert all(a["topic"] != "prevention setting" for a in document["advice"])
    assert 'id="risk-setting" class="caution"' in (out / "report.html").read_text()
    # saying so in the person file settles it either way
    (tmp_path / "person.yaml").write_text((tmp_path / "person.yaml").read_text() + "clinical_ascvd: true\n")
    person, origin = read_person(tmp_path / "person.yaml")
    assert person.clinical_ascvd is True and "clinical_ascvd_to_confirm" not in origin


def test_person_file_saying_no_ascvd_against_a_recorded_infarction_is_refused(tmp_path: Path) -> None:
    _bundle(tmp_path, _condition("I25.2"))
    (tmp_path / "person.yaml").write_text("age: 58\nsex: male\nclinical_ascvd: false\nfhir_bundle: obs.json\n")
    with pytest.raises(InputError, match="clinical_ascvd is false .* old myocardial infarction"):
        read_person(tmp_path / "person.yaml")


def test_polygenic_adjustment_is_not_applied_silently_with_clinical_ascvd(tmp_path: Path) -> None:
    person = tmp_path / "person.yaml"
    person.write_text("age: 60\nsex: male\ntotal_cholesterol_mg_dl: 200\nhdl_mg_dl: 45\nsystolic_bp_mmhg: 130\n"
                      "egfr: 90\nclinical_ascvd: true\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["risk", "assess", str(person), "--out", str(out), "--prs-z", "1.5",
                                      "--prs-hr", "1.4"])
    assert result.exit_code == 0, result.output
    document = json.loads((out / "risk.json").read_text())
    assert document["polygenic_adjustment"] is None and "not applied" in document["polygenic_not_applied"]
    assert document["prevention_setting"]["setting"] == "secondary prevention (clinical ASCVD)"
    page = (out / "report.html").read_text()
    assert "Prevention setting: secondary prevention (clinical ASCVD)" in page
    assert "No first-event risk estimate is shown" in page and "not applied" in page


def test_the_page_says_what_it_assumes_when_clinical_ascvd_is_not_recorded(tmp_path: Path) -> None:
    person = tmp_path / "person.yaml"
    person.write_text("age: 55\nsex: female\ntotal_cholesterol_mg_dl: 213\nhdl_mg_dl: 50\nsystolic_bp_mmhg: 120\n")
    out = tmp_path / "out"
    assert CliRunner().invoke(app, ["risk", "assess", str(person), "--out", str(out), "-q"]).exit_code == 0
    document = json.loads((out / "risk.json").read_text())
    assert document["prevention_setting"]["clinical_ascvd"] is None
    assert "assumed absent" in render_risk_html("x", document)


# ------------------------------------------------------------------------------------------- eGFR for PREVENT


def test_prevent_uses_ckd_epi_2021_from_creatinine() -> None:
    base = dict(age=55, sex="female", total_cholesterol_mg_dl=200, hdl_mg_dl=50, systolic_bp_mmhg=130, bmi=28)
    person = Person(**base, serum_creatinine_mg_dl=1.1, egfr=70, egfr_equation="mdrd")  # type: ignore[arg-type]
    egfr = ckd_epi_2021(1.1, 55, "female")
    assert kidney_function(person).egfr == pytest.approx(egfr)
    estimate = assess(person).keyed["PREVENT 10-year ASCVD"]
    expected = prevent(outcome="ascvd", horizon_years=10, age=55, sex="female", total_cholesterol_mg_dl=200,
                       hdl_mg_dl=50, systolic_bp_mmhg=130, diabetes=False, current_smoker=False, egfr=egfr,
                       on_antihypertensive=False, on_statin=False)
    assert estimate.risk == pytest.approx(expected.risk)
    assert any("CKD-EPI 2021" in n and "(70, MDRD Study) is not used" in n for n in estimate.notes)


def test_a_reported_egfr_names_its_equation(tmp_path: Path) -> None:
    _bundle(tmp_path, {"resourceType": "Observation", "status": "final", "effectiveDateTime": "2026-01-01",
                       "code": {"coding": [{"system": "http://loinc.org", "code": "62238-1"}]},
                       "valueQuantity": {"value": 64, "code": "mL/min/{1.73_m2}"}})
    (tmp_path / "person.yaml").write_text("age: 62\nsex: male\ntotal_cholesterol_mg_dl: 210\nhdl_mg_dl: 45\n"
                                          "systolic_bp_mmhg: 135\nfhir_bundle: obs.json\n")
    person, _ = read_person(tmp_path / "person.yaml")
    assert person.egfr == 64 and person.egfr_equation == "ckd_epi_2009"
    notes = assess(person).keyed["PREVENT 10-year total CVD"].notes
    assert any("CKD-EPI 2009" in n and "3.9" in n for n in notes)


def test_creatinine_from_fhir_in_umol_per_litre(tmp_path: Path) -> None:
    def creatinine(value: float, unit: str) -> dict:
        return {"resourceType": "Observation", "status": "final", "effectiveDateTime": "2026-01-01",
                "code": {"coding": [{"system": "http://loinc.org", "code": "14682-9"}]},
                "valueQuantity": {"value": value, "code": unit}}

    _bundle(tmp_path, creatinine(97.3, "umol/L"))
    measured = read_fhir_observations(tmp_path / "obs.json").creatinine_mg_dl
    assert measured is not None and measured.value == pytest.approx(97.3 / 88.42)
    _bundle(tmp_path, creatinine(1.1, "g/dL"))
    with pytest.raises(InputError, match="unit 'g/dL' cannot be converted") as error:
        read_fhir_observations(tmp_path / "obs.json")
    assert error.value.location == "entry[0]"


def test_creatinine_out_of_range_names_the_field(tmp_path: Path) -> None:
    person = tmp_path / "person.yaml"
    person.write_text("age: 60\nsex: male\nserum_creatinine_mg_dl: 97\n")  # umol/L written as mg/dL
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["risk", "assess", str(person), "--out", str(out)])
    assert result.exit_code == 2 and "serum_creatinine_mg_dl = 97 mg/dL is not a possible value" in result.output
    assert not out.exists()


# ------------------------------------------------------------------------------------------- diabetes at 20-39


def test_young_adult_with_long_standing_diabetes_gets_the_iib_statement() -> None:
    person = Person(age=32, sex="male", diabetes=True, diabetes_type="type_1", diabetes_duration_years=21,
                    uacr_mg_g=12, egfr=100)
    assert statin_benefit_group(person) == "diabetes, age 20-39"
    text = _texts(person)
    assert "long duration" in text and "may be reasonable (COR IIb)" in text and "section 4.3" in text
    assert "Not known: retinopathy; neuropathy; ankle-brachial index < 0.9." in text
    assert "albuminuria" not in text.split("Not known:")[1]


def test_young_adult_with_diabetes_and_nothing_known_is_told_what_is_missing() -> None:
    person = Person(age=28, sex="female", diabetes=True)
    text = _texts(person)
    assert "none of these enhancers is recorded as present" in text
    for unknown in ("long duration", "albuminuria", "eGFR < 60", "retinopathy", "neuropathy"):
        assert unknown in text.split("Not known:")[1]
    assert "contraception" in text
    assert statin_benefit_group(Person(age=28, sex="female")) == "none"


def test_type_2_diabetes_of_twelve_years_is_long_but_type_1_is_not() -> None:
    type_2 = Person(age=35, sex="male", diabetes=True, diabetes_type="type_2", diabetes_duration_years=12)
    type_1 = replace(type_2, diabetes_type="type_1")
    assert "with long duration" in _texts(type_2)
    assert "with long duration" not in _texts(type_1) and "none of these" in _texts(type_1)


def test_every_risk_page_says_the_2018_lipid_guideline_was_replaced(tmp_path: Path) -> None:
    person = tmp_path / "person.yaml"
    person.write_text("age: 55\nsex: female\ntotal_cholesterol_mg_dl: 213\nhdl_mg_dl: 50\nsystolic_bp_mmhg: 120\n")
    out = tmp_path / "out"
    assert CliRunner().invoke(app, ["risk", "assess", str(person), "--out", str(out), "-q"]).exit_code == 0
    status = json.loads((out / "risk.json").read_text())["prevention_setting"]["guideline_status"]
    assert "2026" in status and "10.1161/CIR.0000000000001423" in status and "not yet curated" in status
    assert 'id="risk-guideline"' in (out / "report.html").read_text()


def test_conditions_that_only_sound_vascular_are_not_put_to_the_clinician(tmp_path: Path) -> None:
    def texted(text: str) -> dict:
        return {"resourceType": "Condition", "code": {"text": text, "coding": [
            {"system": "http://snomed.info/sct", "code": "1", "display": text}]}}
    _bundle(tmp_path, texted("Gastric bypass status"), texted("Ureteral stent in place"), texted("Ischemic colitis"),
            texted("Splenic infarct"), texted("History of CVA"), texted("Status post CABG"))
    flagged = read_fhir_observations(tmp_path / "obs.json").possible_clinical_ascvd
    assert [f.split(" (")[0] for f in flagged] == ["History of CVA", "Status post CABG"]


def test_the_second_review_battery_is_put_to_the_clinician_and_look_alikes_are_not(tmp_path: Path) -> None:
    snomed = "http://snomed.info/sct"

    def named(code: str, system: str, text: str, **extra: object) -> dict:
        return {"resourceType": "Condition", "code": {"coding": [{"system": system, "code": code, "display": text}]},
                **extra}
    provisional = {"verificationStatus": {"coding": [{"code": "provisional"}]}}
    to_confirm = [named("I25.2", "http://hl7.org/fhir/sid/icd-10-cm", "Old MI", **provisional),
                  named("I20.1", "http://hl7.org/fhir/sid/icd-10-cm", "Angina pectoris with documented spasm"),
                  named("E11.51", "http://hl7.org/fhir/sid/icd-10-cm", "Type 2 diabetes with peripheral angiopathy"),
                  named("413102000", snomed, "Infarction of basal ganglia"),
                  named("400047006", snomed, "Peripheral vascular disease"),
                  named("233985008", snomed, "Abdominal aortic aneurysm"),
                  named("1", snomed, "CAD s/p stent")]
    look_alikes = [named("Z82.49", "http://hl7.org/fhir/sid/icd-10-cm", "Family history of ischemic heart disease"),
                   named("R93.1", "http://hl7.org/fhir/sid/icd-10-cm", "Coronary artery calcification on CT"),
                   named("G45.4", "http://hl7.org/fhir/sid/icd-10-cm", "Transient global amnesia"),
                   named("I61.9", "http://hl7.org/fhir/sid/icd-10-cm", "Hemorrhagic stroke"),
                   named("D73.5", "http://hl7.org/fhir/sid/icd-10-cm", "Infarction of spleen")]
    _bundle(tmp_path, *to_confirm, *look_alikes)
    inputs = read_fhir_observations(tmp_path / "obs.json")
    assert inputs.clinical_ascvd == []  # provisional old MI and vasospastic angina are not taken as established
    flagged = inputs.possible_clinical_ascvd
    assert [f.split(" (")[0] for f in flagged] == [r["code"]["coding"][0]["display"] for r in to_confirm]
    assert "provisional" in flagged[0]

