"""The ``tailormed`` application: global options, the command groups, and ``analyze``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tailormed import __version__
from tailormed.cli import cohort, fhir, kb, onco, pgx, rare, risk
from tailormed.cli.console import run_guarded, say

app = typer.Typer(help="TailorMed: precision-medicine engine (pharmacogenomics, precision oncology, rare-disease "
                       "diagnostics, risk and prevention).", no_args_is_help=True, add_completion=False,
                  rich_markup_mode=None, context_settings={"max_content_width": 80})
app.add_typer(kb.app, name="kb")
app.add_typer(pgx.app, name="pgx")
app.add_typer(rare.app, name="rare")
app.add_typer(risk.app, name="risk")
app.add_typer(onco.app, name="onco")
app.add_typer(fhir.app, name="fhir")
app.add_typer(cohort.app, name="cohort")


def _version(value: bool) -> None:
    if value:
        say(f"tailormed {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                               help="Print the version and exit.")] = False) -> None:
    """TailorMed command line."""


@app.command()
def analyze(
    patient: Annotated[Path, typer.Argument(help="Patient manifest (YAML): demographics, germline VCF, outside "
                                                 "calls, medications; see docs/patient-manifest.md.")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output folder; a rerun replaces it whole.")],
    kb_name: Annotated[str, typer.Option("--kb", help="Knowledge pack name or folder.")] = "pgx-core",
    pdf: Annotated[bool, typer.Option("--pdf", help="Also write the integrated report as DIR/report.pdf (needs the "
                                                    "optional extra: pip install 'tailormed[pdf]').")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
) -> None:
    """Analyse one patient with every engine the manifest has inputs for, and write the integrated report
    (DIR/report.html: what matters now, then each domain) with each domain's own files beside it."""
    from tailormed.pipelines.analyze import run_analyze

    reports = run_guarded(lambda: run_analyze(patient, out_dir, kb_name=kb_name, pdf=pdf))
    if not quiet:
        for report in reports:
            say(f"report: {report}")
        if pdf:
            say(f"pdf: {out_dir / 'report.pdf'}")
