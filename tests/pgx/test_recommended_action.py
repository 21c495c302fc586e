"""Each recommendation that departs from usual care carries a curated ``action`` (avoid, prefer_alternative,
change_dose, extra_care), validated when the pack loads and carried on the result's drug rows. CDS Hooks cards are
``critical`` for ``avoid`` alone: the indicator used to come from words in the text, which missed "Do not start
carbamazepine" (HLA-B*15:02, SJS/TEN) and "Prescribe another statin" and called tamoxifen's dose rows critical for
"if an aromatase inhibitor is contraindicated" and "avoid CYP2D6 inhibitors"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pack_edits import pack_with

from tailormed.ehr.cds_cards import row_indicator
from tailormed.errors import KnowledgeError
from tailormed.kb.pack import KnowledgeBase, load_knowledge_base
from tailormed.model.genotypes import OutsideCall
from tailormed.pgx.engine import result_from_outside_call
from tailormed.pgx.recommend import recommend_drug


def _rows(kb: KnowledgeBase, drug: str, gene: str, *, diplotype: str | None = None,
          phenotype: str | None = None) -> list[Any]:
    call = result_from_outside_call(kb, OutsideCall(gene=gene, diplotype=diplotype, phenotype=phenotype,
                                                    activity_score=None, sample=None, source="lab"))
    return recommend_drug(kb, kb.drugs[drug], {gene: call})  # type: ignore[arg-type]


def test_every_row_that_changes_care_says_what_it_asks(kb: KnowledgeBase) -> None:
    seen = set()
    for name, drug in kb.drugs.items():
        for row in [*drug.recommendations, *(r for o in drug.other_guidelines for r in o.recommendations)]:
            assert (row.action is not None) == row.changes_care, (name, row.when)
            seen.add(row.action)
    assert seen == {None, "avoid", "prefer_alternative", "change_dose", "extra_care"}


def test_carbamazepine_in_an_hla_b_15_02_carrier_is_critical(kb: KnowledgeBase) -> None:
    rows = _rows(kb, "carbamazepine", "HLA-B", diplotype="*15:02/*08:01")
    cpic = next(r for r in rows if r.guideline_body == "CPIC" and r.status == "actionable")
    assert cpic.recommendation.startswith("Do not start carbamazepine")
    assert cpic.action == "avoid" and row_indicator(cpic) == "critical"


def test_tamoxifen_dose_advice_is_a_warning_despite_its_words(kb: KnowledgeBase) -> None:
    rows = _rows(kb, "tamoxifen", "CYP2D6", diplotype="*4/*41")  # activity score 0.5
    cpic = next(r for r in rows if r.guideline_body == "CPIC")
    assert "contraindicated" in cpic.recommendation and "Avoid" in cpic.recommendation
    assert cpic.status == "actionable" and cpic.action == "prefer_alternative"
    assert row_indicator(cpic, "female") == "warning"


def test_usual_care_rows_carry_no_action(kb: KnowledgeBase) -> None:
    rows = _rows(kb, "clopidogrel", "CYP2C19", diplotype="*1/*1")
    assert rows and all(r.status == "standard" and r.action is None for r in rows)



def _first(data: dict[str, Any], changes_care: bool) -> dict[str, Any]:
    return next(r for r in data["recommendations"] if r["changes_care"] is changes_care)


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda d: _first(d, True).pop("action"), "needs an action"),
    (lambda d: _first(d, False).update({"action": "avoid"}), "only for a recommendation with changes_care: true"),
    (lambda d: _first(d, True).update({"action": "stop"}), "'avoid', 'prefer_alternative'"),
])
def test_a_missing_or_misplaced_action_names_file_and_row(tmp_path: Path, edit: Any, expected: str) -> None:
    with pytest.raises(KnowledgeError) as info:
        load_knowledge_base(str(pack_with(tmp_path, "codeine", edit)))
    text = str(info.value)
    assert "codeine.yaml" in text and "recommendations." in text and expected in text


def test_a_row_from_a_document_older_than_2_2_keeps_its_old_indicator(kb: KnowledgeBase) -> None:
    """Stored results written before actions were curated have none; their cards keep the word match."""
    rows = _rows(kb, "abacavir", "HLA-B", diplotype="*57:01/*08:01")
    actionable = next(r for r in rows if r.status == "actionable")
    old = actionable.model_copy(update={"action": None})
    assert row_indicator(old) == "critical"  # "Do not use abacavir"
    assert row_indicator(old.model_copy(update={"recommendation": "Start at half the usual dose."})) == "warning"
