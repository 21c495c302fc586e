"""Population pharmacogenomics (``tailormed cohort pgx``): call every sample of a cohort as ``tailormed pgx call``
does, then count phenotypes, diplotypes and alleles per population, the people with an actionable phenotype and,
per CPIC drug, the people whose recommendation would change (:mod:`tailormed.cohort.frequencies`).

The cohort is split into units of work run by a :class:`~tailormed.pipelines.cohort_runner.CohortRunner` (local
processes, or a Dask cluster):

1. one unit per chunk of samples and input file (e.g. one file per gene region): read that file's genes for those
   samples and call them (:func:`tailormed.pipelines.pgx.read_vcf_genotypes`, the pgx engine);
2. one unit per chunk of samples: take each gene from the first file that has records around it (the rule of
   ``pgx call``), build each sample's result with its drug rows, write its calls.tsv lines and count it.

Chunks are joined in sample order and counts are integers added up, so every output file is the same, byte for
byte, whatever the chunk size, the number of workers or the scheduler.
"""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tailormed import __version__
from tailormed.cohort.frequencies import (
    ALL,
    GENE_SETS,
    MCINNES_2021_GENES,
    CohortCounts,
    CohortTally,
    actionable_rows,
    allele_rows,
    cpic_drug_names,
    diplotype_rows,
    drug_impact_rows,
    phenotype_rows,
    variant_list_references,
)
from tailormed.errors import InputError
from tailormed.io.populations import read_populations
from tailormed.io.vcf import VcfFile
from tailormed.kb.pack import KnowledgeBase, load_knowledge_base
from tailormed.model.pgx import GeneResult
from tailormed.output import atomic_output_dir
from tailormed.pgx.engine import build_result, call_genes_from_vcf, not_covered_result
from tailormed.pgx.recommend import RecommendationMemo
from tailormed.pipelines.cohort_runner import CohortRunner, open_runner
from tailormed.pipelines.pgx import MISSING_AS_REF_ASSUMPTION, pgx_provenance, read_vcf_genotypes
from tailormed.pipelines.progress import ProgressCallback
from tailormed.report.cohort_tables import (
    actionable_tsv,
    allele_frequencies_tsv,
    diplotype_frequencies_tsv,
    drug_impact_tsv,
    phenotype_frequencies_tsv,
)
from tailormed.report.tsv import CallsWriter

CHUNK_SAMPLES = 1000
"""Samples per unit of work."""

OUTPUT_FILES = ("calls.tsv", "phenotype_frequencies.tsv", "diplotype_frequencies.tsv", "allele_frequencies.tsv",
                "actionable.tsv", "drug_impact.tsv", "summary.json")

ACTIONABLE_DEFINITION = (
    "A person has an actionable phenotype when a genotype-predicted phenotype makes at least one CPIC drug "
    "recommendation depart from usual care (the recommendation's changes_care), as McInnes et al. 2021 (UK Biobank, "
    "99.5%) and the All of Us PGx survey (99.13%) counted 'an atypical response to at least one drug' / 'a predicted "
    "phenotype with prescribing recommendations'. gene_set 'all': every gene of the knowledge pack; 'mcinnes2021': "
    "only recommendations resting on the 14 genes McInnes et al. called. The 'no listed variant' result of a "
    "variant-list gene (CFTR, DPYD, G6PD, RYR1, CACNA1S, MT-RNR1) is the typical result and never counts.")


@dataclass(frozen=True)
class CohortPgxSummary:
    """What a cohort PGx run wrote."""

    out: Path
    samples: int
    populations: dict[str, int]
    files: list[str]
    runner: str
    units: int


@functools.lru_cache(maxsize=4)
def _knowledge(kb_name: str) -> KnowledgeBase:
    """The knowledge base, loaded once per worker process."""
    return load_knowledge_base(kb_name)


# ----------------------------------------------------------------------------------------------- stage 1


@dataclass(frozen=True)
class _FileUnit:
    kb_name: str
    path: str
    samples: tuple[str, ...]
    missing_as_reference: bool


@dataclass
class _FilePart:
    """One file's calls for one chunk of samples: the genes it has records around, the genes it read without
    records (with ``--missing-as-ref`` these were left out) and each sample's results."""

    covered: frozenset[str]
    uncovered: tuple[str, ...]
    results: list[dict[str, GeneResult]]


def _call_file(unit: _FileUnit) -> _FilePart:
    kb = _knowledge(unit.kb_name)
    _, genotypes, uncovered = read_vcf_genotypes([Path(unit.path)], kb, unit.samples, unit.missing_as_reference)
    results = call_genes_from_vcf(kb, genotypes, None, "none") if genotypes else [{} for _ in unit.samples]
    covered = frozenset(name for name, g in genotypes.items() if g.records_in_window > 0)
    return _FilePart(covered=covered, uncovered=tuple(uncovered), results=results)


# ----------------------------------------------------------------------------------------------- stage 2


@dataclass(frozen=True)
class _ChunkUnit:
    kb_name: str
    samples: tuple[str, ...]
    populations: tuple[str | None, ...]
    parts: tuple[_FilePart, ...]
    missing_as_reference: bool
    inputs: tuple[tuple[str, str], ...]


def _choose(parts: Sequence[_FilePart], s: int, kb: KnowledgeBase, missing_as_reference: bool) -> dict[str, GeneResult]:
    """Sample ``s``'s gene results from the files, each gene from the first file with records around it (else the
    first that read it; with ``--missing-as-ref`` a gene no file covers is 'not covered'), as ``pgx call`` does."""
    chosen: dict[str, GeneResult] = {}
    has_records: set[str] = set()
    for part in parts:
        for name, result in part.results[s].items():
            if name not in chosen or (name not in has_records and name in part.covered):
                chosen[name] = result
                if name in part.covered:
                    has_records.add(name)
    if missing_as_reference:
        for part in parts:
            for name in part.uncovered:
                if name not in chosen:
                    chosen[name] = not_covered_result(kb, name)
    return chosen


def _summarise_chunk(unit: _ChunkUnit) -> tuple[str, CohortCounts]:
    """calls.tsv lines and counts of one chunk of samples."""
    kb = _knowledge(unit.kb_name)
    assumptions = [MISSING_AS_REF_ASSUMPTION] if unit.missing_as_reference else []
    provenance = pgx_provenance(kb, dict(unit.inputs), assumptions)
    cpic = cpic_drug_names(kb)
    typical = variant_list_references(kb)
    memo = RecommendationMemo()
    lines = io.StringIO()
    tsv = CallsWriter(lines, header=False)
    tally = CohortTally(cpic, typical)
    for s, (sample, population) in enumerate(zip(unit.samples, unit.populations, strict=True)):
        genes = _choose(unit.parts, s, kb, unit.missing_as_reference)
        result = build_result(kb, sample, genes, provenance, [], memo)
        tsv.write(sample, result.genes)
        tally.add(population, result.genes, result.drugs)
    return lines.getvalue(), tally.counts


# ----------------------------------------------------------------------------------------------- the run


def _sample_ids(vcfs: Sequence[Path]) -> list[str]:
    """The samples of the first VCF; every other VCF must hold them too (checked here, before any unit runs)."""
    with VcfFile(vcfs[0]) as handle:
        samples = list(handle.samples)
    for path in vcfs[1:]:
        with VcfFile(path, samples):
            pass
    return samples


def assign_populations(sample_ids: Sequence[str], panel: Path | None, column: str,
                       panel_only: bool) -> tuple[list[str], list[str | None]]:
    """The samples to analyse and each one's population (None without a panel). Every VCF sample must be in the
    panel unless ``panel_only`` (then only those it lists are analysed)."""
    if panel is None:
        return list(sample_ids), [None] * len(sample_ids)
    table = read_populations(panel, column)
    bad = [p for p in set(table.values()) if p == ALL]
    if bad:
        raise InputError(f"a population may not be called {ALL!r} (it names every sample)", source=str(panel))
    if panel_only:
        chosen = [s for s in sample_ids if s in table]
        if not chosen:
            raise InputError("the panel lists none of the VCF's samples", source=str(panel))
        return chosen, [table[s] for s in chosen]
    missing = [s for s in sample_ids if s not in table]
    if missing:
        shown = ", ".join(missing[:3]) + (" ..." if len(missing) > 3 else "")
        raise InputError(f"{len(missing)} of the VCF's {len(sample_ids)} samples are not in the panel ({shown}); add "
                         "them, or pass --panel-only to analyse only the samples the panel lists", source=str(panel))
    return list(sample_ids), [table[s] for s in sample_ids]


def run_cohort_pgx(vcfs: Sequence[Path], out: Path, *, kb_name: str = "pgx-core", missing_as_reference: bool = False,
                   populations_path: Path | None = None, population_column: str = "super_pop",
                   panel_only: bool = False, scheduler: str | None = None, workers: int | None = None,
                   chunk_samples: int = CHUNK_SAMPLES, progress: ProgressCallback | None = None) -> CohortPgxSummary:
    """``tailormed cohort pgx``: VCF(s) -> calls.tsv, phenotype/diplotype/allele frequency tables, actionable.tsv,
    drug_impact.tsv and summary.json in one output folder (written whole or not at all)."""
    if not vcfs:
        raise InputError("give at least one VCF")
    if chunk_samples < 1:
        raise InputError("--chunk-samples must be at least 1")
    kb = _knowledge(kb_name)
    vcf_paths = [Path(v) for v in vcfs]
    sample_ids, groups = assign_populations(_sample_ids(vcf_paths), populations_path, population_column, panel_only)
    bounds = [(i, min(i + chunk_samples, len(sample_ids))) for i in range(0, len(sample_ids), chunk_samples)]
    inputs = {"vcf": ", ".join(str(v) for v in vcf_paths)}
    if populations_path is not None:
        inputs["populations"] = str(populations_path)
    file_units = [_FileUnit(kb_name, str(path), tuple(sample_ids[a:b]), missing_as_reference)
                  for a, b in bounds for path in vcf_paths]
    total_units = len(file_units) + len(bounds)
    done = 0
    # The output folder is claimed (locked, checked replaceable) before any work, and swapped in only at the end.
    with atomic_output_dir(out, description="tailormed cohort pgx") as staging, \
            open_runner(scheduler, workers, len(sample_ids)) as runner:
        parts: list[_FilePart] = []
        for part in runner.map(_call_file, file_units):
            parts.append(part)
            done += 1
            if progress:
                progress("calling genes", done, total_units)
        per_file = len(vcf_paths)
        chunk_units = [_ChunkUnit(kb_name, tuple(sample_ids[a:b]), tuple(groups[a:b]),
                                  tuple(parts[k * per_file:(k + 1) * per_file]), missing_as_reference,
                                  tuple(sorted(inputs.items())))
                       for k, (a, b) in enumerate(bounds)]
        del parts
        counts, files = _write(staging, kb, runner, chunk_units, inputs, missing_as_reference, population_column,
                               progress, done, total_units)
    return CohortPgxSummary(out=out, samples=len(sample_ids),
                            populations={p: counts.samples[p] for p in sorted(counts.samples)}, files=files,
                            runner=runner.description, units=total_units)


def _write(staging: Path, kb: KnowledgeBase, runner: CohortRunner, units: list[_ChunkUnit], inputs: dict[str, str],
           missing_as_reference: bool, population_column: str, progress: ProgressCallback | None, done: int,
           total_units: int) -> tuple[CohortCounts, list[str]]:
    """Run the counting units and write every file into the staging folder."""
    counts = CohortCounts()
    with open(staging / "calls.tsv", "w", encoding="utf-8") as handle:
        CallsWriter(handle)  # the header
        for lines, part in runner.map(_summarise_chunk, units):
            handle.write(lines)
            counts.merge(part)
            done += 1
            if progress:
                progress("counting", done, total_units)
    (staging / "phenotype_frequencies.tsv").write_text(phenotype_frequencies_tsv(phenotype_rows(counts)),
                                                       encoding="utf-8")
    (staging / "diplotype_frequencies.tsv").write_text(diplotype_frequencies_tsv(diplotype_rows(counts)),
                                                       encoding="utf-8")
    (staging / "allele_frequencies.tsv").write_text(allele_frequencies_tsv(allele_rows(counts)), encoding="utf-8")
    (staging / "actionable.tsv").write_text(actionable_tsv(actionable_rows(counts)), encoding="utf-8")
    genes = {name: list(drug.genes) for name, drug in kb.drugs.items()}
    guidelines = {name: drug.guideline for name, drug in kb.drugs.items()}
    (staging / "drug_impact.tsv").write_text(drug_impact_tsv(drug_impact_rows(counts), genes, guidelines),
                                             encoding="utf-8")
    summary = {
        "software": f"TailorMed {__version__}",
        "knowledge": [f"{p.manifest.name} {p.manifest.version} ({p.manifest.date})" for p in kb.packs],
        "inputs": inputs,
        "assumptions": [MISSING_AS_REF_ASSUMPTION] if missing_as_reference else [],
        "population_column": population_column if "populations" in inputs else None,
        "samples": counts.samples[ALL],
        "populations": {p: counts.samples[p] for p in sorted(counts.samples) if p != ALL},
        "genes": sorted(counts.genes),
        "cpic_drugs": sorted(counts.drugs),
        "actionable_definition": ACTIONABLE_DEFINITION,
        "gene_sets": {name: sorted(members) if members is not None else "every gene of the knowledge pack"
                      for name, members in GENE_SETS.items()},
        "mcinnes2021_genes_not_in_pack": sorted(MCINNES_2021_GENES - set(kb.genes)),
    }
    (staging / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    files = sorted(p.name for p in staging.iterdir())
    return counts, files
