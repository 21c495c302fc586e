"""pipelines.fhir: an EHR Bundle merged into a patient manifest, and PGx re-run on a lab's FHIR genotypes."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from tailormed.errors import InputError
from tailormed.model.ehr_record import EhrPatientRecord, ReportedGenotype
from tailormed.model.genotypes import OutsideCall
from tailormed.model.patient import Demographics, Patient

pytest.importorskip("fhir.resources", reason="the fhir extra (fhir.resources) is not installed")

from tailormed.pipelines.fhir import patient_with_fhir, pgx_from_fhir  # noqa: E402


def _record(**values: object) -> EhrPatientRecord:
    base = {"demographics": Demographics(sex="female", birth_date=date(1960, 5, 1)), "medications": ["clopidogrel"],
            "genotypes": [ReportedGenotype(gene="CYP2C19", diplotype="*2/*2", source="b.json:entry[3]")]}
    return EhrPatientRecord(**(base | values))


def test_the_bundle_fills_the_manifest_and_adds_medications_and_calls() -> None:
    patient = Patient(id="P1", medications=["codeine"])
    merged, calls = patient_with_fhir(patient, _record())
    assert (merged.demographics.sex, merged.demographics.birth_date) == ("female", date(1960, 5, 1))
    assert merged.medications == ["codeine", "clopidogrel"]
    assert [(c.gene, c.diplotype) for c in calls] == [("CYP2C19", "*2/*2")]


def test_disagreements_are_errors_naming_both_sides() -> None:
    with pytest.raises(InputError, match="sex disagrees: male in the manifest, female in the FHIR bundle"):
        patient_with_fhir(Patient(id="P1", demographics=Demographics(sex="male")), _record(), source="b.json")
    call = OutsideCall(gene="CYP2C19", diplotype="*1/*2", phenotype=None, activity_score=None, sample=None,
                       source="calls.tsv:2")
    with pytest.raises(InputError, match=r"CYP2C19: the outside calls give \*1/\*2 \(calls.tsv:2\), the FHIR bundle "
                                         r"\*2/\*2"):
        patient_with_fhir(Patient(id="P1"), _record(), [call])


def test_pgx_is_rerun_on_the_lab_genotypes_and_medications(tmp_path: Path) -> None:
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": "p9"}},
        {"resource": {"resourceType": "MedicationRequest", "id": "m", "status": "active", "intent": "order",
                      "subject": {"reference": "Patient/p9"},
                      "medicationCodeableConcept": {"text": "Plavix (clopidogrel)"}}},
        {"resource": {"resourceType": "Observation", "id": "g", "status": "final",
                      "subject": {"reference": "Patient/p9"},
                      "code": {"coding": [{"system": "http://loinc.org", "code": "84413-4"}]},
                      "valueCodeableConcept": {"text": "CYP2C19 *2/*2"},
                      "component": [{"code": {"coding": [{"system": "http://loinc.org", "code": "48018-6"}]},
                                     "valueCodeableConcept": {"coding": [{"system": "http://www.genenames.org",
                                                                          "code": "HGNC:2621"}]}}]}}]}
    path = tmp_path / "b.json"
    path.write_text(json.dumps(bundle))
    record, result = pgx_from_fhir(path)
    gene = next(g for g in result.genes if g.gene == "CYP2C19")
    assert (gene.source, gene.phenotype) == ("outside_call", "Poor Metabolizer")
    clopidogrel = [d for d in result.drugs if d.drug == "clopidogrel"]
    assert clopidogrel and all(d.in_medication_list for d in clopidogrel)
    assert any(d.status == "actionable" for d in clopidogrel)
    assert result.sample == "p9" and record.medications == ["clopidogrel"]
