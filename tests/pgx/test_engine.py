"""The PGx engine end to end on pgx-core: diplotypes, phenotypes, drug guidance, outside calls."""

from __future__ import annotations

from conftest import reference_records

from tailormed.model.genotypes import OutsideCall
from tailormed.pipelines.pgx import call_pgx


def _allele(kb, gene, name):
    return next(a for a in kb.genes[gene].alleles if a.name == name)


def _genotype_records(kb, gene, allele_names: tuple[str, str]):
    """Unphased records carrying two named alleles (their non-reference bases)."""
    definition = kb.genes[gene]
    ref_allele = _allele(kb, gene, definition.reference_allele)
    counts: dict[str, tuple[str, int]] = {}
    for name in allele_names:
        for vid, base in _allele(kb, gene, name).defining.items():
            if base not in {"A", "C", "G", "T"} and len(base) == 1:
                continue  # an IUPAC code accepts the reference base too
            if base == ref_allele.defining.get(vid, next(v.ref for v in definition.variants if v.id == vid)):
                continue
            alt, n = counts.get(vid, (base, 0))
            counts[vid] = (base, n + 1)
    overrides = {vid: (base, {1: "0/1", 2: "1/1"}[n]) for vid, (base, n) in counts.items()}
    return reference_records(kb, gene, overrides)


def test_cyp2c19_star2_heterozygote_is_intermediate_and_changes_clopidogrel(kb, write_vcf):
    # *1 and *2 both carry rs3758581 G (c.991G); *2 adds rs4244285 A and rs12769205 G.
    records = _genotype_records(kb, "CYP2C19", ("*1", "*2"))
    _, results = call_pgx(write_vcf(records), kb)
    cyp2c19 = results[0]["CYP2C19"]
    assert [d.label for d in cyp2c19.diplotypes] == ["*1/*2"]
    assert cyp2c19.phenotype == "Intermediate Metabolizer"
    from tailormed.pgx.recommend import recommend

    rows = [r for r in recommend(kb, results[0]) if r.drug == "clopidogrel"]
    assert rows and all(r.basis[0].matched_on == "Intermediate Metabolizer" for r in rows)
    acs = [r for r in rows if r.strength == "Strong"]
    assert acs and acs[0].status == "actionable"
    assert "prasugrel" in acs[0].recommendation or "ticagrelor" in acs[0].recommendation


def test_cyp2c9_activity_score(kb, write_vcf):
    records = _genotype_records(kb, "CYP2C9", ("*1", "*3"))
    _, results = call_pgx(write_vcf(records), kb)
    cyp2c9 = results[0]["CYP2C9"]
    assert cyp2c9.diplotype_label == "*1/*3"
    assert cyp2c9.activity_score == 1.0
    assert cyp2c9.phenotype == "Intermediate Metabolizer"


def test_dpyd_no_function_variant_halves_fluorouracil(kb, write_vcf):
    dpyd = kb.genes["DPYD"]
    allele = next(a for a in dpyd.alleles if a.name.startswith("c.1905+1G>A"))
    (vid, base), = allele.defining.items()
    _, results = call_pgx(write_vcf(reference_records(kb, "DPYD", {vid: (base, "0/1")})), kb)
    result = results[0]["DPYD"]
    assert result.activity_score == 1.0 and result.phenotype == "Intermediate Metabolizer"
    from tailormed.pgx.recommend import recommend

    row = next(r for r in recommend(kb, results[0]) if r.drug == "fluorouracil")
    assert row.status == "actionable" and "50%" in row.recommendation


def test_missing_positions_are_listed_and_flag_uncertainty(kb, write_vcf):
    records = [r for r in _genotype_records(kb, "CYP2C19", ("*1", "*1")) if r[1] != 94761900]  # drop rs12248560 (*17)
    _, results = call_pgx(write_vcf(records), kb)
    result = results[0]["CYP2C19"]
    assert any("rs12248560" in m for m in result.missing_positions)
    assert result.uncertain_due_to_missing
    assert {d.label for d in result.diplotypes} >= {"*1/*1", "*1/*17"}
    assert result.phenotype == "Indeterminate"  # *1/*1 (normal) and *1/*17 (rapid) tie


def test_missing_as_reference_fills_absent_positions(kb, write_vcf):
    records = [r for r in _genotype_records(kb, "CYP2C19", ("*1", "*1")) if r[1] != 94781859]  # drop rs4244285 (*2)
    _, results = call_pgx(write_vcf(records), kb, missing_as_reference=True)
    result = results[0]["CYP2C19"]
    assert result.diplotype_label == "*1/*1" and not result.missing_positions


def test_missing_as_reference_does_not_reach_beyond_the_data(kb, write_vcf):
    # rs12248560 is the first CYP2C19 site; with no record within 5 kb before it, the file may simply
    # stop short of it (a region extract), so it stays missing instead of being assumed reference.
    records = [r for r in _genotype_records(kb, "CYP2C19", ("*1", "*1")) if r[1] != 94761900]
    _, results = call_pgx(write_vcf(records), kb, missing_as_reference=True)
    result = results[0]["CYP2C19"]
    assert any("rs12248560" in m for m in result.missing_positions)
    assert {d.label for d in result.diplotypes} >= {"*1/*1", "*1/*17"}


def test_outside_call_overrides_vcf_and_is_recorded(kb, write_vcf):
    records = _genotype_records(kb, "CYP2C19", ("*1", "*2"))
    outside = [OutsideCall(gene="CYP2C19", diplotype="*2/*2", phenotype=None, activity_score=None, sample=None,
                           source="test:1"), OutsideCall(gene="HLA-B", diplotype="*57:01/*08:01", phenotype=None,
                                                         activity_score=None, sample=None, source="test:2")]
    _, results = call_pgx(write_vcf(records), kb, outside_calls=outside)
    cyp2c19 = results[0]["CYP2C19"]
    assert cyp2c19.source == "outside_call" and cyp2c19.overridden_vcf_call == "*1/*2"
    assert cyp2c19.phenotype == "Poor Metabolizer"
    hla = results[0]["HLA-B"]
    assert "*57:01 positive" in hla.lookup_keys and "*58:01 negative" in hla.lookup_keys
    from tailormed.pgx.recommend import recommend

    abacavir = next(r for r in recommend(kb, results[0]) if r.drug == "abacavir")
    assert abacavir.status == "actionable" and abacavir.strength == "Strong"


def test_gene_without_result_is_not_tested_not_a_guess(kb, write_vcf):
    """HLA-B without an outside call was never examined: abacavir is 'not tested', with the label's advice to test."""
    _, results = call_pgx(write_vcf(reference_records(kb, "CYP2C19")), kb)
    from tailormed.pgx.recommend import recommend

    abacavir = [r for r in recommend(kb, results[0]) if r.drug == "abacavir"]
    assert [r.status for r in abacavir] == ["not_tested"]
    assert abacavir[0].untested_genes == ["HLA-B"] and abacavir[0].recommendation is None
    assert "HLA-B*57:01" in (abacavir[0].testing_advice or "")
    assert abacavir[0].testing_advice_sources == ["fda-label-abacavir"]


def test_cohort_results_equal_single_sample_results(kb, write_vcf):
    records_a = _genotype_records(kb, "CYP2C19", ("*1", "*2"))
    records_b = _genotype_records(kb, "CYP2C19", ("*2", "*17"))
    merged = [(a[0], a[1], a[2], a[3] if a[4] != "0/0" else b[3], a[4], b[4])
              for a, b in zip(records_a, records_b, strict=False)]
    # both samples' alt bases agree at every site (single-alt SNVs), so one ALT column serves both
    cohort = write_vcf(merged, samples=("A", "B"), name="cohort.vcf")
    ids, together = call_pgx(cohort, kb)
    for sample, result in zip(ids, together, strict=False):
        _, alone = call_pgx(cohort, kb, samples=[sample])
        assert alone[0]["CYP2C19"].diplotype_label == result["CYP2C19"].diplotype_label
    assert [r["CYP2C19"].diplotype_label for r in together] == ["*1/*2", "*2/*17"]


def _dpyd_records(kb, genotypes_by_label: dict[str, str], drop_label: str | None = None):
    dpyd = kb.genes["DPYD"]
    overrides, dropped = {}, None
    for allele in dpyd.alleles:
        for prefix, gt in genotypes_by_label.items():
            if allele.name.startswith(prefix):
                (vid, base), = allele.defining.items()
                overrides[vid] = (base, gt)
        if drop_label and allele.name.startswith(drop_label):
            (dropped, _), = allele.defining.items()
    positions = {v.id: v.position for v in dpyd.variants}
    return [r for r in reference_records(kb, "DPYD", overrides) if dropped is None or r[1] != positions[dropped]]


def test_dpyd_hapb3_tag_and_intronic_variant_count_once(kb, write_vcf):
    records = _dpyd_records(kb, {"c.1129-5923C>G": "0/1", "c.1236G>A": "0/1"})
    _, results = call_pgx(write_vcf(records), kb)
    assert results[0]["DPYD"].activity_score == 1.5
    assert any(w.code == "proxy_variant" for w in results[0]["DPYD"].warnings)


def test_dpyd_hapb3_tag_alone_counts_only_when_intronic_site_missing(kb, write_vcf):
    genotyped = _dpyd_records(kb, {"c.1236G>A": "0/1"})
    _, results = call_pgx(write_vcf(genotyped, name="a.vcf"), kb)
    assert results[0]["DPYD"].activity_score == 2.0
    untyped = _dpyd_records(kb, {"c.1236G>A": "0/1"}, drop_label="c.1129-5923C>G")
    _, results = call_pgx(write_vcf(untyped, name="b.vcf"), kb)
    assert results[0]["DPYD"].activity_score == 1.5


def test_cyp2d6_from_vcf_is_provisional_and_says_so_on_the_drug(kb, write_vcf):
    _, results = call_pgx(write_vcf(reference_records(kb, "CYP2D6")), kb)
    cyp2d6 = results[0]["CYP2D6"]
    assert cyp2d6.source == "vcf" and any(w.code == "vcf_caveat" for w in cyp2d6.warnings)
    from tailormed.pgx.recommend import recommend

    codeine = [r for r in recommend(kb, results[0]) if r.drug == "codeine"]
    assert codeine and all(any(w.code == "provisional_gene_call" for w in r.warnings) for r in codeine)
