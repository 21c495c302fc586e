"""tailormed cohort pgx on the command line: output, and one clear line for bad input with nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import reference_records
from typer.testing import CliRunner

import tailormed.pipelines.cohort_runner as cohort_runner
from tailormed.cli import app

runner = CliRunner()


@pytest.fixture
def vcf(kb, write_vcf) -> Path:
    return write_vcf(reference_records(kb, "CYP2C19", n_samples=3), samples=("A", "B", "C"))


def _one_error_line(result, *fragments: str) -> None:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_help_and_a_run(vcf, tmp_path):
    for args in (["cohort", "--help"], ["cohort", "pgx", "--help"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0 and "Usage" in result.output
    panel = tmp_path / "p.panel"
    panel.write_text("sample\tpop\tsuper_pop\nA\tGBR\tEUR\nB\tCHB\tEAS\nC\tGBR\tEUR\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["cohort", "pgx", str(vcf), "--populations", str(panel), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "3 sample(s) (EAS 1, EUR 2)" in result.output
    rows = [line.split("\t") for line in (out / "phenotype_frequencies.tsv").read_text().splitlines()[1:]]
    assert ["CYP2C19", "Normal Metabolizer", "EUR", "2", "2", "1.000000"] in rows


def test_not_a_vcf(tmp_path):
    bad = tmp_path / "bad.vcf"
    bad.write_text("sample\tgene\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["cohort", "pgx", str(bad), "--out", str(out)])
    assert result.exit_code == 2
    _one_error_line(result, str(bad), "not a VCF")
    assert not out.exists()


def test_panel_missing_samples(vcf, tmp_path):
    panel = tmp_path / "p.panel"
    panel.write_text("sample\tpop\tsuper_pop\nA\tGBR\tEUR\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["cohort", "pgx", str(vcf), "--populations", str(panel), "--out", str(out)])
    assert result.exit_code == 2
    _one_error_line(result, str(panel), "2 of the VCF's 3 samples are not in the panel", "--panel-only")
    assert not out.exists()


def test_scheduler_that_is_not_an_address_or_not_there(vcf, tmp_path, monkeypatch):
    pytest.importorskip("distributed", reason="dask[distributed] (the 'cohort' extra) not installed")
    out = tmp_path / "out"
    result = runner.invoke(app, ["cohort", "pgx", str(vcf), "--scheduler", "nonsense://x y", "--out", str(out)])
    assert result.exit_code == 2
    _one_error_line(result, "not a Dask scheduler address")
    monkeypatch.setattr(cohort_runner, "DASK_CONNECT_TIMEOUT", "1s")
    result = runner.invoke(app, ["cohort", "pgx", str(vcf), "--scheduler", "tcp://127.0.0.1:1", "--out", str(out)])
    assert result.exit_code == 2
    _one_error_line(result, "cannot reach the Dask scheduler at 'tcp://127.0.0.1:1'")
    result = runner.invoke(app, ["cohort", "pgx", str(vcf), "--scheduler", "tcp://127.0.0.1:1", "--workers", "2",
                                 "--out", str(out)])
    _one_error_line(result, "--workers applies to local processes")
    assert not out.exists()


def test_a_folder_of_ones_own_is_refused_before_any_work(vcf, tmp_path, monkeypatch):
    import tailormed.pipelines.cohort_pgx as pipeline

    def no_work(*_args: object) -> None:
        raise AssertionError("no unit may run before the output folder is claimed")

    monkeypatch.setattr(pipeline, "_call_file", no_work)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    result = runner.invoke(app, ["cohort", "pgx", str(vcf), "--out", str(mine), "--workers", "1"])
    assert result.exit_code == 4
    _one_error_line(result, "holds files TailorMed did not write")
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
