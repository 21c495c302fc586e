"""FHIR data a CDS request needs: from its prefetch when given and usable, else fetched from the EHR's
``fhirServer`` with the ``fhirAuthorization`` token; neither possible is :class:`FhirDataUnavailableError` (412)."""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

import httpx

_TOKEN = re.compile(r"\{\{\s*context\.([A-Za-z0-9_]+)\s*\}\}")


class FhirDataUnavailableError(Exception):
    """The data a prefetch key stands for could not be had (prefetch absent or unusable, no FHIR access)."""

    def __init__(self, key: str, reason: str) -> None:
        self.key = key
        self.reason = reason
        super().__init__(f"{key}: {reason}")


def fill_template(template: str, context: dict[str, Any]) -> str:
    """A prefetch template with its ``{{context.x}}`` tokens filled from the hook context.

    >>> fill_template("Patient/{{context.patientId}}", {"patientId": "123"})
    'Patient/123'
    """
    def value(match: re.Match[str]) -> str:
        found = context.get(match.group(1))
        if not isinstance(found, str) or not re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", found):
            raise FhirDataUnavailableError("context", f"context.{match.group(1)} is missing or not a FHIR id")
        return found

    return _TOKEN.sub(value, template)


def usable(resource: Any) -> bool:
    """A prefetch value the service can use: a FHIR resource that is not an OperationOutcome."""
    return isinstance(resource, dict) and isinstance(resource.get("resourceType"), str) and (
        resource["resourceType"] != "OperationOutcome")


def _loopback(host: str | None) -> bool:
    if host in ("localhost",):
        return True
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class FhirData:
    """Prefetched data of one CDS request, with fetching from the EHR's FHIR server as the fallback."""

    def __init__(self, body: dict[str, Any], client: httpx.Client, *, allow_http: bool = False) -> None:
        prefetch, context = body.get("prefetch"), body.get("context")
        self.prefetch: dict[str, Any] = prefetch if isinstance(prefetch, dict) else {}
        self.context: dict[str, Any] = context if isinstance(context, dict) else {}
        self.server = body.get("fhirServer") if isinstance(body.get("fhirServer"), str) else None
        authorization = body.get("fhirAuthorization")
        self.token = authorization.get("access_token") if isinstance(authorization, dict) else None
        self.client = client
        self.allow_http = allow_http
        self.fetched: list[str] = []

    def get(self, key: str, template: str) -> dict[str, Any]:
        """The resource for prefetch ``key``: the prefetched one, else fetched with ``template``."""
        given = self.prefetch.get(key) if isinstance(self.prefetch, dict) else None
        if usable(given):
            assert isinstance(given, dict)
            return given
        if not self.server:
            raise FhirDataUnavailableError(key, "not prefetched and no fhirServer to fetch it from")
        parts = urlsplit(self.server)
        if parts.scheme != "https" and not (parts.scheme == "http" and (self.allow_http or _loopback(parts.hostname))):
            raise FhirDataUnavailableError(key, "fhirServer must be an https URL")
        url = f"{self.server.rstrip('/')}/{fill_template(template, self.context)}"
        headers = {"Accept": "application/fhir+json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            response = self.client.get(url, headers=headers, timeout=5.0)
        except httpx.HTTPError as exc:
            raise FhirDataUnavailableError(key, f"the FHIR server could not be reached ({type(exc).__name__})") from exc
        if response.status_code != 200:
            raise FhirDataUnavailableError(key, f"the FHIR server answered {response.status_code}")
        try:
            resource = response.json()
        except ValueError as exc:
            raise FhirDataUnavailableError(key, "the FHIR server's answer is not JSON") from exc
        if not usable(resource):
            raise FhirDataUnavailableError(key, "the FHIR server's answer is not a usable resource")
        self.fetched.append(key)
        return dict(resource)


def bundle_resources(bundle: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    """The resources of one type in a Bundle (search set or collection)."""
    entries = bundle.get("entry") if bundle.get("resourceType") == "Bundle" else None
    found: list[dict[str, Any]] = []
    for entry in entries if isinstance(entries, list) else []:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and resource.get("resourceType") == resource_type:
            found.append(resource)
    return found


def patient_keys(patient: dict[str, Any], context_patient_id: str) -> list[str]:
    """Ids a stored patient may be filed under: the Patient's identifier values, its id, the context's id."""
    keys = []
    for identifier in patient.get("identifier", []) if isinstance(patient.get("identifier"), list) else []:
        if isinstance(identifier, dict) and isinstance(identifier.get("value"), str):
            keys.append(identifier["value"])
    for value in (patient.get("id"), context_patient_id):
        if isinstance(value, str):
            keys.append(value)
    return list(dict.fromkeys(k for k in keys if k))


def medication_codings(request: dict[str, Any]) -> tuple[list[tuple[str, str]], list[str]]:
    """A MedicationRequest's codings (system, code) and texts (code text and coding displays), following a
    contained Medication reference."""
    concepts: list[dict[str, Any]] = []
    concept = request.get("medicationCodeableConcept")
    if isinstance(concept, dict):
        concepts.append(concept)
    reference = request.get("medicationReference")
    target = reference.get("reference") if isinstance(reference, dict) else None
    if isinstance(target, str) and target.startswith("#"):
        for contained in request.get("contained", []) if isinstance(request.get("contained"), list) else []:
            if isinstance(contained, dict) and contained.get("id") == target[1:] and isinstance(
                    contained.get("code"), dict):
                concepts.append(contained["code"])
    codings: list[tuple[str, str]] = []
    texts: list[str] = []
    for item in concepts:
        if isinstance(item.get("text"), str):
            texts.append(item["text"])
        for coding in item.get("coding", []) if isinstance(item.get("coding"), list) else []:
            if isinstance(coding, dict):
                if isinstance(coding.get("system"), str) and isinstance(coding.get("code"), str):
                    codings.append((coding["system"], coding["code"]))
                if isinstance(coding.get("display"), str):
                    texts.append(coding["display"])
    return codings, texts
