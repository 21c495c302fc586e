"""Analysis presets: the declared sequence of filters and prioritisers (YAML), validated and echoed."""

from __future__ import annotations

import math
from dataclasses import fields
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator

from tailormed.documents import load_yaml
from tailormed.errors import InputError, first_validation_problem
from tailormed.model.common import Record
from tailormed.model.rare import FilterStep, GenotypeSettings, PhenotypeSettings

StepName = Literal[
    "quality_filter", "consequence_filter", "frequency_filter", "acmg_classification", "inheritance_prioritiser",
    "phenotype_prioritiser",
]
Database = Literal["OMIM", "ORPHA"]
_ALL_DATABASES: tuple[Database, ...] = ("OMIM", "ORPHA")
_GENOTYPE_STEPS = ("quality_filter", "consequence_filter", "frequency_filter", "inheritance_prioritiser")


class PresetStep(Record):
    """One declared step and its parameters."""

    step: StepName
    parameters: dict[str, Any] = Field(default_factory=dict)


class OutputOptions(Record):
    top: int = Field(default=50, ge=1, le=10_000)


class Preset(Record):
    """A whole analysis: databases, steps in order, output options."""

    name: str
    databases: list[Database] = Field(default_factory=lambda: list(_ALL_DATABASES), min_length=1)
    steps: list[PresetStep]
    output: OutputOptions = Field(default_factory=OutputOptions)

    @field_validator("steps")
    @classmethod
    def _phenotype_step_required(cls, steps: list[PresetStep]) -> list[PresetStep]:
        names = [s.step for s in steps]
        if "phenotype_prioritiser" not in names:
            raise ValueError("a preset needs a phenotype_prioritiser step")
        if len(set(names)) != len(names):
            raise ValueError("each step may appear once")
        return steps

    def has(self, step: str) -> bool:
        return any(s.step == step for s in self.steps)

    def phenotype_settings(self) -> PhenotypeSettings:
        return PhenotypeSettings(**self._parameters(("phenotype_prioritiser",), PhenotypeSettings))

    def genotype_settings(self) -> GenotypeSettings:
        return GenotypeSettings(**self._parameters(_GENOTYPE_STEPS, GenotypeSettings))

    def _parameters(self, steps: tuple[str, ...], target: type) -> dict[str, Any]:
        allowed = {f.name for f in fields(target)}
        merged: dict[str, Any] = {}
        for step in self.steps:
            if step.step in steps:
                unknown = set(step.parameters) - allowed
                if unknown:
                    raise InputError(f"step {step.step}: unknown parameter(s) {sorted(unknown)}",
                                     source=f"preset {self.name}")
                merged.update(step.parameters)
        return merged

    def echo(self) -> list[FilterStep]:
        """The steps as they will be reported (parameters with defaults filled in)."""
        phenotype, genotype = vars(self.phenotype_settings()), vars(self.genotype_settings())
        echoed = []
        for step in self.steps:
            if step.step == "phenotype_prioritiser":
                parameters: dict[str, object] = dict(phenotype)
            elif step.step in _GENOTYPE_STEPS:
                parameters = {k: genotype[k] for k in _step_keys(step.step)}
            else:
                parameters = {}
            echoed.append(FilterStep(name=step.step, parameters=parameters))
        return echoed


def _step_keys(step: str) -> tuple[str, ...]:
    return {
        "quality_filter": ("require_pass", "min_genotype_quality", "min_depth"),
        "consequence_filter": ("exclude_consequences", "keep_if_spliceai_at_least", "keep_clinvar_pathogenic"),
        "frequency_filter": ("max_af_dominant", "max_af_recessive", "keep_clinvar_pathogenic"),
        "inheritance_prioritiser": ("miss_lr", "single_hit_recessive", "conflict_lr", "chance_rate",
                                    "homozygous_rate", "gene_background"),
    }[step]


# Ranges of the numeric parameters. Rates and ratios that the engines divide by or take the logarithm of must
# be above 0; frequencies and SpliceAI scores lie in 0..1. (low, high, low included)
_RANGES: dict[str, tuple[float, float, bool]] = {
    "max_af_dominant": (0.0, 1.0, True), "max_af_recessive": (0.0, 1.0, True),
    "keep_if_spliceai_at_least": (0.0, 1.0, True), "excluded_min_frequency": (0.0, 1.0, True),
    "chance_rate": (0.0, 1.0, False), "homozygous_rate": (0.0, 1.0, False), "background_floor": (0.0, 1.0, False),
    "excluded_floor": (0.0, 1.0, False), "onset_mismatch_rate": (0.0, 1.0, False),
    "miss_lr": (0.0, math.inf, False), "single_hit_recessive": (0.0, math.inf, False),
    "conflict_lr": (0.0, math.inf, False), "unrelated_lr": (0.0, math.inf, False),
    "negated_lr": (0.0, math.inf, False), "related_discount": (0.0, math.inf, True), "weight": (0.0, math.inf, True),
}
_KINDS = {f.name: str(f.type) for target in (GenotypeSettings, PhenotypeSettings) for f in fields(target)}
_CHOICES: dict[str, tuple[str, ...]] = {"gene_background": ("exonic_length", "constant")}


def _check_parameter(name: str, value: Any, source: str, where: str) -> None:
    """Refuse a step parameter of the wrong type or out of range (the settings are plain dataclasses: a string
    "maybe" would be a true ``require_pass``, a string for ``exclude_consequences`` a substring test)."""
    kind = _KINDS.get(name)
    if kind is None:
        return  # unknown names are reported, per step, by Preset._parameters
    if value is None and "None" in kind:
        return
    if kind == "bool":
        if not isinstance(value, bool):
            raise InputError(f"must be true or false, not {value!r:.60}", source=source, location=where)
    elif kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InputError(f"must be a whole number of 0 or more, not {value!r:.60}", source=source, location=where)
    elif kind == "str":
        choices = _CHOICES.get(name, ())
        if not isinstance(value, str) or (choices and value not in choices):
            raise InputError(f"must be one of {', '.join(choices)}, not {value!r:.60}", source=source, location=where)
    elif kind.startswith("tuple"):
        if not isinstance(value, tuple) or not all(isinstance(v, str) for v in value):
            raise InputError(f"must be a list of terms, not {value!r:.60}", source=source, location=where)
    else:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise InputError(f"must be a finite number, not {value!r:.60}", source=source, location=where)
        low, high, low_included = _RANGES.get(name, (-math.inf, math.inf, True))
        if not (low <= value if low_included else low < value) or value > high:
            bounds = f"{'[' if low_included else '('}{low:g}, {high:g}]"
            raise InputError(f"must lie in {bounds}, not {value!r}", source=source, location=where)


def _parse(document: Any, source: str) -> Preset:
    if not isinstance(document, dict):
        raise InputError("a preset is a YAML mapping", source=source)
    raw_steps = document.get("steps") or []
    if not isinstance(raw_steps, list):
        raise InputError("must be a list of steps", source=source, location="steps")
    steps = []
    for position, raw in enumerate(raw_steps):
        if not isinstance(raw, dict) or "step" not in raw:
            raise InputError("each step is a mapping with a 'step' key", source=source, location=f"steps[{position}]")
        # YAML lists become the tuples the settings hold
        parameters = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items() if k != "step"}
        for name, value in parameters.items():
            _check_parameter(str(name), value, source, f"steps[{position}].{name}")
        steps.append({"step": raw["step"], "parameters": parameters})
    try:
        preset = Preset.model_validate({**document, "steps": steps})
    except ValidationError as exc:
        first = first_validation_problem(exc)
        raise InputError(f"invalid preset: {first.msg}", source=source, location=first.indexed()) from None
    try:
        preset.phenotype_settings()
        preset.genotype_settings()
    except InputError as exc:  # an unknown parameter: name the file, not only the preset
        raise InputError(exc.message, source=source) from None
    return preset


def load_preset(path: Path | None = None) -> Preset:
    """Read a preset YAML file, or the built-in default when ``path`` is None."""
    if path is None:
        text = resources.files("tailormed.kb").joinpath("data/rare-presets/default.yaml").read_text(encoding="utf-8")
        return _parse(yaml.safe_load(text), "built-in preset default.yaml")
    return _parse(load_yaml(path, "preset file"), str(path))
