"""A new-user cohort from OMOP CDM rows: who started the exposure, when, and what happened next.

Pure: it receives the rows the reader fetched (pandas DataFrames with lower-case OMOP column names) and returns
one row per person. The design (Ray, Am J Epidemiol 2003;158:915-920; the OHDSI "new user" cohort):

* **index date**: the first exposure to the ingredient or any of its descendants;
* **washout**: at least ``washout_days`` of observation before the index date, with no earlier exposure (the
  first exposure in the data after that much observation is taken as a new use);
* **comparator**: new users of a comparator ingredient (an active comparator: persons exposed to both are left
  out), or, without one, persons never exposed, indexed at a date drawn at random (fixed seed) from their
  observation time after the washout;
* **outcome window**: from the day after the index date to ``window_days`` later; follow-up ends at the first
  outcome, the end of the observation period, or the end of the window (censored);
* **covariates** at the index date: age, sex, race concept, a history of the outcome, and a history flag per
  extra condition set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tailormed.errors import InputError

FEMALE_CONCEPT = 8532
RACE_NAMES = {8527: "White", 8516: "Black or African American", 8515: "Asian", 8657: "American Indian or Alaska Native",
              8557: "Native Hawaiian or Other Pacific Islander", 0: "No matching concept"}


@dataclass
class NewUserCohort:
    """One row per person (``frame``) and the attrition counts of each step."""

    frame: Any
    attrition: dict[str, int] = field(default_factory=dict)


def _first(starts: Any) -> Any:
    return starts.groupby("person_id")["start_date"].min()


def build_new_user_cohort(*, persons: Any, periods: Any, exposure: Any, outcomes: Any, comparator: Any | None = None,
                          history: Mapping[str, Any] | None = None, washout_days: int = 365,
                          window_days: int = 365, seed: int = 0, exposure_label: str = "exposed",
                          comparator_label: str = "comparator") -> NewUserCohort:
    """Build the cohort (see the module docstring). Dates may be ``date`` or ``datetime`` values."""
    import pandas as pd

    if washout_days < 0 or window_days <= 0:
        raise InputError("--washout-days must be 0 or more and --window-days more than 0")
    periods = periods.assign(start_date=pd.to_datetime(periods["start_date"]),
                             end_date=pd.to_datetime(periods["end_date"]))
    exposure = exposure.assign(start_date=pd.to_datetime(exposure["start_date"]))
    outcomes = outcomes.assign(start_date=pd.to_datetime(outcomes["start_date"]))
    attrition: dict[str, int] = {"persons": int(persons["person_id"].nunique())}
    first_exposure = _first(exposure)
    attrition["exposed"] = len(first_exposure)
    if not len(first_exposure):
        raise InputError("no person in the database was exposed to the ingredient or its descendants")
    rows = [pd.DataFrame({"person_id": first_exposure.index, "index_date": first_exposure.to_numpy(), "treated": 1})]
    if comparator is not None:
        comparator = comparator.assign(start_date=pd.to_datetime(comparator["start_date"]))
        first_comparator = _first(comparator)
        both = first_exposure.index.intersection(first_comparator.index)
        attrition["comparator_exposed"] = len(first_comparator)
        attrition["exposed_to_both_left_out"] = len(both)
        rows[0] = rows[0][~rows[0]["person_id"].isin(both)]
        first_comparator = first_comparator.drop(both)
        rows.append(pd.DataFrame({"person_id": first_comparator.index, "index_date": first_comparator.to_numpy(),
                                  "treated": 0}))
    else:
        rows.append(_random_index(periods, exclude=set(first_exposure.index), washout_days=washout_days,
                                  window_days=window_days, seed=seed))
    cohort = pd.concat(rows, ignore_index=True)
    # The observation period that holds the index date, with the washout before it.
    joined = cohort.merge(periods, on="person_id", how="inner")
    holds = (joined["start_date"] <= joined["index_date"] - pd.Timedelta(days=washout_days)) & \
            (joined["index_date"] <= joined["end_date"])
    joined = joined[holds].drop_duplicates("person_id")
    attrition["without_washout_left_out"] = int(len(cohort) - len(joined))
    cohort = joined.rename(columns={"end_date": "observation_end"}).drop(columns=["start_date"])
    # Follow-up: first outcome after the index date, within the window.
    window_end = cohort["index_date"] + pd.Timedelta(days=window_days)
    after = outcomes.merge(cohort[["person_id", "index_date"]], on="person_id")
    after = after[(after["start_date"] > after["index_date"])]
    first_after = after.groupby("person_id")["start_date"].min()
    outcome_date = cohort["person_id"].map(first_after)
    stop = pd.concat([cohort["observation_end"], window_end], axis=1).min(axis=1)
    event = outcome_date.notna() & (outcome_date <= stop)
    end = outcome_date.where(event, stop)
    cohort["time"] = (end - cohort["index_date"]).dt.days.astype(float)
    cohort["event"] = event.astype(int)
    cohort = cohort[cohort["time"] > 0]
    before = outcomes.merge(cohort[["person_id", "index_date"]], on="person_id")
    prior = set(before.loc[before["start_date"] <= before["index_date"], "person_id"])
    cohort["prior_outcome"] = cohort["person_id"].isin(prior).astype(int)
    for name, starts in (history or {}).items():
        starts = starts.assign(start_date=pd.to_datetime(starts["start_date"]))
        hist = starts.merge(cohort[["person_id", "index_date"]], on="person_id")
        had = set(hist.loc[hist["start_date"] <= hist["index_date"], "person_id"])
        cohort[f"history_{name}"] = cohort["person_id"].isin(had).astype(int)
    people = persons.drop_duplicates("person_id").set_index("person_id")
    cohort = cohort[cohort["person_id"].isin(people.index)]
    cohort["age"] = cohort["index_date"].dt.year - cohort["person_id"].map(people["year_of_birth"]).astype(float)
    cohort["female"] = (cohort["person_id"].map(people["gender_concept_id"]) == FEMALE_CONCEPT).astype(int)
    race = cohort["person_id"].map(people["race_concept_id"]).fillna(0).astype(int)
    cohort["race"] = race.map(lambda r: RACE_NAMES.get(int(r), f"concept {int(r)}"))
    cohort["exposure"] = np.where(cohort["treated"] == 1, exposure_label, comparator_label)
    attrition["cohort"] = len(cohort)
    attrition["cohort_exposed"] = int(cohort["treated"].sum())
    attrition["events"] = int(cohort["event"].sum())
    columns = ["person_id", "exposure", "treated", "index_date", "time", "event", "age", "female", "race",
               "prior_outcome", *[c for c in cohort.columns if c.startswith("history_")]]
    return NewUserCohort(frame=cohort[columns].sort_values("person_id").reset_index(drop=True), attrition=attrition)


def _random_index(periods: Any, *, exclude: set[Any], washout_days: int, window_days: int, seed: int) -> Any:
    """Non-users indexed at a random day of an observation period after the washout (fixed seed)."""
    import pandas as pd

    pool = periods[~periods["person_id"].isin(exclude)].copy()
    pool["first"] = pool["start_date"] + pd.Timedelta(days=washout_days)
    pool = pool[pool["first"] < pool["end_date"]].sort_values(["person_id", "start_date"]).drop_duplicates("person_id")
    rng = np.random.default_rng(seed)
    span = (pool["end_date"] - pool["first"]).dt.days.to_numpy()
    offset = np.floor(rng.random(len(pool)) * span).astype(int)
    index = pool["first"] + pd.to_timedelta(offset, unit="D")
    return pd.DataFrame({"person_id": pool["person_id"].to_numpy(), "index_date": index.to_numpy(), "treated": 0})
