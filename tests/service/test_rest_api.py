"""The REST API: submit (streamed, size-limited, idempotent), worker pool, poll, fetch, list, delete; tenants see
only their own patients; hostile submissions get the right 4xx and store nothing; no patient data in the logs."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from service_support import PUBLIC_URL, keys, make_app, service_db, token  # noqa: F401 - fixtures
from store_support import PGX_ONLY_OUTSIDE_CALLS

KEY_A = {"X-API-Key": "key-for-hospital-a-0123456789"}
KEY_B = {"X-API-Key": "key-for-hospital-b-0123456789"}
MANIFEST = b"id: SECRET-PATIENT-77\noutside_calls: calls.tsv\nmedications: [clopidogrel]\n"


def _files(manifest: bytes = MANIFEST, calls: str = PGX_ONLY_OUTSIDE_CALLS) -> list[tuple[str, Any]]:
    return [("manifest", ("patient.yaml", manifest, "application/yaml")),
            ("files", ("calls.tsv", calls.encode(), "text/tab-separated-values"))]


@pytest.fixture
def api(service_db, make_app):  # noqa: ANN001, ANN201
    with TestClient(make_app(service_db, job_workers=1, job_lease_seconds=5.0)) as client:
        yield client


def _state(client: TestClient) -> Any:
    return client.app.state.tailormed  # type: ignore[attr-defined]


def _wait(client: TestClient, job_id: str, headers: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = client.get(f"/api/v1/analyses/{job_id}", headers=headers).json()
        if status["state"] in ("done", "failed"):
            return status  # type: ignore[no-any-return]
        time.sleep(0.2)
    raise AssertionError("the analysis did not finish")


def test_submit_poll_fetch_list_delete(api: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    submitted = api.post("/api/v1/analyses", files=_files(), headers=KEY_A | {"Idempotency-Key": "sub-1"})
    assert submitted.status_code == 202, submitted.text
    job = submitted.json()
    assert submitted.headers["Location"] == f"/api/v1/analyses/{job['id']}"
    done = _wait(api, job["id"], KEY_A)
    assert (done["state"], done["result_version"]) == ("done", 1), done
    retry = api.post("/api/v1/analyses", files=_files(), headers=KEY_A | {"Idempotency-Key": "sub-1"})
    assert retry.status_code == 200 and retry.json()["id"] == job["id"]
    assert [p["patient_id"] for p in api.get("/api/v1/patients", headers=KEY_A).json()] == ["SECRET-PATIENT-77"]
    result = api.get("/api/v1/patients/SECRET-PATIENT-77/result", headers=KEY_A)
    assert result.status_code == 200 and result.headers["content-type"].startswith("application/json")
    rows = [d for d in result.json()["documents"]["pgx.json"]["drugs"] if d["drug"] == "clopidogrel"]
    assert rows and rows[0]["status"] == "actionable"
    html = api.get("/api/v1/patients/SECRET-PATIENT-77/result?format=html", headers=KEY_A)
    assert html.status_code == 200 and html.text.startswith("<!DOCTYPE html>")
    fhir = api.get("/api/v1/patients/SECRET-PATIENT-77/result?format=fhir", headers=KEY_A)
    assert fhir.status_code == 200 and fhir.headers["content-type"].startswith("application/fhir+json")
    assert fhir.json()["resourceType"] == "Bundle"
    assert api.get("/api/v1/patients/SECRET-PATIENT-77/result?format=pdf", headers=KEY_A).status_code == 422
    assert api.get("/api/v1/patients/SECRET-PATIENT-77", headers=KEY_A).json()["versions"][0]["version"] == 1
    # another tenant: nothing visible, nothing deletable
    assert api.get("/api/v1/patients", headers=KEY_B).json() == []
    assert api.get("/api/v1/patients/SECRET-PATIENT-77/result", headers=KEY_B).status_code == 404
    assert api.get(f"/api/v1/analyses/{job['id']}", headers=KEY_B).status_code == 404
    assert api.delete("/api/v1/patients/SECRET-PATIENT-77", headers=KEY_B).status_code == 404
    deleted = api.delete("/api/v1/patients/SECRET-PATIENT-77", headers=KEY_A)
    assert deleted.status_code == 200 and deleted.json()["deleted_versions"] == 1
    assert api.get("/api/v1/patients/SECRET-PATIENT-77/result", headers=KEY_A).status_code == 404
    audit = [(e.action, e.patient_id) for e in _state(api).store.audit_log("hospital-a")]
    assert ("submit", "SECRET-PATIENT-77") in audit and ("delete", "SECRET-PATIENT-77") in audit
    assert ("api:export-json", "SECRET-PATIENT-77") in audit
    # the service's own log lines (httpx's are the test client's, not the service's)
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert "/api/v1/patients/{patient_id}/result" in logged
    assert "SECRET-PATIENT-77" not in logged


def test_changed_inputs_make_a_new_version(api: TestClient) -> None:
    first = api.post("/api/v1/analyses", files=_files(), headers=KEY_A | {"Idempotency-Key": "v1"}).json()
    assert _wait(api, first["id"], KEY_A)["result_version"] == 1
    same_inputs = api.post("/api/v1/analyses", files=_files(), headers=KEY_A | {"Idempotency-Key": "v1-again"})
    assert _wait(api, same_inputs.json()["id"], KEY_A)["result_version"] == 1  # stored once
    changed = _files(calls="gene\tdiplotype\tphenotype\tactivity_score\nCYP2C19\t*1/*1\t\t\n")
    second = api.post("/api/v1/analyses", files=changed, headers=KEY_A | {"Idempotency-Key": "v2"}).json()
    assert _wait(api, second["id"], KEY_A)["result_version"] == 2
    assert [v["version"] for v in api.get("/api/v1/patients/SECRET-PATIENT-77", headers=KEY_A).json()["versions"]] \
        == [1, 2]


def _nothing_stored(client: TestClient) -> None:
    state = _state(client)
    assert state.store.list_patients("hospital-a", actor="t") == []
    assert state.store.job_by_key("hospital-a", "hostile") is None
    assert list(state.settings.spool_dir.iterdir()) == []


def test_hostile_submissions_store_nothing(api: TestClient, token) -> None:  # noqa: ANN001
    key = KEY_A | {"Idempotency-Key": "hostile"}
    cases: dict[str, tuple[int, Any, dict[str, str]]] = {
        "no credentials": (401, _files(), {"Idempotency-Key": "hostile"}),
        "unknown key": (401, _files(), {"X-API-Key": "x" * 30, "Idempotency-Key": "hostile"}),
        "bearer for another audience": (401, _files(), {"Authorization": f"Bearer {token(PUBLIC_URL + '/x')}",
                                                       "Idempotency-Key": "hostile"}),
        "no idempotency key": (422, _files(), KEY_A),
        "manifest not YAML": (422, _files(manifest=b"id: [unclosed\n"), key),
        "manifest names a missing file": (422, _files(manifest=b"id: P1\noutside_calls: other.tsv\n"), key),
        "manifest escapes the upload": (422, _files(manifest=b"id: P1\noutside_calls: /etc/passwd\n"), key),
        "manifest climbs out": (422, _files(manifest=b"id: P1\noutside_calls: ../calls.tsv\n"), key),
        "file name with a folder": (422, [("manifest", ("p.yaml", MANIFEST, "application/yaml")),
                                          ("files", ("../calls.tsv", b"x", "text/plain"))], key),
        "no manifest": (422, [("files", ("calls.tsv", b"x", "text/plain"))], key),
        "bad patient id": (422, _files(manifest=b"id: '../../x'\noutside_calls: calls.tsv\n"), key),
    }
    for case, (status, files, headers) in cases.items():
        response = api.post("/api/v1/analyses", files=files, headers=headers)
        assert response.status_code == status, (case, response.text)
        _nothing_stored(api)


def test_oversized_uploads_are_413(service_db, make_app) -> None:  # noqa: ANN001
    with TestClient(make_app(service_db, max_upload_bytes=4096)) as small:
        big = _files(calls=PGX_ONLY_OUTSIDE_CALLS + "#" * 10_000 + "\n")
        response = small.post("/api/v1/analyses", files=big, headers=KEY_A | {"Idempotency-Key": "hostile"})
        assert response.status_code == 413
        _nothing_stored(small)

        def chunks():  # noqa: ANN202 - a well-formed part without Content-Length, streamed past the limit
            yield (b'--boundary\r\nContent-Disposition: form-data; name="manifest"; filename="p.yaml"\r\n'
                   b"Content-Type: application/yaml\r\n\r\n")
            for _ in range(10):
                yield b"x" * 1000

        streamed = small.post("/api/v1/analyses", content=chunks(), headers=KEY_A | {
            "Idempotency-Key": "hostile", "Content-Type": "multipart/form-data; boundary=boundary"})
        assert streamed.status_code == 413
        _nothing_stored(small)


def test_idempotency_key_reuse_with_other_content_is_422(api: TestClient) -> None:
    first = api.post("/api/v1/analyses", files=_files(), headers=KEY_A | {"Idempotency-Key": "k"})
    assert first.status_code == 202
    other = api.post("/api/v1/analyses", files=_files(calls="gene\tdiplotype\tphenotype\tactivity_score\n"),
                     headers=KEY_A | {"Idempotency-Key": "k"})
    assert other.status_code == 422 and "different submission" in other.json()["detail"]
    # the same key in another tenant is another submission
    assert api.post("/api/v1/analyses", files=_files(), headers=KEY_B | {"Idempotency-Key": "k"}).status_code == 202


def test_a_failing_analysis_is_reported(api: TestClient) -> None:
    broken = _files(calls="nonsense\tcolumns\nA\tB\n")
    job = api.post("/api/v1/analyses", files=broken, headers=KEY_A | {"Idempotency-Key": "bad"}).json()
    status = _wait(api, job["id"], KEY_A)
    assert status["state"] == "failed" and status["error"] and "/spool/" not in status["error"]
    assert _state(api).store.list_patients("hospital-a", actor="t") == []


def test_bearer_tokens_scope_by_tenant(api: TestClient, token) -> None:  # noqa: ANN001
    audience = f"{PUBLIC_URL}/api"
    listed = api.get("/api/v1/patients", headers={"Authorization": f"Bearer {token(audience)}"})
    assert listed.status_code == 200 and listed.json() == []
    expired = token(audience, lifetime=-10, issued_offset=-600)
    wrong = api.get("/api/v1/patients", headers={"Authorization": f"Bearer {expired}"})
    assert wrong.status_code == 401
