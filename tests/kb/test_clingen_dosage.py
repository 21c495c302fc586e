"""ClinGen dosage-sensitivity import: haploinsufficiency scores become PVS1's LoF mechanism."""

from pathlib import Path

import pytest

from tailormed.errors import InputError
from tailormed.kb.gene_evidence import load_lof_table
from tailormed.kb.importers.clingen_dosage import import_clingen_dosage, read_clingen_dosage
from tailormed.model.rare import TranscriptConsequence, Variant
from tailormed.rare.acmg import classify_variant
from tailormed.rare.engine import gene_contexts

# Column layout of ClinGen's gene curation list; the rows are invented for the test.
CLINGEN = (
    "#ClinGen Gene Curation Results\n#Genomic Locations are reported on GRCh38\n"
    "#Gene Symbol\tGene ID\tcytoBand\tGenomic Location\tHaploinsufficiency Score\tHaploinsufficiency Description\n"
    "FBN1\t2200\t15q21.1\tchr15:48408313-48645709\t3\tSufficient Evidence for Haploinsufficiency\n"
    "GENE2\t2\t1p1\tchr1:1-2\t2\tEmerging Evidence\n"
    "GENE30\t30\t1p1\tchr1:1-2\t30\tGene Associated with Autosomal Recessive Phenotype\n"
    "GENE40\t40\t1p1\tchr1:1-2\t40\tDosage Sensitivity Unlikely\n"
    "GENE0\t0\t1p1\tchr1:1-2\t0\tNo Evidence\n"
)


def test_scores_map_to_mechanisms(tmp_path: Path) -> None:
    path = tmp_path / "clingen.tsv"
    path.write_text(CLINGEN)
    assert read_clingen_dosage(path) == {"FBN1": "established", "GENE2": "likely", "GENE30": "established",
                                         "GENE40": "unknown"}


def test_import_writes_beside_the_hpo_knowledge(tmp_path: Path) -> None:
    path = tmp_path / "clingen.tsv"
    path.write_text(CLINGEN)
    target, count = import_clingen_dosage(path, dest=tmp_path / "hpo")
    assert count == 4 and target.parent == tmp_path / "hpo"
    table, source = load_lof_table(tmp_path / "hpo")
    assert table["FBN1"] == "established" and source == "clingen.tsv"
    assert load_lof_table(tmp_path / "elsewhere") == ({}, None)


def test_not_a_clingen_file(tmp_path: Path) -> None:
    path = tmp_path / "other.tsv"
    path.write_text("gene\tscore\nFBN1\t3\n")
    with pytest.raises(InputError, match="not a ClinGen gene curation list"):
        read_clingen_dosage(path)


def test_curated_mechanism_raises_pvs1_for_a_dominant_gene(hpo_knowledge) -> None:  # type: ignore[no-untyped-def]
    frameshift = Variant(chrom="chr15", pos=48470000, ref="AG", alt="A", source="t", annotated=True, annotations=[
        TranscriptConsequence(gene="FBN1", transcript="ENST00000316623", consequences=["frameshift_variant"],
                              impact="HIGH", exon="25/66", canonical=True)])
    default = classify_variant(frameshift, gene_contexts(hpo_knowledge)["FBN1"])
    curated = classify_variant(frameshift, gene_contexts(hpo_knowledge, {"FBN1": "established"})["FBN1"])
    pvs1 = {c.code: c.strength for c in curated.criteria}["PVS1"]
    assert pvs1 == "very_strong" and {c.code: c.strength for c in default.criteria}["PVS1"] == "strong"
    assert curated.classification == "Likely pathogenic" and default.classification == "Uncertain significance"
