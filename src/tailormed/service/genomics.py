"""The FHIR Genomics Operations on HTTP (``/fhir/$find-subject-haplotypes``, ``/fhir/$find-subject-tx-implications``,
HL7 Genomics Reporting IG 3.0.0, operations page), answered from the caller's tenant's stored results.

``subject`` is the stored patient id (``Patient/<id>`` is accepted too). List parameters are repeated or
comma-separated, as FHIR's GET form of an operation allows. The answer is a FHIR ``Parameters`` resource; every call is
audited like any other read of patient data.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from tailormed.errors import InputError
from tailormed.pipelines.results import genomics_operation
from tailormed.service.errors import ApiError

_LIST = Query(default_factory=list, max_length=200)


def _split(values: list[str]) -> list[str]:
    """Repeated and comma-separated values, in order, empty pieces dropped."""
    return [piece.strip() for value in values for piece in value.split(",") if piece.strip()]


def _answer(state: Any, request: Request, operation: str, subject: str, parameters: dict[str, list[str]]) -> Response:
    caller = state.authenticate_api(request)
    patient_id = subject.removeprefix("Patient/")
    try:
        stored = state.store.get_result(caller.tenant, patient_id, actor=caller.subject,
                                        action=f"fhir:{operation}")
    except InputError:
        raise ApiError(404, "no stored result for this subject") from None
    try:
        result = genomics_operation(state.store.documents(stored.id), operation, patient_id,
                                    {name: _split(values) for name, values in parameters.items()})
    except InputError as exc:
        raise ApiError(422, str(exc)) from None
    return Response(json.dumps(result), media_type="application/fhir+json")


def make_router(state: Any) -> APIRouter:
    router = APIRouter(prefix="/fhir", tags=["FHIR Genomics Operations"])

    @router.get("/$find-subject-haplotypes", summary="The subject's genotypes and haplotypes for the given genes",
                responses={200: {"content": {"application/fhir+json": {}}}, 401: {}, 404: {}, 422: {}})
    def find_haplotypes(request: Request, subject: Annotated[str, Query(min_length=1, max_length=200)],
                        genes: Annotated[list[str], _LIST]) -> Response:
        return _answer(state, request, "find-subject-haplotypes", subject, {"genes": genes})

    @router.get("/$find-subject-tx-implications",
                summary="The subject's therapeutic implications for the given haplotypes, variants or treatments",
                responses={200: {"content": {"application/fhir+json": {}}}, 401: {}, 404: {}, 422: {}})
    def find_tx_implications(request: Request, subject: Annotated[str, Query(min_length=1, max_length=200)],
                             haplotypes: Annotated[list[str], _LIST], treatments: Annotated[list[str], _LIST],
                             variants: Annotated[list[str], _LIST], conditions: Annotated[list[str], _LIST],
                             ranges: Annotated[list[str], _LIST]) -> Response:
        return _answer(state, request, "find-subject-tx-implications", subject,
                       {"haplotypes": haplotypes, "treatments": treatments, "variants": variants,
                        "conditions": conditions, "ranges": ranges})

    return router
