"""CYP2D6 concordance with the GeT-RM consensus on 1000 Genomes samples.

Usage:
    python benchmarks/pgx_cyp2d6_getrm.py [--vcf ../shared/data/pgx/1kgp-grch38/CYP2D6.vcf.gz]
        [--truth benchmarks/data/cyp2d6_getrm_truth.tsv] [--core] [--unphased] [--copy-number-from-truth]
        [--show all|misses]

Calls CYP2D6 from the VCF (``--missing-as-ref``, as ``tailormed pgx call`` does for this joint-called file) with the
full allele set (``make cyp2d6-data``) or, with ``--core``, pgx-core's 14 core alleles, and compares each sample's
call with the truth (benchmarks/data/cyp2d6_getrm_truth.tsv: Gaedigk et al. 2019, Chen et al. 2021). Samples whose
truth has a structural allele (*5, xN, *13/*36/*68) are scored apart: a VCF cannot show them. A call is

* right: one diplotype, equal to the truth (alleles in either order);
* ambiguous: several diplotypes reported, the truth among them (the VCF could not tell them apart), counted
  apart when the truth is the one listed first;
* wrong: otherwise (including a no-call).

The phenotype (activity-score rule) is compared as well. ``--unphased`` drops the VCF's phase (as a single
sample's unphased VCF would give it) to check that unknown phase yields alternatives, not a confident wrong call.
With ``--copy-number-from-truth`` each structural sample is given the total CYP2D6 copy number its truth implies
(a test of the copy-number completion, not of copy-number calling): the score then shows what a copy-number input adds.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
import time
from pathlib import Path

import numpy as np

from tailormed.kb.pack import KnowledgeBase, load_knowledge_base
from tailormed.model.pgx import GeneResult
from tailormed.pgx.copy_number import complete_with_copy_number
from tailormed.pgx.engine import call_genes_from_vcf
from tailormed.pgx.phenotype import call_phenotype
from tailormed.pgx.star import parse_cyp2d6_diplotype
from tailormed.pipelines.pgx import read_vcf_genotypes

ROOT = Path(__file__).resolve().parents[1]
HYBRIDS_NOT_COUNTED = {"*13", "*36", "*68", "*61", "*63"}


def read_truth(path: Path) -> list[dict[str, str]]:
    rows = []
    header: list[str] | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        fields = line.split("\t")
        if header is None:
            header = fields
            continue
        rows.append(dict(zip(header, fields + [""] * (len(header) - len(fields)), strict=True)))
    return rows


def canonical(diplotype: str) -> str:
    return "/".join(sorted(diplotype.split("/"), key=lambda a: [int(t) if t.isdigit() else t
                                                               for t in re.split(r"(\d+)", a)]))


def truth_copy_number(truth: str) -> int:
    """Total CYP2D6 copies a truth diplotype implies, hybrids (*13, *36, *68) not counted as CYP2D6 copies."""
    total = 0
    for hap in truth.split("|")[0].split("/"):
        for part in hap.split("+"):
            name, _, times = part.partition("x")
            if name == "*5" or name in HYBRIDS_NOT_COUNTED:
                continue
            total += int(times) if times else 1
    return total


def truth_phenotype(kb: KnowledgeBase, truth: str) -> set[str]:
    gene = kb.genes["CYP2D6"]
    out = set()
    for option in truth.split("|"):
        parsed = parse_cyp2d6_diplotype(option)
        if parsed is None:
            continue
        out.add(call_phenotype(gene, [tuple(option.split("/"))]).phenotype if "x" not in option and "+" not in option
                else parsed.phenotype(gene)[0])
    return out


def score(result: GeneResult, truth: str) -> str:
    wanted = {canonical(t) for t in truth.split("|")}
    called = [canonical("/".join(d.alleles)) for d in result.diplotypes]
    if len(called) == 1 and called[0] in wanted:
        return "right"
    if len(called) > 1 and called[0] in wanted:
        return "ambiguous, truth first"
    if len(called) > 1 and wanted & set(called):
        return "ambiguous"
    return "wrong"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vcf", type=Path, default=ROOT.parent / "shared/data/pgx/1kgp-grch38/CYP2D6.vcf.gz")
    parser.add_argument("--truth", type=Path, default=ROOT / "benchmarks/data/cyp2d6_getrm_truth.tsv")
    parser.add_argument("--core", action="store_true", help="pgx-core's 14 core alleles instead of the full set")
    parser.add_argument("--unphased", action="store_true", help="drop the VCF's phase before calling")
    parser.add_argument("--copy-number-from-truth", action="store_true",
                        help="give structural samples the copy number their truth implies")
    parser.add_argument("--show", choices=["all", "misses"], default="misses")
    args = parser.parse_args(argv)
    if not args.vcf.is_file():
        print(f"skipped: {args.vcf} not found (../shared reference data)", file=sys.stderr)
        return 0
    kb = load_knowledge_base("pgx-core", full_cyp2d6=not args.core)
    if not args.core and kb.genes["CYP2D6"].matching != "core_variants":
        print("the full CYP2D6 allele set is not installed: run `make cyp2d6-data` (or pass --core)", file=sys.stderr)
        return 2
    truth = read_truth(args.truth)
    started = time.perf_counter()
    samples, genotypes, _ = read_vcf_genotypes([args.vcf], kb, [r["sample"] for r in truth], True)
    genotypes = {"CYP2D6": genotypes["CYP2D6"]}
    if args.unphased:
        g = genotypes["CYP2D6"]
        genotypes["CYP2D6"] = dataclasses.replace(g, phased=np.zeros_like(g.phased),
                                                  phase_set=np.zeros_like(g.phase_set))
    per_sample = call_genes_from_vcf(kb, genotypes, None, "none")
    elapsed = time.perf_counter() - started
    by_sample = dict(zip(samples, per_sample, strict=True))
    print(f"CYP2D6 vs GeT-RM consensus, {args.vcf.name}{' (phase dropped)' if args.unphased else ''}, knowledge: "
          f"{' + '.join(kb.extra_knowledge)}")
    print(f"{'sample':<9} {'truth':<22} {'called':<34} {'phenotype':<26} {'SV':<3} result")
    tallies: dict[str, dict[str, int]] = {"no": {}, "yes": {}}
    pheno_right: dict[str, int] = {"no": 0, "yes": 0}
    pheno_wrong: dict[str, int] = {"no": 0, "yes": 0}  # a phenotype other than the truth's, and not Indeterminate
    for row in truth:
        result = by_sample[row["sample"]]["CYP2D6"]
        if args.copy_number_from_truth and row["structural"] == "yes":
            result = complete_with_copy_number(kb, result, truth_copy_number(row["truth"]), source="truth")
        outcome = score(result, row["truth"])
        tallies[row["structural"]][outcome] = tallies[row["structural"]].get(outcome, 0) + 1
        expected = truth_phenotype(kb, row["truth"])
        pheno_ok = result.phenotype in expected
        pheno_right[row["structural"]] += int(pheno_ok)
        pheno_wrong[row["structural"]] += int(not pheno_ok and result.phenotype not in (None, "Indeterminate"))
        called = ", ".join("/".join(d.alleles) for d in result.diplotypes) or "no call"
        if args.show == "all" or outcome != "right":
            differs = "" if pheno_ok else f" (phenotype differs: {'/'.join(sorted(expected))})"
            print(f"{row['sample']:<9} {row['truth']:<22} {called[:34]:<34} {str(result.phenotype)[:26]:<26} "
                  f"{row['structural']:<3} {outcome}{differs}")
    print()
    for kind, label in (("no", "no structural allele in the truth"), ("yes", "truth with a structural allele")):
        counts = tallies[kind]
        n = sum(counts.values())
        if not n:
            continue
        right = counts.get("right", 0)
        first = counts.get("ambiguous, truth first", 0)
        print(f"{label}: {right}/{n} right ({100 * right / n:.1f}%), {counts.get('ambiguous', 0) + first} ambiguous "
              f"with the truth among the alternatives ({first} with it listed first), {counts.get('wrong', 0)} wrong; "
              f"phenotype {pheno_right[kind]}/{n} ({100 * pheno_right[kind] / n:.1f}%), a different phenotype "
              f"(not Indeterminate) {pheno_wrong[kind]}")
    print(f"calling time (in process, {len(samples)} samples): {elapsed:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
