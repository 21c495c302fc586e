"""``tailormed cohort effects`` and ``tailormed cohort omop``: which treatments work for which groups."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tailormed.cli.console import comma_separated, progress_display, run_guarded, say
from tailormed.pipelines.cohort_effects import EffectsRun, EffectsSettings
from tailormed.pipelines.cohort_omop import OmopRun

_TREES = typer.Option("--trees", min=4, help="Trees in the causal forest.")
_SEED = typer.Option("--seed", help="Random seed (splits, forests, placebo).")
_NO_FOREST = typer.Option("--no-forest", help="Average effects, hazard ratios and modifiers only: no causal forest, "
                                              "subgroup tree or calibration (fast).")


def _settings(trees: int, seed: int, no_forest: bool) -> EffectsSettings:
    return EffectsSettings(n_estimators=trees, seed=seed, forest=not no_forest)


def _summary(run: EffectsRun | OmopRun) -> None:
    r = run.result
    say(f"{r.n} rows; average effect ({r.ate.measure}): {r.ate.estimate:.4g} "
        f"(95% CI {r.ate.ci_low:.4g} to {r.ate.ci_high:.4g})")
    if r.hazard_ratio_adjusted is not None:
        hr = r.hazard_ratio_adjusted
        say(f"adjusted hazard ratio: {hr.estimate:.3f} ({hr.ci_low:.3f}-{hr.ci_high:.3f})")
    for m in r.modifiers:
        if m.ratio_vs_reference is not None:
            q = m.ratio_vs_reference
            say(f"{m.modifier} {m.level}: ratio of hazard ratios {q.estimate:.2f} ({q.ci_low:.2f}-{q.ci_high:.2f})")
    say(f"wrote {run.out}/effects.json and report.html")


def effects(
    table: Annotated[Path, typer.Argument(help="Cohort table, one row per person: CSV (.tsv tab-separated) or "
                                               "Parquet.")],
    treatment: Annotated[str, typer.Option(
        "--treatment", metavar="COLUMN", help="Binary treatment column.")],
    outcome: Annotated[str, typer.Option(
        "--outcome", metavar="COLUMN", help="Outcome column (the follow-up time in days with "
        "--event).")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output folder: effects.json, report.html (written "
                                                              "atomically).")],
    event: Annotated[str | None, typer.Option(
        "--event", metavar="COLUMN", help="Event indicator column (1 event, 0 censored): a "
        "time-to-event outcome.")] = None,
    horizon_days: Annotated[float | None, typer.Option(
        "--horizon-days", metavar="DAYS", help="Horizon of the restricted mean "
        "survival time (with --event).")] = None,
    covariates: Annotated[list[str] | None, typer.Option(
        "--covariates", metavar="COLUMNS", help="Covariate columns (repeat or "
        "comma-separate); default: every other column.")] = None,
    modifiers: Annotated[list[str] | None, typer.Option(
        "--modifier", metavar="COLUMN", help="Column whose levels are effect "
        "modifiers (Cox interaction model; repeatable).")] = None,
    treated: Annotated[str | None, typer.Option(
        "--treated", metavar="VALUE", help="The treatment value that means treated "
        "(default: 1/yes/true).")] = None,
    trees: Annotated[int, _TREES] = 400,
    seed: Annotated[int, _SEED] = 0,
    no_forest: Annotated[bool, _NO_FOREST] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
) -> None:
    """Average and subgroup treatment effects (EconML) with diagnostics, as effects.json and an HTML report."""
    from tailormed.pipelines.cohort_effects import run_cohort_effects

    cov = comma_separated(*covariates) if covariates else None
    settings = _settings(trees, seed, no_forest)
    with progress_display(quiet) as progress:
        run = run_guarded(lambda: run_cohort_effects(table, out_dir, treatment=treatment, outcome=outcome, event=event,
                                                     horizon_days=horizon_days, covariates=cov,
                                                     modifiers=modifiers or [], treated_value=treated,
                                                     settings=settings,
                                                     progress=progress))
    if not quiet:
        _summary(run)


def omop(
    cdm: Annotated[str, typer.Option(
        "--cdm", metavar="DB", help="OMOP CDM v5.3/5.4: a DuckDB file, a folder of Parquet files, or "
        "a postgresql:// URL.")],
    genomes: Annotated[list[Path], typer.Option(
        "--genomes", metavar="VCF", help="VCF(s) of the genomes (e.g. one per gene "
        "region; repeatable).")],
    person_map: Annotated[Path, typer.Option(
        "--person-map", metavar="FILE", help="Table with person_id and sample columns joining "
        "persons to VCF samples.")],
    exposure: Annotated[str, typer.Option(
        "--exposure", metavar="INGREDIENT", help="Ingredient (RxNorm name or concept id); index date = "
        "first exposure to it or a descendant.")],
    outcomes: Annotated[list[str], typer.Option(
        "--outcome", metavar="CONCEPT_ID", help="Outcome condition concept id (with its "
        "descendants; repeatable).")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output folder: effects.json, report.html.")],
    comparator: Annotated[str | None, typer.Option(
        "--comparator", metavar="INGREDIENT", help="Active-comparator ingredient (default: "
        "non-users at a random index date).")] = None,
    history: Annotated[list[str] | None, typer.Option(
        "--history", metavar="CONCEPT_ID", help="Condition concept id whose history before "
        "the index date is a covariate (repeatable).")] = None,
    washout_days: Annotated[int, typer.Option("--washout-days", min=0, help="Prior observation required before the "
                                                                             "index date.")] = 365,
    window_days: Annotated[int, typer.Option("--window-days", min=1, help="Outcome window after the index date (the "
                                                                          "RMST horizon).")] = 365,
    genes: Annotated[list[str] | None, typer.Option(
        "--genes", metavar="GENE", help="Genes whose phenotypes are effect modifiers "
        "(default: the exposure's genes in the knowledge pack).")] = None,
    cdm_schema: Annotated[str | None, typer.Option(
        "--cdm-schema", metavar="SCHEMA", help="Schema of the CDM tables.")] = None,
    missing_as_ref: Annotated[bool, typer.Option("--missing-as-ref", help="Positions absent from the VCFs are "
                                                 "homozygous reference (joint-called cohort VCFs).")] = False,
    kb: Annotated[str, typer.Option(help="Knowledge pack name or folder.")] = "pgx-core",
    trees: Annotated[int, _TREES] = 400,
    seed: Annotated[int, _SEED] = 0,
    no_forest: Annotated[bool, _NO_FOREST] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
) -> None:
    """New-user cohort from an OMOP CDM joined to genomes; PGx phenotypes as effect modifiers; same estimation as
    cohort effects."""
    from tailormed.pipelines.cohort_omop import run_cohort_omop

    settings = _settings(trees, seed, no_forest)
    with progress_display(quiet) as progress:
        run = run_guarded(lambda: run_cohort_omop(cdm, genomes, person_map, out_dir, exposure=exposure,
                                                  outcomes=outcomes, comparator=comparator, history=history or [],
                                                  washout_days=washout_days, window_days=window_days, genes=genes,
                                                  cdm_schema=cdm_schema, kb_name=kb,
                                                  missing_as_reference=missing_as_ref,
                                                  settings=settings,
                                                  progress=progress))
    if not quiet:
        _summary(run)


def register(app: typer.Typer) -> None:
    """Add ``effects`` and ``omop`` to the ``cohort`` group."""
    app.command("effects")(effects)
    app.command("omop")(omop)
