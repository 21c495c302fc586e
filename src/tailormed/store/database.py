"""The results store: patients' ``analyze`` outputs, versioned, with an append-only audit log.

SQLite file by default (no set-up), PostgreSQL via ``postgresql+psycopg://``. Every stored result is one
transaction: its row and all its documents commit together or not at all. Storing the same inputs again
(same tenant, patient id and input checksum) returns the stored version instead of making a new one.

>>> store = ResultStore("sqlite://")
>>> first = store.add_result(tenant="t", patient_id="P1", input_checksum="a" * 64,
...                          documents={"pgx.json": b"{}"}, summary={"sections": {}}, actor="doc")
>>> (first.version, first.created)
(1, True)
>>> store.add_result(tenant="t", patient_id="P1", input_checksum="a" * 64, documents={"pgx.json": b"{}"},
...                  summary={}, actor="doc").created
False
>>> store.add_result(tenant="t", patient_id="P1", input_checksum="b" * 64, documents={"pgx.json": b"[]"},
...                  summary={}, actor="doc").version
2
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, delete, event, func, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from tailormed.errors import InputError, OutputError
from tailormed.store.schema import (
    AuditRow,
    DocumentRow,
    FeedbackRow,
    JobRow,
    PatientRow,
    ResultRow,
    TokenUseRow,
)

DB_ENV = "TAILORMED_DB"
MIGRATIONS = Path(__file__).parent / "migrations"
_MEDIA_TYPES = {".json": "application/json", ".html": "text/html; charset=utf-8", ".tsv": "text/tab-separated-values",
                ".yaml": "application/yaml", ".txt": "text/plain; charset=utf-8"}


def default_db_url() -> str:
    """``$TAILORMED_DB`` when set, else an SQLite file in ``~/.local/share/tailormed/``."""
    configured = os.environ.get(DB_ENV)
    if configured:
        return configured
    folder = Path.home() / ".local" / "share" / "tailormed"
    return f"sqlite:///{folder / 'store.db'}"


def now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; the store writes UTC only."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class StoredResult:
    """One version of a patient's result (documents by relative path, loaded on demand)."""

    id: int
    tenant: str
    patient_id: str
    version: int
    input_checksum: str
    created_at: datetime
    summary: dict[str, Any]
    paths: tuple[str, ...]
    created: bool = False


@dataclass(frozen=True)
class PatientSummary:
    tenant: str
    patient_id: str
    versions: int
    latest_version: int
    latest_at: datetime


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    tenant: str
    patient_id: str | None
    action: str
    detail: str


@dataclass(frozen=True)
class Job:
    id: str
    tenant: str
    idempotency_key: str
    request_checksum: str
    patient_id: str
    spool: str
    state: str
    attempts: int
    result_id: int | None
    error: str | None
    created_at: datetime
    updated_at: datetime
    created: bool = field(default=False, compare=False)


def _job(row: JobRow, created: bool = False) -> Job:
    return Job(id=row.id, tenant=row.tenant, idempotency_key=row.idempotency_key,
               request_checksum=row.request_checksum, patient_id=row.patient_id, spool=row.spool, state=row.state,
               attempts=row.attempts, result_id=row.result_id, error=row.error, created_at=_aware(row.created_at),
               updated_at=_aware(row.updated_at), created=created)


def media_type(path: str) -> str:
    return _MEDIA_TYPES.get(Path(path).suffix.lower(), "application/octet-stream")


class ResultStore:
    """A results store at ``url`` (migrated to the latest schema on open unless ``migrate=False``)."""

    def __init__(self, url: str | None = None, *, migrate: bool = True) -> None:
        self.url = url or default_db_url()
        self.engine = _make_engine(self.url)
        # single-statement reads and writes on the CDS request path (PostgreSQL): an autocommit pool with nothing to
        # reset, so each costs one round trip
        self._autocommit = (create_engine(self.url, isolation_level="AUTOCOMMIT", pool_reset_on_return=None,
                                          pool_size=10, max_overflow=20, pool_recycle=1800)
                            if self.engine.dialect.name == "postgresql" else self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if migrate:
            self.migrate()

    def close(self) -> None:
        self.engine.dispose()
        self._autocommit.dispose()

    # -- schema -----------------------------------------------------------------------------------------------

    def migrate(self) -> None:
        """Bring the database to the latest schema with Alembic (idempotent; concurrent openers serialise on
        PostgreSQL through an advisory lock)."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        try:
            with self.engine.begin() as connection:
                if connection.dialect.name == "postgresql":
                    connection.exec_driver_sql("SELECT pg_advisory_xact_lock(74210531)")
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except SQLAlchemyError as exc:
            raise OutputError(f"cannot open the results store {self.safe_url}: {_reason(exc)}") from exc

    @property
    def safe_url(self) -> str:
        """The URL without its password, for messages."""
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any error."""
        with self._sessions() as session:
            try:
                with session.begin():
                    yield session
            except OperationalError as exc:
                raise OutputError(f"results store {self.safe_url}: {_reason(exc)}") from exc

    # -- results ----------------------------------------------------------------------------------------------

    def add_result(self, *, tenant: str, patient_id: str, input_checksum: str, documents: Mapping[str, bytes],
                   summary: dict[str, Any], actor: str) -> StoredResult:
        """Store one ``analyze`` output as the patient's next version, in one transaction; the same inputs again
        return the stored version (``created`` False)."""
        for attempt in range(3):
            try:
                return self._add_result(tenant, patient_id, input_checksum, documents, summary, actor)
            except IntegrityError:
                if attempt == 2:
                    raise
                # a concurrent writer stored this patient or version first: read again
        raise AssertionError("unreachable")

    def _add_result(self, tenant: str, patient_id: str, input_checksum: str, documents: Mapping[str, bytes],
                    summary: dict[str, Any], actor: str) -> StoredResult:
        with self.session() as session:
            patient = session.scalar(select(PatientRow).where(PatientRow.tenant == tenant,
                                                              PatientRow.patient_id == patient_id))
            if patient is None:
                patient = PatientRow(tenant=tenant, patient_id=patient_id, created_at=now())
                session.add(patient)
                session.flush()
            existing = session.scalar(select(ResultRow).where(ResultRow.patient_pk == patient.id,
                                                              ResultRow.input_checksum == input_checksum))
            if existing is not None:
                _audit(session, actor, tenant, patient_id, "store-unchanged", f"version {existing.version}")
                return self._stored(session, existing, patient)
            version = (session.scalar(select(func.max(ResultRow.version)).where(
                ResultRow.patient_pk == patient.id)) or 0) + 1
            row = ResultRow(patient_pk=patient.id, version=version, input_checksum=input_checksum,
                            summary=summary, created_at=now())
            session.add(row)
            session.flush()
            for path, content in sorted(documents.items()):
                session.add(DocumentRow(result_id=row.id, path=path, media_type=media_type(path),
                                        sha256=hashlib.sha256(content).hexdigest(), content=content))
            _audit(session, actor, tenant, patient_id, "store", f"version {version}")
            session.flush()
            return self._stored(session, row, patient, created=True)

    @staticmethod
    def _stored(session: Session, row: ResultRow, patient: PatientRow, created: bool = False) -> StoredResult:
        paths = tuple(session.scalars(select(DocumentRow.path).where(DocumentRow.result_id == row.id)
                                      .order_by(DocumentRow.path)))
        return StoredResult(id=row.id, tenant=patient.tenant, patient_id=patient.patient_id, version=row.version,
                            input_checksum=row.input_checksum, created_at=_aware(row.created_at),
                            summary=dict(row.summary), paths=paths, created=created)

    def list_patients(self, tenant: str, *, actor: str) -> list[PatientSummary]:
        with self.session() as session:
            rows = session.execute(
                select(PatientRow.patient_id, func.count(ResultRow.id), func.max(ResultRow.version),
                       func.max(ResultRow.created_at))
                .join(ResultRow, ResultRow.patient_pk == PatientRow.id)
                .where(PatientRow.tenant == tenant).group_by(PatientRow.patient_id).order_by(PatientRow.patient_id))
            found = [PatientSummary(tenant=tenant, patient_id=p, versions=n, latest_version=v, latest_at=_aware(at))
                     for p, n, v, at in rows]
            _audit(session, actor, tenant, None, "list", f"{len(found)} patients")
            return found

    def get_result(self, tenant: str, patient_id: str, *, version: int | None = None, actor: str,
                   action: str = "read") -> StoredResult:
        """The patient's latest (or given) version; InputError when there is none. Audited."""
        with self.session() as session:
            patient = session.scalar(select(PatientRow).where(PatientRow.tenant == tenant,
                                                              PatientRow.patient_id == patient_id))
            query = select(ResultRow).where(ResultRow.patient_pk == (patient.id if patient else -1))
            query = query.where(ResultRow.version == version) if version else query.order_by(
                ResultRow.version.desc()).limit(1)
            row = session.scalar(query)
            if patient is None or row is None:
                what = f"version {version} of patient" if version else "patient"
                raise InputError(f"no stored result for {what} {patient_id!r}")
            _audit(session, actor, tenant, patient_id, action, f"version {row.version}")
            return self._stored(session, row, patient)

    def latest_result_id(self, tenant: str, candidates: list[str], *, actor: str,
                         action: str) -> tuple[int, str, int] | None:
        """(result id, patient id, version) of the latest result of the first of ``candidates`` stored for the
        tenant, the read audited; None when none is stored. The CDS hot path: on PostgreSQL one statement (the
        audit row is written by a data-modifying CTE, atomically with the read)."""
        candidates = list(dict.fromkeys(candidates))[:10]
        if not candidates:
            return None
        params: dict[str, Any] = {f"c{i}": c for i, c in enumerate(candidates)} | {
            "tenant": tenant, "actor": actor, "action": action, "at": now()}
        names = ", ".join(f":c{i}" for i in range(len(candidates)))
        preference = " ".join(f"WHEN :c{i} THEN {i}" for i in range(len(candidates)))
        latest = ("SELECT r.id AS result_id, p.patient_id AS patient_id, r.version AS version FROM results r "
                  "JOIN patients p ON p.id = r.patient_pk "
                  f"WHERE p.tenant = :tenant AND p.patient_id IN ({names}) "
                  f"ORDER BY CASE p.patient_id {preference} END, r.version DESC LIMIT 1")
        if self.engine.dialect.name == "postgresql":
            statement = (f"WITH latest AS ({latest}), logged AS (INSERT INTO audit_log "
                         "(at, actor, tenant, patient_id, action, detail) SELECT :at, :actor, :tenant, patient_id, "
                         ":action, 'version ' || version FROM latest RETURNING 1) "
                         "SELECT result_id, patient_id, version FROM latest")
            with self._autocommit.connect() as connection:
                row = connection.execute(text(statement), params).first()
            return (int(row[0]), str(row[1]), int(row[2])) if row else None
        with self.session() as session:
            row = session.execute(text(latest), params).first()
            if row is None:
                return None
            _audit(session, actor, tenant, str(row[1]), action, f"version {row[2]}")
            return int(row[0]), str(row[1]), int(row[2])

    def find_latest(self, tenant: str, candidates: list[str], *, actor: str, action: str) -> StoredResult | None:
        """The latest result of the first of ``candidates`` stored for the tenant (None when none is); the read
        is audited."""
        if not candidates:
            return None
        with self.session() as session:
            patients = {p.patient_id: p for p in session.scalars(
                select(PatientRow).where(PatientRow.tenant == tenant, PatientRow.patient_id.in_(candidates)))}
            patient = next((patients[c] for c in candidates if c in patients), None)
            if patient is None:
                return None
            row = session.scalar(select(ResultRow).where(ResultRow.patient_pk == patient.id)
                                 .order_by(ResultRow.version.desc()).limit(1))
            if row is None:
                return None
            _audit(session, actor, tenant, patient.patient_id, action, f"version {row.version}")
            return self._stored(session, row, patient)

    def documents(self, result_id: int, paths: list[str] | None = None) -> dict[str, bytes]:
        """The documents of a result (all, or those at ``paths``). Reads the result's own rows only: callers
        reach a result id through :meth:`get_result`, which checks the tenant and audits."""
        with self.session() as session:
            query = select(DocumentRow.path, DocumentRow.content).where(DocumentRow.result_id == result_id)
            if paths is not None:
                query = query.where(DocumentRow.path.in_(paths))
            return {path: bytes(content) for path, content in session.execute(query)}

    def versions(self, tenant: str, patient_id: str) -> list[StoredResult]:
        with self.session() as session:
            patient = session.scalar(select(PatientRow).where(PatientRow.tenant == tenant,
                                                              PatientRow.patient_id == patient_id))
            if patient is None:
                return []
            rows = session.scalars(select(ResultRow).where(ResultRow.patient_pk == patient.id)
                                   .order_by(ResultRow.version))
            return [self._stored(session, row, patient) for row in rows]

    def delete_patient(self, tenant: str, patient_id: str, *, actor: str) -> int:
        """Remove the patient and every version (documents included); the audit log keeps a record. Returns the
        number of versions removed; InputError when the patient is not stored."""
        with self.session() as session:
            patient = session.scalar(select(PatientRow).where(PatientRow.tenant == tenant,
                                                              PatientRow.patient_id == patient_id))
            if patient is None:
                raise InputError(f"no stored patient {patient_id!r}")
            result_ids = list(session.scalars(select(ResultRow.id).where(ResultRow.patient_pk == patient.id)))
            if result_ids:
                session.execute(delete(DocumentRow).where(DocumentRow.result_id.in_(result_ids)))
                session.execute(delete(ResultRow).where(ResultRow.id.in_(result_ids)))
            session.execute(delete(PatientRow).where(PatientRow.id == patient.id))
            _audit(session, actor, tenant, patient_id, "delete", f"{len(result_ids)} versions removed")
            return len(result_ids)

    # -- audit ------------------------------------------------------------------------------------------------

    def audit(self, actor: str, tenant: str, patient_id: str | None, action: str, detail: str = "") -> None:
        with self.session() as session:
            _audit(session, actor, tenant, patient_id, action, detail)

    def audit_log(self, tenant: str | None = None, patient_id: str | None = None) -> list[AuditEntry]:
        with self.session() as session:
            query = select(AuditRow).order_by(AuditRow.id)
            if tenant is not None:
                query = query.where(AuditRow.tenant == tenant)
            if patient_id is not None:
                query = query.where(AuditRow.patient_id == patient_id)
            return [AuditEntry(id=r.id, at=_aware(r.at), actor=r.actor, tenant=r.tenant, patient_id=r.patient_id,
                               action=r.action, detail=r.detail) for r in session.scalars(query)]

    # -- jobs -------------------------------------------------------------------------------------------------

    def submit_job(self, *, tenant: str, idempotency_key: str, request_checksum: str, patient_id: str,
                   spool: str, actor: str) -> Job:
        """Record an accepted submission (committed before the caller answers). The same key again returns the
        first job (``created`` False); the caller compares ``request_checksum``."""
        try:
            with self.session() as session:
                row = JobRow(id=str(uuid.uuid4()), tenant=tenant, idempotency_key=idempotency_key,
                             request_checksum=request_checksum, patient_id=patient_id, spool=spool, state="queued",
                             attempts=0, created_at=now(), updated_at=now())
                session.add(row)
                session.flush()
                _audit(session, actor, tenant, patient_id, "submit", f"job {row.id}")
                return _job(row, created=True)
        except IntegrityError:
            existing = self.job_by_key(tenant, idempotency_key)
            if existing is None:
                raise
            return existing

    def job_by_key(self, tenant: str, idempotency_key: str) -> Job | None:
        with self.session() as session:
            row = session.scalar(select(JobRow).where(JobRow.tenant == tenant,
                                                      JobRow.idempotency_key == idempotency_key))
            return _job(row) if row else None

    def get_job(self, tenant: str, job_id: str) -> Job | None:
        with self.session() as session:
            row = session.scalar(select(JobRow).where(JobRow.tenant == tenant, JobRow.id == job_id))
            return _job(row) if row else None

    def claim_job(self, *, lease: timedelta = timedelta(minutes=10)) -> Job | None:
        """Take the oldest queued job, or a running one whose worker's lease ran out (it died), for this worker.
        Exactly one claimer wins a job (compare-and-set on state and lease)."""
        moment = now()
        with self.session() as session:
            candidates = session.scalars(
                select(JobRow).where((JobRow.state == "queued") | (
                    (JobRow.state == "running") & (JobRow.lease_until < moment)))
                .order_by(JobRow.created_at).limit(5))
            for row in candidates:
                claimed = session.execute(
                    update(JobRow).where(JobRow.id == row.id, JobRow.state == row.state,
                                         JobRow.attempts == row.attempts)
                    .values(state="running", attempts=row.attempts + 1, lease_until=moment + lease,
                            updated_at=moment))
                if claimed.rowcount == 1:  # type: ignore[attr-defined]
                    session.flush()
                    fresh = session.get(JobRow, row.id, populate_existing=True)
                    assert fresh is not None
                    return _job(fresh)
        return None

    def renew_lease(self, job_id: str, lease: timedelta) -> None:
        """A running job's worker is alive: push its lease forward."""
        with self.session() as session:
            session.execute(update(JobRow).where(JobRow.id == job_id, JobRow.state == "running").values(
                lease_until=now() + lease))

    def result_version(self, result_id: int) -> int | None:
        with self.session() as session:
            return session.scalar(select(ResultRow.version).where(ResultRow.id == result_id))

    def finish_job(self, job_id: str, *, result_id: int | None = None, error: str | None = None) -> None:
        with self.session() as session:
            session.execute(update(JobRow).where(JobRow.id == job_id).values(
                state="failed" if error else "done", result_id=result_id, error=error, lease_until=None,
                updated_at=now()))

    def delete_jobs(self, tenant: str, patient_id: str) -> list[str]:
        """Forget the patient's jobs (their spool folders are returned for the caller to remove)."""
        with self.session() as session:
            spools = list(session.scalars(select(JobRow.spool).where(JobRow.tenant == tenant,
                                                                     JobRow.patient_id == patient_id)))
            session.execute(delete(JobRow).where(JobRow.tenant == tenant, JobRow.patient_id == patient_id))
            return spools

    # -- CDS Hooks --------------------------------------------------------------------------------------------

    def record_feedback(self, *, tenant: str, service_id: str, entries: list[dict[str, Any]]) -> int:
        with self.session() as session:
            for entry in entries:
                session.add(FeedbackRow(
                    tenant=tenant, service_id=service_id, card=entry["card"], outcome=entry["outcome"],
                    accepted_suggestions=[s["id"] for s in entry.get("acceptedSuggestions", [])],
                    override_reason=entry.get("overrideReason"), outcome_at=entry["outcomeTimestamp"],
                    received_at=now()))
            return len(entries)

    def feedback(self, tenant: str) -> list[dict[str, Any]]:
        with self.session() as session:
            return [{"service": r.service_id, "card": r.card, "outcome": r.outcome,
                     "acceptedSuggestions": r.accepted_suggestions, "overrideReason": r.override_reason}
                    for r in session.scalars(select(FeedbackRow).where(FeedbackRow.tenant == tenant)
                                             .order_by(FeedbackRow.id))]

    def first_use_of_token(self, issuer: str, jti: str, expires_at: datetime) -> bool:
        """Record a JWT id; False when it was presented before (a replay). Expired entries are pruned.
        On PostgreSQL one statement (one round trip), on the request path of every CDS call."""
        moment = now()
        if self.engine.dialect.name == "postgresql":
            with self._autocommit.connect() as connection:
                inserted = connection.execute(text(
                    "INSERT INTO jwt_seen (jti, issuer, expires_at) VALUES (:jti, :issuer, :expires) "
                    "ON CONFLICT DO NOTHING RETURNING 1"), {"jti": jti, "issuer": issuer, "expires": expires_at}
                ).first()
                if inserted is not None and hash(jti) % 64 == 0:
                    connection.execute(text("DELETE FROM jwt_seen WHERE expires_at < :before"),
                                       {"before": moment - timedelta(minutes=5)})
            return inserted is not None
        try:
            with self.session() as session:
                session.add(TokenUseRow(jti=jti, issuer=issuer, expires_at=expires_at))
                session.flush()
        except IntegrityError:
            return False
        if hash(jti) % 64 == 0:
            with self.session() as session:
                session.execute(delete(TokenUseRow).where(TokenUseRow.expires_at < moment - timedelta(minutes=5)))
        return True


def _audit(session: Session, actor: str, tenant: str, patient_id: str | None, action: str, detail: str) -> None:
    session.add(AuditRow(at=now(), actor=actor, tenant=tenant, patient_id=patient_id, action=action, detail=detail))


def _reason(exc: SQLAlchemyError) -> str:
    """The driver's message, one line, without SQL parameters (which may hold patient data)."""
    original = getattr(exc, "orig", None) or exc
    return str(original).splitlines()[0] if str(original) else type(original).__name__


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        memory = url in ("sqlite://", "sqlite:///:memory:")
        if not memory:
            database = url.split("///", 1)[-1]
            if database:
                Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               poolclass=StaticPool if memory else None)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # transactions are begun below, not by the driver
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if not memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=FULL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection: Any) -> None:
            # take the write lock up front: two writers then queue (busy timeout) instead of one failing
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    try:
        return create_engine(url, pool_recycle=1800, pool_size=10, max_overflow=20)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise InputError(f"cannot use database URL {url.split('@')[-1]!r}: {exc}") from exc
