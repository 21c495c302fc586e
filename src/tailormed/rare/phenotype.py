"""Phenotype likelihood ratios, in the spirit of LIRICAL (Robinson et al., AJHG 2020).

For every disease ``d`` and every patient term ``h`` we estimate ``LR = P(h | d) / P(h | not d)``:

* the denominator is the background frequency of ``h`` over all diseases in the database
  (``HpoKnowledge.background``; floored so that very rare terms cannot give unbounded ratios);
* **exact / implied**: ``d`` is annotated to ``h`` or to a descendant of ``h`` (true-path rule):
  ``P(h | d)`` is the largest such annotation frequency;
* **related**: otherwise the most informative proper ancestor ``a`` of ``h`` that ``d`` has gives
  ``LR = P(a | d) / bg(a)`` times ``related_discount``: the patient's finding lies in a region of the
  phenotype where the disease has findings, but not the same one;
* **unrelated**: nothing shared below the organ-system level: ``LR = unrelated_lr``, the chance
  that a finding is incidental or missing from the annotations;
* a term the disease is explicitly annotated *not* to have (qualifier NOT) gives ``negated_lr``;
* the patient's **age of onset**, when the input states one, against the disease's annotated onset
  (``onset_mismatch_rate``; ``tailormed.rare.onset`` documents the periods and the ratio; ``null`` turns it off);
* an **excluded** term (the clinician checked and it is absent) counts only against diseases that show
  it with frequency >= ``excluded_min_frequency``: ``max(1 - P(h | d), excluded_floor) / (1 - bg(h))``.
  Clinicians list as absent the features of the diagnoses they considered, so the absence of an
  occasional feature is not evidence against a disease (docs/rare-disease.md gives the measurement).

The composite ratio is the product over terms (times ``weight`` in log space when genotypes are
combined); the engine turns it into a post-test probability over the ranked differential.

**Fitted ranker** (the default preset sets its weights; all 0 and ``lr_weight`` 1 give the ratio alone): the score
that orders the phenotype-only differential is ``lr_weight`` x the log10 ratio plus a weighted sum of per-disease
features (:func:`ranker_features`: the enrichment ``-log10 p`` of hpo3's ``batch_omim_disease_enrichment`` statistic,
shares of matched and unrelated patient terms, coverage of the disease's frequent findings, annotation size, a known
gene, and the capped log ranks by the ratio and by enrichment). The weights are a softmax ranker's, fitted on
the development phenopackets by ``benchmarks/rare_fit_ranker.py`` with gene-grouped cross-validation; they are in
log10 units, so the score is a calibrated log10 weight. The "post-test probability" is that score normalised over the
differential: a relative weight, not a strict Bayesian posterior. The per-term explanations still show each term's
likelihood ratio. With genotypes the ratio alone is the phenotype part unless ``ranker_with_variants`` is set
(docs/rare-disease.md has why and the figures); the ranker then orders only the diseases that share a gene and its
genotype fit (``ranker_within_gene``, ``tailormed.rare.engine``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.special import gammaln, logsumexp

from tailormed.errors import InputError
from tailormed.kb.hpo import HpoKnowledge, term_id, term_number
from tailormed.model.common import Warning
from tailormed.model.rare import PhenotypeSettings, PhenotypeTerm, TermContribution
from tailormed.rare.onset import disease_onset_label, onset_log10_lr, onset_name


@dataclass
class ResolvedTerms:
    """Patient terms mapped onto ontology columns, with what was changed or set aside."""

    present: list[int] = field(default_factory=list)
    excluded: list[int] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)
    onset: str | None = None  # HPO onset term of the patient's earliest onset, when stated


def resolve_terms(terms: list[PhenotypeTerm], hpo: HpoKnowledge, *, source: str,
                  settings: PhenotypeSettings = PhenotypeSettings(), coded_with: str | None = None,
                  onset: str | None = None) -> ResolvedTerms:
    """Map HPO ids to columns: obsolete ids to their replacement (warned), unknown ids refused.

    An id our ontology does not know is an error, unless the input says it was coded with a newer HPO
    release (``coded_with``, an ISO date): then the term is set aside with a warning.
    """
    resolved = ResolvedTerms(onset=onset if settings.onset_mismatch_rate is not None else None)
    for position, term in enumerate(terms):
        number = term_number(term.id)
        if number in hpo.obsolete:
            replacement = hpo.replaced_by.get(number)
            if replacement is None:
                raise InputError(f"{term.id} is obsolete in HPO {hpo.ontology_version} and has no replacement",
                                 source=source, location=f"phenotypicFeatures[{position}]")
            message = f"{term.id} is obsolete; used its replacement {term_id(replacement)}"
            resolved.warnings.append(Warning(code="obsolete_hpo_term", severity="warning", message=message))
            number = replacement
        column = hpo.index_of(number)
        if column is None and coded_with and coded_with > hpo.ontology_version:
            resolved.warnings.append(Warning(code="term_newer_than_ontology", message=(
                f"{term.id} is not in HPO {hpo.ontology_version}; the input was coded with HPO {coded_with}, "
                "so the term is newer than our ontology and is not scored")))
            continue
        if column is None:
            raise InputError(f"{term.id} is not a term of HPO {hpo.ontology_version}",
                             source=source, location=f"phenotypicFeatures[{position}]")
        if not hpo.phenotypic[column]:
            resolved.warnings.append(Warning(code="not_phenotypic_abnormality", severity="info",
                                             message=f"{term.id} ({hpo.name(column)}) is not under Phenotypic "
                                                     "abnormality (HP:0000118) and is not scored"))
            continue
        (resolved.excluded if term.excluded else resolved.present).append(column)
    resolved.present = sorted(set(resolved.present))
    resolved.excluded = sorted(set(resolved.excluded) - set(resolved.present))
    if settings.drop_redundant_ancestors:
        resolved.present = _most_specific(resolved.present, hpo)
    return resolved


def _most_specific(columns: list[int], hpo: HpoKnowledge) -> list[int]:
    """Drop terms that are ancestors of another present term (they add no information)."""
    implied: set[int] = set()
    for column in columns:
        implied.update(hpo.ancestors(column).tolist())
    return [c for c in columns if c not in implied]


@dataclass
class PhenotypeScores:
    """Per-term log10 likelihood ratios for every disease, and their sum."""

    present: list[int]
    excluded: list[int]
    term_log10_lr: npt.NDArray[np.float64]  # (terms, diseases): present, then excluded, then the onset row
    total_log10_lr: npt.NDArray[np.float64]  # (diseases,)
    onset: str | None = None  # when set, the last row of term_log10_lr is the onset's
    enrichment: npt.NDArray[np.float64] | None = None  # (diseases,) -log10 p of the set test, when the ranker is on
    #: (diseases,) the fitted ranker's adjustment in log10 units (sum of weight x feature), when one is set
    adjustment: npt.NDArray[np.float64] | None = None

    lr_weight: float = 1.0  # the ranker's weight of the log10 likelihood ratio

    @property
    def ranking_log10(self) -> npt.NDArray[np.float64]:
        """What ranks diseases: the log10 ratio, or, with the fitted ranker's weights set, ``lr_weight`` x the log10
        ratio plus the weighted sum of the other features (:func:`ranker_features`)."""
        if self.adjustment is None:
            return self.total_log10_lr
        return self.lr_weight * self.total_log10_lr + self.adjustment


#: The ranker's features beside the log10 likelihood ratio, each with its PhenotypeSettings weight (log10 units).
RANKER_FEATURES: dict[str, str] = {
    "enrichment": "enrichment_weight",
    "matched_share": "matched_share_weight",
    "unrelated_share": "unrelated_share_weight",
    "frequent_coverage": "frequent_coverage_weight",
    "frequent_missed": "frequent_missed_weight",
    "annotation_size": "annotation_size_weight",
    "gene_known": "gene_known_weight",
    "resnik_patient": "resnik_patient_weight",
    "resnik_disease": "resnik_disease_weight",
    "lr_rank": "lr_rank_weight",
    "enrichment_rank": "enrichment_rank_weight",
    "ic_matched_share": "ic_matched_share_weight",
    "matched_frequency": "matched_frequency_weight",
    "excluded_annotated": "excluded_annotated_weight",
    "onset_log10_lr": "onset_log10_lr_weight",
    "gene_best_rank": "gene_best_rank_weight",
    "gene_best_enrichment_rank": "gene_best_enrichment_rank_weight",
    "gene_diseases": "gene_diseases_weight",
    "enrichment_x_annotation_size": "enrichment_x_annotation_size_weight",
    "matched_share_x_annotation_size": "matched_share_x_annotation_size_weight",
}
#: Products of two features (interactions): how much a signal is worth depends on how richly the disease is annotated.
RANKER_PRODUCTS: dict[str, tuple[str, str]] = {
    "enrichment_x_annotation_size": ("enrichment", "annotation_size"),
    "matched_share_x_annotation_size": ("matched_share", "annotation_size"),
}
FREQUENT = 0.3  # a disease's "frequent" findings: annotated with frequency >= 30%
RANK_CAP = 101  # rank features: log10 of the rank, capped here (every disease below the top 100 counts the same)


def ranker_features(resolved: ResolvedTerms, scores: PhenotypeScores, hpo: HpoKnowledge,
                    settings: PhenotypeSettings, ranked: npt.NDArray[np.bool_] | None = None,
                    needed: frozenset[str] | None = None) -> dict[str, npt.NDArray[np.float64]]:
    """Per-disease features of the fitted ranker (docs/rare-disease.md, benchmarks/rare_fit_ranker.py):

    * ``enrichment``: ``-log10 p`` of the term-set test (:func:`enrichment_log10`);
    * ``matched_share``: share of the patient's terms the disease has exactly or implied (true-path rule);
    * ``unrelated_share``: share of the patient's terms with nothing shared below the organ level (``unrelated_lr``);
    * ``frequent_coverage``: share of the disease's frequent (>= 30%) annotated terms that the patient has, or has a
      descendant or an ancestor of (0 when the disease has none);
    * ``frequent_missed``: ``log10(1 + number of those frequent terms not covered)``;
    * ``annotation_size``: ``log10(1 + number of terms the disease is annotated to, with ancestors)``;
    * ``gene_known``: 1 when the disease is linked to a gene;
    * ``resnik_patient`` / ``resnik_disease``: the two halves of Resnik's best-match average (Resnik 1995; as in
      Phenomizer, Köhler et al. 2009): the mean over the patient's terms of the information content of the most
      informative ancestor each shares with the disease's annotations, and the mean over the disease's directly
      annotated terms of the same towards the patient's terms (IC = -ln share of diseases annotated, with the
      true-path rule);
    * ``lr_rank`` / ``enrichment_rank``: ``log10`` of the disease's rank by the log10 likelihood ratio / by the
      enrichment signal among the ``ranked`` diseases (all when None; ties by disease id, as the output orders
      them), capped at RANK_CAP (101): a rank fusion that is robust to the likelihood ratio's overconfidence;
    * ``ic_matched_share``: ``matched_share`` with each patient term weighted by its information content;
    * ``matched_frequency``: mean over the patient's terms of the disease's annotation frequency of the term (with the
      true-path rule; 0 when not matched);
    * ``excluded_annotated``: number of the patient's excluded terms the disease is annotated to (any frequency);
    * ``onset_log10_lr``: the onset row of the likelihood ratio (0 when the input states no onset);
    * ``gene_best_rank`` / ``gene_best_enrichment_rank``: the best (smallest) capped log rank, by the ratio / by
      enrichment, of any ranked disease that shares a gene with this one (its own rank when it has no gene): the
      gene-level view, which lifts a weakly matching disease of a gene whose other disease matches well;
    * ``gene_diseases``: ``log10(1 +`` the ranked diseases sharing a gene with this one``)``;
    * ``enrichment_x_annotation_size``, ``matched_share_x_annotation_size``: products (:data:`RANKER_PRODUCTS`).

    ``needed`` limits the work to those features (all when None; the enrichment signal is always computed).
    """
    want = frozenset(RANKER_FEATURES) if needed is None else needed
    want = want | {factor for name in want & set(RANKER_PRODUCTS) for factor in RANKER_PRODUCTS[name]}
    present = resolved.present
    n = len(present)
    features: dict[str, npt.NDArray[np.float64]] = {}
    features["enrichment"] = enrichment_log10(present, hpo) if scores.enrichment is None else scores.enrichment
    # The disease's annotation frequency of each patient term (true-path rule), read once for the match features.
    frequency = hpo.closure[:, present].toarray() if n and want & {
        "matched_share", "unrelated_share", "ic_matched_share", "matched_frequency"} else None
    if want & {"matched_share", "unrelated_share"}:
        if frequency is not None:
            features["matched_share"] = (frequency > 0).sum(axis=1) / n
            unrelated = np.isclose(scores.term_log10_lr[:n], math.log10(settings.unrelated_lr))
            features["unrelated_share"] = unrelated.sum(axis=0) / n
        else:
            features["matched_share"] = features["unrelated_share"] = np.zeros(hpo.n_diseases)
    if want & {"frequent_coverage", "frequent_missed"}:
        _frequent_features(present, hpo, features)
    _, sizes, _ = hpo.annotation_sizes
    features["annotation_size"] = np.log10(1.0 + sizes)
    features["gene_known"] = hpo.memo("ranker_gene_known", lambda: np.array(
        [1.0 if genes else 0.0 for genes in hpo.disease_genes]))
    if want & {"resnik_patient", "resnik_disease"}:
        features["resnik_patient"], features["resnik_disease"] = _resnik_halves(present, hpo)
    mask = np.ones(hpo.n_diseases, dtype=bool) if ranked is None else ranked
    if want & {"lr_rank", "gene_best_rank"}:
        features["lr_rank"] = capped_log_rank(scores.total_log10_lr, mask, hpo)
    if want & {"enrichment_rank", "gene_best_enrichment_rank"}:
        features["enrichment_rank"] = capped_log_rank(features["enrichment"], mask, hpo)
    if want & {"ic_matched_share", "matched_frequency"}:
        _match_weight_features(present, frequency, hpo, features)
    if "excluded_annotated" in want:
        excluded = resolved.excluded
        features["excluded_annotated"] = np.asarray((hpo.closure[:, excluded] > 0).sum(axis=1), dtype=np.float64
                                                    ).ravel() if excluded else np.zeros(hpo.n_diseases)
    if "onset_log10_lr" in want:
        features["onset_log10_lr"] = scores.term_log10_lr[-1].copy() if scores.onset is not None else \
            np.zeros(hpo.n_diseases)
    if "gene_best_rank" in want:
        features["gene_best_rank"] = gene_best(features["lr_rank"], mask, hpo)
    if "gene_best_enrichment_rank" in want:
        features["gene_best_enrichment_rank"] = gene_best(features["enrichment_rank"], mask, hpo)
    if "gene_diseases" in want:
        features["gene_diseases"] = np.log10(1.0 + _sharing(hpo) @ mask.astype(np.float64))
    for name, (left, right) in RANKER_PRODUCTS.items():
        if name in want:
            features[name] = features[left] * features[right]
    return features


def _match_weight_features(present: list[int], frequency: npt.NDArray[np.float64] | None, hpo: HpoKnowledge,
                           features: dict[str, npt.NDArray[np.float64]]) -> None:
    """``frequency``: (diseases x patient terms) annotation frequencies, None when the patient has no terms."""
    if frequency is None:
        features["ic_matched_share"] = features["matched_frequency"] = np.zeros(hpo.n_diseases)
        return
    ic = _information_content(hpo)[present]
    features["ic_matched_share"] = (frequency > 0) @ ic / max(float(ic.sum()), 1e-9)
    features["matched_frequency"] = frequency.mean(axis=1)


def _gene_links(hpo: HpoKnowledge) -> sparse.csr_matrix:
    """0/1 (disease x gene) of the diseases' genes."""
    def build() -> sparse.csr_matrix:
        genes = {symbol: j for j, symbol in enumerate(hpo.genes)}
        rows = [i for i, symbols in enumerate(hpo.disease_genes) for _ in symbols]
        columns = [genes[symbol] for symbols in hpo.disease_genes for symbol in symbols]
        return sparse.csr_matrix((np.ones(len(rows)), (rows, columns)), shape=(hpo.n_diseases, len(genes)))
    return hpo.memo("ranker_gene_links", build)


def _sharing(hpo: HpoKnowledge) -> sparse.csr_matrix:
    """0/1 (disease x disease): the two share a gene (a disease with genes shares with itself)."""
    def build() -> sparse.csr_matrix:
        links = _gene_links(hpo)
        return ((links @ links.T) > 0).astype(np.float64).tocsr()
    return hpo.memo("ranker_gene_sharing", build)


def gene_best(log_rank: npt.NDArray[np.float64], ranked: npt.NDArray[np.bool_],
              hpo: HpoKnowledge) -> npt.NDArray[np.float64]:
    """Per disease, the smallest ``log_rank`` among the ranked diseases sharing a gene with it, or its own value
    when it has no gene (or no ranked disease shares one)."""
    goodness = np.where(ranked, math.log10(RANK_CAP) + 1.0 - log_rank, 0.0)  # > 0 for ranked diseases
    best = np.asarray(_sharing(hpo).multiply(goodness[np.newaxis, :]).max(axis=1).toarray()).ravel()
    return np.asarray(np.where(best > 0, np.minimum(log_rank, math.log10(RANK_CAP) + 1.0 - best), log_rank),
                      dtype=np.float64)


def _frequent_features(present: list[int], hpo: HpoKnowledge, features: dict[str, npt.NDArray[np.float64]]) -> None:
    frequent, n_frequent = _frequent_terms(hpo)
    covered_columns = _related_columns(present, hpo)
    covered = np.asarray(frequent[:, covered_columns].sum(axis=1)).ravel() if len(covered_columns) else \
        np.zeros(hpo.n_diseases)
    features["frequent_coverage"] = np.divide(covered, n_frequent, out=np.zeros(hpo.n_diseases),
                                              where=n_frequent > 0)
    features["frequent_missed"] = np.log10(1.0 + n_frequent - covered)


def capped_log_rank(score: npt.NDArray[np.float64], ranked: npt.NDArray[np.bool_],
                    hpo: HpoKnowledge, cap: int = RANK_CAP) -> npt.NDArray[np.float64]:
    """``log10(min(rank, cap))`` of each disease by ``score`` (best first, ties by disease id) among the
    ``ranked`` diseases; diseases that are not ranked get the cap."""
    id_order = hpo.memo("disease_id_order", lambda: np.argsort(np.argsort(np.asarray(hpo.disease_ids))))
    rows = np.nonzero(ranked)[0]
    order = rows[np.lexsort((id_order[rows], -score[rows]))]
    ranks = np.full(hpo.n_diseases, float(cap))
    ranks[order] = np.minimum(np.arange(1, len(order) + 1), cap)
    return np.asarray(np.log10(ranks), dtype=np.float64)


def _information_content(hpo: HpoKnowledge) -> npt.NDArray[np.float64]:
    """``-ln`` of the share of diseases annotated to each term (true-path rule); unannotated terms get the
    largest value (one disease's worth)."""
    def build() -> npt.NDArray[np.float64]:
        binary, _, _ = hpo.annotation_sizes
        counts = np.asarray(binary.sum(axis=0), dtype=np.float64).ravel()
        return np.asarray(-np.log(np.maximum(counts, 1.0) / hpo.n_diseases), dtype=np.float64)
    return hpo.memo("ranker_information_content", build)


def _resnik_halves(present: list[int], hpo: HpoKnowledge
                   ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Patient-to-disease and disease-to-patient halves of Resnik's best-match average, for every disease."""
    if not present:
        return np.zeros(hpo.n_diseases), np.zeros(hpo.n_diseases)
    ic = _information_content(hpo)
    binary, _, _ = hpo.annotation_sizes
    patient = np.zeros(hpo.n_diseases)
    shared = np.zeros(len(ic))  # IC of every ancestor-or-self of a patient term, 0 elsewhere
    for column in present:
        columns = np.concatenate([[column], _informative_ancestors(column, hpo)]).astype(np.int64)
        shared[columns] = ic[columns]
        best = binary[:, columns].multiply(ic[columns][np.newaxis, :]).tocsr().max(axis=1)
        patient += np.asarray(best.toarray(), dtype=np.float64).ravel()
    # per term t: the most informative ancestor-or-self of t that is also one of a patient term's
    ancestors_of = hpo.descends_from
    via_ancestor = np.asarray(ancestors_of.multiply(shared[np.newaxis, :]).max(axis=1).toarray()).ravel()
    best_per_term = np.maximum(shared, via_ancestor)
    direct, n_direct = _direct_terms(hpo)
    disease = np.divide(direct @ best_per_term, n_direct, out=np.zeros(hpo.n_diseases), where=n_direct > 0)
    return patient / len(present), np.asarray(disease, dtype=np.float64)


def _direct_terms(hpo: HpoKnowledge) -> tuple[sparse.csr_matrix, npt.NDArray[np.float64]]:
    """0/1 (disease x term) of direct (non-negated) annotations and their count per disease."""
    def build() -> tuple[sparse.csr_matrix, npt.NDArray[np.float64]]:
        direct = (hpo.direct > 0).astype(np.float64).tocsr()
        return direct, np.asarray(direct.sum(axis=1), dtype=np.float64).ravel()
    return hpo.memo("ranker_direct_terms", build)


def _frequent_terms(hpo: HpoKnowledge) -> tuple[sparse.csc_matrix, npt.NDArray[np.float64]]:
    """0/1 (disease x term) of direct annotations with frequency >= FREQUENT, and their count per disease."""
    def build() -> tuple[sparse.csc_matrix, npt.NDArray[np.float64]]:
        frequent = (hpo.direct >= FREQUENT).astype(np.float64).tocsc()
        return frequent, np.asarray(frequent.sum(axis=1), dtype=np.float64).ravel()
    return hpo.memo("ranker_frequent_terms", build)


def _related_columns(present: list[int], hpo: HpoKnowledge) -> npt.NDArray[np.int64]:
    """The patient's terms with all their ancestors and descendants (columns)."""
    if not present:
        return np.zeros(0, dtype=np.int64)
    descendants_of = hpo.memo("descends_from_csc", hpo.descends_from.tocsc)
    columns = set(present)
    for column in present:
        columns.update(int(a) for a in hpo.ancestors(column))
    columns.update(int(r) for r in descendants_of[:, present].indices)
    return np.fromiter(sorted(columns), dtype=np.int64)


def ranker_adjustment(features: dict[str, npt.NDArray[np.float64]],
                      settings: PhenotypeSettings) -> npt.NDArray[np.float64] | None:
    """Sum of weight x feature (log10 units), or None when every weight is 0 (the likelihood ratio alone)."""
    weights = {name: float(getattr(settings, field_name)) for name, field_name in RANKER_FEATURES.items()}
    if not any(weights.values()):
        return None
    total = np.zeros(len(next(iter(features.values()))))
    for name, weight in weights.items():
        if weight:
            total = total + weight * features[name]
    return total


def ranker_needs(settings: PhenotypeSettings) -> frozenset[str]:
    """The ranker's features with a non-zero weight."""
    return frozenset(name for name, field_name in RANKER_FEATURES.items() if getattr(settings, field_name))


def ranker_active(settings: PhenotypeSettings) -> bool:
    """Whether any of the ranker's weights is set (otherwise the likelihood ratio alone ranks)."""
    return bool(ranker_needs(settings))


def enrichment_log10(present: list[int], hpo: HpoKnowledge) -> npt.NDArray[np.float64]:
    """``-log10 p`` per disease of the hypergeometric test that it shares this many of the patient's terms."""
    if not present:
        return np.zeros(hpo.n_diseases)
    binary, sizes, n_terms = hpo.annotation_sizes
    shared = np.asarray(binary[:, present].sum(axis=1), dtype=np.float64).ravel()
    log_p: npt.NDArray[np.float64] = _log_hypergeom_sf(shared, n_terms, sizes, len(present))
    return np.asarray(-log_p / math.log(10.0), dtype=np.float64)


def _log_ln_choose(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    valid = (b >= 0) & (b <= a)
    with np.errstate(invalid="ignore"):
        value = gammaln(a + 1) - gammaln(b + 1) - gammaln(a - b + 1)
    return np.where(valid, value, -np.inf)


def _log_hypergeom_sf(k: npt.NDArray[np.float64], population: int, successes: npt.NDArray[np.float64],
                      draws: int) -> npt.NDArray[np.float64]:
    """``ln P(X >= k)`` for X ~ Hypergeometric(population, successes, draws), vectorised over ``successes`` and
    ``k`` (scipy's ``hypergeom.sf`` takes about 0.5 s for 13,000 diseases; the patient's few terms make the sum
    over ``j = 0..draws`` short)."""
    j = np.arange(draws + 1, dtype=np.float64)[:, np.newaxis]
    log_pmf = (_log_ln_choose(successes[np.newaxis, :], j) +
               _log_ln_choose(population - successes[np.newaxis, :], draws - j) -
               float(gammaln(population + 1) - gammaln(draws + 1) - gammaln(population - draws + 1)))
    log_pmf = np.where(j >= k[np.newaxis, :], log_pmf, -np.inf)
    with np.errstate(divide="ignore"):
        result = logsumexp(log_pmf, axis=0)
    return np.asarray(np.minimum(result, 0.0), dtype=np.float64)


def score_phenotype(resolved: ResolvedTerms, hpo: HpoKnowledge,
                    settings: PhenotypeSettings = PhenotypeSettings(),
                    ranked: npt.NDArray[np.bool_] | None = None) -> PhenotypeScores:
    """Likelihood ratio of every disease for every patient term (vectorised over diseases), and, when the ranker's
    weights are set, its features and weighted sum (rank features among the ``ranked`` diseases)."""
    rows = [_present_lr(column, hpo, settings) for column in resolved.present]
    rows += [_excluded_lr(column, hpo, settings) for column in resolved.excluded]
    matrix = np.log10(np.vstack(rows)) if rows else np.zeros((0, hpo.n_diseases))
    if resolved.onset is not None and settings.onset_mismatch_rate is not None:
        onset_row = onset_log10_lr(hpo, resolved.onset, settings.onset_mismatch_rate)
        matrix = np.vstack([matrix, onset_row[np.newaxis, :]])
    scores = PhenotypeScores(resolved.present, resolved.excluded, matrix, matrix.sum(axis=0), onset=resolved.onset,
                             lr_weight=settings.lr_weight)
    if ranker_active(settings):
        features = ranker_features(resolved, scores, hpo, settings, ranked, ranker_needs(settings))
        scores.enrichment = features["enrichment"]
        scores.adjustment = ranker_adjustment(features, settings)
    return scores


def _background(hpo: HpoKnowledge, columns: npt.NDArray[np.int32] | list[int],
                settings: PhenotypeSettings) -> npt.NDArray[np.float64]:
    return np.maximum(hpo.background[columns], settings.background_floor)


def _present_lr(column: int, hpo: HpoKnowledge, settings: PhenotypeSettings) -> npt.NDArray[np.float64]:
    exact = hpo.closure[:, [column]].toarray().ravel() / _background(hpo, [column], settings)[0]
    ancestors = _informative_ancestors(column, hpo)
    lr = np.full(hpo.n_diseases, settings.unrelated_lr)
    if len(ancestors):
        background = _background(hpo, ancestors, settings)
        related = hpo.closure[:, ancestors].toarray() / background
        lr = np.maximum(lr, related.max(axis=1) * settings.related_discount)
    lr = np.where(exact > 0, np.maximum(exact, lr), lr)
    negated = hpo.negated[:, [column]].toarray().ravel() > 0
    return np.where(negated, settings.negated_lr, lr)


def _informative_ancestors(column: int, hpo: HpoKnowledge) -> npt.NDArray[np.int32]:
    """Proper ancestors below Phenotypic abnormality (the root and HP:0000118 say nothing)."""
    ancestors = hpo.ancestors(column)
    return ancestors[hpo.phenotypic[ancestors]]


def _excluded_lr(column: int, hpo: HpoKnowledge, settings: PhenotypeSettings) -> npt.NDArray[np.float64]:
    frequency = hpo.closure[:, [column]].toarray().ravel().astype(np.float64)
    background = min(float(hpo.background[column]), 0.99)
    absent = np.maximum(1.0 - frequency, settings.excluded_floor)
    counts = frequency >= settings.excluded_min_frequency
    return np.where(counts, absent / (1.0 - background), 1.0)


def explain(diseases: list[int], scores: PhenotypeScores, hpo: HpoKnowledge) -> list[list[TermContribution]]:
    """Per-term contributions for each of ``diseases`` (for the report), terms in scoring order.

    Works on dense slices of the annotation matrices for just these diseases and terms.
    """
    columns = scores.present + scores.excluded
    if not diseases or not columns:
        return [[] for _ in diseases]
    closure = hpo.closure_rows[diseases]
    exact = closure[:, columns].toarray()
    direct = hpo.direct_rows[diseases][:, columns].toarray()
    negated = hpo.negated_rows[diseases][:, columns].toarray()
    related = [_best_related(closure, column, hpo) for column in scores.present]
    result = []
    for i, disease in enumerate(diseases):
        contributions = []
        for j, column in enumerate(columns):
            excluded = j >= len(scores.present)
            if excluded:
                match, through = ("excluded_annotated" if exact[i, j] > 0 else "excluded_absent"), None
            elif negated[i, j] > 0:
                match, through = "not_annotated", None
            elif direct[i, j] > 0 or exact[i, j] > 0:
                match, through = ("exact" if direct[i, j] > 0 else "implied"), None
            else:
                through = related[j][i]
                match = "related" if through else "unrelated"
            contributions.append(TermContribution(
                term=term_id(int(hpo.term_numbers[column])), label=hpo.name(column), excluded=excluded,
                match=match, matched_term=through,
                likelihood_ratio=float(10 ** scores.term_log10_lr[j, disease])))
        if scores.onset is not None:
            contributions.append(_onset_contribution(scores.onset, scores, disease, hpo))
        result.append(contributions)
    return result


def _onset_contribution(onset: str, scores: PhenotypeScores, disease: int, hpo: HpoKnowledge) -> TermContribution:
    ratio = float(10 ** scores.term_log10_lr[-1, disease])  # the onset row is the last
    stated = disease_onset_label(hpo, disease)
    match = "onset_not_annotated" if stated is None else ("onset_fits" if ratio >= 1.0 else "onset_differs")
    return TermContribution(term=onset, label=f"Age of onset: {onset_name(hpo, onset)}", excluded=False,
                            match=match, matched_term=stated, likelihood_ratio=ratio)


def _best_related(closure_rows: sparse.csr_matrix, column: int, hpo: HpoKnowledge) -> list[str | None]:
    """For each disease row, the most informative shared ancestor of ``column`` ('HP:… name'), if any."""
    ancestors = _informative_ancestors(column, hpo)
    if not len(ancestors):
        return [None] * closure_rows.shape[0]
    values = closure_rows[:, ancestors].toarray() / np.maximum(hpo.background[ancestors], 1e-9)
    best = values.argmax(axis=1)
    named: list[str | None] = []
    for row, position in enumerate(best):
        if values[row, position] <= 0:
            named.append(None)
            continue
        ancestor = int(ancestors[position])
        named.append(f"{term_id(int(hpo.term_numbers[ancestor]))} {hpo.name(ancestor)}")
    return named
