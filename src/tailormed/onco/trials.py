"""Clinical trials: a structured trial format, an importer for ClinicalTrials.gov API v2 records, and matching.

``docs/onco-trials.md`` is the user-facing description. In short:

- A :class:`Trial` names its conditions as OncoTree codes (or ``SOLID``/``HEME``/``ANY``) and its biomarker
  criteria in the alteration language of :mod:`tailormed.onco.alterations`: every ``inclusion`` string must
  hold (`` | `` joins alternatives), no ``exclusion`` string may hold.
- :func:`load_trials` reads our YAML/JSON trial file (``{"trials": [...]}``) and checks every field and every
  alteration string, naming the file and the trial on error; :func:`write_trials` writes it.
- :func:`match_trials` checks each trial against one tumour and says, criterion by criterion, what was met, what
  failed and what cannot be told. Only trials whose condition covers the tumour type and at least one of whose
  biomarker inclusion criteria the tumour satisfies are returned: the list is biomarker-driven.
- :func:`import_ctgov` turns ClinicalTrials.gov API v2 study JSON into trials: conditions through a small table
  of names to OncoTree codes, biomarkers from the condition and keyword fields and, by conservative patterns,
  from the Inclusion/Exclusion sections of the eligibility text. What it cannot map it reports as warnings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Protocol, get_args

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from tailormed.errors import InputError, OutputError
from tailormed.model.common import Record
from tailormed.model.onco import TrialCriterionResult, TrialMatch
from tailormed.onco.alterations import (
    AlterationPattern,
    ScoredMarker,
    Signature,
    SinglePattern,
    parse_alteration,
)
from tailormed.onco.matching import TumourFacts, match_pattern

Phase = Literal["early 1", "1", "1/2", "2", "2/3", "3", "4"]
TrialStatus = Literal[
    "recruiting", "not_yet_recruiting", "active_not_recruiting", "enrolling_by_invitation", "suspended",
    "terminated", "completed", "withdrawn", "available", "no_longer_available", "temporarily_not_available",
    "approved_for_marketing", "withheld", "unknown",
]
Sex = Literal["all", "female", "male"]
OPEN_STATUSES = frozenset({"recruiting", "not_yet_recruiting"})
"""Statuses under which a trial can take a new patient; the others are skipped unless ``include_closed``."""
PHASE_RANK: dict[str | None, float] = {None: 0, "early 1": 0.5, "1": 1, "1/2": 1.5, "2": 2, "2/3": 2.5, "3": 3,
                                       "4": 4}
_ELIGIBLE_ORDER = {True: 0, None: 1, False: 2}
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class TumourTypeTree(Protocol):
    """What matching needs from OncoTree (:class:`tailormed.onco.oncotree.OncoTree` provides it)."""

    def is_within(self, code: str, ancestor: str) -> bool:
        """Whether ``code`` is ``ancestor`` or below it; ``SOLID``/``HEME``/``ANY`` are groups."""
        ...

    def resolve(self, code: str) -> str:
        """The canonical code; raises :class:`InputError` for an unknown one."""
        ...


# --------------------------------------------------------------------------- the format


class Trial(Record):
    """One clinical trial in TailorMed's structured format."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/:-]*$", description="Registry id, e.g. NCT01234567.")
    title: str = Field(min_length=1)
    phase: Phase | None = Field(default=None, description="'early 1', '1', '1/2', '2', '2/3', '3', '4'; None: n/a.")
    status: TrialStatus = Field(description="Overall recruitment status (ClinicalTrials.gov terms, lower case).")
    conditions: list[str] = Field(default_factory=list, description="OncoTree codes (children covered) or "
                                  "SOLID/HEME/ANY; empty: never matches on tumour type.")
    inclusion: list[str] = Field(default_factory=list, description="Alteration strings; each must hold.")
    exclusion: list[str] = Field(default_factory=list, description="Alteration strings; none may hold.")
    min_age: float | None = Field(default=None, ge=0, description="Years.")
    max_age: float | None = Field(default=None, ge=0, description="Years.")
    sex: Sex = "all"
    source: str = Field(min_length=1, description="Where the record comes from, with the date it was retrieved.")
    notes: str | None = None

    @field_validator("status", mode="before")
    @classmethod
    def _status_words(cls, value: object) -> object:
        return re.sub(r"[\s-]+", "_", value.strip().lower()) if isinstance(value, str) else value

    @field_validator("phase", mode="before")
    @classmethod
    def _phase_words(cls, value: object) -> object:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, str):
            text = value.strip().lower().replace("phase", " ").replace("_", " ")
            return re.sub(r"\s*/\s*", "/", " ".join(text.split()))
        return value

    @field_validator("conditions")
    @classmethod
    def _codes(cls, codes: list[str]) -> list[str]:
        bad = [code for code in codes if not _CODE.match(code)]
        if bad:
            raise ValueError(f"not OncoTree codes: {bad}")
        return codes

    @model_validator(mode="after")
    def _age_range(self) -> Trial:
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            raise ValueError(f"min_age {self.min_age:g} is above max_age {self.max_age:g}")
        return self


def _read_document(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read trial file ({exc.strerror})", source=str(path)) from exc
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"not valid JSON ({exc.msg})", source=str(path),
                             location=f"{exc.lineno}:{exc.colno}") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(f"not valid YAML ({getattr(exc, 'problem', exc)})", source=str(path),
                         location=f"{mark.line + 1}:{mark.column + 1}" if mark else None) from exc


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
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
            raise InputError(f"{first['msg']}{more}", source=str(path),
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
    tmp = path.with_name(f".{path.name}.partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"cannot write trial file ({exc.strerror})", source=str(path)) from exc


# --------------------------------------------------------------------------- matching


@lru_cache(maxsize=4096)
def _pattern(text: str) -> AlterationPattern:
    return parse_alteration(text)


def _compiled(trial: Trial, kind: str, number: int, text: str) -> AlterationPattern:
    try:
        return _pattern(text)
    except InputError as exc:
        raise InputError(exc.message, source=f"trial {trial.id}", location=f"{kind}.{number}") from exc


def _not_measured(alternative: SinglePattern, facts: TumourFacts) -> str | None:
    """Why the profile cannot tell whether a signature or marker holds (None: it can)."""
    clinical = facts.profile.clinical
    if isinstance(alternative, ScoredMarker):
        return None if alternative.scale in clinical.pdl1 else f"PD-L1 {alternative.scale} not reported"
    if not isinstance(alternative, Signature):
        return None  # gene-level patterns: an alteration absent from the profile counts as absent
    name = alternative.name
    her2_known = clinical.her2_ihc is not None or "HER2-positive" in facts.signatures
    known = {
        "MSI-H": clinical.msi_status is not None, "MSS": clinical.msi_status is not None,
        "dMMR": clinical.mmr_status is not None, "pMMR": clinical.mmr_status is not None,
        "TMB-H": facts.tmb is not None,
        "HER2-positive": her2_known or clinical.her2_ish is not None,
        "ER-positive": clinical.er is not None, "ER-negative": clinical.er is not None,
        "PR-positive": clinical.pr is not None,
        "HR-positive": clinical.er is not None and clinical.pr is not None,
        "HRD": clinical.hrd is not None,
    }.get(name, her2_known if name.startswith("HER2") else True)
    if known:
        return None
    what = {"MSI-H": "MSI status", "MSS": "MSI status", "dMMR": "MMR status", "pMMR": "MMR status",
            "TMB-H": "TMB (no measured value and none computed)", "HRD": "HRD status",
            "ER-positive": "ER status", "ER-negative": "ER status", "PR-positive": "PR status",
            "HR-positive": "ER/PR status"}.get(name, "HER2 status")
    return f"{what} not reported"


def _unknown_reason(pattern: AlterationPattern, facts: TumourFacts) -> str | None:
    reasons = [r for alt in pattern.alternatives if (r := _not_measured(alt, facts)) is not None]
    return "; ".join(dict.fromkeys(reasons)) or None


def _inclusion(pattern: AlterationPattern, facts: TumourFacts) -> tuple[TrialCriterionResult, bool]:
    evidence = match_pattern(pattern, facts)
    if evidence is not None and not evidence.inferred:
        return TrialCriterionResult(criterion=pattern.text, kind="inclusion", met=True,
                                    detail="met: " + ", ".join(evidence.satisfied_by)), True
    if evidence is not None:
        return TrialCriterionResult(criterion=pattern.text, kind="inclusion", met=None,
                                    detail="met only by inference: " + ", ".join(evidence.satisfied_by)
                                    + "; confirm before referral"), True
    unknown = _unknown_reason(pattern, facts)
    if unknown:
        return TrialCriterionResult(criterion=pattern.text, kind="inclusion", met=None,
                                    detail=f"cannot tell: {unknown}"), False
    return TrialCriterionResult(criterion=pattern.text, kind="inclusion", met=False,
                                detail="not met: not found in the tumour profile"), False


def _exclusion(pattern: AlterationPattern, facts: TumourFacts) -> TrialCriterionResult:
    evidence = match_pattern(pattern, facts)
    if evidence is not None and not evidence.inferred:
        return TrialCriterionResult(criterion=pattern.text, kind="exclusion", met=False,
                                    detail="excluded: the tumour has " + ", ".join(evidence.satisfied_by))
    if evidence is not None:
        return TrialCriterionResult(criterion=pattern.text, kind="exclusion", met=None,
                                    detail="possibly excluded (by inference): " + ", ".join(evidence.satisfied_by))
    unknown = _unknown_reason(pattern, facts)
    if unknown:
        return TrialCriterionResult(criterion=pattern.text, kind="exclusion", met=None,
                                    detail=f"cannot tell whether excluded: {unknown}")
    return TrialCriterionResult(criterion=pattern.text, kind="exclusion", met=True,
                                detail="not excluded: not found in the tumour profile")


def _condition(trial: Trial, tumour: str, tree: TumourTypeTree) -> TrialCriterionResult:
    criterion = "tumour type within " + (" or ".join(trial.conditions) if trial.conditions else "(none given)")
    if not trial.conditions:
        return TrialCriterionResult(criterion=criterion, kind="condition", met=False,
                                    detail="the trial names no OncoTree condition; check its conditions by hand")
    for number, code in enumerate(trial.conditions):
        try:
            resolved = tree.resolve(code)
        except InputError as exc:
            raise InputError(exc.message, source=f"trial {trial.id}", location=f"conditions.{number}") from exc
        if tree.is_within(tumour, resolved):
            return TrialCriterionResult(criterion=criterion, kind="condition", met=True,
                                        detail=f"{tumour} is within {resolved}")
    return TrialCriterionResult(criterion=criterion, kind="condition", met=False,
                                detail=f"{tumour} is not within {', '.join(trial.conditions)}")


def _age(trial: Trial, age: float | None) -> TrialCriterionResult | None:
    low, high = trial.min_age, trial.max_age
    if low is None and high is None:
        return None
    if low is not None and high is not None:
        criterion = f"age {low:g} to {high:g} years"
    else:
        criterion = f"age >= {low:g} years" if low is not None else f"age <= {high:g} years"
    if age is None:
        return TrialCriterionResult(criterion=criterion, kind="age", met=None, detail="patient age not given")
    met = (low is None or age >= low) and (high is None or age <= high)
    return TrialCriterionResult(criterion=criterion, kind="age", met=met,
                                detail=f"patient is {age:g} years" + ("" if met else ": outside the range"))


def _sex(trial: Trial, sex: str | None) -> TrialCriterionResult | None:
    if trial.sex == "all":
        return None
    criterion = f"sex: {trial.sex} only"
    if sex is None:
        return TrialCriterionResult(criterion=criterion, kind="sex", met=None, detail="patient sex not given")
    return TrialCriterionResult(criterion=criterion, kind="sex", met=sex == trial.sex, detail=f"patient is {sex}")


def _eligible(criteria: Sequence[TrialCriterionResult]) -> bool | None:
    if any(c.met is False for c in criteria):
        return False
    return None if any(c.met is None for c in criteria) else True


def match_trials(trials: Sequence[Trial], facts: TumourFacts, tree: TumourTypeTree, *, age: float | None = None,
                 sex: str | None = None, include_closed: bool = False) -> list[TrialMatch]:
    """The trials this tumour could be referred to, each with every criterion met, failed or unknown.

    A trial is listed when its condition covers the tumour type (OncoTree hierarchy, SOLID/HEME/ANY) and the
    tumour satisfies at least one of its biomarker inclusion criteria; closed trials (any status but recruiting
    and not yet recruiting) are skipped unless ``include_closed``. ``eligible`` is True when every criterion is
    met, False when one fails, None when none fails but some cannot be told (e.g. age not given, MSI not
    reported, a match made only by inference). Sorted: eligible first, then later phase, then id.
    """
    if sex is not None:
        sex = sex.strip().lower()
        if sex not in ("female", "male"):
            raise InputError(f"sex must be 'female' or 'male', not {sex!r}")
    if age is not None and age < 0:
        raise InputError(f"age must not be negative ({age:g})")
    tumour = tree.resolve(facts.profile.tumour_type)
    matches: list[TrialMatch] = []
    for trial in trials:
        is_open = trial.status in OPEN_STATUSES
        if not is_open and not include_closed:
            continue
        condition = _condition(trial, tumour, tree)
        if not condition.met:
            continue
        criteria = [condition, TrialCriterionResult(
            criterion="status: recruiting or not yet recruiting", kind="status", met=is_open,
            detail=trial.status.replace("_", " ") + ("" if is_open else ": not open to new patients"))]
        satisfied_any = False
        for number, text in enumerate(trial.inclusion):
            result, satisfied = _inclusion(_compiled(trial, "inclusion", number, text), facts)
            criteria.append(result)
            satisfied_any = satisfied_any or satisfied
        if not satisfied_any:
            continue
        criteria += [_exclusion(_compiled(trial, "exclusion", number, text), facts)
                     for number, text in enumerate(trial.exclusion)]
        criteria += [c for c in (_age(trial, age), _sex(trial, sex)) if c is not None]
        matches.append(TrialMatch(trial_id=trial.id, title=trial.title, phase=trial.phase, status=trial.status,
                                  eligible=_eligible(criteria), criteria=criteria))
    matches.sort(key=lambda m: (_ELIGIBLE_ORDER[m.eligible], -PHASE_RANK.get(m.phase, 0), m.trial_id))
    return matches


# --------------------------------------------------------------------------- ClinicalTrials.gov import

_BUILTIN_GENE_TEXT = """
ABL1 AKT1 ALK APC AR ARID1A ARID2 ASXL1 ATM ATR BAP1 BARD1 BCL2 BCR BRAF BRCA1 BRCA2 BRIP1 BTK CALR CCND1 CDH1
CDK12 CDK4 CDK6 CDKN2A CHEK1 CHEK2 CTNNB1 DDR2 DNMT3A EGFR EPCAM ERBB2 ERBB3 ERBB4 ESR1 EZH2 FANCA FBXW7 FGFR1
FGFR2 FGFR3 FGFR4 FLT3 GNA11 GNAQ HRAS IDH1 IDH2 JAK2 KDR KEAP1 KIT KMT2A KRAS MAP2K1 MDM2 MET MLH1 MPL MSH2 MSH6
MTOR MYC NF1 NF2 NOTCH1 NPM1 NRAS NRG1 NTRK1 NTRK2 NTRK3 PALB2 PDGFRA PIK3CA PIK3R1 PMS2 POLD1 POLE PTEN RAD51B
RAD51C RAD51D RAF1 RB1 RET ROS1 RUNX1 SF3B1 SMAD4 SMARCA4 SMARCB1 SRSF2 STK11 TERT TET2 TP53 TSC1 TSC2 U2AF1 VHL
"""
BUILTIN_CANCER_GENES = frozenset(_BUILTIN_GENE_TEXT.split())
"""Common cancer genes whose symbols the importer accepts (with the onco-core pack's ``genes.yaml`` when present)."""
GENE_ALIASES: dict[str, tuple[str, ...]] = {
    "HER2": ("ERBB2",), "HER-2": ("ERBB2",), "HER3": ("ERBB3",), "c-MET": ("MET",), "c-KIT": ("KIT",),
    "NTRK": ("NTRK1", "NTRK2", "NTRK3"), "NTRK1/2/3": ("NTRK1", "NTRK2", "NTRK3"),
    "NTRK1-3": ("NTRK1", "NTRK2", "NTRK3"),
}
PACK_GENES = Path(__file__).resolve().parents[1] / "kb" / "data" / "onco-core" / "genes.yaml"

CONDITION_CODES: tuple[tuple[str, str], ...] = (
    # phrase in the normalised condition name -> OncoTree code; the longest phrase found wins
    ("non small cell lung", "NSCLC"), ("nsclc", "NSCLC"), ("lung adenocarcinoma", "LUAD"),
    ("adenocarcinoma of the lung", "LUAD"), ("lung squamous cell", "LUSC"), ("squamous cell lung", "LUSC"),
    ("squamous non small cell lung", "LUSC"), ("small cell lung", "SCLC"), ("sclc", "SCLC"), ("lung cancer", "LUNG"),
    ("lung carcinoma", "LUNG"), ("lung neoplasm", "LUNG"),
    ("colorectal", "COADREAD"), ("crc", "COADREAD"), ("mcrc", "COADREAD"), ("colon cancer", "COAD"),
    ("colon adenocarcinoma", "COAD"), ("colon carcinoma", "COAD"), ("rectal cancer", "READ"),
    ("rectal adenocarcinoma", "READ"),
    ("breast", "BRCA"),
    ("melanoma", "MEL"), ("cutaneous melanoma", "SKCM"), ("uveal melanoma", "UM"),
    ("pancreatic cancer", "PANCREAS"), ("pancreatic neoplasm", "PANCREAS"), ("pancreatic adenocarcinoma", "PAAD"),
    ("pancreatic ductal adenocarcinoma", "PAAD"), ("pdac", "PAAD"),
    ("thyroid cancer", "THYROID"), ("thyroid carcinoma", "THYROID"), ("papillary thyroid", "THPA"),
    ("anaplastic thyroid", "THAP"), ("medullary thyroid", "THME"),
    ("prostate cancer", "PRAD"), ("prostate adenocarcinoma", "PRAD"), ("prostatic neoplasm", "PRAD"),
    ("crpc", "PRAD"), ("mcrpc", "PRAD"),
    ("ovarian cancer", "OVARY"), ("ovarian carcinoma", "OVARY"), ("ovarian neoplasm", "OVARY"),
    ("high grade serous", "HGSOC"),
    ("endometrial cancer", "UCEC"), ("endometrial carcinoma", "UCEC"),
    ("gastric cancer", "STAD"), ("gastric adenocarcinoma", "STAD"), ("stomach cancer", "STAD"),
    ("gastroesophageal junction", "STOMACH"), ("esophageal", "STOMACH"),
    ("cholangiocarcinoma", "CHOL"), ("biliary tract cancer", "BILIARY_TRACT"),
    ("bladder cancer", "BLCA"), ("urothelial", "BLADDER"),
    ("glioma", "BRAIN"), ("glioblastoma", "BRAIN"),
    ("head and neck squamous", "HNSC"), ("hnscc", "HNSC"), ("head and neck cancer", "HEAD_NECK"),
    ("renal cell", "RCC"), ("clear cell renal", "CCRCC"), ("hepatocellular", "HCC"),
    ("gastrointestinal stromal", "GIST"), ("gist", "GIST"),
    ("acute myeloid leukemia", "AML"), ("aml", "AML"),
    ("solid tumor", "SOLID"), ("solid neoplasm", "SOLID"), ("solid cancer", "SOLID"),
    ("solid malignancy", "SOLID"),
    ("hematologic malignancy", "HEME"), ("hematologic neoplasm", "HEME"), ("hematologic cancer", "HEME"),
)
"""Condition names (as written in ClinicalTrials.gov, normalised) to OncoTree codes; see docs/onco-trials.md."""

_NORMALISE = (
    (r"tumours?\b", "tumor"), (r"\btumors\b", "tumor"), (r"haemato", "hemato"), (r"leukaemia", "leukemia"),
    (r"oesophag", "esophag"), (r"\bhematological\b", "hematologic"), (r"\bcancers\b", "cancer"),
    (r"\bcarcinomas\b", "carcinoma"), (r"\bneoplasms\b", "neoplasm"), (r"\bmalignancies\b", "malignancy"),
    (r"\badenocarcinomas\b", "adenocarcinoma"), (r"\bgliomas\b", "glioma"),
)
_CTGOV_PHASE = {"EARLY_PHASE1": 0.5, "PHASE1": 1, "PHASE2": 2, "PHASE3": 3, "PHASE4": 4}
_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(year|month|week|day|hour|minute)s?\s*$", re.I)
_AGE_UNIT_YEARS = {"year": 1.0, "month": 1 / 12, "week": 7 / 365.25, "day": 1 / 365.25, "hour": 1 / 8766,
                   "minute": 1 / 525960}
_SECTION = re.compile(r"^\W*(?:key\s+|main\s+|general\s+)?(inclusion|exclusion)\s+criteria\b[^:]*:?\s*(.*)$", re.I)
_BULLET = re.compile(r"^\s*(?:[*\u2022\-\u2013+]|\d{1,2}[.)]|[a-z][.)])\s+")

# Biomarker phrases (conservative: a validated gene followed by an explicit alteration, or a named signature).
_EXON_ITEM = re.compile(r"(?:exon|ex)\s*(\d{1,2})\s*-?\s*(deletions?|del|insertions?|ins|skipping|skip)"
                        r"(?![A-Za-z0-9])", re.I)
_AA = "ACDEFGHIKLMNPQRSTVWY"
_PROTEIN_ITEM = re.compile(rf"(?:p\.)?\(?((?:[{_AA}]|[A-Z][a-z]{{2}})\d{{1,4}}(?:[{_AA}*X](?![a-z])|[A-Z][a-z]{{2}}|"
                           rf"fs(?:\*\d+)?|del|dup)?)\)?((?:/[{_AA}](?![A-Za-z0-9]))*)(?![A-Za-z0-9])")
_CLASS_ITEM = re.compile(r"(?:gene\s+)?(fusions?|rearrangements?|rearranged|translocations?|amplifications?|"
                         r"amplified)(?![A-Za-z0-9])", re.I)
_LEAD = re.compile(r"[\s:^-]*(?:(?:gene|genes|mutations?|mutant|mutated|alterations?|variants?|activating|"
                   r"sensiti[sz]ing)\b[\s,:(-]*)*\(?\s*", re.I)
_CONNECT = re.compile(r"\s*(?:,\s*(?:and/or|or|and)?|/|\band/or\b|\bor\b|\band\b)\s*(?:(?:an?|the)\s+)?", re.I)
_SUFFIX = re.compile(r"[\s-]*(?:mutations?|mutant|mutated|positive|alterations?|variants?)\b", re.I)
_THERAPY_AFTER = re.compile(r"^\)?[\s-]*(?:(?:tyrosine\s+kinase|small[- ]molecule)\s+)?(?:inhibitors?|TKIs?|"
                            r"targeted|targeting|directed|therap(?:y|ies)|agents?|antibod(?:y|ies)|drugs?|"
                            r"vaccines?|degraders?|blockers?)\b", re.I)
_THERAPY_BEFORE = re.compile(r"(?:\btarget(?:ing|ed)?|\binhibitors?(?:\s+of)?|\bdirected\s+(?:against|at)|"
                             r"\bagainst|\bTKIs?\s+for|\banti-?)\s*(?:the\s+|an?\s+)?$", re.I)
_NEGATION = re.compile(r"\b(?:no|not|without|negative|absence|absent|lack(?:ing|s)?|wild[- ]?type|excluding|"
                       r"except|other than|unless|excluded|ineligible)\b", re.I)
_NEGATION_AFTER = re.compile(r"^\)?[\s-]*(?:mutations?\s+|status\s+)?(?:negative|not\s+detected|absent|"
                             r"wild[- ]?type)\b", re.I)
_PRIOR = re.compile(r"\b(?:prior|previous(?:ly)?|received|progress(?:ed|ion)\s+on)\b", re.I)
_SIGNATURES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("MSI-H", re.compile(r"\bMSI[- ]?H(?:igh)?\b|microsatellite[- ]instability[- ]high\b|"
                         r"high[- ](?:level\s+)?microsatellite[- ]instability", re.I)),
    ("dMMR", re.compile(r"\bdMMR\b|\bMMR[- ]deficien(?:t|cy)|mismatch[- ]repair[- ]deficien(?:t|cy)|"
                        r"deficien(?:t|cy)\s+(?:in\s+)?(?:DNA\s+)?mismatch[- ]repair", re.I)),
    ("MSS", re.compile(r"\bMSS\b|microsatellite[- ]stable", re.I)),
    ("pMMR", re.compile(r"\bpMMR\b|mismatch[- ]repair[- ]proficient|proficient\s+mismatch[- ]repair", re.I)),
    ("TMB-H", re.compile(r"\bTMB[- ]?H(?:igh)?\b|\bhigh\s+(?:tumou?r\s+)?mutational\s+burden|"
                         r"tumou?r\s+mutational\s+burden[- ]high", re.I)),
    ("HER2-positive", re.compile(r"\bHER-?2[- ]?(?:positive|\+)(?![A-Za-z0-9])", re.I)),
)
_TMB_THRESHOLD = re.compile(r"(?:\bTMB\b|tumou?r\s+mutational\s+burden)(?:\s*\(TMB\))?\s*(?:of\s+)?"
                            r"(≥|>=|≧|>|greater\s+than\s+or\s+equal\s+to|at\s+least)\s*(\d+(?:\.\d+)?)", re.I)


def known_gene_symbols() -> frozenset[str]:
    """The built-in cancer genes plus the genes of the onco-core pack's ``genes.yaml`` (when present)."""
    genes = set(BUILTIN_CANCER_GENES)
    if PACK_GENES.is_file():
        try:
            data = yaml.safe_load(PACK_GENES.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            data = {}
        if isinstance(data, dict) and isinstance(data.get("genes"), dict):
            genes |= {str(g) for g in data["genes"]}
    return frozenset(genes)


@dataclass(frozen=True)
class FoundBiomarker:
    """An alteration string found in a piece of registry text, with where it was and why it may be unusable."""

    alteration: str
    start: int
    end: int
    problem: str | None = None


class BiomarkerExtractor:
    """Finds biomarkers written in registry free text, for validated gene symbols only."""

    def __init__(self, genes: Iterable[str]):
        self.genes = frozenset(genes)
        symbols = {g for g in self.genes if re.fullmatch(r"[A-Z0-9][A-Z0-9-]*", g)} | set(GENE_ALIASES)
        alternation = "|".join(re.escape(s) for s in sorted(symbols, key=len, reverse=True))
        one = rf"(?<![A-Za-z0-9-])(?:{alternation})(?:(?![A-Za-z0-9])|(?=[A-Z]\d))"
        self._one = re.compile(one)
        self._list = re.compile(rf"{one}(?:\s*(?:,|/|\band/or\b|\bor\b|\band\b)\s*{one})*")

    def _genes(self, text: str) -> list[str]:
        found: list[str] = []
        for token in self._one.findall(text):
            found += GENE_ALIASES.get(token, (token,))
        return list(dict.fromkeys(found))

    def _items(self, text: str, pos: int, genes: list[str]) -> tuple[list[str], int, str | None]:
        """Alterations written after a gene (list) from ``pos``; returns them, the end, and a problem if any."""
        found: list[str] = []
        problem = None
        lead = _LEAD.match(text, pos)
        cursor = lead.end() if lead else pos
        end = pos
        while True:
            if (exon := _EXON_ITEM.match(text, cursor)) is not None:
                kind = exon[2].lower()
                word = "deletion" if kind.startswith("del") else "insertion" if kind.startswith("ins") else "skipping"
                if len(genes) == 1:
                    found.append(f"{genes[0]} exon {int(exon[1])} {word}")
                else:
                    problem = "exon change written after several genes"
                end = exon.end()
            elif (protein := _PROTEIN_ITEM.match(text, cursor)) is not None:
                if len(genes) == 1:
                    change = protein[1]
                    found.append(f"{genes[0]} {change}")
                    codon = re.match(r"^([A-Z](?:[a-z]{2})?\d+)", change)
                    for extra in (protein[2] or "").split("/")[1:]:
                        if codon:
                            found.append(f"{genes[0]} {codon[1]}{extra}")
                else:
                    problem = "protein change written after several genes"
                end = protein.end()
            elif (klass := _CLASS_ITEM.match(text, cursor)) is not None:
                word = klass[1].lower()
                kind = ("fusion" if word.startswith("fusion") else "amplification" if word.startswith("amplif")
                        else "rearrangement")
                found += [f"{gene} {kind}" for gene in genes]
                end = klass.end()
            else:
                break
            connector = _CONNECT.match(text, end)
            if connector is None or connector.end() == end:
                break
            cursor = connector.end()
        suffix = _SUFFIX.match(text, end)
        return found, suffix.end() if suffix else end, problem

    def find(self, text: str) -> tuple[list[FoundBiomarker], list[str]]:
        """Biomarkers in ``text`` and the validated genes it names without a recognised alteration."""
        found: list[FoundBiomarker] = []
        bare_genes: list[str] = []
        for mention in self._list.finditer(text):
            genes = self._genes(mention.group())
            alterations, end, problem = self._items(text, mention.end(), genes)
            if not alterations:
                bare_genes += genes
                continue
            for alteration in alterations:
                found.append(FoundBiomarker(alteration, mention.start(), end, problem))
        for name, pattern in _SIGNATURES:
            found += [FoundBiomarker(name, m.start(), m.end()) for m in pattern.finditer(text)]
        for match in _TMB_THRESHOLD.finditer(text):
            operator, value = match[1], float(match[2])
            ok = value == 10 and operator != ">"
            found.append(FoundBiomarker("TMB-H", match.start(), match.end(), None if ok else
                                        f"TMB threshold {operator} {value:g} differs from TMB-H (>= 10 mut/Mb)"))
        found.sort(key=lambda f: f.start)
        return found, list(dict.fromkeys(bare_genes))


def _check_context(line: str, item: FoundBiomarker, section: str) -> str | None:
    """Why a biomarker found in an eligibility line should not be imported (None: import it)."""
    if item.problem:
        return item.problem
    before = re.split(r"[;.](?:\s|$)", line[:item.start])[-1]
    after = line[item.end:]
    if _THERAPY_AFTER.match(after) or _THERAPY_BEFORE.search(before[-30:]):
        return "names a therapy, not a tumour biomarker"
    if re.search(r"\bnon[- ]?$", before, re.I) or _NEGATION.search(before[-60:]) or _NEGATION_AFTER.match(after):
        return "negated"
    if section == "exclusion" and _PRIOR.search(before[-60:]):
        return "refers to prior treatment"
    return None


def _normalise_condition(name: str) -> str:
    text = name.lower()
    for pattern, replacement in _NORMALISE:
        text = re.sub(pattern, replacement, text)
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def map_condition(name: str) -> list[str]:
    """OncoTree codes for a ClinicalTrials.gov condition name by :data:`CONDITION_CODES` (empty: not mapped)."""
    text = f" {_normalise_condition(name)} "
    taken = [False] * len(text)
    codes: list[str] = []
    for phrase, code in sorted(CONDITION_CODES, key=lambda pc: len(pc[0]), reverse=True):
        for match in re.finditer(rf"(?<=[ ]){re.escape(phrase)}(?=[ ])", text):
            if any(taken[match.start():match.end()]):
                continue
            taken[match.start():match.end()] = [True] * (match.end() - match.start())
            codes.append(code)
    return list(dict.fromkeys(codes))


def _age_years(text: object, what: str, warn: list[str], nct: str) -> float | None:
    if text is None or (isinstance(text, str) and text.strip().upper() in ("", "N/A", "NA")):
        return None
    match = _AGE.match(str(text))
    if match is None:
        warn.append(f"{nct}: {what} {text!r} not understood; left empty")
        return None
    return round(float(match[1]) * _AGE_UNIT_YEARS[match[2].lower()], 2)


def _phase(phases: object) -> Phase | None:
    if not isinstance(phases, list):
        return None
    ranks = sorted({_CTGOV_PHASE[p] for p in phases if p in _CTGOV_PHASE})
    if not ranks:
        return None
    if ranks == [0.5]:
        return "early 1"
    whole = [int(r) for r in ranks if r >= 1]
    label = "/".join(str(r) for r in whole) if len(whole) > 1 else str(whole[0])
    for phase in get_args(Phase):
        if phase == label:
            return phase  # type: ignore[no-any-return]
    return str(whole[-1])  # type: ignore[return-value]


def _eligibility_lines(text: str) -> list[tuple[str, int, str]]:
    """(section, line number, line without bullet) for each non-empty line; section 'preamble' before a header."""
    section = "preamble"
    lines = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        header = _SECTION.match(line) if len(line) < 120 else None
        if header:
            section = header[1].lower()
            line = header[2].strip()
        line = _BULLET.sub("", line).strip()
        if line:
            lines.append((section, number, line))
    return lines


def _read_studies(path: Path) -> list[tuple[str, dict[str, Any]]]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror})", source=str(path)) from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg})", source=str(path), location=f"{exc.lineno}:{exc.colno}") \
            from exc
    if isinstance(data, dict) and isinstance(data.get("studies"), list):
        items = [(f"studies.{i}", s) for i, s in enumerate(data["studies"])]
    elif isinstance(data, list):
        items = [(f"[{i}]", s) for i, s in enumerate(data)]
    elif isinstance(data, dict) and "protocolSection" in data:
        items = [("study", data)]
    elif isinstance(data, dict) and ("FullStudiesResponse" in data or "FullStudy" in data):
        raise InputError("this is the retired classic API format; save study records from the API v2 "
                         "(https://clinicaltrials.gov/api/v2/studies/NCT...)", source=str(path))
    else:
        raise InputError("not ClinicalTrials.gov API v2 study JSON: expected a study with 'protocolSection' or "
                         "{'studies': [...]}", source=str(path))
    for location, study in items:
        if not isinstance(study, dict) or not isinstance(study.get("protocolSection"), dict):
            raise InputError("study has no 'protocolSection'", source=str(path), location=location)
    return items


def _module(section: dict[str, Any], name: str) -> dict[str, Any]:
    module = section.get(name)
    return module if isinstance(module, dict) else {}


def _strings(value: object) -> list[str]:
    return [str(v) for v in value if isinstance(v, str) and v.strip()] if isinstance(value, list) else []


def _study_to_trial(study: dict[str, Any], path: Path, location: str, extractor: BiomarkerExtractor,
                    retrieved: str | None, tree: TumourTypeTree | None) -> tuple[Trial, list[str]]:
    protocol = study["protocolSection"]
    identification = _module(protocol, "identificationModule")
    nct = identification.get("nctId")
    if not isinstance(nct, str) or not nct.strip():
        raise InputError("study has no protocolSection.identificationModule.nctId", source=str(path),
                         location=location)
    warn: list[str] = []
    status_module = _module(protocol, "statusModule")
    status = str(status_module.get("overallStatus") or "UNKNOWN").lower()
    if status not in get_args(TrialStatus):
        warn.append(f"{nct}: overall status {status_module.get('overallStatus')!r} not recognised; set to unknown")
        status = "unknown"
    design = _module(protocol, "designModule")
    conditions_module = _module(protocol, "conditionsModule")
    eligibility = _module(protocol, "eligibilityModule")

    inclusion: dict[str, str] = {}
    exclusion: dict[str, str] = {}
    bare: list[str] = []

    def take(text: str, section: str, where: str) -> None:
        found, genes = extractor.find(text)
        bare.extend(genes)
        for item in found:
            problem = _check_context(text, item, section)
            if problem:
                warn.append(f"{nct}: {where}: {item.alteration!r} not imported ({problem}): {text[:160]!r}")
            elif section == "exclusion":
                exclusion.setdefault(item.alteration, where)
            elif section == "inclusion":
                inclusion.setdefault(item.alteration, where)
            else:
                warn.append(f"{nct}: {where}: {item.alteration!r} outside the Inclusion/Exclusion sections; "
                            "not imported")

    codes: list[str] = []
    unmapped: list[str] = []
    for name in _strings(conditions_module.get("conditions")):
        mapped = map_condition(name)
        codes += mapped
        before = len(inclusion) + len(warn)
        take(name, "inclusion", "condition")
        if not mapped and len(inclusion) + len(warn) == before:
            unmapped.append(name)
    for keyword in _strings(conditions_module.get("keywords")):
        take(keyword, "inclusion", "keyword")
    for section, number, line in _eligibility_lines(str(eligibility.get("eligibilityCriteria") or "")):
        take(line, section, f"eligibility line {number} ({section})")

    if tree is not None:
        for code in list(codes):
            try:
                tree.resolve(code)
            except InputError:
                codes.remove(code)
                warn.append(f"{nct}: condition code {code} is not in the OncoTree in use; dropped")
    codes = list(dict.fromkeys(codes))
    if unmapped:
        warn.append(f"{nct}: condition(s) not mapped to OncoTree: {', '.join(repr(c) for c in unmapped)}")
    if not codes:
        warn.append(f"{nct}: no condition mapped to an OncoTree code; kept with conditions [] (it never matches "
                    "on tumour type): add codes by hand")

    for alteration in [a for a in inclusion if a in exclusion]:
        del inclusion[alteration]
        warn.append(f"{nct}: {alteration!r} found in both inclusion and exclusion text; kept as exclusion only")
    for kind, found in (("inclusion", inclusion), ("exclusion", exclusion)):
        for alteration in list(found):
            try:
                parse_alteration(alteration)
            except InputError as exc:
                del found[alteration]
                warn.append(f"{nct}: {kind} biomarker {alteration!r} not imported ({exc.message})")
    if len(inclusion) > 1:
        warn.append(f"{nct}: {len(inclusion)} inclusion biomarkers joined as alternatives (any one qualifies): "
                    f"{' | '.join(inclusion)}; edit the file if the trial needs them together or per cohort")
    if not inclusion:
        warn.append(f"{nct}: no biomarker inclusion criterion recognised; the trial will not be listed by matching")
    named = {g for g in bare if g not in {a.split()[0] for a in (*inclusion, *exclusion)}}
    if "HER2-positive" in inclusion or "HER2-positive" in exclusion:
        named.discard("ERBB2")
    if named:
        warn.append(f"{nct}: gene(s) named without a recognised alteration: {', '.join(sorted(named))} "
                    "(check the eligibility text by hand)")

    sex = str(eligibility.get("sex") or "ALL").lower()
    if sex not in get_args(Sex):
        warn.append(f"{nct}: sex {eligibility.get('sex')!r} not recognised; set to all")
        sex = "all"
    min_age = _age_years(eligibility.get("minimumAge"), "minimum age", warn, nct)
    max_age = _age_years(eligibility.get("maximumAge"), "maximum age", warn, nct)
    when = f"retrieved {retrieved}" if retrieved else f"file dated {date.fromtimestamp(path.stat().st_mtime)}"
    updated = _module(status_module, "lastUpdatePostDateStruct").get("date")
    source = (f"ClinicalTrials.gov API v2 record {nct} (https://clinicaltrials.gov/study/{nct}), {when}"
              + (f", record last updated {updated}" if updated else ""))
    notes = ("Imported by tailormed onco trials-import: conditions and biomarker criteria were extracted "
             "automatically from the registry record; read the full eligibility criteria before referral.")
    if design.get("studyType") and design.get("studyType") != "INTERVENTIONAL":
        notes += f" Study type: {str(design['studyType']).lower().replace('_', ' ')}."
    title = identification.get("briefTitle") or identification.get("officialTitle") or nct
    trial = Trial.model_validate({
        "id": nct.strip(), "title": str(title), "phase": _phase(design.get("phases")), "status": status,
        "conditions": codes, "inclusion": [" | ".join(inclusion)] if inclusion else [], "exclusion": list(exclusion),
        "min_age": min_age, "max_age": max_age, "sex": sex, "source": source, "notes": notes})
    return trial, warn


def import_ctgov(paths: Sequence[Path], *, retrieved: str | None = None, tree: TumourTypeTree | None = None,
                 genes: Iterable[str] | None = None) -> tuple[list[Trial], list[str]]:
    """Trials from ClinicalTrials.gov API v2 study JSON files, and warnings about what could not be mapped.

    Each file holds one study (``/api/v2/studies/NCT...``) or ``{"studies": [...]}`` (``/api/v2/studies``).
    ``retrieved`` (YYYY-MM-DD) goes into each trial's ``source``; without it the file's date is used. With
    ``tree``, mapped condition codes absent from that OncoTree are dropped with a warning. ``genes`` replaces the
    gene symbols accepted in free text (default: :func:`known_gene_symbols`). A study whose id was already
    imported is skipped with a warning.
    """
    if retrieved is not None:
        try:
            date.fromisoformat(retrieved)
        except ValueError as exc:
            raise InputError(f"retrieved date must be YYYY-MM-DD, not {retrieved!r}") from exc
    extractor = BiomarkerExtractor(known_gene_symbols() if genes is None else genes)
    trials: list[Trial] = []
    warnings: list[str] = []
    seen: set[str] = set()
    for path in paths:
        path = Path(path)
        for location, study in _read_studies(path):
            trial, trial_warnings = _study_to_trial(study, path, location, extractor, retrieved, tree)
            if trial.id in seen:
                warnings.append(f"{trial.id}: also in {path.name} ({location}); the first copy is kept")
                continue
            seen.add(trial.id)
            trials.append(trial)
            warnings += trial_warnings
    return trials, warnings
