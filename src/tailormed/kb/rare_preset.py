"""Analysis presets: the declared sequence of filters and prioritisers (YAML), validated and echoed."""

from __future__ import annotations

from dataclasses import fields
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator

from tailormed.errors import InputError
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
        "consequence_filter": ("exclude_consequences", "keep_if_spliceai_at_least"),
        "frequency_filter": ("max_af_dominant", "max_af_recessive"),
        "inheritance_prioritiser": ("miss_lr", "single_hit_recessive", "conflict_lr", "chance_rate",
                                    "homozygous_rate"),
    }[step]


def _parse(document: Any, source: str) -> Preset:
    if not isinstance(document, dict):
        raise InputError("a preset is a YAML mapping", source=source)
    steps = []
    for position, raw in enumerate(document.get("steps") or []):
        if not isinstance(raw, dict) or "step" not in raw:
            raise InputError("each step is a mapping with a 'step' key", source=source, location=f"steps[{position}]")
        steps.append({"step": raw["step"], "parameters": {k: v for k, v in raw.items() if k != "step"}})
    try:
        for step in steps:  # YAML lists become the tuples the settings hold
            step["parameters"] = {k: tuple(v) if isinstance(v, list) else v for k, v in step["parameters"].items()}
        preset = Preset.model_validate({**document, "steps": steps})
        preset.phenotype_settings()
        preset.genotype_settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(f"invalid preset: {first['msg']}", source=source, location=where) from exc
    return preset


def load_preset(path: Path | None = None) -> Preset:
    """Read a preset YAML file, or the built-in default when ``path`` is None."""
    if path is None:
        text = resources.files("tailormed.kb").joinpath("data/rare-presets/default.yaml").read_text(encoding="utf-8")
        source = "built-in preset default.yaml"
    else:
        if not path.is_file():
            raise InputError("no such preset file", source=str(path))
        text, source = path.read_text(encoding="utf-8"), str(path)
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML: {exc}", source=source) from exc
    return _parse(document, source)
