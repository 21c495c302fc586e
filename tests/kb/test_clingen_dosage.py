"""ClinGen dosage-sensitivity import: haploinsufficiency scores become PVS1's LoF mechanism; score-3 genes (HI and TS)
become the established dosage-sensitive genes of the ACMG/ClinGen CNV points."""

from pathlib import Path

import pytest

from tailormed.errors import InputError
from tailormed.kb.gene_evidence import builtin_triplosensitive_table, load_dosage_genes, load_lof_table
from tailormed.kb.importers.clingen_dosage import import_clingen_dosage, read_clingen_dosage, read_clingen_dosage_file
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


# The current layout, with the triplosensitivity columns; rows invented for the test (the symbols are real HPO genes so
# that gene_contexts knows them, the scores are not ClinGen's).
CLINGEN_TS = (
    "#ClinGen Gene Curation Results\n"
    "#Gene Symbol\tGene ID\tcytoBand\tGenomic Location\tHaploinsufficiency Score\tHaploinsufficiency Description\t"
    "Triplosensitivity Score\tTriplosensitivity Description\tDate Last Evaluated\n"
    "FBN1\t2200\t15q21.1\tchr15:1-2\t3\tSufficient Evidence\t1\tLittle Evidence\t2020-01-01\n"
    "PAH\t5053\t12q23.2\tchr12:1-2\t30\tAutosomal Recessive\t0\tNo Evidence\t2020-01-01\n"
    "LMNB1\t4001\t5q23.2\tchr5:1-2\t0\tNo Evidence\t3\tSufficient Evidence\t2020-01-01\n"
    "APP\t351\t21q21.3\tchr21:1-2\t0\tNo Evidence\t2\tEmerging Evidence\t2020-01-01\n"
)


def test_triplosensitivity_scores_are_read_beside_haploinsufficiency(tmp_path: Path) -> None:
    path = tmp_path / "clingen.tsv"
    path.write_text(CLINGEN_TS)
    found = read_clingen_dosage_file(path)
    assert found.triplosensitivity_read and found.triplosensitive == {"LMNB1"}  # score 2 (APP) is not established
    assert found.haploinsufficient == {"FBN1"}  # score 30 (PAH) is recessive, not haploinsufficient
    assert found.mechanisms == {"FBN1": "established", "PAH": "established"}
    import_clingen_dosage(path, dest=tmp_path / "hpo")
    assert load_dosage_genes(tmp_path / "hpo") == (frozenset({"FBN1"}), frozenset({"LMNB1"}))
    old = tmp_path / "old.tsv"  # a file without the triplosensitivity columns: no TS list written
    old.write_text(CLINGEN)
    assert not read_clingen_dosage_file(old).triplosensitivity_read
    import_clingen_dosage(old, dest=tmp_path / "older")
    assert load_dosage_genes(tmp_path / "older") == (frozenset({"FBN1"}), None)
    assert load_dosage_genes(tmp_path / "none") == (None, None)


def test_dosage_lists_set_the_cnv_sources_of_gene_contexts(hpo_knowledge) -> None:  # type: ignore[no-untyped-def]
    table = {"FBN1": "established", "PAH": "established"}
    contexts = gene_contexts(hpo_knowledge, table, lof_source="ClinGen dosage: x.tsv",
                             haploinsufficient=frozenset({"FBN1"}), triplosensitive=frozenset({"LMNB1"}))
    assert contexts["FBN1"].hi_source.startswith("ClinGen dosage: x.tsv") and contexts["PAH"].hi_source == ""
    assert contexts["PAH"].lof_mechanism == "established"  # PVS1 is still full strength for the recessive gene
    assert "triplosensitivity score 3" in contexts["LMNB1"].ts_source and contexts["APP"].ts_source == ""
    # A table imported before the lists existed: its "established" genes count as haploinsufficient, as before.
    legacy = gene_contexts(hpo_knowledge, table, lof_source="ClinGen dosage: x.tsv")
    assert legacy["PAH"].hi_source and legacy["LMNB1"].ts_source == ""
    # Without an imported TS list the built-in curation applies; every row names ClinGen and a date.
    builtin = builtin_triplosensitive_table()
    assert builtin and all("ClinGen" in source and "evaluated" in source for source in builtin.values())
    assert "APP" not in builtin  # ClinGen TS score 2: not established
    curated = gene_contexts(hpo_knowledge, builtin_ts=builtin)
    assert curated["LMNB1"].ts_source == builtin["LMNB1"] and curated["FBN1"].ts_source == ""
