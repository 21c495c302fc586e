"""Types shared by every engine: evidence, provenance and warnings."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Record(BaseModel):
    """Base of every model that crosses a module boundary: typed, no stray fields."""

    model_config = ConfigDict(extra="forbid")


class Citation(Record):
    """A source a result rests on (guideline, label, paper, database release)."""

    id: str
    citation: str
    url: str | None = None
    version: str | None = None


class Evidence(Record):
    """Where a result came from: the knowledge record and the sources behind it."""

    knowledge_pack: str = Field(description="Pack name and version, e.g. 'pgx-core 2026.11.0'.")
    record: str = Field(description="The record used, e.g. 'genes/CYP2C19.yaml:*17' or 'drugs/clopidogrel.yaml'.")
    citations: list[Citation] = Field(default_factory=list)


Severity = Literal["info", "warning", "error"]


class Warning(Record):  # noqa: A001 - the domain word; shadows the builtin only inside this module
    """Something a reader must know about a result (missing data, assumption, override)."""

    code: str = Field(description="Stable machine-readable code, e.g. 'missing_positions'.")
    message: str
    severity: Severity = "warning"
    gene: str | None = None


class Provenance(Record):
    """How an output was produced: software, knowledge, inputs and assumptions."""

    software: str
    software_version: str
    knowledge: list[str] = Field(description="Every pack used, 'name version (date)'.")
    inputs: dict[str, str] = Field(default_factory=dict, description="Input role -> file path.")
    assumptions: list[str] = Field(default_factory=list)
    created: str = Field(description="UTC timestamp, ISO 8601.")
