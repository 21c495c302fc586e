"""Gene results -> drug recommendations, from the pack's CPIC-derived rules."""

from __future__ import annotations

from tailormed.kb.pack import INDETERMINATE, KnowledgeBase
from tailormed.model.common import Citation, Evidence, Warning
from tailormed.model.pack import DrugGuidance, GeneCondition, Recommendation
from tailormed.model.pgx import DrugRecommendation, GeneBasis, GeneResult

# Results that support usual care; a recommendation resting only on these is "standard".
_TYPICAL_RESULTS = {
    "Normal Metabolizer", "Normal Function", "Normal", "Favorable Response Genotype", "Uncertain Susceptibility",
    "Normal Risk of Aminoglycoside-Induced Hearing Loss", "-1639 G/G", "CYP4F2*3 noncarrier", "Rapid Acetylator",
    "Ivacaftor Non-responsive",
}


def _matches(condition: GeneCondition, result: GeneResult | None) -> str | None:
    """The lookup key of ``result`` that satisfies ``condition``, or None.

    A gene with no result matches only rows written for ``Indeterminate`` (CPIC's rows for a
    gene whose result is unknown), never a phenotype it might have.
    """
    keys = set(result.lookup_keys) if result is not None and result.lookup_keys else {INDETERMINATE}
    if condition.phenotype is not None:
        hit = next((p for p in condition.phenotype if p in keys), None)
        return hit
    if condition.activity_score is not None:
        if result is None or result.activity_score is None:
            return None
        hit_score = next((s for s in condition.activity_score if abs(s - result.activity_score) < 1e-9), None)
        return None if hit_score is None else f"activity score {hit_score:g}"
    if condition.allele_status is not None:
        return next((a for a in condition.allele_status if a in keys), None)
    return None


def _citation(kb: KnowledgeBase, source_id: str) -> Citation:
    source = kb.sources[source_id]
    return Citation(id=source.id, citation=source.citation, url=source.url, version=source.version)


def _is_typical(basis: list[GeneBasis], rec: Recommendation) -> bool:
    if rec.changes_care is not None:
        return not rec.changes_care
    return all(b.matched_on in _TYPICAL_RESULTS or b.matched_on.endswith(" negative")
               or b.matched_on == "activity score 2" for b in basis)


def _caveats(basis: list[GeneBasis], results: dict[str, GeneResult]) -> list[Warning]:
    """Carry gene-level doubts (provisional VCF call, missing positions, ties) onto the drug row."""
    out = []
    for b in basis:
        result = results.get(b.gene)
        if result is None:
            continue
        if any(w.code == "vcf_caveat" for w in result.warnings):
            out.append(Warning(code="provisional_gene_call", gene=b.gene,
                               message=f"rests on a provisional {b.gene} call from the VCF; confirm before acting"))
        if result.uncertain_due_to_missing:
            out.append(Warning(code="uncertain_gene_call", gene=b.gene,
                               message=f"{b.gene} call is uncertain: defining positions are missing"))
    return out


def recommend_drug(kb: KnowledgeBase, drug: DrugGuidance, results: dict[str, GeneResult]) -> list[DrugRecommendation]:
    """Every recommendation of ``drug`` that applies to these gene results (one 'no result' row if none)."""
    evidence = Evidence(knowledge_pack=kb.version_label, record=f"drugs/{drug.drug}.yaml",
                        citations=[_citation(kb, drug.guideline)])
    uncalled = [g for g in drug.genes if g not in results or INDETERMINATE in results[g].lookup_keys
                or not results[g].lookup_keys]
    found: list[DrugRecommendation] = []
    for rec in drug.recommendations:
        basis = []
        for gene, condition in rec.when.items():
            result = results.get(gene)
            key = _matches(condition, result)
            if key is None:
                break
            basis.append(GeneBasis(gene=gene, diplotype=result.diplotype_label if result else "not called",
                                   phenotype=result.phenotype if result else None,
                                   activity_score=result.activity_score if result else None, matched_on=key))
        else:
            citations = [_citation(kb, drug.guideline)] + [_citation(kb, s) for s in rec.sources if s != drug.guideline]
            warnings = [Warning(code="gene_not_called", gene=g,
                                message=f"{g} could not be called; this recommendation rests on the other gene(s) only")
                        for g in uncalled if g not in rec.when]
            warnings += _caveats(basis, results)
            found.append(DrugRecommendation(
                drug=drug.drug, drug_class=drug.drug_class, genes=drug.genes,
                status=("no_recommendation" if rec.strength == "No recommendation"
                        else "standard" if _is_typical(basis, rec) else "actionable"),
                population=rec.population, implication=rec.implication, recommendation=rec.recommendation,
                strength=rec.strength, basis=basis, guideline=citations[0],
                evidence=evidence.model_copy(update={"citations": citations}), warnings=warnings))
    if found:
        return found
    status = "no_result" if uncalled else "no_recommendation"
    message = (f"no result for {', '.join(uncalled)}: the guideline cannot be applied" if uncalled
               else "the knowledge pack holds no recommendation for this result (the guideline gives none, or it "
               "has not been curated yet): consult the guideline")
    basis = [GeneBasis(gene=g, diplotype=r.diplotype_label, phenotype=r.phenotype, activity_score=r.activity_score,
                       matched_on=(r.lookup_keys[0] if r.lookup_keys else ""))
             for g in drug.genes if (r := results.get(g)) is not None]
    return [DrugRecommendation(drug=drug.drug, drug_class=drug.drug_class, genes=drug.genes, status=status,
                               basis=basis, guideline=_citation(kb, drug.guideline), evidence=evidence,
                               warnings=[Warning(code=status, message=message, severity="info")])]


def recommend(kb: KnowledgeBase, results: dict[str, GeneResult],
              medications: list[str] | None = None) -> list[DrugRecommendation]:
    """Recommendations for every drug in the knowledge base, actionable first, then by drug name."""
    rows: list[DrugRecommendation] = []
    meds = {m.lower() for m in medications or []}
    for name in sorted(kb.drugs):
        for row in recommend_drug(kb, kb.drugs[name], results):
            row.in_medication_list = name.lower() in meds
            rows.append(row)
    order = {"actionable": 0, "no_result": 1, "standard": 2, "no_recommendation": 3}
    rows.sort(key=lambda r: (not r.in_medication_list, order[r.status], r.drug))
    return rows
