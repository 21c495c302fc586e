"""``tailormed cohort effects``: a cohort table (CSV or Parquet) -> effects.json and report.html.

Reads the table (io), checks and encodes it and estimates the effects (cohort engine), renders them (report), and
writes the output folder atomically.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tailormed.cohort.effects import EffectsSettings, estimate_effects, prepare_table
from tailormed.errors import InputError
from tailormed.io.cohort_table import read_cohort_table
from tailormed.model.effects import EffectsResult
from tailormed.output import atomic_output_dir
from tailormed.pipelines.progress import ProgressCallback
from tailormed.pipelines.provenance import make_provenance
from tailormed.report.cohort_effects import effects_json, render_effects_html

__all__ = ["EffectsRun", "EffectsSettings", "run_cohort_effects", "write_effects_outputs"]

OUTPUT_FILES = ("effects.json", "report.html")


@dataclass(frozen=True)
class EffectsRun:
    out: Path
    result: EffectsResult


def write_effects_outputs(out: Path, result: EffectsResult, title: str, description: str) -> None:
    """effects.json and report.html, written atomically into ``out``."""
    with atomic_output_dir(out, description=description) as staging:
        (staging / "effects.json").write_text(effects_json(result), encoding="utf-8")
        (staging / "report.html").write_text(render_effects_html(result, title), encoding="utf-8")


def run_cohort_effects(table_path: Path, out: Path, *, treatment: str, outcome: str, event: str | None = None,
                       horizon_days: float | None = None, covariates: Sequence[str] | None = None,
                       modifiers: Sequence[str] = (), treated_value: str | None = None,
                       settings: EffectsSettings = EffectsSettings(),
                       progress: ProgressCallback | None = None) -> EffectsRun:
    """Estimate the effects of ``treatment`` on ``outcome`` in the table and write the output folder."""
    if progress:
        progress("reading the table", 0, None)
    frame = read_cohort_table(table_path)
    try:
        table = prepare_table(frame, treatment=treatment, outcome=outcome, event=event, horizon_days=horizon_days,
                              covariates=covariates, modifiers=modifiers, treated_value=treated_value)
        if progress:
            progress("estimating effects", 0, None)
        result = estimate_effects(table, settings)
    except InputError as exc:
        if exc.source is None:  # the engine names columns; the file is ours to name
            raise InputError(exc.message, source=str(table_path)) from None
        raise
    inputs = {"table": str(table_path)}
    result = result.model_copy(update={"provenance": make_provenance([], inputs, [])})
    write_effects_outputs(out, result, f"Treatment effects: {treatment} on {outcome}", "tailormed cohort effects")
    return EffectsRun(out=out, result=result)
