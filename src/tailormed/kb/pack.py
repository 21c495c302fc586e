"""Loading and validating knowledge packs.

Engines never open pack files: they receive a :class:`KnowledgeBase` built
here, already validated.  A pack may overlay a base pack (``base:`` in its
manifest): genes it defines replace the base's genes, drugs likewise, so an
imported allele set can be layered over the curated recommendations.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from tailormed.errors import KnowledgeError, first_validation_problem
from tailormed.kb.cyp2d6 import core_only, find_cyp2d6_dir, load_cyp2d6_definition
from tailormed.kb.rxnorm import builtin_ingredient_codes
from tailormed.model.pack import (
    DrugGuidance,
    GeneCondition,
    GeneDefinition,
    Manifest,
    PhenoconversionKnowledge,
    Source,
)

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
BUILTIN_PACKS_DIR = Path(__file__).parent / "data"
USER_PACKS_ENV = "TAILORMED_PACKS"
PHENOCONVERSION_FILE = "phenoconversion.yaml"
"""A pgx pack's perpetrator list and phenoconversion rules (optional)."""
_Model = TypeVar("_Model", bound=BaseModel)


def user_packs_dir() -> Path:
    """Folder where imported packs are written and searched.

    ``$TAILORMED_PACKS`` when set, else ``~/.local/share/tailormed/packs``.
    """
    configured = os.environ.get(USER_PACKS_ENV)
    if configured:
        return Path(configured)
    return Path.home() / ".local" / "share" / "tailormed" / "packs"


@dataclass(frozen=True)
class Pack:
    """One validated pack folder."""

    path: Path
    manifest: Manifest
    genes: dict[str, GeneDefinition]
    drugs: dict[str, DrugGuidance]
    sources: dict[str, Source]
    phenoconversion: PhenoconversionKnowledge | None = None
    drug_files: dict[str, str] = field(default_factory=dict)
    """Drug name -> the file that defines it (for error messages)."""


@dataclass(frozen=True)
class KnowledgeBase:
    """The knowledge an engine works from: a pack, merged over its base packs."""

    packs: tuple[Pack, ...]
    genes: dict[str, GeneDefinition]
    drugs: dict[str, DrugGuidance]
    sources: dict[str, Source]
    gene_origin: dict[str, str] = field(default_factory=dict)
    phenoconversion: PhenoconversionKnowledge | None = None
    """Listed perpetrators and phenoconversion rules (from the last pack of the chain that has them)."""
    phenoconversion_file: str | None = None
    drug_files: dict[str, str] = field(default_factory=dict)
    """Drug name -> the file that defines it (from the last pack of the chain that defines it)."""
    ingredient_codes: dict[str, str] = field(default_factory=dict)
    """Drug name -> RxNorm ingredient RXCUI (``rxnorm.tsv``): resolves the ``alternatives`` named by a pack drug."""
    extra_knowledge: tuple[str, ...] = ()
    """Knowledge used besides the packs (the installed CYP2D6 allele set), one line each, for provenance."""
    memo: dict[tuple[str, str], object] = field(default_factory=dict, compare=False, repr=False)
    """Values derived from this knowledge base and cached with it (engines fill it; never persisted)."""

    @property
    def name(self) -> str:
        return self.packs[-1].manifest.name

    @property
    def version_label(self) -> str:
        """``name version`` of every pack, base first, e.g. ``pgx-core 2026.11.0``."""
        return " + ".join(f"{p.manifest.name} {p.manifest.version}" for p in self.packs)


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.load(handle, Loader=_YAML_LOADER)  # noqa: S506 - a safe loader either way
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        location = f"{mark.line + 1}:{mark.column + 1}" if mark else None
        raise KnowledgeError(f"not valid YAML ({getattr(exc, 'problem', exc)})", source=str(path),
                             location=location) from exc
    except OSError as exc:
        raise KnowledgeError(f"cannot read: {exc.strerror}", source=str(path)) from exc


def _parse(model: type[_Model], data: object, path: Path) -> _Model:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = first_validation_problem(exc)
        raise KnowledgeError(f"{first.msg}{first.more_note}", source=str(path),
                             location=first.dotted() or None) from exc


def _collect_sources(declared: Iterable[Source | str], into: dict[str, Source], path: Path) -> list[str]:
    ids = []
    for item in declared:
        if isinstance(item, Source):
            existing = into.get(item.id)
            if existing is not None and existing != item:
                raise KnowledgeError(f"source {item.id!r} declared twice with different content", source=str(path))
            into[item.id] = item
            ids.append(item.id)
        else:
            ids.append(item)
    return ids


def load_pack(path: Path) -> Pack:
    """Read and validate one pack folder (not its base)."""
    path = Path(path)
    manifest_path = path / "manifest.yaml"
    if not manifest_path.is_file():
        raise KnowledgeError("no manifest.yaml: not a knowledge pack", source=str(path))
    manifest: Manifest = _parse(Manifest, _read_yaml(manifest_path), manifest_path)
    sources: dict[str, Source] = {}
    _collect_sources(manifest.sources, sources, manifest_path)
    genes: dict[str, GeneDefinition] = {}
    drugs: dict[str, DrugGuidance] = {}
    drug_files: dict[str, str] = {}
    cited: list[tuple[Path, str]] = []
    located: list[tuple[Path, str, str]] = []  # (file, place, source id) where the place is worth naming
    for gene_path in sorted((path / "genes").glob("*.yaml")):
        gene: GeneDefinition = _parse(GeneDefinition, _read_yaml(gene_path), gene_path)
        if gene.gene in genes:
            raise KnowledgeError(f"gene {gene.gene} defined twice", source=str(gene_path))
        genes[gene.gene] = gene
        cited += [(gene_path, s) for s in _collect_sources(gene.sources, sources, gene_path)]
        cited += [(gene_path, s) for allele in gene.alleles for s in allele.sources]
    for drug_path in sorted((path / "drugs").glob("*.yaml")):
        drug: DrugGuidance = _parse(DrugGuidance, _read_yaml(drug_path), drug_path)
        if drug.drug in drugs:
            raise KnowledgeError(f"drug {drug.drug} defined twice", source=str(drug_path))
        drugs[drug.drug] = drug
        drug_files[drug.drug] = str(drug_path)
        cited += [(drug_path, s) for s in _collect_sources(drug.sources, sources, drug_path)]
        for j, other in enumerate(drug.other_guidelines):
            cited.append((drug_path, other.guideline))
            cited += [(drug_path, s) for rec in other.recommendations for s in rec.sources]
            located += [(drug_path, f"other_guidelines.{j}.recommendations.{i}.written_for.sources", s)
                        for i, rec in enumerate(other.recommendations) if rec.written_for
                        for s in rec.written_for.sources]
        cited.append((drug_path, drug.guideline))
        cited += [(drug_path, s) for rec in drug.recommendations for s in rec.sources]
        located += [(drug_path, f"recommendations.{i}.written_for.sources", s)
                    for i, rec in enumerate(drug.recommendations) if rec.written_for for s in rec.written_for.sources]
        if drug.test_before_prescribing is not None:
            cited += [(drug_path, s) for s in drug.test_before_prescribing.sources]
    phenoconversion = None
    phenoconversion_path = path / PHENOCONVERSION_FILE
    if phenoconversion_path.is_file():
        phenoconversion = _parse(PhenoconversionKnowledge, _read_yaml(phenoconversion_path), phenoconversion_path)
        cited += [(phenoconversion_path, s)
                  for s in _collect_sources(phenoconversion.sources, sources, phenoconversion_path)]
        cited += [(phenoconversion_path, s) for rule in phenoconversion.rules for s in rule.sources]
        cited += [(phenoconversion_path, p.source) for p in phenoconversion.perpetrators]
    for cited_in, source_id in cited:
        if source_id not in sources:
            raise KnowledgeError(f"cites source {source_id!r}, which no file of the pack declares",
                                 source=str(cited_in))
    for cited_in, place, source_id in located:
        if source_id not in sources:
            raise KnowledgeError(f"cites source {source_id!r}, which no file of the pack declares",
                                 source=str(cited_in), location=place)
    return Pack(path=path, manifest=manifest, genes=genes, drugs=drugs, sources=sources,
                phenoconversion=phenoconversion, drug_files=drug_files)


def find_pack(name_or_path: str) -> Path:
    """Resolve a pack name (built-in or user-imported) or a folder path to a folder."""
    candidate = Path(name_or_path)
    if (candidate / "manifest.yaml").is_file():
        return candidate
    for root in (user_packs_dir(), BUILTIN_PACKS_DIR):
        if (root / name_or_path / "manifest.yaml").is_file():
            return root / name_or_path
    known = ", ".join(sorted(p.name for p in available_pack_dirs())) or "none"
    raise KnowledgeError(f"no knowledge pack named or at {name_or_path!r} (known packs: {known})")


def available_pack_dirs() -> list[Path]:
    """Every pack folder TailorMed can see: built-in first, then user-imported."""
    found = []
    for root in (BUILTIN_PACKS_DIR, user_packs_dir()):
        if root.is_dir():
            found += sorted(p for p in root.iterdir() if (p / "manifest.yaml").is_file())
    return found


def load_knowledge_base(name_or_path: str = "pgx-core", *, full_cyp2d6: bool = True) -> KnowledgeBase:
    """Load a pack and its chain of base packs, merged (later packs override earlier ones).

    When CYP2D6 comes from pgx-core and the full CYP2D6 allele set is installed (:mod:`tailormed.kb.cyp2d6`), it
    replaces pgx-core's core alleles (``full_cyp2d6=False`` keeps the core ones); without it, every CYP2D6 VCF call
    says that only the core alleles were used.
    """
    chain: list[Pack] = []
    seen: set[str] = set()
    current: str | None = name_or_path
    while current is not None:
        pack = load_pack(find_pack(current))
        if pack.manifest.name in seen:
            raise KnowledgeError(f"pack base chain loops at {pack.manifest.name!r}", source=str(pack.path))
        seen.add(pack.manifest.name)
        chain.insert(0, pack)
        current = pack.manifest.base
    genes: dict[str, GeneDefinition] = {}
    drugs: dict[str, DrugGuidance] = {}
    sources: dict[str, Source] = {}
    origin: dict[str, str] = {}
    drug_files: dict[str, str] = {}
    phenoconversion: PhenoconversionKnowledge | None = None
    phenoconversion_file: str | None = None
    for pack in chain:
        genes.update(pack.genes)
        drugs.update(pack.drugs)
        sources.update(pack.sources)
        origin.update({g: pack.manifest.name for g in pack.genes})
        drug_files.update(pack.drug_files)
        if pack.phenoconversion is not None:
            phenoconversion = pack.phenoconversion
            phenoconversion_file = str(pack.path / PHENOCONVERSION_FILE)
    extra: list[str] = []
    if origin.get("CYP2D6") == "pgx-core":
        folder = find_cyp2d6_dir() if full_cyp2d6 else None
        if folder is not None:
            genes["CYP2D6"], declared, described = load_cyp2d6_definition(folder)
            sources.update(declared)
            unknown = [s for s in genes["CYP2D6"].sources if isinstance(s, str) and s not in sources]
            unknown += [s for a in genes["CYP2D6"].alleles for s in a.sources if s not in sources]
            if unknown:
                raise KnowledgeError(f"cites source {unknown[0]!r}, which no pack declares",
                                     source=str(folder / "CYP2D6.yaml"))
            extra.append(described)
            origin["CYP2D6"] = "cyp2d6-allele-set"  # evidence record: cyp2d6-allele-set:genes/CYP2D6.yaml
        else:
            genes["CYP2D6"] = core_only(genes["CYP2D6"])
            extra.append("CYP2D6: pgx-core core alleles only (full allele set not installed)")
    kb = KnowledgeBase(packs=tuple(chain), genes=genes, drugs=drugs, sources=sources, gene_origin=origin,
                       phenoconversion=phenoconversion, phenoconversion_file=phenoconversion_file,
                       drug_files=drug_files, extra_knowledge=tuple(extra),
                       ingredient_codes=dict(builtin_ingredient_codes()))
    check_consistency(kb)
    return kb


def check_consistency(kb: KnowledgeBase) -> None:
    """Cross-file checks: every drug condition (CPIC's and other bodies') names a known gene and a result that gene
    can produce. Errors name the drug's file."""
    for drug in kb.drugs.values():
        where = kb.drug_files.get(drug.drug)
        for gene_name in drug.genes:
            if gene_name not in kb.genes:
                raise KnowledgeError(f"drug {drug.drug} depends on gene {gene_name}, which no pack defines",
                                     source=where)
        rows: list[tuple[str, str, dict[str, GeneCondition]]] = [
            (f"drug {drug.drug}", f"recommendations.{i}", rec.when) for i, rec in enumerate(drug.recommendations)]
        rows += [(f"drug {drug.drug} ({other.body})", f"other_guidelines.{j}.recommendations.{i}", rec.when)
                 for j, other in enumerate(drug.other_guidelines) for i, rec in enumerate(other.recommendations)]
        for label, location, when in rows:
            if all(c.phenotype == [NOT_TESTED] for c in when.values()):
                raise KnowledgeError(f"{label}: a recommendation conditioned only on untested genes "
                                     f"({', '.join(when)}: {NOT_TESTED!r}) would advise without a genotype",
                                     source=where, location=location)
            for gene_name, condition in when.items():
                gene = kb.genes.get(gene_name)
                if gene is None:
                    raise KnowledgeError(f"{label}: condition on gene {gene_name}, which no pack defines",
                                         source=where, location=location)
                if condition.phenotype is not None:
                    possible = possible_phenotypes(gene) | {NOT_TESTED}
                    unknown = [p for p in condition.phenotype if p not in possible]
                    if unknown:
                        raise KnowledgeError(
                            f"{label}: {gene_name} phenotype(s) {unknown} cannot be produced "
                            f"by the gene's rules (possible: {sorted(possible)})", source=where, location=location)
                if condition.activity_score is not None and gene.phenotype_method != "activity_score":
                    raise KnowledgeError(f"{label}: {gene_name} has no activity score", source=where,
                                         location=location)
                if condition.allele_status is not None and gene.phenotype_method != "allele_presence":
                    raise KnowledgeError(f"{label}: {gene_name} is not an allele-presence gene", source=where,
                                         location=location)
        for i, rec in enumerate(drug.recommendations):
            for k, alternative in enumerate(rec.alternatives):
                location = f"recommendations.{i}.alternatives.{k}"
                if alternative.drug == drug.drug:
                    raise KnowledgeError(f"drug {drug.drug}: names itself as its alternative", source=where,
                                         location=location)
                if alternative.rxnorm is None and alternative.drug not in kb.ingredient_codes:
                    raise KnowledgeError(
                        f"drug {drug.drug}: alternative {alternative.drug!r} is neither a drug with an RxNorm code in "
                        f"rxnorm.tsv nor given with its own rxnorm code and source", source=where, location=location)
    _check_phenoconversion(kb)


def _check_phenoconversion(kb: KnowledgeBase) -> None:
    """Each phenoconversion rule names a gene of the knowledge base, phenotypes that gene can have, and drugs that
    depend on it; an activity-score rule needs an activity-score gene."""
    knowledge = kb.phenoconversion
    if knowledge is None:
        return
    where = kb.phenoconversion_file
    for i, rule in enumerate(knowledge.rules):
        gene = kb.genes.get(rule.enzyme)
        location = f"rules.{i}"
        if gene is None:
            raise KnowledgeError(f"phenoconversion rule for {rule.enzyme}, which no pack defines", source=where,
                                 location=f"{location}.enzyme")
        if rule.method == "activity_score_multiplier" and gene.phenotype_method != "activity_score":
            raise KnowledgeError(f"{rule.enzyme} has no activity score to multiply", source=where,
                                 location=f"{location}.method")
        unknown = sorted({b.phenotype for b in rule.phenotype_bands} - possible_phenotypes(gene))
        if unknown:
            raise KnowledgeError(f"{rule.enzyme} phenotype(s) {unknown} cannot be produced by the gene's rules",
                                 source=where, location=f"{location}.phenotype_bands")
        for name in rule.applies_to_drugs:
            drug = kb.drugs.get(name)
            if drug is None or rule.enzyme not in drug.genes:
                raise KnowledgeError(f"applies_to_drugs names {name!r}, which is not a {rule.enzyme} drug of the "
                                     "knowledge base", source=where, location=f"{location}.applies_to_drugs")


INDETERMINATE = "Indeterminate"
"""The phenotype of a gene that was examined but whose result no rule could interpret."""

NOT_TESTED = "Not tested"
"""The only lookup key of a gene that was not examined (not covered by the input, or an outside-call-only gene
without an outside call). A drug rule matches it only when it names it explicitly, as CPIC does for a few
"no result" rows (e.g. phenytoin with HLA-B untested); it never matches ``Indeterminate`` rows."""


def possible_phenotypes(gene: GeneDefinition) -> set[str]:
    """Every phenotype label the gene's rules can assign (plus Indeterminate)."""
    labels = {rule.phenotype for rule in gene.phenotype_rules}
    labels |= {r.phenotype for r in gene.activity_phenotypes}
    labels.add(INDETERMINATE)
    return labels
