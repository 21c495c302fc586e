"""Clinical and lifestyle measurements for risk equations, normalised to one unit each."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from tailormed.model.common import Record

SmokingStatus = Literal["current", "former", "never", "unknown"]


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
    smoking: SmokingStatus = "unknown"
    smoking_source: str | None = None
