"""HTML report: one self-contained file a clinician can read.

The pharmacogenomic page answers "what do I do for this patient's medications" on its first screen: the
medication list with the advice for each, how many genes were called (and which were not), then the other drugs
whose advice departs from usual care. Usual-care drugs are a compact, collapsed list; the evidence (genes, calls,
missing positions, warnings, knowledge version, disclaimers) follows below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from tailormed.model.common import Citation
from tailormed.model.pgx import DrugRecommendation, GeneResult, PgxResult, PositionGenotype, format_activity_score

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


def author_year(citation: str) -> str:
    """First author and year, for a one-line source mention.

    >>> author_year("Lee CR, Luzum JA, Sangkuhl K, et al. Clin Pharmacol Ther. 2022;112(5):959-967.")
    'Lee CR et al. 2022'
    """
    short = short_citation(citation).split(", ")
    year = short[-1] if len(short) > 1 and short[-1].isdigit() else ""
    return f"{short[0]} {year}".strip()


def drug_anchor(drug: str) -> str:
    """The fragment id of a drug's guidance in the report.

    >>> drug_anchor("peginterferon alfa-2a")
    'drug-peginterferon-alfa-2a'
    """
    return "drug-" + re.sub(r"[^a-z0-9]+", "-", drug.lower()).strip("-")


def informative_positions(genotypes: list[PositionGenotype]) -> list[PositionGenotype]:
    """The positions worth a row (:attr:`PositionGenotype.informative`); plain reference ones are counted."""
    return [p for p in genotypes if p.informative]


_ENV.filters["informative"] = informative_positions
_ENV.filters["short_citation"] = short_citation
_ENV.filters["author_year"] = author_year
_ENV.filters["activity_score"] = format_activity_score

STATUS_LABELS = {
    "actionable": "Change from usual care",
    "not_tested": "Not tested",
    "standard": "Usual care",
    "no_result": "No result",
    "no_recommendation": "No recommendation",
}
"""The words shown for each drug status; the status is always spelled out, never shown by colour alone."""

STATUS_ICONS = {
    "actionable": "\u26a0",  # warning sign
    "not_tested": "?",
    "standard": "\u2713",  # check mark
    "no_result": "\u2013",  # en dash
    "no_recommendation": "\u25cb",  # white circle
}
"""A symbol beside each status label (shape as well as colour; the words carry the meaning)."""

_STATUS_ORDER = {"actionable": 0, "not_tested": 1, "no_result": 2, "standard": 3, "no_recommendation": 4}


@dataclass(frozen=True)
class GeneCallSummary:
    """How many of the report's genes were called, and which were not (PharmCAT's "Genotypes called: 18/23")."""

    total: int
    called: list[str]
    not_called: list[str] = field(default_factory=list)
    """Examined (some defining position had a genotype) but no diplotype or phenotype could be given."""
    not_tested: list[str] = field(default_factory=list)
    """Not examined: no input covered the gene (never read as normal)."""

    @property
    def text(self) -> str:
        """``Genes called: 17/22``."""
        return f"Genes called: {len(self.called)}/{self.total}"


def gene_call_summary(genes: list[GeneResult]) -> GeneCallSummary:
    """Count the genes called: examined and given a diplotype or a phenotype.

    >>> from tailormed.model.pgx import Diplotype
    >>> s = gene_call_summary([GeneResult(gene="CYP2C19", source="vcf", tested=True,
    ...                                   diplotypes=[Diplotype(alleles=["*1", "*2"])], phenotype="IM"),
    ...                        GeneResult(gene="TPMT", source="vcf", tested=True),
    ...                        GeneResult(gene="DPYD", source="none", tested=False)])
    >>> s.text, s.not_called, s.not_tested
    ('Genes called: 1/3', ['TPMT'], ['DPYD'])
    """
    called = [g.gene for g in genes if g.tested and (g.diplotypes or g.phenotype)]
    not_called = [g.gene for g in genes if g.tested and not (g.diplotypes or g.phenotype)]
    not_tested = [g.gene for g in genes if not g.tested]
    return GeneCallSummary(total=len(genes), called=called, not_called=not_called, not_tested=not_tested)


@dataclass(frozen=True)
class DrugGroup:
    """All rows of one drug (e.g. clopidogrel's indications), shown together under one anchor."""

    drug: str
    anchor: str
    drug_class: str | None
    status: str
    """The most pressing status among the rows (what changes care first)."""
    rows: list[DrugRecommendation]
    in_medication_list: bool
    testing_advice: bool
    shared_basis: bool
    """Every row rests on the same gene results (shown once for the group)."""


@dataclass(frozen=True)
class PgxPage:
    """The report's sections, in reading order."""

    medications: list[DrugGroup]
    unmatched_medications: list[str]
    """Listed medications the knowledge pack has no pharmacogenomic guidance for."""
    actionable: list[DrugGroup]
    not_assessed: list[tuple[str, list[DrugGroup]]]
    """Drugs that could not be assessed, grouped by the reason (e.g. 'HLA-B not tested')."""
    usual_care: list[DrugGroup]
    no_recommendation: list[DrugGroup]
    genes: GeneCallSummary

    @property
    def not_assessed_count(self) -> int:
        return sum(len(groups) for _, groups in self.not_assessed)


def _groups(rows: list[DrugRecommendation]) -> list[DrugGroup]:
    by_drug: dict[str, list[DrugRecommendation]] = {}
    for row in rows:
        by_drug.setdefault(row.drug, []).append(row)
    return [DrugGroup(drug=drug, anchor=drug_anchor(drug), drug_class=group[0].drug_class,
                      status=min((r.status for r in group), key=_STATUS_ORDER.__getitem__), rows=group,
                      in_medication_list=any(r.in_medication_list for r in group),
                      testing_advice=any(r.testing_advice for r in group),
                      shared_basis=all(r.basis == group[0].basis for r in group))
            for drug, group in by_drug.items()]


def _not_assessed_reason(group: DrugGroup) -> str:
    untested = sorted({g for r in group.rows for g in r.untested_genes})
    if untested:
        return f"{', '.join(untested)} not tested"
    uncalled = sorted({b.gene for r in group.rows for b in r.basis if b.diplotype == "not called"})
    return f"no result for {', '.join(uncalled)}" if uncalled else "no result"


def pgx_page(result: PgxResult, medications: list[str] | None = None) -> PgxPage:
    """Sort one sample's drug rows into the report's sections (rows keep the engine's order within each)."""
    groups = _groups(result.drugs)
    listed = {g.drug.lower() for g in groups if g.in_medication_list}
    unmatched = [m for m in medications or [] if m.lower() not in listed]
    others = [g for g in groups if not g.in_medication_list]
    not_assessed: dict[str, list[DrugGroup]] = {}
    for group in others:
        if group.status in ("not_tested", "no_result"):
            not_assessed.setdefault(_not_assessed_reason(group), []).append(group)
    return PgxPage(
        medications=[g for g in groups if g.in_medication_list], unmatched_medications=unmatched,
        actionable=[g for g in others if g.status == "actionable"],
        not_assessed=sorted(not_assessed.items(), key=lambda item: (-len(item[1]), item[0])),
        usual_care=[g for g in others if g.status == "standard"],
        no_recommendation=[g for g in others if g.status == "no_recommendation"],
        genes=gene_call_summary(result.genes))


class PgxHtmlRenderer:
    """Renders pharmacogenomic pages, reusing the parts that samples share.

    A drug's rows and a gene's result are, in a cohort, the same objects for many samples (see
    :class:`tailormed.pgx.recommend.RecommendationMemo`); their HTML (``pgx_parts.html.j2``) is rendered once per
    distinct object and reused. The renderer keeps the objects it keyed on alive, so an id is never reused while
    it is in use; use one renderer per run.
    """

    def __init__(self) -> None:
        self._citations: dict[str, Citation] = {}
        self._parts = _ENV.get_template("pgx_parts.html.j2").make_module(
            {"status_labels": STATUS_LABELS, "status_icons": STATUS_ICONS, "citation": self._citations.__getitem__})
        self._cache: dict[tuple[object, ...], tuple[object, Markup]] = {}
        self._page = _ENV.get_template("pgx_page.html.j2")

    def part(self, name: str, item: Any) -> Markup:
        """One part of the page (a macro of ``pgx_parts.html.j2``), rendered once per distinct input."""
        if isinstance(item, DrugGroup):
            key: tuple[object, ...] = (name, *map(id, item.rows))
            keep: object = item.rows
        elif isinstance(item, str):
            key, keep = (name, item), item
        else:
            key, keep = (name, id(item)), item
        hit = self._cache.get(key)
        if hit is None:
            hit = (keep, Markup(getattr(self._parts, name)(item)))
            self._cache[key] = hit
        return hit[1]

    def context(self, result: PgxResult) -> dict[str, Any]:
        """What ``pgx.html.j2`` needs for one sample (its own page, or the integrated patient page)."""
        for c in result.citations:
            self._citations.setdefault(c.id, c)
        return {"r": result, "page": pgx_page(result, result.medications), "part": self.part,
                "status_icons": STATUS_ICONS}

    def render(self, result: PgxResult) -> str:
        """One sample's page."""
        return self._page.render(**self.context(result))


def render_pgx_html(result: PgxResult) -> str:
    """Render one sample's pharmacogenomic report."""
    return PgxHtmlRenderer().render(result)
