"""Validation against PharmCAT's data in ../shared (skipped where it is absent).

Imports PharmCAT's allele definitions with our importer, reports every disagreement with pgx-core,
and checks named test VCFs whose expected diplotype is in the file name.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from conftest import shared_path

from tailormed.kb.compare import compare_packs
from tailormed.kb.importers.pharmcat import import_pharmcat
from tailormed.kb.pack import load_knowledge_base
from tailormed.pipelines.pgx import call_pgx

pytestmark = pytest.mark.validation


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    root = shared_path("pgx", "pharmcat")
    dest = tmp_path_factory.mktemp("packs") / "pharmcat-alleles"
    report = import_pharmcat(root, dest=dest)
    return report, load_knowledge_base(str(dest))


def test_import_reads_every_translation_file(imported):
    report, kb = imported
    translations = list(shared_path("pgx", "pharmcat", "definition", "alleles").glob("*_translation.json"))
    assert report.genes == len(translations) - len([s for s in report.skipped if s.endswith("no base pack ranges")])
    assert report.alleles > 500
    assert kb.genes["CYP2C19"].reference_allele == "*38"


def test_disagreements_with_pgx_core_are_reported(imported, kb, capsys):
    _, pharmcat = imported
    ours = {name: gene for name, gene in kb.genes.items() if gene.matching != "outside_call_only"}
    found = compare_packs(ours, pharmcat.genes)
    with capsys.disabled():
        print("\npgx-core vs imported PharmCAT definitions:", dict(Counter(d.kind for d in found)))
        for d in found:
            if d.kind in ("reference_base", "allele_definition", "allele_function", "activity_value"):
                print(f"  {d.gene} {d.kind} {d.item}: ours {d.ours!r} / PharmCAT {d.theirs!r}")
    kinds = Counter(d.kind for d in found)
    # Reference bases must agree everywhere both packs define a site: a disagreement is a build or curation error.
    assert kinds["reference_base"] == 0, [d for d in found if d.kind == "reference_base"]
    # Core alleles that every release defines identically.
    core = {("CYP2C19", "*2"), ("CYP2C19", "*3"), ("CYP2C19", "*17"), ("CYP2C9", "*2"), ("CYP2C9", "*3"),
            ("TPMT", "*3A"), ("NUDT15", "*3"), ("CYP3A5", "*3")}
    bad = [d for d in found if (d.gene, d.item) in core and d.kind == "allele_definition"]
    assert not bad, bad


NAMED = [("cyp2c19/s2s3.vcf", "CYP2C19", "*2/*3"), ("cyp2c19/s2s2.vcf", "CYP2C19", "*2/*2"),
         ("cyp2c9/s2s3.vcf", "CYP2C9", "*2/*3"), ("cyp2c9/s1s1.vcf", "CYP2C9", "*1/*1"),
         ("TPMT/s1s1.vcf", "TPMT", "*1/*1"), ("NUDT15/s3ref.vcf", "NUDT15", "*1/*3"),
         ("cyp3a5/s3s3rs55965422het.vcf", "CYP3A5", None)]


@pytest.mark.parametrize(("name", "gene", "expected"), NAMED)
def test_named_vcfs_with_pgx_core(kb, name, gene, expected):
    vcf = shared_path("pgx", "pharmcat", "tests", "haplotype", *name.split("/"))
    _, results = call_pgx(vcf, kb)
    labels = [d.label for d in results[0][gene].diplotypes]
    if expected is None:
        assert labels, "a diplotype must be called"
    else:
        assert expected in labels


def test_example_vcfs_match_pharmcat_with_imported_definitions(imported):
    """With PharmCAT's own definitions every gene of both examples gets PharmCAT's diplotype."""
    import json

    _, pharmcat = imported
    examples = shared_path("pgx", "pharmcat", "examples")
    for match_json in sorted(examples.glob("*.match.json")):
        vcf = examples / match_json.name.replace(".match.json", ".vcf")
        _, results = call_pgx(vcf, pharmcat)
        for result in json.loads(match_json.read_text())["results"]:
            theirs = sorted(tuple(sorted(d["name"].split("/"))) for d in result["diplotypes"])
            ours = sorted(tuple(sorted(d.alleles)) for d in results[0][result["gene"]].diplotypes)
            assert ours == theirs, (match_json.name, result["gene"])


def test_1kgp_cohort_all_samples_called(kb):
    files = sorted(Path(shared_path("pgx", "1kgp-grch38")).glob("*.vcf.gz"))
    sample_ids, results = call_pgx(files, kb, missing_as_reference=True, position_detail="none",
                                   samples=None)
    assert len(sample_ids) == 3202
    called = Counter(bool(r["CYP2C19"].diplotypes) for r in results)
    assert called[True] / len(results) > 0.99
    # CYP2C19*2 allele frequency in 1000 Genomes is about 15-30% depending on population; overall ~0.2
    star2 = sum(d.alleles.count("*2") for r in results for d in r["CYP2C19"].diplotypes[:1]) / (2 * len(results))
    assert 0.12 < star2 < 0.30
