"""Renderings of an oncology result: therapies.tsv, alterations.tsv and the tumour-board HTML report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from tailormed.model.onco import LINE_LABELS, NON_METASTATIC_LINES, OncoResult, TherapyOption
from tailormed.report.html import _ENV
from tailormed.report.tsv import tsv_field

MAX_LISTED = 300
THERAPY_COLUMNS = ("tier", "response", "therapy", "drugs", "tumour_match", "evidence", "alterations", "record_id",
                   "sources", "resistance_level", "resisted_by", "requirements_not_given", "line_of_therapy",
                   "disease_setting_match", "caveats")
ALTERATION_COLUMNS = ("tier", "alteration", "kind", "gene", "oncogenic", "vaf", "depth", "copy_number", "log2_ratio",
                      "options")
RESISTANCE_LEVELS = {
    "R1": "resistance in this tumour type per label or guideline",
    "R2": "resistance in this tumour type from clinical studies",
    "R3": "resistance in this tumour type from case reports or preclinical work",
}
"""Our resistance levels (docs/onco.md), shown next to an option's tier."""


@dataclass
class OptionLine:
    """One therapy of the first screen: its best tier, the biomarkers it rests on and how many records list it."""

    therapy: str
    tier: str
    resistance_level: str | None
    biomarkers: list[str]
    records: int
    non_metastatic_only: bool = False
    """Every record of the therapy here is for non-metastatic disease (adjuvant, perioperative, consolidation)."""


def option_lines(options: list[TherapyOption]) -> list[OptionLine]:
    """Options grouped by therapy (one line for osimertinib's several indications), in the engine's order."""
    lines: dict[str, OptionLine] = {}
    for t in options:
        found = [a for m in t.matched for a in m.satisfied_by]
        early = t.line_of_therapy in NON_METASTATIC_LINES
        line = lines.get(t.therapy)
        if line is None:
            lines[t.therapy] = OptionLine(t.therapy, t.tier, t.resistance_level, list(dict.fromkeys(found)), 1, early)
        else:
            line.biomarkers.extend(a for a in found if a not in line.biomarkers)
            lines[t.therapy] = OptionLine(line.therapy, line.tier, line.resistance_level or t.resistance_level,
                                          line.biomarkers, line.records + 1, line.non_metastatic_only and early)
    return list(lines.values())


MAX_OPTIONS = 6
"""Tier I therapies named in a summary; the rest are counted and linked."""


@dataclass
class OncoSummary:
    """The tumour's summary (the first screen of its page and its card on the integrated page)."""

    tier_one: list[OptionLine]
    tier_one_more: int
    resistance: list[TherapyOption]
    resistance_markers: list[str]
    conditional: int


def onco_summary(same: list[TherapyOption], resistant: list[TherapyOption], conditional: list[TherapyOption]
                 ) -> OncoSummary:
    """Tier I options in this tumour type (one line per therapy), resistance and what waits on a status."""
    tier_one = option_lines([t for t in same if t.tier in ("I-A", "I-B")])
    return OncoSummary(tier_one=tier_one[:MAX_OPTIONS], tier_one_more=max(0, len(tier_one) - MAX_OPTIONS),
                       resistance=list({t.therapy: t for t in resistant}.values()),
                       resistance_markers=list(dict.fromkeys(a for t in resistant for m in t.matched
                                                             if not m.context for a in m.satisfied_by)),
                       conditional=len(conditional))


def _number(value: float | int | None) -> str:
    return "" if value is None else f"{value:g}"


def write_therapies_tsv(handle: TextIO, result: OncoResult) -> None:
    """``therapies.tsv``: one row per therapy option, columns :data:`THERAPY_COLUMNS`."""
    handle.write("\t".join(THERAPY_COLUMNS) + "\n")
    for option in result.therapies:
        alterations = "; ".join(f"{m.requirement} = {', '.join(m.satisfied_by)}" for m in option.matched)
        unknown = "; ".join(f"{u.requirement}: {u.missing}" for u in option.unknown_requirements)
        row = [option.tier, option.response, option.therapy, ",".join(option.drugs), option.tumour_match,
               option.evidence, alterations, option.record_id, ",".join(c.id for c in option.citations),
               option.resistance_level or "", ",".join(option.resisted_by), unknown, option.line_of_therapy or "",
               {True: "yes", False: "no", None: ""}[option.disease_setting_match], " | ".join(option.caveats)]
        handle.write("\t".join(tsv_field(f) for f in row) + "\n")


def write_alterations_tsv(handle: TextIO, result: OncoResult) -> None:
    """``alterations.tsv``: one row per alteration (all of them, Tier III included), :data:`ALTERATION_COLUMNS`."""
    handle.write("\t".join(ALTERATION_COLUMNS) + "\n")
    for alteration in result.alterations:
        row = [alteration.tier, alteration.label, alteration.kind, alteration.gene or "",
               "yes" if alteration.oncogenic else "no", _number(alteration.vaf), _number(alteration.depth),
               _number(alteration.copy_number), _number(alteration.log2_ratio), str(len(alteration.therapies))]
        handle.write("\t".join(tsv_field(f) for f in row) + "\n")


def render_onco_html(result: OncoResult) -> str:
    """The tumour-board report: tiered alterations; therapies here (met, then conditional on a status not given),
    then elsewhere; resistance; IO; trials."""
    return _ENV.get_template("onco_page.html.j2").render(**onco_view(result))


def onco_view(result: OncoResult) -> dict[str, Any]:
    """What the oncology section template needs (onco.html.j2)."""
    sensitive = [t for t in result.therapies if t.response == "sensitive"]
    # Tier I/II and oncogenic alterations are listed in full; a hypermutated tumour's thousands of Tier III
    # passengers are counted and left to actionability.json.
    shown = [a for a in result.alterations if a.tier != "III" or a.oncogenic][:MAX_LISTED]
    elsewhere = [t for t in sensitive if t.disease_setting_match is False and not t.unknown_requirements]
    sensitive = [t for t in sensitive if t not in elsewhere]
    same = [t for t in sensitive if t.tumour_match == "same" and not t.unknown_requirements]
    conditional = [t for t in sensitive if t.unknown_requirements]
    resistant = [t for t in result.therapies if t.response == "resistant"]
    return dict(
        r=result, shown=shown, hidden=len(result.alterations) - len(shown), same=same, conditional=conditional,
        summary=onco_summary(same, resistant, conditional),
        conditional_ids={t.record_id for t in sensitive if t.unknown_requirements},
        other=[t for t in sensitive if t.tumour_match == "other" and not t.unknown_requirements],
        resistant=resistant, other_setting=elsewhere, line_labels=LINE_LABELS,
        disease_setting=result.disease_setting,
        untested=[w for w in result.warnings if w.code == "status_not_given"],
        warnings=[w for w in result.warnings if w.code != "status_not_given"],
        resistance_levels=RESISTANCE_LEVELS)


def write_onco_outputs(folder: Path, result: OncoResult) -> None:
    """actionability.json, therapies.tsv, alterations.tsv and report.html into an existing folder."""
    (folder / "actionability.json").write_text(result.model_dump_json(indent=2) + "\n", encoding="utf-8")
    with (folder / "therapies.tsv").open("w", encoding="utf-8") as handle:
        write_therapies_tsv(handle, result)
    with (folder / "alterations.tsv").open("w", encoding="utf-8") as handle:
        write_alterations_tsv(handle, result)
    (folder / "report.html").write_text(render_onco_html(result), encoding="utf-8")
