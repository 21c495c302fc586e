"""The pharmacogenomics pipeline (``tailormed pgx call``): read VCFs and outside calls (io), call genes (pgx
engine), write calls.tsv and per-sample JSON/HTML (report) into one output folder.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import signal
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tailormed.errors import InputError
from tailormed.io.copy_number import StructuralInput, read_cyp2d6_structural
from tailormed.io.outside_calls import read_outside_calls
from tailormed.io.vcf import VcfFile, check_reference_agreement
from tailormed.kb.pack import KnowledgeBase, load_knowledge_base
from tailormed.model.common import Provenance
from tailormed.model.genotypes import CopyNumberCall, GeneGenotypes, OutsideCall
from tailormed.model.patient import Sex
from tailormed.model.pgx import GeneResult
from tailormed.output import atomic_output_dir, case_file_names
from tailormed.pgx.copy_number import complete_with_copy_number
from tailormed.pgx.engine import (
    PositionDetail,
    build_result,
    call_genes_from_vcf,
    merge_outside_calls,
    not_covered_result,
)
from tailormed.pgx.recommend import RecommendationMemo
from tailormed.pipelines.progress import ProgressCallback
from tailormed.pipelines.provenance import make_provenance
from tailormed.report.html import PgxHtmlRenderer
from tailormed.report.pgx_json import KNOWLEDGE_FILE, CompactJsonWriter, full_json, knowledge_json
from tailormed.report.tsv import CallsWriter

MISSING_AS_REF_ASSUMPTION = (
    "--missing-as-ref: defining positions absent from the VCF were assumed homozygous reference. This is right "
    "for joint-called cohort VCFs that list only variant sites and wrong for a single sample's variant-only VCF."
)
ALL_FORMATS = ("tsv", "json", "html")


@dataclass(frozen=True)
class PgxRunSummary:
    """What a PGx run wrote."""

    out: Path
    samples: int
    genes: int
    files: list[str]


def pgx_provenance(kb: KnowledgeBase, inputs: dict[str, str], assumptions: list[str]) -> Provenance:
    """Provenance naming every pack of the knowledge base."""
    return make_provenance([f"{p.manifest.name} {p.manifest.version} ({p.manifest.date})" for p in kb.packs]
                           + list(kb.extra_knowledge), inputs, assumptions)


def read_vcf_genotypes(vcfs: Sequence[Path], kb: KnowledgeBase, samples: Sequence[str] | None,
                       missing_as_reference: bool) -> tuple[list[str], dict[str, GeneGenotypes], list[str]]:
    """Genotypes per gene from one or more VCFs (e.g. one file per gene region), samples aligned.

    A gene is read from the first file that has records around it. With ``missing_as_reference``
    a gene no file covers is left out (not assumed reference): returns its name in the third item.
    """
    genes = [g for g in kb.genes.values() if g.matching != "outside_call_only" and g.variants]
    chosen: dict[str, GeneGenotypes] = {}
    sample_ids: list[str] | None = list(dict.fromkeys(samples)) if samples else None  # a sample named twice: once
    for path in vcfs:
        with VcfFile(path, sample_ids) as handle:
            if sample_ids is None:
                sample_ids = handle.samples
            found = handle.read_genes(genes, missing_as_reference=missing_as_reference)
            check_reference_agreement(handle.path, found.values())
        for name, genotypes in found.items():
            if name not in chosen or (chosen[name].records_in_window == 0 and genotypes.records_in_window > 0):
                chosen[name] = genotypes
    uncovered = [name for name, g in chosen.items() if g.records_in_window == 0]
    if missing_as_reference:
        for name in uncovered:
            del chosen[name]
    return sample_ids or [], chosen, uncovered


def call_pgx(vcf: Path | Sequence[Path] | None, kb: KnowledgeBase, *, samples: Sequence[str] | None = None,
             outside_calls: Sequence[OutsideCall] = (), missing_as_reference: bool = False,
             haploid_x: dict[str, bool] | None = None, position_detail: PositionDetail = "all",
             sample_name: str | None = None,
             copy_numbers: Sequence[CopyNumberCall] = ()) -> tuple[list[str], list[dict[str, GeneResult]]]:
    """Gene results per sample from VCF(s) (or outside calls alone), completed with copy numbers (CYP2D6), outside
    calls merged in; ``position_detail`` chooses the per-position genotypes the results list (every position, the
    informative ones, none)."""
    vcfs = [vcf] if isinstance(vcf, (str, Path)) else list(vcf or [])
    uncovered: list[str] = []
    if vcfs:
        sample_ids, genotypes, uncovered = read_vcf_genotypes([Path(v) for v in vcfs], kb, samples,
                                                              missing_as_reference)
        x_flags = np.array([bool((haploid_x or {}).get(s, False)) for s in sample_ids])
        # No gene left to call (with --missing-as-ref, files that cover no gene of the pack): every gene is
        # reported not covered below.
        per_sample = (call_genes_from_vcf(kb, genotypes, x_flags, position_detail) if genotypes
                      else [{} for _ in sample_ids])
    else:
        sample_ids = [sample_name or "sample"]
        per_sample = [{}]
    _check_samples_known(copy_numbers, sample_ids, "copy numbers")
    merged = []
    for sample, results in zip(sample_ids, per_sample, strict=True):
        for cn in copy_numbers:
            if cn.sample in (None, sample) and cn.gene in results and results[cn.gene].source == "vcf":
                results = {**results, cn.gene: complete_with_copy_number(kb, results[cn.gene], cn.copies, cn.source)}
        mine = [c for c in outside_calls if c.sample in (None, sample)]
        merged.append(merge_outside_calls(kb, results, mine))
        if missing_as_reference:
            for gene in uncovered:
                if gene not in merged[-1]:
                    merged[-1][gene] = not_covered_result(kb, gene)
    _check_samples_known(outside_calls, sample_ids, "outside calls")
    return sample_ids, merged


def _check_samples_known(calls: Sequence[OutsideCall | CopyNumberCall], sample_ids: Sequence[str], what: str) -> None:
    known = set(sample_ids)
    unknown = [c for c in calls if c.sample is not None and c.sample not in known]
    if unknown:
        names = ", ".join(sorted({str(c.sample) for c in unknown}))
        path, _, line = unknown[0].source.rpartition(":")  # "file:line"
        raise InputError(f"{what} name sample(s) not analysed: {names}", source=path or None,
                         location=f"line {line}" if path else None)


def read_structural_input(path: Path | None, outside_calls: Sequence[OutsideCall]) -> StructuralInput:
    """The CYP2D6 copy-number / caller file (none: empty); a sample's CYP2D6 may not come from both it and the
    outside-call file."""
    if path is None:
        return StructuralInput("none")
    structural = read_cyp2d6_structural(path)
    given = {(c.sample, c.gene) for c in outside_calls}
    for call in structural.outside_calls:
        if (call.sample, call.gene) in given or (None, call.gene) in given:
            where, _, line = call.source.rpartition(":")
            raise InputError(f"{call.gene} of sample {call.sample} is given here and in the outside-call file: give "
                             "it once", source=where, location=f"line {line}")
    return structural


@dataclass
class _ReportJob:
    """What every chunk of per-sample writing needs (inherited by forked workers, never pickled)."""

    kb: KnowledgeBase
    sample_ids: Sequence[str]
    per_sample: Sequence[dict[str, GeneResult]]
    provenance: Provenance
    formats: Sequence[str]
    medications: Sequence[str]
    compact: bool
    names: list[str]
    staging: Path
    sex: Sex = "unknown"


@dataclass
class _ReportWriters:
    """The per-process writers: each reuses what samples share (drug rows, gene results, their JSON and HTML)."""

    memo: RecommendationMemo = field(default_factory=RecommendationMemo)
    renderer: PgxHtmlRenderer = field(default_factory=PgxHtmlRenderer)
    json_writer: CompactJsonWriter = field(default_factory=CompactJsonWriter)


_JOB: _ReportJob | None = None
_WRITERS: _ReportWriters | None = None

REPORT_CHUNK = 64
"""Samples per unit of work when reports are written by several processes."""


def _write_chunk(bounds: tuple[int, int]) -> str:
    """Write the JSON/HTML of samples ``bounds[0]:bounds[1]`` of the current job; return their calls.tsv lines."""
    global _WRITERS
    job = _JOB
    assert job is not None
    writers = _WRITERS = _WRITERS or _ReportWriters()
    lines = io.StringIO()
    tsv = CallsWriter(lines, header=False)
    for n in range(*bounds):
        result = build_result(job.kb, job.sample_ids[n], dict(job.per_sample[n]), job.provenance,
                              list(job.medications), writers.memo, sex=job.sex)
        tsv.write(job.sample_ids[n], result.genes)
        if "json" in job.formats:
            document = writers.json_writer.write(result) if job.compact else full_json(result)
            (job.staging / f"{job.names[n]}.json").write_text(document, encoding="utf-8")
        if "html" in job.formats:
            (job.staging / f"{job.names[n]}.html").write_text(writers.renderer.render(result), encoding="utf-8")
    return lines.getvalue()


def _worker_signals() -> None:
    """In a report-writing process: the default action for SIGTERM (the parent stops its workers with it) instead
    of the command line's handler inherited through fork, and no KeyboardInterrupt of its own on Ctrl-C (the parent
    handles it and stops the workers)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def report_workers(n_samples: int, workers: int | None = None) -> int:
    """Processes for writing per-sample reports: ``workers`` if given, else up to 4 (the CPUs there are) for 256
    samples or more. Several processes need the ``fork`` start method (they inherit the calls, nothing is copied
    up front); without it the reports are written in this process."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    if workers is not None:
        return max(1, workers)
    return min(4, os.cpu_count() or 1) if n_samples >= 256 else 1


def write_pgx_outputs(out: Path, kb: KnowledgeBase, sample_ids: Sequence[str],
                      per_sample: Sequence[dict[str, GeneResult]], provenance: Provenance,
                      formats: Sequence[str] = ALL_FORMATS, medications: Sequence[str] = (),
                      progress: ProgressCallback | None = None, full_evidence: bool = False,
                      workers: int | None = None, source: str | None = None, sex: Sex = "unknown") -> list[str]:
    """Write calls.tsv and per-sample JSON/HTML atomically; returns the file names written.

    The per-sample JSON is the compact document, with the run's ``knowledge.json`` beside it, unless
    ``full_evidence`` asks for the full one (:mod:`tailormed.report.pgx_json`). Per-sample reports are written
    by :func:`report_workers` processes, in chunks of :data:`REPORT_CHUNK` samples; calls.tsv keeps the sample
    order, and the files are the same whatever the number of processes. ``source`` (the file the sample ids
    come from) is named when an id cannot name a file. ``sex`` (one person's, like ``medications``) decides the
    notes on advice written for another sex.
    """
    global _JOB, _WRITERS
    compact = "json" in formats and not full_evidence
    names = case_file_names(sample_ids, reserved=["calls.tsv"] + ([KNOWLEDGE_FILE, "knowledge"] if compact else []),
                            source=source)
    need_documents = "json" in formats or "html" in formats
    with atomic_output_dir(out, description="tailormed pgx call") as staging:
        if compact:
            (staging / KNOWLEDGE_FILE).write_text(knowledge_json(kb, provenance), encoding="utf-8")
        with ExitStack() as stack:
            handle = stack.enter_context(open(staging / "calls.tsv", "w", encoding="utf-8")) if "tsv" in formats \
                else io.StringIO()
            if not need_documents:  # calls.tsv alone: nothing to build per sample
                tsv = CallsWriter(handle)
                for n, (sample, results) in enumerate(zip(sample_ids, per_sample, strict=True)):
                    tsv.write(sample, [results[g] for g in sorted(results)])
                    if progress and (n + 1 == len(sample_ids) or n % REPORT_CHUNK == 0):
                        progress("writing reports", n + 1, len(sample_ids))
            else:
                CallsWriter(handle)  # the header
                chunks = [(i, min(i + REPORT_CHUNK, len(sample_ids))) for i in range(0, len(sample_ids), REPORT_CHUNK)]
                _JOB = _ReportJob(kb, sample_ids, per_sample, provenance, formats, medications, compact, names,
                                  staging, sex)
                processes = min(report_workers(len(sample_ids), workers), len(chunks))
                pool = multiprocessing.get_context("fork").Pool(processes, initializer=_worker_signals) \
                    if processes > 1 else None
                try:
                    done = pool.imap(_write_chunk, chunks) if pool is not None else map(_write_chunk, chunks)
                    for (_, stop), lines in zip(chunks, done, strict=True):
                        handle.write(lines)
                        if progress:
                            progress("writing reports", stop, len(sample_ids))
                    if pool is not None:
                        pool.close()  # all written: let the workers finish on their own
                        pool.join()
                finally:
                    # One run's writers and their id-keyed caches (which keep that run's results alive) end with it.
                    _JOB, _WRITERS = None, None
                    if pool is not None:  # on an error or an interrupt: stop the workers (SIGTERM, default action)
                        pool.terminate()
                        pool.join()
        written = sorted(p.name for p in staging.iterdir())
    return written


def run_pgx_call(vcf: Path | Sequence[Path] | None, out: Path, *, kb_name: str = "pgx-core",
                 samples: Sequence[str] | None = None, outside_calls_path: Path | None = None,
                 missing_as_reference: bool = False, formats: Sequence[str] = ALL_FORMATS,
                 medications: Sequence[str] = (), progress: ProgressCallback | None = None,
                 full_evidence: bool = False, workers: int | None = None,
                 cyp2d6_copy_number_path: Path | None = None, sex: Sex = "unknown") -> PgxRunSummary:
    """``tailormed pgx call``: VCF (+ outside calls) -> calls.tsv, <sample>.json, <sample>.html (and
    knowledge.json for the compact JSON; ``full_evidence`` writes the full documents instead).

    ``medications`` and ``sex`` are one person's: they are refused when more than one sample is analysed. ``sex``
    decides the notes on advice written for another sex (docs/knowledge-packs.md); ``male`` also reads X-linked
    genes (G6PD) as one X, as ``tailormed analyze`` does.
    """
    kb = load_knowledge_base(kb_name)
    calls = read_outside_calls(outside_calls_path, set(kb.genes)) if outside_calls_path else []
    structural = read_structural_input(cyp2d6_copy_number_path, calls)
    calls = calls + structural.outside_calls
    if structural.copy_numbers and not vcf:
        raise InputError("CYP2D6 copy numbers complete a VCF call, and no VCF was given",
                         source=str(cyp2d6_copy_number_path))
    if not vcf and not calls:
        if outside_calls_path:
            raise InputError("the outside-call file holds no calls, and no VCF was given: nothing to call",
                             source=str(outside_calls_path))
        raise InputError("give a VCF, an outside-call file, or both")
    if progress:
        progress("reading genotypes and calling genes", 0, None)
    vcf_list = [vcf] if isinstance(vcf, (str, Path)) else list(vcf or [])
    haploid_x: dict[str, bool] = {}
    if sex == "male" and vcf_list:
        with VcfFile(Path(vcf_list[0])) as handle:
            haploid_x = {s: True for s in (samples or handle.all_samples)}
    sample_ids, per_sample = call_pgx(vcf, kb, samples=samples, outside_calls=calls,
                                      missing_as_reference=missing_as_reference, haploid_x=haploid_x,
                                      position_detail=_position_detail(formats, full_evidence),
                                      copy_numbers=structural.copy_numbers)
    meds = [m.strip().lower() for m in medications if m.strip()]
    if meds and len(sample_ids) != 1:
        raise InputError(f"--medications is one person's medication list, but {len(sample_ids)} samples are analysed; "
                         "choose one with --samples (or use tailormed analyze with a patient manifest)")
    if sex != "unknown" and len(sample_ids) != 1:
        raise InputError(f"--sex is one person's, but {len(sample_ids)} samples are analysed; choose one with "
                         "--samples (or use tailormed analyze with a patient manifest)")
    inputs = {"vcf": ", ".join(str(v) for v in vcf_list)} if vcf_list else {}
    if outside_calls_path:
        inputs["outside_calls"] = str(outside_calls_path)
    if cyp2d6_copy_number_path:
        inputs["cyp2d6_copy_number"] = f"{cyp2d6_copy_number_path} ({structural.format})"
    if meds:
        inputs["medications"] = ", ".join(meds)
    if sex != "unknown":
        inputs["sex"] = sex
    assumptions = [MISSING_AS_REF_ASSUMPTION] if missing_as_reference else []
    provenance = pgx_provenance(kb, inputs, assumptions)
    files = write_pgx_outputs(out, kb, sample_ids, per_sample, provenance, formats, medications=meds,
                              progress=progress, full_evidence=full_evidence, workers=workers,
                              source=str(vcf_list[0]) if vcf_list else None, sex=sex)
    return PgxRunSummary(out=out, samples=len(sample_ids), genes=len(kb.genes), files=files)


def _position_detail(formats: Sequence[str], full_evidence: bool) -> PositionDetail:
    """The per-position genotypes the outputs need: the HTML and the compact JSON show only informative ones."""
    if "json" not in formats and "html" not in formats:
        return "none"
    return "all" if full_evidence and "json" in formats else "informative"



