"""``tailormed risk``: risk and prevention."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, get_args

import typer

from tailormed.cli.console import add_row, new_table, out, run_guarded, say
from tailormed.model.patient import PolygenicOutcome

app = typer.Typer(help=('Risk and prevention: polygenic scores (PGS Catalog scoring files on VCF, PLINK bed or pgen '
                       'genotypes) and clinical risk equations (PCE, PREVENT, FINDRISC) with what-ifs and advice.'),
                  no_args_is_help=True, rich_markup_mode=None)


@app.command("prs")
def risk_prs(
    scores: Annotated[list[Path], typer.Option("--scores", metavar="FILE", help="Scoring file(s): PGS Catalog "
                                                                "(author-reported or "
                                                                "harmonized), plain or plink-style multi-score.")],
    genotypes: Annotated[Path, typer.Option(help="Target genotypes: VCF/BCF, PLINK 1 prefix (.bed/.bim/.fam) or "
                                                 "PLINK 2 prefix (.pgen/.pvar/.psam).")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output folder: scores.tsv, match_report.tsv/.json "
                                                              "(written atomically).")],
    min_overlap: Annotated[float, typer.Option(help="Refuse a score matching fewer of its variants than this share.",
                                               min=0.0, max=1.0)] = 0.75,
    override_overlap: Annotated[bool, typer.Option("--override-overlap", help="Score even below --min-overlap "
                                                   "(recorded in the match report).")] = False,
    keep_ambiguous: Annotated[bool, typer.Option(help="Keep strand-ambiguous (A/T, C/G) SNPs, matched on the "
                                                      "given strand.")] = False,
    keep_multiallelic: Annotated[bool, typer.Option(help="Keep target variants from multi-allelic records.")] = False,
    reference: Annotated[Path | None, typer.Option(help="Reference panel genotypes for z-scores and percentiles "
                                                        "(e.g. 1000 Genomes).")] = None,
    populations: Annotated[Path | None, typer.Option(help="Reference sample -> population table (header with "
                                                          "sample and population columns).")] = None,
    population_column: Annotated[str, typer.Option(help="Column of --populations to use.")] = "super_pop",
    population: Annotated[str | None, typer.Option(help="Reference population to standardise against "
                                                        "(e.g. EUR).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
) -> None:
    """Compute polygenic scores (sum and average per sample), with a per-score match report."""
    from tailormed.pipelines.risk import run_prs

    runs = run_guarded(lambda: run_prs(scores, genotypes, out_dir, min_overlap=min_overlap,
                                keep_ambiguous=keep_ambiguous, keep_multiallelic=keep_multiallelic,
                                override_overlap=override_overlap, reference=reference, populations=populations,
                                population_column=population_column, population=population))
    if quiet:
        return
    table = new_table("score", "matched", "total", "match rate", "samples", title="polygenic scores")
    for run in runs:
        for k, score_id in enumerate(run.result.score_ids):
            total = int(run.result.total[k])
            matched = int(run.result.matched[k])
            add_row(table, score_id, str(matched), str(total), f"{matched / total:.1%}" if total else "-",
                          str(len(run.result.samples)))
    out.print(table)
    say(f"wrote {out_dir}/scores.tsv and match_report.tsv")


def _polygenic_outcome(value: str) -> str:
    if value not in get_args(PolygenicOutcome):
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(get_args(PolygenicOutcome))}")
    return value


@app.command("assess")
def risk_assess(
    person: Annotated[Path, typer.Argument(help="Person file (YAML): age, sex, measurements and flags, optionally "
                                                "fhir_bundle: FILE whose Observations fill the rest (docs/risk.md).")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output folder: risk.json (written atomically).")],
    prs_z: Annotated[float | None, typer.Option(help="The person's polygenic score z (from risk prs).")] = None,
    prs_hr: Annotated[float | None, typer.Option(help="Hazard ratio per SD of that score (published or "
                                                      "calibrated).")] = None,
    prs_source: Annotated[str, typer.Option(help="Citation of --prs-hr.")] = "",
    prs_outcome: Annotated[str, typer.Option(
        callback=_polygenic_outcome, help="The outcome --prs-hr was estimated for (ascvd, total_cvd, "
        "heart_failure): only its 10-year estimates are adjusted.")] = "ascvd",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
) -> None:
    """Clinical risk (PCE, PREVENT, FINDRISC), what-ifs ranked by absolute risk reduction, and cited advice."""
    from tailormed.pipelines.risk import run_assess

    result = run_guarded(lambda: run_assess(person, out_dir, prs_z=prs_z, prs_hr_per_sd=prs_hr, prs_source=prs_source,
                                             prs_outcome=prs_outcome))
    if quiet:
        return
    table = new_table("estimate", "risk", title="clinical risk")
    for e in result.estimates:
        add_row(table, e.name, f"{e.risk:.1%}" + (f" ({e.points} points, {e.category})" if e.points is not None
                                                  else ""))
    if result.estimates:
        out.print(table)
    for w in result.what_ifs:
        say(f"what if {w.change}: {w.estimate} {w.baseline:.1%} -> {w.after:.1%} "
                  f"(-{w.absolute_risk_reduction:.1%})")
    for a in result.advice:
        say(f"{a.topic}: {a.statement} [{a.source}]")
    for name, why in result.skipped.items():
        say(f"not computed: {name}: {why}")

