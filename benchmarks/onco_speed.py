"""Oncology interpretation speed: one 10,000-variant MAF, and 1,000 tumours in one batch.

Synthesises (seeded) a 10,000-row MAF for one tumour (passenger mutations across 2,000 genes plus a few
actionable ones), and a 1,000-tumour MAF (40 variants each, 10 with an actionable hotspot), then times the
real CLI (`tailormed onco interpret` and `tailormed onco batch`, wall clock including Python start-up and
knowledge loading) and reports peak memory of each run.

    .venv/bin/python benchmarks/onco_speed.py
"""

from __future__ import annotations

import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TAILORMED = HERE.parent / ".venv" / "bin" / "tailormed"
HEADER = ["NCBI_Build", "Hugo_Symbol", "Variant_Classification", "Tumor_Sample_Barcode", "HGVSp_Short", "Chromosome",
          "Start_Position", "Reference_Allele", "Tumor_Seq_Allele2", "t_depth", "t_alt_count"]
ACTIONABLE = [("BRAF", "p.V600E"), ("KRAS", "p.G12C"), ("EGFR", "p.L858R"), ("PIK3CA", "p.H1047R"),
              ("IDH1", "p.R132H"), ("ERBB2", "p.S310F"), ("KIT", "p.D816V"), ("FGFR3", "p.S249C")]
TYPES = ["LUAD", "COADREAD", "MEL", "BRCA", "PAAD", "BLCA", "PRAD", "OVT", "GB", "THPA"]


def _row(rng: random.Random, sample: str, i: int) -> list[str]:
    klass = rng.choice(["Missense_Mutation"] * 6 + ["Nonsense_Mutation", "Frame_Shift_Del", "Silent", "Intron"])
    protein = {"Missense_Mutation": f"p.A{10 + i % 900}V", "Nonsense_Mutation": f"p.R{10 + i % 900}*",
               "Frame_Shift_Del": f"p.K{10 + i % 900}fs", "Silent": f"p.L{10 + i % 900}="}.get(klass, "")
    depth = rng.randint(30, 600)
    return ["GRCh38", f"PASS{rng.randint(0, 1999)}", klass, sample, protein, str(1 + i % 22), str(10_000 + i * 31),
            "C", "T", str(depth), str(int(depth * rng.uniform(0.05, 0.6)))]


def write_maf(path: Path, tumours: int, per_tumour: int, actionable_per_tumour: int, seed: int = 11) -> None:
    rng = random.Random(seed)
    lines = ["\t".join(HEADER)]
    for t in range(tumours):
        sample = f"T{t:05d}"
        for i in range(per_tumour - actionable_per_tumour):
            lines.append("\t".join(_row(rng, sample, i)))
        for gene, change in rng.sample(ACTIONABLE, actionable_per_tumour):
            lines.append("\t".join(["GRCh38", gene, "Missense_Mutation", sample, change, "1", "1", "C", "T", "300",
                                    "120"]))
    path.write_text("\n".join(lines) + "\n")


def timed(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before) / 1024


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        one = work / "one.maf"
        write_maf(one, tumours=1, per_tumour=10_000, actionable_per_tumour=4)
        wall_one, rss_one = timed([str(TAILORMED), "onco", "interpret", "--maf", str(one), "--tumor-type", "LUAD",
                                   "--panel-size-mb", "35", "--out", str(work / "one"), "-q"])
        many = work / "many.maf"
        write_maf(many, tumours=1000, per_tumour=40, actionable_per_tumour=1)
        clinical = work / "clinical.tsv"
        clinical.write_text("SAMPLE_ID\tONCOTREE_CODE\n" + "".join(f"T{t:05d}\t{TYPES[t % len(TYPES)]}\n"
                                                                    for t in range(1000)))
        wall_many, rss_many = timed([str(TAILORMED), "onco", "batch", "--maf", str(many), "--tumor-types",
                                     str(clinical), "--panel-size-mb", "1.2", "--out", str(work / "many"), "-q"])
    print(f"{'run':40s} {'wall s':>8s} {'target s':>9s} {'peak RSS MiB':>13s}")
    print(f"{'10,000-variant MAF, one tumour':40s} {wall_one:8.2f} {2:9d} {rss_one:13.0f}")
    print(f"{'1,000 tumours x 40 variants, batch':40s} {wall_many:8.2f} {60:9d} {rss_many:13.0f}")
    print(f"onco_speed: interpret_10k_s {wall_one:.2f} batch_1000_s {wall_many:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
