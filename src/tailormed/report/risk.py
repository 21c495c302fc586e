"""Renderings of a risk assessment: ``risk.json`` and ``report.html`` (with polygenic-score histograms)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tailormed import __version__
from tailormed.model.prs import PersonScore
from tailormed.report.html import render_risk_html
from tailormed.risk.assessment import Assessment


def polygenic_document(scores: list[PersonScore]) -> list[dict[str, object]]:
    """The JSON form of a person's polygenic scores (reference summarised, not listed)."""
    return [{"score_id": s.score_id, "file": s.file, "sum": s.sum, "z": s.z, "percentile": s.percentile,
             "matched": s.matched, "total": s.total, "reference": {"panel": s.reference.panel,
             "population": s.reference.population, "n": len(s.reference.values), "mean": s.reference.mean,
             "sd": s.reference.sd}} for s in scores]


def write_risk_outputs(folder: Path, title: str, assessment: Assessment, adjusted: dict[str, float],
                       document: dict[str, object], polygenic: list[PersonScore] | None = None) -> None:
    """risk.json and report.html into ``folder`` (a staging folder)."""

    if polygenic:
        document = {**document, "polygenic_scores": polygenic_document(polygenic)}
    (folder / "risk.json").write_text(json.dumps(document, indent=1, default=str), encoding="utf-8")
    histograms = [_histogram(s) for s in polygenic or []]
    (folder / "report.html").write_text(render_risk_html(title, assessment, adjusted, __version__, histograms),
                                        encoding="utf-8")


def _histogram(score: PersonScore, bins: int = 24) -> dict[str, object]:
    """Bar heights (0-1) of the reference distribution and where the person falls, for the SVG plot."""
    counts, edges = np.histogram(score.reference.values, bins=bins)
    low, high = float(edges[0]), float(edges[-1])
    position = 0.0 if high == low else min(max((score.sum - low) / (high - low), 0.0), 1.0)
    return {"score_id": score.score_id, "heights": [float(c) / max(int(counts.max()), 1) for c in counts],
            "marker": position, "z": score.z, "percentile": score.percentile, "population": score.reference.population,
            "n": len(score.reference.values), "matched": score.matched, "total": score.total}
