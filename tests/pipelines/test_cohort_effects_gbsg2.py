"""``cohort effects`` end to end on GBSG2 (lifelines ships it): the published anchors, the files, the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("econml", reason="the optional 'effects' extra (EconML) is not installed")
datasets = pytest.importorskip("lifelines.datasets", reason="the optional 'effects' extra (lifelines) is missing")

from tailormed.errors import InputError  # noqa: E402
from tailormed.pipelines.cohort_effects import EffectsSettings, run_cohort_effects  # noqa: E402

FAST = EffectsSettings(n_estimators=40, cv=2)


@pytest.fixture(scope="module")
def gbsg2_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("gbsg2") / "gbsg2.csv"
    datasets.load_gbsg2().to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def gbsg2_run(gbsg2_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run") / "effects"
    run_cohort_effects(gbsg2_csv, out, treatment="horTh", outcome="time", event="cens", horizon_days=1826,
                       settings=FAST)
    return out


def test_gbsg2_matches_the_published_anchors(gbsg2_run: Path) -> None:
    doc = json.loads((gbsg2_run / "effects.json").read_text())
    hr_u, hr_a = doc["hazard_ratio_unadjusted"], doc["hazard_ratio_adjusted"]
    # Cox HR 0.69 (0.54-0.89) unadjusted, 0.71 (0.55-0.91) adjusted; 5-year Kaplan-Meier RMST difference ~ +149 days
    assert [round(hr_u[k], 2) for k in ("estimate", "ci_low", "ci_high")] == [0.69, 0.54, 0.89]
    assert [round(hr_a[k], 2) for k in ("estimate", "ci_low", "ci_high")] == [0.71, 0.55, 0.91]
    assert doc["unadjusted"]["estimate"] == pytest.approx(149, abs=2)
    assert doc["unadjusted"]["ci_low"] > 0  # the unadjusted benefit is significant at 5 years
    arms = {a["arm"]: a for a in doc["arms"]}
    assert (arms["treated"]["value"], arms["treated"]["n"], arms["control"]["n"]) == ("yes", 246, 440)


def test_gbsg2_effects_json_has_the_documented_fields(gbsg2_run: Path) -> None:
    doc = json.loads((gbsg2_run / "effects.json").read_text())
    assert set(doc["ate"]) >= {"estimate", "ci_low", "ci_high", "measure"}
    assert doc["ate"]["measure"] == "rmst_difference_days" and doc["outcome_kind"] == "time_to_event"
    assert doc["ate"]["ci_low"] < doc["ate"]["estimate"] < doc["ate"]["ci_high"]
    assert doc["subgroups"] and all(set(s) >= {"rule", "n", "estimate", "ci_low", "ci_high"} for s in doc["subgroups"])
    assert sum(s["n"] for s in doc["subgroups"]) == 343  # the held-out half of 686 rows, every row in one leaf
    assert "menostat=Pre" in doc["covariates"] and any(c.startswith("tgrade=") for c in doc["covariates"])
    diagnostics = doc["diagnostics"]
    assert 0 < diagnostics["overlap"]["propensity_min"] < diagnostics["overlap"]["propensity_max"] < 1
    assert sum(diagnostics["overlap"]["treated_counts"]) == 246
    assert {"blp_slope", "calibration_r2", "autoc"} <= set(diagnostics["calibration"])
    assert diagnostics["e_value"]["point"] > 1
    assert any("Observational data" in line for line in doc["limits"])


def test_gbsg2_report_has_the_four_plots_and_the_limits(gbsg2_run: Path) -> None:
    html = (gbsg2_run / "report.html").read_text()
    assert html.count("<svg") == 4
    for label in ("distribution of conditional effects", "average and subgroup effects", "propensity score per arm",
                  "Kaplan-Meier survival per arm"):
        assert f'aria-label="{label}"' in html
    assert "What this analysis cannot tell you" in html and "<script" not in html


def test_parquet_gives_the_same_anchors(gbsg2_csv: Path, tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    parquet = tmp_path / "gbsg2.parquet"
    datasets.load_gbsg2().to_parquet(parquet)
    run = run_cohort_effects(parquet, tmp_path / "out", treatment="horTh", outcome="time", event="cens",
                             horizon_days=1826, settings=EffectsSettings(forest=False, placebo=False, cv=2))
    assert run.result.hazard_ratio_unadjusted is not None
    assert round(run.result.hazard_ratio_unadjusted.estimate, 2) == 0.69
    assert run.result.cate is None and run.result.subgroups == []


def test_a_bad_table_names_the_file_and_writes_nothing(gbsg2_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(InputError, match=r"gbsg2\.csv: treatment 'tgrade' is not binary"):
        run_cohort_effects(gbsg2_csv, out, treatment="tgrade", outcome="time", event="cens", horizon_days=1826,
                           settings=FAST)
    assert not out.exists() and not list(tmp_path.glob(".out*"))
