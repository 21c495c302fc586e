"""Genomics Operations of the Genomics Reporting IG STU3 (``$find-subject-haplotypes``,
``$find-subject-tx-implications``) answered from a patient's exported Bundle (:mod:`tailormed.ehr.fhir_export`).

Each function takes the subject's results (a Bundle, or a list of resources) and the operation's input parameters,
and returns the ``Parameters`` resource the IG's OperationDefinition describes:

- :func:`find_subject_haplotypes`: one ``haplotypes`` parameter per requested gene, with ``geneItem`` (the gene as
  given) and the matching ``haplotype`` and ``genotype`` Observations as parts;
- :func:`find_subject_tx_implications`: ``implication`` parameters (therapeutic-implication Observations) and,
  as the operation requires, the ``variant``, ``haplotype`` and ``genotype`` Observations they are derived from.

Codes are given as ``system|code`` or as a bare code (token), as the operations say; a gene may also be given
by its symbol, and a treatment by its name. Filters of different kinds combine with AND, values of one kind
with OR. TailorMed results carry no test or specimen identifiers, so filtering on them returns nothing; the
``ranges`` parameter (RefSeq intervals) is refused because exported variants carry GRCh38 positions in text only.
The HTTP mounting (``GET/POST [base]/$find-subject-haplotypes?...``) belongs to the service.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tailormed.errors import InputError
from tailormed.kb.gene_codes import HGNC_SYSTEM, hgnc_id

IG = "http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/"
_GENE_STUDIED = "48018-6"
_MEDICATION_ASSESSED = "51963-7"
_CONTEXT = "81259-4"
_SOURCE_CLASS = "48002-0"
_HGVS_COMPONENTS = ("48004-6", "48005-3", "81290-9")


def find_subject_haplotypes(results: Mapping[str, Any] | Sequence[Mapping[str, Any]], subject: str,
                            genes: Sequence[str], *, test_identifiers: Sequence[str] = (),
                            test_date_range: Mapping[str, str] | None = None,
                            specimen_identifiers: Sequence[str] = (),
                            genomic_source_class: str | None = None) -> dict[str, Any]:
    """``$find-subject-haplotypes``: the subject's genotype and haplotype Observations for each gene."""
    if not genes:
        raise InputError("$find-subject-haplotypes needs at least one gene (genes is 1..*)")
    index = _Index(results, subject)
    kept = index.filter(test_identifiers, test_date_range, specimen_identifiers, genomic_source_class)
    parameters = []
    for gene in genes:
        symbol, code = _gene_key(gene)
        parts: list[dict[str, Any]] = [{"name": "geneItem", "valueString": gene}]
        for profile in ("haplotype", "genotype"):
            for resource in kept:
                if _profile(resource) == profile and _studies_gene(resource, symbol, code):
                    parts.append({"name": profile, "resource": resource})
        parameters.append({"name": "haplotypes", "part": parts})
    return {"resourceType": "Parameters", "parameter": parameters}


def find_subject_tx_implications(results: Mapping[str, Any] | Sequence[Mapping[str, Any]], subject: str, *,
                                 variants: Sequence[str] = (), ranges: Sequence[str] = (),
                                 haplotypes: Sequence[str] = (), treatments: Sequence[str] = (),
                                 conditions: Sequence[str] = (), test_identifiers: Sequence[str] = (),
                                 test_date_range: Mapping[str, str] | None = None,
                                 specimen_identifiers: Sequence[str] = (),
                                 genomic_source_class: str | None = None) -> dict[str, Any]:
    """``$find-subject-tx-implications``: therapeutic implications, with the Observations they derive from."""
    if ranges:
        raise InputError("$find-subject-tx-implications: the ranges parameter is not supported (TailorMed variants "
                         "carry GRCh38 positions, not RefSeq intervals); give variants, haplotypes or treatments")
    index = _Index(results, subject)
    kept = index.filter(test_identifiers, test_date_range, specimen_identifiers, genomic_source_class)
    kept_ids = {id(r) for r in kept}
    parameters: list[dict[str, Any]] = []
    included: set[int] = set()
    for resource in kept:
        if _profile(resource) != "therapeutic-implication":
            continue
        resolved = [index.resolve(r) for r in _references(resource.get("derivedFrom"))]
        sources = [s for s in resolved if s is not None and id(s) in kept_ids]
        if variants and not any(_profile(s) == "variant" and _has_variant(s, variants) for s in sources):
            continue
        if haplotypes and not any(_profile(s) in ("haplotype", "genotype") and _value_matches(s, haplotypes)
                                  for s in sources):
            continue
        if treatments and not _component_matches(resource, _MEDICATION_ASSESSED, treatments):
            continue
        if conditions and not _component_matches(resource, _CONTEXT, conditions):
            continue
        parameters.append({"name": "implication", "resource": resource})
        for source in sources:
            if id(source) not in included and _profile(source) in ("variant", "haplotype", "genotype"):
                included.add(id(source))
                parameters.append({"name": _profile(source), "resource": source})
    return {"resourceType": "Parameters", "parameter": parameters}


def _items(value: Any) -> list[Any]:
    """A JSON array's items, or none for anything else (null, an object, a string)."""
    return value if isinstance(value, list) else []


def _components(resource: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [c for c in _items(resource.get("component")) if isinstance(c, dict)]


# --- matching -------------------------------------------------------------------------------------------


class _Index:
    """The subject's Observations, and references resolved by fullUrl or ``Type/id``."""

    def __init__(self, results: Mapping[str, Any] | Sequence[Mapping[str, Any]], subject: str) -> None:
        entries: list[tuple[str | None, dict[str, Any]]] = []
        if isinstance(results, Mapping):
            if results.get("resourceType") != "Bundle":
                raise InputError("the subject's results must be a Bundle or a list of resources")
            for entry in _items(results.get("entry")):
                if isinstance(entry, dict) and isinstance(entry.get("resource"), dict):
                    entries.append((entry.get("fullUrl"), entry["resource"]))
        else:
            entries = [(None, dict(r)) for r in results]
        self.by_reference: dict[str, dict[str, Any]] = {}
        subject_names: dict[str, set[str]] = {}
        for full_url, resource in entries:
            keys = {f"{resource.get('resourceType')}/{resource.get('id')}"} if resource.get("id") else set()
            if full_url:
                keys.add(full_url)
            for key in keys:
                self.by_reference[key] = resource
            if resource.get("resourceType") == "Patient":
                names = keys | {str(resource.get("id"))} | {
                    str(i.get("value")) for i in _items(resource.get("identifier"))
                    if isinstance(i, dict) and i.get("value")}
                for key in keys:
                    subject_names[key] = names
        self.observations = []
        for _, resource in entries:
            if resource.get("resourceType") != "Observation":
                continue
            reference = str((resource.get("subject") or {}).get("reference", ""))
            names = subject_names.get(reference, set()) | {reference, reference.rsplit("/", 1)[-1]}
            if subject in names:
                self.observations.append(resource)

    def resolve(self, reference: str) -> dict[str, Any] | None:
        return self.by_reference.get(reference)

    def filter(self, test_identifiers: Sequence[str], date_range: Mapping[str, str] | None,
               specimen_identifiers: Sequence[str], source_class: str | None) -> list[dict[str, Any]]:
        if test_identifiers or specimen_identifiers:
            return []  # exported results carry neither; none "originates from" the tests or specimens named
        kept = []
        for resource in self.observations:
            when = str(resource.get("effectiveDateTime") or resource.get("issued") or "")
            if date_range and not _within(when, date_range):
                continue
            if source_class and _source_class(resource) != source_class.lower():
                continue
            kept.append(resource)
        return kept


def _within(when: str, period: Mapping[str, str]) -> bool:
    if not when:
        return False
    start, end = period.get("start"), period.get("end")
    return (not start or when[: len(start)] >= start) and (not end or when[: len(end)] <= end)


def _source_class(resource: Mapping[str, Any]) -> str:
    for component in _components(resource):
        if _has_code(component.get("code"), _SOURCE_CLASS):
            for coding in _codings(component.get("valueCodeableConcept")):
                if coding.get("display"):
                    return str(coding["display"]).lower()
    return "germline"  # PGx genotypes and haplotypes are germline calls


def _profile(resource: Mapping[str, Any]) -> str:
    meta = resource.get("meta")
    for url in _items(meta.get("profile") if isinstance(meta, dict) else None):
        if str(url).startswith(IG):
            return str(url)[len(IG):]
    return ""


def _codings(concept: Any) -> list[dict[str, Any]]:
    return [c for c in _items(concept.get("coding")) if isinstance(c, dict)] if isinstance(concept, dict) else []


def _has_code(concept: Any, code: str) -> bool:
    return any(c.get("code") == code for c in _codings(concept))


def _references(items: Any) -> Iterable[str]:
    for item in items or []:
        if isinstance(item, dict) and isinstance(item.get("reference"), str):
            yield item["reference"]


def _gene_key(gene: str) -> tuple[str | None, str | None]:
    """(symbol, HGNC code) of a gene parameter: ``http://www.genenames.org|HGNC:2621``, ``HGNC:2621`` or a
    symbol."""
    system, _, code = gene.rpartition("|")
    if system and system not in (HGNC_SYSTEM, f"{HGNC_SYSTEM}/geneId"):
        raise InputError(f"gene {gene!r:.80}: only HGNC codes ({HGNC_SYSTEM}|HGNC:n) or gene symbols are supported")
    if code.upper().startswith("HGNC:"):
        return None, code.upper()
    return code.upper(), hgnc_id(code.upper())


def _studies_gene(resource: Mapping[str, Any], symbol: str | None, code: str | None) -> bool:
    for component in _components(resource):
        if not _has_code(component.get("code"), _GENE_STUDIED):
            continue
        value = component.get("valueCodeableConcept") or {}
        for coding in _codings(value):
            if code and coding.get("code") == code:
                return True
            if symbol and str(coding.get("display", "")).upper() == symbol:
                return True
        if symbol and str(value.get("text", "")).upper() == symbol:
            return True
    return False


def _token_matches(concept: Any, tokens: Sequence[str]) -> bool:
    codings = _codings(concept)
    text = str((concept or {}).get("text", "")).lower() if isinstance(concept, dict) else ""
    for token in tokens:
        system, _, code = token.rpartition("|")
        for coding in codings:
            if coding.get("code") == code and (not system or coding.get("system") == system):
                return True
            if not system and str(coding.get("display", "")).lower() == code.lower():
                return True
        if not system and text and text == code.lower():
            return True
    return False


def _value_matches(resource: Mapping[str, Any], tokens: Sequence[str]) -> bool:
    concept = resource.get("valueCodeableConcept")
    if _token_matches(concept, tokens):
        return True
    text = str((concept or {}).get("text", "")).replace(" ", "").lower() if isinstance(concept, dict) else ""
    return any(text == t.rpartition("|")[2].replace(" ", "").lower() for t in tokens)


def _component_matches(resource: Mapping[str, Any], code: str, tokens: Sequence[str]) -> bool:
    return any(_has_code(c.get("code"), code) and _token_matches(c.get("valueCodeableConcept"), tokens)
               for c in _components(resource))


def _has_variant(resource: Mapping[str, Any], variants: Sequence[str]) -> bool:
    wanted = {v.rpartition("|")[2] for v in variants}
    for component in _components(resource):
        if any(_has_code(component.get("code"), c) for c in _HGVS_COMPONENTS) and any(
                coding.get("code") in wanted for coding in _codings(component.get("valueCodeableConcept"))):
            return True
    return False
