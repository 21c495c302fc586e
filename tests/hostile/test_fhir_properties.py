"""Property tests of the FHIR readers and the IG checker: a patient Bundle with any element replaced by any JSON
value is read or refused with an InputError naming the file (never another exception), and the checker returns a
report for any such document (never raises)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tailormed.errors import InputError

pytest.importorskip("fhir.resources", reason="the fhir extra (fhir.resources) is not installed")

from tailormed.io.fhir_patient import outside_calls, patient_from_fhir  # noqa: E402

PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                            HealthCheck.too_slow])
LOINC = "http://loinc.org"
BUNDLE: dict[str, Any] = {"resourceType": "Bundle", "type": "collection", "entry": [
    {"fullUrl": "urn:uuid:p1", "resource": {"resourceType": "Patient", "id": "p1", "gender": "male",
                                            "birthDate": "1950-01-31"}},
    {"resource": {"resourceType": "MedicationRequest", "id": "m1", "status": "active", "intent": "order",
                  "subject": {"reference": "urn:uuid:p1"},
                  "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                                            "code": "32968", "display": "clopidogrel"}]}}},
    {"resource": {"resourceType": "Condition", "id": "c1", "subject": {"reference": "urn:uuid:p1"},
                  "code": {"text": "acute coronary syndrome"}}},
    {"resource": {"resourceType": "AllergyIntolerance", "id": "a1", "patient": {"reference": "urn:uuid:p1"},
                  "code": {"text": "penicillin"}}},
    {"resource": {"resourceType": "Observation", "id": "o1", "status": "final",
                  "subject": {"reference": "urn:uuid:p1"},
                  "code": {"coding": [{"system": LOINC, "code": "2093-3"}]},
                  "valueQuantity": {"value": 200, "code": "mg/dL"}}},
    {"resource": {"resourceType": "Observation", "id": "g1", "status": "final",
                  "subject": {"reference": "urn:uuid:p1"},
                  "code": {"coding": [{"system": LOINC, "code": "84413-4"}]},
                  "valueCodeableConcept": {"text": "CYP2C19 *1/*17"},
                  "component": [{"code": {"coding": [{"system": LOINC, "code": "48018-6"}]},
                                 "valueCodeableConcept": {"coding": [{"system": "http://www.genenames.org",
                                                                      "code": "HGNC:2621"}]}}]}},
]}

SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
JSON_VALUES = st.recursive(SCALARS,
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                      max_size=3), max_leaves=8)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for position, value in enumerate(node):
            found += _paths(value, (*prefix, position))
    return found


PATHS = _paths(BUNDLE)


def _replaced(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    document = copy.deepcopy(BUNDLE)
    target: Any = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return document


def test_the_unbroken_bundle_reads() -> None:
    record = patient_from_fhir(BUNDLE, source="b.json")
    assert record.medications == ["clopidogrel"]
    assert [(c.gene, c.diplotype) for c in outside_calls(record)] == [("CYP2C19", "*1/*17")]


@PROPERTY
@given(st.sampled_from(PATHS), JSON_VALUES)
def test_any_element_replaced_is_read_or_refused_naming_the_file(path: tuple[Any, ...], value: Any) -> None:
    document = _replaced(path, value)
    try:
        outside_calls(patient_from_fhir(document, source="b.json"))
    except InputError as exc:
        assert str(exc).startswith("b.json"), str(exc)
        assert "\n" not in str(exc)


@PROPERTY
@given(st.sampled_from(PATHS), JSON_VALUES)
def test_the_checker_reports_on_any_document(checker_or_skip: Any, path: tuple[Any, ...], value: Any) -> None:
    report = checker_or_skip.check(_replaced(path, value))
    assert report.resources >= 0
    json.dumps([str(i) for i in report.issues])


@pytest.fixture(scope="module")
def checker_or_skip() -> Any:
    from tailormed.kb.fhir_packages import fhir_packages_available

    pytest.importorskip("fhirpathpy", reason="the fhir extra (fhirpathpy) is not installed")
    if not fhir_packages_available():
        pytest.skip("FHIR packages not fetched: run `make fhir-data`")
    from tailormed.ehr.fhir_check import FhirChecker

    return FhirChecker()


def test_a_file_that_is_not_a_bundle(tmp_path: Path) -> None:
    from tailormed.io.fhir_patient import read_fhir_patient

    path = tmp_path / "b.json"
    path.write_text(json.dumps({"resourceType": "Bundle", "entry": "nope"}))
    with pytest.raises(InputError, match="b.json: Bundle.entry must be a list"):
        read_fhir_patient(path)
