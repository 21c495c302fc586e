"""Per-sample JSON: compact by default (at most 50 KB per sample; the guidance text and sources once per run in
knowledge.json), with nothing lost: the compact document and the knowledge document give back the full one, and
``--full-evidence`` writes the full one (every examined position, text and sources on every row)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import shared_path

from tailormed.model.pgx import PgxCompactResult, PgxKnowledge, PgxResult
from tailormed.pipelines.pgx import run_pgx_call
from tailormed.report.html import informative_positions
from tailormed.report.pgx_json import expand_compact

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-patient"
DEMO_MEDICATIONS = ["clopidogrel", "simvastatin", "codeine", "abacavir", "paroxetine"]
SIZE_BOUND = 50_000


def _demo_run(out: Path, full_evidence: bool = False) -> Path:
    run_pgx_call(DEMO / "demo.vcf", out, samples=["DEMO001"], outside_calls_path=DEMO / "outside-calls.tsv",
                 medications=DEMO_MEDICATIONS, formats=["json"], full_evidence=full_evidence)
    return out / "DEMO001.json"


def _check_lossless(compact_path: Path, full_path: Path) -> None:
    compact = PgxCompactResult.model_validate_json(compact_path.read_text())
    knowledge = PgxKnowledge.model_validate_json((compact_path.parent / compact.knowledge_file).read_text())
    full = PgxResult.model_validate_json(full_path.read_text())
    expanded = expand_compact(compact, knowledge)
    # the full document lists every examined position; the compact one the informative ones
    full_genes = [g.model_copy(update={"genotypes": informative_positions(g.genotypes)}) for g in full.genes]
    assert expanded.genes == full_genes
    assert expanded.drugs == full.drugs
    assert expanded.citations == full.citations
    assert expanded.model_dump(exclude={"genes", "drugs", "provenance"}) == full.model_dump(
        exclude={"genes", "drugs", "provenance"})


def test_demo_patient_json_is_compact_and_loses_nothing(tmp_path):
    compact_path = _demo_run(tmp_path / "compact")
    text = compact_path.read_text()
    assert len(text.encode()) <= SIZE_BOUND, len(text.encode())
    assert "\n" not in text  # no indentation
    document = json.loads(text)
    assert document["detail"] == "compact" and document["schema_version"] == "2.2"
    codeine = next(d for d in document["drugs"] if d["drug"] == "codeine")
    assert "recommendation" not in codeine and codeine["rule"].startswith("codeine#")
    knowledge = json.loads((compact_path.parent / "knowledge.json").read_text())
    rule = next(r for r in knowledge["rules"] if r["id"] == codeine["rule"])
    assert rule["recommendation"].startswith("Avoid codeine")
    full_path = _demo_run(tmp_path / "full", full_evidence=True)
    _check_lossless(compact_path, full_path)


def test_full_evidence_restores_every_position_and_the_text(tmp_path):
    full_path = _demo_run(tmp_path / "full", full_evidence=True)
    assert not (full_path.parent / "knowledge.json").exists()
    full = PgxResult.model_validate_json(full_path.read_text())
    assert full.detail == "full"
    cyp2c19 = next(g for g in full.genes if g.gene == "CYP2C19")
    assert len(cyp2c19.genotypes) == cyp2c19.positions_examined > 20
    assert any(p.status == "called" and set(p.alleles) == {p.ref} for p in cyp2c19.genotypes)
    assert cyp2c19.evidence is not None and cyp2c19.evidence.citations
    clopidogrel = next(d for d in full.drugs if d.drug == "clopidogrel" and d.status == "actionable")
    assert clopidogrel.recommendation and clopidogrel.guideline
    assert full.citation(clopidogrel.guideline).citation.startswith("Lee CR")
    assert {c.id for c in full.citations} >= {clopidogrel.guideline, *cyp2c19.evidence.citations}
    compact = PgxCompactResult.model_validate_json(_demo_run(tmp_path / "compact").read_text())
    compact_cyp2c19 = next(g for g in compact.genes if g.gene == "CYP2C19")
    assert compact_cyp2c19.positions_examined == cyp2c19.positions_examined
    assert len(compact_cyp2c19.genotypes) < len(cyp2c19.genotypes)
    assert all(p.informative for p in compact_cyp2c19.genotypes)


@pytest.mark.validation
def test_cohort_sample_json_is_compact_and_loses_nothing(tmp_path):
    files = sorted(shared_path("pgx", "1kgp-grch38").glob("*.vcf.gz"))
    run_pgx_call(files, tmp_path / "compact", samples=["HG00096", "HG00097"], missing_as_reference=True,
                 formats=["json"])
    run_pgx_call(files, tmp_path / "full", samples=["HG00096", "HG00097"], missing_as_reference=True,
                 formats=["json"], full_evidence=True)
    for sample in ("HG00096", "HG00097"):
        compact_path = tmp_path / "compact" / f"{sample}.json"
        assert compact_path.stat().st_size <= SIZE_BOUND, compact_path.stat().st_size
        _check_lossless(compact_path, tmp_path / "full" / f"{sample}.json")
    compact = PgxCompactResult.model_validate_json((tmp_path / "compact" / "HG00096.json").read_text())
    cyp2c19 = next(g for g in compact.genes if g.gene == "CYP2C19")
    assert cyp2c19.positions_assumed_reference > 0  # --missing-as-ref: counted, not listed
    assert all(p.status != "assumed_reference" for p in cyp2c19.genotypes)


def test_run_writers_reuse_shared_parts_and_write_what_a_single_render_writes(kb, write_vcf):
    """The per-run JSON writer and HTML renderer reuse what samples share (the same gene result and drug row
    objects); their output is the same as each sample written on its own."""
    from conftest import reference_records

    from tailormed.model.common import Provenance
    from tailormed.pgx.engine import build_result
    from tailormed.pgx.recommend import RecommendationMemo
    from tailormed.pipelines.pgx import call_pgx
    from tailormed.report.html import PgxHtmlRenderer, render_pgx_html
    from tailormed.report.pgx_json import CompactJsonWriter, compact_json

    records = reference_records(kb, "CYP2C19", {"rs4244285": ("A", "0/1"), "rs12248560": ("T", "1/1")}, n_samples=1)
    records = [(*r[:4], r[4], "0/0", r[4], "./.") for r in records]  # S1 and S3 alike, S2 reference, S4 no call
    vcf = write_vcf(records, samples=("S1", "S2", "S3", "S4"))
    samples, per_sample = call_pgx(vcf, kb, position_detail="informative")
    assert per_sample[0]["CYP2C19"] is per_sample[2]["CYP2C19"]  # equal genotypes: one shared result
    provenance = Provenance(software="tailormed", software_version="test", knowledge=["pgx-core"],
                            created="2026-01-01T00:00:00Z")
    memo, writer, renderer = RecommendationMemo(), CompactJsonWriter(), PgxHtmlRenderer()
    results = [build_result(kb, s, dict(r), provenance, None, memo) for s, r in zip(samples, per_sample, strict=True)]
    assert results[0].drugs[0] is results[2].drugs[0]  # and shared drug rows
    for result, (sample, genes) in zip(results, zip(samples, per_sample, strict=True), strict=True):
        alone = build_result(kb, sample, dict(genes), provenance)
        assert alone.model_dump() == result.model_dump()
        assert writer.write(result) == compact_json(alone)
        assert renderer.render(result) == render_pgx_html(alone)


def test_reports_are_the_same_whatever_the_number_of_processes(kb, write_vcf, tmp_path):
    """Per-sample reports written by two processes, in chunks, are the files one process writes; calls.tsv keeps
    the sample order."""
    import re

    from conftest import reference_records

    from tailormed.pipelines import pgx as pipeline

    genotypes = ["0/0", "0/1", "1/1", "./.", "0|1", "1|0"]
    records = reference_records(kb, "CYP2C19", {"rs4244285": ("A", "0/1")}, n_samples=1)
    samples = tuple(f"S{i:02d}" for i in range(20))
    records = [(*r[:4], *[genotypes[(i + k) % len(genotypes)] if k % 3 == 0 else "0/0"
                          for i in range(len(samples))]) for k, r in enumerate(records)]
    vcf = write_vcf(records, samples=samples)
    chunk = pipeline.REPORT_CHUNK
    pipeline.REPORT_CHUNK = 3  # several chunks per process
    try:
        for workers in (1, 2):
            pipeline.run_pgx_call(vcf, tmp_path / f"w{workers}", workers=workers)
    finally:
        pipeline.REPORT_CHUNK = chunk
    one, two = tmp_path / "w1", tmp_path / "w2"
    names = sorted(p.name for p in one.iterdir() if not p.name.startswith("."))
    assert names == sorted(p.name for p in two.iterdir() if not p.name.startswith("."))
    assert len(names) == 2 * len(samples) + 2
    for name in names:
        def masked(path: Path) -> str:
            return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "TIME", path.read_text())
        assert masked(one / name) == masked(two / name), name
    rows = (one / "calls.tsv").read_text().splitlines()[1:]
    assert [r.split("\t")[0] for r in rows][::22] == list(samples)
