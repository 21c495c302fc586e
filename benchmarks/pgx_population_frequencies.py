"""Phenotype frequencies per 1000 Genomes superpopulation: a plausibility check of cohort calls.

Usage:
    python benchmarks/pgx_population_frequencies.py [--data ../shared/data/pgx/1kgp-grch38]

Calls every gene for the 2,504 unrelated samples listed in the panel file (with --missing-as-ref)
and prints, per gene, the share of each phenotype in AFR, AMR, EAS, EUR and SAS, plus the share of
samples not called. Published frequencies to compare with (CPIC frequency tables, e.g. CYP2C19 poor
metabolizers about 2% in Europeans and 13% in East Asians; CYP3A5 expressers, i.e. normal or
intermediate metabolizers, common in African and rare in European ancestry) make gross errors in
definitions or matching visible.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path

from tailormed.kb.pack import load_knowledge_base
from tailormed.pipelines.pgx import call_pgx

GENES = ["CYP2C19", "CYP2C9", "CYP2B6", "CYP3A5", "SLCO1B1", "DPYD", "TPMT", "NUDT15", "UGT1A1", "NAT2", "G6PD",
         "CYP2D6", "IFNL3", "VKORC1", "ABCG2"]
POPULATIONS = ["AFR", "AMR", "EAS", "EUR", "SAS"]


def main() -> int:
    here = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=here / ".." / "shared" / "data" / "pgx" / "1kgp-grch38")
    args = parser.parse_args()
    panel = args.data / "integrated_call_samples_v3.20130502.ALL.panel"
    if not panel.is_file():
        print(f"panel file not found: {panel}", file=sys.stderr)
        return 2
    population = {}
    for line in panel.read_text().splitlines()[1:]:
        fields = line.split("\t")
        population[fields[0]] = fields[2]
    kb = load_knowledge_base("pgx-core")
    files = sorted(args.data.glob("*.vcf.gz"))
    from cyvcf2 import VCF

    present = set(VCF(str(files[0])).samples)
    samples = [s for s in population if s in present]
    ids, results = call_pgx(files, kb, samples=samples, missing_as_reference=True, position_detail="none")
    print(f"{len(ids)} unrelated samples: " + ", ".join(
        f"{p} {sum(1 for s in ids if population[s] == p)}" for p in POPULATIONS))
    for gene in GENES:
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for sample, genes in zip(ids, results, strict=True):
            result = genes.get(gene)
            label = (result.phenotype or "not called") if result is not None else "not examined"
            counts[population[sample]][label] += 1
        labels = sorted({label for c in counts.values() for label in c})
        print(f"\n### {gene}\n")
        print("| phenotype | " + " | ".join(POPULATIONS) + " |")
        print("|---|" + "---|" * len(POPULATIONS))
        for label in labels:
            cells = []
            for p in POPULATIONS:
                total = sum(counts[p].values()) or 1
                cells.append(f"{100 * counts[p][label] / total:.1f}%")
            print(f"| {label} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
