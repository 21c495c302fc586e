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

import re

import numpy as np
import numpy.typing as npt

from tailormed.errors import InputError
from tailormed.kb.hpo import HpoKnowledge, term_number

N_BINS = 9

#: HPO onset term -> the period bins it covers.
ONSET_TERM_BINS: dict[str, tuple[int, ...]] = {
    "HP:0030674": (0,), "HP:0011460": (0,), "HP:0011461": (0,), "HP:0034197": (0,), "HP:0034198": (0,),
    "HP:0034199": (0,),
    "HP:0003577": (1,),
    "HP:0003623": (2,),
    "HP:0003593": (3,),
    "HP:0011463": (4,),
    "HP:0003621": (5,),
    "HP:0410280": (3, 4, 5),  # Pediatric onset: before 16 years, not congenital or neonatal
    "HP:0003581": (6, 7, 8),  # Adult onset
    "HP:0011462": (6,), "HP:0025708": (6,), "HP:0025709": (6,), "HP:0025710": (6,),
    "HP:0003596": (7,),
    "HP:0003584": (8,),
    "HP:4000040": (6, 7),  # Puerperal onset
    "HP:6000314": (7,),  # Perimenopausal onset
    "HP:6000315": (7, 8),  # Postmenopausal onset
}

#: The single-period term named for each bin (what an age is reported as).
BIN_TERMS = ("HP:0030674", "HP:0003577", "HP:0003623", "HP:0003593", "HP:0011463", "HP:0003621", "HP:0011462",
             "HP:0003596", "HP:0003584")

_NUMBER = r"(\d+(?:[.,]\d+)?)"
_DURATION = re.compile(rf"^P(?!$)(?:{_NUMBER}Y)?(?:{_NUMBER}M)?(?:{_NUMBER}W)?(?:{_NUMBER}D)?"
                       rf"(?:T(?=\d)(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?$")


def onset_term_for_age(iso8601_duration: str, *, source: str, location: str) -> str:
    """The onset term of an age given as an ISO 8601 duration ('P1Y6M', 'P3W'); a malformed age is an error."""
    match = _DURATION.match(iso8601_duration.strip())
    if match is None:
        raise InputError(f"{iso8601_duration!r} is not an ISO 8601 age (e.g. 'P2Y6M')", source=source,
                         location=location)
    years, months, weeks, days, hours, minutes, seconds = (float(part.replace(",", ".")) if part else 0.0
                                                          for part in match.groups())
    age = years + months / 12 + (weeks * 7 + days + hours / 24 + minutes / 1440 + seconds / 86400) / 365.25
    limits = ((28 / 365.25, 2), (1, 3), (5, 4), (16, 5), (40, 6), (60, 7))
    if age == 0:
        return BIN_TERMS[1]
    return BIN_TERMS[next((b for limit, b in limits if age < limit), 8)]


def onset_term_from_text(text: str, *, source: str) -> str:
    """An onset given as text (``--onset``): an HPO onset term (HP:0003674 branch) or an ISO 8601 age."""
    value = text.strip()
    if value.upper().startswith("HP:"):
        if value.upper() not in ONSET_TERM_BINS:
            raise InputError(f"{value} is not an HPO onset term (e.g. HP:0003577 congenital, HP:0003593 infantile, "
                             "HP:0011463 childhood, HP:0003581 adult)", source=source)
        return value.upper()
    return onset_term_for_age(value, source=source, location=value)


def onset_term_of(element: object, *, source: str, location: str) -> str | None:
    """The onset term of a phenopacket TimeElement (``ontologyClass``, ``age``, ``gestationalAge``), if it
    states one; other forms (timestamps, intervals) and non-onset classes give None."""
    if not isinstance(element, dict):
        return None
    if isinstance(element.get("ontologyClass"), dict):
        term = str(element["ontologyClass"].get("id", ""))
        return term if term in ONSET_TERM_BINS else None
    if isinstance(element.get("age"), dict) and element["age"].get("iso8601duration"):
        return onset_term_for_age(str(element["age"]["iso8601duration"]), source=source, location=location)
    if isinstance(element.get("gestationalAge"), dict):
        return BIN_TERMS[0]
    return None


def earliest(terms: list[str]) -> str | None:
    """The onset term of the earliest period among ``terms`` (a broad term counts from its first bin)."""
    known = [t for t in terms if t in ONSET_TERM_BINS]
    return min(known, key=lambda t: (ONSET_TERM_BINS[t][0], len(ONSET_TERM_BINS[t]))) if known else None


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
