"""``tailormed cohort``: cohort research. The group only; each command lives in its own module and is registered
here."""

from __future__ import annotations

import typer

from tailormed.cli import cohort_pgx

app = typer.Typer(help="Cohort research: population pharmacogenomics and treatment effects over whole cohorts.",
                  no_args_is_help=True, rich_markup_mode=None)
app.command("pgx")(cohort_pgx.cohort_pgx)
