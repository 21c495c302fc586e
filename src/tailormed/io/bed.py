"""BED interval files (0-based, half-open): the callable territory of a tumour panel, for TMB.

Plain or gzip text (detected from the bytes). Coordinates are whole numbers on GRCh38, so no end lies beyond
248,956,422 (chr1, the longest sequence); a start below 0 or above its end, a folder, bytes that are not UTF-8,
a truncated gzip file and a file without intervals are errors naming the file (and the line).
"""

from __future__ import annotations

import gzip
import re
import zlib
from pathlib import Path

from tailormed.documents import check_file
from tailormed.errors import InputError
from tailormed.io.maf import open_text
from tailormed.model.onco import LONGEST_GRCH38_CHROMOSOME

_COORDINATE = re.compile(r"^[0-9]{1,10}$")


def callable_mb_from_bed(path: Path | str) -> float:
    """Size in Mb of the union of a BED file's intervals (0-based half-open), per chromosome."""
    path = check_file(Path(path), "BED file")
    intervals: dict[str, list[tuple[int, int]]] = {}
    number = 0
    try:
        with open_text(path) as handle:
            for number, raw in enumerate(handle, 1):
                line = raw.rstrip("\r\n")
                if not line.strip() or line.startswith(("#", "track", "browser")):
                    continue
                fields = line.split("\t")
                if len(fields) < 3 or not _COORDINATE.match(fields[1]) or not _COORDINATE.match(fields[2]):
                    raise InputError("expected chrom, start, end (tab-separated whole numbers)", source=str(path),
                                     location=f"line {number}")
                chrom, start, end = fields[0], int(fields[1]), int(fields[2])
                if end < start or end > LONGEST_GRCH38_CHROMOSOME:
                    raise InputError(f"invalid interval {start}-{end} (0 <= start <= end <= "
                                     f"{LONGEST_GRCH38_CHROMOSOME}, the length of GRCh38 chr1)", source=str(path),
                                     location=f"line {number}")
                intervals.setdefault(chrom, []).append((start, end))
    except UnicodeDecodeError:
        raise InputError(f"not UTF-8 text (after line {number})" if number else "not UTF-8 text",
                         source=str(path)) from None
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise InputError(f"cannot read: {exc}", source=str(path)) from None
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
