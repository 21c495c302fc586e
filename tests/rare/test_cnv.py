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
from tailormed.rare.cnv import classify_cnv, cnv_class, gene_count_points
from tailormed.rare.engine import GenotypeInput, rank_case
from tailormed.rare.genotype import Family

PROVENANCE = Provenance(software="t", software_version="0", knowledge=[], created="2026-01-01T00:00:00Z")


def _bed(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "calls.bed"
    path.write_text(text)
    return path


def test_bed_rows_become_symbolic_variants(tmp_path: Path) -> None:
    variants = read_cnv_bed(_bed(tmp_path, "# calls\nchr15\t48400000\t48700000\tDEL\tFBN1,CEP152:partial\n"
                                           "7\t100\t5000\tdup\t.\t2\n"), "P1")
    first, second = variants
    assert (first.chrom, first.pos, first.alt) == ("chr15", 48400001, "<DEL>")
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
                       lof_source="ClinGen")
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
