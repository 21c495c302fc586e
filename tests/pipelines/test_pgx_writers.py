"""Per-run report writers: their caches (keyed by result objects, which they keep alive) end with the run."""

from __future__ import annotations

from pathlib import Path

import tailormed.pipelines.pgx as pgx_pipeline
from tailormed.pipelines.pgx import run_pgx_call

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-patient"


def test_writers_do_not_outlive_the_run(tmp_path: Path) -> None:
    first = run_pgx_call([DEMO / "demo.vcf"], tmp_path / "a")
    assert pgx_pipeline._WRITERS is None and pgx_pipeline._JOB is None
    second = run_pgx_call([DEMO / "demo.vcf"], tmp_path / "b")
    assert first.files == second.files
    assert (tmp_path / "a" / "DEMO001.html").read_text().split("generated")[0] == \
        (tmp_path / "b" / "DEMO001.html").read_text().split("generated")[0]
