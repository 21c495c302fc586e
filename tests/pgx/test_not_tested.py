"""Safety of drug guidance: an unexamined gene is 'not tested', never a reason to change care; a drug's status comes
from its recommendation (changes_care), not from how the gene result is named."""

from __future__ import annotations

import pytest
from conftest import reference_records, shared_path

from tailormed.model.common import Provenance
from tailormed.model.genotypes import OutsideCall
from tailormed.pgx.engine import build_result
from tailormed.pgx.recommend import recommend
from tailormed.pipelines.pgx import call_pgx
from tailormed.report.html import STATUS_LABELS, render_pgx_html

THIOPURINES = {"azathioprine", "mercaptopurine", "thioguanine"}
G6PD_DRUGS = {"dapsone", "methylene blue", "pegloticase", "primaquine", "rasburicase", "tafenoquine", "toluidine blue"}


def _records(kb, gene, alleles):
    """Unphased records of ``gene`` carrying two named alleles (their bases that differ from GRCh38)."""
    definition = kb.genes[gene]
    reference = {v.id: v.ref for v in definition.variants}
    counts: dict[str, tuple[str, int]] = {}
    for name in alleles:
        allele = next(a for a in definition.alleles if a.name == name)
        for vid, base in allele.defining.items():
            if base != reference[vid] and not (len(base) == 1 and base not in "ACGT"):  # IUPAC: either base
                counts[vid] = (base, counts.get(vid, (base, 0))[1] + 1)
    return reference_records(kb, gene, {vid: (base, {1: "0/1", 2: "1/1"}[n]) for vid, (base, n) in counts.items()})


def genes_phenotype(document, gene):
    return next(g.phenotype for g in document.genes if g.gene == gene)


def _rows(kb, results, drug):
    return [r for r in recommend(kb, results) if r.drug == drug]


def _provenance() -> Provenance:
    return Provenance(software="tailormed", software_version="test", knowledge=["pgx-core"], inputs={},
                      created="2026-01-01T00:00:00Z")


def test_atazanavir_with_ugt1a1_intermediate_metabolizer_is_usual_care(kb, write_vcf):
    """CPIC: no reason to avoid atazanavir in a UGT1A1 intermediate metabolizer; the status must say so."""
    _, results = call_pgx(write_vcf(_records(kb, "UGT1A1", ("*1", "*6"))), kb)
    assert results[0]["UGT1A1"].phenotype == "Intermediate Metabolizer"
    rows = _rows(kb, results[0], "atazanavir")
    assert [(r.status, r.basis[0].matched_on) for r in rows] == [("standard", "Intermediate Metabolizer")]
    assert "no reason to avoid" in (rows[0].recommendation or "")


def test_atazanavir_poor_metabolizer_still_changes_care(kb, write_vcf):
    _, results = call_pgx(write_vcf(_records(kb, "UGT1A1", ("*6", "*6"))), kb)
    assert [r.status for r in _rows(kb, results[0], "atazanavir")] == ["actionable"]


def test_tested_indeterminate_gene_keeps_cpics_indeterminate_row(kb, write_vcf):
    """TPMT *1/*5 (uncertain function) was tested and is Indeterminate: CPIC's TPMT-Indeterminate row applies.
    NUDT15 was not in the file: its Indeterminate row must not fire, and it is reported as not tested."""
    _, results = call_pgx(write_vcf(_records(kb, "TPMT", ("*1", "*5"))), kb)
    tpmt, nudt15 = results[0]["TPMT"], results[0]["NUDT15"]
    assert tpmt.tested and tpmt.phenotype == "Indeterminate"
    assert not nudt15.tested
    rows = _rows(kb, results[0], "azathioprine")
    assert [(r.status, [(b.gene, b.matched_on) for b in r.basis]) for r in rows] == [
        ("actionable", [("TPMT", "Indeterminate")])]
    assert "erythrocyte TPMT activity" in (rows[0].recommendation or "")
    assert rows[0].untested_genes == ["NUDT15"]
    assert [w.code for w in rows[0].warnings if w.gene == "NUDT15"] == ["gene_not_tested"]
    assert "NUDT15" in (rows[0].testing_advice or "")


def test_tested_indeterminate_with_partner_gene_tested(kb, write_vcf):
    """Both genes tested (NUDT15 reference): the combined Indeterminate/Normal row and the Indeterminate row apply."""
    records = _records(kb, "TPMT", ("*1", "*5")) + reference_records(kb, "NUDT15")
    _, results = call_pgx(write_vcf(records), kb)
    rows = _rows(kb, results[0], "azathioprine")
    assert sorted(r.status for r in rows) == ["actionable", "standard"]
    assert all(not r.untested_genes and r.testing_advice is None for r in rows)


def test_gene_not_in_the_vcf_is_not_tested_even_with_missing_as_ref(kb, write_vcf):
    _, results = call_pgx(write_vcf(reference_records(kb, "CYP2C19")), kb, missing_as_reference=True)
    assert results[0]["CYP2C19"].tested and not results[0]["G6PD"].tested
    document = build_result(kb, "S1", dict(results[0]), _provenance())
    genes = {g.gene: g for g in document.genes}
    assert not genes["TPMT"].tested and not genes["HLA-B"].tested and not genes["DPYD"].tested
    by_drug = {r.drug: r for r in document.drugs}
    for drug in THIOPURINES | G6PD_DRUGS | {"capecitabine", "fluorouracil", "abacavir", "codeine"}:
        assert by_drug[drug].status == "not_tested", drug
        assert by_drug[drug].recommendation is None, drug


def test_without_missing_as_ref_an_absent_gene_is_not_tested_too(kb, write_vcf):
    """The VCF covers CYP2C19 only: CYP2D6 has no genotype at any defining position, which is 'not tested'."""
    _, results = call_pgx(write_vcf(reference_records(kb, "CYP2C19")), kb)
    cyp2d6 = results[0]["CYP2D6"]
    assert cyp2d6.source == "vcf" and not cyp2d6.tested
    assert any(w.code == "no_data" for w in cyp2d6.warnings)
    assert [r.status for r in _rows(kb, results[0], "codeine")] == ["not_tested"]


def test_no_drug_is_actionable_because_of_an_untested_gene(kb, write_vcf):
    """Only CYP2C19 was examined: every 'actionable' row rests on CYP2C19 and on no untested gene."""
    _, results = call_pgx(write_vcf(_records(kb, "CYP2C19", ("*2", "*2"))), kb, missing_as_reference=True)
    document = build_result(kb, "S1", dict(results[0]), _provenance())
    tested = {g.gene for g in document.genes if g.tested}
    assert tested == {"CYP2C19"} and genes_phenotype(document, "CYP2C19") == "Poor Metabolizer"
    actionable = [r for r in document.drugs if r.status == "actionable"]
    assert actionable
    for row in actionable:
        assert {b.gene for b in row.basis} <= tested, row.drug
    for row in document.drugs:
        if row.status == "standard":
            assert {b.gene for b in row.basis} <= tested, row.drug


def test_cpic_rows_for_an_untested_hla_b_need_a_tested_cyp2c9(kb, write_vcf):
    """Phenytoin: CPIC gives CYP2C9 dosing when HLA-B has no result. A dose change from the tested CYP2C9 is
    actionable; usual dosing is not 'usual care' while HLA-B*15:02 is unknown."""
    _, poor = call_pgx(write_vcf(_records(kb, "CYP2C9", ("*3", "*3"))), kb)
    every = _rows(kb, poor[0], "phenytoin")
    rows = [r for r in every if r.guideline_body == "CPIC"]
    assert [(r.status, [(b.gene, b.matched_on) for b in r.basis]) for r in rows] == [
        ("actionable", [("HLA-B", "Not tested"), ("CYP2C9", "activity score 0")])]
    assert rows[0].untested_genes == ["HLA-B"] and "HLA-B*15:02" in (rows[0].testing_advice or "")
    # DPWG's CYP2C9 advice does not depend on HLA-B: its row rests on the tested CYP2C9 alone
    dpwg = [r for r in every if r.guideline_body == "DPWG"]
    assert [(r.status, [b.gene for b in r.basis]) for r in dpwg] == [("actionable", ["CYP2C9"])]
    assert "40% of the standard dose" in (dpwg[0].recommendation or "")
    _, normal = call_pgx(write_vcf(reference_records(kb, "CYP2C9")), kb)
    rows = _rows(kb, normal[0], "phenytoin")
    assert [r.status for r in rows] == ["not_tested"]
    assert "usual loading and maintenance" in (rows[0].recommendation or "")


def test_outside_call_makes_hla_b_tested(kb, write_vcf):
    calls = [OutsideCall(gene="HLA-B", diplotype="*15:02/*07:02", phenotype=None, activity_score=None, sample=None,
                         source="test")]
    _, results = call_pgx(write_vcf(reference_records(kb, "CYP2C9")), kb, outside_calls=calls)
    assert results[0]["HLA-B"].tested
    rows = _rows(kb, results[0], "carbamazepine")
    assert rows and all(r.status == "actionable" for r in rows if r.population == "carbamazepine-naive")
    assert all(r.testing_advice is None for r in rows)


def test_html_spells_out_not_tested_with_the_advice_and_its_source(kb, write_vcf):
    _, results = call_pgx(write_vcf(reference_records(kb, "CYP2C19")), kb)
    html = render_pgx_html(build_result(kb, "S1", dict(results[0]), _provenance(), ["abacavir"]))
    assert STATUS_LABELS["not_tested"] == "Not tested"
    medications = html[html.index('id="pgx-h-meds"'):html.index('id="pgx-h-genes-called"')]
    row = medications[medications.index('id="drug-abacavir"'):]
    row = row[:row.index("</tr>")]
    assert "Not tested" in row and "HLA-B not tested" in row
    assert "Test before prescribing:" in row and "HLA-B*57:01" in row and "US Food and Drug Administration" in row


@pytest.mark.validation
def test_1000_genomes_cyp2c19_file_leaves_other_genes_not_tested(kb):
    """HG00096 from the 1000 Genomes CYP2C19 file with --missing-as-ref: TPMT, NUDT15 and G6PD were never in the
    file, so their drugs are 'not tested', and nothing is actionable without a tested gene."""
    vcf = shared_path("pgx", "1kgp-grch38", "CYP2C19.vcf.gz")
    _, results = call_pgx(vcf, kb, samples=["HG00096"], missing_as_reference=True)
    document = build_result(kb, "HG00096", dict(results[0]), _provenance())
    tested = {g.gene for g in document.genes if g.tested}
    assert tested == {"CYP2C19"}
    by_drug: dict[str, list[str]] = {}
    for row in document.drugs:
        by_drug.setdefault(row.drug, []).append(row.status)
    for drug in THIOPURINES | G6PD_DRUGS:
        assert by_drug[drug] == ["not_tested"], drug
    for row in document.drugs:
        if row.status == "actionable":
            assert row.basis and {b.gene for b in row.basis} <= tested, row.drug
        if set(row.genes).isdisjoint(tested):
            assert row.status == "not_tested", row.drug
    rasburicase = next(r for r in document.drugs if r.drug == "rasburicase")
    assert "G6PD" in (rasburicase.testing_advice or "")
