"""Rare-disease types: phenotype, annotated variants, ACMG classifications and ranked diagnoses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from tailormed.model.common import Provenance, Record, Warning

RARE_SCHEMA_VERSION: Literal["1.0"] = "1.0"

InheritanceMode = Literal[
    "autosomal_dominant", "autosomal_recessive", "x_linked_dominant", "x_linked_recessive", "x_linked", "mitochondrial"
]


class PhenotypeTerm(Record):
    """One HPO term observed in (or explicitly excluded from) the patient."""

    id: str = Field(pattern=r"^HP:\d{7}$")
    label: str | None = None
    excluded: bool = False


class PhenotypeProfile(Record):
    """What a phenotype-driven analysis needs about one proband."""

    id: str
    sex: Literal["female", "male", "other", "unknown"] = "unknown"
    age: str | None = Field(default=None, description="ISO 8601 duration at last encounter, e.g. 'P7Y'.")
    terms: list[PhenotypeTerm] = Field(default_factory=list)
    onset: str | None = Field(default=None, description="HPO onset term (HP:0003674 branch) of the earliest onset "
                                                        "the input states, e.g. 'HP:0003593' (Infantile onset).")
    proband_sample: str | None = Field(default=None, description="The proband's column in a family VCF.")
    known_diagnoses: list[str] = Field(default_factory=list, description="Disease ids from the input, if any.")
    hpo_version: str | None = Field(default=None, description="HPO release the terms were coded with, if stated.")


class TranscriptConsequence(Record):
    """One transcript-level annotation of a variant, read from a VEP CSQ or snpEff ANN INFO field."""

    gene: str | None = None
    transcript: str | None = None
    consequences: list[str] = Field(default_factory=list, description="Sequence Ontology terms ('missense_variant').")
    impact: Literal["HIGH", "MODERATE", "LOW", "MODIFIER"] | None = None
    hgvsc: str | None = None
    hgvsp: str | None = None
    exon: str | None = Field(default=None, description="'number/total' as VEP writes it, e.g. '3/12'.")
    intron: str | None = None
    protein_position: int | None = None
    amino_acids: str | None = Field(default=None, description="'R/W' as VEP writes it.")
    canonical: bool = False
    gnomad_af: float | None = Field(default=None, ge=0, le=1)
    clinvar: list[str] = Field(default_factory=list, description="ClinVar significance terms, lower case.")
    revel: float | None = None
    cadd_phred: float | None = None
    spliceai_max: float | None = Field(default=None, description="Largest SpliceAI delta score.")


class SampleGenotype(Record):
    """A sample's call at one variant, in alt-allele dosage terms."""

    alt_count: int | None = Field(description="Copies of this ALT allele; None when the call is missing.")
    ploidy: int = 2
    phased: bool = False
    phase_set: int | None = None
    haplotype_with_alt: list[int] = Field(default_factory=list, description="Phased: haplotype indices carrying ALT.")
    depth: int | None = None
    genotype_quality: int | None = None


class Variant(Record):
    """One ALT allele of a VCF record, with its annotations and the family's genotypes."""

    chrom: str
    pos: int
    ref: str
    alt: str
    filter_pass: bool = True
    qual: float | None = None
    source: str = Field(description="'file:line' the record came from.")
    end: int | None = Field(default=None, description=(
        "Copy-number (symbolic <DEL>/<DUP>/<CNn>) records: the last base of the event, 1-based (VCF INFO END, or a "
        "CNV BED row's end). ``pos`` is then the base before the event (the VCF padding base), so the event covers "
        "pos + 1 .. end. None when the record does not say."))
    annotated: bool = Field(description="False when the record carried no CSQ/ANN annotation.")
    annotations: list[TranscriptConsequence] = Field(default_factory=list)
    genotypes: dict[str, SampleGenotype] = Field(default_factory=dict)

    @property
    def key(self) -> str:
        """chrom-pos-ref-alt, the usual variant key."""
        return f"{self.chrom}-{self.pos}-{self.ref}-{self.alt}"


#: Symbolic ALT alleles read as a copy-number loss or gain (VCF 4.3 section 5.4: DEL, DUP, DUP:TANDEM, CNV copy
#: numbers as CN<n>). Shared by the VCF reader (checks SVTYPE/END/CN against them) and the CNV classifier.
COPY_NUMBER_LOSS_ALTS = frozenset({"<DEL>", "<CN0>", "<CN1>", "<DEL:ME>", "<DEL:ME:ALU>", "<DEL:ME:L1>"})
COPY_NUMBER_GAIN_ALTS = frozenset({"<DUP>", "<DUP:TANDEM>", "<DUP:INT>", "<CN3>", "<CN4>", "<CN5>", "<INS:DUP>"})


def copy_number_kind(alt: str) -> Literal["loss", "gain"] | None:
    """'loss', 'gain' or None (not a copy-number allele).

    >>> copy_number_kind("<DUP:TANDEM>"), copy_number_kind("<cn1>"), copy_number_kind("A")
    ('gain', 'loss', None)
    """
    upper = alt.upper()
    if upper in COPY_NUMBER_LOSS_ALTS:
        return "loss"
    if upper in COPY_NUMBER_GAIN_ALTS:
        return "gain"
    return None


def copy_number_region(variant: Variant) -> str | None:
    """A copy-number record as a reader names it; None for other records. The event starts after POS (the padding
    base, VCF 4.3 section 5.4; a BED start is stored the same way) and runs to END.

    >>> v = Variant(chrom="chr15", pos=48400000, ref="N", alt="<DEL>", source="x:1", annotated=True, end=48425000)
    >>> copy_number_region(v)
    'deletion chr15:48,400,001-48,425,000 (25.0 kb)'
    >>> copy_number_region(v.model_copy(update={"alt": "<DUP>", "end": None}))
    'duplication at chr15:48,400,001 (extent not given)'
    """
    kind = copy_number_kind(variant.alt)
    if kind is None:
        return None
    name = "deletion" if kind == "loss" else "duplication"
    start = variant.pos + 1
    if variant.end is None:
        return f"{name} at {variant.chrom}:{start:,} (extent not given)"
    size = variant.end - start + 1
    length = f"{size / 1e6:.2f} Mb" if size >= 1_000_000 else f"{size / 1e3:.1f} kb" if size >= 1000 else f"{size} bp"
    return f"{name} {variant.chrom}:{start:,}-{variant.end:,} ({length})"


CriterionStrength = Literal["stand_alone", "very_strong", "strong", "moderate", "supporting"]
AcmgClass = Literal["Pathogenic", "Likely pathogenic", "Uncertain significance", "Likely benign", "Benign"]


class AcmgCriterion(Record):
    """One ACMG/AMP criterion that fired, at the strength it was applied."""

    code: str = Field(description="Base code, e.g. 'PVS1', 'PM2', 'BP4'.")
    strength: CriterionStrength
    points: int = Field(description="Tavtigian et al. points: +-1 supporting, 2 moderate, 4 strong, 8 very strong.")
    reason: str
    cnv_points: float | None = Field(default=None, description=(
        "For a section of the ACMG/ClinGen CNV rubric (code 'CNV-…'): its points on that scale (Riggs et al. 2020)."))


class AcmgClassification(Record):
    """A variant's ACMG/AMP class on the points scale, with the criteria behind it."""

    classification: AcmgClass
    points: int
    criteria: list[AcmgCriterion] = Field(default_factory=list)
    posterior_pathogenic: float = Field(ge=0, le=1, description="Bayesian posterior from the points (Tavtigian 2018).")
    cnv_points: float | None = Field(default=None, description=(
        "Copy-number records: total on the ACMG/ClinGen CNV points scale (Riggs et al. 2020)."))
    cnv_class: AcmgClass | None = Field(default=None, description="Copy-number records: the class of cnv_points.")


class TermContribution(Record):
    """How one patient term moved a disease's likelihood."""

    term: str
    label: str
    excluded: bool
    match: Literal["exact", "implied", "related", "unrelated", "excluded_annotated", "excluded_absent", "not_annotated",
                   "onset_fits", "onset_differs", "onset_not_annotated"]
    matched_term: str | None = Field(default=None, description="The disease annotation the term was matched through.")
    likelihood_ratio: float


class VariantEvidence(Record):
    """A candidate variant as it bears on one gene and mode of inheritance."""

    variant: str = Field(description="chrom-pos-ref-alt")
    gene: str
    hgvsc: str | None = None
    hgvsp: str | None = None
    consequence: str | None = None
    zygosity: str
    gnomad_af: float | None = None
    acmg: AcmgClassification
    source: str
    region: str | None = Field(default=None, description=(
        "Copy-number records: the event as a reader names it, e.g. 'deletion chr15:48,400,001-48,425,000 (25.0 kb)' "
        "(the bases removed or duplicated, 1-based; 'extent not given' without an END)."))


class DiseaseCandidate(Record):
    """One ranked diagnosis with the evidence for and against it."""

    rank: int
    disease_id: str
    disease_name: str
    genes: list[str] = Field(default_factory=list)
    gene: str | None = Field(default=None, description="The gene whose genotype was used (best-scoring).")
    inheritance: list[InheritanceMode] = Field(default_factory=list)
    phenotype_lr: float
    genotype_lr: float | None = None
    score: float = Field(description=(
        "Ranking score in log10 units: log10 of the composite likelihood ratio (phenotype x genotype); when the "
        "result's score_basis is 'fitted_ranker', the fitted phenotype ranker's score; when it is "
        "'likelihood_ratio_split_by_ranker', log10 of this disease's part of its gene's composite ratio, the diseases "
        "that share a gene and its genotype fit splitting their summed ratio by the fitted ranker "
        "(docs/rare-disease.md, 'With variants')."))
    posttest_probability: float
    supporting_terms: list[TermContribution] = Field(default_factory=list)
    contradicting_terms: list[TermContribution] = Field(default_factory=list)
    variants: list[VariantEvidence] = Field(default_factory=list)
    inheritance_fit: str | None = Field(default=None, description="Which mode the variants fit, or why none did.")
    folded_entries: list[str] = Field(default_factory=list, description=(
        "Orphanet entries folded into this disease and not ranked separately: duplicates (its gene(s) and its name, "
        "or failing a shared name word a similar annotation profile; or exactly its name) and, with "
        "fold_orphanet_groups, Orphanet groups listed under their OMIM subtypes (each gene has a same-named OMIM "
        "entry); a copy-number gain is never folded under gene-level entries of the opposite dosage."))
    folded_names: list[str] = Field(default_factory=list, description="The names of folded_entries, in their order.")
    folded_groups: list[str] = Field(default_factory=list, description=(
        "Those of folded_entries that are Orphanet groups (the rest are duplicates of this disease)."))


class GeneCandidate(Record):
    """A gene ranked by the best of its diseases."""

    rank: int
    gene: str
    best_disease_id: str = Field(description=(
        "The disease the gene's score comes from (with variants: the one with the highest composite likelihood "
        "ratio; it may differ from the gene's first disease in the differential, which the ranker orders)."))
    score: float = Field(description="log10 combined score: phenotype_score + variant_score with variants.")
    posttest_probability: float
    phenotype_score: float | None = Field(default=None, description=(
        "log10 phenotype part of the score (likelihood ratio, or the fitted ranker's score when it is used with "
        "variants: ranker_with_variants) of the best "
        "disease; with variants only."))
    variant_score: float | None = Field(default=None, description=(
        "log10 genotype likelihood ratio of the gene's alleles for that disease; with variants only."))
    clinvar: list[str] = Field(default_factory=list, description=(
        "ClinVar significance terms the annotation (CSQ CLIN_SIG) gives the gene's candidate variants."))


class FilterStep(Record):
    """One declared analysis step with what it kept and removed (echo of the preset)."""

    name: str
    parameters: dict[str, object] = Field(default_factory=dict)
    kept: int | None = None
    removed: int | None = None


class RareResult(Record):
    """The whole rare-disease analysis of one proband."""

    schema_version: Literal["1.0"] = RARE_SCHEMA_VERSION
    proband: PhenotypeProfile
    diseases: list[DiseaseCandidate]
    genes: list[GeneCandidate]
    analysis: list[FilterStep] = Field(default_factory=list)
    variants_considered: int = 0
    unannotated_variants: list[str] = Field(default_factory=list, description="Sources of records without CSQ/ANN.")
    warnings: list[Warning] = Field(default_factory=list)
    provenance: Provenance
    score_basis: Literal["likelihood_ratio", "fitted_ranker", "likelihood_ratio_split_by_ranker"] = Field(
        default="likelihood_ratio", description=(
            "What the candidates' score is: log10 of the composite likelihood ratio; the fitted phenotype ranker's "
            "score (phenotype-only with the default preset; the terms' likelihood ratios still explain each "
            "candidate); or, with variants and the default preset, the composite ratio with the diseases that share "
            "a gene and its genotype fit re-ordered among themselves by the ranker (their summed ratio split by the "
            "ranker's softmax)."))


@dataclass(frozen=True)
class GenotypeSettings:
    """Quality and frequency filters and the genotype likelihood-ratio parameters (echoed in output)."""

    require_pass: bool = True
    min_genotype_quality: int = 20
    min_depth: int = 8
    max_af_dominant: float = 0.001
    max_af_recessive: float = 0.01
    exclude_consequences: tuple[str, ...] = (
        "synonymous_variant", "stop_retained_variant", "start_retained_variant", "intron_variant",
        "5_prime_UTR_variant", "3_prime_UTR_variant", "upstream_gene_variant", "downstream_gene_variant",
        "intergenic_variant", "regulatory_region_variant", "TF_binding_site_variant", "non_coding_transcript_variant",
        "NMD_transcript_variant", "mature_miRNA_variant",
    )
    keep_if_spliceai_at_least: float = 0.2
    #: An allele the annotation gives a ClinVar pathogenic or likely pathogenic significance (CSQ CLIN_SIG) passes the
    #: consequence and frequency filters (as Exomiser's ClinVar whitelist): a splice-activating synonymous variant or a
    #: common founder allele is scored and shown, not dropped. The assertion is still no ACMG evidence (docs/acmg.md).
    keep_clinvar_pathogenic: bool = True
    miss_lr: float = 0.05
    single_hit_recessive: float = 0.1
    conflict_lr: float = 0.1
    chance_rate: float = 0.02
    homozygous_rate: float = 0.05
    #: ``constant`` (default): chance_rate for every gene; ``exonic_length``: chance_rate scaled by the gene's exonic
    #: length over the mean (the gene table; without one, the constant rate with a warning). Off by default: on the
    #: default benchmark (decoys uniform over disease genes) it costs 1.4 points of gene top-1 (benchmarks/README.md)
    gene_background: str = "constant"


@dataclass(frozen=True)
class PhenotypeSettings:
    """Parameters of the likelihood-ratio model (all echoed in the output)."""

    background_floor: float = 0.001
    related_discount: float = 0.1
    unrelated_lr: float = 0.1
    negated_lr: float = 0.02
    excluded_floor: float = 0.2
    excluded_min_frequency: float = 0.8
    drop_redundant_ancestors: bool = True
    onset_mismatch_rate: float | None = 0.2
    enrichment_weight: float = 0.0
    matched_share_weight: float = 0.0
    unrelated_share_weight: float = 0.0
    frequent_coverage_weight: float = 0.0
    frequent_missed_weight: float = 0.0
    annotation_size_weight: float = 0.0
    gene_known_weight: float = 0.0
    resnik_patient_weight: float = 0.0
    resnik_disease_weight: float = 0.0
    lr_rank_weight: float = 0.0
    enrichment_rank_weight: float = 0.0
    ic_matched_share_weight: float = 0.0
    matched_frequency_weight: float = 0.0
    excluded_annotated_weight: float = 0.0
    onset_log10_lr_weight: float = 0.0
    gene_best_rank_weight: float = 0.0
    gene_best_enrichment_rank_weight: float = 0.0
    gene_diseases_weight: float = 0.0
    enrichment_x_annotation_size_weight: float = 0.0
    matched_share_x_annotation_size_weight: float = 0.0
    lr_weight: float = 1.0
    ranker_with_variants: bool = False
    ranker_within_gene: bool = False
    fold_orphanet_duplicates: bool = True
    fold_orphanet_groups: bool = False
    weight: float = 1.0
