"""The patient: what is known about one person, and where their data lives."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from tailormed.model.common import Record

Sex = Literal["female", "male", "other", "unknown"]
#: FHIR administrative-gender codes and the patient model's sex: the same four words. Any other value is not a sex.
FHIR_GENDERS: dict[str, Sex] = {"male": "male", "female": "female", "other": "other", "unknown": "unknown"}
TumourRole = Literal["maf", "vcf", "cna", "fusions", "sv", "clinical", "callable_bed", "trials"]


class Demographics(Record):
    """Who the patient is, as far as the analyses need."""

    sex: Sex = "unknown"
    birth_date: date | None = None
    age_years: float | None = Field(default=None, ge=0, le=130)
    ancestry: str | None = Field(default=None, description="Self-reported or inferred ancestry, free text.")


def _path_given(value: object) -> object:
    """Refuse an empty path (``vcf: ''``), which would otherwise name the manifest's own folder."""
    if isinstance(value, str) and not value.strip():
        raise ValueError("an empty path; give a file name or leave the key out")
    return value


class Sample(Record):
    """A sequenced sample of the patient and the file holding its calls."""

    vcf: Path = Field(description="Germline VCF/BCF (bgzipped or plain), GRCh38.")
    sample_id: str | None = Field(default=None, description="Column in the VCF; the only column if omitted.")
    genome_build: Literal["GRCh38"] = "GRCh38"

    _vcf_given = field_validator("vcf", mode="before")(_path_given)


PolygenicOutcome = Literal["ascvd", "total_cvd", "heart_failure"]
"""Outcomes a polygenic score's hazard ratio can be for (the keys of ``risk.assessment.POLYGENIC_OUTCOMES``)."""


class PolygenicSettings(Record):
    """Polygenic scores to compute from the germline VCF, standardised on a reference population."""

    scores: list[Path] = Field(min_length=1, description="Scoring files (PGS Catalog format).")
    reference: Path = Field(description="Reference panel genotypes (VCF, bed or pgen prefix).")
    populations: Path = Field(description="Reference sample -> population table.")
    population: str = Field(description="Population to standardise against, e.g. EUR.")
    population_column: str = "super_pop"
    hazard_ratio_per_sd: float | None = Field(default=None, gt=0, description="Per-SD hazard ratio of the first "
                                                                               "score, to adjust the clinical risk.")
    hazard_ratio_source: str | None = None
    hazard_ratio_outcome: PolygenicOutcome = Field(
        default="ascvd", description="The outcome the hazard ratio was estimated for: only that outcome's 10-year "
        "estimates are adjusted (ascvd, the default, for a coronary or ASCVD hazard ratio; total_cvd; heart_failure).")

    @field_validator("scores", mode="before")
    @classmethod
    def _scores_given(cls, value: object) -> object:
        return [_path_given(v) for v in value] if isinstance(value, list) else value

    _paths_given = field_validator("reference", "populations", mode="before")(_path_given)


class Patient(Record):
    """A patient manifest: demographics, germline data, outside calls, and slots later engines fill."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9._-]+$")
    demographics: Demographics = Field(default_factory=Demographics)
    germline: Sample | None = None
    outside_calls: Path | None = Field(default=None, description="TSV of gene calls made elsewhere.")
    cyp2d6_copy_number: Path | None = Field(
        default=None,
        description="CYP2D6 copy-number TSV, Cyrius TSV or StellarPGx summary (docs/cyp2d6-copy-number.md).")
    medications: list[str] = Field(default_factory=list, description="Current or planned drugs (generic names).")
    missing_as_reference: bool = Field(
        default=False,
        description="Treat defining positions absent from the VCF as homozygous reference (cohort VCFs only).",
    )
    tumour_files: dict[TumourRole, Path] = Field(
        default_factory=dict, description="Tumour inputs for the oncology section: maf or vcf, and optionally cna, "
        "fusions, sv, clinical, callable_bed, trials (docs/onco.md).")
    tumour_type: str | None = Field(default=None, description="OncoTree code of the tumour, e.g. LUAD.")
    tumour_sample: str | None = Field(default=None, description="Tumor_Sample_Barcode (MAF) or VCF column.")
    tumour_panel_size_mb: float | None = Field(default=None, gt=0, description="Callable territory for TMB, Mb.")
    phenopacket: Path | None = Field(default=None, description="Phenopacket v2 JSON or HPO id list: rare-disease "
                                                                 "ranking.")
    exome_vcf: Path | None = Field(default=None, description="VEP/snpEff-annotated VCF for rare-disease ranking "
                                                             "(default: the germline VCF when it is annotated).")
    pedigree: Path | None = Field(default=None, description="PED file for a family exome_vcf.")
    risk_profile: Path | None = Field(default=None, description="Person file (YAML) for clinical risk, what-ifs and "
                                                                "prevention advice (docs/risk.md).")
    polygenic: PolygenicSettings | None = None
    fhir_bundle: Path | None = None

    @model_validator(mode="after")
    def _tumour_complete(self) -> Patient:
        if self.tumour_files:
            if ("maf" in self.tumour_files) == ("vcf" in self.tumour_files):
                raise ValueError("tumour_files needs exactly one of maf or vcf")
            if not self.tumour_type:
                raise ValueError("tumour_files given without tumour_type (an OncoTree code)")
        return self

    _paths_given = field_validator("outside_calls", "cyp2d6_copy_number", "phenopacket", "exome_vcf", "pedigree",
                                   "risk_profile", "fhir_bundle", mode="before")(_path_given)

    @field_validator("tumour_files", mode="before")
    @classmethod
    def _tumour_paths_given(cls, value: object) -> object:
        return {k: _path_given(v) for k, v in value.items()} if isinstance(value, dict) else value

    @field_validator("medications")
    @classmethod
    def _lowercase(cls, value: list[str]) -> list[str]:
        return [m.strip().lower() for m in value if m.strip()]

    def resolve_paths(self, base: Path) -> Patient:
        """Return a copy whose relative paths are taken relative to ``base`` (the manifest's folder)."""

        def fix(p: Path | None) -> Path | None:
            return None if p is None or p.is_absolute() else base / p

        update: dict[str, object] = {
            "outside_calls": fix(self.outside_calls) or self.outside_calls,
            "cyp2d6_copy_number": fix(self.cyp2d6_copy_number) or self.cyp2d6_copy_number,
            "phenopacket": fix(self.phenopacket) or self.phenopacket,
            "exome_vcf": fix(self.exome_vcf) or self.exome_vcf,
            "pedigree": fix(self.pedigree) or self.pedigree,
            "risk_profile": fix(self.risk_profile) or self.risk_profile,
            "fhir_bundle": fix(self.fhir_bundle) or self.fhir_bundle,
            "tumour_files": {k: fix(v) or v for k, v in self.tumour_files.items()},
        }
        if self.polygenic is not None:
            settings = self.polygenic
            update["polygenic"] = settings.model_copy(update={
                "scores": [fix(p) or p for p in settings.scores], "reference": fix(settings.reference) or
                settings.reference, "populations": fix(settings.populations) or settings.populations})
        if self.germline is not None:
            update["germline"] = self.germline.model_copy(update={"vcf": fix(self.germline.vcf) or self.germline.vcf})
        return self.model_copy(update=update)
