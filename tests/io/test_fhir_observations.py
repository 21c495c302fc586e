"""FHIR Observations: LOINC codes to measurements, unit conversion, latest value wins, clear refusals."""

import json
from pathlib import Path

import pytest

from tailormed.errors import InputError
from tailormed.io.fhir_observations import read_fhir_observations


def _observation(code: str, value: float | None = None, unit: str = "", date: str = "2026-01-01",
                 **extra: object) -> dict:
    resource: dict = {"resourceType": "Observation", "status": "final", "effectiveDateTime": date,
                      "code": {"coding": [{"system": "http://loinc.org", "code": code}]}}
    if value is not None:
        resource["valueQuantity"] = {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}
    resource.update(extra)
    return resource


def _bundle(tmp_path: Path, *resources: dict) -> Path:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection",
                                "entry": [{"resource": r} for r in resources]}))
    return path


def test_units_are_normalised_and_the_latest_value_wins(tmp_path: Path) -> None:
    bp_panel = _observation("85354-9", component=[
        {"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
         "valueQuantity": {"value": 142, "code": "mm[Hg]"}},
        {"code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]},
         "valueQuantity": {"value": 88, "code": "mm[Hg]"}}])
    path = _bundle(tmp_path,
                   _observation("2093-3", 5.5, "mmol/L"),
                   _observation("2085-9", 50, "mg/dL", date="2025-01-01"),
                   _observation("2085-9", 1.2, "mmol/L", date="2026-02-01"),
                   _observation("4548-4", 53, "mmol/mol"),
                   _observation("29463-7", 176.4, "[lb_av]"),
                   bp_panel,
                   _observation("72166-2", valueCodeableConcept={"coding": [
                       {"system": "http://snomed.info/sct", "code": "8517006"}]}))
    inputs = read_fhir_observations(path)
    assert inputs.total_cholesterol_mg_dl is not None
    assert inputs.total_cholesterol_mg_dl.value == pytest.approx(5.5 * 38.67)
    assert inputs.total_cholesterol_mg_dl.original == "5.5 mmol/L"
    assert inputs.hdl_cholesterol_mg_dl is not None and inputs.hdl_cholesterol_mg_dl.value == pytest.approx(46.404)
    assert inputs.hba1c_percent is not None and inputs.hba1c_percent.value == pytest.approx(7.0, abs=0.01)
    assert inputs.body_weight_kg is not None and inputs.body_weight_kg.value == pytest.approx(176.4 * 0.45359237)
    assert inputs.systolic_bp_mmhg is not None and inputs.systolic_bp_mmhg.value == 142
    assert inputs.diastolic_bp_mmhg is not None and inputs.diastolic_bp_mmhg.value == 88
    assert inputs.smoking == "former" and inputs.smoking_source.endswith("entry[6]")


def test_unconvertible_unit_names_the_entry(tmp_path: Path) -> None:
    path = _bundle(tmp_path, _observation("2093-3", 5.5, "g/L"))
    with pytest.raises(InputError, match=r"bundle.json:entry\[0\].*unit 'g/L'"):
        read_fhir_observations(path)


def test_missing_value_and_wrong_resource(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no numeric valueQuantity"):
        read_fhir_observations(_bundle(tmp_path, _observation("8480-6")))
    path = tmp_path / "patient.json"
    path.write_text(json.dumps({"resourceType": "Patient"}))
    with pytest.raises(InputError, match="expected a Bundle or an Observation"):
        read_fhir_observations(path)
    path.write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        read_fhir_observations(path)


def test_entered_in_error_observations_are_ignored(tmp_path: Path) -> None:
    wrong = _observation("8480-6", 250, "mm[Hg]", date="2026-03-01")
    wrong["status"] = "entered-in-error"
    inputs = read_fhir_observations(_bundle(tmp_path, _observation("8480-6", 128, "mm[Hg]"), wrong))
    assert inputs.systolic_bp_mmhg is not None and inputs.systolic_bp_mmhg.value == 128


def test_urine_albumin_creatinine_ratio_codes_and_units(tmp_path: Path) -> None:
    # 9318-7 and 14959-1 are mass ratios (mg/g); 32294-1 is an unspecified ratio whose unit must be given.
    for code, value, unit, expected in (("9318-7", 40, "mg/g", 40.0), ("14959-1", 35, "mg/g{creat}", 35.0),
                                        ("32294-1", 3.0, "mg/mmol", 3.0 * 8.84)):
        inputs = read_fhir_observations(_bundle(tmp_path, _observation(code, value, unit)))
        assert inputs.uacr_mg_g is not None and inputs.uacr_mg_g.value == pytest.approx(expected)
    with pytest.raises(InputError, match=r"LOINC 32294-1: unit '' cannot be converted to mg/g"):
        read_fhir_observations(_bundle(tmp_path, _observation("32294-1", 0.03, "")))
    with pytest.raises(InputError, match=r"LOINC 9318-7: unit 'mg/L' cannot be converted to mg/g"):
        read_fhir_observations(_bundle(tmp_path, _observation("9318-7", 40, "mg/L")))
