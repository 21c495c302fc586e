"""Reading an OMOP CDM v5.3/5.4 database: a DuckDB file, a folder of Parquet files, or a PostgreSQL URL.

Only what a new-user cohort needs is read (persons, observation periods, the exposures and conditions of named
concepts and their descendants), each as a pandas ``DataFrame`` with lower-case column names, so the cohort logic
(:mod:`tailormed.cohort.new_user`) is the same for every backend. Table and column names are matched without
regard to case (Eunomia spells its columns in capitals).

A Parquet folder holds one file per table (``person.parquet``) or one folder of files per table
(``person/part-0.parquet``). A PostgreSQL URL (``postgresql://user@host/db``) needs the ``psycopg`` package;
``schema`` chooses the CDM schema (the ``search_path``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from tailormed.errors import InputError

REQUIRED_TABLES = ("person", "drug_exposure", "condition_occurrence", "measurement", "observation_period",
                   "concept_ancestor")
"""The CDM tables a cohort needs (``measurement`` is checked so a partial extract is noticed early)."""
EXTRA_HINT = "install the optional extra: pip install 'tailormed[effects]'"
_SAFE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class OmopDatabase:
    """An open CDM; use as a context manager. ``query`` runs SQL with ``?`` placeholders."""

    def __init__(self, location: str, schema: str | None = None):
        self.location = str(location)
        self.shown = _redact(self.location)
        """The location as printed: a URL's password is replaced by ***."""
        self.schema = schema
        self._pg: Any = None
        self._duck: Any = None
        if schema is not None and not _SAFE_NAME.match(schema):
            raise InputError(f"--cdm-schema {schema!r} is not a plain schema name")
        if re.match(r"^postgres(ql)?://", self.location):
            self.kind = "postgresql"
            self._open_postgresql()
        else:
            path = Path(self.location)
            if not path.exists():
                raise InputError("OMOP database not found (give a DuckDB file, a Parquet folder or a postgresql:// "
                                 "URL)", source=self.shown)
            self.kind = "parquet" if path.is_dir() else "duckdb"
            self._open_duckdb(path)
        self.tables = self._table_names()
        missing = [t for t in REQUIRED_TABLES if t not in self.tables]
        if missing:
            self.close()
            raise InputError(f"the OMOP database has no table {', '.join(missing)} (a CDM v5.3/5.4 cohort needs "
                             f"{', '.join(REQUIRED_TABLES)})", source=self.shown)

    def _open_duckdb(self, path: Path) -> None:
        try:
            import duckdb
        except ImportError:
            raise InputError(f"reading an OMOP DuckDB or Parquet CDM needs duckdb: {EXTRA_HINT}") from None
        try:
            if self.kind == "duckdb":
                self._duck = duckdb.connect(str(path), read_only=True)
            else:
                self._duck = duckdb.connect(":memory:")
                for table, pattern in _parquet_tables(path).items():
                    self._duck.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{pattern}')")
        except duckdb.Error as exc:
            raise InputError(f"cannot open the OMOP database ({str(exc).splitlines()[0]})",
                             source=self.shown) from None
        if self.schema and self.kind == "duckdb":
            self._duck.execute(f"SET schema = '{self.schema}'")

    def _open_postgresql(self) -> None:
        try:
            import psycopg
        except ImportError:
            raise InputError("reading an OMOP CDM from PostgreSQL needs psycopg: pip install 'psycopg[binary]'",
                             source=self.shown) from None
        try:
            self._pg = psycopg.connect(self.location)
            if self.schema:
                self._pg.execute(f"SET search_path TO {self.schema}")
        except psycopg.Error as exc:
            raise InputError(f"cannot connect to the OMOP database ({str(exc).splitlines()[0]})",
                             source=self.shown) from None

    def _table_names(self) -> set[str]:
        """Tables and views of the current schema (the same query works on DuckDB and PostgreSQL)."""
        frame = self.query("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")
        return {str(v).lower() for v in frame["table_name"]}

    def query(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Rows of ``sql`` as a DataFrame with lower-case column names."""
        import pandas as pd

        try:
            if self._pg is not None:
                with self._pg.cursor() as cursor:
                    cursor.execute(sql.replace("?", "%s"), list(params))
                    names = [d.name.lower() for d in cursor.description or []]
                    frame = pd.DataFrame(cursor.fetchall(), columns=names)
            else:
                frame = self._duck.execute(sql, list(params)).df()
        except Exception as exc:  # the backends' error classes differ; all mean the CDM is not as expected
            raise InputError(f"query failed ({type(exc).__name__}: {str(exc).splitlines()[0]})",
                             source=self.shown) from None
        frame.columns = [str(c).lower() for c in frame.columns]
        return frame

    def close(self) -> None:
        for handle in (self._pg, self._duck):
            if handle is not None:
                handle.close()
        self._pg = self._duck = None

    def __enter__(self) -> OmopDatabase:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    # --- what a cohort reads -------------------------------------------------------------------------------

    def ingredient_concept(self, ingredient: str) -> tuple[int, str]:
        """The concept id and name of an ingredient given by id or by (RxNorm) name."""
        if ingredient.strip().isdigit():
            concept_id = int(ingredient)
            if "concept" in self.tables:
                found = self.query("SELECT concept_name FROM concept WHERE concept_id = ?", [concept_id])
                if len(found):
                    return concept_id, str(found["concept_name"].iloc[0])
            return concept_id, ingredient.strip()
        if "concept" not in self.tables:
            raise InputError(f"the database has no concept table to look up {ingredient!r}: give its concept id",
                             source=self.shown)
        found = self.query("SELECT concept_id, concept_name FROM concept WHERE lower(concept_name) = lower(?) "
                           "AND concept_class_id = 'Ingredient' ORDER BY concept_id", [ingredient.strip()])
        if not len(found):
            raise InputError(f"no ingredient concept named {ingredient!r}", source=self.shown)
        return int(found["concept_id"].iloc[0]), str(found["concept_name"].iloc[0])

    def descendants(self, concept_ids: Iterable[int]) -> list[int]:
        """The concepts and all their descendants (``concept_ancestor``)."""
        ids = sorted({int(c) for c in concept_ids})
        marks = ", ".join("?" for _ in ids)
        found = self.query(f"SELECT DISTINCT descendant_concept_id FROM concept_ancestor WHERE ancestor_concept_id "
                           f"IN ({marks})", ids)
        return sorted({*ids, *(int(v) for v in found["descendant_concept_id"])})

    def drug_starts(self, concept_ids: Sequence[int]) -> Any:
        """person_id, start_date of every exposure to the concepts."""
        marks = ", ".join("?" for _ in concept_ids)
        return self.query(f"SELECT person_id, drug_exposure_start_date AS start_date FROM drug_exposure "
                          f"WHERE drug_concept_id IN ({marks})", list(concept_ids))

    def condition_starts(self, concept_ids: Sequence[int]) -> Any:
        """person_id, start_date of every occurrence of the conditions."""
        marks = ", ".join("?" for _ in concept_ids)
        return self.query(f"SELECT person_id, condition_start_date AS start_date FROM condition_occurrence "
                          f"WHERE condition_concept_id IN ({marks})", list(concept_ids))

    def persons(self) -> Any:
        return self.query("SELECT person_id, year_of_birth, gender_concept_id, race_concept_id FROM person")

    def observation_periods(self) -> Any:
        return self.query("SELECT person_id, observation_period_start_date AS start_date, "
                          "observation_period_end_date AS end_date FROM observation_period")


def _parquet_tables(folder: Path) -> dict[str, str]:
    """Table name -> read_parquet pattern for a folder of ``table.parquet`` files or ``table/*.parquet`` folders."""
    found: dict[str, str] = {}
    for entry in sorted(folder.iterdir()):
        name = entry.name.lower()
        if entry.is_file() and name.endswith(".parquet"):
            table = name.removesuffix(".parquet")
            pattern = str(entry)
        elif entry.is_dir() and any(entry.glob("*.parquet")):
            table, pattern = name, str(entry / "*.parquet")
        else:
            continue
        if _SAFE_NAME.match(table) and "'" not in pattern:
            found[table] = pattern
    return found


def _redact(url: str) -> str:
    """A database URL without its password."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)
