"""Drift of a pack's gene knowledge from PharmCAT's current definition files and CPIC's function assignments.

For every gene of the pack: allele names, defining positions and bases (PharmCAT's
``definition/alleles/<GENE>_translation.json``, converted as ``kb import pharmcat`` does and compared with
:func:`tailormed.kb.compare.compare_gene`), and each allele's function and activity value as CPIC assigns them
(PharmCAT's ``phenotype/<GENE>.json``, ``namedAlleles[].functionValue`` / ``activityValue``). Differences the
pack keeps on purpose are listed, with their reasons, in the pack's ``pharmcat-differences.yaml``; anything else
is drift. Nothing is resolved automatically.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tailormed.errors import InputError, KnowledgeError
from tailormed.kb.compare import Disagreement, _reference_bases, _signature, compare_gene
from tailormed.kb.importers.pharmcat import convert_gene
from tailormed.model.pack import GeneDefinition

DIFFERENCES_FILE = "pharmcat-differences.yaml"
"""A pack's list of deliberate differences from PharmCAT (optional)."""

KINDS = ("gene_only_in_ours", "site_only_in_ours", "site_only_in_theirs", "reference_base", "allele_name",
         "allele_only_in_ours", "allele_only_in_theirs", "allele_definition", "allele_function", "activity_value")
DRIFT_KINDS = tuple(k for k in KINDS if k != "site_only_in_theirs")
"""Kinds that count as drift. A site only PharmCAT uses is counted but is never drift by itself: if an allele both
name uses it, that allele's definition differs (allele_definition); otherwise it belongs to alleles only PharmCAT
has (allele_only_in_theirs)."""


class DocumentedDifference(BaseModel):
    """One deliberate difference: a kind of disagreement for some (or all, ``'*'``) items of a gene, and why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    gene: str
    kind: str = Field(pattern="^(" + "|".join(KINDS) + ")$")
    items: list[str] | str = Field(description="Allele names or 'id position' site labels, or '*' for all.")
    status: Literal["deliberate", "gap"] = Field(
        description="deliberate: pgx-core differs on purpose; gap: not curated yet (a known gap, to close).")
    reason: str = Field(min_length=20)

    def covers(self, d: Disagreement) -> bool:
        return d.gene == self.gene and d.kind == self.kind and (self.items == "*" or d.item in self.items)


class DifferencesFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    checked_against: str = Field(description="The PharmCAT release the list was last checked against.")
    differences: list[DocumentedDifference]


@dataclass
class GeneDrift:
    """One gene's comparison."""

    gene: str
    source_version: str
    ours: int
    theirs: int
    found: list[Disagreement] = field(default_factory=list)
    documented: list[tuple[Disagreement, DocumentedDifference]] = field(default_factory=list)

    @property
    def drift(self) -> list[Disagreement]:
        """Differences of a drift kind that no documented entry covers."""
        covered = {id(d) for d, _ in self.documented}
        return [d for d in self.found if id(d) not in covered and d.kind in DRIFT_KINDS]


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read PharmCAT file ({exc})", source=str(path)) from exc


def load_differences(pack_dir: Path) -> DifferencesFile | None:
    """The pack's documented differences, or None when it has no list."""
    path = Path(pack_dir) / DIFFERENCES_FILE
    if not path.is_file():
        return None
    try:
        return DifferencesFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError) as exc:
        raise KnowledgeError(f"not a valid differences list ({exc})", source=str(path)) from exc


def _renamed(ours: GeneDefinition, theirs: GeneDefinition, found: list[Disagreement]) -> list[Disagreement]:
    """Pair an allele only we name with one only PharmCAT names when both are defined by the same changes: one
    ``allele_name`` difference instead of two one-sided ones."""
    only_ours = {d.item for d in found if d.kind == "allele_only_in_ours"}
    only_theirs = {d.item for d in found if d.kind == "allele_only_in_theirs"}
    if not only_ours or not only_theirs:
        return found
    a_ref, b_ref = _reference_bases(ours), _reference_bases(theirs)
    by_signature: dict[frozenset[tuple[int, str, str]], list[str]] = {}
    for allele in theirs.alleles:
        if allele.name in only_theirs:
            by_signature.setdefault(_signature(theirs, allele, b_ref), []).append(allele.name)
    pairs: dict[str, str] = {}
    for allele in ours.alleles:
        if allele.name not in only_ours:
            continue
        signature = _signature(ours, allele, a_ref)
        if allele.name == ours.reference_allele:
            signature = frozenset()
        names = by_signature.get(signature, [])
        if theirs.reference_allele in only_theirs and not signature:
            names = [theirs.reference_allele]
        if len(names) == 1 and names[0] not in pairs.values():
            pairs[allele.name] = names[0]
    if not pairs:
        return found
    kept = [d for d in found if not ((d.kind == "allele_only_in_ours" and d.item in pairs)
                                     or (d.kind == "allele_only_in_theirs" and d.item in pairs.values()))]
    return kept + [Disagreement(ours.gene, "allele_name", name, name, theirs_name)
                   for name, theirs_name in sorted(pairs.items())]


def _function_drift(ours: GeneDefinition, phenotype: dict[str, Any]) -> list[Disagreement]:
    """Function label and activity value of every allele both sides name, as CPIC assigns them."""
    found: list[Disagreement] = []
    theirs = {a["name"]: a for a in phenotype.get("namedAlleles") or []}
    for allele in ours.alleles:
        cpic = theirs.get(allele.name)
        if cpic is None:
            continue
        label = cpic.get("functionValue")
        if label and label.strip().lower() != allele.function.strip().lower():
            found.append(Disagreement(ours.gene, "allele_function", allele.name, allele.function, label))
        raw = cpic.get("activityValue")
        try:
            value = float(raw) if raw not in (None, "", "n/a") else None
        except ValueError:
            value = None
        if value is not None and (allele.activity_value is None or abs(value - allele.activity_value) > 1e-9):
            found.append(Disagreement(ours.gene, "activity_value", allele.name,
                                      "" if allele.activity_value is None else f"{allele.activity_value:g}",
                                      f"{value:g}"))
    return found


def pharmcat_drift(genes: dict[str, GeneDefinition], directory: Path,
                   documented: DifferencesFile | None = None) -> list[GeneDrift]:
    """Compare every gene of ``genes`` with PharmCAT's folder ``directory`` (the one holding ``definition/`` and
    ``phenotype/``); outside-call-only genes (HLA) are compared by name only."""
    directory = Path(directory)
    allele_dir = directory / "definition" / "alleles"
    if not allele_dir.is_dir():
        raise InputError("not a PharmCAT data folder (no definition/alleles/)", source=str(directory))
    entries = documented.differences if documented else []
    out: list[GeneDrift] = []
    for name in sorted(genes):
        ours = genes[name]
        path = allele_dir / f"{name}_translation.json"
        if not path.is_file():
            drift = GeneDrift(name, "", len(ours.alleles), 0,
                              [Disagreement(name, "gene_only_in_ours", name, "", "")])
        else:
            translation = _load_json(path)
            pheno_path = directory / "phenotype" / f"{name.replace('-', '_')}.json"
            phenotype = _load_json(pheno_path) if pheno_path.is_file() else {}
            data, _ = convert_gene(translation, phenotype, ours, "pharmcat")
            theirs = GeneDefinition.model_validate(data)
            found = [d for d in compare_gene(ours, theirs) if d.kind not in ("allele_function", "activity_value")]
            found = _renamed(ours, theirs, found)
            found += _function_drift(ours, phenotype)
            drift = GeneDrift(name, str(translation.get("version", "")), len(ours.alleles),
                              len(translation.get("namedAlleles") or []), found)
        for d in drift.found:
            entry = next((e for e in entries if e.covers(d)), None)
            if entry is not None:
                drift.documented.append((d, entry))
        out.append(drift)
    return out


def stale_entries(documented: DifferencesFile, drift: list[GeneDrift]) -> list[DocumentedDifference]:
    """Documented differences that no longer occur (the list should then be corrected); a listed item that no
    longer differs makes its entry stale too."""
    compared = {g.gene for g in drift}
    found = [d for g in drift for d in g.found]
    stale = []
    for entry in documented.differences:
        if entry.gene not in compared:
            continue
        hits = [d for d in found if entry.covers(d)]
        if not hits or (entry.items != "*" and {d.item for d in hits} != set(entry.items)):
            stale.append(entry)
    return stale
