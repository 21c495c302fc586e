"""``tailormed store``: keep ``analyze`` results in the results store (versioned per patient, audited)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from tailormed.cli.console import add_row, new_table, out, run_guarded, say

app = typer.Typer(help="Store analysis results per patient (SQLite by default, PostgreSQL with --db), list, show, "
                       "export and delete them.", no_args_is_help=True, rich_markup_mode=None)

DbOption = Annotated[str | None, typer.Option(
    "--db", help="Database URL: sqlite:///PATH or postgresql+psycopg://USER@HOST/DB. Default: $TAILORMED_DB, "
                 "else ~/.local/share/tailormed/store.db.")]
_EXPORT_HELP = ("json (analysis.json with every JSON document inlined), html (the patient report) or fhir (a FHIR R4 "
                "Bundle, Genomics Reporting IG).")


@app.command("add")
def add(
    patient: Annotated[Path, typer.Argument(help="Patient manifest (YAML), as for `tailormed analyze`.")],
    db: DbOption = None,
    kb_name: Annotated[str, typer.Option("--kb", help="Knowledge pack name or folder.")] = "pgx-core",
) -> None:
    """Analyse a patient and store the result as the patient's next version (the same inputs again keep the
    stored version)."""
    from tailormed.pipelines.results import store_add

    outcome = run_guarded(lambda: store_add(patient, db, kb_name=kb_name))
    state = "stored" if outcome.created else "unchanged inputs: kept"
    say(f"{state} {outcome.patient_id} version {outcome.version} ({len(outcome.paths)} documents)")


@app.command("list")
def list_patients(db: DbOption = None) -> None:
    """List stored patients with their number of versions."""
    from tailormed.pipelines.results import store_list

    rows = run_guarded(lambda: store_list(db))
    table = new_table("patient", "versions", "latest", "stored at")
    for row in rows:
        add_row(table, row.patient_id, row.versions, row.latest_version, row.latest_at)
    out.print(table)


@app.command("show")
def show(patient_id: Annotated[str, typer.Argument(help="Patient id.")], db: DbOption = None) -> None:
    """Show a patient's versions and the latest version's documents (JSON)."""
    from tailormed.pipelines.results import store_show

    shown = run_guarded(lambda: store_show(patient_id, db))
    sys.stdout.write(json.dumps(shown, indent=1) + "\n")


@app.command("export")
def export(
    patient_id: Annotated[str, typer.Argument(help="Patient id.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help=_EXPORT_HELP)] = "json",
    version: Annotated[int | None, typer.Option("--version", help="Version to export (default: the latest).",
                                                min=1)] = None,
    db: DbOption = None,
) -> None:
    """Print a stored result to stdout in the chosen format."""
    from tailormed.pipelines.results import store_export

    content = run_guarded(lambda: store_export(patient_id, fmt, db, version=version))
    sys.stdout.buffer.write(content)
    sys.stdout.buffer.flush()


@app.command("delete")
def delete(patient_id: Annotated[str, typer.Argument(help="Patient id.")], db: DbOption = None) -> None:
    """Delete a patient's stored results (every version); the audit log keeps a record of the deletion."""
    from tailormed.pipelines.results import store_delete

    removed = run_guarded(lambda: store_delete(patient_id, db))
    say(f"deleted {patient_id}: {removed} versions")
