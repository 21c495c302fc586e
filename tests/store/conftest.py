"""Store fixtures: every store test runs against SQLite and, when one is reachable, PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy", reason="the results store needs the 'service' extra (SQLAlchemy, Alembic)")
pytest.importorskip("alembic", reason="the results store needs the 'service' extra (SQLAlchemy, Alembic)")

from store_support import fresh_database  # noqa: E402


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from fresh_database(request.param, tmp_path)
