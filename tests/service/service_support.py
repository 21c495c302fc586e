"""Service test support, imported by the tests (no conftest.py, so the suite's `from conftest import` keeps
meaning tests/conftest.py): signing keys for two EHR issuers, the app over a fresh store with one stored patient,
a real FHIR server process, and a token factory."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

for _module in ("fastapi", "sqlalchemy", "alembic", "jwt", "httpx", "multipart"):
    pytest.importorskip(_module, reason="the service tests need the 'service' extra")

import jwt  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, rsa  # noqa: E402

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "store"))
from store_support import fresh_database, write_manifest  # noqa: E402

ISSUER_A = "https://ehr-a.example.org"  # ES384, key given as a PEM file
ISSUER_B = "https://ehr-b.example.org"  # RS384, key given as a JWKS file
PUBLIC_URL = "http://testserver"
TENANT = "hospital-a"
FHIR_TOKEN = "fhir-access-token-4f1c"
STORED_PATIENT = "P001"   # the id TailorMed stores the results under
FHIR_PATIENT = "pat-1"    # the EHR's FHIR id; its Patient lists P001 as an identifier


@dataclass
class Keys:
    ec_private: Any
    rsa_private: Any
    pem_path: Path
    jwks_path: Path
    jwks: dict[str, Any]


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    folder = tmp_path_factory.mktemp("keys")
    ec_private = ec.generate_private_key(ec.SECP384R1())
    rsa_private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = ec_private.public_key().public_bytes(serialization.Encoding.PEM,
                                                serialization.PublicFormat.SubjectPublicKeyInfo)
    (folder / "ehr-a.pem").write_bytes(pem)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_private.public_key()))
    jwks = {"keys": [jwk | {"kid": "rsa-1", "alg": "RS384", "use": "sig"}]}
    (folder / "ehr-b.jwks.json").write_text(json.dumps(jwks))
    return Keys(ec_private, rsa_private, folder / "ehr-a.pem", folder / "ehr-b.jwks.json", jwks)


TokenFactory = Callable[..., str]


@pytest.fixture
def token(keys: Keys) -> TokenFactory:
    def make(audience: str, *, issuer: str = ISSUER_A, tenant: str | None = TENANT, lifetime: int = 300,
             issued_offset: int = 0, jti: str | None = None, headers: dict[str, Any] | None = None,
             key: Any = None, algorithm: str | None = None, drop: tuple[str, ...] = ()) -> str:
        now = int(time.time()) + issued_offset
        claims: dict[str, Any] = {"iss": issuer, "sub": "ehr-client", "aud": audience, "iat": now,
                                  "exp": now + lifetime, "jti": jti or str(uuid.uuid4())}
        if tenant is not None:
            claims["tenant"] = tenant
        for name in drop:
            claims.pop(name, None)
        if issuer == ISSUER_B:
            signing, alg, kid = keys.rsa_private, "RS384", "rsa-1"
        else:
            signing, alg, kid = keys.ec_private, "ES384", "ec-1"
        header = {k: v for k, v in ({"kid": kid, "typ": "JWT"} | (headers or {})).items() if v is not None}
        return jwt.encode(claims, key if key is not None else signing, algorithm=algorithm or alg, headers=header)

    return make


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(params=["sqlite", "postgresql"])
def service_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from fresh_database(request.param, tmp_path)


@pytest.fixture
def make_app(keys: Keys, tmp_path: Path) -> Callable[..., Any]:
    from tailormed.service.app import create_app
    from tailormed.service.settings import Settings

    def build(db_url: str, **overrides: Any) -> Any:
        api_keys = tmp_path / "api-keys.tsv"
        api_keys.write_text("key-for-hospital-a-0123456789\thospital-a\nkey-for-hospital-b-0123456789\thospital-b\n")
        trust = overrides.pop("trust", {ISSUER_A: str(keys.pem_path), ISSUER_B: str(keys.jwks_path)})
        settings = Settings(db_url=db_url, public_url=PUBLIC_URL, trust=trust,
                            api_keys_file=api_keys, spool_dir=tmp_path / "spool", **({"job_workers": 0} | overrides))
        return create_app(settings)

    return build


@pytest.fixture
def stored_patient(tmp_path: Path) -> Callable[[str], None]:
    """Store the small pgx patient P001 (CYP2C19 *2/*2 poor metaboliser, CYP2D6 *1/*1) for tenant hospital-a."""
    from tailormed.pipelines.results import store_add

    def store(db_url: str) -> None:
        store_add(write_manifest(tmp_path / "patient"), db_url, tenant=TENANT, actor="test")

    return store


@dataclass
class FhirServer:
    url: str
    log: Path

    def requests(self) -> list[dict[str, str]]:
        return [json.loads(line) for line in self.log.read_text().splitlines()] if self.log.exists() else []


CLOPIDOGREL_ORDER = {
    "resourceType": "MedicationRequest", "id": "mr-clop", "status": "draft", "intent": "order",
    "subject": {"reference": f"Patient/{FHIR_PATIENT}"},
    "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                              "code": "309362", "display": "clopidogrel 75 MG Oral Tablet"}]},
}
PATIENT_RESOURCE = {"resourceType": "Patient", "id": FHIR_PATIENT,
                    "identifier": [{"system": "urn:example:mrn", "value": STORED_PATIENT}]}


@pytest.fixture(scope="session")
def fhir_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FhirServer]:
    pytest.importorskip("fhirsnake", reason="the FHIR test server (fhirsnake) is not installed")
    import httpx

    root = tmp_path_factory.mktemp("fhir")
    for resource in (PATIENT_RESOURCE, CLOPIDOGREL_ORDER | {"id": "mr-active", "status": "active"}):
        folder = root / "resources" / resource["resourceType"]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{resource['id']}.json").write_text(json.dumps(resource))
    port = free_port()
    process = subprocess.Popen([sys.executable, str(HERE / "fhir_server.py"), str(root), str(port), FHIR_TOKEN],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/Patient/{FHIR_PATIENT}",
                         headers={"Authorization": f"Bearer {FHIR_TOKEN}"}).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the FHIR test server did not start: {process.stderr.read() if process.stderr else ''}")
        time.sleep(0.2)
    (root / "requests.log").unlink(missing_ok=True)
    yield FhirServer(url, root / "requests.log")
    process.terminate()
    process.wait(timeout=10)
