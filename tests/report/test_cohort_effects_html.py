"""The treatment-effects report: plots present, limits stated, text from the table escaped."""

from __future__ import annotations

import json

from tailormed.model.effects import (
    Arm,
    Diagnostics,
    EffectsResult,
    Estimate,
    ModifierEffect,
    Overlap,
    Subgroup,
    SurvivalCurve,
)
from tailormed.report.cohort_effects import effects_json, render_effects_html


def _result() -> EffectsResult:
    est = Estimate(estimate=120.0, ci_low=40.0, ci_high=200.0, measure="rmst_difference_days", method="AIPW")
    hr = Estimate(estimate=0.7, ci_low=0.5, ci_high=0.9, measure="hazard_ratio")
    return EffectsResult(
        outcome_kind="time_to_event", treatment="<script>alert(1)</script>", outcome="time", event="e",
        horizon_days=365.0, covariates=["age", "grade=<b>III</b>"], n=100, dropped_rows=0,
        arms=[Arm(arm="treated", value="yes", n=50, events=10, rmst_days=300.0),
              Arm(arm="control", value="no", n=50, events=20, rmst_days=180.0)],
        ate=est, unadjusted=est, hazard_ratio_adjusted=hr,
        subgroups=[Subgroup(rule="grade = <b>III</b>", n=40, estimate=150.0, ci_low=10.0, ci_high=290.0, small=True)],
        modifiers=[ModifierEffect(modifier="CYP2C19 phenotype", level="Poor Metabolizer", n=20, treated=10, events=8,
                                  hazard_ratio=hr, ratio_vs_reference=hr)],
        survival_curves=[SurvivalCurve(arm="treated", times=[10.0, 200.0], survival=[0.9, 0.8]),
                         SurvivalCurve(arm="control", times=[5.0, 100.0], survival=[0.8, 0.6])],
        diagnostics=Diagnostics(overlap=Overlap(propensity_min=0.2, propensity_max=0.8, share_outside=0.0,
                                                histogram_edges=[0.0, 0.5, 1.0], treated_counts=[20, 30],
                                                control_counts=[30, 20])),
        limits=["Observational data: no unmeasured confounding is assumed."])


def test_report_has_its_plots_and_limits_and_escapes_table_text() -> None:
    html = render_effects_html(_result(), "Effects of <script>")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>III</b>" not in html
    assert html.count("<svg") == 4  # forest, modifiers, overlap, survival (no forest CATE in this result)
    assert "Observational data" in html and "(small)" in html and "Poor Metabolizer" in html


def test_effects_json_round_trips() -> None:
    document = json.loads(effects_json(_result()))
    assert document["schema_version"] == "1.0"
    assert EffectsResult.model_validate(document) == _result()


def test_documented_effects_schema_matches_the_model() -> None:
    """docs/cohort-effects.schema.json is the JSON Schema of effects.json; regenerate it when the model changes:
    ``python -c "import json; from tailormed.model.effects import EffectsResult;
    print(json.dumps(EffectsResult.model_json_schema(), indent=1))" > docs/cohort-effects.schema.json``."""
    from pathlib import Path

    documented = json.loads((Path(__file__).resolve().parents[2] / "docs" / "cohort-effects.schema.json").read_text())
    assert documented == json.loads(json.dumps(EffectsResult.model_json_schema()))
