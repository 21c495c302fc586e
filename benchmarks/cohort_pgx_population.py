"""Population PGx on the 1000 Genomes cohort with `tailormed cohort pgx`: phenotype frequencies per superpopulation
beside published ones, the actionable share beside UK Biobank (99.5%) and All of Us (99.13%), and per-sample
throughput with a projection to 500,000 samples on 100 workers.

Usage:
    python benchmarks/cohort_pgx_population.py [--data ../shared/data/pgx/1kgp-grch38] [--workers 2]
                                               [--skip-throughput] [--tables]

Runs the cohort pipeline (the code path of `tailormed cohort pgx ../shared/data/pgx/1kgp-grch38/*.vcf.gz
--missing-as-ref --populations PANEL --panel-only`) on the 2,514 panel samples and prints:

1. each published frequency of benchmarks/data/pgx_published_frequencies.tsv (sources cited there) beside ours for
   the closest superpopulation, with the difference; TOLERANCE: within 5 percentage points (1000 Genomes
   superpopulations have ~500 people, so the sampling error alone is up to 2.2 points, and the published cohorts
   are other people of similar ancestry, typed on other allele sets);
2. the share with at least one actionable phenotype (docs/cohort.md) for McInnes et al.'s 14 genes and for every
   gene of the pack, beside 99.5% (McInnes et al. 2021, UK Biobank) and 99.13% (All of Us, medRxiv
   2024.06.12.24304664), and the mean number of CPIC drugs whose recommendation would change (McInnes: 10.3);
3. with --tables, every gene's phenotype shares per superpopulation (the plausibility tables this script took over
   from the former pgx_population_frequencies.py);
4. unless --skip-throughput: wall time with 1 and --workers local processes, outputs compared byte for byte, the
   per-sample and per-chunk costs (from runs on 500 and 2,514 samples, and 1 vs 6 chunks), and the projection for
   500,000 samples on 100 workers.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from tailormed.pipelines.cohort_pgx import run_cohort_pgx

HERE = Path(__file__).resolve().parent
TOLERANCE = 0.05
POPULATIONS = ["AFR", "AMR", "EAS", "EUR", "SAS"]
PANEL = "integrated_call_samples_v3.20130502.ALL.panel"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader((line for line in handle if not line.startswith("#")), delimiter="\t"))


def _run(data: Path, out: Path, panel: Path, workers: int, chunk: int = 1000) -> float:
    start = time.perf_counter()
    run_cohort_pgx(sorted(data.glob("*.vcf.gz")), out, missing_as_reference=True, populations_path=panel,
                   panel_only=True, workers=workers, chunk_samples=chunk)
    return time.perf_counter() - start


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.name != ".tailormed-output.json"}


def compare_published(out: Path) -> tuple[int, int]:
    ours: dict[tuple[str, str, str, str], float] = {}
    for row in _rows(out / "phenotype_frequencies.tsv"):
        ours[("phenotype", row["gene"], row["phenotype"], row["population"])] = float(row["frequency"])
    for row in _rows(out / "allele_frequencies.tsv"):
        ours[("allele", row["gene"], row["allele"], row["population"])] = float(row["frequency"])
    print(f"### Published frequencies beside ours (tolerance: within {100 * TOLERANCE:.0f} percentage points)\n")
    print("| gene | kind | value | 1000G | ours | published | source (population) | difference | within |")
    print("|---|---|---|---|---|---|---|---|---|")
    within = total = 0
    for ref in _rows(HERE / "data" / "pgx_published_frequencies.tsv"):
        key = (ref["kind"], ref["gene"], ref["value"], ref["population"])
        mine = ours.get(key, 0.0)
        published = float(ref["published"])
        ok = abs(mine - published) <= TOLERANCE
        within += ok
        total += 1
        print(f"| {ref['gene']} | {ref['kind']} | {ref['value']} | {ref['population']} | {100 * mine:.1f}% | "
              f"{100 * published:.1f}% | {ref['source']} ({ref['source_population']}) | "
              f"{100 * (mine - published):+.1f} | {'yes' if ok else 'NO'} |")
    print(f"\nwithin tolerance: {within} of {total}\n")
    return within, total


def actionable(out: Path) -> None:
    print("### Share with at least one actionable phenotype\n")
    print("| population | gene set | n | with one or more | share | mean CPIC drugs changed |")
    print("|---|---|---|---|---|---|")
    for row in _rows(out / "actionable.tsv"):
        print(f"| {row['population']} | {row['gene_set']} | {row['n']} | {row['count']} | "
              f"{100 * float(row['frequency']):.2f}% | {row['mean_changed_drugs']} |")
    print("\nPublished: 99.5% of 487,409 UK Biobank participants, mean 10.3 drugs (McInnes et al. 2021, 14 genes); "
          "99.13% of ~100,000 All of Us participants (medRxiv 2024.06.12.24304664).\n")


def tables(out: Path) -> None:
    shares: dict[str, dict[str, dict[str, str]]] = defaultdict(lambda: defaultdict(dict))
    for row in _rows(out / "phenotype_frequencies.tsv"):
        shares[row["gene"]][row["phenotype"]][row["population"]] = row["frequency"]
    for gene in sorted(shares):
        print(f"\n#### {gene}\n")
        print("| phenotype | " + " | ".join(POPULATIONS) + " |")
        print("|---|" + "---|" * len(POPULATIONS))
        for label in sorted(shares[gene]):
            cells = [f"{100 * float(shares[gene][label].get(p, '0')):.1f}%" for p in POPULATIONS]
            print(f"| {label} | " + " | ".join(cells) + " |")
    print()


def throughput(data: Path, panel: Path, workers: int, work: Path, n_full: int) -> None:
    print("### Throughput (in-process wall time, knowledge loading and all 20 gene files included)\n")
    times = {}
    for w in sorted({1, workers}):
        times[w] = _run(data, work / f"w{w}", panel, w)
    same = all(_files(work / f"w{w}") == _files(work / "w1") for w in times)
    for w, t in times.items():
        print(f"- {w} local process(es), chunks of 1,000: {t:.2f} s for {n_full} samples "
              f"({1000 * t / n_full:.2f} ms/sample)")
    print(f"- outputs byte-identical across worker counts: {same}")
    # Per-sample and per-chunk costs, one process: all samples in one chunk, in six chunks, and 500 samples.
    lines = panel.read_text().splitlines()
    small = work / "small.panel"
    small.write_text("\n".join(lines[:501]) + "\n")
    one_chunk = _run(data, work / "one", panel, 1, chunk=n_full)
    six_chunks = _run(data, work / "six", panel, 1, chunk=-(-n_full // 6))
    subset = _run(data, work / "sub", small, 1, chunk=n_full)
    per_sample = max(one_chunk - subset, 0.0) / (n_full - 500)
    per_chunk = max(six_chunks - one_chunk, 0.0) / 5
    fixed = max(one_chunk - per_sample * n_full - per_chunk, 0.0)
    print(f"- one process: 1 chunk {one_chunk:.2f} s, 6 chunks {six_chunks:.2f} s, 500 samples {subset:.2f} s "
          f"-> per sample {1000 * per_sample:.2f} ms, per chunk {per_chunk:.2f} s (reading the 20 files, whose "
          f"records hold all 3,202 samples), fixed {fixed:.2f} s")
    # Projection: 500,000 samples in chunks of 10,000 on 100 workers. A chunk reads whole VCF records, which hold
    # every sample of the file: the per-chunk cost lies between the measured one (if opening files and querying
    # regions dominate) and that cost scaled by 500,000 / 3,202 (if decoding every sample's genotypes does).
    n, chunk, w = 500_000, 10_000, 100
    chunks = n // chunk
    low = n * per_sample + chunks * per_chunk
    high = n * per_sample + chunks * per_chunk * n / 3202
    print(f"- projection, {n:,} samples in {chunks} chunks of {chunk:,} on {w} workers: calling and counting "
          f"{n * per_sample / 3600:.2f} CPU-hours, reading {chunks * per_chunk / 3600:.2f} to "
          f"{chunks * per_chunk * n / 3202 / 3600:.2f} CPU-hours: {low / 3600:.2f} to {high / 3600:.2f} CPU-hours, "
          f"{(fixed + low / w) / 60:.1f} to {(fixed + high / w) / 60:.1f} minutes of wall time")
    print("- PharmCAT at biobank scale: Li et al. 2023 ran it on 200,044 UK Biobank participants but we found no "
          "published run time for that run; the nearest published figure we could check is a PharmCAT user's report "
          "(PharmCAT issue #141, 2023-05-26) that its preprocessor took about 15 s per sample to split the ~250,000-"
          f"sample All of Us VCF into single-sample files, about {250_000 * 15 / 3600:,.0f} CPU-hours before any "
          "calling.\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "data" / "pgx" / "1kgp-grch38")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--tables", action="store_true", help="Print every gene's phenotype shares per population.")
    args = parser.parse_args()
    panel = args.data / PANEL
    if not panel.is_file():
        print(f"panel file not found: {panel}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        elapsed = _run(args.data, work / "cohort", panel, args.workers)
        n_full = int(next(r for r in _rows(work / "cohort" / "actionable.tsv") if r["population"] == "ALL")["n"])
        print(f"{n_full} panel samples called and counted in {elapsed:.1f} s ({args.workers} local processes)\n")
        compare_published(work / "cohort")
        actionable(work / "cohort")
        if args.tables:
            tables(work / "cohort")
        if not args.skip_throughput:
            throughput(args.data, panel, args.workers, work, n_full)
    return 0


if __name__ == "__main__":
    sys.exit(main())
