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
from tailormed.io.scoring_file import read_scoring_file
from tailormed.model.patient import PolygenicSettings
from tailormed.report.output import atomic_output_dir
from tailormed.risk.assessment import Assessment, Person, assess, with_polygenic_score
from tailormed.risk.matching import check_overlap, match_report, match_variants
from tailormed.risk.scoring import MIN_FOUNDERS_FOR_IMPUTATION, score
from tailormed.risk.types import ScoreMatch, ScoreResult, ScoringFile

SCORES_COLUMNS = ("sample", "score_id", "sum", "average", "matched", "total", "z", "percentile")


@dataclass(frozen=True)
class ReferenceDistribution:
    """A score's distribution in a named reference population (for z-scores and percentiles)."""

    panel: str
    population: str
    values: npt.NDArray[np.float64]

    @property
    def mean(self) -> float:
        return float(self.values.mean())

    @property
    def sd(self) -> float:
        return float(self.values.std(ddof=1))

    def z(self, value: float) -> float:
        return (value - self.mean) / self.sd if self.sd > 0 else math.nan

    def percentile(self, value: float) -> float:
        """Empirical percentile (share of the reference at or below the value, 0-100)."""
        return 100.0 * float(np.count_nonzero(self.values <= value)) / len(self.values)


def read_populations(path: Path, column: str) -> dict[str, str]:
    """Sample -> population from a whitespace/tab table whose header names a sample column (``sample``,
    ``IID`` or ``id``) and ``column`` (e.g. ``super_pop``), as the 1000 Genomes panel files do."""
    if not path.is_file():
        raise InputError("no such file", source=str(path))
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not lines:
        raise InputError("empty population file", source=str(path))
    header = lines[0].lstrip("#").split()
    sample_col = next((i for i, h in enumerate(header) if h.lower() in ("sample", "iid", "id")), None)
    if sample_col is None:
        raise InputError("no sample/IID column in the header", source=str(path), location="line 1")
    if column not in header:
        raise InputError(f"no column {column!r} in the population file (it has {', '.join(header)})",
                         source=str(path), location="line 1")
    at = header.index(column)
    populations: dict[str, str] = {}
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split()
        if len(fields) != len(header):
            raise InputError(f"expected {len(header)} columns, found {len(fields)}", source=str(path),
                             location=f"line {number}")
        populations[fields[sample_col]] = fields[at]
    return populations


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
    with atomic_output_dir(out) as staging:
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

_PERSON_FIELDS = {f for f in Person.__dataclass_fields__}
_MEASURED = {"total_cholesterol_mg_dl": "total_cholesterol_mg_dl", "hdl_mg_dl": "hdl_cholesterol_mg_dl",
             "ldl_mg_dl": "ldl_cholesterol_mg_dl", "systolic_bp_mmhg": "systolic_bp_mmhg",
             "egfr": "egfr_ml_min_1_73m2", "bmi": "bmi_kg_m2", "waist_cm": "waist_cm",
             "hba1c_percent": "hba1c_percent", "uacr_mg_g": "uacr_mg_g"}


def read_person(path: Path) -> tuple[Person, dict[str, str]]:
    """A person file (YAML): the :class:`Person` fields, plus ``fhir_bundle`` whose Observations fill what the
    file does not give. Returns the person and, per field, where its value came from."""
    import yaml

    from tailormed.io.fhir_observations import read_fhir_observations

    if not path.is_file():
        raise InputError("no such file", source=str(path))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML ({exc})", source=str(path)) from exc
    if not isinstance(data, dict):
        raise InputError("a person file is a mapping (key: value)", source=str(path))
    bundle = data.pop("fhir_bundle", None)
    unknown = set(data) - _PERSON_FIELDS
    if unknown:
        raise InputError(f"unknown field(s) {sorted(unknown)}; known: {sorted(_PERSON_FIELDS)}", source=str(path))
    origin = {key: str(path) for key in data}
    if bundle is not None:
        bundle_path = (path.parent / bundle) if not Path(bundle).is_absolute() else Path(bundle)
        inputs = read_fhir_observations(bundle_path)
        for field_name, source_name in _MEASURED.items():
            measurement = getattr(inputs, source_name)
            if field_name not in data and measurement is not None:
                data[field_name] = measurement.value
                origin[field_name] = measurement.source
        if "current_smoker" not in data and inputs.smoking != "unknown":
            data["current_smoker"] = inputs.smoking == "current"
            origin["current_smoker"] = inputs.smoking_source or str(bundle_path)
    for required in ("age", "sex"):
        if required not in data:
            raise InputError(f"the person file needs {required!r}", source=str(path))
    try:
        return Person(**data), origin
    except TypeError as exc:
        raise InputError(f"invalid person file ({exc})", source=str(path)) from exc


def run_assess(person_file: Path, out: Path, *, prs_z: float | None = None,
               prs_hr_per_sd: float | None = None, prs_source: str = "") -> Assessment:
    """``tailormed risk assess``: equations, what-ifs and advice for one person → ``out/risk.json``, report.html."""
    assessment, adjusted, document = assess_person(person_file, prs_z=prs_z, prs_hr_per_sd=prs_hr_per_sd,
                                                   prs_source=prs_source)
    with atomic_output_dir(out) as staging:
        write_risk_outputs(staging, person_file.stem, assessment, adjusted, document)
    return assessment


def assess_person(person_file: Path, *, prs_z: float | None = None, prs_hr_per_sd: float | None = None,
                  prs_source: str = "") -> tuple[Assessment, dict[str, float], dict[str, object]]:
    """Read the person file and assess it; returns the assessment, polygenic adjustments and the JSON document."""
    if (prs_z is None) != (prs_hr_per_sd is None):
        raise InputError("--prs-z and --prs-hr go together")
    person, origin = read_person(person_file)
    assessment = assess(person)
    adjusted = {}
    if prs_z is not None and prs_hr_per_sd is not None:
        for estimate in assessment.estimates:
            if estimate.name != "FINDRISC type 2 diabetes":
                adjusted[estimate.name] = with_polygenic_score(estimate, prs_z, prs_hr_per_sd, "--prs-hr")
    document: dict[str, object] = {
        "person": {k: getattr(person, k) for k in _PERSON_FIELDS}, "inputs_from": origin,
        "estimates": [{**dataclasses.asdict(e), "with_polygenic_score": adjusted.get(e.name)}
                      for e in assessment.estimates],
        "polygenic_adjustment": {"z": prs_z, "hazard_ratio_per_sd": prs_hr_per_sd, "source": prs_source,
                                 "method": "1 - (1 - risk) ** (HR ** z), proportional hazards"} if adjusted else None,
        "what_ifs": [{**dataclasses.asdict(w), "absolute_risk_reduction": w.absolute_risk_reduction}
                     for w in assessment.what_ifs],
        "advice": [dataclasses.asdict(a) for a in assessment.advice],
        "not_computed": assessment.skipped,
    }
    return assessment, adjusted, document


def polygenic_document(scores: list[PersonScore]) -> list[dict[str, object]]:
    """The JSON form of a person's polygenic scores (reference summarised, not listed)."""
    return [{"score_id": s.score_id, "file": s.file, "sum": s.sum, "z": s.z, "percentile": s.percentile,
             "matched": s.matched, "total": s.total, "reference": {"panel": s.reference.panel,
             "population": s.reference.population, "n": len(s.reference.values), "mean": s.reference.mean,
             "sd": s.reference.sd}} for s in scores]


def write_risk_outputs(folder: Path, title: str, assessment: Assessment, adjusted: dict[str, float],
                       document: dict[str, object], polygenic: list[PersonScore] | None = None) -> None:
    """risk.json and report.html into ``folder`` (a staging folder)."""
    from tailormed import __version__
    from tailormed.report.html import render_risk_html

    if polygenic:
        document = {**document, "polygenic_scores": polygenic_document(polygenic)}
    (folder / "risk.json").write_text(json.dumps(document, indent=1, default=str), encoding="utf-8")
    histograms = [_histogram(s) for s in polygenic or []]
    (folder / "report.html").write_text(render_risk_html(title, assessment, adjusted, __version__, histograms),
                                        encoding="utf-8")


def _histogram(score: PersonScore, bins: int = 24) -> dict[str, object]:
    """Bar heights (0-1) of the reference distribution and where the person falls, for the SVG plot."""
    counts, edges = np.histogram(score.reference.values, bins=bins)
    low, high = float(edges[0]), float(edges[-1])
    position = 0.0 if high == low else min(max((score.sum - low) / (high - low), 0.0), 1.0)
    return {"score_id": score.score_id, "heights": [float(c) / max(int(counts.max()), 1) for c in counts],
            "marker": position, "z": score.z, "percentile": score.percentile, "population": score.reference.population,
            "n": len(score.reference.values), "matched": score.matched, "total": score.total}


# --------------------------------------------------------------------------------------------- one person's scores


@dataclass
class PersonScore:
    """One polygenic score of one person, placed on the reference population's distribution."""

    score_id: str
    file: str
    sum: float
    z: float
    percentile: float
    matched: int
    total: int
    reference: ReferenceDistribution


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
