"""Reading an EHR's patient Bundle: demographics, medications matched to pgx-core drugs, conditions, allergies,
clinical measurements, lab genotypes as outside calls; malformed FHIR named by file, entry and element."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tailormed.errors import InputError

pytest.importorskip("fhir.resources", reason="the fhir extra (fhir.resources) is not installed")

from tailormed.io.fhir_patient import outside_calls, read_fhir_patient  # noqa: E402

HGNC = "http://www.genenames.org"
LOINC = "http://loinc.org"


@pytest.fixture
def checker_free_ig() -> Path:
    from tailormed.kb.fhir_packages import GENOMICS_IG, default_fhir_dir, fhir_packages_available

    folder = default_fhir_dir()
    if folder is None or not fhir_packages_available(folder):
        pytest.skip("FHIR packages not fetched: run `make fhir-data`")
    return folder / GENOMICS_IG / "package" / "example"


def _genotype(gene: str, hgnc: str | None, value: dict[str, Any], status: str = "final") -> dict[str, Any]:
    gene_value = {"coding": [{"system": HGNC, "code": hgnc, "display": gene}]} if hgnc else {"text": gene}
    return {"resourceType": "Observation", "id": f"geno-{gene}", "status": status,
            "code": {"coding": [{"system": LOINC, "code": "84413-4"}]}, "subject": {"reference": "Patient/p1"},
            "valueCodeableConcept": value,
            "component": [{"code": {"coding": [{"system": LOINC, "code": "48018-6"}]},
                           "valueCodeableConcept": gene_value}]}


def _bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    patient = {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1968-04-02",
               "identifier": [{"value": "MRN-1"}]}
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": "http://ehr.example/fhir/Patient/p1", "resource": patient}]
            + [{"resource": r} for r in resources]}


def _write(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(document))
    return path


def test_a_patient_bundle_is_read_into_the_record(tmp_path: Path) -> None:
    bundle = _bundle(
        {"resourceType": "MedicationRequest", "id": "m1", "status": "active", "intent": "order",
         "subject": {"reference": "Patient/p1"},
         "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                                   "code": "309362", "display": "clopidogrel 75 MG Oral Tablet"}]}},
        {"resourceType": "MedicationRequest", "id": "m2", "status": "stopped", "intent": "order",
         "subject": {"reference": "Patient/p1"}, "medicationCodeableConcept": {"text": "codeine 30 mg tablet"}},
        {"resourceType": "MedicationStatement", "id": "m3", "status": "active", "subject": {"reference": "Patient/p1"},
         "medicationCodeableConcept": {"text": "Simvastatin 40 mg"}},
        {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"},
         "clinicalStatus": {"coding": [{"code": "active"}]},
         "code": {"coding": [{"system": "http://snomed.info/sct", "code": "394659003",
                              "display": "Acute coronary syndrome"}]}},
        {"resourceType": "AllergyIntolerance", "id": "a1", "patient": {"reference": "Patient/p1"},
         "code": {"text": "penicillin"}},
        {"resourceType": "Observation", "id": "bp", "status": "final", "subject": {"reference": "Patient/p1"},
         "code": {"coding": [{"system": LOINC, "code": "8480-6"}]}, "effectiveDateTime": "2026-01-02",
         "valueQuantity": {"value": 142, "unit": "mmHg", "code": "mm[Hg]"}},
        _genotype("CYP2C19", "HGNC:2621", {"text": "CYP2C19 *1/*2"}),
        _genotype("CYP2D6", None, {"coding": [{"system": "http://www.pharmvar.org", "code": "CYP2D6_*1/*4"}]}),
        _genotype("TPMT", "HGNC:12014", {"text": "TPMT *1/*3A"}, status="entered-in-error"))
    record = read_fhir_patient(_write(tmp_path, bundle))
    assert record.patient_id == "p1"
    assert (record.demographics.sex, str(record.demographics.birth_date)) == ("female", "1968-04-02")
    assert record.medications == ["clopidogrel", "simvastatin"]  # product code -> ingredient; stopped order skipped
    assert [c.text for c in record.conditions] == ["Acute coronary syndrome"]
    assert record.conditions[0].status == "active"
    assert [a.text for a in record.allergies] == ["penicillin"]
    assert record.clinical.systolic_bp_mmhg is not None and record.clinical.systolic_bp_mmhg.value == 142
    calls = {c.gene: c.diplotype for c in outside_calls(record)}
    assert calls == {"CYP2C19": "*1/*2", "CYP2D6": "*1/*4"}
    assert all("bundle.json:entry[" in c.source for c in outside_calls(record))


def test_the_igs_pgx_example_bundle_yields_its_genotype_and_medication(checker_free_ig: Path) -> None:
    record = read_fhir_patient(checker_free_ig / "Bundle-bundle-pgxexample.json")
    assert [(g.gene, g.diplotype) for g in record.genotypes] == [("CYP2C9", "*4/*35B")]
    assert record.medications == ["mercaptopurine"]


@pytest.mark.parametrize(("change", "message"), [
    (lambda b: b["entry"][1]["resource"].update(valueCodeableConcept="CYP2C19 *1/*2"),
     r"bundle.json:entry\[1\] \(Observation/geno-CYP2C19\): valueCodeableConcept: must be a JSON object, got str$"),
    (lambda b: b["entry"][0]["resource"].update(birthDate="1968-13-02"),
     r"bundle.json:entry\[0\] \(Patient/p1\): birthDate: Date value string does not match"),
    (lambda b: b["entry"][0]["resource"].update(gender="f"), r"Patient.gender 'f' is not male, female"),
    (lambda b: b["entry"][1]["resource"].update(component=[]), "without a gene-studied component"),
    (lambda b: b["entry"][1]["resource"].update(valueCodeableConcept={"text": "positive"}),
     "no diplotype in valueCodeableConcept"),
    (lambda b: b["entry"][1]["resource"].update(subject={"reference": "Patient/other"}),
     r"Observation.subject refers to 'Patient/other', not the Bundle's Patient"),
    (lambda b: b["entry"].append({"resource": {"resourceType": "Patient", "id": "p2"}}),
     "holds 2 Patient resources"),
    (lambda b: b["entry"].append({"resource": {"resourceType": "Observation", "status": "final", "code": {},
                                               "valueQuantity": {"value": "high"}}}),
     r"entry\[2\] \(Observation\): valueQuantity.value: "),
    (lambda b: b["entry"].append({"fullUrl": "x"}), r"entry\[2\]: entry without a resource"),
])
def test_bad_fhir_is_one_line_naming_file_entry_and_element(tmp_path: Path, change: Any, message: str) -> None:
    bundle = _bundle(_genotype("CYP2C19", "HGNC:2621", {"text": "CYP2C19 *1/*2"}))
    change(bundle)
    with pytest.raises(InputError, match=message) as caught:
        read_fhir_patient(_write(tmp_path, bundle))
    assert "\n" not in str(caught.value)


def test_a_gene_reported_twice_differently_is_refused(tmp_path: Path) -> None:
    bundle = _bundle(_genotype("CYP2C19", "HGNC:2621", {"text": "CYP2C19 *1/*2"}),
                     {**_genotype("CYP2C19", "HGNC:2621", {"text": "CYP2C19 *2/*2"}), "id": "again"})
    with pytest.raises(InputError, match="CYP2C19 is reported twice with different diplotypes"):
        outside_calls(read_fhir_patient(_write(tmp_path, bundle)))


def test_not_json_and_not_fhir_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "bundle.json"
    path.write_text("{")
    with pytest.raises(InputError, match="bundle.json:line 1 column 2: not valid JSON"):
        read_fhir_patient(path)
    path.write_text('{"entry": []}')
    with pytest.raises(InputError, match="not a FHIR resource"):
        read_fhir_patient(path)


def test_the_record_lists_clinical_ascvd_from_conditions_and_completed_procedures(tmp_path: Path) -> None:
    snomed = "http://snomed.info/sct"
    bundle = _bundle(
        {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"},
         "code": {"coding": [{"system": snomed, "code": "401303003"}]}},  # acute ST-elevation MI
        {"resourceType": "Procedure", "id": "x1", "status": "completed", "subject": {"reference": "Patient/p1"},
         "code": {"coding": [{"system": snomed, "code": "232717009"}]}, "performedDateTime": "2018-06-01"},
        {"resourceType": "Procedure", "id": "x2", "status": "not-done", "subject": {"reference": "Patient/p1"},
         "code": {"coding": [{"system": snomed, "code": "415070008"}]}})
    clinical = read_fhir_patient(_write(tmp_path, bundle)).clinical
    found = clinical.clinical_ascvd
    assert [f.split(" (")[0] for f in found] == ["myocardial infarction", "coronary artery bypass graft"]
    assert "bundle.json:entry[2]" in found[1] and "performed 2018-06-01" in found[1]
    assert clinical.possible_clinical_ascvd == []  # the not-done PCI is neither evidence nor to confirm
