"""Read clinical and lifestyle measurements from a FHIR R4 Bundle of Observations (LOINC-coded).

Each recognised LOINC code maps to one :class:`~tailormed.model.risk.ClinicalInputs` field; values are
converted to that field's unit (UCUM codes or the usual unit strings), and a unit we cannot convert is an
error naming the entry, never a silent guess. When several Observations give the same measurement, the one
with the latest ``effectiveDateTime`` wins. Blood pressure panels (85354-9) are read from their components.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tailormed.documents import load_json
from tailormed.errors import InputError
from tailormed.model.risk import ClinicalInputs, Measurement

MG_DL_PER_MMOL_L_CHOLESTEROL = 38.67  # 1 mmol/L cholesterol = 38.67 mg/dL (molar mass 386.65 g/mol)
MG_G_PER_MG_MMOL_CREATININE = 8.84  # albumin/creatinine: mg/mmol -> mg/g (creatinine 113.12 g/mol)

# LOINC code -> (field, canonical unit)
LOINC_FIELDS: dict[str, tuple[str, str]] = {
    "8480-6": ("systolic_bp_mmhg", "mm[Hg]"),
    "8462-4": ("diastolic_bp_mmhg", "mm[Hg]"),
    "2093-3": ("total_cholesterol_mg_dl", "mg/dL"),
    "2085-9": ("hdl_cholesterol_mg_dl", "mg/dL"),
    "13457-7": ("ldl_cholesterol_mg_dl", "mg/dL"),  # LDL, calculated
    "18262-6": ("ldl_cholesterol_mg_dl", "mg/dL"),  # LDL, direct assay
    "2089-1": ("ldl_cholesterol_mg_dl", "mg/dL"),
    "4548-4": ("hba1c_percent", "%"),
    # Urine albumin/creatinine (PREVENT's UACR, mg/g). 9318-7 and 14959-1 are mass ratios (mg/g); 32294-1 is an
    # unspecified "[Ratio]", so its unit decides (mg/g or mg/mmol), and a value without a known unit is refused.
    "9318-7": ("uacr_mg_g", "mg/g"),
    "14959-1": ("uacr_mg_g", "mg/g"),
    "32294-1": ("uacr_mg_g", "mg/g"),
    "39156-5": ("bmi_kg_m2", "kg/m2"),
    "29463-7": ("body_weight_kg", "kg"),
    "8302-2": ("body_height_cm", "cm"),
    "8280-0": ("waist_cm", "cm"),
    "33914-3": ("egfr_ml_min_1_73m2", "mL/min/{1.73_m2}"),
    "62238-1": ("egfr_ml_min_1_73m2", "mL/min/{1.73_m2}"),
    "98979-8": ("egfr_ml_min_1_73m2", "mL/min/{1.73_m2}"),
}
BP_PANEL = "85354-9"
SMOKING_STATUS = "72166-2"
# SNOMED CT answers for tobacco smoking status (the US Core value set).
SMOKING_SNOMED: dict[str, str] = {
    "449868002": "current", "428041000124106": "current", "77176002": "current", "428061000124105": "current",
    "428071000124103": "current", "8517006": "former", "266919005": "never", "266927001": "unknown",
}

_IDENTITY: Callable[[float], float] = lambda v: v  # noqa: E731
_CONVERSIONS: dict[str, dict[str, Callable[[float], float]]] = {
    "mm[Hg]": {"mm[hg]": _IDENTITY, "mmhg": _IDENTITY},
    "mg/dL": {"mg/dl": _IDENTITY, "mmol/l": lambda v: v * MG_DL_PER_MMOL_L_CHOLESTEROL},
    "%": {"%": _IDENTITY, "mmol/mol": lambda v: v / 10.929 + 2.15},  # IFCC -> NGSP master equation
    "kg/m2": {"kg/m2": _IDENTITY, "kg/m^2": _IDENTITY},
    "kg": {"kg": _IDENTITY, "[lb_av]": lambda v: v * 0.45359237, "lb": lambda v: v * 0.45359237,
           "g": lambda v: v / 1000.0},
    "cm": {"cm": _IDENTITY, "m": lambda v: v * 100.0, "[in_i]": lambda v: v * 2.54, "in": lambda v: v * 2.54},
    "mL/min/{1.73_m2}": {"ml/min/{1.73_m2}": _IDENTITY, "ml/min/1.73m2": _IDENTITY, "ml/min/1.73 m2": _IDENTITY},
    # 1 mmol creatinine = 113.12 mg, so 1 mg albumin per mmol creatinine = 8.84 mg/g.
    "mg/g": {"mg/g": _IDENTITY, "mg/g{creat}": _IDENTITY, "mg/g{cre}": _IDENTITY, "ug/mg": _IDENTITY,
             "ug/mg{creat}": _IDENTITY, "mg/mmol": lambda v: v * MG_G_PER_MG_MMOL_CREATININE,
             "mg/mmol{creat}": lambda v: v * MG_G_PER_MG_MMOL_CREATININE},
}


def read_fhir_observations(path: Path) -> ClinicalInputs:
    """Parse a FHIR Bundle (or a single Observation) into the latest value of each measurement."""
    return observations_to_inputs(load_json(Path(path), "FHIR bundle"), source=str(path))


def _mapping(value: Any) -> dict[str, Any]:
    """A JSON object, or an empty one for anything else (FHIR elements of the wrong shape are not ours to read)."""
    return value if isinstance(value, dict) else {}


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def observations_to_inputs(document: Any, *, source: str) -> ClinicalInputs:
    """The parsed-JSON form of :func:`read_fhir_observations`."""
    resources = _observations(document, source)
    latest: dict[str, tuple[str, Measurement]] = {}
    smoking: tuple[str, str, str] | None = None
    for where, resource in resources:
        codes = _loinc_codes(resource)
        date = str(resource.get("effectiveDateTime") or resource.get("issued") or "")
        if SMOKING_STATUS in codes:
            status = _smoking_status(resource, source, where)
            if smoking is None or date >= smoking[0]:
                smoking = (date, status, f"{source}:{where}")
            continue
        for field, measurement in _measurements(resource, codes, source, where):
            if field not in latest or date >= latest[field][0]:
                latest[field] = (date, measurement)
    values: dict[str, Any] = {field: measurement for field, (_, measurement) in latest.items()}
    if smoking is not None:
        values["smoking"], values["smoking_source"] = smoking[1], smoking[2]
        values["smoking_date"] = smoking[0] or None
    return ClinicalInputs(**values)


def _observations(document: Any, source: str) -> list[tuple[str, dict[str, Any]]]:
    if not isinstance(document, dict) or "resourceType" not in document:
        raise InputError("not a FHIR resource (no resourceType)", source=source)
    if document["resourceType"] == "Observation":
        return [("Observation", document)]
    if document["resourceType"] != "Bundle":
        raise InputError(f"expected a Bundle or an Observation, found {document['resourceType']!r:.60}",
                         source=source)
    found = []
    entries = document.get("entry")
    if entries is not None and not isinstance(entries, list):
        raise InputError("Bundle.entry must be a list", source=source)
    for position, entry in enumerate(entries or []):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and resource.get("resourceType") == "Observation":
            if resource.get("status") in ("entered-in-error", "cancelled"):
                continue
            found.append((f"entry[{position}]", resource))
    return found


def _loinc_codes(resource: dict[str, Any]) -> set[str]:
    codings = _items(_mapping(resource.get("code")).get("coding"))
    return {str(c.get("code")) for c in codings if isinstance(c, dict) and "loinc.org" in str(c.get("system", ""))}


def _measurements(resource: dict[str, Any], codes: set[str], source: str,
                  where: str) -> list[tuple[str, Measurement]]:
    date = resource.get("effectiveDateTime")
    if BP_PANEL in codes:
        found = []
        for position, component in enumerate(_items(resource.get("component"))):
            if not isinstance(component, dict):
                continue
            for field_code in _loinc_codes(component) & set(LOINC_FIELDS):
                found.append(_convert(component, field_code, date, source, f"{where}.component[{position}]"))
        return found
    return [_convert(resource, code, date, source, where) for code in sorted(codes & set(LOINC_FIELDS))]


def _convert(holder: dict[str, Any], code: str, date: Any, source: str, where: str) -> tuple[str, Measurement]:
    field, canonical = LOINC_FIELDS[code]
    quantity = _mapping(holder.get("valueQuantity"))
    raw = quantity.get("value")
    if not isinstance(raw, int | float) or isinstance(raw, bool):
        raise InputError(f"LOINC {code} has no numeric valueQuantity", source=source, location=where)
    value = float(raw) if not isinstance(raw, int) or abs(raw) < 2**1023 else math.inf
    if not math.isfinite(value) or value < 0:
        raise InputError(f"LOINC {code}: valueQuantity.value must be a finite number, 0 or more, got {raw!r:.40}",
                         source=source, location=where)
    unit = str(quantity.get("code") or quantity.get("unit") or "").strip()
    converter = _CONVERSIONS[canonical].get(unit.lower())
    if converter is None:
        known = ", ".join(sorted(_CONVERSIONS[canonical]))
        raise InputError(f"LOINC {code}: unit {unit!r} cannot be converted to {canonical} (known: {known})",
                         source=source, location=where)
    converted = converter(value)
    if not math.isfinite(converted):
        raise InputError(f"LOINC {code}: {value:g} {unit} is too large to convert to {canonical}", source=source,
                         location=where)
    original = None if unit.lower() == canonical.lower() else f"{value:g} {unit}"
    return field, Measurement(value=round(converted, 6), unit=canonical, date=str(date) if date else None,
                              source=f"{source}:{where}", original=original)


def _smoking_status(resource: dict[str, Any], source: str, where: str) -> str:
    codings = _items(_mapping(resource.get("valueCodeableConcept")).get("coding"))
    for coding in codings:
        status = SMOKING_SNOMED.get(str(_mapping(coding).get("code")))
        if status:
            return status
    raise InputError("smoking status (LOINC 72166-2) without a recognised SNOMED CT answer", source=source,
                     location=where)
