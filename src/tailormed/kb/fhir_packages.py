"""FHIR conformance packages (the Genomics Reporting IG and the R4 base definitions), as fetched by ``make
fhir-data`` from the npm registry into ``.data/fhir`` (``$TAILORMED_FHIR_PACKAGES`` names another folder).

A package folder is ``NAME#VERSION/package/`` holding one JSON resource per file. This module indexes the
StructureDefinitions, ValueSets and CodeSystems of every package found and answers the two questions a checker
asks: "the definition at this canonical URL" and "the codes of this value set, if the packages carry them".

Packages used (CC0):

- ``hl7.fhir.uv.genomics-reporting#3.0.0``: HL7 Genomics Reporting Implementation Guide STU3 (2024-12-12);
- ``hl7.fhir.r4.examples#4.0.1``: the FHIR R4 (4.0.1) specification's resources, which include the base
  StructureDefinitions, ValueSets, CodeSystems and the core value-set expansions (the npm registry does not serve
  ``hl7.fhir.r4.core``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from tailormed.documents import load_json
from tailormed.errors import KnowledgeError

GENOMICS_IG = "hl7.fhir.uv.genomics-reporting#3.0.0"
R4_BASE = "hl7.fhir.r4.examples#4.0.1"
REQUIRED_PACKAGES = (GENOMICS_IG, R4_BASE)
IG_CANONICAL = "http://hl7.org/fhir/uv/genomics-reporting"


def checkout_fhir_dir() -> Path | None:
    """The ``.data/fhir`` of the source checkout TailorMed runs from (what ``make fhir-data`` fetches), if any."""
    root = Path(__file__).resolve().parents[3]
    return root / ".data" / "fhir" if (root / "pyproject.toml").is_file() else None


def default_fhir_dir() -> Path | None:
    """``$TAILORMED_FHIR_PACKAGES`` when set, else the checkout's ``.data/fhir``."""
    configured = os.environ.get("TAILORMED_FHIR_PACKAGES")
    return Path(configured) if configured else checkout_fhir_dir()


def fhir_packages_available(folder: Path | None = None) -> bool:
    """Whether every package in :data:`REQUIRED_PACKAGES` is present."""
    folder = folder or default_fhir_dir()
    return folder is not None and all((folder / name / "package" / "package.json").is_file()
                                      for name in REQUIRED_PACKAGES)


def _strip_version(url: str) -> str:
    return url.split("|", 1)[0]


@dataclass
class FhirDefinitions:
    """The conformance resources of the loaded packages, by canonical URL (version suffixes dropped)."""

    folder: Path
    structures: dict[str, dict[str, Any]] = field(default_factory=dict)
    value_sets: dict[str, dict[str, Any]] = field(default_factory=dict)
    code_systems: dict[str, dict[str, Any]] = field(default_factory=dict)
    ig_examples: Path | None = None
    _codes: dict[str, frozenset[tuple[str, str]] | None] = field(default_factory=dict)

    def structure(self, url: str) -> dict[str, Any] | None:
        return self.structures.get(_strip_version(url))

    def base_structure(self, resource_type: str) -> dict[str, Any] | None:
        return self.structures.get(f"http://hl7.org/fhir/StructureDefinition/{resource_type}")

    def value_set_codes(self, url: str) -> frozenset[tuple[str, str]] | None:
        """Every (system, code) of the value set, or None when the packages cannot enumerate it (not carried, or
        defined by a filter or by a code system whose content is not in the packages)."""
        key = _strip_version(url)
        if key not in self._codes:
            self._codes[key] = None  # a value set that includes itself is not enumerable
            self._codes[key] = self._enumerate(key)
        return self._codes[key]

    def _enumerate(self, url: str) -> frozenset[tuple[str, str]] | None:
        value_set = self.value_sets.get(url)
        if value_set is None:
            return None
        expansion = value_set.get("expansion")
        if isinstance(expansion, dict) and "contains" in expansion:
            return frozenset(_expansion_codes(expansion.get("contains", [])))
        compose = value_set.get("compose")
        if not isinstance(compose, dict):
            return None
        codes: set[tuple[str, str]] = set()
        for include in compose.get("include", []):
            part = self._include(include)
            if part is None:
                return None
            codes |= part
        for exclude in compose.get("exclude", []):
            part = self._include(exclude)
            if part is None:
                return None
            codes -= part
        return frozenset(codes)

    def _include(self, include: dict[str, Any]) -> frozenset[tuple[str, str]] | set[tuple[str, str]] | None:
        if include.get("filter"):
            return None
        system = include.get("system")
        found: frozenset[tuple[str, str]] | set[tuple[str, str]] | None = None
        if system:
            if include.get("concept"):
                found = {(system, c["code"]) for c in include["concept"]}
            else:
                code_system = self.code_systems.get(system)
                if code_system is None or code_system.get("content") != "complete":
                    return None
                found = {(system, code) for code in _concept_codes(code_system.get("concept", []))}
        for other in include.get("valueSet", []):
            part = self.value_set_codes(other)
            if part is None:
                return None
            found = part if found is None else found & part
        return found


def _expansion_codes(contains: list[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    for item in contains:
        if "code" in item and not item.get("abstract"):
            yield item.get("system", ""), item["code"]
        yield from _expansion_codes(item.get("contains", []))


def _concept_codes(concepts: list[dict[str, Any]]) -> Iterator[str]:
    for concept in concepts:
        yield concept["code"]
        yield from _concept_codes(concept.get("concept", []))


@cache
def load_fhir_definitions(folder: Path | None = None) -> FhirDefinitions:
    """Index the packages (once per process). A missing package is a :class:`KnowledgeError` saying how to get it."""
    folder = folder or default_fhir_dir()
    if folder is None or not fhir_packages_available(folder):
        raise KnowledgeError(f"the FHIR packages {', '.join(REQUIRED_PACKAGES)} are not installed; run `make "
                             "fhir-data` (or set TAILORMED_FHIR_PACKAGES to a folder holding them)",
                             source=str(folder) if folder else None)
    definitions = FhirDefinitions(folder=folder)
    # The IG last, so its definitions win where both carry one URL.
    for name in (R4_BASE, GENOMICS_IG):
        package = folder / name / "package"
        for path in sorted(package.glob("*.json")):
            prefix = path.name.split("-", 1)[0]
            if prefix not in ("StructureDefinition", "ValueSet", "CodeSystem", "Bundle"):
                continue
            document = load_json(path, "FHIR package resource")
            if prefix == "Bundle":  # the core value-set expansions
                for entry in document.get("entry", []):
                    resource = entry.get("resource", {})
                    if resource.get("resourceType") == "ValueSet" and "url" in resource:
                        current = definitions.value_sets.get(resource["url"], {})
                        definitions.value_sets[resource["url"]] = {**current, "expansion": resource.get("expansion"),
                                                                   "url": resource["url"]}
                continue
            url = document.get("url")
            if not url:
                continue
            target = {"StructureDefinition": definitions.structures, "ValueSet": definitions.value_sets,
                      "CodeSystem": definitions.code_systems}[prefix]
            if prefix == "ValueSet" and url in target and "expansion" in target[url]:
                document = {**document, "expansion": target[url]["expansion"]}
            target[url] = document
    examples = folder / GENOMICS_IG / "package" / "example"
    definitions.ig_examples = examples if examples.is_dir() else None
    return definitions
