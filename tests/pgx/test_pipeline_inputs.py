"""The PGx pipeline on awkward but valid inputs: files covering no gene, a sample named twice, long ids."""

from __future__ import annotations

import json

import pytest
from conftest import reference_records

from tailormed.errors import InputError
from tailormed.pipelines.pgx import call_pgx, run_pgx_call


def _far_from_every_gene(write_vcf, samples=("A", "B")):  # type: ignore[no-untyped-def]
    return write_vcf([("chr1", 1000, "A", "G", *(["0/1"] * len(samples)))], samples=samples)


def test_a_vcf_covering_no_gene_with_missing_as_ref_reports_every_gene_not_covered(kb, write_vcf):
    ids, results = call_pgx(_far_from_every_gene(write_vcf), kb, missing_as_reference=True)
    assert ids == ["A", "B"] and len(results) == 2
    vcf_genes = {name for name, gene in kb.genes.items() if gene.matching != "outside_call_only" and gene.variants}
    for per_gene in results:
        assert set(per_gene) == vcf_genes
        assert {w.code for result in per_gene.values() for w in result.warnings} == {"not_covered"}
        assert all(not result.diplotypes for result in per_gene.values())


def test_a_vcf_covering_no_gene_without_missing_as_ref_calls_nothing(kb, write_vcf):
    ids, results = call_pgx(_far_from_every_gene(write_vcf), kb)
    assert ids == ["A", "B"]
    for per_gene in results:
        assert all(not result.diplotypes and result.phenotype is None for result in per_gene.values())
        assert all("missing_positions" in {w.code for w in result.warnings} for result in per_gene.values())


def test_a_sample_named_twice_is_read_once(kb, write_vcf):
    vcf = write_vcf(reference_records(kb, "CYP2C19", n_samples=2), samples=("A", "B"))
    ids, results = call_pgx(vcf, kb, samples=["A", "A"])
    assert ids == ["A"] and len(results) == 1
    ids, results = call_pgx(vcf, kb, samples=["B", "A", "B"])
    assert ids == ["B", "A"] and len(results) == 2


def test_a_sample_id_too_long_for_a_file_name_is_shortened_and_kept_whole_inside(kb, write_vcf, tmp_path):
    long_id = "S" * 300
    vcf = write_vcf(reference_records(kb, "CYP2C19"), samples=(long_id,))
    out = tmp_path / "out"
    run_pgx_call(vcf, out)
    documents = sorted(p for p in out.glob("[!.]*.json") if p.name != "knowledge.json")
    assert len(documents) == 1 and len(documents[0].name.encode()) < 255
    assert json.loads(documents[0].read_text())["sample"] == long_id
    assert (out / "calls.tsv").read_text().splitlines()[1].startswith(long_id + "\t")


def test_two_long_ids_sharing_their_start_get_different_files(kb, write_vcf, tmp_path):
    ids = ("S" * 300 + "1", "S" * 300 + "2")
    vcf = write_vcf(reference_records(kb, "CYP2C19", n_samples=2), samples=ids)
    run_pgx_call(vcf, tmp_path / "out", formats=["json"])
    assert len([p for p in (tmp_path / "out").glob("[!.]*.json") if p.name != "knowledge.json"]) == 2


def test_an_id_that_cannot_name_a_file_names_the_vcf(kb, write_vcf, tmp_path):
    vcf = write_vcf(reference_records(kb, "CYP2C19"), samples=("..",))
    with pytest.raises(InputError, match=r"test.vcf: sample '\.\.' cannot name an output file"):
        run_pgx_call(vcf, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_an_empty_outside_call_file_alone_is_named(tmp_path):
    calls = tmp_path / "calls.tsv"
    calls.write_text("gene\tdiplotype\n")
    with pytest.raises(InputError, match=r"calls.tsv: the outside-call file holds no calls"):
        run_pgx_call(None, tmp_path / "out", outside_calls_path=calls)


def test_outside_calls_for_a_sample_not_analysed_name_the_file_and_line(kb, write_vcf, tmp_path):
    calls = tmp_path / "calls.tsv"
    calls.write_text("sample\tgene\tdiplotype\nNOPE\tCYP2D6\t*1/*4\n")
    with pytest.raises(InputError, match=r"calls.tsv:line 2: outside calls name sample\(s\) not analysed: NOPE"):
        run_pgx_call(write_vcf(reference_records(kb, "CYP2C19")), tmp_path / "out", outside_calls_path=calls)
