"""Renderings of an oncology result: therapies.tsv and the tumour-board HTML report."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from tailormed.model.onco import OncoResult
from tailormed.report.html import _ENV

MAX_LISTED = 300
THERAPY_COLUMNS = ("tier", "response", "therapy", "drugs", "tumour_match", "evidence", "alterations", "record_id",
                   "sources")


def _clean(value: str) -> str:
    return value.replace("\t", " ").replace("\n", " ")


def write_therapies_tsv(handle: TextIO, result: OncoResult) -> None:
    """``therapies.tsv``: one row per therapy option, columns :data:`THERAPY_COLUMNS`."""
    handle.write("\t".join(THERAPY_COLUMNS) + "\n")
    for option in result.therapies:
        alterations = "; ".join(f"{m.requirement} = {', '.join(m.satisfied_by)}" for m in option.matched)
        row = [option.tier, option.response, option.therapy, ",".join(option.drugs), option.tumour_match,
               option.evidence, alterations, option.record_id, ",".join(c.id for c in option.citations)]
        handle.write("\t".join(_clean(f) for f in row) + "\n")


def render_onco_html(result: OncoResult) -> str:
    """The tumour-board report: tiered alterations; therapies here, then elsewhere; resistance; IO; trials."""
    sensitive = [t for t in result.therapies if t.response == "sensitive"]
    # Tier I/II and oncogenic alterations are listed in full; a hypermutated tumour's thousands of Tier III
    # passengers are counted and left to actionability.json.
    shown = [a for a in result.alterations if a.tier != "III" or a.oncogenic][:MAX_LISTED]
    return _ENV.get_template("onco.html.j2").render(
        r=result, shown=shown, hidden=len(result.alterations) - len(shown),
        same=[t for t in sensitive if t.tumour_match == "same"],
        other=[t for t in sensitive if t.tumour_match == "other"],
        resistant=[t for t in result.therapies if t.response == "resistant"])


def write_onco_outputs(folder: Path, result: OncoResult) -> None:
    """actionability.json, therapies.tsv and report.html into an existing folder."""
    (folder / "actionability.json").write_text(result.model_dump_json(indent=2) + "\n", encoding="utf-8")
    with (folder / "therapies.tsv").open("w", encoding="utf-8") as handle:
        write_therapies_tsv(handle, result)
    (folder / "report.html").write_text(render_onco_html(result), encoding="utf-8")
