"""Trial files: read (YAML or JSON, ``{"trials": [...]}``, every field and alteration string checked) and
written (YAML, atomically). The format is :class:`tailormed.model.trials.Trial`; ``docs/onco-trials.md``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from tailormed.documents import load_json, load_yaml
from tailormed.errors import InputError, first_validation_problem
from tailormed.model.alterations import parse_alteration
from tailormed.model.trials import Trial, TumourTypeTree
from tailormed.output import write_text_atomic


def _read_document(path: Path) -> Any:
    if path.suffix.lower() == ".json":
        return load_json(path, "trial file")
    return load_yaml(path, "trial file")


def load_trials(path: Path, tree: TumourTypeTree | None = None) -> list[Trial]:
    """Read a trial file (YAML or JSON, ``{"trials": [...]}``), checking every field and alteration string.

    With ``tree``, condition codes are checked too and replaced by their canonical spelling; without it they are
    checked when matching. Errors name the file and the place (``trials.2 (NCT01234567).inclusion.0``).
    """
    path = Path(path)
    data = _read_document(path)
    if not isinstance(data, dict) or not isinstance(data.get("trials"), list):
        raise InputError("not a trial file: expected a mapping with a 'trials' list (docs/onco-trials.md)",
                         source=str(path))
    unknown = sorted(set(data) - {"trials"})
    if unknown:
        raise InputError(f"unknown top-level key(s) {unknown}; a trial file holds only 'trials'", source=str(path))
    trials: list[Trial] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(data["trials"]):
        label = f"trials.{index}" + (f" ({item['id']})" if isinstance(item, dict) and "id" in item else "")
        try:
            trial = Trial.model_validate(item)
        except ValidationError as exc:
            first = first_validation_problem(exc)
            where = first.dotted()
            raise InputError(f"{first.msg}{first.more_note}", source=str(path),
                             location=f"{label}.{where}" if where else label) from exc
        if trial.id in seen:
            raise InputError(f"trial id {trial.id!r} also used by trials.{seen[trial.id]}", source=str(path),
                             location=label)
        seen[trial.id] = index
        for kind, texts in (("inclusion", trial.inclusion), ("exclusion", trial.exclusion)):
            for number, text in enumerate(texts):
                parse_alteration(text, source=str(path), location=f"{label}.{kind}.{number}")
        if tree is not None:
            resolved = []
            for number, code in enumerate(trial.conditions):
                try:
                    resolved.append(tree.resolve(code))
                except InputError as exc:
                    raise InputError(exc.message, source=str(path), location=f"{label}.conditions.{number}") from exc
            trial = trial.model_copy(update={"conditions": resolved})
        trials.append(trial)
    return trials


def _plain_number(value: float | None) -> float | int | None:
    return int(value) if value is not None and float(value).is_integer() else value


def write_trials(trials: Sequence[Trial], path: Path) -> None:
    """Write trials in our structured YAML (atomically: a temporary file renamed into place)."""
    path = Path(path)
    records = []
    for trial in trials:
        record = trial.model_dump(exclude_none=True)
        for key in ("min_age", "max_age"):
            if key in record:
                record[key] = _plain_number(record[key])
        records.append(record)
    text = ("# TailorMed trial file (docs/onco-trials.md): conditions are OncoTree codes, biomarker criteria are\n"
            "# alteration strings (each inclusion must hold, ' | ' joins alternatives; no exclusion may hold).\n"
            + yaml.safe_dump({"trials": records}, sort_keys=False, allow_unicode=True, width=110))
    write_text_atomic(path, text)


