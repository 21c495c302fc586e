"""NAT2 in the current PharmVar nomenclature, checked against PharmCAT's data in ../shared (skipped where absent).

PharmCAT's NAT2 test table (tests/haplotype/NAT2/tests.tsv) lists, for genotypes at the five classic NAT2 SNPs
(some with other defining positions missing), the diplotypes PharmCAT accepts; its example VCFs give NAT2 *1/*1.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from conftest import SHARED, shared_path

from tailormed.pipelines.pgx import call_pgx

pytestmark = pytest.mark.validation


def _table() -> list[dict[str, str]]:
    path = shared_path("pgx", "pharmcat", "tests", "haplotype", "NAT2", "tests.tsv")
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _vcf(kb, row: dict[str, str], path: Path) -> Path:
    """A one-sample unphased VCF over every NAT2 defining position of pgx-core: the row's genotypes at its five
    SNPs, reference elsewhere, positions the row lists as missing left out."""
    missing = {part.strip().split(" ")[0] for part in row["Missing positions"].split("),")} - {"none"}
    lines = ["##fileformat=VCFv4.2", "##contig=<ID=chr8,length=145138636>",
             '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
             "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1"]
    for v in sorted(kb.genes["NAT2"].variants, key=lambda v: v.position):
        if v.rsid in missing:
            continue
        bases = row.get(v.rsid, f"{v.ref}/{v.ref}").split("/")
        codes = "/".join("0" if b == v.ref else str(v.alt.index(b) + 1) for b in bases)
        lines.append(f"chr8\t{v.position}\t{v.rsid}\t{v.ref}\t{','.join(v.alt)}\t.\tPASS\t.\tGT\t{codes}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _pairs(text: str) -> set[tuple[str, ...]]:
    return {tuple(sorted(d.split("/"), key=lambda a: int(a.lstrip("*")))) for d in text.split(" or ")}


def _phenotype_of(kb, pair: tuple[str, ...]) -> str:
    from tailormed.pgx.phenotype import call_phenotype

    return call_phenotype(kb.genes["NAT2"], [pair]).phenotype


_TABLE = SHARED / "pgx" / "pharmcat" / "tests" / "haplotype" / "NAT2" / "tests.tsv"
ROW_COUNT = len(_TABLE.read_text(encoding="utf-8").splitlines()) - 1 if _TABLE.is_file() else 1


@pytest.mark.parametrize("index", range(ROW_COUNT))
def test_nat2_table_row(kb, tmp_path, index):
    row = _table()[index]
    _, results = call_pgx(_vcf(kb, row, tmp_path / "nat2.vcf"), kb)
    result = results[0]["NAT2"]
    ours = {tuple(sorted(d.alleles, key=lambda a: int(a.lstrip("*")))) for d in result.diplotypes}
    if row["Output"] == "not called":
        # No pair of named alleles explains the genotypes: no confident call, no phenotype.
        assert not ours, (row, ours)
        assert result.phenotype in (None, "Indeterminate")
        assert any(w.code == "no_matching_diplotype" for w in result.warnings)
        return
    theirs = _pairs(row["Output"])
    assert ours, row
    # Ties may differ (3 of the 75 rows: pgx-core keeps an allele whose extra position is missing, and scores
    # *4/*15 like *6/*14), but PharmCAT accepts at least one of our diplotypes...
    assert ours & theirs, (row["Output"], ours)
    # ... and where every diplotype PharmCAT accepts gives one phenotype, ours is that phenotype.
    their_phenotypes = {_phenotype_of(kb, p) for p in theirs}
    if row["Output"] == "*6/*14" and ("*4", "*15") in ours:
        # Documented difference (docs/knowledge-packs.md): 191 G/A, 590 G/A, 803 A/A unphased is also *4/*15, which
        # scores the same under pgx-core's rules; *6/*14 is Poor and *4/*15 Intermediate, so pgx-core reports
        # Indeterminate with both rather than pick the commoner pair as PharmCAT's table does.
        assert ours == {("*6", "*14"), ("*4", "*15")} and result.phenotype == "Indeterminate"
        return
    if len(their_phenotypes) == 1:
        assert result.phenotype == their_phenotypes.pop()


def test_example_vcfs_are_star1_star1_with_legacy_names(kb):
    examples = shared_path("pgx", "pharmcat", "examples")
    for match_json in sorted(examples.glob("*.match.json")):
        expected = next(r for r in json.loads(match_json.read_text())["results"] if r["gene"] == "NAT2")
        _, results = call_pgx(examples / match_json.name.replace(".match.json", ".vcf"), kb)
        nat2 = results[0]["NAT2"]
        assert [d.label for d in nat2.diplotypes] == [d["name"] for d in expected["diplotypes"]] == ["*1/*1"]
        assert nat2.legacy_diplotype_label == "*12A/*12A"
        assert nat2.phenotype == "Rapid Metabolizer"


def test_nat2_definitions_equal_pharmcat(kb):
    """Every NAT2 allele of pgx-core is defined exactly as in PharmCAT's current definition file, and PharmCAT has
    no NAT2 allele pgx-core lacks."""
    data = json.loads(shared_path("pgx", "pharmcat", "definition", "alleles", "NAT2_translation.json").read_text())
    positions = [v["position"] for v in data["variants"]]
    theirs = {a["name"]: {p: b for p, b in zip(positions, a["alleles"], strict=True) if b and not a["reference"]}
              for a in data["namedAlleles"]}
    gene = kb.genes["NAT2"]
    by_id = {v.id: v.position for v in gene.variants}
    ours = {a.name: {by_id[vid]: base for vid, base in a.defining.items()} for a in gene.alleles}
    assert ours == theirs
    assert sorted(by_id.values()) == sorted(positions)
