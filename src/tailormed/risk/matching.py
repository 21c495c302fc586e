"""Matching the variants of a scoring file onto a target's variants, the way pgsc_calc does.

The rules mirror pygscatalog's ``pgscatalog.match`` (the matcher pgsc_calc runs; read with the search tool:
``lib/_match/match.py``, ``label.py``, ``preprocess.py``, ``filter.py``, ``cli/match_cli.py`` and pgsc_calc's
``nextflow.config`` for the defaults). ``docs/prs-matching.md`` explains each rule for users.

1. **Candidates.** A scoring row with a position is compared with every target row at the same chromosome and
   position (a split multi-allelic record gives several). A row without a position (an rsID-only row, or a
   harmonized row whose harmonization failed) is compared with the target rows whose ID equals its rsID
   (TailorMed's addition: pgsc_calc matches on position only). A row found nowhere is ``not_in_target``.
2. **Match types**, best first (pygscatalog ``_label_best_match``): ``refalt`` (effect = REF, other = ALT),
   ``altref`` (effect = ALT, other = REF), ``refalt_flip``, ``altref_flip`` (the same after complementing
   both score alleles), then, for rows without a usable other allele, ``no_oa_ref``, ``no_oa_alt``,
   ``no_oa_ref_flip``, ``no_oa_alt_flip``. An other allele listing several alleles (``A/T``, from
   ``hm_inferOtherAllele``) counts as absent (pygscatalog ``assign_other_allele``). Complementing is letter by
   letter on A/C/G/T-only alleles, others unchanged (``complement_valid_alleles``). Because a direct type
   always ranks above its flipped one, a strand flip is used only when no direct match exists. A row whose
   candidates match none of the types is ``unmatched_alleles``.
3. **One row, several target rows**: the best type wins; among equally good candidates the first target row is
   kept (``_label_duplicate_best_match``).
4. **Ambiguous** (palindromic) sites: the complement of REF equals ALT (A/T, C/G; pygscatalog
   ``_label_biallelic_ambiguous``). Excluded unless ``keep_ambiguous``; when kept they are matched on the
   strand given (no flip), pgsc_calc's assumption that the genotypes are on the score's strand.
5. **Multi-allelic** target records (``TargetVariants.multiallelic``) are excluded unless ``keep_multiallelic``
   (``_label_multiallelic``). pgsc_calc's defaults: ``keep_ambiguous = false``, ``keep_multiallelic = false``,
   ``min_overlap = 0.75``.
6. **Several rows, one target row**: when two or more rows of the same score best-match the same target row,
   all of them are excluded (``_label_duplicate_id`` without ``--keep_first_match``, pgsc_calc's default).
   A row counts for a score when its weight there is non-zero (every row, for a one-score file). pgsc_calc
   groups on the target's variant ID, which a split multi-allelic record shares between its ALTs; TailorMed
   groups on the target row, so two scoring rows for two different ALTs of one site are not duplicates.
7. Exclusions are judged on the best match only, as in pgsc_calc: a row whose best match is excluded is not
   rescued by a worse candidate.
8. **Overlap**: a score passes when matched rows / all its rows >= ``min_overlap`` (pygscatalog
   ``filter_scores``); :func:`check_overlap` refuses a failing score.
9. **Genome builds** (TailorMed's addition): a score and a target on different known builds are refused. When
   either build is unknown and fewer than 10% of the score's positioned rsID rows are found at their position
   in the target but at least half of those rsIDs are among the target's IDs, the builds probably differ and
   the match is refused with the numbers.

Rows that are excluded or unmatched get ``target_index = -1``, so a scorer that uses ``target_index >= 0``
scores exactly the ``matched``/``matched_flip`` rows. Everything is vectorised with numpy (sorted position keys
and ``np.searchsorted``); a million-row score against a million-variant target matches in a few seconds.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from tailormed.errors import GenomeBuildError, InputError
from tailormed.model.prs import ScoreMatch, ScoringFile, TargetVariants

__all__ = ["MATCH_TYPES", "STATUSES", "DEFAULT_MIN_OVERLAP", "match_variants", "match_report", "check_overlap",
           "complement", "has_other_allele"]

MATCH_TYPES = ("refalt", "altref", "refalt_flip", "altref_flip",
               "no_oa_ref", "no_oa_alt", "no_oa_ref_flip", "no_oa_alt_flip")
STATUSES = ("matched", "matched_flip", "excluded_ambiguous", "excluded_multiallelic", "excluded_duplicate",
            "unmatched_alleles", "not_in_target")
DEFAULT_MIN_OVERLAP = 0.75  # pgsc_calc nextflow.config: params.min_overlap = 0.75

_NO_MATCH = len(MATCH_TYPES)
_EFFECT_IS_ALT = np.array([False, True, False, True, False, True, False, True, False])
_FLIPPED = np.array([False, False, True, True, False, False, True, True, False])
_POSITION_BITS = 40
_COMPLEMENT = str.maketrans("ACGT", "TGCA")
# Build-mismatch heuristic (TailorMed's own): judged on at least this many rows with a position and an rsID.
_BUILD_CHECK_MIN_ROWS = 20
_BUILD_CHECK_MAX_POSITION_RATE = 0.10
_BUILD_CHECK_MIN_ID_RATE = 0.50


def complement(allele: str) -> str:
    """Complement an A/C/G/T allele letter by letter; anything else is returned unchanged.

    >>> complement("AC"), complement("<DEL>")
    ('TG', '<DEL>')
    """
    return allele.translate(_COMPLEMENT) if allele and not allele.strip("ACGT") else allele


def has_other_allele(score: ScoringFile) -> npt.NDArray[np.bool_]:
    """Rows with one usable other allele ('' and multi-allele lists such as 'A/T' do not count)."""
    other = score.other_allele
    if other.size == 0:
        return np.zeros(0, dtype=np.bool_)
    return np.fromiter((bool(o) and "/" not in o for o in other), dtype=np.bool_, count=len(other))


def match_variants(score: ScoringFile, target: TargetVariants, *, keep_ambiguous: bool = False,
                   keep_multiallelic: bool = False, min_overlap: float = DEFAULT_MIN_OVERLAP) -> ScoreMatch:
    """Map every scoring-file row onto the target (see the module docstring for the rules).

    Raises :class:`~tailormed.errors.GenomeBuildError` (an ``InputError``) when the score and the target are on
    different genome builds, declared or evident from the data. The overlap threshold is recorded in
    ``rules``; :func:`check_overlap` enforces it.
    """
    if not 0.0 <= min_overlap <= 1.0:
        raise InputError(f"min_overlap must be between 0 and 1, not {min_overlap}")
    _check_declared_builds(score, target)
    n = score.n_variants
    s_idx, t_idx, by_position = _candidates(score, target)
    if score.genome_build is None or target.genome_build is None:
        _check_builds_from_data(score, target, by_position)

    has_oa = has_other_allele(score)
    priority = _match_priority(score, target, s_idx, t_idx, has_oa)
    best_target, best_priority = _best_candidates(n, s_idx, t_idx, priority)

    status = np.full(n, "not_in_target", dtype=object)
    status[s_idx] = "unmatched_alleles"
    found = best_priority < _NO_MATCH
    rows = np.flatnonzero(found)
    targets = best_target[rows]
    ambiguous = _ambiguous(target, targets)
    multiallelic = np.asarray(target.multiallelic, dtype=np.bool_)[targets]
    duplicate = _duplicates(score, rows, targets)
    flipped = _FLIPPED[best_priority[rows]]
    row_status = np.where(flipped, "matched_flip", "matched").astype(object)
    row_status[duplicate] = "excluded_duplicate"
    if not keep_multiallelic:
        row_status[multiallelic] = "excluded_multiallelic"
    if not keep_ambiguous:
        row_status[ambiguous] = "excluded_ambiguous"
    status[rows] = row_status

    used = (status == "matched") | (status == "matched_flip")
    target_index = np.where(used, best_target, -1).astype(np.int64)
    effect_is_alt = used & _EFFECT_IS_ALT[best_priority]
    strand_flipped = used & _FLIPPED[best_priority]
    rules = {
        "keep_ambiguous": str(keep_ambiguous).lower(),
        "keep_multiallelic": str(keep_multiallelic).lower(),
        "min_overlap": repr(float(min_overlap)),
        "match_priority": " > ".join(MATCH_TYPES),
        "strand_flips": "only when no direct match; never at ambiguous (palindromic) sites",
        "duplicates": "rows of one score best-matching the same target row are all excluded; "
                      "one row with several equally good target rows keeps the first",
        "rsid_fallback": "rows without a position are matched on the target's variant ID",
        "score_build": score.genome_build or "unknown",
        "target_build": target.genome_build or "unknown",
    }
    return ScoreMatch(target_index=target_index, effect_is_alt=effect_is_alt.astype(np.bool_),
                      strand_flipped=strand_flipped.astype(np.bool_), status=status, rules=rules)


def match_report(score: ScoringFile, target: TargetVariants, match: ScoreMatch) -> list[dict[str, Any]]:
    """One summary per score: ``score_id``, ``total`` rows, ``matched`` (direct + flipped), ``match_rate``,
    ``status_<status>`` for each of :data:`STATUSES` (rows with that status), ``type_<match type>`` for each of
    :data:`MATCH_TYPES` (matched rows of that type), ``min_overlap`` and ``passes``. The keys are flat so the
    report writes straight to a TSV row.

    ``passes`` compares the match rate with the ``min_overlap`` recorded in ``match.rules``.
    """
    return _report(score, target, match, float(match.rules.get("min_overlap", DEFAULT_MIN_OVERLAP)))


def check_overlap(score: ScoringFile, target: TargetVariants, match: ScoreMatch, *,
                  min_overlap: float | None = None) -> list[dict[str, Any]]:
    """Return the match report, or raise ``InputError`` naming every score below the minimum overlap.

    ``min_overlap`` overrides the threshold recorded in ``match.rules`` (the CLI's override flag).
    """
    threshold = float(match.rules.get("min_overlap", DEFAULT_MIN_OVERLAP)) if min_overlap is None else min_overlap
    report = _report(score, target, match, threshold)
    failing = [entry for entry in report if not entry["passes"]]
    if failing:
        parts = []
        for entry in failing:
            reasons = ", ".join(f"{entry['status_' + s]} {s.replace('_', ' ')}" for s in STATUSES[2:]
                                if entry["status_" + s])
            parts.append(f"score {entry['score_id']}: {entry['matched']} of {entry['total']} variants "
                         f"({entry['match_rate']:.1%}) matched the target {target.path}"
                         + (f" ({reasons})" if reasons else ""))
        raise InputError("; ".join(parts) + f"; below the minimum overlap of {threshold:.0%}. Check that the score "
                         "and the target are on the same genome build, or lower the minimum overlap to score "
                         "anyway", source=score.path)
    return report


# --- candidates -----------------------------------------------------------------------------------------------

def _candidates(score: ScoringFile, target: TargetVariants
                ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """(score row, target row) pairs, by position and, for rows without one, by ID; and which rows were found
    at their position (whatever the alleles)."""
    s_pos, t_pos = _position_pairs(score, target)
    by_position = np.zeros(score.n_variants, dtype=np.bool_)
    by_position[s_pos] = True
    s_id, t_id = _id_pairs(score, target)
    if len(s_id) == 0:
        return s_pos, t_pos, by_position
    return np.concatenate([s_pos, s_id]), np.concatenate([t_pos, t_id]), by_position


def _position_pairs(score: ScoringFile, target: TargetVariants
                    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    s_chrom = np.asarray(score.chrom, dtype=np.str_)
    t_chrom = np.asarray(target.chrom, dtype=np.str_)
    s_pos = np.asarray(score.pos, dtype=np.int64)
    t_pos = np.asarray(target.pos, dtype=np.int64)
    limit = 1 << _POSITION_BITS
    s_ok = (s_pos > 0) & (s_pos < limit) & (s_chrom != "")
    t_ok = (t_pos > 0) & (t_pos < limit) & (t_chrom != "")
    empty = np.zeros(0, dtype=np.int64)
    if not s_ok.any() or not t_ok.any():
        return empty, empty
    names = np.array(sorted(set(s_chrom[s_ok].tolist()) | set(t_chrom[t_ok].tolist())), dtype=np.str_)
    s_rows = np.flatnonzero(s_ok)
    t_rows = np.flatnonzero(t_ok)
    s_key = (np.searchsorted(names, s_chrom[s_rows]).astype(np.int64) << _POSITION_BITS) | s_pos[s_rows]
    t_key = (np.searchsorted(names, t_chrom[t_rows]).astype(np.int64) << _POSITION_BITS) | t_pos[t_rows]
    order = np.argsort(t_key, kind="stable")
    sorted_keys = t_key[order]
    sorted_rows = t_rows[order]
    low = np.searchsorted(sorted_keys, s_key, side="left")
    high = np.searchsorted(sorted_keys, s_key, side="right")
    counts = high - low
    total = int(counts.sum())
    if total == 0:
        return empty, empty
    pair_rows = np.repeat(s_rows, counts)
    starts = np.repeat(low, counts)
    offsets = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    return pair_rows.astype(np.int64), sorted_rows[starts + offsets].astype(np.int64)


def _id_pairs(score: ScoringFile, target: TargetVariants) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    s_chrom = np.asarray(score.chrom, dtype=np.str_)
    no_position = (np.asarray(score.pos) <= 0) | (s_chrom == "")
    rows = [i for i in np.flatnonzero(no_position).tolist() if score.rsid[i]]
    empty = np.zeros(0, dtype=np.int64)
    if not rows:
        return empty, empty
    by_id: dict[str, list[int]] = {}
    for index, variant_id in enumerate(target.variant_id.tolist()):
        if variant_id and variant_id != ".":
            by_id.setdefault(variant_id, []).append(index)
    pair_rows: list[int] = []
    pair_targets: list[int] = []
    for row in rows:
        for index in by_id.get(score.rsid[row], ()):
            pair_rows.append(row)
            pair_targets.append(index)
    return np.asarray(pair_rows, dtype=np.int64), np.asarray(pair_targets, dtype=np.int64)


# --- match types and the best candidate -------------------------------------------------------------------------

def _complements(alleles: npt.NDArray[np.object_]) -> npt.NDArray[np.object_]:
    table = {allele: complement(allele) for allele in set(alleles.tolist())}
    out = np.empty(len(alleles), dtype=object)
    out[:] = [table[allele] for allele in alleles.tolist()]
    return out


def _ambiguous(target: TargetVariants, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Target rows whose ALT is the complement of their REF (A/T, C/G: strand cannot be told)."""
    ref = target.ref[rows]
    alt = target.alt[rows]
    return np.asarray(_complements(ref) == alt, dtype=np.bool_)


def _match_priority(score: ScoringFile, target: TargetVariants, s_idx: npt.NDArray[np.int64],
                    t_idx: npt.NDArray[np.int64], has_oa: npt.NDArray[np.bool_]) -> npt.NDArray[np.int8]:
    """The index in MATCH_TYPES of the best type each pair satisfies, or _NO_MATCH."""
    priority = np.full(len(s_idx), _NO_MATCH, dtype=np.int8)
    if len(s_idx) == 0:
        return priority
    effect = score.effect_allele[s_idx]
    other = score.other_allele[s_idx]
    effect_flip = _complements(effect)
    other_flip = _complements(other)
    ref = target.ref[t_idx]
    alt = target.alt[t_idx]
    with_oa = has_oa[s_idx]
    without_oa = ~with_oa
    may_flip = ~_ambiguous(target, t_idx)  # at a palindromic site the given strand is the only one tried
    conditions = (
        with_oa & _eq(effect, ref) & _eq(other, alt),
        with_oa & _eq(effect, alt) & _eq(other, ref),
        with_oa & may_flip & _eq(effect_flip, ref) & _eq(other_flip, alt),
        with_oa & may_flip & _eq(effect_flip, alt) & _eq(other_flip, ref),
        without_oa & _eq(effect, ref),
        without_oa & _eq(effect, alt),
        without_oa & may_flip & _eq(effect_flip, ref),
        without_oa & may_flip & _eq(effect_flip, alt),
    )
    for code in range(len(conditions) - 1, -1, -1):
        priority[conditions[code]] = code
    return priority


def _eq(left: npt.NDArray[np.object_], right: npt.NDArray[np.object_]) -> npt.NDArray[np.bool_]:
    return np.asarray(left == right, dtype=np.bool_)


def _best_candidates(n: int, s_idx: npt.NDArray[np.int64], t_idx: npt.NDArray[np.int64],
                     priority: npt.NDArray[np.int8]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int8]]:
    """Per score row: the target row of its best match (lowest type, then lowest target row) and that type."""
    best_target = np.full(n, -1, dtype=np.int64)
    best_priority = np.full(n, _NO_MATCH, dtype=np.int8)
    valid = priority < _NO_MATCH
    if not valid.any():
        return best_target, best_priority
    rows, targets, types = s_idx[valid], t_idx[valid], priority[valid]
    order = np.lexsort((targets, types, rows))
    rows, targets, types = rows[order], targets[order], types[order]
    first = np.ones(len(rows), dtype=np.bool_)
    first[1:] = rows[1:] != rows[:-1]
    best_target[rows[first]] = targets[first]
    best_priority[rows[first]] = types[first]
    return best_target, best_priority


def _membership(score: ScoringFile) -> npt.NDArray[np.bool_]:
    """(rows, scores): whether a row belongs to a score (non-zero weight; every row in a one-score file)."""
    weights = np.asarray(score.weights, dtype=np.float64)
    if weights.shape[1] <= 1:
        return np.ones(weights.shape, dtype=np.bool_)
    return np.asarray(weights != 0, dtype=np.bool_)


def _duplicates(score: ScoringFile, rows: npt.NDArray[np.intp], targets: npt.NDArray[np.int64]
                ) -> npt.NDArray[np.bool_]:
    """For matched rows: whether another row of one of its scores best-matches the same target row."""
    duplicate = np.zeros(len(rows), dtype=np.bool_)
    if len(rows) < 2:
        return duplicate
    order = np.argsort(targets, kind="stable")
    sorted_targets = targets[order]
    starts = np.flatnonzero(np.concatenate([[True], sorted_targets[1:] != sorted_targets[:-1]]))
    sizes = np.diff(np.concatenate([starts, [len(sorted_targets)]]))
    shared = sizes > 1
    if not shared.any():
        return duplicate
    member = _membership(score)
    if member.shape[1] <= 1:
        in_group = np.repeat(shared, sizes)
        duplicate[order[in_group]] = True
        return duplicate
    for start, size in zip(starts[shared].tolist(), sizes[shared].tolist(), strict=True):
        group = order[start:start + size]
        belongs = member[rows[group]]
        clash = belongs & (belongs.sum(axis=0) > 1)
        duplicate[group[clash.any(axis=1)]] = True
    return duplicate


# --- genome builds ----------------------------------------------------------------------------------------------

def _check_declared_builds(score: ScoringFile, target: TargetVariants) -> None:
    if score.genome_build and target.genome_build and score.genome_build != target.genome_build:
        raise GenomeBuildError(
            f"the scoring file is on {score.genome_build} but the target {target.path} is on {target.genome_build}: "
            f"positions on different builds cannot be matched. Use the scoring file harmonized to "
            f"{target.genome_build} (PGS Catalog: <PGS id>_hmPOS_{target.genome_build}.txt.gz) or lift it over",
            source=score.path)


def _check_builds_from_data(score: ScoringFile, target: TargetVariants, by_position: npt.NDArray[np.bool_]) -> None:
    """With a build unknown: refuse when the score's rsIDs are in the target but its positions are not."""
    rsid = score.rsid
    with_id = np.fromiter((isinstance(r, str) and r.startswith("rs") for r in rsid.tolist()), dtype=np.bool_,
                          count=len(rsid))
    checked = with_id & (np.asarray(score.pos) > 0)
    n = int(checked.sum())
    if n < _BUILD_CHECK_MIN_ROWS:
        return
    found_position = int((by_position & checked).sum())
    if found_position >= _BUILD_CHECK_MAX_POSITION_RATE * n:
        return
    target_ids = set(target.variant_id.tolist())
    found_id = sum(1 for r in rsid[checked].tolist() if r in target_ids)
    if found_id < _BUILD_CHECK_MIN_ID_RATE * n or found_id <= found_position:
        return
    builds = f"scoring file {score.genome_build or 'build unknown'}, target {target.genome_build or 'build unknown'}"
    raise GenomeBuildError(
        f"only {found_position} of {n} score variants with an rsID ({found_position / n:.1%}) are at their position "
        f"in the target {target.path}, but {found_id} ({found_id / n:.1%}) of their rsIDs are among its variant IDs: "
        f"the two are probably on different genome builds ({builds}). Use a scoring file on the target's build "
        f"(PGS Catalog harmonized files: *_hmPOS_GRCh37/GRCh38.txt.gz)", source=score.path)


# --- report -----------------------------------------------------------------------------------------------------

def _report(score: ScoringFile, target: TargetVariants, match: ScoreMatch, min_overlap: float
            ) -> list[dict[str, Any]]:
    code = {status: i for i, status in enumerate(STATUSES)}
    try:
        status_codes = np.fromiter((code[s] for s in match.status.tolist()), dtype=np.int64,
                                   count=len(match.status))
    except KeyError as exc:
        raise ValueError(f"unknown match status {exc.args[0]!r}") from exc
    used = match.target_index >= 0
    has_oa = has_other_allele(score)
    type_codes = np.where(has_oa, 0, 4) + np.where(match.effect_is_alt, 1, 0) + np.where(match.strand_flipped, 2, 0)
    member = _membership(score)
    report: list[dict[str, Any]] = []
    for k, score_id in enumerate(score.score_ids):
        rows = member[:, k]
        counts = np.bincount(status_codes[rows], minlength=len(STATUSES))
        types = np.bincount(type_codes[rows & used], minlength=len(MATCH_TYPES))
        total = int(rows.sum())
        matched = int(counts[code["matched"]] + counts[code["matched_flip"]])
        rate = matched / total if total else 0.0
        entry: dict[str, Any] = {"score_id": score_id, "scoring_file": score.path, "target": target.path,
                                 "total": total, "matched": matched, "match_rate": rate}
        entry.update({f"status_{status}": int(counts[i]) for i, status in enumerate(STATUSES)})
        entry.update({f"type_{name}": int(types[i]) for i, name in enumerate(MATCH_TYPES)})
        entry["min_overlap"] = min_overlap
        entry["passes"] = bool(total > 0 and rate >= min_overlap - 1e-12)
        report.append(entry)
    return report
