"""``tailormed rare``: rare disease."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tailormed.cli.console import add_row, comma_separated, new_table, out, progress_display, run_guarded, say, warn

app = typer.Typer(help=('Rare disease: phenotype (HPO) and exome to ranked diagnoses with evidence.'),
                  no_args_is_help=True, rich_markup_mode=None)

_PRESET_HELP = "Analysis preset (YAML; default: the built-in one, see docs/rare-disease.md)."
_HPO_DIR_HELP = ("Compiled HPO knowledge folder (default: $TAILORMED_HPO, else the first of "
                 "~/.local/share/tailormed/hpo and the checkout's .data/hpo that holds one).")


@app.command("rank")
def rare_rank(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output folder: ranking.tsv, result.json, report.html, "
                                                              "interpretation.json (written atomically).")],
    phenopacket: Annotated[Path | None, typer.Option(help="GA4GH Phenopacket v2 JSON, or a text file of HPO ids "
                                                          "(one per line; '!HP:...' = excluded).")] = None,
    hpo: Annotated[str | None, typer.Option(help="Comma-separated HPO ids instead of a phenopacket "
                                                 "('!HP:...' = excluded).")] = None,
    vcf: Annotated[Path | None, typer.Option(help="Proband or family VCF annotated by VEP (CSQ) or snpEff "
                                                  "(ANN), GRCh38.")] = None,
    ped: Annotated[Path | None, typer.Option(help="PED file for a family VCF (parents, affected status).")] = None,
    cnv: Annotated[Path | None, typer.Option(help="CNV calls as BED: chrom, start, end, DEL/DUP, overlapped genes "
                                                  "(GENE or GENE:partial, comma-separated), optional copies "
                                                  "(docs/rare-disease.md).")] = None,
    sample: Annotated[str | None, typer.Option(help="The proband's column in the VCF (default: the phenopacket "
                                                    "subject, or the only sample).")] = None,
    onset: Annotated[str | None, typer.Option(help="Age at onset: an HPO onset term (HP:0003593 = infantile) or "
                                                   "an ISO 8601 age (P2Y6M); overrides the phenopacket's.")] = None,
    preset: Annotated[Path | None, typer.Option(help=_PRESET_HELP)] = None,
    hpo_dir: Annotated[Path | None, typer.Option("--hpo-data", help=_HPO_DIR_HELP)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
) -> None:
    """Rank diseases and genes for one proband: phenotype likelihood ratio x genotype likelihood ratio."""
    from tailormed.pipelines.rare import run_rare_rank

    terms = comma_separated(hpo) if hpo else []
    result = run_guarded(lambda: run_rare_rank(out_dir, phenopacket=phenopacket, hpo_terms=terms, vcf=vcf, ped=ped,
                                                     sample=sample, preset=preset, hpo_dir=hpo_dir,
                                                     onset=onset, cnv=cnv))
    if quiet:
        return
    for warning in result.warnings:
        warn(warning.message)
    table = new_table("rank", "disease", "gene", "score (log10)", "post-test",
                      title=f"{result.proband.id}: top candidates")
    for c in result.diseases[:10]:
        add_row(table, c.rank, f"{c.disease_name} ({c.disease_id})", c.gene or ",".join(c.genes[:3]),
                f"{c.score:.2f}", f"{c.posttest_probability:.3g}")
    out.print(table)
    say(f"wrote {out_dir}/ranking.tsv, result.json, report.html, interpretation.json")


@app.command("batch")
def rare_batch(
    folder: Annotated[Path, typer.Argument(help="Folder searched recursively for phenopacket *.json files.")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output folder: one sub-folder per case and "
                                                              "summary.tsv (failed.tsv lists rejected inputs).")],
    preset: Annotated[Path | None, typer.Option(help=_PRESET_HELP)] = None,
    hpo_dir: Annotated[Path | None, typer.Option("--hpo-data", help=_HPO_DIR_HELP)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
) -> None:
    """Rank every phenopacket in a folder (phenotype only), loading the ontology once."""
    from tailormed.pipelines.rare import run_rare_batch

    with progress_display(quiet) as progress:
        summary = run_guarded(lambda: run_rare_batch(folder, out_dir, preset=preset, hpo_dir=hpo_dir,
                                                     progress=progress))
    if not quiet:
        say(f"{summary.cases} case(s) ranked -> {out_dir}/summary.tsv"
            + (f"; {len(summary.failed)} rejected, see failed.tsv" if summary.failed else ""))

