"""BED interval files (0-based, half-open): the callable territory of a tumour panel, for TMB."""

from __future__ import annotations

from pathlib import Path

from tailormed.errors import InputError


def callable_mb_from_bed(path: Path | str) -> float:
    """Size in Mb of the union of a BED file's intervals (0-based half-open), per chromosome."""
    path = Path(path)
    if not path.is_file():
        raise InputError("BED file not found", source=str(path))
    intervals: dict[str, list[tuple[int, int]]] = {}
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip() or line.startswith(("#", "track", "browser")):
                continue
            fields = line.rstrip("\n").split("\t")
            try:
                chrom, start, end = fields[0], int(fields[1]), int(fields[2])
            except (IndexError, ValueError):
                raise InputError("expected chrom, start, end (tab-separated integers)", source=str(path),
                                 location=f"line {number}") from None
            if start < 0 or end < start:
                raise InputError(f"invalid interval {start}-{end}", source=str(path), location=f"line {number}")
            intervals.setdefault(chrom, []).append((start, end))
    total = 0
    for spans in intervals.values():
        spans.sort()
        current_start, current_end = spans[0]
        for start, end in spans[1:]:
            if start > current_end:
                total += current_end - current_start
                current_start, current_end = start, end
            else:
                current_end = max(current_end, end)
        total += current_end - current_start
    if total == 0:
        raise InputError("BED file has no intervals", source=str(path))
    return total / 1e6
