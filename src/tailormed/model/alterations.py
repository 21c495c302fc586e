"""The alteration language shared by knowledge records, trial criteria and importers.

One string names one biomarker; ``docs/onco-alterations.md`` is the user-facing description.

===========================  =========================================================
``BRAF V600E``               exact protein change (one- or three-letter, ``p.`` optional)
``KRAS G12``                 any protein change at that codon (reference residue checked)
``EGFR E746_A750del``        exact complex protein change (compared as written by HGVS)
``EGFR exon 19 deletion``    exon classes: ``deletion``, ``insertion``, ``mutation``,
                             ``missense``; ``MET exon 14 skipping`` (splice or deletion)
``TP53 mutation``            any protein-altering or splice-site change of the gene
``KRAS missense``            any missense change
``BRCA1 truncating``         nonsense, frameshift, canonical splice, start or stop lost
``BRCA1 oncogenic``          truncating, deep deletion, a known hotspot, or a variant the
                             input marks pathogenic/likely pathogenic (see matching)
``EGFR activating``          a known hotspot of the gene or a variant the input marks pathogenic
``FLT3 ITD``                 internal tandem duplication (in-frame insertion or duplication)
``ALK fusion``               any fusion with ALK as a partner
``BCR::ABL1 fusion``         that partner pair, either order
``ERBB2 amplification``      gene-level amplification
``MET amplification >= 10 copies``  amplification with at least that absolute copy number
                             (see :func:`tailormed.onco.matching.copy_number_level`)
``CDKN2A deletion``          gene-level deep (homozygous) deletion
``KRAS wildtype``            no protein-altering variant, fusion or copy-number change
``NTRK1 rearrangement``      a fusion or structural variant involving the gene
``MSI-H`` ``dMMR`` ...       signatures and clinical biomarkers (``SIGNATURES``)
``PD-L1 TPS >= 50``          scored markers: PD-L1 with TPS, CPS, TC, IC or TAP
``FOLR1 IHC 2+ >= 75%``      protein expression by IHC: at least 75% of tumour cells
                             staining at 2+ or stronger (``IHC_MARKERS``)
``HLA-A*02:01``              the patient carries this HLA allele (or allele group
                             ``HLA-A*02``, or P group ``HLA-A*02:01P``); see
                             :mod:`tailormed.model.hla`
``not HLA-A*02:05P``         the patient's typing of the locus shows no such allele
===========================  =========================================================

A ``germline`` or ``somatic`` prefix restricts a gene pattern to variants of that origin.
`` | `` joins alternatives: ``EGFR exon 19 deletion | EGFR L858R``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from tailormed.errors import InputError
from tailormed.model.hla import HlaAllele, parse_hla_allele

THREE_TO_ONE = {
    "Ala": "A", "Arg": "R", "Asn": "N", "Asp": "D", "Cys": "C", "Gln": "Q", "Glu": "E", "Gly": "G",
    "His": "H", "Ile": "I", "Leu": "L", "Lys": "K", "Met": "M", "Phe": "F", "Pro": "P", "Ser": "S",
    "Thr": "T", "Trp": "W", "Tyr": "Y", "Val": "V", "Ter": "*", "Sec": "U", "Xaa": "X",
}
AMINO_ACIDS = set(THREE_TO_ONE.values())

Origin = Literal["any", "germline", "somatic"]
GeneClassKind = Literal["mutation", "missense", "truncating", "oncogenic", "activating", "ITD", "fusion",
                        "amplification", "deletion", "wildtype", "rearrangement"]
ExonClassKind = Literal["deletion", "insertion", "mutation", "missense", "skipping"]

SIGNATURES = {
    "MSI-H": "microsatellite instability-high",
    "MSS": "microsatellite stable (or MSI-low)",
    "dMMR": "mismatch-repair deficient (IHC loss or MMR-gene inactivation)",
    "pMMR": "mismatch-repair proficient",
    "TMB-H": "tumour mutational burden >= 10 mutations/Mb",
    "HRD": "homologous-recombination deficient (genomic instability score positive)",
    "HER2-positive": "HER2 IHC 3+, or IHC 2+ with ISH amplification, or ERBB2 amplification",
    "HER2-low": "HER2 IHC 1+, or IHC 2+ without ISH amplification",
    "HER2-ultralow": "HER2 IHC 0 with faint staining in up to 10% of cells",
    "HER2-negative": "HER2 IHC 0, 1+, or 2+ without amplification",
    "HER2 IHC 3+": "HER2 immunohistochemistry score 3+",
    "ER-positive": "oestrogen-receptor positive",
    "PR-positive": "progesterone-receptor positive",
    "HR-positive": "oestrogen- or progesterone-receptor positive",
    "ER-negative": "oestrogen-receptor negative",
    "PR-negative": "progesterone-receptor negative",
}
PDL1_SCALES = {"TPS", "CPS", "TC", "IC", "TAP"}
IHC_MARKERS = {
    "FOLR1": "folate receptor alpha (FRα) membrane staining",
    "CLDN18.2": "claudin 18.2: membranous CLDN18 staining",
    "c-MET": "c-Met (MET) protein staining",
    "MAGE-A4": "melanoma-associated antigen A4 staining",
}
"""Protein markers scored by IHC as the percentage of tumour cells staining at an intensity (1+, 2+, 3+) or
stronger; written ``MARKER IHC 2+ >= 75%``. Clinical input keys: :data:`IHC_KEY_PREFIX` + ``_ihc_<n>plus``."""
IHC_KEY_PREFIX = {"FOLR1": "folr1", "CLDN18.2": "cldn18_2", "c-MET": "cmet", "MAGE-A4": "mage_a4"}
IHC_INTENSITIES = ("1+", "2+", "3+")


def ihc_key(marker: str, intensity: str) -> str:
    """The clinical input key of an IHC marker at an intensity: ``ihc_key("FOLR1", "2+")`` is
    ``folr1_ihc_2plus``."""
    return f"{IHC_KEY_PREFIX[marker]}_ihc_{intensity[0]}plus"


_PROTEIN = re.compile(
    r"^(?P<ref>[A-Z*])(?P<pos>\d+)(?P<alt>[A-Z]?fs(?:\*\d+|\*\?|\*)?|[A-Z*]|del|dup|ins.*|delins.*|_.+)?$")
_THREE = re.compile(r"(" + "|".join(THREE_TO_ONE) + r")")
_EXON = re.compile(r"^exon (?P<exon>\d+) (?P<kind>deletion|insertion|mutation|missense|skipping)$")
_PDL1 = re.compile(r"^PD-L1 (?P<scale>[A-Z]+) >= (?P<value>\d+(?:\.\d+)?)$")
_IHC = re.compile(r"^(?P<marker>\S+) IHC (?P<intensity>[0-9]+\+) >= (?P<value>\d+(?:\.\d+)?)%$")
_GENE = re.compile(r"^[A-Z0-9][A-Za-z0-9.\-]*$")
_COPY_LEVEL = re.compile(r"^amplification >= (?P<copies>\d+(?:\.\d+)?) copies$")


@dataclass(frozen=True)
class ProteinChange:
    """``BRAF V600E`` (alt given) or ``KRAS G12`` (codon: alt is None); ``change`` is the text after the gene."""

    gene: str
    ref: str
    position: int
    alt: str | None
    change: str
    origin: Origin = "any"


@dataclass(frozen=True)
class ExonClass:
    """``EGFR exon 19 deletion``, ``MET exon 14 skipping``."""

    gene: str
    exon: int
    kind: ExonClassKind
    origin: Origin = "any"


@dataclass(frozen=True)
class GeneClass:
    """A class of alterations of one gene: ``BRCA1 oncogenic``, ``ALK fusion``, ``KRAS wildtype``."""

    gene: str
    kind: GeneClassKind
    origin: Origin = "any"


@dataclass(frozen=True)
class FusionPair:
    """``BCR::ABL1 fusion``: this partner pair in either order."""

    gene_a: str
    gene_b: str


@dataclass(frozen=True)
class Signature:
    """A tumour-level biomarker from ``SIGNATURES``."""

    name: str


@dataclass(frozen=True)
class ScoredMarker:
    """``PD-L1 TPS >= 50``: a marker score at or above a threshold. For an IHC marker (``FOLR1 IHC 2+ >= 75%``)
    the scale is the staining intensity (``2+``) and the score the percentage of tumour cells staining at that
    intensity or stronger."""

    marker: str
    scale: str
    minimum: float

    @property
    def is_ihc(self) -> bool:
        """An IHC marker of :data:`IHC_MARKERS` (not PD-L1)."""
        return self.marker in IHC_MARKERS


@dataclass(frozen=True)
class HlaPattern:
    """``HLA-A*02:01`` (the patient carries it) or ``not HLA-A*02:05P`` (the patient does not)."""

    allele: HlaAllele
    present: bool = True


@dataclass(frozen=True)
class CopyNumberLevel:
    """``MET amplification >= 10 copies``: an amplification of the gene with at least this absolute copy number
    (a "high-level" amplification where the evidence defines one by copy number)."""

    gene: str
    minimum_copies: float


SinglePattern = (ProteinChange | ExonClass | GeneClass | FusionPair | Signature | ScoredMarker | HlaPattern
                 | CopyNumberLevel)


@dataclass(frozen=True)
class AlterationPattern:
    """One biomarker requirement: any of its alternatives satisfies it."""

    text: str
    alternatives: tuple[SinglePattern, ...]

    @property
    def genes(self) -> set[str]:
        """Genes the pattern names (empty for signatures and markers)."""
        found: set[str] = set()
        for alt in self.alternatives:
            if isinstance(alt, FusionPair):
                found |= {alt.gene_a, alt.gene_b}
            elif isinstance(alt, ProteinChange | ExonClass | GeneClass | CopyNumberLevel):
                found.add(alt.gene)
        return found


def normalise_protein_change(text: str) -> str:
    """``p.Val600Glu`` → ``V600E``; ``p.V600E`` → ``V600E``; ``p.(Gly12Cys)`` → ``G12C``; ``Ter`` → ``*``."""
    change = text.strip()
    if change.startswith("p."):
        change = change[2:]
    if change.startswith("(") and change.endswith(")"):
        change = change[1:-1]
    change = _THREE.sub(lambda m: THREE_TO_ONE[m.group(1)], change)
    return change.replace("X", "*") if re.fullmatch(r"[A-Z*]\d+X", change) else change


def _parse_protein(gene: str, change_text: str, origin: Origin) -> ProteinChange | None:
    change = normalise_protein_change(change_text)
    match = _PROTEIN.match(change)
    if match is None:
        return None
    return ProteinChange(gene=gene, ref=match["ref"], position=int(match["pos"]), alt=match["alt"],
                         change=change, origin=origin)


def _parse_single(text: str) -> SinglePattern:
    words = text.split()
    if not words:
        raise ValueError("empty alteration")
    if text in SIGNATURES:
        return Signature(text)
    pdl1 = _PDL1.match(text)
    if pdl1:
        if pdl1["scale"] not in PDL1_SCALES:
            raise ValueError(f"unknown PD-L1 scale {pdl1['scale']!r} (known: {', '.join(sorted(PDL1_SCALES))})")
        return ScoredMarker("PD-L1", pdl1["scale"], float(pdl1["value"]))
    ihc = _IHC.match(text)
    if ihc:
        return _parse_ihc(ihc["marker"], ihc["intensity"], float(ihc["value"]))
    if words[0] == "not" and len(words) == 2 and words[1].startswith("HLA-"):
        return HlaPattern(_requirement_allele(words[1]), present=False)
    if len(words) == 1 and words[0].startswith("HLA-"):
        return HlaPattern(_requirement_allele(words[0]))
    origin: Origin = "any"
    if words[0] in ("germline", "somatic"):
        origin = "germline" if words[0] == "germline" else "somatic"
        words = words[1:]
    if len(words) < 2:
        raise ValueError(f"expected 'GENE alteration', got {text!r}")
    gene, rest = words[0], " ".join(words[1:])
    if "::" in gene and rest == "fusion":
        gene_a, _, gene_b = gene.partition("::")
        if not (_GENE.match(gene_a) and _GENE.match(gene_b)):
            raise ValueError(f"malformed fusion partners {gene!r}")
        return FusionPair(gene_a, gene_b)
    if not _GENE.match(gene):
        raise ValueError(f"malformed gene symbol {gene!r}")
    level = _COPY_LEVEL.match(rest)
    if level:
        if origin == "germline":
            raise ValueError(f"{text!r}: a copy-number level is a tumour finding, not a germline one")
        if float(level["copies"]) <= 2:
            raise ValueError(f"{text!r}: an amplification has more than 2 copies")
        return CopyNumberLevel(gene, float(level["copies"]))
    if rest in GeneClassKind.__args__:  # type: ignore[attr-defined]
        return GeneClass(gene, rest, origin)  # type: ignore[arg-type]
    exon = _EXON.match(rest)
    if exon:
        return ExonClass(gene, int(exon["exon"]), exon["kind"], origin)  # type: ignore[arg-type]
    protein = _parse_protein(gene, rest, origin) if len(words) == 2 else None
    if protein is None:
        raise ValueError(f"cannot read {text!r}: not a protein change, exon class, gene class, fusion, "
                         "signature or scored marker")
    if protein.ref not in AMINO_ACIDS:
        raise ValueError(f"{text!r}: {protein.ref!r} is not an amino-acid code")
    return protein


def _parse_ihc(marker: str, intensity: str, minimum: float) -> ScoredMarker:
    if marker not in IHC_MARKERS:
        raise ValueError(f"unknown IHC marker {marker!r} (known: {', '.join(sorted(IHC_MARKERS))})")
    if intensity not in IHC_INTENSITIES:
        raise ValueError(f"IHC intensity must be 1+, 2+ or 3+, got {intensity!r}")
    if minimum > 100:
        raise ValueError(f"an IHC percentage is at most 100, got {minimum:g}")
    return ScoredMarker(marker, intensity, minimum)


def _requirement_allele(text: str) -> HlaAllele:
    """An HLA allele in a requirement: the ``HLA-`` prefix, no G group and no expression suffix."""
    allele = parse_hla_allele(text)
    if allele.group == "G" or allele.expression is not None:
        raise ValueError(f"{text!r}: a requirement names an allele, allele group or P group (e.g. HLA-A*02:01, "
                         "HLA-A*02, HLA-A*02:01P)")
    return allele


def parse_alteration(text: str, *, source: str | None = None, location: str | None = None) -> AlterationPattern:
    """Read one alteration string; raises :class:`InputError` naming ``source`` and ``location``."""
    parts = [part.strip() for part in text.split(" | ")]
    try:
        alternatives = tuple(_parse_single(" ".join(part.split())) for part in parts)
    except ValueError as exc:
        raise InputError(str(exc), source=source, location=location) from exc
    return AlterationPattern(text=" | ".join(parts), alternatives=alternatives)
