"""Validated clinical risk equations: ACC/AHA Pooled Cohort Equations, AHA PREVENT (base model) and FINDRISC.

Every function here is pure (no file, network or clock access) and returns a :class:`RiskEstimate`. Inputs are
checked in two steps, each failing with :class:`tailormed.errors.InputError` naming the field, the value and the
allowed range:

1. *plausibility*: values that cannot describe a living adult (negative age, SBP below 60 mmHg, HDL above total
   cholesterol, NaN). These limits are our own sanity bounds, not clinical thresholds.
2. *validity*: the range over which the published equation was built and is documented to apply. Outside it the
   equation is not extrapolated; the caller gets an error, never a silent clamp.

Coefficients were transcribed from the sources named above each table and checked against the published or
reference-implementation worked examples in ``tests/risk/test_equations.py`` (see ``docs/risk-equations.md``).
Do not edit a coefficient without re-running those tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from tailormed.errors import InputError

Sex = Literal["female", "male"]
PceRaceGroup = Literal["white_or_other", "african_american"]
PreventOutcome = Literal["total_cvd", "ascvd", "heart_failure"]
CholesterolUnit = Literal["mg/dL", "mmol/L"]
FamilyHistory = Literal["none", "second_degree", "first_degree"]
InputValue = float | int | bool | str

# 1 mmol/L of cholesterol = 38.67 mg/dL (molar mass of cholesterol 386.65 g/mol). The PREVENT supplement and its
# reference implementations (preventr helpers.R `convert_chol_to_mmol`; Linden's Stata `prevent10i`; the CDC
# KDSS PREVENT definition) multiply mg/dL by 0.02586 = 1/38.67 to get mmol/L. Checked 2025 via the search tool.
CHOLESTEROL_MG_DL_PER_MMOL_L = 38.67
PREVENT_MMOL_L_PER_MG_DL = 0.02586


@dataclass(frozen=True)
class RiskEstimate:
    """One risk estimate: ``risk`` is an absolute probability (0-1) over ``horizon_years``.

    ``points`` and ``category`` are set by score-based tools (FINDRISC); equation-based estimates leave them None.
    """

    name: str
    horizon_years: int
    risk: float
    inputs_used: dict[str, InputValue]
    source: str
    notes: list[str] = field(default_factory=list)
    points: int | None = None
    category: str | None = None


# --------------------------------------------------------------------------------------------- validation helpers
def _require_number(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{name} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise InputError(f"{name} must be a finite number, got {value!r}")
    return number


def check_plausible(name: str, value: float, low: float, high: float, unit: str = "") -> float:
    """Reject a value that cannot be a real measurement (our sanity bounds, inclusive); return it as float."""
    number = _require_number(name, value)
    if not low <= number <= high:
        suffix = f" {unit}" if unit else ""
        raise InputError(f"{name} = {number:g}{suffix} is not a possible value (expected {low:g}-{high:g}{suffix})")
    return number


def check_range(name: str, value: float, low: float, high: float, unit: str = "", *, equation: str) -> float:
    """Reject a value outside the range an equation is valid for (inclusive bounds); return it as float."""
    number = _require_number(name, value)
    if not low <= number <= high:
        suffix = f" {unit}" if unit else ""
        raise InputError(
            f"{name} = {number:g}{suffix} is outside the valid range of the {equation} ({low:g}-{high:g}{suffix}); "
            "the equation is not extrapolated"
        )
    return number


def check_flag(name: str, value: bool) -> bool:
    """Require a real bool (not 0/1, not a string) so a mistyped argument cannot flip a risk factor."""
    if not isinstance(value, bool):
        raise InputError(f"{name} must be True or False, got {value!r}")
    return value


def check_choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise InputError(f"{name} = {value!r} is not one of {', '.join(repr(a) for a in allowed)}")
    return value


def check_lipids(total_cholesterol_mg_dl: float, hdl_mg_dl: float) -> tuple[float, float]:
    """Plausibility of a lipid pair in mg/dL: both positive and HDL strictly below total cholesterol."""
    total = check_plausible("total_cholesterol_mg_dl", total_cholesterol_mg_dl, 1, 2000, "mg/dL")
    hdl = check_plausible("hdl_mg_dl", hdl_mg_dl, 1, 2000, "mg/dL")
    if hdl >= total:
        raise InputError(
            f"hdl_mg_dl = {hdl:g} mg/dL is not below total_cholesterol_mg_dl = {total:g} mg/dL; "
            "HDL cholesterol is a fraction of total cholesterol"
        )
    return total, hdl


def _check_age(age: float) -> float:
    return check_plausible("age", age, 0, 120, "years")


def _check_sbp(sbp: float) -> float:
    return check_plausible("systolic_bp_mmhg", sbp, 60, 300, "mmHg")


def convert_cholesterol(value: float, unit: CholesterolUnit) -> float:
    """Convert a cholesterol concentration given in ``unit`` to the other unit (mg/dL <-> mmol/L).

    >>> round(convert_cholesterol(200, "mg/dL"), 3)
    5.172
    >>> round(convert_cholesterol(5.0, "mmol/L"), 2)
    193.35
    """
    number = _require_number("cholesterol", value)
    if number <= 0:
        raise InputError(f"cholesterol = {number:g} {unit} is not a possible value (must be > 0)")
    if unit == "mg/dL":
        return number / CHOLESTEROL_MG_DL_PER_MMOL_L
    if unit == "mmol/L":
        return number * CHOLESTEROL_MG_DL_PER_MMOL_L
    raise InputError(f"cholesterol unit {unit!r} is not one of 'mg/dL', 'mmol/L'")


# --------------------------------------------------------------------------------------------- Pooled Cohort Equations
PCE_SOURCE = (
    "Goff DC Jr et al. 2013 ACC/AHA Guideline on the Assessment of Cardiovascular Risk. Circulation "
    "2014;129(25 Suppl 2):S49-S73 (Appendix 7, Table A); coefficients as in the AHA preventr R package pce_model"
)

# Table A coefficients (3 decimals as printed) for ln(age), ln(age)^2, ln(TC), ln(age)*ln(TC), ln(HDL),
# ln(age)*ln(HDL), ln(treated SBP), ln(age)*ln(treated SBP), ln(untreated SBP), ln(age)*ln(untreated SBP), smoker,
# ln(age)*smoker, diabetes; the group mean of the linear predictor; and 10-year baseline survival.
# Transcribed from martingmayer/preventr R/other_models.R `pce_model` (CRAN preventr, 2024) and cross-checked
# against PMC4608065 Table 1 (JAHA 2015; that table misprints white women untreated SBP as 1.857 and white men
# ln(age)*ln(HDL) as 1.767 -- both refuted by the guideline worked example), ebmcalc.com/ACCAHA2013 and
# bcjaeger/PooledCohort. Means to 4 decimals as in preventr, PooledCohort and cerner/ascvd-risk-calculator (Table A
# prints them to 2 decimals: -29.18, 86.61, 61.18, 19.54). Checked 2025 via the search tool.
_PCE_TERMS = (
    "ln_age", "ln_age_sq", "ln_tc", "ln_age_ln_tc", "ln_hdl", "ln_age_ln_hdl", "ln_sbp_treated",
    "ln_age_ln_sbp_treated", "ln_sbp_untreated", "ln_age_ln_sbp_untreated", "smoker", "ln_age_smoker", "diabetes",
)
_PCE: dict[tuple[PceRaceGroup, Sex], tuple[tuple[float, ...], float, float]] = {
    ("white_or_other", "female"): (
        (-29.799, 4.884, 13.540, -3.114, -13.578, 3.149, 2.019, 0.0, 1.957, 0.0, 7.574, -1.665, 0.661),
        -29.1817, 0.9665,
    ),
    ("african_american", "female"): (
        (17.114, 0.0, 0.940, 0.0, -18.920, 4.475, 29.291, -6.432, 27.820, -6.087, 0.691, 0.0, 0.874),
        86.6081, 0.9533,
    ),
    ("white_or_other", "male"): (
        (12.344, 0.0, 11.853, -2.664, -7.990, 1.769, 1.797, 0.0, 1.764, 0.0, 7.837, -1.795, 0.658),
        61.1816, 0.9144,
    ),
    ("african_american", "male"): (
        (2.469, 0.0, 0.302, 0.0, -0.307, 0.0, 1.916, 0.0, 1.809, 0.0, 0.549, 0.0, 0.645),
        19.5425, 0.8954,
    ),
}
# Validity: ages 40-79 (the guideline); TC 130-320 mg/dL, HDL 20-100 mg/dL, SBP 90-200 mmHg (the ranges the
# ACC/AHA risk estimator accepts, as enforced by the reference implementations PooledCohort and preventr).
PCE_RANGES = {"age": (40.0, 79.0), "total_cholesterol_mg_dl": (130.0, 320.0), "hdl_mg_dl": (20.0, 100.0),
              "systolic_bp_mmhg": (90.0, 200.0)}


def pooled_cohort_ascvd_10y(
    *,
    age: float,
    sex: Sex,
    race_group: PceRaceGroup,
    total_cholesterol_mg_dl: float,
    hdl_mg_dl: float,
    systolic_bp_mmhg: float,
    on_antihypertensive: bool,
    current_smoker: bool,
    diabetes: bool,
) -> RiskEstimate:
    """10-year risk of a first hard ASCVD event (nonfatal MI, CHD death, fatal/nonfatal stroke), Goff 2013.

    ``race_group`` 'white_or_other' uses the white equations, as the guideline advises for races other than
    African American. Risk = 1 - S10 ** exp(sum(beta * x) - group mean).

    >>> r = pooled_cohort_ascvd_10y(age=55, sex="female", race_group="white_or_other", total_cholesterol_mg_dl=213,
    ...     hdl_mg_dl=50, systolic_bp_mmhg=120, on_antihypertensive=False, current_smoker=False, diabetes=False)
    >>> round(100 * r.risk, 1)
    2.1
    """
    equation = "Pooled Cohort Equations (ages 40-79)"
    check_choice("sex", sex, ("female", "male"))
    check_choice("race_group", race_group, ("white_or_other", "african_american"))
    age = _check_age(age)
    sbp = _check_sbp(systolic_bp_mmhg)
    total, hdl = check_lipids(total_cholesterol_mg_dl, hdl_mg_dl)
    treated = check_flag("on_antihypertensive", on_antihypertensive)
    smoker = check_flag("current_smoker", current_smoker)
    dm = check_flag("diabetes", diabetes)
    check_range("age", age, *PCE_RANGES["age"], "years", equation=equation)
    check_range("total_cholesterol_mg_dl", total, *PCE_RANGES["total_cholesterol_mg_dl"], "mg/dL", equation=equation)
    check_range("hdl_mg_dl", hdl, *PCE_RANGES["hdl_mg_dl"], "mg/dL", equation=equation)
    check_range("systolic_bp_mmhg", sbp, *PCE_RANGES["systolic_bp_mmhg"], "mmHg", equation=equation)

    ln_age, ln_tc, ln_hdl, ln_sbp = math.log(age), math.log(total), math.log(hdl), math.log(sbp)
    values = (
        ln_age, ln_age**2, ln_tc, ln_age * ln_tc, ln_hdl, ln_age * ln_hdl,
        ln_sbp if treated else 0.0, ln_age * ln_sbp if treated else 0.0,
        0.0 if treated else ln_sbp, 0.0 if treated else ln_age * ln_sbp,
        float(smoker), ln_age * float(smoker), float(dm),
    )
    betas, mean, baseline_survival = _PCE[(race_group, sex)]
    linear = sum(b * v for b, v in zip(betas, values, strict=True))
    risk = 1.0 - baseline_survival ** math.exp(linear - mean)
    notes = ["Coefficients from Table A of the 2013 guideline; the race term is a 2013 modelling choice."]
    if race_group == "white_or_other":
        notes.append("White equations used; the guideline notes they may over- or underestimate risk in other groups.")
    return RiskEstimate(
        name="Pooled Cohort Equations, hard ASCVD",
        horizon_years=10,
        risk=risk,
        inputs_used={
            "age": age, "sex": sex, "race_group": race_group, "total_cholesterol_mg_dl": total, "hdl_mg_dl": hdl,
            "systolic_bp_mmhg": sbp, "on_antihypertensive": treated, "current_smoker": smoker, "diabetes": dm,
        },
        source=PCE_SOURCE,
        notes=notes,
    )


# --------------------------------------------------------------------------------------------- PREVENT (base model)
PREVENT_SOURCE = (
    "Khan SS et al. Development and Validation of the American Heart Association's PREVENT Equations. "
    "Circulation 2024;149(6):430-449 (Supplemental Table S12, base model)"
)

# Base-model logistic coefficients, in the order of _PREVENT_TERMS. Transcribed from Linden A, Stata `prevent10i`
# and `prevent30i` 1.0.0 (SSC archive, 15 Jun 2024) and cross-checked term by term against a TypeScript port of
# the AHA's R code (function preventBase, "AHAprevent v1.0.0") and, for the 10-year total CVD model, the CDC
# KDSS PREVENT definition (wwwn.cdc.gov/KDSS, Q811). Reproduces the Supplemental Table S12 examples and the preventr
# README/vignette outputs (tests). Checked 2025 via the search tool. BMI terms enter the heart-failure models only;
# lipid and statin terms enter the CVD and ASCVD models only; age squared enters the 30-year models only.
_PREVENT_TERMS = (
    "constant", "age", "age_sq", "non_hdl", "hdl", "sbp_lt_110", "sbp_gte_110", "diabetes", "smoker",
    "egfr_lt_60", "egfr_gte_60", "antihypertensive", "statin", "antihypertensive_x_sbp_gte_110",
    "statin_x_non_hdl", "age_x_non_hdl", "age_x_hdl", "age_x_sbp_gte_110", "age_x_diabetes", "age_x_smoker",
    "age_x_egfr_lt_60", "bmi_lt_30", "bmi_gte_30", "age_x_bmi_gte_30",
)
_PREVENT: dict[tuple[Sex, PreventOutcome, int], tuple[float, ...]] = {
    ("female", "total_cvd", 10): (
        -3.307728, 0.7939329, 0.0, 0.0305239, -0.1606857, -0.2394003, 0.3600781, 0.8667604, 0.5360739,
        0.6045917, 0.0433769, 0.3151672, -0.1477655, -0.0663612, 0.1197879, -0.0819715, 0.0306769, -0.0946348,
        -0.27057, -0.078715, -0.1637806, 0.0, 0.0, 0.0),
    ("male", "total_cvd", 10): (
        -3.031168, 0.7688528, 0.0, 0.0736174, -0.0954431, -0.4347345, 0.3362658, 0.7692857, 0.4386871,
        0.5378979, 0.0164827, 0.288879, -0.1337349, -0.0475924, 0.150273, -0.0517874, 0.0191169, -0.1049477,
        -0.2251948, -0.0895067, -0.1543702, 0.0, 0.0, 0.0),
    ("female", "ascvd", 10): (
        -3.819975, 0.719883, 0.0, 0.1176967, -0.151185, -0.0835358, 0.3592852, 0.8348585, 0.4831078,
        0.4864619, 0.0397779, 0.2265309, -0.0592374, -0.0395762, 0.0844423, -0.0567839, 0.0325692, -0.1035985,
        -0.2417542, -0.0791142, -0.1671492, 0.0, 0.0, 0.0),
    ("male", "ascvd", 10): (
        -3.500655, 0.7099847, 0.0, 0.1658663, -0.1144285, -0.2837212, 0.3239977, 0.7189597, 0.3956973,
        0.3690075, 0.0203619, 0.2036522, -0.0865581, -0.0322916, 0.114563, -0.0300005, 0.0232747, -0.0927024,
        -0.2018525, -0.0970527, -0.1217081, 0.0, 0.0, 0.0),
    ("female", "heart_failure", 10): (
        -4.310409, 0.8998235, 0.0, 0.0, 0.0, -0.4559771, 0.3576505, 1.038346, 0.583916,
        0.7451638, 0.0557087, 0.3534442, 0.0, -0.0981511, 0.0, 0.0, 0.0, -0.0946663,
        -0.3581041, -0.1159453, -0.1884289, -0.0072294, 0.2997706, -0.003878),
    ("male", "heart_failure", 10): (
        -3.946391, 0.8972642, 0.0, 0.0, 0.0, -0.6811466, 0.3634461, 0.923776, 0.5023736,
        0.6926917, 0.0251827, 0.2980922, 0.0, -0.0497731, 0.0, 0.0, 0.0, -0.1289201,
        -0.3040924, -0.1401688, -0.1797778, -0.0485841, 0.3726929, 0.0068126),
    ("female", "total_cvd", 30): (
        -1.318827, 0.5503079, -0.0928369, 0.0409794, -0.1663306, -0.1628654, 0.3299505, 0.6793894, 0.3196112,
        0.1857101, 0.0553528, 0.2894, -0.075688, -0.056367, 0.1071019, -0.0751438, 0.0301786, -0.0998776,
        -0.3206166, -0.1607862, -0.1450788, 0.0, 0.0, 0.0),
    ("male", "total_cvd", 30): (
        -1.148204, 0.4627309, -0.0984281, 0.0836088, -0.1029824, -0.2140352, 0.2904325, 0.5331276, 0.2141914,
        0.1155556, 0.0603775, 0.232714, -0.0272112, -0.0384488, 0.134192, -0.0511759, 0.0165865, -0.1101437,
        -0.2585943, -0.1566406, -0.1166776, 0.0, 0.0, 0.0),
    ("female", "ascvd", 30): (
        -1.974074, 0.4669202, -0.0893118, 0.1256901, -0.1542255, -0.0018093, 0.322949, 0.6296707, 0.268292,
        0.100106, 0.0499663, 0.1875292, 0.0152476, -0.0276123, 0.0736147, -0.0521962, 0.0316918, -0.1046101,
        -0.2727793, -0.1530907, -0.1299149, 0.0, 0.0, 0.0),
    ("male", "ascvd", 30): (
        -1.736444, 0.3994099, -0.0937484, 0.1744643, -0.120203, -0.0665117, 0.2753037, 0.4790257, 0.1782635,
        -0.0218789, 0.0602553, 0.1421182, 0.0135996, -0.0218265, 0.1013148, -0.0312619, 0.020673, -0.0920935,
        -0.2159947, -0.1548811, -0.0712547, 0.0, 0.0, 0.0),
    ("female", "heart_failure", 30): (
        -2.205379, 0.6254374, -0.0983038, 0.0, 0.0, -0.3919241, 0.3142295, 0.8330787, 0.3438651,
        0.2981642, 0.0667159, 0.333921, 0.0, -0.0893177, 0.0, 0.0, 0.0, -0.0974299,
        -0.404855, -0.1982991, -0.1564215, 0.0594874, 0.2525536, -0.0035619),
    ("male", "heart_failure", 30): (
        -1.95751, 0.5681541, -0.1048388, 0.0, 0.0, -0.4761564, 0.30324, 0.6840338, 0.2656273,
        0.2541805, 0.0638923, 0.2583631, 0.0, -0.0391938, 0.0, 0.0, 0.0, -0.1269124,
        -0.3273572, -0.2043019, -0.1342618, 0.0833107, 0.26999, -0.0182831),
}
# Validity: ages 30-79 (30-59 for 30-year estimates: Stata prevent30i inclusion check, AHAprevent port),
# TC 130-320 and HDL 20-100 mg/dL, SBP 90-200 mmHg, BMI 18.5-39.9 kg/m2, eGFR 15-140 mL/min/1.73m2 (preventr
# `valid`, which narrows SBP to 180 by its author's choice; the PREVENT equations themselves accept 200).
PREVENT_RANGES = {"age": (30.0, 79.0), "age_30y": (30.0, 59.0), "total_cholesterol_mg_dl": (130.0, 320.0),
                  "hdl_mg_dl": (20.0, 100.0), "systolic_bp_mmhg": (90.0, 200.0), "bmi": (18.5, 39.9),
                  "egfr": (15.0, 140.0)}


def prevent_base(
    *,
    outcome: PreventOutcome,
    horizon_years: Literal[10, 30],
    age: float,
    sex: Sex,
    total_cholesterol_mg_dl: float,
    hdl_mg_dl: float,
    systolic_bp_mmhg: float,
    diabetes: bool,
    current_smoker: bool,
    egfr: float,
    on_antihypertensive: bool,
    on_statin: bool,
    bmi: float | None = None,
) -> RiskEstimate:
    """AHA PREVENT base model: 10- or 30-year risk of total CVD, ASCVD or heart failure (Khan 2024).

    Lipids are given in mg/dL and converted with the published factor 0.02586 (non-HDL = TC - HDL). ``bmi`` is
    required for ``outcome='heart_failure'`` and otherwise only checked if given. 30-year estimates are limited
    to ages 30-59. Risk = exp(x) / (1 + exp(x)).
    """
    equation = "PREVENT equations"
    check_choice("outcome", outcome, ("total_cvd", "ascvd", "heart_failure"))
    if horizon_years not in (10, 30):
        raise InputError(f"horizon_years = {horizon_years!r} is not one of 10, 30")
    check_choice("sex", sex, ("female", "male"))
    age = _check_age(age)
    sbp = _check_sbp(systolic_bp_mmhg)
    total, hdl = check_lipids(total_cholesterol_mg_dl, hdl_mg_dl)
    egfr_value = check_plausible("egfr", egfr, 0, 250, "mL/min/1.73m2")
    dm = check_flag("diabetes", diabetes)
    smoker = check_flag("current_smoker", current_smoker)
    treated = check_flag("on_antihypertensive", on_antihypertensive)
    statin = check_flag("on_statin", on_statin)
    bmi_value: float | None = None
    if bmi is not None:
        bmi_value = check_plausible("bmi", bmi, 8, 150, "kg/m2")
    elif outcome == "heart_failure":
        raise InputError("bmi is required for the PREVENT heart-failure model")

    age_range = PREVENT_RANGES["age_30y"] if horizon_years == 30 else PREVENT_RANGES["age"]
    check_range("age", age, *age_range, "years", equation=f"{equation} ({horizon_years}-year)")
    check_range("total_cholesterol_mg_dl", total, *PREVENT_RANGES["total_cholesterol_mg_dl"], "mg/dL",
                equation=equation)
    check_range("hdl_mg_dl", hdl, *PREVENT_RANGES["hdl_mg_dl"], "mg/dL", equation=equation)
    check_range("systolic_bp_mmhg", sbp, *PREVENT_RANGES["systolic_bp_mmhg"], "mmHg", equation=equation)
    check_range("egfr", egfr_value, *PREVENT_RANGES["egfr"], "mL/min/1.73m2", equation=equation)
    if bmi_value is not None:
        check_range("bmi", bmi_value, *PREVENT_RANGES["bmi"], "kg/m2", equation=equation)

    # Centring and splines exactly as in the supplement: age per 10 y from 55; non-HDL (mmol/L) from 3.5; HDL per
    # 0.3 mmol/L from 1.3; SBP knot at 110 (per 20 mmHg, upper piece centred at 130); eGFR knot at 60 (per -15,
    # upper piece centred at 90); BMI knot at 30 (per 5, lower piece centred at 25).
    a = (age - 55.0) / 10.0
    non_hdl = (total - hdl) * PREVENT_MMOL_L_PER_MG_DL - 3.5
    hdl_term = (hdl * PREVENT_MMOL_L_PER_MG_DL - 1.3) / 0.3
    sbp_lo = (min(sbp, 110.0) - 110.0) / 20.0
    sbp_hi = (max(sbp, 110.0) - 130.0) / 20.0
    egfr_lo = (min(egfr_value, 60.0) - 60.0) / -15.0
    egfr_hi = (max(egfr_value, 60.0) - 90.0) / -15.0
    bmi_for_terms = bmi_value if bmi_value is not None else 25.0  # only HF models use BMI; those require it
    bmi_lo = (min(bmi_for_terms, 30.0) - 25.0) / 5.0
    bmi_hi = (max(bmi_for_terms, 30.0) - 30.0) / 5.0
    f_dm, f_smk, f_tx, f_statin = float(dm), float(smoker), float(treated), float(statin)
    values = (
        1.0, a, a * a, non_hdl, hdl_term, sbp_lo, sbp_hi, f_dm, f_smk, egfr_lo, egfr_hi, f_tx, f_statin,
        f_tx * sbp_hi, f_statin * non_hdl, a * non_hdl, a * hdl_term, a * sbp_hi, a * f_dm, a * f_smk,
        a * egfr_lo, bmi_lo, bmi_hi, a * bmi_hi,
    )
    betas = _PREVENT[(sex, outcome, horizon_years)]
    linear = sum(b * v for b, v in zip(betas, values, strict=True))
    risk = math.exp(linear) / (1.0 + math.exp(linear))

    inputs: dict[str, InputValue] = {
        "age": age, "sex": sex, "total_cholesterol_mg_dl": total, "hdl_mg_dl": hdl, "systolic_bp_mmhg": sbp,
        "diabetes": dm, "current_smoker": smoker, "egfr": egfr_value, "on_antihypertensive": treated,
        "on_statin": statin,
    }
    notes = ["PREVENT base model (no UACR, HbA1c or SDI terms); race is not an input."]
    if outcome == "heart_failure" and bmi_value is not None:
        inputs["bmi"] = bmi_value
    elif bmi_value is not None:
        notes.append("bmi does not enter this outcome's model; it was only range-checked.")
    label = {"total_cvd": "total CVD", "ascvd": "ASCVD", "heart_failure": "heart failure"}[outcome]
    return RiskEstimate(
        name=f"PREVENT base model, {label}",
        horizon_years=horizon_years,
        risk=risk,
        inputs_used=inputs,
        source=PREVENT_SOURCE,
        notes=notes,
    )


# --------------------------------------------------------------------------------------------- FINDRISC
FINDRISC_SOURCE = (
    "Lindstrom J, Tuomilehto J. The Diabetes Risk Score: a practical tool to predict type 2 diabetes risk. "
    "Diabetes Care 2003;26(3):725-731; points and bands as on the FINDRISC 'Type 2 Diabetes Risk Assessment Form' "
    "(Tuomilehto & Lindstrom, Finnish Diabetes Association), which adds family history to the 2003 score"
)

# (upper bound of the band, category, approximate 10-year risk as printed on the form: '1 in 100' ... '1 in 2').
_FINDRISC_BANDS: tuple[tuple[int, str, float], ...] = (
    (6, "low", 1 / 100),
    (11, "slightly elevated", 1 / 25),
    (14, "moderate", 1 / 6),
    (20, "high", 1 / 3),
    (26, "very high", 1 / 2),
)


def findrisc_category(points: int) -> tuple[str, float]:
    """The form's risk band for a total score 0-26: (category, approximate 10-year risk of type 2 diabetes)."""
    if isinstance(points, bool) or not isinstance(points, int) or not 0 <= points <= 26:
        raise InputError(f"FINDRISC points = {points!r} is not a possible total (expected an integer 0-26)")
    for upper, category, risk in _FINDRISC_BANDS:
        if points <= upper:
            return category, risk
    raise AssertionError("unreachable: bands cover 0-26")


def findrisc(
    *,
    age: float,
    sex: Sex,
    bmi: float,
    waist_cm: float,
    physically_active_30min_daily: bool,
    eats_vegetables_fruit_berries_daily: bool,
    ever_antihypertensive_medication: bool,
    history_of_high_glucose: bool,
    family_history: FamilyHistory,
) -> RiskEstimate:
    """FINDRISC points (0-26), risk category and approximate 10-year risk of type 2 diabetes.

    Points as printed on the form: age <45: 0, 45-54: 2, 55-64: 3, >64: 4 (completed years); BMI <25: 0,
    25-30: 1, >30: 3; waist men <94: 0, 94-102: 3, >102: 4 cm, women <80: 0, 80-88: 3, >88: 4 cm; not active
    30 min daily: 2; vegetables/fruit/berries not every day: 1; ever regular antihypertensive drugs: 2; ever high
    blood glucose: 5; family history second-degree only (grandparent, aunt, uncle, first cousin): 3,
    first-degree (parent, sibling, own child): 5.
    """
    check_choice("sex", sex, ("female", "male"))
    check_choice("family_history", family_history, ("none", "second_degree", "first_degree"))
    age = check_plausible("age", age, 0, 120, "years")
    if age < 18:
        raise InputError(f"age = {age:g} years is outside the range of FINDRISC, an adult questionnaire (>= 18)")
    bmi = check_plausible("bmi", bmi, 8, 150, "kg/m2")
    waist = check_plausible("waist_cm", waist_cm, 30, 300, "cm")
    active = check_flag("physically_active_30min_daily", physically_active_30min_daily)
    vegetables = check_flag("eats_vegetables_fruit_berries_daily", eats_vegetables_fruit_berries_daily)
    antihypertensive = check_flag("ever_antihypertensive_medication", ever_antihypertensive_medication)
    glucose = check_flag("history_of_high_glucose", history_of_high_glucose)

    completed_years = math.floor(age)
    age_points = 0 if completed_years < 45 else 2 if completed_years <= 54 else 3 if completed_years <= 64 else 4
    bmi_points = 0 if bmi < 25 else 1 if bmi <= 30 else 3
    low, high = (94.0, 102.0) if sex == "male" else (80.0, 88.0)
    waist_points = 0 if waist < low else 3 if waist <= high else 4
    family_points = {"none": 0, "second_degree": 3, "first_degree": 5}[family_history]
    points = (
        age_points + bmi_points + waist_points + (0 if active else 2) + (0 if vegetables else 1)
        + (2 if antihypertensive else 0) + (5 if glucose else 0) + family_points
    )
    category, risk = findrisc_category(points)
    notes = [
        "Risk is the band's approximate 10-year risk printed on the form ('1 in 100' ... '1 in 2'), not a "
        "person-specific model output.",
    ]
    if not 35 <= age <= 64:
        notes.append("The 2003 derivation cohort was aged 35-64; the estimate is less certain outside that range.")
    return RiskEstimate(
        name="FINDRISC, type 2 diabetes",
        horizon_years=10,
        risk=risk,
        inputs_used={
            "age": age, "sex": sex, "bmi": bmi, "waist_cm": waist, "physically_active_30min_daily": active,
            "eats_vegetables_fruit_berries_daily": vegetables,
            "ever_antihypertensive_medication": antihypertensive, "history_of_high_glucose": glucose,
            "family_history": family_history,
        },
        source=FINDRISC_SOURCE,
        notes=notes,
        points=points,
        category=category,
    )
