"""Pharmacogenomic results: genotypes, diplotypes, phenotypes and drug recommendations."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from tailormed.model.common import Citation, Evidence, Provenance, Record, Warning

PGX_SCHEMA_VERSION = "1.1"

CallSource = Literal["vcf", "outside_call", "none"]


class PositionGenotype(Record):
    """What the VCF said at one defining position for one sample."""

    variant_id: str
    position: int
    ref: str
    alleles: list[str | None] = Field(
        description="Called bases per haplotype; None = no call. One entry if hemizygous."
    )
    phased: bool = False
    phase_set: int | None = None
    status: Literal["called", "missing", "assumed_reference", "filtered"] = "called"


class Diplotype(Record):
    """A pair of named alleles (or a single one for hemizygous genes)."""

    alleles: list[str] = Field(min_length=1, max_length=2)
    functions: list[str] = Field(default_factory=list)
    activity_values: list[float | None] = Field(default_factory=list)
    score: int = Field(default=0, description="Match score: defining positions observed (see docs/pgx-matching.md).")

    @property
    def label(self) -> str:
        """``*1/*17`` (or ``*1`` when hemizygous)."""
        return "/".join(self.alleles)


class GeneResult(Record):
    """Everything TailorMed concluded about one gene in one sample."""

    gene: str
    source: CallSource
    tested: bool = Field(
        default=False,
        description="True when the gene was examined: an outside call, or a VCF with a genotype at one or more "
        "defining positions. False for a gene the inputs do not cover, an outside-call-only gene (HLA) without an "
        "outside call, or a VCF with no genotype at any defining position. Drugs that need an untested gene are "
        "reported 'not_tested'; its results never match a rule, not even an Indeterminate one.",
    )
    diplotypes: list[Diplotype] = Field(
        default_factory=list, description="Best-scoring diplotypes; more than one means a tie that cannot be broken."
    )
    phenotype: str | None = None
    activity_score: float | None = None
    lookup_keys: list[str] = Field(
        default_factory=list, description="Values drug rules are matched against (phenotype, score, allele status)."
    )
    missing_positions: list[str] = Field(default_factory=list, description="Defining positions with no genotype.")
    uncertain_due_to_missing: bool = False
    unexplained_variants: list[str] = Field(
        default_factory=list, description="Non-reference genotypes at defining positions that no named allele explains."
    )
    genotypes: list[PositionGenotype] = Field(default_factory=list)
    warnings: list[Warning] = Field(default_factory=list)
    evidence: Evidence | None = None
    overridden_vcf_call: str | None = Field(
        default=None, description="The VCF-derived diplotype an outside call replaced, if any."
    )

    @property
    def diplotype_label(self) -> str:
        return self.diplotypes[0].label if self.diplotypes else ""

    @property
    def alternative_labels(self) -> list[str]:
        return [d.label for d in self.diplotypes[1:]]


class GeneBasis(Record):
    """The gene result a drug recommendation rests on."""

    gene: str
    diplotype: str
    phenotype: str | None
    activity_score: float | None = None
    matched_on: str = Field(description="The lookup key that matched the rule, e.g. 'Poor Metabolizer'.")


class DrugRecommendation(Record):
    """What to do with one drug for this person, and why."""

    drug: str
    drug_class: str | None = None
    genes: list[str]
    status: Literal["actionable", "standard", "not_tested", "no_result", "no_recommendation"] = Field(
        description="actionable: the recommendation departs from usual care (its rule's changes_care); standard: "
        "the recommendation supports usual care; not_tested: a gene the drug needs was not examined (no input "
        "covered it), so no genotype-based advice can be given; no_result: a gene was examined but could not be "
        "called and the guideline has no rule for that; no_recommendation: the guideline gives none for this result."
    )
    population: str | None = None
    implication: str | None = None
    recommendation: str | None = None
    strength: str | None = None
    basis: list[GeneBasis] = Field(default_factory=list)
    guideline: Citation | None = None
    evidence: Evidence | None = None
    untested_genes: list[str] = Field(
        default_factory=list, description="Genes of this drug that were not examined (see GeneResult.tested)."
    )
    testing_advice: str | None = Field(
        default=None,
        description="When a gene was not tested and a cited source advises testing it before prescribing: that "
        "advice, in TailorMed's words.",
    )
    testing_advice_sources: list[Citation] = Field(
        default_factory=list, description="The sources of testing_advice (also listed in evidence.citations)."
    )
    warnings: list[Warning] = Field(default_factory=list)
    in_medication_list: bool = False


class PgxResult(Record):
    """One sample's pharmacogenomic result: the document behind ``<sample>.json``."""

    schema_version: str = PGX_SCHEMA_VERSION
    sample: str
    genes: list[GeneResult]
    drugs: list[DrugRecommendation]
    warnings: list[Warning] = Field(default_factory=list)
    provenance: Provenance
    disclaimers: list[str] = Field(default_factory=list)


def format_score(score: float) -> str:
    """Activity scores as CPIC writes them: ``1.5``, ``2.0``, ``0.0``."""
    text = f"{score:.2f}".rstrip("0")
    return text + "0" if text.endswith(".") else text
