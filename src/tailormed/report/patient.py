"""The integrated patient report: one page that says what matters for this patient now, with each domain's detail
one click away (``tailormed analyze`` → ``DIR/report.html``).

It is a function of the analysis documents alone (``analysis.json``, ``pgx.json``, ``rare/result.json``,
``risk/risk.json``, ``onco/actionability.json``), so the same page is drawn by ``analyze`` and by any service that
stored only those documents. Its domain sections are the per-domain reports' own section templates
(``pgx.html.j2``, ``rare.html.j2``, ``risk.html.j2``, ``onco.html.j2``) included one heading level down, not
copies of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tailormed.model.onco import OncoResult
from tailormed.model.pgx import PgxResult
from tailormed.model.rare import RareResult
from tailormed.report.html import _ENV, STATUS_ICONS, STATUS_LABELS, DrugGroup, PgxHtmlRenderer, pgx_page
from tailormed.report.onco import RESISTANCE_LEVELS, onco_view
from tailormed.report.rare import rare_view
from tailormed.report.risk import risk_view

SECTION_TITLES = {"pgx": "Pharmacogenomics", "rare": "Rare-disease diagnostics", "risk": "Risk and prevention",
                  "onco": "Precision oncology"}
"""The integrated page's domain sections, in reading order."""

DOCUMENT_FILES = {"analysis.json": "analysis", "pgx.json": "pgx", "rare/result.json": "rare", "risk/risk.json": "risk",
                  "onco/actionability.json": "onco"}
"""Each document's file in an analysis folder -> its key."""

TOP_RARE = 3
TOP_WHAT_IFS = 2


@dataclass
class AnalysisDocuments:
    """The documents of one ``analyze`` run, parsed: what the integrated page is drawn from."""

    analysis: dict[str, Any]
    pgx: PgxResult | None = None
    rare: RareResult | None = None
    risk: dict[str, Any] | None = None
    onco: OncoResult | None = None

    @classmethod
    def from_json(cls, documents: Mapping[str, Any]) -> AnalysisDocuments:
        """From parsed JSON keyed ``analysis``, ``pgx``, ``rare``, ``risk``, ``onco``, or by the documents' file
        names in the output folder (``analysis.json``, ``pgx.json``, ``rare/result.json``, ``risk/risk.json``,
        ``onco/actionability.json``, as the FHIR export takes them); absent or None: not run."""
        documents = {DOCUMENT_FILES.get(key, key): value for key, value in documents.items()}
        pgx, rare, onco = documents.get("pgx"), documents.get("rare"), documents.get("onco")
        return cls(analysis=dict(documents.get("analysis") or {}),
                   pgx=PgxResult.model_validate(pgx) if pgx is not None else None,
                   rare=RareResult.model_validate(rare) if rare is not None else None,
                   risk=dict(documents["risk"]) if documents.get("risk") is not None else None,
                   onco=OncoResult.model_validate(onco) if onco is not None else None)


@dataclass(frozen=True)
class NotDone:
    """A gene or test not done (or an input not given) that would change advice, and where the report says so."""

    text: str
    href: str


@dataclass
class Summary:
    """The first screen: what matters for this patient now, each item linking to its section."""

    medications: list[DrugGroup] = field(default_factory=list)
    unmatched_medications: list[str] = field(default_factory=list)
    phenoconversion: list[str] = field(default_factory=list)
    other_actionable: list[DrugGroup] = field(default_factory=list)
    rare: list[dict[str, Any]] = field(default_factory=list)
    estimates: list[dict[str, Any]] = field(default_factory=list)
    what_ifs: list[dict[str, Any]] = field(default_factory=list)
    not_done: list[NotDone] = field(default_factory=list)


def _decisive_variant(candidate: Any) -> Any:
    """The candidate's variant with the most ACMG/AMP points (the one the genotype evidence rests on)."""
    return max(candidate.variants, key=lambda v: v.acmg.points) if candidate.variants else None


def summarise(docs: AnalysisDocuments) -> Summary:
    """The "what matters now" items of the documents."""
    s = Summary()
    if docs.pgx is not None:
        page = pgx_page(docs.pgx, docs.pgx.medications)
        s.medications, s.unmatched_medications = page.medications, page.unmatched_medications
        s.other_actionable = page.actionable
        for g in docs.pgx.genes:
            if g.adjusted_phenotype and g.adjusted_phenotype != g.phenotype:
                drugs = ", ".join(sorted({e.perpetrator for e in g.phenoconversion}))
                s.phenoconversion.append(f"{g.gene}: {g.phenotype} by genotype, {g.adjusted_phenotype} with "
                                         f"{drugs or 'current medications'}")
        for reason, groups in page.not_assessed:
            listed = [g.drug for g in groups if g.in_medication_list]
            s.not_done.append(NotDone(f"{reason}: {len(groups)} drug{'s' if len(groups) != 1 else ''} without "
                                      "genotype-based advice" + (f" (on the medication list: {', '.join(listed)})"
                                                                 if listed else ""), "#pgx-h-not-assessed"))
        for med in s.medications:
            if med.status in ("not_tested", "no_result"):
                s.not_done.append(NotDone(f"{med.drug} (current medication): "
                                          f"{STATUS_LABELS[med.status].lower()}", f"#{med.anchor}"))
        if page.genes.not_called:
            s.not_done.append(NotDone(f"Genes examined but not called: {', '.join(page.genes.not_called)}",
                                      "#pgx-genes"))
    if docs.rare is not None:
        for c in docs.rare.diseases[:TOP_RARE]:
            s.rare.append({"c": c, "variant": _decisive_variant(c)})
        s.not_done += [NotDone(w.message, "#rare-top") for w in docs.rare.warnings if w.code == "phenotype_only"]
    if docs.onco is not None:
        view = onco_view(docs.onco)
        s.not_done += [NotDone(w.message, "#onco-conditional") for w in view["untested"]]
    if docs.risk is not None:
        view = risk_view(docs.risk)
        s.estimates = [e for e in view["estimates"] if e["horizon_years"] == 10] or view["estimates"]
        for horizon, rows in view["what_if_groups"]:
            s.what_ifs += [{**w, "horizon": horizon} for w in rows[:TOP_WHAT_IFS]]
        # Estimates left out because the person has clinical ASCVD are not missing data: the summary says so once
        s.not_done += [NotDone(f"{name} not computed: {reason}", "#risk-estimates")
                       for name, reason in view["skipped"].items() if not reason.startswith("clinical ASCVD:")]
    for name in docs.analysis.get("not_analysed") or []:
        s.not_done.append(NotDone(f"The manifest's {name} is not analysed by this version", "#about-report"))
    return s


def _age(analysis: dict[str, Any]) -> str | None:
    demographics = analysis.get("demographics") or {}
    if demographics.get("age_years") is not None:
        return f"{float(demographics['age_years']):g}"
    return str(demographics["birth_date"]) if demographics.get("birth_date") else None


def _knowledge(docs: AnalysisDocuments) -> list[str]:
    found: list[str] = []
    for document in (docs.pgx, docs.rare, docs.onco):
        if document is not None:
            found += [k for k in document.provenance.knowledge if k not in found]
    return found


def _created(docs: AnalysisDocuments) -> str:
    created = docs.analysis.get("created")
    if created:
        return str(created)[:10]
    for document in (docs.pgx, docs.rare, docs.onco):
        if document is not None:
            return document.provenance.created[:10]
    return ""


def render_patient_html(documents: AnalysisDocuments | Mapping[str, Any], *, link_pages: bool = True) -> str:
    """The integrated report of one ``analyze`` run, from its documents.

    ``link_pages`` links each section to its own page and files as ``analysis.json`` names them (beside
    ``report.html`` in the output folder); a service serving the page alone passes False.
    """
    docs = documents if isinstance(documents, AnalysisDocuments) else AnalysisDocuments.from_json(documents)
    pgx = None
    if docs.pgx is not None:
        renderer = PgxHtmlRenderer()
        pgx = renderer.context(docs.pgx)
    sections = docs.analysis.get("sections") or {}
    present = {"pgx": docs.pgx is not None, "rare": docs.rare is not None, "risk": docs.risk is not None,
               "onco": docs.onco is not None}
    return _ENV.get_template("patient.html.j2").render(
        a=docs.analysis, patient=docs.analysis.get("patient") or (docs.pgx.sample if docs.pgx else ""),
        demographics=docs.analysis.get("demographics") or {}, age=_age(docs.analysis), created=_created(docs),
        knowledge=_knowledge(docs), s=summarise(docs), present=present, titles=SECTION_TITLES,
        files=sections if link_pages else {}, pgx=pgx,
        rare=rare_view(docs.rare) if docs.rare is not None else None,
        onco=onco_view(docs.onco) if docs.onco is not None else None,
        risk=risk_view(docs.risk) if docs.risk is not None else None,
        status_icons=STATUS_ICONS, status_labels=STATUS_LABELS, resistance_levels=RESISTANCE_LEVELS)
