"""Named-allele matching: genotypes at defining positions -> diplotypes.

Pure functions over the arrays built by :mod:`tailormed.io.vcf`.  The method is
documented in ``docs/pgx-matching.md``; in short:

* A named allele is a full haplotype over the gene's defining positions: the
  bases it lists, and the reference base everywhere else.
* A position with no genotype is dropped from every definition for that sample
  (alleles left with no defined position cannot be called).
* A diplotype (pair of alleles) fits when, for every phase block, the two
  haplotypes can be laid on the sample's two chromosomes; an unphased
  heterozygous position is a block of its own, a phased genotype joins the block
  of its phase set (PS), or the single whole-gene block when PS is absent.
* Each allele scores the number of positions its definition lists (the reference
  allele lists them all), counted over the positions present; a diplotype scores
  the sum.  The best-scoring diplotypes are reported, and every tie is reported.

Cohorts are vectorised by de-duplicating genotype patterns: samples with the
same genotypes (and phase structure) are matched once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from tailormed.model.genotypes import ABSENT, MISSING, UNEXPECTED, GeneGenotypes
from tailormed.model.pack import GeneDefinition

_IUPAC = {
    "R": "AG", "Y": "CT", "S": "CG", "W": "AT", "K": "GT", "M": "AC",
    "B": "CGT", "D": "AGT", "H": "ACT", "V": "ACG", "N": "ACGT",
}
REFERENCE_LABEL = "Reference"


@dataclass(frozen=True)
class AlleleTable:
    """A gene's named alleles as arrays: which codes each allele accepts at each position."""

    names: list[str]
    accepts: npt.NDArray[np.uint16]  # (alleles, positions) bitmask of accepted allele codes
    defined: npt.NDArray[np.bool_]  # (alleles, positions) the definition lists this position
    nonref: npt.NDArray[np.bool_]  # (alleles, positions) the definition differs from the reference here
    functions: list[str]
    activity: list[float | None]
    reference_index: int


def build_allele_table(gene: GeneDefinition) -> AlleleTable:
    """Turn a gene definition into bitmask arrays (reference allele = code 0 everywhere)."""
    n_pos = len(gene.variants)
    index_of = {v.id: i for i, v in enumerate(gene.variants)}
    names, functions, activity = [], [], []
    matchable = [a for a in gene.alleles if not a.structural]  # structural alleles are invisible in a VCF
    accepts = np.ones((len(matchable), n_pos), dtype=np.uint16)  # bit 0 = reference
    defined = np.zeros((len(matchable), n_pos), dtype=bool)
    nonref = np.zeros((len(matchable), n_pos), dtype=bool)
    reference_index = 0
    for a, allele in enumerate(matchable):
        names.append(allele.name)
        functions.append(allele.function)
        activity.append(allele.activity_value)
        if allele.name == gene.reference_allele:
            reference_index = a
            defined[a, :] = True
        for variant_id, base in allele.defining.items():
            p = index_of[variant_id]
            variant = gene.variants[p]
            alleles = [variant.ref, *variant.alt]
            wanted = set(_IUPAC.get(base, base)) if len(base) == 1 and base in _IUPAC else {base}
            mask = 0
            for code, candidate in enumerate(alleles):
                if candidate in wanted:
                    mask |= 1 << code
            accepts[a, p] = mask
            defined[a, p] = True
            nonref[a, p] = mask != 1
    return AlleleTable(names, accepts, defined, nonref, functions, activity, reference_index)


@dataclass
class MatchCall:
    """The matcher's answer for one sample and gene."""

    diplotypes: list[tuple[str, ...]] = field(default_factory=list)  # best-scoring, ties included
    score: int = 0
    missing_positions: list[int] = field(default_factory=list)  # position indices
    unexplained: list[int] = field(default_factory=list)  # position indices with unexplained alleles
    cannot_exclude: list[str] = field(default_factory=list)  # alleles whose defining positions are missing
    hemizygous: bool = False
    heteroplasmy: bool = False
    phase_unknown: bool = False  # core_variants: the alternatives come from genotypes whose phase is not known


def _natural_key(name: str) -> tuple[object, ...]:
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name))


def _phase_blocks(codes: npt.NDArray[np.int8], phased: npt.NDArray[np.bool_],
                  phase_set: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Block id per position: phased genotypes share their PS's block, unphased hets stand alone."""
    blocks = np.zeros(len(codes), dtype=np.int64)
    next_private = -1
    for p in range(len(codes)):
        a, b = codes[p]
        if a == b or a < 0 or b < 0:
            blocks[p] = 0  # homozygous or missing: orientation does not matter
        elif phased[p]:
            blocks[p] = int(phase_set[p]) + 1 if phase_set[p] > 0 else 1
        else:
            blocks[p] = next_private
            next_private -= 1
    return blocks


def _match_pattern(table: AlleleTable, codes: npt.NDArray[np.int8], blocks: npt.NDArray[np.int64]) -> MatchCall:
    """Match one genotype pattern (positions x 2 codes) against every allele pair."""
    present = ~((codes[:, 0] == MISSING) | (codes[:, 1] == MISSING))
    call = MatchCall(missing_positions=[int(p) for p in np.flatnonzero(~present)])
    usable = table.defined[:, present].any(axis=1) if present.any() else np.zeros(len(table.names), bool)
    # alleles whose non-reference bases are all at missing positions cannot be told from others
    hidden = table.nonref[:, ~present].any(axis=1)
    call.cannot_exclude = sorted({table.names[a] for a in np.flatnonzero(hidden)}, key=_natural_key)
    candidates = np.flatnonzero(usable)
    if not present.any() or len(candidates) == 0:
        return call
    c = codes[present]
    acc = table.accepts[np.ix_(candidates, np.flatnonzero(present))]
    scores = table.defined[np.ix_(candidates, np.flatnonzero(present))].sum(axis=1)
    blk = blocks[present]

    def fits(hap: npt.NDArray[np.int8]) -> npt.NDArray[np.bool_]:
        ok = hap >= 0
        shifted = np.where(ok, hap, 0).astype(np.uint16)
        return ((acc >> shifted) & 1).astype(bool) & ok

    first = fits(c[:, 0])  # (alleles, positions)
    call.hemizygous = bool(np.all(c[:, 1] == ABSENT))
    if call.hemizygous:
        whole = first.all(axis=1)
        best = _best(scores, np.flatnonzero(whole))
        call.diplotypes = [(table.names[candidates[i]],) for i in best]
        call.score = int(scores[best[0]]) if best else 0
        call.unexplained = _unexplained(c, present) if not best else []
        return call
    second = fits(c[:, 1])
    straight = first[:, None, :] & second[None, :, :]  # (i, j, positions)
    swapped = second[:, None, :] & first[None, :, :]
    ok = np.ones(straight.shape[:2], dtype=bool)
    for block in np.unique(blk):
        in_block = blk == block
        if block == 0:
            ok &= (straight[:, :, in_block] | swapped[:, :, in_block]).all(axis=2)
        else:
            ok &= straight[:, :, in_block].all(axis=2) | swapped[:, :, in_block].all(axis=2)
    i_idx, j_idx = np.nonzero(np.triu(ok | ok.T))
    if len(i_idx) == 0:
        call.unexplained = _unexplained(c, present)
        return call
    pair_scores = scores[i_idx] + scores[j_idx]
    top = pair_scores.max()
    names = set()
    for i, j in zip(i_idx[pair_scores == top], j_idx[pair_scores == top], strict=True):
        pair = sorted((table.names[candidates[i]], table.names[candidates[j]]), key=_natural_key)
        names.add(tuple(pair))
    call.diplotypes = sorted(names, key=lambda d: tuple(_natural_key(x) for x in d))
    call.score = int(top)
    return call


def _best(scores: npt.NDArray[np.int64], fitting: npt.NDArray[np.int64]) -> list[int]:
    if len(fitting) == 0:
        return []
    top = scores[fitting].max()
    return [int(i) for i in fitting if scores[i] == top]


def _unexplained(codes: npt.NDArray[np.int8], present: npt.NDArray[np.bool_]) -> list[int]:
    positions = np.flatnonzero(present)
    nonref = (codes != 0) & (codes != ABSENT)
    return [int(positions[p]) for p in np.flatnonzero(nonref.any(axis=1))]


def _collapse_haploid(codes: npt.NDArray[np.int8], force: bool) -> tuple[npt.NDArray[np.int8], bool]:
    """Treat a sample as carrying one copy (male chrX, chrM) and report heteroplasmy-like hets.

    One copy is used when ``force`` is set (the patient's sex, or a mitochondrial gene) or when the
    VCF itself writes haploid genotypes at some positions and no heterozygous diploid one: callers
    often write a male's chrX haploid at variant sites but ``0|0`` elsewhere.
    """
    haploid_calls = (codes[:, 1] == ABSENT) & (codes[:, 0] != MISSING)
    het = (codes[:, 0] != codes[:, 1]) & (codes[:, 1] != ABSENT) & (codes[:, 0] >= 0) & (codes[:, 1] >= 0)
    if not force and not (haploid_calls.any() and not het.any()):
        return codes, False
    if not force and bool(haploid_calls.all()):
        return codes, False  # already one copy everywhere
    out = codes.copy()
    out[:, 1] = ABSENT
    return out, bool(het.any())


def genotype_row_keys(genotypes: GeneGenotypes, haploid: npt.NDArray[np.bool_] | None = None) -> npt.NDArray[np.intp]:
    """For each sample, the index of its distinct genotype row at this gene: samples with equal alleles, phase,
    phase sets and ploidy get the same index (their calls and per-position genotypes are the same).

    In a cohort most samples share a row with others, so the per-sample work is done once per distinct row.
    """
    n_samples = genotypes.codes.shape[0]
    if n_samples == 0:
        return np.zeros(0, dtype=np.intp)
    parts = [np.ascontiguousarray(genotypes.codes).reshape(n_samples, -1).view(np.uint8),
             np.ascontiguousarray(genotypes.phased).reshape(n_samples, -1).view(np.uint8),
             np.ascontiguousarray(genotypes.phase_set).reshape(n_samples, -1).view(np.uint8),
             (haploid if haploid is not None else np.zeros(n_samples, dtype=bool)).astype(np.uint8)[:, None]]
    rows = np.ascontiguousarray(np.concatenate(parts, axis=1))
    data, width = rows.tobytes(), rows.shape[1]
    first: dict[bytes, int] = {}  # a sample's key is the index of the first sample like it
    return np.fromiter((first.setdefault(data[s * width:(s + 1) * width], s) for s in range(n_samples)),
                       dtype=np.intp, count=n_samples)


def match_haplotypes(gene: GeneDefinition, genotypes: GeneGenotypes, haploid: npt.NDArray[np.bool_] | None = None,
                     table: AlleleTable | None = None,
                     rows: npt.NDArray[np.intp] | None = None) -> list[MatchCall]:
    """Diplotypes for every sample in ``genotypes`` (``haploid[s]`` forces one haplotype); ``rows`` from
    :func:`genotype_row_keys` (computed when not given) lets samples with equal genotypes share one call."""
    table = table or build_allele_table(gene)
    rows = genotype_row_keys(genotypes, haploid) if rows is None else rows
    n_samples = genotypes.codes.shape[0]
    results: list[MatchCall] = []
    cache: dict[bytes, MatchCall] = {}
    for s in range(n_samples):
        if rows[s] != s:  # a sample before this one has the same genotypes
            results.append(results[rows[s]])
            continue
        codes = genotypes.codes[s]
        codes, het_in_haploid = _collapse_haploid(codes, bool(haploid[s]) if haploid is not None else False)
        blocks = _phase_blocks(codes, genotypes.phased[s], genotypes.phase_set[s])
        key = codes.tobytes() + _normalise_blocks(blocks).tobytes()
        call = cache.get(key)
        if call is None:
            call = _match_pattern(table, codes, blocks)
            cache[key] = call
        if het_in_haploid:
            call = MatchCall(**{**call.__dict__, "heteroplasmy": True})
        results.append(call)
    return results


def _normalise_blocks(blocks: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Relabel block ids by first appearance so equal structures give equal keys."""
    relabel: dict[int, int] = {0: 0}
    out = np.empty_like(blocks)
    for p, b in enumerate(blocks):
        out[p] = relabel.setdefault(int(b), len(relabel))
    return out


# --------------------------------------------------------------------------- independent variants


@dataclass
class VariantListCall:
    """Independent-variant genes (DPYD, RYR1, G6PD...): the variant alleles found on each haplotype."""

    haplotypes: list[list[str]]  # per haplotype, allele names found (empty = reference)
    unphased_extra: list[str] = field(default_factory=list)
    missing_positions: list[int] = field(default_factory=list)
    unexpected_positions: list[int] = field(default_factory=list)
    hemizygous: bool = False
    phased: bool = True
    heteroplasmy: bool = False


def match_independent_variants(gene: GeneDefinition, genotypes: GeneGenotypes,
                               haploid: npt.NDArray[np.bool_] | None = None,
                               rows: npt.NDArray[np.intp] | None = None) -> list[VariantListCall]:
    """For each sample, which single-variant alleles it carries and on which haplotype (``rows`` as in
    :func:`match_haplotypes`)."""
    table = build_allele_table(gene)
    rows = genotype_row_keys(genotypes, haploid) if rows is None else rows
    allele_positions = []
    for a in range(len(table.names)):
        if a == table.reference_index:
            continue
        positions = np.flatnonzero(table.nonref[a])
        allele_positions.append((a, positions))
    results: list[VariantListCall] = []
    cache: dict[bytes, VariantListCall] = {}
    for s in range(genotypes.codes.shape[0]):
        if rows[s] != s:
            results.append(results[rows[s]])
            continue
        codes, het = _collapse_haploid(genotypes.codes[s], bool(haploid[s]) if haploid is not None else False)
        key = codes.tobytes() + genotypes.phased[s].tobytes()
        if key in cache:
            results.append(cache[key])
            continue
        hemizygous = bool(np.all(codes[:, 1] == ABSENT))
        missing = [int(p) for p in np.flatnonzero((codes == MISSING).any(axis=1))]
        unexpected = [int(p) for p in np.flatnonzero((codes == UNEXPECTED).any(axis=1))]
        n_haps = 1 if hemizygous else 2
        haps: list[list[str]] = [[] for _ in range(n_haps)]
        het_positions = 0
        phased_all = True
        for a, positions in allele_positions:
            for h in range(n_haps):
                hap_codes = codes[positions, h]
                if len(positions) and np.all(hap_codes >= 0) and np.all(
                        (table.accepts[a, positions] >> hap_codes.astype(np.uint16)) & 1):
                    haps[h].append(table.names[a])
            if not hemizygous and len(positions):
                h0, h1 = codes[positions[0]]
                if h0 != h1 and h0 >= 0 and h1 >= 0:
                    het_positions += 1
                    phased_all &= bool(genotypes.phased[s, positions[0]])
        phased = phased_all or het_positions <= 1
        if not phased:
            haps = _spread_unphased(haps)
        cache[key] = VariantListCall(haplotypes=haps, missing_positions=missing, unexpected_positions=unexpected,
                                     hemizygous=hemizygous, phased=phased, heteroplasmy=het)
        results.append(cache[key])
    return results


def _spread_unphased(haps: list[list[str]]) -> list[list[str]]:
    """Without phase, put heterozygous variants on alternate chromosomes (homozygous ones on both)."""
    both = [a for a in haps[0] if a in haps[1]]
    single = [a for h in haps for a in h if a not in both]
    spread: list[list[str]] = [list(both), list(both)]
    for n, allele in enumerate(single):
        spread[n % 2].append(allele)
    return spread


# --------------------------------------------------------------------------- core variants (CYP2D6 full set)

_FUNCTION_PRIORITY = ("no function", "decreased function", "possible decreased function", "increased function",
                      "possible increased function", "uncertain function", "unknown function", "normal function")
"""When several alleles fit a haplotype and none contains the others' core variants, the first function here wins
(PyPGx's order: a no-function variant on a decreased-function background is the no-function allele)."""

MAX_PHASE_BLOCKS = 12
"""Unphased heterozygous sites (or phase blocks) beyond which the arrangements are not enumerated (2^11 of them)."""


@dataclass(frozen=True)
class CoreAlleleTable:
    """A ``core_variants`` gene's alleles as sets of (position index, allele code) core variants."""

    names: list[str]
    cores: list[frozenset[tuple[int, int]]]
    rank: list[tuple[int, int]]  # (function priority, -number of core variants): lower is preferred
    positions: list[frozenset[int]]


def build_core_table(gene: GeneDefinition) -> CoreAlleleTable:
    """Each allele's core variants as (position index, code) pairs (the reference allele has none)."""
    index_of = {v.id: i for i, v in enumerate(gene.variants)}
    names, cores, rank, positions = [], [], [], []
    for allele in gene.alleles:
        if allele.structural:
            continue
        core = set()
        for variant_id, base in allele.defining.items():
            p = index_of[variant_id]
            variant = gene.variants[p]
            bases = [variant.ref, *variant.alt]
            if base in bases and base != variant.ref:
                core.add((p, bases.index(base)))
        function = allele.function.lower()
        priority = _FUNCTION_PRIORITY.index(function) if function in _FUNCTION_PRIORITY else len(_FUNCTION_PRIORITY)
        names.append(allele.name)
        cores.append(frozenset(core))
        rank.append((priority, -len(core)))
        positions.append(frozenset(p for p, _ in core))
    return CoreAlleleTable(names, cores, rank, positions)


def _call_core_haplotype(table: CoreAlleleTable, observed: frozenset[tuple[int, int]],
                         cache: dict[frozenset[tuple[int, int]], tuple[list[int], frozenset[tuple[int, int]]]]
                         ) -> tuple[list[int], frozenset[tuple[int, int]]]:
    """The alleles a haplotype is (ties kept), and the observed variants no fitting allele's core explains."""
    hit = cache.get(observed)
    if hit is not None:
        return hit
    fitting = [a for a, core in enumerate(table.cores) if core <= observed]
    maximal = [a for a in fitting if not any(table.cores[a] < table.cores[b] for b in fitting)]
    best = min(table.rank[a] for a in maximal)
    chosen = sorted((a for a in maximal if table.rank[a] == best), key=lambda a: _natural_key(table.names[a]))
    explained = frozenset().union(*(table.cores[a] for a in fitting))
    cache[observed] = (chosen, observed - explained)
    return chosen, observed - explained


def match_core_variants(gene: GeneDefinition, genotypes: GeneGenotypes,
                        rows: npt.NDArray[np.intp] | None = None,
                        table: CoreAlleleTable | None = None) -> list[MatchCall]:
    """Diplotypes of a ``core_variants`` gene for every sample (``docs/pgx-matching.md``).

    A haplotype is the allele whose core variants it carries (the most specific such allele, then the one of lower
    function). Phased genotypes give the two haplotypes; when phase is unknown (unphased heterozygous sites, or
    several phase sets) every arrangement is tried and every distinct diplotype is reported, those leaving fewer
    variants unexplained first, so that a VCF that cannot separate them never yields one confident call.
    """
    table = table or build_core_table(gene)
    rows = genotype_row_keys(genotypes) if rows is None else rows
    hap_cache: dict[frozenset[tuple[int, int]], tuple[list[int], frozenset[tuple[int, int]]]] = {}
    results: list[MatchCall] = []
    for s in range(genotypes.codes.shape[0]):
        if rows[s] != s:
            results.append(results[rows[s]])
            continue
        results.append(_match_core_sample(table, genotypes.codes[s], genotypes.phased[s], genotypes.phase_set[s],
                                          hap_cache))
    return results


def _match_core_sample(table: CoreAlleleTable, codes: npt.NDArray[np.int8], phased: npt.NDArray[np.bool_],
                       phase_set: npt.NDArray[np.int64],
                       hap_cache: dict[frozenset[tuple[int, int]], tuple[list[int], frozenset[tuple[int, int]]]]
                       ) -> MatchCall:
    missing = (codes == MISSING).any(axis=1)
    call = MatchCall(missing_positions=[int(p) for p in np.flatnonzero(missing)])
    missing_set = {int(p) for p in np.flatnonzero(missing)}
    if missing_set:
        call.cannot_exclude = sorted({table.names[a] for a, pos in enumerate(table.positions) if pos & missing_set},
                                     key=_natural_key)
    if missing.all():
        return call
    unexpected = [int(p) for p in np.flatnonzero((codes == UNEXPECTED).any(axis=1))]
    call.hemizygous = bool(np.all(codes[:, 1] == ABSENT))
    n_haps = 1 if call.hemizygous else 2
    fixed: list[set[tuple[int, int]]] = [set() for _ in range(n_haps)]
    by_block: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    # only positions with a variant allele matter (reference, missing and unexpected alleles add no core variant)
    for p in (int(i) for i in np.flatnonzero((codes > 0).any(axis=1) & ~missing)):
        a, b = int(codes[p, 0]), int(codes[p, 1])
        if n_haps == 1 or a == b:
            for h, code in enumerate((a, b)[:n_haps]):
                if code > 0:
                    fixed[h].add((p, code))
        else:  # heterozygous: phased genotypes share their phase set's block, unphased ones stand alone
            key = (1, int(phase_set[p])) if phased[p] else (0, p)
            by_block.setdefault(key, []).append((p, a, b))
    block_list = list(by_block.values())
    if len(block_list) > MAX_PHASE_BLOCKS:
        call.phase_unknown = True
        call.unexplained = sorted({p for block in block_list for p, _, _ in block})
        return call  # too many arrangements to enumerate: no call rather than a guess
    found: dict[tuple[str, ...], tuple[int, int, int]] = {}  # diplotype -> (unexplained, variant haplotypes, explained)
    leftovers: set[int] | None = None  # unexplained whatever the arrangement
    for flips in range(1 << max(0, len(block_list) - 1)):
        haps = [set(h) for h in fixed]
        for k, block in enumerate(block_list):
            flip = k > 0 and bool(flips >> (k - 1) & 1)
            for p, a, b in block:
                first, second = (b, a) if flip else (a, b)
                if first > 0:
                    haps[0].add((p, first))
                if second > 0:
                    haps[1].add((p, second))
        calls = [_call_core_haplotype(table, frozenset(h), hap_cache) for h in haps]
        left = sum(len(c[1]) for c in calls)
        for choice in (calls[0][0] if n_haps == 1 else [(i, j) for i in calls[0][0] for j in calls[1][0]]):
            picked = (choice,) if isinstance(choice, int) else choice
            names = tuple(sorted((table.names[a] for a in picked), key=_natural_key))
            explained = sum(len(table.cores[a]) for a in picked)
            # rank: variants no fitting allele explains, then haplotypes carrying variants (the fewer the likelier:
            # *1/*4 before *4/*10 for 100C>T, 1847G>A and 4181G>C without phase)
            rank = (left, sum(1 for h in haps if h), explained)
            previous = found.get(names)
            if previous is None or rank[:2] < previous[:2]:
                found[names] = rank
        here = {p for c in calls for p, _ in c[1]} if left else set()
        leftovers = here if leftovers is None else leftovers & here
    ordered = sorted(found, key=lambda d: (found[d][:2], tuple(_natural_key(x) for x in d)))
    call.diplotypes = ordered
    call.score = found[ordered[0]][2] if ordered else 0
    call.phase_unknown = len(block_list) > 1 and len(ordered) > 1
    call.unexplained = sorted((leftovers or set()) | set(unexpected))
    return call
