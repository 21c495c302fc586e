"""Schemathesis against the service's OpenAPI document: generated requests (valid and invalid, with and without
credentials) never get a 5xx."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed")
from hypothesis import HealthCheck, settings  # noqa: E402

from tailormed.service.app import create_app  # noqa: E402
from tailormed.service.settings import Settings  # noqa: E402

KEY = "key-for-fuzzing-0123456789"
_FOLDER = Path(tempfile.mkdtemp(prefix="tailormed-fuzz-"))
(_FOLDER / "keys.tsv").write_text(f"{KEY}\thospital-f\n")
APP = create_app(Settings(db_url=f"sqlite:///{_FOLDER / 'store.db'}", spool_dir=_FOLDER / "spool",
                          api_keys_file=_FOLDER / "keys.tsv", job_workers=0, max_upload_bytes=256 * 1024))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case) -> None:  # noqa: ANN001
    for headers in ({"X-API-Key": KEY}, {}):
        response = case.call(headers=headers)
        assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:300])
