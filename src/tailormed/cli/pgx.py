"""``tailormed pgx``: pharmacogenomics."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tailormed.cli.console import comma_separated, fail, progress_display, run_guarded, say
from tailormed.model.patient import Sex

app = typer.Typer(help="Pharmacogenomics: VCF to star alleles, phenotypes and CPIC drug guidance.",
                  no_args_is_help=True, rich_markup_mode=None)


@app.command("call")
def pgx_call(
    vcf: Annotated[list[Path] | None, typer.Argument(metavar="VCF", help="GRCh38 VCF/BCF file(s), plain or "
                                                          "bgzipped (indexed files "
                                                          "are read by region). Several files (e.g. one per gene "
                                                          "region) must hold the same samples. Omit to use outside "
                                                          "calls alone.")] = None,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output folder; a rerun replaces it "
                                                              "whole.")] = Path("pgx-out"),
    samples: Annotated[str | None, typer.Option(help="Comma-separated sample ids (default: all).")] = None,
    outside_calls: Annotated[Path | None, typer.Option("--outside-calls", help="TSV of outside calls (gene, "
                                                       "diplotype, phenotype, activity_score); overrides VCF "
                                                       "calls.")] = None,
    cyp2d6_copy_number: Annotated[Path | None, typer.Option(
        "--cyp2d6-copy-number", help="CYP2D6 structural input: a copy-number TSV (sample, copy_number) that completes "
        "the VCF call (*4/*4 with 1 copy: *4/*5; 3 copies: duplications), or a Cyrius TSV or StellarPGx summary "
        "whose diplotypes are used as outside calls (docs/cyp2d6-copy-number.md).")] = None,
    missing_as_ref: Annotated[bool, typer.Option("--missing-as-ref/--no-missing-as-ref", help="Treat defining "
                                                 "positions absent from the VCF as homozygous reference "
                                                 "(joint-called cohort VCFs only); recorded as an assumption in "
                                                 "every output.")] = False,
    medications: Annotated[str | None, typer.Option(help="Comma-separated current medications (generic names) of "
                                                    "the one sample analysed: listed first in the report, and CYP2D6, "
                                                    "CYP2C19 or CYP2C9 inhibitors and inducers among them are applied "
                                                    "(phenoconversion, docs/pgx-matching.md). Refused for several "
                                                    "samples.")] = None,
    sex: Annotated[str, typer.Option(help="The one sample's recorded sex: female, male, other or unknown. Advice "
                                     "written for another sex (tamoxifen's alternatives: women) gets a cited note; "
                                     "male also reads G6PD as one X. Refused for several samples.")] = "unknown",
    formats: Annotated[str, typer.Option(help="Comma-separated outputs: tsv, json, html.")] = "tsv,json,html",
    full_evidence: Annotated[bool, typer.Option("--full-evidence", help="Write each sample's full JSON document "
                                                "(every examined position, the guidance text and sources on every "
                                                "drug row) instead of the compact one that refers to the run's "
                                                "knowledge.json (docs/output-schema.md).")] = False,
    workers: Annotated[int | None, typer.Option(min=1, help="Processes writing the per-sample JSON/HTML (default: "
                                                "up to 4, the CPUs there are, for 256 samples or more; 1 otherwise)."
                                                )] = None,
    kb: Annotated[str, typer.Option(help="Knowledge pack name or folder.")] = "pgx-core",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
) -> None:
    """Call star-allele diplotypes, phenotypes and CPIC drug guidance for every sample of a VCF."""
    from tailormed.pipelines.pgx import ALL_FORMATS, run_pgx_call

    chosen = comma_separated(formats)
    bad = [f for f in chosen if f not in ALL_FORMATS]
    if bad or not chosen:
        raise fail(f"--formats: unknown format(s) {bad}; choose from {', '.join(ALL_FORMATS)}")
    sample_list = comma_separated(samples) if samples is not None else None
    if sample_list == []:
        raise fail(f"--samples {samples!r} names no sample; give comma-separated sample ids")
    medication_list = comma_separated(medications) if medications else []
    sexes: dict[str, Sex] = {"female": "female", "male": "male", "other": "other", "unknown": "unknown"}
    if sex.strip().lower() not in sexes:
        raise fail(f"--sex {sex!r}: choose female, male, other or unknown")
    with progress_display(quiet) as progress:
        summary = run_guarded(lambda: run_pgx_call(vcf, out_dir, kb_name=kb, samples=sample_list,
                                                   outside_calls_path=outside_calls,
                                                   missing_as_reference=missing_as_ref, formats=chosen,
                                                   medications=medication_list, progress=progress,
                                                   full_evidence=full_evidence, workers=workers,
                                                   cyp2d6_copy_number_path=cyp2d6_copy_number,
                                                   sex=sexes[sex.strip().lower()]))
    if not quiet:
        say(f"{summary.samples} sample(s) x {summary.genes} genes -> {summary.out} ({len(summary.files)} files)")
