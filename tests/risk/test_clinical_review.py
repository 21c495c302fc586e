"""Findings of the clinical review of the risk advice (statin-benefit groups, lung screening recency, FINDRISC with
known diabetes, the treated blood-pressure what-if, the polygenic adjustment's outcome and centring)."""

import math
from dataclasses import replace

import numpy
import pytest

from tailormed.risk.assessment import (
    Person,
    assess,
    cancer_screening,
    polygenic_estimates,
    statin_benefit_group,
    with_polygenic_score,
)
from tailormed.risk.equations import pooled_cohort_ascvd_10y

DIABETIC_45F = Person(age=45, sex="female", total_cholesterol_mg_dl=180, hdl_mg_dl=55, ldl_mg_dl=100,
                      systolic_bp_mmhg=118, diabetes=True, egfr=95)
LDL_200_42M = Person(age=42, sex="male", total_cholesterol_mg_dl=290, hdl_mg_dl=50, ldl_mg_dl=200,
                     systolic_bp_mmhg=120, egfr=95)
ON_STATIN_70M = Person(age=70, sex="male", total_cholesterol_mg_dl=200, hdl_mg_dl=40, ldl_mg_dl=120,
                       systolic_bp_mmhg=150, on_antihypertensive=True, on_statin=True, current_smoker=True, egfr=80)
AGED_78F = Person(age=78, sex="female", total_cholesterol_mg_dl=200, hdl_mg_dl=50, ldl_mg_dl=120,
                  systolic_bp_mmhg=140, egfr=70)


def _advice(person: Person) -> dict[str, str]:
    return {a.topic: f"{a.statement} [{a.source}]" for a in assess(person).advice}


def _all_text(person: Person) -> str:
    return " ".join(_advice(person).values())


def test_diabetes_40_to_75_gets_a_statin_whatever_the_band() -> None:
    pce = next(e for e in assess(DIABETIC_45F).estimates if e.name.startswith("Pooled Cohort"))
    assert pce.risk < 0.05  # the PCE band would be "low"
    assert statin_benefit_group(DIABETIC_45F) == "diabetes, age 40-75"
    text = _all_text(DIABETIC_45F)
    assert "no statin" not in text
    group = _advice(DIABETIC_45F)["statin benefit group"]
    assert "at least a moderate-intensity statin" in group and "section 4.3" in group and "Grundy" in group


def test_ldl_190_gets_high_intensity_without_a_risk_calculation() -> None:
    assert statin_benefit_group(LDL_200_42M) == "LDL-C >= 190 mg/dL"
    advice = _advice(LDL_200_42M)
    assert "no statin" not in _all_text(LDL_200_42M)
    assert "high-intensity statin" in advice["statin benefit group"] and "section 4.2" in advice["statin benefit group"]
    assert "statin" not in advice  # USPSTF 2022 does not cover LDL-C >= 190 mg/dL
    # the group holds below 40 too (20-75 years), where no PCE estimate is made
    young = _advice(replace(LDL_200_42M, age=30))
    assert "high-intensity statin" in young["statin benefit group"]


def test_on_a_statin_the_estimate_is_of_treated_risk_and_no_start_advice() -> None:
    advice = _advice(ON_STATIN_70M)
    assert "start a high-intensity statin" not in _all_text(ON_STATIN_70M).lower()
    assert "ASCVD risk category" not in advice and "statin" not in advice  # no band, no USPSTF offer
    assert "already taking a statin" in advice["statin benefit group"].lower()
    assert "on treatment" in _advice(ON_STATIN_70M)["10-year ASCVD risk"]


def test_over_75_is_a_clinician_patient_discussion() -> None:
    text = _all_text(AGED_78F)
    assert "start a high-intensity statin" not in text.lower()
    group = _advice(AGED_78F)["statin benefit group"]
    assert "clinician-patient discussion" in group and "4.4.4" in group


def test_the_2019_bands_still_apply_to_primary_prevention_40_to_75() -> None:
    smoker = Person(age=55, sex="male", total_cholesterol_mg_dl=213, hdl_mg_dl=50, ldl_mg_dl=140,
                    systolic_bp_mmhg=150, current_smoker=True, egfr=90)
    assert statin_benefit_group(smoker) == "primary prevention, age 40-75"
    advice = _advice(smoker)
    assert "(intermediate)" in advice["ASCVD risk category"] and "grade B" in advice["statin"]


@pytest.mark.parametrize(("quit_years", "screened"), [(0, True), (15, True), (16, False), (30, False)])
def test_lung_screening_counts_quitting_this_year_as_recent(quit_years: float, screened: bool) -> None:
    person = Person(age=60, sex="male", pack_years=30, years_since_quit_smoking=quit_years)
    lung = [a.statement for a in cancer_screening(person) if a.topic == "lung cancer screening"]
    assert bool(lung and "annual low-dose CT (grade B)" in lung[0]) is screened


def test_lung_screening_with_unknown_pack_years_says_what_is_missing() -> None:
    recent = [a.statement for a in cancer_screening(Person(age=60, sex="male", years_since_quit_smoking=3))
              if a.topic == "lung cancer screening"]
    assert len(recent) == 1 and "pack-years" in recent[0] and "record" in recent[0].lower()
    assert "annual low-dose CT (grade B)" not in recent[0]
    # quit long ago: not eligible whatever the pack-years, so nothing is asked for
    assert not [a for a in cancer_screening(Person(age=60, sex="male", years_since_quit_smoking=30))
                if a.topic == "lung cancer screening" and "record" in a.statement.lower()]


def test_findrisc_is_not_run_for_known_diabetes() -> None:
    lifestyle = dict(bmi=31, waist_cm=104, physically_active_30min_daily=False,
                     eats_vegetables_fruit_berries_daily=False, history_of_high_glucose=False,
                     family_history_diabetes="none")
    result = assess(replace(DIABETIC_45F, **lifestyle))  # type: ignore[arg-type]
    assert "FINDRISC type 2 diabetes" not in result.keyed
    assert "known diabetes" in result.skipped["FINDRISC type 2 diabetes"]
    assert "diabetes" not in {a.topic for a in result.advice}
    no_diabetes = assess(replace(DIABETIC_45F, diabetes=False, **lifestyle))  # type: ignore[arg-type]
    findrisc = no_diabetes.keyed["FINDRISC type 2 diabetes"]
    assert any("under-score" in note for note in findrisc.notes)


def test_blood_pressure_what_if_models_treatment() -> None:
    person = Person(age=60, sex="male", total_cholesterol_mg_dl=200, hdl_mg_dl=50, systolic_bp_mmhg=160, egfr=90)
    bp = next(w for w in assess(person).what_ifs if w.change.startswith("systolic BP")
              and w.estimate == "PCE 10-year ASCVD")
    treated = pooled_cohort_ascvd_10y(age=60, sex="male", race_group="white_or_other", total_cholesterol_mg_dl=200,
                                      hdl_mg_dl=50, systolic_bp_mmhg=130, on_antihypertensive=True,
                                      current_smoker=False, diabetes=False).risk
    assert bp.after == pytest.approx(treated) and "treatment" in bp.change


def test_polygenic_adjustment_is_centred_on_the_population_mean() -> None:
    estimate = assess(ON_STATIN_70M).estimates[0]
    hr = 1.5
    # averaged over z ~ N(0, 1) (Gauss-Hermite quadrature) the hazard multiplier is 1: the mean hazard is the clinical
    nodes, weights = numpy.polynomial.hermite_e.hermegauss(20)
    hazard = -math.log(1 - estimate.risk)
    adjusted = [-math.log(1 - with_polygenic_score(estimate, float(z), hr, "t")) for z in nodes]
    mean_hazard = float(numpy.dot(weights, adjusted) / weights.sum())
    assert mean_hazard == pytest.approx(hazard, rel=1e-6)
    assert with_polygenic_score(estimate, 0.0, hr, "t") < estimate.risk  # z = 0 is below the mean multiplier


def test_polygenic_adjustment_only_for_its_outcome() -> None:
    result = assess(replace(ON_STATIN_70M, bmi=28))
    adjusted = polygenic_estimates(result, 1.0, 1.4, "ascvd", "t")
    names = set(adjusted)
    assert names and all("ASCVD" in name or name.startswith("Pooled Cohort") for name in names)
    assert not any("heart failure" in name or "total CVD" in name or "30-year" in name for name in names)
