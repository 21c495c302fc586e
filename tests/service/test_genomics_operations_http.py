"""The FHIR Genomics Operations on HTTP, answered from a stored result of the caller's tenant (audited)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from service_support import keys, make_app, service_db  # noqa: F401 - fixtures
from store_support import PGX_ONLY_OUTSIDE_CALLS

KEY_A = {"X-API-Key": "key-for-hospital-a-0123456789"}
KEY_B = {"X-API-Key": "key-for-hospital-b-0123456789"}
MANIFEST = b"id: OPS-PATIENT-1\noutside_calls: calls.tsv\nmedications: [clopidogrel]\n"


@pytest.fixture
def api(service_db, make_app):  # noqa: ANN001, ANN201
    with TestClient(make_app(service_db, job_workers=1, job_lease_seconds=5.0)) as client:
        files = [("manifest", ("patient.yaml", MANIFEST, "application/yaml")),
                 ("files", ("calls.tsv", PGX_ONLY_OUTSIDE_CALLS.encode(), "text/tab-separated-values"))]
        submitted = client.post("/api/v1/analyses", files=files, headers=KEY_A | {"Idempotency-Key": "ops-1"})
        assert submitted.status_code == 202, submitted.text
        job = submitted.json()
        deadline = time.monotonic() + 120
        while client.get(f"/api/v1/analyses/{job['id']}", headers=KEY_A).json()["state"] not in ("done", "failed"):
            assert time.monotonic() < deadline, "the analysis did not finish"
            time.sleep(0.2)
        yield client


def _values(parameters: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [p for p in parameters.get("parameter", []) if p.get("name") == name]


def test_find_subject_haplotypes_returns_the_stored_genotype(api: TestClient) -> None:
    answer = api.get("/fhir/$find-subject-haplotypes?subject=Patient/OPS-PATIENT-1&genes=CYP2C19", headers=KEY_A)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/fhir+json")
    parameters = answer.json()
    assert parameters["resourceType"] == "Parameters"
    text = answer.text
    assert "CYP2C19" in text and "84413-4" in text  # the genotype Observation (LOINC 84413-4) for the gene asked


def test_find_subject_tx_implications_for_a_treatment(api: TestClient) -> None:
    answer = api.get("/fhir/$find-subject-tx-implications", params={"subject": "OPS-PATIENT-1",
                                                                     "treatments": "clopidogrel"}, headers=KEY_A)
    assert answer.status_code == 200, answer.text
    assert answer.json()["resourceType"] == "Parameters" and "clopidogrel" in answer.text.lower()


def test_refusals(api: TestClient) -> None:
    assert api.get("/fhir/$find-subject-haplotypes?subject=OPS-PATIENT-1&genes=CYP2C19").status_code == 401
    # another tenant does not see the patient
    other = api.get("/fhir/$find-subject-haplotypes?subject=OPS-PATIENT-1&genes=CYP2C19", headers=KEY_B)
    assert other.status_code == 404
    assert api.get("/fhir/$find-subject-haplotypes?subject=OPS-PATIENT-1", headers=KEY_A).status_code == 422
    ranges = api.get("/fhir/$find-subject-tx-implications?subject=OPS-PATIENT-1&ranges=NC_000010.11:94761900-94762000",
                     headers=KEY_A)
    assert ranges.status_code == 422 and "ranges" in ranges.text
