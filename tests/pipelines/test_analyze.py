"""tailormed analyze: sections written, and inputs this version does not analyse are said so."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from tailormed.pipelines.analyze import run_analyze

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-patient"


RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
LOINC = "http://loinc.org"


def _ehr_bundle(*resources: dict[str, object]) -> dict[str, object]:
    patient = {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1968-04-02"}
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": patient}, *({"resource": r} for r in resources)]}


def _analyze_with_bundle(tmp_path: Path, bundle: dict[str, object], **manifest_extra: object) -> Path:
    for name in ("demo.vcf",):
        shutil.copy(DEMO / name, tmp_path / name)
    (tmp_path / "bundle.json").write_text(json.dumps(bundle))
    manifest = {"id": "P1", "germline": {"vcf": "demo.vcf", "sample_id": "DEMO001"}, "fhir_bundle": "bundle.json",
                **manifest_extra}
    (tmp_path / "patient.yaml").write_text(yaml.safe_dump(manifest))
    run_analyze(tmp_path / "patient.yaml", tmp_path / "out")
    return tmp_path / "out"


def test_a_fhir_bundle_supplies_sex_medications_and_lab_genotypes(tmp_path: Path) -> None:
    """The EHR's Bundle fills the manifest's unknown sex, adds its active orders to the medication list (a product
    code mapped to its ingredient) and its genotype Observations as outside calls (a gene the VCF lacks)."""
    clopidogrel_order = {"resourceType": "MedicationRequest", "id": "m1", "status": "active", "intent": "order",
                        "subject": {"reference": "Patient/p1"}, "medicationCodeableConcept": {
                            "coding": [{"system": RXNORM, "code": "309362",
                                        "display": "clopidogrel 75 MG Oral Tablet"}]}}
    genotype = {"resourceType": "Observation", "id": "g1", "status": "final", "subject": {"reference": "Patient/p1"},
                "code": {"coding": [{"system": LOINC, "code": "84413-4"}]},
                "valueCodeableConcept": {"text": "HLA-B *57:01/*07:02"},
                "component": [{"code": {"coding": [{"system": LOINC, "code": "48018-6"}]},
                               "valueCodeableConcept": {"text": "HLA-B"}}]}
    out = _analyze_with_bundle(tmp_path, _ehr_bundle(clopidogrel_order, genotype), medications=["codeine"])
    summary = json.loads((out / "analysis.json").read_text())
    assert summary["not_analysed"] == []
    assert summary["demographics"]["sex"] == "female"
    assert summary["medications"] == ["codeine", "clopidogrel"]
    pgx = json.loads((out / "pgx.json").read_text())
    hla = next(g for g in pgx["genes"] if g["gene"] == "HLA-B")
    assert "57:01" in json.dumps(hla)
    abacavir = next(d for d in pgx["drugs"] if d["drug"] == "abacavir")
    assert abacavir["status"] == "actionable"


def test_a_fhir_bundle_that_disagrees_with_the_manifest_is_refused(tmp_path: Path) -> None:
    import pytest

    from tailormed.errors import InputError

    with pytest.raises(InputError, match="sex disagrees"):
        _analyze_with_bundle(tmp_path, _ehr_bundle(), demographics={"sex": "male"})
    assert not (tmp_path / "out").exists()
