"""The pharmacogenomics pipeline (``tailormed pgx call``): read VCFs and outside calls (io), call genes (pgx
engine), write calls.tsv and per-sample JSON/HTML (report) into one output folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tailormed.errors import InputError
from tailormed.io.outside_calls import read_outside_calls
from tailormed.io.vcf import VcfFile, check_reference_agreement
from tailormed.kb.pack import KnowledgeBase, load_knowledge_base
from tailormed.model.common import Provenance
from tailormed.model.genotypes import GeneGenotypes, OutsideCall
from tailormed.model.pgx import GeneResult, PgxResult
from tailormed.output import atomic_output_dir, case_file_names
from tailormed.pgx.engine import (
    PositionDetail,
    build_result,
    call_genes_from_vcf,
    merge_outside_calls,
    not_covered_result,
)
from tailormed.pipelines.progress import ProgressCallback
from tailormed.pipelines.provenance import make_provenance
from tailormed.report.html import render_pgx_html
from tailormed.report.pgx_json import KNOWLEDGE_FILE, compact_json, full_json, knowledge_json
from tailormed.report.tsv import write_calls, write_calls_header

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
    return make_provenance([f"{p.manifest.name} {p.manifest.version} ({p.manifest.date})" for p in kb.packs],
                           inputs, assumptions)


def read_vcf_genotypes(vcfs: Sequence[Path], kb: KnowledgeBase, samples: Sequence[str] | None,
                       missing_as_reference: bool) -> tuple[list[str], dict[str, GeneGenotypes], list[str]]:
    """Genotypes per gene from one or more VCFs (e.g. one file per gene region), samples aligned.

    A gene is read from the first file that has records around it. With ``missing_as_reference``
    a gene no file covers is left out (not assumed reference): returns its name in the third item.
    """
    genes = [g for g in kb.genes.values() if g.matching != "outside_call_only" and g.variants]
    chosen: dict[str, GeneGenotypes] = {}
    sample_ids: list[str] | None = list(samples) if samples else None
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
             sample_name: str | None = None) -> tuple[list[str], list[dict[str, GeneResult]]]:
    """Gene results per sample from VCF(s) (or outside calls alone), outside calls merged in; ``position_detail``
    chooses the per-position genotypes the results list (every position, the informative ones, none)."""
    vcfs = [vcf] if isinstance(vcf, (str, Path)) else list(vcf or [])
    uncovered: list[str] = []
    if vcfs:
        sample_ids, genotypes, uncovered = read_vcf_genotypes([Path(v) for v in vcfs], kb, samples,
                                                              missing_as_reference)
        x_flags = np.array([bool((haploid_x or {}).get(s, False)) for s in sample_ids])
        per_sample = call_genes_from_vcf(kb, genotypes, x_flags, position_detail)
    else:
        sample_ids = [sample_name or "sample"]
        per_sample = [{}]
    merged = []
    for sample, results in zip(sample_ids, per_sample, strict=True):
        mine = [c for c in outside_calls if c.sample in (None, sample)]
        merged.append(merge_outside_calls(kb, results, mine))
        if missing_as_reference:
            for gene in uncovered:
                if gene not in merged[-1]:
                    merged[-1][gene] = not_covered_result(kb, gene)
    unknown = {c.sample for c in outside_calls if c.sample is not None} - set(sample_ids)
    if unknown:
        raise InputError(f"outside calls name sample(s) not analysed: {', '.join(sorted(unknown))}")
    return sample_ids, merged


def write_pgx_outputs(out: Path, kb: KnowledgeBase, sample_ids: Sequence[str],
                      per_sample: Sequence[dict[str, GeneResult]], provenance: Provenance,
                      formats: Sequence[str] = ALL_FORMATS, medications: Sequence[str] = (),
                      progress: ProgressCallback | None = None, full_evidence: bool = False) -> list[str]:
    """Write calls.tsv and per-sample JSON/HTML atomically; returns the file names written.

    The per-sample JSON is the compact document, with the run's ``knowledge.json`` beside it, unless
    ``full_evidence`` asks for the full one (:mod:`tailormed.report.pgx_json`).
    """
    written: list[str] = []
    compact = "json" in formats and not full_evidence
    names = case_file_names(sample_ids, reserved=["calls.tsv"] + ([KNOWLEDGE_FILE, "knowledge"] if compact else []))
    with atomic_output_dir(out, description="tailormed pgx call") as staging:
        if compact:
            (staging / KNOWLEDGE_FILE).write_text(knowledge_json(kb, provenance), encoding="utf-8")
        with ExitStack() as stack:
            tsv = (stack.enter_context(open(staging / "calls.tsv", "w", encoding="utf-8"))
                   if "tsv" in formats else None)
            if tsv:
                write_calls_header(tsv)
            for n, (sample, results) in enumerate(zip(sample_ids, per_sample, strict=True)):
                need_document = "json" in formats or "html" in formats
                result: PgxResult | None = None
                if need_document:
                    result = build_result(kb, sample, dict(results), provenance, list(medications))
                    genes_in_order = result.genes
                else:
                    genes_in_order = [results[g] for g in sorted(results)]
                if tsv:
                    write_calls(tsv, sample, genes_in_order)
                if result is not None and "json" in formats:
                    document = compact_json(result) if compact else full_json(result)
                    (staging / f"{names[n]}.json").write_text(document, encoding="utf-8")
                if result is not None and "html" in formats:
                    (staging / f"{names[n]}.html").write_text(render_pgx_html(result), encoding="utf-8")
                if progress:
                    progress("writing reports", n + 1, len(sample_ids))
        written = sorted(p.name for p in staging.iterdir())
    return written


def run_pgx_call(vcf: Path | Sequence[Path] | None, out: Path, *, kb_name: str = "pgx-core",
                 samples: Sequence[str] | None = None, outside_calls_path: Path | None = None,
                 missing_as_reference: bool = False, formats: Sequence[str] = ALL_FORMATS,
                 medications: Sequence[str] = (), progress: ProgressCallback | None = None,
                 full_evidence: bool = False) -> PgxRunSummary:
    """``tailormed pgx call``: VCF (+ outside calls) -> calls.tsv, <sample>.json, <sample>.html (and
    knowledge.json for the compact JSON; ``full_evidence`` writes the full documents instead).

    ``medications`` is one person's list: it is refused when more than one sample is analysed.
    """
    kb = load_knowledge_base(kb_name)
    calls = read_outside_calls(outside_calls_path, set(kb.genes)) if outside_calls_path else []
    if not vcf and not calls:
        raise InputError("give a VCF, an outside-call file, or both")
    if progress:
        progress("reading genotypes and calling genes", 0, None)
    sample_ids, per_sample = call_pgx(vcf, kb, samples=samples, outside_calls=calls,
                                      missing_as_reference=missing_as_reference,
                                      position_detail=_position_detail(formats, full_evidence))
    meds = [m.strip().lower() for m in medications if m.strip()]
    if meds and len(sample_ids) != 1:
        raise InputError(f"--medications is one person's medication list, but {len(sample_ids)} samples are analysed; "
                         "choose one with --samples (or use tailormed analyze with a patient manifest)")
    vcf_list = [vcf] if isinstance(vcf, (str, Path)) else list(vcf or [])
    inputs = {"vcf": ", ".join(str(v) for v in vcf_list)} if vcf_list else {}
    if outside_calls_path:
        inputs["outside_calls"] = str(outside_calls_path)
    if meds:
        inputs["medications"] = ", ".join(meds)
    assumptions = [MISSING_AS_REF_ASSUMPTION] if missing_as_reference else []
    provenance = pgx_provenance(kb, inputs, assumptions)
    files = write_pgx_outputs(out, kb, sample_ids, per_sample, provenance, formats, medications=meds,
                              progress=progress, full_evidence=full_evidence)
    return PgxRunSummary(out=out, samples=len(sample_ids), genes=len(kb.genes), files=files)


def _position_detail(formats: Sequence[str], full_evidence: bool) -> PositionDetail:
    """The per-position genotypes the outputs need: the HTML and the compact JSON show only informative ones."""
    if "json" not in formats and "html" not in formats:
        return "none"
    return "all" if full_evidence and "json" in formats else "informative"



