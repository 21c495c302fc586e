"""Clinical assessment: equations chosen by the data, what-ifs ranked by absolute risk reduction, cited advice."""

import json
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tailormed.cli import app
from tailormed.errors import InputError
from tailormed.risk.assessment import CTT_RR_PER_MMOL_L, Person, assess, with_polygenic_score
from tailormed.risk.equations import pooled_cohort_ascvd_10y

SMOKER = Person(age=55, sex="male", total_cholesterol_mg_dl=213, hdl_mg_dl=50, ldl_mg_dl=140, systolic_bp_mmhg=150,
                current_smoker=True, egfr=90, bmi=31, waist_cm=104, physically_active_30min_daily=False,
                eats_vegetables_fruit_berries_daily=False, history_of_high_glucose=False,
                family_history_diabetes="none")


def test_every_equation_the_data_allow_and_what_is_missing() -> None:
    result = assess(Person(age=55, sex="female", total_cholesterol_mg_dl=213, hdl_mg_dl=50, systolic_bp_mmhg=120))
    assert [e.name for e in result.estimates] == ["Pooled Cohort Equations, hard ASCVD"]
    assert result.estimates[0].risk == pytest.approx(0.021, abs=0.0005)  # the guideline's worked example
    assert result.skipped["PREVENT 10-year ASCVD"] == "needs eGFR (or serum creatinine)"
    assert result.skipped["FINDRISC type 2 diabetes"] == "needs BMI"


def test_what_ifs_recompute_and_are_ranked() -> None:
    result = assess(SMOKER)
    ten = [w.absolute_risk_reduction for w in result.what_ifs if "30-year" not in w.estimate]
    thirty = [w.absolute_risk_reduction for w in result.what_ifs if "30-year" in w.estimate]
    assert ten == sorted(ten, reverse=True) and thirty == sorted(thirty, reverse=True) and ten and thirty
    assert [w.absolute_risk_reduction for w in result.what_ifs] == ten + thirty  # 10-year horizon first
    # PREVENT 30-year estimates (ages 30-59): named apart, no statin what-if (CTT is a ~5-year effect)
    horizons = {e.name: e.horizon_years for e in result.estimates}
    assert horizons["PREVENT base model, ASCVD (30-year)"] == 30 and horizons["PREVENT base model, ASCVD"] == 10
    assert not any("statin" in w.change and "30-year" in w.estimate for w in result.what_ifs)
    assert "30-59 years" in assess(replace(SMOKER, age=65)).skipped["PREVENT 30-year ASCVD"]
    quit_smoking = next(w for w in result.what_ifs if w.change == "stop smoking" and w.estimate == "PCE 10-year ASCVD")
    expected = pooled_cohort_ascvd_10y(age=55, sex="male", race_group="white_or_other", total_cholesterol_mg_dl=213,
                                       hdl_mg_dl=50, systolic_bp_mmhg=150, on_antihypertensive=False,
                                       current_smoker=False, diabetes=False).risk
    assert quit_smoking.after == pytest.approx(expected)
    statin = next(w for w in result.what_ifs if w.change.startswith("high-intensity statin")
                  and w.estimate == "PCE 10-year ASCVD")
    assert statin.after == pytest.approx(statin.baseline * CTT_RR_PER_MMOL_L ** (140 * 0.5 / 38.67))
    assert not any("statin" in w.change and "heart failure" in w.estimate for w in result.what_ifs)
    assert not any(w.change == "stop smoking" and w.estimate.startswith("FINDRISC") for w in result.what_ifs)
    weight = next(w for w in result.what_ifs if w.change == "weight to BMI 24.9")
    assert weight.source.endswith("13 -> 10 points") and weight.after < weight.baseline  # BMI 31 scores 3, < 25 none
    same_band = next(w for w in assess(replace(SMOKER, bmi=27)).what_ifs if w.change == "weight to BMI 24.9")
    assert same_band.source.endswith("11 -> 10 points (the same risk band)") and same_band.after == same_band.baseline


def test_advice_follows_the_cited_thresholds() -> None:
    advice = {a.topic: a for a in assess(SMOKER).advice}
    assert "intermediate" in advice["ASCVD risk category"].statement
    assert "grade B" in advice["statin"].statement and "USPSTF" in advice["statin"].source
    low = {a.topic: a for a in assess(Person(age=45, sex="female", total_cholesterol_mg_dl=180, hdl_mg_dl=60,
                                             systolic_bp_mmhg=115)).advice}
    assert "(low)" in low["ASCVD risk category"].statement and "statin" not in low


def test_polygenic_adjustment_is_neutral_where_the_multiplier_is_its_mean() -> None:
    import math

    estimate = assess(SMOKER).estimates[0]
    # HR**z equals its population mean exp(ln(HR)**2 / 2) at z = ln(HR) / 2: the clinical estimate itself
    assert with_polygenic_score(estimate, math.log(1.4) / 2, 1.4, "t") == pytest.approx(estimate.risk)
    assert with_polygenic_score(estimate, 1.0, 1.4, "t") > estimate.risk


def test_cli_person_file_with_fhir_bundle(tmp_path: Path) -> None:
    import json

    bundle = tmp_path / "obs.json"
    bundle.write_text(json.dumps({"resourceType": "Bundle", "entry": [{"resource": {
        "resourceType": "Observation", "status": "final", "effectiveDateTime": "2026-01-01",
        "code": {"coding": [{"system": "http://loinc.org", "code": "2093-3"}]},
        "valueQuantity": {"value": 5.5, "code": "mmol/L"}}}]}))
    person = tmp_path / "person.yaml"
    person.write_text("age: 55\nsex: female\nhdl_mg_dl: 50\nsystolic_bp_mmhg: 120\nfhir_bundle: obs.json\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["risk", "assess", str(person), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    document = json.loads((out / "risk.json").read_text())
    assert document["person"]["total_cholesterol_mg_dl"] == pytest.approx(5.5 * 38.67)
    assert document["inputs_from"]["total_cholesterol_mg_dl"].endswith("obs.json:entry[0]")
    bad = tmp_path / "bad.yaml"
    bad.write_text("age: 55\nsex: female\ncholesterol: 200\n")
    refused = CliRunner().invoke(app, ["risk", "assess", str(bad), "--out", str(tmp_path / "x")])
    assert refused.exit_code == 2 and "unknown field" in refused.output


def test_cancer_screening_by_age_and_sex() -> None:
    from tailormed.risk.assessment import cancer_screening

    topics = lambda person: {a.topic for a in cancer_screening(person)}  # noqa: E731
    assert topics(Person(age=47, sex="female")) == {"colorectal cancer screening", "breast cancer screening",
                                                    "cervical cancer screening"}
    assert topics(Person(age=60, sex="male", current_smoker=True, pack_years=30)) == {
        "colorectal cancer screening", "lung cancer screening", "prostate cancer screening"}
    assert "lung cancer screening" not in topics(Person(age=60, sex="male", years_since_quit_smoking=20,
                                                        pack_years=30))
    assert topics(Person(age=30, sex="male")) == set()


def test_prs_z_needs_its_hazard_ratio(tmp_path: Path) -> None:
    person = tmp_path / "person.yaml"
    person.write_text("age: 55\nsex: female\n")
    result = CliRunner().invoke(app, ["risk", "assess", str(person), "--out", str(tmp_path / "o"), "--prs-z", "1"])
    assert result.exit_code == 2 and "--prs-hr" in result.output and not (tmp_path / "o").exists()


def test_risk_enhancers_and_calcium_refine_intermediate_risk() -> None:
    from tailormed.risk.assessment import risk_enhancers

    base = Person(age=55, sex="male", total_cholesterol_mg_dl=213, hdl_mg_dl=50, ldl_mg_dl=165,
                  systolic_bp_mmhg=140, on_antihypertensive=False, current_smoker=False, diabetes=False)
    assert risk_enhancers(base) == ["LDL-C >= 160 mg/dL"]
    richer = replace(base, family_history_premature_ascvd=True, lpa_nmol_l=150, hs_crp_mg_l=1.0, egfr=55,
                     coronary_artery_calcium=0)
    assert risk_enhancers(richer) == ["family history of premature ASCVD", "LDL-C >= 160 mg/dL",
                                      "chronic kidney disease (eGFR 15-59)", "Lp(a) >= 50 mg/dL (125 nmol/L)"]
    result = assess(richer)
    pce = next(e for e in result.estimates if e.name.startswith("Pooled Cohort"))
    assert 0.05 <= pce.risk < 0.20  # borderline or intermediate: the enhancer and calcium rules apply
    topics = {a.topic: a.statement for a in result.advice}
    assert "Lp(a)" in topics["risk enhancers"]
    assert topics["coronary artery calcium"].startswith("CAC 0: reasonable to withhold")
    assert "risk enhancers" not in {a.topic for a in assess(replace(richer, on_statin=True)).advice}


@pytest.mark.parametrize(("z", "hr", "message"), [
    (float("nan"), 1.3, r"--prs-z\) must be a finite number, got nan"),
    (float("inf"), 1.3, "must be a finite number, got inf"),
    (1.0, float("nan"), r"--prs-hr, .*must be a finite number above 0, got nan"),
    (1.0, float("inf"), "above 0, got inf"),
    (1.0, 0.0, "above 0, got 0"),
])
def test_polygenic_adjustment_needs_finite_z_and_hazard_ratio(tmp_path: Path, z: float, hr: float,
                                                               message: str) -> None:
    from tailormed.pipelines.risk import assess_person

    person = tmp_path / "person.yaml"
    person.write_text("age: 25\nsex: female\n")  # no estimate runs: the values are still checked
    with pytest.raises(InputError, match=message):
        assess_person(person, prs_z=z, prs_hr_per_sd=hr)


def test_analyze_reads_a_fhir_bundle_of_observations_only(tmp_path: Path) -> None:
    demo = Path(__file__).resolve().parents[2] / "examples" / "demo-patient"
    manifest = tmp_path / "patient.yaml"
    manifest.write_text(f"id: P1\ngermline:\n  vcf: {demo / 'demo.vcf'}\n  sample_id: DEMO001\n"
                        f"fhir_bundle: {demo / 'observations.json'}\n")
    result = CliRunner().invoke(app, ["analyze", str(manifest), "--out", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 0, result.output  # was TypeError: the builtin Warning was built, not ours
    assert '"not_analysed": []' in (tmp_path / "out" / "analysis.json").read_text()  # a Bundle without a Patient


def test_prs_outcome_decides_which_estimates_the_score_adjusts(tmp_path: Path) -> None:
    """--prs-outcome heart_failure adjusts PREVENT's 10-year heart-failure estimate only; the default (ascvd) adjusts
    the two 10-year ASCVD estimates; the model's outcomes are the engine's."""
    from typing import get_args

    from tailormed.model.patient import PolygenicOutcome
    from tailormed.risk.assessment import POLYGENIC_OUTCOMES

    assert set(get_args(PolygenicOutcome)) == set(POLYGENIC_OUTCOMES)
    person = tmp_path / "person.yaml"
    person.write_text("age: 58\nsex: female\nrace_group: white_or_other\ntotal_cholesterol_mg_dl: 236\nhdl_mg_dl: 48\n"
                      "systolic_bp_mmhg: 146\non_antihypertensive: true\non_statin: false\ndiabetes: false\n"
                      "current_smoker: true\negfr: 84\nbmi: 29.5\n")
    adjusted = {}
    for outcome in ("ascvd", "heart_failure"):
        out = tmp_path / outcome
        result = CliRunner().invoke(app, ["risk", "assess", str(person), "--out", str(out), "--prs-z", "1.5",
                                          "--prs-hr", "1.4", "--prs-outcome", outcome, "--quiet"])
        assert result.exit_code == 0, result.output
        document = json.loads((out / "risk.json").read_text())
        adjusted[outcome] = sorted(e["name"] for e in document["estimates"] if e["with_polygenic_score"] is not None)
        assert document["polygenic_adjustment"]["outcome"] == outcome
    assert len(adjusted["ascvd"]) == 2 and all("ASCVD" in n and "30-year" not in n for n in adjusted["ascvd"])
    assert len(adjusted["heart_failure"]) == 1 and "heart failure" in adjusted["heart_failure"][0]
    bad = CliRunner().invoke(app, ["risk", "assess", str(person), "--out", str(tmp_path / "x"), "--prs-z", "1",
                                   "--prs-hr", "1.4", "--prs-outcome", "stroke"])
    assert bad.exit_code == 2 and "stroke" in bad.output and not (tmp_path / "x").exists()


def test_manifest_polygenic_outcome_is_checked() -> None:
    from pydantic import ValidationError

    from tailormed.model.patient import PolygenicSettings

    settings = {"scores": ["s.txt"], "reference": "ref", "populations": "p.tsv", "population": "EUR"}
    assert PolygenicSettings.model_validate(settings).hazard_ratio_outcome == "ascvd"
    with pytest.raises(ValidationError, match="hazard_ratio_outcome"):
        PolygenicSettings.model_validate({**settings, "hazard_ratio_outcome": "stroke"})


def _lab(code: str, value: float, unit: str, when: str, key: str = "effectiveDateTime") -> dict:
    return {"resource": {"resourceType": "Observation", "status": "final", key: when,
                         "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
                         "valueQuantity": {"value": value, "code": unit}}}


@pytest.mark.parametrize(("creatinine_time", "egfr_time", "creatinine_used"), [
    ("2026-03-01", "2026-06-01", False),  # the eGFR is newer: kidney function may have changed since
    ("2026-06-01", "2026-03-01", True),   # the creatinine is newer: CKD-EPI 2021 computed from it
    ("2026-06-01", "2026-06-01", True),   # same day: computed, as without dates
    ("2026-06-01T23:50:00Z", "2026-06-02T00:20:00Z", True),  # one draw, the eGFR stamped after midnight
    ("2026-06-01T23:00:00-05:00", "2026-06-02T01:00:00Z", True),  # the creatinine is the later (04:00 UTC)
    ("2026-03", "2026-03-15", True),      # which came first cannot be told
    ("2026", "2026-01-05", True),
    ("2025-01-10T08:00:00+01:00", "2026-04-01", False),
])
def test_a_bundle_creatinine_older_than_its_egfr_is_not_used(tmp_path: Path, creatinine_time: str, egfr_time: str,
                                                            creatinine_used: bool) -> None:
    document = _assess_with_labs(tmp_path, _lab("2160-0", 1.0, "mg/dL", creatinine_time),
                                 _lab("98979-8", 42, "mL/min/{1.73_m2}", egfr_time))
    kidney = document["kidney_function"]
    if creatinine_used:
        assert kidney["computed"] and kidney["egfr"] == pytest.approx(86.2, abs=0.1)  # CKD-EPI 2021, 60-year man
        assert document["person"]["serum_creatinine_mg_dl"] == 1.0
    else:
        assert not kidney["computed"] and kidney["egfr"] == 42
        assert document["person"]["serum_creatinine_mg_dl"] is None
        assert f"the eGFR of {egfr_time} is newer" in kidney["note"] and f"of {creatinine_time} not" in kidney["note"]


def test_an_old_creatinine_dated_only_by_issued_or_a_period_is_still_dated(tmp_path: Path) -> None:
    for key, when in (("issued", "2025-01-02T10:00:00Z"), ("effectivePeriod", {"start": "2025-01-01",
                                                                                  "end": "2025-01-02"})):
        document = _assess_with_labs(tmp_path, _lab("2160-0", 1.0, "mg/dL", when, key),  # type: ignore[arg-type]
                                     _lab("98979-8", 42, "mL/min/{1.73_m2}", "2026-04-01"))
        assert document["kidney_function"]["egfr"] == 42, key
        assert document["inputs_from"]["serum_creatinine_not_used"].startswith("serum creatinine 1.0 mg/dL")


def test_an_egfr_the_person_file_states_is_not_overridden_by_a_bundle_creatinine(tmp_path: Path) -> None:
    document = _assess_with_labs(tmp_path, _lab("2160-0", 1.0, "mg/dL", "2026-01-05"),
                                 _lab("98979-8", 70, "mL/min/{1.73_m2}", "2026-04-01"),
                                 person_extra="egfr: 42\negfr_equation: ckd_epi_2021\n")
    assert document["kidney_function"]["egfr"] == 42 and not document["kidney_function"]["computed"]
    assert "the person file states the eGFR" in document["kidney_function"]["note"]


def _assess_with_labs(tmp_path: Path, *entries: dict, person_extra: str = "") -> dict:
    import json

    (tmp_path / "obs.json").write_text(json.dumps({"resourceType": "Bundle", "entry": list(entries)}))
    person = tmp_path / "person.yaml"
    person.write_text("age: 60\nsex: male\ntotal_cholesterol_mg_dl: 200\nhdl_mg_dl: 50\nsystolic_bp_mmhg: 130\n"
                      f"fhir_bundle: obs.json\n{person_extra}")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["risk", "assess", str(person), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    return dict(json.loads((out / "risk.json").read_text()))


def test_unreadable_or_extreme_observation_times_do_not_stop_the_run(tmp_path: Path) -> None:
    egfr = _lab("98979-8", 42, "mL/min/{1.73_m2}", "sometime")
    egfr["resource"]["issued"] = "2026-04-01"  # the readable time counts: the 2025 creatinine is older
    document = _assess_with_labs(tmp_path, _lab("2160-0", 1.0, "mg/dL", "2025-01-05"), egfr,
                                 _lab("8480-6", 130, "mm[Hg]", "9999-12-31"))
    assert document["kidney_function"]["egfr"] == 42
