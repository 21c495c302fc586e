"""Clinical and lifestyle measurements for risk equations, normalised to one unit each."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType, NoneType, UnionType
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from pydantic import Field

from tailormed.errors import InputError
from tailormed.model.common import Record

SmokingStatus = Literal["current", "former", "never", "unknown"]
EgfrEquation = Literal["ckd_epi_2021", "ckd_epi_2009", "mdrd", "unknown"]
DiabetesType = Literal["type_1", "type_2"]


class Measurement(Record):
    """One measured value in its canonical unit, with where it came from."""

    value: float
    unit: str
    date: str | None = None
    source: str = Field(description="Where the value came from, e.g. 'bundle.json:entry[3]' or 'manifest'.")
    original: str | None = Field(default=None, description="The value and unit as given, when converted.")


class ClinicalInputs(Record):
    """The latest value of each measurement the equations use (canonical units in the field names)."""

    systolic_bp_mmhg: Measurement | None = None
    diastolic_bp_mmhg: Measurement | None = None
    total_cholesterol_mg_dl: Measurement | None = None
    hdl_cholesterol_mg_dl: Measurement | None = None
    ldl_cholesterol_mg_dl: Measurement | None = None
    hba1c_percent: Measurement | None = None
    uacr_mg_g: Measurement | None = None
    bmi_kg_m2: Measurement | None = None
    body_weight_kg: Measurement | None = None
    body_height_cm: Measurement | None = None
    waist_cm: Measurement | None = None
    egfr_ml_min_1_73m2: Measurement | None = None
    egfr_equation: EgfrEquation | None = Field(
        default=None, description="The equation the reported eGFR came from, by its LOINC code (None: not known).")
    creatinine_mg_dl: Measurement | None = None
    clinical_ascvd: list[str] = Field(
        default_factory=list, description="FHIR Conditions and completed Procedures (revascularisation) coding "
        "clinical ASCVD (code, name and where), if any.")
    possible_clinical_ascvd: list[str] = Field(
        default_factory=list, description="FHIR Conditions that may record clinical ASCVD but whose code is not one "
        "we recognise (to confirm).")
    smoking: SmokingStatus = "unknown"
    smoking_source: str | None = None
    smoking_date: str | None = None


@dataclass(frozen=True)
class Person:
    """What the equations need; None where unknown (an equation needing it is then skipped, with the reason)."""

    age: float
    sex: Literal["female", "male"]
    race_group: Literal["white_or_other", "african_american"] = "white_or_other"
    total_cholesterol_mg_dl: float | None = None
    hdl_mg_dl: float | None = None
    ldl_mg_dl: float | None = None
    systolic_bp_mmhg: float | None = None
    on_antihypertensive: bool = False
    on_statin: bool = False
    current_smoker: bool = False
    diabetes: bool = False
    # Clinical ASCVD (secondary prevention): a past myocardial infarction or acute coronary syndrome, stable or unstable
    # angina, coronary or other arterial revascularisation, stroke or TIA, or peripheral artery disease of
    # atherosclerotic origin (Grundy et al. 2019). None: not recorded; the advice then says it assumes none.
    clinical_ascvd: bool | None = None
    egfr: float | None = None
    # Which equation the given eGFR came from (None or "unknown": not known); serum/plasma creatinine (mg/dL) lets
    # the engine compute CKD-EPI 2021 itself (risk/equations.py ckd_epi_2021)
    egfr_equation: EgfrEquation | None = None
    serum_creatinine_mg_dl: float | None = None
    bmi: float | None = None
    # PREVENT's optional predictors (None: not known): urine albumin-to-creatinine ratio (mg/g), HbA1c (%, NGSP),
    # Social Deprivation Index decile 1-10 (from the person file; no ZIP-code lookup)
    uacr_mg_g: float | None = None
    hba1c_percent: float | None = None
    sdi_decile: int | None = None
    waist_cm: float | None = None
    physically_active_30min_daily: bool | None = None
    eats_vegetables_fruit_berries_daily: bool | None = None
    history_of_high_glucose: bool | None = None
    # Diabetes-specific risk enhancers at 20-39 years (Grundy et al. 2019, section 4.3); None: not known
    diabetes_type: DiabetesType | None = None
    diabetes_duration_years: float | None = None
    diabetic_retinopathy: bool | None = None
    diabetic_neuropathy: bool | None = None
    family_history_diabetes: Literal["none", "second_degree", "first_degree"] | None = None
    pack_years: float | None = None
    years_since_quit_smoking: float | None = None
    # ACC/AHA 2019 risk enhancers and coronary calcium (None: not known)
    family_history_premature_ascvd: bool | None = None
    triglycerides_mg_dl: float | None = None
    lpa_mg_dl: float | None = None
    lpa_nmol_l: float | None = None
    apob_mg_dl: float | None = None
    hs_crp_mg_l: float | None = None
    ankle_brachial_index: float | None = None
    metabolic_syndrome: bool | None = None
    chronic_inflammatory_disease: bool | None = None
    south_asian_ancestry: bool | None = None
    preeclampsia_or_premature_menopause: bool | None = None
    coronary_artery_calcium: float | None = None


PERSON_BOUNDS: Mapping[str, tuple[float, float, str]] = MappingProxyType({
    # The plausibility limits risk/equations.py applies (check_plausible; sdi_decile: its 1-10 range): values that
    # cannot describe a living adult, not clinical thresholds. tests/hostile checks the two stay the same.
    "age": (0, 120, "years"),
    "systolic_bp_mmhg": (60, 300, "mmHg"),
    "total_cholesterol_mg_dl": (1, 2000, "mg/dL"),
    "hdl_mg_dl": (1, 2000, "mg/dL"),
    "egfr": (0, 250, "mL/min/1.73m2"),
    "bmi": (8, 150, "kg/m2"),
    "waist_cm": (30, 300, "cm"),
    "uacr_mg_g": (0, 100000, "mg/g"),
    "hba1c_percent": (2, 25, "%"),
    "sdi_decile": (1, 10, ""),
    # Fields no equation reads (risk enhancers, smoking history): sanity bounds in the same spirit, generous
    # beyond the most extreme values reported, so only a wrong unit, a typo or a placeholder is refused.
    "ldl_mg_dl": (1, 2000, "mg/dL"),  # a fraction of total cholesterol: its bounds
    "triglycerides_mg_dl": (1, 50000, "mg/dL"),
    "lpa_mg_dl": (0, 2000, "mg/dL"),
    "lpa_nmol_l": (0, 5000, "nmol/L"),
    "apob_mg_dl": (1, 2000, "mg/dL"),
    "hs_crp_mg_l": (0, 1000, "mg/L"),
    "ankle_brachial_index": (0, 5, ""),
    "coronary_artery_calcium": (0, 100000, "Agatston units"),
    "pack_years": (0, 300, "pack-years"),
    "serum_creatinine_mg_dl": (0.1, 40, "mg/dL"),  # below 0.1 or above 40 mg/dL: a unit (umol/L) or typing error
    "diabetes_duration_years": (0, 120, "years"),
    "years_since_quit_smoking": (0, 120, "years"),
})
"""Field -> (lowest, highest, unit) a person file may give (inclusive); every numeric :class:`Person` field has
one."""

_NUMBER_TEXT = frozenset("0123456789+-.eE")


def _shown(value: Any) -> str:
    return "nothing" if value is None else repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."


def _number(name: str, value: Any, whole: bool) -> float:
    """A finite number from a YAML value; text that spells a number (PyYAML reads ``1e308`` as a string) counts."""
    number: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value) if not isinstance(value, int) or abs(value) < 2**1023 else math.inf
    elif isinstance(value, str) and value.strip() and set(value.strip()) <= _NUMBER_TEXT:
        try:
            number = float(value)
        except ValueError:
            number = None
    kind = "a whole number" if whole else "a number"
    if number is None:
        raise InputError(f"{name} must be {kind}, got {_shown(value)}")
    if not math.isfinite(number):
        raise InputError(f"{name} must be a finite number, got {_shown(value)}")
    if whole and not number.is_integer():
        raise InputError(f"{name} must be {kind}, got {_shown(value)}")
    return number


def _bounded(name: str, value: Any, whole: bool) -> float:
    number = _number(name, value, whole)
    low, high, unit = PERSON_BOUNDS[name]
    if not low <= number <= high:
        suffix = f" {unit}" if unit else ""
        raise InputError(f"{name} = {number:g}{suffix} is not a possible value (expected {low:g}-{high:g}{suffix})")
    return number


def _checked(name: str, hint: Any, value: Any) -> Any:
    """``value`` as the field's type (a YAML number, true/false, or one of the listed words), or an InputError.
    A number keeps the type it was given (55 stays 55); a number written as text becomes a float."""
    options = get_args(hint) if get_origin(hint) in (Union, UnionType) else (hint,)
    kind = next(option for option in options if option is not NoneType)
    if value is None and NoneType in options:
        return None
    if get_origin(kind) is Literal:
        allowed = get_args(kind)
        if not isinstance(value, str) or value not in allowed:
            raise InputError(f"{name} must be one of {', '.join(allowed)}, got {_shown(value)}")
        return value
    if kind is bool:
        if not isinstance(value, bool):
            raise InputError(f"{name} must be true or false, got {_shown(value)}")
        return value
    number = _bounded(name, value, whole=kind is int)
    if kind is int:
        return int(number)
    return value if isinstance(value, (int, float)) else number


def person_from_values(values: Mapping[str, Any]) -> Person:
    """A :class:`Person` from a person file's values, every one checked: numbers finite and within
    :data:`PERSON_BOUNDS`, flags true or false, words from their list, HDL below total cholesterol. An error is an
    :class:`InputError` whose ``location`` is the field."""
    hints = get_type_hints(Person)
    fields = {f.name for f in dataclasses.fields(Person)}
    checked: dict[str, Any] = {}
    for name, value in values.items():
        if name not in fields:
            raise InputError(f"unknown field {name!r}", location=str(name))
        try:
            checked[name] = _checked(name, hints[name], value)
        except InputError as exc:
            raise InputError(exc.message, location=name) from None
    for required in ("age", "sex"):
        if required not in checked:
            raise InputError(f"the person file needs {required!r}", location=required)
    total, hdl = checked.get("total_cholesterol_mg_dl"), checked.get("hdl_mg_dl")
    if total is not None and hdl is not None and hdl >= total:
        raise InputError(f"hdl_mg_dl = {hdl:g} mg/dL is not below total_cholesterol_mg_dl = {total:g} mg/dL; HDL "
                         "cholesterol is a fraction of total cholesterol", location="hdl_mg_dl")
    duration = checked.get("diabetes_duration_years")
    if duration is not None and duration > checked["age"]:
        raise InputError(f"diabetes_duration_years = {duration:g} is longer than the person's age ({checked['age']:g})",
                         location="diabetes_duration_years")
    return Person(**checked)
