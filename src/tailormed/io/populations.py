"""Sample -> population tables (e.g. the 1000 Genomes panel: sample, pop, super_pop)."""

from __future__ import annotations

from pathlib import Path

from tailormed.errors import InputError


def read_populations(path: Path, column: str) -> dict[str, str]:
    """Sample -> population from a whitespace/tab table whose header names a sample column (``sample``,
    ``IID`` or ``id``) and ``column`` (e.g. ``super_pop``), as the 1000 Genomes panel files do."""
    if not path.is_file():
        raise InputError("no such file", source=str(path))
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not lines:
        raise InputError("empty population file", source=str(path))
    header = lines[0].lstrip("#").split()
    sample_col = next((i for i, h in enumerate(header) if h.lower() in ("sample", "iid", "id")), None)
    if sample_col is None:
        raise InputError("no sample/IID column in the header", source=str(path), location="line 1")
    if column not in header:
        raise InputError(f"no column {column!r} in the population file (it has {', '.join(header)})",
                         source=str(path), location="line 1")
    at = header.index(column)
    populations: dict[str, str] = {}
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split()
        if len(fields) != len(header):
            raise InputError(f"expected {len(header)} columns, found {len(fields)}", source=str(path),
                             location=f"line {number}")
        populations[fields[sample_col]] = fields[at]
    return populations
