"""Atomic output folders: everything is written to a temporary sibling folder first and moved into
place only when the whole job succeeded, so a failure never leaves a half-written result behind."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tailormed.errors import OutputError


@contextmanager
def atomic_output_dir(final: Path) -> Iterator[Path]:
    """Yield a staging folder; on success move its files into ``final`` (created if needed)."""
    final = Path(final)
    if final.exists() and not final.is_dir():
        raise OutputError("output path exists and is not a folder", source=str(final))
    parent = final.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.partial-", dir=parent))
    except OSError as exc:
        raise OutputError(f"cannot create output folder ({exc.strerror})", source=str(final)) from exc
    try:
        yield staging
        final.mkdir(exist_ok=True)
        for item in sorted(staging.iterdir()):
            target = final / item.name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            item.replace(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
