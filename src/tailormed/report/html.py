"""HTML report: one self-contained file a clinician can read (drug table first)."""

from __future__ import annotations

import re
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from tailormed.model.pgx import PgxResult, format_activity_score

_ENV = Environment(loader=PackageLoader("tailormed.report", "templates"), autoescape=select_autoescape(["html", "j2"]),
                   trim_blocks=True, lstrip_blocks=True)

def short_citation(citation: str) -> str:
    """A citation shortened for a table cell.

    ``Lee CR, Luzum JA, ... Clin Pharmacol Ther. 2022;112(5):959-967.`` -> ``Lee CR et al., Clin Pharmacol Ther, 2022``

    >>> short_citation("U.S. Food and Drug Administration. Drug Development and Drug Interactions. fda.gov.")
    'U.S. Food and Drug Administration'
    """
    first_author = citation.split(",")[0].split(".")[0].strip()
    if len(first_author) < 4:  # an abbreviated organisation, e.g. "U.S. Food and Drug Administration. ..."
        first_author = re.split(r"(?<=[a-z])\.\s", citation)[0].strip()
    year = re.search(r"\b(19|20)\d{2}\b", citation)
    journal = re.search(r"\.\s*([A-Z][A-Za-z .]+?)\.?\s*(?:19|20)\d{2}", citation)
    parts = [f"{first_author} et al." if "," in citation.split(".")[0] else first_author]
    if journal:
        parts.append(journal.group(1).strip().rstrip("."))
    if year:
        parts.append(year.group(0))
    return ", ".join(parts)


_ENV.filters["short_citation"] = short_citation
_ENV.filters["activity_score"] = format_activity_score

STATUS_LABELS = {
    "actionable": "Change from usual care",
    "not_tested": "Not tested",
    "standard": "Usual care",
    "no_result": "No result",
    "no_recommendation": "No recommendation",
}
"""The words shown for each drug status; the status is always spelled out, never shown by colour alone."""


def render_pgx_html(result: PgxResult) -> str:
    """Render one sample's pharmacogenomic report."""
    template = _ENV.get_template("pgx.html.j2")
    return template.render(r=result, status_labels=STATUS_LABELS)


def render_risk_html(title: str, assessment: Any, adjusted: dict[str, float], version: str,
                     histograms: list[dict[str, Any]] | None = None) -> str:
    """The risk-and-prevention section: polygenic scores on their reference distribution, estimates and what-ifs
    as inline SVG bars, advice with sources."""
    template = _ENV.get_template("risk.html.j2")
    return template.render(title=title, estimates=assessment.estimates, what_ifs=assessment.what_ifs,
                           advice=assessment.advice, skipped=assessment.skipped, adjusted=adjusted, version=version,
                           histograms=histograms or [])
