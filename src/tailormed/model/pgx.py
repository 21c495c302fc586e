"""Pharmacogenomic results: genotypes, diplotypes, phenotypes and drug recommendations."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PrivateAttr

from tailormed.model.common import Citation, Provenance, Record, Warning
from tailormed.model.patient import Sex

PGX_SCHEMA_VERSION = "2.2"

RecommendedAction = Literal["avoid", "prefer_alternative", "change_dose", "extra_care"]
"""What a recommendation that departs from usual care asks of the prescriber, curated per row (``action`` in a
drug file): ``avoid`` (do not use the drug, or only where nothing else will do: the guideline's "avoid", "do not
use", "contraindicated", "select an alternative drug"); ``prefer_alternative`` (another drug is suggested, with a
way to use this one: "consider an alternative ... if still chosen, ..."); ``change_dose`` (a different starting dose,
limit or titration); ``extra_care`` (a test, monitoring or counselling before or while using the drug at the usual
dose). CDS Hooks cards take their ``critical`` indicator from ``avoid`` alone."""

CallSource = Literal["vcf", "outside_call", "none"]


class EvidenceRef(Record):
    """Where a result came from: the knowledge record and the ids of its sources (listed once per document in
    ``PgxResult.citations``, or in the run's ``knowledge.json``)."""

    knowledge_pack: str = Field(description="Pack name and version, e.g. 'pgx-core 2026.11.0'.")
    record: str = Field(description="The record used, e.g. 'pgx-core:genes/CYP2C19.yaml' or 'drugs/clopidogrel.yaml'.")
    citations: list[str] = Field(default_factory=list, description="Ids of the sources (Citation.id).")


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
    filter: str | None = Field(default=None, description="The VCF FILTER value when the site did not pass; its "
                               "genotype was used as called (see the filtered_site warning).")

    @property
    def informative(self) -> bool:
        """Worth listing: no call, an allele other than the reference, or a FILTER. The others are homozygous
        (or hemizygous) reference, called or assumed."""
        return (self.status not in ("called", "assumed_reference") or self.filter is not None
                or any(a != self.ref for a in self.alleles))


class Diplotype(Record):
    """A pair of named alleles (or a single one for hemizygous genes)."""

    alleles: list[str] = Field(min_length=1, max_length=2)
    functions: list[str] = Field(default_factory=list)
    activity_values: list[float | None] = Field(default_factory=list)
    score: int = Field(default=0, description="Match score: defining positions observed (see docs/pgx-matching.md).")
    legacy_alleles: list[str] = Field(
        default_factory=list, description="Per allele, its legacy name where the gene has an earlier nomenclature "
        "readers still know (NAT2: '*12A' for *1), else the current name; empty when no allele has one.")

    @property
    def label(self) -> str:
        """``*1/*17`` (or ``*1`` when hemizygous)."""
        return "/".join(self.alleles)

    @property
    def legacy_label(self) -> str:
        """``*12A/*4`` for NAT2 ``*1/*4``; empty when no allele has a legacy name."""
        return "/".join(self.legacy_alleles)


class PhenoconversionEffect(Record):
    """One current medication that inhibits or induces a gene's enzyme, and what TailorMed did about it."""

    perpetrator: str = Field(description="The medication, as the knowledge pack names it (e.g. 'paroxetine').")
    enzyme: str
    effect: Literal["inhibitor", "inducer"]
    strength: Literal["strong", "moderate"]
    adjustment: Literal["activity_score_multiplied", "caution_only"] = Field(
        description="activity_score_multiplied: a cited rule multiplies the activity score (CYP2D6); caution_only: no "
        "cited rule adjusts the phenotype, so the interaction is reported and the genotype phenotype is kept.")
    multiplier: float | None = Field(default=None, description="The factor applied to the activity score, if any.")
    source: str = Field(description="Id of the source of the drug's class (strong/moderate inhibitor/inducer).")
    rule_sources: list[str] = Field(default_factory=list, description="Ids of the sources of the adjustment rule.")


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
    positions_examined: int = Field(default=0, description="Defining positions read for this gene (0 when the gene "
                                    "was not read from a VCF).")
    positions_assumed_reference: int = Field(
        default=0, description="Of those, positions absent from the VCF and assumed homozygous reference "
        "(--missing-as-ref).")
    genotypes: list[PositionGenotype] = Field(
        default_factory=list, description="Per-position genotypes: every examined position in a full document; in a "
        "compact one only the informative positions (a non-reference or unexpected allele, no call, a FILTER): "
        "the others were homozygous reference, called or assumed (see the two counts).")
    warnings: list[Warning] = Field(default_factory=list)
    evidence: EvidenceRef | None = None
    overridden_vcf_call: str | None = Field(
        default=None, description="The VCF-derived diplotype an outside call replaced, if any."
    )
    copy_number: int | None = Field(
        default=None, description="Total gene copies from a copy-number input (CYP2D6), which completed the VCF call "
        "(e.g. *1/*2 with 3 copies: *1x2/*2 or *1/*2x2); None when none was given.")
    adjusted_phenotype: str | None = Field(
        default=None,
        description="Phenotype after the current medications, where a cited rule adjusts it (CYP2D6 activity score "
        "multiplied for strong/moderate inhibitors); None when no rule applied. `phenotype` stays the "
        "genotype-predicted one. Used for advice only for the drugs the rule covers (see DrugRecommendation.basis).",
    )
    adjusted_activity_score: float | None = Field(
        default=None, description="Activity score after the current medications, when adjusted_phenotype is set.")
    phenoconversion: list[PhenoconversionEffect] = Field(
        default_factory=list,
        description="Listed current medications that inhibit or induce this gene's enzyme, applied or reported as a "
        "caution. Empty without a medication list. An untested gene is never given an adjusted phenotype.",
    )

    @property
    def diplotype_label(self) -> str:
        return self.diplotypes[0].label if self.diplotypes else ""

    @property
    def alternative_labels(self) -> list[str]:
        return [d.label for d in self.diplotypes[1:]]

    @property
    def legacy_diplotype_label(self) -> str:
        """The first diplotype in legacy names (``*12A/*5B``), or empty when its alleles have none."""
        return self.diplotypes[0].legacy_label if self.diplotypes else ""


class GeneBasis(Record):
    """The gene result a drug recommendation rests on."""

    gene: str
    diplotype: str = Field(description="The diplotype, with its legacy names in brackets where the gene has them, "
                           "e.g. '*1/*5 (legacy *12A/*5B)'.")
    phenotype: str | None
    activity_score: float | None = None
    matched_on: str = Field(default="", description="The lookup key that matched the rule, e.g. 'Poor Metabolizer'. "
                            "A compact document leaves it out where it equals `phenotype`.")
    phenotype_used: Literal["genotype", "adjusted"] = Field(
        default="genotype",
        description="adjusted: the rule was matched on the phenotype adjusted for current medications "
        "(adjusted_phenotype), not on the genotype-predicted `phenotype`.",
    )
    adjusted_phenotype: str | None = None
    adjusted_activity_score: float | None = None
    phenoconversion_note: str | None = Field(
        default=None, description="Why the adjusted phenotype was (or was not) used for this drug, in plain words.")


class WrittenForNote(Record):
    """A recommendation whose wording is written for one sex (the pack row's ``written_for``): which sex, and the
    cited note TailorMed shows for other patients."""

    sex: Literal["female", "male"] = Field(description="The sex the guideline's wording is written for.")
    other_patients: str = Field(description="The curated note for patients of another or unrecorded sex: that "
                                "the wording is written for `sex` (women or men), and what the cited source says "
                                "for the others.")
    sources: list[str] = Field(default_factory=list, description="Ids of the sources of other_patients.")

    @property
    def people(self) -> str:
        """Whom the wording is written for, as the notes say it: ``women`` or ``men``."""
        return "women" if self.sex == "female" else "men"


def written_for_note(written_for: WrittenForNote | None, sex: Sex) -> str | None:
    """The note a row carries for a patient of ``sex``: None when the wording is written for that sex (or for
    everyone); otherwise the patient's recorded sex, then the curated note (which says whom the wording is written
    for and what its source says for the others).

    >>> rule = WrittenForNote(sex="female", other_patients="Written for women. For men, see the source.")
    >>> written_for_note(rule, "female") is None
    True
    >>> written_for_note(rule, "male")
    'The patient is male. Written for women. For men, see the source.'
    >>> written_for_note(rule, "unknown")
    "The patient's sex is not recorded. Written for women. For men, see the source."
    """
    if written_for is None or sex == written_for.sex:
        return None
    patient = {"female": "The patient is female.", "male": "The patient is male.",
               "other": "The patient's recorded sex is other.", "unknown": "The patient's sex is not recorded."}[sex]
    return f"{patient} {written_for.other_patients}"


class DrugCall(Record):
    """What applies to one drug for this person: the facts of the row, with the guidance text by reference
    (``rule``). A compact document's drug rows are these; a full document's rows add the text
    (:class:`DrugRecommendation`)."""

    drug: str
    rule: str | None = Field(
        default=None, description="Id of the knowledge-pack recommendation applied: '<drug>#<n>', the n-th "
        "(from 1) recommendation of the drug's file; None when none applies (the row then says why in its status and "
        "warnings).")
    status: Literal["actionable", "standard", "not_tested", "no_result", "no_recommendation"] = Field(
        description="actionable: the recommendation departs from usual care (its rule's changes_care); standard: "
        "the recommendation supports usual care; not_tested: a gene the drug needs was not examined (no input "
        "covered it), so no genotype-based advice can be given; no_result: a gene was examined but could not be "
        "called and the guideline has no rule for that; no_recommendation: the guideline gives none for this result."
    )
    basis: list[GeneBasis] = Field(default_factory=list)
    untested_genes: list[str] = Field(
        default_factory=list, description="Genes of this drug that were not examined (see GeneResult.tested)."
    )
    testing_advice: str | None = Field(
        default=None,
        description="When a gene was not tested and a cited source advises testing it before prescribing: that "
        "advice, in TailorMed's words.",
    )
    testing_advice_sources: list[str] = Field(
        default_factory=list, description="Ids of the sources of testing_advice.")
    warnings: list[Warning] = Field(default_factory=list)
    in_medication_list: bool = False
    agreeing_rules: list[str] = Field(
        default_factory=list, description="Ids of other bodies' rules ('<drug>#dpwg<n>') that give the same action as "
        "this row for this result: shown with this row (\"DPWG: same action\") rather than as rows of their own.")
    phenoconversion: list[PhenoconversionEffect] = Field(
        default_factory=list,
        description="Current medications that act on an enzyme this drug's genes code for: applied to the basis "
        "(phenotype_used 'adjusted') or reported in warnings as a caution.",
    )
    written_for_note: str | None = Field(
        default=None, description="When the recommendation's wording is written for one sex (its rule's "
        "written_for) and the patient is not recorded as that sex: what it is written for, the patient's recorded "
        "sex and the cited note for other patients (written_for_note()). The recommendation is still shown.")


class AlternativeDrug(Record):
    """A drug the row's recommendation names as an alternative, with its RxNorm ingredient code."""

    drug: str
    rxnorm: str = Field(description="RxNorm ingredient RXCUI.")
    preferred: bool = Field(default=False, description="The guideline prefers this alternative.")


class DrugRecommendation(DrugCall):
    """What to do with one drug for this person, and why: the row's facts with the guidance text and sources."""

    drug_class: str | None = None
    genes: list[str]
    population: str | None = None
    implication: str | None = None
    recommendation: str | None = None
    strength: str | None = None
    guideline: str | None = Field(default=None, description="Id of the guideline's source (Citation.id).")
    guideline_body: Literal["CPIC", "DPWG"] = Field(
        default="CPIC", description="Whose recommendation the row is: CPIC (the pack's main guideline) or DPWG "
        "(Dutch Pharmacogenetics Working Group), shown beside CPIC's with its own source and status. In a compact "
        "document, the rule's (rule ids '<drug>#dpwg<n>').")
    compared_with_cpic: Literal["agrees", "differs", "no_cpic_row"] | None = Field(
        default=None, description="DPWG rows: the curated comparison with CPIC's recommendation for the same result "
        "(agrees: same action; differs: another action, see difference; no_cpic_row).")
    difference: str | None = Field(
        default=None, description="DPWG rows that differ from CPIC: how, in TailorMed's words.")
    agreeing_guidelines: list[str] = Field(
        default_factory=list, description="Citation ids of the guidelines of agreeing_rules (e.g. the DPWG guideline).")
    action: RecommendedAction | None = Field(
        default=None, description="actionable rows: what the recommendation asks (the rule's curated action: avoid, "
        "prefer_alternative, change_dose, extra_care); None for other statuses. In a compact document, read it from "
        "the rule in knowledge.json.")
    alternatives: list[AlternativeDrug] = Field(
        default_factory=list, description="Alternative drugs the row's recommendation names (CPIC rows), coded.")
    written_for: WrittenForNote | None = Field(
        default=None, description="When the recommendation's wording is written for one sex: which, and the cited "
        "note for other patients (the row's written_for_note applies it to this patient).")
    evidence: EvidenceRef | None = Field(
        default=None, description="The drug's record and every source of this row: guideline, the "
        "recommendation's own sources and those of testing_advice.")


class PgxResult(Record):
    """One sample's pharmacogenomic result with everything in it: ``pgx.json`` of ``tailormed analyze`` and
    ``<sample>.json`` of ``tailormed pgx call --full-evidence``."""

    schema_version: str = PGX_SCHEMA_VERSION
    detail: Literal["full"] = "full"
    sample: str
    sex: Sex = Field(default="unknown", description="The patient's recorded sex (the manifest's demographics), which "
                     "decides the drug rows' written_for_note; 'unknown' when none was given (pgx call without --sex).")
    medications: list[str] = Field(default_factory=list, description="The medication list given, if any.")
    genes: list[GeneResult]
    drugs: list[DrugRecommendation]
    warnings: list[Warning] = Field(default_factory=list)
    citations: list[Citation] = Field(
        default_factory=list, description="Every source the document refers to by id, once, sorted by id.")
    provenance: Provenance
    disclaimers: list[str] = Field(default_factory=list)
    _citation_index: dict[str, Citation] = PrivateAttr(default_factory=dict)

    def citation(self, source_id: str) -> Citation:
        """The document's citation with this id."""
        if len(self._citation_index) != len(self.citations):
            self._citation_index = {c.id: c for c in self.citations}
        return self._citation_index[source_id]


class PgxCompactResult(Record):
    """One sample's result with the guidance text and sources by reference: ``<sample>.json`` of ``tailormed pgx
    call`` (the default). Rows name their recommendation (``rule``) and sources by id; the run's ``knowledge.json``
    (:class:`PgxKnowledge`) holds them, and each gene's evidence, once for every sample. Only informative
    per-position genotypes are listed. Fields at their default value (null, false, 0, an empty list, 'genotype')
    are left out."""

    schema_version: str = Field(description="Written always (no default, unlike the fields left out).")
    detail: Literal["compact"]
    sample: str
    knowledge_file: str = Field(description="The PgxKnowledge document of the run, relative to this file: "
                                "'knowledge.json'.")
    sex: Sex = Field(default="unknown", description="The patient's recorded sex, as in the full document.")
    medications: list[str] = Field(default_factory=list, description="The medication list given, if any.")
    genes: list[GeneResult]
    drugs: list[DrugCall]
    warnings: list[Warning] = Field(default_factory=list)
    provenance: Provenance
    disclaimers: list[str] = Field(default_factory=list)


class DrugKnowledge(Record):
    """One drug of the knowledge pack: what every row of it shares."""

    drug: str
    drug_class: str | None = None
    genes: list[str]
    guideline: str = Field(description="Id of the guideline's source.")
    record: str = Field(description="The pack record, e.g. 'drugs/clopidogrel.yaml'.")


class RuleKnowledge(Record):
    """One recommendation of the knowledge pack, as a drug row shows it."""

    id: str = Field(description="'<drug>#<n>': the n-th CPIC recommendation (from 1) of the drug's file; "
                    "'<drug>#dpwg<n>': the n-th DPWG recommendation.")
    drug: str
    population: str | None = None
    implication: str
    recommendation: str
    strength: str | None = Field(default=None, description="CPIC's strength; None for DPWG rows (not graded so).")
    guideline_body: Literal["CPIC", "DPWG"] = "CPIC"
    compared_with_cpic: Literal["agrees", "differs", "no_cpic_row"] | None = None
    difference: str | None = Field(default=None, description="DPWG rows that differ from CPIC: how.")
    action: RecommendedAction | None = Field(
        default=None, description="Rules that depart from usual care: what they ask (avoid, prefer_alternative, "
        "change_dose, extra_care); a drug row whose status is actionable carries it.")
    alternatives: list[AlternativeDrug] = Field(
        default_factory=list, description="Alternative drugs the recommendation names (CPIC rows), coded.")
    written_for: WrittenForNote | None = Field(
        default=None, description="When the wording is written for one sex: which, and the note for other patients.")
    citations: list[str] = Field(description="Ids of its sources: the guideline, then the recommendation's own.")


class GeneKnowledge(Record):
    """One gene of the knowledge pack: the record and sources a gene result rests on."""

    gene: str
    evidence: EvidenceRef


class PgxKnowledge(Record):
    """The guidance text and sources that compact documents refer to: ``knowledge.json``, once per run.

    A compact drug row expands to the full one as: the row, plus ``drug_class``, ``genes`` and ``guideline`` of
    its drug, plus ``population``, ``implication``, ``recommendation``, ``strength`` and ``alternatives`` of its
    rule; its ``evidence`` is the drug's ``record`` with the rule's citations (the guideline alone without a rule)
    followed by the row's ``testing_advice_sources``. A compact gene result's ``evidence`` is its gene's here.
    """

    schema_version: str = PGX_SCHEMA_VERSION
    knowledge: list[str] = Field(description="Every pack used, 'name version (date)'.")
    knowledge_pack: str = Field(description="The label rows' evidence carries, e.g. 'pgx-core 2026.11.0'.")
    genes: list[GeneKnowledge]
    drugs: list[DrugKnowledge]
    rules: list[RuleKnowledge]
    citations: list[Citation]


def format_score(score: float) -> str:
    """Activity scores as CPIC writes them: ``1.5``, ``2.0``, ``0.0``."""
    text = f"{score:.2f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def format_activity_score(score: float) -> str:
    """An activity score as CPIC writes it (``1.0``, ``0``, ``1.5``), with every digit of one that is not a quarter
    step, such as a score adjusted for a moderate inhibitor (``0.625``).

    >>> [format_activity_score(s) for s in (1.0, 0.0, 0.5, 0.625)]
    ['1.0', '0', '0.5', '0.625']
    """
    if abs(score * 4 - round(score * 4)) < 1e-9:
        return "0" if abs(score) < 1e-9 else format_score(score)
    return f"{score:g}"
