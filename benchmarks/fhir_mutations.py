"""A mutation suite for the FHIR IG checker: valid examples of the Genomics Reporting IG, each broken in one way.

Every case names a base example of the IG package (``hl7.fhir.uv.genomics-reporting#3.0.0``, which the checker
must pass with 0 errors), one change that makes it non-conformant, and a fragment the checker's error must
contain, so a case counts as caught only when the checker finds *that* problem. Used by
``benchmarks/fhir_conformance.py`` (the figure) and ``tests/ehr/test_fhir_check.py`` (one test per case).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Mutate = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Mutation:
    name: str
    base: str  # file name under the IG package's example/ folder
    mutate: Mutate
    expect: str  # a fragment of the error the checker must report
    rule: str  # the kind of rule broken (cardinality, pattern, binding, invariant, type, structure, slicing)


GENOTYPE = "Observation-GenotypeExamplePharmVar.json"
HAPLOTYPE = "Observation-HaplotypeExamplePharmVar01.json"
TX = "Observation-TxImp01.json"
TASK = "Task-MedicationRecommendationExample1.json"
STUDY = "Procedure-PGXGenomicStudy.json"
REPORT = "DiagnosticReport-PGxGenomicReportEMERGE.json"
VARIANT = "Observation-EGFR-L858R-var.json"
DX = "Observation-NTHL1-snv-disease.json"
BUNDLE = "Bundle-bundle-pgxexample.json"
ANALYSIS = "Procedure-PGXGenomicStudyAnalysis.json"


def _set(path: str, value: Any) -> Mutate:
    def apply(resource: dict[str, Any]) -> None:
        target: Any = resource
        keys = path.split(".")
        for key in keys[:-1]:
            target = target[int(key)] if key.isdigit() else target[key]
        last = keys[-1]
        if last.isdigit():
            target[int(last)] = value
        else:
            target[last] = value
    return apply


def _drop(path: str) -> Mutate:
    def apply(resource: dict[str, Any]) -> None:
        target: Any = resource
        keys = path.split(".")
        for key in keys[:-1]:
            target = target[int(key)] if key.isdigit() else target[key]
        last = keys[-1]
        if last.isdigit():
            del target[int(last)]
        else:
            del target[last]
    return apply


def _component(code: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def find(resource: dict[str, Any]) -> dict[str, Any]:
        for component in resource["component"]:
            if any(c.get("code") == code for c in component["code"].get("coding", [])):
                return component
        raise LookupError(code)
    return find


def _in_bundle(resource_type: str, change: Mutate) -> Mutate:
    def apply(bundle: dict[str, Any]) -> None:
        change(next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type))
    return apply


def _drop_component_value(code: str) -> Mutate:
    def apply(resource: dict[str, Any]) -> None:
        component = _component(code)(resource)
        for key in [k for k in component if k.startswith("value")]:
            del component[key]
    return apply


def _duplicate_full_url(bundle: dict[str, Any]) -> None:
    for position, entry in enumerate(bundle["entry"]):
        entry["fullUrl"] = "urn:uuid:8f3e2a4c-0000-4000-8000-00000000000" + str(position % 2)


def _add_unreferenced_contained(resource: dict[str, Any]) -> None:
    resource["contained"] = [{"resourceType": "Organization", "id": "orphan", "name": "nobody refers to me"}]


def _nested_contained(resource: dict[str, Any]) -> None:
    resource["contained"] = [{"resourceType": "Organization", "id": "lab", "name": "lab", "contained": [
        {"resourceType": "Organization", "id": "inner", "name": "inner"}]}]
    resource["performer"] = [{"reference": "#lab"}]


MUTATIONS: list[Mutation] = [
    # profile codes and patterns
    Mutation("genotype code is not 84413-4", GENOTYPE, _set("code.coding.0.code", "84414-2"), "84413-4", "pattern"),
    Mutation("haplotype code is not 84414-2", HAPLOTYPE, _set("code.coding.0.code", "84413-4"), "84414-2", "pattern"),
    Mutation("therapeutic implication code changed", TX, _set("code.coding.0.code", "diagnostic-implication"),
             "therapeutic-implication", "pattern"),
    Mutation("report code is not 51969-4", REPORT, _set("code.coding.0.code", "11502-2"), "51969-4", "pattern"),
    Mutation("variant code is not 69548-6", VARIANT, _set("code.coding.0.system", "http://snomed.info/sct"),
             "69548-6", "pattern"),
    Mutation("Task status is not 'requested'", TASK, _set("status", "completed"), "requested", "pattern"),
    Mutation("Task intent is not 'proposal'", TASK, _set("intent", "order"), "proposal", "pattern"),
    Mutation("genomic study category is not laboratory", STUDY, _set("category.coding.0.code", "imaging"),
             "laboratory", "pattern"),
    # cardinality and slices
    Mutation("genotype without the genetics category", GENOTYPE, _drop("category.1"), "geCategory", "slicing"),
    Mutation("genotype without any category", GENOTYPE, _drop("category"), "at least 2", "cardinality"),
    Mutation("report without category", REPORT, _drop("category"), "category", "cardinality"),
    Mutation("genotype without a value", GENOTYPE, _drop("valueCodeableConcept"), "value[x]", "cardinality"),
    Mutation("therapeutic implication with a value", TX, _set("valueString", "poor metabolizer"), "max 0",
             "cardinality"),
    Mutation("therapeutic implication without derivedFrom", TX, _drop("derivedFrom"), "derivedFrom",
             "cardinality"),
    Mutation("diagnostic implication without derivedFrom", DX, _drop("derivedFrom"), "derivedFrom", "cardinality"),
    Mutation("medication-assessed component without a value", TX, _drop_component_value("51963-7"), "value[x]",
             "cardinality"),
    Mutation("gene-studied component without a value", GENOTYPE, _drop_component_value("48018-6"), "value[x]",
             "cardinality"),
    Mutation("component without a code", GENOTYPE, _drop("component.0.code"), "code", "cardinality"),
    Mutation("genomic study with partOf (0..0)", STUDY, _set("partOf", [{"reference": "Procedure/x"}]), "max 0",
             "cardinality"),
    Mutation("genomic study without subject", STUDY, _drop("subject"), "subject", "cardinality"),
    Mutation("genomic study analysis with a code (0..0)", ANALYSIS, _set("code", {"text": "panel"}), "max 0",
             "cardinality"),
    Mutation("analysis region 'studied' given as a string", ANALYSIS,
             _set("extension.2.extension.1", {"url": "studied", "valueString": "CYP2C19"}), "not allowed",
             "type"),
    Mutation("nested extension inside a region item (0..0)", ANALYSIS,
             _set("extension.2.extension.1.extension", [{"url": "x", "valueString": "y"}]), "max 0", "slicing"),
    Mutation("Observation without status", GENOTYPE, _drop("status"), "status", "cardinality"),
    Mutation("Task with two descriptions", TASK, _set("description", ["a", "b"]), "one value", "structure"),
    # required bindings
    Mutation("Observation.status not in ObservationStatus", GENOTYPE, _set("status", "done"), "observation-status",
             "binding"),
    Mutation("DiagnosticReport.status not in its value set", REPORT, _set("status", "finished"),
             "diagnostic-report-status", "binding"),
    Mutation("Procedure.status not in EventStatus", STUDY, _set("status", "finished"), "event-status", "binding"),
    Mutation("Bundle.type not in BundleType", BUNDLE, _set("type", "bag"), "bundle-type", "binding"),
    Mutation("Task.priority not in RequestPriority", TASK, _set("priority", "soon"), "request-priority", "binding"),
    # FHIRPath invariants
    Mutation("value and dataAbsentReason together (obs-6)", GENOTYPE,
             _set("dataAbsentReason", {"text": "not performed"}), "obs-6", "invariant"),
    Mutation("component code equal to the Observation code (obs-7)", GENOTYPE,
             lambda r: r["component"].append({"code": copy.deepcopy(r["code"]), "valueString": "x"}), "obs-7",
             "invariant"),
    Mutation("Task lastModified before authoredOn (inv-1)", TASK,
             lambda r: r.update(authoredOn="2024-05-02", lastModified="2024-05-01"), "inv-1", "invariant"),
    Mutation("Period end before start (per-1)", GENOTYPE,
             lambda r: (r.pop("effectiveDateTime", None), r.update(
                 effectivePeriod={"start": "2024-05-02", "end": "2024-05-01"})), "per-1", "invariant"),
    Mutation("duplicate fullUrl in a Bundle (bdl-7)", BUNDLE, _duplicate_full_url, "bdl-7", "invariant"),
    Mutation("contained resource nobody refers to (dom-3)", GENOTYPE, _add_unreferenced_contained, "dom-3",
             "invariant"),
    Mutation("contained resource containing another (dom-2)", GENOTYPE, _nested_contained, "dom-2", "invariant"),
    Mutation("extension with a value and extensions (ext-1)", TX,
             lambda r: r["extension"][0].update(extension=[{"url": "x", "valueString": "y"}]), "ext-1", "invariant"),
    Mutation("empty element (ele-1)", GENOTYPE, _set("subject", {}), "ele-1", "invariant"),
    # types, primitives and structure
    Mutation("genotype valued with a string", GENOTYPE,
             lambda r: (r.pop("valueCodeableConcept"), r.update(valueString="CYP2D6 *1/*1")), "not allowed",
             "type"),
    Mutation("malformed dateTime", GENOTYPE, _set("effectiveDateTime", "2019-13-01"), "dateTime", "type"),
    Mutation("malformed instant (no time zone)", TX, _set("issued", "2019-04-01T10:00:00"), "instant", "type"),
    Mutation("boolean given as a string", "Patient-CGPatientExample01.json", _set("active", "true"), "boolean",
             "type"),
    Mutation("code with surrounding spaces", GENOTYPE, _set("status", " final"), "code", "type"),
    Mutation("id with illegal characters", GENOTYPE, _set("id", "genotype example!"), "id", "type"),
    Mutation("decimal given as a string", VARIANT,
             lambda r: _component("81258-6")(r)["valueQuantity"].update(value="0.066"), "decimal", "type"),
    Mutation("unknown element", GENOTYPE, _set("genotypeNotes", "x"), "unknown element", "structure"),
    Mutation("repeating element given as an object", GENOTYPE, lambda r: r.update(category=r["category"][0]),
             "JSON array", "structure"),
    Mutation("Bundle entry of an unknown resource type", BUNDLE,
             lambda b: b["entry"][1].update(resource={"resourceType": "Genotype", "id": "x"}),
             "unknown resource type", "structure"),
    Mutation("a genotype inside a Bundle loses its code", BUNDLE,
             _in_bundle("Task", _set("intent", "plan")), "proposal", "pattern"),
]


def load_example(examples: Path, name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((examples / name).read_text(encoding="utf-8"))
    return document


def mutated(examples: Path, mutation: Mutation) -> dict[str, Any]:
    """The base example with the mutation applied (a fresh copy)."""
    resource = copy.deepcopy(load_example(examples, mutation.base))
    mutation.mutate(resource)
    return resource
