"""ACMG/AMP 2015 variant classification on the Bayesian points scale, as far as annotations allow.

Sources (cited again where each rule is applied; docs/acmg.md is the user-facing account):

* Richards et al. 2015, Genet Med 17:405-424: the criteria (PVS1 ... BP7).
* Tavtigian et al. 2018, Genet Med 20:1054-1060: the Bayesian framework (prior 0.10, OddsPath(very strong) 350,
  each strength the square root of the one above).
* Tavtigian et al. 2020, Hum Mutat 41:1734-1737: points 1/2/4/8 and the class boundaries.
* ClinGen SVI refinements: Abou Tayoun et al. 2018 (PVS1), Ghosh et al. 2018 (BA1), SVI PM2 recommendation
  v1.0 (2020, PM2 at supporting), Biesecker & Harrison 2018 (PP5/BP6 retired), Pejaver et al. 2022 (PP3/BP4
  calibration), Walker et al. 2023 (splicing: SpliceAI, BP7).

Only evidence present in a VEP/snpEff annotation is used. Segregation, de novo status, phase, functional
studies and case data are not seen here; see docs/acmg.md for what is not automated and why.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from tailormed.kb.genes import GeneRecord
from tailormed.model.genome import normalise_variant_key, variant_key
from tailormed.model.rare import (
    AcmgClass,
    AcmgClassification,
    AcmgCriterion,
    CriterionStrength,
    TranscriptConsequence,
    Variant,
)

#: ``not_lof``: curated evidence says loss of function is NOT the disease mechanism (gain of function, dominant
#: negative): PVS1 is not applied, as for ``unknown``, but the classification says why.
LofMechanism = Literal["established", "likely", "unknown", "not_lof"]
Strength = Literal["very_strong", "strong", "moderate", "supporting"]


@dataclass(frozen=True)
class GeneContext:
    """What the classifier needs to know about the gene a variant is assessed against.

    ``modes`` are the InheritanceMode values of the gene's diseases (may be empty). ``lof_mechanism`` says
    whether loss of function is a disease mechanism (from a curated table, or inferred by the caller).
    ``known_pathogenic_protein_changes`` maps protein changes such as ``"p.Arg123Trp"`` (or ``"p.R123W"``) to
    ``"pathogenic"`` or ``"likely pathogenic"``; it drives PS1 and PM5.
    """

    symbol: str
    modes: frozenset[str]
    lof_mechanism: LofMechanism = "unknown"
    known_pathogenic_protein_changes: Mapping[str, str] = field(default_factory=dict, hash=False)
    # Keys ('15-48500000-G-A', no 'chr') of the very variants behind those changes: such a variant is the known
    # variant itself, so PS1 (which needs a different nucleotide change) does not apply to it.
    known_pathogenic_variants: frozenset[str] = frozenset()
    # Where lof_mechanism came from: a curated dosage table (named), or "" for the inheritance-based default.
    lof_source: str = ""
    # Dosage sensitivity for copy-number records (ACMG/ClinGen CNV points, Riggs et al. 2020): the source that
    # establishes the gene as haploinsufficient (ClinGen HI score 3) or triplosensitive (ClinGen TS score 3), or ""
    # when none does. A recessive-only gene (ClinGen HI score 30) has an established LoF mechanism but is not
    # haploinsufficient.
    hi_source: str = ""
    ts_source: str = ""
    # The gene's transcript from the gene table (strand, exons), for telling which part of the gene a partial
    # deletion removes (tailormed.rare.cnv); None when no table is installed or the table does not hold the gene.
    structure: GeneRecord | None = field(default=None, hash=False, compare=False)

    @property
    def lof_from_default(self) -> bool:
        """True when no dosage curation covers the gene (the mechanism is inferred from inheritance)."""
        return not self.lof_source


#: Marker in a PVS1 reason when the strength was lowered only because no dosage curation covers the gene.
PVS1_NO_DOSAGE_DATA = "no dosage-sensitivity curation covers"


@dataclass(frozen=True)
class AcmgSettings:
    """Every threshold the classifier uses, with its source."""

    # BA1: allele frequency > 5% is stand-alone benign (Richards 2015; kept by ClinGen SVI, Ghosh et al. 2018,
    # Hum Mutat 39:1525, which also lists variants exempt from BA1).
    ba1_af: float = 0.05
    # Variants (chrom-pos-ref-alt; 'chr7' and '7' alike) exempt from BA1 and BS1, e.g. the Ghosh et al. 2018 list.
    # Not bundled.
    ba1_exceptions: frozenset[str] = frozenset()
    # BS1 "allele frequency greater than expected for the disorder" (Richards 2015). Generic defaults: the lenient
    # cut-offs Whiffin et al. 2017 (Genet Med 19:1151) report as commonly used, 0.1% dominant and 1% recessive.
    # Lenient keeps strong benign evidence off variants that might still be causal; prefer disorder-specific
    # maximum credible allele frequencies (Whiffin 2017) where known. BS1 fires when AF > threshold.
    bs1_af_dominant: float = 0.001
    bs1_af_recessive: float = 0.01
    # PM2 (absent, or extremely rare if recessive), applied at supporting strength (ClinGen SVI PM2 recommendation
    # v1.0, approved Sept 2020). Numeric limits are those of the ClinGen Hearing Loss VCEP (Oza et al. 2018,
    # Hum Mutat 39:1593): <= 0.002% for dominant, <= 0.007% for recessive disorders. PM2 fires when AF <= limit.
    pm2_af_dominant: float = 0.00002
    pm2_af_recessive: float = 0.00007
    # Bayesian framework (Tavtigian et al. 2018, Genet Med 20:1054): prior probability 0.10 and
    # OddsPath(very strong) = 350; points scale the exponent (Tavtigian et al. 2020, Hum Mutat 41:1734).
    prior: float = 0.10
    odds_very_strong: float = 350.0
    # REVEL intervals for missense variants (Pejaver et al. 2022, AJHG 109:2163, Table 2). PP3 when score >=
    # the limit, BP4 when score <= the limit.
    revel_pp3_strong: float = 0.932
    revel_pp3_moderate: float = 0.773
    revel_pp3_supporting: float = 0.644
    revel_bp4_supporting: float = 0.290
    revel_bp4_moderate: float = 0.183
    revel_bp4_strong: float = 0.016
    revel_bp4_very_strong: float = 0.003
    # CADD (PHRED) intervals, used only when REVEL is missing (Pejaver et al. 2022, Table 2; CADD reaches at most
    # moderate for PP3 and strong for BP4).
    cadd_pp3_moderate: float = 28.1
    cadd_pp3_supporting: float = 25.3
    cadd_bp4_supporting: float = 22.7
    cadd_bp4_moderate: float = 17.3
    cadd_bp4_strong: float = 0.15
    # SpliceAI (maximum delta score): >= 0.2 supports a splicing effect (PP3), <= 0.1 supports none (BP4/BP7)
    # (ClinGen SVI Splicing Subgroup, Walker et al. 2023, AJHG 110:1046).
    spliceai_pp3: float = 0.2
    spliceai_bp4: float = 0.1
    # Pejaver 2022 found REVEL <= 0.003 at very strong benign. A single predictor worth -8 points would cancel a
    # PVS1, so by default computational evidence is capped at strong; set True to use the very strong interval.
    computational_very_strong_benign: bool = False
    # Canonical +-1/2 splice variants: the SVI PVS1 tree gives full strength only when the mis-splicing disrupts
    # the reading frame and causes NMD, which annotations cannot tell; "strong" is our default (docs/acmg.md).
    canonical_splice_pvs1: Literal["very_strong", "strong"] = "strong"

    def __post_init__(self) -> None:
        # Compared with variant keys whose chromosome is normalised, so a VCF's 'chr1' meets a list's '1'.
        object.__setattr__(self, "ba1_exceptions", frozenset(normalise_variant_key(k) for k in self.ba1_exceptions))


DEFAULT_SETTINGS = AcmgSettings()

#: Points of one criterion at each strength (Tavtigian et al. 2020's points scale).
STRENGTH_POINTS: dict[str, int] = {"supporting": 1, "moderate": 2, "strong": 4, "very_strong": 8, "stand_alone": 8}
#: Pathogenic strengths, weakest first (a step down is one place to the left).
STRENGTHS: tuple[Strength, ...] = ("supporting", "moderate", "strong", "very_strong")


def one_step_weaker(strength: Strength) -> Strength:
    """The next weaker strength (supporting stays supporting).

    >>> one_step_weaker("very_strong"), one_step_weaker("supporting")
    ('strong', 'supporting')
    """
    return STRENGTHS[max(STRENGTHS.index(strength) - 1, 0)]


def pm6_assumed_de_novo() -> AcmgCriterion:
    """PM6 (ACMG/AMP 2015): absent from both parents' calls, parentage not confirmed."""
    return AcmgCriterion(code="PM6", strength="moderate", points=STRENGTH_POINTS["moderate"],
                         reason="absent from both parents' calls (parentage not confirmed)")
_CODE_ORDER = ("PVS1", "PS1", "PM5", "PM2", "PP3", "BA1", "BS1", "BP4", "BP7")

# Sequence Ontology terms from most to least severe, in Ensembl VEP's documented order.
_SO_SEVERITY = (
    "transcript_ablation", "splice_acceptor_variant", "splice_donor_variant", "stop_gained", "frameshift_variant",
    "stop_lost", "start_lost", "transcript_amplification", "feature_elongation", "feature_truncation",
    "inframe_insertion", "inframe_deletion", "missense_variant", "protein_altering_variant",
    "splice_donor_5th_base_variant", "splice_region_variant", "splice_donor_region_variant",
    "splice_polypyrimidine_tract_variant", "incomplete_terminal_codon_variant", "start_retained_variant",
    "stop_retained_variant", "synonymous_variant", "coding_sequence_variant", "mature_miRNA_variant",
    "5_prime_UTR_variant", "3_prime_UTR_variant", "non_coding_transcript_exon_variant", "intron_variant",
    "NMD_transcript_variant", "non_coding_transcript_variant", "coding_transcript_variant", "upstream_gene_variant",
    "downstream_gene_variant", "TFBS_ablation", "TFBS_amplification", "TF_binding_site_variant",
    "regulatory_region_ablation", "regulatory_region_amplification", "regulatory_region_variant",
    "intergenic_variant",
)
_SO_RANK = {term: rank for rank, term in enumerate(_SO_SEVERITY)}
_IMPACT_RANK = {"HIGH": 0, "MODERATE": 1, "LOW": 2, "MODIFIER": 3}

_NULL = frozenset({"transcript_ablation", "splice_acceptor_variant", "splice_donor_variant", "stop_gained",
                   "frameshift_variant", "start_lost"})
_SPLICE_REGION = frozenset({"splice_region_variant", "splice_donor_5th_base_variant", "splice_donor_region_variant",
                            "splice_polypyrimidine_tract_variant"})
_DOMINANT = frozenset({"autosomal_dominant", "x_linked_dominant"})
_RECESSIVE = frozenset({"autosomal_recessive", "x_linked_recessive"})

_AMINO_ACIDS = {
    "A": "Ala", "R": "Arg", "N": "Asn", "D": "Asp", "C": "Cys", "Q": "Gln", "E": "Glu", "G": "Gly", "H": "His",
    "I": "Ile", "L": "Leu", "K": "Lys", "M": "Met", "F": "Phe", "P": "Pro", "S": "Ser", "T": "Thr", "W": "Trp",
    "Y": "Tyr", "V": "Val",
}
_THREE_LETTER = frozenset(_AMINO_ACIDS.values())
_HGVSP_3 = re.compile(r"p\.\(?([A-Z][a-z]{2})(\d+)([A-Z][a-z]{2})\)?$")
_HGVSP_1 = re.compile(r"p\.\(?([A-Z])(\d+)([A-Z])\)?$")
_EXON = re.compile(r"^(\d+)(?:-(\d+))?/(\d+)$")

ProteinChange = tuple[str, int, str]


# --- points, classes, posterior -------------------------------------------------------------------------------


def points_to_class(points: int) -> AcmgClass:
    """The class for a points total (Tavtigian et al. 2020, Table 3).

    >=10 Pathogenic, 6..9 Likely pathogenic, 0..5 Uncertain significance, -1..-6 Likely benign, <=-7 Benign.

    >>> points_to_class(9), points_to_class(-7)
    ('Likely pathogenic', 'Benign')
    """
    if points >= 10:
        return "Pathogenic"
    if points >= 6:
        return "Likely pathogenic"
    if points >= 0:
        return "Uncertain significance"
    if points >= -6:
        return "Likely benign"
    return "Benign"


def posterior_from_points(points: int, settings: AcmgSettings = DEFAULT_SETTINGS) -> float:
    """Posterior probability of pathogenicity for a points total (Tavtigian et al. 2018, 2020).

    ``odds = OddsPath_VS ** (points / 8)`` and ``posterior = odds * prior / ((odds - 1) * prior + 1)``,
    which is Bayes' rule in odds form. With the defaults, 10 points give 0.994 and 6 points 0.900.

    >>> round(posterior_from_points(10), 3)
    0.994
    """
    odds = float(settings.odds_very_strong ** (points / 8))
    return odds * settings.prior / ((odds - 1) * settings.prior + 1)


# --- transcript choice ------------------------------------------------------------------------------------------


def choose_transcript(variant: Variant, gene: str | None = None) -> TranscriptConsequence | None:
    """The annotation to classify on: canonical transcripts first, then the most severe consequence.

    With ``gene`` only that gene's annotations are considered; None when there are none. Ties keep input order.
    """
    candidates = [tc for tc in variant.annotations if gene is None or tc.gene == gene]
    if not candidates:
        return None
    return min(candidates, key=_transcript_order)


def _transcript_order(tc: TranscriptConsequence) -> tuple[bool, int, int]:
    return (not tc.canonical, _severity(tc.consequences), _IMPACT_RANK.get(tc.impact or "", len(_IMPACT_RANK)))


def _severity(terms: list[str]) -> int:
    return min((_SO_RANK.get(term, len(_SO_RANK)) for term in terms), default=len(_SO_RANK) + 1)


# --- classification ---------------------------------------------------------------------------------------------


def classify_variant(
    variant: Variant, gene: GeneContext | None, settings: AcmgSettings = DEFAULT_SETTINGS
) -> AcmgClassification:
    """Apply the automatable ACMG/AMP criteria to one variant and classify it on the points scale.

    An unannotated variant (or one without transcript annotations) gets Uncertain significance, 0 points and no
    criteria; the caller reports it as unannotated. BA1 makes the class Benign whatever the total.
    """
    if not variant.annotated or not variant.annotations:
        return _classification([], settings)
    criteria = _frequency_criteria(variant, gene, settings)
    transcript = choose_transcript(variant, gene.symbol if gene else None)
    if transcript is not None:
        itself = gene is not None and _key(variant) in gene.known_pathogenic_variants
        criteria += _sequence_criteria(transcript, gene, settings, itself)
    criteria.sort(key=lambda c: _CODE_ORDER.index(c.code))
    return _classification(criteria, settings)


def _classification(criteria: list[AcmgCriterion], settings: AcmgSettings) -> AcmgClassification:
    points = sum(c.points for c in criteria)
    stand_alone = any(c.code == "BA1" for c in criteria)
    return AcmgClassification(
        classification="Benign" if stand_alone else points_to_class(points),
        points=points,
        criteria=criteria,
        posterior_pathogenic=posterior_from_points(points, settings),
    )


def _criterion(code: str, strength: CriterionStrength, reason: str, benign: bool = False) -> AcmgCriterion:
    points = STRENGTH_POINTS[strength]
    return AcmgCriterion(code=code, strength=strength, points=-points if benign else points, reason=reason)


def _strongest(criteria: list[AcmgCriterion]) -> AcmgCriterion:
    return max(criteria, key=lambda c: abs(c.points))  # first wins ties


# --- population data: BA1, BS1, PM2 -----------------------------------------------------------------------------


def _allele_frequency(variant: Variant) -> float | None:
    """The largest gnomAD AF over the variant's annotations (the AF is per allele; VEP repeats it)."""
    values = [tc.gnomad_af for tc in variant.annotations if tc.gnomad_af is not None]
    return max(values) if values else None


def _only(modes: frozenset[str], group: frozenset[str]) -> bool:
    return bool(modes) and modes <= group


def _frequency_criteria(variant: Variant, gene: GeneContext | None, s: AcmgSettings) -> list[AcmgCriterion]:
    af = _allele_frequency(variant)
    modes = gene.modes if gene else frozenset()
    exempt = _key(variant) in s.ba1_exceptions
    if af is not None and af > s.ba1_af and not exempt:
        return [_criterion("BA1", "stand_alone", f"gnomAD AF {af:.4g} > {s.ba1_af:g} (Ghosh et al. 2018)", True)]
    # Each limit leans to the cautious side when the gene's modes are mixed or unknown: BS1 uses the (lower)
    # dominant limit only when every disease is dominant, PM2 the (higher) recessive limit only when every
    # disease is recessive.
    if _only(modes, _DOMINANT):
        bs1_limit, bs1_mode = s.bs1_af_dominant, "dominant"
    else:
        bs1_limit, bs1_mode = s.bs1_af_recessive, "recessive"
    if af is not None and af > bs1_limit and not exempt:
        reason = f"gnomAD AF {af:.4g} > {bs1_limit:g}, the {bs1_mode} limit for the disorder"
        return [_criterion("BS1", "strong", reason, True)]
    return _pm2(af, modes, s)


def _pm2(af: float | None, modes: frozenset[str], s: AcmgSettings) -> list[AcmgCriterion]:
    if _only(modes, _RECESSIVE):
        limit, mode = s.pm2_af_recessive, "recessive"
    else:
        limit, mode = s.pm2_af_dominant, "dominant"
    if af is None or af == 0:
        return [_criterion("PM2", "supporting", "absent from gnomAD (PM2 at supporting, ClinGen SVI 2020)")]
    if af <= limit:
        reason = f"gnomAD AF {af:.4g} <= {limit:g}, the {mode} limit (PM2 at supporting, ClinGen SVI 2020)"
        return [_criterion("PM2", "supporting", reason)]
    return []


# --- variant type and predictions -------------------------------------------------------------------------------


def _sequence_criteria(tc: TranscriptConsequence, gene: GeneContext | None, s: AcmgSettings,
                       itself: bool = False) -> list[AcmgCriterion]:
    pvs1 = _pvs1(tc, gene, s)
    found = [pvs1] if pvs1 else []
    found += _protein_match(tc, gene, itself)
    found += _computational(tc, pvs1 is not None, s)
    return found


def null_consequence(tc: TranscriptConsequence) -> str | None:
    """The most severe null (loss-of-function) consequence on this transcript, or None.

    >>> null_consequence(TranscriptConsequence(consequences=["stop_gained"]))
    'stop_gained'
    """
    null_terms = sorted(_NULL.intersection(tc.consequences), key=_SO_RANK.__getitem__)
    return null_terms[0] if null_terms else None


def _pvs1(tc: TranscriptConsequence, gene: GeneContext | None, s: AcmgSettings) -> AcmgCriterion | None:
    """PVS1 along the ClinGen SVI decision tree (Abou Tayoun et al. 2018) as far as annotations allow.

    The tree starts from "is loss of function a disease mechanism for this gene?": when unknown, or when a
    curation says it is not (``not_lof``: the gene's disorders arise by gain of function), PVS1 is not applied.
    A mechanism that is only likely lowers the strength one step.
    """
    kind = null_consequence(tc)
    if kind is None or gene is None or gene.lof_mechanism in ("unknown", "not_lof"):
        return None
    strength, why = _pvs1_by_type(kind, tc, s)
    if gene.lof_mechanism == "likely":
        strength = one_step_weaker(strength)
        if gene.lof_from_default:
            why += (f"; one step down because {PVS1_NO_DOSAGE_DATA} {gene.symbol}, so loss of function is taken as "
                    "only a likely mechanism of its dominant disease (import ClinGen dosage curations to decide)")
        else:
            why += f"; one step down because LoF is only a likely mechanism for {gene.symbol} ({gene.lof_source})"
    where = tc.transcript or "the transcript"
    return _criterion("PVS1", strength, f"PVS1 at {strength}: {kind} in {where}; {why} (Abou Tayoun 2018)")


def _pvs1_by_type(kind: str, tc: TranscriptConsequence, s: AcmgSettings) -> tuple[Strength, str]:
    if kind == "transcript_ablation":
        return "very_strong", "whole transcript deleted"
    if kind == "start_lost":
        return "moderate", "initiation codon lost; alternative starts and upstream pathogenic variants not checked"
    if kind in ("splice_donor_variant", "splice_acceptor_variant"):
        return s.canonical_splice_pvs1, "canonical +-1/2 splice site; whether mis-splicing shifts the frame is unknown"
    return _truncation_strength(tc.exon)


def _truncation_strength(exon: str | None) -> tuple[Strength, str]:
    """Nonsense and frameshift: NMD predicted unless the change lies in the last exon.

    VEP gives only 'n/N', so the rule that the last 50 bp of the penultimate exon also escape NMD is not checked;
    a variant there is treated as NMD-predicted.
    """
    match = _EXON.match(exon or "")
    if match is None:
        return "strong", f"exon {exon or 'unknown'}: NMD cannot be predicted, treated as escaping NMD"
    last_touched = int(match.group(2) or match.group(1))
    if last_touched >= int(match.group(3)):
        return "strong", f"exon {exon} is the last exon: predicted to escape NMD"
    return "very_strong", f"exon {exon} is not the last exon: predicted to undergo NMD"


def _key(variant: Variant) -> str:
    return variant_key(variant.chrom, variant.pos, variant.ref, variant.alt)


def _protein_match(tc: TranscriptConsequence, gene: GeneContext | None, itself: bool = False) -> list[AcmgCriterion]:
    """PS1 (same amino-acid change as a known pathogenic one) or PM5 (other missense at that residue).

    The known change must be a different nucleotide change; a variant carrying its own ClinVar P/LP assertion is
    taken to be the known variant itself and gets no PS1 (its own assertion is never evidence: PP5 is retired).
    """
    if gene is None or "missense_variant" not in tc.consequences or tc.hgvsp is None:
        return []
    ours = _protein_change(tc.hgvsp)
    if ours is None:
        return []
    known = _known_changes(gene.known_pathogenic_protein_changes)
    same = known.get(ours)
    if same is not None and not itself and not own_clinvar_pathogenic(tc):
        strength: Strength = "strong" if same == "pathogenic" else "moderate"
        return [_criterion("PS1", strength, f"{_hgvs(ours)} is a known {same} amino-acid change in {gene.symbol}")]
    others = {change: sig for change, sig in known.items() if change[:2] == ours[:2] and change != ours}
    if not others:
        return []
    strength = "moderate" if "pathogenic" in others.values() else "supporting"
    listed = ", ".join(f"{_hgvs(c)} ({sig})" for c, sig in sorted(others.items()))
    return [_criterion("PM5", strength, f"other missense change at residue {ours[0]}{ours[1]}: {listed}")]


def _protein_change(text: str) -> ProteinChange | None:
    """(ref, position, alt) in three-letter codes for a missense HGVS p. string; None for anything else."""
    tail = text.split(":")[-1].strip()
    three = _HGVSP_3.search(tail)
    if three is not None:
        ref, pos, alt = three.group(1), int(three.group(2)), three.group(3)
    else:
        one = _HGVSP_1.search(tail)
        if one is None or one.group(1) not in _AMINO_ACIDS or one.group(3) not in _AMINO_ACIDS:
            return None
        ref, pos, alt = _AMINO_ACIDS[one.group(1)], int(one.group(2)), _AMINO_ACIDS[one.group(3)]
    if ref not in _THREE_LETTER or alt not in _THREE_LETTER or ref == alt:
        return None
    return ref, pos, alt


def _known_changes(table: Mapping[str, str]) -> dict[ProteinChange, str]:
    """Known missense changes with significance 'pathogenic' or 'likely pathogenic' (P/LP counts as LP)."""
    known: dict[ProteinChange, str] = {}
    for text, significance in table.items():
        change = _protein_change(text)
        label = significance.strip().lower().replace("_", " ")
        if change is None or label not in ("pathogenic", "likely pathogenic", "pathogenic/likely pathogenic"):
            continue
        known[change] = "pathogenic" if label == "pathogenic" else "likely pathogenic"
    return known


#: ClinVar terms that may stand beside a pathogenic call without contradicting it.
_CLINVAR_COMPATIBLE = frozenset({"pathogenic", "likely pathogenic", "pathogenic/likely pathogenic", "risk factor",
                                 "association", "affects", "other", "low penetrance", "likely risk allele",
                                 "established risk allele"})


def clinvar_unequivocally_pathogenic(tc: TranscriptConsequence) -> bool:
    """A (likely) pathogenic ClinVar call with no benign, uncertain, conflicting or "not provided" term beside it
    ("benign&pathogenic" from two ClinVar records at one site does not count).

    >>> from tailormed.model.rare import TranscriptConsequence as T
    >>> [clinvar_unequivocally_pathogenic(T(gene="G", clinvar=c)) for c in (["pathogenic", "risk_factor"],
    ...  ["benign", "pathogenic"], ["conflicting_interpretations_of_pathogenicity"])]
    [True, False, False]
    """
    return own_clinvar_pathogenic(tc) and _clinvar_labels(tc) - {""} <= _CLINVAR_COMPATIBLE


def own_clinvar_pathogenic(tc: TranscriptConsequence) -> bool:
    """Whether the annotation gives the variant itself a ClinVar pathogenic or likely pathogenic significance."""
    return bool(_clinvar_labels(tc) & {"pathogenic", "likely pathogenic", "pathogenic/likely pathogenic"})


def _clinvar_labels(tc: TranscriptConsequence) -> set[str]:
    """The annotation's ClinVar terms as words ("likely_pathogenic" -> "likely pathogenic")."""
    return {term.strip().lower().replace("_", " ").strip() for term in tc.clinvar}


def _hgvs(change: ProteinChange) -> str:
    return f"p.{change[0]}{change[1]}{change[2]}"


# --- computational evidence: PP3, BP4, BP7 ----------------------------------------------------------------------


def _computational(tc: TranscriptConsequence, pvs1_applied: bool, s: AcmgSettings) -> list[AcmgCriterion]:
    """PP3/BP4 (Pejaver 2022, Walker 2023) and BP7; one computational criterion per variant at most."""
    terms = frozenset(tc.consequences)
    if terms & _NULL:
        # Splicing predictions are not added to PVS1 for the same variant (Walker et al. 2023); no BP4 for nulls.
        return [] if pvs1_applied else _splice_pp3(tc, s)
    if "missense_variant" in terms:
        return _missense_computational(tc, s)
    return _non_coding_computational(tc, terms, s)


def _splice_call(score: float | None, s: AcmgSettings) -> Literal["pathogenic", "benign", "uncertain"] | None:
    if score is None:
        return None
    if score >= s.spliceai_pp3:
        return "pathogenic"
    return "benign" if score <= s.spliceai_bp4 else "uncertain"


def _splice_pp3(tc: TranscriptConsequence, s: AcmgSettings) -> list[AcmgCriterion]:
    if _splice_call(tc.spliceai_max, s) != "pathogenic":
        return []
    reason = f"SpliceAI {tc.spliceai_max:g} >= {s.spliceai_pp3:g}: predicted splicing effect (Walker 2023)"
    return [_criterion("PP3", "supporting", reason)]


def _missense_computational(tc: TranscriptConsequence, s: AcmgSettings) -> list[AcmgCriterion]:
    """Missense: REVEL (else CADD) for the protein effect, SpliceAI for splicing; PP3 counted once, the stronger.

    BP4 needs the splicing prediction not to point the other way (SpliceAI absent or <= 0.1).
    """
    tool = _missense_tool(tc, s)
    pathogenic = [c for c in [tool, *_splice_pp3(tc, s)] if c is not None and c.code == "PP3"]
    if pathogenic:
        return [_strongest(pathogenic)]
    if tool is not None and _splice_call(tc.spliceai_max, s) in (None, "benign"):
        return [tool]
    return []


def _missense_tool(tc: TranscriptConsequence, s: AcmgSettings) -> AcmgCriterion | None:
    if tc.revel is not None:
        pathogenic: list[tuple[float, Strength]] = [
            (s.revel_pp3_strong, "strong"), (s.revel_pp3_moderate, "moderate"), (s.revel_pp3_supporting, "supporting")]
        benign: list[tuple[float, Strength]] = [
            (s.revel_bp4_very_strong, "very_strong"), (s.revel_bp4_strong, "strong"),
            (s.revel_bp4_moderate, "moderate"), (s.revel_bp4_supporting, "supporting")]
        return _calibrated("REVEL", tc.revel, pathogenic, benign, s)
    if tc.cadd_phred is not None:
        pathogenic = [(s.cadd_pp3_moderate, "moderate"), (s.cadd_pp3_supporting, "supporting")]
        benign = [(s.cadd_bp4_strong, "strong"), (s.cadd_bp4_moderate, "moderate"),
                  (s.cadd_bp4_supporting, "supporting")]
        return _calibrated("CADD", tc.cadd_phred, pathogenic, benign, s)
    return None


def _calibrated(
    tool: str, score: float, pathogenic: list[tuple[float, Strength]], benign: list[tuple[float, Strength]],
    s: AcmgSettings,
) -> AcmgCriterion | None:
    """The Pejaver et al. 2022 interval a score falls in; both lists run from the strongest interval."""
    for limit, strength in pathogenic:
        if score >= limit:
            return _criterion("PP3", strength, f"{tool} {score:g} >= {limit:g}: PP3 {strength} (Pejaver 2022)")
    for limit, strength in benign:
        if score <= limit:
            capped: Strength = strength
            note = ""
            if strength == "very_strong" and not s.computational_very_strong_benign:
                capped, note = "strong", "; very strong interval capped at strong"
            reason = f"{tool} {score:g} <= {limit:g}: BP4 {strength} (Pejaver 2022){note}"
            return _criterion("BP4", capped, reason, True)
    return None


def _non_coding_computational(tc: TranscriptConsequence, terms: frozenset[str], s: AcmgSettings) -> list[AcmgCriterion]:
    """Variants without a protein change to score: splicing is the effect SpliceAI can speak to.

    BP7 for synonymous variants (SpliceAI <= 0.1, or no SpliceAI score and outside the splice region) and for
    intronic variants outside the splice region with SpliceAI <= 0.1 (Walker 2023). BP4 for intronic
    splice-region variants with SpliceAI <= 0.1. Nothing benign for UTR, in-frame or other variants.
    """
    call = _splice_call(tc.spliceai_max, s)
    if call == "pathogenic":
        return _splice_pp3(tc, s)
    near_splice = bool(terms & _SPLICE_REGION)
    no_effect = f"SpliceAI {tc.spliceai_max:g} <= {s.spliceai_bp4:g}" if call == "benign" else ""
    if "synonymous_variant" in terms:
        if call == "benign":
            return [_criterion("BP7", "supporting", f"synonymous; {no_effect} (Walker 2023)", True)]
        if call is None and not near_splice:
            return [_criterion("BP7", "supporting", "synonymous; no SpliceAI score, not near a splice site", True)]
        return []
    if "intron_variant" not in terms or call != "benign":
        return []
    if near_splice:
        return [_criterion("BP4", "supporting", f"splice-region intronic; {no_effect} (Walker 2023)", True)]
    return [_criterion("BP7", "supporting", f"intronic outside the splice region; {no_effect} (Walker 2023)", True)]
