"""CDS Hooks 2.0: discovery, the pharmacogenomic services (order-select, order-sign, patient-view) and feedback.

Which stored patient a request is about: the FHIR Patient (prefetch key ``patient``, else read from
``fhirServer``) names it by one of its identifier values or its id; the caller's ``tenant`` claim scopes the
search. When no Patient can be obtained, order-select and order-sign still answer when ``context.patientId`` is
itself a stored patient id of the tenant (they need nothing else); otherwise, and always for patient-view (which
needs the medication list), the answer is a 412 with an OperationOutcome, as the specification requires.

The Patient's ``gender`` (male, female or other) decides which drug rows say that their wording is written for
another sex (tamoxifen's alternatives are written for women); without it (absent, ``unknown``, or no Patient), the
sex the stored analysis was given decides. Any other value is a 400.
"""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from tailormed.ehr.cds_cards import changes_care, drug_card, summary_card
from tailormed.kb.rxnorm import RXNORM_SYSTEM, RxNormMap
from tailormed.model.common import Citation
from tailormed.model.patient import FHIR_GENDERS, Sex
from tailormed.model.pgx import DrugRecommendation, PgxResult
from tailormed.service.errors import problem
from tailormed.service.fhir_data import (
    FhirData,
    FhirDataUnavailableError,
    bundle_resources,
    medication_codings,
    patient_keys,
)

PATIENT_PREFETCH = "Patient/{{context.patientId}}"
MEDICATIONS_PREFETCH = "MedicationRequest?patient={{context.patientId}}&status=active"

SERVICES: dict[str, dict[str, Any]] = {
    "pgx-order-select": {
        "hook": "order-select", "id": "pgx-order-select", "title": "Pharmacogenomic advice on drug selection",
        "description": "Cards for selected medication orders whose drug has genotype-guided advice (CPIC) for "
                       "this patient's stored pharmacogenomic results.",
        "prefetch": {"patient": PATIENT_PREFETCH},
        "usageRequirements": "Draft MedicationRequests coded in RxNorm (ingredient or product); the patient's "
                             "results stored in TailorMed under the FHIR Patient's id or an identifier value.",
    },
    "pgx-order-sign": {
        "hook": "order-sign", "id": "pgx-order-sign", "title": "Pharmacogenomic check before signing",
        "description": "Cards for every draft medication order whose drug has genotype-guided advice (CPIC) for "
                       "this patient's stored pharmacogenomic results.",
        "prefetch": {"patient": PATIENT_PREFETCH},
        "usageRequirements": "As pgx-order-select.",
    },
    "pgx-patient-view": {
        "hook": "patient-view", "id": "pgx-patient-view", "title": "Pharmacogenomic summary",
        "description": "The patient's actionable pharmacogenomic results: current medications affected, other "
                       "drugs whose advice departs from usual care, and genes not tested.",
        "prefetch": {"patient": PATIENT_PREFETCH, "medications": MEDICATIONS_PREFETCH},
    },
}


class PgxCache:
    """Parsed ``pgx.json`` per stored result id (results are immutable, so entries never go stale)."""

    def __init__(self, size: int = 256) -> None:
        self._items: OrderedDict[int, PgxResult | None] = OrderedDict()
        self._size = size
        self._lock = Lock()

    def get(self, result_id: int, load: Any) -> PgxResult | None:
        with self._lock:
            if result_id in self._items:
                self._items.move_to_end(result_id)
                return self._items[result_id]
        documents = load(result_id)
        parsed = PgxResult.model_validate_json(documents["pgx.json"]) if "pgx.json" in documents else None
        with self._lock:
            self._items[result_id] = parsed
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return parsed


def _citations(result: PgxResult) -> Any:
    index = {c.id: c for c in result.citations}

    def lookup(source_id: str) -> Citation | None:
        return index.get(source_id)

    return lookup


def _rows_by_drug(result: PgxResult) -> dict[str, list[DrugRecommendation]]:
    rows: dict[str, list[DrugRecommendation]] = {}
    for row in result.drugs:
        rows.setdefault(row.drug, []).append(row)
    return rows


def order_drugs(order: dict[str, Any], rx: RxNormMap) -> list[str]:
    """The pgx-core drugs a MedicationRequest orders: by RxNorm code (ingredient or mapped product), else by the
    name in its text or coding display."""
    codings, texts = medication_codings(order)
    found: list[str] = []
    for system, code in codings:
        if system == RXNORM_SYSTEM:
            found.extend(rx.drugs_for_code(code))
    if not found:
        for text in texts:
            found.extend(rx.drugs_for_text(text))
    return list(dict.fromkeys(found))


def validate_request(body: Any, hook: str) -> dict[str, Any]:
    """The request checks of the CDS Hooks request model (400 with the reason when one fails)."""
    if not isinstance(body, dict):
        raise ValueError("the request body must be a JSON object")
    if body.get("hook") != hook:
        raise ValueError(f"hook must be {hook!r} for this service")
    if not isinstance(body.get("hookInstance"), str) or not body["hookInstance"]:
        raise ValueError("hookInstance is required")
    context = body.get("context")
    if not isinstance(context, dict):
        raise ValueError("context is required")
    if "fhirAuthorization" in body:  # cds-r-1, and the fields the model requires
        authorization = body["fhirAuthorization"]
        if not isinstance(body.get("fhirServer"), str):
            raise ValueError("fhirAuthorization given without fhirServer (cds-r-1)")
        if not isinstance(authorization, dict) or not all(
                k in authorization for k in ("access_token", "token_type", "expires_in", "scope", "subject")):
            raise ValueError("fhirAuthorization needs access_token, token_type, expires_in, scope and subject")
        if authorization["token_type"] != "Bearer":
            raise ValueError("fhirAuthorization.token_type must be Bearer")
    if "fhirServer" in body and not isinstance(body["fhirServer"], str):
        raise ValueError("fhirServer must be a URL")
    if "prefetch" in body and not isinstance(body["prefetch"], dict):
        raise ValueError("prefetch must be an object")
    if not isinstance(context.get("patientId"), str) or not context["patientId"]:
        raise ValueError("context.patientId is required")
    if hook in ("order-select", "order-sign"):
        orders = context.get("draftOrders")
        if not isinstance(orders, dict) or orders.get("resourceType") != "Bundle":
            raise ValueError("context.draftOrders must be a FHIR Bundle")
    if hook == "order-select":
        selections = context.get("selections")
        if not isinstance(selections, list) or not selections or not all(isinstance(s, str) for s in selections):
            raise ValueError("context.selections must list the selected orders (e.g. MedicationRequest/123)")
    return body


def patient_sex(patient: dict[str, Any] | None) -> Sex | None:
    """The sex the cards are written for, from a FHIR Patient's ``gender``: male, female or other; None when the
    Patient gives none (absent or ``unknown``), so the stored result's own notes stand. Another value: ValueError.

    >>> patient_sex({"resourceType": "Patient", "gender": "male"}), patient_sex({"resourceType": "Patient"})
    ('male', None)
    """
    if patient is None or patient.get("gender") in (None, "unknown"):
        return None
    gender = patient["gender"]
    if isinstance(gender, str) and gender in FHIR_GENDERS:
        return FHIR_GENDERS[gender]
    raise ValueError(f"Patient.gender {str(gender)[:40]!r} is not male, female, other or unknown")


def order_cards(result: PgxResult, orders: list[dict[str, Any]], rx: RxNormMap,
                sex: Sex | None = None) -> list[dict[str, Any]]:
    """One card per ordered drug whose advice departs from usual care (or asks for a test first)."""
    rows = _rows_by_drug(result)
    lookup = _citations(result)
    cards: list[dict[str, Any]] = []
    shown: set[str] = set()
    for order in orders:
        order_id = order.get("id") if isinstance(order.get("id"), str) else None
        for drug in order_drugs(order, rx):
            drug_rows = rows.get(drug, [])
            if drug in shown or not drug_rows or not changes_care(drug_rows):
                continue
            shown.add(drug)
            cards.append(drug_card(drug, drug_rows, lookup, draft_order_id=order_id, draft_order=order, sex=sex))
    return cards


def patient_view_cards(result: PgxResult, medications: list[dict[str, Any]], rx: RxNormMap,
                       sex: Sex | None = None) -> list[dict[str, Any]]:
    rows = _rows_by_drug(result)
    lookup = _citations(result)
    current = list(dict.fromkeys(d for m in medications for d in order_drugs(m, rx)))
    cards = [drug_card(drug, rows[drug], lookup, sex=sex) for drug in current
             if drug in rows and changes_care(rows[drug])]
    called = [g for g in result.genes if g.tested]
    untested = sorted(g.gene for g in result.genes if not g.tested)
    others = sorted(d for d, r in rows.items() if d not in current and any(x.status == "actionable" for x in r))
    detail = [f"**Genes called:** {len(called)} of {len(result.genes)}: "
              + ", ".join(f"{g.gene} {g.diplotype_label} ({g.phenotype or 'no phenotype'})" for g in called)]
    if untested:
        detail.append(f"**Not tested:** {', '.join(untested)}")
    if others:
        detail.append("**Advice departs from usual care if prescribed:** " + ", ".join(others))
    summary = (f"Pharmacogenomic results: {len(others) + len(cards)} drugs with changed advice; "
               f"{len(untested)} genes not tested")
    cards.append(summary_card(summary, "\n\n".join(detail)))
    return cards


def make_router(state: Any) -> APIRouter:
    """The CDS Hooks endpoints; ``state`` holds the store, verifier, RxNorm map, caches and HTTP client."""
    router = APIRouter(tags=["CDS Hooks"])

    @router.get("/cds-services", summary="CDS Hooks discovery")
    def discovery() -> dict[str, Any]:
        return {"services": list(SERVICES.values())}

    @router.post("/cds-services/{service_id}", summary="Call a CDS service", response_model=None)
    async def call_service(service_id: str, request: Request) -> Any:
        service = SERVICES.get(service_id)
        if service is None:
            return problem(404, "no such CDS service")
        caller = state.authenticate_cds(request, f"{state.settings.public_url}/cds-services/{service_id}")
        body = await state.json_body(request)
        try:
            validate_request(body, service["hook"])
        except ValueError as exc:
            return problem(400, str(exc))
        answer = await state.run_sync(lambda: _answer(state, service, caller, body))
        return answer if isinstance(answer, JSONResponse) else JSONResponse(answer)

    @router.post("/cds-services/{service_id}/feedback", summary="Feedback on cards", response_model=None)
    async def feedback(service_id: str, request: Request) -> Any:
        if service_id not in SERVICES:
            return problem(404, "no such CDS service")
        caller = state.authenticate_cds(request, f"{state.settings.public_url}/cds-services/{service_id}/feedback")
        body = await state.json_body(request)
        try:
            entries = validate_feedback(body)
        except ValueError as exc:
            return problem(400, str(exc))
        await state.run_sync(lambda: state.store.record_feedback(tenant=caller.tenant, service_id=service_id,
                                                                 entries=entries))
        return JSONResponse({}, status_code=200)

    return router


def _unavailable(hook: str, exc: FhirDataUnavailableError) -> JSONResponse:
    return JSONResponse(status_code=412, content={
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "processing",
                   "details": {"text": f"Cannot evaluate {hook} guidance: the {exc.key} data could not be obtained."},
                   "diagnostics": f"CDS Hooks prefetch key '{exc.key}': {exc.reason}."}]})


def _answer(state: Any, service: dict[str, Any], caller: Any, body: dict[str, Any]) -> Any:
    context = body["context"]
    hook = service["hook"]
    data = FhirData(body, state.http, allow_http=state.settings.allow_http_fhir)
    action = f"cds:{hook}"
    stored: tuple[int, str, int] | None
    sex: Sex | None = None
    try:
        patient = data.get("patient", PATIENT_PREFETCH)
        medications = data.get("medications", MEDICATIONS_PREFETCH) if hook == "patient-view" else None
    except FhirDataUnavailableError as exc:
        if hook == "patient-view" or exc.key != "patient":
            return _unavailable(hook, exc)
        # The order hooks need only the stored result: when context.patientId is itself a stored patient id of the
        # caller's tenant, answer from it (the specification lets a service work from the context alone).
        stored = state.store.latest_result_id(caller.tenant, [context["patientId"]], actor=caller.subject,
                                              action=action)
        if stored is None:
            return _unavailable(hook, exc)
        medications = None
    else:
        try:
            sex = patient_sex(patient)
        except ValueError as exc:
            return problem(400, str(exc))
        stored = state.store.latest_result_id(caller.tenant, patient_keys(patient, context["patientId"]),
                                              actor=caller.subject, action=action)
    result = state.pgx_cache.get(stored[0], state.store.documents) if stored else None
    if result is None:
        return {"cards": []}
    sex = sex or result.sex  # the EHR's Patient.gender, else the sex the stored analysis was given
    if hook == "patient-view":
        assert medications is not None
        cards = patient_view_cards(result, bundle_resources(medications, "MedicationRequest"), state.rx, sex)
    else:
        orders = bundle_resources(context["draftOrders"], "MedicationRequest")
        if hook == "order-select":
            chosen = set(context["selections"])
            orders = [o for o in orders if f"MedicationRequest/{o.get('id')}" in chosen]
        cards = order_cards(result, orders, state.rx, sex)
    return {"cards": cards}


def validate_feedback(body: Any) -> list[dict[str, Any]]:
    """The feedback model and its invariants cds-fb-1..3."""
    if not isinstance(body, dict) or not isinstance(body.get("feedback"), list):
        raise ValueError("the feedback body must be an object with a feedback array")
    entries: list[dict[str, Any]] = body["feedback"]
    for number, entry in enumerate(entries, start=1):
        where = f"feedback[{number}]"
        if not isinstance(entry, dict):
            raise ValueError(f"{where} must be an object")
        if not isinstance(entry.get("card"), str) or not entry["card"]:
            raise ValueError(f"{where}.card is required")
        if entry.get("outcome") not in ("accepted", "overridden"):
            raise ValueError(f"{where}.outcome must be 'accepted' or 'overridden' (cds-fb-1)")
        accepted = entry.get("acceptedSuggestions")
        if entry["outcome"] == "accepted" and not accepted:
            raise ValueError(f"{where}: an accepted outcome needs acceptedSuggestions (cds-fb-2)")
        if accepted is not None and (not isinstance(accepted, list) or not all(
                isinstance(s, dict) and isinstance(s.get("id"), str) for s in accepted)):
            raise ValueError(f"{where}.acceptedSuggestions must be objects with an id")
        reason = entry.get("overrideReason")
        if reason is not None and (not isinstance(reason, dict) or not (
                isinstance(reason.get("reason"), dict) or isinstance(reason.get("userComment"), str))):
            raise ValueError(f"{where}.overrideReason needs a reason, a userComment or both (cds-fb-3)")
        if not isinstance(entry.get("outcomeTimestamp"), str) or not entry["outcomeTimestamp"]:
            raise ValueError(f"{where}.outcomeTimestamp is required")
    return entries
