"""The IG checker: 0 errors on the IG's own examples that declare a profile, and each broken example of the
mutation suite (benchmarks/fhir_mutations.py) refused for the reason it was broken."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))

from fhir_mutations import MUTATIONS, Mutation, load_example, mutated  # noqa: E402


def _declares_profile(document: dict[str, Any]) -> bool:
    if document.get("meta", {}).get("profile"):
        return True
    return any(e.get("resource", {}).get("meta", {}).get("profile") for e in document.get("entry", [])
               if isinstance(e, dict))


def test_the_igs_own_examples_that_declare_a_profile_pass(checker: Any, ig_examples: Path) -> None:
    checked, failures = 0, []
    for path in sorted(ig_examples.glob("*.json")):
        document = json.loads(path.read_text())
        if not _declares_profile(document):
            continue
        checked += 1
        failures += [f"{path.name}: {issue}" for issue in checker.check(document).errors]
    assert checked >= 100  # the IG 3.0.0 package holds 151 such examples
    assert failures == []


def test_the_mutation_suite_breaks_every_kind_of_rule() -> None:
    assert len(MUTATIONS) >= 30
    assert {m.rule for m in MUTATIONS} >= {"cardinality", "pattern", "binding", "invariant", "type", "structure",
                                            "slicing"}


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.name)
def test_each_broken_example_is_refused_for_its_fault(checker: Any, ig_examples: Path, mutation: Mutation) -> None:
    assert checker.check(load_example(ig_examples, mutation.base)).errors == []
    errors = [str(i) for i in checker.check(mutated(ig_examples, mutation)).errors]
    assert any(mutation.expect in e for e in errors), errors


def test_an_issue_names_the_entry_the_element_and_the_profile(checker: Any, ig_examples: Path) -> None:
    bundle = load_example(ig_examples, "Bundle-bundle-pgxexample.json")
    genotype = next(e for e in bundle["entry"] if e["resource"]["id"] == "genotype-pgx-example")
    genotype["resource"]["code"]["coding"][0]["code"] = "84414-2"
    errors = checker.check(bundle).errors
    assert len(errors) == 1
    assert "entry[6].resource(Observation/genotype-pgx-example).code" in errors[0].location
    assert errors[0].profile.endswith("/genotype")


def test_unknown_profiles_are_warned_about_not_passed_silently(checker: Any, ig_examples: Path) -> None:
    resource = load_example(ig_examples, "Observation-GenotypeExamplePharmVar.json")
    resource["meta"]["profile"].append("http://example.org/StructureDefinition/unknown")
    report = checker.check(resource)
    assert report.errors == []
    assert any("not in the loaded packages" in str(w) for w in report.warnings)


def test_value_sets_the_packages_cannot_enumerate_are_reported_as_not_checked(checker: Any,
                                                                             ig_examples: Path) -> None:
    report = checker.check(load_example(ig_examples, "Observation-EGFR-L858R-var.json"))
    assert "required binding http://loinc.org/vs/LL1971-2" in report.not_checked


def test_a_document_without_resource_type_is_one_error(checker: Any) -> None:
    assert [i.message for i in checker.check({"status": "final"}).errors] == ["not a FHIR resource (no resourceType)"]
