"""Cohort throughput on the 1000 Genomes GRCh38 pharmacogene VCFs (3,202 samples, one file per gene).

Usage:
    python benchmarks/pgx_throughput.py [--data ../shared/data/pgx/1kgp-grch38] [--samples N ...] [--formats tsv]

Samples are a random subset (fixed seed) so that each size has the same population mix.
Runs the same code path as `tailormed pgx call FILES... --missing-as-ref --formats tsv` in this process,
for each requested sample count, and prints wall time, peak memory (resident set size high-water
mark of this process) and the time per sample, so linear growth can be checked. The JSON/HTML
reports for every sample are timed separately with --formats tsv,json,html.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from cyvcf2 import VCF

from tailormed.pipelines.pgx import run_pgx_call


def main() -> int:
    here = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=here / ".." / "shared" / "data" / "pgx" / "1kgp-grch38")
    parser.add_argument("--samples", type=int, nargs="*", default=[400, 800, 1600, 3202])
    parser.add_argument("--formats", default="tsv")
    args = parser.parse_args()
    files = sorted(args.data.glob("*.vcf.gz"))
    if not files:
        print(f"no VCFs under {args.data}", file=sys.stderr)
        return 2
    all_samples = list(VCF(str(files[0])).samples)
    print(f"files: {len(files)}  samples available: {len(all_samples)}  formats: {args.formats}")
    print("| samples | wall s | ms/sample | calls (sample x gene) | peak RSS MiB |")
    print("|---|---|---|---|---|")
    for n in args.samples:
        # A random subset (fixed seed): the file order groups populations, and genetic diversity, not
        # sample count, sets how many distinct genotype patterns there are to match.
        chosen = random.Random(0).sample(all_samples, n) if n < len(all_samples) else all_samples
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            summary = run_pgx_call(files, Path(tmp) / "out", samples=chosen if n < len(all_samples) else None,
                                   missing_as_reference=True, formats=args.formats.split(","))
            wall = time.perf_counter() - start
            rows = 0
            if "tsv" in args.formats:
                with open(Path(tmp) / "out" / "calls.tsv") as calls_tsv:
                    rows = sum(1 for _ in calls_tsv) - 1
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"| {summary.samples} | {wall:.2f} | {1000 * wall / summary.samples:.2f} | {rows} | {peak:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
