"""``tailormed serve``: the web service (CDS Hooks 2.0 and the REST API) under uvicorn."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from tailormed.cli.console import fail, say


def serve(
    db: Annotated[str | None, typer.Option("--db", help="Results store URL (default: $TAILORMED_DB, else an SQLite "
                                                        "file in ~/.local/share/tailormed); "
                                                        "postgresql+psycopg://... in production.")] = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.", min=1, max=65535)] = 8000,
    trust: Annotated[list[str] | None, typer.Option(
        "--trust", help="ISS=KEY: an EHR issuer allowed to call the CDS services and its public key (a PEM file, a "
                        "JWKS file, or a JWKS URL, which is then the only jku accepted). Repeatable.")] = None,
    workers: Annotated[int, typer.Option("--workers", help="Server processes.", min=1, max=64)] = 1,
    public_url: Annotated[str | None, typer.Option(
        "--public-url", help="The URL EHRs call (JWT aud is checked against it). Default: http://HOST:PORT.")] = None,
    cors_origin: Annotated[list[str] | None, typer.Option(
        "--cors-origin", help="A web origin allowed to call from a browser (e.g. a CDS Hooks sandbox). "
                              "Repeatable; none by default.")] = None,
    api_keys: Annotated[Path | None, typer.Option(
        "--api-keys", help="File of KEY<TAB>TENANT lines for the REST API.")] = None,
    spool: Annotated[Path | None, typer.Option("--spool", help="Folder for submitted files awaiting analysis.")]
    = None,
    job_workers: Annotated[int, typer.Option("--job-workers", help="Analysis threads per server process.", min=0)]
    = 2,
    max_upload_mb: Annotated[int, typer.Option("--max-upload-mb", help="Largest submission accepted.", min=1)]
    = 200,
    rxnorm_table: Annotated[Path | None, typer.Option(
        "--rxnorm-table", help="Product->ingredient TSV or OMOP vocabulary folder (CONCEPT.csv, "
                               "CONCEPT_ANCESTOR.csv) extending the built-in RxNorm map.")] = None,
) -> None:
    """Run the TailorMed service: CDS Hooks (order-select, order-sign, patient-view) and the REST API."""
    try:
        import uvicorn
    except ImportError:
        raise fail("the service needs the 'service' extra: pip install 'tailormed[service]'") from None
    trusted: dict[str, str] = {}
    for entry in trust or []:
        issuer, sep, source = entry.partition("=")
        if not sep or not issuer or not source:
            raise fail(f"--trust {entry!r}: expected ISS=PEM_OR_JWKS")
        if not source.startswith(("https://", "http://")):
            path = Path(source)
            if not path.is_file():
                raise fail(f"--trust {issuer}: key file {source} not found")
            source = str(path.resolve())
        trusted[issuer] = source
    for given, what in ((api_keys, "--api-keys"), (rxnorm_table, "--rxnorm-table")):
        if given is not None and not given.exists():
            raise fail(f"{what}: {given} not found")
    env = {"TAILORMED_TRUST": json.dumps(trusted), "TAILORMED_PUBLIC_URL": public_url or f"http://{host}:{port}",
           "TAILORMED_CORS_ORIGINS": ",".join(cors_origin or []), "TAILORMED_JOB_WORKERS": str(job_workers),
           "TAILORMED_MAX_UPLOAD_BYTES": str(max_upload_mb * 1024 * 1024)}
    if db:
        env["TAILORMED_DB"] = db
    if api_keys:
        env["TAILORMED_API_KEYS"] = str(api_keys.resolve())
    if spool:
        env["TAILORMED_SPOOL"] = str(spool.resolve())
    if rxnorm_table:
        env["TAILORMED_RXNORM_TABLE"] = str(rxnorm_table.resolve())
    os.environ.update(env)
    say(f"TailorMed service on http://{host}:{port} (CDS Hooks discovery: /cds-services, API docs: /docs)")
    uvicorn.run("tailormed.service.app:create_app", factory=True, host=host, port=port, workers=workers,
                access_log=False, log_level="info")
