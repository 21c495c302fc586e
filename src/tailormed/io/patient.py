"""The patient manifest (YAML or JSON): demographics, the files of each analysis, medications
(``docs/patient-manifest.md``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from tailormed.documents import load_yaml
from tailormed.errors import InputError
from tailormed.model.patient import Patient


def load_patient(path: Path) -> Patient:
    """Read and validate a patient manifest (YAML or JSON); relative paths are relative to it."""
    path = Path(path)
    data = load_yaml(path, "patient manifest")  # JSON is YAML too
    if not isinstance(data, dict):
        raise InputError("a patient manifest must be a mapping (key: value)", source=str(path))
    try:
        patient = Patient.model_validate(data)
    except ValidationError as exc:
        # An unknown key first: a misspelt key also makes the key it meant "missing".
        first = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")[0]
        where = ".".join(str(x) for x in first["loc"]) or None
        if first["type"] == "extra_forbidden":
            message = "unknown key (a typo? docs/patient-manifest.md lists the keys)"
        else:
            message = first["msg"].removeprefix("Value error, ")
            if first["type"] not in ("missing", "value_error") and not isinstance(first.get("input"), (dict, list)):
                message += f" (got {_shown(first.get('input'))})"
        raise InputError(message, source=str(path), location=where) from None
    return patient.resolve_paths(path.parent)


def _shown(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."
