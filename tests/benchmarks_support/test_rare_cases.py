"""The rare-disease benchmark's case builder: consequences from HGVS, genotypes, decoys, determinism, VCF validity."""

from __future__ import annotations

import json
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from cyvcf2 import VCF

from tailormed.errors import KnowledgeError

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))

import rare_cases  # noqa: E402
from rare_cases import (  # noqa: E402
    CSQ_FIELDS,
    build_case_vcf,
    build_exome_vcf,
    derive_consequence,
    genotype_for,
    sanitise_sample,
    vep_allele,
    vep_hgvsp,
)

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
PHENOPACKETS = SHARED / "data" / "rare" / "phenopackets-dev"
FIELDS = CSQ_FIELDS.split("|")
DECOY_GENES = [f"GENE{i}" for i in range(400)] + ["ABCA4", "KDM6A"]


# --------------------------------------------------------------------------- consequences from HGVS


@pytest.mark.parametrize(
    ("hgvs_c", "hgvs_p", "ref", "alt", "consequence", "impact", "protein_position", "amino_acids"),
    [
        # stop gained, both spellings
        ("NM_000350.3:c.6088C>T", "NP_000341.2:p.(Arg2030Ter)", "G", "A", "stop_gained", "HIGH", "2030", "R/*"),
        ("NM_000350.3:c.6088C>T", "NP_000341.2:p.Arg2030*", "G", "A", "stop_gained", "HIGH", "2030", "R/*"),
        ("NM_000075.4:c.367C > T", "NP_000066.1:p.(Gln123Ter)", "G", "A", "stop_gained", "HIGH", "123", "Q/*"),
        # a 1-bp duplication written as a stop: VEP decides the frameshift from the length change
        ("NM_016035.5:c.87dup", "NP_057119.3:p.(Arg30Ter)", "C", "CT", "stop_gained&frameshift_variant", "HIGH",
         "30", "R/*"),
        # frameshift
        ("NM_014141.6:c.1680del", "NP_054860.1:p.(Asn561IlefsTer45)", "GC", "G", "frameshift_variant", "HIGH",
         "561", "N/X"),
        # canonical splice sites
        ("NM_032360.4:c.694+1G>A", None, "C", "T", "splice_donor_variant", "HIGH", "", ""),
        ("NM_032360.4:c.694+2T>C", "NP_1.1:p.?", "A", "G", "splice_donor_variant", "HIGH", "", ""),
        ("NM_000350.3:c.1938-1G>A", None, "C", "T", "splice_acceptor_variant", "HIGH", "", ""),
        ("NM_000350.3:c.1938-2A>G", "NP_1.1:p.?", "T", "C", "splice_acceptor_variant", "HIGH", "", ""),
        ("NM_003086.4:c.472-2_472-1del", None, "CCT", "C", "splice_acceptor_variant&intron_variant", "HIGH", "", ""),
        # splice region, +3..+8 and -3..-8
        ("NM_014141.6:c.550+5G>T", "NP_054860.1:p.?", "G", "T", "splice_region_variant&intron_variant", "LOW", "", ""),
        ("NM_014141.6:c.550+3A>G", None, "A", "G", "splice_region_variant&intron_variant", "LOW", "", ""),
        ("NM_014141.6:c.551-8C>T", None, "C", "T", "splice_region_variant&intron_variant", "LOW", "", ""),
        ("NM_014141.6:c.551-3C>G", None, "C", "G", "splice_region_variant&intron_variant", "LOW", "", ""),
        ("NM_006767.4:c.-15-3C>T", "NP_1.1:p.?", "C", "T", "splice_region_variant&intron_variant", "LOW", "", ""),
        # deep intronic
        ("NM_014141.6:c.550+9G>A", None, "G", "A", "intron_variant", "MODIFIER", "", ""),
        ("NM_000500.9:c.293-13C>G", None, "C", "G", "intron_variant", "MODIFIER", "", ""),
        # missense
        ("NM_014141.6:c.2752C>T", "NP_054860.1:p.(Leu918Phe)", "C", "T", "missense_variant", "MODERATE", "918",
         "L/F"),
        ("NM_030817.3:c.145_146delinsTA", "NP_110444.3:p.(Arg49Tyr)", "CG", "TA", "missense_variant", "MODERATE",
         "49", "R/Y"),
        # in-frame
        ("NM_032590.5:c.1903_1905del", "NP_115979.3:p.(Lys635del)", "ACTT", "A", "inframe_deletion", "MODERATE",
         "635", ""),
        ("NM_000095.3:c.1160_1162del", "NP_000086.2:p.(Cys387_Pro388delinsSer)", "GGGC", "G", "inframe_deletion",
         "MODERATE", "387-388", ""),
        ("NM_005481.3:c.1408_1413dup", "NP_005472.2:p.(Ala470_Leu471dup)", "G", "GCAGCGC", "inframe_insertion",
         "MODERATE", "470-471", ""),
        ("NM_005902.4:c.269_271dup", "NP_005893.1:p.(Arg90dup)", "T", "TGCC", "inframe_insertion", "MODERATE", "90",
         ""),
        # start and stop
        ("NM_004593.3:c.1A>T", "NP_004584.1:p.(Met1?)", "T", "A", "start_lost", "HIGH", "1", ""),
        ("NM_004593.3:c.2_4del", "NP_004584.1:p.(Met1?)", "CTCA", "C", "start_lost", "HIGH", "1", ""),
        ("NM_004593.3:c.-11_12del", "NP_004584.1:p.?", "CGCTGTCGCTCATGACTCCTGGCT", "C",
         "start_lost&5_prime_UTR_variant", "HIGH", "1", ""),
        ("NM_001918.5:c.1448G>T", "NP_001909.4:p.(Ter483LeuextTer7)", "C", "A", "stop_lost", "HIGH", "483", "*/L"),
        # synonymous
        ("NM_170707.4:c.1824C>T", "NP_733821.1:p.(Gly608=)", "C", "T", "synonymous_variant", "LOW", "608", "G"),
        # UTR
        ("NM_006767.4:c.-38T>A", None, "T", "A", "5_prime_UTR_variant", "MODIFIER", "", ""),
        ("NM_144498.4:c.*9_*18del", "NP_1.1:p.?", "AGGGCCTGGAG", "A", "3_prime_UTR_variant", "MODIFIER", "", ""),
        # no p.: the shape decides
        ("NM_032360.4:c.602A>G", None, "T", "C", "coding_sequence_variant", "MODIFIER", "", ""),
        ("NM_032360.4:c.474del", None, "CT", "C", "frameshift_variant", "HIGH", "", ""),
        ("NM_032360.4:c.654_656dup", None, "G", "GTTA", "inframe_insertion", "MODERATE", "", ""),
        ("NM_032360.4:c.2T>C", None, "T", "C", "start_lost", "HIGH", "1", ""),
        ("NM_001352754.2:c.1211_1334del", "NP_001339683.2:p.?", "A" * 125, "A", "frameshift_variant", "HIGH", "", ""),
        # boundary-crossing changes
        ("NM_054012.4:c.1128-6_1188dup", None, "C", "C" + "A" * 67,
         "splice_acceptor_variant&coding_sequence_variant&intron_variant", "HIGH", "", ""),
        ("NM_024757.5:c.3239_3258+9delinsCATGC", None, "T" * 29, "CATGC",
         "splice_donor_variant&coding_sequence_variant&intron_variant", "HIGH", "", ""),
        # a deletion whose genomic length exceeds its coding length takes an intron with it
        ("NM_017799.4:c.161_344del", "NP_060269.3:p.?", "A" * 913, "A",
         "splice_acceptor_variant&splice_donor_variant&coding_sequence_variant&intron_variant", "HIGH", "", ""),
    ],
)
def test_consequence_from_hgvs(hgvs_c: str, hgvs_p: str | None, ref: str, alt: str, consequence: str, impact: str,
                               protein_position: str, amino_acids: str) -> None:
    derived = derive_consequence(hgvs_c, hgvs_p, ref, alt)
    assert derived.consequence == consequence
    assert derived.impact == impact
    assert derived.protein_position == protein_position
    assert derived.amino_acids == amino_acids


def test_non_coding_mitochondrial_and_missing_hgvs() -> None:
    snrna = derive_consequence("NR_003137.3:n.64_65insT", None, "T", "TA", gene="RNU4-2")
    assert (snrna.consequence, snrna.impact, snrna.biotype) == ("non_coding_transcript_exon_variant", "MODIFIER",
                                                                "snRNA")
    trna = derive_consequence("NC_012920.1:m.1661A>G", None, "A", "G", gene="MT-TV")
    assert (trna.consequence, trna.biotype) == ("non_coding_transcript_exon_variant", "Mt_tRNA")
    upstream = derive_consequence(None, None, "G", "A", structural_type="2KB_upstream_variant")
    assert (upstream.consequence, upstream.impact) == ("upstream_gene_variant", "MODIFIER")
    assert derive_consequence(None, None, "G", "A").consequence == "sequence_variant"


def test_cds_position_from_c() -> None:
    assert derive_consequence("NM_1.1:c.2752C>T", "NP_1.1:p.(Leu918Phe)", "C", "T").cds_position == "2752"
    assert derive_consequence("NM_1.1:c.1903_1905del", "NP_1.1:p.(Lys635del)", "ACTT", "A").cds_position == "1903-1905"
    assert derive_consequence("NM_1.1:c.694+1G>A", None, "C", "T").cds_position == ""


@pytest.mark.parametrize(
    ("ref", "alt", "allele"),
    [("C", "T", "T"), ("GC", "G", "-"), ("T", "TGCC", "GCC"), ("CG", "TA", "TA"), ("GC", "GA", "GA"),
     ("GGCTTCCT", "AGCTTCCA", "AGCTTCCA"), ("AAAACCATAAAG", "GGGTCC", "GGGTCC")],
)
def test_vep_allele(ref: str, alt: str, allele: str) -> None:
    assert vep_allele(ref, alt) == allele


def test_vep_hgvsp_style() -> None:
    assert vep_hgvsp("NP_054860.1:p.(Leu918Phe)") == "NP_054860.1:p.Leu918Phe"
    assert vep_hgvsp("NP_733821.1:p.(Gly608=)") == "NP_733821.1:p.Gly608%3D"
    assert vep_hgvsp("NP_054860.1:p.?") == ""
    assert vep_hgvsp(None) == ""


# --------------------------------------------------------------------------- genotypes


@pytest.mark.parametrize(
    ("state", "chrom", "sex", "gt"),
    [
        ("GENO:0000135", "chr7", "FEMALE", "0/1"),
        ("GENO:0000136", "chr7", "MALE", "1/1"),
        ("GENO:0000134", "chrX", "MALE", "1"),
        ("GENO:0000134", "chrX", "FEMALE", "0/1"),
        ("GENO:0000134", "chrX", "UNKNOWN_SEX", "1/1"),
        ("GENO:0000134", "chr7", "MALE", "1/1"),
        ("GENO:0000135", "chrX", "MALE", "0/1"),
    ],
)
def test_genotype_mapping(state: str, chrom: str, sex: str, gt: str) -> None:
    assert genotype_for(state, chrom, sex) == gt


def test_sample_names_are_sanitised() -> None:
    assert sanitise_sample("II.2 (proband)") == "II.2_proband"
    assert sanitise_sample("Patient 7: A-1") == "Patient_7_A-1"
    assert sanitise_sample("  ") == "proband"


# --------------------------------------------------------------------------- case VCFs


def _descriptor(gene: str, chrom: str, pos: int | str, ref: str, alt: str, c: str, p: str | None,
                state: str = "GENO:0000135") -> dict[str, Any]:
    expressions = [{"syntax": "hgvs.c", "value": c}]
    if p:
        expressions.append({"syntax": "hgvs.p", "value": p})
    return {"variantInterpretation": {"variationDescriptor": {
        "id": f"{gene}-{pos}", "geneContext": {"symbol": gene}, "expressions": expressions,
        "vcfRecord": {"genomeAssembly": "hg38", "chrom": chrom, "pos": pos, "ref": ref, "alt": alt},
        "allelicState": {"id": state}}}}


def _structural(gene: str) -> dict[str, Any]:
    return {"variantInterpretation": {"variationDescriptor": {
        "id": f"{gene}-del", "label": "deletion of exons 3-5", "geneContext": {"symbol": gene},
        "structuralType": {"id": "SO:1000029", "label": "chromosomal_deletion"},
        "allelicState": {"id": "GENO:0000135"}}}}


def _phenopacket(genomic: list[dict[str, Any]], sex: str = "FEMALE", subject: str = "II.2 (proband)") -> dict[str, Any]:
    return {"id": "PMID_1_case", "subject": {"id": subject, "sex": sex},
            "interpretations": [{"id": "i1", "diagnosis": {"disease": {"id": "OMIM:601718"},
                                                           "genomicInterpretations": genomic}}]}


COMPOUND_HET = _phenopacket([
    _descriptor("ABCA4", "chr1", 94060760, "C", "T", "NM_000350.3:c.1938-1G>A", None),
    _descriptor("ABCA4", "chr1", 94008251, "G", "A", "NM_000350.3:c.6088C>T", "NP_000341.2:p.(Arg2030Ter)"),
])


def _records(path: Path) -> list[dict[str, Any]]:
    vcf = VCF(str(path))
    rows = []
    for variant in vcf:
        csq = dict(zip(FIELDS, variant.INFO["CSQ"].split("|"), strict=True))
        rows.append({"key": f"{variant.CHROM}-{variant.POS}-{variant.REF}-{variant.ALT[0]}", "chrom": variant.CHROM,
                     "pos": variant.POS, "gt": variant.genotypes[0], "csq": csq,
                     "dp": int(variant.format("DP")[0][0]), "gq": int(variant.format("GQ")[0][0])})
    vcf.close()
    return rows


def test_compound_het_case_with_decoys(tmp_path: Path) -> None:
    out = tmp_path / "case.vcf"
    build = build_case_vcf(COMPOUND_HET, out, DECOY_GENES, random.Random(7))
    assert build.placeable and build.reason is None
    assert build.causal_genes == {"ABCA4"}
    assert build.causal_variants == ["chr1-94060760-C-T", "chr1-94008251-G-A"]
    assert build.causal_consequences == ["splice_acceptor_variant", "stop_gained"]
    assert build.n_decoys == 200
    assert build.sample == "II.2_proband"

    vcf = VCF(str(out))
    assert vcf.samples == ["II.2_proband"]
    assert "GRCh38" in vcf.raw_header and "##reference=GRCh38" in vcf.raw_header
    assert vcf.get_header_type("CSQ")["Description"].endswith(f'Format: {CSQ_FIELDS}"')
    assert {c: n for c, n in zip(vcf.seqnames, vcf.seqlens, strict=True)}["chrX"] == 156040895
    vcf.close()

    rows = _records(out)
    assert len(rows) == 202
    causal = {r["key"]: r for r in rows if r["key"] in build.causal_variants}
    assert set(causal) == set(build.causal_variants)
    for row in causal.values():  # unphased compound heterozygote
        assert row["gt"] == [0, 1, False]
        assert row["csq"]["SYMBOL"] == "ABCA4" and row["csq"]["CANONICAL"] == "YES"
    assert causal["chr1-94008251-G-A"]["csq"]["HGVSp"] == "NP_000341.2:p.Arg2030Ter"
    assert causal["chr1-94060760-C-T"]["csq"]["HGVSc"] == "NM_000350.3:c.1938-1G>A"

    decoys = [r for r in rows if r["key"] not in causal]
    assert "ABCA4" not in {r["csq"]["SYMBOL"] for r in decoys}
    assert {r["csq"]["SYMBOL"] for r in decoys} <= set(DECOY_GENES)
    assert len({r["csq"]["SYMBOL"] for r in decoys}) == 200  # each decoy gene once while there are enough
    for row in decoys:
        assert not (row["chrom"] == "chr1" and min(abs(row["pos"] - 94060760), abs(row["pos"] - 94008251)) < 1000)
    assert all(r["csq"]["CLIN_SIG"] == "" and r["csq"]["EXON"] == "" for r in rows)
    assert all(20 <= r["dp"] <= 90 and 40 <= r["gq"] <= 99 for r in rows)
    order = [(rare_cases.CONTIG_ORDER[r["chrom"]], r["pos"]) for r in rows]
    assert order == sorted(order)


def test_output_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    first, second, other = tmp_path / "a.vcf", tmp_path / "b.vcf", tmp_path / "c.vcf"
    build_case_vcf(COMPOUND_HET, first, DECOY_GENES, random.Random(3))
    build_case_vcf(COMPOUND_HET, second, list(reversed(DECOY_GENES)), random.Random(3))  # order-independent
    build_case_vcf(COMPOUND_HET, other, DECOY_GENES, random.Random(4))
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() != other.read_bytes()


def test_hemizygous_male_is_haploid_and_decoys_on_x_follow(tmp_path: Path) -> None:
    packet = _phenopacket([_descriptor("KDM6A", "chrX", 44961385, "C", "T", "NM_001291415.2:c.327C>T",
                                       "NP_001278344.1:p.(Gln109Ter)", state="GENO:0000134")], sex="MALE")
    out = tmp_path / "male.vcf"
    build = build_case_vcf(packet, out, DECOY_GENES, random.Random(1), n_decoys=300)
    rows = _records(out)
    causal = next(r for r in rows if r["key"] == build.causal_variants[0])
    assert causal["gt"] == [1, False]
    x_decoys = [r for r in rows if r["chrom"] == "chrX" and r is not causal]
    assert x_decoys and all(r["gt"] == [1, False] for r in x_decoys)
    assert all(len(r["gt"]) == 3 for r in rows if r["chrom"] != "chrX")


def test_x_linked_decoy_genes_go_to_chrx(tmp_path: Path) -> None:
    out = tmp_path / "x.vcf"
    x_linked = {f"GENE{i}" for i in range(0, 400, 2)}
    build_case_vcf(COMPOUND_HET, out, DECOY_GENES, random.Random(2), x_linked_genes=x_linked)
    for row in _records(out):
        if row["csq"]["SYMBOL"] != "ABCA4":
            assert (row["chrom"] == "chrX") == (row["csq"]["SYMBOL"] in x_linked)


def test_same_variant_listed_twice_is_homozygous(tmp_path: Path) -> None:
    twice = _descriptor("TMEM260", "chr14", "56633141", "GTATC", "G", "NM_017799.4:c.1698_1701del",
                        "NP_060269.3:p.(Tyr567ThrfsTer27)")
    out = tmp_path / "dup.vcf"
    build = build_case_vcf(_phenopacket([twice, twice], sex="MALE"), out, DECOY_GENES, random.Random(1), n_decoys=5)
    assert build.causal_variants == ["chr14-56633141-GTATC-G"]
    rows = _records(out)
    assert len(rows) == 6
    row = next(r for r in rows if r["key"] == "chr14-56633141-GTATC-G")
    assert row["gt"] == [1, 1, False]
    assert row["csq"]["Allele"] == "-" and row["csq"]["Consequence"] == "frameshift_variant"


def test_case_without_a_placeable_variant(tmp_path: Path) -> None:
    out = tmp_path / "none.vcf"
    build = build_case_vcf(_phenopacket([_structural("CAPRIN1")]), out, DECOY_GENES, random.Random(1))
    assert not build.placeable
    assert build.reason is not None and build.reason.startswith("no placeable variant")
    assert "chromosomal_deletion" in build.reason
    assert build.causal_genes == {"CAPRIN1"} and build.causal_variants == [] and build.n_decoys == 0
    assert not out.exists()


def test_partly_placeable_case_lists_what_was_left_out(tmp_path: Path) -> None:
    packet = _phenopacket([_structural("ABCA4"),
                           _descriptor("ABCA4", "chr1", 94060760, "C", "T", "NM_000350.3:c.1938-1G>A", None)])
    build = build_case_vcf(packet, tmp_path / "part.vcf", DECOY_GENES, random.Random(1))
    assert build.placeable and build.causal_variants == ["chr1-94060760-C-T"]
    assert len(build.unplaced) == 1 and build.reason is not None and "not placeable" in build.reason


def test_symbolic_and_foreign_records_are_not_placed(tmp_path: Path) -> None:
    packet = _phenopacket([_descriptor("MDGA2", "chr14", 47687129, "N", "DEL", "NM_1.1:c.1del", None)])
    build = build_case_vcf(packet, tmp_path / "sym.vcf", DECOY_GENES, random.Random(1))
    assert not build.placeable and "not a sequence change" in (build.reason or "")


def test_decoy_mix_and_score_fairness(tmp_path: Path) -> None:
    """Decoy proportions follow DECOY_MIX; scores depend on the consequence only, not on causal status."""
    out = tmp_path / "many.vcf"
    build_case_vcf(COMPOUND_HET, out, DECOY_GENES, random.Random(11), n_decoys=2000)
    decoys = [r for r in _records(out) if r["csq"]["SYMBOL"] != "ABCA4"]
    share = Counter(r["csq"]["Consequence"] for r in decoys)
    assert 0.50 < share["missense_variant"] / 2000 < 0.60
    assert 0.21 < share["synonymous_variant"] / 2000 < 0.29
    lof = sum(share[t] for t in ("stop_gained", "frameshift_variant", "splice_donor_variant",
                                 "splice_acceptor_variant"))
    assert 0.05 < lof / 2000 < 0.11
    assert 0.90 < sum(r["gt"] == [0, 1, False] for r in decoys if r["chrom"] != "chrX") / len(
        [r for r in decoys if r["chrom"] != "chrX"]) < 0.99
    absent = sum(r["csq"]["gnomADe_AF"] == "" for r in decoys) / len(decoys)
    assert 0.55 < absent < 0.65
    afs = [float(r["csq"]["gnomADe_AF"]) for r in decoys if r["csq"]["gnomADe_AF"]]
    assert all(1e-6 <= af <= 1e-3 for af in afs)
    missense = [r for r in decoys if r["csq"]["Consequence"] == "missense_variant"]
    assert all(r["csq"]["REVEL"] for r in missense)
    assert not any(r["csq"]["REVEL"] for r in decoys if r["csq"]["Consequence"] != "missense_variant")
    high = sum(float(r["csq"]["REVEL"]) >= 0.644 for r in missense) / len(missense)
    assert 0.15 < high < 0.28  # Beta(1, 1.5): P(>= 0.644) = 0.21
    non_splice = [r for r in decoys if "splice" not in r["csq"]["Consequence"]]
    assert all(float(r["csq"][f"SpliceAI_pred_DS_{k}"]) < 0.1 for r in non_splice for k in ("AG", "AL", "DG", "DL"))

    # the causal stop_gained draws from the same distribution as decoy stop_gained variants
    rng_a, rng_b = random.Random(5), random.Random(5)
    stop = derive_consequence("NM_1.1:c.6088C>T", "NP_1.1:p.(Arg2030Ter)", "G", "A")
    decoy_stop = rare_cases.DerivedConsequence(("stop_gained",), "12", "R/*", "34")
    assert rare_cases.draw_scores(stop, rng_a) == rare_cases.draw_scores(decoy_stop, rng_b)


def test_too_few_decoy_genes_are_reused_and_none_left_is_an_error(tmp_path: Path) -> None:
    build = build_case_vcf(COMPOUND_HET, tmp_path / "few.vcf", ["G1", "G2", "ABCA4"], random.Random(1), n_decoys=10)
    assert build.n_decoys == 10
    assert {r["csq"]["SYMBOL"] for r in _records(tmp_path / "few.vcf")} == {"ABCA4", "G1", "G2"}
    with pytest.raises(ValueError, match="no decoy genes"):
        build_case_vcf(COMPOUND_HET, tmp_path / "none.vcf", ["ABCA4"], random.Random(1))


# --------------------------------------------------------------------------- exome-sized VCF


@pytest.mark.parametrize("name", ["exome.vcf", "exome.vcf.gz"])
def test_exome_vcf_parses_and_has_common_and_rare_variants(tmp_path: Path, name: str) -> None:
    out = tmp_path / name
    build_exome_vcf(out, DECOY_GENES, 2000, random.Random(1))
    rows = _records(out)
    assert len(rows) == 2000
    assert len({r["key"] for r in rows}) == 2000
    afs = [float(r["csq"]["gnomADe_AF"]) if r["csq"]["gnomADe_AF"] else 0.0 for r in rows]
    assert sum(af >= 0.05 for af in afs) > 600  # mostly common
    assert sum(af < 1e-3 for af in afs) > 200  # with rare ones (absent or below 0.1%)
    assert sum(r["gt"] == [1, 1, False] for r in rows) > 100
    order = [(rare_cases.CONTIG_ORDER[r["chrom"]], r["pos"]) for r in rows]
    assert order == sorted(order)


def test_exome_vcf_is_deterministic(tmp_path: Path) -> None:
    build_exome_vcf(tmp_path / "a.vcf", DECOY_GENES, 300, random.Random(9))
    build_exome_vcf(tmp_path / "b.vcf", DECOY_GENES, 300, random.Random(9))
    assert (tmp_path / "a.vcf").read_bytes() == (tmp_path / "b.vcf").read_bytes()


# --------------------------------------------------------------------------- real phenopackets


def _real(relative: str) -> dict[str, Any]:
    path = PHENOPACKETS / relative
    if not path.is_file():
        pytest.skip(f"reference data not present: {path}")
    result: dict[str, Any] = json.loads(path.read_text())
    return result


def test_real_phenopackets(tmp_path: Path) -> None:
    # a structural deletion (not placeable) in trans with a canonical acceptor variant
    abca4 = build_case_vcf(_real("ABCA4/PMID_10874631_II_2.json"), tmp_path / "abca4.vcf", DECOY_GENES,
                           random.Random(1))
    assert abca4.placeable and abca4.causal_variants == ["chr1-94060760-C-T"]
    assert abca4.causal_consequences == ["splice_acceptor_variant"] and len(abca4.unplaced) == 1
    assert _records(tmp_path / "abca4.vcf")[0]["csq"]["IMPACT"] in ("HIGH", "MODERATE", "LOW", "MODIFIER")

    # the same frameshift listed twice (a homozygous male)
    tmem = build_case_vcf(_real("TMEM260/PMID_34612517_F3_II_2.json"), tmp_path / "tmem.vcf", DECOY_GENES,
                          random.Random(1))
    row = next(r for r in _records(tmp_path / "tmem.vcf") if r["key"] == tmem.causal_variants[0])
    assert row["gt"] == [1, 1, False] and row["csq"]["Consequence"] == "frameshift_variant"

    # only a structural variant: nothing to place
    caprin = build_case_vcf(_real("CAPRIN1/PMID_35979925_Case_1.json"), tmp_path / "caprin.vcf", DECOY_GENES,
                            random.Random(1))
    assert not caprin.placeable and not (tmp_path / "caprin.vcf").exists()


def test_a_sample_of_real_phenopackets_builds_valid_vcfs(tmp_path: Path) -> None:
    if not PHENOPACKETS.is_dir():
        pytest.skip(f"reference data not present: {PHENOPACKETS}")
    files = sorted(PHENOPACKETS.glob("*/*.json"))[::200]
    built = 0
    for path in files:
        out = tmp_path / f"{path.stem}.vcf"
        build = build_case_vcf(json.loads(path.read_text()), out, DECOY_GENES, random.Random(1), n_decoys=20)
        if not build.placeable:
            continue
        built += 1
        rows = _records(out)
        keys = {r["key"] for r in rows}
        assert set(build.causal_variants) <= keys
        assert len(rows) == 20 + len(build.causal_variants)
        assert all(len(r["csq"]) == len(FIELDS) for r in rows)
        assert not {r["csq"]["SYMBOL"] for r in rows if r["key"] not in build.causal_variants} & build.causal_genes
    assert built >= len(files) // 2


def test_structural_option_places_a_deletion_among_decoy_deletions(tmp_path: Path) -> None:
    out = tmp_path / "sv.vcf"
    build = build_case_vcf(_phenopacket([_structural("CAPRIN1")]), out, DECOY_GENES, random.Random(1),
                           structural=True)
    assert build.placeable and not build.unplaced
    records = [line.split("\t") for line in out.read_text().splitlines() if not line.startswith("#")]
    deletions = [r for r in records if r[4] == "<DEL>"]
    assert len(deletions) == 3  # the causal one and two decoys
    causal = [r for r in deletions if "|CAPRIN1|" in r[7]]
    assert len(causal) == 1 and "feature_truncation&coding_sequence_variant" in causal[0][7]


# --------------------------------------------------------------------------- realism options


#: sha256 of case VCFs built by benchmarks/rare_cases.py as it was on main at 06e10dd (before the realism options),
#: for the same phenopackets, genes and seeds: the default options must keep building byte-identical files.
MAIN_06E10DD_HASHES = {
    "compound_het": "d430f5586b9b91c2e23dd031305f4b22edca4cc55967ac50a39b3e7aefc2970e",
    "missense_intronic_xlinked": "255839082ab91ad6b9ed531c1855001879338845ae27b93aa7550400b32e7392",
    "male_hemizygous": "153345ff98edaabf56384e846f822d20f077975d1aa745f2578e80f3850c020b",
}
MISSENSE_INTRONIC = _phenopacket([
    _descriptor("NF1", "chr17", 31229000, "C", "T", "NM_000267.3:c.2752C>T", "NP_000258.1:p.(Leu918Phe)"),
    _descriptor("NF1", "chr17", 31230000, "G", "A", "NM_000267.3:c.550+300G>A", None),
])
MALE_KDM6A = _phenopacket([_descriptor("KDM6A", "chrX", 44961385, "C", "T", "NM_001291415.2:c.327C>T",
                                       "NP_001278344.1:p.(Gln109Ter)", state="GENO:0000134")], sex="MALE")


def test_default_options_build_the_same_case_vcfs_as_before(tmp_path: Path) -> None:
    import hashlib

    cases: dict[str, tuple[dict[str, Any], int, dict[str, Any]]] = {
        "compound_het": (COMPOUND_HET, 7, {}),
        "missense_intronic_xlinked": (MISSENSE_INTRONIC, 3, {"x_linked_genes": {f"GENE{i}" for i in range(0, 400, 7)}}),
        "male_hemizygous": (MALE_KDM6A, 1, {"n_decoys": 300}),
    }
    for name, (packet, seed, options) in cases.items():
        for realism in (None, rare_cases.Realism()):  # omitted and explicit default options alike
            out = tmp_path / f"{name}.vcf"
            build_case_vcf(packet, out, DECOY_GENES, random.Random(seed), realism=realism, **options)
            assert hashlib.sha256(out.read_bytes()).hexdigest() == MAIN_06E10DD_HASHES[name], name


def test_realism_options_are_checked_and_described() -> None:
    assert rare_cases.Realism().is_default and not rare_cases.REALISTIC.is_default
    assert rare_cases.REALISTIC.describe() == "scores=class intronic_splice=realistic decoy_genes=genome genome_lof=2"
    with pytest.raises(ValueError, match="scores"):
        rare_cases.Realism(scores="pathogenic")
    with pytest.raises(ValueError, match="gene table"):
        build_case_vcf(COMPOUND_HET, Path("unused.vcf"), DECOY_GENES, random.Random(1),
                       realism=rare_cases.Realism(decoy_genes="genome"))


def _missense() -> rare_cases.DerivedConsequence:
    return rare_cases.DerivedConsequence(("missense_variant",), "918", "L/F", "2752")


def test_class_scores_give_causal_missense_higher_revel_than_decoys() -> None:
    rng = random.Random(5)
    realism = rare_cases.Realism(scores="class")
    causal = [float(rare_cases.draw_scores_with(_missense(), rng, realism, causal=True)["REVEL"]) for _ in range(4000)]
    decoy = [float(rare_cases.draw_scores_with(_missense(), rng, realism, causal=False)["REVEL"]) for _ in range(4000)]
    share = lambda values, test: sum(map(test, values)) / len(values)  # noqa: E731
    # Ioannidis 2016: 75.4% of disease mutations > 0.5, 52.1% > 0.75
    assert share(causal, lambda v: v > 0.5) == pytest.approx(0.754, abs=0.03)
    assert share(causal, lambda v: v > 0.75) == pytest.approx(0.521, abs=0.03)
    # Stenton 2024: most rare missense variants of a proband get BP4 (<= 0.290), about 1 in 72 PP3_Strong
    assert share(decoy, lambda v: v <= 0.290) == pytest.approx(45 / 72.25, abs=0.03)
    assert share(decoy, lambda v: v >= 0.932) < 0.03
    assert sum(causal) / len(causal) > sum(decoy) / len(decoy) + 0.3
    # CADD still follows REVEL, so it separates too
    cadd_causal = [float(rare_cases.draw_scores_with(_missense(), rng, realism, causal=True)["CADD_PHRED"])
                   for _ in range(500)]
    cadd_decoy = [float(rare_cases.draw_scores_with(_missense(), rng, realism, causal=False)["CADD_PHRED"])
                  for _ in range(500)]
    assert sum(cadd_causal) / 500 > sum(cadd_decoy) / 500 + 5
    # the same draw for causal and decoy variants without the option
    same = rare_cases.Realism()
    a = rare_cases.draw_scores_with(_missense(), random.Random(9), same, causal=True)
    b = rare_cases.draw_scores_with(_missense(), random.Random(9), same, causal=False)
    assert a == b == rare_cases.draw_scores(_missense(), random.Random(9))


def _spliceai_max(scores: dict[str, str]) -> float:
    return max(float(scores[f"SpliceAI_pred_DS_{k}"]) for k in ("AG", "AL", "DG", "DL"))


def test_realistic_intronic_splice_scores_deep_intronic_causal_variants_mostly_below_the_threshold() -> None:
    intron = derive_consequence("NM_000267.3:c.550+300G>A", None, "G", "A")
    assert intron.terms == ("intron_variant",)
    rng = random.Random(2)
    realistic = rare_cases.Realism(intronic_splice="realistic")
    causal = [_spliceai_max(rare_cases.draw_scores_with(intron, rng, realistic, causal=True)) for _ in range(3000)]
    assert min(causal) >= 0.02
    assert sum(v >= 0.2 for v in causal) / len(causal) == pytest.approx(1 - rare_cases.DEEP_INTRONIC_MISSED, abs=0.03)
    # decoys and the default run keep the low draw (<= 0.05): an intron variant without a splicing prediction
    decoy = [_spliceai_max(rare_cases.draw_scores_with(intron, rng, realistic, causal=False)) for _ in range(200)]
    default = [_spliceai_max(rare_cases.draw_scores_with(intron, rng, rare_cases.Realism(), causal=True))
               for _ in range(200)]
    assert max(decoy) <= 0.05 and max(default) <= 0.05
    # splice-region and missense variants are not touched by this option
    region = derive_consequence("NM_014141.6:c.550+5G>T", None, "G", "T")
    assert rare_cases.draw_scores_with(region, random.Random(4), realistic, causal=True) == rare_cases.draw_scores(
        region, random.Random(4))


def test_realistic_intronic_option_in_a_case_vcf(tmp_path: Path) -> None:
    highs = 0
    for seed in range(40):
        out = tmp_path / "case.vcf"
        build = build_case_vcf(MISSENSE_INTRONIC, out, DECOY_GENES, random.Random(seed), n_decoys=20,
                               realism=rare_cases.Realism(intronic_splice="realistic"))
        intronic = next(r for r in _records(out) if r["key"] == build.causal_variants[1])
        assert intronic["csq"]["Consequence"] == "intron_variant"
        scores = {k: float(intronic["csq"][f"SpliceAI_pred_DS_{k}"]) for k in ("AG", "AL", "DG", "DL")}
        assert max(scores["AG"], scores["DG"]) >= 0.02
        highs += max(scores.values()) >= 0.2
    assert 0 < highs < 40


def _gene_table() -> list[rare_cases.GeneSpan]:
    disease = [rare_cases.GeneSpan(g, "chr1", 1500) for g in DECOY_GENES if g.startswith("GENE")]
    other = [rare_cases.GeneSpan(f"ORPHAN{i}", "chr2", 1500) for i in range(400)]
    return [*disease, *other, rare_cases.GeneSpan("TTNLIKE", "chr2", 100_000),
            rare_cases.GeneSpan("XGENE", "chrX", 3000), rare_cases.GeneSpan("NF1", "chr17", 8500)]


def test_genome_decoys_cover_genes_without_a_disease_by_exonic_length(tmp_path: Path) -> None:
    out = tmp_path / "genome.vcf"
    table = _gene_table()
    build = build_case_vcf(MISSENSE_INTRONIC, out, DECOY_GENES, random.Random(3),
                           realism=rare_cases.Realism(decoy_genes="genome"), genome_genes=table)
    kinds = rare_cases.genome_decoy_kinds(random.Random(0))
    assert build.n_decoys == len(kinds) == rare_cases.GENOME_MISSENSE + 89 + 21 + 7 + 7 + 7 + rare_cases.GENOME_LOF
    decoys = [r for r in _records(out) if r["key"] not in build.causal_variants]
    symbols = Counter(r["csq"]["SYMBOL"] for r in decoys)
    assert "NF1" not in symbols  # the case's own gene
    assert any(s.startswith("ORPHAN") for s in symbols)  # genes with no known disease
    assert set(symbols) <= {g.symbol for g in table}
    # TTNLIKE has 100 kb of exons out of 1.3 Mb: about 7.6% of the decoys, far above any 1.5 kb gene
    assert symbols["TTNLIKE"] > 10 and symbols["TTNLIKE"] > 3 * max(n for s, n in symbols.items() if s != "TTNLIKE")
    chrom_of = {g.symbol: g.chrom for g in table}
    assert all(r["chrom"] == chrom_of[r["csq"]["SYMBOL"]] for r in decoys)  # the gene's own chromosome
    consequences = Counter(r["csq"]["Consequence"] for r in decoys)
    assert consequences["missense_variant"] == rare_cases.GENOME_MISSENSE
    lof = sum(n for c, n in consequences.items()
              if c in ("stop_gained", "frameshift_variant", "splice_donor_variant", "splice_acceptor_variant"))
    assert lof == rare_cases.GENOME_LOF


def test_load_gene_table_reads_the_product_table(tmp_path: Path) -> None:
    from tailormed.kb.genes import GeneRecord, GeneTable

    GeneTable({"OR4F5": GeneRecord("OR4F5", "1", "+", 69091, 70008, 918),
               "TWOEXON": GeneRecord("TWOEXON", "7", "-", 101, 900, 500),
               "XGENE": GeneRecord("XGENE", "X", "+", 1, 100, 100),
               "YGENE": GeneRecord("YGENE", "Y", "+", 1, 100, 100)},
              {"source": "test", "version": "1", "licence": "CC0"}).save(tmp_path)
    genes = rare_cases.load_gene_table(tmp_path)
    assert [g.symbol for g in genes] == ["OR4F5", "TWOEXON", "XGENE"]  # sorted; chrY left out
    assert genes[0] == rare_cases.GeneSpan("OR4F5", "chr1", 918)
    assert genes[2].chrom == "chrX" and genes[1].exonic_length == 500


def test_load_gene_table_without_a_table_says_how_to_build_it(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="kb import genes"):
        rare_cases.load_gene_table(tmp_path / "absent")


def test_the_real_gene_table_when_imported() -> None:
    folder = REPO / ".data" / "genes"
    if not (folder / "genes.tsv").is_file():
        pytest.skip(f"no gene table in {folder} (make gene-data builds it)")
    genes = {g.symbol: g for g in rare_cases.load_gene_table(folder)}
    assert 18_000 < len(genes) < 20_000  # GENCODE protein-coding genes on chr1-22 and chrX
    assert genes["TTN"].chrom == "chr2" and genes["TTN"].exonic_length > 80_000
    assert genes["DMD"].chrom == "chrX" and genes["FBN1"].chrom == "chr15"


def test_the_genome_lof_density_is_an_option(tmp_path: Path) -> None:
    table = _gene_table()
    out = tmp_path / "lof.vcf"
    build = build_case_vcf(MISSENSE_INTRONIC, out, DECOY_GENES, random.Random(3),
                           realism=rare_cases.Realism(decoy_genes="genome", genome_lof=12), genome_genes=table)
    decoys = [r for r in _records(out) if r["key"] not in build.causal_variants]
    lof = [r for r in decoys if r["csq"]["Consequence"] in
           ("stop_gained", "frameshift_variant", "splice_donor_variant", "splice_acceptor_variant")]
    assert len(lof) == 12
    assert rare_cases.Realism(decoy_genes="genome", genome_lof=12).describe().endswith("genome_lof=12")
    assert rare_cases.Realism(decoy_genes="genome").genome_lof == rare_cases.GENOME_LOF == 2
    with pytest.raises(ValueError, match="genome_lof"):
        rare_cases.Realism(genome_lof=-1)
