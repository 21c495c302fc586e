"""Cohort throughput on the 1000 Genomes GRCh38 pharmacogene VCFs (3,202 samples, one file per gene).

Usage:
    python benchmarks/pgx_throughput.py [--data ../shared/data/pgx/1kgp-grch38] [--samples N ...] [--formats tsv]
    python benchmarks/pgx_throughput.py --cli [--repeat 3] [--workers N]

Default mode: samples are a random subset (fixed seed) so that each size has the same population mix.
Runs the same code path as `tailormed pgx call FILES... --missing-as-ref --formats tsv` in this process,
for each requested sample count, and prints wall time, peak memory (resident set size high-water
mark of this process) and the time per sample, so linear growth can be checked. The JSON/HTML
reports for every sample are timed with --formats tsv,json,html.

--cli: the command line as a user runs it, all samples, each command in a fresh process (start-up, imports
and knowledge loading included): `--formats tsv`, then the default formats (calls.tsv, a compact JSON and an
HTML report per sample, knowledge.json), each --repeat times; prints every wall time, the median, the peak
resident set size of any process so far (the report-writing processes included), and the sizes written.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cyvcf2 import VCF

from tailormed.pipelines.pgx import run_pgx_call


def _in_process(files: list[Path], sizes: list[int], formats: str) -> None:
    all_samples = list(VCF(str(files[0])).samples)
    print(f"files: {len(files)}  samples available: {len(all_samples)}  formats: {formats}")
    print("| samples | wall s | ms/sample | calls (sample x gene) | peak RSS MiB |")
    print("|---|---|---|---|---|")
    for n in sizes:
        # A random subset (fixed seed): the file order groups populations, and genetic diversity, not
        # sample count, sets how many distinct genotype patterns there are to match.
        chosen = random.Random(0).sample(all_samples, n) if n < len(all_samples) else all_samples
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            summary = run_pgx_call(files, Path(tmp) / "out", samples=chosen if n < len(all_samples) else None,
                                   missing_as_reference=True, formats=formats.split(","))
            wall = time.perf_counter() - start
            rows = 0
            if "tsv" in formats:
                with open(Path(tmp) / "out" / "calls.tsv") as calls_tsv:
                    rows = sum(1 for _ in calls_tsv) - 1
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"| {summary.samples} | {wall:.2f} | {1000 * wall / summary.samples:.2f} | {rows} | {peak:.0f} |")


def _sizes(out: Path) -> str:
    samples = [p for p in out.iterdir()
               if p.suffix in (".json", ".html") and p.name != "knowledge.json" and not p.name.startswith(".")]
    json_sizes = sorted(p.stat().st_size for p in samples if p.suffix == ".json")
    html_sizes = sorted(p.stat().st_size for p in samples if p.suffix == ".html")
    total = sum(p.stat().st_size for p in out.iterdir())
    text = f"{total / 2**20:.0f} MiB in {sum(1 for _ in out.iterdir())} files"
    if json_sizes:
        text += (f"; JSON per sample {json_sizes[0] / 1000:.1f}-{json_sizes[-1] / 1000:.1f} kB "
                 f"(median {statistics.median(json_sizes) / 1000:.1f})")
    if html_sizes:
        text += f"; HTML median {statistics.median(html_sizes) / 1000:.0f} kB"
    knowledge = out / "knowledge.json"
    if knowledge.is_file():
        text += f"; knowledge.json {knowledge.stat().st_size / 1000:.0f} kB"
    return text


def _cli(files: list[Path], repeat: int, workers: int | None) -> None:
    tailormed = shutil.which("tailormed") or str(Path(sys.executable).with_name("tailormed"))
    extra = ["--workers", str(workers)] if workers else []
    print(f"files: {len(files)}  (all samples, --missing-as-ref; {repeat} run(s) each)")
    print("| command | wall s (each run) | median s | peak RSS MiB | written |")
    print("|---|---|---|---|---|")
    for label, formats in (("--formats tsv", ["--formats", "tsv"]), ("default formats", [])):
        walls = []
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "out"
            for _ in range(repeat):
                shutil.rmtree(out, ignore_errors=True)  # each run writes a new folder, none is replaced
                start = time.perf_counter()
                subprocess.run([tailormed, "pgx", "call", *map(str, files), "--missing-as-ref", *formats, *extra,
                                "--out", str(out), "-q"], check=True)
                walls.append(time.perf_counter() - start)
            written = _sizes(out)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        runs = ", ".join(f"{w:.2f}" for w in walls)
        print(f"| `{label}` | {runs} | {statistics.median(walls):.2f} | {peak:.0f} | {written} |")


def main() -> int:
    here = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=here / ".." / "shared" / "data" / "pgx" / "1kgp-grch38")
    parser.add_argument("--samples", type=int, nargs="*", default=[400, 800, 1600, 3202])
    parser.add_argument("--formats", default="tsv")
    parser.add_argument("--cli", action="store_true", help="time the command line on all samples instead")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=None, help="--cli: pass --workers to pgx call")
    args = parser.parse_args()
    files = sorted(args.data.glob("*.vcf.gz"))
    if not files:
        print(f"no VCFs under {args.data}", file=sys.stderr)
        return 2
    if args.cli:
        _cli(files, args.repeat, args.workers)
    else:
        _in_process(files, args.samples, args.formats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
