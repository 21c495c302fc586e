"""Planted effect modification on the mini All of Us: bias and 95% CI coverage of CYP2C19 x clopidogrel.

The mini All of Us (``mini_all_of_us.py``: Eunomia persons and observation periods, a 1000 Genomes genome per
person) is called for CYP2C19 once with the PGx pipeline. Each replicate then simulates, for every person with at
least 365 days of prior observation:

* an index date drawn in the observation period, and a new use of clopidogrel or of the comparator (aspirin),
  assigned with confounding: older persons and those with a recorded coronary arteriosclerosis (real Eunomia
  history) are more likely to get clopidogrel;
* a myocardial infarction time whose hazard rises with age and coronary history (the same confounders), with
  clopidogrel HR 0.75 for normal metabolizers and, on clopidogrel only, a further HR of 1.55 for intermediate and
  1.76 for poor metabolizers (the planted effect modification, taken from Mega et al., JAMA 2010;304:1821-1830:
  HR 1.55 for carriers of one and 1.76 for carriers of two reduced-function alleles, 1.57 for any carrier);
* censoring at the end of observation or of the 730-day window.

The drug exposures and outcome conditions are written as an OMOP CDM (Parquet folder, in a temporary folder) and
read back by ``tailormed cohort omop``'s own steps (OMOP reader, new-user cohort, genome join, Cox interaction
model in the effects engine, causal forest off). Reported per planted level: the mean estimated log ratio of
hazard ratios, its bias (target |bias| < 10% of the planted log-HR) and the 95% CI coverage (target 0.93-0.97).

    .venv/bin/python benchmarks/cohort_planted_effect.py --replicates 100
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import mini_all_of_us as mini  # noqa: E402

PLANTED = {"Intermediate Metabolizer": 1.55, "Poor Metabolizer": 1.76}
MEGA_2010 = {"Intermediate Metabolizer": "1.55 (1.11-2.17), one reduced-function allele",
             "Poor Metabolizer": "1.76 (1.24-2.50), two reduced-function alleles"}
MEGA_CARRIERS = "1.57 (1.13-2.16), any carrier"
CLOPIDOGREL_HR = 0.75
WINDOW, WASHOUT = 730, 365


def static_tables(base: Path, folder: Path) -> dict[str, object]:
    """Persons, observation periods, concept tables (written once) and the inputs the simulation needs."""
    import duckdb

    con = duckdb.connect(str(base), read_only=True)
    for table in ("person", "observation_period", "concept_ancestor"):
        con.execute(f"COPY (SELECT * FROM {table}) TO '{folder / table}.parquet' (FORMAT parquet)")
    con.execute(f"COPY (SELECT * FROM measurement LIMIT 0) TO '{folder}/measurement.parquet' (FORMAT parquet)")
    con.execute(f"COPY (SELECT * FROM concept WHERE concept_id IN ({mini.CLOPIDOGREL}, {mini.ASPIRIN}, "
                f"{mini.MYOCARDIAL_INFARCTION}, {mini.CORONARY_ARTERIOSCLEROSIS})) TO '{folder}/concept.parquet' "
                "(FORMAT parquet)")
    persons = con.execute("SELECT person_id, year_of_birth, gender_concept_id FROM person ORDER BY person_id").df()
    periods = con.execute("SELECT person_id, min(observation_period_start_date) AS start_date, "
                          "max(observation_period_end_date) AS end_date FROM observation_period GROUP BY person_id "
                          "ORDER BY person_id").df()
    cad = con.execute("SELECT person_id, condition_start_date AS start_date, condition_concept_id, "
                      "condition_occurrence_id FROM condition_occurrence WHERE condition_concept_id = ?",
                      [mini.CORONARY_ARTERIOSCLEROSIS]).df()
    con.close()
    return {name: frame.rename(columns=str.lower) for name, frame in
            (("persons", persons), ("periods", periods), ("cad", cad))}


def simulate(tables: dict[str, object], phenotype_of: dict[int, str], rng: np.random.Generator,
             folder: Path) -> dict[str, int]:
    """Write one replicate's drug_exposure and condition_occurrence; return counts."""
    import pandas as pd

    persons = tables["persons"].merge(tables["periods"], on="person_id")  # type: ignore[attr-defined]
    persons["start_date"] = pd.to_datetime(persons["start_date"])
    persons["end_date"] = pd.to_datetime(persons["end_date"])
    earliest = persons["start_date"] + pd.Timedelta(days=WASHOUT)
    span = (persons["end_date"] - earliest).dt.days.to_numpy()
    ok = span > 30
    persons, earliest, span = persons[ok].reset_index(drop=True), earliest[ok].reset_index(drop=True), span[ok]
    index = earliest + pd.to_timedelta(np.floor(rng.random(len(persons)) * (span - 1)).astype(int), unit="D")
    cad = tables["cad"]
    first_cad = cad.assign(start_date=pd.to_datetime(cad["start_date"])).groupby("person_id")["start_date"].min()  # type: ignore[attr-defined]
    had_cad = (persons["person_id"].map(first_cad) <= index).fillna(False).to_numpy().astype(float)
    age = (index.dt.year - persons["year_of_birth"]).to_numpy(dtype=float)
    female = (persons["gender_concept_id"] == 8532).to_numpy().astype(float)
    logit = 0.0 + 0.03 * (age - 50) + 1.5 * had_cad + 0.2 * female
    treated = rng.random(len(persons)) < 1 / (1 + np.exp(-logit))
    phen = persons["person_id"].map(lambda p: phenotype_of.get(int(p), "")).to_numpy()
    log_hr = 0.02 * (age - 50) + 0.8 * had_cad - 0.2 * female + math.log(CLOPIDOGREL_HR) * treated
    for level, hr in PLANTED.items():
        log_hr = log_hr + math.log(hr) * treated * (phen == level)
    hazard = 0.001 * np.exp(log_hr)  # per day: about 45% with an infarction within the window
    event_time = np.ceil(rng.exponential(1 / hazard)).astype(int)
    follow = np.minimum(WINDOW, (persons["end_date"] - index).dt.days.to_numpy())
    event = (event_time >= 1) & (event_time <= follow)
    drug = pd.DataFrame({"drug_exposure_id": np.arange(len(persons)), "person_id": persons["person_id"],
                         "drug_concept_id": np.where(treated, mini.CLOPIDOGREL, mini.ASPIRIN),
                         "drug_exposure_start_date": index.dt.date})
    outcome = pd.DataFrame({"condition_occurrence_id": np.arange(int(event.sum())) + 10_000_000,
                            "person_id": persons["person_id"][event].to_numpy(),
                            "condition_concept_id": mini.MYOCARDIAL_INFARCTION,
                            "condition_start_date": (index[event] + pd.to_timedelta(event_time[event], unit="D"))
                            .dt.date.to_numpy()})
    history = cad.rename(columns={"start_date": "condition_start_date"})[list(outcome.columns)]  # type: ignore[attr-defined]
    drug.to_parquet(folder / "drug_exposure.parquet")
    pd.concat([outcome, history], ignore_index=True).to_parquet(folder / "condition_occurrence.parquet")
    return {"persons": len(persons), "treated": int(treated.sum()), "events": int(event.sum())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    why = mini.missing_inputs()
    if why:
        sys.exit(f"cannot build the mini All of Us: {why}")
    from tailormed.cohort.effects import EffectsSettings, estimate_effects, prepare_table
    from tailormed.io.omop import OmopDatabase
    from tailormed.kb.pack import load_knowledge_base
    from tailormed.pipelines.cohort_omop import (
        attach_genomes,
        build_omop_table,
        modifier_level,
        phenotypes_by_sample,
        read_person_map,
    )

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as work:
        root = Path(work)
        aou = mini.build(root / "mini")
        mapping = read_person_map(aou.person_map)
        kb = load_knowledge_base("pgx-core")
        calls = phenotypes_by_sample(aou.genomes, kb, sorted(set(mapping.values())), ["CYP2C19"], True)
        phenotype_of = {p: modifier_level(calls[s]["CYP2C19"]) for p, s in mapping.items()}
        folder = root / "cdm"
        folder.mkdir()
        tables = static_tables(aou.cdm, folder)
        print(f"mini All of Us: {aou.persons} persons, {len(set(mapping.values()))} distinct genomes; phenotypes: "
              + ", ".join(f"{k} {v}" for k, v in sorted(_count(phenotype_of.values()).items())))
        settings = EffectsSettings(forest=False, placebo=False, seed=args.seed)
        estimates: dict[str, list[tuple[float, float, float]]] = {level: [] for level in PLANTED}
        sizes = []
        for r in range(args.replicates):
            rng = np.random.default_rng(args.seed * 100_003 + r)
            sizes.append(simulate(tables, phenotype_of, rng, folder))
            with OmopDatabase(str(folder)) as db:
                cohort, exposure, _ = build_omop_table(db, exposure=str(mini.CLOPIDOGREL), outcomes=[
                    str(mini.MYOCARDIAL_INFARCTION)], comparator=str(mini.ASPIRIN),
                    history=[str(mini.CORONARY_ARTERIOSCLEROSIS)], washout_days=WASHOUT, window_days=WINDOW,
                    seed=args.seed)
            frame, _ = attach_genomes(cohort, mapping, calls, ["CYP2C19"])
            table = prepare_table(frame, treatment="exposure", outcome="time", event="event",
                                  horizon_days=float(WINDOW), treated_value=exposure,
                                  covariates=["age", "female", "race", "prior_outcome",
                                              f"history_{mini.CORONARY_ARTERIOSCLEROSIS}"],
                                  modifiers=["CYP2C19 phenotype"])
            result = estimate_effects(table, settings)
            for m in result.modifiers:
                if m.level in PLANTED and m.ratio_vs_reference is not None:
                    q = m.ratio_vs_reference
                    estimates[m.level].append((math.log(q.estimate), math.log(q.ci_low), math.log(q.ci_high)))
            if (r + 1) % 10 == 0:
                print(f"  {r + 1} replicates, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    elapsed = time.perf_counter() - started
    print(f"\n{args.replicates} replicates in {elapsed:.0f} s; per replicate: "
          f"{np.mean([s['persons'] for s in sizes]):.0f} persons, "
          f"{np.mean([s['treated'] for s in sizes]):.0f} on clopidogrel, "
          f"{np.mean([s['events'] for s in sizes]):.0f} infarctions")
    print("\n| level (vs normal metabolizer) | planted HR ratio | estimates | mean estimate | bias (log) | "
          "bias / planted log-HR | 95% CI coverage | Mega et al. 2010 |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for level, hr in PLANTED.items():
        rows = np.array(estimates[level])
        if not len(rows):
            print(f"| {level} | {hr} | 0 | - | - | - | - | {MEGA_2010[level]} |")
            continue
        truth = math.log(hr)
        bias = float(rows[:, 0].mean() - truth)
        mc_se = float(rows[:, 0].std(ddof=1) / math.sqrt(len(rows))) if len(rows) > 1 else float("nan")
        covered = float(np.mean((rows[:, 1] <= truth) & (truth <= rows[:, 2])))
        print(f"| {level} | {hr} | {len(rows)} | {math.exp(rows[:, 0].mean()):.3f} | {bias:+.3f} (MC SE {mc_se:.3f}) "
              f"| {bias / truth:+.1%} | {covered:.2f} | {MEGA_2010[level]} |")
    print(f"\nMega et al. (JAMA 2010;304:1821-1830), any carrier vs non-carrier: HR {MEGA_CARRIERS}.")


def _count(values: object) -> dict[str, int]:
    counts: dict[str, int] = {}
    for v in values:  # type: ignore[attr-defined]
        counts[str(v)] = counts.get(str(v), 0) + 1
    return counts


if __name__ == "__main__":
    main()
