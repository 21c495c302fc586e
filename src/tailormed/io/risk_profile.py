"""Risk profiles (person files, YAML): the fields of :class:`tailormed.model.risk.Person`, plus an optional
``fhir_bundle`` whose Observations fill what the file does not give (``docs/risk.md``)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import yaml

from tailormed.errors import InputError
from tailormed.io.fhir_observations import read_fhir_observations
from tailormed.model.risk import Person

PERSON_FIELDS = tuple(f.name for f in dataclasses.fields(Person))  # declaration order: stable JSON


_MEASURED = {"total_cholesterol_mg_dl": "total_cholesterol_mg_dl", "hdl_mg_dl": "hdl_cholesterol_mg_dl",
             "ldl_mg_dl": "ldl_cholesterol_mg_dl", "systolic_bp_mmhg": "systolic_bp_mmhg",
             "egfr": "egfr_ml_min_1_73m2", "bmi": "bmi_kg_m2", "waist_cm": "waist_cm",
             "hba1c_percent": "hba1c_percent", "uacr_mg_g": "uacr_mg_g"}


def read_person(path: Path) -> tuple[Person, dict[str, str]]:
    """A person file (YAML): the :class:`Person` fields, plus ``fhir_bundle`` whose Observations fill what the
    file does not give. Returns the person and, per field, where its value came from."""


    if not path.is_file():
        raise InputError("no such file", source=str(path))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML ({exc})", source=str(path)) from exc
    if not isinstance(data, dict):
        raise InputError("a person file is a mapping (key: value)", source=str(path))
    bundle = data.pop("fhir_bundle", None)
    unknown = set(data) - set(PERSON_FIELDS)
    if unknown:
        raise InputError(f"unknown field(s) {sorted(unknown)}; known: {sorted(PERSON_FIELDS)}", source=str(path))
    origin = {key: str(path) for key in data}
    if bundle is not None:
        bundle_path = (path.parent / bundle) if not Path(bundle).is_absolute() else Path(bundle)
        inputs = read_fhir_observations(bundle_path)
        for field_name, source_name in _MEASURED.items():
            measurement = getattr(inputs, source_name)
            if field_name not in data and measurement is not None:
                data[field_name] = measurement.value
                origin[field_name] = measurement.source
        if "current_smoker" not in data and inputs.smoking != "unknown":
            data["current_smoker"] = inputs.smoking == "current"
            origin["current_smoker"] = inputs.smoking_source or str(bundle_path)
    for required in ("age", "sex"):
        if required not in data:
            raise InputError(f"the person file needs {required!r}", source=str(path))
    try:
        return Person(**data), origin
    except TypeError as exc:
        raise InputError(f"invalid person file ({exc})", source=str(path)) from exc
