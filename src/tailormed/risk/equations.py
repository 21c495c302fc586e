"""Validated clinical risk equations: ACC/AHA Pooled Cohort Equations, AHA PREVENT (base and add-on models), FINDRISC.

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
from dataclasses import dataclass, field, replace
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


@dataclass(frozen=True)
class _PreventPerson:
    """The base-model predictors after plausibility and validity checks (lipids in mg/dL)."""

    age: float
    sex: Sex
    total: float
    hdl: float
    sbp: float
    egfr: float
    diabetes: bool
    smoker: bool
    treated: bool
    statin: bool
    bmi: float | None


def _check_prevent_person(
    outcome: PreventOutcome, horizon_years: int, age: float, sex: Sex, total_cholesterol_mg_dl: float,
    hdl_mg_dl: float, systolic_bp_mmhg: float, diabetes: bool, current_smoker: bool, egfr: float,
    on_antihypertensive: bool, on_statin: bool, bmi: float | None,
) -> _PreventPerson:
    """Impossible values first, then the PREVENT validity ranges (shared by every PREVENT model)."""
    equation = "PREVENT equations"
    check_choice("outcome", outcome, ("total_cvd", "ascvd", "heart_failure"))
    if horizon_years not in (10, 30):
        raise InputError(f"horizon_years = {horizon_years!r} is not one of 10, 30")
    check_choice("sex", sex, ("female", "male"))
    age = _check_age(age)
    sbp = _check_sbp(systolic_bp_mmhg)
    total, hdl = check_lipids(total_cholesterol_mg_dl, hdl_mg_dl)
    egfr_value = check_plausible("egfr", egfr, 0, 250, "mL/min/1.73m2")
    flags = (check_flag("diabetes", diabetes), check_flag("current_smoker", current_smoker),
             check_flag("on_antihypertensive", on_antihypertensive), check_flag("on_statin", on_statin))
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
    return _PreventPerson(age, sex, total, hdl, sbp, egfr_value, *flags, bmi_value)


def _prevent_term_values(p: _PreventPerson) -> tuple[float, ...]:
    """The base-model predictors in the order of _PREVENT_TERMS, centred and split as in the supplement.

    Age per 10 y from 55; non-HDL (mmol/L) from 3.5; HDL per 0.3 mmol/L from 1.3; SBP knot at 110 (per 20 mmHg,
    upper piece centred at 130); eGFR knot at 60 (per -15, upper piece centred at 90); BMI knot at 30 (per 5,
    lower piece centred at 25).
    """
    a = (p.age - 55.0) / 10.0
    non_hdl = (p.total - p.hdl) * PREVENT_MMOL_L_PER_MG_DL - 3.5
    hdl_term = (p.hdl * PREVENT_MMOL_L_PER_MG_DL - 1.3) / 0.3
    sbp_lo = (min(p.sbp, 110.0) - 110.0) / 20.0
    sbp_hi = (max(p.sbp, 110.0) - 130.0) / 20.0
    egfr_lo = (min(p.egfr, 60.0) - 60.0) / -15.0
    egfr_hi = (max(p.egfr, 60.0) - 90.0) / -15.0
    bmi_for_terms = p.bmi if p.bmi is not None else 25.0  # only HF models use BMI; those require it
    bmi_lo = (min(bmi_for_terms, 30.0) - 25.0) / 5.0
    bmi_hi = (max(bmi_for_terms, 30.0) - 30.0) / 5.0
    f_dm, f_smk, f_tx, f_statin = float(p.diabetes), float(p.smoker), float(p.treated), float(p.statin)
    return (
        1.0, a, a * a, non_hdl, hdl_term, sbp_lo, sbp_hi, f_dm, f_smk, egfr_lo, egfr_hi, f_tx, f_statin,
        f_tx * sbp_hi, f_statin * non_hdl, a * non_hdl, a * hdl_term, a * sbp_hi, a * f_dm, a * f_smk,
        a * egfr_lo, bmi_lo, bmi_hi, a * bmi_hi,
    )


def _logistic(betas: tuple[float, ...], values: tuple[float, ...], extra: float = 0.0) -> float:
    linear = sum(b * v for b, v in zip(betas, values, strict=True)) + extra
    return math.exp(linear) / (1.0 + math.exp(linear))


def _prevent_inputs_used(p: _PreventPerson, outcome: PreventOutcome) -> tuple[dict[str, InputValue], list[str]]:
    inputs: dict[str, InputValue] = {
        "age": p.age, "sex": p.sex, "total_cholesterol_mg_dl": p.total, "hdl_mg_dl": p.hdl,
        "systolic_bp_mmhg": p.sbp, "diabetes": p.diabetes, "current_smoker": p.smoker, "egfr": p.egfr,
        "on_antihypertensive": p.treated, "on_statin": p.statin,
    }
    notes = []
    if outcome == "heart_failure" and p.bmi is not None:
        inputs["bmi"] = p.bmi
    elif p.bmi is not None:
        notes.append("bmi does not enter this outcome's model; it was only range-checked.")
    return inputs, notes


_OUTCOME_LABELS: dict[PreventOutcome, str] = {"total_cvd": "total CVD", "ascvd": "ASCVD",
                                              "heart_failure": "heart failure"}


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
    to ages 30-59. Risk = exp(x) / (1 + exp(x)). The same computation as :func:`prevent` with ``model='base'``.
    """
    estimate = prevent(outcome=outcome, horizon_years=horizon_years, age=age, sex=sex,
                       total_cholesterol_mg_dl=total_cholesterol_mg_dl, hdl_mg_dl=hdl_mg_dl,
                       systolic_bp_mmhg=systolic_bp_mmhg, diabetes=diabetes, current_smoker=current_smoker, egfr=egfr,
                       on_antihypertensive=on_antihypertensive, on_statin=on_statin, bmi=bmi, model="base")
    # no optional predictor is given, so the notes after the model line are the BMI notes only
    return replace(estimate, notes=["PREVENT base model (no UACR, HbA1c or SDI terms); race is not an input.",
                                    *estimate.notes[1:]])


# --------------------------------------------------------------------------------------------- PREVENT (add-on models)
PreventModel = Literal["base", "uacr", "hba1c", "sdi", "full"]
PREVENT_MODELS: tuple[PreventModel, ...] = ("base", "uacr", "hba1c", "sdi", "full")
PREVENT_MODEL_LABELS: dict[PreventModel, str] = {
    "base": "PREVENT base model", "uacr": "PREVENT base model + UACR", "hba1c": "PREVENT base model + HbA1c",
    "sdi": "PREVENT base model + SDI", "full": "PREVENT full model (UACR, HbA1c, SDI)",
}
PREVENT_ADDON_SOURCE = (
    "Khan SS et al. Development and Validation of the American Heart Association's PREVENT Equations. "
    "Circulation 2024;149(6):430-449 (Supplemental Table S12, models adding UACR, HbA1c, SDI and all three); "
    "coefficients and missing-value handling as in the AHA preventr R package (prep_terms, select_model)"
)

# Optional predictors: plausibility (our sanity bounds) and the validity ranges preventr enforces (R/prevent_equations.R
# `valid`: UACR 0.1-25000 mg/g; HbA1c 4.5-15 %, narrowed by preventr's author from the equations' 3 %; SDI a decile
# 1-10 of the Robert Graham Center Social Deprivation Index).
PREVENT_OPTIONAL_RANGES = {"uacr_mg_g": (0.1, 25000.0), "hba1c_percent": (4.5, 15.0), "sdi_decile": (1.0, 10.0)}

# Add-on model coefficients: (the 24 base terms in _PREVENT_TERMS order, add-on terms). Add-on terms: ln_uacr =
# natural log of UACR (mg/g); hba1c_dm / hba1c_no_dm = (HbA1c - 5.3) when diabetes / no diabetes; sdi_4_to_6 and
# sdi_7_to_10 = SDI decile bands (deciles 1-3 are the reference); missing_* = 1 when that predictor is unknown (full
# model only: a single add-on model is only run when its predictor is known). Transcribed from a TypeScript port
# that lists the supplement's Table S12 panels as arrays (S12B-E 10-year, S12G-J 30-year), and compared by program,
# term by term, with (a) a JavaScript table parsed from preventr's R/sysdata.rda (UACR, HbA1c and full models) and
# (b) a Python port of AHAprevent::pred_risk_sdi (SDI model): every value equal. The full model was also checked by
# eye against the AHAprevent TypeScript port used for the base model. Reproduces the Khan 2024 Table S12 add-on
# examples (via PooledCohort's tests) and preventr's test-suite outputs (tests/risk/test_prevent_addons.py; sources
# in docs/risk-equations.md). Checked 2025 via the search tool.
_PREVENT_ADDON: dict[tuple[PreventModel, Sex, PreventOutcome, int], tuple[tuple[float, ...], dict[str, float]]] = {
    ("uacr", "female", "total_cvd", 10): (
        (-3.738341, 0.7969249, 0.0, 0.0256635, -0.1588107, -0.2255701, 0.3396649, 0.8047515, 0.5285338, 0.4803511,
        0.0434472, 0.2985207, -0.1497787, -0.0742889, 0.106756, -0.0778126, 0.0306768, -0.0907168, -0.2705122,
        -0.0830564, -0.1389249, 0.0, 0.0, 0.0),
        {"ln_uacr": 0.1793037}),
    ("uacr", "female", "ascvd", 10): (
        (-4.174614, 0.7201999, 0.0, 0.1135771, -0.1493506, -0.0726677, 0.3436259, 0.7773094, 0.4746662, 0.3824646,
        0.0394178, 0.2125182, -0.0603046, -0.0466053, 0.0733118, -0.0534262, 0.0325689, -0.0999887, -0.2411762,
        -0.0826941, -0.1444737, 0.0, 0.0, 0.0),
        {"ln_uacr": 0.1501217}),
    ("uacr", "female", "heart_failure", 10): (
        (-4.841506, 0.9145975, 0.0, 0.0, 0.0, -0.4441346, 0.3260323, 0.9611365, 0.5755787, 0.5915291, 0.0556823,
        0.3314097, 0.0, -0.1078596, 0.0, 0.0, 0.0, -0.0875231, -0.356859, -0.1220248, -0.1610389, 0.0008831,
        0.2988964, -0.0053637),
        {"ln_uacr": 0.2197281}),
    ("uacr", "male", "total_cvd", 10): (
        (-3.510705, 0.7768655, 0.0, 0.0659949, -0.0951111, -0.420667, 0.3120151, 0.698521, 0.4314669, 0.3841364,
        0.009384, 0.2676494, -0.1390966, -0.0579315, 0.1383719, -0.0488332, 0.0200406, -0.102454, -0.2236355,
        -0.089485, -0.1321848, 0.0, 0.0, 0.0),
        {"ln_uacr": 0.1887974}),
    ("uacr", "male", "ascvd", 10): (
        (-3.85146, 0.7141718, 0.0, 0.1602194, -0.1139086, -0.2719456, 0.3058719, 0.6600631, 0.3884022, 0.2466316,
        0.0151852, 0.186167, -0.0894395, -0.0411884, 0.1058212, -0.028089, 0.0240427, -0.0912325, -0.2004894,
        -0.096936, -0.1022867, 0.0, 0.0, 0.0),
        {"ln_uacr": 0.1510073}),
    ("uacr", "male", "heart_failure", 10): (
        (-4.556907, 0.9111795, 0.0, 0.0, 0.0, -0.6693649, 0.3290082, 0.8377655, 0.4978917, 0.5075796, 0.0137716,
        0.2739963, 0.0, -0.0645712, 0.0, 0.0, 0.0, -0.1230039, -0.3013297, -0.1410318, -0.1548018, -0.042749,
        0.3624165, 0.0021531),
        {"ln_uacr": 0.2306299}),
    ("uacr", "female", "total_cvd", 30): (
        (-1.583738, 0.5491768, -0.0937311, 0.0359847, -0.1642965, -0.1483404, 0.313353, 0.6253766, 0.3147172,
        0.1094663, 0.0550705, 0.2782433, -0.0786239, -0.0628947, 0.093204, -0.0710685, 0.0306363, -0.0951455,
        -0.3168231, -0.1636391, -0.1265483, 0.0, 0.0, 0.0),
        {"ln_uacr": 0.1142251}),
    ("uacr", "female", "ascvd", 30): (
        (-2.178888, 0.4629669, -0.0902777, 0.1215214, -0.1522069, 0.0092679, 0.3113609, 0.581256, 0.263167,
        0.0391726, 0.0492959, 0.1786178, 0.0131058, -0.0325135, 0.0617093, -0.0489189, 0.0321079, -0.1003185,
        -0.2684574, -0.1547301, -0.1130703, 0.0, 0.0, 0.0),
        {"ln_uacr": 0.0903471}),
    ("uacr", "female", "heart_failure", 30): (
        (-2.538952, 0.6319513, -0.1009284, 0.0, 0.0, -0.3787175, 0.2863393, 0.7631221, 0.3355843, 0.1940067,
        0.0664006, 0.3171436, 0.0, -0.0970661, 0.0, 0.0, 0.0, -0.0896239, -0.400743, -0.2042041, -0.13602,
        0.0677084, 0.2517238, -0.0054699),
        {"ln_uacr": 0.1486028}),
    ("uacr", "male", "total_cvd", 30): (
        (-1.398727, 0.464491, -0.0998895, 0.0757606, -0.1031778, -0.1990714, 0.2715816, 0.4754637, 0.2069672,
        0.0331103, 0.0540474, 0.2189911, -0.0331044, -0.04534, 0.1214535, -0.0483995, 0.0178997, -0.1059324,
        -0.2492861, -0.1561543, -0.1012429, 0.0, 0.0, 0.0),
        {"ln_uacr": 0.1007571}),
    ("uacr", "male", "ascvd", 30): (
        (-1.873449, 0.3995607, -0.094557, 0.1686692, -0.1202145, -0.0555561, 0.2633566, 0.4362036, 0.1716233,
        -0.0775282, 0.0561236, 0.1319331, 0.0102428, -0.0269294, 0.0920557, -0.0297021, 0.0217935, -0.0893347,
        -0.2081467, -0.1542716, -0.0597254, 0.0, 0.0, 0.0),
        {"ln_uacr": 0.0684872}),
    ("uacr", "male", "heart_failure", 30): (
        (-2.314872, 0.5750236, -0.1062268, 0.0, 0.0, -0.4633994, 0.2742874, 0.612208, 0.2614987, 0.1430472,
        0.0535184, 0.2417468, 0.0, -0.0498574, 0.0, 0.0, 0.0, -0.1193827, -0.316651, -0.2046122, -0.1165637,
        0.0895459, 0.2632424, -0.0216878),
        {"ln_uacr": 0.1366452}),
    ("hba1c", "female", "total_cvd", 10): (
        (-3.306162, 0.7858178, 0.0, 0.0194438, -0.1521964, -0.2296681, 0.3465777, 0.5366241, 0.5411682, 0.5931898,
        0.0472458, 0.3158567, -0.1535174, -0.0687752, 0.1054746, -0.0761119, 0.0307469, -0.0905966, -0.2241857,
        -0.080186, -0.1667286, 0.0, 0.0, 0.0),
        {"hba1c_dm": 0.1338348, "hba1c_no_dm": 0.1622409}),
    ("hba1c", "female", "ascvd", 10): (
        (-3.838746, 0.7111831, 0.0, 0.106797, -0.1425745, -0.0736824, 0.3480844, 0.5112951, 0.4880292, 0.4754997,
        0.0438132, 0.2259093, -0.0648872, -0.0437645, 0.0697082, -0.0506382, 0.0327475, -0.0996442, -0.1924338,
        -0.0803539, -0.1682586, 0.0, 0.0, 0.0),
        {"hba1c_dm": 0.1339055, "hba1c_no_dm": 0.1596461}),
    ("hba1c", "female", "heart_failure", 10): (
        (-4.288225, 0.8997391, 0.0, 0.0, 0.0, -0.4422749, 0.3378691, 0.681284, 0.5886005, 0.73447, 0.05926,
        0.3543475, 0.0, -0.1002139, 0.0, 0.0, 0.0, -0.0878765, -0.303684, -0.1178943, -0.1912183, -0.0148657,
        0.2958374, -0.008345),
        {"hba1c_dm": 0.1856442, "hba1c_no_dm": 0.1833083}),
    ("hba1c", "male", "total_cvd", 10): (
        (-3.040901, 0.7699177, 0.0, 0.0605093, -0.0888525, -0.417713, 0.3288657, 0.4759471, 0.4385663, 0.5334616,
        0.0206431, 0.2917524, -0.1383313, -0.0482622, 0.1393796, -0.0463501, 0.0205926, -0.1037717, -0.1737697,
        -0.0915839, -0.1637039, 0.0, 0.0, 0.0),
        {"hba1c_dm": 0.13159, "hba1c_no_dm": 0.1295185}),
    ("hba1c", "male", "ascvd", 10): (
        (-3.51835, 0.7064146, 0.0, 0.1532267, -0.1082166, -0.2675288, 0.3173809, 0.432604, 0.3958842, 0.3665014,
        0.0250243, 0.2061158, -0.0899988, -0.0334959, 0.1034168, -0.0255406, 0.0247538, -0.0917441, -0.1499195,
        -0.098089, -0.1305231, 0.0, 0.0, 0.0),
        {"hba1c_dm": 0.1157161, "hba1c_no_dm": 0.1288303}),
    ("hba1c", "male", "heart_failure", 10): (
        (-3.961954, 0.911787, 0.0, 0.0, 0.0, -0.6568071, 0.3524645, 0.5849752, 0.5014014, 0.6892219, 0.0292377,
        0.3038296, 0.0, -0.0515032, 0.0, 0.0, 0.0, -0.1262343, -0.2449514, -0.1392217, -0.1917105, -0.0512352,
        0.365294, 0.0009592),
        {"hba1c_dm": 0.1652857, "hba1c_no_dm": 0.1505859}),
    ("hba1c", "female", "total_cvd", 30): (
        (-1.341059, 0.5343493, -0.0952314, 0.0298124, -0.1578451, -0.1504488, 0.3173368, 0.4314738, 0.3209399,
        0.1771435, 0.0582828, 0.2888947, -0.0795886, -0.0600438, 0.0920598, -0.0696108, 0.0308807, -0.0954051,
        -0.2763408, -0.1623944, -0.1430514, 0.0, 0.0, 0.0),
        {"hba1c_dm": 0.0940543, "hba1c_no_dm": 0.1116486}),
    ("hba1c", "female", "ascvd", 30): (
        (-2.011533, 0.4555574, -0.0903501, 0.1148321, -0.1458754, 0.0089323, 0.3139029, 0.386281, 0.2714309,
        0.0930987, 0.0532216, 0.1862181, 0.0106964, -0.0329713, 0.0583609, -0.0463273, 0.0324717, -0.1004777,
        -0.2266944, -0.1541859, -0.1286005, 0.0, 0.0, 0.0),
        {"hba1c_dm": 0.0875827, "hba1c_no_dm": 0.1126417}),
    ("hba1c", "female", "heart_failure", 30): (
        (-2.193553, 0.6210856, -0.1000972, 0.0, 0.0, -0.3773697, 0.295316, 0.5681692, 0.3449139, 0.2875781,
        0.0692013, 0.3334936, 0.0, -0.0922339, 0.0, 0.0, 0.0, -0.0907885, -0.3554646, -0.2008846, -0.156803,
        0.0540094, 0.249767, -0.0079611),
        {"hba1c_dm": 0.1448336, "hba1c_no_dm": 0.1277838}),
    ("hba1c", "male", "total_cvd", 30): (
        (-1.180767, 0.4519873, -0.101624, 0.0700456, -0.0968005, -0.1923527, 0.2827043, 0.3417152, 0.2105272,
        0.1113291, 0.0640135, 0.2334248, -0.0299421, -0.0393204, 0.1228854, -0.0463737, 0.0184599, -0.1085744,
        -0.2208049, -0.1577978, -0.1179375, 0.0, 0.0, 0.0),
        {"hba1c_dm": 0.0768169, "hba1c_no_dm": 0.0777295}),
    ("hba1c", "male", "ascvd", 30): (
        (-1.777708, 0.3883267, -0.0958114, 0.1613374, -0.1144418, -0.0474338, 0.2691281, 0.2859773, 0.1759553,
        -0.0242898, 0.0644523, 0.142874, 0.0115062, -0.02333, 0.0899664, -0.0275478, 0.022573, -0.090802,
        -0.1771894, -0.1548847, -0.0732754, 0.0, 0.0, 0.0),
        {"hba1c_dm": 0.0591089, "hba1c_no_dm": 0.0821158}),
    ("hba1c", "male", "heart_failure", 30): (
        (-1.974999, 0.5703729, -0.1084544, 0.0, 0.0, -0.4471767, 0.2910152, 0.4507242, 0.259585, 0.2454706,
        0.0675649, 0.2611991, 0.0, -0.0408908, 0.0, 0.0, 0.0, -0.1241051, -0.2849461, -0.2032308, -0.138301,
        0.0850676, 0.2637222, -0.0239714),
        {"hba1c_dm": 0.1101184, "hba1c_no_dm": 0.0949198}),
    ("sdi", "female", "total_cvd", 10): (
        (-3.461564, 0.7754083, 0.0, 0.0221756, -0.1650828, -0.2180808, 0.3381188, 0.8624372, 0.4663953, 0.5919004,
        0.0516821, 0.3182166, -0.1460816, -0.0574455, 0.1302287, -0.083509, 0.0282181, -0.0952647, -0.2718966,
        -0.0641738, -0.1717026, 0.0, 0.0, 0.0),
        {"sdi_4_to_6": 0.1442776, "sdi_7_to_10": 0.2421409}),
    ("sdi", "female", "ascvd", 10): (
        (-3.955898, 0.7028123, 0.0, 0.1056078, -0.1502263, -0.0488757, 0.3402681, 0.838022, 0.4064592, 0.4838394,
        0.0480415, 0.2270648, -0.0585626, -0.0349485, 0.1017299, -0.062389, 0.0285106, -0.1033711, -0.2477845,
        -0.0544326, -0.1735372, 0.0, 0.0, 0.0),
        {"sdi_4_to_6": 0.1473705, "sdi_7_to_10": 0.2451878}),
    ("sdi", "female", "heart_failure", 10): (
        (-4.409382, 0.8819156, 0.0, 0.0, 0.0, -0.4495491, 0.3457405, 1.02632, 0.5371646, 0.7315223, 0.0651679,
        0.3491487, 0.0, -0.0890335, 0.0, 0.0, 0.0, -0.0971028, -0.3528078, -0.106216, -0.1899413, -0.0168447,
        0.2805126, 0.0064998),
        {"sdi_4_to_6": 0.1343318, "sdi_7_to_10": 0.2496522}),
    ("sdi", "male", "total_cvd", 10): (
        (-3.159572, 0.7756377, 0.0, 0.0715325, -0.0976775, -0.5186614, 0.3235653, 0.7722496, 0.3761129, 0.5180893,
        0.0118451, 0.2634094, -0.1455263, -0.0367013, 0.1617785, -0.0507669, 0.0178356, -0.1059337, -0.2236755,
        -0.0723216, -0.1548205, 0.0, 0.0, 0.0),
        {"sdi_4_to_6": 0.0889119, "sdi_7_to_10": 0.291897}),
    ("sdi", "male", "ascvd", 10): (
        (-3.624712, 0.7150087, 0.0, 0.1627339, -0.1194988, -0.363659, 0.3179476, 0.7156422, 0.3404477, 0.3545754,
        0.0157875, 0.1786233, -0.1018269, -0.028313, 0.1209467, -0.0285806, 0.0247348, -0.0919494, -0.1981491,
        -0.0776891, -0.1284899, 0.0, 0.0, 0.0),
        {"sdi_4_to_6": 0.0728242, "sdi_7_to_10": 0.2824453}),
    ("sdi", "male", "heart_failure", 10): (
        (-4.058977, 0.894179, 0.0, 0.0, 0.0, -0.7067398, 0.350241, 0.9252453, 0.4364765, 0.6696768, 0.0237374,
        0.2688352, 0.0, -0.0434892, 0.0, 0.0, 0.0, -0.1297155, -0.299086, -0.1079522, -0.1797791, -0.0866297,
        0.3706765, 0.0130483),
        {"sdi_4_to_6": 0.1235632, "sdi_7_to_10": 0.3592212}),
    ("sdi", "female", "total_cvd", 30): (
        (-1.493211, 0.5124233, -0.0978159, 0.0322131, -0.1717884, -0.1364536, 0.3074443, 0.6709275, 0.2897728,
        0.1670658, 0.0618439, 0.2969806, -0.0665514, -0.0458917, 0.1168505, -0.0770419, 0.027634, -0.0992045,
        -0.3208137, -0.134847, -0.1399842, 0.0, 0.0, 0.0),
        {"sdi_4_to_6": 0.1129725, "sdi_7_to_10": 0.1975843}),
    ("sdi", "female", "ascvd", 30): (
        (-2.116951, 0.4396545, -0.0918489, 0.1132729, -0.1544977, 0.036315, 0.3049229, 0.6344794, 0.234514,
        0.0898312, 0.0564502, 0.1933487, 0.0220467, -0.0229229, 0.0903326, -0.0579383, 0.0274011, -0.1039749,
        -0.2785102, -0.1167267, -0.1269382, 0.0, 0.0, 0.0),
        {"sdi_4_to_6": 0.1149139, "sdi_7_to_10": 0.1976537}),
    ("sdi", "female", "heart_failure", 30): (
        (-2.317899, 0.5919097, -0.1023133, 0.0, 0.0, -0.3864727, 0.301876, 0.8162909, 0.3449647, 0.2790347,
        0.0742645, 0.3352935, 0.0, -0.0772532, 0.0, 0.0, 0.0, -0.0995144, -0.4000423, -0.1770335, -0.149585,
        0.0574975, 0.2367826, 0.0083046),
        {"sdi_4_to_6": 0.0960646, "sdi_7_to_10": 0.1987543}),
    ("sdi", "male", "total_cvd", 30): (
        (-1.251031, 0.437377, -0.104443, 0.0812573, -0.1069199, -0.2786727, 0.2729256, 0.5279006, 0.1878949,
        0.0866569, 0.0594948, 0.2028246, -0.0308404, -0.0283679, 0.1439353, -0.0510854, 0.0150236, -0.1095448,
        -0.2561109, -0.1282945, -0.1011023, 0.0, 0.0, 0.0),
        {"sdi_4_to_6": 0.0314626, "sdi_7_to_10": 0.2003953}),
    ("sdi", "male", "ascvd", 30): (
        (-1.836632, 0.3749788, -0.0990063, 0.1708505, -0.1272841, -0.1275555, 0.2659339, 0.4676531, 0.1610104,
        -0.0465144, 0.0596996, 0.1147096, 0.0052906, -0.0186687, 0.1063151, -0.0307797, 0.0218126, -0.0898242,
        -0.210054, -0.1246327, -0.0629358, 0.0, 0.0, 0.0),
        {"sdi_4_to_6": 0.0199201, "sdi_7_to_10": 0.194949}),
    ("sdi", "male", "heart_failure", 30): (
        (-2.060187, 0.5387527, -0.1090333, 0.0, 0.0, -0.4829094, 0.2843569, 0.6827667, 0.2406677, 0.2255837,
        0.0653632, 0.2263243, 0.0, -0.0316851, 0.0, 0.0, 0.0, -0.1258716, -0.3243709, -0.1596172, -0.1204785,
        0.0618028, 0.2705615, -0.0103092),
        {"sdi_4_to_6": 0.0680528, "sdi_7_to_10": 0.2619865}),
    ("full", "female", "total_cvd", 10): (
        (-3.860385, 0.7716794, 0.0, 0.0062109, -0.1547756, -0.1933123, 0.3071217, 0.496753, 0.466605, 0.4780697,
        0.0529077, 0.3034892, -0.1556524, -0.0667026, 0.1061825, -0.0742271, 0.0288245, -0.0875188, -0.2267102,
        -0.0676125, -0.1493231, 0.0, 0.0, 0.0),
        {"ln_uacr": 0.1645922, "hba1c_dm": 0.1298513, "hba1c_no_dm": 0.1412555,
         "sdi_4_to_6": 0.1361989, "sdi_7_to_10": 0.2261596,
         "missing_uacr": 0.0198413, "missing_hba1c": -0.0031658, "missing_sdi": 0.1804508}),
    ("full", "female", "ascvd", 10): (
        (-4.291503, 0.7023067, 0.0, 0.0898765, -0.1407316, -0.0256648, 0.314511, 0.4799217, 0.4062049, 0.3847744,
        0.0495174, 0.2133861, -0.0678552, -0.0451416, 0.0788187, -0.0535985, 0.0291762, -0.0961839, -0.2001466,
        -0.0586472, -0.1537791, 0.0, 0.0, 0.0),
        {"ln_uacr": 0.1371824, "hba1c_dm": 0.123192, "hba1c_no_dm": 0.1410572,
         "sdi_4_to_6": 0.1413965, "sdi_7_to_10": 0.228136,
         "missing_uacr": 0.0061613, "missing_hba1c": 0.005866, "missing_sdi": 0.1588908}),
    ("full", "female", "heart_failure", 10): (
        (-4.896524, 0.884209, 0.0, 0.0, 0.0, -0.421474, 0.3002919, 0.6170359, 0.5380269, 0.5975847, 0.0654197,
        0.3313614, 0.0, -0.1002304, 0.0, 0.0, 0.0, -0.0845363, -0.2989062, -0.1111354, -0.1666635, -0.0191335,
        0.2764302, 0.0008104),
        {"ln_uacr": 0.1948135, "hba1c_dm": 0.176668, "hba1c_no_dm": 0.1614911,
         "sdi_4_to_6": 0.1213034, "sdi_7_to_10": 0.2314147,
         "missing_uacr": 0.0395368, "missing_hba1c": -0.0010583, "missing_sdi": 0.1819138}),
    ("full", "male", "total_cvd", 10): (
        (-3.631387, 0.7847578, 0.0, 0.0534485, -0.0911282, -0.4921973, 0.2972415, 0.4527054, 0.3726641, 0.3886854,
        0.0081661, 0.2508052, -0.1538484, -0.0474695, 0.1415382, -0.0436455, 0.0199549, -0.1022686, -0.1762507,
        -0.0715873, -0.1428668, 0.0, 0.0, 0.0),
        {"ln_uacr": 0.1772853, "hba1c_dm": 0.1165698, "hba1c_no_dm": 0.1048297,
         "sdi_4_to_6": 0.0802431, "sdi_7_to_10": 0.275073,
         "missing_uacr": 0.1095674, "missing_hba1c": -0.0230072, "missing_sdi": 0.144759}),
    ("full", "male", "ascvd", 10): (
        (-3.969788, 0.7128741, 0.0, 0.1465201, -0.1125794, -0.3387216, 0.2980252, 0.399583, 0.3379111, 0.2582604,
        0.0147769, 0.1686621, -0.1073619, -0.0381038, 0.1034169, -0.0228755, 0.0267453, -0.0897449, -0.1497464,
        -0.077206, -0.1198368, 0.0, 0.0, 0.0),
        {"ln_uacr": 0.1375837, "hba1c_dm": 0.101282, "hba1c_no_dm": 0.1092726,
         "sdi_4_to_6": 0.0651121, "sdi_7_to_10": 0.2676683,
         "missing_uacr": 0.0652944, "missing_hba1c": -0.0112852, "missing_sdi": 0.1388492}),
    ("full", "male", "heart_failure", 10): (
        (-4.663513, 0.9095703, 0.0, 0.0, 0.0, -0.6765184, 0.3111651, 0.5535052, 0.4326811, 0.5102245, 0.015472,
        0.2570964, 0.0, -0.0591177, 0.0, 0.0, 0.0, -0.1219056, -0.2437577, -0.105363, -0.1660207, -0.0854286,
        0.3551736, 0.0037907),
        {"ln_uacr": 0.2164607, "hba1c_dm": 0.148297, "hba1c_no_dm": 0.1234088,
         "sdi_4_to_6": 0.1106372, "sdi_7_to_10": 0.3371204,
         "missing_uacr": 0.1702805, "missing_hba1c": -0.0234637, "missing_sdi": 0.1694628}),
    ("full", "female", "total_cvd", 30): (
        (-1.748475, 0.5073749, -0.0981751, 0.0162303, -0.1617147, -0.1111241, 0.282946, 0.4004069, 0.2918701,
        0.1017102, 0.0622643, 0.2872416, -0.0768135, -0.0557282, 0.0917585, -0.0679131, 0.029076, -0.0907755,
        -0.2702118, -0.1373216, -0.1255864, 0.0, 0.0, 0.0),
        {"ln_uacr": 0.1028065, "hba1c_dm": 0.0925285, "hba1c_no_dm": 0.0975598,
         "sdi_4_to_6": 0.1067741, "sdi_7_to_10": 0.1853138,
         "missing_uacr": -0.0006181, "missing_hba1c": 0.0101713, "missing_sdi": 0.1567115}),
    ("full", "female", "ascvd", 30): (
        (-2.314066, 0.4386739, -0.0921956, 0.0977728, -0.1453525, 0.0590925, 0.2862862, 0.3669136, 0.2354695,
        0.0354338, 0.0573093, 0.1840085, 0.0117504, -0.0331945, 0.0664311, -0.0492826, 0.0288888, -0.0964709,
        -0.2279648, -0.120405, -0.1157635, 0.0, 0.0, 0.0),
        {"ln_uacr": 0.0810739, "hba1c_dm": 0.0794709, "hba1c_no_dm": 0.1002615,
         "sdi_4_to_6": 0.1107632, "sdi_7_to_10": 0.1840367,
         "missing_uacr": -0.0147785, "missing_hba1c": 0.017301, "missing_sdi": 0.1308962}),
    ("full", "female", "heart_failure", 30): (
        (-2.642208, 0.5927507, -0.1028754, 0.0, 0.0, -0.3593781, 0.2628556, 0.5113472, 0.347344, 0.1971295,
        0.0735227, 0.3219386, 0.0, -0.0880321, 0.0, 0.0, 0.0, -0.0863132, -0.3425359, -0.181405, -0.1356989,
        0.0564656, 0.2363857, 0.0031285),
        {"ln_uacr": 0.1273306, "hba1c_dm": 0.1378342, "hba1c_no_dm": 0.1138832,
         "sdi_4_to_6": 0.0847634, "sdi_7_to_10": 0.18397,
         "missing_uacr": 0.0167008, "missing_hba1c": 0.0138979, "missing_sdi": 0.1485802}),
    ("full", "male", "total_cvd", 30): (
        (-1.504558, 0.4427595, -0.1064108, 0.0629381, -0.1015427, -0.2542326, 0.2549679, 0.333835, 0.1873833,
        0.0246102, 0.0552014, 0.1979729, -0.0407714, -0.0365522, 0.1232822, -0.0441334, 0.0177865, -0.1046657,
        -0.2116113, -0.1277905, -0.0955922, 0.0, 0.0, 0.0),
        {"ln_uacr": 0.0894596, "hba1c_dm": 0.0676202, "hba1c_no_dm": 0.063409,
         "sdi_4_to_6": 0.0256704, "sdi_7_to_10": 0.1887637,
         "missing_uacr": 0.0710124, "missing_hba1c": 0.0038783, "missing_sdi": 0.089241}),
    ("full", "male", "ascvd", 30): (
        (-1.985368, 0.3743566, -0.0995499, 0.1544808, -0.1215297, -0.1083968, 0.2555179, 0.2696998, 0.1628432,
        -0.077507, 0.0583407, 0.1120322, -0.0025063, -0.0256116, 0.0886745, -0.0254507, 0.0244639, -0.0869146,
        -0.165745, -0.1244714, -0.0624552, 0.0, 0.0, 0.0),
        {"ln_uacr": 0.0560171, "hba1c_dm": 0.0501422, "hba1c_no_dm": 0.0722905,
         "sdi_4_to_6": 0.015675, "sdi_7_to_10": 0.1864231,
         "missing_uacr": 0.0252244, "missing_hba1c": 0.0114945, "missing_sdi": 0.0845697}),
    ("full", "male", "heart_failure", 30): (
        (-2.425439, 0.5478829, -0.1111928, 0.0, 0.0, -0.4547346, 0.2527602, 0.4385384, 0.2397952, 0.1354588,
        0.0570689, 0.220666, 0.0, -0.0436769, 0.0, 0.0, 0.0, -0.1168376, -0.2730055, -0.1573691, -0.1128676,
        0.0640931, 0.2643081, -0.0174998),
        {"ln_uacr": 0.1233486, "hba1c_dm": 0.0985062, "hba1c_no_dm": 0.0804844,
         "sdi_4_to_6": 0.057746, "sdi_7_to_10": 0.2446441,
         "missing_uacr": 0.1274796, "missing_hba1c": 0.0022806, "missing_sdi": 0.1076782}),
}


def check_uacr(value: float) -> float:
    """UACR in mg/g: a possible value (0-100000) inside the range preventr accepts (0.1-25000 mg/g)."""
    number = check_plausible("uacr_mg_g", value, 0, 100000, "mg/g")
    return check_range("uacr_mg_g", number, *PREVENT_OPTIONAL_RANGES["uacr_mg_g"], "mg/g",
                       equation="PREVENT equations (UACR)")


def check_hba1c(value: float) -> float:
    """HbA1c in % (NGSP): a possible value (2-25 %) inside the range preventr accepts (4.5-15 %)."""
    number = check_plausible("hba1c_percent", value, 2, 25, "%")
    return check_range("hba1c_percent", number, *PREVENT_OPTIONAL_RANGES["hba1c_percent"], "%",
                       equation="PREVENT equations (HbA1c)")


def check_sdi_decile(value: int) -> int:
    """Social Deprivation Index decile: a whole number 1-10 (1 = least deprived)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"sdi_decile must be a whole decile 1-10, got {value!r}")
    check_range("sdi_decile", value, *PREVENT_OPTIONAL_RANGES["sdi_decile"], equation="PREVENT equations (SDI)")
    return value


def select_prevent_model(*, uacr_mg_g: float | None, hba1c_percent: float | None,
                         sdi_decile: int | None) -> PreventModel:
    """preventr's ``model = NULL`` rule: no optional predictor -> base; one -> that add-on; two or three -> full.

    >>> select_prevent_model(uacr_mg_g=40, hba1c_percent=None, sdi_decile=None)
    'uacr'
    >>> select_prevent_model(uacr_mg_g=40, hba1c_percent=7.5, sdi_decile=None)
    'full'
    """
    candidates: tuple[tuple[PreventModel, float | None], ...] = (
        ("uacr", uacr_mg_g), ("hba1c", hba1c_percent), ("sdi", sdi_decile))
    given = [model for model, value in candidates if value is not None]
    if len(given) >= 2:
        return "full"
    return given[0] if given else "base"


def _prevent_optional_values(uacr: float | None, hba1c: float | None, sdi: int | None,
                             diabetes: bool) -> dict[str, float]:
    """Add-on term values as preventr's prep_terms builds them (a missing predictor: 0 terms, indicator 1)."""
    return {
        "ln_uacr": math.log(uacr) if uacr is not None else 0.0,
        "hba1c_dm": hba1c - 5.3 if hba1c is not None and diabetes else 0.0,
        "hba1c_no_dm": hba1c - 5.3 if hba1c is not None and not diabetes else 0.0,
        "sdi_4_to_6": float(sdi is not None and 4 <= sdi <= 6),
        "sdi_7_to_10": float(sdi is not None and 7 <= sdi <= 10),
        "missing_uacr": float(uacr is None), "missing_hba1c": float(hba1c is None), "missing_sdi": float(sdi is None),
    }


_OPTIONAL_NAMES = {"uacr_mg_g": "UACR", "hba1c_percent": "HbA1c", "sdi_decile": "SDI"}
_MODEL_USES = {"base": (), "uacr": ("uacr_mg_g",), "hba1c": ("hba1c_percent",), "sdi": ("sdi_decile",),
               "full": ("uacr_mg_g", "hba1c_percent", "sdi_decile")}


def _optional_notes(model: PreventModel, given: dict[str, float | int | None]) -> tuple[dict[str, InputValue],
                                                                                        list[str]]:
    """Inputs the model uses, and notes on missing-indicator terms (full model) or given values it ignores."""
    used: dict[str, InputValue] = {}
    notes = []
    for key, value in given.items():
        if key in _MODEL_USES[model] and value is not None:
            used[key] = value
        elif key in _MODEL_USES[model]:
            notes.append(f"{_OPTIONAL_NAMES[key]} not given: the full model's missing-{_OPTIONAL_NAMES[key]} "
                         "indicator term is used, as in preventr.")
        elif value is not None:
            notes.append(f"{key} was given but does not enter the {PREVENT_MODEL_LABELS[model]}; it was only "
                         "range-checked.")
    return used, notes


def _resolve_prevent_model(model: PreventModel | None, uacr: float | None, hba1c: float | None,
                           sdi: int | None) -> PreventModel:
    """The requested model, or preventr's choice; a single add-on model needs its predictor."""
    chosen = model if model is not None else select_prevent_model(uacr_mg_g=uacr, hba1c_percent=hba1c,
                                                                  sdi_decile=sdi)
    check_choice("model", chosen, PREVENT_MODELS)
    needed = {"uacr": uacr, "hba1c": hba1c, "sdi": sdi}
    if chosen in needed and needed[chosen] is None:
        raise InputError(f"the {PREVENT_MODEL_LABELS[chosen]} needs {_MODEL_USES[chosen][0]}")
    return chosen


def prevent(
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
    uacr_mg_g: float | None = None,
    hba1c_percent: float | None = None,
    sdi_decile: int | None = None,
    model: PreventModel | None = None,
) -> RiskEstimate:
    """AHA PREVENT with the optional predictors: the base model or the model adding UACR, HbA1c, SDI or all three.

    ``model=None`` picks as preventr does (:func:`select_prevent_model`): none given -> base model, one -> that
    add-on model, two or three -> the full model, where each unknown predictor enters through its missing-value
    indicator term. UACR is in mg/g, HbA1c in % (NGSP), SDI a decile 1-10. Out-of-range optional values raise
    :class:`InputError` (callers that prefer preventr's drop-and-continue behaviour check them first, as
    ``tailormed.risk.assessment`` does). Other inputs and ranges as :func:`prevent_base`.
    """
    uacr = None if uacr_mg_g is None else check_uacr(uacr_mg_g)
    hba1c = None if hba1c_percent is None else check_hba1c(hba1c_percent)
    sdi = None if sdi_decile is None else check_sdi_decile(sdi_decile)
    given: dict[str, float | int | None] = {"uacr_mg_g": uacr, "hba1c_percent": hba1c, "sdi_decile": sdi}
    chosen = _resolve_prevent_model(model, uacr, hba1c, sdi)
    p = _check_prevent_person(outcome, horizon_years, age, sex, total_cholesterol_mg_dl, hdl_mg_dl,
                              systolic_bp_mmhg, diabetes, current_smoker, egfr, on_antihypertensive, on_statin, bmi)
    if chosen == "base":
        betas, extra = _PREVENT[(p.sex, outcome, horizon_years)], 0.0
    else:
        betas, addon = _PREVENT_ADDON[(chosen, p.sex, outcome, horizon_years)]
        values = _prevent_optional_values(uacr, hba1c, sdi, p.diabetes)
        extra = sum(beta * values[term] for term, beta in addon.items())
    inputs, bmi_notes = _prevent_inputs_used(p, outcome)
    used, optional_notes = _optional_notes(chosen, given)
    return RiskEstimate(
        name=f"{PREVENT_MODEL_LABELS[chosen]}, {_OUTCOME_LABELS[outcome]}",
        horizon_years=horizon_years,
        risk=_logistic(betas, _prevent_term_values(p), extra),
        inputs_used={**inputs, **used},
        source=PREVENT_SOURCE if chosen == "base" else PREVENT_ADDON_SOURCE,
        notes=[f"Model: {PREVENT_MODEL_LABELS[chosen]} (model selection as in preventr); race is not an input.",
               *optional_notes, *bmi_notes],
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
