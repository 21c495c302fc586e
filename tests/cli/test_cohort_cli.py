"""``tailormed cohort effects`` / ``cohort omop`` on the command line: help, a run, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tailormed.cli import app

runner = CliRunner()


@pytest.mark.parametrize("command", ["effects", "omop"])
def test_help(command: str) -> None:
    result = runner.invoke(app, ["cohort", command, "--help"])
    assert result.exit_code == 0
    assert "--out" in result.output and ("--treatment" in result.output or "--cdm" in result.output)


def _table(path: Path, n: int = 300) -> Path:
    rng = np.random.default_rng(1)
    age = rng.normal(60, 8, n)
    treated = (rng.random(n) < 0.5).astype(int)
    y = 0.1 * age + 1.0 * treated + rng.normal(0, 1, n)
    lines = ["age,sex,treated,y"] + [f"{a:.1f},{'F' if k % 2 else 'M'},{t},{v:.3f}"
                                      for k, (a, t, v) in enumerate(zip(age, treated, y, strict=True))]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_effects_runs_and_prints_the_average(tmp_path: Path) -> None:
    pytest.importorskip("econml", reason="the optional 'effects' extra is not installed")
    table = _table(tmp_path / "t.csv")
    result = runner.invoke(app, ["cohort", "effects", str(table), "--treatment", "treated", "--outcome", "y",
                                 "--out", str(tmp_path / "out"), "--no-forest"])
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "out" / "effects.json").read_text())
    assert doc["ate"]["ci_low"] < 1.0 < doc["ate"]["ci_high"]
    assert f"{doc['ate']['estimate']:.4g}" in result.output


def test_effects_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    pytest.importorskip("econml", reason="the optional 'effects' extra is not installed")
    table = _table(tmp_path / "t.csv")
    result = runner.invoke(app, ["cohort", "effects", str(table), "--treatment", "age", "--outcome", "y",
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "t.csv: treatment 'age' is not binary" in lines[0]
    assert not (tmp_path / "out").exists()


def test_effects_missing_table(tmp_path: Path) -> None:
    result = runner.invoke(app, ["cohort", "effects", str(tmp_path / "none.csv"), "--treatment", "t", "--outcome",
                                 "y", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "none.csv: table not found" in result.output


def test_omop_missing_database(tmp_path: Path) -> None:
    vcf = tmp_path / "g.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n")
    result = runner.invoke(app, ["cohort", "omop", "--cdm", str(tmp_path / "cdm.duckdb"), "--genomes", str(vcf),
                                 "--person-map", str(tmp_path / "map.tsv"), "--exposure", "clopidogrel",
                                 "--outcome", "4329847", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "OMOP database not found" in result.output
