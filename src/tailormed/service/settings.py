"""The service's configuration, read from the environment so that every uvicorn worker process sees the same
(``tailormed serve`` sets these variables from its options; ``docs/service.md`` lists them)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


@dataclass(frozen=True)
class Settings:
    db_url: str | None = None
    """Results store URL (None: the store's default SQLite file)."""
    public_url: str = "http://127.0.0.1:8000"
    """The URL EHRs call the service at: JWT ``aud`` must be ``{public_url}/cds-services/{id}`` (CDS Hooks) or
    ``{public_url}/api`` (REST bearer tokens)."""
    trust: dict[str, str] = field(default_factory=dict)
    """Issuer -> its public key: a PEM file, a JWKS file, or a JWKS URL (then also the allowed ``jku``)."""
    cors_origins: tuple[str, ...] = ()
    api_keys_file: Path | None = None
    """Lines ``KEY<TAB>TENANT`` (blank lines and # comments ignored)."""
    spool_dir: Path = Path(".")
    max_upload_bytes: int = 200 * 1024 * 1024
    job_workers: int = 2
    job_lease_seconds: float = 60.0
    clock_skew_seconds: int = 60
    max_token_lifetime_seconds: int = 3600
    allow_http_fhir: bool = False
    """Let CDS requests name a plain-http fhirServer (tests, local sandboxes); loopback is always allowed."""
    rxnorm_table: Path | None = None
    """A user product->ingredient TSV or OMOP vocabulary folder extending the built-in RxNorm map."""

    @classmethod
    def from_env(cls) -> Settings:
        trust = json.loads(_env("TAILORMED_TRUST", "{}"))
        spool = _env("TAILORMED_SPOOL")
        db_url = _env("TAILORMED_DB") or None
        default_spool = Path.home() / ".local" / "share" / "tailormed" / "spool"
        return cls(
            db_url=db_url,
            public_url=_env("TAILORMED_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
            trust={str(k): str(v) for k, v in trust.items()},
            cors_origins=tuple(o.strip() for o in _env("TAILORMED_CORS_ORIGINS").split(",") if o.strip()),
            api_keys_file=Path(_env("TAILORMED_API_KEYS")) if _env("TAILORMED_API_KEYS") else None,
            spool_dir=Path(spool) if spool else default_spool,
            max_upload_bytes=int(_env("TAILORMED_MAX_UPLOAD_BYTES", str(200 * 1024 * 1024))),
            job_workers=int(_env("TAILORMED_JOB_WORKERS", "2")),
            job_lease_seconds=float(_env("TAILORMED_JOB_LEASE_SECONDS", "60")),
            clock_skew_seconds=int(_env("TAILORMED_CLOCK_SKEW_SECONDS", "60")),
            max_token_lifetime_seconds=int(_env("TAILORMED_MAX_TOKEN_LIFETIME_SECONDS", "3600")),
            allow_http_fhir=_env("TAILORMED_ALLOW_HTTP_FHIR") == "1",
            rxnorm_table=Path(_env("TAILORMED_RXNORM_TABLE")) if _env("TAILORMED_RXNORM_TABLE") else None,
        )
