"""Who is calling: the EHR's signed JWT (CDS Hooks 2.0 "Trusting CDS Clients"), or an API key.

A JWT is accepted only when all of these hold (each failure is a 401 naming the reason, never the token):

- signed with an asymmetric algorithm (RS/PS/ES 256/384/512; ``none`` and HMAC are refused, as the spec
  requires), header ``typ`` JWT and a ``kid``;
- ``iss`` on the allow-list (``--trust ISS=KEY``), the key found for ``kid`` in the issuer's PEM or JWKS (file or
  URL); a ``jku`` header is followed only when it is the JWKS URL trusted for that issuer;
- ``aud`` is the URL of the endpoint called (``{public_url}/cds-services/{id}``), ``exp`` and ``iat`` present,
  ``iat`` not in the future and ``exp`` not past beyond the allowed clock skew, the lifetime bounded;
- ``jti`` never seen before for this issuer (kept in the database until the token expires, so all workers
  share the replay check).

The ``tenant`` claim scopes data: a caller sees only its tenant's patients (``default`` when absent).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key

ALLOWED_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
DEFAULT_TENANT = "default"


class AuthError(Exception):
    """A request's credentials were refused (401)."""


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: who (for the audit log) and which tenant's data it may see."""

    subject: str
    tenant: str


class _IssuerKeys:
    """One trusted issuer's keys: from a PEM file, a JWKS file, or a JWKS URL (fetched, cached 5 minutes)."""

    def __init__(self, issuer: str, source: str) -> None:
        self.issuer = issuer
        self.url = source if source.startswith(("https://", "http://")) else None
        self._static: dict[str | None, Any] = {}
        self._fetched: dict[str | None, Any] = {}
        self._fetched_at = 0.0
        self._lock = threading.Lock()
        if self.url is None:
            self._static = _read_key_file(Path(source))

    def key(self, kid: str | None, jku: str | None) -> Any:
        if jku is not None and jku != self.url:
            raise AuthError("the token's jku is not the JWKS URL trusted for its issuer")
        if self.url is None:
            if kid in self._static:
                return self._static[kid]
            if None in self._static:  # a PEM file: one key, any kid
                return self._static[None]
            raise AuthError("no trusted key with the token's kid")
        with self._lock:
            stale = time.monotonic() - self._fetched_at > 300
            # an unknown kid refetches the set, at most every 10 s
            if stale or (kid not in self._fetched and time.monotonic() - self._fetched_at > 10):
                self._fetched = _fetch_jwks(self.url)
                self._fetched_at = time.monotonic()
            if kid not in self._fetched:
                raise AuthError("no trusted key with the token's kid")
            return self._fetched[kid]


def _jwks_keys(document: Any) -> dict[str | None, Any]:
    try:
        keys = jwt.PyJWKSet.from_dict(document).keys
    except (jwt.PyJWKSetError, jwt.InvalidKeyError, KeyError, TypeError) as exc:
        raise ValueError(f"not a usable JWK Set: {exc}") from exc
    return {k.key_id: k.key for k in keys}


def _read_key_file(path: Path) -> dict[str | None, Any]:
    data = path.read_bytes()
    if data.lstrip().startswith(b"{"):
        return _jwks_keys(json.loads(data))
    return {None: load_pem_public_key(data)}


def _fetch_jwks(url: str) -> dict[str | None, Any]:
    try:
        response = httpx.get(url, timeout=5.0, follow_redirects=False)
        response.raise_for_status()
        return _jwks_keys(response.json())
    except (httpx.HTTPError, ValueError) as exc:
        raise AuthError("the issuer's JWK Set could not be fetched") from exc


class TokenVerifier:
    """Checks JWTs against the trusted issuers; ``seen`` records a ``jti`` and says whether it is new."""

    def __init__(self, trust: dict[str, str], *, seen: Any, skew_seconds: int = 60,
                 max_lifetime_seconds: int = 3600) -> None:
        self.issuers = {issuer: _IssuerKeys(issuer, source) for issuer, source in trust.items()}
        self.seen = seen
        self.skew = skew_seconds
        self.max_lifetime = max_lifetime_seconds
        self._jws = jwt.PyJWS()

    def verify(self, token: str, audience: str) -> Caller:
        if not self.issuers:
            raise AuthError("this service trusts no issuer yet (start it with --trust ISS=KEY)")
        try:
            parsed = self._jws.decode_complete(token, options={"verify_signature": False})
            header = parsed["header"]
            unverified = json.loads(parsed["payload"])
            if not isinstance(unverified, dict):
                raise AuthError("malformed token")
        except (jwt.PyJWTError, ValueError) as exc:
            raise AuthError("malformed token") from exc
        algorithm = header.get("alg")
        if algorithm not in ALLOWED_ALGORITHMS:
            raise AuthError(f"signing algorithm {str(algorithm)[:20]!r} is not accepted (asymmetric only)")
        if str(header.get("typ", "")).upper() != "JWT" or not header.get("kid"):
            raise AuthError("the token header needs typ JWT and a kid")
        issuer = unverified.get("iss")
        if not isinstance(issuer, str) or issuer not in self.issuers:
            raise AuthError("the token's issuer is not trusted")
        key = self.issuers[issuer].key(header.get("kid"), header.get("jku"))
        try:
            claims = jwt.decode(token, key=key, algorithms=[algorithm], audience=audience, issuer=issuer,
                                leeway=self.skew, options={"require": ["iss", "aud", "exp", "iat", "jti"]})
        except jwt.ExpiredSignatureError as exc:
            raise AuthError("the token has expired") from exc
        except jwt.InvalidAudienceError as exc:
            raise AuthError("the token's audience is not this endpoint") from exc
        except jwt.ImmatureSignatureError as exc:
            raise AuthError("the token is issued in the future") from exc
        except jwt.PyJWTError as exc:
            raise AuthError(f"the token is not valid: {type(exc).__name__}") from exc
        issued, expires = claims["iat"], claims["exp"]
        if not isinstance(issued, int | float) or not isinstance(expires, int | float):
            raise AuthError("iat and exp must be numbers")
        if expires - issued > self.max_lifetime:
            raise AuthError("the token lives longer than this service accepts")
        jti = claims["jti"]
        if not isinstance(jti, str) or not jti or len(jti) > 300:
            raise AuthError("the token's jti must be a non-empty string")
        if not self.seen(issuer, jti, datetime.fromtimestamp(expires + self.skew, UTC)):
            raise AuthError("the token was used before (replay)")
        tenant = claims.get("tenant", DEFAULT_TENANT)
        if not isinstance(tenant, str) or not tenant or len(tenant) > 200:
            raise AuthError("the tenant claim must be a non-empty string")
        subject = str(claims.get("sub") or claims.get("client_id") or issuer)
        return Caller(subject=f"{issuer}|{subject}"[:300], tenant=tenant)


class ApiKeys:
    """API keys from a file of ``KEY<TAB>TENANT`` lines; keys are kept as SHA-256 digests only."""

    def __init__(self, path: Path | None) -> None:
        self._tenants: dict[bytes, tuple[str, str]] = {}
        if path is None:
            return
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) < 2 or len(parts[0].strip()) < 16 or not parts[1].strip():
                raise ValueError(f"{path}:{number}: expected KEY<TAB>TENANT with a key of 16+ characters")
            digest = hashlib.sha256(parts[0].strip().encode()).digest()
            self._tenants[digest] = (parts[1].strip(), f"api-key:{digest.hex()[:12]}")

    def caller(self, key: str) -> Caller:
        digest = hashlib.sha256(key.encode()).digest()
        for known, (tenant, name) in self._tenants.items():
            if hmac.compare_digest(known, digest):
                return Caller(subject=name, tenant=tenant)
        raise AuthError("unknown API key")
