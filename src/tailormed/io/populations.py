"""Sample -> population tables (e.g. the 1000 Genomes panel: sample, pop, super_pop)."""

from __future__ import annotations

from pathlib import Path

from tailormed.documents import read_text
from tailormed.errors import InputError


def read_populations(path: Path, column: str) -> dict[str, str]:
    """Sample -> population from a whitespace/tab table whose header names a sample column (``sample``,
    ``IID`` or ``id``) and ``column`` (e.g. ``super_pop``), as the 1000 Genomes panel files do. Each sample is
    listed once; a header without rows is refused."""
    numbered = [(number, line) for number, line in enumerate(read_text(path, "population file").splitlines(), 1)
                if line.strip()]
    if not numbered:
        raise InputError("empty population file", source=str(path))
    header_line, header_text = numbered[0]
    header = header_text.lstrip("#").split()
    sample_col = next((i for i, h in enumerate(header) if h.lower() in ("sample", "iid", "id")), None)
    if sample_col is None:
        raise InputError("no sample/IID column in the header", source=str(path), location=f"line {header_line}")
    if column not in header:
        raise InputError(f"no column {column!r} in the population file (it has {', '.join(header)[:200]})",
                         source=str(path), location=f"line {header_line}")
    at = header.index(column)
    populations: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for number, line in numbered[1:]:
        fields = line.split()
        if len(fields) != len(header):
            raise InputError(f"expected {len(header)} columns, found {len(fields)}", source=str(path),
                             location=f"line {number}")
        sample = fields[sample_col]
        if sample in populations:
            raise InputError(f"sample {sample[:60]!r} is listed twice (first on line {first_line[sample]})",
                             source=str(path), location=f"line {number}")
        populations[sample], first_line[sample] = fields[at], number
    if not populations:
        raise InputError("no samples: the population file has a header but no rows", source=str(path))
    return populations
