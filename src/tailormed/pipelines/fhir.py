"""FHIR jobs (``tailormed fhir``): export an ``analyze`` output folder as a Genomics Reporting Bundle, check a
resource against the IG, and read a patient Bundle (and a lab's genotype Observations) for re-analysis.

The functions here are what the CLI, the store and the service call:

- :func:`export_analysis_dir` (a folder) and :func:`tailormed.ehr.fhir_export.analysis_bundle` (documents already
  in memory, e.g. from the store) give the Bundle as a dict;
- :func:`check_fhir_file` / :func:`check_fhir` check against the IG packages (``make fhir-data``);
- :func:`import_patient_bundle` reads an EHR Bundle; :func:`pgx_from_fhir` re-runs PGx on the genotypes it
  reports and returns the result (and :func:`pgx_bundle_from_fhir` its Bundle);
- :func:`find_subject_haplotypes` and :func:`find_subject_tx_implications` are the Genomics Operations.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tailormed.documents import check_file, load_json
from tailormed.ehr.fhir_check import CheckReport, FhirChecker
from tailormed.ehr.fhir_export import DOCUMENTS, analysis_bundle
from tailormed.ehr.genomics_operations import find_subject_haplotypes, find_subject_tx_implications
from tailormed.errors import InputError
from tailormed.io.fhir_patient import outside_calls, read_fhir_patient
from tailormed.kb.pack import load_knowledge_base
from tailormed.model.ehr_record import EhrPatientRecord
from tailormed.model.genotypes import OutsideCall
from tailormed.model.patient import Patient
from tailormed.model.pgx import PgxResult
from tailormed.pgx.engine import build_result
from tailormed.pipelines.pgx import call_pgx, pgx_provenance

__all__ = ["check_fhir", "check_fhir_file", "export_analysis_dir", "find_subject_haplotypes",
           "find_subject_tx_implications", "import_patient_bundle", "patient_with_fhir", "pgx_bundle_from_fhir",
           "pgx_from_fhir", "read_analysis_documents"]


def read_analysis_documents(folder: Path) -> dict[str, Any]:
    """The JSON documents of an ``analyze`` output folder, by relative path (those present)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("not an analysis output folder (give the --out folder of `tailormed analyze`)",
                         source=str(folder))
    documents = {name: load_json(folder / name, "analysis document") for name in DOCUMENTS
                 if (folder / name).exists()}
    if "analysis.json" not in documents:
        raise InputError("no analysis.json: not an output folder of `tailormed analyze`", source=str(folder))
    return documents


def export_analysis_dir(folder: Path, *, patient_reference: str | None = None) -> dict[str, Any]:
    """``tailormed fhir export``: the Bundle of one ``analyze`` output folder."""
    return analysis_bundle(read_analysis_documents(folder), patient_reference=patient_reference,
                           source=str(folder))


_CHECKERS: list[FhirChecker] = []


def _checker() -> FhirChecker:
    if not _CHECKERS:
        _CHECKERS.append(FhirChecker())
    return _CHECKERS[0]


def check_fhir(resource: Any, profiles: tuple[str, ...] = ()) -> CheckReport:
    """Check a parsed resource against the R4 base definitions, its declared profiles and ``profiles``."""
    return _checker().check(resource, profiles)


def check_fhir_file(path: Path, profiles: tuple[str, ...] = ()) -> CheckReport:
    """``tailormed fhir check``: check a FHIR JSON file."""
    return check_fhir(load_json(check_file(Path(path), "FHIR file"), "FHIR file"), profiles)


def import_patient_bundle(path: Path) -> EhrPatientRecord:
    """Read an EHR's patient Bundle (Patient, Observation, Condition, MedicationRequest/Statement,
    AllergyIntolerance; genotype Observations as outside calls)."""
    return read_fhir_patient(path)


def patient_with_fhir(patient: Patient, record: EhrPatientRecord, calls: Sequence[OutsideCall] = (),
                      *, source: str = "FHIR bundle") -> tuple[Patient, list[OutsideCall]]:
    """Merge what an EHR Bundle says into a patient manifest (for ``analyze`` with ``fhir_bundle:``): sex and birth
    date fill what the manifest leaves unknown (a disagreement is an error naming both), the Bundle's matched
    medications join the manifest's, and the lab genotypes join ``calls`` (the manifest's outside calls win for a
    gene both give the same diplotype; different diplotypes are an error).
    """
    demographics = patient.demographics
    fhir_sex = record.demographics.sex
    if fhir_sex != "unknown" and demographics.sex not in ("unknown", fhir_sex):
        raise InputError(f"the patient's sex disagrees: {demographics.sex} in the manifest, {fhir_sex} in the FHIR "
                         "bundle; correct one of them", source=source)
    born = record.demographics.birth_date
    if born and demographics.birth_date and born != demographics.birth_date:
        raise InputError(f"the birth date disagrees: {demographics.birth_date} in the manifest, {born} in the FHIR "
                         "bundle; correct one of them", source=source)
    merged_demographics = demographics.model_copy(update={
        "sex": demographics.sex if demographics.sex != "unknown" else fhir_sex,
        "birth_date": demographics.birth_date or born})
    medications = list(dict.fromkeys([*patient.medications, *record.medications]))
    merged_calls = list(calls)
    given = {c.gene: c for c in calls}
    for call in outside_calls(record):
        previous = given.get(call.gene)
        if previous is None:
            merged_calls.append(call)
        elif previous.diplotype != call.diplotype:
            raise InputError(f"{call.gene}: the outside calls give {previous.diplotype} ({previous.source}), the FHIR "
                             f"bundle {call.diplotype} ({call.source})", source=source)
    return patient.model_copy(update={"demographics": merged_demographics, "medications": medications}), merged_calls


def pgx_from_fhir(path: Path, *, kb_name: str = "pgx-core") -> tuple[EhrPatientRecord, PgxResult]:
    """PGx from the genotypes a lab reported in a FHIR Bundle, with the Bundle's active medications."""
    record = read_fhir_patient(path)
    kb = load_knowledge_base(kb_name)
    calls = outside_calls(record)
    unknown = sorted({c.gene for c in calls} - set(kb.genes))
    if unknown:
        calls = [c for c in calls if c.gene in kb.genes]
    if not calls:
        raise InputError("no genotype Observation (LOINC 84413-4) for a gene the knowledge covers"
                         + (f" (reported: {', '.join(unknown)})" if unknown else ""), source=str(path))
    name = record.patient_id or Path(path).stem
    _, per_sample = call_pgx(None, kb, outside_calls=calls, sample_name=name)
    result = build_result(kb, name, dict(per_sample[0]), pgx_provenance(kb, {"fhir_bundle": str(path)}, []),
                          record.medications, sex=record.demographics.sex)
    return record, result


def pgx_bundle_from_fhir(path: Path, *, kb_name: str = "pgx-core") -> dict[str, Any]:
    """Import a lab's genotypes from FHIR, re-run PGx, export the Genomics Reporting Bundle."""
    record, result = pgx_from_fhir(path, kb_name=kb_name)
    return analysis_bundle({"analysis.json": {"patient": result.sample},
                            "pgx.json": result.model_dump(mode="json")}, source=str(path))
