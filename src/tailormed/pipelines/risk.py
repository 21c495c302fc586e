"""Orchestration of polygenic scoring: read scoring files and genotypes, match, score, standardise, write.

Used by ``tailormed risk prs``.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from tailormed.errors import InputError
from tailormed.io.genotypes import open_target
from tailormed.io.populations import read_populations
from tailormed.io.risk_profile import (
    CLINICAL_ASCVD_TO_CONFIRM,
    CREATININE_NOT_USED,
    PERSON_FIELDS,
    read_person_dated,
)
from tailormed.io.scoring_file import read_scoring_file
from tailormed.model.patient import PolygenicSettings
from tailormed.model.prs import PersonScore, ReferenceDistribution, ScoreMatch, ScoreResult, ScoringFile
from tailormed.model.risk import Person
from tailormed.output import atomic_output_dir
from tailormed.report.risk import write_risk_outputs
from tailormed.risk.assessment import (
    CONFIRM_ASCVD,
    SECONDARY_PREVENTION_SOURCE,
    Advice,
    Assessment,
    assess,
    check_polygenic_outcome,
    kidney_function,
    polygenic_estimates,
    prevention_setting,
)
from tailormed.risk.matching import check_overlap, match_report, match_variants
from tailormed.risk.scoring import MIN_FOUNDERS_FOR_IMPUTATION, score

POLYGENIC_NOT_FOR_ASCVD = (
    "The polygenic adjustment was not applied: it scales first-event estimates (PCE, PREVENT), which are not computed "
    "for a person with clinical ASCVD.")
SCORES_COLUMNS = ("sample", "score_id", "sum", "average", "matched", "total", "z", "percentile")



@dataclass
class PrsRun:
    """What a scoring run produced (also what the CLI prints)."""

    out: Path
    result: ScoreResult
    report: list[dict[str, object]]
    reference: dict[str, ReferenceDistribution]


@dataclass(frozen=True)
class MatchOptions:
    """The pgsc_calc-style matching options of a run (echoed in the match report)."""

    min_overlap: float = 0.75
    keep_ambiguous: bool = False
    keep_multiallelic: bool = False


@dataclass
class _Scored:
    scoring: ScoringFile
    match: ScoreMatch
    result: ScoreResult
    report: list[dict[str, object]]


def _score_file(scoring: ScoringFile, genotypes: Path, options: MatchOptions, *, enforce: bool,
                common_with: ScoreMatch | None = None) -> _Scored:
    """Match and score one scoring file; with ``common_with``, only the rows that match also matched."""
    with open_target(genotypes) as target:
        match = match_variants(scoring, target.variants, keep_ambiguous=options.keep_ambiguous,
                               keep_multiallelic=options.keep_multiallelic, min_overlap=options.min_overlap)
        report = match_report(scoring, target.variants, match)
        if enforce:
            check_overlap(scoring, target.variants, match, min_overlap=options.min_overlap)
        scored_match = match if common_with is None else _restricted(match, _used(match) & _used(common_with))
        # As pgsc_calc: mean imputation needs allele frequencies from at least 50 founders; below that,
        # missing genotypes contribute nothing (plink2's no-mean-imputation).
        impute = int(target.founders.sum()) >= MIN_FOUNDERS_FOR_IMPUTATION
        result = score(target, scoring, scored_match, mean_impute=impute)
    for entry in report:
        entry["missing_genotypes"] = "mean-imputed (2 x effect allele frequency among founders)" if impute else (
            f"not imputed: fewer than {MIN_FOUNDERS_FOR_IMPUTATION} founders to estimate frequencies")
    return _Scored(scoring, match, result, report)


def _restricted(match: ScoreMatch, rows: npt.NDArray[np.bool_]) -> ScoreMatch:
    """A copy of ``match`` in which rows outside ``rows`` are not used."""
    return ScoreMatch(target_index=np.where(rows, match.target_index, -1), effect_is_alt=match.effect_is_alt,
                      strand_flipped=match.strand_flipped, status=match.status, rules=match.rules)


def _used(match: ScoreMatch) -> npt.NDArray[np.bool_]:
    return (match.target_index >= 0) & np.isin(match.status.astype(str), ("matched", "matched_flip"))


def run_prs(scores: list[Path], genotypes: Path, out: Path, *, min_overlap: float = 0.75,
            keep_ambiguous: bool = False, keep_multiallelic: bool = False, override_overlap: bool = False,
            reference: Path | None = None, populations: Path | None = None, population_column: str = "super_pop",
            population: str | None = None) -> list[PrsRun]:
    """``tailormed risk prs``: score every file against the genotypes; optionally standardise on a reference."""
    given = [reference is not None, populations is not None, population is not None]
    if any(given) and not all(given):
        raise InputError("standardising needs --reference GENOTYPES, --populations FILE and --population NAME")
    runs: list[PrsRun] = []
    with atomic_output_dir(out, description="tailormed risk prs") as staging:
        rows: list[list[str]] = []
        reports: list[dict[str, object]] = []
        options = MatchOptions(min_overlap, keep_ambiguous, keep_multiallelic)
        for path in scores:
            scored = _score_file(read_scoring_file(path), genotypes, options, enforce=not override_overlap)
            distributions: dict[str, ReferenceDistribution] = {}
            standardised = scored.result
            if reference is not None and populations is not None and population is not None:
                distributions, standardised = _reference(genotypes, scored, reference, populations,
                                                         population_column, population, options)
            rows.extend(_rows(scored.result, standardised, distributions))
            reports.extend({"file": str(path), **entry} for entry in scored.report)
            runs.append(PrsRun(out=out, result=scored.result, report=scored.report, reference=distributions))
        with (staging / "scores.tsv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
            writer.writerow(SCORES_COLUMNS)
            writer.writerows(rows)
        (staging / "match_report.json").write_text(json.dumps(reports, indent=1, default=str), encoding="utf-8")
        _write_match_tsv(staging / "match_report.tsv", reports)
    return runs


def _reference(genotypes: Path, target: _Scored, reference: Path, populations: Path, column: str,
               population: str, options: MatchOptions) -> tuple[dict[str, ReferenceDistribution], ScoreResult]:
    """Score the reference panel and the target on the variants both matched, so z-scores compare like with like;
    returns the reference distributions and the target's scores on that common set."""
    panel = _score_file(target.scoring, reference, options, enforce=True, common_with=target.match)
    common = _used(target.match) & _used(panel.match)
    target_common = target.result if np.array_equal(common, _used(target.match)) else _score_file(
        target.scoring, genotypes, options, enforce=False, common_with=panel.match).result
    labels = read_populations(populations, column)
    chosen = [i for i, sample in enumerate(panel.result.samples) if labels.get(sample) == population]
    if len(chosen) < 20:
        raise InputError(f"only {len(chosen)} reference samples are labelled {population!r} in column {column!r}; "
                         "at least 20 are needed for a distribution", source=str(populations))
    for entry in target.report:
        entry["reference"] = f"{reference} ({population}, {len(chosen)} samples; {int(common.sum())} common variants)"
    distributions = {score_id: ReferenceDistribution(panel=str(reference), population=population,
                                                     values=panel.result.sums[chosen, k])
                     for k, score_id in enumerate(panel.result.score_ids)}
    return distributions, target_common


def _rows(result: ScoreResult, standardised: ScoreResult,
          reference: dict[str, ReferenceDistribution]) -> list[list[str]]:
    """scores.tsv rows: sums/averages as scored; z and percentile from the sums on the reference-common set."""
    rows = []
    for i, sample in enumerate(result.samples):
        for k, score_id in enumerate(result.score_ids):
            total = float(result.sums[i, k])
            common = float(standardised.sums[i, k])
            distribution = reference.get(score_id)
            z = f"{distribution.z(common):.6g}" if distribution else ""
            percentile = f"{distribution.percentile(common):.1f}" if distribution else ""
            rows.append([sample, score_id, repr(total), repr(float(result.averages[i, k])),
                         str(int(result.matched[k])), str(int(result.total[k])), z, percentile])
    return rows


def _write_match_tsv(path: Path, reports: list[dict[str, object]]) -> None:
    keys: list[str] = []
    for entry in reports:
        keys.extend(k for k in entry if k not in keys)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(keys)
        for entry in reports:
            writer.writerow(["" if entry.get(k) is None else entry.get(k) for k in keys])


# --------------------------------------------------------------------------------------------- clinical risk


def run_assess(person_file: Path, out: Path, *, prs_z: float | None = None,
               prs_hr_per_sd: float | None = None, prs_source: str = "", prs_outcome: str = "ascvd") -> Assessment:
    """``tailormed risk assess``: equations, what-ifs and advice for one person → ``out/risk.json``, report.html."""
    assessment, adjusted, document = assess_person(person_file, prs_z=prs_z, prs_hr_per_sd=prs_hr_per_sd,
                                                   prs_source=prs_source, prs_outcome=prs_outcome)
    with atomic_output_dir(out, description="tailormed risk assess") as staging:
        write_risk_outputs(staging, person_file.stem, assessment, adjusted, document)
    return assessment


def _with_ascvd_to_confirm(advice: list[Advice], to_confirm: str | None) -> list[Advice]:
    """The advice, with "confirm clinical ASCVD first" in place of the primary-prevention assumption when the FHIR
    record lists Conditions that may be clinical ASCVD but were not recognised by code."""
    if not to_confirm:
        return advice
    confirm = Advice("confirm clinical ASCVD first", CONFIRM_ASCVD.format(entries=to_confirm),
                     SECONDARY_PREVENTION_SOURCE)
    return [confirm] + [a for a in advice if a.topic != "prevention setting"]


def assess_person(person_file: Path, *, prs_z: float | None = None, prs_hr_per_sd: float | None = None,
                  prs_source: str = "", prs_outcome: str = "ascvd"
                  ) -> tuple[Assessment, dict[str, float], dict[str, object]]:
    """Read the person file and assess it; returns the assessment, polygenic adjustments and the JSON document.

    ``prs_outcome`` is the outcome the hazard ratio per SD was estimated for (``ascvd``, the default, for a coronary
    or ASCVD score; ``total_cvd``; ``heart_failure``): only the 10-year estimates of that outcome are adjusted."""
    if (prs_z is None) != (prs_hr_per_sd is None):
        raise InputError("--prs-z and --prs-hr go together")
    if prs_z is not None and not math.isfinite(prs_z):
        raise InputError(f"the polygenic score z (--prs-z) must be a finite number, got {prs_z:g}")
    if prs_hr_per_sd is not None and not (math.isfinite(prs_hr_per_sd) and prs_hr_per_sd > 0):
        raise InputError(f"the hazard ratio per SD (--prs-hr, or polygenic.hazard_ratio_per_sd in a manifest) must be "
                         f"a finite number above 0, got {prs_hr_per_sd:g}")
    check_polygenic_outcome(prs_outcome)
    person, origin, dates = read_person_dated(person_file)
    assessment = assess(person)
    adjusted: dict[str, float] = {}
    polygenic_not_applied = None
    if prs_z is not None and prs_hr_per_sd is not None:
        adjusted = polygenic_estimates(assessment, prs_z, prs_hr_per_sd, prs_outcome, "--prs-hr")
        if person.clinical_ascvd:
            polygenic_not_applied = POLYGENIC_NOT_FOR_ASCVD
    document: dict[str, object] = {
        "person": {k: getattr(person, k) for k in PERSON_FIELDS}, "inputs_from": origin, "input_dates": dates,
        "estimates": [{**dataclasses.asdict(e), "with_polygenic_score": adjusted.get(e.name)}
                      for e in assessment.estimates],
        "polygenic_adjustment": {"z": prs_z, "hazard_ratio_per_sd": prs_hr_per_sd, "source": prs_source,
                                 "outcome": prs_outcome, "adjusted": sorted(adjusted),
                                 "method": "1 - (1 - risk) ** (HR ** z / exp(ln(HR) ** 2 / 2)): proportional hazards, "
                                           "the multiplier centred on its population mean (z ~ N(0, 1)); 10-year "
                                           "estimates of the score's outcome only"} if adjusted else None,
        "what_ifs": [{**dataclasses.asdict(w), "absolute_risk_reduction": w.absolute_risk_reduction}
                     for w in assessment.what_ifs],
        "advice": [dataclasses.asdict(a) for a in _with_ascvd_to_confirm(assessment.advice,
                                                                        origin.get(CLINICAL_ASCVD_TO_CONFIRM))],
        "not_computed": assessment.skipped,
        "prevention_setting": prevention_setting(person.clinical_ascvd, origin.get("clinical_ascvd"),
                                                 origin.get(CLINICAL_ASCVD_TO_CONFIRM)),
        "kidney_function": _kidney_function(person, origin.get(CREATININE_NOT_USED)),
    }
    if polygenic_not_applied:
        document["polygenic_not_applied"] = polygenic_not_applied
    return assessment, adjusted, document



# --------------------------------------------------------------------------------------------- one person's scores



def _kidney_function(person: Person, creatinine_not_used: str | None) -> dict[str, object]:
    """The eGFR used and its note; the note also says when the bundle's creatinine was left out (a newer eGFR, or one
    the person file states)."""
    kidney = dataclasses.asdict(kidney_function(person))
    if creatinine_not_used:
        first = kidney["note"] or f"eGFR {person.egfr:g} as reported (CKD-EPI 2021)."
        kidney["note"] = f"{first} The {creatinine_not_used}."
    return kidney


def score_person(settings: PolygenicSettings, genotypes: Path, sample: str | None) -> list[PersonScore]:
    """Every score of ``settings`` for one sample of ``genotypes``, standardised on the reference population."""
    options = MatchOptions()
    found = []
    for path in settings.scores:
        scored = _score_file(read_scoring_file(path), genotypes, options, enforce=True)
        samples = scored.result.samples
        if sample is None and len(samples) != 1:
            raise InputError(f"the genotypes hold {len(samples)} samples; name the patient's", source=str(genotypes))
        matches = [i for i, name in enumerate(samples) if sample is None or name == sample
                   or name.split("_", 1)[-1] == sample]
        if not matches:
            raise InputError(f"sample {sample!r} is not in the genotypes", source=str(genotypes))
        distributions, common = _reference(genotypes, scored, settings.reference, settings.populations,
                                           settings.population_column, settings.population, options)
        row = matches[0]
        for k, score_id in enumerate(scored.result.score_ids):
            distribution = distributions[score_id]
            value = float(common.sums[row, k])
            found.append(PersonScore(score_id=score_id, file=str(path), sum=float(scored.result.sums[row, k]),
                                     z=distribution.z(value), percentile=distribution.percentile(value),
                                     matched=int(scored.result.matched[k]), total=int(scored.result.total[k]),
                                     reference=distribution))
    return found
