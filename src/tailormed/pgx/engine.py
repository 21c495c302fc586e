"""The pharmacogenomics engine: genotype arrays and outside calls -> gene results -> drug guidance.

Pure: it receives parsed inputs and a loaded knowledge base; reading and writing
files is done by :mod:`tailormed.pipelines.pgx`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal, TypeVar

import numpy as np
import numpy.typing as npt

from tailormed.kb.pack import INDETERMINATE, KnowledgeBase, possible_phenotypes
from tailormed.model.common import Citation, Provenance, Warning
from tailormed.model.genotypes import GeneGenotypes, OutsideCall
from tailormed.model.pack import GeneDefinition
from tailormed.model.patient import Sex
from tailormed.model.pgx import (
    Diplotype,
    DrugRecommendation,
    EvidenceRef,
    GeneResult,
    PgxResult,
    PositionGenotype,
    format_score,
)
from tailormed.pgx.matcher import (
    REFERENCE_LABEL,
    MatchCall,
    VariantListCall,
    build_allele_table,
    build_core_table,
    genotype_row_keys,
    match_core_variants,
    match_haplotypes,
    match_independent_variants,
)
from tailormed.pgx.phenoconversion import apply_phenoconversion
from tailormed.pgx.phenotype import (
    PhenotypeCall,
    allele_function,
    allele_presence_keys,
    call_phenotype,
    current_name,
    legacy_alleles,
    phenotype_from_functions,
    phenotype_from_score,
)
from tailormed.pgx.recommend import RecommendationMemo, recommend
from tailormed.pgx.star import parse_star_diplotype

PositionDetail = Literal["all", "informative", "none"]
"""Which per-position genotypes a gene result lists: every examined position, only the informative ones (a
non-reference or unexpected allele, no call, a FILTER), or none (``calls.tsv`` needs none)."""

DISCLAIMERS = [
    "This report supports, and does not replace, clinical judgement. Recommendations summarise the cited "
    "guidelines in TailorMed's own words; read the guideline before acting.",
    "Only the variants listed as defining positions were examined. Copy-number and structural variants "
    "(e.g. CYP2D6 deletions, duplications and hybrids) cannot be seen in a VCF and need an outside call.",
    "A reference (e.g. *1) call means none of the examined variants was found; rare or novel variants elsewhere "
    "in the gene may still change function.",
    "Not validated for diagnostic use. For research and clinical decision support under local validation.",
]

PHENOCONVERSION_DISCLAIMER = (
    "Medications (phenoconversion): only the medications listed, and among them only the strong and moderate CYP2D6, "
    "CYP2C19 and CYP2C9 inhibitors and inducers the knowledge pack lists, were considered. Other drugs, weak "
    "inhibitors, dose and timing (an inhibitor started or stopped recently), and other causes of a changed phenotype "
    "(e.g. inflammation, liver disease) were not."
)


def gene_evidence(kb: KnowledgeBase, gene: GeneDefinition) -> EvidenceRef:
    """The record and sources of a gene result (the same for every sample)."""
    cached = kb.memo.get(("gene_evidence", gene.gene))
    if isinstance(cached, EvidenceRef):
        return cached
    ids = [s if isinstance(s, str) else s.id for s in gene.sources]
    origin = kb.gene_origin.get(gene.gene, kb.name)
    evidence = EvidenceRef(knowledge_pack=kb.version_label, record=f"{origin}:genes/{gene.gene}.yaml",
                           citations=[i for i in ids if i in kb.sources])
    kb.memo[("gene_evidence", gene.gene)] = evidence
    return evidence


def citation(kb: KnowledgeBase, source_id: str) -> Citation:
    """The knowledge base's source ``source_id`` as a result cites it."""
    cached = kb.memo.get(("citation", source_id))
    if isinstance(cached, Citation):
        return cached
    source = kb.sources[source_id]
    made = Citation(id=source.id, citation=source.citation, url=source.url, version=source.version)
    kb.memo[("citation", source_id)] = made
    return made


def cited_ids(genes: Sequence[GeneResult], drugs: Sequence[DrugRecommendation]) -> list[str]:
    """Every source id the gene results and drug rows refer to, once, sorted."""
    ids: set[str] = set()
    for g in genes:
        if g.evidence is not None:
            ids.update(g.evidence.citations)
        for e in g.phenoconversion:
            ids.add(e.source)
            ids.update(e.rule_sources)
    for d in drugs:
        if d.guideline:
            ids.add(d.guideline)
        if d.evidence is not None:
            ids.update(d.evidence.citations)
        ids.update(d.testing_advice_sources)
        ids.update(d.agreeing_guidelines)
        if d.written_for is not None:
            ids.update(d.written_for.sources)
        for e in d.phenoconversion:
            ids.add(e.source)
            ids.update(e.rule_sources)
    return sorted(ids)


def _position_genotypes(genotypes: GeneGenotypes, s: int, detail: PositionDetail) -> list[PositionGenotype]:
    if detail == "none":
        return []
    rows = []
    codes = genotypes.codes[s]
    informative_only = detail == "informative"
    for p, variant in enumerate(genotypes.variants):
        status = genotypes.position_status[p]
        if informative_only and status != "missing" and p not in genotypes.filtered and (
                (codes[p] == 0) | (codes[p] == -3)).all():
            continue  # homozygous (or hemizygous) reference, called or assumed
        bases = [variant.ref, *variant.alt]
        alleles: list[str | None] = []
        for code in codes[p]:
            if code == -3:
                continue
            if code == -1:
                alleles.append(None)
            elif code == -2:
                alleles.append("?")
            else:
                alleles.append(bases[code])
        if status == "called" and all(a is None for a in alleles):
            status = "missing"
        rows.append(PositionGenotype(variant_id=variant.id, position=variant.position, ref=variant.ref,
                                     alleles=alleles, phased=bool(genotypes.phased[s, p]),
                                     phase_set=int(genotypes.phase_set[s, p]) or None, status=status,
                                     filter=genotypes.filtered.get(p)))
    return rows


def _position_counts(genotypes: GeneGenotypes) -> dict[str, int]:
    return {"positions_examined": len(genotypes.variants),
            "positions_assumed_reference": sum(1 for st in genotypes.position_status if st == "assumed_reference")}


def _describe(variant_index: list[int], genotypes: GeneGenotypes) -> list[str]:
    out = []
    for p in variant_index:
        v = genotypes.variants[p]
        label = v.rsid or v.id
        out.append(f"{label} ({genotypes.gene} g.{v.position}{v.ref}>{'/'.join(v.alt)})")
    return out


def _haplotype_result(gene: GeneDefinition, genotypes: GeneGenotypes, s: int, call: MatchCall,
                      kb: KnowledgeBase, detail: PositionDetail = "all") -> GeneResult:
    warnings: list[Warning] = []
    missing = _describe(call.missing_positions, genotypes)
    diplotypes = []
    for names in call.diplotypes:
        funcs, values = zip(*(allele_function(gene, n) for n in names), strict=True)
        diplotypes.append(Diplotype(alleles=list(names), functions=[f or "" for f in funcs],
                                    activity_values=list(values), score=call.score,
                                    legacy_alleles=legacy_alleles(gene, names)))
    pheno = call_phenotype(gene, call.diplotypes)
    uncertain = False
    if missing:
        hidden = [a for a in call.cannot_exclude if not any(a in d for d in call.diplotypes)]
        uncertain = bool(hidden) or len(call.diplotypes) > 1
        text = f"{len(missing)} of {len(genotypes.variants)} defining positions have no genotype"
        if hidden:
            text += f"; cannot rule out {', '.join(hidden[:12])}{' ...' if len(hidden) > 12 else ''}"
        warnings.append(Warning(code="missing_positions", gene=gene.gene, message=text))
    if len(call.diplotypes) > 1 and call.phase_unknown:
        warnings.append(Warning(code="ambiguous_diplotype", gene=gene.gene,
                                message=f"phase unknown: the genotypes fit {len(call.diplotypes)} diplotypes, which "
                                        "this VCF cannot tell apart (those leaving fewer variants unexplained first): "
                                        + ", ".join("/".join(d) + _phenotype_in_brackets(gene, d)
                                                    for d in call.diplotypes[:12])
                                        + (" ..." if len(call.diplotypes) > 12 else "")))
    elif len(call.diplotypes) > 1:
        warnings.append(Warning(code="ambiguous_diplotype", gene=gene.gene,
                                message=f"{len(call.diplotypes)} diplotypes fit equally well: "
                                        + ", ".join("/".join(d) + _phenotype_in_brackets(gene, d)
                                                    for d in call.diplotypes)))
    unexplained = _describe(call.unexplained, genotypes)
    if call.phase_unknown and not call.diplotypes:
        warnings.append(Warning(code="too_many_unphased", gene=gene.gene, severity="warning",
                                message=f"{len(call.unexplained)} heterozygous sites without phase: too many "
                                        "arrangements to resolve; no diplotype called (give a phased VCF)"))
    elif gene.matching == "core_variants" and unexplained and call.diplotypes:
        warnings.append(Warning(code="unexplained_variants", gene=gene.gene,
                                message="variants that no fitting allele's definition includes (part of an allele "
                                        "found incomplete, or a novel allele): " + ", ".join(unexplained[:8])
                                        + (" ..." if len(unexplained) > 8 else "")))
    if not call.diplotypes and call.missing_positions and len(call.missing_positions) == len(genotypes.variants):
        warnings.append(Warning(code="no_data", gene=gene.gene, severity="warning",
                                message="no defining position has a genotype: not tested"))
    elif not call.diplotypes:
        unexpected = [f"{genotypes.variants[p].rsid or genotypes.variants[p].id}: {', '.join(a)}"
                      for p, a in genotypes.unexpected_alleles.items()]
        warnings.append(Warning(code="no_matching_diplotype", gene=gene.gene, severity="warning",
                                message="the genotypes match no pair of named alleles (novel allele or combination)"
                                + (f"; alleles not in any definition: {'; '.join(unexpected)}" if unexpected else "")))
    if call.heteroplasmy:
        warnings.append(Warning(code="heterozygous_haploid", gene=gene.gene,
                                message="heterozygous genotype where one copy was expected (heteroplasmy or a "
                                        "diploid call on chrX/chrM); the first allele was used"))
    if pheno.note and call.diplotypes:
        warnings.append(Warning(code="phenotype_note", gene=gene.gene, message=pheno.note, severity="info"))
    no_data = bool(call.missing_positions) and len(call.missing_positions) == len(genotypes.variants)
    return GeneResult(
        gene=gene.gene, source="vcf", tested=not no_data, diplotypes=diplotypes,
        phenotype=pheno.phenotype if call.diplotypes else None, activity_score=pheno.activity_score,
        lookup_keys=list(pheno.lookup_keys) if call.diplotypes else [],
        missing_positions=missing, uncertain_due_to_missing=uncertain, unexplained_variants=unexplained,
        genotypes=_position_genotypes(genotypes, s, detail), **_position_counts(genotypes),
        warnings=warnings + _site_warnings(gene, genotypes), evidence=gene_evidence(kb, gene))


def _phenotype_in_brackets(gene: GeneDefinition, diplotype: tuple[str, ...]) -> str:
    """`` (Intermediate Metabolizer, 1.0)``: one alternative's phenotype, for the ambiguity warning."""
    pheno = call_phenotype(gene, [diplotype])
    score = f", activity score {format_score(pheno.activity_score)}" if pheno.activity_score is not None else ""
    return f" ({pheno.phenotype}{score})"


STRUCTURAL_WARNING = "structural_variation_not_assessed"
"""The warning code of a VCF call of a gene whose structural variants a VCF cannot show (CYP2D6)."""


def _site_warnings(gene: GeneDefinition, genotypes: GeneGenotypes) -> list[Warning]:
    out = []
    if gene.structural_variation:
        out.append(Warning(code=STRUCTURAL_WARNING, gene=gene.gene, message=gene.structural_variation))
    if gene.vcf_caveat:
        out.append(Warning(code="vcf_caveat", gene=gene.gene, message=gene.vcf_caveat))
    for p, filt in genotypes.filtered.items():
        v = genotypes.variants[p]
        out.append(Warning(code="filtered_site", gene=gene.gene, severity="info",
                           message=f"{v.rsid or v.id} has FILTER={filt}; its genotype was used as called"))
    for p, ref in genotypes.ref_mismatch.items():
        v = genotypes.variants[p]
        out.append(Warning(code="reference_mismatch", gene=gene.gene,
                           message=f"{v.rsid or v.id}: VCF REF {ref} differs from GRCh38 {v.ref}; "
                                   "position treated as missing"))
    return out


def _variant_list_result(gene: GeneDefinition, genotypes: GeneGenotypes, s: int, call: VariantListCall,
                         kb: KnowledgeBase, detail: PositionDetail = "all") -> GeneResult:
    """Diplotype and phenotype for DPYD-style genes: each haplotype carries zero or more variant alleles."""
    reference = gene.reference_allele or REFERENCE_LABEL
    ref_function, ref_value = allele_function(gene, reference)
    haplotypes, proxy_notes = _resolve_proxies(gene, genotypes, call)
    labels, functions, values = [], [], []
    for hap in haplotypes:
        if not hap:
            labels.append(reference)
            functions.append(ref_function or "")
            values.append(ref_value)
            continue
        labels.append(hap[0] if len(hap) == 1 else "[" + " + ".join(hap) + "]")
        hap_funcs = [allele_function(gene, a) for a in hap]
        worst = min(hap_funcs, key=lambda fv: fv[1] if fv[1] is not None else 99.0)
        functions.append(worst[0] or "")
        values.append(min((v for _, v in hap_funcs if v is not None), default=None))
    warnings: list[Warning] = [Warning(code="proxy_variant", gene=gene.gene, message=m) for m in proxy_notes]
    if not call.phased:
        found = [a for hap in haplotypes for a in hap]
        warnings.append(Warning(code="unphased_variants", gene=gene.gene,
                                message=f"several variants found without phase ({', '.join(found)}); they were "
                                        "assumed to lie on different chromosomes"))
        if len(found) > 2:
            lowest = sorted(found, key=lambda a: allele_function(gene, a)[1] or 0.0)[:2]
            labels = lowest
            functions = [allele_function(gene, a)[0] or "" for a in lowest]
            values = [allele_function(gene, a)[1] for a in lowest]
    if call.unexpected_positions:
        warnings.append(Warning(code="undocumented_variant", gene=gene.gene,
                                message="alleles not in any definition at " + ", ".join(
                                    _describe(call.unexpected_positions, genotypes)) + "; treated as reference"))
    missing = _describe(call.missing_positions, genotypes)
    if missing:
        warnings.append(Warning(code="missing_positions", gene=gene.gene,
                                message=f"{len(missing)} of {len(genotypes.variants)} defining positions have no "
                                        "genotype; variants there cannot be ruled out"))
    if call.heteroplasmy:
        warnings.append(Warning(code="heterozygous_haploid", gene=gene.gene,
                                message="heterozygous genotype where one copy was expected (heteroplasmy or a "
                                        "diploid chrX/chrM call); the variant was counted"))
    if len(missing) == len(genotypes.variants):
        warnings.append(Warning(code="no_data", gene=gene.gene, severity="warning",
                                message="no defining position has a genotype: not tested"))
        return GeneResult(gene=gene.gene, source="vcf", tested=False, missing_positions=missing, warnings=warnings,
                          genotypes=_position_genotypes(genotypes, s, detail), **_position_counts(genotypes),
                          evidence=gene_evidence(kb, gene))
    if gene.phenotype_method == "activity_score":
        score = float(sum(v for v in values if v is not None)) if all(v is not None for v in values) else None
        phenotype = phenotype_from_score(gene, score) if score is not None else INDETERMINATE
        keys = [phenotype] + ([format_score(score)] if score is not None else [])
    else:
        score = None
        phenotype = phenotype_from_functions(gene, functions)
        keys = [phenotype]
    return GeneResult(
        gene=gene.gene, source="vcf", tested=True,
        diplotypes=[Diplotype(alleles=labels, functions=functions, activity_values=values)],
        phenotype=phenotype, activity_score=score, lookup_keys=keys, missing_positions=missing,
        uncertain_due_to_missing=bool(missing),
        genotypes=_position_genotypes(genotypes, s, detail), **_position_counts(genotypes),
        warnings=warnings + _site_warnings(gene, genotypes), evidence=gene_evidence(kb, gene))


def _resolve_proxies(gene: GeneDefinition, genotypes: GeneGenotypes,
                     call: VariantListCall) -> tuple[list[list[str]], list[str]]:
    """Apply ``proxy_for``: a tag variant counts only when the variant it tags could not be genotyped."""
    proxies = {a.name: a.proxy_for for a in gene.alleles if a.proxy_for}
    if not proxies:
        return call.haplotypes, []
    found = {name for hap in call.haplotypes for name in hap}
    index_of = {v.id: i for i, v in enumerate(genotypes.variants)}
    notes: list[str] = []
    dropped: set[str] = set()
    for tag, target in proxies.items():
        if tag not in found:
            continue
        target_def = next(a for a in gene.alleles if a.name == target)
        target_positions = [index_of[v] for v in target_def.defining if v in index_of]
        target_missing = any(p in call.missing_positions for p in target_positions)
        if target in found:
            dropped.add(tag)
            notes.append(f"{tag} tags {target}, which was also found: counted once")
        elif target_missing:
            notes.append(f"{target} was not genotyped; decreased function inferred from its tag {tag}")
        else:
            dropped.add(tag)
            notes.append(f"{tag} found without {target} (genotyped, reference): the tag alone is not counted")
    return [[a for a in hap if a not in dropped] for hap in call.haplotypes], notes


def call_genes_from_vcf(kb: KnowledgeBase, genotypes: dict[str, GeneGenotypes],
                        haploid_x: npt.NDArray[np.bool_] | None = None,
                        detail: PositionDetail = "all") -> list[dict[str, GeneResult]]:
    """Gene results for every sample, from genotype arrays of each gene (vectorised over samples).

    Samples with identical genotypes at a gene (alleles, phase, phase sets, ploidy) share one match and one
    (read-only) result object; without per-position genotypes, so do all samples sharing a call.
    """
    n_samples = next(iter(genotypes.values())).codes.shape[0] if genotypes else 0
    per_sample: list[dict[str, GeneResult]] = [{} for _ in range(n_samples)]
    for name, gene_genotypes in genotypes.items():
        gene = kb.genes[name]
        haploid = None
        if gene.inheritance == "mitochondrial":
            haploid = np.ones(n_samples, dtype=bool)
        elif gene.inheritance == "x_linked" and haploid_x is not None:
            haploid = haploid_x
        rows = genotype_row_keys(gene_genotypes, haploid)
        results: list[GeneResult]
        if gene.matching == "independent_variants":
            calls = match_independent_variants(gene, gene_genotypes, haploid, rows)
            results = _results_per_sample(_variant_list_result, calls, rows, gene, gene_genotypes, kb, detail)
        elif gene.matching == "core_variants":
            matches = match_core_variants(gene, gene_genotypes, rows, build_core_table(gene))
            results = _results_per_sample(_haplotype_result, matches, rows, gene, gene_genotypes, kb, detail)
        elif gene.matching == "haplotype":
            matches = match_haplotypes(gene, gene_genotypes, haploid, build_allele_table(gene), rows)
            results = _results_per_sample(_haplotype_result, matches, rows, gene, gene_genotypes, kb, detail)
        else:
            continue
        for s, result in enumerate(results):
            per_sample[s][name] = result
    return per_sample


_Call = TypeVar("_Call", MatchCall, VariantListCall)


def _results_per_sample(build: Callable[[GeneDefinition, GeneGenotypes, int, _Call, KnowledgeBase, PositionDetail],
                                        GeneResult],
                        calls: Sequence[_Call], rows: npt.NDArray[np.intp], gene: GeneDefinition,
                        genotypes: GeneGenotypes, kb: KnowledgeBase, detail: PositionDetail) -> list[GeneResult]:
    """One gene's result per sample, built once per distinct genotype row (per distinct call without genotypes)."""
    shared: dict[int, GeneResult] = {}
    results = []
    for s, call in enumerate(calls):
        key = id(call) if detail == "none" else int(rows[s])
        result = shared.get(key)
        if result is None:
            result = build(gene, genotypes, s, call, kb, detail)
            shared[key] = result
        results.append(result)
    return results


def result_from_outside_call(kb: KnowledgeBase, call: OutsideCall) -> GeneResult:
    """A gene result from an outside call, checked against the knowledge base."""
    gene = kb.genes[call.gene]
    warnings = [Warning(code="outside_call", gene=call.gene, severity="info",
                        message=f"result supplied by an outside call ({call.source})")]
    if call.note:
        warnings.append(Warning(code="outside_call_note", gene=call.gene, message=call.note))
    diplotypes: list[Diplotype] = []
    alleles = [a.strip() for a in call.diplotype.split("/")] if call.diplotype else []
    renamed = {a: current for a in alleles if (current := current_name(gene, a)) is not None}
    if renamed:
        alleles = [renamed.get(a, a) for a in alleles]
        warnings.append(Warning(code="legacy_allele_name", gene=call.gene, severity="info",
                                message="legacy allele name(s) read in the current nomenclature: "
                                        + ", ".join(f"{old} -> {new}" for old, new in renamed.items())))
    star = parse_star_diplotype(call.diplotype) if call.diplotype and gene.phenotype_method == "activity_score" \
        else None
    if star is not None and not star.unknown_alleles(gene) and any(
            len(h.parts) > 1 or h.parts[0][1] > 1 for h in star.haplotypes):
        # copy number or tandems (*1/*2x2, *4/*68+*4): each copy counts (CPIC)
        star_phenotype, star_score = star.phenotype(gene)
        diplotypes = [Diplotype(alleles=[h.label for h in star.haplotypes],
                                functions=[h.functions(gene) for h in star.haplotypes],
                                activity_values=[h.activity(gene) for h in star.haplotypes])]
        if call.activity_score is None and not call.phenotype:
            keys = (star_phenotype,) + ((format_score(star_score),) if star_score is not None else ())
            return GeneResult(gene=call.gene, source="outside_call", tested=True, diplotypes=diplotypes,
                              phenotype=star_phenotype, activity_score=star_score, lookup_keys=list(keys),
                              warnings=warnings, evidence=gene_evidence(kb, gene))
        alleles = []
    if alleles:
        diplotypes = [Diplotype(alleles=alleles, functions=[allele_function(gene, a)[0] or "" for a in alleles],
                                activity_values=[allele_function(gene, a)[1] for a in alleles],
                                legacy_alleles=legacy_alleles(gene, alleles))]
    if gene.phenotype_method == "allele_presence":
        keys = allele_presence_keys(gene, alleles) if alleles else ()
        if call.phenotype:
            keys = tuple(k for k in keys if not k.startswith(call.phenotype.split()[0])) + (call.phenotype,)
        return GeneResult(gene=call.gene, source="outside_call", tested=True, diplotypes=diplotypes,
                          phenotype="; ".join(keys) or None, lookup_keys=list(keys), warnings=warnings,
                          evidence=gene_evidence(kb, gene))
    pheno: PhenotypeCall | None = None
    if call.activity_score is not None and gene.phenotype_method == "activity_score":
        p = phenotype_from_score(gene, call.activity_score)
        pheno = PhenotypeCall(p, call.activity_score, (p, format_score(call.activity_score)))
    elif alleles and all(allele_function(gene, a)[0] is not None for a in alleles) and not call.phenotype:
        pheno = call_phenotype(gene, [tuple(alleles)])
    if call.phenotype:
        if call.phenotype not in possible_phenotypes(gene):
            warnings.append(Warning(code="unknown_phenotype", gene=call.gene,
                                    message=f"phenotype {call.phenotype!r} is not a {call.gene} phenotype the "
                                            "knowledge base uses; drug rules may not match"))
        if pheno is not None and pheno.phenotype != call.phenotype:
            warnings.append(Warning(code="phenotype_disagrees", gene=call.gene,
                                    message=f"outside phenotype {call.phenotype!r} differs from the one the "
                                            f"knowledge base gives for this call ({pheno.phenotype}); the outside "
                                            "phenotype was used"))
        score = call.activity_score if pheno is None else pheno.activity_score
        keys = (call.phenotype,) + ((format_score(score),) if score is not None else ())
        pheno = PhenotypeCall(call.phenotype, score, keys)
    if pheno is None:
        unknown = [a for a in alleles if allele_function(gene, a)[0] is None]
        warnings.append(Warning(code="unknown_allele", gene=call.gene,
                                message=f"allele(s) {', '.join(unknown)} not in the knowledge base; no phenotype"))
        pheno = PhenotypeCall(INDETERMINATE, None, (INDETERMINATE,))
    return GeneResult(gene=call.gene, source="outside_call", tested=True, diplotypes=diplotypes,
                      phenotype=pheno.phenotype,
                      activity_score=pheno.activity_score, lookup_keys=list(pheno.lookup_keys), warnings=warnings,
                      evidence=gene_evidence(kb, gene))


def merge_outside_calls(kb: KnowledgeBase, results: dict[str, GeneResult],
                        calls: Sequence[OutsideCall]) -> dict[str, GeneResult]:
    """Outside calls override VCF calls for the same gene; the override is recorded."""
    merged = dict(results)
    for call in calls:
        outside = result_from_outside_call(kb, call)
        previous = merged.get(call.gene)
        if previous is not None and previous.source == "vcf" and previous.diplotypes:
            outside.overridden_vcf_call = previous.diplotype_label
            outside.warnings.append(Warning(code="vcf_call_overridden", gene=call.gene,
                                            message=f"the VCF call {previous.diplotype_label} "
                                                    f"({previous.phenotype}) was replaced by the outside call"))
            outside.genotypes = previous.genotypes
            outside.positions_examined = previous.positions_examined
            outside.positions_assumed_reference = previous.positions_assumed_reference
        merged[call.gene] = outside
    return merged


def not_covered_result(kb: KnowledgeBase, gene: str) -> GeneResult:
    """A gene the input files do not cover: reported as not examined, never assumed reference (one read-only
    object per gene, shared by every sample)."""
    cached = kb.memo.get(("not_covered", gene))
    if isinstance(cached, GeneResult):
        return cached
    made = GeneResult(gene=gene, source="none", tested=False, evidence=gene_evidence(kb, kb.genes[gene]),
                      warnings=[Warning(code="not_covered", gene=gene, severity="warning",
                                        message="not tested: no input VCF has records near this gene "
                                                "(not assumed reference despite --missing-as-ref)")])
    kb.memo[("not_covered", gene)] = made
    return made


def _not_called_result(kb: KnowledgeBase, gene: GeneDefinition) -> GeneResult:
    """A gene no input was given for (one read-only object per gene, shared by every sample)."""
    cached = kb.memo.get(("not_called", gene.gene))
    if isinstance(cached, GeneResult):
        return cached
    reason = ("not tested: called only from an outside call, and none was supplied"
              if gene.matching == "outside_call_only" else "not tested: no genotype input for it")
    made = GeneResult(gene=gene.gene, source="none", tested=False, evidence=gene_evidence(kb, gene),
                      warnings=[Warning(code="not_called", gene=gene.gene, severity="info", message=reason)])
    kb.memo[("not_called", gene.gene)] = made
    return made


def build_result(kb: KnowledgeBase, sample: str, genes: dict[str, GeneResult], provenance: Provenance,
                 medications: list[str] | None = None, memo: RecommendationMemo | None = None,
                 sex: Sex = "unknown") -> PgxResult:
    """Assemble one sample's document: genes in pack order, drug guidance, warnings, provenance.

    ``memo`` (one per run) lets samples that share gene result objects share their drug rows. ``sex`` is the
    patient's recorded sex: rows whose wording is written for another sex carry a note (never dropped).
    """
    for name in kb.genes:
        if name not in genes:
            genes[name] = _not_called_result(kb, kb.genes[name])
    genes = apply_phenoconversion(kb, genes, medications)
    drugs: list[DrugRecommendation] = recommend(kb, genes, medications, memo, sex)
    ordered = [genes[n] for n in sorted(genes)]
    warnings = [Warning(code="assumption", message=a, severity="info") for a in provenance.assumptions]
    disclaimers = DISCLAIMERS + ([PHENOCONVERSION_DISCLAIMER] if medications else [])
    return PgxResult(sample=sample, sex=sex, medications=list(medications or []), genes=ordered, drugs=drugs,
                     warnings=warnings, citations=[citation(kb, i) for i in cited_ids(ordered, drugs)],
                     provenance=provenance, disclaimers=disclaimers)
