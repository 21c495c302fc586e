"""The REST API (``/api/v1``): submit an analysis, poll it, fetch, list and delete stored results.

Every call names its caller by ``X-API-Key`` or ``Authorization: Bearer <JWT>`` (a trusted issuer's token with
``aud`` = ``{public_url}/api``); the key's or token's tenant scopes every patient it can see.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Header, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from tailormed.errors import InputError
from tailormed.pipelines.results import EXPORT_FORMATS, check_inputs_inside, export_document
from tailormed.service.errors import ApiError
from tailormed.service.worker import MANIFEST_NAME

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
_KEY = re.compile(r"[\x21-\x7e]{1,200}")


class JobStatus(BaseModel):
    id: str
    state: Literal["queued", "running", "done", "failed"]
    patient_id: str
    result_version: int | None = None
    error: str | None = None
    result_url: str | None = None


class PatientEntry(BaseModel):
    patient_id: str
    versions: int
    latest_version: int
    latest_at: str


class VersionEntry(BaseModel):
    version: int
    stored_at: str
    input_checksum: str
    documents: list[str]


class PatientDetail(BaseModel):
    patient_id: str
    versions: list[VersionEntry]


class Deleted(BaseModel):
    patient_id: str
    deleted_versions: int


def _status(state: Any, job: Any) -> JobStatus:
    version = state.store.result_version(job.result_id) if job.result_id is not None else None
    return JobStatus(id=job.id, state=job.state, patient_id=job.patient_id, result_version=version, error=job.error,
                     result_url=f"/api/v1/patients/{job.patient_id}/result?version={version}" if version else None)


def _save(upload: UploadFile, target: Path, digest: Any) -> None:
    """Copy an upload to the spool, hashing it, and make it durable (fsync) before the job is committed."""
    file_digest = hashlib.sha256()
    with target.open("wb") as out:
        while block := upload.file.read(1 << 20):
            file_digest.update(block)
            out.write(block)
        out.flush()
        os.fsync(out.fileno())
    digest.update(f"{target.name}\t{file_digest.hexdigest()}\n".encode())


def make_router(state: Any) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["results"])

    @router.post("/analyses", status_code=202, response_model=JobStatus,
                 summary="Submit an analysis: a patient manifest and the files it names",
                 responses={200: {"model": JobStatus, "description": "The same submission was accepted before"},
                            401: {}, 413: {}, 422: {}})
    def submit(request: Request, manifest: Annotated[UploadFile, File(description="Patient manifest (YAML)")],
               idempotency_key: Annotated[str, Header(description="Any unique string per submission; a retry with "
                                                                  "the same key never makes a second result")],
               files: Annotated[list[UploadFile] | None, File(description="Files the manifest names")] = None,
               ) -> Any:
        caller = state.authenticate_api(request)
        if not _KEY.fullmatch(idempotency_key):
            raise ApiError(422, "Idempotency-Key must be 1-200 visible ASCII characters")
        uploads = files or []
        names = [u.filename or "" for u in uploads]
        for name in names:
            if not _SAFE_NAME.fullmatch(name) or name == MANIFEST_NAME:
                raise ApiError(422, "file names must be plain names of letters, digits and ._- (no folders), "
                                    f"other than {MANIFEST_NAME}")
        if len(set(names)) != len(names):
            raise ApiError(422, "two files have the same name")
        spool = state.settings.spool_dir / uuid.uuid4().hex
        spool.mkdir(parents=True)
        committed = False
        try:
            digest = hashlib.sha256()
            _save(manifest, spool / MANIFEST_NAME, digest)
            for upload, name in zip(uploads, names, strict=True):
                _save(upload, spool / name, digest)
            checksum = digest.hexdigest()
            earlier = state.store.job_by_key(caller.tenant, idempotency_key)
            if earlier is None:
                try:
                    patient = check_inputs_inside(spool / MANIFEST_NAME, spool)
                except InputError as exc:
                    raise ApiError(422, str(exc).replace(str(spool) + "/", "").replace(str(spool), "")) from None
                directory = os.open(spool, os.O_RDONLY)
                try:
                    os.fsync(directory)
                finally:
                    os.close(directory)
                job = state.store.submit_job(tenant=caller.tenant, idempotency_key=idempotency_key,
                                             request_checksum=checksum, patient_id=patient.id, spool=str(spool),
                                             actor=caller.subject)
                if job.created:
                    committed = True
                    return JSONResponse(_status(state, job).model_dump(), status_code=202,
                                        headers={"Location": f"/api/v1/analyses/{job.id}"})
                earlier = job
            shutil.rmtree(spool, ignore_errors=True)
            if earlier.request_checksum != checksum:
                raise ApiError(422, "this Idempotency-Key was used for a different submission")
            return JSONResponse(_status(state, earlier).model_dump(), status_code=200,
                                headers={"Location": f"/api/v1/analyses/{earlier.id}"})
        finally:
            if not committed:
                shutil.rmtree(spool, ignore_errors=True)

    @router.get("/analyses/{job_id}", response_model=JobStatus, summary="Poll a submitted analysis",
                responses={401: {}, 404: {}})
    def poll(request: Request, job_id: str) -> JobStatus:
        caller = state.authenticate_api(request)
        job = state.store.get_job(caller.tenant, job_id)
        if job is None:
            raise ApiError(404, "no such analysis")
        return _status(state, job)

    @router.get("/patients", response_model=list[PatientEntry], summary="List stored patients",
                responses={401: {}})
    def patients(request: Request) -> list[PatientEntry]:
        caller = state.authenticate_api(request)
        return [PatientEntry(patient_id=p.patient_id, versions=p.versions, latest_version=p.latest_version,
                             latest_at=p.latest_at.isoformat(timespec="seconds"))
                for p in state.store.list_patients(caller.tenant, actor=caller.subject)]

    @router.get("/patients/{patient_id}", response_model=PatientDetail, summary="A patient's stored versions",
                responses={401: {}, 404: {}})
    def patient(request: Request, patient_id: str) -> PatientDetail:
        caller = state.authenticate_api(request)
        try:
            state.store.get_result(caller.tenant, patient_id, actor=caller.subject, action="api:versions")
        except InputError:
            raise ApiError(404, "no such patient") from None
        return PatientDetail(patient_id=patient_id, versions=[
            VersionEntry(version=v.version, stored_at=v.created_at.isoformat(timespec="seconds"),
                         input_checksum=v.input_checksum, documents=list(v.paths))
            for v in state.store.versions(caller.tenant, patient_id)])

    @router.get("/patients/{patient_id}/result", summary="Fetch a stored result (JSON or HTML)",
                responses={200: {"content": {"application/json": {}, "text/html": {}}}, 401: {}, 404: {}, 422: {}})
    def result(request: Request, patient_id: str,
               format: Annotated[str, Query(description=f"One of: {', '.join(sorted(EXPORT_FORMATS))}")] = "json",
               version: Annotated[int | None, Query(ge=1, le=1_000_000)] = None) -> Response:
        caller = state.authenticate_api(request)
        if format not in EXPORT_FORMATS:
            raise ApiError(422, f"unknown format; choose one of {', '.join(sorted(EXPORT_FORMATS))}")
        try:
            stored = state.store.get_result(caller.tenant, patient_id, version=version, actor=caller.subject,
                                            action=f"api:export-{format}")
            content, media = export_document(state.store.documents(stored.id), format)
        except InputError:
            raise ApiError(404, "no such patient, version or document") from None
        return Response(content, media_type=media)

    @router.delete("/patients/{patient_id}", response_model=Deleted, summary="Delete a patient's results",
                   responses={401: {}, 404: {}})
    def delete(request: Request, patient_id: str) -> Deleted:
        caller = state.authenticate_api(request)
        try:
            removed = state.store.delete_patient(caller.tenant, patient_id, actor=caller.subject)
        except InputError:
            raise ApiError(404, "no such patient") from None
        for spool in state.store.delete_jobs(caller.tenant, patient_id):
            shutil.rmtree(spool, ignore_errors=True)
        return Deleted(patient_id=patient_id, deleted_versions=removed)

    return router
