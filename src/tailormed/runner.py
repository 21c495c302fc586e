"""Orchestration: read inputs (io), run engines (pure), write renderings (report).

The CLI and, later, the service call these functions; they hold no clinical logic.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import ValidationError

from tailormed import __version__
from tailormed.errors import InputError
from tailormed.io.outside_calls import OutsideCall, read_outside_calls
from tailormed.io.vcf import GeneGenotypes, VcfFile, check_reference_agreement
from tailormed.kb.pack import KnowledgeBase, load_knowledge_base
from tailormed.model.common import Provenance, Warning
from tailormed.model.patient import Patient
from tailormed.model.pgx import GeneResult, PgxResult
from tailormed.pgx.engine import build_result, call_genes_from_vcf, merge_outside_calls, not_covered_result
from tailormed.report.html import render_pgx_html
from tailormed.report.output import atomic_output_dir
from tailormed.report.tsv import write_calls, write_calls_header

MISSING_AS_REF_ASSUMPTION = (
    "--missing-as-ref: defining positions absent from the VCF were assumed homozygous reference. This is right "
    "for joint-called cohort VCFs that list only variant sites and wrong for a single sample's variant-only VCF."
)
ALL_FORMATS = ("tsv", "json", "html")
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class PgxRunSummary:
    """What a PGx run wrote."""

    out: Path
    samples: int
    genes: int
    files: list[str]


def _provenance(kb: KnowledgeBase, inputs: dict[str, str], assumptions: list[str]) -> Provenance:
    knowledge = [f"{p.manifest.name} {p.manifest.version} ({p.manifest.date})" for p in kb.packs]
    return Provenance(software="TailorMed", software_version=__version__, knowledge=knowledge, inputs=inputs,
                      assumptions=assumptions, created=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))


def _safe_filename(sample: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "._-" else "_" for c in sample)
    return cleaned.lstrip(".") or "sample"


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
             haploid_x: dict[str, bool] | None = None, include_genotypes: bool = True,
             sample_name: str | None = None) -> tuple[list[str], list[dict[str, GeneResult]]]:
    """Gene results per sample from VCF(s) (or outside calls alone), outside calls merged in."""
    vcfs = [vcf] if isinstance(vcf, (str, Path)) else list(vcf or [])
    uncovered: list[str] = []
    if vcfs:
        sample_ids, genotypes, uncovered = read_vcf_genotypes([Path(v) for v in vcfs], kb, samples,
                                                              missing_as_reference)
        x_flags = np.array([bool((haploid_x or {}).get(s, False)) for s in sample_ids])
        per_sample = call_genes_from_vcf(kb, genotypes, x_flags, include_genotypes)
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
                      progress: Progress | None = None) -> list[str]:
    """Write calls.tsv and per-sample JSON/HTML atomically; returns the file names written."""
    written: list[str] = []
    names = [_safe_filename(s) for s in sample_ids]
    if len(set(names)) != len(names):
        raise InputError("two samples map to the same output file name; rename them")
    with atomic_output_dir(out) as staging:
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
                    (staging / f"{names[n]}.json").write_text(result.model_dump_json(indent=1), encoding="utf-8")
                if result is not None and "html" in formats:
                    (staging / f"{names[n]}.html").write_text(render_pgx_html(result), encoding="utf-8")
                if progress:
                    progress(n + 1, len(sample_ids))
        written = sorted(p.name for p in staging.iterdir())
    return written


def run_pgx_call(vcf: Path | Sequence[Path] | None, out: Path, *, kb_name: str = "pgx-core",
                 samples: Sequence[str] | None = None, outside_calls_path: Path | None = None,
                 missing_as_reference: bool = False,
                 formats: Sequence[str] = ALL_FORMATS, progress: Progress | None = None) -> PgxRunSummary:
    """``tailormed pgx call``: VCF (+ outside calls) -> calls.tsv, <sample>.json, <sample>.html."""
    kb = load_knowledge_base(kb_name)
    calls = read_outside_calls(outside_calls_path, set(kb.genes)) if outside_calls_path else []
    if not vcf and not calls:
        raise InputError("give a VCF, an outside-call file, or both")
    sample_ids, per_sample = call_pgx(vcf, kb, samples=samples, outside_calls=calls,
                                      missing_as_reference=missing_as_reference,
                                      include_genotypes="json" in formats or "html" in formats)
    vcf_list = [vcf] if isinstance(vcf, (str, Path)) else list(vcf or [])
    inputs = {"vcf": ", ".join(str(v) for v in vcf_list)} if vcf_list else {}
    if outside_calls_path:
        inputs["outside_calls"] = str(outside_calls_path)
    assumptions = [MISSING_AS_REF_ASSUMPTION] if missing_as_reference else []
    provenance = _provenance(kb, inputs, assumptions)
    files = write_pgx_outputs(out, kb, sample_ids, per_sample, provenance, formats, progress=progress)
    return PgxRunSummary(out=out, samples=len(sample_ids), genes=len(kb.genes), files=files)


def load_patient(path: Path) -> Patient:
    """Read and validate a patient manifest (YAML or JSON); relative paths are relative to it."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError("file not found", source=str(path)) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(f"not valid YAML ({getattr(exc, 'problem', exc)})", source=str(path),
                         location=f"line {mark.line + 1}" if mark else None) from exc
    if not isinstance(data, dict):
        raise InputError("a patient manifest must be a mapping (key: value)", source=str(path))
    try:
        patient = Patient.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(first["msg"], source=str(path), location=".".join(str(x) for x in first["loc"])) from exc
    return patient.resolve_paths(path.parent)


def run_analyze(manifest: Path, out: Path, *, kb_name: str = "pgx-core") -> list[Path]:
    """``tailormed analyze``: every engine the manifest has inputs for (pharmacogenomics, rare disease)."""
    patient = load_patient(manifest)
    kb = load_knowledge_base(kb_name)
    calls = read_outside_calls(patient.outside_calls, set(kb.genes)) if patient.outside_calls else []
    run_pgx = patient.germline is not None or bool(calls)
    if not run_pgx and patient.phenopacket is None and patient.risk_profile is None and not patient.tumour_files:
        raise InputError("the manifest names no germline VCF, outside calls, phenopacket, risk profile or tumour "
                         "files: nothing to analyse", source=str(manifest))
    pending = [name for name, present in (("FHIR bundle", patient.fhir_bundle is not None),) if present]
    pgx_result = _analyze_pgx(patient, kb, calls, manifest) if run_pgx else None
    rare = _analyze_rare(patient) if patient.phenopacket is not None else None
    risk = _analyze_risk(patient) if patient.risk_profile is not None else None
    onco = _analyze_onco(patient) if patient.tumour_files else None
    sections: dict[str, dict[str, str]] = {}
    with atomic_output_dir(out) as staging:
        if pgx_result is not None:
            for name in pending:
                pgx_result.warnings.append(_not_yet(name))
            (staging / "pgx.json").write_text(pgx_result.model_dump_json(indent=1), encoding="utf-8")
            (staging / "report.html").write_text(render_pgx_html(pgx_result), encoding="utf-8")
            sections["pgx"] = {"json": "pgx.json", "html": "report.html"}
        if rare is not None:
            from tailormed.rare_runner import write_rare_outputs

            (staging / "rare").mkdir()
            write_rare_outputs(staging / "rare", *rare)
            sections["rare"] = {"json": "rare/result.json", "html": "rare/report.html", "tsv": "rare/ranking.tsv",
                                "phenopacket": "rare/interpretation.json"}
        if risk is not None:
            from tailormed.risk_runner import write_risk_outputs

            (staging / "risk").mkdir()
            assessment, adjusted, document, polygenic = risk
            write_risk_outputs(staging / "risk", patient.id, assessment, adjusted, document, polygenic)
            sections["risk"] = {"json": "risk/risk.json", "html": "risk/report.html"}
        if onco is not None:
            from tailormed.onco_runner import write_onco_outputs

            (staging / "onco").mkdir()
            write_onco_outputs(staging / "onco", onco)
            sections["onco"] = {"json": "onco/actionability.json", "html": "onco/report.html",
                                "tsv": "onco/therapies.tsv"}
        summary = {"patient": patient.id, "sections": sections, "not_analysed": pending}
        (staging / "analysis.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    return [out / section["html"] for section in sections.values()]


def _analyze_pgx(patient: Patient, kb: KnowledgeBase, calls: list[OutsideCall], manifest: Path) -> PgxResult:
    vcf = patient.germline.vcf if patient.germline else None
    sample = patient.germline.sample_id if patient.germline and patient.germline.sample_id else None
    if vcf is not None and sample is None:
        with VcfFile(vcf) as handle:
            if len(handle.all_samples) != 1:
                raise InputError(f"the VCF has {len(handle.all_samples)} samples; name one as germline.sample_id",
                                 source=str(manifest))
            sample = handle.all_samples[0]
    haploid_x = {sample: True} if sample and patient.demographics.sex == "male" else {}
    sample_ids, per_sample = call_pgx(vcf, kb, samples=[sample] if sample else None, outside_calls=calls,
                                      missing_as_reference=patient.missing_as_reference, haploid_x=haploid_x,
                                      sample_name=patient.id)
    inputs = {"manifest": str(manifest)} | ({"vcf": str(vcf)} if vcf else {}) | (
        {"outside_calls": str(patient.outside_calls)} if patient.outside_calls else {})
    assumptions = [MISSING_AS_REF_ASSUMPTION] if patient.missing_as_reference else []
    return build_result(kb, patient.id, dict(per_sample[0]), _provenance(kb, inputs, assumptions),
                        patient.medications)


def _analyze_rare(patient: Patient) -> tuple[Any, dict[str, Any] | None]:
    """The rare-disease section: the exome VCF named, else the germline VCF if it carries annotations."""
    from tailormed.io.annotated_vcf import has_variant_annotations
    from tailormed.io.phenopacket import read_phenotype_document
    from tailormed.model.common import Warning as ResultWarning
    from tailormed.rare_runner import RareContext, rank_one

    assert patient.phenopacket is not None
    profile, document = read_phenotype_document(patient.phenopacket)
    if patient.demographics.sex != "unknown" and profile.sex == "unknown":
        profile = profile.model_copy(update={"sex": patient.demographics.sex})
    vcf = patient.exome_vcf
    germline = patient.germline.vcf if patient.germline else None
    note = None
    if vcf is None and germline is not None:
        if has_variant_annotations(germline):
            vcf = germline
        else:
            note = (f"the germline VCF {germline.name} has no VEP/snpEff annotation; the rare-disease ranking uses "
                    "the phenotype only (name an annotated exome_vcf in the manifest to add variants)")
    sample = patient.germline.sample_id if patient.germline and vcf == germline else None
    result = rank_one(RareContext.load(), profile, source=str(patient.phenopacket), vcf=vcf,
                      ped=patient.pedigree, sample=sample)
    if note:
        result.warnings.append(ResultWarning(code="phenotype_only", message=note))
    return result, document


def _analyze_risk(patient: Patient) -> tuple[Any, dict[str, float], dict[str, object], list[Any]]:
    """Clinical risk from the risk profile; polygenic scores of the germline VCF when the manifest asks."""
    from tailormed.risk_runner import assess_person, score_person

    assert patient.risk_profile is not None
    polygenic = []
    if patient.polygenic is not None:
        if patient.germline is None:
            raise InputError("polygenic scores need the germline VCF (germline.vcf in the manifest)")
        polygenic = score_person(patient.polygenic, patient.germline.vcf, patient.germline.sample_id)
    hazard_ratio = patient.polygenic.hazard_ratio_per_sd if patient.polygenic else None
    z = polygenic[0].z if polygenic and hazard_ratio else None
    source = (patient.polygenic.hazard_ratio_source or "manifest") if patient.polygenic else ""
    assessment, adjusted, document = assess_person(patient.risk_profile, prs_z=z,
                                                   prs_hr_per_sd=hazard_ratio if z is not None else None,
                                                   prs_source=source)
    return assessment, adjusted, document, polygenic


def _analyze_onco(patient: Patient) -> Any:
    """The oncology section from the manifest's tumour files (one tumour)."""
    from tailormed.onco_runner import OncoContext, TumourInputs, interpret_one, read_tumours

    files = patient.tumour_files
    assert patient.tumour_type is not None
    inputs = TumourInputs(maf=files.get("maf"), vcf=files.get("vcf"), cna=files.get("cna"),
                          fusions=files.get("fusions"), sv=files.get("sv"), clinical=files.get("clinical"),
                          tumour_sample=patient.tumour_sample,
                          callable_bed=files.get("callable_bed"), panel_size_mb=patient.tumour_panel_size_mb)
    context = OncoContext.load(trials=[files["trials"]] if "trials" in files else [])
    profiles, warnings = read_tumours(inputs, patient.tumour_type, context)
    if len(profiles) != 1:
        raise InputError(f"the tumour variant file holds {len(profiles)} samples: set tumour_sample in the manifest",
                         source=str(inputs.maf or inputs.vcf))
    return interpret_one(context, profiles[0], inputs=inputs.as_dict(), warnings=warnings)


def _not_yet(what: str) -> Warning:
    return Warning(code="not_analysed", severity="warning",
                   message=f"the manifest names a {what}, which this version of TailorMed does not analyse yet")
