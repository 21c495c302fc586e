"""Copy-number calls: the BED reader, ACMG/ClinGen CNV points, and a deletion completing a recessive genotype."""

from pathlib import Path

import pytest

from tailormed.errors import InputError
from tailormed.io.cnv_bed import read_cnv_bed
from tailormed.io.phenopacket import hpo_ids_to_profile
from tailormed.model.common import Provenance
from tailormed.model.rare import SampleGenotype, TranscriptConsequence, Variant
from tailormed.pipelines.rare import RareContext
from tailormed.rare.acmg import DEFAULT_SETTINGS, GeneContext
from tailormed.rare.cnv import CnvInheritance, classify_cnv, cnv_class, cnv_inheritance, gene_count_points
from tailormed.rare.engine import GenotypeInput, rank_case
from tailormed.rare.genotype import Family, collect_candidates

PROVENANCE = Provenance(software="t", software_version="0", knowledge=[], created="2026-01-01T00:00:00Z")


def _bed(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "calls.bed"
    path.write_text(text)
    return path


def test_bed_rows_become_symbolic_variants(tmp_path: Path) -> None:
    variants = read_cnv_bed(_bed(tmp_path, "# calls\nchr15\t48400000\t48700000\tDEL\tFBN1,CEP152:partial\n"
                                           "7\t100\t5000\tdup\t.\t2\n"), "P1")
    first, second = variants
    # pos is the base before the event (VCF's padding base), end its last base: the event is 48400001-48700000.
    assert (first.chrom, first.pos, first.end, first.alt) == ("chr15", 48400000, 48700000, "<DEL>")
    assert [(a.gene, a.consequences[0]) for a in first.annotations] == [("FBN1", "transcript_ablation"),
                                                                         ("CEP152", "feature_truncation")]
    assert first.genotypes["P1"].alt_count == 1
    assert second.alt == "<DUP>" and second.annotations == [] and second.genotypes["P1"].alt_count == 2


@pytest.mark.parametrize(("text", "message"), [
    ("chr1\t10\t5\tDEL\tA\n", "line 1: interval 10-5"),
    ("chr1\t10\t50\tINV\tA\n", "type 'INV' is not DEL or DUP"),
    ("chr1\t10\t50\tDEL\n", "at least 5"),
    ("chr1\t10\t50\tDEL\tA B\n", "is not SYMBOL"),
    ("chr1\t10\t50\tDEL\tA\t3\n", "copies '3'"),
    ("# nothing\n", "no CNV calls"),
])
def test_bad_bed_rows_name_the_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        read_cnv_bed(_bed(tmp_path, text), "P1")


def test_riggs_points_thresholds() -> None:
    assert [gene_count_points("loss", n) for n in (0, 24, 25, 34, 35)] == [0.0, 0.0, 0.45, 0.45, 0.90]
    assert [gene_count_points("gain", n) for n in (34, 35, 49, 50)] == [0.0, 0.45, 0.45, 0.90]
    assert [cnv_class(p) for p in (1.0, 0.99, 0.9, 0.89, -0.89, -0.9, -0.99)] == [
        "Pathogenic", "Pathogenic", "Likely pathogenic", "Uncertain significance", "Uncertain significance",
        "Likely benign", "Benign"]


def _deletion(genes: list[str], whole: bool = True) -> Variant:
    terms = ["transcript_ablation"] if whole else ["feature_truncation", "coding_sequence_variant"]
    return Variant(chrom="chr15", pos=1000, ref="N", alt="<DEL>", source="t", annotated=True,
                   annotations=[TranscriptConsequence(gene=g, consequences=terms, canonical=True) for g in genes],
                   genotypes={"P": SampleGenotype(alt_count=1)})


def test_whole_deletion_of_an_established_haploinsufficient_gene_is_pathogenic() -> None:
    fbn1 = GeneContext(symbol="FBN1", modes=frozenset({"autosomal_dominant"}), lof_mechanism="established",
                       lof_source="ClinGen", hi_source="ClinGen")
    result = classify_cnv(_deletion(["FBN1"]), fbn1, "FBN1", DEFAULT_SETTINGS)
    assert result.cnv_points == pytest.approx(1.0) and result.cnv_class == "Pathogenic"
    assert result.classification == "Pathogenic"
    assert [c.code for c in result.criteria] == ["CNV-1A", "CNV-2A", "CNV-3A", "PVS1"]
    partial = classify_cnv(_deletion(["FBN1"], whole=False), fbn1, "FBN1", DEFAULT_SETTINGS)
    assert partial.cnv_points == pytest.approx(0.45) and partial.cnv_class == "Uncertain significance"
    uncurated = GeneContext(symbol="X", modes=frozenset({"autosomal_dominant"}), lof_mechanism="likely")
    assert classify_cnv(_deletion(["X"]), uncurated, "X", DEFAULT_SETTINGS).cnv_points == pytest.approx(0.0)
    big = classify_cnv(_deletion([f"G{i}" for i in range(40)]), None, "G1", DEFAULT_SETTINGS)
    assert big.cnv_points == pytest.approx(0.9) and big.classification == "Likely pathogenic"


def test_snv_and_deletion_in_a_recessive_gene_are_compound_heterozygous(hpo_knowledge) -> None:  # type: ignore[no-untyped-def]
    context = RareContext.load()
    gene = "PAH"
    assert context.contexts[gene].modes == frozenset({"autosomal_recessive"})
    frameshift = Variant(chrom="chr12", pos=102840000, ref="ATCT", alt="A", source="t", annotated=True,
                         annotations=[TranscriptConsequence(gene=gene, consequences=["frameshift_variant"],
                                                            impact="HIGH", canonical=True, hgvsp="p.Phe508fs")],
                         genotypes={"P": SampleGenotype(alt_count=1)})
    deletion = _deletion([gene]).model_copy(update={"chrom": "chr12", "pos": 102800000})
    profile = hpo_ids_to_profile(["HP:0004923", "HP:0001249", "HP:0001250"])
    family = Family(proband="P", affected=frozenset({"P"}))

    def gene_result(variants: list[Variant]):  # type: ignore[no-untyped-def]
        result = rank_case(profile, context.hpo, context.preset, source="t", contexts=context.contexts,
                           genotypes=GenotypeInput(variants=variants, family=family, source="t", unannotated=[]),
                           provenance=PROVENANCE)
        return result, next(g for g in result.genes if g.gene == gene)

    alone, snv_only = gene_result([frameshift])
    both, compound = gene_result([frameshift, deletion])
    assert compound.variant_score is not None and snv_only.variant_score is not None
    assert compound.variant_score > snv_only.variant_score + 1.0  # two hits in trans, not one hit of a pair
    disease = next(c for c in both.diseases if c.gene == gene and c.variants)
    assert "<DEL>" in {v.variant.split("-")[-1] for v in disease.variants}
    assert disease.inheritance_fit and "recessive" in disease.inheritance_fit


def _duplication(genes: list[str], whole: bool = True, alt: str = "<DUP>", chrom: str = "chr5",
                 genotypes: dict[str, int] | None = None) -> Variant:
    terms = ["transcript_amplification"] if whole else ["feature_elongation", "coding_sequence_variant"]
    calls = {name: SampleGenotype(alt_count=n) for name, n in (genotypes or {"P": 1}).items()}
    return Variant(chrom=chrom, pos=1000, ref="N", alt=alt, source="t", annotated=True,
                   annotations=[TranscriptConsequence(gene=g, consequences=terms, canonical=True) for g in genes],
                   genotypes=calls)


TS = GeneContext(symbol="TSG", modes=frozenset({"autosomal_dominant"}), lof_mechanism="likely",
                 ts_source="ClinGen TS 3")
HI = GeneContext(symbol="HIG", modes=frozenset({"autosomal_dominant"}), lof_mechanism="established",
                 lof_source="ClinGen", hi_source="ClinGen HI 3")


def _codes(result) -> dict[str, float | None]:  # type: ignore[no-untyped-def]
    return {c.code: c.cnv_points for c in result.criteria}


def test_whole_duplication_of_an_established_triplosensitive_gene_is_pathogenic() -> None:
    result = classify_cnv(_duplication(["TSG", "OTHER"]), TS, "TSG", DEFAULT_SETTINGS)
    assert _codes(result) == {"CNV-1A": 0.0, "CNV-2A": 1.0, "CNV-3A": 0.0}
    assert result.cnv_points == pytest.approx(1.0) and result.cnv_class == "Pathogenic"
    assert result.classification == "Pathogenic" and result.points == 10  # no PVS1 for a gain
    partial = classify_cnv(_duplication(["TSG"], whole=False), TS, "TSG", DEFAULT_SETTINGS)
    assert _codes(partial)["CNV-2B"] == 0.0 and partial.cnv_class == "Uncertain significance"
    plain = classify_cnv(_duplication(["HIG"]), GeneContext(symbol="HIG", modes=frozenset()), "HIG", DEFAULT_SETTINGS)
    assert "CNV-2A" not in _codes(plain) and plain.classification == "Uncertain significance"


def test_duplications_touching_an_established_haploinsufficient_gene_score_nothing_automatically() -> None:
    whole = classify_cnv(_duplication(["HIG"]), HI, "HIG", DEFAULT_SETTINGS)
    assert _codes(whole)["CNV-2H"] == 0.0 and not any(c.code == "PVS1" for c in whole.criteria)
    inside = classify_cnv(_duplication(["HIG"], whole=False, alt="<DUP:TANDEM>"), HI, "HIG", DEFAULT_SETTINGS)
    two_i = next(c for c in inside.criteria if c.code == "CNV-2I")
    assert two_i.cnv_points == 0.0 and "stated as tandem" in two_i.reason and "reading frame is unknown" in two_i.reason
    across = classify_cnv(_duplication(["HIG", "NEXT"], whole=False), HI, "HIG", DEFAULT_SETTINGS)
    assert _codes(across)["CNV-2J"] == 0.0 and "2K (0.45)" in next(c.reason for c in across.criteria
                                                                  if c.code == "CNV-2J")
    for result in (whole, inside, across):
        assert result.cnv_class == "Uncertain significance" and result.classification == "Uncertain significance"


def test_a_large_gain_counts_its_genes() -> None:
    big = classify_cnv(_duplication([f"G{i}" for i in range(50)]), None, "G1", DEFAULT_SETTINGS)
    assert _codes(big)["CNV-3C"] == pytest.approx(0.9) and big.classification == "Likely pathogenic"
    medium = classify_cnv(_duplication([f"G{i}" for i in range(40)]), None, "G1", DEFAULT_SETTINGS)
    assert _codes(medium)["CNV-3B"] == pytest.approx(0.45) and medium.classification == "Uncertain significance"


def test_a_recessive_only_gene_is_not_haploinsufficient() -> None:
    # ClinGen HI score 30: loss of function established for biallelic loss, but one deleted copy is not 2A.
    recessive = GeneContext(symbol="PAH", modes=frozenset({"autosomal_recessive"}), lof_mechanism="established",
                            lof_source="ClinGen")
    result = classify_cnv(_deletion(["PAH"]), recessive, "PAH", DEFAULT_SETTINGS)
    assert "CNV-2A" not in _codes(result) and result.cnv_class == "Uncertain significance"
    assert result.classification == "Likely pathogenic" and result.points == 8  # the null allele: PVS1 very strong


def test_a_deletion_in_a_gain_of_function_gene_gets_no_pvs1() -> None:
    hras = GeneContext(symbol="HRAS", modes=frozenset({"autosomal_dominant"}), lof_mechanism="not_lof",
                       lof_source="ClinGen RASopathy EP")
    result = classify_cnv(_deletion(["HRAS"]), hras, "HRAS", DEFAULT_SETTINGS)
    assert not any(c.code == "PVS1" for c in result.criteria) and result.classification == "Uncertain significance"


def _inherit(carriers: dict[str, int], affected: tuple[str, ...] = ("P",), copies: int = 1,
             male_x: bool = False) -> CnvInheritance:
    return cnv_inheritance(proband="P", proband_copies=copies, carriers=carriers, parents=["F", "M"],
                           affected=frozenset(affected), others_affected=bool(set(affected) - {"P"}),
                           male_x_from_mother=male_x, mother="M")


def test_inheritance_from_the_parents_calls() -> None:
    assert _inherit({"F": 0, "M": 0}).kind == "de_novo"
    assert _inherit({"F": 0}).kind == "unknown"  # one parent genotyped, without the CNV
    assert _inherit({}).kind == "unknown"
    assert _inherit({"F": 1, "M": 0}) == CnvInheritance("unaffected_parent", "F")
    assert _inherit({"F": 1, "M": 0}, affected=("P", "F")) == CnvInheritance("affected_parent", "F")
    assert _inherit({"F": 0, "M": 0}, affected=("P", "M")) == CnvInheritance("absent_in_affected_parent", "M")
    assert _inherit({"F": 1, "M": 1}, copies=2).kind == "not_scored"
    assert _inherit({"F": 0, "M": 1}, male_x=True).kind == "not_scored"
    assert _inherit({"F": 1, "M": 0}, affected=("P", "S")).kind == "not_scored"  # an affected sibling


def test_section_5_points_and_classes() -> None:
    gain = _duplication(["TSG"])
    de_novo = classify_cnv(gain, TS, "TSG", DEFAULT_SETTINGS, CnvInheritance("de_novo"))
    assert _codes(de_novo)["CNV-5A"] == pytest.approx(0.10) and de_novo.cnv_points == pytest.approx(1.10)
    assert [c.code for c in de_novo.criteria].count("PM6") == 1
    unaffected = classify_cnv(gain, TS, "TSG", DEFAULT_SETTINGS, CnvInheritance("unaffected_parent", "F"))
    assert _codes(unaffected)["CNV-5C"] == pytest.approx(-0.15) and unaffected.cnv_points == pytest.approx(0.85)
    assert unaffected.cnv_class == "Uncertain significance" and unaffected.classification == "Uncertain significance"
    affected = classify_cnv(gain, TS, "TSG", DEFAULT_SETTINGS, CnvInheritance("affected_parent", "M"))
    assert _codes(affected)["CNV-5D"] == 0.0 and affected.cnv_class == "Pathogenic"
    carrier_mother = classify_cnv(gain, TS, "TSG", DEFAULT_SETTINGS, CnvInheritance("not_scored", "M", "X-linked"))
    assert _codes(carrier_mother)["CNV-5F"] == 0.0 and carrier_mother.cnv_class == "Pathogenic"
    # A partial deletion of a haploinsufficient gene: 2E 0.45 + 5A 0.10 stays uncertain on the CNV scale; PVS1
    # strong + PM6 make the allele likely pathogenic.
    partial = classify_cnv(_deletion(["HIG"], whole=False), HI, "HIG", DEFAULT_SETTINGS, CnvInheritance("de_novo"))
    assert partial.cnv_points == pytest.approx(0.55) and partial.cnv_class == "Uncertain significance"
    assert partial.points == 6 and partial.classification == "Likely pathogenic"


def test_trio_calls_reach_section_5_through_candidate_collection() -> None:
    family = Family(proband="P", father="F", mother="M", affected=frozenset({"P"}), proband_sex="male")
    contexts = {"TSG": TS}
    de_novo = _duplication(["TSG"], genotypes={"P": 1, "F": 0, "M": 0})
    (allele,) = collect_candidates([de_novo], family, contexts)[0]["TSG"]
    assert [c.code for c in allele.acmg.criteria] == ["CNV-1A", "CNV-2A", "CNV-3A", "CNV-5A", "PM6"]
    from_mother = _duplication(["TSG"], chrom="chrX", genotypes={"P": 1, "F": 0, "M": 1})
    (allele,) = collect_candidates([from_mother], family, contexts)[0]["TSG"]
    assert _codes(allele.acmg)["CNV-5F"] == 0.0 and allele.acmg.cnv_class == "Pathogenic"
    from_father = _duplication(["TSG"], genotypes={"P": 1, "F": 1, "M": 0})
    (allele,) = collect_candidates([from_father], family, contexts)[0]["TSG"]
    assert _codes(allele.acmg)["CNV-5C"] == pytest.approx(-0.15) and allele.acmg.cnv_class == "Uncertain significance"
    alone = collect_candidates([_duplication(["TSG"])], Family(proband="P"), contexts)[0]["TSG"][0]
    assert not any(c.code.startswith("CNV-5") for c in alone.acmg.criteria)  # no pedigree: section 5 not shown


def test_partial_deletions_that_spare_the_coding_sequence_score_nothing() -> None:
    def partial(terms: list[str]) -> Variant:
        return Variant(chrom="chr15", pos=1000, ref="N", alt="<DEL>", source="t", annotated=True,
                       annotations=[TranscriptConsequence(gene="HIG", consequences=terms, canonical=True)],
                       genotypes={"P": SampleGenotype(alt_count=1)})

    utr3 = classify_cnv(partial(["3_prime_UTR_variant", "feature_truncation"]), HI, "HIG", DEFAULT_SETTINGS)
    assert _codes(utr3) == {"CNV-1A": 0.0, "CNV-2D-1": 0.0, "CNV-3A": 0.0} and utr3.points == 0
    utr5 = classify_cnv(partial(["5_prime_UTR_variant", "feature_truncation"]), HI, "HIG", DEFAULT_SETTINGS)
    assert _codes(utr5)["CNV-2C-2"] == 0.0 and not any(c.code == "PVS1" for c in utr5.criteria)
    intron = classify_cnv(partial(["intron_variant"]), HI, "HIG", DEFAULT_SETTINGS)
    assert _codes(intron)["CNV-2E"] == 0.0 and intron.points == 0
    coding = classify_cnv(partial(["coding_sequence_variant", "3_prime_UTR_variant", "feature_truncation"]), HI,
                          "HIG", DEFAULT_SETTINGS)
    assert _codes(coding)["CNV-2E"] == pytest.approx(0.45)
    assert {c.code: c.strength for c in coding.criteria}["PVS1"] == "strong" and coding.points == 4
