"""Phenoconversion: listed current medications change the phenotype used for advice only where a cited rule says so
(CYP2D6 activity score x0 / x0.5 for codeine, tramadol and hydrocodone), and are otherwise a caution; the
genotype-predicted phenotype is always kept."""

from __future__ import annotations

import dataclasses

import pytest

from tailormed.model.common import Provenance
from tailormed.model.genotypes import OutsideCall
from tailormed.model.pgx import GeneResult
from tailormed.pgx.engine import build_result, result_from_outside_call
from tailormed.pgx.phenoconversion import apply_phenoconversion, listed_perpetrators
from tailormed.pgx.recommend import recommend


def _call(kb, gene, diplotype=None, activity_score=None) -> dict[str, GeneResult]:
    call = OutsideCall(gene=gene, diplotype=diplotype, phenotype=None, activity_score=activity_score, sample=None,
                       source="test")
    return {gene: result_from_outside_call(kb, call)}


def _row(kb, results, drug, medications):
    """The drug's CPIC row (DPWG rows, where the pack has them, are matched on the same adjusted phenotype)."""
    rows = [r for r in recommend(kb, results, medications) if r.drug == drug and r.guideline_body == "CPIC"]
    assert len(rows) == 1, rows
    return rows[0]


def _codes(row):
    return [w.code for w in row.warnings]


@pytest.mark.parametrize(("diplotype", "score", "medication", "phenotype", "adjusted_score", "adjusted"), [
    ("*1/*1", None, "paroxetine", "Normal Metabolizer", 0.0, "Poor Metabolizer"),          # NM, strong
    ("*1/*1", None, "duloxetine", "Normal Metabolizer", 1.0, "Intermediate Metabolizer"),  # NM, moderate
    ("*1/*4", None, "fluoxetine", "Intermediate Metabolizer", 0.0, "Poor Metabolizer"),    # IM, strong
    ("*1/*4", None, "mirabegron", "Intermediate Metabolizer", 0.5, "Intermediate Metabolizer"),  # IM, moderate
    (None, 3.0, "bupropion", "Ultrarapid Metabolizer", 0.0, "Poor Metabolizer"),           # UM, strong
    (None, 3.0, "cinacalcet", "Ultrarapid Metabolizer", 1.5, "Normal Metabolizer"),        # UM, moderate
    ("*1/*10", None, "abiraterone", "Normal Metabolizer", 0.625, "Intermediate Metabolizer"),  # between table scores
])
def test_cyp2d6_activity_score_is_multiplied_for_the_opioid_guideline(kb, diplotype, score, medication, phenotype,
                                                                      adjusted_score, adjusted):
    results = _call(kb, "CYP2D6", diplotype, score)
    gene = apply_phenoconversion(kb, results, [medication])["CYP2D6"]
    assert gene.phenotype == phenotype, "the genotype-predicted phenotype is kept"
    assert gene.adjusted_phenotype == adjusted
    assert gene.adjusted_activity_score == pytest.approx(adjusted_score)
    [effect] = gene.phenoconversion
    assert (effect.perpetrator, effect.enzyme, effect.effect, effect.adjustment) == (
        medication, "CYP2D6", "inhibitor", "activity_score_multiplied")
    assert effect.source == "fda-cyp-interaction-examples"
    assert "cpic-opioids-2021" in effect.rule_sources
    for drug in ("codeine", "tramadol", "hydrocodone"):
        row = _row(kb, results, drug, [medication])
        [basis] = row.basis
        assert (basis.phenotype, basis.phenotype_used, basis.adjusted_phenotype) == (phenotype, "adjusted", adjusted)
        assert basis.matched_on == adjusted and basis.phenoconversion_note
        assert "phenoconversion" in _codes(row) and [e.perpetrator for e in row.phenoconversion] == [medication]


def test_a_strong_inhibitor_turns_codeine_advice_for_a_normal_metabolizer_into_avoid(kb):
    results = _call(kb, "CYP2D6", "*1/*1")
    assert _row(kb, results, "codeine", []).status == "standard"
    row = _row(kb, results, "codeine", ["codeine", "Paroxetine"])
    assert row.status == "actionable" and row.recommendation.startswith("Avoid codeine because it is unlikely")
    note = row.basis[0].phenoconversion_note
    assert note.startswith("paroxetine, a strong CYP2D6 inhibitor, makes this normal metabolizer a poor metabolizer "
                           "for advice")
    assert "activity score 2.0 from the genotype, 0 with paroxetine" in note


def test_a_moderate_inhibitor_that_keeps_the_phenotype_says_so(kb):
    row = _row(kb, _call(kb, "CYP2D6", "*1/*4"), "codeine", ["mirabegron"])
    assert row.basis[0].phenotype_used == "adjusted" and row.basis[0].matched_on == "Intermediate Metabolizer"
    assert "stays intermediate metabolizer" in row.basis[0].phenoconversion_note


def test_several_inhibitors_use_the_strongest_and_say_the_combination_is_not_modelled(kb):
    results = _call(kb, "CYP2D6", "*1/*1")
    row = _row(kb, results, "tramadol", ["duloxetine", "quinidine"])
    assert row.basis[0].adjusted_phenotype == "Poor Metabolizer" and row.basis[0].adjusted_activity_score == 0.0
    assert "the strongest (quinidine) was applied" in row.basis[0].phenoconversion_note
    assert sorted((e.perpetrator, e.adjustment) for e in row.phenoconversion) == [
        ("duloxetine", "caution_only"), ("quinidine", "activity_score_multiplied")]
    gene = apply_phenoconversion(kb, results, ["duloxetine", "quinidine"])["CYP2D6"]
    assert sorted((e.perpetrator, e.adjustment, e.multiplier) for e in gene.phenoconversion) == [
        ("duloxetine", "caution_only", None), ("quinidine", "activity_score_multiplied", 0.0)]


def test_other_cyp2d6_drugs_keep_the_genotype_phenotype_with_a_caution(kb):
    """Outside the opioid guideline no cited rule adjusts the phenotype (CPIC 2023: no consensus approach), so e.g.
    tamoxifen and amitriptyline advice stays on the genotype phenotype, with a caution naming the perpetrator."""
    results = _call(kb, "CYP2D6", "*1/*1")
    for drug in ("tamoxifen", "atomoxetine", "ondansetron", "amitriptyline"):
        rows = [r for r in recommend(kb, results, ["paroxetine"]) if r.drug == drug]
        assert rows, drug
        for row in rows:
            assert all(b.phenotype_used == "genotype" for b in row.basis), drug
            assert "Poor Metabolizer" not in [b.matched_on for b in row.basis], drug
            caution = next(w.message for w in row.warnings if w.code == "phenoconversion_caution")
            assert caution.startswith("paroxetine, a strong CYP2D6 inhibitor, is on the medication list")
            assert "covers codeine, tramadol, hydrocodone only" in caution
            assert [(e.perpetrator, e.adjustment) for e in row.phenoconversion] == [("paroxetine", "caution_only")]


def test_a_perpetrator_is_not_adjusted_against_itself(kb):
    """paroxetine's own CYP2D6 advice uses the genotype phenotype (CPIC's paroxetine rows are written per genotype
    phenotype and describe its autoinhibition), even where the rule's scope would include it."""
    results = _call(kb, "CYP2D6", "*1/*4")
    row = _row(kb, results, "paroxetine", ["paroxetine"])
    assert row.basis[0].phenotype_used == "genotype" and row.basis[0].matched_on == "Intermediate Metabolizer"
    assert "phenoconversion_self" in _codes(row) and not row.phenoconversion
    # Widen the rule's scope to paroxetine: still not adjusted against itself, but adjusted by another inhibitor.
    assert kb.phenoconversion is not None
    rule = kb.phenoconversion.rule("CYP2D6")
    widened_rule = rule.model_copy(update={"applies_to_drugs": [*rule.applies_to_drugs, "paroxetine"]})
    widened = dataclasses.replace(kb, phenoconversion=kb.phenoconversion.model_copy(
        update={"rules": [widened_rule, *kb.phenoconversion.rules[1:]]}), memo={})
    alone = _row(widened, results, "paroxetine", ["paroxetine"])
    assert alone.basis[0].phenotype_used == "genotype" and alone.status == row.status
    both = _row(widened, results, "paroxetine", ["paroxetine", "duloxetine"])
    assert both.basis[0].phenotype_used == "adjusted" and both.basis[0].adjusted_activity_score == 0.5
    assert "duloxetine, a moderate CYP2D6 inhibitor" in both.basis[0].phenoconversion_note
    codeine = _row(widened, results, "codeine", ["paroxetine"])
    assert codeine.basis[0].adjusted_phenotype == "Poor Metabolizer"


def test_untested_gene_stays_not_tested(kb):
    """An inhibitor does not make a phenotype out of nothing."""
    document = build_result(kb, "S1", {}, _provenance(), ["paroxetine", "codeine"])
    gene = next(g for g in document.genes if g.gene == "CYP2D6")
    assert not gene.tested and gene.phenotype is None and gene.adjusted_phenotype is None
    assert [e.adjustment for e in gene.phenoconversion] == ["caution_only"]
    assert any(w.code == "phenoconversion_caution" and "not tested" in w.message for w in gene.warnings)
    codeine = next(d for d in document.drugs if d.drug == "codeine")
    assert codeine.status == "not_tested" and codeine.basis[0].phenotype_used == "genotype"
    assert any(w.code == "phenoconversion_caution" for w in codeine.warnings)


def test_indeterminate_cyp2d6_without_a_score_is_not_adjusted(kb):
    results = {"CYP2D6": _call(kb, "CYP2D6", "*1/*999")["CYP2D6"]}
    assert results["CYP2D6"].activity_score is None
    gene = apply_phenoconversion(kb, results, ["paroxetine"])["CYP2D6"]
    assert gene.adjusted_phenotype is None and gene.phenoconversion[0].adjustment == "caution_only"


@pytest.mark.parametrize(("gene", "diplotype", "medication", "drug", "effect"), [
    ("CYP2C19", "*38/*38", "fluvoxamine", "clopidogrel", "inhibitor"),
    ("CYP2C19", "*38/*38", "Rifampicin", "omeprazole", "inducer"),  # alias, any case
    ("CYP2C9", "*1/*1", "fluconazole", "celecoxib", "inhibitor"),
    ("CYP2C9", "*1/*3", "rifampin", "phenytoin", "inducer"),
])
def test_cyp2c19_and_cyp2c9_perpetrators_are_a_caution_only(kb, gene, diplotype, medication, drug, effect):
    """No cited rule adjusts a CYP2C19 or CYP2C9 phenotype: the advice keeps the genotype phenotype and says why."""
    results = _call(kb, gene, diplotype)
    without = [(r.status, [b.matched_on for b in r.basis]) for r in recommend(kb, results) if r.drug == drug]
    adjusted = apply_phenoconversion(kb, results, [medication])[gene]
    assert adjusted.adjusted_phenotype is None and adjusted.adjusted_activity_score is None
    assert adjusted.phenotype == results[gene].phenotype
    [e] = adjusted.phenoconversion
    assert (e.enzyme, e.effect, e.adjustment) == (gene, effect, "caution_only")
    rows = [r for r in recommend(kb, results, [medication]) if r.drug == drug]
    assert [(r.status, [b.matched_on for b in r.basis]) for r in rows] == without
    for row in rows:
        if row.guideline_body == "DPWG":  # a DPWG row leaves the cautions to the drug's CPIC row
            continue
        caution = next(w.message for w in row.warnings if w.code == "phenoconversion_caution")
        direction = "lower" if effect == "inhibitor" else "higher"
        assert f"{gene} activity may be {direction} than the genotype predicts" in caution
        assert f"No cited rule adjusts the {gene} phenotype" in caution


def test_no_medication_list_changes_nothing(kb):
    results = _call(kb, "CYP2D6", "*1/*4")
    assert apply_phenoconversion(kb, results, None) == results
    assert apply_phenoconversion(kb, results, []) == results
    plain = recommend(kb, results)
    assert all(not r.phenoconversion and all(b.phenotype_used == "genotype" for b in r.basis) for r in plain)
    assert recommend(kb, results, ["codeine", "simvastatin"]) == recommend(kb, results, ["codeine", "simvastatin"])


def test_unknown_medication_names_are_not_perpetrators(kb):
    assert listed_perpetrators(kb, ["aspirin", "paroxetin", "", "  "]) == []
    results = _call(kb, "CYP2D6", "*1/*1")
    assert apply_phenoconversion(kb, results, ["aspirin", "Vitamin D"]) == results
    assert [p.drug for p in listed_perpetrators(kb, ["  PAROXETINE "])] == ["paroxetine"]


def test_applying_twice_gives_the_same_result(kb):
    results = _call(kb, "CYP2D6", "*1/*4")
    once = apply_phenoconversion(kb, results, ["paroxetine"])
    assert apply_phenoconversion(kb, once, ["paroxetine"]) == once
    assert apply_phenoconversion(kb, once, []) == results


def test_result_document_keeps_both_phenotypes(kb):
    document = build_result(kb, "S1", _call(kb, "CYP2D6", "*1/*4"), _provenance(), ["paroxetine", "codeine"])
    data = document.model_dump()
    gene = next(g for g in data["genes"] if g["gene"] == "CYP2D6")
    assert (gene["phenotype"], gene["activity_score"]) == ("Intermediate Metabolizer", 1.0)
    assert (gene["adjusted_phenotype"], gene["adjusted_activity_score"]) == ("Poor Metabolizer", 0.0)
    assert gene["phenoconversion"][0]["perpetrator"] == "paroxetine"
    codeine = next(d for d in data["drugs"] if d["drug"] == "codeine")
    assert codeine["in_medication_list"] and codeine["status"] == "actionable"
    assert codeine["basis"][0]["phenotype_used"] == "adjusted"
    assert any(d.startswith("Medications (phenoconversion): only the medications listed") for d in data["disclaimers"])
    plain = build_result(kb, "S1", _call(kb, "CYP2D6", "*1/*4"), _provenance())
    assert not any("phenoconversion" in d for d in plain.disclaimers)


def _provenance() -> Provenance:
    return Provenance(software="tailormed", software_version="test", knowledge=["pgx-core"], inputs={},
                      created="2026-01-01T00:00:00Z")


def test_report_shows_both_phenotypes_and_why_in_words(kb):
    from tailormed.report.html import render_pgx_html

    html = render_pgx_html(build_result(kb, "S1", _call(kb, "CYP2D6", "*1/*4"), _provenance(),
                                        ["paroxetine", "codeine"]))
    assert "Current medications that change metabolism (phenoconversion)" in html
    assert ("paroxetine, a strong CYP2D6 inhibitor, makes this intermediate metabolizer a poor metabolizer for advice: "
            "the codeine advice here is for a poor metabolizer") in html
    assert "Phenotype adjusted for medications:" in html and "For advice: <strong>Poor Metabolizer</strong>" in html
    assert "Intermediate Metabolizer <span class=\"small\">(genotype)</span>" in html
    assert "CYP2D6 phenotype adjusted for current medications" in html  # status in words, not colour alone
    assert "With current medications: <strong>Poor Metabolizer</strong>" in html
    assert "Medication caution:</strong> paroxetine, a strong CYP2D6 inhibitor, is on the medication list" in html
    assert "U.S. Food and Drug Administration" in html
    plain = render_pgx_html(build_result(kb, "S1", _call(kb, "CYP2D6", "*1/*4"), _provenance(), ["codeine"]))
    assert "Current medications that change metabolism" not in plain and "For advice:" not in plain
    assert "Medication caution" not in plain
