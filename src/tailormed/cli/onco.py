"""``tailormed onco``: precision oncology."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tailormed.cli.console import add_row, fail, new_table, out, progress_display, run_guarded, say, warn

app = typer.Typer(help=("Oncology: tumour variants, copy number and fusions to tiered, cited therapy options, "
                       "immunotherapy biomarkers and trials."),
                  no_args_is_help=True, rich_markup_mode=None)

_CNA_HELP = ("Gene-level copy number: cBioPortal discrete matrix, long (Copy_Number_Alteration) or gene + "
             "call/copy_number/log2 (docs/onco.md).")


@app.command("interpret")
def onco_interpret(
    tumor_type: Annotated[str, typer.Option("--tumor-type", "--tumour-type", help="OncoTree code, e.g. LUAD.")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output folder: actionability.json, therapies.tsv, "
                                                              "alterations.tsv, report.html (written atomically).")],
    maf: Annotated[Path | None, typer.Option(help="Somatic variants, MAF (GDC/cBioPortal columns), GRCh38.")] = None,
    vcf: Annotated[Path | None, typer.Option(help="Somatic VCF annotated by VEP (CSQ) or snpEff (ANN), "
                                                  "GRCh38.")] = None,
    cna: Annotated[Path | None, typer.Option(help=_CNA_HELP)] = None,
    fusions: Annotated[Path | None, typer.Option(help="Fusions: a 'Fusion' column (GENE1::GENE2 or "
                                                      "GENE1-GENE2).")] = None,
    sv: Annotated[Path | None, typer.Option(help="Structural variants: GeneA, GeneB, Sv_Type columns.")] = None,
    clinical: Annotated[Path | None, typer.Option(
        help="Clinical biomarkers (YAML or key/value TSV): msi_status, mmr_status, tmb, pdl1_tps, pdl1_cps, her2_ihc, "
             "er, pr, hrd.")] = None,
    sample: Annotated[str | None, typer.Option(help="Tumour sample (MAF Tumor_Sample_Barcode or VCF column).")] = None,
    callable_bed: Annotated[Path | None, typer.Option(help="BED of the callable coding territory, for TMB.")] = None,
    panel_size_mb: Annotated[float | None, typer.Option(help="Callable territory in Mb, for TMB, instead of a "
                                                             "BED.")] = None,
    trials: Annotated[list[Path] | None, typer.Option(metavar="FILE", help="Trial file(s) in TailorMed's format "
                                                                          "(docs/onco-trials.md); "
                                                          "repeatable.")] = None,
    pack: Annotated[str, typer.Option(help="Oncology knowledge pack (name or folder).")] = "onco-core",
    oncotree: Annotated[Path | None, typer.Option(help="OncoTree JSON to use instead of the built-in compact "
                                                       "copy.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
) -> None:
    """Interpret one tumour: tiered alterations, therapy options (this tumour type, then others), resistance,
    immunotherapy biomarkers (TMB, MSI/MMR, POLE) and matching trials."""
    from tailormed.pipelines.onco import TumourInputs, run_onco_interpret

    inputs = TumourInputs(maf=maf, vcf=vcf, cna=cna, fusions=fusions, sv=sv, clinical=clinical, tumour_sample=sample,
                          callable_bed=callable_bed, panel_size_mb=panel_size_mb)
    result = run_guarded(lambda: run_onco_interpret(out_dir, inputs, tumor_type, pack=pack, oncotree=oncotree,
                                             trials=trials or []))
    if quiet:
        return
    table = new_table("tier", "therapy", "response", "where", "biomarkers", title=f"{result.sample_id} "
                  f"({result.tumour_type_name}): therapy options")
    for option in result.therapies[:15]:
        response = option.response + (f" ({option.resistance_level})" if option.resistance_level else "")
        if option.unknown_requirements:
            response += "; if " + ", ".join(u.requirement for u in option.unknown_requirements)
        add_row(table, option.tier, option.therapy, response, "this tumour type" if option.tumour_match ==
                      "same" else ", ".join(option.record_tumour_types),
                      "; ".join(", ".join(m.satisfied_by) for m in option.matched))
    out.print(table)
    for finding in result.immunotherapy.findings:
        say(f"immunotherapy: {finding}")
    say(f"wrote {out_dir}/actionability.json, therapies.tsv, alterations.tsv, report.html")


@app.command("batch")
def onco_batch(
    maf: Annotated[Path, typer.Option(help="Somatic variants of many tumours, MAF (Tumor_Sample_Barcode).")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output folder: one sub-folder per tumour with "
                                                              "actionability.json, and summary.tsv.")],
    tumor_types: Annotated[Path | None, typer.Option("--tumor-types", help="Clinical table with SAMPLE_ID and "
                                                                          "ONCOTREE_CODE columns (optional AGE and "
                                                                          "SEX for trial matching).")] = None,
    tumor_type: Annotated[str | None, typer.Option("--tumor-type", help="One OncoTree code for every tumour.")] = None,
    cna: Annotated[Path | None, typer.Option(help=_CNA_HELP)] = None,
    fusions: Annotated[Path | None, typer.Option(help="Fusions with a Tumor_Sample_Barcode column.")] = None,
    sv: Annotated[Path | None, typer.Option(help="Structural variants (GeneA, GeneB, Sv_Type).")] = None,
    panel_size_mb: Annotated[float | None, typer.Option(help="Callable territory in Mb, for TMB.")] = None,
    trials: Annotated[list[Path] | None, typer.Option(metavar="FILE", help="Trial file(s); repeatable.")] = None,
    pack: Annotated[str, typer.Option(help="Oncology knowledge pack (name or folder).")] = "onco-core",
    oncotree: Annotated[Path | None, typer.Option(help="OncoTree JSON instead of the built-in compact copy.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
) -> None:
    """Interpret every tumour of a MAF, loading the knowledge once."""
    from tailormed.pipelines.onco import TumourInputs, run_onco_batch

    if (tumor_types is None) == (tumor_type is None):
        raise fail("give exactly one of --tumor-types or --tumor-type")
    inputs = TumourInputs(maf=maf, cna=cna, fusions=fusions, sv=sv, panel_size_mb=panel_size_mb)
    with progress_display(quiet) as progress:
        types: str | Path = tumor_type if tumor_type is not None else Path(str(tumor_types))
        summary = run_guarded(lambda: run_onco_batch(out_dir, inputs, types, pack=pack,
                                                     oncotree=oncotree, trials=trials or [], progress=progress))
    if not quiet:
        say(f"{summary.tumours} tumour(s) interpreted -> {out_dir}/summary.tsv; best tier: "
            + ", ".join(f"{k} {v}" for k, v in sorted(summary.top_tiers.items())))


@app.command("trials-import")
def onco_trials_import(
    studies: Annotated[list[Path], typer.Argument(metavar="STUDY_JSON...", help="ClinicalTrials.gov API v2 study JSON: "
                                                       "one study per file "
                                                       "(/api/v2/studies/NCT...) or {'studies': [...]}.")],
    out_path: Annotated[Path, typer.Option("--out", "-o", help="Trial file to write (YAML, "
                                                               "docs/onco-trials.md).")],
    retrieved: Annotated[str | None, typer.Option(help="Date the records were retrieved (YYYY-MM-DD), recorded "
                                                       "in each trial's source; default: the file's date.")] = None,
    oncotree: Annotated[Path | None, typer.Option(help="OncoTree JSON instead of the built-in compact copy "
                                                       "(condition codes absent from it are dropped).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
) -> None:
    """Import ClinicalTrials.gov studies into TailorMed's trial format: conditions mapped to OncoTree codes,
    biomarker criteria taken from the condition/keyword fields and the eligibility text by conservative patterns.
    Prints what could not be mapped; check the written file before use."""
    from tailormed.pipelines.knowledge import import_trials

    count, warnings = run_guarded(lambda: import_trials(studies, out_path, retrieved=retrieved,
                                                        oncotree=oncotree))
    if quiet:
        return
    for warning in warnings:
        warn(warning)
    say(f"imported {count} trial(s) from {len(studies)} file(s) -> {out_path}; {len(warnings)} warning(s)")
