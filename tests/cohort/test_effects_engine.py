"""The effects engine on simulated tables whose true effects are known (small forests: fast, not precise)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tailormed.errors import InputError

pytest.importorskip("econml", reason="the optional 'effects' extra (EconML) is not installed")
pd = pytest.importorskip("pandas")

from tailormed.cohort.effects import (  # noqa: E402
    EffectsSettings,
    estimate_effects,
    identifier_like,
    prepare_table,
    rmst_pseudo_values,
)

FAST = EffectsSettings(n_estimators=40, min_samples_leaf=20, cv=2, seed=3)  # leaves of 20 for 800 rows


def confounded_table(n: int = 800, seed: int = 0) -> pd.DataFrame:
    """Age confounds treatment and outcome; the effect is 0 in group A and 3 in group B."""
    rng = np.random.default_rng(seed)
    age = rng.normal(60, 10, n)
    group = rng.choice(["A", "B"], n)
    treated = rng.random(n) < 1 / (1 + np.exp(-(age - 60) / 6))
    effect = np.where(group == "B", 3.0, 0.0)
    y = 0.2 * (age - 60) + effect * treated + rng.normal(0, 1, n)
    return pd.DataFrame({"age": age, "group": group, "treated": treated.astype(int), "y": y})


def test_adjusted_average_effect_recovers_the_truth_where_the_naive_one_does_not() -> None:
    frame = confounded_table()
    truth = float(np.where(frame["group"] == "B", 3.0, 0.0).mean())
    result = estimate_effects(prepare_table(frame, treatment="treated", outcome="y"), FAST)
    assert result.ate.ci_low <= truth <= result.ate.ci_high
    assert abs(result.ate.estimate - truth) < 0.3
    assert abs(result.unadjusted.estimate - truth) > 1.0  # confounding by age inflates the naive difference
    assert result.ate.measure == "mean_difference" and result.outcome_kind == "continuous"


def test_heterogeneity_is_found_in_the_right_variable_and_the_subgroups_differ() -> None:
    result = estimate_effects(prepare_table(confounded_table(), treatment="treated", outcome="y"), FAST)
    assert result.drivers[0].feature.startswith("group=")
    assert result.cate is not None and result.cate.sd > 0.8

    def in_b(rule: str) -> bool:
        return "group = B" in rule or "group != A" in rule

    b = [s for s in result.subgroups if in_b(s.rule)]
    a = [s for s in result.subgroups if not in_b(s.rule)]
    assert a and b
    assert min(s.estimate for s in b) - max(s.estimate for s in a) > 1.5
    assert all(s.ci_low <= 3.0 <= s.ci_high for s in b)
    assert result.diagnostics.calibration is not None and result.diagnostics.calibration.blp_p_value < 0.05
    assert result.diagnostics.placebo is not None and result.diagnostics.placebo.passed


def test_null_effect_is_not_declared() -> None:
    rng = np.random.default_rng(5)
    n = 500
    x = rng.normal(size=n)
    frame = pd.DataFrame({"x": x, "t": (rng.random(n) < 0.5).astype(int), "y": x + rng.normal(size=n)})
    result = estimate_effects(prepare_table(frame, treatment="t", outcome="y"),
                              EffectsSettings(forest=False, cv=2))
    assert result.ate.ci_low < 0 < result.ate.ci_high
    assert result.diagnostics.e_value is not None and result.diagnostics.e_value.ci == 1.0


def test_time_to_event_effect_modification_recovers_a_planted_interaction() -> None:
    rng = np.random.default_rng(11)
    n = 3000
    age = rng.normal(0, 1, n)
    level = rng.choice(["normal", "poor"], n, p=[0.6, 0.4])
    treated = (rng.random(n) < 1 / (1 + np.exp(-age))).astype(int)
    log_hr = 0.5 * age + math.log(0.7) * treated + math.log(1.8) * treated * (level == "poor")
    event_time = rng.exponential(1 / (0.002 * np.exp(log_hr)))
    follow = rng.uniform(200, 800, n)
    frame = pd.DataFrame({"age": age, "metabolizer": level, "treated": treated,
                          "time": np.minimum(event_time, follow), "event": (event_time <= follow).astype(int)})
    table = prepare_table(frame, treatment="treated", outcome="time", event="event", horizon_days=365,
                          modifiers=["metabolizer"])
    result = estimate_effects(table, EffectsSettings(forest=False, placebo=False, cv=2))
    assert result.ate.measure == "rmst_difference_days"
    poor = next(m for m in result.modifiers if m.level == "poor")
    normal = next(m for m in result.modifiers if m.level == "normal")
    assert normal.reference and normal.hazard_ratio is not None
    assert normal.hazard_ratio.ci_low <= 0.7 <= normal.hazard_ratio.ci_high
    assert poor.ratio_vs_reference is not None
    assert poor.ratio_vs_reference.ci_low <= 1.8 <= poor.ratio_vs_reference.ci_high
    assert poor.ratio_vs_reference.ci_low > 1.0
    assert result.hazard_ratio_adjusted is not None and len(result.survival_curves) == 2


def test_rmst_pseudo_values_average_to_the_kaplan_meier_rmst() -> None:
    from lifelines import KaplanMeierFitter
    from lifelines.utils import restricted_mean_survival_time

    rng = np.random.default_rng(2)
    event_time, censor = rng.exponential(300, 2000), rng.uniform(0, 700, 2000)
    time, event = np.minimum(event_time, censor), (event_time <= censor).astype(int)
    km = KaplanMeierFitter().fit(time, event)
    expected = restricted_mean_survival_time(km, t=365)
    values = rmst_pseudo_values(time, event, 365)
    assert values.mean() == pytest.approx(expected, rel=1e-6)
    older = rmst_pseudo_values(time[:300], event[:300], 365, chunk=7)  # chunking changes nothing
    assert np.allclose(older, rmst_pseudo_values(time[:300], event[:300], 365))


@pytest.mark.parametrize(("change", "message"), [
    (lambda f: f.assign(treated=np.arange(len(f)) % 3), "is not binary: it has 3 distinct"),
    (lambda f: f.assign(y=f["y"].where(np.arange(len(f)) % 10 < 3)), "is missing for 560 of 800 rows"),
    (lambda f: f.assign(patient_id=np.arange(len(f))), "'patient_id' looks like an identifier"),
    (lambda f: f.assign(code=[f"P{i:05d}" for i in range(len(f))]), "'code' looks like an identifier"),
    (lambda f: f.assign(treated=(f["age"] > 60).astype(int)), "no overlap between the arms"),
])
def test_bad_tables_are_refused_with_the_column_named(change: object, message: str) -> None:
    frame = change(confounded_table())  # type: ignore[operator]
    with pytest.raises(InputError, match=message):
        estimate_effects(prepare_table(frame, treatment="treated", outcome="y"), FAST)


def test_no_overlap_names_the_variable_that_separates_the_arms() -> None:
    frame = confounded_table().assign(treated=lambda f: (f["age"] > 60).astype(int))
    with pytest.raises(InputError, match="strongest predictor: age"):
        estimate_effects(prepare_table(frame, treatment="treated", outcome="y"), FAST)


def test_text_columns_become_category_indicators_and_missing_rows_are_counted() -> None:
    frame = confounded_table()
    frame.loc[:9, "age"] = np.nan
    table = prepare_table(frame, treatment="treated", outcome="y")
    assert table.feature_names == ["age", "group=B"] or table.feature_names == ["age", "group=A"]
    assert table.dropped == 10 and "10 of 800 rows dropped" in table.warnings[0]


def test_identifier_detection_leaves_ordinary_columns_alone() -> None:
    assert not identifier_like("age", pd.Series(np.arange(100) * 1.5))
    assert identifier_like("row", pd.Series(np.arange(100)))
    assert not identifier_like("pnodes", pd.Series([1, 2, 2, 3] * 30))
