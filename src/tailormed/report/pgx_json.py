"""``<sample>.json`` and ``knowledge.json``: the pharmacogenomic result as documents (schema in
``docs/output-schema.md``).

Two forms of one result:

* full (:class:`PgxResult`, ``pgx call --full-evidence`` and ``analyze``'s ``pgx.json``): everything in one file,
  every examined position, the guidance text on every drug row, each source once in ``citations``.
* compact (:class:`PgxCompactResult`, the default of ``pgx call``): the sample's facts only; drug rows name their
  recommendation (``rule``) and sources by id, and the run's ``knowledge.json`` (:class:`PgxKnowledge`) holds the
  text and the sources once for every sample. Only informative positions are listed, fields at their default are
  left out, no indentation. :func:`expand_compact` gives back the full rows.
"""

from __future__ import annotations

from tailormed.kb.pack import KnowledgeBase
from tailormed.model.common import Provenance
from tailormed.model.pgx import (
    DrugCall,
    DrugKnowledge,
    DrugRecommendation,
    EvidenceRef,
    GeneKnowledge,
    GeneResult,
    PgxCompactResult,
    PgxKnowledge,
    PgxResult,
    RuleKnowledge,
)
from tailormed.pgx.engine import citation, cited_ids, gene_evidence
from tailormed.pgx.recommend import (
    alternative_drugs,
    other_rule_citations,
    other_rule_id,
    rule_citations,
    rule_id,
    written_for,
)
from tailormed.report.html import informative_positions

KNOWLEDGE_FILE = "knowledge.json"
"""The name of the run's knowledge document, beside the compact per-sample documents."""

_CALL_FIELDS = tuple(DrugCall.model_fields)


def _drug_call(row: DrugRecommendation) -> DrugCall:
    """A drug row's facts for a compact document. A basis key (``matched_on``) equal to the basis phenotype is left
    out (it is the default, empty); :func:`expand_compact` restores it."""
    fields = {name: getattr(row, name) for name in _CALL_FIELDS}
    if any(b.matched_on == b.phenotype for b in row.basis):
        fields["basis"] = [b.model_copy(update={"matched_on": ""}) if b.matched_on == b.phenotype else b
                           for b in row.basis]
    return DrugCall.model_construct(**fields)


def full_json(result: PgxResult) -> str:
    """The full document (indented, as a person may read it)."""
    return result.model_dump_json(indent=1)


def compact_document(result: PgxResult) -> PgxCompactResult:
    """The compact form of a full result: drug rows without their text, gene results without their (per-gene
    constant) evidence and with informative positions only."""
    genes = [g.model_copy(update={"genotypes": informative_positions(g.genotypes), "evidence": None})
             for g in result.genes]
    drugs = [_drug_call(row) for row in result.drugs]
    return PgxCompactResult(schema_version=result.schema_version, detail="compact", sample=result.sample,
                            knowledge_file=KNOWLEDGE_FILE, sex=result.sex,
                            medications=result.medications, genes=genes, drugs=drugs, warnings=result.warnings,
                            provenance=result.provenance, disclaimers=result.disclaimers)


def compact_json(result: PgxResult) -> str:
    """The compact document as written: no indentation, fields at their default left out."""
    return compact_document(result).model_dump_json(exclude_defaults=True)


class CompactJsonWriter:
    """Writes many samples' compact documents, reusing the JSON of the gene results and drug rows samples share.

    Gives the same text as :func:`compact_json`. In a cohort a gene result or a drug row is the same object for
    many samples (see :class:`tailormed.pgx.recommend.RecommendationMemo`); its JSON is made once. The writer
    keeps the objects it keyed on alive, so an id is never reused while it is in use; use one writer per run.
    """

    _SLOT = ',"genes":[],"drugs":[]'

    def __init__(self) -> None:
        self._genes: dict[int, tuple[GeneResult, str]] = {}
        self._rows: dict[int, tuple[DrugRecommendation, str]] = {}

    def _gene(self, gene: GeneResult) -> str:
        hit = self._genes.get(id(gene))
        if hit is None:
            compact = gene.model_copy(update={"genotypes": informative_positions(gene.genotypes), "evidence": None})
            hit = (gene, compact.model_dump_json(exclude_defaults=True))
            self._genes[id(gene)] = hit
        return hit[1]

    def _row(self, row: DrugRecommendation) -> str:
        hit = self._rows.get(id(row))
        if hit is None:
            hit = (row, _drug_call(row).model_dump_json(exclude_defaults=True))
            self._rows[id(row)] = hit
        return hit[1]

    def write(self, result: PgxResult) -> str:
        """One sample's compact document."""
        frame = PgxCompactResult(schema_version=result.schema_version, detail="compact", sample=result.sample,
                                 knowledge_file=KNOWLEDGE_FILE, sex=result.sex, medications=result.medications,
                                 genes=[], drugs=[],
                                 warnings=result.warnings, provenance=result.provenance,
                                 disclaimers=result.disclaimers).model_dump_json(exclude_defaults=True)
        at = frame.index(self._SLOT)  # the only place it can be: a string value would escape the quotes
        genes = ",".join(self._gene(g) for g in result.genes)
        drugs = ",".join(self._row(d) for d in result.drugs)
        return f'{frame[:at]},"genes":[{genes}],"drugs":[{drugs}]{frame[at + len(self._SLOT):]}'


def knowledge_document(kb: KnowledgeBase, provenance: Provenance) -> PgxKnowledge:
    """Every drug, recommendation and source of the knowledge base, as compact documents refer to them."""
    drugs, rules, ids = [], [], set()
    for name in sorted(kb.drugs):
        drug = kb.drugs[name]
        drugs.append(DrugKnowledge(drug=drug.drug, drug_class=drug.drug_class, genes=drug.genes,
                                   guideline=kb.sources[drug.guideline].id, record=f"drugs/{drug.drug}.yaml"))
        ids.add(drug.guideline)
        if drug.test_before_prescribing is not None:
            ids.update(drug.test_before_prescribing.sources)
        for index, rec in enumerate(drug.recommendations):
            cited = rule_citations(kb, drug, rec)
            ids.update(cited)
            ids.update(rec.written_for.sources if rec.written_for else [])
            rules.append(RuleKnowledge(id=rule_id(drug, index), drug=drug.drug, population=rec.population,
                                       implication=rec.implication, recommendation=rec.recommendation,
                                       strength=rec.strength, action=rec.action,
                                       alternatives=alternative_drugs(kb, rec),
                                       written_for=written_for(kb, rec.written_for), citations=cited))
        for other in drug.other_guidelines:
            for index, other_rec in enumerate(other.recommendations):
                cited = other_rule_citations(kb, other, other_rec)
                ids.update(cited)
                ids.update(other_rec.written_for.sources if other_rec.written_for else [])
                rules.append(RuleKnowledge(id=other_rule_id(drug, other, index), drug=drug.drug,
                                           population=other_rec.population, implication=other_rec.implication,
                                           recommendation=other_rec.recommendation, guideline_body=other.body,
                                           compared_with_cpic=other_rec.compared_with_cpic,
                                           difference=other_rec.difference, action=other_rec.action,
                                           written_for=written_for(kb, other_rec.written_for), citations=cited))
    genes = []
    for name in sorted(kb.genes):
        evidence = gene_evidence(kb, kb.genes[name])
        genes.append(GeneKnowledge(gene=name, evidence=evidence))
        ids.update(evidence.citations)
    if kb.phenoconversion is not None:
        ids.update(p.source for p in kb.phenoconversion.perpetrators)
        ids.update(s for rule in kb.phenoconversion.rules for s in rule.sources)
    return PgxKnowledge(knowledge=provenance.knowledge, knowledge_pack=kb.version_label, genes=genes, drugs=drugs,
                        rules=rules,
                        citations=[citation(kb, i) for i in sorted(ids) if i in kb.sources])


def knowledge_json(kb: KnowledgeBase, provenance: Provenance) -> str:
    return knowledge_document(kb, provenance).model_dump_json(indent=1)


def expand_compact(document: PgxCompactResult, knowledge: PgxKnowledge) -> PgxResult:
    """The full result a compact document and its knowledge document stand for (per-position genotypes stay the
    informative ones)."""
    drugs = {d.drug: d for d in knowledge.drugs}
    rules = {r.id: r for r in knowledge.rules}
    rows = []
    for row in document.drugs:
        drug = drugs[row.drug]
        rule = rules[row.rule] if row.rule is not None else None
        cited = list(dict.fromkeys((rule.citations if rule else [drug.guideline]) + row.testing_advice_sources))
        basis = [b.model_copy(update={"matched_on": b.phenotype}) if not b.matched_on and b.phenotype is not None
                 else b for b in row.basis]
        rows.append(DrugRecommendation(
            **row.model_dump(exclude={"basis"}), basis=basis, drug_class=drug.drug_class, genes=drug.genes,
            population=rule.population if rule else None, implication=rule.implication if rule else None,
            recommendation=rule.recommendation if rule else None, strength=rule.strength if rule else None,
            guideline=rule.citations[0] if rule and rule.guideline_body != "CPIC" else drug.guideline,
            guideline_body=rule.guideline_body if rule else "CPIC",
            compared_with_cpic=rule.compared_with_cpic if rule else None,
            difference=rule.difference if rule else None,
            action=rule.action if rule and row.status == "actionable" else None,
            alternatives=[a.model_copy() for a in rule.alternatives] if rule else [],
            written_for=rule.written_for.model_copy() if rule and rule.written_for else None,
            agreeing_guidelines=[rules[r].citations[0] for r in row.agreeing_rules],
            evidence=EvidenceRef(knowledge_pack=knowledge.knowledge_pack, record=drug.record, citations=cited)))
    evidence = {g.gene: g.evidence for g in knowledge.genes}
    genes: list[GeneResult] = [g.model_copy(update={"evidence": evidence.get(g.gene)}) for g in document.genes]
    used = set(cited_ids(genes, rows))
    return PgxResult(schema_version=document.schema_version, sample=document.sample, sex=document.sex,
                     medications=document.medications, genes=genes, drugs=rows, warnings=document.warnings,
                     citations=[c for c in knowledge.citations if c.id in used], provenance=document.provenance,
                     disclaimers=document.disclaimers)

