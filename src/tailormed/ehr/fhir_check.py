"""Check FHIR R4 resources against StructureDefinition snapshots: the Genomics Reporting IG's profiles and the R4
base definitions (:mod:`tailormed.kb.fhir_packages`).

fhir.resources parses the R4B structure of a resource but knows nothing of profiles or coded values, so this
module reads the conformance resources themselves. For each resource it checks the base definition of its type
and every profile it declares in ``meta.profile`` (or is asked to check), walking the snapshot elements:

- **cardinality** of every element and of every slice (``min``/``max``; ``0..0`` elements present);
- **slicing**: values are sorted into slices by their discriminators (``value``/``pattern`` on a path, the
  extension ``url``, ``type``, and ``profile`` on ``resolve()`` when the reference resolves inside the Bundle
  being checked); a value matched by no slice of a ``closed`` slicing is an error;
- **fixed and pattern values** (``fixed[x]`` equal, ``pattern[x]`` contained);
- **required bindings** where the packages carry the value set's codes (an expansion, or concepts listed or a
  complete code system); value sets the packages cannot enumerate (LOINC answer lists, filters over SNOMED CT,
  HGNC) are listed in :attr:`CheckReport.not_checked`, never guessed;
- **FHIRPath invariants** of the definitions (``obs-6``, ``obs-7``, ``ref-1``, ``bdl-*``...) evaluated with
  fhirpathpy (R4 model); ``ele-1`` and ``ext-1`` are checked directly;
- **primitive values**: the JSON type and the regular expression of the FHIR primitive type;
- **unknown elements**: a JSON property the definition does not have.

Types without children in a profile's snapshot (a CodeableConcept, a Reference, an extension slice) are checked
against their own definition (the data type, or the extension's profile); ``Bundle.entry.resource`` and
``contained`` resources against their type and declared profiles.

An issue names where it is (``entry[3](Observation/genotype-CYP2C19).component[0].code``), what is wrong, and
the profile whose rule it breaks.
"""

from __future__ import annotations

import copy
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from tailormed.kb.fhir_packages import FhirDefinitions, load_fhir_definitions

Severity = Literal["error", "warning"]
_REGEX_EXTENSION = "http://hl7.org/fhir/StructureDefinition/regex"
_FHIRPATH_TYPES = {"http://hl7.org/fhirpath/System.String": "string"}
_INTEGER_TYPES = {"integer", "positiveInt", "unsignedInt"}
_STRING_TYPES = {"string", "code", "id", "uri", "url", "canonical", "oid", "uuid", "markdown", "base64Binary",
                 "date", "dateTime", "instant", "time", "xhtml"}
# Checked in Python rather than with fhirpathpy: ele-1 and ext-1 (cheap and everywhere), dom-3 (its `as` on a
# collection is refused by fhirpathpy) and rng-2 (fhirpathpy cannot compare Quantities).
_DIRECTLY_CHECKED = {"ele-1", "ext-1", "dom-3", "rng-2"}


@dataclass(frozen=True)
class Issue:
    """One problem: where, what, and under which profile."""

    severity: Severity
    location: str
    message: str
    profile: str | None = None

    def __str__(self) -> str:
        under = f" [{self.profile.rsplit('/', 1)[-1]}]" if self.profile else ""
        return f"{self.severity}: {self.location}: {self.message}{under}"


@dataclass
class CheckReport:
    """The issues found in one document, and what the packages could not check."""

    issues: list[Issue] = field(default_factory=list)
    resources: int = 0
    profiles_checked: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    not_checked: set[str] = field(default_factory=set)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]


@dataclass
class _Index:
    """A StructureDefinition's snapshot: elements by id and the direct children of each."""

    url: str
    elements: dict[str, dict[str, Any]]
    children: dict[str, list[dict[str, Any]]]
    root: dict[str, Any]


@dataclass
class _Context:
    report: CheckReport
    profile: str
    root: dict[str, Any]
    references: Mapping[str, dict[str, Any]]


class FhirChecker:
    """Checks resources against the loaded packages; build once, call :meth:`check` many times."""

    def __init__(self, definitions: FhirDefinitions | None = None) -> None:
        self.definitions = definitions or load_fhir_definitions()
        self._indexes: dict[str, _Index] = {}
        self._regexes: dict[str, re.Pattern[str] | None] = {}
        self._parsed: dict[str, Any] = {}

    # --- entry points -------------------------------------------------------------------------------------

    def check(self, resource: Any, profiles: Sequence[str] = ()) -> CheckReport:
        """Check one resource (a Bundle's entries too) against its base definition, its declared profiles and
        ``profiles``."""
        report = CheckReport()
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            report.issues.append(Issue("error", "(document)", "not a FHIR resource (no resourceType)"))
            return report
        working = copy.deepcopy(resource)  # fhirpathpy annotates what it evaluates
        self._check_resource(working, _describe(working), profiles, report, _reference_index(working))
        # A rule of the base definition that a profile repeats is one problem, reported once (under the base).
        seen: set[tuple[str, str, str]] = set()
        unique = []
        for issue in report.issues:
            key = (issue.severity, issue.location, issue.message)
            if key not in seen:
                seen.add(key)
                unique.append(issue)
        report.issues = unique
        return report

    # --- resources ----------------------------------------------------------------------------------------

    def _check_resource(self, resource: dict[str, Any], location: str, extra: Sequence[str], report: CheckReport,
                        references: Mapping[str, dict[str, Any]]) -> None:
        report.resources += 1
        resource_type = resource.get("resourceType")
        base = self.definitions.base_structure(str(resource_type))
        if base is None or base.get("kind") != "resource":
            report.issues.append(Issue("error", location, f"unknown resource type {resource_type!r:.60}"))
            return
        meta = resource.get("meta")
        declared = meta.get("profile") if isinstance(meta, dict) else None
        declared = declared if isinstance(declared, list) else []
        urls = [base["url"]] + [u for u in [*declared, *extra] if isinstance(u, str)]
        for url in dict.fromkeys(urls):
            structure = self.definitions.structure(url)
            if structure is None:
                report.issues.append(Issue("warning", location, f"profile {url} is not in the loaded packages; "
                                                                "not checked against it"))
                continue
            if structure.get("type") != resource_type:
                report.issues.append(Issue("error", location, f"declares profile {url}, which constrains "
                                                              f"{structure.get('type')}, not {resource_type}"))
                continue
            report.profiles_checked[structure["url"]] += 1
            context = _Context(report, structure["url"], resource, references)
            self._check_against(self._index(structure), resource, location, context, fhirpath_base=None)

    def _check_against(self, index: _Index, node: dict[str, Any], location: str, context: _Context,
                       fhirpath_base: str | None) -> None:
        self._check_constraints(index.root, node, location, context, fhirpath_base)
        self._walk(index, index.root["id"], node, location, context)

    # --- the element tree ---------------------------------------------------------------------------------

    def _index(self, structure: dict[str, Any]) -> _Index:
        url = structure["url"]
        if url not in self._indexes:
            elements = {e["id"]: e for e in structure["snapshot"]["element"]}
            children: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for element_id, element in elements.items():
                if "." in element_id:
                    parent = element_id.rsplit(".", 1)[0]
                    children[parent].append(element)
            root = structure["snapshot"]["element"][0]
            self._indexes[url] = _Index(url, elements, dict(children), root)
        return self._indexes[url]

    def _walk(self, index: _Index, element_id: str, node: dict[str, Any], location: str, context: _Context) -> None:
        kids = index.children.get(element_id, [])
        known: set[str] = {"resourceType", "fhir_comments"} if "." not in element_id else {"fhir_comments"}
        slices_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
        bases = []
        for kid in kids:
            segment = kid["id"].rsplit(".", 1)[-1]
            if ":" in segment:
                slices_of[segment.split(":", 1)[0]].append(kid)
            else:
                bases.append(kid)
        for element in bases:
            name = element["id"].rsplit(".", 1)[-1]
            values, keys = self._values(node, name, element, location, context)
            known |= keys
            self._check_element(index, element, values, slices_of.get(name, []), location, context)
        for key in node:
            if key not in known and not (key.startswith("_") and key[1:] in known):
                context.report.issues.append(Issue("error", f"{location}.{key}", "unknown element", context.profile))

    def _values(self, node: dict[str, Any], name: str, element: dict[str, Any], location: str,
                context: _Context) -> tuple[list[tuple[Any, str | None, str]], set[str]]:
        """The JSON values of one element: (value, type code for a choice, location)."""
        if name.endswith("[x]"):
            prefix = name[:-3]
            allowed = {t["code"].lower(): t["code"] for t in element.get("type", [])}
            found: list[tuple[Any, str | None, str]] = []
            keys: set[str] = set()
            for key, value in node.items():
                stem = key[1:] if key.startswith("_") else key
                if not stem.startswith(prefix) or len(stem) == len(prefix) or not stem[len(prefix)].isupper():
                    continue
                suffix = stem[len(prefix):]
                keys.add(stem)
                if key.startswith("_"):
                    continue
                type_code = allowed.get(suffix.lower())
                if type_code is None:
                    context.report.issues.append(Issue(
                        "error", f"{location}.{key}",
                        f"type {suffix} is not allowed here (allowed: {', '.join(sorted(allowed.values()))})",
                        context.profile))
                    type_code = suffix[0].lower() + suffix[1:] if suffix.lower() in _STRING_TYPES else suffix
                found.append((value, type_code, f"{location}.{key}"))
            return found, keys
        repeating = element.get("base", {}).get("max", element.get("max")) != "1"
        value = node.get(name)
        if value is None:
            # A primitive given only as an extension (``_birthDate``) is present.
            shadow = node.get(f"_{name}")
            if shadow is None:
                return [], {name}
            count = len(shadow) if isinstance(shadow, list) else 1
            return [(None, None, f"{location}._{name}") for _ in range(count)], {name}
        if repeating:
            if not isinstance(value, list):
                context.report.issues.append(Issue("error", f"{location}.{name}", "must be a JSON array",
                                                   context.profile))
                value = [value]
            return [(v, None, f"{location}.{name}[{i}]") for i, v in enumerate(value)], {name}
        if isinstance(value, list):
            context.report.issues.append(Issue("error", f"{location}.{name}", "holds an array but allows one value",
                                               context.profile))
            return [(v, None, f"{location}.{name}[{i}]") for i, v in enumerate(value)], {name}
        return [(value, None, f"{location}.{name}")], {name}

    def _check_element(self, index: _Index, element: dict[str, Any], values: list[tuple[Any, str | None, str]],
                       slices: list[dict[str, Any]], location: str, context: _Context) -> None:
        name = element["id"].rsplit(".", 1)[-1]
        self._cardinality(element, len(values), f"{location}.{name}", context)
        slicing = element.get("slicing")
        assigned: list[dict[str, Any] | None] = [None] * len(values)
        if slices and slicing:
            discriminators = slicing.get("discriminator", [])
            for position, (value, type_code, _) in enumerate(values):
                for candidate in slices:
                    if self._in_slice(index, candidate, value, type_code, discriminators, context):
                        assigned[position] = candidate
                        break
            for candidate in slices:
                matched = sum(1 for a in assigned if a is candidate)
                self._cardinality(candidate, matched, f"{location}.{name}:{candidate['sliceName']}", context)
            if slicing.get("rules") == "closed":
                for (_, _, where), slot in zip(values, assigned, strict=True):
                    if slot is None:
                        context.report.issues.append(Issue("error", where, "matches no slice of a closed slicing",
                                                           context.profile))
        elif slices:  # slices of a choice type by type ("value[x]:valueCodeableConcept") carry no slicing here
            for position, (_, type_code, _) in enumerate(values):
                for candidate in slices:
                    if type_code and candidate["id"].endswith(f":{name[:-3]}{type_code[0].upper()}{type_code[1:]}"):
                        assigned[position] = candidate
        for (value, type_code, where), slot in zip(values, assigned, strict=True):
            self._check_value(index, slot or element, value, type_code, where, context)

    def _cardinality(self, element: dict[str, Any], count: int, where: str, context: _Context) -> None:
        low, high = int(element.get("min", 0)), element.get("max", "*")
        if count < low:
            context.report.issues.append(Issue("error", where, f"at least {low} required, found {count}",
                                               context.profile))
        if high != "*" and count > int(high):
            message = "not allowed here (max 0)" if high == "0" else f"at most {high} allowed, found {count}"
            context.report.issues.append(Issue("error", where, message, context.profile))

    # --- one value ----------------------------------------------------------------------------------------

    def _check_value(self, index: _Index, element: dict[str, Any], value: Any, type_code: str | None, where: str,
                     context: _Context) -> None:
        if value is None:  # only a primitive extension
            return
        types = [t for t in element.get("type", [])]
        if type_code is None and len(types) == 1:
            type_code = types[0]["code"]
        type_entry = next((t for t in types if t["code"] == type_code), None)
        if type_code and type_code.startswith("http://hl7.org/fhirpath/System."):
            # Element ids, extension urls and Resource.id are System.String with the FHIR type in an extension.
            declared = next((x.get("valueUrl") for x in (type_entry or {}).get("extension", [])
                             if x.get("url", "").endswith("structuredefinition-fhir-type")), None)
            type_code = str(declared or _FHIRPATH_TYPES.get(type_code, "string"))
            if element["path"].count(".") == 1 and element["path"].endswith(".id") and index.root.get("path") == (
                    element["path"].split(".")[0]) and "resourceType" in context.root:
                type_code = "id"  # Resource.id is of type id (the snapshot's fhir-type says string)
        for key, expected in element.items():
            if key.startswith("fixed") and value != expected:
                context.report.issues.append(Issue("error", where, f"must be exactly {_short(expected)}, found "
                                                                   f"{_short(value)}", context.profile))
            elif key.startswith("pattern") and not _matches(value, expected):
                context.report.issues.append(Issue("error", where, f"must match the pattern {_short(expected)}, "
                                                                   f"found {_short(value)}", context.profile))
        binding = element.get("binding")
        if binding and binding.get("strength") == "required" and binding.get("valueSet"):
            self._check_binding(binding["valueSet"], value, type_code, where, context)
        if type_code and type_code[:1].islower():
            self._check_primitive(type_code, value, where, context)
            return
        if not isinstance(value, dict):
            context.report.issues.append(Issue("error", where, f"must be a JSON object ({type_code}), found "
                                                               f"{_short(value)}", context.profile))
            return
        if not any(k not in ("id", "extension") for k in value) and not value.get("extension") and (
                type_code not in ("Resource",) and "resourceType" not in value):
            context.report.issues.append(Issue("error", where, "an element must have a value or children (ele-1)",
                                               context.profile))
        if type_code == "Extension" and "extension" in value and any(k.startswith("value") for k in value):
            context.report.issues.append(Issue("error", where, "an extension has either a value or extensions, not "
                                                               "both (ext-1)", context.profile))
        if element is not index.root:
            self._check_constraints(element, value, where, context, element["path"])
        if "contentReference" in element:
            target = element["contentReference"].lstrip("#")
            self._walk(index, target, value, where, context)
            return
        if index.children.get(element["id"]):
            self._walk(index, element["id"], value, where, context)
            return
        if type_code == "Resource" or (type_code and "resourceType" in value and type_code != "Extension"):
            self._check_resource(value, f"{where}({_describe(value)})", (), context.report, context.references)
            return
        profiles = (type_entry or {}).get("profile", [])
        structure = None
        for url in profiles:
            structure = self.definitions.structure(url)
            if structure is not None:
                break
        if structure is None and type_code:
            structure = self.definitions.structure(f"http://hl7.org/fhir/StructureDefinition/{type_code}")
        if structure is None:
            if profiles or type_code not in (None, "BackboneElement", "Element"):
                context.report.not_checked.add(f"type {profiles[0] if profiles else type_code}")
            return
        nested = _Context(context.report, structure["url"] if profiles else context.profile, context.root,
                          context.references)
        self._check_against(self._index(structure), value, where, nested, fhirpath_base=structure.get("type"))

    def _check_primitive(self, type_code: str, value: Any, where: str, context: _Context) -> None:
        if type_code == "boolean":
            ok = isinstance(value, bool)
        elif type_code in _INTEGER_TYPES:
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif type_code == "decimal":
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        else:
            ok = isinstance(value, str)
        if not ok:
            expected = "boolean" if type_code == "boolean" else (
                "number" if type_code in _INTEGER_TYPES | {"decimal"} else "string")
            context.report.issues.append(Issue("error", where, f"a {type_code} must be a JSON {expected}, found "
                                                               f"{_short(value)}", context.profile))
            return
        pattern = self._regex(type_code)
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if pattern is not None and not pattern.fullmatch(text):
            context.report.issues.append(Issue("error", where, f"{_short(value)} is not a valid {type_code}",
                                               context.profile))

    def _regex(self, type_code: str) -> re.Pattern[str] | None:
        if type_code not in self._regexes:
            pattern = None
            structure = self.definitions.structure(f"http://hl7.org/fhir/StructureDefinition/{type_code}")
            for element in (structure or {}).get("snapshot", {}).get("element", []):
                if element["id"] == f"{type_code}.value":
                    for extension in element.get("type", [{}])[0].get("extension", []):
                        if extension.get("url") == _REGEX_EXTENSION:
                            pattern = re.compile(extension["valueString"])
            self._regexes[type_code] = pattern
        return self._regexes[type_code]

    def _check_binding(self, value_set: str, value: Any, type_code: str | None, where: str,
                       context: _Context) -> None:
        codes = self.definitions.value_set_codes(value_set)
        if codes is None:
            context.report.not_checked.add(f"required binding {value_set}")
            return
        if type_code == "code" or isinstance(value, str):
            if isinstance(value, str) and value not in {code for _, code in codes}:
                context.report.issues.append(Issue("error", where, f"{_short(value)} is not in the required value set "
                                                                   f"{value_set}", context.profile))
            return
        if not isinstance(value, dict):
            return
        codings = [value] if type_code == "Coding" else (
            value.get("coding") if type_code == "CodeableConcept" else [])
        codings = codings if isinstance(codings, list) else []
        if type_code not in ("Coding", "CodeableConcept"):
            context.report.not_checked.add(f"required binding {value_set} on {type_code}")
            return
        if not any(isinstance(c, dict) and (c.get("system", ""), c.get("code")) in codes for c in codings):
            context.report.issues.append(Issue("error", where, f"no coding from the required value set {value_set}",
                                               context.profile))

    def _check_constraints(self, element: dict[str, Any], node: Any, where: str, context: _Context,
                           fhirpath_base: str | None) -> None:
        for constraint in element.get("constraint", []):
            key = constraint.get("key", "")
            expression = constraint.get("expression")
            if key in ("dom-3", "rng-2") and isinstance(node, dict):
                failed = not _contained_referenced(node) if key == "dom-3" else not _range_ordered(node)
                if failed:
                    context.report.issues.append(Issue("error", where, f"{key}: {constraint.get('human', key)}",
                                                       context.profile))
                continue
            if key in _DIRECTLY_CHECKED or not expression:
                continue
            try:
                result = self._evaluate(node, expression, fhirpath_base, context.root)
            except Exception:  # noqa: BLE001 - fhirpathpy raises many kinds; an unevaluable invariant is reported
                context.report.not_checked.add(f"invariant {key}")
                continue
            if result == [False]:
                severity: Severity = "error" if constraint.get("severity") == "error" else "warning"
                context.report.issues.append(Issue(severity, where, f"{key}: {constraint.get('human', expression)}",
                                                   context.profile))

    def _evaluate(self, node: Any, expression: str, base: str | None, root: dict[str, Any]) -> list[Any]:
        import fhirpathpy
        import fhirpathpy.engine.nodes
        import fhirpathpy.models
        import fhirpathpy.parser

        # fhirpathpy's internals are untyped; the parsed tree is cached, so each expression is parsed once.
        parse: Any = fhirpathpy.parser.parse
        resource_node: Any = fhirpathpy.engine.nodes.ResourceNode
        apply_parsed_path: Any = fhirpathpy.apply_parsed_path
        models: Any = fhirpathpy.models.models

        parsed = self._parsed.get(expression)
        if parsed is None:
            # fhirpathpy has no hasValue(); on the JSON form exists() is the same test for anything but a primitive
            # given only as an extension (documented in docs/fhir.md).
            parsed = self._parsed[expression] = parse(expression.replace("hasValue()", "exists()"))
        target = resource_node.create_node(node, base) if base else node
        result: list[Any] = apply_parsed_path(target, parsed, {"resource": root, "rootResource": root},
                                              models["r4"], {"traceFn": _no_trace})
        return result

    def _in_slice(self, index: _Index, candidate: dict[str, Any], value: Any, type_code: str | None,
                  discriminators: list[dict[str, Any]], context: _Context) -> bool:
        for discriminator in discriminators:
            kind, path = discriminator.get("type"), discriminator.get("path", "$this")
            if kind in ("value", "pattern"):
                if path == "url" and isinstance(value, dict):
                    expected = _extension_url(index, candidate)
                    if expected is None or value.get("url") != expected:
                        return False
                    continue
                target = candidate if path == "$this" else index.elements.get(f"{candidate['id']}.{path}")
                if target is None:
                    return False
                wanted = [(k, v) for k, v in target.items() if k.startswith(("fixed", "pattern"))]
                if not wanted:
                    return False
                actual = list(_at_path(value, [] if path == "$this" else path.split(".")))
                for key, expected in wanted:
                    test = (lambda a, e=expected: a == e) if key.startswith("fixed") else (
                        lambda a, e=expected: _matches(a, e))
                    if not any(test(a) for a in actual):
                        return False
            elif kind == "type":
                codes = {t["code"] for t in candidate.get("type", [])}
                if type_code not in codes:
                    return False
            elif kind == "profile":
                wanted_profiles = {p for t in candidate.get("type", []) for p in t.get("targetProfile", [])} | {
                    p for t in candidate.get("type", []) for p in t.get("profile", [])}
                target_resource = value
                if isinstance(value, dict) and "reference" in value:
                    target_resource = context.references.get(str(value["reference"]))
                if not isinstance(target_resource, dict):
                    return False
                target_meta = target_resource.get("meta")
                profiles = target_meta.get("profile") if isinstance(target_meta, dict) else None
                declared = {p for p in profiles if isinstance(p, str)} if isinstance(profiles, list) else set()
                if not declared & wanted_profiles:
                    return False
            elif kind == "exists":
                continue
            else:
                return False
        return True


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _contained_referenced(resource: dict[str, Any]) -> bool:
    """dom-3: every contained resource is referenced from elsewhere in the resource (or the resource is)."""
    contained = resource.get("contained")
    if not isinstance(contained, list) or not contained:
        return True
    rest = {k: v for k, v in resource.items() if k != "contained"}
    mentioned = set(_strings(rest)) | {s for c in contained for s in _strings(c)}
    return "#" in mentioned or all(isinstance(c, dict) and f"#{c.get('id')}" in mentioned for c in contained)


def _range_ordered(node: dict[str, Any]) -> bool:
    """rng-2: a Range's low is not above its high (compared when both have a value in the same unit)."""
    low, high = node.get("low"), node.get("high")
    if not isinstance(low, dict) or not isinstance(high, dict):
        return True
    a, b = low.get("value"), high.get("value")
    if not isinstance(a, int | float) or not isinstance(b, int | float):
        return True
    if (low.get("code"), low.get("unit"), low.get("system")) != (high.get("code"), high.get("unit"),
                                                                  high.get("system")):
        return True
    return bool(a <= b)


def _no_trace(_label: str, _value: Any) -> None:
    """fhirpathpy prints trace() output unless given a function (dom-3 traces)."""


def _extension_url(index: _Index, candidate: dict[str, Any]) -> str | None:
    url_element = index.elements.get(f"{candidate['id']}.url")
    if url_element is not None and "fixedUri" in url_element:
        return str(url_element["fixedUri"])
    for type_entry in candidate.get("type", []):
        for profile in type_entry.get("profile", []):
            return str(profile)
    return None


def _at_path(value: Any, segments: list[str]) -> Iterable[Any]:
    if not segments:
        if isinstance(value, list):
            yield from value
        else:
            yield value
        return
    if isinstance(value, list):
        for item in value:
            yield from _at_path(item, segments)
        return
    if isinstance(value, dict):
        head = segments[0]
        if head in value:
            yield from _at_path(value[head], segments[1:])


def _matches(value: Any, pattern: Any) -> bool:
    """``value`` holds everything ``pattern`` gives (FHIR ``pattern[x]``): objects by key, arrays item by item
    (each pattern item matched by some value item), primitives equal."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(k in value and _matches(value[k], v) for k, v in pattern.items())
    if isinstance(pattern, list):
        return isinstance(value, list) and all(any(_matches(v, p) for v in value) for p in pattern)
    return bool(value == pattern)


def _short(value: Any, limit: int = 120) -> str:
    import json

    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe(resource: dict[str, Any]) -> str:
    resource_id = resource.get("id")
    return f"{resource.get('resourceType')}/{resource_id}" if resource_id else str(resource.get("resourceType"))


def _reference_index(resource: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Bundle entries by ``fullUrl`` and by ``Type/id``, for ``resolve()`` discriminators."""
    found: dict[str, dict[str, Any]] = {}
    entries = resource.get("entry") if resource.get("resourceType") == "Bundle" else None
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("resource"), dict):
            continue
        target = entry["resource"]
        if isinstance(entry.get("fullUrl"), str):
            found[entry["fullUrl"]] = target
        if "id" in target:
            found[f"{target.get('resourceType')}/{target['id']}"] = target
    return found


def check_resource(resource: Any, profiles: Sequence[str] = ()) -> CheckReport:
    """Check with the default packages (:func:`tailormed.kb.fhir_packages.load_fhir_definitions`)."""
    return _default_checker().check(resource, profiles)


_CHECKER: list[FhirChecker] = []


def _default_checker() -> FhirChecker:
    if not _CHECKER:
        _CHECKER.append(FhirChecker())
    return _CHECKER[0]
