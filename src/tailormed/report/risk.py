"""Renderings of a risk assessment: ``risk.json`` and ``report.html`` (with polygenic-score histograms).

The page is rendered from the ``risk.json`` document alone (:func:`render_risk_html`), so the integrated patient
report and a service that stores only the documents draw the same section.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tailormed import __version__
from tailormed.model.prs import PersonScore
from tailormed.report.html import _ENV
from tailormed.risk.assessment import Assessment

INPUT_LABELS: dict[str, tuple[str, str]] = {
    "age": ("Age", "years"),
    "sex": ("Sex", ""),
    "race_group": ("Race group (Pooled Cohort Equations only)", ""),
    "systolic_bp_mmhg": ("Systolic blood pressure", "mm Hg"),
    "on_antihypertensive": ("On blood-pressure treatment", ""),
    "total_cholesterol_mg_dl": ("Total cholesterol", "mg/dL"),
    "hdl_mg_dl": ("HDL cholesterol", "mg/dL"),
    "ldl_mg_dl": ("LDL cholesterol", "mg/dL"),
    "on_statin": ("On a statin", ""),
    "current_smoker": ("Current smoker", ""),
    "diabetes": ("Diabetes", ""),
    "clinical_ascvd": ("Clinical ASCVD (secondary prevention)", ""),
    "egfr": ("eGFR", "mL/min/1.73 m\u00b2"),
    "egfr_equation": ("eGFR equation", ""),
    "serum_creatinine_mg_dl": ("Serum creatinine", "mg/dL"),
    "bmi": ("Body-mass index", "kg/m\u00b2"),
    "uacr_mg_g": ("Urine albumin-to-creatinine ratio", "mg/g"),
    "hba1c_percent": ("HbA1c", "%"),
    "sdi_decile": ("Social Deprivation Index decile", ""),
    "waist_cm": ("Waist", "cm"),
    "physically_active_30min_daily": ("Physically active 30 min daily", ""),
    "eats_vegetables_fruit_berries_daily": ("Vegetables, fruit or berries daily", ""),
    "history_of_high_glucose": ("History of high blood glucose", ""),
    "family_history_diabetes": ("Family history of diabetes", ""),
    "diabetes_type": ("Diabetes type", ""),
    "diabetes_duration_years": ("Diabetes duration", "years"),
    "diabetic_retinopathy": ("Diabetic retinopathy", ""),
    "diabetic_neuropathy": ("Diabetic neuropathy", ""),
    "pack_years": ("Pack-years", ""),
    "years_since_quit_smoking": ("Years since quitting smoking", ""),
    "family_history_premature_ascvd": ("Family history of premature ASCVD", ""),
    "triglycerides_mg_dl": ("Triglycerides", "mg/dL"),
    "lpa_mg_dl": ("Lp(a)", "mg/dL"),
    "lpa_nmol_l": ("Lp(a)", "nmol/L"),
    "apob_mg_dl": ("apoB", "mg/dL"),
    "hs_crp_mg_l": ("hs-CRP", "mg/L"),
    "ankle_brachial_index": ("Ankle-brachial index", ""),
    "metabolic_syndrome": ("Metabolic syndrome", ""),
    "chronic_inflammatory_disease": ("Chronic inflammatory disease", ""),
    "south_asian_ancestry": ("South Asian ancestry", ""),
    "preeclampsia_or_premature_menopause": ("Preeclampsia or premature menopause", ""),
    "coronary_artery_calcium": ("Coronary artery calcium score", "Agatston"),
}
"""Readable names and units of the person-file fields, in the order the inputs table lists them."""

SHOWN_PRECISION_PP = 0.05
"""A what-if whose absolute risk reduction rounds to 0.0 percentage points at the shown precision (one decimal) is
not drawn as a reduction; it is listed once as 'no change at this precision'."""


@dataclass(frozen=True)
class InputRow:
    """One input the equations used: its readable name, value and where it came from (and when, from FHIR)."""

    field: str
    label: str
    value: str
    source: str
    from_record: bool
    date: str | None

    @property
    def source_name(self) -> str:
        """The source without its folder: ``observations.json:entry[1]``, ``risk-profile.yaml``."""
        return self.source.replace("\\", "/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Axis:
    """A percentage axis for the bar charts: its top (as a fraction) and tick labels."""

    top: float
    ticks: list[tuple[float, str]]

    def position(self, risk: float) -> float:
        """Where ``risk`` falls along the axis, in percent of its length (0-100)."""
        return round(100.0 * min(max(risk / self.top, 0.0), 1.0), 2)


def percent_axis(largest: float) -> Axis:
    """An axis from 0 to a round top above ``largest`` (a fraction), with 4-6 ticks.

    >>> percent_axis(0.131).ticks
    [(0.0, '0%'), (33.33, '5%'), (66.67, '10%'), (100.0, '15%')]
    >>> percent_axis(0.414).top
    0.5
    """
    step, count = 0.2, 5
    for candidate in (0.01, 0.02, 0.05, 0.1, 0.2):
        if math.ceil(largest / candidate - 1e-9) <= 5:
            step, count = candidate, max(2, math.ceil(largest / candidate - 1e-9))
            break
    top = round(step * count, 4)
    return Axis(top=top, ticks=[(round(100.0 * i / count, 2), f"{100 * step * i:.0f}%") for i in range(count + 1)])


def _value_text(field: str, value: object) -> str:
    unit = INPUT_LABELS.get(field, ("", ""))[1]
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        text = f"{value:.1f}".rstrip("0").rstrip(".") if abs(value) >= 10 else f"{value:.3g}"
    else:
        text = str(value).replace("_", " ")
    return f"{text} {unit}".strip() if unit and unit != "Agatston" else (f"{text} (Agatston)" if unit else text)


def input_rows(document: dict[str, Any]) -> list[InputRow]:
    """The person's inputs with where each came from: the person file, or a FHIR Observation and its date."""
    person: dict[str, object] = document.get("person") or {}
    origin: dict[str, str] = document.get("inputs_from") or {}
    dates: dict[str, str] = document.get("input_dates") or {}
    order = list(INPUT_LABELS) + [k for k in person if k not in INPUT_LABELS]
    rows = []
    for field in order:
        value = person.get(field)
        if value is None or field not in person:
            continue
        source = origin.get(field, "default")
        from_record = field in dates or ":entry[" in source
        rows.append(InputRow(field=field, label=INPUT_LABELS.get(field, (field.replace("_", " "), ""))[0],
                             value=_value_text(field, value), source=source, from_record=from_record,
                             date=dates.get(field)))
    return rows


def what_if_groups(document: dict[str, Any]) -> tuple[list[tuple[int, list[dict[str, Any]]]], list[dict[str, Any]]]:
    """The what-ifs by horizon (10-year first), largest absolute reduction first within each, and apart the ones
    whose reduction is 0.0 percentage points at the shown precision (a FINDRISC change within the same band)."""
    groups: dict[int, list[dict[str, Any]]] = {}
    unchanged = []
    horizons = {e.get("name"): e.get("horizon_years") for e in document.get("estimates") or []}
    for w in document.get("what_ifs") or []:
        reduction = float(w.get("absolute_risk_reduction", w["baseline"] - w["after"]))
        if abs(reduction * 100) < SHOWN_PRECISION_PP:
            unchanged.append(w)
            continue
        horizon = int(w.get("horizon_years") or horizons.get(w.get("estimate_name")) or
                      (30 if "30-year" in str(w.get("estimate")) else 10))
        groups.setdefault(horizon, []).append(w)
    ordered = [(h, sorted(ws, key=lambda w: -(w["baseline"] - w["after"]))) for h, ws in sorted(groups.items())]
    return ordered, unchanged


def risk_view(document: dict[str, Any]) -> dict[str, Any]:
    """Everything the risk section template needs, from the ``risk.json`` document alone."""
    estimates = document.get("estimates") or []
    groups, unchanged = what_if_groups(document)
    largest = max([e["risk"] for e in estimates] + [e.get("with_polygenic_score") or 0 for e in estimates] + [0.01])
    what_if_largest = max([w["baseline"] for _, ws in groups for w in ws] + [0.01])
    return {"estimates": estimates, "axis": percent_axis(largest), "inputs": input_rows(document),
            "what_if_groups": groups, "what_if_axis": percent_axis(what_if_largest), "unchanged": unchanged,
            "advice": document.get("advice") or [], "skipped": document.get("not_computed") or {},
            "polygenic": document.get("polygenic_scores") or [],
            "polygenic_adjustment": document.get("polygenic_adjustment"),
            "polygenic_not_applied": document.get("polygenic_not_applied"),
            "setting": document.get("prevention_setting"), "kidney": document.get("kidney_function"),
            "skipped_groups": skipped_groups(document.get("not_computed") or {})}


def skipped_groups(skipped: dict[str, str]) -> list[tuple[list[str], str]]:
    """The estimates not computed, those sharing a reason together (in first-seen order).

    >>> skipped_groups({"A": "why", "B": "other", "C": "why"})
    [(['A', 'C'], 'why'), (['B'], 'other')]
    """
    groups: dict[str, list[str]] = {}
    for name, reason in skipped.items():
        groups.setdefault(reason, []).append(name)
    return [(names, reason) for reason, names in groups.items()]


def render_risk_html(title: str, document: dict[str, Any], version: str = __version__) -> str:
    """The risk-and-prevention page from its ``risk.json`` document."""
    return _ENV.get_template("risk_page.html.j2").render(title=title, version=version, v=risk_view(document))


def polygenic_document(scores: list[PersonScore]) -> list[dict[str, object]]:
    """The JSON form of a person's polygenic scores (reference summarised as a histogram, not listed)."""
    return [{"score_id": s.score_id, "file": s.file, "sum": s.sum, "z": s.z, "percentile": s.percentile,
             "matched": s.matched, "total": s.total, "reference": {"panel": s.reference.panel,
             "population": s.reference.population, "n": len(s.reference.values), "mean": s.reference.mean,
             "sd": s.reference.sd}, "histogram": _histogram(s)} for s in scores]


def write_risk_outputs(folder: Path, title: str, assessment: Assessment, adjusted: dict[str, float],
                       document: dict[str, object], polygenic: list[PersonScore] | None = None) -> None:
    """risk.json and report.html into ``folder`` (a staging folder); the page is drawn from the document."""
    del assessment, adjusted  # both are in the document (estimates with_polygenic_score, what-ifs, advice)
    if polygenic:
        document = {**document, "polygenic_scores": polygenic_document(polygenic)}
    text = json.dumps(document, indent=1, default=str)
    (folder / "risk.json").write_text(text, encoding="utf-8")
    (folder / "report.html").write_text(render_risk_html(title, json.loads(text)), encoding="utf-8")


def _histogram(score: PersonScore, bins: int = 24) -> dict[str, object]:
    """Bar heights (0-1) of the reference distribution and where the person falls, for the SVG plot."""
    counts, edges = np.histogram(score.reference.values, bins=bins)
    low, high = float(edges[0]), float(edges[-1])
    position = 0.0 if high == low else min(max((score.sum - low) / (high - low), 0.0), 1.0)
    return {"heights": [float(c) / max(int(counts.max()), 1) for c in counts], "marker": position,
            "low": low, "high": high}
