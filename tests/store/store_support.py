"""Helpers shared by the store and service tests: a fresh database per backend, a small patient manifest."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy", reason="the results store needs the 'service' extra (SQLAlchemy, Alembic)")
pytest.importorskip("alembic", reason="the results store needs the 'service' extra (SQLAlchemy, Alembic)")

POSTGRES_ENV = "TAILORMED_TEST_POSTGRES_URL"


def postgres_url() -> str | None:
    """A PostgreSQL server for tests: $TAILORMED_TEST_POSTGRES_URL, else a local server on the Unix socket
    (the cluster .ci/run starts), else None."""
    configured = os.environ.get(POSTGRES_ENV)
    candidates = [configured] if configured else ["postgresql+psycopg:///postgres?host=/var/run/postgresql"]
    try:
        import psycopg  # noqa: F401
        from sqlalchemy import create_engine, text
    except ImportError:
        return None
    for url in candidates:
        try:
            engine = create_engine(url)
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            engine.dispose()
            return url
        except Exception:  # noqa: BLE001 - any failure means: no server for the tests
            continue
    return None


_PG = postgres_url()


def fresh_database(backend: str, tmp_path: Path) -> Iterator[str]:
    """A new empty database URL on ``backend``, dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    if _PG is None:
        pytest.skip(f"no PostgreSQL server: set {POSTGRES_ENV} or run a local cluster (.ci/run starts one)")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"tm_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(_PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(_PG).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


PGX_ONLY_OUTSIDE_CALLS = "gene\tdiplotype\tphenotype\tactivity_score\nCYP2C19\t*2/*2\t\t\nCYP2D6\t*1/*1\t\t\n"


def write_manifest(folder: Path, patient_id: str = "P001", calls: str = PGX_ONLY_OUTSIDE_CALLS,
                   medications: str = "[clopidogrel, codeine]") -> Path:
    """A small pgx-only patient (outside calls), fast to analyse."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "calls.tsv").write_text(calls)
    manifest = folder / "patient.yaml"
    manifest.write_text(f"id: {patient_id}\noutside_calls: calls.tsv\nmedications: {medications}\n")
    return manifest


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database on each backend (the PostgreSQL case skips, saying why, without a server)."""
    yield from fresh_database(request.param, tmp_path)
