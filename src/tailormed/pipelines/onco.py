"""Orchestration of the oncology analysis: read tumour files, interpret (pure engine), write renderings.

Used by ``tailormed onco interpret``, ``tailormed onco batch`` and ``tailormed analyze``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tailormed.errors import InputError
from tailormed.io.bed import callable_mb_from_bed
from tailormed.io.maf import read_maf
from tailormed.io.somatic_vcf import KnownHotspot, read_somatic_vcf
from tailormed.io.tumour_inputs import (
    ALL_SAMPLES,
    CopyNumberThresholds,
    read_clinical,
    read_copy_number,
    read_fusions,
    read_sample_demographics,
    read_structural_variants,
    read_tumour_types,
)
from tailormed.kb.onco import OncoKnowledge, load_onco_knowledge
from tailormed.kb.oncotree import GROUPS, OncoTree, load_oncotree
from tailormed.kb.trials import load_trials
from tailormed.model.common import Provenance, Warning
from tailormed.model.genome import variant_key
from tailormed.model.onco import (
    GRCH38_GENOME_MB,
    ClinicalBiomarkers,
    CopyNumberCall,
    Fusion,
    OncoResult,
    SomaticVariant,
    TumourProfile,
)
from tailormed.model.trials import Trial
from tailormed.onco.engine import interpret_tumour
from tailormed.onco.matching import TumourFacts
from tailormed.onco.tmb import TmbSettings, compute_tmb
from tailormed.onco.trials import match_trials
from tailormed.output import atomic_output_dir, case_file_names
from tailormed.pipelines.progress import ProgressCallback
from tailormed.pipelines.provenance import make_provenance
from tailormed.report.onco import write_onco_outputs

ONCO_FILES = ("actionability.json", "therapies.tsv", "alterations.tsv", "report.html")


@dataclass
class OncoContext:
    """What every tumour of a run shares: knowledge, the tumour-type tree, trials (loaded once)."""

    knowledge: OncoKnowledge
    tree: OncoTree
    trials: list[Trial] = field(default_factory=list)
    tmb_settings: TmbSettings = field(default_factory=TmbSettings)
    hotspots: dict[str, KnownHotspot] = field(default_factory=dict)

    @classmethod
    def load(cls, pack: str = "onco-core", *, oncotree: Path | None = None, trials: Sequence[Path] = (),
             tmb_settings: TmbSettings | None = None) -> OncoContext:
        knowledge = load_onco_knowledge(pack)
        hotspots = {variant_key(h.chrom, h.pos, h.ref, h.alt): KnownHotspot(gene, h.protein_change, h.consequence)
                    for gene, role in knowledge.genes.items() for h in role.hotspot_coordinates}
        tree = load_oncotree(oncotree)
        if oncotree is not None:
            _check_tree_covers(tree, knowledge, oncotree)
        loaded_trials: list[Trial] = []
        first_file: dict[str, Path] = {}
        for path in trials:
            for trial in load_trials(path, tree):
                if trial.id in first_file:  # a trial is matched and listed once
                    raise InputError(f"trial {trial.id} is also in {first_file[trial.id]}; give each trial once",
                                     source=str(path))
                first_file[trial.id] = path
                loaded_trials.append(trial)
        return cls(knowledge=knowledge, tree=tree, trials=loaded_trials,
                   tmb_settings=tmb_settings or TmbSettings(), hotspots=hotspots)


def _check_tree_covers(tree: OncoTree, knowledge: OncoKnowledge, path: Path) -> None:
    """A user's OncoTree must know every tumour type the knowledge pack's records apply to (the engine compares
    them with the tumour's); one that lacks some is refused here, naming the file, not mid-interpretation."""
    needed = {code for compiled in knowledge.records for code in compiled.record.tumour_types}
    missing = sorted(code for code in needed if code not in tree and code.strip().upper() not in GROUPS)
    if missing:
        raise InputError(f"lacks {len(missing)} tumour type(s) the knowledge pack {knowledge.version_label} uses "
                         f"({', '.join(missing[:8])}{'...' if len(missing) > 8 else ''}); give a full OncoTree release",
                         source=str(path))


@dataclass
class TumourInputs:
    """The files describing one or more tumours (a MAF may hold several samples)."""

    maf: Path | None = None
    vcf: Path | None = None
    cna: Path | None = None
    fusions: Path | None = None
    sv: Path | None = None
    clinical: Path | None = None
    tumour_sample: str | None = None
    callable_bed: Path | None = None
    panel_size_mb: float | None = None
    cna_thresholds: CopyNumberThresholds = field(default_factory=CopyNumberThresholds)
    panel_size_name: str = "--panel-size-mb"
    """How the user gave ``panel_size_mb`` (an option, or a manifest field), for error messages."""

    def check_territory(self) -> None:
        """The callable territory for TMB: at most one of a BED and a panel size, the size a finite number of Mb
        above 0 and at most the whole GRCh38 genome."""
        size = self.panel_size_mb
        if size is None:
            return
        if self.callable_bed is not None:
            raise InputError(f"give the callable territory once: a BED ({self.callable_bed}) or "
                             f"{self.panel_size_name}, not both")
        if not (math.isfinite(size) and 0 < size <= GRCH38_GENOME_MB):
            raise InputError(f"{self.panel_size_name} must be above 0 and at most {GRCH38_GENOME_MB:g} Mb (the whole "
                             f"GRCh38 genome), got {size:g}")

    def as_dict(self) -> dict[str, str]:
        """Role → path, for provenance."""
        return {role: str(path) for role, path in (("maf", self.maf), ("vcf", self.vcf), ("cna", self.cna),
                                                   ("fusions", self.fusions), ("sv", self.sv),
                                                   ("clinical", self.clinical), ("callable_bed", self.callable_bed))
                if path is not None}


def _for_sample(per_sample: dict[str, list[CopyNumberCall]] | dict[str, list[Fusion]], sample: str) -> list:  # type: ignore[type-arg]
    return list(per_sample.get(sample, [])) + list(per_sample.get(ALL_SAMPLES, []))


def read_tumours(inputs: TumourInputs, tumour_type: str | dict[str, str], context: OncoContext,
                 clinical: ClinicalBiomarkers | None = None) -> tuple[list[TumourProfile], list[Warning]]:
    """Build the tumour profile(s) from the input files; ``tumour_type`` may map sample → code."""
    if (inputs.maf is None) == (inputs.vcf is None):
        raise InputError("give exactly one of --maf or --vcf for the somatic variants")
    inputs.check_territory()
    warnings: list[Warning] = []
    variants_by_sample: dict[str, list[SomaticVariant]]
    if inputs.maf is not None:
        content = read_maf(inputs.maf, sample=inputs.tumour_sample)
        variants_by_sample = content.by_sample
        if not variants_by_sample:
            if inputs.tumour_sample is None:
                raise InputError("the MAF has no variant rows; to interpret a tumour without somatic mutations, "
                                 "name it with --sample", source=str(inputs.maf))
            variants_by_sample = {inputs.tumour_sample: []}
            warnings.append(Warning(code="no_somatic_variants", message=(
                f"{inputs.maf.name} has a header but no variant rows: {inputs.tumour_sample} is interpreted with no "
                "somatic mutations (TMB 0); check that the variant calling did not fail")))
    else:
        assert inputs.vcf is not None
        vcf = read_somatic_vcf(inputs.vcf, tumour_sample=inputs.tumour_sample, hotspots=context.hotspots)
        variants_by_sample = {vcf.tumour_sample: vcf.variants}
        warnings += vcf.warnings
    cna = read_copy_number(inputs.cna, thresholds=inputs.cna_thresholds, warnings=warnings) if inputs.cna else {}
    fusions = read_fusions(inputs.fusions, warnings=warnings) if inputs.fusions else {}
    svs = read_structural_variants(inputs.sv, warnings=warnings) if inputs.sv else {}
    clinical = clinical or (read_clinical(inputs.clinical) if inputs.clinical else ClinicalBiomarkers())
    callable_mb = inputs.panel_size_mb if inputs.panel_size_mb is not None else (
        callable_mb_from_bed(inputs.callable_bed) if inputs.callable_bed else None)
    _check_named_samples(inputs, variants_by_sample, cna, fusions, svs)
    profiles = []
    for sample, variants in variants_by_sample.items():
        code = tumour_type.get(sample) if isinstance(tumour_type, dict) else tumour_type
        if code is None:
            raise InputError(f"no tumour type for sample {sample!r}", source=str(inputs.maf or inputs.vcf))
        profiles.append(TumourProfile(
            sample_id=sample, tumour_type=_tumour_code(context, code, warnings), variants=variants,
            copy_number=_for_sample(cna, sample), fusions=_for_sample(fusions, sample) + _for_sample(svs, sample),
            clinical=clinical, callable_mb=callable_mb))
    return profiles, warnings


def _tumour_code(context: OncoContext, code: str, warnings: list[Warning]) -> str:
    """The current OncoTree code; a retired code with a single successor is replaced, with a warning."""
    try:
        return context.tree.resolve(code)
    except InputError:
        successor = context.tree.replacement(code)
        if successor is None:
            raise
        note = f"OncoTree code {code} is retired; read as its successor {successor} ({context.tree.name(successor)})"
        if all(w.message != note for w in warnings):
            warnings.append(Warning(code="retired_tumour_code", message=note))
        return successor


def _check_named_samples(inputs: TumourInputs, variants: dict[str, list[SomaticVariant]],
                         *tables: dict[str, list[CopyNumberCall]] | dict[str, list[Fusion]]) -> None:
    """A CNA/fusion file naming samples that are absent from the variants is a mismatch, not silently ignored."""
    known = set(variants)
    for table, path in zip(tables, (inputs.cna, inputs.fusions, inputs.sv), strict=True):
        unknown = set(table) - known - {ALL_SAMPLES}
        if unknown and inputs.tumour_sample is None:
            raise InputError(f"sample(s) {', '.join(sorted(unknown)[:5])} are not in the variant file "
                             f"(samples there: {', '.join(sorted(known)[:5])})", source=str(path))


def _provenance(context: OncoContext, inputs: dict[str, str], assumptions: list[str]) -> Provenance:
    return make_provenance([context.knowledge.version_label, f"OncoTree: {context.tree.version}"], inputs,
                           assumptions)


def interpret_one(context: OncoContext, profile: TumourProfile, *, inputs: dict[str, str] | None = None,
                  warnings: Sequence[Warning] = (), age: float | None = None, sex: str | None = None) -> OncoResult:
    """Interpret one tumour profile with the shared context. Trials are matched with the patient's ``age`` and
    ``sex`` when given, else those of the clinical biomarkers (``age``, ``sex`` keys)."""
    age = age if age is not None else profile.clinical.age
    sex = sex if sex is not None else profile.clinical.sex
    tmb = compute_tmb(profile.variants, profile.callable_mb, context.tmb_settings) if profile.callable_mb else None
    assumptions = [] if profile.callable_mb else [
        "TMB not computed: no callable territory given (--callable-bed or --panel-size-mb)"]
    trial_matcher: Callable[[TumourFacts], list] | None = None  # type: ignore[type-arg]
    if context.trials:
        def trial_matcher(facts: TumourFacts) -> list:  # type: ignore[type-arg]
            return match_trials(context.trials, facts, context.tree, age=age, sex=sex)
    return interpret_tumour(profile, context.knowledge, context.tree,
                            tumour_type_name=context.tree.name(profile.tumour_type),
                            provenance=_provenance(context, inputs or {}, assumptions), tmb=tmb,
                            match_trials=trial_matcher, warnings=warnings)



def run_onco_interpret(out: Path, inputs: TumourInputs, tumour_type: str, *, pack: str = "onco-core",
                       oncotree: Path | None = None, trials: Sequence[Path] = (),
                       tmb_settings: TmbSettings | None = None) -> OncoResult:
    """``tailormed onco interpret``: one tumour → DIR/actionability.json, therapies.tsv, alterations.tsv,
    report.html."""
    context = OncoContext.load(pack, oncotree=oncotree, trials=trials, tmb_settings=tmb_settings)
    profiles, warnings = read_tumours(inputs, tumour_type, context)
    if len(profiles) != 1:
        names = ", ".join(p.sample_id for p in profiles[:5])
        raise InputError(f"the variant file holds {len(profiles)} tumour samples ({names}...): choose one with "
                         "--sample, or use 'tailormed onco batch'", source=str(inputs.maf or inputs.vcf))
    result = interpret_one(context, profiles[0], inputs=inputs.as_dict(), warnings=warnings)
    with atomic_output_dir(out, description="tailormed onco interpret") as staging:
        write_onco_outputs(staging, result)
    return result



@dataclass
class OncoBatchSummary:
    """Counts of a batch run."""

    tumours: int
    top_tiers: dict[str, int]


def run_onco_batch(out: Path, inputs: TumourInputs, tumour_types: dict[str, str] | str | Path, *,
                   pack: str = "onco-core", oncotree: Path | None = None, trials: Sequence[Path] = (),
                   progress: ProgressCallback | None = None) -> OncoBatchSummary:
    """Interpret every tumour of a MAF (knowledge loaded once): one sub-folder each plus summary.tsv.

    ``tumour_types`` is one OncoTree code for all, a sample -> code mapping, or a clinical table (SAMPLE_ID,
    ONCOTREE_CODE columns; optional AGE and SEX columns give each patient's age and sex for trial matching)."""
    demographics: dict[str, tuple[float | None, str | None]] = {}
    if isinstance(tumour_types, Path):
        demographics = read_sample_demographics(tumour_types)
        tumour_types = read_tumour_types(tumour_types)
    context = OncoContext.load(pack, oncotree=oncotree, trials=trials)
    profiles, warnings = read_tumours(inputs, tumour_types, context)
    folders = case_file_names([p.sample_id for p in profiles], reserved=["summary.tsv"], fallback="tumour")
    tiers: dict[str, int] = {}
    with (atomic_output_dir(out, description="tailormed onco batch") as staging,
          (staging / "summary.tsv").open("w", encoding="utf-8") as summary):
        summary.write("sample\ttumour_type\tbest_tier\ttier_I_options\ttmb\ttop_option\n")
        for number, profile in enumerate(profiles, 1):
            age, sex = demographics.get(profile.sample_id, (None, None))
            result = interpret_one(context, profile, inputs=inputs.as_dict(), warnings=warnings, age=age, sex=sex)
            folder = staging / folders[number - 1]
            folder.mkdir()
            (folder / "actionability.json").write_text(result.model_dump_json(indent=2) + "\n", encoding="utf-8")
            # Sensitivity options whose requirements are all met: a resistance or conditional option is no "top".
            options = [t for t in result.therapies if t.response == "sensitive" and not t.unknown_requirements]
            best = options[0].tier if options else "none"
            tiers[best] = tiers.get(best, 0) + 1
            tier_one = sum(1 for t in options if t.tier.startswith("I-"))
            tmb = result.immunotherapy.tmb.tmb if result.immunotherapy.tmb else ""
            top = options[0].therapy if options else ""
            summary.write(f"{profile.sample_id}\t{profile.tumour_type}\t{best}\t{tier_one}\t{tmb}\t{top}\n")
            if progress:
                progress("interpreting tumours", number, len(profiles))
    return OncoBatchSummary(tumours=len(profiles), top_tiers=tiers)


def result_as_dict(result: OncoResult) -> dict[str, object]:
    """The JSON form of a result (for embedding in analysis.json)."""
    return dict(json.loads(result.model_dump_json()))
