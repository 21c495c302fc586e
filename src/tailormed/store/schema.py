"""The results store's tables (SQLAlchemy 2). Alembic migrations in ``store/migrations`` create them; this module
is the ORM mapping the store code uses, and the migration test checks the two agree."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class PatientRow(Base):
    """A patient of one tenant; its results are versions."""

    __tablename__ = "patients"
    __table_args__ = (UniqueConstraint("tenant", "patient_id", name="uq_patients_tenant_patient"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(200))
    patient_id: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    results: Mapped[list[ResultRow]] = relationship(back_populates="patient", cascade="all, delete-orphan",
                                                    passive_deletes=True)


class ResultRow(Base):
    """One stored ``analyze`` output: version ``version`` of the patient, for inputs with ``input_checksum``."""

    __tablename__ = "results"
    __table_args__ = (
        UniqueConstraint("patient_pk", "version", name="uq_results_patient_version"),
        UniqueConstraint("patient_pk", "input_checksum", name="uq_results_patient_checksum"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    patient_pk: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    input_checksum: Mapped[str] = mapped_column(String(64))
    summary: Mapped[dict[str, object]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    patient: Mapped[PatientRow] = relationship(back_populates="results")
    documents: Mapped[list[DocumentRow]] = relationship(back_populates="result", cascade="all, delete-orphan",
                                                        passive_deletes=True)


class DocumentRow(Base):
    """One file ``analyze`` wrote, keyed by its path relative to the output folder."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("result_id", "path", name="uq_documents_result_path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("results.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(500))
    media_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    result: Mapped[ResultRow] = relationship(back_populates="documents")


class AuditRow(Base):
    """Append-only: who did what to which patient, when. The migration adds triggers refusing UPDATE and DELETE."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_tenant_patient", "tenant", "patient_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(300))
    tenant: Mapped[str] = mapped_column(String(200))
    patient_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    action: Mapped[str] = mapped_column(String(50))
    detail: Mapped[str] = mapped_column(Text, default="")


class JobRow(Base):
    """A submitted analysis waiting for, or done by, the worker pool (survives a restart)."""

    __tablename__ = "jobs"
    __table_args__ = (UniqueConstraint("tenant", "idempotency_key", name="uq_jobs_tenant_key"),
                      Index("ix_jobs_state", "state"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(200))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    request_checksum: Mapped[str] = mapped_column(String(64))
    patient_id: Mapped[str] = mapped_column(String(200))
    spool: Mapped[str] = mapped_column(String(1000))
    state: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    result_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FeedbackRow(Base):
    """CDS Hooks feedback on a card."""

    __tablename__ = "cds_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(200))
    service_id: Mapped[str] = mapped_column(String(100))
    card: Mapped[str] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(20))
    accepted_suggestions: Mapped[list[str]] = mapped_column(JSON)
    override_reason: Mapped[dict[str, object] | None] = mapped_column(JSON, nullable=True)
    outcome_at: Mapped[str] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TokenUseRow(Base):
    """JWT ids already presented (replay check), kept until the token expires."""

    __tablename__ = "jwt_seen"

    jti: Mapped[str] = mapped_column(String(300), primary_key=True)
    issuer: Mapped[str] = mapped_column(String(500), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
