"""Gene-level evidence the rare-disease engine reads beside the compiled HPO knowledge, when imported:
the loss-of-function mechanism table (ClinGen dosage, for ACMG PVS1, with the genes established as haploinsufficient or
triplosensitive for the ACMG/ClinGen CNV points) and known pathogenic missense
changes (ClinVar, for PS1/PM5). The importers that write them are ``kb/importers/clingen_dosage.py``
and ``kb/importers/clinvar.py``; these are the runtime loaders.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tailormed.errors import KnowledgeError

LOF_TABLE_NAME = "lof_mechanism.json"
KNOWN_MISSENSE_NAME = "known_missense.json"


def _document(target: Path) -> dict[str, Any]:
    try:
        document = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise KnowledgeError(f"cannot read this imported table ({exc}); import it again", source=str(target)) from None
    if not isinstance(document, dict) or not isinstance(document.get("genes"), dict):
        raise KnowledgeError("not an imported gene table (no 'genes' mapping); import it again", source=str(target))
    return document


def load_known_missense(folder: Path) -> tuple[dict[str, dict[str, str]], frozenset[str], str | None]:
    """The imported table (empty when none was imported)."""
    target = folder / KNOWN_MISSENSE_NAME
    if not target.is_file():
        return {}, frozenset(), None
    document = _document(target)
    variants = document.get("variants", [])
    known = frozenset(variants if isinstance(variants, list) else [])
    return dict(document["genes"]), known, str(document.get("source"))


def _curated_rows(name: str) -> Iterator[tuple[Path, int, list[str]]]:
    """(path, line number, tab-separated fields) of each data row of a curated table in ``kb/data/rare-dosage``
    (blank lines and ``#`` comments skipped)."""
    path = Path(__file__).parent / "data" / "rare-dosage" / name
    for line_number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip() and not line.startswith("#"):
            yield path, line_number, line.split("\t")


def builtin_lof_table() -> dict[str, tuple[str, str]]:
    """Curated LoF mechanisms shipped with TailorMed (``kb/data/rare-dosage/lof_mechanism.tsv``): gene ->
    (mechanism, source)."""
    table: dict[str, tuple[str, str]] = {}
    for path, line_number, fields in _curated_rows("lof_mechanism.tsv"):
        if len(fields) != 3 or fields[1] not in ("established", "likely", "unknown", "not_lof") or \
                not fields[2].strip():
            raise KnowledgeError("expected gene, mechanism (established/likely/unknown/not_lof) and source",
                                 source=str(path), location=f"line {line_number}")
        table[fields[0]] = (fields[1], fields[2])
    return table


def builtin_triplosensitive_table() -> dict[str, str]:
    """Genes curated as established triplosensitive (ClinGen TS score 3) shipped with TailorMed
    (``kb/data/rare-dosage/triplosensitivity.tsv``): gene -> source."""
    table: dict[str, str] = {}
    for path, line_number, fields in _curated_rows("triplosensitivity.tsv"):
        if len(fields) != 2 or not fields[0].strip() or not fields[1].strip():
            raise KnowledgeError("expected gene and source", source=str(path), location=f"line {line_number}")
        table[fields[0].strip()] = fields[1].strip()
    return table


def load_dosage_genes(folder: Path) -> tuple[frozenset[str] | None, frozenset[str] | None]:
    """The imported ClinGen table's established haploinsufficient and triplosensitive genes; None for a list the
    table does not carry (no table, or one imported before these lists were written)."""
    target = folder / LOF_TABLE_NAME
    if not target.is_file():
        return None, None
    document = _document(target)
    lists = []
    for key in ("haploinsufficient", "triplosensitive"):
        value = document.get(key)
        if value is not None and not (isinstance(value, list) and all(isinstance(g, str) for g in value)):
            raise KnowledgeError(f"'{key}' is not a list of gene symbols; import it again", source=str(target))
        lists.append(frozenset(value) if value is not None else None)
    return lists[0], lists[1]


def load_lof_table(folder: Path) -> tuple[dict[str, str], str | None]:
    """The imported table and its source name, or an empty table when none was imported."""
    target = folder / LOF_TABLE_NAME
    if not target.is_file():
        return {}, None
    document = _document(target)
    return dict(document["genes"]), str(document.get("source"))
