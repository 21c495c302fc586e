"""TMB from `tailormed onco interpret` against an independent recomputation from the raw MAF.

The recomputation here shares no code with TailorMed: it reads the MAF with the csv module and applies the
documented rule (docs/onco.md): somatic Missense/Nonsense/Frame_Shift/In_Frame/Translation_Start_Site/Nonstop
rows, VAF >= 0.05 and depth >= 25 where the MAF gives them, one count per distinct change, per callable Mb.

Inputs: the OncoKB annotator's example MAF (GRCh38 copy, every sample, 1.0 Mb assumed) and a synthetic
1,000-mutation tumour made here (mixed classes, VAF/depth, duplicates and germline rows), 30 Mb territory.

    .venv/bin/python benchmarks/onco_tmb.py [--examples DIR]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_EXAMPLES = HERE.parent.parent / "shared" / "data" / "onco" / "example-inputs"
COUNTED = {"Missense_Mutation", "Nonsense_Mutation", "Frame_Shift_Del", "Frame_Shift_Ins", "In_Frame_Del",
           "In_Frame_Ins", "Translation_Start_Site", "Nonstop_Mutation"}
CLASSES = sorted(COUNTED) + ["Silent", "Intron", "3'UTR", "Splice_Site", "RNA"]


def independent_tmb(maf: Path, sample: str, megabases: float) -> float:
    """Count eligible rows of one sample directly from the MAF text."""
    seen = set()
    with maf.open(newline="") as handle:
        rows = csv.DictReader((line for line in handle if not line.startswith("#")), delimiter="\t")
        for row in rows:
            if row["Tumor_Sample_Barcode"] != sample or row["Variant_Classification"] not in COUNTED:
                continue
            if row.get("Mutation_Status", "").lower() == "germline":
                continue
            depth = row.get("t_depth") or ""
            alt = row.get("t_alt_count") or ""
            if depth and alt and (int(depth) < 25 or int(alt) / int(depth) < 0.05):
                continue
            seen.add((row["Hugo_Symbol"], row.get("Chromosome"), row.get("Start_Position"), row.get("Reference_Allele"),
                      row.get("Tumor_Seq_Allele2"), row.get("HGVSp_Short")))
    return len(seen) / megabases


def ours(maf: Path, sample: str, tumour_type: str, megabases: float, workdir: Path) -> float:
    out = workdir / f"out-{sample}"
    command = [str(HERE.parent / ".venv" / "bin" / "tailormed"), "onco", "interpret", "--maf", str(maf), "--sample",
               sample, "--tumor-type", tumour_type, "--panel-size-mb", str(megabases), "--out", str(out), "-q"]
    subprocess.run(command, check=True)
    result = json.loads((out / "actionability.json").read_text())
    return float(result["immunotherapy"]["tmb"]["tmb"])


def synthetic_maf(path: Path, mutations: int = 1000, seed: int = 7) -> None:
    """A tumour with ``mutations`` rows: varied classes, VAF/depth, some duplicates and germline rows."""
    rng = random.Random(seed)
    header = ["NCBI_Build", "Hugo_Symbol", "Variant_Classification", "Tumor_Sample_Barcode", "HGVSp_Short",
              "Chromosome", "Start_Position", "Reference_Allele", "Tumor_Seq_Allele2", "t_depth", "t_alt_count",
              "Mutation_Status"]
    lines = ["\t".join(header)]
    for i in range(mutations):
        if i % 97 == 5 and i > 5:
            lines.append(lines[-1])  # an exact duplicate row
            continue
        klass = rng.choice(CLASSES)
        protein = {"Nonsense_Mutation": f"p.R{i + 10}*", "Frame_Shift_Del": f"p.K{i + 10}fs",
                   "Frame_Shift_Ins": f"p.K{i + 10}fs", "In_Frame_Del": f"p.E{i + 10}del",
                   "In_Frame_Ins": f"p.E{i + 10}_A{i + 11}insG", "Translation_Start_Site": "p.M1?",
                   "Nonstop_Mutation": f"p.*{i + 10}Qext*5", "Silent": f"p.L{i + 10}=",
                   "Splice_Site": f"p.X{i + 10}_splice",
                   }.get(klass, f"p.A{i + 10}V" if klass == "Missense_Mutation" else "")
        depth = rng.choice([0, 12, 30, 80, 200, 500])
        alt = int(depth * rng.choice([0.02, 0.04, 0.1, 0.3, 0.5])) if depth else 0
        status = "Germline" if rng.random() < 0.03 else "Somatic"
        lines.append("\t".join(["GRCh38", f"GENE{i % 300}", klass, "SYN-1", protein, str(1 + i % 22),
                                str(1_000_000 + i * 17), "C", "T", str(depth) if depth else "",
                                str(alt) if depth else "", status]))
    path.write_text("\n".join(lines) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=Path, default=DEFAULT_EXAMPLES)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        example = args.examples / "example_maf_grch38.txt"
        if example.is_file():
            samples = sorted({r["Tumor_Sample_Barcode"] for r in csv.DictReader(example.open(), delimiter="\t")})
            for sample in samples:
                rows.append((f"example {sample}", independent_tmb(example, sample, 1.0),
                             ours(example, sample, "NSCLC", 1.0, workdir)))
        else:
            print(f"(example inputs not found at {args.examples}; synthetic tumour only)")
        synthetic = workdir / "synthetic.maf"
        synthetic_maf(synthetic)
        rows.append(("synthetic 1,000-mutation tumour", independent_tmb(synthetic, "SYN-1", 30.0),
                     ours(synthetic, "SYN-1", "COADREAD", 30.0, workdir)))
    print(f"{'input':45s} {'independent':>12s} {'tailormed':>10s}  equal")
    equal = 0
    for name, expected, got in rows:
        same = round(expected, 4) == round(got, 4)
        equal += same
        print(f"{name:45s} {expected:12.4f} {got:10.4f}  {'yes' if same else 'NO'}")
    print(f"tmb_equal: {equal}/{len(rows)}")
    return 0 if equal == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
