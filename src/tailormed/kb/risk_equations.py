"""The ``risk-equations`` pack: coefficients, validity ranges and score bands of the clinical risk equations.

The equations are code (:mod:`tailormed.risk.equations`); the numbers they use are data, in the built-in pack
``kb/data/risk-equations/``, one JSON file per equation family:

- ``pce.json``: ACC/AHA Pooled Cohort Equations (4 coefficient sets, means, baseline survivals, ranges);
- ``prevent-base.json``: AHA PREVENT base model (12 coefficient sets, ranges);
- ``prevent-addons.json``: PREVENT models adding UACR, HbA1c, SDI or all three (48 sets, optional-predictor ranges);
- ``findrisc.json``: FINDRISC score bands.

Each file carries its source (citation, version, date) next to its numbers. JSON keeps every float exactly as
written (Python's ``repr``), so a coefficient read back is bit for bit the one transcribed. :func:`load_risk_equations`
reads the pack once and checks its shape: every coefficient list as long as its term list, every model present
exactly once, every value a finite number, every range ordered. A malformed pack raises
:class:`~tailormed.errors.KnowledgeError` naming the file and the field.

>>> pack = load_risk_equations()
>>> len(pack.prevent_base.models), len(pack.prevent_addons.models)
(12, 48)
"""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AllowInfNan, BaseModel, Field, Strict

from tailormed.errors import KnowledgeError
from tailormed.kb.pack import BUILTIN_PACKS_DIR, _collect_sources, _parse, _read_yaml
from tailormed.model.pack import Manifest, Source, _Strict

RISK_EQUATIONS_PACK = BUILTIN_PACKS_DIR / "risk-equations"
PCE_FILE = "pce.json"
PREVENT_BASE_FILE = "prevent-base.json"
PREVENT_ADDONS_FILE = "prevent-addons.json"
FINDRISC_FILE = "findrisc.json"

Coefficient = Annotated[float, Strict(), AllowInfNan(False)]
"""A finite JSON number (an integer is read as the same float; strings, booleans, NaN and infinity are refused)."""
Range = tuple[Coefficient, Coefficient]
"""Inclusive validity range ``[low, high]``."""
Sex = Literal["female", "male"]
PceRaceGroup = Literal["white_or_other", "african_american"]
PreventOutcome = Literal["total_cvd", "ascvd", "heart_failure"]
PreventHorizon = Literal[10, 30]
PreventAddonModel = Literal["uacr", "hba1c", "sdi", "full"]

_SEXES: tuple[Sex, ...] = ("female", "male")
_PCE_RACE_GROUPS: tuple[PceRaceGroup, ...] = ("white_or_other", "african_american")
_PREVENT_OUTCOMES: tuple[PreventOutcome, ...] = ("total_cvd", "ascvd", "heart_failure")
_PREVENT_HORIZONS: tuple[PreventHorizon, ...] = (10, 30)
_PREVENT_ADDON_MODELS: tuple[PreventAddonModel, ...] = ("uacr", "hba1c", "sdi", "full")
_Key = TypeVar("_Key", bound=tuple[object, ...])


class _EquationFile(_Strict):
    """What every file of the pack has: what it is, where its numbers come from, how they were checked."""

    equation: str = Field(min_length=3)
    formula: str = Field(min_length=3)
    source: Source = Field(description="The publication the numbers come from, with version and date.")
    provenance: list[str] = Field(min_length=1, description="How the numbers were transcribed and checked.")
    checked_against: list[str] = Field(
        default_factory=list, description="ids of reference implementations declared in manifest.yaml.")


# --------------------------------------------------------------------------- Pooled Cohort Equations
class PceModel(_Strict):
    """One race group and sex: coefficients in ``terms`` order, group mean of the linear predictor, S10."""

    race_group: PceRaceGroup
    sex: Sex
    coefficients: tuple[Coefficient, ...]
    mean: Coefficient
    baseline_survival: Coefficient = Field(gt=0, lt=1)


class PceRanges(_Strict):
    age: Range
    total_cholesterol_mg_dl: Range
    hdl_mg_dl: Range
    systolic_bp_mmhg: Range


class PceFile(_EquationFile):
    """``pce.json``."""

    terms: tuple[str, ...] = Field(min_length=1)
    models: tuple[PceModel, ...]
    ranges_provenance: str
    ranges: PceRanges


# --------------------------------------------------------------------------- PREVENT
class PreventBaseModel(_Strict):
    """One sex, outcome and horizon of the base model: logistic coefficients in ``terms`` order."""

    sex: Sex
    outcome: PreventOutcome
    horizon_years: PreventHorizon
    coefficients: tuple[Coefficient, ...]


class PreventRanges(_Strict):
    age: Range
    age_30y: Range = Field(description="Age range of the 30-year estimates.")
    total_cholesterol_mg_dl: Range
    hdl_mg_dl: Range
    systolic_bp_mmhg: Range
    bmi: Range
    egfr: Range


class PreventBaseFile(_EquationFile):
    """``prevent-base.json``."""

    terms: tuple[str, ...] = Field(min_length=1)
    models: tuple[PreventBaseModel, ...]
    ranges_provenance: str
    ranges: PreventRanges


class PreventAddonModelCoefficients(_Strict):
    """One add-on model, sex, outcome and horizon: its own base-term coefficients plus its add-on terms."""

    model: PreventAddonModel
    sex: Sex
    outcome: PreventOutcome
    horizon_years: PreventHorizon
    coefficients: tuple[Coefficient, ...]
    addon_coefficients: dict[str, Coefficient]


class PreventOptionalRanges(_Strict):
    uacr_mg_g: Range
    hba1c_percent: Range
    sdi_decile: Range


class PreventAddonsFile(_EquationFile):
    """``prevent-addons.json``."""

    terms: tuple[str, ...] = Field(min_length=1, description="The base-model terms, as in prevent-base.json.")
    addon_terms: dict[PreventAddonModel, tuple[str, ...]]
    models: tuple[PreventAddonModelCoefficients, ...]
    optional_ranges_provenance: str
    optional_ranges: PreventOptionalRanges


# --------------------------------------------------------------------------- FINDRISC
class FindriscBand(_Strict):
    """Scores up to ``max_points`` (inclusive, above the previous band) fall in this band."""

    max_points: Annotated[int, Strict()] = Field(ge=0)
    category: str = Field(min_length=1)
    risk_one_in: Annotated[int, Strict()] = Field(ge=1, description="Approximate 10-year risk '1 in N' (form).")

    @property
    def risk(self) -> float:
        """The printed '1 in N' as a probability."""
        return 1 / self.risk_one_in


class FindriscFile(_EquationFile):
    """``findrisc.json``."""

    bands: tuple[FindriscBand, ...] = Field(min_length=1)


# --------------------------------------------------------------------------- the pack
class RiskEquationsPack(_Strict):
    """The loaded, validated pack."""

    path: Path
    manifest: Manifest
    pce: PceFile
    prevent_base: PreventBaseFile
    prevent_addons: PreventAddonsFile
    findrisc: FindriscFile
    sources: dict[str, Source]

    @property
    def version_label(self) -> str:
        return f"{self.manifest.name} {self.manifest.version}"

    def contents(self) -> str:
        """What the pack holds, in one line (for ``tailormed kb list``)."""
        return (f"{len(self.pce.models)} PCE + {len(self.prevent_base.models)} PREVENT + "
                f"{len(self.prevent_addons.models)} add-on coefficient sets, {len(self.findrisc.bands)} FINDRISC bands")

    def equations(self) -> list[tuple[str, _EquationFile]]:
        """Each file name and its contents, in the order the equations are documented."""
        return [(PCE_FILE, self.pce), (PREVENT_BASE_FILE, self.prevent_base),
                (PREVENT_ADDONS_FILE, self.prevent_addons), (FINDRISC_FILE, self.findrisc)]


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise KnowledgeError(f"cannot read: {exc.strerror}", source=str(path)) from exc
    try:
        return json.loads(text, object_pairs_hook=_refuse_duplicate_keys, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise KnowledgeError(f"not valid JSON ({exc.msg})", source=str(path),
                             location=f"{exc.lineno}:{exc.colno}") from exc
    except ValueError as exc:
        raise KnowledgeError(f"not valid JSON ({exc})", source=str(path)) from exc


def _check_lengths(path: Path, terms: Sequence[str], coefficient_lists: Iterable[Sequence[float]]) -> None:
    if len(set(terms)) != len(terms):
        raise KnowledgeError("a term is listed twice", source=str(path), location="terms")
    for number, coefficients in enumerate(coefficient_lists):
        if len(coefficients) != len(terms):
            raise KnowledgeError(
                f"{len(coefficients)} coefficients for {len(terms)} terms (one coefficient per term in `terms`)",
                source=str(path), location=f"models.{number}.coefficients")


def _check_complete(path: Path, keys: list[_Key], expected: Iterable[_Key]) -> None:
    """Every expected model present exactly once (``keys`` in file order)."""
    seen: dict[_Key, int] = {}
    for number, key in enumerate(keys):
        if key in seen:
            raise KnowledgeError(f"coefficients for {_label(key)} given twice (also models.{seen[key]})",
                                 source=str(path), location=f"models.{number}")
        seen[key] = number
    missing = [_label(key) for key in expected if key not in seen]
    if missing:
        raise KnowledgeError(f"no coefficients for {', '.join(missing)}", source=str(path), location="models")


def _label(key: tuple[object, ...]) -> str:
    return "(" + ", ".join(str(part) for part in key) + ")"


def _check_ranges(path: Path, field: str, ranges: BaseModel) -> None:
    for name, (low, high) in ranges:
        if low > high:
            raise KnowledgeError(f"range low {low:g} is above high {high:g}", source=str(path),
                                 location=f"{field}.{name}")


def _check_cited(path: Path, equation: _EquationFile, sources: dict[str, Source]) -> None:
    for number, source_id in enumerate(equation.checked_against):
        if source_id not in sources:
            raise KnowledgeError(f"cites source {source_id!r}, which manifest.yaml does not declare",
                                 source=str(path), location=f"checked_against.{number}")


_Equation = TypeVar("_Equation", bound=_EquationFile)


def _load_file(folder: Path, name: str, model: type[_Equation], sources: dict[str, Source]) -> _Equation:
    path = folder / name
    parsed = _parse(model, _read_json(path), path)
    _collect_sources([parsed.source], sources, path)
    _check_cited(path, parsed, sources)
    return parsed


def _check_pce(path: Path, pce: PceFile) -> None:
    _check_lengths(path, pce.terms, [m.coefficients for m in pce.models])
    _check_complete(path, [(m.race_group, m.sex) for m in pce.models],
                    itertools.product(_PCE_RACE_GROUPS, _SEXES))
    _check_ranges(path, "ranges", pce.ranges)


def _check_prevent_base(path: Path, prevent: PreventBaseFile) -> None:
    _check_lengths(path, prevent.terms, [m.coefficients for m in prevent.models])
    _check_complete(path, [(m.sex, m.outcome, m.horizon_years) for m in prevent.models],
                    itertools.product(_SEXES, _PREVENT_OUTCOMES, _PREVENT_HORIZONS))
    _check_ranges(path, "ranges", prevent.ranges)


def _check_prevent_addons(path: Path, addons: PreventAddonsFile, base: PreventBaseFile) -> None:
    if addons.terms != base.terms:
        raise KnowledgeError(f"terms differ from those of {PREVENT_BASE_FILE} (the add-on models re-estimate the "
                             "same base terms, in the same order)", source=str(path), location="terms")
    _check_lengths(path, addons.terms, [m.coefficients for m in addons.models])
    missing = [m for m in _PREVENT_ADDON_MODELS if m not in addons.addon_terms]
    if missing:
        raise KnowledgeError(f"no add-on terms for model(s) {', '.join(missing)}", source=str(path),
                             location="addon_terms")
    for model_name, terms in addons.addon_terms.items():
        if not terms or len(set(terms)) != len(terms):
            raise KnowledgeError("add-on terms must be listed, each once", source=str(path),
                                 location=f"addon_terms.{model_name}")
        overlap = set(terms) & set(addons.terms)
        if overlap:
            raise KnowledgeError(f"add-on term(s) {sorted(overlap)} are also base terms", source=str(path),
                                 location=f"addon_terms.{model_name}")
    _check_complete(path, [(m.model, m.sex, m.outcome, m.horizon_years) for m in addons.models],
                    itertools.product(_PREVENT_ADDON_MODELS, _SEXES, _PREVENT_OUTCOMES, _PREVENT_HORIZONS))
    for number, model in enumerate(addons.models):
        expected = addons.addon_terms[model.model]
        if tuple(model.addon_coefficients) != expected:
            raise KnowledgeError(
                f"add-on coefficients {list(model.addon_coefficients)} do not match addon_terms.{model.model} "
                f"{list(expected)} (same names, same order)",
                source=str(path), location=f"models.{number}.addon_coefficients")
    _check_ranges(path, "optional_ranges", addons.optional_ranges)


def _check_findrisc(path: Path, findrisc: FindriscFile) -> None:
    previous = -1
    for number, band in enumerate(findrisc.bands):
        if band.max_points <= previous:
            raise KnowledgeError(f"max_points {band.max_points} is not above the previous band's {previous}",
                                 source=str(path), location=f"bands.{number}.max_points")
        previous = band.max_points
    categories = [band.category for band in findrisc.bands]
    if len(set(categories)) != len(categories):
        raise KnowledgeError("a category is listed twice", source=str(path), location="bands")


@functools.cache
def load_risk_equations(path: Path = RISK_EQUATIONS_PACK) -> RiskEquationsPack:
    """Read and validate the risk-equations pack at ``path`` (the built-in one by default), once per path.

    Raises :class:`KnowledgeError` naming the file and the field when a file is missing, is not JSON, lacks a
    field, holds a non-number or a non-finite number, has a coefficient list of the wrong length, misses or
    repeats a model, or cites a reference implementation the manifest does not declare.
    """
    path = Path(path)
    manifest_path = path / "manifest.yaml"
    if not manifest_path.is_file():
        raise KnowledgeError("no manifest.yaml: not a knowledge pack", source=str(path))
    manifest: Manifest = _parse(Manifest, _read_yaml(manifest_path), manifest_path)
    if manifest.kind != "risk":
        raise KnowledgeError(f"pack {manifest.name!r} is a {manifest.kind} pack, not a risk-equations pack",
                             source=str(manifest_path), location="kind")
    sources: dict[str, Source] = {}
    _collect_sources(manifest.sources, sources, manifest_path)
    pce = _load_file(path, PCE_FILE, PceFile, sources)
    _check_pce(path / PCE_FILE, pce)
    prevent_base = _load_file(path, PREVENT_BASE_FILE, PreventBaseFile, sources)
    _check_prevent_base(path / PREVENT_BASE_FILE, prevent_base)
    prevent_addons = _load_file(path, PREVENT_ADDONS_FILE, PreventAddonsFile, sources)
    _check_prevent_addons(path / PREVENT_ADDONS_FILE, prevent_addons, prevent_base)
    findrisc = _load_file(path, FINDRISC_FILE, FindriscFile, sources)
    _check_findrisc(path / FINDRISC_FILE, findrisc)
    return RiskEquationsPack(path=path, manifest=manifest, pce=pce, prevent_base=prevent_base,
                             prevent_addons=prevent_addons, findrisc=findrisc, sources=sources)
