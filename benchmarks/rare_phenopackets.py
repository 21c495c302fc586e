"""Rare-disease ranking accuracy and speed over a folder tree of GA4GH phenopackets.

    python benchmarks/rare_phenopackets.py ../shared/data/rare/phenopackets-dev [--limit N] [--seed 1]
        [--decoys 200] [--hpo-data DIR] [--preset FILE] [--no-variants] [--exome-records 50000]
        [--realistic | --scores class --intronic-splice realistic --decoy-genes genome]

For every phenopacket with a diagnosis:
* **phenotype only**: rank with the HPO terms alone (the same engine ``tailormed rare rank`` runs);
* **with variants**: the case's causal ``vcfRecord``s are placed in a VCF with ``--decoys`` rare variants in
  other disease genes, annotated as VEP would (``benchmarks/rare_cases.py`` builds it; scores are drawn from the
  same distributions for causal and decoy variants), and the VCF is read and ranked like a user's file.

A hit is the phenopacket's diagnosis (disease id) or its causal gene at rank <= k in the output (ties are broken
by disease id, as in the output). Cases without a placeable variant (structural variants only) count as misses in
the with-variants rows, so every row has the same denominator. Times are per case after loading the knowledge;
the with-variants time includes writing nothing but reading and ranking the case VCF. Finally an exome-sized VCF
(``--exome-records``) is ranked once for the speed figure, and peak memory (RSS) is reported.

Realism options (all off by default, so the default run builds the same case VCFs as earlier runs; the run prints
which were on): ``--scores class`` (causal missense REVEL from a pathogenic-like distribution, decoys from a
population-like one), ``--intronic-splice realistic`` (deep-intronic causal variants get a SpliceAI gain score as
published for pathogenic deep-intronic variants, most of them below 0.2), ``--decoy-genes genome`` (decoys over all
protein-coding genes weighted by exonic length, with a published number of rare missense and pLoF variants per exome;
the gene table is the product's, ``make gene-data``, or ``--gene-table``), ``--realistic`` all three.
Sources and figures: benchmarks/README.md, *Realistic options*.

The last lines are exactly the summary format the issue asks for.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rare_cases import GeneSpan, Realism, build_case_vcf, build_exome_vcf, load_gene_table  # noqa: E402
from rare_strata import (  # noqa: E402
    CaseRecord,
    EnrichmentBaseline,
    annotation_stratum,
    case_pmids,
    select_fold,
    strata_lines,
)

from tailormed.errors import TailorMedError  # noqa: E402
from tailormed.io.phenopacket import phenopacket_to_profile  # noqa: E402
from tailormed.model.rare import RareResult  # noqa: E402
from tailormed.pipelines.rare import RareContext, rank_one  # noqa: E402

KS = (1, 3, 10)


def _causal_genes(document: dict) -> set[str]:
    genes = set()
    for interpretation in document.get("interpretations") or []:
        for gi in (interpretation.get("diagnosis") or {}).get("genomicInterpretations") or []:
            descriptor = (gi.get("variantInterpretation") or {}).get("variationDescriptor") or {}
            symbol = (descriptor.get("geneContext") or {}).get("symbol")
            if symbol:
                genes.add(symbol)
            gene = gi.get("gene") or {}
            if gene.get("symbol"):
                genes.add(gene["symbol"])
    return genes


def _ranks(result: RareResult, disease: str, genes: set[str]) -> tuple[int | None, int | None]:
    disease_rank = next((c.rank for c in result.diseases if c.disease_id == disease), None)
    gene_rank = next((g.rank for g in result.genes if g.gene in genes), None)
    return disease_rank, gene_rank


def _explain_miss(case: str, stratum: str, genes: set[str], rank: int | None, result: RareResult) -> str:
    """One TSV row: the causal gene and the winning gene, each with its best disease, phenotype and variant scores
    and its candidate alleles (consequence and ACMG class) as the result shows them."""
    def describe(gene: str | None) -> list[str]:
        row = next((g for g in result.genes if g.gene == gene), None)
        if row is None:
            return [str(gene), "", "", "", ""]
        alleles = sorted({f"{v.consequence}:{v.acmg.classification}:{v.zygosity}" for d in result.diseases
                          for v in d.variants if v.gene == gene})
        return [row.gene, row.best_disease_id, f"{row.phenotype_score}", f"{row.variant_score}", ";".join(alleles)]
    causal = describe(next((g.gene for g in result.genes if g.gene in genes), sorted(genes)[0]))
    winner = describe(result.genes[0].gene if result.genes else None)
    return "\t".join([case, stratum, causal[0], str(rank), *causal[1:], *winner]) + "\n"


class Tally:
    """Top-k hit counts for one ranking mode."""

    def __init__(self) -> None:
        self.disease = dict.fromkeys(KS, 0)
        self.gene = dict.fromkeys(KS, 0)
        self.seconds = 0.0
        self.cpu_seconds = 0.0  # process CPU time: what the case cost, whatever else the machine was running
        self.timed = 0

    def add(self, disease_rank: int | None, gene_rank: int | None) -> None:
        for k in KS:
            self.disease[k] += disease_rank is not None and disease_rank <= k
            self.gene[k] += gene_rank is not None and gene_rank <= k

    def line(self, what: str, n: int) -> str:
        counts = self.disease if what == "disease" else self.gene
        return " ".join(f"{100.0 * counts[k] / max(n, 1):.1f}" for k in KS)

    @property
    def mean_ms(self) -> float:
        return 1000.0 * self.seconds / max(self.timed, 1)

    @property
    def mean_cpu_ms(self) -> float:
        return 1000.0 * self.cpu_seconds / max(self.timed, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--limit", type=int, default=0, help="random sample of this many cases (0 = all)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--decoys", type=int, default=200)
    parser.add_argument("--hpo-data", type=Path, default=None)
    parser.add_argument("--preset", type=Path, default=None)
    parser.add_argument("--no-variants", action="store_true")
    parser.add_argument("--exome-records", type=int, default=50_000)
    parser.add_argument("--misses", type=Path, default=None, help="write per-case ranks to this TSV")
    parser.add_argument("--explain-misses", type=Path, default=None,
                        help="write, for each reachable case whose causal gene is not first with variants, the gene "
                             "that won and the causal gene with their phenotype and variant scores (TSV)")
    parser.add_argument("--folds", type=int, default=0,
                        help="split cases into this many folds grouped by gene folder (0 = no split)")
    parser.add_argument("--fold", type=int, default=0, help="with --folds: the fold to run")
    parser.add_argument("--tuning-share", action="store_true",
                        help="with --folds: run every fold except --fold (the share to tune on)")
    parser.add_argument("--groups", type=int, default=0,
                        help="random sample of this many gene folders, all their cases (0 = all); before --limit")
    parser.add_argument("--no-baseline", action="store_true", help="skip hpo3's enrichment baseline")
    parser.add_argument("--structural", action="store_true",
                        help="place structural-only causal variants as <DEL>/<DUP> records of unknown extent, with 2 "
                             "decoy deletions per case (rare_cases.build_case_vcf); off by default")
    parser.add_argument("--scores", choices=("same", "class"), default="same",
                        help="same: one score distribution for causal and decoy variants (default); class: causal "
                             "missense REVEL pathogenic-like, decoys population-like")
    parser.add_argument("--intronic-splice", choices=("default", "realistic"), default="default",
                        help="realistic: deep-intronic causal variants get a published-like SpliceAI gain score")
    parser.add_argument("--decoy-genes", choices=("disease", "genome"), default="disease",
                        help="genome: decoys over all protein-coding genes by exonic length (ignores --decoys)")
    parser.add_argument("--genome-lof", type=int, default=2,
                        help="with --decoy-genes genome: rare pLoF decoys per case (default 2, ExAC's singleton PTVs "
                             "per person, a lower bound)")
    parser.add_argument("--realistic", action="store_true",
                        help="all three: --scores class --intronic-splice realistic --decoy-genes genome")
    parser.add_argument("--gene-table", type=Path, default=None,
                        help="the imported gene table folder for --decoy-genes genome (default: where the product "
                             "finds it, .data/genes after `make gene-data`)")
    args = parser.parse_args(argv)
    realism = Realism("class", "realistic", "genome", args.genome_lof) if args.realistic else Realism(
        args.scores, args.intronic_splice, args.decoy_genes, args.genome_lof)
    genome_genes: list[GeneSpan] = []
    if realism.decoy_genes == "genome" and not args.no_variants:
        try:
            genome_genes = load_gene_table(args.gene_table)
        except (OSError, TailorMedError) as exc:
            print(f"cannot load the gene table: {exc}", file=sys.stderr)
            return 2

    files = sorted(args.folder.rglob("*.json"))
    if args.folds:
        files = select_fold(files, args.folds, args.fold, exclude=args.tuning_share)
    if args.groups:
        folders = sorted({f.parent for f in files})
        chosen = set(random.Random(args.seed).sample(folders, min(args.groups, len(folders))))
        files = [f for f in files if f.parent in chosen]
    if args.limit:
        files = sorted(random.Random(args.seed).sample(files, min(args.limit, len(files))))
    context = RareContext.load(args.preset, args.hpo_data)
    linked_genes = set(context.hpo.genes)
    baseline = None if args.no_baseline else EnrichmentBaseline(
        {d: g for d, g in zip(context.hpo.disease_ids, context.hpo.disease_genes, strict=True)})
    records: list[CaseRecord] = []
    decoy_genes = context.hpo.genes
    x_linked = {g for g, c in context.contexts.items() if c.modes & {"x_linked", "x_linked_recessive",
                                                                        "x_linked_dominant"}}
    phenotype, variants = Tally(), Tally()
    cases = unplaceable = not_in_kb = 0
    rejected: list[str] = []
    rows = ["case\tdisease\tgenes\tpheno_disease_rank\tpheno_gene_rank\tvar_disease_rank\tvar_gene_rank\t"
            "baseline_disease_rank\tbaseline_gene_rank\tgene_folder\tannotation\treachable\thalf_placed\n"]
    explained = ["case\tstratum\tcausal\tcausal_rank\tcausal_disease\tcausal_phenotype\tcausal_variant\t"
                 "causal_alleles\twinner\twinner_disease\twinner_phenotype\twinner_variant\twinner_alleles\n"]
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="rare-bench-") as scratch:
        for path in files:
            document = json.loads(path.read_text(encoding="utf-8"))
            try:
                profile = phenopacket_to_profile(document, source=str(path))
            except TailorMedError as exc:
                print(f"skipped {path}: {exc}", file=sys.stderr)
                continue
            if not profile.known_diagnoses:
                continue
            cases += 1
            disease, genes = profile.known_diagnoses[0], _causal_genes(document)
            not_in_kb += disease not in context.hpo.disease_ids
            record = CaseRecord(name=path.name, group=path.parent.name,
                                stratum=annotation_stratum(disease, case_pmids(document),
                                                           context.hpo.disease_references),
                                diagnosis_ranked=disease in context.hpo.disease_ids,
                                gene_linked=bool(genes & linked_genes), placeable=False, half_placed=False)
            records.append(record)
            if baseline is not None:
                observed = [t.id for t in profile.terms if not t.excluded]
                record.ranks["base_disease"], record.ranks["base_gene"] = baseline.ranks(observed, disease, genes)
            started, cpu_started = time.perf_counter(), time.process_time()
            try:
                result = rank_one(context, profile, source=str(path))
            except TailorMedError as exc:  # counted as a miss in every row, and reported
                rejected.append(f"{path}: {exc}")
                phenotype.add(None, None)
                variants.add(None, None)
                continue
            phenotype.seconds += time.perf_counter() - started
            phenotype.cpu_seconds += time.process_time() - cpu_started
            phenotype.timed += 1
            p_ranks = _ranks(result, disease, genes)
            phenotype.add(*p_ranks)
            record.ranks["pheno_disease"], record.ranks["pheno_gene"] = p_ranks
            v_ranks: tuple[int | None, int | None] = (None, None)
            if not args.no_variants:
                vcf = Path(scratch) / "case.vcf"
                build = build_case_vcf(document, vcf, decoy_genes, rng, n_decoys=args.decoys,
                                       x_linked_genes=x_linked, structural=args.structural, realism=realism,
                                       genome_genes=genome_genes)
                record.placeable = build.placeable
                record.half_placed = build.placeable and bool(build.unplaced)
                if build.placeable:
                    started, cpu_started = time.perf_counter(), time.process_time()
                    result = rank_one(context, profile, source=str(path), vcf=vcf)
                    variants.seconds += time.perf_counter() - started
                    variants.cpu_seconds += time.process_time() - cpu_started
                    variants.timed += 1
                    v_ranks = _ranks(result, disease, genes)
                    if v_ranks[1] != 1 and bool(genes & linked_genes):
                        explained.append(_explain_miss(path.name, record.stratum, genes, v_ranks[1], result))
                else:
                    unplaceable += 1
                variants.add(*v_ranks)
                record.ranks["var_disease"], record.ranks["var_gene"] = v_ranks
            rows.append(f"{path.name}\t{disease}\t{','.join(sorted(genes))}\t{p_ranks[0]}\t{p_ranks[1]}\t"
                        f"{v_ranks[0]}\t{v_ranks[1]}\t{record.ranks.get('base_disease')}\t"
                        f"{record.ranks.get('base_gene')}\t{record.group}\t{record.stratum}\t"
                        f"{int(record.reachable)}\t{int(record.half_placed)}\n")
        exome_seconds = exome_cpu = None
        if not args.no_variants and args.exome_records and files:
            exome = Path(scratch) / "exome.vcf"
            build_exome_vcf(exome, decoy_genes, args.exome_records, random.Random(args.seed))
            profile = phenopacket_to_profile(json.loads(files[0].read_text(encoding="utf-8")), source=str(files[0]))
            started, cpu_started = time.perf_counter(), time.process_time()
            rank_one(context, profile, source=str(files[0]), vcf=exome)
            exome_seconds = time.perf_counter() - started
            exome_cpu = time.process_time() - cpu_started
    if args.misses:
        args.misses.write_text("".join(rows), encoding="utf-8")
    if args.explain_misses:
        args.explain_misses.write_text("".join(explained), encoding="utf-8")

    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"knowledge: {context.hpo.version}; preset {context.preset.name}")
    print(f"realism options: {realism.describe()}"
          + (" (default: the same case VCFs as earlier runs)" if realism.is_default else "")
          + (f"; gene table: {len(genome_genes)} protein-coding genes" if genome_genes else ""))
    print(f"diagnosis not among the ranked diseases (cannot be found by phenotype): {not_in_kb} of {cases}")
    for line in rejected:
        print(f"rejected by the engine (counted as a miss): {line}")
    if not args.no_variants:
        print(f"cases without a placeable causal variant (structural only; counted as misses): {unplaceable}")
        if exome_seconds is not None:
            print(f"exome VCF ({args.exome_records} records) + phenotype: {exome_seconds:.2f} s "
                  f"(CPU {exome_cpu:.2f} s)")
    print(f"peak RSS: {peak_mib:.0f} MiB")
    print(f"CPU ms per case (process time; wall time is inflated on a shared machine): phenotype_only "
          f"{phenotype.mean_cpu_ms:.1f} with_variants {variants.mean_cpu_ms:.1f}")
    for line in strata_lines(records, with_variants=not args.no_variants):
        print(line)
    print(f"cases: {cases}")
    print(f"phenotype_only disease top1 top3 top10: {phenotype.line('disease', cases)}")
    print(f"phenotype_only gene top1 top3 top10: {phenotype.line('gene', cases)}")
    print(f"with_variants gene top1 top3 top10: {variants.line('gene', cases)}")
    print(f"with_variants disease top1 top3 top10: {variants.line('disease', cases)}")
    print(f"mean_ms_per_case: phenotype_only {phenotype.mean_ms:.1f} with_variants {variants.mean_ms:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
