"""Validated clinical risk equations: ACC/AHA Pooled Cohort Equations, AHA PREVENT (base and add-on models), FINDRISC.

Every function here is pure (no file, network or clock access) and returns a :class:`RiskEstimate`. Inputs are
checked in two steps, each failing with :class:`tailormed.errors.InputError` naming the field, the value and the
allowed range:

1. *plausibility*: values that cannot describe a living adult (negative age, SBP below 60 mmHg, HDL above total
   cholesterol, NaN). These limits are our own sanity bounds, not clinical thresholds.
2. *validity*: the range over which the published equation was built and is documented to apply. Outside it the
   equation is not extrapolated; the caller gets an error, never a silent clamp.

The numbers the equations use (coefficients, group means, baseline survivals, validity ranges, FINDRISC bands) and
their citations are knowledge, kept as data in the built-in pack ``risk-equations``
(``src/tailormed/kb/data/risk-equations/``, one JSON file per equation family, each naming its source, version and
date and how it was transcribed and checked) and read once, validated, by :mod:`tailormed.kb.risk_equations`. They
are checked against the published or reference-implementation worked examples in ``tests/risk/test_equations.py``
and ``tests/risk/test_prevent_addons.py`` (see ``docs/risk-equations.md``). Do not edit a coefficient without
re-running those tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Literal

from tailormed.errors import InputError, KnowledgeError
from tailormed.kb.risk_equations import (
    FINDRISC_FILE,
    PCE_FILE,
    PREVENT_ADDONS_FILE,
    PREVENT_BASE_FILE,
    RiskEquationsPack,
    load_risk_equations,
)

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

_PACK = load_risk_equations()
"""Coefficients, ranges, bands and citations (the built-in ``risk-equations`` knowledge pack)."""


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
PCE_SOURCE = _PACK.pce.source.citation

# pce.json: Goff 2014 Table A coefficients in the order of _PCE_TERMS, the group mean of the linear predictor and
# 10-year baseline survival per race group and sex; validity ranges (inclusive). Provenance is in the file.
_PCE_TERMS: tuple[str, ...] = _PACK.pce.terms
_PCE: dict[tuple[PceRaceGroup, Sex], tuple[tuple[float, ...], float, float]] = {
    (m.race_group, m.sex): (m.coefficients, m.mean, m.baseline_survival) for m in _PACK.pce.models
}
PCE_RANGES: dict[str, tuple[float, float]] = dict(_PACK.pce.ranges)


def _pce_predictors(age: float, total: float, hdl: float, sbp: float, treated: bool, smoker: bool,
                    dm: bool) -> dict[str, float]:
    """The Pooled Cohort Equations' predictors by term name (treated and untreated SBP terms are exclusive)."""
    ln_age, ln_tc, ln_hdl, ln_sbp = math.log(age), math.log(total), math.log(hdl), math.log(sbp)
    return {
        "ln_age": ln_age, "ln_age_sq": ln_age**2, "ln_tc": ln_tc, "ln_age_ln_tc": ln_age * ln_tc, "ln_hdl": ln_hdl,
        "ln_age_ln_hdl": ln_age * ln_hdl,
        "ln_sbp_treated": ln_sbp if treated else 0.0, "ln_age_ln_sbp_treated": ln_age * ln_sbp if treated else 0.0,
        "ln_sbp_untreated": 0.0 if treated else ln_sbp,
        "ln_age_ln_sbp_untreated": 0.0 if treated else ln_age * ln_sbp,
        "smoker": float(smoker), "ln_age_smoker": ln_age * float(smoker), "diabetes": float(dm),
    }


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

    predictors = _pce_predictors(age, total, hdl, sbp, treated, smoker, dm)
    values = tuple(predictors[term] for term in _PCE_TERMS)
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
PREVENT_SOURCE = _PACK.prevent_base.source.citation

# prevent-base.json: logistic coefficients per sex, outcome and horizon in the order of _PREVENT_TERMS (BMI terms
# enter the heart-failure models only; lipid and statin terms the CVD and ASCVD models only; age squared the 30-year
# models only) and validity ranges (inclusive; age_30y for 30-year estimates). Provenance is in the file.
_PREVENT_TERMS: tuple[str, ...] = _PACK.prevent_base.terms
_PREVENT: dict[tuple[Sex, PreventOutcome, int], tuple[float, ...]] = {
    (m.sex, m.outcome, m.horizon_years): m.coefficients for m in _PACK.prevent_base.models
}
PREVENT_RANGES: dict[str, tuple[float, float]] = dict(_PACK.prevent_base.ranges)


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
    """The base-model predictors in the order of _PREVENT_TERMS."""
    predictors = _prevent_predictors(p)
    return tuple(predictors[term] for term in _PREVENT_TERMS)


def _prevent_predictors(p: _PreventPerson) -> dict[str, float]:
    """The base-model predictors by term name, centred and split as in the supplement.

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
    return {
        "constant": 1.0, "age": a, "age_sq": a * a, "non_hdl": non_hdl, "hdl": hdl_term, "sbp_lt_110": sbp_lo,
        "sbp_gte_110": sbp_hi, "diabetes": f_dm, "smoker": f_smk, "egfr_lt_60": egfr_lo, "egfr_gte_60": egfr_hi,
        "antihypertensive": f_tx, "statin": f_statin, "antihypertensive_x_sbp_gte_110": f_tx * sbp_hi,
        "statin_x_non_hdl": f_statin * non_hdl, "age_x_non_hdl": a * non_hdl, "age_x_hdl": a * hdl_term,
        "age_x_sbp_gte_110": a * sbp_hi, "age_x_diabetes": a * f_dm, "age_x_smoker": a * f_smk,
        "age_x_egfr_lt_60": a * egfr_lo, "bmi_lt_30": bmi_lo, "bmi_gte_30": bmi_hi, "age_x_bmi_gte_30": a * bmi_hi,
    }


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
PREVENT_ADDON_SOURCE = _PACK.prevent_addons.source.citation

# prevent-addons.json: validity ranges of the optional predictors (preventr's `valid`, inclusive) and, per add-on
# model, sex, outcome and horizon, (the 24 base-term coefficients in _PREVENT_TERMS order, add-on term
# coefficients by name). Add-on terms: ln_uacr = natural log of UACR (mg/g); hba1c_dm / hba1c_no_dm = (HbA1c - 5.3)
# when diabetes / no diabetes; sdi_4_to_6 and sdi_7_to_10 = SDI decile bands (deciles 1-3 are the reference);
# missing_* = 1 when that predictor is unknown (full model only). Provenance is in the file.
PREVENT_OPTIONAL_RANGES: dict[str, tuple[float, float]] = dict(_PACK.prevent_addons.optional_ranges)
_PREVENT_ADDON: dict[tuple[PreventModel, Sex, PreventOutcome, int], tuple[tuple[float, ...], dict[str, float]]] = {
    (m.model, m.sex, m.outcome, m.horizon_years): (m.coefficients, dict(m.addon_coefficients))
    for m in _PACK.prevent_addons.models
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
FINDRISC_SOURCE = _PACK.findrisc.source.citation

# findrisc.json: (upper bound of the band, category, approximate 10-year risk as printed on the form: '1 in 100' ...
# '1 in 2').
_FINDRISC_BANDS: tuple[tuple[int, str, float], ...] = tuple(
    (band.max_points, band.category, band.risk) for band in _PACK.findrisc.bands)


CKD_EPI_2021_SOURCE = ("CKD-EPI 2021 creatinine equation without race: Inker et al., N Engl J Med 2021;385:1737-1749 "
                       "(doi:10.1056/NEJMoa2102953)")
MG_DL_PER_UMOL_L_CREATININE = 1 / 88.42  # creatinine 113.12 g/mol: 1 mg/dL = 88.42 umol/L


def ckd_epi_2021(serum_creatinine_mg_dl: float, age: float, sex: Literal["female", "male"]) -> float:
    """eGFR (mL/min/1.73 m2) from serum or plasma creatinine by the race-free CKD-EPI 2021 equation (Inker et al.,
    NEJM 2021): ``142 x min(Scr/k, 1)^a x max(Scr/k, 1)^-1.200 x 0.9938^age [x 1.012 if female]``, with
    ``k`` 0.7 (female) / 0.9 (male) and ``a`` -0.241 (female) / -0.302 (male), creatinine in mg/dL (IDMS-traceable).
    For adults (18 years and over); creatinine and age are range-checked.

    The NKF calculator's examples (age 70, creatinine 0.8 mg/dL): 95.2 for a man, 79.2 for a woman.

    >>> round(ckd_epi_2021(0.8, 70, "male"), 1), round(ckd_epi_2021(0.8, 70, "female"), 1)
    (95.2, 79.2)
    >>> round(ckd_epi_2021(1.2, 55, "male"))
    71
    """
    creatinine = check_plausible("serum_creatinine_mg_dl", serum_creatinine_mg_dl, 0.1, 40, "mg/dL")
    years = check_range("age", age, 18, 120, "years", equation="CKD-EPI 2021 equation (adults)")
    check_choice("sex", sex, ("female", "male"))
    kappa, alpha = (0.7, -0.241) if sex == "female" else (0.9, -0.302)
    ratio = creatinine / kappa
    egfr = float(142.0 * min(ratio, 1.0) ** alpha * max(ratio, 1.0) ** -1.200 * 0.9938**years)
    return egfr * 1.012 if sex == "female" else egfr


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


# --------------------------------------------------------------------------------------------- pack vs equations
def check_pack_fits_equations(pack: RiskEquationsPack) -> None:
    """Refuse a pack whose term names are not the predictors these equations compute, or whose FINDRISC bands do not
    end at the form's maximum total of 26: a coefficient would otherwise be ignored or have nothing to multiply.

    The loader checks the pack's own shape; this checks it against the code. Run on the built-in pack at import.
    """

    def same_terms(file_name: str, listed: tuple[str, ...], computed: dict[str, float]) -> None:
        unknown = [term for term in listed if term not in computed]
        absent = [term for term in computed if term not in listed]
        if unknown or absent:
            raise KnowledgeError(
                f"terms do not match the predictors tailormed.risk.equations computes (not computed: {unknown}; "
                f"computed but not listed: {absent})", source=str(pack.path / file_name), location="terms")

    # The predictor functions return every term they compute, whatever the input; any valid input lists them.
    same_terms(PCE_FILE, pack.pce.terms, _pce_predictors(55.0, 213.0, 50.0, 120.0, False, False, False))
    person = _PreventPerson(55.0, "female", 213.0, 50.0, 120.0, 90.0, False, False, False, False, 25.0)
    same_terms(PREVENT_BASE_FILE, pack.prevent_base.terms, _prevent_predictors(person))
    optional = _prevent_optional_values(None, None, None, False)
    for model, terms in pack.prevent_addons.addon_terms.items():
        unknown = [term for term in terms if term not in optional]
        if unknown:
            raise KnowledgeError(f"add-on terms {unknown} are not predictors tailormed.risk.equations computes "
                                 f"(it computes {list(optional)})", source=str(pack.path / PREVENT_ADDONS_FILE),
                                 location=f"addon_terms.{model}")
    if pack.findrisc.bands[-1].max_points != 26:
        raise KnowledgeError("the last band's max_points must be 26, the highest FINDRISC total",
                             source=str(pack.path / FINDRISC_FILE), location="bands")


check_pack_fits_equations(_PACK)
