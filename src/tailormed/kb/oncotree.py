"""OncoTree tumour types: codes, names, the hierarchy, and the SOLID / HEME / ANY groups.

Tumour types are OncoTree codes (https://oncotree.mskcc.org). A code covers itself and every code below it, so a
record for ``NSCLC`` applies to a ``LUAD`` tumour. Three groups stand for sets of tissues rather than one branch:

- ``SOLID``: every tumour outside the Myeloid and Lymphoid tissues;
- ``HEME``: every tumour in the Myeloid or Lymphoid tissue (OncoTree files histiocytic and mast-cell neoplasms under
  Myeloid, so they count as HEME);
- ``ANY``: every tumour.

Two sources:

- ``load_oncotree()`` returns the built-in compact copy, ``kb/data/oncotree/oncotree-compact.tsv``: a
  hand-curated subset of OncoTree release oncotree_2025_10_03 (every tissue, and the codes precision oncology
  needs), cached after the first call;
- ``load_oncotree(path)`` reads a full tree in the OncoTree API's JSON formats: the nested tree
  (``{"TISSUE": {"code": "TISSUE", "children": {"LUNG": {...}}}}``, as the release files and ``/api/tumorTypes/tree``
  give it) or the flat list of ``/api/tumorTypes`` (objects with ``code``, ``name``, ``parent``, ``tissue``,
  ``mainType``). A ``.tsv`` path is read in the compact format.

OncoTree's root node ``TISSUE`` is not a tumour type: tissue-level nodes (``LUNG``, ``MYELOID``...) have no parent here.

>>> tree = load_oncotree()
>>> tree.is_within("LUAD", "NSCLC"), tree.is_within("LUAD", "HEME")
(True, False)
>>> tree.ancestors("CMLBCRABL1")
['CML', 'MPN', 'MNM', 'MYELOID']
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tailormed.documents import load_json, read_text
from tailormed.errors import InputError, KnowledgeError, TailorMedError

COMPACT_TREE = Path(__file__).parent / "data" / "oncotree" / "oncotree-compact.tsv"
ROOT = "TISSUE"
"""OncoTree's root node; its children are the tissue-level nodes."""
HEME_TISSUES = frozenset({"Myeloid", "Lymphoid"})
GROUPS: Mapping[str, str] = MappingProxyType(
    {"SOLID": "any solid tumour", "HEME": "any haematological cancer", "ANY": "any cancer"})
"""Group codes accepted wherever an OncoTree code is, with their display names."""
TSV_COLUMNS = ("code", "parent", "tissue", "name", "main_type")


class TumourType(BaseModel):
    """One OncoTree node."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(description="OncoTree code, e.g. LUAD.")
    name: str = Field(description="OncoTree name, e.g. Lung Adenocarcinoma.")
    parent: str | None = Field(description="Parent code; None for a tissue-level node.")
    tissue: str = Field(description="OncoTree tissue, e.g. Lung, Myeloid.")
    main_type: str | None = Field(default=None, description="OncoTree main type, e.g. Non-Small Cell Lung Cancer.")


class OncoTree:
    """An OncoTree release (or a subset of one): lookups by code and the hierarchy.

    Lookups are case-insensitive; :meth:`resolve` turns user input into the canonical code and is the one place an
    unknown code is reported (with the closest codes as suggestions).
    """

    def __init__(self, nodes: Mapping[str, TumourType], *, version: str, source: str,
                 former_codes: Mapping[str, tuple[str, ...]] | None = None):
        self._nodes: dict[str, TumourType] = dict(nodes)
        self.version = version
        """Release label, e.g. ``oncotree_2025_10_03 (TailorMed compact subset, 448 codes)``."""
        self.source = source
        """Where the tree came from: the file path, or ``built-in`` for the compact copy."""
        self._former = dict(former_codes or {})
        self._upper = {code.upper(): code for code in self._nodes}
        self._children: dict[str, list[str]] = {code: [] for code in self._nodes}
        for node in self._nodes.values():
            if node.parent is not None:
                if node.parent not in self._nodes:
                    raise KnowledgeError(f"tumour type {node.code} has parent {node.parent}, which is not in the tree",
                                         source=source)
                self._children[node.parent].append(node.code)
        for code in self._nodes:  # a cycle would make ancestors() loop forever
            self._path_to_root(code)

    # ------------------------------------------------------------------ lookups

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code.strip().upper() in self._upper

    def __iter__(self) -> Iterator[str]:
        return iter(self._nodes)

    def __len__(self) -> int:
        return len(self._nodes)

    def __repr__(self) -> str:
        return f"OncoTree({self.version!r}, {len(self)} codes)"

    @property
    def nodes(self) -> Mapping[str, TumourType]:
        """Every tumour type by canonical code (read-only)."""
        return MappingProxyType(self._nodes)

    def get(self, code: str) -> TumourType:
        """The node of a code (any case); :class:`InputError` for an unknown code, as :meth:`resolve`."""
        return self._nodes[self._canonical(code)]

    def resolve(self, code: str) -> str:
        """The canonical code of ``code`` (case-insensitive, surrounding space ignored); a group stays a group.

        An unknown code is an :class:`InputError` naming the closest codes, e.g. ``LUADD`` ->
        "did you mean LUAD (Lung Adenocarcinoma)?".
        """
        key = code.strip().upper()
        if key in GROUPS:
            return key
        return self._canonical(code)

    def replacement(self, code: str) -> str | None:
        """The single current code that replaced a retired one (e.g. GBM -> GB), or None (unknown, or several)."""
        successors = [c for c in self._former.get(code.strip().upper(), ()) if c in self._nodes]
        return successors[0] if len(successors) == 1 else None

    def name(self, code: str) -> str:
        """Display name of a code or group."""
        key = code.strip().upper()
        return GROUPS[key] if key in GROUPS else self.get(code).name

    def parent(self, code: str) -> str | None:
        """The parent code; None for a tissue-level node."""
        return self.get(code).parent

    def tissue(self, code: str) -> str:
        """The OncoTree tissue, e.g. ``Lung``; ``Myeloid`` and ``Lymphoid`` are the haematological ones."""
        return self.get(code).tissue

    def main_type(self, code: str) -> str | None:
        """The OncoTree main type, e.g. ``Non-Small Cell Lung Cancer`` for LUAD."""
        return self.get(code).main_type

    def children(self, code: str) -> list[str]:
        """The codes directly below ``code``."""
        return list(self._children[self._canonical(code)])

    def ancestors(self, code: str) -> list[str]:
        """The codes above ``code``, nearest first, ending at its tissue-level node (``code`` itself not included)."""
        return self._path_to_root(self._canonical(code))[1:]

    def is_within(self, code: str, ancestor: str) -> bool:
        """Whether tumour type ``code`` is ``ancestor`` or below it (a code is within itself).

        ``ancestor`` may be a group: ``SOLID`` (tissue not Myeloid/Lymphoid), ``HEME`` (Myeloid or Lymphoid) or
        ``ANY``. ``code`` must be known to the tree (:class:`InputError` otherwise); an ``ancestor`` the tree does not
        know covers nothing but itself. A group given as ``code`` is within itself and ``ANY`` only.
        """
        group = ancestor.strip().upper()
        key = code.strip().upper()
        if key in GROUPS:
            return group in (key, "ANY")
        canonical = self._canonical(code)
        if group == "ANY":
            return True
        if group in ("SOLID", "HEME"):
            heme = self._nodes[canonical].tissue in HEME_TISSUES
            return heme if group == "HEME" else not heme
        target = self._upper.get(group)
        if target is None:
            return False
        return target in self._path_to_root(canonical)

    def suggest(self, text: str, limit: int = 4) -> list[str]:
        """Codes close to ``text``: by code spelling, by name spelling, then names containing it."""
        query = text.strip()
        by_code = [self._upper[c] for c in difflib.get_close_matches(query.upper(), list(self._upper), n=limit,
                                                                     cutoff=0.6)]
        names: dict[str, str] = {}
        for node in self._nodes.values():
            names.setdefault(node.name.lower(), node.code)
        by_name = [names[n] for n in difflib.get_close_matches(query.lower(), list(names), n=limit, cutoff=0.6)]
        containing = [code for name, code in names.items() if len(query) >= 4 and query.lower() in name]
        return list(dict.fromkeys(by_code + by_name + containing))[:limit]

    # ------------------------------------------------------------------ internals

    def _canonical(self, code: str) -> str:
        found = self._upper.get(code.strip().upper())
        if found is not None:
            return found
        raise InputError(self._unknown_message(code))

    def _unknown_message(self, code: str) -> str:
        message = f"unknown OncoTree code {code!r}"
        successors = [c for c in self._former.get(code.strip().upper(), ()) if c in self._nodes]
        if successors:
            listed = " or ".join(f"{c} ({self._nodes[c].name})" for c in successors)
            return f"{message}: a retired code, which OncoTree replaced by {listed}"
        close = self.suggest(code)
        if close:
            listed = ", ".join(f"{c} ({self._nodes[c].name})" for c in close)
            message += f"; did you mean {listed}?"
        else:
            message += " (codes: https://oncotree.mskcc.org)."
        if self.source == "built-in":
            message += (" The built-in OncoTree is a compact subset; for other codes pass a full OncoTree JSON "
                        "(--oncotree FILE).")
        return message

    def _path_to_root(self, code: str) -> list[str]:
        path = [code]
        current = self._nodes[code].parent
        while current is not None:
            if current in path:
                raise KnowledgeError(f"OncoTree hierarchy has a cycle through {current}", source=self.source)
            path.append(current)
            current = self._nodes[current].parent
        return path


# ---------------------------------------------------------------------------- loading


def load_oncotree(path: Path | None = None) -> OncoTree:
    """The built-in compact OncoTree (``path`` None, cached) or the tree in an OncoTree file.

    A file is read by its form: JSON (the nested OncoTree tree, or the flat ``/api/tumorTypes`` list) or, for a
    ``.tsv`` name, the compact format of the built-in copy. A malformed file is an :class:`InputError` naming the file
    and the place (``line 3``, ``item 12``, ``TISSUE > LUNG > NSCLC``).
    """
    if path is None:
        return _builtin_tree()
    path = Path(path)
    if path.suffix.lower() == ".tsv":
        return _read_tsv(path, error=InputError)
    return _read_json(path)


@lru_cache(maxsize=1)
def _builtin_tree() -> OncoTree:
    return _read_tsv(COMPACT_TREE, error=KnowledgeError, source="built-in")


def _read_tsv(path: Path, *, error: type[TailorMedError], source: str | None = None) -> OncoTree:
    """The compact format: ``#`` comment lines (one ``# release: NAME``), a header, then one tumour type a line."""
    where = str(path)
    if error is InputError:  # a user's file: folder, missing, non-UTF-8 named as such
        lines = read_text(path, "OncoTree file").splitlines()
    else:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise error(f"cannot read OncoTree file ({exc})", source=where) from exc
    release = path.stem
    nodes: dict[str, TumourType] = {}
    header_seen = False
    for number, line in enumerate(lines, 1):
        if line.startswith("#"):
            if line.startswith("# release:"):
                release = line.split(":", 1)[1].strip()
            continue
        if not line.strip():
            continue
        fields = line.split("\t")
        if not header_seen:
            if tuple(f.strip() for f in fields[:5]) != TSV_COLUMNS:
                raise error(f"expected the header {' '.join(TSV_COLUMNS)} (tab-separated)", source=where,
                            location=f"line {number}")
            header_seen = True
            continue
        if len(fields) != len(TSV_COLUMNS):
            raise error(f"expected {len(TSV_COLUMNS)} tab-separated fields ({', '.join(TSV_COLUMNS)}), "
                        f"found {len(fields)}", source=where, location=f"line {number}")
        code, parent, tissue, name, main_type = (f.strip() for f in fields)
        if not code or not tissue or not name:
            raise error("code, tissue and name must not be empty", source=where, location=f"line {number}")
        if code in nodes:
            raise error(f"tumour type {code} is listed twice", source=where, location=f"line {number}")
        if parent and parent not in nodes:
            raise error(f"parent {parent} of {code} is not listed above it", source=where, location=f"line {number}")
        nodes[code] = TumourType(code=code, name=name, parent=parent or None, tissue=tissue,
                                 main_type=main_type or None)
    if not nodes:
        raise error("OncoTree file lists no tumour types", source=where)
    label = f"{release} (TailorMed compact subset, {len(nodes)} codes)" if source == "built-in" else release
    return OncoTree(nodes, version=label, source=source or where)


def _read_json(path: Path) -> OncoTree:
    where = str(path)
    data = load_json(path, "OncoTree file")
    nodes: dict[str, TumourType] = {}
    former: dict[str, list[str]] = {}
    if isinstance(data, dict) and ROOT in data:
        root = data[ROOT]
        if not isinstance(root, dict):
            raise InputError(f"{ROOT} must be an object with children", source=where, location=ROOT)
        _read_nested(root, ROOT, nodes, former, where)
    elif isinstance(data, list):
        _read_flat(data, nodes, former, where)
    else:
        raise InputError("not an OncoTree file: expected the nested tree {\"TISSUE\": {...}} or the list of tumour "
                         "types that /api/tumorTypes returns", source=where)
    if not nodes:
        raise InputError("OncoTree file has no tumour types", source=where)
    try:
        return OncoTree(nodes, version=path.stem, source=where,
                        former_codes={old: tuple(dict.fromkeys(new)) for old, new in former.items()})
    except KnowledgeError as exc:  # a broken hierarchy in a user's file is an input problem
        raise InputError(exc.message, source=where) from exc


def _read_nested(node: dict[str, Any], place: str, nodes: dict[str, TumourType], former: dict[str, list[str]],
                 where: str) -> None:
    children = node.get("children")
    if children is None:
        return
    if not isinstance(children, dict):
        raise InputError("children must be an object {code: tumour type}", source=where, location=place)
    for key, child in children.items():
        child_place = f"{place} > {key}"
        tumour_type = _tumour_type(child, child_place, where)
        if tumour_type.code != key:
            raise InputError(f"child listed as {key!r} has code {tumour_type.code!r}", source=where,
                             location=child_place)
        parent_code = node.get("code", ROOT)
        expected = None if parent_code == ROOT else parent_code
        if child.get("parent") is None:  # the place in the tree says it
            tumour_type = tumour_type.model_copy(update={"parent": expected})
        elif tumour_type.parent != expected:
            raise InputError(f"parent field {tumour_type.parent or ROOT!r} disagrees with its place in the tree "
                             f"(under {parent_code!r})", source=where, location=child_place)
        _add(tumour_type, child, child_place, nodes, former, where)
        _read_nested(child, child_place, nodes, former, where)


def _read_flat(items: list[Any], nodes: dict[str, TumourType], former: dict[str, list[str]], where: str) -> None:
    for index, item in enumerate(items):
        place = f"item {index}"
        if isinstance(item, dict) and item.get("code") == ROOT and not item.get("parent"):
            continue  # the root itself, which /api/tumorTypes lists too
        tumour_type = _tumour_type(item, place, where)
        _add(tumour_type, item, f"{place} ({tumour_type.code})", nodes, former, where)
    for code, tumour_type in nodes.items():
        if tumour_type.parent is not None and tumour_type.parent not in nodes:
            raise InputError(f"parent {tumour_type.parent} of {code} is not in the file", source=where)


def _tumour_type(item: Any, place: str, where: str) -> TumourType:
    if not isinstance(item, dict):
        raise InputError("expected a tumour-type object", source=where, location=place)
    values: dict[str, str | None] = {}
    for field in ("code", "name", "tissue", "parent", "mainType"):
        value = item.get(field)
        if value is not None and not isinstance(value, str):
            raise InputError(f"field {field!r} must be a string", source=where, location=place)
        values[field] = value.strip() if isinstance(value, str) else None
    missing = [field for field in ("code", "name", "tissue") if not values[field]]
    if missing:
        raise InputError(f"tumour type lacks {', '.join(missing)}", source=where, location=place)
    parent = values["parent"]
    return TumourType(code=values["code"] or "", name=values["name"] or "", tissue=values["tissue"] or "",
                      parent=None if not parent or parent == ROOT else parent, main_type=values["mainType"])


def _add(tumour_type: TumourType, item: dict[str, Any], place: str, nodes: dict[str, TumourType],
         former: dict[str, list[str]], where: str) -> None:
    if tumour_type.code in nodes:
        raise InputError(f"tumour type {tumour_type.code} appears twice", source=where, location=place)
    nodes[tumour_type.code] = tumour_type
    for field in ("history", "precursors", "revocations"):  # codes this node replaced in earlier releases
        old_codes = item.get(field) or []
        if isinstance(old_codes, list):
            for old in old_codes:
                if isinstance(old, str) and old.strip() and old.strip() != tumour_type.code:
                    former.setdefault(old.strip().upper(), []).append(tumour_type.code)
