"""Named-allele matcher on a small synthetic gene, so each rule is tested in isolation."""

from __future__ import annotations

import numpy as np

from tailormed.io.vcf import VcfFile
from tailormed.model.pack import GeneDefinition
from tailormed.pgx.matcher import match_haplotypes, match_independent_variants

TOY = GeneDefinition.model_validate({
    "gene": "TOY1", "chromosome": "chr10", "phenotype_method": "function", "reference_allele": "*1",
    "variants": [
        {"id": "rs1", "position": 1000, "ref": "C", "alt": ["T"]},
        {"id": "rs2", "position": 1100, "ref": "C", "alt": ["T"]},
        {"id": "rs3", "position": 1200, "ref": "T", "alt": ["C"]},
        {"id": "rs4", "position": 1300, "ref": "G", "alt": ["A"]},
        {"id": "rs5", "position": 1400, "ref": "A", "alt": ["G"]},
    ],
    "alleles": [
        {"name": "*1", "function": "Normal function"},
        {"name": "*2", "defining": {"rs1": "T", "rs4": "A"}, "function": "No function"},
        {"name": "*3", "defining": {"rs4": "A"}, "function": "Decreased function"},
        {"name": "*4", "defining": {"rs2": "T"}, "function": "No function"},
        {"name": "*5", "defining": {"rs1": "T"}, "function": "Decreased function"},
    ],
    "phenotype_rules": [{"functions": ["Normal function", "Normal function"], "phenotype": "Normal Metabolizer"}],
})


def _calls(write_vcf, genotypes: dict[str, str], fmt: str = "GT", ps: dict[str, int] | None = None):
    records = []
    for v in TOY.variants:
        gt = genotypes.get(v.id)
        if gt is None:
            continue
        fields = [gt] if fmt == "GT" else [f"{gt}:{(ps or {}).get(v.id, 0)}"]
        records.append(("chr10", v.position, v.ref, v.alt[0], *fields))
    path = write_vcf(records, fmt=fmt)
    with VcfFile(path) as vcf:
        genotypes_arrays = vcf.read_genes([TOY])["TOY1"]
    return match_haplotypes(TOY, genotypes_arrays)[0]


ALL_REF = {f"rs{i}": "0/0" for i in range(1, 6)}


def test_reference_sample_is_star1_star1(write_vcf):
    assert _calls(write_vcf, ALL_REF).diplotypes == [("*1", "*1")]


def test_unphased_prefers_highest_score(write_vcf):
    # The documented example: rs1 C/T and rs4 A/G fit *1/*2 (5 + 2) and *3/*5 (1 + 1): *1/*2 wins.
    call = _calls(write_vcf, {**ALL_REF, "rs1": "0/1", "rs4": "0/1"})
    assert call.diplotypes == [("*1", "*2")]
    assert call.score == 7


def test_missing_position_reduces_score_and_reports_ties(write_vcf):
    genotypes = {**ALL_REF, "rs4": "0/1"}
    del genotypes["rs1"]
    call = _calls(write_vcf, genotypes)
    assert call.diplotypes == [("*1", "*2"), ("*1", "*3")]
    assert call.missing_positions == [0]
    assert "*5" in call.cannot_exclude


def test_phased_genotypes_fix_the_orientation(write_vcf):
    # rs1 and rs4 on different chromosomes: *2 is impossible, *3/*5 remains.
    call = _calls(write_vcf, {**ALL_REF, "rs1": "1|0", "rs4": "0|1"})
    assert call.diplotypes == [("*3", "*5")]
    call = _calls(write_vcf, {**ALL_REF, "rs1": "0|1", "rs4": "0|1"})
    assert call.diplotypes == [("*1", "*2")]


def test_phase_sets_split_blocks(write_vcf):
    # Same phased layout as above but in different phase sets: orientation between blocks is unknown.
    gts = {**{k: f"{v}" for k, v in ALL_REF.items()}, "rs1": "1|0", "rs4": "0|1"}
    call = _calls(write_vcf, gts, fmt="GT:PS", ps={"rs1": 100, "rs4": 200})
    assert call.diplotypes == [("*1", "*2")]


def test_no_fitting_pair_is_not_called_and_explained(write_vcf):
    # rs2 and rs4 and rs1 all heterozygous: no pair of named alleles explains three variants with *4.
    call = _calls(write_vcf, {**ALL_REF, "rs1": "1/1", "rs2": "0/1", "rs4": "0/1"})
    assert call.diplotypes == []
    assert set(call.unexplained) == {0, 1, 3}


def test_unexpected_alt_is_not_silently_reference(write_vcf):
    records = [("chr10", v.position, v.ref, "G" if v.id == "rs2" else v.alt[0], "0/1" if v.id == "rs2" else "0/0")
               for v in TOY.variants]
    with VcfFile(write_vcf(records)) as vcf:
        arrays = vcf.read_genes([TOY])["TOY1"]
    assert arrays.unexpected_alleles == {1: ["C>G"]}
    assert match_haplotypes(TOY, arrays)[0].diplotypes == []


def test_haploid_calls_match_single_alleles(write_vcf):
    gts = {k: "0" for k in ALL_REF} | {"rs2": "1"}
    call = _calls(write_vcf, gts)
    assert call.hemizygous
    assert call.diplotypes == [("*4",)]


def test_samples_with_same_pattern_share_work(write_vcf):
    records = [("chr10", v.position, v.ref, v.alt[0], "0/0", "0/1" if v.id == "rs2" else "0/0", "0/0")
               for v in TOY.variants]
    with VcfFile(write_vcf(records, samples=("A", "B", "C"))) as vcf:
        arrays = vcf.read_genes([TOY])["TOY1"]
    calls = match_haplotypes(TOY, arrays)
    assert [c.diplotypes for c in calls] == [[("*1", "*1")], [("*1", "*4")], [("*1", "*1")]]
    assert calls[0] is calls[2]


def test_iupac_code_accepts_either_base():
    gene = TOY.model_copy(update={"alleles": [*TOY.alleles[:1], TOY.alleles[1].model_copy(
        update={"defining": {"rs1": "T", "rs4": "R"}})]})
    codes = np.zeros((1, 5, 2), dtype=np.int8)
    codes[0, 0] = [0, 1]
    from tailormed.model.genotypes import GeneGenotypes
    arrays = GeneGenotypes(gene="TOY1", variants=list(gene.variants), codes=codes, phased=np.zeros((1, 5), bool),
                           phase_set=np.zeros((1, 5), np.int64), position_status=["called"] * 5)
    # rs4 reference G is accepted by R (A/G), so *2 fits with rs1 alone, and outranks *1/*1 never (rs1 is het).
    assert match_haplotypes(gene, arrays)[0].diplotypes == [("*1", "*2")]


def test_independent_variants_lists_each_variant(write_vcf, kb):
    dpyd = kb.genes["DPYD"]
    target = next(a for a in dpyd.alleles if a.name.startswith("c.2846A>T"))
    (vid, base), = target.defining.items()
    records = [(dpyd.chromosome, v.position, v.ref, v.alt[0], "0/1" if v.id == vid else "0/0") for v in dpyd.variants]
    with VcfFile(write_vcf(records)) as vcf:
        arrays = vcf.read_genes([dpyd])["DPYD"]
    call = match_independent_variants(dpyd, arrays)[0]
    assert sorted(len(h) for h in call.haplotypes) == [0, 1]
    assert target.name in call.haplotypes[0] + call.haplotypes[1]


def test_mixed_haploid_and_homozygous_diploid_calls_are_one_copy(write_vcf):
    # A male's chrX written haploid at variant sites and "0|0" elsewhere is one copy, not a heterozygote.
    gts = {**ALL_REF, "rs2": "1"}
    call = _calls(write_vcf, gts)
    assert call.hemizygous
    assert call.diplotypes == [("*4",)]
