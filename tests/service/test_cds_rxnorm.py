"""Orders coded by RxNorm ingredient alone (no text, no display, as hospital order sets often send them) reach the
pgx-core drug: an MT-RNR1 m.1555A>G carrier's draft gentamicin order gets the CPIC 2021 "avoid aminoglycosides"
card through the real CDS Hooks service, and every aminoglycoside with a cited code is matched by that code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cds_spec import response_problems
from fastapi.testclient import TestClient
from service_support import (  # noqa: F401 - fixtures are used by name
    FHIR_PATIENT,
    PATIENT_RESOURCE,
    PUBLIC_URL,
    STORED_PATIENT,
    TENANT,
    keys,
    make_app,
    service_db,
    token,
)
from store_support import write_manifest

from tailormed.kb.pack import KnowledgeBase
from tailormed.kb.rxnorm import RXNORM_SYSTEM, load_rxnorm_map
from tailormed.model.common import Provenance
from tailormed.model.genotypes import OutsideCall
from tailormed.pgx.engine import build_result, result_from_outside_call
from tailormed.service.cds import order_cards, order_drugs

CARRIER_CALLS = "gene\tdiplotype\tphenotype\tactivity_score\nMT-RNR1\tm.1555A>G\t\t\n"
AMINOGLYCOSIDES = ("amikacin", "gentamicin", "kanamycin", "neomycin", "paromomycin", "plazomicin", "streptomycin",
                   "tobramycin")


def _coded_order(order_id: str, rxcui: str) -> dict[str, Any]:
    """A draft order carrying only an RxNorm code: no coding display, no text."""
    return {"resourceType": "MedicationRequest", "id": order_id, "status": "draft", "intent": "order",
            "subject": {"reference": f"Patient/{FHIR_PATIENT}"},
            "medicationCodeableConcept": {"coding": [{"system": RXNORM_SYSTEM, "code": rxcui}]}}


def test_the_gentamicin_code_is_cited_and_names_gentamicin() -> None:
    rx = load_rxnorm_map()
    entry = rx.ingredients["gentamicin"]
    assert entry.rxcui == "1596450"
    assert entry.rxcui in entry.source  # the row quotes the code it read
    assert order_drugs(_coded_order("mr-g", entry.rxcui), rx) == ["gentamicin"]


@pytest.mark.parametrize("drug", AMINOGLYCOSIDES)
def test_a_carrier_gets_the_avoid_card_for_each_coded_aminoglycoside(kb: KnowledgeBase, drug: str) -> None:
    rx = load_rxnorm_map()
    rxcui = rx.ingredient_rxcui(drug)
    assert rxcui is not None, f"{drug} has no cited RxNorm ingredient code"
    call = OutsideCall(gene="MT-RNR1", diplotype="m.1555A>G", phenotype=None, activity_score=None, sample=None,
                       source="lab")
    result = build_result(kb, "S1", {"MT-RNR1": result_from_outside_call(kb, call)},
                          Provenance(software="tailormed", software_version="test", knowledge=["pgx-core"],
                                     created="now"))
    cards = order_cards(result, [_coded_order("mr-1", rxcui)], rx)
    assert [c["summary"].split(":")[0] for c in cards] == [drug.capitalize()]
    assert cards[0]["indicator"] == "critical"
    assert "Avoid" in cards[0]["summary"] or "avoid" in cards[0]["summary"]


@pytest.fixture
def carrier_client(service_db, make_app, tmp_path: Path):  # noqa: ANN001, ANN201
    from tailormed.pipelines.results import store_add

    store_add(write_manifest(tmp_path / "carrier", STORED_PATIENT, calls=CARRIER_CALLS, medications="[]"),
              service_db, tenant=TENANT, actor="test")
    with TestClient(make_app(service_db)) as client:
        yield client


@pytest.mark.parametrize(("hook", "rxcui"), [
    ("order-select", "1596450"),  # the gentamicin ingredient
    ("order-sign", "1596450"),
    ("order-sign", "1870650"),    # a product: 2 ML gentamicin 40 MG/ML Injection
])
def test_service_warns_a_carrier_about_a_gentamicin_order_coded_without_text(carrier_client: TestClient, token,  # noqa: ANN001
                                                                            hook: str, rxcui: str) -> None:
    order = _coded_order("mr-gent", rxcui)
    context: dict[str, Any] = {"userId": "Practitioner/example", "patientId": FHIR_PATIENT,
                               "draftOrders": {"resourceType": "Bundle", "type": "collection",
                                               "entry": [{"resource": order}]}}
    if hook == "order-select":
        context["selections"] = ["MedicationRequest/mr-gent"]
    service = f"pgx-{hook}"
    body = {"hook": hook, "hookInstance": "8c4d2a7e-6f1b-4f0e-9a51-0c2d3b4e5f60", "context": context,
            "prefetch": {"patient": PATIENT_RESOURCE}}
    headers = {"Authorization": f"Bearer {token(f'{PUBLIC_URL}/cds-services/{service}')}"}
    response = carrier_client.post(f"/cds-services/{service}", json=body, headers=headers)
    assert response.status_code == 200, response.text
    document = response.json()
    assert response_problems(document) == []
    (card,) = document["cards"]
    assert card["summary"].startswith("Gentamicin") and card["indicator"] == "critical"
    assert "MT-RNR1" in card["summary"] or "MT-RNR1" in card["detail"]
    assert "hearing loss" in card["detail"]
    assert card["suggestions"][0]["actions"][0]["resourceId"] == "MedicationRequest/mr-gent"
