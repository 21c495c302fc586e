"""Pipelines report their stage while they work (the CLI shows it with a count and the time left)."""

from __future__ import annotations

from pathlib import Path

from tailormed.pipelines.pgx import run_pgx_call

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-patient"


def test_pgx_call_reports_calling_before_writing(tmp_path: Path) -> None:
    seen: list[tuple[str, int, int | None]] = []
    run_pgx_call([DEMO / "demo.vcf"], tmp_path / "out", progress=lambda *event: seen.append(event))
    assert seen[0] == ("reading genotypes and calling genes", 0, None)
    assert seen[-1] == ("writing reports", 1, 1)
    assert all(total is not None for stage, _, total in seen if stage == "writing reports")
