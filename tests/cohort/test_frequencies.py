"""Population counts: chunk-independent, the actionable definition, the tables."""

from __future__ import annotations

import random

from tailormed.cohort.frequencies import (
    ALL,
    CohortCounts,
    CohortTally,
    actionable_rows,
    allele_rows,
    cpic_drug_names,
    drug_impact_rows,
    merge_counts,
    phenotype_rows,
    variant_list_references,
)
from tailormed.model.pgx import Diplotype, DrugCall, GeneBasis, GeneResult


def _gene(gene: str, alleles: list[str], phenotype: str | None, tested: bool = True) -> GeneResult:
    return GeneResult(gene=gene, source="vcf" if tested else "none", tested=tested, phenotype=phenotype,
                      diplotypes=[Diplotype(alleles=alleles)] if alleles else [])


def _row(drug: str, status: str, gene: GeneResult) -> DrugCall:
    return DrugCall(drug=drug, status=status, basis=[GeneBasis(gene=gene.gene, diplotype=gene.diplotype_label,
                                                               phenotype=gene.phenotype, matched_on="x")])


PM = _gene("CYP2C19", ["*2", "*2"], "Poor Metabolizer")
NM = _gene("CYP2C19", ["*1", "*1"], "Normal Metabolizer")
CFTR_REF = _gene("CFTR", ["Reference", "Reference"], "Ivacaftor Non-responsive")
NAT2_SLOW = _gene("NAT2", ["*5", "*6"], "Poor Acetylator")
HLA = _gene("HLA-B", [], None, tested=False)


def test_counts_do_not_depend_on_how_the_cohort_is_split():
    samples = []
    rng = random.Random(7)
    for _ in range(60):
        cyp = rng.choice([PM, NM])
        samples.append((rng.choice(["AFR", "EUR", "EAS"]), [cyp, HLA],
                        [_row("clopidogrel", "actionable" if cyp is PM else "standard", cyp)]))
    cpic = frozenset({"clopidogrel"})

    def count(chunk):
        tally = CohortTally(cpic)
        for population, genes, drugs in chunk:
            tally.add(population, genes, drugs)
        return tally.counts

    whole = count(samples)
    for size in (1, 7, 25):
        chunks = [count(samples[i:i + size]) for i in range(0, len(samples), size)]
        rng.shuffle(chunks)  # merging is order-free
        merged = merge_counts(chunks)
        assert phenotype_rows(merged) == phenotype_rows(whole)
        assert allele_rows(merged) == allele_rows(whole)
        assert actionable_rows(merged) == actionable_rows(whole)
        assert drug_impact_rows(merged) == drug_impact_rows(whole)
    n_pm = sum(1 for _, genes, _ in samples if genes[0] is PM)
    pm = next(r for r in phenotype_rows(whole) if r.population == ALL and r.value == "Poor Metabolizer")
    assert (pm.count, pm.n) == (n_pm, 60)
    star2 = next(r for r in allele_rows(whole) if r.population == ALL and r.allele == "*2")
    assert (star2.count, star2.n) == (2 * n_pm, 120)
    untested = next(r for r in phenotype_rows(whole) if r.gene == "HLA-B" and r.population == ALL)
    assert (untested.value, untested.count) == ("not tested", 60)
    clopidogrel = next(r for r in drug_impact_rows(whole) if r.population == ALL)
    assert (clopidogrel.changed, clopidogrel.n, clopidogrel.not_assessed) == (n_pm, 60, 0)


def test_rows_of_one_population_add_up_to_its_size():
    tally = CohortTally(frozenset())
    for population, cyp in [("EUR", PM), ("EUR", NM), ("EAS", PM)]:
        tally.add(population, [cyp, HLA], [])
    for population, n in [(ALL, 3), ("EUR", 2), ("EAS", 1)]:
        rows = [r for r in phenotype_rows(tally.counts) if r.gene == "CYP2C19" and r.population == population]
        assert sum(r.count for r in rows) == n and all(r.n == n for r in rows)


def test_actionable_phenotype_follows_the_recommendation_and_the_gene_set(kb):
    cpic = cpic_drug_names(kb)
    typical = variant_list_references(kb)
    tally = CohortTally(cpic, typical)
    # 1: CYP2C19 poor metabolizer -> clopidogrel changes: actionable in both gene sets.
    tally.add("A", [PM], [_row("clopidogrel", "actionable", PM)])
    # 2: only the CFTR reference result ("ivacaftor non-responsive", a CF-patient recommendation): not a phenotype
    #    that counts, though ivacaftor's recommendation would change.
    tally.add("A", [NM, CFTR_REF], [_row("clopidogrel", "standard", NM), _row("ivacaftor", "actionable", CFTR_REF)])
    # 3: NAT2 (not one of McInnes et al.'s 14 genes): actionable for every gene, not for their set.
    tally.add("A", [NM, NAT2_SLOW], [_row("hydralazine", "actionable", NAT2_SLOW)])
    rows = {(r.population, r.gene_set): r for r in actionable_rows(tally.counts)}
    assert (rows[(ALL, "all")].count, rows[(ALL, "all")].n) == (2, 3)
    assert rows[(ALL, "mcinnes2021")].count == 1
    assert rows[(ALL, "all")].changed_drugs == 2
    impact = {(r.drug, r.population): r for r in drug_impact_rows(tally.counts)}
    assert impact[("ivacaftor", ALL)].changed == 1


def test_cpic_drugs_are_those_with_a_cpic_guideline(kb):
    cpic = cpic_drug_names(kb)
    assert {"clopidogrel", "warfarin", "codeine", "simvastatin"} <= cpic
    assert not {name for name, drug in kb.drugs.items() if drug.guideline.startswith("fda-")} & cpic
    assert variant_list_references(kb)["CFTR"] == "Reference" and "CYP2C19" not in variant_list_references(kb)


def test_empty_counts_give_only_the_all_population():
    assert actionable_rows(CohortCounts())[0].population == ALL
    assert phenotype_rows(CohortCounts()) == []
