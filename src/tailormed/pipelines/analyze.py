"""The whole-patient pipeline (``tailormed analyze``): every engine the manifest has inputs for, into one output
folder (``analysis.json`` lists the sections written)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from tailormed.documents import load_json
from tailormed.errors import InputError
from tailormed.io.copy_number import StructuralInput
from tailormed.io.outside_calls import read_outside_calls
from tailormed.io.patient import load_patient
from tailormed.io.vcf import VcfFile
from tailormed.kb.pack import KnowledgeBase, load_knowledge_base
from tailormed.model.common import Warning as ResultWarning
from tailormed.model.genotypes import OutsideCall
from tailormed.model.onco import ClinicalBiomarkers
from tailormed.model.patient import Demographics, Patient
from tailormed.model.pgx import PgxResult
from tailormed.output import atomic_output_dir
from tailormed.pgx.engine import build_result
from tailormed.pipelines.fhir import import_patient_bundle, patient_with_fhir
from tailormed.pipelines.pgx import (
    MISSING_AS_REF_ASSUMPTION,
    call_pgx,
    pgx_provenance,
    read_structural_input,
)
from tailormed.report.html import render_pgx_html
from tailormed.report.patient import render_patient_html

SECTION_DOCUMENTS = {"pgx": "pgx.json", "rare": "rare/result.json", "risk": "risk/risk.json",
                     "onco": "onco/actionability.json"}
"""The document of each section of an analysis folder, relative to it (``analysis.json`` names them too)."""


def run_analyze(manifest: Path, out: Path, *, kb_name: str = "pgx-core", pdf: bool = False) -> list[Path]:
    """``tailormed analyze``: every engine the manifest has inputs for (pharmacogenomics, rare disease, risk,
    oncology), each section's files, and the integrated report ``report.html`` drawn from their documents
    (with ``pdf``, also ``report.pdf``). Returns the integrated report, then each section's page."""
    if pdf:
        from tailormed.report.pdf import check_pdf_available

        check_pdf_available()  # before any work, so a missing extra costs nothing and writes nothing
    patient = load_patient(manifest)
    kb = load_knowledge_base(kb_name)
    calls = read_outside_calls(patient.outside_calls, set(kb.genes)) if patient.outside_calls else []
    if patient.fhir_bundle is not None:  # the EHR's record: demographics, current medications, lab genotypes
        record = import_patient_bundle(patient.fhir_bundle)
        patient, calls = patient_with_fhir(patient, record, calls, source=str(patient.fhir_bundle))
    structural = read_structural_input(patient.cyp2d6_copy_number, calls)
    if structural.copy_numbers and patient.germline is None:
        raise InputError("cyp2d6_copy_number: copy numbers complete a VCF call, and the manifest names no germline "
                         "VCF", source=str(manifest))
    calls = calls + structural.outside_calls
    run_pgx = patient.germline is not None or bool(calls)
    if not run_pgx and patient.phenopacket is None and patient.risk_profile is None and not patient.tumour_files:
        raise InputError("the manifest names no germline VCF, outside calls, phenopacket, risk profile or tumour "
                         "files: nothing to analyse", source=str(manifest))
    pgx_result = _analyze_pgx(patient, kb, calls, manifest, structural) if run_pgx else None
    rare = _analyze_rare(patient) if patient.phenopacket is not None else None
    risk = _analyze_risk(patient) if patient.risk_profile is not None else None
    onco = _analyze_onco(patient, manifest) if patient.tumour_files else None
    sections: dict[str, dict[str, str]] = {}
    with atomic_output_dir(out, description="tailormed analyze") as staging:
        if pgx_result is not None:
            (staging / "pgx.json").write_text(pgx_result.model_dump_json(indent=1), encoding="utf-8")
            (staging / "pgx.html").write_text(render_pgx_html(pgx_result), encoding="utf-8")
            sections["pgx"] = {"json": "pgx.json", "html": "pgx.html"}
        if rare is not None:
            from tailormed.report.rare import write_rare_outputs

            (staging / "rare").mkdir()
            write_rare_outputs(staging / "rare", *rare)
            sections["rare"] = {"json": "rare/result.json", "html": "rare/report.html", "tsv": "rare/ranking.tsv",
                                "phenopacket": "rare/interpretation.json"}
        if risk is not None:
            from tailormed.report.risk import write_risk_outputs

            (staging / "risk").mkdir()
            assessment, adjusted, document, polygenic = risk
            write_risk_outputs(staging / "risk", patient.id, assessment, adjusted, document, polygenic)
            sections["risk"] = {"json": "risk/risk.json", "html": "risk/report.html"}
        if onco is not None:
            from tailormed.report.onco import write_onco_outputs

            (staging / "onco").mkdir()
            write_onco_outputs(staging / "onco", onco)
            sections["onco"] = {"json": "onco/actionability.json", "html": "onco/report.html",
                                "tsv": "onco/therapies.tsv", "alterations_tsv": "onco/alterations.tsv"}
        demographics = patient.demographics.model_dump(mode="json", exclude_none=True)
        summary = {"patient": patient.id, "demographics": demographics, "medications": patient.medications,
                   "created": datetime.now(UTC).isoformat(timespec="seconds"), "report": "report.html",
                   "sections": sections, "not_analysed": []}
        (staging / "analysis.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
        html = render_patient_html(load_analysis_documents(staging))
        (staging / "report.html").write_text(html, encoding="utf-8")
        if pdf:
            from tailormed.report.pdf import html_to_pdf

            (staging / "report.pdf").write_bytes(html_to_pdf(html, staging))
            summary["report_pdf"] = "report.pdf"
            (staging / "analysis.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    return [out / "report.html", *(out / section["html"] for section in sections.values())]


def load_analysis_documents(folder: Path) -> dict[str, Any]:
    """The parsed documents of an analysis folder, keyed ``analysis``, ``pgx``, ``rare``, ``risk``, ``onco`` (a
    section not run is absent): what :func:`patient_report_html` draws the integrated report from."""
    analysis = load_json(folder / "analysis.json", "analysis summary")
    documents: dict[str, Any] = {"analysis": analysis}
    for name in analysis.get("sections", {}) if isinstance(analysis, dict) else {}:
        if name in SECTION_DOCUMENTS:
            documents[name] = load_json(folder / SECTION_DOCUMENTS[name], f"{name} result")
    return documents


def patient_report_html(documents: Mapping[str, Any], *, link_pages: bool = False) -> str:
    """The integrated patient report from an analysis's parsed documents (as :func:`load_analysis_documents`
    returns, or as a results store keeps them): the same page ``analyze`` writes as ``report.html``. Links to
    the per-section pages and files are left out unless ``link_pages`` (they exist only in an output folder)."""
    return render_patient_html(documents, link_pages=link_pages)


def _analyze_pgx(patient: Patient, kb: KnowledgeBase, calls: list[OutsideCall], manifest: Path,
                 structural: StructuralInput) -> PgxResult:
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
                                      sample_name=patient.id, copy_numbers=structural.copy_numbers)
    inputs = {"manifest": str(manifest)} | ({"vcf": str(vcf)} if vcf else {}) | (
        {"outside_calls": str(patient.outside_calls)} if patient.outside_calls else {}) | (
        {"cyp2d6_copy_number": f"{patient.cyp2d6_copy_number} ({structural.format})"}
        if patient.cyp2d6_copy_number else {})
    assumptions = [MISSING_AS_REF_ASSUMPTION] if patient.missing_as_reference else []
    return build_result(kb, patient.id, dict(per_sample[0]), pgx_provenance(kb, inputs, assumptions),
                        patient.medications, sex=patient.demographics.sex)


def _analyze_rare(patient: Patient) -> tuple[Any, dict[str, Any] | None]:
    """The rare-disease section: the exome VCF named, else the germline VCF if it carries annotations."""
    from tailormed.io.annotated_vcf import has_variant_annotations
    from tailormed.io.phenopacket import read_phenotype_document
    from tailormed.pipelines.rare import RareContext, rank_one

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
    from tailormed.pipelines.risk import assess_person, score_person

    assert patient.risk_profile is not None
    polygenic = []
    if patient.polygenic is not None:
        if patient.germline is None:
            raise InputError("polygenic scores need the germline VCF (germline.vcf in the manifest)")
        polygenic = score_person(patient.polygenic, patient.germline.vcf, patient.germline.sample_id)
    hazard_ratio = patient.polygenic.hazard_ratio_per_sd if patient.polygenic else None
    z = polygenic[0].z if polygenic and hazard_ratio else None
    source = (patient.polygenic.hazard_ratio_source or "manifest") if patient.polygenic else ""
    outcome = patient.polygenic.hazard_ratio_outcome if patient.polygenic else "ascvd"
    assessment, adjusted, document = assess_person(patient.risk_profile, prs_z=z,
                                                   prs_hr_per_sd=hazard_ratio if z is not None else None,
                                                   prs_source=source, prs_outcome=outcome)
    return assessment, adjusted, document, polygenic


def _analyze_onco(patient: Patient, manifest: Path) -> Any:
    """The oncology section from the manifest's tumour files (one tumour). A problem with a value the manifest
    gives itself (tumour_type, tumour_sample, tumour_panel_size_mb) names the manifest."""
    try:
        return _interpret_manifest_tumour(patient)
    except InputError as exc:
        if exc.source is not None:
            raise
        raise type(exc)(exc.message, source=str(manifest)) from exc


def _interpret_manifest_tumour(patient: Patient) -> Any:
    from tailormed.pipelines.onco import OncoContext, TumourInputs, interpret_one, read_tumours

    files = patient.tumour_files
    assert patient.tumour_type is not None
    inputs = TumourInputs(maf=files.get("maf"), vcf=files.get("vcf"), cna=files.get("cna"),
                          fusions=files.get("fusions"), sv=files.get("sv"), clinical=files.get("clinical"),
                          tumour_sample=patient.tumour_sample,
                          callable_bed=files.get("callable_bed"), panel_size_mb=patient.tumour_panel_size_mb,
                          panel_size_name="tumour_panel_size_mb")
    context = OncoContext.load(trials=[files["trials"]] if "trials" in files else [])
    profiles, warnings = read_tumours(inputs, patient.tumour_type, context)
    if len(profiles) != 1:
        raise InputError(f"the tumour variant file holds {len(profiles)} samples: set tumour_sample in the manifest",
                         source=str(inputs.maf or inputs.vcf))
    age, sex = trial_demographics(patient.demographics, profiles[0].clinical, files.get("clinical"))
    return interpret_one(context, profiles[0], inputs=inputs.as_dict(), warnings=warnings, age=age, sex=sex)


def trial_demographics(demographics: Demographics, clinical: ClinicalBiomarkers, clinical_file: Path | None, *,
                       today: date | None = None) -> tuple[float | None, str | None]:
    """The patient's age (years) and sex for trial matching: the manifest's (``age_years``, else the age on
    ``today`` from ``birth_date``; ``sex`` unless unknown) or, where the manifest gives none, the clinical file's.
    Given in both and different (ages compared in whole years) is an error naming both.

    >>> trial_demographics(Demographics(age_years=58, sex="female"), ClinicalBiomarkers(), None)
    (58.0, 'female')
    >>> trial_demographics(Demographics(), ClinicalBiomarkers(age=61, sex="male"), None)
    (61.0, 'male')
    """
    age = demographics.age_years
    if age is None and demographics.birth_date is not None:
        on = today or date.today()
        born = demographics.birth_date
        age = float(on.year - born.year - ((on.month, on.day) < (born.month, born.day)))
    sex = None if demographics.sex == "unknown" else demographics.sex
    where = f"the clinical file {clinical_file}" if clinical_file else "the clinical biomarkers"
    if age is not None and clinical.age is not None and math.floor(age) != math.floor(clinical.age):
        given = f"age_years {age:g}" if demographics.age_years is not None else (
            f"birth_date {demographics.birth_date} (age {age:g})")
        raise InputError(f"the patient's age disagrees: demographics.{given} in the manifest, age {clinical.age:g} in "
                         f"{where}; correct one of them")
    if sex is not None and clinical.sex is not None and sex != clinical.sex:
        raise InputError(f"the patient's sex disagrees: demographics.sex {sex} in the manifest, sex {clinical.sex} in "
                         f"{where}; correct one of them")
    return (age if age is not None else clinical.age), (sex if sex is not None else clinical.sex)

