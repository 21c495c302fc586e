"""Treatment-effect results of a cohort (``tailormed cohort effects`` and ``cohort omop``): ``effects.json``.

Every estimate carries its 95% confidence interval and says what it measures. The schema is documented in
docs/cohort.md; :data:`EFFECTS_SCHEMA_VERSION` changes when a field changes meaning.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from tailormed.model.common import Provenance, Record

EFFECTS_SCHEMA_VERSION = "1.0"

OutcomeKind = Literal["time_to_event", "binary", "continuous"]


class Estimate(Record):
    """One effect with its 95% confidence interval."""

    estimate: float
    ci_low: float
    ci_high: float
    measure: str = Field(description="What the number is: 'rmst_difference_days', 'risk_difference', "
                                     "'mean_difference', 'hazard_ratio', 'ratio_of_hazard_ratios'.")
    method: str = Field(default="", description="How it was estimated, e.g. 'AIPW (EconML LinearDRLearner)'.")
    p_value: float | None = None


class Arm(Record):
    """One treatment arm: its size, events and (time-to-event) restricted mean survival time."""

    arm: Literal["treated", "control"]
    value: str = Field(description="The treatment column's value for this arm.")
    n: int
    events: int | None = None
    rmst_days: float | None = Field(default=None, description="Kaplan-Meier RMST at the horizon (unadjusted).")
    mean_outcome: float | None = None


class SurvivalCurve(Record):
    """A Kaplan-Meier step curve for one arm (times in days, survival just after each time)."""

    arm: Literal["treated", "control"]
    times: list[float]
    survival: list[float]


class Subgroup(Record):
    """A leaf of the interpretable subgroup tree: its rule, size and effect (estimated on held-out rows)."""

    rule: str
    n: int = Field(description="Rows of the estimation half in this subgroup.")
    estimate: float
    ci_low: float
    ci_high: float
    small: bool = Field(default=False, description="Fewer than 30 rows per arm: the interval is unreliable.")


class Driver(Record):
    """A covariate and its share of the causal forest's heterogeneity splits (importances sum to 1)."""

    feature: str
    importance: float


class CateSummary(Record):
    """The conditional (individual-level) effects of the causal forest."""

    mean: float
    sd: float
    quantiles: dict[str, float] = Field(description="'5%', '25%', '50%', '75%', '95%'.")
    share_ci_above_zero: float
    share_ci_below_zero: float
    histogram_edges: list[float]
    histogram_counts: list[int]


class ModifierEffect(Record):
    """The treatment's effect within one level of an effect modifier (e.g. a CYP2C19 phenotype), from a Cox model
    with treatment x level interactions adjusted for the covariates."""

    modifier: str
    level: str
    n: int
    treated: int
    events: int
    hazard_ratio: Estimate | None = Field(description="Treated vs control within this level.")
    ratio_vs_reference: Estimate | None = Field(
        description="This level's hazard ratio divided by the reference level's (the effect modification); "
                    "None for the reference level.")
    reference: bool = False


class Overlap(Record):
    """Propensity-score overlap between the arms."""

    propensity_min: float
    propensity_max: float
    share_outside: float = Field(description="Share of rows with a propensity below 0.05 or above 0.95.")
    histogram_edges: list[float]
    treated_counts: list[int]
    control_counts: list[int]


class Calibration(Record):
    """EconML DRTester on the held-out half: best linear predictor of the effect, calibration and AUTOC."""

    blp_slope: float = Field(description="BLP coefficient on the predicted effect; 1 = well calibrated, 0 = none.")
    blp_se: float
    blp_p_value: float
    calibration_r2: float
    autoc: float
    autoc_se: float
    autoc_p_value: float


class Placebo(Record):
    """The average effect re-estimated with the treatment randomly permuted: should be near zero."""

    estimate: float
    ci_low: float
    ci_high: float
    passed: bool = Field(description="The placebo interval holds zero.")


class EValue(Record):
    """VanderWeele & Ding (2017) E-value: the strength of unmeasured confounding (risk-ratio scale) that could
    explain the effect away (point) or move its interval to the null (ci)."""

    point: float
    ci: float
    scale: str = Field(description="The risk ratio the E-value was computed from and how.")


class Diagnostics(Record):
    overlap: Overlap
    calibration: Calibration | None = None
    placebo: Placebo | None = None
    e_value: EValue | None = None


class EffectsResult(Record):
    """The content of ``effects.json``."""

    schema_version: str = EFFECTS_SCHEMA_VERSION
    outcome_kind: OutcomeKind
    treatment: str
    outcome: str
    event: str | None = None
    horizon_days: float | None = None
    covariates: list[str] = Field(description="The model's features after encoding (a text column becomes "
                                              "'column=level' indicators).")
    n: int
    dropped_rows: int = Field(description="Rows left out for a missing treatment, outcome or covariate.")
    arms: list[Arm]
    ate: Estimate = Field(description="Average treatment effect, adjusted (doubly robust).")
    ate_causal_forest: Estimate | None = None
    unadjusted: Estimate = Field(description="Kaplan-Meier RMST difference, or the difference in means.")
    hazard_ratio_unadjusted: Estimate | None = None
    hazard_ratio_adjusted: Estimate | None = None
    cate: CateSummary | None = None
    drivers: list[Driver] = Field(default_factory=list)
    subgroups: list[Subgroup] = Field(default_factory=list)
    modifiers: list[ModifierEffect] = Field(default_factory=list)
    survival_curves: list[SurvivalCurve] = Field(default_factory=list)
    diagnostics: Diagnostics
    limits: list[str] = Field(description="What cannot be concluded from this analysis.")
    warnings: list[str] = Field(default_factory=list)
    settings: dict[str, float | int | str | bool] = Field(default_factory=dict)
    cohort: dict[str, int | str] = Field(default_factory=dict, description="How the cohort was built (cohort omop).")
    provenance: Provenance | None = None
