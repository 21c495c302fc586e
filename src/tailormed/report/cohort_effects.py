"""Renderings of a treatment-effect analysis: ``effects.json`` and ``report.html`` (inline SVG plots).

The plots are drawn here as SVG markup (no plotting library): the distribution of conditional effects, a forest
plot of the average effect, subgroups and effect modifiers, the propensity overlap of the arms, and Kaplan-Meier
curves per arm. The page states what cannot be concluded (``EffectsResult.limits``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from tailormed import __version__
from tailormed.model.effects import EffectsResult, Estimate

_ENV = Environment(loader=PackageLoader("tailormed.report", "templates"), autoescape=select_autoescape(["html", "j2"]),
                   trim_blocks=True, lstrip_blocks=True)
WIDTH, HEIGHT = 720, 220
_TREATED, _CONTROL = "#1f6fb2", "#c0562b"
_MEASURE_WORDS = {"rmst_difference_days": "RMST difference (days)", "risk_difference": "risk difference",
                  "mean_difference": "mean difference", "hazard_ratio": "hazard ratio",
                  "ratio_of_hazard_ratios": "ratio of hazard ratios"}


def effects_json(result: EffectsResult) -> str:
    """The ``effects.json`` document."""
    return result.model_dump_json(indent=1) + "\n"


def _svg(body: str, label: str, height: int = HEIGHT) -> Markup:
    return Markup(f'<svg role="img" aria-label="{escape(label)}" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
                  f'height="{height}" xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="11">'
                  f'{body}</svg>')


def _scale(low: float, high: float, a: float, b: float) -> tuple[float, float]:
    """Slope and offset mapping [low, high] onto [a, b]."""
    span = (high - low) or 1.0
    return (b - a) / span, a - low * (b - a) / span


def bars_svg(edges: Sequence[float], series: Sequence[tuple[str, Sequence[int], str]], label: str,
             x_label: str, zero_line: bool = False) -> Markup:
    """Histogram bars (one or more series drawn over each other, half transparent)."""
    left, right, top, bottom = 50, WIDTH - 10, 10, HEIGHT - 40
    peak = max([max(counts) for _, counts, _ in series if len(counts)] + [1])
    sx, ox = _scale(edges[0], edges[-1], left, right)
    parts = [f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#444"/>']
    for name, counts, colour in series:
        for k, count in enumerate(counts):
            x0, x1 = edges[k] * sx + ox, edges[k + 1] * sx + ox
            h = (bottom - top) * count / peak
            parts.append(f'<rect x="{x0:.1f}" y="{bottom - h:.1f}" width="{max(x1 - x0 - 1, 0.5):.1f}" '
                         f'height="{h:.1f}" fill="{colour}" fill-opacity="0.55"><title>{escape(name)}: {count}'
                         f'</title></rect>')
    if zero_line and edges[0] < 0 < edges[-1]:
        parts.append(f'<line x1="{ox:.1f}" y1="{top}" x2="{ox:.1f}" y2="{bottom}" stroke="#000" '
                     'stroke-dasharray="4 3"/>')
    for value in (edges[0], (edges[0] + edges[-1]) / 2, edges[-1]):
        parts.append(f'<text x="{value * sx + ox:.1f}" y="{bottom + 14}" text-anchor="middle">{value:.3g}</text>')
    parts.append(f'<text x="{(left + right) / 2}" y="{HEIGHT - 8}" text-anchor="middle">{escape(x_label)}</text>')
    parts.append(f'<text x="12" y="{(top + bottom) / 2}" transform="rotate(-90 12 {(top + bottom) / 2})" '
                 f'text-anchor="middle">rows</text>')
    legend_x = left + 8
    for name, _, colour in series:
        if len(series) > 1:
            parts.append(f'<rect x="{legend_x}" y="{top}" width="10" height="10" fill="{colour}" fill-opacity="0.55"/>'
                         f'<text x="{legend_x + 14}" y="{top + 9}">{escape(name)}</text>')
            legend_x += 14 + 7 * len(name) + 16
    return _svg("".join(parts), label)


def forest_svg(rows: Sequence[tuple[str, Estimate | None, str]], label: str, log: bool = False,
               null: float = 0.0) -> Markup:
    """A forest plot: one row per (label, estimate, note); ``log`` for ratios (null 1)."""
    shown = [(name, est, note) for name, est, note in rows if est is not None]
    row_h, top = 22, 10
    height = top + row_h * max(len(shown), 1) + 40
    left, right = 360, WIDTH - 20

    def tr(v: float) -> float:
        return math.log(max(v, 1e-9)) if log else v

    values = [tr(v) for _, e, _ in shown for v in (e.ci_low, e.ci_high, e.estimate) if e is not None]
    values.append(tr(null))
    low, high = min(values), max(values)
    pad = 0.05 * ((high - low) or 1.0)
    sx, ox = _scale(low - pad, high + pad, left, right)
    bottom = top + row_h * len(shown)
    parts = [f'<line x1="{tr(null) * sx + ox:.1f}" y1="{top}" x2="{tr(null) * sx + ox:.1f}" y2="{bottom}" '
             'stroke="#000" stroke-dasharray="4 3"/>',
             f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#444"/>']
    for k, (name, est, note) in enumerate(shown):
        assert est is not None
        y = top + row_h * k + row_h / 2
        x0, x1, xm = (tr(v) * sx + ox for v in (est.ci_low, est.ci_high, est.estimate))
        colour = "#888" if note else "#222"
        text = f"{name} {note}".strip()
        shown_text = text if len(text) <= 60 else text[:59] + "\u2026"
        parts.append(f'<text x="4" y="{y + 4:.1f}">{escape(shown_text)}<title>{escape(text)}</title></text>'
                     f'<line x1="{x0:.1f}" y1="{y:.1f}" x2="{x1:.1f}" y2="{y:.1f}" stroke="{colour}" stroke-width="2"/>'
                     f'<rect x="{xm - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{colour}"><title>'
                     f'{escape(name)}: {est.estimate:.3g} ({est.ci_low:.3g} to {est.ci_high:.3g})</title></rect>')
    for value in (low, tr(null), high):
        shown_value = math.exp(value) if log else value
        parts.append(f'<text x="{value * sx + ox:.1f}" y="{bottom + 14}" text-anchor="middle">{shown_value:.3g}</text>')
    measure = shown[0][1].measure if shown and shown[0][1] is not None else ""
    parts.append(f'<text x="{(left + right) / 2}" y="{bottom + 30}" text-anchor="middle">'
                 f'{escape(_MEASURE_WORDS.get(measure, measure))}{" (log scale)" if log else ""}</text>')
    return _svg("".join(parts), label, height)


def survival_svg(result: EffectsResult) -> Markup:
    """Kaplan-Meier step curves per arm, with the horizon marked."""
    left, right, top, bottom = 50, WIDTH - 10, 10, HEIGHT - 40
    t_max = max([c.times[-1] for c in result.survival_curves if c.times] + [result.horizon_days or 1.0])
    sx, ox = _scale(0.0, t_max, left, right)
    sy, oy = _scale(0.0, 1.0, bottom, top)
    parts = [f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#444"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="#444"/>']
    labels = {a.arm: f"{a.arm} ({a.value}, n={a.n})" for a in result.arms}
    for k, curve in enumerate(result.survival_curves):
        colour = _TREATED if curve.arm == "treated" else _CONTROL
        points = []
        previous = 1.0
        for time, surv in zip(curve.times, curve.survival, strict=True):
            points.append(f"{time * sx + ox:.1f},{previous * sy + oy:.1f}")
            points.append(f"{time * sx + ox:.1f},{surv * sy + oy:.1f}")
            previous = surv
        points.append(f"{t_max * sx + ox:.1f},{previous * sy + oy:.1f}")
        parts.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" stroke-width="1.8"/>'
                     f'<rect x="{left + 10}" y="{bottom - 40 + 14 * k}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{left + 24}" y="{bottom - 31 + 14 * k}">{escape(labels.get(curve.arm, curve.arm))}'
                     '</text>')
    if result.horizon_days:
        x = result.horizon_days * sx + ox
        parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" stroke="#000" stroke-dasharray="4 3"/>'
                     f'<text x="{x + 3:.1f}" y="{top + 10}">horizon</text>')
    for value in (0.0, t_max / 2, t_max):
        parts.append(f'<text x="{value * sx + ox:.1f}" y="{bottom + 14}" text-anchor="middle">{value:.0f}</text>')
    for value in (0.0, 0.5, 1.0):
        parts.append(f'<text x="{left - 6}" y="{value * sy + oy + 4:.1f}" text-anchor="end">{value:.1f}</text>')
    parts.append(f'<text x="{(left + right) / 2}" y="{HEIGHT - 8}" text-anchor="middle">days since baseline</text>')
    return _svg("".join(parts), "Kaplan-Meier survival per arm")


def render_effects_html(result: EffectsResult, title: str) -> str:
    """The self-contained HTML report."""
    plots: dict[str, Markup] = {}
    words = _MEASURE_WORDS.get(result.ate.measure, result.ate.measure)
    if result.cate is not None:
        plots["cate"] = bars_svg(result.cate.histogram_edges, [("rows", result.cate.histogram_counts, _TREATED)],
                                 "distribution of conditional effects", f"conditional effect: {words}",
                                 zero_line=True)
    rows: list[tuple[str, Estimate | None, str]] = [("average (AIPW)", result.ate, "")]
    if result.ate_causal_forest is not None:
        rows.append(("average (causal forest)", result.ate_causal_forest, ""))
    for s in result.subgroups:
        est = Estimate(estimate=s.estimate, ci_low=s.ci_low, ci_high=s.ci_high, measure=result.ate.measure)
        rows.append((f"{s.rule} (n={s.n})", est, "[small]" if s.small else ""))
    plots["forest"] = forest_svg(rows, "average and subgroup effects")
    modifier_rows = [(f"{m.modifier}: {m.level} (n={m.n})", m.hazard_ratio, "") for m in result.modifiers]
    if any(e is not None for _, e, _ in modifier_rows):
        plots["modifiers"] = forest_svg(modifier_rows, "treatment hazard ratio per modifier level", log=True, null=1.0)
    overlap = result.diagnostics.overlap
    plots["overlap"] = bars_svg(overlap.histogram_edges, [("treated", overlap.treated_counts, _TREATED),
                                                          ("control", overlap.control_counts, _CONTROL)],
                                "propensity score per arm", "propensity score (probability of treatment)")
    if result.survival_curves:
        plots["survival"] = survival_svg(result)
    return _ENV.get_template("cohort_effects.html.j2").render(r=result, title=title, plots=plots, words=words,
                                                               version=__version__)
