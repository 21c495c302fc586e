"""Read a patient's FHIR R4 Bundle (what an EHR sends) into :class:`~tailormed.model.ehr_record.EhrPatientRecord`.

Read: ``Patient`` (sex, birth date), ``Observation`` (clinical measurements through
:func:`tailormed.io.fhir_observations.observations_to_inputs`, and Genomics Reporting genotype Observations,
LOINC 84413-4, as outside calls), ``Condition``, ``MedicationRequest`` and ``MedicationStatement`` (active ones;
RxNorm ingredient or product codes matched to pgx-core drugs, else the drug's name in the text), and
``AllergyIntolerance``. Conditions and completed ``Procedure`` resources coding clinical ASCVD (a revascularisation)
are listed in ``record.clinical.clinical_ascvd``, those that may be and are to confirm in
``record.clinical.possible_clinical_ascvd`` (:mod:`tailormed.io.fhir_observations`). Other resource types are
skipped.

Each resource read is first parsed with fhir.resources (its R4B models: R4B changed none of these resources'
elements from R4), so malformed FHIR is refused with one line naming the file, the entry and the element::

    bundle.json: entry[2] (Observation/abc).valueQuantity.value: Input should be a valid number

A Bundle with two Patient resources, or entries for another patient, is refused rather than merged.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tailormed.documents import load_json
from tailormed.errors import InputError, first_validation_problem
from tailormed.io.fhir_observations import (
    clinical_ascvd_conditions,
    observations_to_inputs,
    possible_clinical_ascvd_conditions,
    possible_revascularisations,
    revascularisations,
)
from tailormed.kb.gene_codes import HGNC_SYSTEM, hgnc_ids
from tailormed.kb.rxnorm import RXNORM_SYSTEM, load_rxnorm_map
from tailormed.model.ehr_record import CodedConcept, EhrPatientRecord, ReportedGenotype
from tailormed.model.genotypes import OutsideCall
from tailormed.model.patient import FHIR_GENDERS, Demographics

READ_TYPES = ("Patient", "Observation", "Condition", "MedicationRequest", "MedicationStatement", "AllergyIntolerance")
GENOTYPE_LOINC = "84413-4"
GENE_STUDIED_LOINC = "48018-6"
_INACTIVE = {"stopped", "cancelled", "entered-in-error", "completed", "revoked", "not-taken"}


def read_fhir_patient(path: Path) -> EhrPatientRecord:
    """Read and check a patient Bundle (or a single resource) from a JSON file."""
    return patient_from_fhir(load_json(Path(path), "FHIR bundle"), source=str(path))


def patient_from_fhir(document: Any, *, source: str) -> EhrPatientRecord:
    """The parsed-JSON form of :func:`read_fhir_patient`."""
    resources = _resources(document, source)
    for where, resource in resources:
        _check_structure(resource, source, where)
    patients = [(w, r) for w, r in resources if r["resourceType"] == "Patient"]
    if len(patients) > 1:
        raise InputError(f"holds {len(patients)} Patient resources; send one patient per Bundle", source=source,
                         location=patients[1][0])
    record = EhrPatientRecord()
    if patients:
        where, patient = patients[0]
        record.patient_id = patient.get("id") or next(
            (i.get("value") for i in _items(patient.get("identifier")) if isinstance(i, dict) and i.get("value")), None)
        gender = patient.get("gender", "unknown")
        if gender not in FHIR_GENDERS:
            raise InputError(f"Patient.gender {gender!r:.40} is not male, female, other or unknown", source=source,
                             location=where)
        record.demographics = Demographics(sex=FHIR_GENDERS[gender], birth_date=patient.get("birthDate") and
                                           _date(patient["birthDate"], source, where))
        own = {f"Patient/{patient['id']}"} if patient.get("id") else set()
        _same_patient(resources, own | {u for u in _full_urls(document, patient)}, source)
    rx = load_rxnorm_map()
    for where, resource in resources:
        kind = resource["resourceType"]
        if kind in ("MedicationRequest", "MedicationStatement"):
            if resource.get("status") in _INACTIVE:
                continue
            concept = _medication_concept(resource, source, where)
            record.medication_entries.append(concept)
            drugs = rx.drugs_for_code(concept.code) if concept.code and concept.system == RXNORM_SYSTEM else ()
            if not drugs:
                drugs = rx.drugs_for_text(concept.text)
            record.medications.extend(d for d in drugs if d not in record.medications)
        elif kind == "Condition":
            record.conditions.append(_concept(resource.get("code"), _status(resource.get("clinicalStatus")),
                                              source, where, "Condition.code"))
        elif kind == "AllergyIntolerance":
            record.allergies.append(_concept(resource.get("code"), _status(resource.get("clinicalStatus")),
                                             source, where, "AllergyIntolerance.code"))
        elif kind == "Observation" and _has_loinc(resource.get("code"), GENOTYPE_LOINC) and resource.get(
                "status") not in ("entered-in-error", "cancelled"):
            record.genotypes.append(_genotype(resource, source, where))
    observations = {"resourceType": "Bundle", "entry": [
        {"resource": r} for _, r in resources
        if r["resourceType"] == "Observation" and not _has_loinc(r.get("code"), GENOTYPE_LOINC)]}
    record.clinical = observations_to_inputs(observations, source=source)
    # Clinical ASCVD from the whole Bundle: its Conditions, and its completed revascularisation Procedures (Procedures
    # are read for this only; the record does not list them)
    record.clinical.clinical_ascvd = clinical_ascvd_conditions(document, source) + revascularisations(document, source)
    record.clinical.possible_clinical_ascvd = (possible_clinical_ascvd_conditions(document, source)
                                              + possible_revascularisations(document, source))
    return record


def outside_calls(record: EhrPatientRecord) -> list[OutsideCall]:
    """The laboratory genotypes of a record as outside calls for the PGx engine (one per gene; a gene reported
    twice with different diplotypes is refused)."""
    calls: dict[str, OutsideCall] = {}
    for genotype in record.genotypes:
        previous = calls.get(genotype.gene)
        if previous is not None and previous.diplotype != genotype.diplotype:
            raise InputError(f"{genotype.gene} is reported twice with different diplotypes ({previous.diplotype} at "
                             f"{previous.source}, {genotype.diplotype})", source=genotype.source)
        calls[genotype.gene] = OutsideCall(gene=genotype.gene, diplotype=genotype.diplotype,
                                           phenotype=genotype.phenotype, activity_score=None, sample=None,
                                           source=genotype.source)
    return list(calls.values())


def _items(value: Any) -> list[Any]:
    """A JSON array's items, or none for anything else (null, an object, a string)."""
    return value if isinstance(value, list) else []


# --- helpers --------------------------------------------------------------------------------------------


def _resources(document: Any, source: str) -> list[tuple[str, dict[str, Any]]]:
    if not isinstance(document, dict) or not isinstance(document.get("resourceType"), str):
        raise InputError("not a FHIR resource (no resourceType)", source=source)
    if document["resourceType"] != "Bundle":
        return [(document["resourceType"], document)] if document["resourceType"] in READ_TYPES else []
    entries = document.get("entry", [])
    if not isinstance(entries, list):
        raise InputError("Bundle.entry must be a list", source=source)
    found = []
    for position, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            raise InputError("entry without a resource (no resourceType)", source=source,
                             location=f"entry[{position}]")
        if resource["resourceType"] in READ_TYPES:
            name = resource["resourceType"]
            if isinstance(resource.get("id"), str):
                name += f"/{_escaped(resource['id'])}"
            found.append((f"entry[{position}] ({name:.80})", resource))
    return found


def _check_structure(resource: dict[str, Any], source: str, where: str) -> None:
    try:
        from fhir.resources.R4B import get_fhir_model_class
    except ImportError:  # pragma: no cover - the fhir extra is part of test installs
        raise InputError("reading FHIR needs fhir.resources: pip install 'tailormed[fhir]'", source=source) from None
    from pydantic import ValidationError

    try:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    except ValidationError as exc:
        first = first_validation_problem(exc)
        element = _escaped(first.indexed(), 120)
        message = _escaped(first.msg.removeprefix("Value error, "), 200)
        if first.kind in ("json_invalid", "model_type", "dict_type", "model_attributes_type"):
            message = f"must be a JSON object, got {type(first.input).__name__}"
        raise InputError(f"{element or resource['resourceType']}: {message}", source=source, location=where) from None


_CONTROL = {c: f"\\x{c:02x}" for c in [*range(0x00, 0x20), *range(0x7F, 0xA0)]}


def _escaped(text: str, limit: int = 80) -> str:
    """Text from the file as one printable line: control characters escaped, cut at ``limit``.

    >>> _escaped("a\\nb")
    'a\\\\x0ab'
    """
    shown = text.translate(_CONTROL)
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


def _full_urls(document: Any, resource: dict[str, Any]) -> list[str]:
    if not isinstance(document, dict) or document.get("resourceType") != "Bundle":
        return []
    return [e["fullUrl"] for e in _items(document.get("entry")) if isinstance(e, dict) and e.get("resource") is resource
            and isinstance(e.get("fullUrl"), str)]


def _same_patient(resources: list[tuple[str, dict[str, Any]]], own: set[str], source: str) -> None:
    """Every resource's subject/patient is the Bundle's Patient (when both are given as references)."""
    if not own:
        return
    for where, resource in resources:
        for key in ("subject", "patient", "for"):
            target = resource.get(key)
            reference = target.get("reference") if isinstance(target, dict) else None
            if isinstance(reference, str) and reference.startswith(("Patient/", "urn:")) and not any(
                    reference == o or reference.endswith("/" + o.rsplit("/", 1)[-1]) for o in own):
                raise InputError(f"{resource['resourceType']}.{key} refers to {reference!r:.80}, not the Bundle's "
                                 "Patient; send one patient per Bundle", source=source, location=where)


def _date(value: str, source: str, where: str) -> Any:
    from datetime import date

    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return date.fromisoformat(value)
    if re.fullmatch(r"\d{4}(-\d{2})?", value):
        return None  # a partial birth date: no exact date to give the manifest
    raise InputError(f"Patient.birthDate {value!r:.40} is not a date", source=source, location=where)


def _codings(concept: Any) -> list[dict[str, Any]]:
    codings = _items(concept.get("coding")) if isinstance(concept, dict) else []
    return [c for c in codings if isinstance(c, dict)]


def _has_loinc(concept: Any, code: str) -> bool:
    return any(c.get("code") == code and "loinc.org" in str(c.get("system", "")) for c in _codings(concept))


def _status(concept: Any) -> str | None:
    codings = _codings(concept)
    return str(codings[0].get("code")) if codings and codings[0].get("code") else None


def _concept(concept: Any, status: str | None, source: str, where: str, element: str) -> CodedConcept:
    codings = _codings(concept)
    first = codings[0] if codings else {}
    text = (concept or {}).get("text") if isinstance(concept, dict) else None
    text = text or first.get("display") or first.get("code")
    if not text:
        raise InputError(f"{element} has neither text nor a coding", source=source, location=where)
    return CodedConcept(text=str(text), system=first.get("system"), code=first.get("code"), status=status,
                        source=f"{source}:{where}")


def _medication_concept(resource: dict[str, Any], source: str, where: str) -> CodedConcept:
    concept = resource.get("medicationCodeableConcept")
    if concept is None and isinstance(resource.get("medicationReference"), dict):
        display = resource["medicationReference"].get("display")
        if display:
            return CodedConcept(text=str(display), status=resource.get("status"), source=f"{source}:{where}")
        raise InputError(f"{resource['resourceType']}.medicationReference has no display (contained or referenced "
                         "Medication resources are not read); give medicationCodeableConcept", source=source,
                         location=where)
    codings = _codings(concept)
    rxnorm = next((c for c in codings if c.get("system") == RXNORM_SYSTEM and c.get("code")), None)
    chosen = rxnorm or (codings[0] if codings else {})
    text = (concept or {}).get("text") if isinstance(concept, dict) else None
    text = text or chosen.get("display") or next((c.get("display") for c in codings if c.get("display")), None)
    if not text and not chosen.get("code"):
        raise InputError(f"{resource['resourceType']}.medication[x] has neither text nor a coding", source=source,
                         location=where)
    return CodedConcept(text=str(text or chosen.get("code")), system=chosen.get("system"), code=chosen.get("code"),
                        status=resource.get("status"), source=f"{source}:{where}")


_GENE_BY_HGNC: dict[str, str] = {}
_GENE_SYMBOL = re.compile(r"^[A-Z][A-Z0-9-]{1,15}$")


def _gene(resource: dict[str, Any], source: str, where: str) -> str:
    if not _GENE_BY_HGNC:
        _GENE_BY_HGNC.update({code: symbol for symbol, code in hgnc_ids().items()})
    for component in _items(resource.get("component")):
        if not isinstance(component, dict) or not _has_loinc(component.get("code"), GENE_STUDIED_LOINC):
            continue
        value = component.get("valueCodeableConcept")
        for coding in _codings(value):
            if coding.get("system") == HGNC_SYSTEM and coding.get("code") in _GENE_BY_HGNC:
                return _GENE_BY_HGNC[str(coding["code"])]
            if coding.get("display"):
                return _symbol(str(coding["display"]), source, where)
        if isinstance(value, dict) and value.get("text"):
            return _symbol(str(value["text"]), source, where)
    raise InputError("genotype Observation without a gene-studied component (LOINC 48018-6) naming the gene",
                     source=source, location=where)


def _symbol(text: str, source: str, where: str) -> str:
    symbol = text.strip().upper()
    if not _GENE_SYMBOL.match(symbol):
        raise InputError(f"gene studied {_escaped(text, 40)!r} is not a gene symbol", source=source, location=where)
    return symbol


def _genotype(resource: dict[str, Any], source: str, where: str) -> ReportedGenotype:
    gene = _gene(resource, source, where)
    value = resource.get("valueCodeableConcept")
    candidates = [str(c.get(k)) for c in _codings(value) for k in ("display", "code") if c.get(k)]
    if isinstance(value, dict) and value.get("text"):
        candidates.insert(0, str(value["text"]))
    for text in candidates:
        diplotype = _diplotype(gene, text)
        if diplotype:
            return ReportedGenotype(gene=gene, diplotype=diplotype, source=f"{source}:{where}")
    raise InputError(f"genotype Observation for {gene}: no diplotype in valueCodeableConcept (expected e.g. "
                     f"'{gene} *1/*2')", source=source, location=where)


def _diplotype(gene: str, text: str) -> str | None:
    """``CYP2C9 *4/*35B``, ``CYP2D6*7.001 / CYP2D6*1.001``, ``CYP2C19_*1/*2``, ``*1/*2`` -> ``*4/*35B``-style;
    None if not one.

    >>> _diplotype("CYP2D6", "CYP2D6*7.001 / CYP2D6*1.001"), _diplotype("CYP2C19", "CYP2C19_*1/*2")
    ('*7.001/*1.001', '*1/*2')
    >>> _diplotype("CYP2C9", "CYP2C9") is None
    True
    """
    cleaned = text.replace(gene, " ").replace(" ", "")
    parts = [p.strip("_") for p in cleaned.split("/")]
    if len(parts) != 2 or not all(parts) or any(len(p) > 40 for p in parts):
        return None
    if not all(re.fullmatch(r"[*A-Za-z0-9:.>_+-]+", p) for p in parts):
        return None
    return f"{parts[0]}/{parts[1]}"
