"""``tailormed cohort``: cohort research. The group only; each command module registers its commands."""

from __future__ import annotations

import typer

from tailormed.cli import cohort_effects

cohort_app = typer.Typer(help="Cohort research: treatment effects by subgroup (cohort effects, cohort omop).",
                         no_args_is_help=True, rich_markup_mode=None)
cohort_effects.register(cohort_app)
