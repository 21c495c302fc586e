"""Schemas of knowledge-pack files (pydantic v2).

A pack is a folder with ``manifest.yaml``; a pharmacogenomics pack adds
``genes/<GENE>.yaml`` (allele definitions, functions, phenotype rules) and
``drugs/<drug>.yaml`` (recommendations per phenotype).  Every clinical record
names the sources it rests on; a source is declared once, either in the
manifest or in the file that uses it, and referenced by its ``id``.
See ``docs/knowledge-packs.md`` for the full description.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tailormed.model.pgx import RecommendedAction

_BASES = re.compile(r"^[ACGTN]+$|^<DEL>$|^-$")
_IUPAC_BASE = re.compile(r"^[ACGTRYSWKMBDHVN]$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    """A publication, label, database release or guideline that a record cites."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    citation: str = Field(min_length=10)
    url: str | None = None
    version: str | None = None
    date: str | None = None
    licence: str = "cited for facts; wording ours"


class Manifest(_Strict):
    """``manifest.yaml``: who made the pack, when, from what, under which licence."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    version: str
    date: date
    kind: Literal["pgx", "onco", "risk"]
    description: str
    licence: str
    curators: list[str] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list)
    base: str | None = Field(
        default=None,
        description="Name of a pack this one overlays (e.g. an imported allele set over pgx-core).",
    )


# --------------------------------------------------------------------------- genes

FunctionLabel = str
"""Allele function in CPIC's vocabulary, e.g. ``No function``, ``Decreased function``."""


class VariantDefinition(_Strict):
    """One defining position of a gene, GRCh38, 1-based, VCF-normalised (left-aligned, anchor base for indels)."""

    id: str = Field(description="Stable key used by allele definitions: an rsID or an HGVS-like name.")
    position: int = Field(gt=0)
    ref: str
    alt: list[str] = Field(min_length=1)
    label: str | None = Field(default=None, description="Common name, e.g. c.1905+1G>A or p.R144C.")
    rsid: str | None = None

    @field_validator("ref")
    @classmethod
    def _ref_is_bases(cls, value: str) -> str:
        if not _BASES.match(value):
            raise ValueError(f"ref {value!r} must be A/C/G/T/N bases")
        return value

    @field_validator("alt")
    @classmethod
    def _alts_are_bases(cls, value: list[str]) -> list[str]:
        for alt in value:
            if not _BASES.match(alt):
                raise ValueError(f"alt {alt!r} must be A/C/G/T/N bases")
        return value


class AlleleDefinition(_Strict):
    """A named allele: the bases that differ from the reference allele at defining positions.

    Positions not listed carry the reference base.  A single IUPAC ambiguity
    code (e.g. ``R``) is allowed for SNVs where the definition accepts either base.
    """

    name: str
    defining: dict[str, str] = Field(default_factory=dict, description="variant id -> allele (bases)")
    function: FunctionLabel
    activity_value: float | None = None
    label: str | None = Field(default=None, description="Common name, e.g. c.1679T>G (*13).")
    legacy_names: list[str] = Field(
        default_factory=list, description="Names the allele had in an earlier nomenclature that readers still know "
        "(e.g. NAT2*1 = legacy *12A); the first is shown beside the current name in reports.")
    sources: list[str] = Field(default_factory=list)
    note: str | None = None
    proxy_for: str | None = Field(
        default=None,
        description="independent_variants genes: this allele only tags another (e.g. DPYD c.1236G>A for "
        "c.1129-5923C>G). It is not counted when the tagged allele is found, nor when the tagged position was "
        "genotyped and found reference; it stands in for it only when that position is missing.",
    )
    structural: bool = Field(
        default=False,
        description="Defined by a structural change a VCF of small variants cannot show (CYP2D6*5 gene deletion, "
        "CYP2D6/CYP2D7 hybrids such as *13, *36, *68): never matched from a VCF; known so that copy-number input and "
        "outside calls naming it get its function and activity value.",
    )

    @model_validator(mode="after")
    def _structural_has_no_positions(self) -> AlleleDefinition:
        if self.structural and self.defining:
            raise ValueError(f"{self.name}: a structural allele lists no defining positions")
        return self


class FunctionPairRule(_Strict):
    """Phenotype of a diplotype (two functions, unordered) or a hemizygous haplotype (one function)."""

    functions: list[FunctionLabel] = Field(min_length=1, max_length=2)
    phenotype: str


class ActivityRange(_Strict):
    """Phenotype for an activity score in ``[min, max]`` (inclusive)."""

    min: float
    max: float
    phenotype: str

    @model_validator(mode="after")
    def _ordered(self) -> ActivityRange:
        if self.min > self.max:
            raise ValueError(f"activity range min {self.min} > max {self.max}")
        return self


class GeneDefinition(_Strict):
    """``genes/<GENE>.yaml``."""

    gene: str
    chromosome: str = Field(pattern=r"^chr([0-9]{1,2}|X|Y|M)$")
    genome_build: Literal["GRCh38"] = "GRCh38"
    inheritance: Literal["autosomal", "x_linked", "mitochondrial"] = "autosomal"
    phenotype_method: Literal["function", "activity_score", "allele_presence"]
    matching: Literal["haplotype", "core_variants", "independent_variants", "outside_call_only"] = "haplotype"
    """``haplotype``: an allele is a full haplotype over the defining positions; ``core_variants``: an allele is its
    core variants, and a haplotype carrying them (with other variants) is that allele (PharmVar core alleles, as for
    CYP2D6's full allele set; ``docs/pgx-matching.md``)."""
    reference_allele: str | None = None
    alleles_of_interest: list[str] = Field(
        default_factory=list, description="allele_presence genes: alleles reported as positive/negative."
    )
    description: str | None = None
    sources: list[Source | str] = Field(default_factory=list)
    variants: list[VariantDefinition] = Field(default_factory=list)
    alleles: list[AlleleDefinition] = Field(default_factory=list)
    phenotype_rules: list[FunctionPairRule] = Field(default_factory=list)
    activity_phenotypes: list[ActivityRange] = Field(default_factory=list)
    grch37_checks: list[GRCh37Check] = Field(
        default_factory=list,
        description="Positions whose GRCh38 reference base differs from the GRCh37 base at the same "
        "coordinate; used to detect GRCh37 input.",
    )
    notes: list[str] = Field(default_factory=list)
    structural_variation: str | None = Field(
        default=None,
        description="What a VCF of small variants cannot show for this gene (CYP2D6: *5 deletion, xN duplications, "
        "*13/*36/*68 hybrids). Every VCF call without a copy-number input carries it as a "
        "'structural_variation_not_assessed' warning.",
    )
    vcf_caveat: str | None = Field(
        default=None,
        description="Shown as a warning on every call made from a VCF (e.g. CYP2D6: copy number is not visible).",
    )

    @model_validator(mode="after")
    def _consistent(self) -> GeneDefinition:
        variant_ids = {v.id for v in self.variants}
        if len(variant_ids) != len(self.variants):
            raise ValueError(f"{self.gene}: duplicate variant ids")
        names = [a.name for a in self.alleles]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.gene}: duplicate allele names")
        by_id = {v.id: v for v in self.variants}
        for allele in self.alleles:
            for vid, base in allele.defining.items():
                if vid not in by_id:
                    raise ValueError(f"{self.gene} {allele.name}: unknown variant id {vid!r}")
                variant = by_id[vid]
                if base not in (variant.ref, *variant.alt) and not _IUPAC_BASE.match(base):
                    raise ValueError(
                        f"{self.gene} {allele.name}: {vid} allele {base!r} is neither ref "
                        f"{variant.ref!r} nor an alt {variant.alt}"
                    )
        if self.matching in ("haplotype", "core_variants") and self.alleles and self.reference_allele not in names:
            raise ValueError(f"{self.gene}: reference_allele {self.reference_allele!r} is not defined")
        if self.phenotype_method == "activity_score" and not self.activity_phenotypes:
            raise ValueError(f"{self.gene}: activity_score genes need activity_phenotypes")
            # Alleles of uncertain function carry no activity value; diplotypes with them are Indeterminate.
        if self.phenotype_method == "function" and self.alleles and not self.phenotype_rules:
            raise ValueError(f"{self.gene}: function genes need phenotype_rules")
        return self


class GRCh37Check(_Strict):
    """A coordinate where GRCh37 and GRCh38 differ in reference base."""

    position: int
    grch38_ref: str
    grch37_ref: str


GeneDefinition.model_rebuild()

# --------------------------------------------------------------------------- drugs

Strength = Literal["Strong", "Moderate", "Optional", "No recommendation", "Not recorded"]
"""CPIC classification; ``Not recorded`` marks a row whose action is confirmed but whose grade we could not confirm."""


class GeneCondition(_Strict):
    """What one gene's result must be for a recommendation to apply (any listed value matches)."""

    phenotype: list[str] | None = None
    activity_score: list[float] | None = None
    allele_status: list[str] | None = Field(
        default=None, description="allele_presence genes, e.g. '*57:01 positive'."
    )

    @model_validator(mode="after")
    def _one_kind(self) -> GeneCondition:
        kinds = [k for k in (self.phenotype, self.activity_score, self.allele_status) if k is not None]
        if len(kinds) != 1:
            raise ValueError("give exactly one of phenotype, activity_score, allele_status")
        return self


class Alternative(_Strict):
    """A drug the recommendation itself names as an alternative (``alternatives:`` of a CPIC row).

    Written as a pack drug's name (its RxNorm ingredient code then comes from ``rxnorm.tsv``), or as a mapping with
    ``drug``, ``rxnorm`` (the ingredient RXCUI) and ``source`` for a drug the pack has no file for. Only drugs the
    guideline's recommendation names; never inferred.
    """

    drug: str = Field(min_length=2)
    rxnorm: str | None = Field(default=None, pattern=r"^[0-9]+$",
                               description="RxNorm ingredient RXCUI; required for a drug outside the pack.")
    source: str | None = Field(default=None, description="Where the RXCUI was read (required with rxnorm).")
    preferred: bool = Field(default=False, description="True only when the guideline prefers this alternative.")

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, data: object) -> object:
        return {"drug": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _code_has_source(self) -> Alternative:
        if self.rxnorm is not None and not self.source:
            raise ValueError("an alternative's rxnorm code needs a source")
        return self


WrittenForSex = Literal["female", "male"]
"""The sexes a recommendation's wording can be written for."""


class WrittenFor(_Strict):
    """Which patients a recommendation's wording is written for, and what a cited source says for the others.

    Example: CPIC's tamoxifen alternatives name pre- and postmenopausal women; for a man (or a patient whose sex is
    not recorded) the row is still shown, with ``other_patients`` beside it. Only the keys below are allowed."""

    sex: WrittenForSex = Field(description="The sex the guideline's wording of this row is written for.")
    other_patients: str = Field(
        min_length=40, description="For patients of another or unrecorded sex: that the wording is written for "
        "these patients, and what the cited source says for the others, in TailorMed's words.")
    sources: list[str] = Field(min_length=1, description="ids of the sources of other_patients.")

    @model_validator(mode="after")
    def _says_whom(self) -> WrittenFor:
        people = {"female": "written for women", "male": "written for men"}[self.sex]
        if people not in self.other_patients:
            raise ValueError(f"other_patients must say plainly that the wording is {people!r}")
        return self


def _check_action(changes_care: bool, action: RecommendedAction | None) -> None:
    """A row that departs from usual care says what it asks (action); a usual-care row has none."""
    if changes_care and action is None:
        raise ValueError("a recommendation with changes_care: true needs an action (avoid, prefer_alternative, "
                         "change_dose or extra_care)")
    if not changes_care and action is not None:
        raise ValueError(f"action {action!r} is only for a recommendation with changes_care: true")


class Recommendation(_Strict):
    """One row of a guideline's recommendation table, in our own wording."""

    when: dict[str, GeneCondition] = Field(min_length=1)
    population: str | None = Field(default=None, description="e.g. 'adults', 'pediatric', 'ACS/PCI'.")
    implication: str
    recommendation: str
    strength: Strength
    changes_care: bool = Field(
        description="Required. True when the recommendation departs from usual prescribing: a dose change, an "
        "alternative drug, avoid, or a test or monitoring beyond usual care before or while using the drug. False "
        "when it keeps usual care (label or standard dosing, 'no reason to avoid', usual starting dose). The "
        "report's status comes from this field (docs/knowledge-packs.md gives the rule).",
    )
    action: RecommendedAction | None = Field(
        default=None, description="Required when changes_care is true, absent otherwise: what the recommendation "
        "asks (avoid, prefer_alternative, change_dose, extra_care; model.pgx.RecommendedAction says which wording "
        "each covers). CDS Hooks cards are critical only for avoid.")
    alternatives_considered: bool | None = Field(
        default=None, description="True when the guideline suggests considering an alternative drug.")
    alternatives: list[Alternative] = Field(
        default_factory=list, description="The alternative drugs the recommendation names, machine-readable (CDS "
        "Hooks cards offer to replace the order by one). Only what the guideline's recommendation names.")
    written_for: WrittenFor | None = Field(
        default=None, description="When the wording is written for one sex only: which, and the cited note shown "
        "for other patients (docs/knowledge-packs.md).")
    sources: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _action_stated(self) -> Recommendation:
        _check_action(self.changes_care, self.action)
        return self


class PretreatmentTesting(_Strict):
    """A cited source's advice to test a gene before the drug is first prescribed.

    Shown when that gene was not examined; never used to derive a recommendation.
    """

    genes: list[str] = Field(min_length=1, description="Genes the source advises testing before prescribing.")
    advice: str = Field(min_length=10, description="The advice, in TailorMed's own words.")
    sources: list[str] = Field(min_length=1, description="ids of the sources that give the advice.")


GuidelineBody = Literal["DPWG"]
"""Guideline bodies whose recommendations a drug file may carry beside CPIC's (Dutch Pharmacogenetics Working
Group of the KNMP)."""

Comparison = Literal["agrees", "differs", "no_cpic_row"]
"""How a recommendation of another body compares with CPIC's for the same result: ``agrees`` (the same action),
``differs`` (a different action, e.g. another dose or another drug choice), ``no_cpic_row`` (CPIC has no row for
this result or population)."""


class OtherRecommendation(_Strict):
    """One row of another body's guideline (e.g. DPWG), in our own wording, matched like a CPIC row.

    Its status comes from its own content (``changes_care``), never from CPIC's row for the same result.
    """

    when: dict[str, GeneCondition] = Field(min_length=1)
    population: str | None = None
    implication: str = Field(min_length=10)
    recommendation: str = Field(min_length=10)
    changes_care: bool = Field(description="Required, as for a CPIC row: does this recommendation depart from usual "
                               "care (dose change, other drug, avoid, extra test or monitoring)?")
    action: RecommendedAction | None = Field(
        default=None, description="As for a CPIC row: required when changes_care is true, absent otherwise.")
    compared_with_cpic: Comparison
    difference: str | None = Field(
        default=None, description="Required when compared_with_cpic is 'differs': what differs, in our words.")
    written_for: WrittenFor | None = Field(
        default=None, description="As for a CPIC row: the sex the wording is written for and the note for others.")
    sources: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _difference_stated(self) -> OtherRecommendation:
        if self.compared_with_cpic == "differs" and not self.difference:
            raise ValueError("a recommendation that differs from CPIC's must say how (difference)")
        _check_action(self.changes_care, self.action)
        return self


class OtherGuideline(_Strict):
    """Another body's guideline for the drug: its source, when it was read, and its rows."""

    body: GuidelineBody
    guideline: str = Field(description="id of the Source describing the guideline publication.")
    read: str = Field(min_length=10, description="Where and when the recommendations were read (e.g. the "
                      "ClinPGx/PharmGKB annotation and its version, and the date).")
    genes: list[str] = Field(min_length=1, description="The genes this guideline concerns (a subset of the drug's).")
    recommendations: list[OtherRecommendation] = Field(min_length=1)
    notes: list[str] = Field(default_factory=list)


class DrugGuidance(_Strict):
    """``drugs/<drug>.yaml``: one drug, the genes it depends on and the recommendations."""

    drug: str
    drug_class: str | None = None
    rxnorm: str | None = None
    genes: list[str] = Field(min_length=1)
    guideline: str = Field(description="id of the Source describing the guideline (name, version).")
    sources: list[Source | str] = Field(default_factory=list)
    recommendations: list[Recommendation]
    test_before_prescribing: PretreatmentTesting | None = Field(
        default=None, description="Cited advice to test a gene before prescribing (shown when it was not tested).")
    other_guidelines: list[OtherGuideline] = Field(
        default_factory=list, description="Other bodies' guidelines for this drug (DPWG), shown beside CPIC's.")
    notes: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _genes_match(self) -> DrugGuidance:
        for rec in self.recommendations:
            unknown = set(rec.when) - set(self.genes)
            if unknown:
                raise ValueError(f"{self.drug}: condition on genes {sorted(unknown)} not in genes {self.genes}")
        if self.test_before_prescribing is not None:
            unknown = set(self.test_before_prescribing.genes) - set(self.genes)
            if unknown:
                raise ValueError(f"{self.drug}: test_before_prescribing names genes {sorted(unknown)} "
                                 f"not in genes {self.genes}")
        bodies = [o.body for o in self.other_guidelines]
        if len(set(bodies)) != len(bodies):
            raise ValueError(f"{self.drug}: a guideline body is listed twice in other_guidelines")
        for other in self.other_guidelines:
            unknown = set(other.genes) - set(self.genes)
            if unknown:
                raise ValueError(f"{self.drug}: {other.body} guideline names genes {sorted(unknown)} not in genes "
                                 f"{self.genes}")
            for other_rec in other.recommendations:
                unknown = set(other_rec.when) - set(other.genes)
                if unknown:
                    raise ValueError(f"{self.drug}: {other.body} condition on genes {sorted(unknown)} not in its "
                                     f"genes {other.genes}")
        return self

# --------------------------------------------------------------------------- phenoconversion

PhenoconversionEnzyme = Literal["CYP2D6", "CYP2C19", "CYP2C9"]
"""The enzymes whose phenotype a current medication may change (phenoconversion)."""

PerpetratorEffect = Literal["inhibitor", "inducer"]
PerpetratorStrength = Literal["strong", "moderate"]
"""FDA's classes of clinical inhibitors and inducers that TailorMed lists (weak ones are not listed)."""


class Perpetrator(_Strict):
    """A drug that inhibits or induces one enzyme, with its FDA class and the check that was made."""

    drug: str = Field(pattern=r"^[a-z0-9][a-z0-9 ./-]*$", description="Generic name, lowercase.")
    aliases: list[str] = Field(default_factory=list, description="Other generic names (e.g. rifampicin).")
    enzyme: PhenoconversionEnzyme
    effect: PerpetratorEffect
    strength: PerpetratorStrength
    source: str = Field(description="id of the source that classifies it (the FDA table).")
    checked: str = Field(min_length=10, description="How the entry was checked against the source.")
    note: str | None = None

    @field_validator("aliases")
    @classmethod
    def _lowercase_aliases(cls, value: list[str]) -> list[str]:
        for alias in value:
            if alias != alias.strip().lower() or not alias:
                raise ValueError(f"alias {alias!r} must be a lowercase generic name")
        return value

    @property
    def names(self) -> tuple[str, ...]:
        """Every name a medication list may use for this drug (lowercase)."""
        return (self.drug, *self.aliases)


class ScoreBand(_Strict):
    """A phenotype for an activity score in a range; either end may be open or exclusive."""

    phenotype: str
    min: float = Field(ge=0)
    max: float | None = Field(default=None, description="None: no upper bound.")
    min_inclusive: bool = True
    max_inclusive: bool = True

    @model_validator(mode="after")
    def _ordered(self) -> ScoreBand:
        if self.max is not None and self.min > self.max:
            raise ValueError(f"band min {self.min} > max {self.max}")
        return self

    def contains(self, score: float) -> bool:
        """True when ``score`` lies in the band (to 1e-9)."""
        above = score > self.min + 1e-9 or (self.min_inclusive and abs(score - self.min) <= 1e-9)
        if self.max is None:
            return above
        below = score < self.max - 1e-9 or (self.max_inclusive and abs(score - self.max) <= 1e-9)
        return above and below


class PhenoconversionRule(_Strict):
    """How listed perpetrators change one enzyme's phenotype for advice, with the sources that give the rule.

    ``activity_score_multiplier``: the genotype activity score is multiplied by the inhibitor's multiplier and
    converted with ``phenotype_bands``, for the drugs in ``applies_to_drugs`` only. ``caution_only``: no cited rule
    adjusts the phenotype; a listed perpetrator is reported as a caution on the enzyme's drugs.
    """

    enzyme: PhenoconversionEnzyme
    method: Literal["activity_score_multiplier", "caution_only"]
    multipliers: dict[PerpetratorStrength, float] = Field(
        default_factory=dict, description="activity_score_multiplier: inhibitor strength -> factor on the score.")
    phenotype_bands: list[ScoreBand] = Field(default_factory=list)
    applies_to_drugs: list[str] = Field(
        default_factory=list, description="Drugs whose advice uses the adjusted phenotype (the cited rule's scope).")
    sources: list[str] = Field(min_length=1)
    notes: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _complete(self) -> PhenoconversionRule:
        if self.method == "activity_score_multiplier":
            if not self.multipliers or not self.phenotype_bands or not self.applies_to_drugs:
                raise ValueError(f"{self.enzyme}: activity_score_multiplier needs multipliers, phenotype_bands and "
                                 "applies_to_drugs")
            for strength, factor in self.multipliers.items():
                if not 0.0 <= factor <= 1.0:
                    raise ValueError(f"{self.enzyme}: {strength} inhibitor multiplier {factor} is not in [0, 1]")
        elif self.multipliers or self.phenotype_bands or self.applies_to_drugs:
            raise ValueError(f"{self.enzyme}: caution_only takes no multipliers, phenotype_bands or applies_to_drugs")
        return self

    def phenotype_for(self, score: float) -> str | None:
        """The phenotype band that holds ``score`` (None when no band does)."""
        return next((b.phenotype for b in self.phenotype_bands if b.contains(score)), None)


class PhenoconversionKnowledge(_Strict):
    """``phenoconversion.yaml``: listed perpetrators and the rules that turn them into an adjusted phenotype."""

    sources: list[Source | str] = Field(default_factory=list)
    rules: list[PhenoconversionRule] = Field(min_length=1)
    perpetrators: list[Perpetrator] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> PhenoconversionKnowledge:
        enzymes = [r.enzyme for r in self.rules]
        if len(set(enzymes)) != len(enzymes):
            raise ValueError("an enzyme has more than one rule")
        seen: set[tuple[str, str]] = set()
        for p in self.perpetrators:
            if p.enzyme not in enzymes:
                raise ValueError(f"perpetrator {p.drug}: no rule for {p.enzyme}")
            for name in p.names:
                if (name, p.enzyme) in seen:
                    raise ValueError(f"perpetrator {name} listed twice for {p.enzyme}")
                seen.add((name, p.enzyme))
        return self

    def rule(self, enzyme: str) -> PhenoconversionRule | None:
        return next((r for r in self.rules if r.enzyme == enzyme), None)
