"""Polygenic scores per sample with ``plink2 --score`` semantics, streamed over the target in chunks.

What is computed (plink2 behaviour, each point checked against PLINK v2.00a3.5 on the PGS Catalog's pgsc_calc
example target and on synthetic files; see ``benchmarks/prs_plink2.py`` and ``tests/risk/test_scoring.py``):

* **Sum.** For every sample and score, ``SUM = sum over matched variants of weight x value``, where ``value`` is
  the dosage of the effect ("named") allele: the ALT dosage when the effect allele is the target's ALT, else
  the REF dosage (``2 - ALT dosage`` on biallelic records).
* **Dominant / recessive** (PGS Catalog ``is_dominant`` / ``is_recessive``; pgsc_calc scores such rows in separate
  plink2 runs with the ``dominant`` / ``recessive`` modifiers and adds the sums): dominant uses
  ``min(dosage, 1)``, recessive ``max(dosage - 1, 0)`` (plink2 ``--score`` help). plink2 refuses them on chrX;
  we refuse them on X, Y and MT.
* **Missing genotypes** are mean-imputed by default, as plink2 does without ``--read-freq``: the value is
  ``2 x f`` (additive) where ``f`` is the effect allele's frequency among the non-missing calls of the target's
  *founders* (samples whose father and mother are both ``0``; every VCF sample is one), computed from the target
  itself. Measured: for a dominant or recessive row plink2 imputes ``f`` (not ``2f``, nor the carrier
  frequency). With no non-missing founder call ``f = 0.5``. Like plink2, mean imputation needs at least 50
  founders (:data:`MIN_FOUNDERS_FOR_IMPUTATION`); otherwise pass ``mean_impute=False`` (plink2's
  ``no-mean-imputation``, which pgsc_calc uses below 50 samples) and missing calls contribute nothing.
* **ALLELE_CT** (``allele_counts``) counts the non-missing alleles scored for the sample: 2 per non-missing
  diploid call. **Averages** are ``SUM / DENOM`` where plink2's DENOM is ``2 x (variants scored)`` under mean
  imputation (missing calls included) and equals ALLELE_CT with ``mean_impute=False``. plink2 writes one
  ALLELE_CT/DENOM per run, shared by all score columns; so do we: every matched row counts for every score of
  the file unless its weight for that score is NaN (a NaN weight means "not in this score").
* **Sex chromosomes** (plink2's default ``--xchr-model 2``): on chrX male genotypes are coded 0..2 as stored
  (a hemizygous ALT call is 2), ALLELE_CT and DENOM count 2 per male call, and the imputation frequency counts
  a male call as one allele (dosage halved). chrY and MT are haploid for everyone: the value is dosage / 2,
  ALLELE_CT and DENOM count 1, imputation uses ``f``; on chrY only males are scored (females and samples of
  unknown sex get nothing and count nothing). Samples of unknown sex are diploid on chrX. A target without any
  sex information (a VCF) is scored on chrX like plink2 (all diploid) but chrY rows are refused: plink2 would
  silently score nobody.

How (the speed of ``plink2 --score`` is the bar, ``benchmarks/prs_plink2.py``): most rows are "plain" (autosomal or
chrX, additive, one target row each, effect allele a biallelic record's REF or any ALT). Their dosages are read
with the missing calls marked (-9), the missing calls are found once per chunk, the row's imputed value is written
into them, and each score is one matrix-vector product (BLAS) per chunk. PLINK targets are split between two
threads (``threads``), each with its own decoder; BLAS itself is held to one thread meanwhile. The other rows
(chrY, MT, dominant, recessive, REF of a multi-allelic record, a target row used twice) take a general path that
writes their values out explicitly. Both give the same numbers up to the order of floating-point additions.

Memory is bounded by ``chunk_size`` target rows: a few arrays of ``chunk_size x n_samples`` per thread (by default
as many rows as fit in :data:`CHUNK_BYTES`, so that both threads' chunks stay in the processor's cache).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from threadpoolctl import threadpool_limits

from tailormed.errors import InputError
from tailormed.model.genome import MITOCHONDRION
from tailormed.model.prs import DosageSource, MissingCalls, ScoreMatch, ScoreResult, ScoringFile

MIN_FOUNDERS_FOR_IMPUTATION = 50
"""plink2 refuses to estimate imputation frequencies from fewer founders than this (its own threshold)."""

CHUNK_BYTES = 5 << 20
"""Default chunk: rows x samples x 8 bytes of dosages near 5 MiB (64 rows of 10,000 samples). Measured on 1M
variants x 10,000 samples, two threads: 64-96 rows score in 7.7-8.0 s, 128 in 9.5 s, 256 in 11.4 s (two 20 MB chunks
and their masks no longer fit in a 32 MB L3 cache), 16 in 15.6 s (per-chunk overhead)."""

MIN_CHUNK_ROWS = 8

DEFAULT_THREADS = min(2, os.cpu_count() or 1)
"""Decoding threads for PLINK targets (measured on 2 cores, 1M variants x 10,000 samples: 7.9 s with two, 11.5 s
with one)."""

_MIN_CHUNKS_PER_THREAD = 4  # below this a second thread costs more than it saves

_USED_STATUSES = ("matched", "matched_flip")

# chromosome classes
_DIPLOID, _X, _Y, _MT = 0, 1, 2, 3


def default_chunk_size(n_samples: int) -> int:
    """Target rows per chunk for ``n_samples`` samples: :data:`CHUNK_BYTES` of float64 dosages, at least 8 rows."""
    return max(MIN_CHUNK_ROWS, CHUNK_BYTES // (8 * max(n_samples, 1)))


def score(target: DosageSource, scoring: ScoringFile, match: ScoreMatch, *, chunk_size: int | None = None,
          mean_impute: bool = True, nonfounders: bool = False, threads: int = DEFAULT_THREADS) -> ScoreResult:
    """Score every sample of ``target`` on every score of ``scoring`` through ``match`` (one pass, chunked).

    ``mean_impute=False`` is plink2's ``no-mean-imputation``; ``nonfounders=True`` is its ``--nonfounders``
    (imputation frequencies from all samples). ``chunk_size`` is target rows per chunk (default
    :func:`default_chunk_size`); ``threads`` caps the decoding threads (PLINK targets only).
    Raises :class:`~tailormed.errors.InputError` for a dominant or recessive row on a sex chromosome or
    mitochondrion, a row both dominant and recessive, chrY rows on a target without sex information, and mean
    imputation with fewer than 50 founders.
    """
    if chunk_size is None:
        chunk_size = default_chunk_size(target.n_samples)
    if chunk_size < 1:
        raise ValueError("chunk_size must be positive")
    if threads < 1:
        raise ValueError("threads must be positive")
    _check_match(target, scoring, match)
    n_samples, n_scores = target.n_samples, len(scoring.score_ids)
    present_all = np.isfinite(scoring.weights)
    used = (match.target_index >= 0) & np.isin(match.status.astype(str), _USED_STATUSES)
    rows = np.flatnonzero(used)
    rows = rows[np.argsort(match.target_index[rows], kind="stable")]

    chrom_class = _chrom_classes(target.variants.chrom)
    row_class = chrom_class[match.target_index[rows]]
    _check_modes(scoring, rows, row_class, target)
    male = target.sex == 1
    founders = np.ones(n_samples, dtype=np.bool_) if nonfounders else target.founders.astype(np.bool_)
    if mean_impute and len(rows) and int(founders.sum()) < MIN_FOUNDERS_FOR_IMPUTATION:
        who = "samples" if nonfounders or founders.all() else "founders"
        raise InputError(f"mean imputation of missing genotypes needs allele frequencies from at least "
                         f"{MIN_FOUNDERS_FOR_IMPUTATION} {who}, the target has {int(founders.sum())}: score with "
                         "mean_impute=False (plink2's no-mean-imputation)", source=str(target.path))
    freq_weights = _frequency_weights(founders, male)

    sums = np.zeros((n_scores, n_samples), dtype=np.float64)
    counts = np.zeros((n_scores, n_samples), dtype=np.float64)
    denom = np.zeros((n_scores, n_samples), dtype=np.float64)
    imputed = np.zeros(n_scores, dtype=np.float64)

    plain = _plain_rows(target, scoring, match, rows, row_class)
    special_rows = rows[~plain]
    for start in range(0, len(special_rows), chunk_size):
        chunk = special_rows[start:start + chunk_size]
        _score_chunk(target, scoring, match, chunk, chrom_class, male, freq_weights, mean_impute,
                     sums, counts, denom, imputed)
    if plain.any():
        kernel = _PlainKernel.build(scoring, match, freq_weights, mean_impute, n_samples, chunk_size)
        chunks = [(int(cls), part[start:start + chunk_size])
                  for cls in (_DIPLOID, _X) if len(part := rows[plain & (row_class == cls)])
                  for start in range(0, len(part), chunk_size)]
        for totals in _run_plain(target, kernel, chunks, threads):
            sums += totals.sums
            counts += totals.counts
            imputed += totals.imputed
        denom += 2.0 * present_all[rows[plain]].sum(axis=0)[:, None]  # 2 per diploid or chrX call

    if not mean_impute:
        denom = counts.copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        averages = np.where(denom > 0, sums / np.where(denom > 0, denom, 1.0), np.nan)
    used_present = present_all[rows]
    return ScoreResult(
        samples=list(target.samples), score_ids=list(scoring.score_ids),
        sums=np.ascontiguousarray(sums.T), averages=np.ascontiguousarray(averages.T),
        allele_counts=np.rint(counts.T).astype(np.int64),
        matched=used_present.sum(axis=0).astype(np.int64), total=present_all.sum(axis=0).astype(np.int64),
        imputed=np.rint(imputed).astype(np.int64))


# --------------------------------------------------------------------------------------------- checks
def _check_match(target: DosageSource, scoring: ScoringFile, match: ScoreMatch) -> None:
    n = scoring.n_variants
    for name in ("target_index", "effect_is_alt", "strand_flipped", "status"):
        if len(getattr(match, name)) != n:
            raise ValueError(f"ScoreMatch.{name} has {len(getattr(match, name))} rows, the scoring file {n}")
    if n and int(match.target_index.max(initial=-1)) >= target.variants.n_variants:
        raise ValueError("ScoreMatch.target_index points past the target's variants")


def _chrom_classes(chrom: npt.NDArray[np.str_]) -> npt.NDArray[np.int8]:
    """Per target row: autosome, X, Y or mitochondrion (names as the readers normalise them, ``normalise_chrom``)."""
    classes = np.full(len(chrom), _DIPLOID, dtype=np.int8)
    classes[chrom == "X"] = _X
    classes[chrom == "Y"] = _Y
    classes[chrom == MITOCHONDRION] = _MT
    return classes


def _check_modes(scoring: ScoringFile, rows: npt.NDArray[np.int64], row_class: npt.NDArray[np.int8],
                 target: DosageSource) -> None:
    dominant, recessive = scoring.is_dominant[rows], scoring.is_recessive[rows]
    both = dominant & recessive
    if both.any():
        line = int(scoring.line[rows[np.argmax(both)]])
        raise InputError("a variant is marked both dominant and recessive", source=scoring.path,
                         location=f"line {line}")
    special = (dominant | recessive) & (row_class != _DIPLOID)
    if special.any():
        line = int(scoring.line[rows[np.argmax(special)]])
        raise InputError("dominant/recessive weights on chrX, chrY or MT are not supported (plink2 refuses them "
                         "on chrX; male dosages there have no dominance coding)", source=scoring.path,
                         location=f"line {line}")
    if (row_class == _Y).any() and not target.has_sex:
        line = int(scoring.line[rows[np.argmax(row_class == _Y)]])
        raise InputError(f"the score has chrY variants but the target {target.path} gives no sample sex: chrY "
                         "can only be scored in males (use a .fam/.psam with sex)", source=scoring.path,
                         location=f"line {line}")


# --------------------------------------------------------------------------------------------- kernel
_FrequencyWeights = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]


def _frequency_weights(founders: npt.NDArray[np.bool_], male: npt.NDArray[np.bool_]) -> _FrequencyWeights:
    """Per chromosome class (rows) and sample (columns): dose weights, observation weights, and their totals.

    A row's effect-allele frequency is ``sum(value x dose weight) / sum(non-missing x observation weight)``
    over founders: a diploid call is two observed alleles, a male chrX call one (its 0..2 value halved), a
    chrY/MT call one (its value already halved to 0..1).
    """
    f = founders.astype(np.float64)
    male_f = male.astype(np.float64)
    dose = np.zeros((4, len(f)))
    obs = np.zeros((4, len(f)))
    dose[_DIPLOID], obs[_DIPLOID] = f, 2.0 * f
    dose[_X], obs[_X] = f * np.where(male, 0.5, 1.0), f * np.where(male, 1.0, 2.0)
    dose[_Y], obs[_Y] = f * male_f, f * male_f
    dose[_MT], obs[_MT] = f, f
    return dose, obs, obs.sum(axis=1)


def _score_chunk(target: DosageSource, scoring: ScoringFile, match: ScoreMatch, chunk: npt.NDArray[np.int64],
                 chrom_class: npt.NDArray[np.int8], male: npt.NDArray[np.bool_],
                 freq_weights: _FrequencyWeights, mean_impute: bool,
                 sums: npt.NDArray[np.float64], counts: npt.NDArray[np.float64],
                 denom: npt.NDArray[np.float64], imputed: npt.NDArray[np.float64]) -> None:
    """Add one chunk of scoring rows to the accumulators.

    The effect-allele value of a plain row is ``offset + sign x ALT dosage`` (offset 2, sign -1 when the effect
    allele is REF), so the sums are ``(weight x sign)' @ dosages`` plus a constant, with no per-genotype
    rewriting; missing calls (few) are corrected sparsely. "Special" rows (chrY, MT, dominant, recessive,
    REF of a multi-allelic record) get their values written out explicitly and sign 1, offset 0.
    """
    target_rows = match.target_index[chunk]
    unique_rows, inverse = np.unique(target_rows, return_inverse=True)
    values, missing_rows, missing_cols = target.dosages_filled(unique_rows)
    n_rows, n_samples = len(chunk), values.shape[1]
    if len(unique_rows) != n_rows:  # several scoring rows on one target row
        values = values[inverse]
        mask = np.zeros((len(unique_rows), n_samples), dtype=np.bool_)
        mask[missing_rows, missing_cols] = True
        missing_rows, missing_cols = np.nonzero(mask[inverse])
    classes = chrom_class[target_rows]
    effect_alt = match.effect_is_alt[chunk].astype(np.bool_)
    dominant = scoring.is_dominant[chunk].astype(np.bool_)
    recessive = scoring.is_recessive[chunk].astype(np.bool_)
    multi_ref = target.variants.multiallelic[target_rows] & ~effect_alt
    haploid = (classes == _Y) | (classes == _MT)
    special = np.flatnonzero(haploid | dominant | recessive | multi_ref)

    sign = np.where(effect_alt, 1.0, -1.0)
    offset = np.where(effect_alt, 0.0, 2.0)
    if len(special):
        values, missing_rows, missing_cols = _write_special_rows(
            target, values, missing_rows, missing_cols, special, target_rows, sign, offset,
            multi_ref, haploid, classes == _Y, male)
        sign[special], offset[special] = 1.0, 0.0

    weights = np.nan_to_num(scoring.weights[chunk], nan=0.0)
    present = np.isfinite(scoring.weights[chunk]).astype(np.float64)
    ploidy = np.where(haploid, 1.0, 2.0)
    present_ploidy = present * ploidy[:, None]
    fill = np.zeros(n_rows)
    if len(missing_rows) and mean_impute:
        fill = _imputation_values(values, missing_rows, missing_cols, classes, sign, offset, dominant | recessive,
                                  freq_weights)
    if len(special):  # dominance coding after the frequencies, which are of the untransformed dosage
        rows = special[dominant[special]]
        values[rows] = np.minimum(values[rows], 1.0)
        rows = special[recessive[special]]
        values[rows] = np.maximum(values[rows] - 1.0, 0.0)

    sums += (weights * sign[:, None]).T @ values
    y_rows = classes == _Y
    constant = (weights * offset[:, None]).sum(axis=0)
    per_call = present_ploidy[~y_rows].sum(axis=0)
    sums += constant[:, None]
    counts += per_call[:, None]
    denom += per_call[:, None]
    if y_rows.any():
        eligible = np.outer(present_ploidy[y_rows].sum(axis=0), male.astype(np.float64))
        counts += eligible
        denom += eligible
    if len(missing_rows):
        correction = fill[missing_rows] - offset[missing_rows] if mean_impute else -offset[missing_rows]
        for k in range(weights.shape[1]):
            sums[k] += np.bincount(missing_cols, weights=weights[missing_rows, k] * correction, minlength=n_samples)
            counts[k] -= np.bincount(missing_cols, weights=present_ploidy[missing_rows, k], minlength=n_samples)
        if mean_impute:
            imputed += present[missing_rows].sum(axis=0)


# --------------------------------------------------------------------------------------------- plain rows
def _plain_rows(target: DosageSource, scoring: ScoringFile, match: ScoreMatch, rows: npt.NDArray[np.int64],
                row_class: npt.NDArray[np.int8]) -> npt.NDArray[np.bool_]:
    """Which of ``rows`` (sorted by target row) the plain kernel scores: autosomal or chrX, additive, effect
    allele ALT or the REF of a biallelic record, and the first scoring row on its target row."""
    target_rows = match.target_index[rows]
    multi_ref = target.variants.multiallelic[target_rows] & ~match.effect_is_alt[rows].astype(np.bool_)
    first = np.ones(len(rows), dtype=np.bool_)
    first[1:] = target_rows[1:] != target_rows[:-1]
    plain: npt.NDArray[np.bool_] = (((row_class == _DIPLOID) | (row_class == _X)) & first & ~multi_ref
                                    & ~scoring.is_dominant[rows].astype(np.bool_)
                                    & ~scoring.is_recessive[rows].astype(np.bool_))
    return plain


@dataclass
class _Totals:
    sums: npt.NDArray[np.float64]  # (scores, samples)
    counts: npt.NDArray[np.float64]  # (scores, samples)
    imputed: npt.NDArray[np.float64]  # (scores,)


@dataclass(frozen=True)
class _PlainKernel:
    """Per scoring row: effect-allele value = ``offset + sign x ALT dosage``; one instance serves all threads."""

    target_index: npt.NDArray[np.int64]
    weights: npt.NDArray[np.float64]  # (rows, scores), NaN where the row is not in the score
    effect_is_alt: npt.NDArray[np.bool_]
    freq_weights: _FrequencyWeights
    uniform: dict[int, tuple[float, float]]  # class -> (dose weight, observation weight) shared by every sample
    mean_impute: bool
    n_samples: int
    chunk_size: int

    @classmethod
    def build(cls, scoring: ScoringFile, match: ScoreMatch, freq_weights: _FrequencyWeights, mean_impute: bool,
              n_samples: int, chunk_size: int) -> _PlainKernel:
        dose, obs, _ = freq_weights
        uniform = {c: (float(dose[c, 0]), float(obs[c, 0])) for c in (_DIPLOID, _X)
                   if n_samples and bool((dose[c] == dose[c, 0]).all()) and bool((obs[c] == obs[c, 0]).all())}
        return cls(target_index=match.target_index, weights=scoring.weights,
                   effect_is_alt=match.effect_is_alt.astype(np.bool_), freq_weights=freq_weights, uniform=uniform,
                   mean_impute=mean_impute, n_samples=n_samples, chunk_size=chunk_size)

    def run(self, reader: DosageSource, chunks: list[tuple[int, npt.NDArray[np.int64]]]) -> _Totals:
        """Score the chunks (chromosome class, scoring rows with increasing target rows) read through ``reader``."""
        n_scores, n = self.weights.shape[1], self.n_samples
        sums = np.zeros((n_scores, n))
        missed = np.zeros((n_scores, n))  # alleles of missing calls, per score and sample
        imputed = np.zeros(n_scores)
        constant = np.zeros(n_scores)
        calls = np.zeros(n_scores)
        flags = np.empty((self.chunk_size, n), dtype=np.bool_)
        row_starts = np.arange(self.chunk_size + 1, dtype=np.int64) * n
        for cls, chunk in chunks:
            k = len(chunk)
            values = reader.dosages_raw(self.target_index[chunk])  # -9 at missing calls
            missing = np.flatnonzero(np.less(values, 0.0, out=flags[:k]))
            raw_weights = self.weights[chunk]
            present = np.isfinite(raw_weights).astype(np.float64)
            effect_alt = self.effect_is_alt[chunk]
            sign, offset = np.where(effect_alt, 1.0, -1.0), np.where(effect_alt, 0.0, 2.0)
            weights = np.nan_to_num(raw_weights, nan=0.0)
            constant += offset @ weights
            calls += 2.0 * present.sum(axis=0)
            if len(missing):
                n_missing = np.diff(np.searchsorted(missing, row_starts[:k + 1]))
                row_of = np.repeat(np.arange(k), n_missing)
                cols = missing - row_starts[row_of]
                if self.mean_impute:
                    fill = self._imputed_values(values, cls, n_missing, row_of, cols, sign, offset)
                    imputed += n_missing @ present
                else:
                    fill = np.zeros(k)
                # a missing call takes the ALT dosage whose effect-allele value is the imputed one (or 0)
                values.reshape(-1)[missing] = ((fill - offset) * sign)[row_of]
                if bool((present == 1.0).all()):
                    missed += 2.0 * np.bincount(cols, minlength=n)
                else:
                    for s in range(n_scores):
                        missed[s] += 2.0 * np.bincount(cols, weights=present[row_of, s], minlength=n)
            weights *= sign[:, None]
            if n_scores <= 4:  # a BLAS matrix-vector product per score beats a thin matrix product
                for s in range(n_scores):
                    sums[s] += weights[:, s] @ values
            else:
                sums += weights.T @ values
        sums += constant[:, None]
        return _Totals(sums=sums, counts=calls[:, None] - missed, imputed=imputed)

    def _imputed_values(self, values: npt.NDArray[np.float64], cls: int, n_missing: npt.NDArray[np.int64],
                        row_of: npt.NDArray[np.int64], cols: npt.NDArray[np.int64], sign: npt.NDArray[np.float64],
                        offset: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """``2f`` per row, ``f`` the effect allele's founder frequency (as :func:`_imputation_values`)."""
        dose, obs, total_obs = self.freq_weights
        numerator = values @ dose[cls]  # counts -9 x dose weight at each missing call: added back below
        if cls in self.uniform:
            dose_weight, obs_weight = self.uniform[cls]
            numerator += 9.0 * dose_weight * n_missing
            unobserved: npt.NDArray[np.float64] = obs_weight * n_missing.astype(np.float64)
        else:
            numerator += 9.0 * np.bincount(row_of, weights=dose[cls][cols], minlength=len(values))
            unobserved = np.bincount(row_of, weights=obs[cls][cols], minlength=len(values)).astype(np.float64)
        observed = total_obs[cls] - unobserved
        with np.errstate(invalid="ignore", divide="ignore"):
            freq = np.where(observed > 0, offset / 2.0 + sign * numerator / np.where(observed > 0, observed, 1.0),
                            0.5)
        fill: npt.NDArray[np.float64] = 2.0 * freq
        return fill


def _run_plain(target: DosageSource, kernel: _PlainKernel, chunks: list[tuple[int, npt.NDArray[np.int64]]],
               threads: int) -> list[_Totals]:
    """The kernel over the chunks: contiguous shares for up to ``threads`` readers (one thread each)."""
    readers = [target]
    try:
        while len(readers) < min(threads, len(chunks) // _MIN_CHUNKS_PER_THREAD):
            twin = target.reader_for_thread()
            if twin is None:
                break
            readers.append(twin)
        with _blas_threads(1):  # BLAS's own threads would compete with ours (and spin between calls)
            if len(readers) == 1:
                return [kernel.run(target, chunks)]
            bounds = np.linspace(0, len(chunks), len(readers) + 1).astype(int)
            with ThreadPoolExecutor(max_workers=len(readers)) as pool:
                futures = [pool.submit(kernel.run, reader, chunks[bounds[k]:bounds[k + 1]])
                           for k, reader in enumerate(readers)]
                return [future.result() for future in futures]
    finally:
        for reader in readers[1:]:
            reader.close()


@contextmanager
def _blas_threads(n: int) -> Iterator[None]:
    """Hold the BLAS behind numpy to ``n`` threads inside the block (its idle threads otherwise take CPU from the
    genotype readers); threadpoolctl finds the loaded BLAS and restores the previous setting afterwards."""
    with threadpool_limits(limits=n, user_api="blas"):
        yield


def _write_special_rows(target: DosageSource, values: npt.NDArray[np.float64], missing_rows: npt.NDArray[np.intp],
                        missing_cols: npt.NDArray[np.intp], special: npt.NDArray[np.int64],
                        target_rows: npt.NDArray[np.int64], sign: npt.NDArray[np.float64],
                        offset: npt.NDArray[np.float64], multi_ref: npt.NDArray[np.bool_],
                        haploid: npt.NDArray[np.bool_], chr_y: npt.NDArray[np.bool_],
                        male: npt.NDArray[np.bool_]) -> MissingCalls:
    """Replace the stored ALT dosages of special rows by their effect-allele values (0 at missing calls)."""
    n_rows, n_samples = values.shape
    mask = np.zeros((n_rows, n_samples), dtype=np.bool_)  # missing calls of special rows only
    is_special = np.zeros(n_rows, dtype=np.bool_)
    is_special[special] = True
    keep = ~is_special[missing_rows]
    mask[missing_rows[~keep], missing_cols[~keep]] = True
    named = offset[special, None] + sign[special, None] * values[special]
    refs = np.flatnonzero(multi_ref[special])
    if len(refs):  # REF of a multi-allelic record: its own allele count, not 2 - one ALT's
        ref_values, ref_rows, ref_cols = target.dosages_filled(target_rows[special[refs]], ref=True)
        named[refs] = ref_values
        mask[special[refs]] = False
        mask[special[refs][ref_rows], ref_cols] = True
    named[haploid[special]] *= 0.5
    y_rows = special[chr_y[special]]
    if len(y_rows):  # chrY: only males are scored or counted
        mask[np.ix_(y_rows, np.flatnonzero(~male))] = False
        named[np.ix_(np.flatnonzero(chr_y[special]), np.flatnonzero(~male))] = 0.0
    named[mask[special]] = 0.0
    values[special] = named
    special_rows, special_cols = np.nonzero(mask)
    return (values, np.concatenate([missing_rows[keep], special_rows]),
            np.concatenate([missing_cols[keep], special_cols]))


def _imputation_values(values: npt.NDArray[np.float64], missing_rows: npt.NDArray[np.intp],
                       missing_cols: npt.NDArray[np.intp], classes: npt.NDArray[np.int8],
                       sign: npt.NDArray[np.float64], offset: npt.NDArray[np.float64],
                       dominance: npt.NDArray[np.bool_], freq_weights: _FrequencyWeights) -> npt.NDArray[np.float64]:
    """The value a missing call gets, per row: ``2f`` (additive diploid), ``f`` (haploid, dominant, recessive).

    ``f`` is the effect allele's frequency among founders' calls: from the stored values ``v`` (0 at missing
    calls) it is ``offset / 2 + sign x sum(v x dose weight) / observed alleles``, 0.5 when nothing is observed.
    """
    dose, obs, total_obs = freq_weights
    n_rows = len(values)
    numerator = np.zeros(n_rows)
    row_classes = np.unique(classes)
    if len(row_classes) == 1:
        numerator = values @ dose[int(row_classes[0])]
    else:
        for cls in row_classes:
            rows = np.flatnonzero(classes == cls)
            numerator[rows] = values[rows] @ dose[int(cls)]
    unobserved = np.bincount(missing_rows, weights=obs[classes[missing_rows], missing_cols], minlength=n_rows)
    observed = total_obs[classes] - unobserved
    with np.errstate(invalid="ignore", divide="ignore"):
        freq = np.where(observed > 0, offset / 2.0 + sign * numerator / np.where(observed > 0, observed, 1.0), 0.5)
    scale = np.where((classes == _Y) | (classes == _MT) | dominance, 1.0, 2.0)
    fill: npt.NDArray[np.float64] = scale * freq
    return fill
