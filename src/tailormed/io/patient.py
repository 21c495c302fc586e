"""The patient manifest (YAML or JSON): demographics, the files of each analysis, medications
(``docs/patient-manifest.md``)."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from tailormed.errors import InputError
from tailormed.model.patient import Patient


def load_patient(path: Path) -> Patient:
    """Read and validate a patient manifest (YAML or JSON); relative paths are relative to it."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError("file not found", source=str(path)) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(f"not valid YAML ({getattr(exc, 'problem', exc)})", source=str(path),
                         location=f"line {mark.line + 1}" if mark else None) from exc
    if not isinstance(data, dict):
        raise InputError("a patient manifest must be a mapping (key: value)", source=str(path))
    try:
        patient = Patient.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(first["msg"], source=str(path), location=".".join(str(x) for x in first["loc"])) from exc
    return patient.resolve_paths(path.parent)
