"""The results store: versions per patient, idempotent on inputs, one transaction per result, audited deletes,
an append-only audit log; the same behaviour on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from store_support import db_url, write_manifest  # noqa: F401 - db_url is a fixture
from typer.testing import CliRunner

from tailormed.cli import app
from tailormed.errors import InputError
from tailormed.pipelines.results import store_add, store_export
from tailormed.store.database import ResultStore

runner = CliRunner()


def _add(store: ResultStore, checksum: str, patient: str = "P1", tenant: str = "t") -> object:
    return store.add_result(tenant=tenant, patient_id=patient, input_checksum=checksum * 64,
                            documents={"pgx.json": checksum.encode(), "report.html": b"<html></html>"},
                            summary={"sections": {"pgx": {}}}, actor="tester")


def test_versions_idempotency_and_tenants(db_url: str) -> None:
    store = ResultStore(db_url)
    first, again, second = _add(store, "a"), _add(store, "a"), _add(store, "b")
    assert (first.version, first.created, again.version, again.created) == (1, True, 1, False)
    assert (second.version, second.created) == (2, True)
    assert [v.version for v in store.versions("t", "P1")] == [1, 2]
    assert store.documents(store.get_result("t", "P1", version=1, actor="x").id) == {
        "pgx.json": b"a", "report.html": b"<html></html>"}
    # another tenant does not see the patient, and its own P1 is a separate history
    with pytest.raises(InputError):
        store.get_result("other", "P1", actor="x")
    assert _add(store, "a", tenant="other").version == 1
    assert [p.patient_id for p in store.list_patients("t", actor="x")] == ["P1"]
    store.close()


def test_a_failed_store_leaves_nothing(db_url: str) -> None:
    store = ResultStore(db_url)
    with pytest.raises(Exception):  # noqa: B017 - the driver's integrity error
        store.add_result(tenant="t", patient_id="P1", input_checksum="c" * 64,
                         documents={"pgx.json": b"{}", "broken.json": None},  # type: ignore[dict-item]
                         summary={}, actor="tester")
    assert store.versions("t", "P1") == []
    with store.session() as session:
        assert session.execute(text("SELECT count(*) FROM documents")).scalar() == 0
        assert session.execute(text("SELECT count(*) FROM patients")).scalar() == 0
    store.close()


def test_delete_removes_data_and_keeps_an_append_only_audit(db_url: str) -> None:
    store = ResultStore(db_url)
    _add(store, "a")
    _add(store, "b")
    assert store.delete_patient("t", "P1", actor="dr-who") == 2
    with pytest.raises(InputError):
        store.get_result("t", "P1", actor="x")
    with store.session() as session:
        assert session.execute(text("SELECT count(*) FROM documents")).scalar() == 0
    actions = [(e.actor, e.patient_id, e.action) for e in store.audit_log("t")]
    assert ("dr-who", "P1", "delete") in actions and ("tester", "P1", "store") in actions
    for statement in ("UPDATE audit_log SET actor = 'nobody'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError), store.session() as session:
            session.execute(text(statement))
    assert ("dr-who", "P1", "delete") in [(e.actor, e.patient_id, e.action) for e in store.audit_log("t")]
    store.close()


def test_migrations_are_idempotent(db_url: str) -> None:
    ResultStore(db_url).close()
    store = ResultStore(db_url)  # a second open runs the migrations again: nothing to do
    with store.session() as session:
        assert session.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0001"
    store.close()


def test_jobs_are_claimed_once(db_url: str) -> None:
    store = ResultStore(db_url)
    job = store.submit_job(tenant="t", idempotency_key="k1", request_checksum="x", patient_id="P1", spool="/s",
                           actor="api")
    same = store.submit_job(tenant="t", idempotency_key="k1", request_checksum="x", patient_id="P1", spool="/s2",
                            actor="api")
    assert job.created and not same.created and same.id == job.id and same.spool == "/s"
    claimed = store.claim_job()
    assert claimed is not None and claimed.id == job.id and claimed.state == "running"
    assert store.claim_job() is None
    store.finish_job(job.id, result_id=7)
    done = store.get_job("t", job.id)
    assert done is not None and (done.state, done.result_id) == ("done", 7)
    assert store.get_job("other", job.id) is None
    store.close()


def test_jwt_ids_are_accepted_once(db_url: str) -> None:
    from datetime import UTC, datetime, timedelta

    store = ResultStore(db_url)
    later = datetime.now(UTC) + timedelta(minutes=5)
    assert store.first_use_of_token("iss", "jti-1", later)
    assert not store.first_use_of_token("iss", "jti-1", later)
    assert store.first_use_of_token("other-iss", "jti-1", later)
    store.close()


def test_store_add_runs_analyze_and_versions_changed_inputs(db_url: str, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path / "p")
    first = store_add(manifest, db_url)
    assert (first.patient_id, first.version, first.created) == ("P001", 1, True)
    assert {"analysis.json", "pgx.json", "report.html"} <= set(first.paths)
    assert not store_add(manifest, db_url).created
    (tmp_path / "p" / "calls.tsv").write_text("gene\tdiplotype\tphenotype\tactivity_score\nCYP2C19\t*1/*1\t\t\n")
    changed = store_add(manifest, db_url)
    assert (changed.version, changed.created) == (2, True)
    exported = json.loads(store_export("P001", "json", db_url))
    clopidogrel = [d for d in exported["documents"]["pgx.json"]["drugs"] if d["drug"] == "clopidogrel"][0]
    assert clopidogrel["basis"][0]["phenotype"] == "Normal Metabolizer"
    old = json.loads(store_export("P001", "json", db_url, version=1))
    old_row = [d for d in old["documents"]["pgx.json"]["drugs"] if d["drug"] == "clopidogrel"][0]
    assert old_row["basis"][0]["phenotype"] == "Poor Metabolizer" and old_row["status"] == "actionable"


def test_store_commands(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    manifest = write_manifest(tmp_path / "p")
    for args in (["store", "--help"], ["store", "add", "--help"], ["store", "export", "--help"]):
        assert runner.invoke(app, args).exit_code == 0
    added = runner.invoke(app, ["store", "add", str(manifest), "--db", db])
    assert added.exit_code == 0, added.output
    assert "stored P001 version 1" in added.output
    listed = runner.invoke(app, ["store", "list", "--db", db])
    assert "P001" in listed.output
    shown = json.loads(runner.invoke(app, ["store", "show", "P001", "--db", db]).stdout)
    assert shown["latest_version"] == 1 and "pgx.json" in shown["documents"]
    html = runner.invoke(app, ["store", "export", "P001", "--format", "html", "--db", db])
    assert html.exit_code == 0 and html.stdout.startswith("<!DOCTYPE html>")
    fhir = runner.invoke(app, ["store", "export", "P001", "--format", "fhir", "--db", db])
    assert fhir.exit_code == 0, fhir.output
    bundle = json.loads(fhir.stdout)
    assert bundle["resourceType"] == "Bundle"
    profiles = {p for e in bundle["entry"] for p in e["resource"].get("meta", {}).get("profile", [])}
    assert any(p.endswith("/genomic-report") for p in profiles), profiles
    unknown = runner.invoke(app, ["store", "export", "P001", "--format", "pdf", "--db", db])
    assert unknown.exit_code == 2 and "unknown export format" in unknown.output
    assert runner.invoke(app, ["store", "delete", "P001", "--db", db]).exit_code == 0
    missing = runner.invoke(app, ["store", "show", "P001", "--db", db])
    assert missing.exit_code == 2 and "no stored result" in missing.output


def test_bad_manifest_stores_nothing(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: P9\noutside_calls: missing.tsv\n")
    result = runner.invoke(app, ["store", "add", str(bad), "--db", db])
    assert result.exit_code == 2 and "missing.tsv" in result.output
    store = ResultStore(db)
    assert store.list_patients("default", actor="t") == []
    store.close()
