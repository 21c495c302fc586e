"""HTML report: one self-contained file a clinician can read (drug table first)."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape

from tailormed.model.pgx import PgxResult

_ENV = Environment(loader=PackageLoader("tailormed.report", "templates"), autoescape=select_autoescape(["html", "j2"]),
                   trim_blocks=True, lstrip_blocks=True)

STATUS_LABELS = {
    "actionable": "Change from usual care",
    "standard": "Usual care",
    "no_result": "No result",
    "no_recommendation": "No recommendation",
}


def render_pgx_html(result: PgxResult) -> str:
    """Render one sample's pharmacogenomic report."""
    template = _ENV.get_template("pgx.html.j2")
    return template.render(r=result, status_labels=STATUS_LABELS)
