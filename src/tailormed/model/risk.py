"""Clinical and lifestyle measurements for risk equations, normalised to one unit each."""

from __future__ import annotations

from dataclasses import dataclass
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
    egfr: float | None = None
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
