"""Recommendations whose wording is written for one sex (tamoxifen's aromatase-inhibitor alternatives: women).

Every row is kept for every patient; a patient not recorded as that sex (male, other, or sex not recorded) gets a
cited note beside it, in the JSON, the pgx page and the integrated report. The pack's ``written_for`` is validated
when the pack loads: unknown keys or values, a note that does not say whom the wording is written for, or an unknown
source are knowledge errors naming the file and the row."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pack_edits import pack_with

from tailormed.errors import KnowledgeError
from tailormed.kb.pack import KnowledgeBase, load_knowledge_base
from tailormed.model.genotypes import OutsideCall
from tailormed.model.pgx import PgxCompactResult, PgxKnowledge, PgxResult
from tailormed.pgx.engine import build_result, result_from_outside_call
from tailormed.pgx.recommend import RecommendationMemo, recommend_drug
from tailormed.pipelines.analyze import run_analyze
from tailormed.pipelines.pgx import pgx_provenance
from tailormed.report.pgx_json import expand_compact

POOR = "*4/*4"          # activity score 0: CPIC tamoxifen#5 and DPWG tamoxifen#dpwg1, both written for women
INTERMEDIATE = "*4/*41"  # activity score 0.5: tamoxifen#4 and #dpwg2
NORMAL = "*1/*1"        # usual care, no sex-specific wording


def _cyp2d6(kb: KnowledgeBase, diplotype: str) -> Any:
    return result_from_outside_call(kb, OutsideCall(gene="CYP2D6", diplotype=diplotype, phenotype=None,
                                                    activity_score=None, sample=None, source="lab"))


def _tamoxifen(kb: KnowledgeBase, diplotype: str, sex: str) -> list[Any]:
    return recommend_drug(kb, kb.drugs["tamoxifen"], {"CYP2D6": _cyp2d6(kb, diplotype)}, sex)  # type: ignore[arg-type]


@pytest.mark.parametrize("diplotype", [POOR, INTERMEDIATE])
def test_rows_are_the_same_for_every_sex_and_only_others_than_women_get_the_note(kb, diplotype):
    by_sex = {sex: _tamoxifen(kb, diplotype, sex) for sex in ("female", "male", "other", "unknown")}
    rules = {sex: [(r.rule, r.status, r.recommendation) for r in rows] for sex, rows in by_sex.items()}
    assert rules["female"] == rules["male"] == rules["other"] == rules["unknown"]  # never dropped nor changed
    assert {r.guideline_body for r in by_sex["male"]} == {"CPIC", "DPWG"}
    assert all(r.written_for is not None and r.written_for.sex == "female" for r in by_sex["male"])
    assert all(r.written_for_note is None for r in by_sex["female"])
    for sex, opening in (("male", "The patient is male."), ("unknown", "The patient's sex is not recorded."),
                         ("other", "The patient's recorded sex is other.")):
        for row in by_sex[sex]:
            note = row.written_for_note or ""
            assert note.startswith(opening), (sex, row.rule)
            assert "written for women" in note and "Hassett" in note
            assert "aromatase inhibitor only together with a" in note and "GnRH" in note
            assert row.written_for.sources == ["asco-male-breast-cancer-2020"]


def test_usual_care_rows_carry_no_note(kb):
    rows = _tamoxifen(kb, NORMAL, "male")
    assert rows and all(r.written_for is None and r.written_for_note is None for r in rows)


def test_memo_keeps_rows_of_different_sexes_apart(kb):
    """Samples share drug rows through the memo; a man must never get a woman's (note-free) row."""
    memo = RecommendationMemo()
    results = {"CYP2D6": _cyp2d6(kb, POOR)}
    female = memo.rows(kb, kb.drugs["tamoxifen"], results, frozenset(), "female")
    male = memo.rows(kb, kb.drugs["tamoxifen"], results, frozenset(), "male")
    assert all(r.written_for_note is None for r in female)
    assert all(r.written_for_note for r in male)


def test_document_records_the_sex_and_cites_the_note_source(kb):
    result = build_result(kb, "s1", {"CYP2D6": _cyp2d6(kb, POOR)}, pgx_provenance(kb, {}, []), ["tamoxifen"],
                          sex="male")
    assert result.sex == "male"
    assert "asco-male-breast-cancer-2020" in {c.id for c in result.citations}
    again = PgxResult.model_validate_json(result.model_dump_json())
    assert [r.written_for_note for r in again.drugs if r.drug == "tamoxifen"] == \
        [r.written_for_note for r in result.drugs if r.drug == "tamoxifen"]


def _manifest(folder: Path, sex: str | None, diplotype: str = POOR) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "calls.tsv").write_text(f"gene\tdiplotype\tphenotype\tactivity_score\nCYP2D6\t{diplotype}\t\t\n")
    demographics = f"demographics:\n  sex: {sex}\n" if sex else ""
    (folder / "patient.yaml").write_text(f"id: P-{sex or 'none'}\n{demographics}outside_calls: calls.tsv\n"
                                         "medications: [tamoxifen]\n")
    return folder / "patient.yaml"


@pytest.mark.parametrize(("sex", "opening"), [("male", "The patient is male."),
                                              (None, "The patient&#39;s sex is not recorded."),
                                              ("female", None)])
def test_analyze_carries_the_note_in_json_pgx_page_and_integrated_report(tmp_path, sex, opening):
    out = tmp_path / "out"
    run_analyze(_manifest(tmp_path / "in", sex), out)
    document = json.loads((out / "pgx.json").read_text())
    assert document.get("sex", "unknown") == (sex or "unknown")
    rows = [r for r in document["drugs"] if r["drug"] == "tamoxifen"]
    assert [r["rule"] for r in rows] == ["tamoxifen#5", "tamoxifen#dpwg1"]  # shown for everyone
    page = (out / "pgx.html").read_text()
    report = (out / "report.html").read_text()
    if opening is None:
        assert all(r["written_for_note"] is None for r in rows)
        assert "Written for women" not in page and "Written for women" not in report
        return
    assert all(r["written_for_note"] for r in rows)
    assert page.count("Written for women:") == 2  # the CPIC and the DPWG row
    assert opening in page and "Hassett" in page
    # the integrated report: in "what matters now" (tamoxifen is a current medication) and in its pgx section
    now = report.split('id="h-now"')[1].split("</section>")[0]
    assert "Written for women:" in now and opening in now
    assert report.count("Written for women:") >= 3


def test_compact_document_expands_to_the_full_one_with_the_note(tmp_path):
    from tailormed.pipelines.pgx import run_pgx_call

    folder = tmp_path / "in"
    _manifest(folder, None)
    run_pgx_call(None, tmp_path / "out", outside_calls_path=folder / "calls.tsv", medications=["tamoxifen"],
                 formats=("json",))
    knowledge = PgxKnowledge.model_validate_json((tmp_path / "out" / "knowledge.json").read_text())
    rule = next(r for r in knowledge.rules if r.id == "tamoxifen#5")
    assert rule.written_for is not None and rule.written_for.sex == "female"
    documents = [json.loads(p.read_text()) for p in (tmp_path / "out").glob("*.json")]
    compact = PgxCompactResult.model_validate(next(d for d in documents if d.get("detail") == "compact"))
    row = next(r for r in compact.drugs if r.rule == "tamoxifen#5")
    assert row.written_for_note and row.written_for_note.startswith("The patient's sex is not recorded.")
    full = expand_compact(compact, knowledge)
    expanded = next(r for r in full.drugs if r.rule == "tamoxifen#5")
    assert expanded.written_for == rule.written_for and expanded.written_for_note == row.written_for_note
    assert "asco-male-breast-cancer-2020" in {c.id for c in full.citations}


# --------------------------------------------------------------------------- knowledge validation



def _row_written_for(data: dict[str, Any]) -> dict[str, Any]:
    return data["recommendations"][2]["written_for"]  # type: ignore[no-any-return]  # shared by rows 2-4 (a YAML anchor)


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda d: _row_written_for(d).update({"menopause": "post"}), ["Extra inputs", "menopause"]),
    (lambda d: _row_written_for(d).update({"sex": "women"}), ["'female' or 'male'"]),
    (lambda d: _row_written_for(d).update({"other_patients": "For men see the ASCO guideline, which differs."}),
     ["written for women"]),
    (lambda d: _row_written_for(d).update({"sources": []}), ["at least 1"]),
    (lambda d: d["other_guidelines"][0]["recommendations"][0]["written_for"].update({"pregnant": True}),
     ["Extra inputs", "other_guidelines.0.recommendations.0.written_for.pregnant"]),
])
def test_bad_written_for_is_a_knowledge_error_naming_file_and_row(tmp_path, edit, expected):
    pack = pack_with(tmp_path, "tamoxifen", edit)
    with pytest.raises(KnowledgeError) as info:
        load_knowledge_base(str(pack))
    text = str(info.value)
    assert "tamoxifen.yaml" in text and "recommendations." in text
    for part in expected:
        assert part in text


def test_written_for_citing_an_undeclared_source_names_file_and_row(tmp_path):
    pack = pack_with(tmp_path, "tamoxifen", lambda d: _row_written_for(d).update({"sources": ["asco-2099"]}))
    with pytest.raises(KnowledgeError) as info:
        load_knowledge_base(str(pack))
    text = str(info.value)
    assert "tamoxifen.yaml" in text and "asco-2099" in text and "recommendations.2.written_for.sources" in text


def test_the_builtin_pack_marks_exactly_the_rows_that_name_women(kb):
    """Every pgx-core row whose recommendation names women or men (or menopause) declares written_for, and no other
    row does (the scan in docs/knowledge-packs.md, kept true by this test)."""
    import re

    names_a_sex = re.compile(r"\b(wom[ae]n|men|male|female|menopaus\w*|premenopausal|postmenopausal)\b", re.I)
    for name, drug in kb.drugs.items():
        rows = [*drug.recommendations, *(r for o in drug.other_guidelines for r in o.recommendations)]
        for row in rows:
            assert bool(names_a_sex.search(row.recommendation)) == (row.written_for is not None), (name, row.when)
