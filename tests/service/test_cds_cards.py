"""Every pgx-core drug x recommendation reaches the clinician through a card that keeps the CDS Hooks rules."""

from __future__ import annotations

import pytest
from cds_spec import response_problems

from tailormed.ehr.cds_cards import card_alternatives, changes_care, drug_card, row_indicator, shorten
from tailormed.kb.pack import KnowledgeBase
from tailormed.kb.rxnorm import RXNORM_SYSTEM
from tailormed.model.common import Citation
from tailormed.model.pgx import AlternativeDrug, DrugRecommendation, GeneBasis


def _row(kb: KnowledgeBase, drug: str, index: int) -> DrugRecommendation:
    guidance = kb.drugs[drug]
    rec = guidance.recommendations[index]
    basis = []
    for gene, condition in rec.when.items():
        values = [v for vs in condition.model_dump(exclude_none=True).values()
                  for v in (vs if isinstance(vs, list) else [vs])]
        basis.append(GeneBasis(gene=gene, diplotype="*1/*1", phenotype=None,
                               matched_on=" or ".join(str(v) for v in values) or "as tested"))
    return DrugRecommendation(drug=drug, rule=f"{drug}#{index + 1}",
                              status="actionable" if rec.changes_care else "standard", action=rec.action,
                              basis=basis,
                              genes=guidance.genes, population=rec.population, implication=rec.implication,
                              recommendation=rec.recommendation, strength=rec.strength, guideline=guidance.guideline,
                              alternatives=[AlternativeDrug(drug=a.drug, rxnorm=a.rxnorm or kb.ingredient_codes[a.drug],
                                                            preferred=a.preferred) for a in rec.alternatives])


def _citations(kb: KnowledgeBase):  # noqa: ANN202
    def lookup(source_id: str) -> Citation | None:
        source = kb.sources.get(source_id)
        return Citation(id=source.id, citation=source.citation, url=source.url) if source else None
    return lookup


def test_every_recommendation_renders_a_conforming_card(kb: KnowledgeBase) -> None:
    lookup = _citations(kb)
    walked = 0
    for drug, guidance in sorted(kb.drugs.items()):
        for index, rec in enumerate(guidance.recommendations):
            row = _row(kb, drug, index)
            card = drug_card(drug, [row], lookup, draft_order_id="mr-1")
            assert response_problems({"cards": [card]}) == [], (drug, index)
            assert len(card["summary"]) <= 140
            assert card["summary"].lower().startswith(drug.lower())
            assert rec.recommendation in card["detail"] and rec.implication in card["detail"]
            cited = kb.sources[guidance.guideline]
            assert card["source"].get("url") == cited.url
            if rec.changes_care:
                assert card["indicator"] == ("critical" if rec.action == "avoid" else "warning"), (drug, index)
                assert card["selectionBehavior"] == "at-most-one"
                action = card["suggestions"][0]["actions"][0]
                assert (action["type"], action["resourceId"]) == ("delete", "MedicationRequest/mr-1")
                assert len(card["suggestions"]) == len(rec.alternatives) + 1, (drug, index)
                offered = [s["actions"][1]["resource"]["medicationCodeableConcept"]["coding"][0]["code"]
                           for s in card["suggestions"][:-1]]
                assert offered == [a.rxnorm or kb.ingredient_codes[a.drug] for a in rec.alternatives]
                assert [a["type"] for a in card["suggestions"][-1]["actions"]] == ["delete"]
                assert all(r["display"] for r in card["overrideReasons"])
            else:
                assert card["indicator"] == "info" and "suggestions" not in card
                assert not changes_care([row])
            walked += 1
    assert walked == sum(len(g.recommendations) for g in kb.drugs.values()) > 100


def test_indicator_follows_the_advice(kb: KnowledgeBase) -> None:
    abacavir_positive = next(i for i, r in enumerate(kb.drugs["abacavir"].recommendations) if r.changes_care)
    assert row_indicator(_row(kb, "abacavir", abacavir_positive)) == "critical"  # "Do not use abacavir"
    untested = DrugRecommendation(drug="abacavir", status="not_tested", genes=["HLA-B"], untested_genes=["HLA-B"],
                                  testing_advice="Test for HLA-B*57:01 before starting abacavir.")
    assert row_indicator(untested) == "warning" and changes_care([untested])
    card = drug_card("abacavir", [untested], _citations(kb), draft_order_id="x")
    assert card["summary"] == "Abacavir: HLA-B not tested - Test for HLA-B*57:01 before starting abacavir"
    assert "suggestions" not in card
    assert row_indicator(untested.model_copy(update={"testing_advice": None})) == "info"


def test_multi_indication_drug_lists_every_row(kb: KnowledgeBase) -> None:
    rows = [_row(kb, "clopidogrel", i) for i, r in enumerate(kb.drugs["clopidogrel"].recommendations)
            if r.changes_care][:2]
    if len(rows) < 2:
        pytest.skip("clopidogrel has fewer than two actionable rows in this pack")
    card = drug_card("clopidogrel", rows, _citations(kb))
    assert card["summary"].endswith("(+1 more row)") and len(card["summary"]) <= 140
    assert rows[0].recommendation is not None
    assert " ".join(rows[0].recommendation.split()[:2]) in card["summary"]  # the first actionable row leads
    assert all(r.recommendation and r.recommendation in card["detail"] for r in rows)


def test_shorten_never_exceeds_the_limit() -> None:
    text = "word " * 100
    assert len(shorten(text)) <= 140 and shorten(text).endswith("…")


def test_a_dpwg_row_is_named_and_cpic_leads(kb: KnowledgeBase) -> None:
    """A DPWG row beside CPIC's: CPIC's actionable row leads the summary, the detail names each row's guideline and
    how DPWG differs; where only DPWG changes care, the summary says the advice is DPWG's."""
    cpic = _row(kb, "clopidogrel", next(i for i, r in enumerate(kb.drugs["clopidogrel"].recommendations)
                                        if r.changes_care))
    dpwg = cpic.model_copy(update={"rule": "clopidogrel#dpwg1", "guideline_body": "DPWG",
                                   "recommendation": "Double the clopidogrel dose to 150 mg/day.",
                                   "difference": "DPWG accepts a doubled dose; CPIC does not."})
    card = drug_card("clopidogrel", [cpic, dpwg], _citations(kb))
    assert "150 mg" not in card["summary"] and card["summary"].endswith("(+1 more row)")
    assert "**Guideline:** CPIC" in card["detail"] and "**Guideline:** DPWG" in card["detail"]
    assert "**How it differs from CPIC:** DPWG accepts a doubled dose" in card["detail"]
    usual = cpic.model_copy(update={"status": "standard", "recommendation": "Use the label dose."})
    only_dpwg = drug_card("clopidogrel", [usual, dpwg], _citations(kb))
    assert "DPWG: " in only_dpwg["summary"] and "Double the" in only_dpwg["summary"]


DRAFT = {"resourceType": "MedicationRequest", "id": "mr-ami", "status": "draft", "intent": "proposal",
         "subject": {"reference": "Patient/p-1"},
         "medicationCodeableConcept": {"coding": [{"system": RXNORM_SYSTEM, "code": "704"}]}}


def _first_with_alternatives(kb: KnowledgeBase, drug: str) -> int:
    return next(i for i, r in enumerate(kb.drugs[drug].recommendations) if r.changes_care and r.alternatives)


def test_replacement_suggestions_for_the_alternatives_the_guideline_names(kb: KnowledgeBase) -> None:
    """CPIC names nortriptyline and desipramine for amitriptyline in CYP2C19 poor/ultrarapid metabolizers: one
    suggestion each (delete the draft, create a draft order coded with the alternative's RxNorm ingredient for the same
    patient), then the plain removal; at most one may be chosen and none is preferred."""
    row = _row(kb, "amitriptyline", _first_with_alternatives(kb, "amitriptyline"))
    card = drug_card("amitriptyline", [row], _citations(kb), draft_order_id="mr-ami", draft_order=DRAFT)
    assert response_problems({"cards": [card]}) == []
    assert card["selectionBehavior"] == "at-most-one"
    replace, last = card["suggestions"][:-1], card["suggestions"][-1]
    assert [s["label"] for s in replace] == ["Replace amitriptyline by nortriptyline (named by the guideline)",
                                             "Replace amitriptyline by desipramine (named by the guideline)"]
    codes = {a.drug: a.rxnorm for a in row.alternatives}
    assert codes == {"nortriptyline": kb.ingredient_codes["nortriptyline"],
                     "desipramine": kb.ingredient_codes["desipramine"]}
    for suggestion in replace:
        assert suggestion["isRecommended"] is False
        delete, create = suggestion["actions"]
        assert delete == {"type": "delete", "resourceId": "MedicationRequest/mr-ami",
                          "description": "Remove the draft amitriptyline order (MedicationRequest/mr-ami)."}
        resource = create["resource"]
        assert create["type"] == "create" and "resourceId" not in create
        assert (resource["resourceType"], resource["status"], resource["intent"]) == (
            "MedicationRequest", "draft", "proposal")
        assert resource["subject"] == {"reference": "Patient/p-1"} and resource["subject"] is not DRAFT["subject"]
        coding = resource["medicationCodeableConcept"]["coding"][0]
        assert coding["system"] == RXNORM_SYSTEM and codes[coding["display"]] == coding["code"]
    assert [a["type"] for a in last["actions"]] == ["delete"] and last["isRecommended"] is False


def test_a_drug_without_named_alternatives_only_offers_removal(kb: KnowledgeBase) -> None:
    index = next(i for i, r in enumerate(kb.drugs["codeine"].recommendations) if r.changes_care)
    assert not kb.drugs["codeine"].recommendations[index].alternatives
    card = drug_card("codeine", [_row(kb, "codeine", index)], _citations(kb), draft_order_id="mr-cod")
    assert response_problems({"cards": [card]}) == []
    assert len(card["suggestions"]) == 1
    assert card["suggestions"][0]["actions"] == [{"type": "delete", "resourceId": "MedicationRequest/mr-cod",
                                                  "description": "Remove the draft codeine order "
                                                                 "(MedicationRequest/mr-cod)."}]
    assert card["suggestions"][0]["isRecommended"] is (card["indicator"] == "critical")


def test_only_alternatives_every_changed_row_names_are_offered(kb: KnowledgeBase) -> None:
    """The service does not know the indication: an alternative one row names and another does not (prasugrel is
    contraindicated after a stroke) is not offered; a preferred one is marked only if every row prefers it."""
    row = _row(kb, "amitriptyline", _first_with_alternatives(kb, "amitriptyline"))
    narrower = row.model_copy(update={"rule": "amitriptyline#99", "population": "other",
                                      "alternatives": [row.alternatives[1].model_copy(update={"preferred": True})]})
    assert card_alternatives([row, narrower]) == [row.alternatives[1]]
    both = row.model_copy(update={"alternatives": [a.model_copy(update={"preferred": True}) for a in row.alternatives]})
    assert [a.preferred for a in card_alternatives([both, narrower])] == [True]
    card = drug_card("amitriptyline", [both, narrower], _citations(kb), draft_order_id="mr-ami", draft_order=DRAFT)
    assert response_problems({"cards": [card]}) == []
    assert [s["isRecommended"] for s in card["suggestions"]] == [True, False]
    assert len(card["suggestions"]) == 2


def test_clopidogrel_poor_metabolizer_is_offered_only_what_every_indication_allows(kb: KnowledgeBase) -> None:
    """A CYP2C19 poor metabolizer gets a row per indication; CPIC names prasugrel and ticagrelor for ACS/PCI but
    prasugrel is contraindicated after a stroke or TIA (the neurovascular row names ticagrelor): the card offers
    ticagrelor only, with its RxNorm ingredient code; the ACS/PCI row alone offers both."""
    rows = [_row(kb, "clopidogrel", i) for i, r in enumerate(kb.drugs["clopidogrel"].recommendations)
            if r.changes_care and "Poor Metabolizer" in (r.when["CYP2C19"].phenotype or [])]
    assert len(rows) == 3
    card = drug_card("clopidogrel", rows, _citations(kb), draft_order_id="mr-clop", draft_order=DRAFT)
    assert response_problems({"cards": [card]}) == []
    created = [s["actions"][1]["resource"]["medicationCodeableConcept"]["coding"][0] for s in card["suggestions"][:-1]]
    assert created == [{"system": RXNORM_SYSTEM, "code": "1116632", "display": "ticagrelor"}]
    acs = next(r for r in rows if r.population and r.population.startswith("cardiovascular: acute"))
    assert [a.drug for a in card_alternatives([acs])] == ["prasugrel", "ticagrelor"]
