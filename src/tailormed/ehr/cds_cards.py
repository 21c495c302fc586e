"""CDS Hooks 2.0 cards from pharmacogenomic results: a rendering, like the HTML report, of a drug's rows.

How a drug's rows become a card (``docs/service.md`` repeats this):

- **indicator** from the recommendation: a row that departs from usual care (status ``actionable``) gives
  ``critical`` when the advice is not to use the drug (the row's curated ``action`` is ``avoid``: the guideline's
  avoid, do not use or start, contraindicated, select another drug) and ``warning`` otherwise (``prefer_alternative``,
  ``change_dose``, ``extra_care``). The action is curated per row in the drug file, not read from the wording:
  "unless contraindicated" or "avoid CYP2D6 inhibitors" in a dose row is not advice to avoid the drug. A stored
  document older than schema 2.2 has no action on its rows; they keep the word match they were first shown with.
  A gene the drug needs that was not tested gives ``warning`` when a cited source advises testing before
  prescribing, else ``info``. Usual care (``standard``), no result and no recommendation give ``info``; the
  order hooks leave usual-care drugs out (no card), patient-view lists them.
- **summary**: ``Drug: GENE phenotype - advice``, at most 140 characters (cut at a word, with an ellipsis; with
  several rows (indications, or DPWG beside CPIC) the first that changes care leads and ``(+N more rows)``
  follows);
  **detail** (Markdown): every row of the drug (each indication), implication, recommendation, strength,
  the genotype it rests on, phenoconversion notes and warnings; for a row whose wording is written for one sex
  (tamoxifen's alternatives: women), the note for a patient of another or unrecorded sex, decided on the FHIR
  Patient's ``gender`` when the request gives it, else on the sex the stored result was made for. The summary then
  ends with ``[written for women: see detail]``, and for a patient recorded as the other sex (a man) such a row
  gives at most ``warning``, never ``critical``.
- **source**: the guideline's citation and link.
- **suggestions** (order hooks, a draft order with an id, a change of care): one per alternative drug the
  guideline's recommendation names (the curated ``alternatives:`` of every CPIC row of the drug that changes care:
  the indication is unknown here, so only alternatives all those rows name), each a ``delete`` of
  ``MedicationRequest/<id>`` and a ``create`` of a draft MedicationRequest coded with the alternative's RxNorm
  ingredient (dose left to the prescriber), ``isRecommended`` only when the guideline prefers it; then the plain
  "remove the order" suggestion. ``selectionBehavior`` ``at-most-one``.
- **overrideReasons**: four coded reasons with displays (cds-resp-4).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from tailormed.kb.rxnorm import RXNORM_SYSTEM
from tailormed.model.common import Citation
from tailormed.model.patient import Sex
from tailormed.model.pgx import AlternativeDrug, DrugRecommendation, written_for_note

SUMMARY_LIMIT = 140
OVERRIDE_SYSTEM = "https://tailormed.org/cds/override-reason"
TOPIC = {"system": "https://tailormed.org/cds/topic", "code": "pharmacogenomics", "display": "Pharmacogenomics"}
OVERRIDE_REASONS: tuple[dict[str, str], ...] = (
    {"system": OVERRIDE_SYSTEM, "code": "tolerated-before", "display": "Patient has taken this drug before without "
                                                                       "problems"},
    {"system": OVERRIDE_SYSTEM, "code": "benefit-outweighs-risk", "display": "Benefit outweighs the risk for this "
                                                                             "patient"},
    {"system": OVERRIDE_SYSTEM, "code": "will-monitor", "display": "Will monitor response or drug levels"},
    {"system": OVERRIDE_SYSTEM, "code": "result-not-applicable", "display": "Genetic result does not apply (e.g. "
                                                                            "transplant, indication)"},
)
_RANK = {"info": 0, "warning": 1, "critical": 2}

CitationLookup = Callable[[str], Citation | None]


# Documents written before schema 2.2 carry no curated action: their rows keep the word match they were shown with
# (re-analysing the sample gives the curated one). Not used for a 2.2 row: every actionable row there has an action.
_LEGACY_AVOID = re.compile(r"\b(avoid|do not use|contraindicated|not recommended|should not be used)\b", re.IGNORECASE)


def _legacy_avoid(recommendation: str | None) -> bool:
    return bool(recommendation and _LEGACY_AVOID.search(recommendation))


def row_indicator(row: DrugRecommendation, sex: Sex | None = None) -> str:
    """The indicator one row calls for (see the module docstring). A row whose wording is written for the other sex
    than the patient's recorded one (``sex``: tamoxifen's alternatives, written for women, for a man) gives at most
    ``warning``: its advice to use another drug is not written for this patient."""
    if row.status == "actionable":
        avoid = row.action == "avoid" if row.action is not None else _legacy_avoid(row.recommendation)
        other_sex = row.written_for is not None and sex in ("female", "male") and sex != row.written_for.sex
        return "critical" if avoid and not other_sex else "warning"
    if row.status == "not_tested":
        return "warning" if row.testing_advice else "info"
    return "info"


def changes_care(rows: Sequence[DrugRecommendation]) -> bool:
    """Whether the order hooks show a card for these rows: a change of care, or advice to test first."""
    return any(r.status == "actionable" or (r.status == "not_tested" and r.testing_advice) for r in rows)


def shorten(text: str, limit: int = SUMMARY_LIMIT) -> str:
    """``text`` in at most ``limit`` characters, cut at a word with an ellipsis.

    >>> shorten("a" * 10, 12)
    'aaaaaaaaaa'
    >>> shorten("one two three four", 12)
    'one two…'
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:-") + "…"


def _first_sentence(text: str) -> str:
    match = re.match(r"(.+?[.;])(\s|$)", text)
    return (match.group(1) if match else text).rstrip(".;")


def _basis_label(row: DrugRecommendation) -> str:
    if row.basis:
        parts = []
        for basis in row.basis:
            phenotype = basis.adjusted_phenotype if basis.phenotype_used == "adjusted" else basis.phenotype
            parts.append(f"{basis.gene} {phenotype or basis.matched_on}")
        return ", ".join(parts)
    if row.untested_genes:
        return f"{', '.join(row.untested_genes)} not tested"
    return "no genotype-based result"


def lead_row(rows: Sequence[DrugRecommendation]) -> DrugRecommendation:
    """The row a card leads with: CPIC's first row that changes care, else DPWG's, else the first row."""
    for body in ("CPIC", "DPWG"):
        for row in rows:
            if row.guideline_body == body and row.status == "actionable":
                return row
    return rows[0]


def row_note(row: DrugRecommendation, sex: Sex | None = None) -> str | None:
    """The written-for note of a row for a patient of ``sex`` (None: the sex the result was made for)."""
    return row.written_for_note if sex is None else written_for_note(row.written_for, sex)


def card_summary(drug: str, rows: Sequence[DrugRecommendation], sex: Sex | None = None) -> str:
    """``Drug: GENE phenotype - advice`` in at most 140 characters. With several rows (indications, or DPWG beside
    CPIC), the first row that changes care leads (its indication's first word, e.g. ``cardiovascular``; ``DPWG:``
    when only DPWG changes care) and the count of the others follows; the detail lists them all. When the lead
    row's wording is written for another sex than the patient's (:func:`row_note`), ``[written for women: see
    detail]`` ends it."""
    lead = lead_row(rows)
    if lead.written_for is not None and row_note(lead, sex):
        flag = f" [written for {lead.written_for.people}: see detail]"
        return _summary(drug, rows, lead, SUMMARY_LIMIT - len(flag)) + flag
    return _summary(drug, rows, lead)


def _summary(drug: str, rows: Sequence[DrugRecommendation], lead: DrugRecommendation,
             limit: int = SUMMARY_LIMIT) -> str:
    name = drug[:1].upper() + drug[1:]
    if lead.status == "not_tested":
        advice = _first_sentence(lead.testing_advice) if lead.testing_advice else "no genotype-guided advice possible"
    else:
        advice = _first_sentence(lead.recommendation or lead.implication or lead.status.replace("_", " "))
    if len(rows) == 1:
        return shorten(f"{name}: {_basis_label(lead)} - {advice}", limit)
    others = len(rows) - 1
    suffix = f" (+{others} more row{'s' if others > 1 else ''})"
    where = f"{lead.population.split(':')[0].strip()}: " if lead.population else ""
    if lead.guideline_body != "CPIC":
        where = f"{lead.guideline_body}: {where}"
    return shorten(f"{name}: {_basis_label(lead)} - {where}{advice}", limit - len(suffix)) + suffix


def card_detail(rows: Sequence[DrugRecommendation], citation: CitationLookup, sex: Sex | None = None) -> str:
    """Markdown: every row with its indication, implication, recommendation, strength and basis."""
    blocks: list[str] = []
    for row in rows:
        lines: list[str] = [f"**Guideline:** {row.guideline_body}" + (
            " (DPWG gives the same action)" if row.agreeing_rules else "")]
        if row.population:
            lines.append(f"**Indication:** {row.population}")
        for basis in row.basis:
            shown = f"{basis.gene} {basis.diplotype}: {basis.phenotype or basis.matched_on}"
            if basis.phenotype_used == "adjusted":
                shown += f" (adjusted for current medications: {basis.adjusted_phenotype})"
            lines.append(f"**Genotype:** {shown}")
        if row.implication:
            lines.append(f"**Implication:** {row.implication}")
        if row.recommendation:
            lines.append(f"**Recommendation:** {row.recommendation}" + (
                f" ({row.strength})" if row.strength else ""))
        note = row_note(row, sex)
        if note and row.written_for is not None:
            lines.append(f"**Written for {row.written_for.people}:** {note}")
        if row.difference:
            lines.append(f"**How it differs from CPIC:** {row.difference}")
        if row.untested_genes:
            lines.append(f"**Not tested:** {', '.join(row.untested_genes)}")
        if row.testing_advice:
            lines.append(f"**Testing:** {row.testing_advice}")
        for basis in row.basis:
            if basis.phenoconversion_note:
                lines.append(f"**Phenoconversion:** {basis.phenoconversion_note}")
        for warning in row.warnings:
            lines.append(f"*Note:* {warning.message}")
        blocks.append("  \n".join(lines))
    sources = []
    cited_ids = (s for row in rows for s in [*([row.guideline] if row.guideline else []), *row.agreeing_guidelines,
                                             *(row.written_for.sources if row.written_for and row_note(row, sex)
                                               else [])])
    for source_id in dict.fromkeys(cited_ids):
        cited = citation(source_id)
        if cited is not None:
            sources.append(f"[{shorten(cited.citation, 160)}]({cited.url})" if cited.url else cited.citation)
    text = "\n\n---\n\n".join(blocks)
    if sources:
        text += "\n\n**Source:** " + "; ".join(sources)
    return text + "\n\n*Decision support, not a substitute for the guideline; wording by TailorMed.*"


def card_source(rows: Sequence[DrugRecommendation], citation: CitationLookup) -> dict[str, Any]:
    lead = lead_row(rows)
    guideline = lead.guideline or next((row.guideline for row in rows if row.guideline), None)
    cited = citation(guideline) if guideline else None
    source: dict[str, Any] = {"label": shorten(cited.citation, 120) if cited else "TailorMed pgx-core knowledge",
                              "topic": dict(TOPIC)}
    if cited and cited.url:
        source["url"] = cited.url
    return source


def card_alternatives(rows: Sequence[DrugRecommendation]) -> list[AlternativeDrug]:
    """The alternatives a card offers: those named by every CPIC row of the drug that changes care.

    The service does not know the indication, so an alternative one indication's row names but another's does not
    (e.g. a drug contraindicated after a stroke) is not offered as a one-click replacement; the detail still lists
    every row."""
    actionable = [r for r in rows if r.guideline_body == "CPIC" and r.status == "actionable"]
    if not actionable:
        return []
    common = [a for a in actionable[0].alternatives
              if all(any(b.rxnorm == a.rxnorm for b in r.alternatives) for r in actionable[1:])]
    return [a.model_copy(update={"preferred": all(any(b.rxnorm == a.rxnorm and b.preferred for b in r.alternatives)
                                                  for r in actionable)}) for a in common]


def _alternative_order(alternative: AlternativeDrug, draft: dict[str, Any]) -> dict[str, Any]:
    """A draft MedicationRequest for the alternative ingredient, for the same patient as the draft order."""
    order: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "status": "draft",
        "intent": draft.get("intent") if draft.get("intent") in ("proposal", "plan", "order") else "order",
        "medicationCodeableConcept": {
            "coding": [{"system": RXNORM_SYSTEM, "code": alternative.rxnorm, "display": alternative.drug}],
            "text": alternative.drug,
        },
    }
    if isinstance(draft.get("subject"), dict):
        order["subject"] = dict(draft["subject"])
    return order


def drug_card(drug: str, rows: Sequence[DrugRecommendation], citation: CitationLookup, *,
              draft_order_id: str | None = None, draft_order: dict[str, Any] | None = None,
              sex: Sex | None = None) -> dict[str, Any]:
    """One card for one drug's rows (all rows of one drug, one per indication).

    ``sex``: the patient's sex from the EHR (FHIR Patient.gender); None keeps the notes the stored result was made
    with (a row written for another sex is never dropped, only noted).

    With a draft order's id, the card suggests removing it, and replacing it by each alternative the guideline names
    (:func:`card_alternatives`): a ``delete`` of the draft plus a ``create`` of a draft MedicationRequest coded with
    the alternative's RxNorm ingredient, for the draft order's subject."""
    if not rows:
        raise ValueError("a card needs at least one row")
    indicator = max((row_indicator(r, sex) for r in rows), key=_RANK.__getitem__)
    card: dict[str, Any] = {
        "uuid": str(uuid.uuid4()),
        "summary": card_summary(drug, rows, sex),
        "indicator": indicator,
        "detail": card_detail(rows, citation, sex),
        "source": card_source(rows, citation),
    }
    if draft_order_id and any(r.status == "actionable" for r in rows):
        reference = f"MedicationRequest/{draft_order_id}"
        delete = {"type": "delete", "description": f"Remove the draft {drug} order ({reference}).",
                  "resourceId": reference}
        suggestions: list[dict[str, Any]] = []
        for alternative in card_alternatives(rows):
            suggestions.append({
                "label": shorten(f"Replace {drug} by {alternative.drug} (named by the guideline)", 100),
                "uuid": str(uuid.uuid4()),
                "isRecommended": alternative.preferred,
                "actions": [dict(delete), {
                    "type": "create",
                    "description": f"Draft a {alternative.drug} order (RxNorm {alternative.rxnorm}) for the prescriber "
                                   f"to complete: dose, route and frequency are not set.",
                    "resource": _alternative_order(alternative, draft_order or {}),
                }],
            })
        suggestions.append({
            "label": shorten(f"Remove the {drug} order and choose a treatment per the guideline", 100),
            "uuid": str(uuid.uuid4()),
            "isRecommended": indicator == "critical" and not suggestions,
            "actions": [delete],
        })
        card["suggestions"] = suggestions
        card["selectionBehavior"] = "at-most-one"
    if indicator != "info":
        card["overrideReasons"] = [dict(reason) for reason in OVERRIDE_REASONS]
    return card


def summary_card(summary: str, detail: str, *, indicator: str = "info") -> dict[str, Any]:
    """A plain information card (patient-view overview)."""
    return {"uuid": str(uuid.uuid4()), "summary": shorten(summary), "indicator": indicator, "detail": detail,
            "source": {"label": "TailorMed pharmacogenomic results", "topic": dict(TOPIC)}}
