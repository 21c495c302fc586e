"""HPO knowledge: frequency parsing, compilation with hpo3's ontology, save/load."""

from pathlib import Path

import numpy as np
import pytest

from tailormed.errors import InputError, KnowledgeError
from tailormed.kb.hpo import HpoKnowledge, _parse_frequency, compile_hpo_knowledge, term_number

HEADER = ("#description: test\n#version: 2099-01-01\n"
          "database_id\tdisease_name\tqualifier\thpo_id\treference\tevidence\tonset\tfrequency\tsex\tmodifier\t"
          "aspect\tbiocuration\n")


def _row(disease: str, term: str, frequency: str = "", qualifier: str = "", aspect: str = "P") -> str:
    return f"{disease}\tname\t{qualifier}\t{term}\tPMID:1\tPCS\t\t{frequency}\t\t\t{aspect}\tHPO:test\n"


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> HpoKnowledge:
    folder = tmp_path_factory.mktemp("hpo-release")
    (folder / "phenotype.hpoa").write_text(
        HEADER
        + _row("OMIM:154700", "HP:0001166", "124/197")  # arachnodactyly
        + _row("OMIM:154700", "HP:0001083", "HP:0040281")  # ectopia lentis, very frequent
        + _row("OMIM:154700", "HP:0000098", qualifier="NOT")  # tall stature: NOT (for the test only)
        + _row("OMIM:154700", "HP:0000006", aspect="I")
    )
    (folder / "genes_to_phenotype.txt").write_text(
        "ncbi_gene_id\tgene_symbol\thpo_id\thpo_name\tfrequency\tdisease_id\n"
        "2200\tFBN1\tHP:0001166\tArachnodactyly\t-\tOMIM:154700\n")
    return compile_hpo_knowledge(folder / "phenotype.hpoa", folder / "genes_to_phenotype.txt")


def test_frequencies_use_hpo_ranges_and_laplace_for_counts() -> None:
    assert _parse_frequency("HP:0040281", 0.5) == pytest.approx(0.895)
    assert _parse_frequency("1/1", 0.5) == pytest.approx(2 / 3)  # one case report is not an obligate feature
    assert _parse_frequency("124/197", 0.5) == pytest.approx(125 / 199)
    assert _parse_frequency("45%", 0.5) == pytest.approx(0.45)
    assert _parse_frequency("", 0.5) == 0.5
    with pytest.raises(ValueError, match="unknown frequency"):
        _parse_frequency("often", 0.5)


def test_annotations_propagate_to_ancestors_with_their_frequency(compiled: HpoKnowledge) -> None:
    marfan = compiled.disease_ids.index("OMIM:154700")
    arachnodactyly = compiled.index_of(term_number("HP:0001166"))
    slender_finger = compiled.index_of(term_number("HP:0001238"))  # a parent of arachnodactyly
    assert arachnodactyly is not None and slender_finger is not None
    assert compiled.direct[marfan, arachnodactyly] == pytest.approx(125 / 199, rel=1e-6)
    assert compiled.closure[marfan, slender_finger] >= compiled.closure[marfan, arachnodactyly]
    assert compiled.direct[marfan, slender_finger] == 0
    assert "autosomal_dominant" in compiled.disease_modes[marfan]
    assert compiled.disease_genes[marfan] == ["FBN1"]
    assert compiled.negated[marfan, compiled.index_of(term_number("HP:0000098"))] == 1


def test_background_is_the_mean_closure_frequency(compiled: HpoKnowledge) -> None:
    column = compiled.index_of(term_number("HP:0001166"))
    expected = compiled.closure[:, [column]].toarray().mean()
    assert compiled.background[column] == pytest.approx(expected)
    assert 0 < compiled.background[column] < 0.05


def test_obsolete_terms_map_to_their_replacement(compiled: HpoKnowledge) -> None:
    assert compiled.replaced_by[term_number("HP:0000057")] == term_number("HP:0008665")
    assert compiled.index_of(term_number("HP:0000057")) is None


def test_save_and_load_round_trip(compiled: HpoKnowledge, tmp_path: Path) -> None:
    compiled.save(tmp_path / "kb")
    assert sorted(p.name for p in (tmp_path / "kb").iterdir()) == ["arrays.npz", "meta.json"]  # no temporary left
    loaded = HpoKnowledge.load(tmp_path / "kb")
    assert loaded.disease_ids == compiled.disease_ids
    assert (loaded.closure != compiled.closure).nnz == 0
    assert np.array_equal(loaded.background, compiled.background)
    assert loaded.version == compiled.version


def test_missing_or_malformed_inputs(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="kb import hpo"):
        HpoKnowledge.load(tmp_path / "nothing-here")
    bad = tmp_path / "phenotype.hpoa"
    bad.write_text(HEADER + "OMIM:1\tname\tP\n")
    genes = tmp_path / "genes.txt"
    genes.write_text("gene_symbol\tdisease_id\n")
    with pytest.raises(InputError, match="phenotype.hpoa:line 4"):
        compile_hpo_knowledge(bad, genes)
