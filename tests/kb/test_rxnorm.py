"""The RxNorm map of the pgx-core drugs: every drug has a row with a source, codes are unique, products resolve."""

from __future__ import annotations

from pathlib import Path

import pytest

from tailormed.errors import InputError
from tailormed.kb.pack import KnowledgeBase
from tailormed.kb.rxnorm import load_rxnorm_map


def test_every_pgx_core_drug_has_a_cited_row(kb: KnowledgeBase) -> None:
    rx = load_rxnorm_map()
    assert set(rx.ingredients) == set(kb.drugs)
    assert all(i.source for i in rx.ingredients.values())
    coded = [i.rxcui for i in rx.ingredients.values() if i.rxcui]
    assert len(coded) == len(set(coded)), "two drugs share an ingredient code"
    # CPIC's identifiers for drugs the service is asked about most
    assert rx.ingredient_rxcui("clopidogrel") == "32968"
    assert rx.ingredient_rxcui("codeine") == "2670"
    assert rx.ingredient_rxcui("warfarin") == "11289"
    assert rx.ingredient_rxcui("simvastatin") == "36567"


def test_products_map_to_ingredients() -> None:
    rx = load_rxnorm_map()
    assert rx.drugs_for_code("309362") == ("clopidogrel",)
    assert rx.drugs_for_code("757704") == ("simvastatin",)
    assert rx.drugs_for_code("999999999") == ()
    assert rx.drugs_for_text("Clopidogrel 75 mg tablet") == ("clopidogrel",)
    assert rx.drugs_for_text("methylene blue injection") == ("methylene blue",)
    assert rx.drugs_for_text("aspirin") == ()


def test_user_pair_table_extends_the_map(tmp_path: Path) -> None:
    table = tmp_path / "pairs.tsv"
    table.write_text("product_rxcui\tingredient_rxcui\n855332\t11289\n")
    rx = load_rxnorm_map(table)
    assert rx.drugs_for_code("855332") == ("warfarin",)
    table.write_text("855332\t11289\nabc\t11289\n")
    with pytest.raises(InputError, match=":2:"):
        load_rxnorm_map(table)


def test_omop_concept_ancestor_extends_the_map(tmp_path: Path) -> None:
    (tmp_path / "CONCEPT.csv").write_text(
        "concept_id\tconcept_name\tdomain_id\tvocabulary_id\tconcept_class_id\tstandard_concept\tconcept_code\n"
        "1322184\tclopidogrel\tDrug\tRxNorm\tIngredient\tS\t32968\n"
        "19075601\tclopidogrel 75 MG Oral Tablet [Plavix]\tDrug\tRxNorm\tBranded Drug\tS\t213169\n"
        "1\tsomething\tDrug\tSNOMED\tClinical Finding\tS\t123\n")
    (tmp_path / "CONCEPT_ANCESTOR.csv").write_text(
        "ancestor_concept_id\tdescendant_concept_id\tmin_levels_of_separation\tmax_levels_of_separation\n"
        "1322184\t1322184\t0\t0\n1322184\t19075601\t2\t2\n")
    rx = load_rxnorm_map(tmp_path)
    assert rx.drugs_for_code("213169") == ("clopidogrel",)
    (tmp_path / "CONCEPT_ANCESTOR.csv").unlink()
    with pytest.raises(InputError, match="CONCEPT_ANCESTOR"):
        load_rxnorm_map(tmp_path)


def test_every_built_in_product_names_the_drug_it_maps_to() -> None:
    """A product row is read from a cited list of product names; the name must contain the drug it is mapped to."""
    from tailormed.kb.rxnorm import PRODUCTS_FILE

    rows = [line.split("\t") for line in PRODUCTS_FILE.read_text().splitlines()
            if line and not line.startswith("#") and not line.startswith("product_rxcui")]
    assert len(rows) >= 19
    for product, name, drug, source in rows:
        assert drug in name.lower(), (product, name, drug)
        assert source
    rx = load_rxnorm_map()
    assert rx.drugs_for_code("1870650") == ("gentamicin",)  # 2 ML gentamicin 40 MG/ML Injection
    assert rx.drugs_for_code("597823") == ("tobramycin",)
