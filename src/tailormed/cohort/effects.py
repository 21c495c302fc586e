"""Heterogeneous treatment effects of a cohort table: which treatments work for which groups.

A pure engine: it receives a table already read (a pandas ``DataFrame``) and returns an
:class:`~tailormed.model.effects.EffectsResult`; it never opens a file. The estimation is EconML's:

* the average effect is doubly robust (AIPW, ``LinearDRLearner`` with cross-fitted nuisance models);
* conditional effects with pointwise 95% intervals come from a causal forest (``CausalForestDML``, honest
  splitting: each tree splits on one half of its subsample and estimates on the other);
* heterogeneity drivers are the forest's split importances;
* the subgroup tree (``SingleTreeCateInterpreter``) is grown on one half of the rows and its leaves' effects are
  estimated on the other half with doubly robust scores (EconML's ``DRTester``), so a leaf's interval is not
  biased by the search that found it;
* diagnostics: propensity overlap, ``DRTester`` calibration (BLP, calibration R², AUTOC), a placebo-treatment
  refutation, and the E-value (VanderWeele & Ding, Ann Intern Med 2017;167:268-274).

A time-to-event outcome is analysed as the restricted mean survival time (RMST) up to a horizon: the causal
models see each row's jackknife pseudo-value of the Kaplan-Meier RMST of its arm (Andersen, Hansen & Klein,
Lifetime Data Anal 2004;10:335-350), whose conditional mean is the conditional RMST when censoring does not
depend on the covariates within an arm. Kaplan-Meier curves, the
unadjusted RMST difference and Cox hazard ratios come from lifelines.

EconML, scikit-learn, lifelines and pandas are the optional ``effects`` extra; the import fails with an
:class:`~tailormed.errors.InputError` that says how to install them.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from tailormed.errors import InputError
from tailormed.model.effects import (
    Arm,
    Calibration,
    CateSummary,
    Diagnostics,
    Driver,
    EffectsResult,
    Estimate,
    EValue,
    ModifierEffect,
    OutcomeKind,
    Overlap,
    Placebo,
    Subgroup,
    SurvivalCurve,
)

EXTRA_HINT = "install the optional extra: pip install 'tailormed[effects]'"
OUTCOME_MISSING_LIMIT = 0.5
"""Refuse a table whose outcome is missing for more than this share of rows (the rest would not represent it)."""
OVERLAP_BOUNDS = (0.05, 0.95)
MIN_PER_ARM = 10
SMALL_SUBGROUP = 30
MIN_MODIFIER_EVENTS = 3
"""Events a modifier level needs in each arm to be given a hazard ratio."""
FEW_EVENTS = 50
_ID_NAME = re.compile(r"(^|[_\s.])(id|uuid|mrn|identifier)$|^(person|patient|subject|sample|participant)(_?id)?$"
                      r"|_id$|^id_", re.IGNORECASE)
_TREATED_WORDS = {"1", "true", "yes", "y", "treated", "t"}


@dataclass(frozen=True)
class EffectsSettings:
    """How much work the estimation does. Tests use small forests; the defaults suit a few thousand rows."""

    n_estimators: int = 400
    """Trees in the causal forest (a multiple of 4, EconML's sub-forest size)."""
    min_samples_leaf: int = 5
    """Smallest leaf of the causal forest (EconML's default; larger leaves smooth more and under-cover)."""
    tree_depth: int = 2
    """Depth of the interpretable subgroup tree (2 gives up to 4 subgroups)."""
    cv: int = 3
    seed: int = 0
    forest: bool = True
    """Fit the causal forest (CATE, drivers, subgroup tree, calibration). False: average effects only (fast)."""
    placebo: bool = True


@dataclass
class CohortTable:
    """A table made ready for estimation: numeric features, a 0/1 treatment and the outcome."""

    features: np.ndarray[Any, np.dtype[np.float64]]
    feature_names: list[str]
    treatment: np.ndarray[Any, np.dtype[np.int64]]
    outcome: np.ndarray[Any, np.dtype[np.float64]]
    kind: OutcomeKind
    treatment_name: str
    outcome_name: str
    treated_value: str
    control_value: str
    event: np.ndarray[Any, np.dtype[np.int64]] | None = None
    event_name: str | None = None
    horizon: float | None = None
    modifiers: dict[str, np.ndarray[Any, np.dtype[np.str_]]] = field(default_factory=dict)
    dropped: int = 0
    warnings: list[str] = field(default_factory=list)


def _import_extra() -> None:
    try:
        import econml  # noqa: F401
        import lifelines  # noqa: F401
        import pandas  # noqa: F401
        import sklearn  # noqa: F401
    except ImportError as exc:
        raise InputError(f"effect estimation needs {exc.name}: {EXTRA_HINT}") from None


def identifier_like(name: str, values: Any) -> bool:
    """A column that names rows rather than describing them: an id-style name, or text/integers unique per row.

    >>> import pandas as pd
    >>> identifier_like("pid", pd.Series(["a", "b", "c"] * 10)), identifier_like("person_id", pd.Series([1, 1, 2]))
    (False, True)
    >>> identifier_like("code", pd.Series([f"P{i:04d}" for i in range(50)]))
    True
    """
    if _ID_NAME.search(name.strip()):
        return True
    series = values.dropna()
    if len(series) < 20 or series.nunique() != len(series):
        return False
    if series.dtype == object or str(series.dtype).startswith(("string", "category")):
        return True
    if np.issubdtype(series.dtype, np.integer):
        ordered = np.sort(series.to_numpy())
        return bool(np.all(np.diff(ordered) == 1))  # consecutive integers: a row number
    return False


def prepare_table(frame: Any, *, treatment: str, outcome: str, event: str | None = None,
                  horizon_days: float | None = None, covariates: Sequence[str] | None = None,
                  modifiers: Sequence[str] = (), treated_value: str | None = None) -> CohortTable:
    """Check and encode a cohort table (a pandas DataFrame). Raises :class:`InputError` naming the column.

    Without ``covariates`` every other column is one; text columns become 'column=level' indicators (the most
    frequent level is the reference). Rows with a missing value are dropped and counted; an outcome missing for
    more than half the rows is refused.
    """
    _import_extra()
    import pandas as pd

    columns = [str(c) for c in frame.columns]
    frame = frame.copy()
    frame.columns = columns
    named = [treatment, outcome] + ([event] if event else []) + list(covariates or []) + list(modifiers)
    missing = [c for c in dict.fromkeys(named) if c not in columns]
    if missing:
        raise InputError(f"no column {', '.join(repr(c) for c in missing)} in the table (columns: "
                         f"{', '.join(columns[:20])}{' ...' if len(columns) > 20 else ''})")
    if event and horizon_days is None:
        raise InputError("--event needs --horizon-days: a time-to-event outcome is compared as the restricted mean "
                         "survival time up to that horizon")
    if horizon_days is not None and not event:
        raise InputError("--horizon-days needs --event (the event indicator column of a time-to-event outcome)")
    outcome_cols = {treatment, outcome, *([event] if event else [])}
    if covariates is None:
        covariates = [c for c in columns if c not in outcome_cols]
    covariates = [c for c in dict.fromkeys([*covariates, *modifiers]) if c not in outcome_cols]
    for name in covariates:
        if identifier_like(name, frame[name]):
            raise InputError(f"column {name!r} looks like an identifier (an id-style name, or a value unique to "
                             "every row): it cannot be a covariate; leave it out with --covariates")
    notes: list[str] = []
    n_rows = len(frame)
    if n_rows == 0:
        raise InputError("the table has no rows")
    y_missing = int(frame[outcome].isna().sum())
    if y_missing / n_rows > OUTCOME_MISSING_LIMIT:
        raise InputError(f"outcome {outcome!r} is missing for {y_missing} of {n_rows} rows "
                         f"({y_missing / n_rows:.0%}); the rows that have it cannot stand for the cohort")
    used = frame[[treatment, outcome, *([event] if event else []), *covariates]]
    complete = used.notna().all(axis=1).to_numpy()
    dropped = int(n_rows - complete.sum())
    if dropped:
        worst = used.isna().sum().sort_values(ascending=False)
        notes.append(f"{dropped} of {n_rows} rows dropped for a missing value (most in {worst.index[0]!r}: "
                     f"{int(worst.iloc[0])})")
    frame = frame.loc[complete].reset_index(drop=True)

    t_values = frame[treatment]
    distinct = sorted({str(v) for v in t_values.unique()})
    if len(distinct) != 2:
        shown = ", ".join(distinct[:6]) + (" ..." if len(distinct) > 6 else "")
        raise InputError(f"treatment {treatment!r} is not binary: it has {len(distinct)} distinct value(s) "
                         f"({shown}); give a column with two values (treated, control)")
    if treated_value is None:
        lowered = [d.lower() for d in distinct]
        hits = [d for d, low in zip(distinct, lowered, strict=True) if low in _TREATED_WORDS]
        treated_value = hits[0] if len(hits) == 1 else distinct[1]
        if len(hits) != 1:
            notes.append(f"treatment {treatment!r}: {treated_value!r} taken as treated, {distinct[0]!r} as control "
                         "(give --treated to choose)")
    if treated_value not in distinct:
        raise InputError(f"--treated {treated_value!r} is not a value of {treatment!r} ({', '.join(distinct)})")
    control_value = next(d for d in distinct if d != treated_value)
    t = (t_values.astype(str) == treated_value).to_numpy().astype(np.int64)

    y = pd.to_numeric(frame[outcome], errors="coerce")
    if y.isna().any():
        raise InputError(f"outcome {outcome!r} is not numeric (e.g. {frame[outcome][y.isna()].iloc[0]!r})")
    y_arr = y.to_numpy(dtype=np.float64)
    e_arr: np.ndarray[Any, np.dtype[np.int64]] | None = None
    kind: OutcomeKind
    if event:
        ev = pd.to_numeric(frame[event], errors="coerce")
        if ev.isna().any() or not set(ev.unique()) <= {0, 1}:
            raise InputError(f"event {event!r} must be 0 (censored) or 1 (event)")
        e_arr = ev.to_numpy().astype(np.int64)
        if (y_arr < 0).any():
            raise InputError(f"time {outcome!r} has negative values")
        assert horizon_days is not None
        if horizon_days <= 0 or horizon_days > float(y_arr.max()):
            raise InputError(f"--horizon-days {horizon_days:g} is outside the follow-up (0 to {y_arr.max():g} days)")
        kind = "time_to_event"
    elif set(np.unique(y_arr)) <= {0.0, 1.0}:
        kind = "binary"
    else:
        kind = "continuous"

    feats: list[np.ndarray[Any, Any]] = []
    names: list[str] = []
    for name in covariates:
        col = frame[name]
        if col.dtype == bool or pd.api.types.is_numeric_dtype(col):
            values = col.to_numpy(dtype=np.float64)
            if np.nanstd(values) == 0:
                notes.append(f"covariate {name!r} is constant and was left out")
                continue
            feats.append(values)
            names.append(name)
        else:
            text = col.astype(str)
            levels = text.value_counts()
            if len(levels) > 50:
                raise InputError(f"text column {name!r} has {len(levels)} levels; too many to encode as categories")
            for level in [lv for lv in levels.index if lv != levels.index[0]]:
                feats.append((text == level).to_numpy(dtype=np.float64))
                names.append(f"{name}={level}")
    if not feats:
        raise InputError("no covariate left to adjust for")
    for arm, label in ((1, treated_value), (0, control_value)):
        if int((t == arm).sum()) < MIN_PER_ARM:
            raise InputError(f"only {int((t == arm).sum())} row(s) with {treatment}={label}; at least {MIN_PER_ARM} "
                             "per arm are needed")
    mods = {m: frame[m].astype(str).to_numpy() for m in modifiers}
    return CohortTable(features=np.column_stack(feats), feature_names=names, treatment=t, outcome=y_arr, kind=kind,
                       treatment_name=treatment, outcome_name=outcome, treated_value=treated_value,
                       control_value=control_value, event=e_arr, event_name=event, horizon=horizon_days,
                       modifiers=mods, dropped=dropped, warnings=notes)


# --- nuisance models --------------------------------------------------------------------------------------------

def _propensity_model(seed: int) -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))


def _outcome_model(seed: int, binary: bool = False) -> Any:
    from sklearn.ensemble import RandomForestRegressor

    return RandomForestRegressor(n_estimators=100, min_samples_leaf=10, max_features=0.6, random_state=seed, n_jobs=1)


def _interval(point: float, se: float, measure: str, method: str) -> Estimate:
    p = float(2 * stats.norm.sf(abs(point / se))) if se > 0 else None
    return Estimate(estimate=point, ci_low=point - 1.96 * se, ci_high=point + 1.96 * se, measure=measure,
                    method=method, p_value=p)


def rmst_pseudo_values(time: np.ndarray[Any, Any], event: np.ndarray[Any, Any], horizon: float,
                       chunk: int = 256) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Jackknife pseudo-values of the Kaplan-Meier RMST at ``horizon``: ``n RMST - (n - 1) RMST(without i)``
    (Andersen, Hansen & Klein, Lifetime Data Anal 2004;10:335-350). Their mean is the RMST; regressed on covariates
    they estimate the conditional RMST when censoring does not depend on the covariates.

    >>> t = np.array([1.0, 2.0, 3.0, 4.0]); e = np.array([1, 0, 1, 1])
    >>> values = rmst_pseudo_values(t, e, 10.0)
    >>> values.round(3).tolist(), round(float(values.mean()), 3)
    ([1.0, 3.5, 2.5, 4.5], 2.875)
    """
    time = np.asarray(time, dtype=np.float64)
    event = np.asarray(event)
    n = len(time)
    event_times = np.unique(time[(event == 1) & (time <= horizon)])
    if not len(event_times):
        return np.full(n, float(horizon))
    widths = np.diff(np.append(event_times, horizon))
    at_risk = (time[None, :] >= event_times[:, None]).sum(axis=1).astype(np.float64)
    deaths = ((time[None, :] == event_times[:, None]) & (event[None, :] == 1)).sum(axis=1).astype(np.float64)

    def rmst(r: np.ndarray[Any, Any], d: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        factor = np.where(r > 0, 1.0 - d / np.where(r > 0, r, 1.0), 1.0)
        return np.asarray(event_times[0] + (np.cumprod(factor, axis=-1) * widths).sum(axis=-1))

    full = float(rmst(at_risk, deaths))
    without = np.empty(n, dtype=np.float64)
    for start in range(0, n, chunk):
        t_i, e_i = time[start:start + chunk, None], event[start:start + chunk, None]
        without[start:start + chunk] = rmst(at_risk[None, :] - (t_i >= event_times[None, :]),
                                            deaths[None, :] - ((t_i == event_times[None, :]) & (e_i == 1)))
    return np.asarray(n * full - (n - 1) * without, dtype=np.float64)


# --- the analysis ---------------------------------------------------------------------------------------------

def estimate_effects(table: CohortTable, settings: EffectsSettings = EffectsSettings()) -> EffectsResult:
    """Average and conditional effects with diagnostics (see the module docstring)."""
    _import_extra()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # EconML and scikit-learn deprecation chatter; results are checked below
        return _estimate(table, settings)


def _measure(kind: OutcomeKind) -> str:
    return {"time_to_event": "rmst_difference_days", "binary": "risk_difference",
            "continuous": "mean_difference"}[kind]


def _estimate(table: CohortTable, settings: EffectsSettings) -> EffectsResult:
    from econml.dr import LinearDRLearner
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    x, t, kind = table.features, table.treatment, table.kind
    measure = _measure(kind)
    rng = np.random.default_rng(settings.seed)
    notes = list(table.warnings)
    limits = [
        "Observational data: the effects are causal only if every common cause of treatment and outcome is among "
        "the covariates (no unmeasured confounding); the E-value says how strong a missing one would have to be.",
        "The intervals of individual (conditional) effects are pointwise, not simultaneous, and the forest's "
        "effects are less certain where few similar rows exist.",
        "Subgroups were found by a tree on half of the rows and their effects estimated on the other half: they are "
        "exploratory; a subgroup with fewer than 30 rows per arm is marked small and its interval is unreliable.",
    ]
    if kind == "time_to_event":
        assert table.horizon is not None
        limits.append(f"Effects are differences in restricted mean survival time up to {table.horizon:g} days; "
                      "nothing is said beyond the horizon. Censoring is assumed not to depend on the covariates "
                      "within an arm (RMST pseudo-values from the Kaplan-Meier curve of each arm).")
    y = _analysis_outcome(table)

    folds = StratifiedKFold(n_splits=settings.cv, shuffle=True, random_state=settings.seed)
    propensity = cross_val_predict(_propensity_model(settings.seed), x, t, cv=folds, method="predict_proba")[:, 1]
    overlap = _overlap(propensity, t)
    separating = [name for j, name in enumerate(table.feature_names)
                  if x[t == 1, j].min() > x[t == 0, j].max() or x[t == 1, j].max() < x[t == 0, j].min()]
    if separating:
        raise InputError(f"no overlap between the arms: {separating[0]!r} separates them completely (every treated "
                         f"row lies on one side of every control row; strongest predictor: {separating[0]}); the "
                         "arms cannot be compared")
    low_common = max(propensity[t == 1].min(), propensity[t == 0].min())
    high_common = min(propensity[t == 1].max(), propensity[t == 0].max())
    inside = (propensity > max(OVERLAP_BOUNDS[0], low_common)) & (propensity < min(OVERLAP_BOUNDS[1], high_common))
    if min(int((inside & (t == 1)).sum()), int((inside & (t == 0)).sum())) < MIN_PER_ARM:
        strongest = _strongest_predictor(x, t, table.feature_names)
        raise InputError(f"no overlap between the arms: the covariates predict {table.treatment_name!r} almost "
                         f"perfectly (fewer than {MIN_PER_ARM} rows of an arm have a propensity between "
                         f"{OVERLAP_BOUNDS[0]} and {OVERLAP_BOUNDS[1]}; strongest predictor: {strongest}); the "
                         "arms cannot be compared")
    if overlap.share_outside > 0.1:
        limits.append(f"Overlap is limited: {overlap.share_outside:.0%} of rows have a propensity outside "
                      f"{OVERLAP_BOUNDS[0]}-{OVERLAP_BOUNDS[1]}; effects there rest on extrapolation.")

    dr = LinearDRLearner(model_propensity=_propensity_model(settings.seed),
                         model_regression=_outcome_model(settings.seed), cv=settings.cv, random_state=settings.seed,
                         min_propensity=0.01)
    dr.fit(y, t, X=None, W=x)
    point = float(dr.intercept_(T=1))
    low, high = (float(v) for v in dr.intercept__interval(T=1, alpha=0.05))
    ate = Estimate(estimate=point, ci_low=low, ci_high=high, measure=measure,
                   method="AIPW (EconML LinearDRLearner, cross-fitted)",
                   p_value=float(dr.intercept__inference(T=1).pvalue()))

    arms, unadjusted, curves, hr_u, hr_a = _descriptive(table)
    modifiers = _modifier_effects(table) if table.modifiers else []
    if table.modifiers and kind != "time_to_event":
        notes.append("effect modifiers are estimated for time-to-event outcomes only (Cox interaction model)")

    cate = None
    drivers: list[Driver] = []
    subgroups: list[Subgroup] = []
    calibration = None
    ate_forest = None
    if settings.forest:
        ate_forest, cate, drivers = _forest(x, t, y, table.feature_names, settings, measure)
        subgroups, calibration = _validation(x, t, y, table.feature_names, settings, rng)
        if calibration.blp_slope <= 0 or calibration.blp_p_value >= 0.05:
            limits.append("The calibration test on the held-out half did not confirm heterogeneity (BLP slope "
                          f"{calibration.blp_slope:.2f}, p = {calibration.blp_p_value:.2f}; a real one has a positive "
                          "slope, near 1): differences between the conditional effects and between subgroups may be "
                          "noise.")
        if any(s.small for s in subgroups):
            limits.append("Some subgroups are small (marked): do not read their effects as established.")
    placebo = _placebo(x, t, y, settings, rng, measure) if settings.placebo else None
    if placebo is not None and not placebo.passed:
        limits.append("The placebo-treatment test did not return zero: the adjustment may be misspecified.")
    e_value = _e_value(table, ate, hr_a)
    if table.event is not None and int(table.event.sum()) < FEW_EVENTS:
        limits.append(f"Only {int(table.event.sum())} events: every estimate here is imprecise, and hazard ratios "
                      "and effect modification may not be estimable.")
    if any(m.hazard_ratio is None for m in modifiers):
        limits.append("Modifier levels with fewer than "
                      f"{MIN_MODIFIER_EVENTS} events in an arm have no hazard ratio (listed, not modelled).")
    if modifiers:
        limits.append("Effect modification is estimated with a proportional-hazards model (treatment x level "
                      "interactions, adjusted for the covariates); it assumes proportional hazards within levels.")
    settings_record: dict[str, float | int | str | bool] = {
        "n_estimators": settings.n_estimators, "min_samples_leaf": settings.min_samples_leaf,
        "tree_depth": settings.tree_depth, "cv": settings.cv, "seed": settings.seed, "forest": settings.forest}
    return EffectsResult(
        outcome_kind=kind, treatment=table.treatment_name, outcome=table.outcome_name, event=table.event_name,
        horizon_days=table.horizon, covariates=table.feature_names, n=len(t), dropped_rows=table.dropped, arms=arms,
        ate=ate, ate_causal_forest=ate_forest, unadjusted=unadjusted, hazard_ratio_unadjusted=hr_u,
        hazard_ratio_adjusted=hr_a, cate=cate, drivers=drivers, subgroups=subgroups, modifiers=modifiers,
        survival_curves=curves,
        diagnostics=Diagnostics(overlap=overlap, calibration=calibration, placebo=placebo, e_value=e_value),
        limits=limits, warnings=notes, settings=settings_record)


def _strongest_predictor(x: np.ndarray[Any, Any], t: np.ndarray[Any, Any], names: list[str]) -> str:
    from sklearn.metrics import roc_auc_score

    aucs = [abs(roc_auc_score(t, x[:, j]) - 0.5) if np.std(x[:, j]) > 0 else 0.0 for j in range(x.shape[1])]
    return names[int(np.argmax(aucs))]


def _overlap(propensity: np.ndarray[Any, Any], t: np.ndarray[Any, Any]) -> Overlap:
    edges = np.linspace(0.0, 1.0, 21)
    outside = (propensity <= OVERLAP_BOUNDS[0]) | (propensity >= OVERLAP_BOUNDS[1])
    return Overlap(propensity_min=float(propensity.min()), propensity_max=float(propensity.max()),
                   share_outside=float(outside.mean()), histogram_edges=[float(e) for e in edges],
                   treated_counts=[int(c) for c in np.histogram(propensity[t == 1], edges)[0]],
                   control_counts=[int(c) for c in np.histogram(propensity[t == 0], edges)[0]])


def _descriptive(table: CohortTable) -> tuple[list[Arm], Estimate, list[SurvivalCurve], Estimate | None,
                                              Estimate | None]:
    t = table.treatment
    values = {1: table.treated_value, 0: table.control_value}
    names: dict[int, Any] = {1: "treated", 0: "control"}
    if table.kind != "time_to_event":
        means = {a: float(table.outcome[t == a].mean()) for a in (0, 1)}
        var = sum(float(table.outcome[t == a].var(ddof=1)) / int((t == a).sum()) for a in (0, 1))
        arms = [Arm(arm=names[a], value=values[a], n=int((t == a).sum()), mean_outcome=means[a]) for a in (1, 0)]
        return arms, _interval(means[1] - means[0], math.sqrt(var), _measure(table.kind),
                               "difference in means (unadjusted)"), [], None, None
    from lifelines import KaplanMeierFitter
    from lifelines.utils import restricted_mean_survival_time

    assert table.event is not None and table.horizon is not None
    arms, curves, rmst, rvar = [], [], {}, {}
    for a in (1, 0):
        km = KaplanMeierFitter().fit(table.outcome[t == a], table.event[t == a])
        mean = restricted_mean_survival_time(km, t=table.horizon)
        rmst[a], rvar[a] = float(mean), rmst_variance(km, table.horizon)
        arms.append(Arm(arm=names[a], value=values[a], n=int((t == a).sum()), events=int(table.event[t == a].sum()),
                        rmst_days=float(mean)))
        sf = km.survival_function_
        curves.append(SurvivalCurve(arm=names[a], times=[float(v) for v in sf.index],
                                    survival=[float(v) for v in sf.iloc[:, 0]]))
    unadjusted = _interval(rmst[1] - rmst[0], math.sqrt(rvar[1] + rvar[0]), "rmst_difference_days",
                           "Kaplan-Meier RMST difference (unadjusted)")
    hr_u = _cox_hr(table, adjusted=False)
    hr_a = _cox_hr(table, adjusted=True)
    return arms, unadjusted, curves, hr_u, hr_a


def rmst_variance(km: Any, horizon: float) -> float:
    """Variance of a Kaplan-Meier RMST estimate at ``horizon`` (Klein & Moeschberger, Survival Analysis, 2nd ed.,
    section 4.5): the sum over event times t_j <= horizon of A_j^2 d_j / (n_j (n_j - d_j)), A_j the area under the
    curve from t_j to the horizon."""
    table = km.event_table
    times = table.index.to_numpy(dtype=float)
    survival = km.survival_function_at_times(times).to_numpy(dtype=float)
    keep = times <= horizon
    times, survival = times[keep], survival[keep]
    deaths = table["observed"].to_numpy(dtype=float)[keep]
    at_risk = table["at_risk"].to_numpy(dtype=float)[keep]
    # area from each time to the horizon: survival is flat between event times
    widths = np.diff(np.append(times, horizon))
    area = np.cumsum((survival * widths)[::-1])[::-1]
    usable = (deaths > 0) & (at_risk > deaths)
    return float(np.sum(area[usable] ** 2 * deaths[usable] / (at_risk[usable] * (at_risk[usable] - deaths[usable]))))


def _cox_frame(table: CohortTable, adjusted: bool) -> Any:
    import pandas as pd

    assert table.event is not None
    data = {"_time": table.outcome, "_event": table.event, "_treated": table.treatment}
    frame = pd.DataFrame(data)
    if adjusted:
        for j in range(len(table.feature_names)):
            frame[f"x{j}"] = table.features[:, j]
    return frame


def _cox_hr(table: CohortTable, adjusted: bool) -> Estimate | None:
    from lifelines import CoxPHFitter

    frame = _cox_frame(table, adjusted)
    try:
        cox = CoxPHFitter(penalizer=0.0).fit(frame, duration_col="_time", event_col="_event")
    except Exception:  # lifelines raises ConvergenceError and friends: report no hazard ratio rather than fail
        return None
    row = cox.summary.loc["_treated"]
    return Estimate(estimate=float(row["exp(coef)"]), ci_low=float(row["exp(coef) lower 95%"]),
                    ci_high=float(row["exp(coef) upper 95%"]), measure="hazard_ratio",
                    method="Cox proportional hazards" + (", adjusted for the covariates" if adjusted else
                                                         " (unadjusted)"), p_value=float(row["p"]))


def _modifier_effects(table: CohortTable) -> list[ModifierEffect]:
    """Per level of each modifier: the treated-vs-control hazard ratio and its ratio to the reference level's."""
    if table.kind != "time_to_event":
        return []
    from lifelines import CoxPHFitter

    assert table.event is not None
    results: list[ModifierEffect] = []
    for name, levels in table.modifiers.items():
        counts = {lv: int((levels == lv).sum()) for lv in np.unique(levels)}
        reference = max(counts, key=lambda lv: (counts[lv], lv))
        # A level needs events in both arms to have a hazard ratio; the others are listed, not modelled.
        fit_levels = [lv for lv in counts if all(
            int(table.event[(levels == lv) & (table.treatment == arm)].sum()) >= MIN_MODIFIER_EVENTS for arm in (0, 1))]
        if reference not in fit_levels:
            fit_levels = []
        keep = np.isin(levels, fit_levels)
        frame = _cox_frame(table, adjusted=True)
        drop = [f"x{j}" for j, f in enumerate(table.feature_names) if f == name or f.startswith(f"{name}=")]
        frame = frame.drop(columns=drop)
        others = [lv for lv in sorted(fit_levels) if lv != reference]
        for k, lv in enumerate(others):
            frame[f"m{k}"] = (levels == lv).astype(float)
            frame[f"i{k}"] = frame[f"m{k}"] * table.treatment
        frame = frame[keep]
        frame = frame.loc[:, frame.std() > 0]
        cox = None
        if fit_levels:
            try:
                cox = CoxPHFitter(penalizer=0.0).fit(frame, duration_col="_time", event_col="_event")
            except Exception:  # lifelines' ConvergenceError and friends: the levels are listed without ratios
                cox = None
        unfit = sorted(lv for lv in counts if lv not in fit_levels and lv != reference)
        for k, lv in enumerate([reference, *others, *unfit]):
            mask = levels == lv
            hr = ratio = None
            if cox is not None and lv in fit_levels:
                params, cov = cox.params_, cox.variance_matrix_
                terms = ["_treated"] + ([f"i{k - 1}"] if k else [])
                beta = float(sum(params[c] for c in terms))
                var = float(sum(cov.loc[a, b] for a in terms for b in terms))
                if math.isfinite(beta) and var > 0 and math.isfinite(var):
                    hr = _exp_interval(beta, math.sqrt(var), "hazard_ratio",
                                       "Cox with treatment x level interaction, adjusted")
                    if k:
                        c = f"i{k - 1}"
                        ratio = _exp_interval(float(params[c]), math.sqrt(float(cov.loc[c, c])),
                                              "ratio_of_hazard_ratios", f"interaction vs {reference}")
            results.append(ModifierEffect(modifier=name, level=lv, n=int(mask.sum()),
                                          treated=int(table.treatment[mask].sum()),
                                          events=int(table.event[mask].sum()), hazard_ratio=hr,
                                          ratio_vs_reference=ratio, reference=k == 0))
    return results


def _exp_interval(beta: float, se: float, measure: str, method: str) -> Estimate:
    return Estimate(estimate=math.exp(beta), ci_low=math.exp(beta - 1.96 * se), ci_high=math.exp(beta + 1.96 * se),
                    measure=measure, method=method, p_value=float(2 * stats.norm.sf(abs(beta / se))))


def _forest(x: np.ndarray[Any, Any], t: np.ndarray[Any, Any], y: np.ndarray[Any, Any], names: list[str],
            settings: EffectsSettings, measure: str) -> tuple[Estimate, CateSummary, list[Driver]]:
    forest = _fit_forest(x, t, y, settings, settings.n_estimators)
    tau, lo, hi = _forest_effects(forest, x)
    inference = forest.ate_inference(X=x)
    low, high = (float(v) for v in np.ravel(inference.conf_int_mean(alpha=0.05)))
    point = float(np.ravel([inference.mean_point])[0])
    se = float(np.ravel([inference.stderr_mean])[0])
    ate = Estimate(estimate=point, ci_low=low, ci_high=high, measure=measure,
                   method="mean of the causal forest's conditional effects (EconML CausalForestDML, honest)",
                   p_value=float(2 * stats.norm.sf(abs(point / se))) if se > 0 else None)
    counts, edges = np.histogram(tau, bins=20)
    cate = CateSummary(mean=float(tau.mean()), sd=float(tau.std()),
                       quantiles={f"{q}%": float(np.percentile(tau, q)) for q in (5, 25, 50, 75, 95)},
                       share_ci_above_zero=float((lo > 0).mean()), share_ci_below_zero=float((hi < 0).mean()),
                       histogram_edges=[float(e) for e in edges], histogram_counts=[int(c) for c in counts])
    importance = np.asarray(forest.feature_importances_, dtype=float)
    order = np.argsort(-importance, kind="stable")
    drivers = [Driver(feature=names[j], importance=float(importance[j])) for j in order if importance[j] > 0][:10]
    return ate, cate, drivers


def conditional_effects(table: CohortTable, settings: EffectsSettings = EffectsSettings()) -> tuple[
        np.ndarray[Any, np.dtype[np.float64]], np.ndarray[Any, np.dtype[np.float64]],
        np.ndarray[Any, np.dtype[np.float64]]]:
    """Each row's conditional effect from the causal forest with its pointwise 95% interval (effect, low, high), on
    the scale of :func:`estimate_effects` (for a time-to-event outcome, the RMST difference)."""
    _import_extra()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = _analysis_outcome(table)
        return _forest_effects(_fit_forest(table.features, table.treatment, y, settings, settings.n_estimators),
                               table.features)


def _analysis_outcome(table: CohortTable) -> np.ndarray[Any, np.dtype[np.float64]]:
    """The outcome the causal models see: RMST pseudo-values (computed per arm) for a time-to-event outcome."""
    if table.kind != "time_to_event":
        return table.outcome
    assert table.event is not None and table.horizon is not None
    y = np.empty(len(table.treatment), dtype=np.float64)
    for arm in (0, 1):  # censoring may differ between the arms (e.g. a treatment introduced later)
        rows = table.treatment == arm
        y[rows] = rmst_pseudo_values(table.outcome[rows], table.event[rows], table.horizon)
    return y


def _forest_effects(forest: Any, x: np.ndarray[Any, Any]) -> tuple[np.ndarray[Any, np.dtype[np.float64]],
                                                                   np.ndarray[Any, np.dtype[np.float64]],
                                                                   np.ndarray[Any, np.dtype[np.float64]]]:
    tau = np.ravel(forest.effect(x)).astype(np.float64)
    lo, hi = (np.ravel(v).astype(np.float64) for v in forest.effect_interval(x, alpha=0.05))
    return tau, lo, hi


def _fit_forest(x: np.ndarray[Any, Any], t: np.ndarray[Any, Any], y: np.ndarray[Any, Any], settings: EffectsSettings,
                n_estimators: int) -> Any:
    from econml.dml import CausalForestDML

    trees = max(4, n_estimators - n_estimators % 4)
    forest = CausalForestDML(model_y=_outcome_model(settings.seed), model_t=_propensity_model(settings.seed),
                             discrete_treatment=True, n_estimators=trees, min_samples_leaf=settings.min_samples_leaf,
                             honest=True, cv=settings.cv, random_state=settings.seed, n_jobs=1)
    return forest.fit(y, t, X=x)


def _validation(x: np.ndarray[Any, Any], t: np.ndarray[Any, Any], y: np.ndarray[Any, Any], names: list[str],
                settings: EffectsSettings, rng: np.random.Generator) -> tuple[list[Subgroup], Calibration]:
    """Grow the subgroup tree and a forest on half A; calibrate and estimate the leaves on half B (DRTester)."""
    from econml.cate_interpreter import SingleTreeCateInterpreter
    from econml.validate import DRTester

    half = np.zeros(len(t), dtype=bool)
    for arm in (0, 1):
        rows = np.flatnonzero(t == arm)
        half[rng.permutation(rows)[: len(rows) // 2]] = True
    a, b = half, ~half
    forest = _fit_forest(x[a], t[a], y[a], settings, max(40, settings.n_estimators // 2))
    tester = DRTester(model_regression=_outcome_model(settings.seed), model_propensity=_propensity_model(settings.seed),
                      cate=forest, cv=settings.cv)
    tester.fit_nuisance(x[b], t[b], y[b], x[a], t[a], y[a])
    res = tester.evaluate_all(x[b], x[a], n_groups=4, n_bootstrap=200)
    calibration = Calibration(blp_slope=float(res.blp.params[0]), blp_se=float(res.blp.errs[0]),
                              blp_p_value=float(res.blp.pvals[0]), calibration_r2=float(res.cal.cal_r_squared[0]),
                              autoc=float(res.toc.params[0]), autoc_se=float(res.toc.errs[0]),
                              autoc_p_value=float(res.toc.pvals[0]))
    scores = np.ravel(tester.dr_val_)
    leaf_min = max(20, int(0.1 * a.sum()))
    interpreter = SingleTreeCateInterpreter(max_depth=settings.tree_depth, min_samples_leaf=leaf_min,
                                            random_state=settings.seed)
    interpreter.interpret(forest, x[a])
    tree = interpreter.tree_model_
    rules = _leaf_rules(tree, names)
    leaves = tree.apply(x[b])
    subgroups = []
    tb = t[b]
    for leaf, rule in rules.items():
        mask = leaves == leaf
        n = int(mask.sum())
        if n < 2:
            continue
        mean = float(scores[mask].mean())
        se = float(scores[mask].std(ddof=1) / math.sqrt(n))
        small = min(int((tb[mask] == 1).sum()), int((tb[mask] == 0).sum())) < SMALL_SUBGROUP
        subgroups.append(Subgroup(rule=rule, n=n, estimate=mean, ci_low=mean - 1.96 * se, ci_high=mean + 1.96 * se,
                                  small=small))
    return subgroups, calibration


def _leaf_rules(tree: Any, names: list[str]) -> dict[int, str]:
    """Each leaf of a fitted scikit-learn tree and its rule, one condition per feature ('41.5 < age <= 45.5 and
    tgrade = III')."""
    structure = tree.tree_
    rules: dict[int, str] = {}

    def describe(bounds: dict[int, tuple[float, float]]) -> str:
        parts = []
        for feature, (low, high) in bounds.items():
            name = names[feature]
            if "=" in name:  # a 0/1 indicator of a text column's level: split at 0.5
                column, _, level = name.partition("=")
                parts.append(f"{column} = {level}" if low > -math.inf else f"{column} != {level}")
                continue
            if low > -math.inf and high < math.inf:
                parts.append(f"{low:.4g} < {name} <= {high:.4g}")
            elif high < math.inf:
                parts.append(f"{name} <= {high:.4g}")
            else:
                parts.append(f"{name} > {low:.4g}")
        return " and ".join(parts) if parts else "all"

    def walk(node: int, bounds: dict[int, tuple[float, float]]) -> None:
        if structure.children_left[node] == -1:
            rules[node] = describe(bounds)
            return
        feature, threshold = int(structure.feature[node]), float(structure.threshold[node])
        low, high = bounds.get(feature, (-math.inf, math.inf))
        walk(int(structure.children_left[node]), {**bounds, feature: (low, min(high, threshold))})
        walk(int(structure.children_right[node]), {**bounds, feature: (max(low, threshold), high)})

    walk(0, {})
    return rules


def _placebo(x: np.ndarray[Any, Any], t: np.ndarray[Any, Any], y: np.ndarray[Any, Any], settings: EffectsSettings,
             rng: np.random.Generator, measure: str) -> Placebo:
    from econml.dr import LinearDRLearner

    fake = rng.permutation(t)
    dr = LinearDRLearner(model_propensity=_propensity_model(settings.seed),
                         model_regression=_outcome_model(settings.seed), cv=settings.cv, random_state=settings.seed,
                         min_propensity=0.01)
    dr.fit(y, fake, X=None, W=x)
    point = float(dr.intercept_(T=1))
    low, high = (float(v) for v in dr.intercept__interval(T=1, alpha=0.05))
    return Placebo(estimate=point, ci_low=low, ci_high=high, passed=low <= 0 <= high)


def e_value_rr(rr: float) -> float:
    """E-value of a risk ratio (VanderWeele & Ding 2017): RR + sqrt(RR (RR - 1)), with RR < 1 inverted.

    >>> round(e_value_rr(3.9), 2), e_value_rr(1.0), round(e_value_rr(1 / 3.9), 2)
    (7.26, 1.0, 7.26)
    """
    if rr < 1:
        rr = 1 / rr
    return float(rr + math.sqrt(rr * (rr - 1)))


def _hr_to_rr(hr: float) -> float:
    """A hazard ratio as an approximate risk ratio for a common outcome (VanderWeele, Biometrics 2020; Ding &
    VanderWeele 2016): RR = (1 - 0.5^sqrt(HR)) / (1 - 0.5^sqrt(1/HR))."""
    return float((1 - 0.5 ** math.sqrt(hr)) / (1 - 0.5 ** math.sqrt(1 / hr)))


def _e_value(table: CohortTable, ate: Estimate, hr_adjusted: Estimate | None) -> EValue | None:
    def ci_value(point: float, low: float, high: float) -> float:
        if low <= 1 <= high:
            return 1.0
        return e_value_rr(low if point > 1 else high)

    if table.kind == "time_to_event":
        if hr_adjusted is None:
            return None
        events = float(table.event.mean()) if table.event is not None else 0.0
        if events < 0.15:
            rr, lo, hi = hr_adjusted.estimate, hr_adjusted.ci_low, hr_adjusted.ci_high
            how = "adjusted Cox hazard ratio taken as a risk ratio (outcome under 15%)"
        else:
            rr, lo, hi = (_hr_to_rr(v) for v in (hr_adjusted.estimate, hr_adjusted.ci_low, hr_adjusted.ci_high))
            how = "adjusted Cox hazard ratio converted to a risk ratio for a common outcome"
        return EValue(point=e_value_rr(rr), ci=ci_value(rr, lo, hi), scale=how)
    if table.kind == "binary":
        base = float(table.outcome[table.treatment == 0].mean())
        if base <= 0:
            return None
        rr, lo, hi = ((base + v) / base for v in (ate.estimate, ate.ci_low, ate.ci_high))
        if min(rr, lo, hi) <= 0:
            return None
        return EValue(point=e_value_rr(rr), ci=ci_value(rr, lo, hi),
                      scale="risk ratio from the adjusted risk difference and the control risk")
    sd = float(table.outcome.std(ddof=1))
    if sd == 0:
        return None
    rr, lo, hi = (math.exp(0.91 * v / sd) for v in (ate.estimate, ate.ci_low, ate.ci_high))
    return EValue(point=e_value_rr(rr), ci=ci_value(rr, lo, hi),
                  scale="standardised mean difference d as risk ratio exp(0.91 d) (VanderWeele 2017)")
