"""``tailormed cohort pgx``: population pharmacogenomics over a cohort's VCFs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tailormed.cli.console import progress_display, run_guarded, say


def cohort_pgx(
    vcf: Annotated[list[Path], typer.Argument(metavar="VCF...", help="GRCh38 VCF/BCF file(s) of the cohort, plain or "
                                              "bgzipped (indexed files are read by region); several files (e.g. one "
                                              "per gene region) must hold the same samples.")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output folder; a rerun replaces it whole.")],
    missing_as_ref: Annotated[bool, typer.Option("--missing-as-ref/--no-missing-as-ref", help="Treat defining "
                                                 "positions absent from the VCF as homozygous reference (joint-called "
                                                 "cohort VCFs that list only variant sites, such as 1000 Genomes); "
                                                 "recorded in summary.json.")] = False,
    populations: Annotated[Path | None, typer.Option("--populations", metavar="PANEL", help="Sample -> population "
                                                     "table with a header (a 1000 Genomes panel file: sample, pop, "
                                                     "super_pop); frequencies are given for ALL and for each group "
                                                     "of --group-by.")] = None,
    group_by: Annotated[str, typer.Option("--group-by", help="The panel column that names the groups.")] = "super_pop",
    panel_only: Annotated[bool, typer.Option("--panel-only", help="Analyse only the VCF samples the panel lists (by "
                                             "default every VCF sample must be in the panel).")] = False,
    scheduler: Annotated[str | None, typer.Option("--scheduler", metavar="ADDRESS", help="Run on a Dask distributed "
                                                  "cluster (e.g. tcp://host:8786; needs the 'cohort' extra; workers "
                                                  "must have TailorMed and read the same paths). Default: local "
                                                  "processes.")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Local processes (default: up to 4, the CPUs there "
                                                "are, for 1,000 samples or more; 1 otherwise).")] = None,
    chunk_samples: Annotated[int, typer.Option("--chunk-samples", min=1, help="Samples per unit of work (the output "
                                               "does not depend on it).")] = 1000,
    kb: Annotated[str, typer.Option(help="Knowledge pack name or folder.")] = "pgx-core",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
) -> None:
    """Call every sample, then count phenotype, diplotype and allele frequencies per population, the share with an
    actionable phenotype and, per CPIC drug, how many would get a changed recommendation (docs/cohort.md)."""
    from tailormed.pipelines.cohort_pgx import run_cohort_pgx

    with progress_display(quiet) as progress:
        summary = run_guarded(lambda: run_cohort_pgx(vcf, out_dir, kb_name=kb, missing_as_reference=missing_as_ref,
                                                     populations_path=populations, population_column=group_by,
                                                     panel_only=panel_only, scheduler=scheduler, workers=workers,
                                                     chunk_samples=chunk_samples, progress=progress))
    if not quiet:
        groups = ", ".join(f"{p} {n}" for p, n in summary.populations.items() if p != "ALL")
        say(f"{summary.samples} sample(s){' (' + groups + ')' if groups else ''} on {summary.runner}, "
            f"{summary.units} units -> {summary.out} ({len(summary.files)} files)")
