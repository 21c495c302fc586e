"""``tailormed fhir``: FHIR R4 Genomics Reporting export, the IG check, and reading an EHR's patient Bundle."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from tailormed.cli.console import plain, run_guarded, say, warn

app = typer.Typer(help="FHIR R4 (HL7 Genomics Reporting IG STU3): export an analysis as a Bundle, check resources "
                       "against the IG, read a patient Bundle.", no_args_is_help=True, rich_markup_mode=None)


def _print_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, indent=1, ensure_ascii=False) + "\n")


@app.command("export")
def fhir_export(
    analysis_dir: Annotated[Path, typer.Argument(metavar="ANALYSIS_DIR", help="Output folder of `tailormed "
                                                                                "analyze`.")],
    patient_reference: Annotated[str | None, typer.Option("--patient-reference", help="The patient on the EHR's "
                                 "server, e.g. Patient/123 (default: a Patient resource in the Bundle).")] = None,
) -> None:
    """Print the analysis as a FHIR R4 Bundle (Genomics Reporting IG) on stdout."""
    from tailormed.pipelines.fhir import export_analysis_dir

    _print_json(run_guarded(lambda: export_analysis_dir(analysis_dir, patient_reference=patient_reference)))


@app.command("check")
def fhir_check(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A FHIR resource or Bundle (JSON).")],
    profile: Annotated[list[str] | None, typer.Option("--profile", help="Also check against this profile URL "
                                                      "(repeatable); declared meta.profile are always "
                                                      "checked.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors and the summary.")] = False,
) -> None:
    """Check FHIR JSON against the R4 base definitions and the Genomics Reporting IG (exit 1 when it has errors).

    Needs the IG packages: `make fhir-data` fetches them into .data/fhir (or set TAILORMED_FHIR_PACKAGES)."""
    from tailormed.pipelines.fhir import check_fhir_file

    report = run_guarded(lambda: check_fhir_file(file, tuple(profile or ())))
    for issue in report.issues:
        if issue.severity == "error" or not quiet:
            say(issue)
    if report.not_checked and not quiet:
        say("not checked (the packages do not carry them): " + ", ".join(sorted(report.not_checked)))
    say(f"{plain(file)}: {report.resources} resource(s), {len(report.errors)} error(s), {len(report.warnings)} "
        "warning(s)")
    if report.errors:
        raise typer.Exit(1)


@app.command("import")
def fhir_import(
    bundle: Annotated[Path, typer.Argument(metavar="BUNDLE", help="Patient Bundle (Patient, Observation, Condition, "
                                           "MedicationRequest, AllergyIntolerance; genotype Observations).")],
    pgx: Annotated[bool, typer.Option("--pgx", help="Re-run pharmacogenomics on the reported genotypes and print "
                                      "the result as a Genomics Reporting Bundle instead.")] = False,
) -> None:
    """Read an EHR's patient Bundle and print what TailorMed reads from it (JSON)."""
    from tailormed.pipelines.fhir import import_patient_bundle, pgx_bundle_from_fhir

    if pgx:
        _print_json(run_guarded(lambda: pgx_bundle_from_fhir(bundle)))
        return
    record = run_guarded(lambda: import_patient_bundle(bundle))
    if not record.genotypes and not record.medications:
        warn("no genotype Observations and no medication matched to the knowledge")
    _print_json(record.model_dump(mode="json", exclude_defaults=True))
