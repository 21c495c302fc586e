"""The drift check on a small made-up PharmCAT folder: each kind of difference is found and sorted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tailormed.errors import InputError
from tailormed.kb.importers.pharmcat_drift import (
    DifferencesFile,
    pharmcat_drift,
    stale_entries,
)
from tailormed.model.pack import GeneDefinition

OURS = GeneDefinition.model_validate({
    "gene": "GENEX", "chromosome": "chr1", "phenotype_method": "function", "reference_allele": "*1",
    "variants": [{"id": "rs1", "position": 100, "ref": "A", "alt": ["G"]},
                 {"id": "rs2", "position": 200, "ref": "C", "alt": ["T"]}],
    "alleles": [{"name": "*1", "function": "Normal function"},
                {"name": "*2", "defining": {"rs1": "G"}, "function": "No function"},
                {"name": "*3", "defining": {"rs2": "T"}, "function": "Decreased function", "activity_value": 0.5},
                {"name": "*4old", "defining": {"rs1": "G", "rs2": "T"}, "function": "No function"}],
    "phenotype_rules": [{"functions": ["Normal function", "Normal function"], "phenotype": "Normal Metabolizer"}],
})


def _folder(tmp_path: Path) -> Path:
    variants = [{"chromosome": "chr1", "position": 100, "rsid": "rs1", "ref": "A", "alts": ["G"]},
                {"chromosome": "chr1", "position": 200, "rsid": "rs2", "ref": "C", "alts": ["T"]},
                {"chromosome": "chr1", "position": 300, "rsid": "rs3", "ref": "G", "alts": ["A"]}]
    named = [{"name": "*1", "reference": True, "alleles": ["A", "C", "G"]},
             {"name": "*2", "alleles": ["G", None, "A"]},          # redefined: also rs3
             {"name": "*3", "alleles": [None, "T", None]},
             {"name": "*4", "alleles": ["G", "T", None]},          # our *4old under another name
             {"name": "*5", "alleles": [None, None, "A"]}]         # only theirs
    root = tmp_path / "pharmcat"
    (root / "definition" / "alleles").mkdir(parents=True)
    (root / "phenotype").mkdir()
    (root / "definition" / "alleles" / "GENEX_translation.json").write_text(json.dumps(
        {"gene": "GENEX", "chromosome": "chr1", "genomeBuild": "GRCh38.p14", "version": "v1",
         "variants": variants, "namedAlleles": named}))
    (root / "phenotype" / "GENEX.json").write_text(json.dumps({"namedAlleles": [
        {"name": "*1", "functionValue": "Normal function", "activityValue": None},
        {"name": "*2", "functionValue": "No function", "activityValue": None},
        {"name": "*3", "functionValue": "No function", "activityValue": "0.25"}]}))
    return root


def test_each_kind_of_difference_is_found(tmp_path):
    [gene] = pharmcat_drift({"GENEX": OURS}, _folder(tmp_path))
    found = {(d.kind, d.item): (d.ours, d.theirs) for d in gene.found}
    assert found[("allele_definition", "*2")] == ("100A>G", "100A>G, 300G>A")
    assert found[("allele_name", "*4old")] == ("*4old", "*4")
    assert ("allele_only_in_theirs", "*5") in found
    assert found[("allele_function", "*3")] == ("Decreased function", "No function")
    assert found[("activity_value", "*3")] == ("0.5", "0.25")
    assert ("site_only_in_theirs", "rs3 300") in found
    # a site only they use is counted but is not drift by itself
    assert {d.kind for d in gene.drift} == {"allele_definition", "allele_name", "allele_only_in_theirs",
                                            "allele_function", "activity_value"}


def test_documented_differences_are_not_drift_and_stale_ones_are_reported(tmp_path):
    documented = DifferencesFile.model_validate({"checked_against": "test", "differences": [
        {"gene": "GENEX", "kind": "allele_only_in_theirs", "items": "*", "status": "gap",
         "reason": "not curated yet, a known gap"},
        {"gene": "GENEX", "kind": "allele_name", "items": ["*4old"], "status": "deliberate",
         "reason": "kept the old name on purpose for this test"},
        {"gene": "GENEX", "kind": "allele_definition", "items": ["*7"], "status": "deliberate",
         "reason": "an entry for an allele that no longer differs"}]})
    results = pharmcat_drift({"GENEX": OURS}, _folder(tmp_path), documented)
    assert {d.kind for d in results[0].drift} == {"allele_definition", "allele_function", "activity_value"}
    assert [e.items for e in stale_entries(documented, results)] == [["*7"]]


def test_gene_missing_from_pharmcat_and_bad_folder(tmp_path):
    root = _folder(tmp_path)
    other = OURS.model_copy(update={"gene": "GENEY"})
    [gene] = pharmcat_drift({"GENEY": other}, root)
    assert [d.kind for d in gene.found] == ["gene_only_in_ours"]
    with pytest.raises(InputError, match="not a PharmCAT data folder"):
        pharmcat_drift({"GENEX": OURS}, tmp_path)
