"""NAT2 in the current PharmVar nomenclature, with legacy names beside the current ones."""

from __future__ import annotations

from tailormed.model.genotypes import OutsideCall
from tailormed.pgx.engine import result_from_outside_call
from tailormed.pgx.phenotype import current_name, legacy_alleles
from tailormed.pgx.recommend import recommend_drug
from tailormed.report.tsv import CALLS_COLUMNS, calls_rows


def _outside(kb, diplotype: str):
    return result_from_outside_call(kb, OutsideCall(gene="NAT2", diplotype=diplotype, phenotype=None,
                                                    activity_score=None, sample=None, source="lab"))


def test_reference_is_star1_legacy_12a(kb):
    gene = kb.genes["NAT2"]
    assert gene.reference_allele == "*1"
    star1 = next(a for a in gene.alleles if a.name == "*1")
    assert star1.defining == {} and star1.legacy_names[0] == "*12A"
    star4 = next(a for a in gene.alleles if a.name == "*4")
    assert star4.defining == {"rs1208": "A"} and star4.function == "Increased function"


def test_legacy_names_map_to_current(kb):
    gene = kb.genes["NAT2"]
    assert current_name(gene, "*5B") == "*5"
    assert current_name(gene, "*5A") == "*16"
    assert current_name(gene, "*6A") == "*6"
    assert current_name(gene, "*12A") == "*1"
    assert current_name(gene, "*5") is None  # a current name is never re-read
    assert current_name(gene, "*99Z") is None
    assert legacy_alleles(gene, ["*1", "*5"]) == ["*12A", "*5B"]
    assert legacy_alleles(gene, ["*40", "*40"]) == []  # no legacy name known for *40


def test_outside_call_in_legacy_names_is_read_in_current_names(kb):
    result = _outside(kb, "*5B/*6A")
    assert result.diplotype_label == "*5/*6"
    assert result.legacy_diplotype_label == "*5B/*6A"
    assert result.phenotype == "Poor Metabolizer"
    assert any(w.code == "legacy_allele_name" and "*5B -> *5" in w.message for w in result.warnings)


def test_rapid_intermediate_poor_and_indeterminate(kb):
    assert _outside(kb, "*1/*4").phenotype == "Rapid Metabolizer"
    assert _outside(kb, "*4/*5").phenotype == "Intermediate Metabolizer"
    assert _outside(kb, "*6/*7").phenotype == "Poor Metabolizer"
    assert _outside(kb, "*1/*10").phenotype == "Indeterminate"  # *10: uncertain function
    assert _outside(kb, "*5/*71").phenotype == "Indeterminate"  # *71: not in CPIC's function table yet


def test_hydralazine_follows_the_current_names(kb):
    drug = kb.drugs["hydralazine"]
    poor = recommend_drug(kb, drug, {"NAT2": _outside(kb, "*5/*6")})
    assert [r.status for r in poor] == ["actionable"]
    assert "40-75 mg" in (poor[0].recommendation or "")
    assert poor[0].basis[0].diplotype == "*5/*6 (legacy *5B/*6A)"
    rapid = recommend_drug(kb, drug, {"NAT2": _outside(kb, "*1/*4")})
    assert "at least 75 mg" in (rapid[0].recommendation or "")
    unknown = recommend_drug(kb, drug, {"NAT2": _outside(kb, "*1/*10")})
    assert [r.status for r in unknown] == ["no_recommendation"]


def test_calls_tsv_has_legacy_column(kb):
    row = next(iter(calls_rows("S1", [_outside(kb, "*1/*5")])))
    assert dict(zip(CALLS_COLUMNS, row, strict=True))["legacy_diplotype"] == "*12A/*5B"
    other = next(iter(calls_rows("S1", [_outside(kb, "*40/*40")])))
    assert dict(zip(CALLS_COLUMNS, other, strict=True))["legacy_diplotype"] == ""


def test_html_report_shows_the_legacy_name_beside_the_current_one(tmp_path):
    from pathlib import Path

    from tailormed.pipelines.pgx import run_pgx_call

    demo = Path(__file__).resolve().parents[2] / "examples" / "demo-patient"
    run_pgx_call(demo / "demo.vcf", tmp_path / "out", samples=["DEMO001"], formats=["html", "tsv"])
    html = (tmp_path / "out" / "DEMO001.html").read_text()
    assert "*1/*1 <span class=\"small\">(legacy *12A/*12A)</span>" in html
    tsv = (tmp_path / "out" / "calls.tsv").read_text().splitlines()
    nat2 = next(line.split("\t") for line in tsv if "\tNAT2\t" in line)
    assert nat2[2] == "*1/*1" and nat2[3] == "Rapid Metabolizer" and nat2[-1] == "*12A/*12A"
