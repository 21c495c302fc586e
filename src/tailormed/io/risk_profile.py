"""Risk profiles (person files, YAML): the fields of :class:`tailormed.model.risk.Person`, plus an optional
``fhir_bundle`` whose Observations fill what the file does not give, and whose Conditions coding clinical ASCVD and
completed Procedures coding a revascularisation set ``clinical_ascvd`` when the file does not (a file saying ``false``
against such a Condition or Procedure is an error) (``docs/risk.md``).

Every value is checked when the file is read (:func:`tailormed.model.risk.person_from_values`): numbers finite
and within :data:`~tailormed.model.risk.PERSON_BOUNDS` (PyYAML reads ``1e308`` as text; it is read as the number
it spells, then range-checked), flags true or false, words from their list. An error names the file (or the
bundle entry a value came from), the field and the allowed range.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

from tailormed.documents import load_yaml
from tailormed.errors import InputError
from tailormed.io.fhir_observations import read_fhir_observations, time_bounds
from tailormed.model.risk import Person, person_from_values

PERSON_FIELDS = tuple(f.name for f in dataclasses.fields(Person))  # declaration order: stable JSON


_MEASURED = {"total_cholesterol_mg_dl": "total_cholesterol_mg_dl", "hdl_mg_dl": "hdl_cholesterol_mg_dl",
             "ldl_mg_dl": "ldl_cholesterol_mg_dl", "systolic_bp_mmhg": "systolic_bp_mmhg",
             "egfr": "egfr_ml_min_1_73m2", "bmi": "bmi_kg_m2", "waist_cm": "waist_cm",
             "hba1c_percent": "hba1c_percent", "uacr_mg_g": "uacr_mg_g",
             "serum_creatinine_mg_dl": "creatinine_mg_dl"}


CLINICAL_ASCVD_TO_CONFIRM = "clinical_ascvd_to_confirm"
"""Key of the person's origin map listing FHIR Conditions that may be clinical ASCVD but are not recognised by code
(the person file did not say clinical_ascvd)."""


CREATININE_NOT_USED = "serum_creatinine_not_used"
"""Key of the person's origin map naming a serum creatinine from the FHIR bundle that was not used (an eGFR the
person file states, or a newer eGFR in the bundle); the report's kidney-function note says so."""

#: A creatinine and an eGFR less than this far apart are taken as one blood draw (an eGFR is usually computed from
#: the creatinine beside it, and may be stamped a little later): the creatinine is used.
SAME_DRAW = timedelta(hours=24)


def _creatinine_not_used(data: dict[str, object], origin: dict[str, str], dates: dict[str, str],
                         file_fields: set[str]) -> str | None:
    """Why the bundle's serum creatinine should not be used, or None. An eGFR the person file states is the
    clinician's choice; a bundle eGFR at least :data:`SAME_DRAW` newer than the creatinine stands for the kidney
    function today (kidney function can change). Times are compared as FHIR means them: with their zones, and a
    partial date ("2026-03") as the span it covers, so an order that cannot be told counts as the same draw."""
    if "serum_creatinine_mg_dl" not in data or "serum_creatinine_mg_dl" in file_fields:
        return None
    creatinine = f"serum creatinine {data['serum_creatinine_mg_dl']} mg/dL ({origin['serum_creatinine_mg_dl']})"
    if "egfr" in file_fields:
        return f"{creatinine} not used: the person file states the eGFR"
    creatinine_time, egfr_time = time_bounds(dates.get("serum_creatinine_mg_dl")), time_bounds(dates.get("egfr"))
    if "egfr" not in data or creatinine_time is None or egfr_time is None:
        return None
    if egfr_time[0] - creatinine_time[1] < SAME_DRAW:
        return None
    return (f"{creatinine} of {dates['serum_creatinine_mg_dl']} not used: the eGFR of {dates['egfr']} is newer (a "
            f"creatinine from then or later would be used to compute CKD-EPI 2021)")


def read_person(path: Path) -> tuple[Person, dict[str, str]]:
    """A person file (YAML): the :class:`Person` fields, plus ``fhir_bundle`` whose Observations fill what the
    file does not give. Returns the person and, per field, where its value came from."""
    person, origin, _ = read_person_dated(path)
    return person, origin


def read_person_dated(path: Path) -> tuple[Person, dict[str, str], dict[str, str]]:
    """:func:`read_person`, and also the date of each value taken from a FHIR Observation (its effective date, as
    the bundle gives it), so a report can say which values came from the record and from when."""
    path = Path(path)
    dates: dict[str, str] = {}
    data = load_yaml(path, "person file")
    if not isinstance(data, dict):
        raise InputError("a person file is a mapping (key: value)", source=str(path))
    bundle = data.pop("fhir_bundle", None)
    unknown = {str(key) for key in data} - set(PERSON_FIELDS)
    if unknown:
        raise InputError(f"unknown field(s) {sorted(unknown)}; known: {sorted(PERSON_FIELDS)}", source=str(path))
    origin = {key: str(path) for key in data}
    file_fields = set(data)
    if bundle is not None:
        if not isinstance(bundle, str) or not bundle.strip() or "\x00" in bundle:
            raise InputError(f"fhir_bundle must be the path of a FHIR bundle file, got {bundle!r:.60}",
                             source=str(path))
        bundle_path = (path.parent / bundle) if not Path(bundle).is_absolute() else Path(bundle)
        inputs = read_fhir_observations(bundle_path)
        for field_name, source_name in _MEASURED.items():
            measurement = getattr(inputs, source_name)
            if field_name not in data and measurement is not None:
                data[field_name] = measurement.value
                origin[field_name] = measurement.source
                if measurement.date:
                    dates[field_name] = measurement.date
        if reason := _creatinine_not_used(data, origin, dates, file_fields):
            origin[CREATININE_NOT_USED] = reason
            del data["serum_creatinine_mg_dl"], origin["serum_creatinine_mg_dl"]
            dates.pop("serum_creatinine_mg_dl", None)
        if "egfr" in origin and origin["egfr"] != str(path) and "egfr_equation" not in data:
            data["egfr_equation"] = inputs.egfr_equation or "unknown"
            origin["egfr_equation"] = origin["egfr"]
        if inputs.clinical_ascvd:
            if data.get("clinical_ascvd") is False:
                raise InputError(f"clinical_ascvd is false in the person file, but the FHIR bundle records "
                                 f"{inputs.clinical_ascvd[0]}; correct one of them", source=str(path),
                                 location="clinical_ascvd")
            if "clinical_ascvd" not in data:
                data["clinical_ascvd"] = True
                origin["clinical_ascvd"] = "; ".join(inputs.clinical_ascvd)
        if inputs.possible_clinical_ascvd and "clinical_ascvd" not in data:
            # not a person field: the report asks the clinician to confirm (pipelines.risk, prevention_setting)
            origin[CLINICAL_ASCVD_TO_CONFIRM] = "; ".join(inputs.possible_clinical_ascvd)
        if "current_smoker" not in data and inputs.smoking != "unknown":
            data["current_smoker"] = inputs.smoking == "current"
            origin["current_smoker"] = inputs.smoking_source or str(bundle_path)
            if inputs.smoking_date:
                dates["current_smoker"] = inputs.smoking_date
    try:
        return person_from_values(data), origin, dates
    except InputError as exc:
        given_by = origin.get(exc.location or "", str(path))
        if given_by == str(path):
            raise InputError(exc.message, source=str(path)) from None
        raise InputError(f"{exc.message} (from the FHIR bundle named by {path.name})", source=given_by) from None
