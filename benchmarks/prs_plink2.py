"""Polygenic scoring against plink2 --score: exactness on pgsc_calc's examples, and speed on a synthetic cohort.

Usage:
    python benchmarks/prs_plink2.py [--data ../shared/data/risk/pgsc-examples] [--skip-speed] [--skip-exactness]
                                    [--variants 1000000] [--samples 10000] [--chunk-size N] [--workdir DIR]

Needs the ``plink2`` binary on PATH (Debian: ``apt-get install plink2``); exits with a message otherwise.

(a) Exactness. Every example scoring file is read with ``tailormed.io.scoring_file.read_scoring_file`` and
matched to the example target (chr22, 2,504 samples, 96 missing calls) by ``tailormed.risk.matching`` with its
defaults (pgsc_calc's rules: strand-ambiguous SNPs and multi-allelic sites excluded).
Our scorer (``tailormed.risk.scoring.score``) and plink2 then score the SAME matched variants: they are written
as a plink2 score file (target variant ID, effect allele, weights), one plink2 run per effect type
(additive / dominant / recessive, as pgsc_calc does) with ``--score ... header-read cols=+scoresums,+denom``
(and ``--score-col-nums`` for several columns), for the .pgen, .bed and .vcf.gz target.

plink2 prints scores to 6 significant digits, which cannot show agreement to 1e-9. So each weight column is
also written as integer "digit layers": w_j = S x m_j x sum_l a_jl 32^-l with integer digits a_jl, where m_j
is the number of founder alleles observed at row j when the row has missing calls (so that the mean-imputed
value, a multiple of 1/m_j, times m_j is an integer) and 1 otherwise. Each layer's per-sample sum is then an
integer below 10^6, which plink2 prints exactly; adding the layers back (exact rational arithmetic) recovers
plink2's own sum to ~1e-20. Reported: max relative difference of our sums and averages from those recovered
sums (and from the printed 6-digit columns), and whether ALLELE_CT and DENOM are identical.

(b) Speed. A random .pgen of N variants x M samples (1% missing calls) is written with pgenlib's PgenWriter
and scored with a weight per variant (half of them on the REF allele), once by our scorer in a fresh
process (its defaults: chunk size from ``default_chunk_size``, two decoding threads on a 2-core machine; peak
RSS from resource.getrusage in that process; ScoreMatch built directly, all matched) and once by
``plink2 --pfile ... --score`` with ``--threads`` = the machine's cores. Wall times, their ratio and our peak
memory are printed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import numpy as np
import numpy.typing as npt

from tailormed.io.genotypes import TargetReader, open_target
from tailormed.model.prs import ScoreMatch, ScoreResult, ScoringFile
from tailormed.risk.scoring import default_chunk_size, score

BASE_BITS = 5  # digits of 5 bits: layer sums stay below 10^6 on the example target
LAYERS = 16  # 80 bits below the largest weight: more than a double holds
MODES = ("additive", "dominant", "recessive")


def plink2_input(target: TargetReader) -> list[str]:
    if target.format == "pgen":
        return ["--pfile", str(target.path.with_suffix(""))]
    if target.format == "bed":
        return ["--bfile", str(target.path.with_suffix(""))]
    return ["--vcf", str(target.path)]


def run_plink2(args: Sequence[str], out: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(["plink2", *args, "--out", str(out)], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        log = out.with_suffix(".log")
        tail = log.read_text()[-600:] if log.exists() else done.stdout[-600:]
        raise RuntimeError(f"plink2 failed ({' '.join(args)}):\n{tail}")
    return elapsed


def read_sscore(path: Path) -> tuple[list[str], dict[str, npt.NDArray[np.float64]], dict[str, list[str]]]:
    lines = path.read_text().splitlines()
    header = lines[0].lstrip("#").split("\t")
    rows = [line.split("\t") for line in lines[1:]]
    iid = header.index("IID")
    samples = [r[iid] for r in rows]
    values = {name: np.array([float(r[k]) for r in rows]) for k, name in enumerate(header) if k > iid}
    texts = {name: [r[k] for r in rows] for k, name in enumerate(header) if k > iid}
    return samples, values, texts


def founder_observations(target: TargetReader, rows: npt.NDArray[np.int64],
                         effect_is_alt: npt.NDArray[np.bool_]) -> tuple[npt.NDArray[np.int64], bool]:
    """Per matched row: observed founder alleles if the row has a missing call (else 1); all dosages integral?"""
    dosages = target.dosages(rows)
    missing = np.isnan(dosages)
    founders = target.founders
    observed = 2 * (~missing[:, founders]).sum(axis=1)
    integral = bool(np.all(np.mod(dosages[~missing], 1.0) == 0))
    return np.where(missing.any(axis=1), observed, 1).astype(np.int64), integral


def digit_layers(weights: npt.NDArray[np.float64], multiplier: npt.NDArray[np.int64]) -> tuple[
        npt.NDArray[np.int64], Fraction]:
    """Integer layer weights (rows x LAYERS) with sum_l layer_l x 32^-l x scale = weight / multiplier x multiplier."""
    base = 1 << BASE_BITS
    scaled = [Fraction(float(w)) / int(m) for w, m in zip(weights, multiplier, strict=True)]
    largest = max((abs(s) for s in scaled), default=Fraction(0))
    exponent = math.frexp(float(largest))[1] if largest else 0
    scale = Fraction(2) ** exponent  # |scaled / scale| < 1
    layers = np.zeros((len(weights), LAYERS), dtype=np.int64)
    for j, value in enumerate(scaled):
        rest = value / scale
        sign = -1 if rest < 0 else 1
        rest = abs(rest)
        for layer in range(LAYERS):
            rest *= base
            digit = int(rest)
            rest -= digit
            layers[j, layer] = sign * digit * int(multiplier[j])
    return layers, scale


def plink2_exact(target: TargetReader, scoring: ScoringFile, match: ScoreMatch, work: Path) -> dict[str, object]:
    """Score the matched rows with plink2 (one run per effect type) and recover exact sums from digit layers."""
    used = np.flatnonzero(match.target_index >= 0)
    tv = target.variants
    ids = tv.variant_id[match.target_index[used]]
    if len(set(ids.tolist())) != len(ids) and len(set(zip(ids.tolist(), match.effect_is_alt[used].tolist(),
                                                          strict=True))) != len(ids):
        return {"skipped": "a target variant is matched twice with different effect alleles"}
    n_scores = len(scoring.score_ids)
    samples = target.samples
    total_sum = np.zeros((len(samples), n_scores))
    exact_sum = [[Fraction(0)] * n_scores for _ in samples]
    printed_sum = np.zeros((len(samples), n_scores))
    allele_ct = np.zeros(len(samples), dtype=np.int64)
    denom = np.zeros(len(samples), dtype=np.int64)
    observations, integral = founder_observations(target, match.target_index[used], match.effect_is_alt[used])
    exact_ok = integral
    seconds = 0.0
    mode_of = np.where(scoring.is_dominant[used], 1, np.where(scoring.is_recessive[used], 2, 0))
    for mode in range(3):
        pick = np.flatnonzero(mode_of == mode)
        if not len(pick):
            continue
        rows = used[pick]
        effect = np.where(match.effect_is_alt[rows], tv.alt[match.target_index[rows]], tv.ref[match.target_index[rows]])
        # merge rows that hit the same target variant with the same allele (duplicated scoring rows)
        keys: dict[tuple[str, str], int] = {}
        for k, key in enumerate(zip(ids[pick].tolist(), effect.tolist(), strict=True)):
            keys.setdefault(key, k)
        order = list(keys.values())
        weights = np.zeros((len(order), n_scores))
        for k, key in enumerate(zip(ids[pick].tolist(), effect.tolist(), strict=True)):
            weights[order.index(keys[key])] += np.nan_to_num(scoring.weights[rows[k]])
        multiplier = observations[pick][order]
        columns: list[str] = []
        matrix: list[npt.NDArray[np.float64]] = []
        scales: list[Fraction] = []
        for s in range(n_scores):
            columns.append(f"W{s}")
            matrix.append(weights[:, s])
        for s in range(n_scores):
            layers, scale = digit_layers(weights[:, s], multiplier)
            scales.append(scale)
            for layer in range(LAYERS):
                columns.append(f"L{s}_{layer}")
                matrix.append(layers[:, layer].astype(np.float64))
        path = work / f"{MODES[mode]}.score"
        with path.open("w") as handle:
            handle.write("ID\tA1\t" + "\t".join(columns) + "\n")
            for k, key in enumerate(keys):
                values = []
                for c, column in enumerate(columns):
                    value = matrix[c][k]
                    values.append(repr(float(value)) if column.startswith("W") else str(int(value)))
                handle.write(f"{key[0]}\t{key[1]}\t" + "\t".join(values) + "\n")
        modifiers = [] if mode == 0 else [MODES[mode]]
        args = [*plink2_input(target), "--score", str(path), "1", "2", "header-read", *modifiers,
                "cols=+scoresums,+denom", "--score-col-nums", f"3-{len(columns) + 2}", "--threads", "2"]
        seconds += run_plink2(args, work / MODES[mode])
        names, values, texts = read_sscore(work / f"{MODES[mode]}.sscore")
        if names != samples:
            return {"skipped": "plink2 sample order or ids differ from ours"}
        allele_ct += values["ALLELE_CT"].astype(np.int64)
        denom += values["DENOM"].astype(np.int64)
        for s in range(n_scores):
            printed_sum[:, s] += values[f"W{s}_SUM"]
            for layer in range(LAYERS):
                text = texts[f"L{s}_{layer}_SUM"]
                layer_values = values[f"L{s}_{layer}_SUM"]
                if not np.all(layer_values == np.round(layer_values)) or np.abs(layer_values).max() >= 1e6:
                    exact_ok = False
                factor = scales[s] / (1 << (BASE_BITS * (layer + 1)))
                for i, t in enumerate(text):
                    exact_sum[i][s] += Fraction(int(round(float(t)))) * factor
    for i in range(len(samples)):
        for s in range(n_scores):
            total_sum[i, s] = float(exact_sum[i][s])
    return {"sums": total_sum if exact_ok else None, "printed_sums": printed_sum, "allele_ct": allele_ct,
            "denom": denom, "seconds": seconds}


def relative_difference(ours: npt.NDArray[np.float64], theirs: npt.NDArray[np.float64]) -> float:
    scale = np.maximum(np.abs(ours), np.abs(theirs))
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.where(scale > 0, np.abs(ours - theirs) / np.where(scale > 0, scale, 1.0), 0.0)
    return float(rel.max()) if rel.size else 0.0


def exactness(data: Path, work: Path) -> int:
    from tailormed.io.scoring_file import read_scoring_file
    from tailormed.risk.matching import match_variants

    prefix = data / "target_genomes" / "cineca_synthetic_subset"
    header = (f"{'scoring file':38} {'target':6} {'rows':>5} {'used':>5} {'max rel SUM':>12} {'max rel AVG':>12} "
              f"{'rel SUM 6-digit':>15} {'ALLELE_CT':>9} {'DENOM':>6} {'plink2 s':>8}")
    print(header)
    print("-" * len(header))
    worst = 0.0
    failures = 0
    for scorefile in sorted((data / "scorefiles").iterdir()):
        scoring = read_scoring_file(scorefile)
        for suffix in (".pgen", ".bed", ".vcf.gz"):
            target = open_target(str(prefix) + suffix)
            match = match_variants(scoring, target.variants, min_overlap=0.0)
            used = int(((match.target_index >= 0) & np.isin(match.status.astype(str),
                                                           ("matched", "matched_flip"))).sum())
            label = f"{scorefile.name:38} {target.format:6} {scoring.n_variants:>5} {used:>5}"
            if not used:
                print(f"{label} plink2 cannot run: no variant of the file is in the target")
                continue
            ours: ScoreResult = score(target, scoring, match)
            run_dir = work / f"{scorefile.stem}_{target.format}"
            run_dir.mkdir(parents=True, exist_ok=True)
            theirs = plink2_exact(target, scoring, match, run_dir)
            if "skipped" in theirs:
                print(f"{label} skipped: {theirs['skipped']}")
                continue
            denom = np.asarray(theirs["denom"], dtype=np.float64)
            printed = relative_difference(ours.sums, np.asarray(theirs["printed_sums"]))
            same_ct = bool(np.array_equal(ours.allele_counts[:, 0], np.asarray(theirs["allele_ct"])))
            ours_denom = np.rint(ours.sums[:, 0] / np.where(ours.averages[:, 0] == 0, np.nan, ours.averages[:, 0]))
            same_denom = bool(np.nanmax(np.abs(ours_denom - denom)) == 0)
            if theirs["sums"] is None:
                rel_sum = rel_avg = float("nan")
                note = "(layers not exact)"
            else:
                exact = np.asarray(theirs["sums"])
                rel_sum = relative_difference(ours.sums, exact)
                rel_avg = relative_difference(ours.averages, exact / denom[:, None])
                worst = max(worst, rel_sum, rel_avg)
                note = ""
            failures += int(not same_ct or not same_denom or not (rel_sum <= 1e-9 and rel_avg <= 1e-9))
            print(f"{label} {rel_sum:>12.2e} {rel_avg:>12.2e} {printed:>15.2e} {str(same_ct):>9} "
                  f"{str(same_denom):>6} {float(theirs['seconds']):>8.2f} {note}")
            target.close()
    print(f"\nworst relative difference against plink2's recovered sums/averages: {worst:.2e} (target <= 1e-9); "
          f"{failures} comparison(s) failed")
    return failures


# --------------------------------------------------------------------------------------------- speed
def synthesise(prefix: Path, n_variants: int, n_samples: int, seed: int = 7) -> None:
    """A random biallelic .pgen/.pvar/.psam: allele frequencies 0.02..0.5, 1% missing calls."""
    import pgenlib  # type: ignore[import-untyped, unused-ignore]

    rng = np.random.default_rng(seed)
    tables = []
    for p in np.linspace(0.02, 0.5, 16):  # 256-entry lookup tables: byte -> genotype code
        probs = np.array([0.99 * (1 - p) ** 2, 0.99 * 2 * p * (1 - p), 0.99 * p * p, 0.01])
        edges = np.rint(np.cumsum(probs) * 256).astype(int)
        table = np.zeros(256, dtype=np.int8)
        table[:edges[0]] = 0
        table[edges[0]:edges[1]] = 1
        table[edges[1]:edges[2]] = 2
        table[edges[2]:] = -9
        tables.append(table)
    batch = max(1, (1 << 26) // n_samples)
    with pgenlib.PgenWriter(bytes(str(prefix) + ".pgen", "utf-8"), n_samples, variant_ct=n_variants,
                            nonref_flags=False) as writer:
        for start in range(0, n_variants, batch):
            rows = min(batch, n_variants - start)
            raw = rng.integers(0, 256, size=(rows, n_samples), dtype=np.uint8)
            codes = np.empty((rows, n_samples), dtype=np.int8)
            for r in range(rows):
                np.take(tables[(start + r) % 16], raw[r], out=codes[r])
            writer.append_biallelic_batch(codes)
    bases = np.array(list("ACGT"))
    ref = rng.integers(0, 4, n_variants)
    alt = (ref + rng.integers(1, 4, n_variants)) % 4
    with open(str(prefix) + ".pvar", "w") as handle:
        handle.write("#CHROM\tPOS\tID\tREF\tALT\n")
        step = 200_000
        for start in range(0, n_variants, step):
            stop = min(n_variants, start + step)
            idx = np.arange(start, stop)
            handle.write("".join(f"1\t{i + 1}\tv{i}\t{bases[ref[i]]}\t{bases[alt[i]]}\n" for i in idx))
    with open(str(prefix) + ".psam", "w") as handle:
        handle.write("#IID\tSEX\n" + "".join(f"s{i}\tNA\n" for i in range(n_samples)))


def synthetic_score(target_prefix: Path, n_variants: int, seed: int = 11) -> tuple[ScoringFile, ScoreMatch]:
    rng = np.random.default_rng(seed)
    weights = rng.normal(0.0, 0.01, size=(n_variants, 1))
    effect_is_alt = rng.random(n_variants) < 0.5
    empty = np.array([""] * n_variants, dtype=object)
    scoring = ScoringFile(path="synthetic", score_ids=["SYN"], genome_build=None, harmonized=False, metadata={},
                          chrom=np.full(n_variants, "1", dtype=np.str_), pos=np.arange(1, n_variants + 1),
                          rsid=empty, effect_allele=empty, other_allele=empty, weights=weights,
                          is_dominant=np.zeros(n_variants, np.bool_), is_recessive=np.zeros(n_variants, np.bool_),
                          line=np.arange(2, n_variants + 2))
    match = ScoreMatch(target_index=np.arange(n_variants, dtype=np.int64), effect_is_alt=effect_is_alt,
                       strand_flipped=np.zeros(n_variants, np.bool_),
                       status=np.array(["matched"] * n_variants, dtype=object))
    return scoring, match


def score_child(prefix: Path, n_variants: int, chunk_size: int, out: Path) -> None:
    """Run in a fresh process: open, score, save sums, print timings and peak RSS as JSON."""
    scoring, match = synthetic_score(prefix, n_variants)
    start = time.perf_counter()
    target = open_target(prefix)
    opened = time.perf_counter()
    result = score(target, scoring, match, chunk_size=chunk_size or None)
    done = time.perf_counter()
    np.save(out, np.stack([result.sums[:, 0], result.averages[:, 0], result.allele_counts[:, 0]], axis=1))
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"open_s": opened - start, "score_s": done - opened, "peak_mib": peak_kib / 1024}))


def speed(n_variants: int, n_samples: int, chunk_size: int, work: Path) -> None:
    work.mkdir(parents=True, exist_ok=True)
    prefix = work / "synthetic"
    print(f"\nsynthesising {n_variants:,} variants x {n_samples:,} samples (1% missing) with pgenlib ...",
          flush=True)
    start = time.perf_counter()
    synthesise(prefix, n_variants, n_samples)
    size_mib = Path(str(prefix) + ".pgen").stat().st_size / 2**20
    print(f"  written in {time.perf_counter() - start:.1f} s ({size_mib:.0f} MiB .pgen)")
    scoring, match = synthetic_score(prefix, n_variants)
    score_path = work / "synthetic.score"
    alleles = np.where(match.effect_is_alt, "ALT", "REF")
    pvar_alleles = np.loadtxt(str(prefix) + ".pvar", dtype=str, usecols=(3, 4), skiprows=1, ndmin=2)
    effect = np.where(alleles == "ALT", pvar_alleles[:, 1], pvar_alleles[:, 0])
    with score_path.open("w") as handle:
        handle.write("ID\tA1\tSYN\n")
        handle.write("".join(f"v{i}\t{effect[i]}\t{float(scoring.weights[i, 0])!r}\n" for i in range(n_variants)))
    # Both tools start from the same state: the synthetic files flushed to disk and read once into the page
    # cache (otherwise whichever runs first pays for the write-back and the cold reads).
    os.sync()
    for suffix in (".pgen", ".pvar", ".psam"):
        with open(str(prefix) + suffix, "rb") as handle:
            while handle.read(1 << 24):
                pass
    ours_out = work / "ours.npy"
    command = [sys.executable, __file__, "--_child", str(prefix), str(n_variants), str(chunk_size), str(ours_out)]
    start = time.perf_counter()
    child = subprocess.run(command, capture_output=True, text=True, check=True)
    ours_wall = time.perf_counter() - start
    stats = json.loads(child.stdout.strip().splitlines()[-1])
    plink_args = ["--pfile", str(prefix), "--score", str(score_path), "1", "2", "3", "header-read",
                  "cols=+scoresums,+denom", "--threads", str(os.cpu_count() or 1)]
    plink_wall = run_plink2(plink_args, work / "plink2_synthetic")
    _, values, _ = read_sscore(work / "plink2_synthetic.sscore")
    ours = np.load(ours_out)
    printed = relative_difference(ours[:, 0], values["SYN_SUM"])
    print(f"\nours:   {' '.join(command[:2])} (score in a fresh process, matcher-free: ScoreMatch built directly)")
    print(f"plink2: plink2 {' '.join(plink_args)} --out {work / 'plink2_synthetic'}")
    print(f"\n{'tool':8} {'wall s':>8} {'open s':>7} {'score s':>8} {'peak RSS MiB':>13}")
    print(f"{'ours':8} {ours_wall:>8.1f} {stats['open_s']:>7.1f} {stats['score_s']:>8.1f} {stats['peak_mib']:>13.0f}")
    print(f"{'plink2':8} {plink_wall:>8.1f} {'':>7} {'':>8} {'':>13}")
    rows = chunk_size or default_chunk_size(n_samples)
    print(f"\nratio ours / plink2 (wall): {ours_wall / plink_wall:.2f}; chunk size {rows} rows; "
          f"max relative difference of sums vs plink2's 6-digit output: {printed:.1e}")


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--_child":
        score_child(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), Path(sys.argv[5]))
        return 0
    here = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=here.parent / "shared" / "data" / "risk" / "pgsc-examples")
    parser.add_argument("--variants", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--chunk-size", type=int, default=0, help="target rows per chunk (default: the scorer's)")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-exactness", action="store_true")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the files here (default: a temp dir)")
    args = parser.parse_args()
    if shutil.which("plink2") is None:
        print("plink2 is not on PATH: this benchmark compares with it (Debian: apt-get install plink2).",
              file=sys.stderr)
        return 2
    version = subprocess.run(["plink2", "--version"], capture_output=True, text=True).stdout.strip()
    print(f"plink2: {version}\n")
    with tempfile.TemporaryDirectory(prefix="prs_plink2_") as temp:
        work = args.workdir or Path(temp)
        work.mkdir(parents=True, exist_ok=True)
        failures = 0
        if not args.skip_exactness:
            if not args.data.is_dir():
                print(f"example data not found: {args.data}", file=sys.stderr)
                return 2
            failures = exactness(args.data, work / "exactness")
        if not args.skip_speed:
            speed(args.variants, args.samples, args.chunk_size, work / "speed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
