"""CDS Hooks order-select latency at a fixed arrival rate (open loop) on loopback, PostgreSQL store.

Usage:
    python benchmarks/cds_latency.py [--db postgresql+psycopg:///postgres?host=/var/run/postgresql]
        [--rate 100] [--duration 60] [--patients 20] [--workers 2] [--search 150,200,300,400 --search-duration 20]

What it does: creates a fresh database on the PostgreSQL server named by --db (dropped afterwards), stores
--patients small pharmacogenomic results (CYP2C19 poor metabolisers on clopidogrel, through `store_add`, the path
`tailormed store add` takes), starts `tailormed serve` (--workers processes) trusting a freshly generated ES384
key, then sends order-select requests for a clopidogrel draft order (prefetched Patient, one stored patient per
request in turn) at exactly --rate requests per second for --duration seconds, whether or not earlier requests have
answered (open loop: a slow answer does not slow the arrivals). Every request carries its own signed JWT (fresh
jti, aud = the service URL; tokens are signed and requests built before the run, and a minimal HTTP/1.1 client over
kept-alive connections sends them, so the load generator competes as little as possible with the server for CPU).
Latency is measured from each request's scheduled send time, so queueing delay counts; an answer slower than 5 s
counts as an error.

Prints p50, p90, p99, max, the error count and the CPU time per request of the server processes and of this load
generator (non-200 answers, answers without the expected card, transport
errors) for the headline rate, then, with --search, the same for each listed rate (ascending, shorter runs; the
search stops at the first rate above the headline that misses the budget) and the highest rate whose p99 stayed at
or under 100 ms with no errors.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tailormed.pipelines.results import store_add

ISSUER = "https://bench-ehr.example.org"
CALLS = "gene\tdiplotype\tphenotype\tactivity_score\nCYP2C19\t*2/*2\t\t\nCYP2D6\t*1/*1\t\t\n"
ORDER = {"resourceType": "MedicationRequest", "id": "mr-clop", "status": "draft", "intent": "order",
         "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                                   "code": "309362", "display": "clopidogrel 75 MG Oral Tablet"}]}}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _body(patient: str) -> bytes:
    return json.dumps({
        "hook": "order-select", "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/1", "patientId": f"fhir-{patient}",
                    "selections": ["MedicationRequest/mr-clop"],
                    "draftOrders": {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": ORDER}]}},
        "prefetch": {"patient": {"resourceType": "Patient", "id": f"fhir-{patient}",
                                 "identifier": [{"system": "urn:bench:mrn", "value": patient}]}},
    }).encode()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


async def _exchange(pool: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]], host: str, port: int,
                    request: bytes) -> tuple[int, bytes]:
    """One HTTP/1.1 request on a kept-alive connection (a minimal client: the load generator must cost far less
    CPU per request than the server it measures)."""
    try:
        reader, writer = pool.get_nowait()
    except asyncio.QueueEmpty:
        reader, writer = await asyncio.open_connection(host, port)
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    body = await reader.readexactly(length)
    pool.put_nowait((reader, writer))
    return status, body


async def _open_loop(url: str, rate: float, duration: float, tokens: list[str], bodies: list[bytes]
                     ) -> tuple[list[float], int, int]:
    total = int(rate * duration)
    parts = httpx.URL(url)
    host, port, path = parts.host, parts.port or 80, parts.raw_path.decode()
    requests = [(f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {tokens[i]}\r\n"
                 f"Content-Type: application/json\r\nContent-Length: {len(bodies[i % len(bodies)])}\r\n\r\n"
                 ).encode() + bodies[i % len(bodies)] for i in range(total)]
    latencies: list[float] = []
    errors = 0
    pool: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.5

    async def one(index: int, scheduled: float) -> None:
        nonlocal errors
        try:
            status, body = await asyncio.wait_for(_exchange(pool, host, port, requests[index]), timeout=5.0)
            ok = status == 200 and b'"Clopidogrel: CYP2C19 Poor Metabolizer' in body
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            ok = False  # a 5 s answer counts as an error
        latencies.append((loop.time() - scheduled) * 1000)
        if not ok:
            errors += 1

    tasks = []
    for index in range(total):  # open loop: start each request at its time, whatever the earlier ones are doing
        scheduled = start + index / rate
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(index, scheduled)))
    await asyncio.gather(*tasks)
    while not pool.empty():
        pool.get_nowait()[1].close()
    return latencies, errors, total


def _tokens(key: Any, audience: str, count: int, lifetime: int) -> list[str]:
    now = int(time.time())
    return [jwt.encode({"iss": ISSUER, "sub": "bench", "aud": audience, "iat": now, "exp": now + lifetime,
                        "jti": str(uuid.uuid4()), "tenant": "bench"}, key, algorithm="ES384",
                       headers={"kid": "bench-1", "typ": "JWT"}) for _ in range(count)]


def _cpu_ms(pids: list[int]) -> float:
    """CPU time (user + system) of the server's processes so far."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") * 1000
        except (OSError, IndexError, ValueError):
            continue
    return total


def _server_pids(root: int) -> list[int]:
    children = Path(f"/proc/{root}/task/{root}/children")
    return [root, *(int(p) for p in children.read_text().split())] if children.exists() else [root]


def _run(url: str, key: Any, rate: float, duration: float, bodies: list[bytes], server: int) -> dict[str, Any]:
    tokens = _tokens(key, url, int(rate * duration), int(duration) + 600)
    pids = _server_pids(server)
    server_before, own_before = _cpu_ms(pids), time.process_time()
    latencies, errors, total = asyncio.run(_open_loop(url, rate, duration, tokens, bodies))
    server_cpu, own_cpu = _cpu_ms(pids) - server_before, (time.process_time() - own_before) * 1000
    return {"rate": rate, "duration": duration, "sent": total, "errors": errors,
            "server_cpu": server_cpu / total, "client_cpu": own_cpu / total,
            "p50": statistics.median(latencies), "p90": _percentile(latencies, 90),
            "p99": _percentile(latencies, 99), "max": max(latencies)}


def _row(result: dict[str, Any]) -> str:
    return (f"| {result['rate']:.0f} | {result['duration']:.0f} | {result['sent']} | {result['errors']} | "
            f"{result['p50']:.1f} | {result['p90']:.1f} | {result['p99']:.1f} | {result['max']:.1f} | "
            f"{result['server_cpu']:.1f} | {result['client_cpu']:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=os.environ.get("TAILORMED_TEST_POSTGRES_URL",
                                                       "postgresql+psycopg:///postgres?host=/var/run/postgresql"))
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--patients", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--search", default="", help="Comma-separated higher rates to try after the headline run.")
    parser.add_argument("--search-duration", type=float, default=20.0)
    args = parser.parse_args()

    name = f"tm_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(args.db, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    db = make_url(args.db).set(database=name).render_as_string(hide_password=False)
    server = None
    try:
        with tempfile.TemporaryDirectory(prefix="tailormed-bench-") as scratch:
            folder = Path(scratch)
            started = time.perf_counter()
            patients = [f"B{n:04d}" for n in range(args.patients)]
            for patient in patients:
                case = folder / patient
                case.mkdir()
                (case / "calls.tsv").write_text(CALLS)
                (case / "patient.yaml").write_text(f"id: {patient}\noutside_calls: calls.tsv\n"
                                                   "medications: [clopidogrel]\n")
                store_add(case / "patient.yaml", db, tenant="bench", actor="benchmark")
            print(f"stored {len(patients)} patients in {time.perf_counter() - started:.1f} s ({make_url(db).database})")
            key = ec.generate_private_key(ec.SECP384R1())
            (folder / "ehr.pem").write_bytes(key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
            port = _free_port()
            server = subprocess.Popen(
                [sys.executable, "-m", "tailormed.cli", "serve", "--db", db, "--port", str(port),
                 "--workers", str(args.workers), "--job-workers", "0", "--trust", f"{ISSUER}={folder / 'ehr.pem'}",
                 "--spool", str(folder / "spool")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the server did not start")
                time.sleep(0.2)
            url = f"{base}/cds-services/pgx-order-select"
            bodies = [_body(p) for p in patients]
            _run(url, key, 20, 3, bodies, server.pid)  # warm-up: connections, caches of parsed results
            print(f"server: `tailormed serve --workers {args.workers}` on loopback, PostgreSQL store; "
                  f"{os.cpu_count()} CPUs")
            print("| rate req/s | seconds | sent | errors | p50 ms | p90 ms | p99 ms | max ms | server CPU ms/req "
                  "| load generator CPU ms/req |")
            print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
            headline = _run(url, key, args.rate, args.duration, bodies, server.pid)
            print(_row(headline), flush=True)
            best = headline["rate"] if headline["p99"] <= 100 and headline["errors"] == 0 else None
            for rate in sorted(float(r) for r in args.search.split(",") if r.strip()):
                result = _run(url, key, rate, args.search_duration, bodies, server.pid)
                print(_row(result), flush=True)
                if result["p99"] <= 100 and result["errors"] == 0:
                    best = max(best or 0.0, rate)
                elif rate > args.rate:
                    break  # past the headline rate and over budget: higher rates only queue more
            if args.search:
                print(f"highest rate tried with p99 <= 100 ms and no errors: {best if best else 'none'} req/s")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
