"""One exception hierarchy for the whole project.

The CLI turns any :class:`TailorMedError` into a single line on stderr and a
non-zero exit code; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


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
