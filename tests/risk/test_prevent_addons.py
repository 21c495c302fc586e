"""PREVENT models adding UACR, HbA1c, SDI and all three (the full model): worked examples, ranges, model choice.

Expected values and where each was found (see docs/risk-equations.md):
- Khan 2024 Supplemental Table S12 worked examples for the add-on models, as replicated in bcjaeger/PooledCohort's
  tests (tests/testthat/test-predict_10yr_cvd_risk.R, test-predict_10yr_hf_risk.R, test-predict_30yr_ascvd_risk.R):
  the S12 profile (50 y, TC 200, HDL 45, treated SBP 160, diabetes, non-smoker, BMI 35, eGFR 90, no statin) with
  UACR 40 mg/g, HbA1c 7.5 % and SDI decile 8. The same file gives the full model with SDI missing (0.150 / 0.162),
  taken by its author from the AHA online calculator.
- preventr's test suite (martingmayer/preventr tests/testthat/test-prevent_equations.R, "HbA1c model works" and
  "UACR model works"): the same profile with HbA1c 9.2 % or UACR 92 mg/g, all outcomes, 10 and 30 years, 3 decimals
  rounded half up.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tailormed.cli import app
from tailormed.errors import InputError
from tailormed.risk import equations as eq
from tailormed.risk.assessment import Person, assess, prevent_optional_predictors
from tailormed.risk.equations import RiskEstimate, prevent, prevent_base, select_prevent_model

S12_PROFILE: dict[str, Any] = dict(age=50, total_cholesterol_mg_dl=200, hdl_mg_dl=45, systolic_bp_mmhg=160,
                                   diabetes=True, current_smoker=False, egfr=90, on_antihypertensive=True,
                                   on_statin=False, bmi=35)
FULL = dict(uacr_mg_g=40, hba1c_percent=7.5, sdi_decile=8)


def run(sex: str = "female", outcome: str = "total_cvd", horizon: int = 10, **overrides: Any) -> RiskEstimate:
    return prevent(**{**S12_PROFILE, "sex": sex, "outcome": outcome, "horizon_years": horizon, **overrides})


def half_up(value: float, digits: int) -> float:
    """preventr's round_half_up."""
    return math.floor(value * 10**digits + 0.5) / 10**digits


# Khan 2024 Table S12 via PooledCohort: (outcome, horizon, optional predictors, women, men, printed decimals)
S12_ADDON_EXAMPLES = [
    ("total_cvd", 10, dict(uacr_mg_g=40), 0.1599, 0.1718, 4),
    ("total_cvd", 10, dict(hba1c_percent=7.5), 0.1359, 0.1551, 4),
    ("total_cvd", 10, dict(sdi_decile=8), 0.1565, 0.1823, 4),
    ("total_cvd", 10, FULL, 0.1560, 0.1808, 4),
    ("heart_failure", 10, dict(uacr_mg_g=40), 0.0893, 0.1099, 4),
    ("heart_failure", 10, dict(hba1c_percent=7.5), 0.0806, 0.1013, 4),
    ("heart_failure", 10, dict(sdi_decile=8), 0.0886, 0.1226, 4),
    ("heart_failure", 10, FULL, 0.0927, 0.1206, 4),
    ("ascvd", 30, dict(uacr_mg_g=40), 0.363, 0.355, 3),
    ("ascvd", 30, dict(hba1c_percent=7.5), 0.322, 0.317, 3),
    ("ascvd", 30, dict(sdi_decile=8), 0.367, 0.361, 3),
    ("ascvd", 30, FULL, 0.344, 0.338, 3),
    # Full model with SDI unknown (missing-SDI indicator): AHA online calculator, via PooledCohort's tests.
    ("total_cvd", 10, dict(uacr_mg_g=40, hba1c_percent=7.5), 0.150, 0.162, 3),
]


@pytest.mark.parametrize(("outcome", "horizon", "optional", "women", "men", "digits"), S12_ADDON_EXAMPLES)
def test_khan_table_s12_addon_examples(outcome: str, horizon: int, optional: dict[str, Any], women: float,
                                       men: float, digits: int) -> None:
    assert round(run("female", outcome, horizon, **optional).risk, digits) == women
    assert round(run("male", outcome, horizon, **optional).risk, digits) == men


# preventr tests/testthat/test-prevent_equations.R: (sex, optional, 10-year [CVD, ASCVD, HF], 30-year [...])
PREVENTR_EXAMPLES = [
    ("female", dict(hba1c_percent=9.2), (0.165, 0.103, 0.107), (0.541, 0.356, 0.449)),
    ("female", dict(uacr_mg_g=92), (0.181, 0.111, 0.105), (0.565, 0.381, 0.437)),
    ("male", dict(hba1c_percent=9.2), (0.187, 0.112, 0.13), (0.524, 0.34, 0.457)),
    ("male", dict(uacr_mg_g=92), (0.195, 0.123, 0.13), (0.535, 0.368, 0.448)),
]


@pytest.mark.parametrize(("sex", "optional", "ten_year", "thirty_year"), PREVENTR_EXAMPLES)
def test_preventr_test_suite_examples(sex: str, optional: dict[str, Any], ten_year: tuple[float, ...],
                                      thirty_year: tuple[float, ...]) -> None:
    for horizon, expected in ((10, ten_year), (30, thirty_year)):
        got = tuple(half_up(run(sex, outcome, horizon, **optional).risk, 3)
                    for outcome in ("total_cvd", "ascvd", "heart_failure"))
        assert got == expected


def test_model_choice_follows_preventr() -> None:
    def pick(**given: Any) -> str:
        return select_prevent_model(**{"uacr_mg_g": None, "hba1c_percent": None, "sdi_decile": None, **given})

    assert pick() == "base"
    assert pick(uacr_mg_g=40) == "uacr" and pick(hba1c_percent=7) == "hba1c" and pick(sdi_decile=3) == "sdi"
    assert pick(uacr_mg_g=40, sdi_decile=3) == "full" and pick(**FULL) == "full"
    assert run(**FULL).name == "PREVENT full model (UACR, HbA1c, SDI), total CVD"
    assert run(uacr_mg_g=40).name == "PREVENT base model + UACR, total CVD"
    assert run().risk == prevent_base(**{**S12_PROFILE, "sex": "female", "outcome": "total_cvd",
                                         "horizon_years": 10}).risk


def test_full_model_missing_values_use_indicator_terms_and_are_noted() -> None:
    estimate = run(uacr_mg_g=40, hba1c_percent=7.5)
    assert any("SDI not given" in note and "missing-SDI indicator" in note for note in estimate.notes)
    assert "sdi_decile" not in estimate.inputs_used and estimate.inputs_used["uacr_mg_g"] == 40
    # An explicit full model with only UACR still runs, with the HbA1c and SDI indicators.
    assert run(uacr_mg_g=40, model="full").name.startswith("PREVENT full model")


def test_sdi_deciles_map_to_the_published_bands() -> None:
    risks = {decile: run(sdi_decile=decile).risk for decile in range(1, 11)}
    assert risks[1] == risks[2] == risks[3] < risks[4] == risks[5] == risks[6] < risks[7] == risks[10]


def test_explicit_single_model_needs_its_predictor_and_notes_unused_ones() -> None:
    with pytest.raises(InputError, match="needs uacr_mg_g"):
        run(model="uacr")
    estimate = run(model="hba1c", hba1c_percent=7.5, uacr_mg_g=40)
    assert any(note.startswith("uacr_mg_g was given but does not enter") for note in estimate.notes)
    with pytest.raises(InputError, match="model"):
        run(model="everything")


@pytest.mark.parametrize(("field", "inside", "outside"), [
    ("uacr_mg_g", [0.1, 25000], [0.09, 25000.1]),
    ("hba1c_percent", [4.5, 15], [4.4, 15.1]),
    ("sdi_decile", [1, 10], [0, 11]),
])
def test_optional_validity_ranges_match_preventr(field: str, inside: list[float], outside: list[float]) -> None:
    for value in inside:
        assert 0 < run(**{field: value}).risk < 1
    for value in outside:
        with pytest.raises(InputError, match=rf"{field} = {value:g}.*outside the valid range of the PREVENT"):
            run(**{field: value})


@pytest.mark.parametrize(("overrides", "message"), [
    (dict(uacr_mg_g=-1), r"uacr_mg_g = -1 mg/g is not a possible value"),
    (dict(hba1c_percent=53), r"hba1c_percent = 53 % is not a possible value"),  # mmol/mol passed as %
    (dict(sdi_decile=7.5), r"sdi_decile must be a whole decile 1-10"),
    (dict(sdi_decile=True), r"sdi_decile must be a whole decile"),
    (dict(uacr_mg_g="40"), "must be a number"),
])
def test_impossible_optional_values_are_refused(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        run(**overrides)


def test_addon_tables_are_complete_and_shaped_like_the_base_model() -> None:
    assert len(eq._PREVENT_ADDON) == 4 * 12
    addon_terms = {"uacr": {"ln_uacr"}, "hba1c": {"hba1c_dm", "hba1c_no_dm"}, "sdi": {"sdi_4_to_6", "sdi_7_to_10"}}
    age_sq, bmi_hi, statin = (eq._PREVENT_TERMS.index(t) for t in ("age_sq", "bmi_gte_30", "statin"))
    for (model, _, outcome, horizon), (betas, addon) in eq._PREVENT_ADDON.items():
        assert len(betas) == len(eq._PREVENT_TERMS)
        expected = addon_terms.get(model) or {*addon_terms["uacr"], *addon_terms["hba1c"], *addon_terms["sdi"],
                                              "missing_uacr", "missing_hba1c", "missing_sdi"}
        assert set(addon) == expected
        assert (betas[age_sq] != 0) == (horizon == 30)
        assert (betas[bmi_hi] != 0) == (outcome == "heart_failure")
        assert (betas[statin] == 0) == (outcome == "heart_failure")


# --------------------------------------------------------------------------------------------- assess picks the model
PERSON = Person(age=50, sex="female", total_cholesterol_mg_dl=200, hdl_mg_dl=45, systolic_bp_mmhg=160,
                on_antihypertensive=True, diabetes=True, egfr=90, bmi=35)


def prevent_names(person: Person) -> dict[str, str]:
    split = [e.name.rsplit(", ", 1) for e in assess(person).estimates if e.name.startswith("PREVENT")]
    return {outcome: model for model, outcome in split}


@pytest.mark.parametrize(("optional", "model"), [
    ({}, "PREVENT base model"),
    (dict(uacr_mg_g=40), "PREVENT base model + UACR"),
    (dict(hba1c_percent=7.5), "PREVENT base model + HbA1c"),
    (dict(sdi_decile=8), "PREVENT base model + SDI"),
    (dict(uacr_mg_g=40, hba1c_percent=7.5), "PREVENT full model (UACR, HbA1c, SDI)"),
    (FULL, "PREVENT full model (UACR, HbA1c, SDI)"),
])
def test_assess_uses_the_richest_model_the_data_allow(optional: dict[str, Any], model: str) -> None:
    names = prevent_names(replace(PERSON, **optional))
    outcomes = ("total CVD", "ASCVD", "heart failure")
    assert names == {**dict.fromkeys(outcomes, model), **dict.fromkeys((f"{o} (30-year)" for o in outcomes), model)}


def test_assess_reproduces_the_s12_full_model_example() -> None:
    estimates = {e.name: e for e in assess(replace(PERSON, **FULL)).estimates}
    assert round(estimates["PREVENT full model (UACR, HbA1c, SDI), total CVD"].risk, 4) == 0.1560


def test_assess_drops_an_invalid_optional_predictor_with_a_message() -> None:
    person = replace(PERSON, uacr_mg_g=40, hba1c_percent=16.0)
    assert set(prevent_names(person).values()) == {"PREVENT base model + UACR"}
    estimate = next(e for e in assess(person).estimates if e.name.startswith("PREVENT"))
    assert any(note.startswith("hba1c_percent = 16 % is outside the valid range") and "not used" in note
               for note in estimate.notes)
    optional = prevent_optional_predictors(replace(PERSON, sdi_decile=12))
    assert optional.sdi_decile is None and "sdi_decile = 12" in optional.problems[0]


def test_cli_reads_uacr_and_hba1c_from_fhir_and_sdi_from_the_person_file(tmp_path: Path) -> None:
    bundle = tmp_path / "obs.json"
    observations = [("9318-7", 40, "mg/g"), ("4548-4", 58.5, "mmol/mol")]  # 58.5 mmol/mol = 7.5 % (NGSP)
    bundle.write_text(json.dumps({"resourceType": "Bundle", "entry": [{"resource": {
        "resourceType": "Observation", "status": "final", "effectiveDateTime": "2026-01-01",
        "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
        "valueQuantity": {"value": value, "code": unit}}} for code, value, unit in observations]}))
    person = tmp_path / "person.yaml"
    person.write_text("age: 50\nsex: female\ntotal_cholesterol_mg_dl: 200\nhdl_mg_dl: 45\nsystolic_bp_mmhg: 160\n"
                      "on_antihypertensive: true\ndiabetes: true\negfr: 90\nbmi: 35\nsdi_decile: 8\n"
                      "fhir_bundle: obs.json\n")
    result = CliRunner().invoke(app, ["risk", "assess", str(person), "--out", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 0, result.output
    document = json.loads((tmp_path / "out" / "risk.json").read_text())
    assert document["inputs_from"]["uacr_mg_g"].endswith("obs.json:entry[0]")
    estimate = next(e for e in document["estimates"] if e["name"].endswith("total CVD")
                    and e["name"].startswith("PREVENT"))
    assert estimate["name"] == "PREVENT full model (UACR, HbA1c, SDI), total CVD"
    assert round(estimate["risk"], 3) == 0.156  # Khan 2024 Table S12 full model (HbA1c from mmol/mol rounds)
