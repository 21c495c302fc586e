"""A copy of the built-in pgx-core pack with one drug file edited: for tests of what loading refuses."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from tailormed.kb.pack import BUILTIN_PACKS_DIR


def pack_with(tmp_path: Path, drug: str, edit: Callable[[dict[str, Any]], Any]) -> Path:
    """The pack copied under ``tmp_path`` with ``edit`` applied to ``drugs/<drug>.yaml`` (parsed, then written back)."""
    dest = tmp_path / "pgx-core"
    shutil.copytree(BUILTIN_PACKS_DIR / "pgx-core", dest)
    path = dest / "drugs" / f"{drug}.yaml"
    data = yaml.safe_load(path.read_text())
    edit(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return dest
