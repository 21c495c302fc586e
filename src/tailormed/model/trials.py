"""Clinical trials in TailorMed's structured format (``docs/onco-trials.md``).

A :class:`Trial` names its conditions as OncoTree codes (or ``SOLID``/``HEME``/``ANY``) and its biomarker
criteria in the alteration language of :mod:`tailormed.model.alterations`: every ``inclusion`` string must hold
(`` | `` joins alternatives), no ``exclusion`` string may hold. Trial files are read and written by
:mod:`tailormed.kb.trials`, matched by :mod:`tailormed.onco.trials`, and imported from ClinicalTrials.gov by
:mod:`tailormed.kb.importers.ctgov`.
"""

from __future__ import annotations

import re
from typing import Literal, Protocol

from pydantic import Field, field_validator, model_validator

from tailormed.model.common import Record

Phase = Literal["early 1", "1", "1/2", "2", "2/3", "3", "4"]
TrialStatus = Literal[
    "recruiting", "not_yet_recruiting", "active_not_recruiting", "enrolling_by_invitation", "suspended",
    "terminated", "completed", "withdrawn", "available", "no_longer_available", "temporarily_not_available",
    "approved_for_marketing", "withheld", "unknown",
]
Sex = Literal["all", "female", "male"]
OPEN_STATUSES = frozenset({"recruiting", "not_yet_recruiting"})
"""Statuses under which a trial can take a new patient; the others are skipped unless ``include_closed``."""
PHASE_RANK: dict[str | None, float] = {None: 0, "early 1": 0.5, "1": 1, "1/2": 1.5, "2": 2, "2/3": 2.5, "3": 3,
                                       "4": 4}
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class TumourTypeTree(Protocol):
    """What matching needs from OncoTree (:class:`tailormed.kb.oncotree.OncoTree` provides it)."""

    def is_within(self, code: str, ancestor: str) -> bool:
        """Whether ``code`` is ``ancestor`` or below it; ``SOLID``/``HEME``/``ANY`` are groups."""
        ...

    def resolve(self, code: str) -> str:
        """The canonical code; raises :class:`InputError` for an unknown one."""
        ...


# --------------------------------------------------------------------------- the format


class Trial(Record):
    """One clinical trial in TailorMed's structured format."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/:-]*$", description="Registry id, e.g. NCT01234567.")
    title: str = Field(min_length=1)
    phase: Phase | None = Field(default=None, description="'early 1', '1', '1/2', '2', '2/3', '3', '4'; None: n/a.")
    status: TrialStatus = Field(description="Overall recruitment status (ClinicalTrials.gov terms, lower case).")
    conditions: list[str] = Field(default_factory=list, description="OncoTree codes (children covered) or "
                                  "SOLID/HEME/ANY; empty: never matches on tumour type.")
    inclusion: list[str] = Field(default_factory=list, description="Alteration strings; each must hold.")
    exclusion: list[str] = Field(default_factory=list, description="Alteration strings; none may hold.")
    min_age: float | None = Field(default=None, ge=0, le=130, allow_inf_nan=False, description="Years (0-130).")
    max_age: float | None = Field(default=None, ge=0, le=130, allow_inf_nan=False, description="Years (0-130).")
    sex: Sex = "all"
    source: str = Field(min_length=1, description="Where the record comes from, with the date it was retrieved.")
    notes: str | None = None

    @field_validator("status", mode="before")
    @classmethod
    def _status_words(cls, value: object) -> object:
        return re.sub(r"[\s-]+", "_", value.strip().lower()) if isinstance(value, str) else value

    @field_validator("phase", mode="before")
    @classmethod
    def _phase_words(cls, value: object) -> object:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, str):
            text = value.strip().lower().replace("phase", " ").replace("_", " ")
            return re.sub(r"\s*/\s*", "/", " ".join(text.split()))
        return value

    @field_validator("conditions")
    @classmethod
    def _codes(cls, codes: list[str]) -> list[str]:
        bad = [code for code in codes if not _CODE.match(code)]
        if bad:
            raise ValueError(f"not OncoTree codes: {bad}")
        return codes

    @model_validator(mode="after")
    def _age_range(self) -> Trial:
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            raise ValueError(f"min_age {self.min_age:g} is above max_age {self.max_age:g}")
        return self

