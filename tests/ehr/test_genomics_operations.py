"""Genomics Operations on an exported Bundle: $find-subject-haplotypes and $find-subject-tx-implications return
the Parameters the IG's OperationDefinitions describe, filtered as asked."""

from __future__ import annotations

from typing import Any

import pytest

from tailormed.ehr.fhir_export import analysis_bundle
from tailormed.ehr.genomics_operations import find_subject_haplotypes, find_subject_tx_implications
from tailormed.errors import InputError

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


@pytest.fixture(scope="module")
def bundle(demo_documents: dict[str, Any]) -> dict[str, Any]:
    return analysis_bundle(demo_documents)


def _gene(resource: dict[str, Any]) -> str:
    component = next(c for c in resource["component"] if c["code"]["coding"][0]["code"] == "48018-6")
    return str(component["valueCodeableConcept"]["coding"][0]["display"])


def test_haplotypes_per_requested_gene(bundle: dict[str, Any], checker: Any) -> None:
    genes = ["http://www.genenames.org|HGNC:2621", "CYP2D6", "HGNC:999999"]
    result = find_subject_haplotypes(bundle, "DEMO001", genes)
    assert checker.check(result).errors == []
    assert [p["name"] for p in result["parameter"]] == ["haplotypes"] * 3
    for parameter, given, gene in zip(result["parameter"], genes, ("CYP2C19", "CYP2D6", None), strict=True):
        parts = parameter["part"]
        assert parts[0] == {"name": "geneItem", "valueString": given}
        found = parts[1:]
        if gene is None:
            assert found == []
            continue
        assert {p["name"] for p in found} == {"genotype", "haplotype"}
        assert all(_gene(p["resource"]) == gene for p in found)
        assert sum(p["name"] == "genotype" for p in found) == 1


def test_a_subject_without_results_gets_empty_answers(bundle: dict[str, Any]) -> None:
    result = find_subject_haplotypes(bundle, "SOMEONE-ELSE", ["CYP2C19"])
    assert result["parameter"] == [{"name": "haplotypes", "part": [{"name": "geneItem", "valueString": "CYP2C19"}]}]
    assert find_subject_tx_implications(bundle, "SOMEONE-ELSE")["parameter"] == []


def test_tx_implications_for_a_treatment_bring_their_genotypes(bundle: dict[str, Any], checker: Any) -> None:
    result = find_subject_tx_implications(bundle, "DEMO001", treatments=[f"{RXNORM}|32968"])
    assert checker.check(result).errors == []
    implications = [p["resource"] for p in result["parameter"] if p["name"] == "implication"]
    assert implications
    for implication in implications:
        medication = next(c for c in implication["component"] if c["code"]["coding"][0]["code"] == "51963-7")
        assert medication["valueCodeableConcept"]["coding"][0]["code"] == "32968"
    genotypes = [p["resource"] for p in result["parameter"] if p["name"] == "genotype"]
    assert [_gene(g) for g in genotypes] == ["CYP2C19"]
    by_name = find_subject_tx_implications(bundle, "DEMO001", treatments=["clopidogrel"])
    assert by_name == result


def test_tx_implications_filtered_by_haplotype_variant_and_condition(bundle: dict[str, Any]) -> None:
    by_genotype = find_subject_tx_implications(bundle, "DEMO001", haplotypes=["http://www.pharmvar.org|CYP2C19*1/*2"])
    drugs = {c["valueCodeableConcept"]["text"] for p in by_genotype["parameter"] if p["name"] == "implication"
             for c in p["resource"]["component"] if c["code"]["coding"][0]["code"] == "51963-7"}
    assert {"clopidogrel", "citalopram", "voriconazole"} <= drugs and "codeine" not in drugs
    both = find_subject_tx_implications(bundle, "DEMO001", haplotypes=["CYP2C19 *1/*2"], treatments=["citalopram"])
    # citalopram for a CYP2C19 intermediate metabolizer: CPIC's implication and DPWG's, which differs (a fixed
    # maximum dose), each its own implication
    assert sorted(p["name"] for p in both["parameter"]) == ["genotype", "implication", "implication"]
    condition = find_subject_tx_implications(bundle, "DEMO001", treatments=["clopidogrel"], conditions=[
        "cardiovascular: acute coronary syndrome (ACS) and/or percutaneous coronary intervention (PCI)"])
    assert len([p for p in condition["parameter"] if p["name"] == "implication"]) == 1
    assert find_subject_tx_implications(bundle, "DEMO001", variants=["NM_000000.0:c.1A>G"])["parameter"] == []


def test_unsupported_inputs_are_refused_or_match_nothing(bundle: dict[str, Any]) -> None:
    with pytest.raises(InputError, match="ranges parameter is not supported"):
        find_subject_tx_implications(bundle, "DEMO001", ranges=["NC_000010.11:94761000-94762000"])
    with pytest.raises(InputError, match="at least one gene"):
        find_subject_haplotypes(bundle, "DEMO001", [])
    with pytest.raises(InputError, match="only HGNC codes"):
        find_subject_haplotypes(bundle, "DEMO001", ["http://www.ncbi.nlm.nih.gov/gene|1557"])
    assert find_subject_tx_implications(bundle, "DEMO001", test_identifiers=["lab-123"])["parameter"] == []
    somatic = find_subject_haplotypes(bundle, "DEMO001", ["CYP2C19"], genomic_source_class="somatic")
    assert somatic["parameter"][0]["part"] == [{"name": "geneItem", "valueString": "CYP2C19"}]
    dated = find_subject_haplotypes(bundle, "DEMO001", ["CYP2C19"], test_date_range={"end": "2000-01-01"})
    assert len(dated["parameter"][0]["part"]) == 1
