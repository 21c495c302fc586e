"""Person files: every value checked when read (field, range, file named), bundle values included; the bounds are the
risk equations' own plausibility limits."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tailormed.errors import InputError
from tailormed.io.fhir_observations import read_fhir_observations
from tailormed.io.risk_profile import read_person
from tailormed.model.risk import PERSON_BOUNDS
from tailormed.risk import equations

BASE = "sex: female\ntotal_cholesterol_mg_dl: 200\nhdl_mg_dl: 50\nsystolic_bp_mmhg: 130\negfr: 90\n"


def person_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "person.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(("line", "message"), [
    ("age: 500", r"age = 500 years is not a possible value \(expected 0-120 years\)"),
    ("age: -1", r"age = -1 years is not a possible value \(expected 0-120 years\)"),
    ("age: .nan", "age must be a finite number, got nan"),
    ("age: .inf", "age must be a finite number, got inf"),
    ("age: 1e308", r"age = 1e\+308 years is not a possible value \(expected 0-120 years\)"),  # PyYAML: a string
    ("age: 1.0e+308", r"age = 1e\+308 years is not a possible value"),  # PyYAML: a float
    ("age: old", "age must be a number, got 'old'"),
    ("age: true", "age must be a number, got True"),
    ("age: 55\nsdi_decile: 5.5", "sdi_decile must be a whole number, got 5.5"),
    ("age: 55\nsdi_decile: 11", r"sdi_decile = 11 is not a possible value \(expected 1-10\)"),
    ("age: 55\ncurrent_smoker: 1", "current_smoker must be true or false, got 1"),
    ("age: 55\non_statin:", "on_statin must be true or false, got nothing"),
    ("age: 55\nrace_group: other", "race_group must be one of white_or_other, african_american, got 'other'"),
    ("age: 55\ntriglycerides_mg_dl: -5", r"triglycerides_mg_dl = -5 mg/dL is not a possible value \(expected 1-50000"),
    ("age: 55\nldl_mg_dl: 1e308", r"ldl_mg_dl = 1e\+308 mg/dL is not a possible value"),
    ("age: 55\nhdl_mg_dl: 250", "hdl_mg_dl = 250 mg/dL is not below total_cholesterol_mg_dl = 200 mg/dL"),
    ("age: 55\nfhir_bundle: 5", "fhir_bundle must be the path of a FHIR bundle file, got 5"),
    ("age: 55\n5: 1\nfoo: 2", r"unknown field\(s\) \['5', 'foo'\]"),
])
def test_impossible_values_are_refused_at_read_time(tmp_path: Path, line: str, message: str) -> None:
    text = line + "\n" + "\n".join(part for part in BASE.splitlines() if part.split(":")[0] not in line) + "\n"
    path = person_file(tmp_path, text)
    with pytest.raises(InputError, match=message) as error:
        read_person(path)
    assert error.value.source == str(path)


def test_valid_values_keep_their_types(tmp_path: Path) -> None:
    person, origin = read_person(person_file(tmp_path, "age: 55\n" + BASE + "sdi_decile: 5.0\nbmi: '27.5'\n"))
    assert (person.age, type(person.age), person.sdi_decile, person.bmi) == (55, int, 5, 27.5)
    assert origin["age"].endswith("person.yaml")


def test_a_bundle_value_out_of_range_names_the_bundle_entry(tmp_path: Path) -> None:
    bundle = tmp_path / "obs.json"
    bundle.write_text(json.dumps({"resourceType": "Bundle", "entry": [{"resource": {
        "resourceType": "Observation", "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
        "valueQuantity": {"value": 1000, "unit": "mmHg"}}}]}))
    path = person_file(tmp_path, "age: 55\nsex: male\nfhir_bundle: obs.json\n")
    with pytest.raises(InputError, match=r"systolic_bp_mmhg = 1000 mmHg is not a possible value \(expected 60-300") \
            as error:
        read_person(path)
    assert error.value.source == f"{bundle}:entry[0]" and "named by person.yaml" in error.value.message


@pytest.mark.parametrize(("resource", "message"), [
    ({"code": {"coding": [{"system": "http://loinc.org", "code": "2093-3"}]},
      "valueQuantity": {"value": True, "unit": "mg/dL"}}, "has no numeric valueQuantity"),
    ({"code": {"coding": [{"system": "http://loinc.org", "code": "2093-3"}]},
      "valueQuantity": {"value": -5, "unit": "mg/dL"}}, "must be a finite number, 0 or more, got -5"),
    ({"code": {"coding": [{"system": "http://loinc.org", "code": "2093-3"}]},
      "valueQuantity": {"value": 1e308, "unit": "mmol/L"}}, "too large to convert"),
])
def test_fhir_values_must_be_finite_non_negative_numbers(tmp_path: Path, resource: dict[str, Any],
                                                        message: str) -> None:
    path = tmp_path / "obs.json"
    path.write_text(json.dumps({"resourceType": "Observation", **resource}))
    with pytest.raises(InputError, match=message):
        read_fhir_observations(path)


@pytest.mark.parametrize("text", ['{"resourceType": "Observation", "valueQuantity": {"value": NaN}, "code": '
                                  '{"coding": [{"system": "http://loinc.org", "code": "2093-3"}]}}',
                                  '{"resourceType": "Bundle", "entry": 5}'])
def test_fhir_nan_and_malformed_bundles_are_input_errors(tmp_path: Path, text: str) -> None:
    path = tmp_path / "obs.json"
    path.write_text(text)
    with pytest.raises(InputError):
        read_fhir_observations(path)


def test_fhir_elements_of_the_wrong_shape_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "obs.json"
    path.write_text(json.dumps({"resourceType": "Bundle", "entry": [
        {"resource": {"resourceType": "Observation", "code": [1]}},
        {"resource": {"resourceType": "Observation", "code": {"coding": 5}}},
        {"resource": {"resourceType": "Observation", "component": [5],
                      "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]}}}]}))
    assert read_fhir_observations(path).systolic_bp_mmhg is None


# The person-file bounds are the equations' plausibility limits (risk/equations.py keeps its own copy of the numbers):
# each equation-side check must quote exactly the range of model/risk.py.
_PCE = dict(age=55, sex="female", race_group="white_or_other", total_cholesterol_mg_dl=200, hdl_mg_dl=50,
            systolic_bp_mmhg=120, on_antihypertensive=False, current_smoker=False, diabetes=False)
_PREVENT = dict(outcome="total_cvd", horizon_years=10, age=55, sex="female", total_cholesterol_mg_dl=200,
                hdl_mg_dl=50, systolic_bp_mmhg=120, diabetes=False, current_smoker=False, egfr=90,
                on_antihypertensive=False, on_statin=False, bmi=27)
_FINDRISC = dict(age=55, sex="female", bmi=27, waist_cm=85, physically_active_30min_daily=True,
                 eats_vegetables_fruit_berries_daily=True, ever_antihypertensive_medication=False,
                 history_of_high_glucose=False, family_history="none")
_CHECKS: dict[str, Callable[[float], object]] = {
    "age": lambda v: equations.findrisc(**{**_FINDRISC, "age": v}),
    "systolic_bp_mmhg": lambda v: equations.pooled_cohort_ascvd_10y(**{**_PCE, "systolic_bp_mmhg": v}),
    "total_cholesterol_mg_dl": lambda v: equations.check_lipids(v, 0.5),
    "hdl_mg_dl": lambda v: equations.check_lipids(1999, v),
    "egfr": lambda v: equations.prevent(**{**_PREVENT, "egfr": v}),
    "bmi": lambda v: equations.findrisc(**{**_FINDRISC, "bmi": v}),
    "waist_cm": lambda v: equations.findrisc(**{**_FINDRISC, "waist_cm": v}),
    "uacr_mg_g": equations.check_uacr,
    "hba1c_percent": equations.check_hba1c,
    "serum_creatinine_mg_dl": lambda v: equations.ckd_epi_2021(v, 50, "male"),
}


@pytest.mark.parametrize("field", sorted(_CHECKS))
def test_person_bounds_are_the_equations_plausibility_limits(field: str) -> None:
    low, high, _ = PERSON_BOUNDS[field]
    for outside in (high + 1, low - 1):
        with pytest.raises(InputError, match=f"{field} = .* is not a possible value \\(expected {low:g}-{high:g}"):
            _CHECKS[field](outside)


def test_sdi_bounds_are_the_equations_range() -> None:
    low, high, _ = PERSON_BOUNDS["sdi_decile"]
    assert equations.PREVENT_OPTIONAL_RANGES["sdi_decile"] == (low, high)
