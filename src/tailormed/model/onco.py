"""Tumour profiles and oncology results (schema ``docs/onco-result.schema.json``)."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from tailormed.model.alterations import IHC_INTENSITIES, IHC_MARKERS, ihc_key
from tailormed.model.common import Citation, Provenance, Record, Warning
from tailormed.model.hla import parse_hla_allele

ONCO_SCHEMA_VERSION = "1.3"
GRCH38_GENOME_MB = 3_100.0
"""Upper bound of a callable territory, Mb: the whole GRCh38 assembly (3,099.7 Mb with unplaced contigs), rounded up."""
LONGEST_GRCH38_CHROMOSOME = 248_956_422
"""Length of chr1, the longest GRCh38 sequence: no GRCh38 position or BED coordinate lies beyond it."""

Consequence = Literal[
    "missense", "nonsense", "frameshift", "inframe_deletion", "inframe_insertion", "splice_site", "splice_region",
    "start_lost", "stop_lost", "synonymous", "noncoding", "other",
]
PROTEIN_ALTERING: frozenset[str] = frozenset({
    "missense", "nonsense", "frameshift", "inframe_deletion", "inframe_insertion", "splice_site", "start_lost",
    "stop_lost",
})
TRUNCATING: frozenset[str] = frozenset({"nonsense", "frameshift", "splice_site", "start_lost"})
Tier = Literal["I-A", "I-B", "II-C", "II-D", "III", "IV"]
TIER_ORDER: dict[str, int] = {"I-A": 0, "I-B": 1, "II-C": 2, "II-D": 3, "III": 4, "IV": 5}
LineOfTherapy = Literal["adjuvant", "consolidation", "first", "later"]
"""What a record's setting says about when the therapy is given (docs/onco.md): ``adjuvant`` ((neo)adjuvant or
perioperative treatment of resectable, non-metastatic disease), ``consolidation`` (after chemoradiation of
unresectable, non-metastatic disease), ``first`` (first line), ``later`` (after prior therapy)."""
NON_METASTATIC_LINES: frozenset[str] = frozenset({"adjuvant", "consolidation"})
LINE_LABELS: dict[str, str] = {
    "adjuvant": "adjuvant/perioperative (non-metastatic disease)",
    "consolidation": "consolidation after chemoradiation (non-metastatic disease)",
    "first": "first line", "later": "later line"}
"""How reports name each line of therapy: the two non-metastatic settings say so, so that neither is read as
first-line treatment of metastatic disease."""
DiseaseSetting = Literal["metastatic", "non-metastatic"]
ResistanceLevel = Literal["R1", "R2", "R3"]
"""Strength of resistance evidence in this tumour type (docs/onco.md): R1 label or guideline, R2 clinical studies,
R3 case reports or preclinical."""


class SomaticVariant(Record):
    """One small variant of the tumour (from a MAF row or a VCF record)."""

    gene: str
    protein_change: str | None = Field(default=None, description="One-letter HGVS p. without 'p.', e.g. V600E.")
    hgvsc: str | None = None
    consequence: Consequence
    chrom: str | None = None
    pos: int | None = Field(default=None, description="GRCh38, 1-based, VCF-style.")
    ref: str | None = None
    alt: str | None = None
    exon: int | None = None
    intron: int | None = None
    vaf: float | None = Field(default=None, ge=0, le=1)
    depth: int | None = Field(default=None, ge=0)
    origin: Literal["somatic", "germline"] = "somatic"
    clinical_significance: str | None = None
    source: str = Field(description="File and line (or record) the variant came from.")


class CopyNumberCall(Record):
    """A gene-level copy-number call."""

    gene: str
    call: Literal["amplification", "gain", "loss", "deep_deletion"]
    copy_number: float | None = None
    log2_ratio: float | None = None
    source: str


class Fusion(Record):
    """A fusion or other structural rearrangement involving one or two genes."""

    gene_a: str
    gene_b: str | None = Field(default=None, description="None for an intragenic event.")
    kind: Literal["fusion", "intragenic", "structural_variant"] = "fusion"
    description: str
    source: str


TMB_RANGE = (0.0, 1000.0)
"""Mutations per Mb a reported TMB may take. The top is a sanity bound above the highest burdens seen: the
ultra-hypermutated (replication-repair-deficient, POLE/MMR) cancers of Shlien et al., Nat Genet 2015;47:257-262,
reach but do not exceed about 20,000 exonic mutations (several hundred per Mb)."""
PDL1_RANGE = (0.0, 100.0)
"""Every PD-L1 scale is 0-100: TPS, TC, IC and TAP are percentages, and CPS, although its ratio can come out above
100, is capped at 100 by definition ("the maximum score is defined as CPS 100", PD-L1 IHC 22C3 pharmDx
interpretation manuals, Agilent/Dako). A report of CPS > 100 is written as 100."""


def _score(value: Any, low: float, high: float, what: str) -> float:
    """A finite number in ``low..high`` (a numeric string too: TSV values and YAML's ``1e308`` are strings)."""
    number: float | None = None
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        try:
            number = float(value)
        except (ValueError, OverflowError):
            number = None
    if number is None or not math.isfinite(number) or not low <= number <= high:
        raise PydanticCustomError("out_of_range", "must be a number {low}-{high}{what}, got {value}",
                                  {"low": f"{low:g}", "high": f"{high:g}", "what": what, "value": repr(value)})
    return number


PdL1Score = Annotated[float, BeforeValidator(lambda value: _score(value, *PDL1_RANGE,
                                                                   " (a percentage; CPS is capped at 100)"))]
IhcPercent = Annotated[float, BeforeValidator(lambda value: _score(value, 0.0, 100.0,
                                                                    " (a percentage of tumour cells)"))]
AGE_RANGE = (0.0, 130.0)
"""Years a patient's age may take (the patient manifest's bound)."""


def _hla_typing(value: Any) -> list[str]:
    """HLA alleles as a list (YAML) or one string separated by commas or spaces (TSV), each in WHO nomenclature
    (normalised: ``HLA-a*02:01`` -> ``A*02:01``); at most two alleles per locus."""
    if isinstance(value, str):
        items: list[Any] = [item for item in value.replace(",", " ").split() if item]
    elif isinstance(value, list):
        items = value
    else:
        raise PydanticCustomError("hla", "a list of HLA alleles (e.g. [A*02:01, A*24:02]), got {value}",
                                  {"value": repr(value)})
    names: list[str] = []
    per_locus: dict[str, list[str]] = {}
    for item in items:
        if not isinstance(item, str):
            raise PydanticCustomError("hla", "an HLA allele is text such as A*02:01, got {value}",
                                      {"value": repr(item)})
        try:
            allele = parse_hla_allele(item)
        except ValueError as exc:
            raise PydanticCustomError("hla", "{reason}", {"reason": str(exc)}) from None
        per_locus.setdefault(allele.locus, []).append(allele.name)
        names.append(allele.name)
    for locus, alleles in per_locus.items():
        if len(alleles) > 2:
            raise PydanticCustomError("hla", "a person has two HLA-{locus} alleles, {count} given ({alleles})",
                                      {"locus": locus, "count": len(alleles), "alleles": ", ".join(alleles)})
    return names


class ClinicalBiomarkers(Record):
    """Biomarkers measured outside the sequencing (IHC, PCR, other labs)."""

    msi_status: Literal["MSI-H", "MSI-L", "MSS"] | None = None
    mmr_status: Literal["dMMR", "pMMR"] | None = None
    tmb: float | None = Field(default=None, ge=TMB_RANGE[0], le=TMB_RANGE[1],
                              description="Mutations/Mb measured elsewhere (0-1000).")
    pdl1: dict[str, PdL1Score] = Field(default_factory=dict,
                                       description="Scale (TPS, CPS, TC, IC, TAP) -> score (0-100).")
    her2_ihc: Literal["0", "0-ultralow", "1+", "2+", "3+"] | None = None
    her2_ish: Literal["amplified", "not amplified"] | None = None
    er: Literal["positive", "negative"] | None = None
    pr: Literal["positive", "negative"] | None = None
    hrd: Literal["positive", "negative"] | None = None
    ihc: dict[str, dict[Literal["1+", "2+", "3+"], IhcPercent]] = Field(
        default_factory=dict, description="IHC marker (FOLR1, CLDN18.2, c-MET, MAGE-A4) -> intensity (1+, 2+, 3+) -> "
        "percentage of tumour cells staining at that intensity or stronger (0-100).")
    hla: list[str] = Field(default_factory=list, description="The patient's HLA alleles in WHO nomenclature "
                           "(A*02:01, A*02:01:01G, A*02), two per typed locus (a homozygous allele twice).")
    age: float | None = Field(default=None, description="The patient's age in years (0-130), for trial matching.")
    sex: Literal["female", "male"] | None = Field(default=None, description="The patient's sex, for trial matching.")
    disease_setting: DiseaseSetting | None = Field(
        default=None, description="Whether the cancer is metastatic or not (non-metastatic: resectable or locally "
        "advanced), to tell options for another setting (adjuvant osimertinib for a metastatic tumour) apart.")

    @field_validator("tmb", mode="before")
    @classmethod
    def _tmb_in_range(cls, value: Any) -> Any:
        return None if value is None else _score(value, *TMB_RANGE, " mutations/Mb")

    @field_validator("age", mode="before")
    @classmethod
    def _age_in_range(cls, value: Any) -> Any:
        return None if value is None else _score(value, *AGE_RANGE, " years")

    @field_validator("sex", mode="before")
    @classmethod
    def _sex_words(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("disease_setting", mode="before")
    @classmethod
    def _setting_words(cls, value: Any) -> Any:
        return " ".join(value.strip().lower().replace("_", "-").split()) if isinstance(value, str) else value

    @field_validator("hla", mode="before")
    @classmethod
    def _hla_alleles(cls, value: Any) -> Any:
        return [] if value is None else _hla_typing(value)

    @model_validator(mode="after")
    def _ihc_consistent(self) -> ClinicalBiomarkers:
        for marker, scores in self.ihc.items():
            if marker not in IHC_MARKERS:
                raise ValueError(f"unknown IHC marker {marker!r} (known: {', '.join(sorted(IHC_MARKERS))})")
            given = [(i, scores[i]) for i in IHC_INTENSITIES if i in scores]
            for (weaker, low), (stronger, high) in zip(given, given[1:], strict=False):
                if high > low:
                    raise ValueError(
                        f"{ihc_key(marker, stronger)} ({high:g}%) exceeds {ihc_key(marker, weaker)} ({low:g}%): "
                        f"cells staining at {stronger} or stronger are among those staining at {weaker} or stronger")
        return self


class TumourProfile(Record):
    """Everything known about one tumour sample."""

    sample_id: str
    tumour_type: str = Field(description="OncoTree code.")
    variants: list[SomaticVariant] = Field(default_factory=list)
    copy_number: list[CopyNumberCall] = Field(default_factory=list)
    fusions: list[Fusion] = Field(default_factory=list)
    clinical: ClinicalBiomarkers = Field(default_factory=ClinicalBiomarkers)
    callable_mb: float | None = Field(default=None, gt=0, description="Callable coding territory for TMB, Mb.")


class MatchedEvidence(Record):
    """Which part of the tumour satisfied one alteration requirement."""

    requirement: str
    satisfied_by: list[str]
    inferred: bool = Field(default=False, description="True when satisfied by inference (e.g. wild type assumed, "
                                                      "dMMR inferred from MMR-gene alterations).")
    context: bool = Field(default=False, description="On a resistance option: the requirement sets the scene (the "
                          "EGFR mutation beside an acquired MET amplification) and is not what resists (schema 1.3).")


class UnknownRequirement(Record):
    """A requirement of a therapy record that the inputs leave undecided (a status that was not given)."""

    requirement: str = Field(description="The requirement as the record writes it, e.g. 'HR-positive'.")
    missing: str = Field(description="What the inputs do not say, e.g. 'ER/PR status not given'.")
    concerns: list[str] = Field(default_factory=list, description="Findings of the tumour the undecided requirement "
                                "is about, e.g. 'MET amplification' reported without a copy number (schema 1.3).")


class TherapyOption(Record):
    """One therapy the tumour's biomarkers point to, with its evidence."""

    therapy: str
    drugs: list[str]
    response: Literal["sensitive", "resistant"]
    tier: Tier
    evidence: str = Field(description="fda, guideline, clinical-trial, clinical-study, case-report or preclinical.")
    tumour_match: Literal["same", "other"] = Field(description="Whether the record covers this tumour type.")
    record_tumour_types: list[str]
    record_id: str
    knowledge_pack: str
    matched: list[MatchedEvidence]
    setting: str | None = None
    summary: str
    approval_date: str | None = None
    citations: list[Citation] = Field(default_factory=list)
    caveats: list[str] = Field(default_factory=list)
    unknown_requirements: list[UnknownRequirement] = Field(
        default_factory=list, description="Requirements whose status the inputs do not give: the option is "
        "conditional on them and is listed apart from options whose requirements are all met.")
    resistance_level: ResistanceLevel | None = Field(
        default=None, description="On a sensitivity option: the strongest resistance evidence in this tumour type "
        "that another alteration of the tumour gives against one of its drugs (record ids in resisted_by). On a "
        "resistance option: its own level. None: no resistance evidence in this tumour type.")
    resisted_by: list[str] = Field(default_factory=list, description="record_ids of the resistance options that "
                                                                     "set resistance_level on a sensitivity option.")
    line_of_therapy: LineOfTherapy | None = Field(
        default=None, description="Read from the setting: 'adjuvant' for (neo)adjuvant or perioperative use in "
        "resectable, non-metastatic disease only, 'consolidation' after chemoradiation of unresectable non-metastatic "
        "disease, 'first' when it includes first-line or newly diagnosed use, 'later' when only after prior therapy; "
        "None when the setting does not say (schema 1.3; 1.2 called the two non-metastatic settings 'first').")
    disease_setting_match: bool | None = Field(
        default=None, description="Whether the record's setting covers the patient's disease setting "
        "(clinical disease_setting): False for an adjuvant-only option and a metastatic tumour, or a "
        "metastatic-only option and a non-metastatic one (listed apart, with a caveat); None when either is not "
        "said (schema 1.3).")


class ReportedAlteration(Record):
    """An alteration of the tumour with its best tier and the therapies it points to."""

    label: str = Field(description="e.g. 'BRAF V600E', 'ERBB2 amplification', 'EML4::ALK fusion'.")
    gene: str | None
    kind: Literal["variant", "copy_number", "fusion", "signature"]
    tier: Tier
    oncogenic: bool = Field(description="Hotspot, truncating in a tumour suppressor, deep deletion of one, "
                                        "marked pathogenic by the input, or named specifically (not by a generic "
                                        "class) by a Tier I/II sensitivity record, e.g. an EGFR exon 19 deletion.")
    vaf: float | None = Field(default=None, description="Variant allele fraction (variants).")
    depth: int | None = Field(default=None, description="Read depth at the variant (variants).")
    copy_number: float | None = Field(default=None, description="Absolute copy number, when the input gives it "
                                                                "(copy-number calls).")
    log2_ratio: float | None = Field(default=None, description="log2 copy ratio, when the input gives it.")
    details: dict[str, str | float | int | None] = Field(default_factory=dict)
    therapies: list[str] = Field(default_factory=list, description="record_ids of therapy options citing it.")


class TmbResult(Record):
    """Tumour mutational burden computed from the somatic calls."""

    eligible_mutations: int
    callable_mb: float
    tmb: float = Field(description="Mutations per Mb.")
    ci95_low: float
    ci95_high: float
    high: bool = Field(description="TMB >= threshold.")
    threshold: float
    rule: str = Field(description="Counting rule and filters used.")
    excluded: dict[str, int] = Field(default_factory=dict, description="Reason -> count of calls not counted.")


class ImmunotherapySummary(Record):
    """Immunotherapy biomarkers and what they mean for checkpoint inhibitors."""

    tmb: TmbResult | None = None
    tmb_reported: float | None = None
    msi_status: str | None = None
    mmr_status: str | None = None
    mmr_gene_alterations: list[str] = Field(default_factory=list)
    mmr_inference: str | None = None
    polymerase_mutations: list[str] = Field(default_factory=list)
    pdl1: dict[str, float] = Field(default_factory=dict)
    findings: list[str] = Field(default_factory=list, description="Plain statements for the report.")
    checkpoint_options: list[str] = Field(default_factory=list,
                                          description="record_ids of checkpoint-inhibitor options.")


class TrialCriterionResult(Record):
    """One inclusion or exclusion criterion of a trial, checked against the tumour."""

    criterion: str
    kind: Literal["inclusion", "exclusion", "condition", "age", "sex", "status"]
    met: bool | None = Field(description="None when the tumour profile cannot tell.")
    detail: str


class TrialMatch(Record):
    """A clinical trial and how the patient fits it."""

    trial_id: str
    title: str
    phase: str | None = None
    status: str | None = None
    eligible: bool | None = Field(description="True when every checkable criterion is met; None when some unknown.")
    criteria: list[TrialCriterionResult]


class OncoResult(Record):
    """``actionability.json``: one tumour's tiered, cited interpretation."""

    schema_version: str = ONCO_SCHEMA_VERSION
    sample_id: str
    tumour_type: str
    tumour_type_name: str
    alterations: list[ReportedAlteration]
    therapies: list[TherapyOption]
    immunotherapy: ImmunotherapySummary
    trials: list[TrialMatch] = Field(default_factory=list)
    markers: list[str] = Field(default_factory=list, description="Protein (IHC) and HLA markers given with the "
                               "clinical biomarkers, as plain statements (schema 1.2).")
    disease_setting: DiseaseSetting | None = Field(
        default=None, description="The disease setting the clinical input gives (metastatic, non-metastatic), "
        "against which each option's disease_setting_match is read (schema 1.3).")
    input_counts: dict[str, int] = Field(default_factory=dict)
    warnings: list[Warning] = Field(default_factory=list)
    provenance: Provenance
