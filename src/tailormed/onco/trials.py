"""Trial matching: each trial checked against one tumour, criterion by criterion (met, failed, cannot be told).

Only trials whose condition covers the tumour type and at least one of whose biomarker inclusion criteria the
tumour satisfies are returned: the list is biomarker-driven. The trial format is :mod:`tailormed.model.trials`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from tailormed.errors import InputError
from tailormed.model.alterations import (
    AlterationPattern,
    HlaPattern,
    ScoredMarker,
    Signature,
    SinglePattern,
    parse_alteration,
)
from tailormed.model.onco import TrialCriterionResult, TrialMatch
from tailormed.model.trials import OPEN_STATUSES, PHASE_RANK, Trial, TumourTypeTree
from tailormed.onco.matching import TumourFacts, marker_undecided, match_pattern

# --------------------------------------------------------------------------- matching


_ELIGIBLE_ORDER = {True: 0, None: 1, False: 2}


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
    if isinstance(alternative, HlaPattern) or (isinstance(alternative, ScoredMarker) and alternative.is_ihc):
        return marker_undecided(alternative, clinical)
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
    if sex == "other":
        return TrialCriterionResult(criterion=criterion, kind="sex", met=None,
                                    detail="patient sex recorded as other: check the trial's criteria by hand")
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
        if sex not in ("female", "male", "other"):
            raise InputError(f"sex must be 'female', 'male' or 'other', not {sex!r}")
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


