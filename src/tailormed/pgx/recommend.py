"""Gene results -> drug recommendations, from the pack's CPIC-derived rules.

Two rules keep the report honest:

* A drug's status comes from the recommendation itself (its ``changes_care``), never from how the gene
  result is named.
* A gene that was not examined (``GeneResult.tested`` is false) is "not tested": it matches no rule except
  one that names ``Not tested`` explicitly, never an ``Indeterminate`` row, and it can never be the reason
  for an "actionable" status. A drug that needs it and has no other applicable rule is ``not_tested``,
  with the pack's cited advice to test before prescribing where there is one.

With a medication list, a listed perpetrator may change the phenotype a drug's rules are matched against
(:mod:`tailormed.pgx.phenoconversion`); each row's basis says which phenotype it used and why.
"""

from __future__ import annotations

from tailormed.kb.pack import INDETERMINATE, NOT_TESTED, KnowledgeBase
from tailormed.model.common import Warning
from tailormed.model.pack import (
    DrugGuidance,
    GeneCondition,
    OtherGuideline,
    OtherRecommendation,
    Recommendation,
    WrittenFor,
)
from tailormed.model.patient import Sex
from tailormed.model.pgx import (
    AlternativeDrug,
    DrugRecommendation,
    EvidenceRef,
    GeneBasis,
    GeneResult,
    PhenoconversionEffect,
    WrittenForNote,
    written_for_note,
)
from tailormed.pgx.phenoconversion import DrugAdjustment, adjustment_for_drug, apply_phenoconversion

STATUS_ORDER = {"actionable": 0, "not_tested": 1, "no_result": 2, "standard": 3, "no_recommendation": 4}
"""Report order of drug statuses: what changes care first, then what could not be assessed."""


def is_tested(result: GeneResult | None) -> bool:
    """True when the gene was examined (a result exists and says so)."""
    return result is not None and result.tested


def _keys(result: GeneResult | None) -> set[str]:
    """The values a rule is matched against: ``Not tested`` for an unexamined gene, ``Indeterminate`` for an
    examined gene without a phenotype call."""
    if result is None or not result.tested:
        return {NOT_TESTED}
    return (set(result.lookup_keys) - {NOT_TESTED}) or {INDETERMINATE}


def _matches(condition: GeneCondition, result: GeneResult | None) -> str | None:
    """The lookup key of ``result`` that satisfies ``condition``, or None.

    An untested gene matches only a phenotype condition that lists ``Not tested``; an examined gene with no
    phenotype call matches only rows written for ``Indeterminate``.
    """
    keys = _keys(result)
    if condition.phenotype is not None:
        return next((p for p in condition.phenotype if p in keys), None)
    if result is None or not result.tested:
        return None
    if condition.activity_score is not None:
        if result.activity_score is None:
            return None
        hit_score = next((s for s in condition.activity_score if abs(s - result.activity_score) < 1e-9), None)
        return None if hit_score is None else f"activity score {hit_score:g}"
    if condition.allele_status is not None:
        return next((a for a in condition.allele_status if a in keys), None)
    return None


def _citation(kb: KnowledgeBase, source_id: str) -> str:
    """A source id the pack defines (looked up, so an unknown id fails here rather than in a reader)."""
    return kb.sources[source_id].id


def rule_id(drug: DrugGuidance, index: int) -> str:
    """The id of the ``index``-th (from 0) recommendation of ``drug``: ``'clopidogrel#2'`` for the second."""
    return f"{drug.drug}#{index + 1}"


def other_rule_id(drug: DrugGuidance, other: OtherGuideline, index: int) -> str:
    """The id of the ``index``-th (from 0) recommendation of another body's guideline: ``'clopidogrel#dpwg2'``."""
    return f"{drug.drug}#{other.body.lower()}{index + 1}"


def alternative_drugs(kb: KnowledgeBase, rec: Recommendation) -> list[AlternativeDrug]:
    """The alternatives a recommendation names, each with its RxNorm ingredient code (checked when loading)."""
    return [AlternativeDrug(drug=a.drug, rxnorm=a.rxnorm or kb.ingredient_codes[a.drug], preferred=a.preferred)
            for a in rec.alternatives]


def written_for(kb: KnowledgeBase, rule: WrittenFor | None) -> WrittenForNote | None:
    """A pack row's ``written_for`` as a result row carries it, its sources as citation ids."""
    if rule is None:
        return None
    return WrittenForNote(sex=rule.sex, other_patients=rule.other_patients,
                          sources=[_citation(kb, s) for s in rule.sources])


def rule_citations(kb: KnowledgeBase, drug: DrugGuidance, rec: Recommendation) -> list[str]:
    """The sources of one recommendation: the drug's guideline, then the recommendation's own."""
    return _unique([_citation(kb, drug.guideline)] + [_citation(kb, s) for s in rec.sources])


def other_rule_citations(kb: KnowledgeBase, other: OtherGuideline, rec: OtherRecommendation) -> list[str]:
    """The sources of another body's recommendation: its guideline, then the recommendation's own."""
    return _unique([_citation(kb, other.guideline)] + [_citation(kb, s) for s in rec.sources])


def _status(rec: Recommendation | OtherRecommendation, rests_on: list[str], results: dict[str, GeneResult]) -> str:
    """Status of a matched rule, from the rule's own content: never 'standard' while a gene it rests on is untested,
    never 'actionable' or 'no_recommendation' without a tested gene."""
    untested = [g for g in rests_on if not is_tested(results.get(g))]
    if len(untested) == len(rests_on):
        return "not_tested"
    if isinstance(rec, Recommendation) and rec.strength == "No recommendation":
        return "not_tested" if untested else "no_recommendation"
    if rec.changes_care:
        return "actionable"
    return "not_tested" if untested else "standard"


def _caveats(basis: list[GeneBasis], results: dict[str, GeneResult]) -> list[Warning]:
    """Carry gene-level doubts (provisional VCF call, missing positions, ties) onto the drug row."""
    out = []
    for b in basis:
        result = results.get(b.gene)
        if result is None or not result.tested:
            continue
        if any(w.code == "vcf_caveat" for w in result.warnings):
            out.append(Warning(code="provisional_gene_call", gene=b.gene,
                               message=f"rests on a provisional {b.gene} call from the VCF; confirm before acting"))
        if result.uncertain_due_to_missing:
            out.append(Warning(code="uncertain_gene_call", gene=b.gene,
                               message=f"{b.gene} call is uncertain: defining positions are missing"))
    return out


def _basis(gene: str, result: GeneResult | None, matched_on: str,
           adjustment: DrugAdjustment | None = None) -> GeneBasis:
    if result is None or not result.tested:
        return GeneBasis(gene=gene, diplotype="not tested", phenotype=None, matched_on=matched_on)
    diplotype = result.diplotype_label or "not called"
    if result.legacy_diplotype_label:
        diplotype += f" (legacy {result.legacy_diplotype_label})"
    basis = GeneBasis(gene=gene, diplotype=diplotype, phenotype=result.phenotype,
                      activity_score=result.activity_score, matched_on=matched_on)
    if adjustment is not None and adjustment.used_adjusted:
        basis.phenotype_used = "adjusted"
        basis.adjusted_phenotype = adjustment.adjusted_phenotype
        basis.adjusted_activity_score = adjustment.adjusted_activity_score
        basis.phenoconversion_note = adjustment.note
    return basis


def _testing_advice(kb: KnowledgeBase, drug: DrugGuidance, untested: list[str]) -> tuple[str | None, list[str]]:
    """The pack's cited advice to test before prescribing, when it concerns a gene that was not tested."""
    advice = drug.test_before_prescribing
    if advice is None or not set(advice.genes) & set(untested):
        return None, []
    return advice.advice, [_citation(kb, s) for s in advice.sources]


def _unique(citations: list[str]) -> list[str]:
    return list(dict.fromkeys(citations))


def recommend_drug(kb: KnowledgeBase, drug: DrugGuidance, results: dict[str, GeneResult],
                   sex: Sex = "unknown") -> list[DrugRecommendation]:
    """Every recommendation of ``drug`` that applies to these gene results (one summary row if none does).

    A row whose wording is written for one sex (``written_for``) is kept for every patient; for a patient not
    recorded as that sex (``sex``: the patient's) it carries the note saying so (:func:`written_for_note`)."""
    evidence = EvidenceRef(knowledge_pack=kb.version_label, record=f"drugs/{drug.drug}.yaml",
                           citations=[_citation(kb, drug.guideline)])
    adjustments = {g: a for g in drug.genes if (a := adjustment_for_drug(kb, drug, g, results.get(g))) is not None}
    matching = {g: (adjustments[g].matching if g in adjustments else results.get(g)) for g in drug.genes}
    pheno_warnings = [w for a in adjustments.values() for w in a.warnings]
    pheno_effects: list[PhenoconversionEffect] = [e for a in adjustments.values() for e in a.effects]
    untested = [g for g in drug.genes if not is_tested(results.get(g))]
    uncalled = [g for g in drug.genes if g not in untested and INDETERMINATE in _keys(matching.get(g))]
    advice, advice_citations = _testing_advice(kb, drug, untested)
    def matched(when: dict[str, GeneCondition]) -> list[GeneBasis] | None:
        basis = []
        for gene, condition in when.items():
            key = _matches(condition, matching.get(gene))
            if key is None:
                return None
            basis.append(_basis(gene, results.get(gene), key, adjustments.get(gene)))
        return basis

    def row_warnings(when: dict[str, GeneCondition], basis: list[GeneBasis]) -> list[Warning]:
        warnings = [Warning(code="gene_not_tested", gene=g,
                            message=(f"{g} was not tested: this is the guideline's advice for an untested {g}"
                                     if g in when else
                                     f"{g} was not tested: this recommendation rests on the other gene(s) only"))
                    for g in untested]
        warnings += [Warning(code="gene_not_called", gene=g,
                             message=f"{g} could not be called; this recommendation rests on the other gene(s) only")
                     for g in uncalled if g not in when]
        return warnings + _caveats(basis, results) + pheno_warnings

    found: list[DrugRecommendation] = []
    for index, rec in enumerate(drug.recommendations):
        basis = matched(rec.when)
        if basis is None:
            continue
        citations = _unique(rule_citations(kb, drug, rec) + advice_citations)
        status = _status(rec, list(rec.when), results)
        found.append(DrugRecommendation(
            drug=drug.drug, rule=rule_id(drug, index), drug_class=drug.drug_class, genes=drug.genes,
            status=status, action=rec.action if status == "actionable" else None,
            population=rec.population, implication=rec.implication, recommendation=rec.recommendation,
            strength=rec.strength, basis=basis, guideline=citations[0], untested_genes=untested,
            testing_advice=advice, testing_advice_sources=advice_citations,
            evidence=evidence.model_copy(update={"citations": citations}),
            warnings=row_warnings(rec.when, basis), phenoconversion=pheno_effects,
            alternatives=alternative_drugs(kb, rec), written_for=(audience := written_for(kb, rec.written_for)),
            written_for_note=written_for_note(audience, sex)))
    cpic_rows = list(found)
    for other in drug.other_guidelines:
        for index, other_rec in enumerate(other.recommendations):
            basis = matched(other_rec.when)
            if basis is None:
                continue
            citations = other_rule_citations(kb, other, other_rec)
            status = _status(other_rec, list(other_rec.when), results)
            if other_rec.compared_with_cpic == "agrees":
                # the same action as CPIC's row with the same status resting on the same genes: shown with that
                # row, not as a row of its own (a row on another gene, e.g. HLA-A beside HLA-B, is not "the same")
                dpwg_genes = set(other_rec.when)
                same = next((r for r in cpic_rows if r.status == status
                             and dpwg_genes <= {b.gene for b in r.basis}), None)
                if same is not None:
                    same.agreeing_rules.append(other_rule_id(drug, other, index))
                    same.agreeing_guidelines = _unique([*same.agreeing_guidelines, citations[0]])
                    continue
            found.append(DrugRecommendation(
                drug=drug.drug, rule=other_rule_id(drug, other, index), drug_class=drug.drug_class, genes=drug.genes,
                status=status, action=other_rec.action if status == "actionable" else None,
                guideline_body=other.body,
                compared_with_cpic=other_rec.compared_with_cpic, difference=other_rec.difference,
                population=other_rec.population, implication=other_rec.implication,
                recommendation=other_rec.recommendation, strength=None, basis=basis, guideline=citations[0],
                written_for=(audience := written_for(kb, other_rec.written_for)),
                written_for_note=written_for_note(audience, sex),
                untested_genes=untested, evidence=evidence.model_copy(update={"record": f"drugs/{drug.drug}.yaml",
                                                                             "citations": citations}),
                # the drug's CPIC (or summary) row, shown with it, carries the warnings (untested genes, provisional or
                # uncertain calls) and the medication effects and cautions; the basis here still says which phenotype
                # was used and why
                warnings=[]))
    if cpic_rows:
        return found
    if untested:
        status = "not_tested"
        message = f"{', '.join(untested)} not tested: no genotype-based advice can be given"
    elif uncalled:
        status = "no_result"
        message = f"no result for {', '.join(uncalled)}: the guideline cannot be applied"
    else:
        status = "no_recommendation"
        message = ("the knowledge pack holds no recommendation for this result (the guideline gives none, or it "
                   "has not been curated yet): consult the guideline")
    basis = [_basis(g, r, NOT_TESTED if g in untested else (m.lookup_keys[0] if m and m.lookup_keys else ""),
                    adjustments.get(g))
             for g in drug.genes for r, m in [(results.get(g), matching.get(g))]]
    summary = DrugRecommendation(
        drug=drug.drug, drug_class=drug.drug_class, genes=drug.genes, status=status, basis=basis,
        guideline=_citation(kb, drug.guideline), untested_genes=untested, testing_advice=advice,
        testing_advice_sources=advice_citations,
        evidence=evidence.model_copy(update={"citations": _unique(evidence.citations + advice_citations)}),
        warnings=[Warning(code=status, message=message, severity="warning" if status == "not_tested" else "info"),
                  *pheno_warnings],
        phenoconversion=pheno_effects)
    return [summary, *found]


class RecommendationMemo:
    """Drug rows already made, keyed by the gene result *objects* they were made from (and the medication list).

    In a cohort most samples share their gene result objects (samples with equal genotypes at a gene share one,
    see :func:`tailormed.pgx.engine.call_genes_from_vcf`), so most rows are made once and shared, read-only, by
    every sample they apply to. The memo keeps the results it keyed on alive, so an id is never reused while it
    is in use; use one memo per run.
    """

    def __init__(self) -> None:
        self._rows: dict[tuple[object, ...], tuple[tuple[GeneResult | None, ...], list[DrugRecommendation]]] = {}
        self._genes: dict[str, tuple[str, ...]] = {}

    def rows(self, kb: KnowledgeBase, drug: DrugGuidance, results: dict[str, GeneResult],
             medications: frozenset[str], sex: Sex = "unknown") -> list[DrugRecommendation]:
        genes = self._genes.get(drug.drug)
        if genes is None:  # every gene a row of the drug can read
            genes = tuple(dict.fromkeys([*drug.genes, *(g for rec in drug.recommendations for g in rec.when)]))
            self._genes[drug.drug] = genes
        used = tuple(results.get(g) for g in genes)
        key = (drug.drug, medications, sex, *map(id, used))
        hit = self._rows.get(key)
        if hit is not None:
            return hit[1]
        rows = _rows_for(kb, drug, results, medications, sex)
        self._rows[key] = (used, rows)
        return rows


def _rows_for(kb: KnowledgeBase, drug: DrugGuidance, results: dict[str, GeneResult],
              medications: frozenset[str], sex: Sex = "unknown") -> list[DrugRecommendation]:
    rows = recommend_drug(kb, drug, results, sex)
    for row in rows:
        row.in_medication_list = drug.drug.lower() in medications
    return rows


def recommend(kb: KnowledgeBase, results: dict[str, GeneResult],
              medications: list[str] | None = None, memo: RecommendationMemo | None = None,
              sex: Sex = "unknown") -> list[DrugRecommendation]:
    """Recommendations for every drug in the knowledge base: medication list first, then by status
    (:data:`STATUS_ORDER`), then by drug name. ``sex`` (the patient's recorded sex) decides which rows carry a
    note that their wording is written for another sex (:func:`recommend_drug`).

    Listed medications that inhibit or induce a gene's enzyme are applied first (:func:`apply_phenoconversion`).
    With a ``memo``, rows made before from the same gene result objects are reused (they are shared: read-only).
    """
    results = apply_phenoconversion(kb, results, medications)
    meds = frozenset(m.lower() for m in medications or [])
    rows: list[DrugRecommendation] = []
    for name in sorted(kb.drugs):
        drug = kb.drugs[name]
        rows += (memo.rows(kb, drug, results, meds, sex) if memo is not None
                 else _rows_for(kb, drug, results, meds, sex))
    rows.sort(key=lambda r: (not r.in_medication_list, STATUS_ORDER[r.status], r.drug))
    return rows
