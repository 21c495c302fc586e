"""CDS Hooks 2.0 against a real FHIR server process: discovery, order-select / order-sign / patient-view with
prefetch given, partial and omitted, 412 when the data cannot be had, feedback, and the JWT rules of
"Trusting CDS Clients" (each hostile token refused with 401, nothing read or stored)."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import jwt
import pytest
from cds_spec import discovery_problems, response_problems
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from service_support import (  # noqa: F401 - fixtures are used by name
    CLOPIDOGREL_ORDER,
    FHIR_PATIENT,
    FHIR_TOKEN,
    ISSUER_A,
    ISSUER_B,
    PATIENT_RESOURCE,
    PUBLIC_URL,
    STORED_PATIENT,
    TENANT,
    fhir_server,
    keys,
    make_app,
    service_db,
    stored_patient,
    token,
)

CODEINE_ORDER = {"resourceType": "MedicationRequest", "id": "mr-cod", "status": "draft", "intent": "order",
                 "medicationCodeableConcept": {"text": "Codeine sulfate 30 mg tablet"}}
ASPIRIN_ORDER = {"resourceType": "MedicationRequest", "id": "mr-asa", "status": "draft", "intent": "order",
                 "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                                           "code": "1191", "display": "aspirin"}]}}


def _url(service: str) -> str:
    return f"{PUBLIC_URL}/cds-services/{service}"


def request_body(hook: str, *, prefetch: dict[str, Any] | None = None, fhir: str | None = None,
                 token: str = FHIR_TOKEN, orders: list[dict[str, Any]] | None = None,
                 selections: list[str] | None = None) -> dict[str, Any]:
    context: dict[str, Any] = {"userId": "Practitioner/example", "patientId": FHIR_PATIENT}
    if hook in ("order-select", "order-sign"):
        entries = orders if orders is not None else [CLOPIDOGREL_ORDER]
        context["draftOrders"] = {"resourceType": "Bundle", "type": "collection",
                                  "entry": [{"resource": o} for o in entries]}
    if hook == "order-select":
        context["selections"] = selections or ["MedicationRequest/mr-clop"]
    body: dict[str, Any] = {"hook": hook, "hookInstance": str(uuid.uuid4()), "context": context}
    if prefetch is not None:
        body["prefetch"] = prefetch
    if fhir is not None:
        body["fhirServer"] = fhir
        body["fhirAuthorization"] = {"access_token": token, "token_type": "Bearer", "expires_in": 300,
                                     "scope": "patient/Patient.read patient/MedicationRequest.read",
                                     "subject": "tailormed-cds", "patient": FHIR_PATIENT}
    return body


@pytest.fixture
def client(service_db, make_app, stored_patient):  # noqa: ANN001, ANN201
    stored_patient(service_db)
    with TestClient(make_app(service_db)) as test_client:
        test_client.db_url = service_db  # type: ignore[attr-defined]
        yield test_client


def call(client: TestClient, token, service: str, body: Any, **token_options: Any):  # noqa: ANN001, ANN201
    headers = {"Authorization": f"Bearer {token(_url(service), **token_options)}"}
    if isinstance(body, dict | list):
        return client.post(f"/cds-services/{service}", json=body, headers=headers)
    return client.post(f"/cds-services/{service}", content=body, headers=headers | {"Content-Type": "application/json"})


def _audit_count(client: TestClient) -> int:
    state = client.app.state.tailormed  # type: ignore[attr-defined]
    return len(state.store.audit_log())


def test_discovery_lists_the_services_with_prefetch_templates(client: TestClient) -> None:
    document = client.get("/cds-services").json()
    assert discovery_problems(document) == []
    hooks = {s["id"]: s["hook"] for s in document["services"]}
    assert hooks == {"pgx-order-select": "order-select", "pgx-order-sign": "order-sign",
                     "pgx-patient-view": "patient-view"}
    view = next(s for s in document["services"] if s["id"] == "pgx-patient-view")
    assert view["prefetch"] == {"patient": "Patient/{{context.patientId}}",
                                "medications": "MedicationRequest?patient={{context.patientId}}&status=active"}


def _clopidogrel_card(document: dict[str, Any]) -> dict[str, Any]:
    assert response_problems(document) == []
    cards = [c for c in document["cards"] if c["summary"].startswith("Clopidogrel")]
    assert len(cards) == 1, document
    return cards[0]


def test_order_select_with_prefetch_given(client: TestClient, token, fhir_server) -> None:  # noqa: ANN001
    before = len(fhir_server.requests())
    response = call(client, token, "pgx-order-select", request_body("order-select",
                                                                     prefetch={"patient": PATIENT_RESOURCE}))
    assert response.status_code == 200, response.text
    card = _clopidogrel_card(response.json())
    assert card["indicator"] in ("warning", "critical")
    assert "CYP2C19 Poor Metabolizer" in card["summary"]
    assert card["source"]["url"].startswith("https://")
    assert card["suggestions"][0]["actions"][0] == {
        "type": "delete", "description": "Remove the draft clopidogrel order (MedicationRequest/mr-clop).",
        "resourceId": "MedicationRequest/mr-clop"}
    # a poor metabolizer's rows (ACS/PCI, other cardiovascular, neurovascular) all name ticagrelor; prasugrel is
    # contraindicated after a stroke, so it is not offered: replace by ticagrelor, or remove the order
    replace, remove = card["suggestions"]
    created = replace["actions"][1]
    assert created["type"] == "create" and card["selectionBehavior"] == "at-most-one"
    assert created["resource"] == {
        "resourceType": "MedicationRequest", "status": "draft", "intent": "order",
        "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                                  "code": "1116632", "display": "ticagrelor"}], "text": "ticagrelor"},
        "subject": {"reference": f"Patient/{FHIR_PATIENT}"}}
    assert replace["isRecommended"] is False and [a["type"] for a in remove["actions"]] == ["delete"]
    assert len(fhir_server.requests()) == before  # everything needed was prefetched


def test_order_select_with_prefetch_omitted_reads_the_fhir_server(client: TestClient, token, fhir_server) -> None:  # noqa: ANN001
    before = len(fhir_server.requests())
    response = call(client, token, "pgx-order-select", request_body("order-select", fhir=fhir_server.url))
    assert response.status_code == 200, response.text
    assert "CYP2C19 Poor Metabolizer" in _clopidogrel_card(response.json())["summary"]
    assert [r["path"] for r in fhir_server.requests()[before:]] == [f"/Patient/{FHIR_PATIENT}"]


def test_patient_view_with_partial_prefetch_fetches_the_rest(client: TestClient, token, fhir_server) -> None:  # noqa: ANN001
    before = len(fhir_server.requests())
    body = request_body("patient-view", prefetch={"patient": PATIENT_RESOURCE}, fhir=fhir_server.url)
    response = call(client, token, "pgx-patient-view", body)
    assert response.status_code == 200, response.text
    document = response.json()
    card = _clopidogrel_card(document)  # the active clopidogrel order on the FHIR server is a current medication
    assert "suggestions" not in card
    overview = document["cards"][-1]
    assert overview["indicator"] == "info" and "genes not tested" in overview["summary"]
    assert "**Not tested:**" in overview["detail"] and "HLA-B" in overview["detail"]
    fetched = fhir_server.requests()[before:]
    assert [(r["path"], r["query"]) for r in fetched] == [
        ("/MedicationRequest", f"patient={FHIR_PATIENT}&status=active")]


def test_no_prefetch_and_no_fhir_server_is_412(client: TestClient, token) -> None:  # noqa: ANN001
    before = _audit_count(client)
    response = call(client, token, "pgx-order-select", request_body("order-select"))
    assert response.status_code == 412
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome" and outcome["issue"][0]["severity"] == "error"
    assert "patient" in outcome["issue"][0]["diagnostics"]
    partial = call(client, token, "pgx-patient-view", request_body("patient-view",
                                                                    prefetch={"patient": PATIENT_RESOURCE}))
    assert partial.status_code == 412 and "medications" in partial.json()["issue"][0]["diagnostics"]
    assert _audit_count(client) == before  # no patient data was read


def _by_stored_id(hook: str, **options: Any) -> dict[str, Any]:
    body = request_body(hook, **options)
    body["context"]["patientId"] = STORED_PATIENT  # the EHR's patient id is the id the result is stored under
    return body


@pytest.mark.parametrize(("service", "hook"), [("pgx-order-select", "order-select"), ("pgx-order-sign", "order-sign")])
def test_order_hooks_answer_from_a_stored_context_patient_id_without_the_patient(  # noqa: ANN001
        client: TestClient, token, fhir_server, service: str, hook: str) -> None:
    """No prefetch and no fhirServer, or a FHIR server that refuses: when context.patientId is itself a stored
    patient of the caller's tenant, the order hooks answer from the stored result (and audit the read)."""
    state = client.app.state.tailormed  # type: ignore[attr-defined]
    for body in (_by_stored_id(hook), _by_stored_id(hook, prefetch={"patient": None}, fhir=fhir_server.url,
                                                    token="wrong-token")):
        before = len(state.store.audit_log(TENANT))
        response = call(client, token, service, body)
        assert response.status_code == 200, response.text
        assert response_problems(response.json()) == []
        card = _clopidogrel_card(response.json())
        assert "CYP2C19 Poor Metabolizer" in card["summary"]
        reads = state.store.audit_log(TENANT)[before:]
        assert [(e.action, e.patient_id) for e in reads] == [(f"cds:{hook}", STORED_PATIENT)]


def test_a_stored_context_id_of_another_tenant_or_patient_view_is_still_412(client: TestClient, token) -> None:  # noqa: ANN001
    """The fallback is scoped by tenant, and patient-view still needs the medication list: 412, nothing read."""
    before = _audit_count(client)
    other = call(client, token, "pgx-order-select", _by_stored_id("order-select"), issuer=ISSUER_B,
                 tenant="hospital-b")
    assert other.status_code == 412 and "patient" in other.json()["issue"][0]["diagnostics"]
    view = call(client, token, "pgx-patient-view", _by_stored_id("patient-view"))
    assert view.status_code == 412
    assert _audit_count(client) == before


def test_null_prefetch_and_a_refused_fhir_token_is_412(client: TestClient, token, fhir_server) -> None:  # noqa: ANN001
    body = request_body("order-select", prefetch={"patient": None}, fhir=fhir_server.url, token="wrong-token")
    response = call(client, token, "pgx-order-select", body)
    assert response.status_code == 412 and "401" in response.json()["issue"][0]["diagnostics"]


def test_order_sign_cards_only_for_changed_care(client: TestClient, token) -> None:  # noqa: ANN001
    body = request_body("order-sign", prefetch={"patient": PATIENT_RESOURCE},
                        orders=[CLOPIDOGREL_ORDER, CODEINE_ORDER, ASPIRIN_ORDER])
    response = call(client, token, "pgx-order-sign", body)
    assert response.status_code == 200
    document = response.json()
    _clopidogrel_card(document)
    # codeine with CYP2D6 *1/*1 is usual care (no card); aspirin has no pgx-core guidance
    assert [c["summary"].split(":")[0] for c in document["cards"]] == ["Clopidogrel"]


def test_order_select_ignores_orders_not_selected(client: TestClient, token) -> None:  # noqa: ANN001
    body = request_body("order-select", prefetch={"patient": PATIENT_RESOURCE},
                        orders=[CLOPIDOGREL_ORDER, ASPIRIN_ORDER], selections=["MedicationRequest/mr-asa"])
    assert call(client, token, "pgx-order-select", body).json() == {"cards": []}


def test_another_tenant_sees_no_results(client: TestClient, token) -> None:  # noqa: ANN001
    body = request_body("order-select", prefetch={"patient": PATIENT_RESOURCE})
    response = call(client, token, "pgx-order-select", body, issuer=ISSUER_B, tenant="hospital-b")
    assert response.status_code == 200 and response.json() == {"cards": []}
    state = client.app.state.tailormed  # type: ignore[attr-defined]
    assert [e for e in state.store.audit_log("hospital-b") if e.patient_id == STORED_PATIENT] == []
    reads = [e for e in state.store.audit_log(TENANT) if e.action.startswith("cds:")]
    assert reads == []


def test_reads_are_audited(client: TestClient, token) -> None:  # noqa: ANN001
    call(client, token, "pgx-order-select", request_body("order-select", prefetch={"patient": PATIENT_RESOURCE}))
    state = client.app.state.tailormed  # type: ignore[attr-defined]
    read = [e for e in state.store.audit_log(TENANT) if e.action == "cds:order-select"]
    assert len(read) == 1 and read[0].patient_id == STORED_PATIENT and read[0].actor.startswith(ISSUER_A)


def test_feedback_follows_the_model(client: TestClient, token) -> None:  # noqa: ANN001
    card = _clopidogrel_card(call(client, token, "pgx-order-select", request_body(
        "order-select", prefetch={"patient": PATIENT_RESOURCE})).json())
    suggestion = card["suggestions"][0]["uuid"]
    good = {"feedback": [
        {"card": card["uuid"], "outcome": "accepted", "acceptedSuggestions": [{"id": suggestion}],
         "outcomeTimestamp": "2026-12-07T10:00:00Z"},
        {"card": card["uuid"], "outcome": "overridden", "overrideReason": {
            "reason": card["overrideReasons"][1], "userComment": "discussed with cardiology"},
         "outcomeTimestamp": "2026-12-07T10:01:00Z"}]}
    assert call(client, token, "pgx-order-select/feedback", good).status_code == 200
    state = client.app.state.tailormed  # type: ignore[attr-defined]
    stored = state.store.feedback(TENANT)
    assert [(f["outcome"], f["acceptedSuggestions"]) for f in stored] == [("accepted", [suggestion]),
                                                                          ("overridden", [])]
    broken = {
        "cds-fb-1": {"card": "c", "outcome": "ignored", "outcomeTimestamp": "2026-12-07T10:00:00Z"},
        "cds-fb-2": {"card": "c", "outcome": "accepted", "outcomeTimestamp": "2026-12-07T10:00:00Z"},
        "cds-fb-3": {"card": "c", "outcome": "overridden", "overrideReason": {},
                     "outcomeTimestamp": "2026-12-07T10:00:00Z"},
        "card": {"outcome": "overridden", "outcomeTimestamp": "2026-12-07T10:00:00Z"},
        "outcomeTimestamp": {"card": "c", "outcome": "overridden"},
    }
    for rule, entry in broken.items():
        response = call(client, token, "pgx-order-select/feedback", {"feedback": [entry]})
        assert response.status_code == 400, rule
        assert rule in response.json()["detail"] or rule in ("card", "outcomeTimestamp")
    assert len(state.store.feedback(TENANT)) == 2


def test_malformed_requests_are_400(client: TestClient, token) -> None:  # noqa: ANN001
    assert call(client, token, "pgx-order-select", "{not json").status_code == 400
    assert call(client, token, "pgx-order-select", [1, 2]).status_code == 400
    wrong_hook = request_body("order-sign", prefetch={"patient": PATIENT_RESOURCE})
    assert call(client, token, "pgx-order-select", wrong_hook).status_code == 400
    no_server = request_body("order-select", fhir="https://ehr.example.org/fhir")
    del no_server["fhirServer"]
    response = call(client, token, "pgx-order-select", no_server)
    assert response.status_code == 400 and "cds-r-1" in response.json()["detail"]
    no_selection = request_body("order-select", prefetch={"patient": PATIENT_RESOURCE})
    no_selection["context"]["selections"] = []
    assert call(client, token, "pgx-order-select", no_selection).status_code == 400
    http_server = request_body("order-select", fhir="http://ehr.example.org/fhir")
    refused = call(client, token, "pgx-order-select", http_server)
    assert refused.status_code == 412 and "https" in refused.json()["issue"][0]["diagnostics"]
    assert call(client, token, "no-such-service", {}).status_code == 404


def test_both_recommended_algorithms_and_an_audience_array(client: TestClient, token) -> None:  # noqa: ANN001
    body = request_body("order-select", prefetch={"patient": PATIENT_RESOURCE})
    for issuer in (ISSUER_A, ISSUER_B):  # ES384 from a PEM file, RS384 from a JWKS file
        assert call(client, token, "pgx-order-select", body, issuer=issuer).status_code == 200
    listed = token([_url("pgx-order-select"), "https://other.example"])
    response = client.post("/cds-services/pgx-order-select", json=body, headers={"Authorization": f"Bearer {listed}"})
    assert response.status_code == 200


def _hostile_tokens(token, keys) -> dict[str, str]:  # noqa: ANN001
    audience = _url("pgx-order-select")
    forger = ec.generate_private_key(ec.SECP384R1())
    public_pem = keys.pem_path.read_bytes()
    unsigned = jwt.encode({"iss": ISSUER_A, "aud": audience, "iat": 1, "exp": 4102444800, "jti": "x"}, None,
                          algorithm="none", headers={"kid": "ec-1"})
    import base64
    import hashlib
    import hmac
    # HS384 "signed" with the issuer's public key as the secret: the classic algorithm-confusion attack
    header = base64.urlsafe_b64encode(json.dumps({"alg": "HS384", "typ": "JWT", "kid": "ec-1"}).encode()).rstrip(b"=")
    now = __import__("time").time()
    payload = base64.urlsafe_b64encode(json.dumps({"iss": ISSUER_A, "aud": audience, "iat": int(now),
                                                   "exp": int(now) + 300, "jti": str(uuid.uuid4()),
                                                   "tenant": TENANT}).encode()).rstrip(b"=")
    signature = base64.urlsafe_b64encode(hmac.new(public_pem, header + b"." + payload, hashlib.sha384).digest())
    confused = (header + b"." + payload + b"." + signature.rstrip(b"=")).decode()
    return {
        "expired": token(audience, issued_offset=-1000, lifetime=300),
        "issued in the future": token(audience, issued_offset=600),
        "wrong audience": token(f"{PUBLIC_URL}/cds-services"),
        "other service's audience": token(_url("pgx-order-sign")),
        "untrusted issuer": token(audience, issuer="https://evil.example.org"),
        "forged signature": token(audience, key=forger),
        "alg none": unsigned,
        "hmac with the public key": confused,
        "no jti": token(audience, drop=("jti",)),
        "no exp": token(audience, drop=("exp",)),
        "no iat": token(audience, drop=("iat",)),
        "too long-lived": token(audience, lifetime=86400 * 30),
        "jku not trusted": token(audience, headers={"jku": "https://evil.example.org/jwks"}),
        "no kid": token(audience, headers={"kid": None}),
        "garbage": "not.a.jwt",
    }


def test_hostile_tokens_are_refused_and_nothing_is_read(client: TestClient, token, keys) -> None:  # noqa: ANN001
    body = request_body("order-select", prefetch={"patient": PATIENT_RESOURCE})
    before = _audit_count(client)
    for case, bad in _hostile_tokens(token, keys).items():
        response = client.post("/cds-services/pgx-order-select", json=body, headers={"Authorization": f"Bearer {bad}"})
        assert response.status_code == 401, case
        assert "WWW-Authenticate" in response.headers, case
    assert client.post("/cds-services/pgx-order-select", json=body).status_code == 401
    assert _audit_count(client) == before


def test_a_replayed_token_is_refused(client: TestClient, token) -> None:  # noqa: ANN001
    body = request_body("order-select", prefetch={"patient": PATIENT_RESOURCE})
    once = token(_url("pgx-order-select"))
    headers = {"Authorization": f"Bearer {once}"}
    assert client.post("/cds-services/pgx-order-select", json=body, headers=headers).status_code == 200
    replay = client.post("/cds-services/pgx-order-select", json=body, headers=headers)
    assert replay.status_code == 401 and "replay" in replay.json()["detail"]


def test_cors_is_off_by_default_and_configurable(service_db, make_app) -> None:  # noqa: ANN001
    preflight = {"Origin": "https://sandbox.cds-hooks.org", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization,content-type"}
    with TestClient(make_app(service_db)) as closed:
        assert "access-control-allow-origin" not in closed.options("/cds-services/pgx-order-select",
                                                                   headers=preflight).headers
    with TestClient(make_app(service_db, cors_origins=("https://sandbox.cds-hooks.org",))) as opened:
        answer = opened.options("/cds-services/pgx-order-select", headers=preflight)
        assert answer.status_code == 200
        assert answer.headers["access-control-allow-origin"] == "https://sandbox.cds-hooks.org"
        assert "authorization" in answer.headers["access-control-allow-headers"].lower()
        other = opened.options("/cds-services/pgx-order-select", headers=preflight | {"Origin": "https://evil.example"})
        assert other.headers.get("access-control-allow-origin") != "https://evil.example"
        discovery = opened.get("/cds-services", headers={"Origin": "https://sandbox.cds-hooks.org"})
        assert discovery.headers["access-control-allow-origin"] == "https://sandbox.cds-hooks.org"


def test_prefetch_copy_is_not_mutated(client: TestClient, token) -> None:  # noqa: ANN001
    prefetch = {"patient": copy.deepcopy(PATIENT_RESOURCE)}
    call(client, token, "pgx-order-select", request_body("order-select", prefetch=prefetch))
    assert prefetch["patient"] == PATIENT_RESOURCE


def test_jwks_url_and_jku(service_db, make_app, stored_patient, keys, token) -> None:  # noqa: ANN001
    """An issuer trusted by its JWKS URL: keys fetched from it; a jku header must be that URL."""
    import http.server
    import threading

    document = json.dumps(keys.jwks).encode()

    class Jwks(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Jwks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    issuer = "https://ehr-c.example.org"
    stored_patient(service_db)
    body = request_body("order-select", prefetch={"patient": PATIENT_RESOURCE})
    try:
        with TestClient(make_app(service_db, trust={issuer: url})) as client:
            def post(headers: dict[str, str]) -> int:
                signed = token(_url("pgx-order-select"), issuer=issuer, key=keys.rsa_private, algorithm="RS384",
                               headers={"kid": "rsa-1"} | headers)
                return client.post("/cds-services/pgx-order-select", json=body,
                                   headers={"Authorization": f"Bearer {signed}"}).status_code

            assert post({}) == 200
            assert post({"jku": url}) == 200
            assert post({"jku": url.replace("/jwks.json", "/other.json")}) == 401
            assert post({"kid": "unknown-kid"}) == 401
    finally:
        server.shutdown()
