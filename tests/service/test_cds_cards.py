"""Every pgx-core drug x recommendation reaches the clinician through a card that keeps the CDS Hooks rules."""

from __future__ import annotations

import pytest
from cds_spec import response_problems

from tailormed.ehr.cds_cards import changes_care, drug_card, row_indicator, shorten
from tailormed.kb.pack import KnowledgeBase
from tailormed.model.common import Citation
from tailormed.model.pgx import DrugRecommendation, GeneBasis


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
                              status="actionable" if rec.changes_care else "standard", basis=basis,
                              genes=guidance.genes, population=rec.population, implication=rec.implication,
                              recommendation=rec.recommendation, strength=rec.strength, guideline=guidance.guideline)


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
                assert card["indicator"] in ("warning", "critical")
                assert card["selectionBehavior"] == "at-most-one"
                action = card["suggestions"][0]["actions"][0]
                assert (action["type"], action["resourceId"]) == ("delete", "MedicationRequest/mr-1")
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
