"""Rank diseases and genes for one proband: phenotype likelihood ratio x genotype likelihood ratio.

Pure: receives the loaded HPO knowledge, the phenotype profile, the proband's variants (optional)
and the preset; returns a :class:`RareResult`. File reading lives in ``io/``, orchestration in
``tailormed.pipelines.pgx``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from tailormed.kb.genes import GeneTable
from tailormed.kb.hpo import HpoKnowledge
from tailormed.kb.rare_preset import Preset
from tailormed.model.common import Provenance, Warning
from tailormed.model.rare import (
    DiseaseCandidate,
    FilterStep,
    GeneCandidate,
    PhenotypeProfile,
    RareResult,
    TermContribution,
    Variant,
    VariantEvidence,
    copy_number_region,
)
from tailormed.rare.acmg import PVS1_NO_DOSAGE_DATA, GeneContext, choose_transcript, null_consequence
from tailormed.rare.genotype import (
    CandidateAllele,
    Family,
    FilterCounts,
    ModeFit,
    background_scale,
    collect_candidates,
    evaluate_gene,
)
from tailormed.rare.phenotype import (
    RANKER_FEATURES,
    PhenotypeScores,
    explain,
    ranker_active,
    resolve_terms,
    score_phenotype,
)

RECESSIVE_MODES = frozenset({"autosomal_recessive", "x_linked_recessive", "x_linked"})


@dataclass
class GenotypeInput:
    """The proband's variants with the family around them."""

    variants: Sequence[Variant]
    family: Family
    source: str
    unannotated: list[str]


def gene_contexts(hpo: HpoKnowledge, lof_table: dict[str, str] | None = None,
                  known_missense: dict[str, dict[str, str]] | None = None,
                  known_variants: frozenset[str] = frozenset(), *, lof_source: str = "imported dosage table",
                  builtin_lof: dict[str, tuple[str, str]] | None = None,
                  haploinsufficient: frozenset[str] | None = None, triplosensitive: frozenset[str] | None = None,
                  builtin_ts: dict[str, str] | None = None) -> dict[str, GeneContext]:
    """Modes of inheritance per gene (union over its diseases) and its loss-of-function mechanism.

    The mechanism comes from an imported dosage-sensitivity table (``tailormed kb import
    clingen-dosage``) where it names the gene, else from the built-in curation (``builtin_lof``,
    ``kb/data/rare-dosage/lof_mechanism.tsv``), known pathogenic missense changes (PS1/PM5) from an
    imported ClinVar table (``tailormed kb import clinvar``); otherwise we take loss of function as established for
    genes with a recessive disease and as likely for dominant-only genes (PVS1 one step down);
    docs/acmg.md explains the consequences.

    Dosage sensitivity for copy-number records: a gene is established haploinsufficient when the imported table
    lists it with ClinGen HI score 3 (``haploinsufficient``; a table imported before that list was written falls
    back to its "established" mechanism, which also covers recessive-only genes, HI score 30), or when the
    built-in curation gives it an established mechanism; established triplosensitive when the imported table lists
    it with TS score 3 (``triplosensitive``) or the built-in curation does (``builtin_ts``,
    ``kb/data/rare-dosage/triplosensitivity.tsv``). An imported TS list replaces the built-in one.
    """
    contexts = {}
    curated = {gene: (mechanism, lof_source) for gene, mechanism in (lof_table or {}).items()}
    builtin = builtin_lof or {}
    for gene in hpo.genes:
        modes = frozenset(m for d in hpo.diseases_of_gene(gene) for m in hpo.disease_modes[d])
        default = "established" if modes & RECESSIVE_MODES else "likely" if modes else "unknown"
        mechanism, source = curated.get(gene) or builtin.get(gene) or (default, "")
        contexts[gene] = GeneContext(symbol=gene, modes=modes, lof_mechanism=mechanism,  # type: ignore[arg-type]
                                     known_pathogenic_protein_changes=(known_missense or {}).get(gene, {}),
                                     known_pathogenic_variants=known_variants, lof_source=source,
                                     hi_source=_hi_source(gene, mechanism, source, curated, haploinsufficient),
                                     ts_source=_ts_source(gene, lof_source, triplosensitive, builtin_ts))
    return contexts


def _hi_source(gene: str, mechanism: str, source: str, curated: dict[str, tuple[str, str]],
               haploinsufficient: frozenset[str] | None) -> str:
    if gene in curated and haploinsufficient is not None:
        return f"{source}, haploinsufficiency score 3" if gene in haploinsufficient else ""
    return source if mechanism == "established" and source else ""


def _ts_source(gene: str, imported: str, triplosensitive: frozenset[str] | None,
               builtin_ts: dict[str, str] | None) -> str:
    if triplosensitive is not None:
        return f"{imported}, triplosensitivity score 3" if gene in triplosensitive else ""
    return (builtin_ts or {}).get(gene, "")


def rank_case(profile: PhenotypeProfile, hpo: HpoKnowledge, preset: Preset, *, source: str,
              genotypes: GenotypeInput | None = None, contexts: dict[str, GeneContext] | None = None,
              gene_table: GeneTable | None = None, provenance: Provenance) -> RareResult:
    """The whole ranking for one proband (``gene_table``: exonic lengths for the per-gene background rate)."""
    phenotype_settings = preset.phenotype_settings()
    resolved = resolve_terms(profile.terms, hpo, source=source, settings=phenotype_settings,
                             coded_with=profile.hpo_version, onset=profile.onset)
    warnings = list(resolved.warnings)
    if not resolved.present:
        warnings.append(Warning(code="no_present_terms", message="no observed phenotype terms were scored; "
                                "the ranking rests on excluded terms and genotypes only"))
    mask, folded = ranked_diseases(hpo, preset)
    # The fitted ranker orders the phenotype-only differential; with genotypes it is the phenotype part only when the
    # preset says so (ranker_with_variants): its calibrated scores compress the diseases below its top 100, where the
    # ratio still separates a causal gene's weakly matching disease from decoys (docs/rare-disease.md, "With
    # variants"). Otherwise the ratio is the phenotype part, and the ranker (ranker_within_gene) only orders the
    # diseases that share a gene and its genotype fit among themselves (_split_within_genes).
    ratio_alone: dict[str, Any] = {"lr_weight": 1.0, **dict.fromkeys(RANKER_FEATURES.values(), 0.0)}
    within_gene = genotypes is not None and not phenotype_settings.ranker_with_variants and \
        phenotype_settings.ranker_within_gene and ranker_active(phenotype_settings)
    scoring = phenotype_settings if genotypes is None or phenotype_settings.ranker_with_variants or within_gene \
        else replace(phenotype_settings, **ratio_alone)
    scores = score_phenotype(resolved, hpo, scoring, mask)
    # What the genotype ratio is combined with: the ranker's score, or the log10 likelihood ratio
    phenotype_log10 = scores.total_log10_lr if within_gene else scores.ranking_log10
    analysis = preset.echo()

    genotype_lr = np.ones(hpo.n_diseases)
    fits: dict[int, ModeFit] = {}
    per_gene: dict[str, dict[int, float]] = {}
    candidates: dict[str, list[CandidateAllele]] = {}
    if genotypes is not None:
        contexts = contexts if contexts is not None else gene_contexts(hpo)
        candidates, counts = collect_candidates(genotypes.variants, genotypes.family, contexts,
                                                preset.genotype_settings())
        _record_counts(analysis, counts)
        genotype_lr, fits, per_gene = _genotype_ratios(hpo, candidates, genotypes.family, preset, gene_table)
        if gene_table is None and preset.genotype_settings().gene_background == "exonic_length":
            warnings.append(Warning(code="constant_gene_background", message=(
                "no gene table is installed (make gene-data, or tailormed kb import genes), so every gene was given "
                "the same chance rate of a qualifying allele instead of one scaled by its exonic length")))
        if counts.clinvar_kept or counts.clinvar_benign:
            listed = ", ".join(counts.clinvar_kept[:5]) + (" ..." if len(counts.clinvar_kept) > 5 else "")
            benign = (f"; {counts.clinvar_benign} more were let through and then classified benign (BA1)"
                      if counts.clinvar_benign else "")
            warnings.append(Warning(code="clinvar_pathogenic_kept", message=(
                f"{len(counts.clinvar_kept)} allele(s) that the consequence or frequency filter would have removed "
                f"are scored because the annotation gives them a ClinVar pathogenic or likely pathogenic "
                f"significance (keep_clinvar_pathogenic){': ' + listed if listed else ''}{benign}; their ACMG "
                "classification does not count that assertion")))
        if genotypes.unannotated:
            warnings.append(Warning(code="unannotated_variants", message=f"{len(genotypes.unannotated)} variant "
                                    "record(s) carry no CSQ/ANN annotation: kept, listed, but not scored"))

    total = phenotype_settings.weight * phenotype_log10 + np.log10(genotype_lr)
    total = np.where(mask, total, -np.inf)
    if within_gene:
        total = _split_within_genes(total, scores.ranking_log10, genotype_lr, fits)
    order = _order(total, hpo, int(mask.sum()))
    normaliser = _log10_normaliser(total)
    top = preset.output.top
    shown = order[:top]
    explanations = explain(shown, scores, hpo)
    diseases = [
        _candidate(rank, index, total, scores, genotype_lr, fits, hpo, normaliser, genotypes is not None,
                   explanations[rank - 1]).model_copy(update={
                       "folded_entries": [hpo.disease_ids[row] for row in folded.get(index, [])],
                       "folded_names": [hpo.disease_names[row] for row in folded.get(index, [])],
                       "folded_groups": [hpo.disease_ids[row] for row in folded.get(index, [])
                                         if row in hpo.orphanet_groups_into]})
        for rank, index in enumerate(shown, start=1)
    ]
    if genotypes is None:
        genes = _gene_ranking(order, total, hpo, normaliser, top)
    else:
        # With a VCF the gene list is the candidate list: genes carrying a qualifying allele (as in
        # Exomiser's output), each scored with its own genotype ratio; diseases keep the full differential.
        phenotype_part = np.where(mask, phenotype_settings.weight * phenotype_log10, -np.inf)
        genes = _candidate_genes(per_gene, phenotype_part, hpo, normaliser, top, candidates)
        warnings += _pvs1_default_warnings(genes, candidates, contexts or {})
        warnings += _not_lof_warnings(genes, candidates, contexts or {})
    return RareResult(
        score_basis="likelihood_ratio_split_by_ranker" if within_gene else
        "fitted_ranker" if ranker_active(scoring) else "likelihood_ratio",
        proband=profile,
        diseases=diseases,
        genes=genes,
        analysis=analysis,
        variants_considered=sum(len(v) for v in candidates.values()),
        unannotated_variants=genotypes.unannotated if genotypes else [],
        warnings=warnings,
        provenance=provenance,
    )


def ranked_diseases(hpo: HpoKnowledge, preset: Preset) -> tuple[npt.NDArray[np.bool_], dict[int, list[int]]]:
    """Which diseases are ranked (the preset's databases, Orphanet duplicates and groups folded into OMIM entries),
    and for each OMIM row the Orphanet rows folded into it."""
    mask = _database_mask(hpo, preset.databases)
    folded: dict[int, list[int]] = {}
    settings = preset.phenotype_settings()
    if "OMIM" not in preset.databases:
        return mask, folded
    into = {**(hpo.orphanet_folded_into if settings.fold_orphanet_duplicates else {}),
            **(hpo.orphanet_groups_into if settings.fold_orphanet_groups else {})}
    for orpha, omim_rows in into.items():
        mask[orpha] = False
        for row in omim_rows:
            folded.setdefault(row, []).append(orpha)
    return mask, folded


def _database_mask(hpo: HpoKnowledge, databases: Sequence[str]) -> npt.NDArray[np.bool_]:
    prefixes = tuple(f"{db}:" for db in databases)
    return np.fromiter((d.startswith(prefixes) for d in hpo.disease_ids), dtype=bool, count=hpo.n_diseases)


def _order(total: npt.NDArray[np.float64], hpo: HpoKnowledge, n_ranked: int) -> list[int]:
    """Diseases by score, best first; ties broken by disease id so output is reproducible."""
    ids = np.asarray(hpo.disease_ids)
    order = np.lexsort((ids, -total))
    return [int(i) for i in order[:n_ranked]]


def _split_within_genes(total: npt.NDArray[np.float64], ranker: npt.NDArray[np.float64],
                        genotype_lr: npt.NDArray[np.float64], fits: dict[int, ModeFit]) -> npt.NDArray[np.float64]:
    """Scores (log10) with each group of diseases that share a gene and its genotype fit re-ordered by the ranker.

    A group is the ranked diseases whose genotype ratio comes from the same gene with the same value (say Marfan
    syndrome and Marfan lipodystrophy syndrome on one FBN1 frameshift). The genotype evidence cannot tell them
    apart, and the likelihood ratio alone does not count the hallmark findings a disease has and the patient lacks;
    the fitted ranker does. So the group keeps its combined weight, ``sum 10^total`` over its members (the gene's
    share of the differential, as before), and that weight is split among the members by the ranker's softmax within
    the group: ``total_d = log10(sum_g 10^total) + ranker_d - log10(sum_g 10^ranker)``. The sum over the differential
    is unchanged, so every other disease keeps its post-test probability, and the gene ranking (computed on the
    composite ratio) is untouched. Diseases without a qualifying allele in their genes keep their composite ratio.
    """
    groups: dict[tuple[str, float], list[int]] = {}
    for disease, fit in fits.items():
        if fit.alleles and np.isfinite(total[disease]):
            groups.setdefault((fit.alleles[0].gene, float(genotype_lr[disease])), []).append(disease)
    split = total.copy()
    for members in groups.values():
        if len(members) < 2:
            continue
        rows = np.asarray(members)
        split[rows] = _log10_normaliser(total[rows]) + ranker[rows] - _log10_normaliser(ranker[rows])
    return split


def _record_counts(analysis: list[FilterStep], counts: FilterCounts) -> None:
    for step in analysis:
        if step.name == "quality_filter":
            step.removed = counts.failed_quality + counts.not_carried
            step.kept = counts.read - step.removed
        elif step.name == "consequence_filter":
            step.removed = counts.no_protein_effect
        elif step.name == "frequency_filter":
            step.removed = counts.too_common
        elif step.name == "acmg_classification":
            step.removed = counts.benign
            step.kept = counts.kept


def _genotype_ratios(hpo: HpoKnowledge, candidates: dict[str, list[CandidateAllele]], family: Family,
                     preset: Preset, gene_table: GeneTable | None = None,
                     ) -> tuple[npt.NDArray[np.float64], dict[int, ModeFit], dict[str, dict[int, float]]]:
    """Per disease: the best gene's genotype ratio and fit; per gene: its ratio for each of its diseases."""
    settings = preset.genotype_settings()
    ratios = np.full(hpo.n_diseases, settings.miss_lr)
    fits: dict[int, ModeFit] = {}
    per_gene: dict[str, dict[int, float]] = {}
    for gene, alleles in candidates.items():
        per_gene[gene] = {}
        scale = background_scale(gene, gene_table, settings)
        for disease in hpo.diseases_of_gene(gene):
            fit = evaluate_gene(alleles, hpo.disease_modes[disease], family, settings, scale=scale)
            per_gene[gene][disease] = fit.likelihood_ratio
            if fit.likelihood_ratio > ratios[disease]:
                ratios[disease] = fit.likelihood_ratio
                fits[disease] = fit
    return ratios, fits, per_gene


def _log10_normaliser(total: npt.NDArray[np.float64]) -> float:
    """log10 of the sum of ``10^total`` over its finite entries (all diseases: the sum of the composite likelihood
    ratios), a log-sum-exp safe from overflow."""
    finite = total[np.isfinite(total)]
    peak = float(finite.max()) if len(finite) else 0.0
    return peak + math.log10(float(np.sum(10.0 ** (finite - peak)))) if len(finite) else 0.0


def _posttest(log10_lr: float, log10_normaliser: float) -> float:
    """Post-test probability with a uniform pre-test probability over the ranked diseases, assuming
    exactly one of them explains the case: ``LR_d / sum(LR)`` (Bayes' theorem over the differential)."""
    if not math.isfinite(log10_lr):
        return 0.0
    return float(10.0 ** min(log10_lr - log10_normaliser, 0.0))


def _candidate(rank: int, index: int, total: npt.NDArray[np.float64], scores: PhenotypeScores,
               genotype_lr: npt.NDArray[np.float64], fits: dict[int, ModeFit], hpo: HpoKnowledge,
               normaliser: float, with_genotypes: bool, contributions: list[TermContribution]) -> DiseaseCandidate:
    fit = fits.get(index)
    gene = fit.alleles[0].gene if fit and fit.alleles else (hpo.disease_genes[index][0] if len(
        hpo.disease_genes[index]) == 1 else None)
    return DiseaseCandidate(
        rank=rank,
        disease_id=hpo.disease_ids[index],
        disease_name=hpo.disease_names[index],
        genes=hpo.disease_genes[index],
        gene=gene,
        inheritance=hpo.disease_modes[index],
        phenotype_lr=float(10 ** np.clip(scores.total_log10_lr[index], -300, 300)),
        genotype_lr=float(genotype_lr[index]) if with_genotypes else None,
        score=round(float(total[index]), 4),
        posttest_probability=_posttest(float(total[index]), normaliser),
        supporting_terms=[c for c in contributions if c.likelihood_ratio > 1.0],
        contradicting_terms=[c for c in contributions if c.likelihood_ratio < 1.0],
        variants=[_evidence(a) for a in fit.alleles] if fit else [],
        inheritance_fit=(f"{fit.mode.replace('_', ' ')}: {fit.explanation}" if fit else
                         ("no qualifying variant in the disease's gene(s)" if with_genotypes else None)),
    )


def _evidence(allele: CandidateAllele) -> VariantEvidence:
    transcript = choose_transcript(allele.variant, allele.gene)
    return VariantEvidence(
        variant=allele.variant.key,
        gene=allele.gene,
        hgvsc=transcript.hgvsc if transcript else None,
        hgvsp=transcript.hgvsp if transcript else None,
        consequence="&".join(transcript.consequences) if transcript else None,
        zygosity=allele.zygosity,
        gnomad_af=transcript.gnomad_af if transcript else None,
        acmg=allele.acmg,
        source=allele.variant.source,
        region=copy_number_region(allele.variant),
    )


def _candidate_genes(per_gene: dict[str, dict[int, float]], phenotype_part: npt.NDArray[np.float64],
                     hpo: HpoKnowledge, normaliser: float, top: int,
                     candidates: dict[str, list[CandidateAllele]]) -> list[GeneCandidate]:
    """Genes with qualifying alleles, each scored by its best disease with that gene's own genotype ratio;
    the phenotype and variant parts of that score are reported beside it, with the ClinVar statuses the
    annotation gives the gene's candidate variants."""
    scored = []
    for gene, ratios in per_gene.items():
        options = [(float(phenotype_part[d]) + math.log10(lr), hpo.disease_ids[d], float(phenotype_part[d]),
                    math.log10(lr)) for d, lr in ratios.items() if np.isfinite(phenotype_part[d])]
        if options:
            score, disease, phenotype, variant = max(options)
            scored.append((score, gene, disease, phenotype, variant))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [GeneCandidate(rank=rank, gene=gene, best_disease_id=disease, score=round(score, 4),
                          posttest_probability=_posttest(score, normaliser), phenotype_score=round(phenotype, 4),
                          variant_score=round(variant, 4), clinvar=_clinvar_statuses(candidates.get(gene, [])))
            for rank, (score, gene, disease, phenotype, variant) in enumerate(scored[:top], start=1)]


def _clinvar_statuses(alleles: list[CandidateAllele]) -> list[str]:
    """Distinct ClinVar significance terms the annotation (CSQ CLIN_SIG) gives any of the gene's alleles."""
    found: list[str] = []
    for allele in alleles:
        transcript = choose_transcript(allele.variant, allele.gene)
        for term in (transcript.clinvar if transcript else []):
            if term not in found:
                found.append(term)
    return found


def _variant_names(alleles: list[CandidateAllele]) -> str:
    """The alleles as a reader names them (protein change, else cDNA change, else the VCF key), sorted, once each."""
    names = set()
    for allele in alleles:
        evidence = _evidence(allele)
        names.add(evidence.hgvsp or evidence.hgvsc or allele.variant.key)
    return ", ".join(sorted(names))


def _not_lof_warnings(genes: list[GeneCandidate], candidates: dict[str, list[CandidateAllele]],
                      contexts: dict[str, GeneContext]) -> list[Warning]:
    """For each top gene curated ``not_lof`` (its disorders arise by gain of function) that carries a null variant:
    say that PVS1 was not applied and why, so the missing criterion is not read as an oversight."""
    notes = []
    for candidate in genes[:10]:
        context = contexts.get(candidate.gene)
        if context is None or context.lof_mechanism != "not_lof":
            continue
        null = [a for a in candidates.get(candidate.gene, [])
                if (transcript := choose_transcript(a.variant, a.gene)) is not None and null_consequence(transcript)]
        if null:
            notes.append(Warning(code="pvs1_not_applicable_gain_of_function", severity="info", message=(
                f"{candidate.gene} (rank {candidate.rank}): PVS1 was not applied to {_variant_names(null)}: "
                f"loss of function is not the mechanism of {candidate.gene}'s disorders, which arise by gain of "
                f"function ({context.lof_source}); a truncating variant here is not by itself evidence for them.")))
    return notes


def _pvs1_default_warnings(genes: list[GeneCandidate], candidates: dict[str, list[CandidateAllele]],
                           contexts: dict[str, GeneContext]) -> list[Warning]:
    """A prominent note for each top gene whose null variant got PVS1 one step down only because no dosage
    curation covers the gene (its class may be one step lower than a geneticist would call it)."""
    notes = []
    for candidate in genes[:10]:
        context = contexts.get(candidate.gene)
        if context is None or not context.lof_from_default or context.lof_mechanism != "likely":
            continue
        weakened = [a for a in candidates.get(candidate.gene, [])
                    if any(c.code == "PVS1" and PVS1_NO_DOSAGE_DATA in c.reason for c in a.acmg.criteria)]
        if weakened:
            names = _variant_names(weakened)
            notes.append(Warning(code="pvs1_weakened_no_dosage_data", severity="warning", message=(
                f"{candidate.gene} (rank {candidate.rank}): PVS1 was applied one step down for {names} because no "
                f"dosage-sensitivity curation covers {candidate.gene}; loss of function was only assumed likely "
                "from dominant inheritance, so the variant may be classed one step lower (e.g. VUS instead of "
                "likely pathogenic) than with ClinGen's curation. Import ClinGen dosage curations "
                "(tailormed kb import clingen-dosage) or review the gene's mechanism.")))
    return notes


def _gene_ranking(order: list[int], total: npt.NDArray[np.float64], hpo: HpoKnowledge, normaliser: float,
                  top: int) -> list[GeneCandidate]:
    """Each gene scored by its best disease, in disease order."""
    genes: list[GeneCandidate] = []
    seen: set[str] = set()
    for index in order:
        for gene in hpo.disease_genes[index]:
            if gene in seen:
                continue
            seen.add(gene)
            genes.append(GeneCandidate(rank=len(genes) + 1, gene=gene, best_disease_id=hpo.disease_ids[index],
                                       score=round(float(total[index]), 4),
                                       posttest_probability=_posttest(float(total[index]), normaliser)))
            if len(genes) >= top:
                return genes
    return genes

