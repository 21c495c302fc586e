"""Copy-number variants (deletions, duplications) as alleles of the genes they overlap.

A structural record is a symbolic ALT (``<DEL>``, ``<DUP>``, ``<DUP:TANDEM>``, ``<CN0>``, ``<CN1>``, ``<CN3>``...)
read from a VEP-annotated VCF (VEP names every overlapped gene in CSQ, with ``transcript_ablation`` or
``transcript_amplification`` when the whole transcript is deleted or duplicated and ``feature_truncation``/
``feature_elongation``/``coding_sequence_variant`` when only part is), or a row of a CNV BED
(``tailormed.io.cnv_bed``). Each overlapped gene gets one candidate allele, classified two ways:

* **ACMG/ClinGen CNV points** (Riggs et al., Genet Med 2020;22:245-257; Table 1 for losses, Table 2 for gains),
  the sections that data we hold can decide:

  - section 1: 1A contains a gene (0) or 1B none (-0.60);
  - section 2, losses (Table 1): 2A an established haploinsufficient gene wholly deleted (1.00); a partial
    deletion of such a gene placed by the record's END (or BED end) against the gene's exons and strand from the
    gene table (``kb.genes``; :func:`read_partial_loss`, exons numbered from the 5' end, which is the highest
    coordinate on the minus strand):

    * 5' end covered: 2C-1 (0.90) when the annotation says coding sequence is involved; 2C-2 (0) when it says only
      the 5' UTR; otherwise 0.45, the one value both rows' ranges allow (2C-1 0.45-1.00, 2C-2 0-0.45);
    * 3' end covered: 2D-1 (0) for only the 3' UTR (the annotation says so) or part of the last exon with coding
      not stated; 2D-3 (0.30) for only the last exon (2D-2, 0.90, needs other pathogenic variants known in that
      exon, which we do not hold: the reason names it for review); 2D-4 (0.90) when exons before the last go too;
    * both breakpoints inside the gene, 2E by the ClinGen SVI PVS1 deletion branch (Abou Tayoun et al., Hum Mutat
      2018;39:1517-1524; Table 1 maps its strengths to 0.90/0.45/0.30/0.15/0): N/A (0) with no exon removed, or
      only part of the first or last exon with coding not stated; otherwise the smallest strength the branch
      allows, since the table has no CDS bounds or exon phases (in-frame or frameshifting cannot be told):
      PVS1_Strong (0.45) when the deleted inner exons exceed 10% of the exonic length (a lower bound on the share
      of the protein), else PVS1_Moderate (0.30).

    Exons other than the first and last are taken as coding (a 5' UTR spanning several exons breaks that). Without
    END or exons (no gene table, a format-1 table, a gene it does not hold, a call not overlapping the table's
    transcript) the reading is the annotation's alone, as before: 2E at 0.45 (PVS1_Strong, "the deleted exons are
    unknown"), 2C-2/2D-1 for a UTR-only deletion, 2E at 0 inside an intron, the reason naming what was missing;
  - section 2, gains (Table 2): 2A an established triplosensitive gene wholly duplicated (1.00); 2B a partial
    duplication of such a gene (0: whether its causative part is duplicated is unknown); 2H an established
    haploinsufficient gene wholly duplicated (0); 2I a duplication inside such a gene (the call overlaps no other
    gene), scored by the ClinGen SVI PVS1 duplication branch (Abou Tayoun et al. 2018): PVS1 needs the duplication
    proven or presumed in tandem *and* shown to disrupt the reading frame, which a call without exon content does
    not show, so N/A (0); 2J one breakpoint inside such a gene (0; 2K, 0.45, needs the patient's phenotype to be
    highly specific for loss of that gene, a judgement left to review);
  - section 3, the number of genes: loss 0-24 -> 0, 25-34 -> 0.45, >= 35 -> 0.90; gain 0-34 -> 0, 35-49 -> 0.45,
    >= 50 -> 0.90;
  - section 5, inheritance, when both parents (or the carrying parent) are genotyped at the record: de novo 5A,
    scored with the section 4 de novo rows as an *assumed* de novo event (parentage is not confirmed) with a
    phenotype consistent with the gene but not known to be highly specific (4C, 0.10); inherited from an
    unaffected parent with no other affected relative 5C (-0.15; 5B, -0.30, needs a specific, well-defined
    phenotype); inherited from an affected parent 5D (0: one parent-child segregation, below the 3 that 4F needs);
    absent from an affected parent 5E (0: 4I, -0.45, needs a specific phenotype without phenocopies); otherwise
    5F (0). Rows that depend on how specific the phenotype is take the value that claims least, and say so.
    Section 5 is not applied to inheritance the disorder predicts: a homozygous CNV from two carrier parents, or an
    X-chromosome CNV a male inherited from his mother (carrier mothers of X-linked disorders are often unaffected:
    ClinGen's Xq28/MECP2 region curation cites 16 maternally inherited duplications in 21 patients, 14 mothers
    asymptomatic, Pascual-Alonso et al. 2020, PMID 32043567).

  Classes: >= 0.99 pathogenic, 0.90-0.98 likely pathogenic, -0.89..0.89 uncertain, -0.90..-0.98 likely benign,
  <= -0.99 benign. "Established" haploinsufficient or triplosensitive means ClinGen dosage score 3 (an imported
  ClinGen table, or the built-in curation in ``kb/data/rare-dosage/``). Benign regions (2F/2G, gains 2C-2G),
  predicted HI (2H of the loss table) and case evidence (section 4) need data or review we do not have.
* **as a null allele of that gene** (ACMG/AMP sequence criteria): a deletion removing the whole transcript is
  PVS1 very strong, a partial one at the strength its section 2 reading stands for (0.90 very strong, 0.45 strong,
  0.30 moderate, 0 none: the last exon alone is never PVS1 very strong), each one step down when loss of function
  is only a likely mechanism and not applied when it is unknown, as for any null variant; a de novo CNV adds PM6
  (assumed de novo), as an SNV does. This is what makes a heterozygous deletion in a recessive gene count as one
  pathogenic allele, so that with a heterozygous SNV in the same gene it is a compound heterozygous genotype (the
  SNV and the deletion cannot be in cis: a deleted region carries no SNV).

The allele's class is the more pathogenic of the two, with the points of both reported; the genotype ratio uses
its ACMG points (a CNV class of pathogenic counts as 10 points, likely pathogenic as 6).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from tailormed.kb.genes import REIMPORT_HINT, GeneRecord, GeneTable
from tailormed.model.genome import ucsc_chrom
from tailormed.model.rare import AcmgClass, AcmgClassification, AcmgCriterion, Variant, copy_number_kind
from tailormed.rare.acmg import (
    STRENGTH_POINTS,
    AcmgSettings,
    GeneContext,
    Strength,
    choose_transcript,
    one_step_weaker,
    pm6_assumed_de_novo,
    points_to_class,
    posterior_from_points,
)

WHOLE_GENE = "transcript_ablation"
WHOLE_GENE_GAIN = "transcript_amplification"

#: Riggs et al. 2020 class thresholds on the CNV points scale.
CNV_PATHOGENIC, CNV_LIKELY_PATHOGENIC = 0.99, 0.90
CNV_LIKELY_BENIGN, CNV_BENIGN = -0.90, -0.99
#: Section 5 values used (Riggs et al. 2020, Tables 1 and 2 alike): 5A through 4C for an assumed de novo event,
#: 5C for inheritance from an unaffected parent.
DE_NOVO_ASSUMED_4C = 0.10
INHERITED_UNAFFECTED_5C = -0.15
#: ACMG points a CNV class counts as for the genotype ratio (the thresholds of the points scale, Tavtigian 2020).
_CLASS_POINTS = {"Pathogenic": 10, "Likely pathogenic": 6, "Uncertain significance": 0, "Likely benign": -1,
                 "Benign": -7}
#: Consequence terms of a partial deletion that leave the coding sequence alone.
_NON_CODING_TERMS = frozenset({"5_prime_UTR_variant", "3_prime_UTR_variant", "intron_variant", "feature_truncation",
                               "upstream_gene_variant", "downstream_gene_variant", "NMD_transcript_variant",
                               "non_coding_transcript_variant", "non_coding_transcript_exon_variant"})

InheritanceKind = Literal["de_novo", "unaffected_parent", "affected_parent", "absent_in_affected_parent",
                          "not_scored", "unknown"]


@dataclass(frozen=True)
class CnvInheritance:
    """How the proband came by a CNV, as far as the genotyped parents tell (section 5 of the rubric).

    ``parent`` names the parent the row rests on (the carrier, or the affected non-carrier); ``note`` says why a
    known inheritance is not scored (``not_scored``) or what is missing (``unknown``).
    """

    kind: InheritanceKind = "unknown"
    parent: str = ""
    note: str = ""


def cnv_inheritance(*, proband: str, proband_copies: int, carriers: Mapping[str, int], parents: list[str],
                    affected: frozenset[str], others_affected: bool, male_x_from_mother: bool = False,
                    mother: str | None = None) -> CnvInheritance:
    """Classify inheritance from the parents' calls at the record (``carriers``: genotyped parent -> ALT copies;
    ``parents``: the proband's parents named by the pedigree and present in the calls).

    >>> cnv_inheritance(proband="P", proband_copies=1, carriers={"F": 0, "M": 0}, parents=["F", "M"],
    ...                 affected=frozenset({"P"}), others_affected=False).kind
    'de_novo'
    >>> cnv_inheritance(proband="P", proband_copies=1, carriers={"F": 1, "M": 0}, parents=["F", "M"],
    ...                 affected=frozenset({"P"}), others_affected=False)
    CnvInheritance(kind='unaffected_parent', parent='F', note='')
    """
    if not parents or not carriers:
        return CnvInheritance("unknown", note="parents not genotyped at this record")
    carrying = [p for p in parents if carriers.get(p)]
    absent_affected = [p for p in parents if p in carriers and not carriers[p] and p in affected]
    if absent_affected:
        return CnvInheritance("absent_in_affected_parent", absent_affected[0])
    if not carrying:
        if len(carriers) < 2 or len(parents) < 2:
            return CnvInheritance("unknown", note="only one parent genotyped at this record, without the CNV")
        return CnvInheritance("de_novo")
    if proband_copies >= 2:
        return CnvInheritance("not_scored", ", ".join(carrying), "a homozygous CNV inherited from carrier parents "
                              "is the recessive pattern; section 5 weighs a dominant-acting CNV")
    affected_carriers = [p for p in carrying if p in affected]
    if affected_carriers:
        return CnvInheritance("affected_parent", affected_carriers[0])
    if male_x_from_mother and mother in carrying:
        return CnvInheritance("not_scored", mother or "", "an X-chromosome CNV a male inherited from his mother: "
                              "carrier mothers of X-linked disorders are often unaffected (skewed X inactivation)")
    if others_affected:
        return CnvInheritance("not_scored", carrying[0], "inherited from an unaffected parent, but another relative "
                              "is affected, so the 'no family history' rows (5B/5C) do not apply")
    return CnvInheritance("unaffected_parent", carrying[0])


def cnv_kind(variant: Variant) -> str | None:
    """'loss', 'gain' or None (not a copy-number record)."""
    return copy_number_kind(variant.alt)


def cnv_class(points: float) -> AcmgClass:
    """Riggs et al. 2020 class of a CNV points total."""
    if points >= CNV_PATHOGENIC:
        return "Pathogenic"
    if points >= CNV_LIKELY_PATHOGENIC:
        return "Likely pathogenic"
    if points <= CNV_BENIGN:
        return "Benign"
    if points <= CNV_LIKELY_BENIGN:
        return "Likely benign"
    return "Uncertain significance"


def gene_count_points(kind: str, n_genes: int) -> float:
    """Section 3 of the rubric: points for the number of protein-coding genes in the CNV."""
    if kind == "loss":
        return 0.0 if n_genes < 25 else 0.45 if n_genes < 35 else 0.90
    return 0.0 if n_genes < 35 else 0.45 if n_genes < 50 else 0.90


def _short(source: str) -> str:
    """A long curation citation cut to its first clause for a criterion's reason (the full text is in the data
    file and the provenance)."""
    return source.split(": ", 1)[0] if len(source) > 100 else source


class _Points:
    """The CNV criteria of one allele and their running total."""

    def __init__(self) -> None:
        self.criteria: list[AcmgCriterion] = []
        self.total = 0.0

    def add(self, code: str, points: float, reason: str) -> None:
        self.total += points
        self.criteria.append(AcmgCriterion(code=code, strength="supporting", points=0, cnv_points=points,
                                           reason=f"{reason} (Riggs et al. 2020, ACMG/ClinGen CNV {code[4:]})"))


def _untouched_coding(terms: set[str]) -> str | None:
    """For a partial deletion: which non-coding part alone it touches ('5_prime_UTR', '3_prime_UTR', 'intron'), or
    None when coding sequence is (or may be) involved. VEP gives ``feature_truncation`` only for an SV within the
    cDNA and UTR or intron terms for the parts outside the coding sequence."""
    if not terms or terms - _NON_CODING_TERMS:
        return None
    utrs = [utr for utr in ("5_prime_UTR", "3_prime_UTR") if f"{utr}_variant" in terms]
    if len(utrs) == 1:
        return utrs[0]
    return "intron" if not utrs and "intron_variant" in terms else None


#: Annotation terms that say the deletion reaches the coding sequence (VEP names them for an SV that does).
_CODING_TERMS = frozenset({"coding_sequence_variant", "start_lost", "stop_lost", "frameshift_variant", "stop_gained",
                           "inframe_deletion", "protein_altering_variant", "exon_loss_variant",
                           "initiator_codon_variant", "splice_acceptor_variant", "splice_donor_variant"})
#: The deletion decision tree's strengths as section 2E points (Riggs et al. 2020 Table 1, 2E: PVS1 0.90,
#: PVS1_Strong 0.45, PVS1_Moderate 0.30, PVS1_Supporting 0.15, N/A 0), and back.
_STRENGTH_2E: dict[Strength, float] = {"very_strong": 0.90, "strong": 0.45, "moderate": 0.30, "supporting": 0.15}
#: ClinGen SVI (Abou Tayoun 2018): an in-frame deletion, or a frameshifting one escaping NMD, removing more than
#: this share of the protein is PVS1_Strong even outside a region known to be critical.
_PROTEIN_SHARE_STRONG = 0.10
PartKind = Literal["whole", "five_prime", "three_prime", "internal"]


@dataclass(frozen=True)
class DeletionExtent:
    """Which part of one gene's transcript (from the gene table) a deletion covers.

    ``part``: the whole transcript, its 5' end only, its 3' end only, or neither end (both breakpoints inside the
    gene). ``exons``: the numbers (1 = the 5'-most exon, strand taken into account) of the exons it overlaps, of
    ``n_exons``; ``whole_exons`` those it removes entirely; ``deleted_exonic``: exonic bases removed, of the
    transcript's ``exonic_length`` (UTRs included: the table has no CDS bounds); ``deleted_inner``: those in exons
    other than the first and the last (the two that may hold UTR).
    """

    part: PartKind
    exons: tuple[int, ...]
    whole_exons: tuple[int, ...]
    n_exons: int
    deleted_exonic: int
    exonic_length: int
    deleted_inner: int = 0

    @property
    def exon_text(self) -> str:
        if not self.exons:
            return "no exon"
        numbers = list(self.exons)
        run = f"{numbers[0]}" if len(numbers) == 1 else f"{numbers[0]}-{numbers[-1]}"
        return f"exon{'s' if len(numbers) > 1 else ''} {run} of {self.n_exons}"


def with_gene_structures(contexts: dict[str, GeneContext], table: GeneTable | None) -> dict[str, GeneContext]:
    """The contexts with each gene's transcript from ``table`` attached (``GeneContext.structure``), for reading
    which part of a gene a partial deletion removes; unchanged without a table."""
    if table is None:
        return contexts
    return {symbol: dataclasses.replace(context, structure=table.genes.get(symbol))
            for symbol, context in contexts.items()}


def deletion_extent(variant: Variant, record: GeneRecord | None) -> DeletionExtent | str:
    """The extent of a deletion in ``record``'s transcript, or why it cannot be read (a reason for the output).

    The deletion covers ``pos + 1 .. end`` (``pos`` is the padding base, ``end`` the record's INFO END or the BED
    end). Exons are numbered from the gene's 5' end: on the minus strand the 5' end is the transcript's highest
    coordinate.

    >>> gene = GeneRecord("G", "1", "-", 1001, 5000, 600, ((1001, 1200), (2001, 2200), (4801, 5000)))
    >>> cut = Variant(chrom="chr1", pos=1500, ref="N", alt="<DEL>", end=6000, source="t", annotated=True)
    >>> extent = deletion_extent(cut, gene)
    >>> extent.part, extent.exons, extent.whole_exons, extent.deleted_exonic, extent.exon_text
    ('five_prime', (1, 2), (1, 2), 400, 'exons 1-2 of 3')
    >>> deletion_extent(cut.model_copy(update={"end": None}), gene)
    'the record gives no END'
    """
    if variant.end is None:
        return "the record gives no END"
    if record is None:
        return "no gene table holds the gene (make gene-data, or tailormed kb import genes)"
    if not record.exons:
        return f"the installed gene table has no exon coordinates (an older format; {REIMPORT_HINT})"
    first, last = variant.pos + 1, variant.end
    if ucsc_chrom(record.chrom) != variant.chrom or last < record.tx_start or first > record.tx_end:
        return (f"the call ({variant.chrom}:{first}-{last}) does not overlap the gene table's transcript of "
                f"{record.symbol} ({ucsc_chrom(record.chrom)}:{record.tx_start}-{record.tx_end})")
    covers_low, covers_high = first <= record.tx_start, last >= record.tx_end
    five, three = (covers_low, covers_high) if record.strand == "+" else (covers_high, covers_low)
    part: PartKind = "whole" if five and three else "five_prime" if five else "three_prime" if three \
        else "internal"
    ordered = record.exons if record.strand == "+" else tuple(reversed(record.exons))
    exons, whole_exons, deleted, inner = [], [], 0, 0
    for number, (start, end) in enumerate(ordered, start=1):
        overlap = min(end, last) - max(start, first) + 1
        if overlap > 0:
            exons.append(number)
            deleted += overlap
            inner += overlap if 1 < number < len(ordered) else 0
            if first <= start and end <= last:
                whole_exons.append(number)
    return DeletionExtent(part, tuple(exons), tuple(whole_exons), len(ordered), deleted, record.exonic_length,
                          inner)


@dataclass(frozen=True)
class LossReading:
    """How a partial deletion of a gene is scored: its section 2 row and points (for an established
    haploinsufficient gene), the PVS1 strength it stands for on the sequence side (None: not applicable), and why."""

    code: str
    points: float
    strength: Strength | None
    reason: str


def _coding_stated(terms: set[str]) -> bool:
    return bool(terms & _CODING_TERMS)


def _strength_of(points: float) -> Strength | None:
    return next((strength for strength, value in _STRENGTH_2E.items() if value == points), None)


def _reading(code: str, points: float, reason: str) -> LossReading:
    return LossReading(code, points, _strength_of(points), reason)


def read_partial_loss(variant: Variant, gene: GeneContext | None, symbol: str, terms: set[str]) -> LossReading:
    """Score a partial deletion of ``symbol`` after Riggs et al. 2020 Table 1 (rows 2C-1, 2C-2, 2D-1..4, 2E) and
    the ClinGen SVI PVS1 deletion branch (Abou Tayoun et al. 2018), from the record's END, the gene's exons and
    strand (the gene table) and the annotation's terms; without END or exons, today's reading of the terms alone."""
    extent = deletion_extent(variant, gene.structure if gene is not None else None)
    if isinstance(extent, DeletionExtent) and extent.part == "whole":
        extent = (f"the annotation calls the deletion partial, but it spans the whole transcript of {symbol} in the "
                  "gene table (another transcript?)")
    if isinstance(extent, str):
        return _reading_from_terms(symbol, terms, extent)
    untouched = _untouched_coding(terms)
    where = f"removes {extent.exon_text}"
    if extent.part == "five_prime":
        if untouched == "5_prime_UTR":
            return _reading("CNV-2C-2", 0.0, f"partial deletion of the 5' end of {symbol} ({where}) involving only "
                            "its 5' UTR, as the annotation says")
        if _coding_stated(terms):
            return _reading("CNV-2C-1", 0.90, f"partial deletion of the 5' end of {symbol} ({where}) involving "
                            "coding sequence, as the annotation says")
        return _reading("CNV-2C-1", 0.45, f"partial deletion of the 5' end of {symbol} ({where}); whether it "
                        "reaches the coding sequence is unknown (the gene table has no CDS bounds, the annotation "
                        "does not say), so 0.45, the one value both 2C-1 (0.45-1.00) and 2C-2 (0-0.45) allow; 2C-1 "
                        "at 0.90 applies on review if the start codon is deleted")
    if extent.part == "three_prime":
        last_only = extent.exons == (extent.n_exons,)
        if untouched == "3_prime_UTR" or (last_only and extent.n_exons not in extent.whole_exons
                                          and not _coding_stated(terms)):
            stated = untouched == "3_prime_UTR"
            return _reading("CNV-2D-1", 0.0, f"partial deletion of the 3' end of {symbol} ({where}) involving only "
                            + ("its 3' UTR, as the annotation says" if stated else
                               "part of its last exon: whether that part holds coding sequence is unknown (no CDS "
                               "bounds), so 2D-1 (0), the smaller row; 2D-3 (0.30) applies on review if the stop "
                               "codon is deleted"))
        if last_only:
            return _reading("CNV-2D-3", 0.30, f"partial deletion of the 3' end of {symbol} removing only its last "
                            f"exon ({where}); 2D-2 (0.90) applies on review if other established pathogenic "
                            "variants are reported in this exon, which TailorMed does not hold")
        return _reading("CNV-2D-4", 0.90, f"partial deletion of the 3' end of {symbol} ({where}) including exons "
                        "before the last, so nonsense-mediated decay is expected")
    # Both breakpoints inside the gene: the PVS1 deletion branch.
    if not extent.exons:
        return _reading("CNV-2E", 0.0, f"deletion within an intron of {symbol} (its breakpoints fall between exons "
                        "and it removes no exon): PVS1 not applicable")
    if untouched in ("5_prime_UTR", "3_prime_UTR"):
        return _reading("CNV-2E", 0.0, f"intragenic deletion of {symbol} ({where}) removing only "
                        f"{untouched.replace('_prime_', chr(39) + ' ')} sequence, as the annotation says: PVS1 not "
                        "applicable")
    if not extent.deleted_inner and not _coding_stated(terms):
        return _reading("CNV-2E", 0.0, f"intragenic deletion of {symbol} removing part of its "
                        f"{'first' if extent.exons == (1,) else 'last'} exon only ({where}): that part may be UTR "
                        "alone (the gene table has no CDS bounds, the annotation does not say), so N/A (0), the "
                        "smallest reading; PVS1_Moderate (0.30) or more applies on review if it removes coding "
                        "sequence")
    # Exons other than the first and the last are taken as coding; over the whole exonic length (UTRs included) their
    # deleted share bounds the share of the protein removed from below.
    share = extent.deleted_inner / extent.exonic_length if extent.exonic_length else 0.0
    if share > _PROTEIN_SHARE_STRONG:
        return _reading("CNV-2E", 0.45, f"intragenic deletion of {symbol} ({where}; the inner exons' deleted bases "
                        f"are {share:.0%} of its exonic sequence, a lower bound on the share of the protein): "
                        "PVS1_Strong, the smallest strength the deletion branch gives a deletion of over 10% of the "
                        "protein; PVS1 (0.90) if it is shown to shift the reading frame and the transcript to "
                        "undergo nonsense-mediated decay (the table has no exon phases)")
    return _reading("CNV-2E", 0.30, f"intragenic deletion of {symbol} ({where}): PVS1_Moderate, the smallest "
                    "strength the deletion branch gives an exon deletion; whether it shifts the reading frame "
                    "(PVS1, 0.90, with nonsense-mediated decay) or removes over 10% of the protein or a region "
                    "critical to function (PVS1_Strong, 0.45) is unknown (the gene table has no CDS bounds or exon "
                    "phases)")


def _reading_from_terms(symbol: str, terms: set[str], why: str) -> LossReading:
    """Today's reading when the deletion's extent in the gene is not known: the annotation's terms only."""
    untouched = _untouched_coding(terms)
    if untouched == "5_prime_UTR":
        return _reading("CNV-2C-2", 0.0, f"partial deletion of {symbol} touching only its 5' UTR")
    if untouched == "3_prime_UTR":
        return _reading("CNV-2D-1", 0.0, f"partial deletion of {symbol} touching only its 3' UTR")
    if untouched == "intron":
        return _reading("CNV-2E", 0.0, f"deletion within an intron of {symbol}: no exon removed, PVS1 not "
                        "applicable")
    return _reading("CNV-2E", 0.45, f"partial deletion of {symbol}; scored as PVS1_Strong because the deleted exons "
                    f"are unknown ({why})")


def _loss_section2(scored: _Points, gene: GeneContext | None, symbol: str, whole: bool,
                   reading: LossReading | None) -> None:
    if gene is None or not gene.hi_source:
        return
    if whole or reading is None:
        scored.add("CNV-2A", 1.00, f"{symbol} is an established haploinsufficient gene "
                   f"({_short(gene.hi_source)}) and is wholly deleted")
        return
    scored.add(reading.code, reading.points, f"{symbol} is an established haploinsufficient gene; {reading.reason}")


def _gain_section2(scored: _Points, variant: Variant, gene: GeneContext | None, symbol: str, whole: bool,
                   n_genes: int) -> None:
    if gene is None:
        return
    if gene.ts_source:
        if whole:
            scored.add("CNV-2A", 1.00, f"{symbol} is an established triplosensitive gene "
                       f"({_short(gene.ts_source)}) and is wholly duplicated")
        else:
            scored.add("CNV-2B", 0.0, f"partial duplication of the established triplosensitive gene {symbol}: "
                       "whether its causative part is duplicated is unknown")
        return
    if not gene.hi_source:
        return
    if whole:
        scored.add("CNV-2H", 0.0, f"the established haploinsufficient gene {symbol} is wholly duplicated, which is "
                   "not by itself evidence")
    elif n_genes == 1:
        tandem = "stated as tandem by the caller" if variant.alt.upper() == "<DUP:TANDEM>" else \
            "not shown to be in tandem"
        scored.add("CNV-2I", 0.0, f"duplication inside the established haploinsufficient gene {symbol} (it overlaps "
                   f"no other gene); PVS1 not applicable (ClinGen SVI duplication branch, Abou Tayoun 2018): the "
                   f"duplication is {tandem} and its effect on the reading frame is unknown")
    else:
        scored.add("CNV-2J", 0.0, f"one breakpoint inside the established haploinsufficient gene {symbol}; 2K "
                   "(0.45) needs the patient's phenotype to be highly specific for loss of it, which is left to "
                   "review")


def _section5(scored: _Points, inheritance: CnvInheritance | None) -> None:
    if inheritance is None:
        return
    kind, parent = inheritance.kind, inheritance.parent
    if kind == "de_novo":
        scored.add("CNV-5A", DE_NOVO_ASSUMED_4C, "absent from both parents' calls: assumed de novo (parentage not "
                   "confirmed), scored as 4C, the lowest de novo row for a phenotype consistent with the gene; a "
                   "highly specific phenotype (4A/4B) or confirmed parentage scores more on review")
    elif kind == "unaffected_parent":
        scored.add("CNV-5C", INHERITED_UNAFFECTED_5C, f"inherited from the unaffected parent {parent}, no other "
                   "relative affected; 5C, the smaller deduction: 5B (-0.30) applies on review when the phenotype is "
                   "specific and well defined")
    elif kind == "affected_parent":
        scored.add("CNV-5D", 0.0, f"inherited from the affected parent {parent}: one segregation observed, below "
                   "the three that 4F needs")
    elif kind == "absent_in_affected_parent":
        scored.add("CNV-5E", 0.0, f"not carried by the affected parent {parent}; 4I (-0.45) needs a specific, "
                   "well-defined phenotype without phenocopies, which is left to review")
    elif kind == "not_scored":
        scored.add("CNV-5F", 0.0, f"inheritance not scored: {inheritance.note}")
    else:
        scored.add("CNV-5F", 0.0, f"inheritance unknown ({inheritance.note}); 5G/5H need the phenotype compared "
                   "with described cases")


def classify_cnv(variant: Variant, gene: GeneContext | None, symbol: str, settings: AcmgSettings,
                 inheritance: CnvInheritance | None = None) -> AcmgClassification:
    """Classify one copy-number record as an allele of ``symbol`` (see the module docstring); ``inheritance`` (from
    the genotyped parents) adds section 5 and, for a de novo record, PM6."""
    kind = cnv_kind(variant) or "loss"
    genes = sorted({a.gene for a in variant.annotations if a.gene})
    transcript = choose_transcript(variant, symbol)
    terms = set(transcript.consequences) if transcript else set()
    whole = WHOLE_GENE in terms or WHOLE_GENE_GAIN in terms
    scored = _Points()
    if genes:
        scored.add("CNV-1A", 0.0, f"contains {len(genes)} gene(s)")
    else:
        scored.add("CNV-1B", -0.60, "contains no gene")
    reading = read_partial_loss(variant, gene, symbol, terms) if kind == "loss" and not whole else None
    if kind == "loss":
        _loss_section2(scored, gene, symbol, whole, reading)
    else:
        _gain_section2(scored, variant, gene, symbol, whole, len(genes))
    section3 = gene_count_points(kind, len(genes))
    scored.add(f"CNV-3{'A' if section3 == 0 else 'B' if section3 < 0.9 else 'C'}", section3,
               f"{len(genes)} gene(s) in the {'deletion' if kind == 'loss' else 'duplication'}")
    _section5(scored, inheritance)
    criteria = scored.criteria
    dosage_class = cnv_class(round(scored.total, 2))

    sequence_points = 0
    base: Strength | None = "very_strong" if whole else reading.strength if reading is not None else None
    if kind == "loss" and gene is not None and gene.lof_mechanism in ("established", "likely") and base is not None:
        strength = one_step_weaker(base) if gene.lof_mechanism == "likely" else base
        sequence_points = STRENGTH_POINTS[strength]
        mechanism = "an established" if gene.lof_mechanism == "established" else "a likely"
        what = "whole-transcript deletion" if whole or reading is None else \
            f"{reading.code[4:]} reading: {reading.reason}"
        criteria.append(AcmgCriterion(code="PVS1", strength=strength, points=sequence_points, reason=(
            f"PVS1 at {strength}: a null allele of {symbol}, where loss of function is {mechanism} mechanism "
            f"({what}; ClinGen SVI deletion branch, Abou Tayoun 2018"
            f"{'; one step weaker for a likely mechanism' if gene.lof_mechanism == 'likely' else ''})")))
    if inheritance is not None and inheritance.kind == "de_novo":
        pm6 = pm6_assumed_de_novo()
        sequence_points += pm6.points
        criteria.append(pm6)
    points = max(sequence_points, _CLASS_POINTS[dosage_class])
    return AcmgClassification(classification=points_to_class(points), points=points, criteria=criteria,
                              posterior_pathogenic=posterior_from_points(points, settings),
                              cnv_points=round(scored.total, 2), cnv_class=dosage_class)
