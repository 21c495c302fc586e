"""Age of onset as phenotype evidence: the patient's onset against each disease's annotated onset.

HPO annotates about half of the OMIM diseases with onset terms (HP:0003674 "Onset" and its descendants).
We place ages and onset terms on nine ordered periods, following the HPO term definitions:

====  ===========================================================  =========================
bin   period                                                       HPO term
====  ===========================================================  =========================
0     before birth                                                 Antenatal onset (and its children)
1     at birth                                                     Congenital onset
2     first 28 days                                                Neonatal onset
3     28 days to 1 year                                            Infantile onset
4     1 to 5 years                                                 Childhood onset
5     5 to 15 years                                                Juvenile onset
6     16 to 40 years                                               Young adult onset (and its children)
7     40 to 60 years                                               Middle age onset
8     60 years and later                                           Late onset
====  ===========================================================  =========================

Broader terms cover several bins (Pediatric onset: 3-5; Adult onset: 6-8). A disease's onset
distribution puts ``1 - mismatch_rate`` of its mass evenly on its annotated bins and ``mismatch_rate``
evenly on all nine (onset is often reported later or earlier than the textbook period, and
annotations are incomplete). The likelihood ratio of the patient's onset bin ``b`` is
``P(b | disease) / P(b | background)``, the background being the mean over the diseases with onset
annotations; diseases without them get 1 (no evidence either way).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from tailormed.kb.hpo import HpoKnowledge, term_number
from tailormed.model.onset import N_BINS, ONSET_TERM_BINS


def disease_onset_terms(hpo: HpoKnowledge) -> list[list[str]]:
    """Each disease's annotated onset terms (from the direct annotations; built once per knowledge object)."""
    def build() -> list[list[str]]:
        terms: list[list[str]] = [[] for _ in range(hpo.n_diseases)]
        for term in ONSET_TERM_BINS:
            column = hpo.index_of(term_number(term))
            if column is not None:
                for row in hpo.direct[:, [column]].nonzero()[0]:
                    terms[int(row)].append(term)
        return terms
    return hpo.memo("onset_terms", build)


def _onset_table(hpo: HpoKnowledge, mismatch_rate: float) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """P(bin | disease) for every disease and bin, and which diseases state an onset (built once per rate)."""
    def build() -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
        probabilities = np.full((hpo.n_diseases, N_BINS), 1.0 / N_BINS)
        has_onset = np.zeros(hpo.n_diseases, dtype=bool)
        for row, terms in enumerate(disease_onset_terms(hpo)):
            bins = {b for t in terms for b in ONSET_TERM_BINS[t]}
            if not bins:
                continue
            has_onset[row] = True
            probabilities[row] = mismatch_rate / N_BINS
            probabilities[row, sorted(bins)] += (1.0 - mismatch_rate) / len(bins)
        return probabilities, has_onset
    return hpo.memo(f"onset:{mismatch_rate}", build)


def onset_log10_lr(hpo: HpoKnowledge, patient_onset: str, mismatch_rate: float) -> npt.NDArray[np.float64]:
    """log10 likelihood ratio of the patient's onset period for every disease (0 where a disease states none).

    A broad patient term (Pediatric onset) counts as the probability of any of its periods."""
    probabilities, has_onset = _onset_table(hpo, mismatch_rate)
    if not has_onset.any():
        return np.zeros(hpo.n_diseases)
    of_patient = probabilities[:, list(ONSET_TERM_BINS[patient_onset])].sum(axis=1)
    background = float(of_patient[has_onset].mean())
    return np.where(has_onset, np.log10(of_patient / background), 0.0)


def disease_onset_label(hpo: HpoKnowledge, disease: int) -> str | None:
    """The disease's annotated onset terms as 'HP:… name; …' (for explanations)."""
    terms = disease_onset_terms(hpo)[disease]
    if not terms:
        return None
    return "; ".join(f"{t} {onset_name(hpo, t)}" for t in sorted(terms))


def onset_name(hpo: HpoKnowledge, term: str) -> str:
    """The ontology's label of an onset term (every term of ``ONSET_TERM_BINS`` is in HPO)."""
    column = hpo.index_of(term_number(term))
    if column is None:
        raise KeyError(f"{term} is not in HPO {hpo.ontology_version}")
    return hpo.name(column)
