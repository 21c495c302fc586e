"""One exception hierarchy for the whole project.

The CLI turns any :class:`TailorMedError` into a single line on stderr and a
non-zero exit code; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


class TailorMedError(Exception):
    """Base class of every error TailorMed raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, *, source: str | None = None, location: str | None = None):
        self.message = message
        self.source = source
        self.location = location
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ""
        if self.source:
            where = self.source
            if self.location:
                where += f":{self.location}"
            where += ": "
        return f"{where}{self.message}"


class InputError(TailorMedError):
    """A user-supplied file or argument is missing, malformed or inconsistent."""

    exit_code = 2


class GenomeBuildError(InputError):
    """The input is on a genome build other than the one expected (GRCh38)."""


class KnowledgeError(TailorMedError):
    """A knowledge pack is missing, malformed or inconsistent."""

    exit_code = 3


class OutputError(TailorMedError):
    """A result could not be written."""

    exit_code = 4


class _HasErrors(Protocol):
    def errors(self) -> Sequence[Mapping[str, Any]]: ...  # pragma: no cover - a structural type


@dataclass(frozen=True)
class ValidationProblem:
    """The first problem of a pydantic (or FastAPI) validation error, in the parts our messages name.

    Every reader reports one line per bad input, so the first problem is the one to show; ``more`` counts
    the rest.

    >>> from pydantic import BaseModel, ValidationError
    >>> class Drug(BaseModel):
    ...     doses: list[int]
    >>> try:
    ...     Drug.model_validate({"doses": [1, "x", "y"]})
    ... except ValidationError as exc:
    ...     problem = first_validation_problem(exc)
    >>> problem.dotted(), problem.indexed(), problem.more
    ('doses.1', 'doses[1]', 1)
    """

    loc: tuple[str | int, ...]
    msg: str
    kind: str
    input: Any
    more: int

    def dotted(self) -> str:
        """The location as ``steps.0.name`` ('' for a problem of the whole document)."""
        return ".".join(str(part) for part in self.loc)

    def indexed(self) -> str:
        """The location as ``steps[0].name``."""
        return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in self.loc).lstrip(".")

    @property
    def more_note(self) -> str:
        """`` (and N more problems)`` when there are others, else ''."""
        return f" (and {self.more} more problems)" if self.more else ""


def first_validation_problem(exc: _HasErrors) -> ValidationProblem:
    """The first of ``exc.errors()`` (an empty list gives an 'invalid input' problem of the whole document)."""
    errors = exc.errors()
    first: Mapping[str, Any] = errors[0] if errors else {}
    return ValidationProblem(loc=tuple(first.get("loc", ())), msg=str(first.get("msg", "invalid input")),
                             kind=str(first.get("type", "")), input=first.get("input"),
                             more=max(len(errors) - 1, 0))
