"""The server SIGKILLed while submissions arrive and analyses run, then restarted: every submission it accepted
(202) is analysed and stored exactly once, and no result is half-written."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from service_support import free_port
from store_support import PGX_ONLY_OUTSIDE_CALLS

KEY = "key-for-hospital-a-0123456789"


def _start(db: str, port: int, folder: Path) -> subprocess.Popen[bytes]:
    env = os.environ | {"TAILORMED_JOB_LEASE_SECONDS": "2"}
    process = subprocess.Popen(
        [sys.executable, "-m", "tailormed.cli", "serve", "--db", db, "--port", str(port), "--api-keys",
         str(folder / "keys.tsv"), "--spool", str(folder / "spool"), "--job-workers", "1"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the server did not start")


def _submit(port: int, number: int) -> httpx.Response:
    manifest = f"id: K{number:03d}\noutside_calls: calls.tsv\nmedications: [clopidogrel]\n".encode()
    return httpx.post(f"http://127.0.0.1:{port}/api/v1/analyses", timeout=30,
                      headers={"X-API-Key": KEY, "Idempotency-Key": f"kill-{number}"},
                      files=[("manifest", ("p.yaml", manifest)), ("files", ("calls.tsv", PGX_ONLY_OUTSIDE_CALLS))])


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_sigkill_loses_no_accepted_submission(backend: str, tmp_path: Path) -> None:
    from store_support import fresh_database

    databases = fresh_database(backend, tmp_path)
    db = next(databases)
    try:
        _run(db, tmp_path)
    finally:
        databases.close()


def _run(db: str, folder: Path) -> None:
    (folder / "keys.tsv").write_text(f"{KEY}\thospital-a\n")
    port = free_port()
    server = _start(db, port, folder)
    accepted: dict[int, str] = {}
    refused: list[int] = []
    stop = threading.Event()

    def client() -> None:
        number = 0
        while not stop.is_set() and number < 40:
            try:
                response = _submit(port, number)
                if response.status_code == 202:
                    accepted[number] = response.json()["id"]
                else:
                    refused.append(number)
            except httpx.HTTPError:
                refused.append(number)  # in flight when the server died: not accepted
            number += 1

    submitter = threading.Thread(target=client)
    submitter.start()
    deadline = time.monotonic() + 60
    while len(accepted) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(server.pid, signal.SIGKILL)  # mid-stream: a submission in flight, an analysis running
    server.wait()
    time.sleep(0.5)
    stop.set()
    submitter.join()
    assert len(accepted) >= 4
    from tailormed.store.database import ResultStore

    store = ResultStore(db)
    pending = [store.get_job("hospital-a", job) for job in accepted.values()]
    store.close()
    assert any(j is not None and j.state in ("queued", "running") for j in pending), "nothing left to recover"
    server = _start(db, port, folder)
    try:
        # every accepted submission finishes after the restart (a job left running is claimed again)
        finish = time.monotonic() + 180
        states: dict[int, dict[str, Any]] = {}
        while time.monotonic() < finish:
            states = {n: httpx.get(f"http://127.0.0.1:{port}/api/v1/analyses/{job}",
                                   headers={"X-API-Key": KEY}).json() for n, job in accepted.items()}
            if all(s["state"] in ("done", "failed") for s in states.values()):
                break
            time.sleep(0.5)
        assert {s["state"] for s in states.values()} == {"done"}, states
        # retrying the ones that were in flight with the same key is safe
        for number in refused[:2]:
            assert _submit(port, number).status_code in (200, 202)
        patients = httpx.get(f"http://127.0.0.1:{port}/api/v1/patients", headers={"X-API-Key": KEY}).json()
        stored = {p["patient_id"]: p for p in patients}
        for number in accepted:
            entry = stored[f"K{number:03d}"]
            assert entry["versions"] == 1, entry  # exactly once, even when the analysis was re-run
            document = httpx.get(f"http://127.0.0.1:{port}/api/v1/patients/K{number:03d}/result",
                                 headers={"X-API-Key": KEY}).json()
            for section in document["analysis"]["sections"].values():
                if section["json"] != "analysis.json":
                    assert section["json"] in document["documents"]  # whole: every section's document is there
            assert json.dumps(document).count('"drug": "clopidogrel"') >= 1
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
