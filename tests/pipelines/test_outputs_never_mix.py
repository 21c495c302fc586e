"""End to end: an output folder holds one run's result, never a mixture of two patients or two sample sets."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tailormed.output import MARKER
from tailormed.pipelines.analyze import run_analyze
from tailormed.pipelines.pgx import run_pgx_call

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo-patient"
KGP = ROOT.parent / "shared" / "data" / "pgx" / "1kgp-grch38" / "CYP2C19.vcf.gz"


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and p.name != MARKER}


def test_analyze_of_a_second_patient_leaves_nothing_of_the_first(tmp_path: Path) -> None:
    out = tmp_path / "result"
    run_analyze(DEMO / "patient.yaml", out)
    assert {"onco/report.html", "rare/report.html", "risk/risk.json"} <= _files(out)
    # A second patient with germline data only: the first patient's onco/rare/risk sections must go.
    second = tmp_path / "second"
    second.mkdir()
    for name in ("demo.vcf", "outside-calls.tsv"):
        shutil.copy(DEMO / name, second / name)
    manifest = {"id": "PGXONLY", "demographics": {"sex": "male", "age_years": 40},
                "germline": {"vcf": "demo.vcf", "sample_id": "DEMO001"}, "outside_calls": "outside-calls.tsv"}
    (second / "patient.yaml").write_text(yaml.safe_dump(manifest))
    run_analyze(second / "patient.yaml", out)
    assert _files(out) == {"analysis.json", "pgx.json", "pgx.html", "report.html"}
    assert '"PGXONLY"' in (out / "analysis.json").read_text()


@pytest.mark.skipif(not KGP.is_file(), reason=f"1000 Genomes PGx extract not found at {KGP}")
def test_pgx_call_for_other_samples_replaces_the_reports(tmp_path: Path) -> None:
    out = tmp_path / "pgx"
    run_pgx_call([KGP], out, samples=["HG00096"], missing_as_reference=True)
    assert {"HG00096.json", "HG00096.html", "calls.tsv", "knowledge.json"} == _files(out)
    run_pgx_call([KGP], out, samples=["HG00097"], missing_as_reference=True)
    assert {"HG00097.json", "HG00097.html", "calls.tsv", "knowledge.json"} == _files(out)
    assert "HG00096" not in (out / "calls.tsv").read_text()
