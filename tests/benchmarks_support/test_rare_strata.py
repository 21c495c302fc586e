"""The rare-disease benchmark's strata lines: the baseline columns only when the baseline was run."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from rare_strata import CaseRecord, strata_lines  # noqa: E402


def _record(ranks: dict[str, int | None]) -> CaseRecord:
    return CaseRecord(name="a.json", group="NF1", stratum="cites", diagnosis_ranked=True, gene_linked=True,
                      placeable=True, half_placed=False, ranks=ranks)


def test_strata_show_the_baseline_only_when_it_was_run() -> None:
    ours = {"pheno_disease": 1, "pheno_gene": 2, "var_gene": 1, "var_disease": 4}
    with_baseline = strata_lines([_record({**ours, "base_disease": 3, "base_gene": None})], with_variants=True)
    assert "    hpo3 enrichment disease: 0.0 100.0 100.0" in with_baseline
    assert "    hpo3 enrichment gene: 0.0 0.0 0.0" in with_baseline  # run, and not found
    without = strata_lines([_record(ours)], with_variants=True)
    assert not any("hpo3 enrichment" in line for line in without)  # not run: no row of zeros
    assert "    ours with-variants gene: 100.0 100.0 100.0" in without
    assert "baseline not run" in without[0]
