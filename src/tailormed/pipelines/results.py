"""Stored results (``tailormed store``, the REST API): run ``analyze`` and keep what it writes in the results
store; list, show, export and delete stored patients.

Export formats are a small registry (:data:`EXPORT_FORMATS`): a renderer takes the stored documents (relative
path -> bytes) and returns the bytes and media type: JSON, the HTML patient report, and a FHIR R4 Bundle
(Genomics Reporting IG, :func:`tailormed.ehr.fhir_export.analysis_bundle`).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tailormed.ehr.fhir_export import DOCUMENTS as FHIR_DOCUMENTS
from tailormed.ehr.fhir_export import analysis_bundle
from tailormed.ehr.genomics_operations import find_subject_haplotypes, find_subject_tx_implications
from tailormed.errors import InputError
from tailormed.io.patient import load_patient
from tailormed.model.patient import Patient

CLI_TENANT = "default"
"""The tenant of results stored from the command line (the REST API and CDS Hooks scope by their callers')."""

Renderer = Callable[[Mapping[str, bytes]], tuple[bytes, str]]


def _export_json(documents: Mapping[str, bytes]) -> tuple[bytes, str]:
    """``analysis.json`` with every JSON document of the result inlined under ``documents``."""
    analysis = json.loads(documents["analysis.json"]) if "analysis.json" in documents else {}
    inlined = {path: json.loads(content) for path, content in sorted(documents.items())
               if path.endswith(".json") and path != "analysis.json"}
    return json.dumps({"analysis": analysis, "documents": inlined}, indent=1).encode(), "application/json"


def _export_html(documents: Mapping[str, bytes]) -> tuple[bytes, str]:
    """The result's report: ``report.html`` (the patient report ``analyze`` writes first), else the first HTML."""
    pages = sorted(p for p in documents if p.endswith(".html"))
    if not pages:
        raise InputError("this stored result has no HTML report")
    page = "report.html" if "report.html" in documents else pages[0]
    return documents[page], "text/html; charset=utf-8"


def _export_fhir(documents: Mapping[str, bytes]) -> tuple[bytes, str]:
    """A FHIR R4 collection Bundle of the stored analysis."""
    return json.dumps(_stored_bundle(documents), indent=1).encode(), "application/fhir+json"


def _stored_bundle(documents: Mapping[str, bytes]) -> dict[str, Any]:
    """The FHIR export of a stored result: the documents :func:`analysis_bundle` reads, parsed."""
    return analysis_bundle({path: json.loads(documents[path]) for path in FHIR_DOCUMENTS if path in documents})


EXPORT_FORMATS: dict[str, Renderer] = {
    "json": _export_json,
    "html": _export_html,
    "fhir": _export_fhir,
}
"""Export format -> renderer."""


GENOMICS_OPERATIONS = ("find-subject-haplotypes", "find-subject-tx-implications")
"""The FHIR Genomics Operations (Genomics Reporting IG 3.0.0) answered from a stored result."""


def genomics_operation(documents: Mapping[str, bytes], operation: str, subject: str,
                       parameters: Mapping[str, list[str]]) -> dict[str, Any]:
    """A Genomics Operation's ``Parameters`` over one stored result (its FHIR export). ``parameters`` holds the
    operation's list parameters by their IG names (``genes``; ``variants``, ``haplotypes``, ``treatments``,
    ``conditions``, ``ranges``); an unsupported or missing one is an :class:`InputError`."""
    bundle = _stored_bundle(documents)
    if operation == "find-subject-haplotypes":
        return find_subject_haplotypes(bundle, subject, parameters.get("genes", []))
    if operation == "find-subject-tx-implications":
        return find_subject_tx_implications(
            bundle, subject, variants=parameters.get("variants", []), ranges=parameters.get("ranges", []),
            haplotypes=parameters.get("haplotypes", []), treatments=parameters.get("treatments", []),
            conditions=parameters.get("conditions", []))
    raise InputError(f"unknown Genomics Operation {operation!r}; choose one of {', '.join(GENOMICS_OPERATIONS)}")


def export_document(documents: Mapping[str, bytes], fmt: str) -> tuple[bytes, str]:
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"unknown export format {fmt!r}; choose one of {', '.join(sorted(EXPORT_FORMATS))}")
    return EXPORT_FORMATS[fmt](documents)


# -- inputs --------------------------------------------------------------------------------------------------------

def patient_input_files(patient: Patient) -> list[Path]:
    """Every file the manifest names (a PLINK prefix stands for its files)."""
    named: list[Path | None] = [patient.germline.vcf if patient.germline else None, patient.outside_calls,
                                patient.phenopacket, patient.exome_vcf, patient.pedigree, patient.risk_profile,
                                patient.fhir_bundle, *patient.tumour_files.values()]
    if patient.polygenic is not None:
        named += [*patient.polygenic.scores, patient.polygenic.reference, patient.polygenic.populations]
    files: list[Path] = []
    for path in named:
        if path is None:
            continue
        if path.is_file():
            files.append(path)
        else:  # a genotype prefix (PLINK bed/pgen): its sibling files
            files.extend(sorted(p for p in path.parent.glob(path.name + ".*") if p.is_file()))
    return files


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def input_checksum(manifest: Path, patient: Patient) -> str:
    """SHA-256 over the manifest and the content of every input file (by name relative to the manifest), so the
    same inputs give the same checksum wherever they are, and any changed byte gives another."""
    base = manifest.parent.resolve()
    lines = [f"manifest\t{_sha256(manifest)}"]
    for path in patient_input_files(patient):
        try:
            name = str(path.resolve().relative_to(base))
        except ValueError:
            name = path.name
        lines.append(f"{name}\t{_sha256(path)}")
    return hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()


def check_inputs_inside(manifest: Path, folder: Path) -> Patient:
    """Load the manifest and check every file it names exists inside ``folder`` (an uploaded submission):
    an absolute path or ``..`` escaping it is refused."""
    patient = load_patient(manifest)
    root = folder.resolve()
    for path in patient_input_files(patient) + _named_paths(patient):
        resolved = path.resolve()
        if resolved != root and root not in resolved.parents:
            raise InputError(f"the manifest names {str(path)!r}, outside the submitted files", source=manifest.name)
    for path in _named_paths(patient):
        if not path.exists() and not any(path.parent.glob(path.name + ".*")):
            raise InputError(f"the manifest names {path.name!r}, which was not submitted", source=manifest.name)
    return patient


def _named_paths(patient: Patient) -> list[Path]:
    named: list[Path | None] = [patient.germline.vcf if patient.germline else None, patient.outside_calls,
                                patient.phenopacket, patient.exome_vcf, patient.pedigree, patient.risk_profile,
                                patient.fhir_bundle, *patient.tumour_files.values()]
    if patient.polygenic is not None:
        named += [*patient.polygenic.scores, patient.polygenic.reference, patient.polygenic.populations]
    return [p for p in named if p is not None]


def open_store(db_url: str | None = None) -> Any:
    """The results store at ``db_url`` (default: ``$TAILORMED_DB``, else an SQLite file); a clear error when the
    ``service`` extra (SQLAlchemy, Alembic) is not installed."""
    try:
        from tailormed.store.database import ResultStore
    except ImportError as exc:
        raise InputError(f"the results store needs the 'service' extra: pip install 'tailormed[service]' ({exc})"
                         ) from None
    return ResultStore(db_url)


# -- analyse and store ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class StoreOutcome:
    patient_id: str
    version: int
    created: bool
    result_id: int
    paths: tuple[str, ...]


def analyse_documents(manifest: Path, *, kb_name: str = "pgx-core") -> tuple[Patient, str, dict[str, bytes]]:
    """Run ``analyze`` on a manifest into a private folder and read back every file it wrote (relative path ->
    bytes), with the patient and the input checksum."""
    from tailormed.pipelines.analyze import run_analyze

    patient = load_patient(manifest)
    checksum = input_checksum(manifest, patient)
    with tempfile.TemporaryDirectory(prefix="tailormed-store-") as scratch:
        out = Path(scratch) / "result"
        run_analyze(manifest, out, kb_name=kb_name)
        documents = {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
                     if p.is_file() and not p.name.startswith(".")}
    return patient, checksum, documents


def store_add(manifest: Path, db_url: str | None = None, *, tenant: str = CLI_TENANT, actor: str = "cli",
              store: Any = None, kb_name: str = "pgx-core") -> StoreOutcome:
    """``tailormed store add``: analyse the manifest and store its output as the patient's next version (the
    same inputs again return the stored version). Nothing is stored when the analysis fails."""
    patient, checksum, documents = analyse_documents(manifest, kb_name=kb_name)
    summary = json.loads(documents["analysis.json"]) if "analysis.json" in documents else {}
    target = store or open_store(db_url)
    try:
        stored = target.add_result(tenant=tenant, patient_id=patient.id, input_checksum=checksum,
                                   documents=documents, summary=summary, actor=actor)
    finally:
        if store is None:
            target.close()
    return StoreOutcome(patient_id=stored.patient_id, version=stored.version, created=stored.created,
                        result_id=stored.id, paths=stored.paths)


@dataclass(frozen=True)
class PatientListing:
    patient_id: str
    versions: int
    latest_version: int
    latest_at: str


def store_list(db_url: str | None = None, *, tenant: str = CLI_TENANT, actor: str = "cli") -> list[PatientListing]:
    store = open_store(db_url)
    try:
        return [PatientListing(p.patient_id, p.versions, p.latest_version, p.latest_at.isoformat(timespec="seconds"))
                for p in store.list_patients(tenant, actor=actor)]
    finally:
        store.close()


def store_show(patient_id: str, db_url: str | None = None, *, tenant: str = CLI_TENANT,
               actor: str = "cli") -> dict[str, Any]:
    """The patient's versions and the latest version's sections and documents."""
    store = open_store(db_url)
    try:
        latest = store.get_result(tenant, patient_id, actor=actor, action="show")
        return {"patient": patient_id, "latest_version": latest.version,
                "versions": [{"version": v.version, "stored_at": v.created_at.isoformat(timespec="seconds"),
                              "input_checksum": v.input_checksum} for v in store.versions(tenant, patient_id)],
                "sections": sorted(latest.summary.get("sections", {})), "documents": list(latest.paths)}
    finally:
        store.close()


def store_export(patient_id: str, fmt: str, db_url: str | None = None, *, version: int | None = None,
                 tenant: str = CLI_TENANT, actor: str = "cli") -> bytes:
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"unknown export format {fmt!r}; choose one of {', '.join(sorted(EXPORT_FORMATS))}")
    store = open_store(db_url)
    try:
        result = store.get_result(tenant, patient_id, version=version, actor=actor, action=f"export-{fmt}")
        content, _media = export_document(store.documents(result.id), fmt)
        return content
    finally:
        store.close()


def store_delete(patient_id: str, db_url: str | None = None, *, tenant: str = CLI_TENANT,
                 actor: str = "cli") -> int:
    store = open_store(db_url)
    try:
        return int(store.delete_patient(tenant, patient_id, actor=actor))
    finally:
        store.close()
