"""Knowledge packs as the command line and the service see them: list, describe, validate, import.

The importers themselves live in ``kb/importers/``; this module is the one door to them from above.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tailormed.errors import InputError
from tailormed.kb.importers.civic import import_civic
from tailormed.kb.importers.clingen_dosage import import_clingen_dosage
from tailormed.kb.importers.clinvar import import_clinvar
from tailormed.kb.importers.ctgov import import_ctgov
from tailormed.kb.importers.genes import import_genes
from tailormed.kb.importers.hpo import import_hpo
from tailormed.kb.importers.moalmanac import import_moalmanac
from tailormed.kb.importers.pharmcat import import_pharmcat
from tailormed.kb.importers.pypgx_cyp2d6 import import_cyp2d6
from tailormed.kb.onco import load_onco_knowledge
from tailormed.kb.oncotree import load_oncotree
from tailormed.kb.pack import available_pack_dirs, find_pack, load_knowledge_base, load_pack
from tailormed.kb.risk_equations import load_risk_equations
from tailormed.kb.trials import write_trials
from tailormed.model.pack import GeneDefinition
from tailormed.risk.equations import check_pack_fits_equations

__all__ = ["PackSummary", "PackDescription", "describe_pack", "gene_definition", "import_civic",
           "import_clingen_dosage", "import_clinvar", "import_cyp2d6", "import_genes", "import_hpo", "import_moalmanac",
           "import_pharmcat", "import_trials", "list_packs", "validate_pack"]


@dataclass(frozen=True)
class PackSummary:
    """One row of ``tailormed kb list``."""

    name: str
    kind: str
    version: str
    date: str
    contents: str
    base: str
    path: Path


@dataclass
class PackDescription:
    """What ``tailormed kb show`` prints for one pack."""

    name: str
    kind: str
    version: str
    date: str
    licence: str
    description: str
    genes: list[str]
    drugs: list[str] = field(default_factory=list)
    records: list[tuple[str, str, str, str, str, str]] = field(default_factory=list)  # onco evidence rows
    equations: list[tuple[str, str, str, str, str]] = field(default_factory=list)  # risk: file, equation, source...
    perpetrators: list[tuple[str, str, str, str, str]] = field(default_factory=list)  # drug, enzyme, effect, ...
    drug_guidelines: list[tuple[str, str, str, str]] = field(default_factory=list)
    """pgx: per drug its genes, the CPIC guideline's source id and the DPWG guideline's (or '')."""
    phenoconversion_rules: list[tuple[str, str, str, str]] = field(default_factory=list)  # enzyme, method, ...
    sources: list[tuple[str, str]] = field(default_factory=list)


def list_packs() -> list[PackSummary]:
    """Every pack TailorMed can see (built-in and imported)."""
    rows = []
    for path in available_pack_dirs():
        manifest = load_pack(path).manifest
        if manifest.kind == "onco":
            onco = load_onco_knowledge(str(path))
            contents = f"{len(onco.records)} records, {len(onco.genes)} genes"
        elif manifest.kind == "risk":
            contents = load_risk_equations(path).contents()
        else:
            pack = load_pack(path)
            contents = f"{len(pack.genes)} genes, {len(pack.drugs)} drugs"
        rows.append(PackSummary(manifest.name, manifest.kind, manifest.version, str(manifest.date), contents,
                                manifest.base or "", path))
    return rows


def describe_pack(name_or_path: str) -> PackDescription:
    """A pack's manifest, genes, drugs or evidence records, and sources."""
    pack = load_pack(find_pack(name_or_path))
    m = pack.manifest
    description = PackDescription(name=m.name, kind=m.kind, version=m.version, date=str(m.date), licence=m.licence,
                                  description=m.description, genes=sorted(pack.genes), drugs=sorted(pack.drugs),
                                  sources=[(s.id, s.citation) for s in sorted(pack.sources.values(),
                                                                              key=lambda s: s.id)])
    for name in sorted(pack.drugs):
        drug = pack.drugs[name]
        dpwg = next((o for o in drug.other_guidelines if o.body == "DPWG"), None)
        description.drug_guidelines.append((
            name, ", ".join(drug.genes), drug.guideline,
            f"{dpwg.guideline} ({', '.join(dpwg.genes)}; {len(dpwg.recommendations)} rows)" if dpwg else ""))
    if pack.phenoconversion is not None:
        description.perpetrators = [(p.drug + (f" ({', '.join(p.aliases)})" if p.aliases else ""), p.enzyme,
                                     p.effect, p.strength, p.source) for p in pack.phenoconversion.perpetrators]
        description.phenoconversion_rules = [
            (r.enzyme, r.method, "; ".join(f"{k} x{v:g}" for k, v in r.multipliers.items()) +
             (f" (for {', '.join(r.applies_to_drugs)})" if r.applies_to_drugs else ""), ", ".join(r.sources))
            for r in pack.phenoconversion.rules]
    if m.kind == "onco":
        onco = load_onco_knowledge(str(pack.path))
        description.genes = sorted(onco.genes)
        description.records = [(r.id, ", ".join(r.tumour_types), "; ".join(r.alterations), r.therapy, r.evidence,
                                r.response) for r in (compiled.record for compiled in onco.records)]
    elif m.kind == "risk":
        risk = load_risk_equations(pack.path)
        description.equations = [(file_name, e.equation, e.source.id, e.source.version or "", e.source.date or "")
                                 for file_name, e in risk.equations()]
        description.sources = [(s.id, s.citation) for s in sorted(risk.sources.values(), key=lambda s: s.id)]
    return description


def gene_definition(name_or_path: str, gene: str) -> GeneDefinition:
    """One gene's allele definitions from a pharmacogenomics pack."""
    pack = load_pack(find_pack(name_or_path))
    definition = pack.genes.get(gene)
    if definition is None:
        raise InputError(f"pack {pack.manifest.name} has no gene {gene}")
    return definition


def validate_pack(path: Path) -> str:
    """Check a pack folder as the engines would load it; returns a one-line summary."""
    found = find_pack(str(path))
    kind = load_pack(found).manifest.kind
    if kind == "risk":
        risk = load_risk_equations(found)
        check_pack_fits_equations(risk)
        return f"ok: {risk.version_label}: {risk.contents()}, {len(risk.sources)} sources"
    if kind == "onco":
        onco = load_onco_knowledge(str(path))
        return (f"ok: {onco.version_label}: {len(onco.records)} evidence records, {len(onco.genes)} genes, "
                f"{len(onco.sources)} sources")
    kb = load_knowledge_base(str(path))
    perpetrators = (f", {len(kb.phenoconversion.perpetrators)} phenoconversion perpetrators"
                    if kb.phenoconversion is not None else "")
    return (f"ok: {kb.version_label}: {len(kb.genes)} genes, {len(kb.drugs)} drugs{perpetrators}, "
            f"{len(kb.sources)} sources")


def import_trials(studies: Sequence[Path], out: Path, *, retrieved: str | None = None,
                  oncotree: Path | None = None) -> tuple[int, list[str]]:
    """ClinicalTrials.gov study JSON into a trial file; returns the count written and the warnings."""
    trials, warnings = import_ctgov(studies, retrieved=retrieved, tree=load_oncotree(oncotree))
    write_trials(trials, out)
    return len(trials), warnings
