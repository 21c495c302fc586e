"""Oncology knowledge packs: therapy evidence records and gene roles.

An oncology pack (``kind: onco`` in ``manifest.yaml``) holds

- ``evidence/*.yaml``: ``sources`` (declared once, cited by id) and ``records``, each one biomarker-therapy
  statement: the alterations that must all be present (each in the alteration language of
  :mod:`tailormed.model.alterations`), the tumour types (OncoTree codes, or ``SOLID``/``HEME``/``ANY``), the
  therapy and its drugs, sensitivity or resistance, the kind of evidence, and the sources;
- optionally ``genes.yaml``: gene roles (oncogene / tumour suppressor) and known oncogenic hotspots, used by
  the ``GENE oncogenic`` class.

``docs/onco-knowledge.md`` describes the format and how tiers are assigned from ``evidence``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from tailormed.errors import InputError, KnowledgeError
from tailormed.kb.pack import _collect_sources, _parse, _read_yaml, find_pack
from tailormed.model.alterations import (
    AlterationPattern,
    CopyNumberLevel,
    ExonClass,
    FusionPair,
    GeneClass,
    ProteinChange,
    parse_alteration,
)
from tailormed.model.onco import LineOfTherapy
from tailormed.model.pack import Manifest, Source, _Strict

TUMOUR_GROUPS = {"SOLID": "any solid tumour", "HEME": "any haematological cancer", "ANY": "any cancer"}

EvidenceKind = Literal["fda", "guideline", "clinical-trial", "clinical-study", "case-report", "preclinical"]
"""Where a statement comes from, strongest first:

- ``fda``: an FDA-approved indication (the label);
- ``guideline``: a professional guideline (e.g. NCCN, ESMO, ASCO) recommending the therapy;
- ``clinical-trial``: a well-powered (phase 3 or registrational) trial, not (yet) approved or in guidelines;
- ``clinical-study``: smaller clinical studies (phase 1/2, retrospective series);
- ``case-report``: case reports;
- ``preclinical``: cell-line or animal evidence.
"""
Response = Literal["sensitive", "resistant"]


class EvidenceRecord(_Strict):
    """One biomarker-therapy statement."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._:-]*$")
    alterations: list[str] = Field(min_length=1, description="All must be present; ' | ' joins alternatives.")
    tumour_types: list[str] = Field(min_length=1, description="OncoTree codes (children covered) or SOLID/HEME/ANY.")
    excluded_tumour_types: list[str] = Field(default_factory=list)
    therapy: str = Field(min_length=2, description="Regimen as a clinician would name it.")
    drugs: list[str] = Field(min_length=1, description="Generic drug names, lower case.")
    response: Response
    evidence: EvidenceKind
    setting: str | None = Field(default=None, description="Line of therapy, stage, prior treatment...")
    summary: str = Field(min_length=10)
    sources: list[str] = Field(min_length=1)
    approval_date: str | None = Field(default=None, description="FDA approval date of this indication (YYYY-MM-DD).")
    line_of_therapy: LineOfTherapy | None = Field(default=None, description=(
        "Overrides the line of therapy the engine reads from ``setting`` ((neo)adjuvant or perioperative use is "
        "'adjuvant', after chemoradiation 'consolidation', first-line or newly diagnosed use 'first', use only "
        "after prior therapy 'later'), where the wording would mislead."))
    rationale: str | None = Field(default=None, min_length=10, description=(
        "For a combination: why it pairs its drugs, shown instead of a resistance caveat when the alteration the "
        "record is indicated for predicts resistance to one of its drugs given alone (a KRAS G12C inhibitor with "
        "an anti-EGFR antibody in colorectal cancer). Cite its evidence in sources."))

    context: list[str] = Field(default_factory=list, description=(
        "For a resistance record: those of its alterations that set the scene rather than cause the resistance (the "
        "EGFR-sensitising mutation beside an acquired MET amplification). They must be present like the others, "
        "but an option resting on them is not said to be resisted by them; each is written as in alterations."))

    @model_validator(mode="after")
    def _context_is_required(self) -> EvidenceRecord:
        unknown = [text for text in self.context if text not in self.alterations]
        if unknown:
            raise ValueError(f"context {unknown} must repeat entries of alterations")
        if self.context and (self.response != "resistant" or len(self.context) >= len(self.alterations)):
            raise ValueError("context is for resistance records, beside at least one alteration causing resistance")
        return self

    @field_validator("drugs")
    @classmethod
    def _lower_case(cls, drugs: list[str]) -> list[str]:
        bad = [d for d in drugs if d != d.lower()]
        if bad:
            raise ValueError(f"drug names are lower-case generic names: {bad}")
        return drugs


class EvidenceFile(_Strict):
    """``evidence/<topic>.yaml``."""

    sources: list[Source] = Field(default_factory=list)
    records: list[EvidenceRecord] = Field(default_factory=list)


class HotspotSite(_Strict):
    """A GRCh38 allele (VCF-style, parsimonious; chromosome as :func:`tailormed.model.genome.normalise_chrom`
    spells it) known to encode a hotspot: read even from unannotated VCFs."""

    chrom: str = Field(pattern=r"^([0-9]{1,2}|X|Y|MT)$")
    pos: int = Field(gt=0)
    ref: str = Field(pattern=r"^[ACGT]+$")
    alt: str = Field(pattern=r"^[ACGT]+$")
    protein_change: str
    consequence: Literal["missense", "nonsense", "frameshift", "inframe_deletion", "inframe_insertion"] = "missense"


class GeneRole(_Strict):
    """One gene's role and the variants known to be oncogenic in it."""

    role: Literal["oncogene", "tumour_suppressor", "both"]
    hotspots: list[str] = Field(default_factory=list, description="Protein changes or codons, e.g. V600E, G12.")
    mmr: bool = Field(default=False, description="Mismatch-repair gene (MLH1, MSH2, MSH6, PMS2, EPCAM).")
    exon_codons: dict[int, tuple[int, int]] = Field(
        default_factory=dict, description="Exon -> first and last codon (canonical transcript), used for exon "
        "classes when the input gives no exon number.")
    hotspot_coordinates: list[HotspotSite] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)


class GenesFile(_Strict):
    """``genes.yaml``."""

    sources: list[Source] = Field(default_factory=list)
    genes: dict[str, GeneRole] = Field(default_factory=dict)


@dataclass(frozen=True)
class CompiledRecord:
    """An evidence record with its alterations parsed."""

    record: EvidenceRecord
    patterns: tuple[AlterationPattern, ...]
    pack: str


@dataclass
class OncoKnowledge:
    """What the oncology engine works from: records, gene roles and sources of one pack chain."""

    names: list[str]
    versions: list[str]
    records: list[CompiledRecord]
    genes: dict[str, GeneRole]
    sources: dict[str, Source]
    by_gene: dict[str, list[CompiledRecord]] = field(default_factory=dict)
    gene_free: list[CompiledRecord] = field(default_factory=list)

    @property
    def version_label(self) -> str:
        """``onco-core 2026.11.0`` (base packs first)."""
        return " + ".join(f"{n} {v}" for n, v in zip(self.names, self.versions, strict=True))

    def index(self) -> None:
        """Group records by genes a tumour must have altered for them to apply.

        A record is filed under the genes of its first requirement whose every alternative names an altered
        gene (a protein change, exon class, fusion or non-wildtype gene class); a tumour with none of those
        genes altered cannot meet it. Records without such a requirement (signatures, markers, wild type)
        are checked for every tumour.
        """
        self.by_gene.clear()
        self.gene_free.clear()
        for compiled in self.records:
            bound = next((p for p in compiled.patterns if all(_needs_altered_gene(a) for a in p.alternatives)), None)
            if bound is None:
                self.gene_free.append(compiled)
                continue
            for gene in bound.genes:
                self.by_gene.setdefault(gene, []).append(compiled)


def _needs_altered_gene(alternative: object) -> bool:
    if isinstance(alternative, GeneClass):
        return alternative.kind != "wildtype"
    return isinstance(alternative, ProteinChange | ExonClass | FusionPair | CopyNumberLevel)


def _load_one(path: Path) -> tuple[Manifest, list[CompiledRecord], dict[str, GeneRole], dict[str, Source]]:
    manifest_path = path / "manifest.yaml"
    if not manifest_path.is_file():
        raise KnowledgeError("no manifest.yaml: not a knowledge pack", source=str(path))
    manifest: Manifest = _parse(Manifest, _read_yaml(manifest_path), manifest_path)
    if manifest.kind != "onco":
        raise KnowledgeError(f"pack {manifest.name!r} is a {manifest.kind} pack, not an oncology pack",
                             source=str(manifest_path))
    sources: dict[str, Source] = {}
    _collect_sources(manifest.sources, sources, manifest_path)
    cited: list[tuple[Path, str]] = []
    records: list[CompiledRecord] = []
    seen_ids: dict[str, Path] = {}
    for evidence_path in sorted((path / "evidence").glob("*.yaml")):
        data = _parse(EvidenceFile, _read_yaml(evidence_path) or {}, evidence_path)
        _collect_sources(data.sources, sources, evidence_path)
        for number, record in enumerate(data.records):
            location = f"records.{number} ({record.id})"
            if record.id in seen_ids:
                raise KnowledgeError(f"record id {record.id!r} also used in {seen_ids[record.id].name}",
                                     source=str(evidence_path), location=location)
            seen_ids[record.id] = evidence_path
            try:
                patterns = tuple(parse_alteration(text) for text in record.alterations)
            except InputError as exc:
                raise KnowledgeError(exc.message, source=str(evidence_path), location=location) from exc
            records.append(CompiledRecord(record, patterns, manifest.name))
            cited += [(evidence_path, s) for s in record.sources]
    genes: dict[str, GeneRole] = {}
    genes_path = path / "genes.yaml"
    if genes_path.is_file():
        genes_file = _parse(GenesFile, _read_yaml(genes_path) or {}, genes_path)
        _collect_sources(genes_file.sources, sources, genes_path)
        genes = dict(genes_file.genes)
        cited += [(genes_path, s) for role in genes.values() for s in role.sources]
    for cited_in, source_id in cited:
        if source_id not in sources:
            raise KnowledgeError(f"cites source {source_id!r}, which no file of the pack declares",
                                 source=str(cited_in))
    return manifest, records, genes, sources


def load_onco_knowledge(name_or_path: str = "onco-core") -> OncoKnowledge:
    """Load an oncology pack and its base packs (records of all packs are kept; gene roles later override)."""
    chain: list[tuple[Manifest, list[CompiledRecord], dict[str, GeneRole], dict[str, Source]]] = []
    current: str | None = name_or_path
    seen: set[str] = set()
    while current is not None:
        loaded = _load_one(find_pack(current))
        if loaded[0].name in seen:
            raise KnowledgeError(f"pack base chain loops at {loaded[0].name!r}")
        seen.add(loaded[0].name)
        chain.insert(0, loaded)
        current = loaded[0].base
    knowledge = OncoKnowledge(names=[m.name for m, *_ in chain], versions=[m.version for m, *_ in chain],
                              records=[], genes={}, sources={})
    for _, records, genes, sources in chain:
        knowledge.records += records
        knowledge.genes.update(genes)
        knowledge.sources.update(sources)
    knowledge.index()
    return knowledge
