"""Copy-number variants (deletions, duplications) as alleles of the genes they overlap.

A structural record is a symbolic ALT (``<DEL>``, ``<DUP>``, ``<DUP:TANDEM>``, ``<CN0>``, ``<CN1>``, ``<CN3>``...)
read from a VEP-annotated VCF (VEP names every overlapped gene in CSQ, with ``transcript_ablation`` when the
whole transcript is deleted and ``feature_truncation``/``coding_sequence_variant`` when only part is), or a row
of a CNV BED (``tailormed.io.cnv_bed``). Each overlapped gene gets one candidate allele, classified two ways:

* **ACMG/ClinGen CNV points** (Riggs et al., Genet Med 2020;22:245-257, Tables 1 and 2), the automatable
  sections: 1A/1B (contains a gene or not: 0 / -0.60); for a loss, 2A (an established haploinsufficient gene
  wholly deleted: 1.00) and 2E (both breakpoints inside such a gene: scored as its PVS1 strength would be,
  PVS1_Strong 0.45 here because the deleted exons are unknown); section 3, the number of genes: loss 0-24 -> 0,
  25-34 -> 0.45, >= 35 -> 0.90; gain 0-34 -> 0, 35-49 -> 0.45, >= 50 -> 0.90. Classes: >= 0.99 pathogenic,
  0.90-0.98 likely pathogenic, -0.89..0.89 uncertain, -0.90..-0.98 likely benign, <= -0.99 benign. "Established
  haploinsufficient" means a curated dosage source says so (an imported ClinGen table, or the built-in curation);
  triplosensitivity, benign regions, predicted HI (2H), case evidence (section 4) and inheritance (section 5) need
  data or review we do not have, and are not scored.
* **as a null allele of that gene** (ACMG/AMP sequence criteria): a deletion removing the whole transcript is
  PVS1 very strong, a partial one PVS1 strong (exon content unknown), each one step down when loss of function is
  only a likely mechanism and not applied when it is unknown, as for any null variant. This is what makes a
  heterozygous deletion in a recessive gene count as one pathogenic allele, so that with a heterozygous SNV in the
  same gene it is a compound heterozygous genotype (the SNV and the deletion cannot be in cis: a deleted region
  carries no SNV).

The allele's class is the more pathogenic of the two, with the points of both reported; the genotype ratio uses
its ACMG points (a CNV class of pathogenic counts as 10 points, likely pathogenic as 6).
"""

from __future__ import annotations

from tailormed.model.rare import AcmgClass, AcmgClassification, AcmgCriterion, CriterionStrength, Variant
from tailormed.rare.acmg import AcmgSettings, GeneContext, choose_transcript, points_to_class, posterior_from_points

LOSS_ALTS = frozenset({"<DEL>", "<CN0>", "<CN1>", "<DEL:ME>", "<DEL:ME:ALU>", "<DEL:ME:L1>"})
GAIN_ALTS = frozenset({"<DUP>", "<DUP:TANDEM>", "<DUP:INT>", "<CN3>", "<CN4>", "<CN5>", "<INS:DUP>"})
WHOLE_GENE = "transcript_ablation"
WHOLE_GENE_GAIN = "transcript_amplification"

#: Riggs et al. 2020 class thresholds on the CNV points scale.
CNV_PATHOGENIC, CNV_LIKELY_PATHOGENIC = 0.99, 0.90
CNV_LIKELY_BENIGN, CNV_BENIGN = -0.90, -0.99
#: ACMG points a CNV class counts as for the genotype ratio (the thresholds of the points scale, Tavtigian 2020).
_CLASS_POINTS = {"Pathogenic": 10, "Likely pathogenic": 6, "Uncertain significance": 0, "Likely benign": -1,
                 "Benign": -7}
_STEPS: tuple[CriterionStrength, ...] = ("supporting", "moderate", "strong", "very_strong")
_PVS1_POINTS = {"very_strong": 8, "strong": 4, "moderate": 2, "supporting": 1}


def cnv_kind(variant: Variant) -> str | None:
    """'loss', 'gain' or None (not a copy-number record)."""
    alt = variant.alt.upper()
    if alt in LOSS_ALTS:
        return "loss"
    if alt in GAIN_ALTS:
        return "gain"
    return None


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


def _established_hi(gene: GeneContext | None) -> bool:
    return gene is not None and gene.lof_mechanism == "established" and bool(gene.lof_source)


def classify_cnv(variant: Variant, gene: GeneContext | None, symbol: str,
                 settings: AcmgSettings) -> AcmgClassification:
    """Classify one copy-number record as an allele of ``symbol`` (see the module docstring)."""
    kind = cnv_kind(variant) or "loss"
    genes = sorted({a.gene for a in variant.annotations if a.gene})
    transcript = choose_transcript(variant, symbol)
    terms = set(transcript.consequences) if transcript else set()
    whole = WHOLE_GENE in terms or WHOLE_GENE_GAIN in terms
    criteria: list[AcmgCriterion] = []
    total = 0.0

    def cnv(code: str, points: float, reason: str) -> None:
        nonlocal total
        total += points
        criteria.append(AcmgCriterion(code=code, strength="supporting", points=0, cnv_points=points,
                                      reason=f"{reason} (Riggs et al. 2020, ACMG/ClinGen CNV {code[4:]})"))

    if genes:
        cnv("CNV-1A", 0.0, f"contains {len(genes)} gene(s)")
    else:
        cnv("CNV-1B", -0.60, "contains no gene")
    if kind == "loss" and _established_hi(gene):
        if whole:
            source = gene.lof_source if gene else ""
            cnv("CNV-2A", 1.00, f"{symbol} is an established haploinsufficient gene ({source}) and is wholly deleted")
        else:
            cnv("CNV-2E", 0.45, f"partial deletion of the established haploinsufficient gene {symbol}; scored as "
                "PVS1_Strong because the deleted exons are unknown")
    section3 = gene_count_points(kind, len(genes))
    cnv(f"CNV-3{'A' if section3 == 0 else 'B' if section3 < 0.9 else 'C'}", section3,
        f"{len(genes)} gene(s) in the {'deletion' if kind == 'loss' else 'duplication'}")
    dosage_class = cnv_class(total)

    sequence_points = 0
    if kind == "loss" and gene is not None and gene.lof_mechanism != "unknown" and terms - {"intron_variant"}:
        strength: CriterionStrength = "very_strong" if whole else "strong"
        if gene.lof_mechanism == "likely":
            strength = _STEPS[max(_STEPS.index(strength) - 1, 0)]
        sequence_points = _PVS1_POINTS[strength]
        criteria.append(AcmgCriterion(code="PVS1", strength=strength, points=sequence_points, reason=(
            f"PVS1 at {strength}: {'whole-transcript' if whole else 'partial'} deletion of {symbol}, a null allele "
            f"where loss of function is {'an established' if gene.lof_mechanism == 'established' else 'a likely'} "
            "mechanism (Abou Tayoun 2018; exon content "
            f"{'not needed' if whole else 'unknown, so not very strong'})")))
    points = max(sequence_points, _CLASS_POINTS[dosage_class])
    return AcmgClassification(classification=points_to_class(points), points=points, criteria=criteria,
                              posterior_pathogenic=posterior_from_points(points, settings),
                              cnv_points=round(total, 2), cnv_class=dosage_class)
