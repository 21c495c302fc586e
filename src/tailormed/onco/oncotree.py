"""OncoTree tumour types: codes, names, the hierarchy, and the SOLID / HEME / ANY groups.

The built-in copy (``onco/data/oncotree-compact.tsv``) is a hand-curated subset of OncoTree release
oncotree_2025_10_03 (the codes precision-oncology knowledge and common tumours need); ``load_oncotree(path)``
reads a full tree in the OncoTree API formats instead (nested ``{"TISSUE": {...children...}}`` or the flat
``/api/tumorTypes`` list).
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from tailormed.errors import InputError

COMPACT_TREE = Path(__file__).parent / "data" / "oncotree-compact.tsv"
HEME_TISSUES = frozenset({"Myeloid", "Lymphoid"})
GROUPS = {"SOLID": "any solid tumour", "HEME": "any haematological cancer", "ANY": "any cancer"}


@dataclass(frozen=True)
class TumourType:
    """One OncoTree node."""

    code: str
    name: str
    parent: str | None
    tissue: str | None


class OncoTree:
    """An OncoTree release: lookups and ancestry."""

    def __init__(self, nodes: dict[str, TumourType], version: str):
        self.nodes = nodes
        self.version = version
        self._upper = {code.upper(): code for code in nodes}

    def resolve(self, code: str) -> str:
        """The canonical code (case-insensitive); an unknown code is an error suggesting the closest ones."""
        key = code.strip().upper()
        if key in GROUPS:
            return key
        if key in self._upper:
            return self._upper[key]
        raise InputError(f"unknown OncoTree code {code!r}{self._suggest(code)}")

    def _suggest(self, code: str) -> str:
        by_code = difflib.get_close_matches(code.upper(), list(self._upper), n=3, cutoff=0.6)
        names = {node.name.lower(): node.code for node in self.nodes.values()}
        by_name = [names[n] for n in difflib.get_close_matches(code.lower(), list(names), n=3, cutoff=0.6)]
        close = list(dict.fromkeys([self._upper[c] for c in by_code] + by_name))[:4]
        if not close:
            return " (see https://oncotree.mskcc.org)"
        return "; did you mean " + ", ".join(f"{c} ({self.nodes[c].name})" for c in close) + "?"

    def name(self, code: str) -> str:
        """Display name of a code or group."""
        return GROUPS[code] if code in GROUPS else self.nodes[code].name

    def ancestors(self, code: str) -> list[str]:
        """The code's parents up to the root, nearest first."""
        found = []
        current = self.nodes[code].parent if code in self.nodes else None
        while current is not None and current in self.nodes and current not in found:
            found.append(current)
            current = self.nodes[current].parent
        return found

    def tissue(self, code: str) -> str | None:
        node = self.nodes.get(code)
        return node.tissue if node else None

    def is_within(self, code: str, ancestor: str) -> bool:
        """Whether ``code`` is ``ancestor`` or below it; SOLID/HEME/ANY test the tissue."""
        if ancestor == "ANY":
            return True
        if ancestor in ("SOLID", "HEME"):
            heme = self.tissue(code) in HEME_TISSUES
            return heme if ancestor == "HEME" else not heme
        return code == ancestor or ancestor in self.ancestors(code)


def _nested(node: dict[str, Any], into: dict[str, TumourType], path: Path) -> None:
    for child_code, child in (node.get("children") or {}).items():
        if not isinstance(child, dict) or "code" not in child or "name" not in child:
            raise InputError(f"OncoTree node {child_code!r} lacks code/name", source=str(path))
        into[child["code"]] = TumourType(child["code"], child["name"], child.get("parent"), child.get("tissue"))
        _nested(child, into, path)


def _read_json(path: Path) -> OncoTree:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg})", source=str(path), location=f"{exc.lineno}:{exc.colno}") from exc
    except OSError as exc:
        raise InputError(f"cannot read OncoTree file ({exc.strerror})", source=str(path)) from exc
    nodes: dict[str, TumourType] = {}
    if isinstance(data, dict) and isinstance(data.get("TISSUE"), dict):
        _nested(data["TISSUE"], nodes, path)
    elif isinstance(data, list):
        for index, item in enumerate(data):
            if not isinstance(item, dict) or "code" not in item or "name" not in item:
                raise InputError("tumour type lacks code/name", source=str(path), location=f"item {index}")
            nodes[item["code"]] = TumourType(item["code"], item["name"], item.get("parent"), item.get("tissue"))
    else:
        raise InputError("not an OncoTree file: expected {'TISSUE': {...}} or a list of tumour types",
                         source=str(path))
    if not nodes:
        raise InputError("OncoTree file has no tumour types", source=str(path))
    return OncoTree(nodes, version=path.stem)


def _read_tsv(path: Path) -> OncoTree:
    nodes: dict[str, TumourType] = {}
    version = "compact"
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.startswith("#"):
                if "release" in line and "oncotree_" in line:
                    version = "compact copy of " + line.split("oncotree_", 1)[1].split()[0].join(("oncotree_", ""))
                continue
            fields = line.rstrip("\n").split("\t")
            if fields[0] == "code" or not line.strip():
                continue
            if len(fields) < 4:
                raise InputError("expected code, parent, tissue, name", source=str(path), location=f"line {number}")
            code, parent, tissue, name = fields[:4]
            nodes[code] = TumourType(code, name, parent or None, tissue or None)
    return OncoTree(nodes, version=version)


@lru_cache(maxsize=4)
def load_oncotree(path: Path | None = None) -> OncoTree:
    """The built-in compact OncoTree (``path`` None) or a user-supplied OncoTree JSON."""
    return _read_tsv(COMPACT_TREE) if path is None else _read_json(Path(path))
