"""CDS cards for a recommendation written for women (tamoxifen's aromatase-inhibitor alternatives): the note for a
man or a patient of unrecorded sex is in the card's detail and flagged in its summary (still at most 140
characters), decided on the FHIR Patient's gender when it gives one, else on the stored result's sex; a Patient
whose gender is not a FHIR AdministrativeGender code is a 400 and nothing is audited."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from cds_spec import response_problems
from fastapi.testclient import TestClient
from service_support import (  # noqa: F401 - fixtures are used by name
    FHIR_PATIENT,
    PATIENT_RESOURCE,
    PUBLIC_URL,
    TENANT,
    keys,
    make_app,
    service_db,
    token,
)

from tailormed.ehr.cds_cards import drug_card
from tailormed.kb.pack import KnowledgeBase
from tailormed.model.common import Citation
from tailormed.model.genotypes import OutsideCall
from tailormed.pgx.engine import result_from_outside_call
from tailormed.pgx.recommend import recommend_drug

TAMOXIFEN_ORDER = {"resourceType": "MedicationRequest", "id": "mr-tam", "status": "draft", "intent": "order",
                   "subject": {"reference": f"Patient/{FHIR_PATIENT}"},
                   "medicationCodeableConcept": {"text": "Tamoxifen 20 mg tablet"}}


def _rows(kb: KnowledgeBase, sex: str) -> list[Any]:
    call = OutsideCall(gene="CYP2D6", diplotype="*4/*4", phenotype=None, activity_score=None, sample=None,
                       source="lab")
    return recommend_drug(kb, kb.drugs["tamoxifen"], {"CYP2D6": result_from_outside_call(kb, call)}, sex)  # type: ignore[arg-type]


def _lookup(kb: KnowledgeBase):  # noqa: ANN202
    def lookup(source_id: str) -> Citation | None:
        source = kb.sources.get(source_id)
        return Citation(id=source.id, citation=source.citation, url=source.url) if source else None
    return lookup


@pytest.mark.parametrize(("stored_sex", "ehr_sex", "opening"), [
    ("male", None, "The patient is male."),
    ("unknown", None, "The patient's sex is not recorded."),
    ("female", "male", "The patient is male."),      # the EHR's current Patient.gender decides
    ("unknown", "other", "The patient's recorded sex is other."),
])
def test_card_for_a_patient_who_is_not_recorded_as_a_woman_carries_the_note(kb, stored_sex, ehr_sex, opening):
    # as the service calls it: the EHR's Patient.gender, else the stored result's sex
    card = drug_card("tamoxifen", _rows(kb, stored_sex), _lookup(kb), draft_order_id="mr-tam",
                     sex=ehr_sex or stored_sex)
    assert response_problems({"cards": [card]}) == []
    assert len(card["summary"]) <= 140 and card["summary"].endswith("[written for women: see detail]")
    assert card["summary"].startswith("Tamoxifen: CYP2D6 Poor Metabolizer")
    assert card["detail"].count("**Written for women:** " + opening) == 2  # CPIC's row and DPWG's
    assert "aromatase inhibitor only together with a" in card["detail"] and "Hassett MJ" in card["detail"]
    assert "Use alternative hormonal therapy" in card["detail"]  # CPIC's recommendation is still shown
    # CPIC's "use an alternative" is not written for a man: a warning, not "critical" (do not use); for a patient
    # of unrecorded or other sex the row keeps its indicator
    assert card["indicator"] == ("warning" if (ehr_sex or stored_sex) == "male" else "critical")


@pytest.mark.parametrize(("stored_sex", "ehr_sex"), [("female", None), ("male", "female"), ("unknown", "female")])
def test_card_for_a_woman_has_no_note(kb, stored_sex, ehr_sex):
    card = drug_card("tamoxifen", _rows(kb, stored_sex), _lookup(kb), sex=ehr_sex)
    assert "Written for" not in card["detail"] and "written for" not in card["summary"]
    assert "Hassett" not in card["detail"] and len(card["summary"]) <= 140


# --------------------------------------------------------------------------- through the service


def _store(db_url: str, folder: Path, sex: str) -> None:
    from tailormed.pipelines.results import store_add

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "calls.tsv").write_text("gene\tdiplotype\tphenotype\tactivity_score\nCYP2D6\t*4/*4\t\t\n")
    (folder / "patient.yaml").write_text(f"id: P001\ndemographics:\n  sex: {sex}\noutside_calls: calls.tsv\n"
                                         "medications: [tamoxifen]\n")
    store_add(folder / "patient.yaml", db_url, tenant=TENANT, actor="test")


def _order_select(client: TestClient, token, patient: dict[str, Any]):  # noqa: ANN001, ANN202
    body = {"hook": "order-select", "hookInstance": str(uuid.uuid4()), "prefetch": {"patient": patient},
            "context": {"userId": "Practitioner/example", "patientId": FHIR_PATIENT,
                        "selections": ["MedicationRequest/mr-tam"],
                        "draftOrders": {"resourceType": "Bundle", "type": "collection",
                                        "entry": [{"resource": TAMOXIFEN_ORDER}]}}}
    url = f"{PUBLIC_URL}/cds-services/pgx-order-select"
    return client.post("/cds-services/pgx-order-select", json=body, headers={"Authorization": f"Bearer {token(url)}"})


@pytest.fixture
def female_client(service_db, make_app, tmp_path):  # noqa: ANN001, ANN201
    """The service over a store holding P001 analysed as a woman (CYP2D6 poor metabolizer, on tamoxifen)."""
    _store(service_db, tmp_path / "patient", "female")
    with TestClient(make_app(service_db)) as test_client:
        yield test_client


def test_service_takes_the_sex_from_the_patient_resource(female_client: TestClient, token) -> None:  # noqa: ANN001
    as_stored = _order_select(female_client, token, PATIENT_RESOURCE)  # no gender: the stored (female) result
    assert as_stored.status_code == 200, as_stored.text
    [card] = as_stored.json()["cards"]
    assert "Written for women" not in card["detail"]
    male = _order_select(female_client, token, PATIENT_RESOURCE | {"gender": "male"})
    assert male.status_code == 200, male.text
    document = male.json()
    assert response_problems(document) == []
    [card] = document["cards"]
    assert "**Written for women:** The patient is male." in card["detail"]
    assert card["summary"].endswith("[written for women: see detail]") and len(card["summary"]) <= 140


def test_service_refuses_a_gender_that_is_not_a_fhir_code(female_client: TestClient, token) -> None:  # noqa: ANN001
    state = female_client.app.state.tailormed  # type: ignore[attr-defined]
    before = len(state.store.audit_log())
    response = _order_select(female_client, token, PATIENT_RESOURCE | {"gender": "M"})
    assert response.status_code == 400 and "Patient.gender" in response.json()["detail"]
    assert len(state.store.audit_log()) == before  # nothing read from the store, nothing recorded


def test_without_a_sex_the_card_keeps_the_stored_rows_notes(kb):
    card = drug_card("tamoxifen", _rows(kb, "male"), _lookup(kb))
    assert card["detail"].count("**Written for women:** The patient is male.") == 2
    assert card["summary"].endswith("[written for women: see detail]")
