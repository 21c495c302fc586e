"""The TailorMed web service: CDS Hooks 2.0 and the REST API over the results store (FastAPI).

``tailormed serve`` runs :func:`create_app` under uvicorn; the configuration comes from the environment
(:mod:`tailormed.service.settings`). Logs carry the method, the route template, the status and the time only:
no patient id, no body, no token.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import anyio.to_thread
import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tailormed import __version__
from tailormed.errors import TailorMedError, first_validation_problem
from tailormed.kb.rxnorm import load_rxnorm_map
from tailormed.service import api, cds, genomics
from tailormed.service.auth import ApiKeys, AuthError, Caller, TokenVerifier
from tailormed.service.errors import ApiError, problem
from tailormed.service.settings import Settings
from tailormed.service.worker import JobRunner
from tailormed.store.database import ResultStore

log = logging.getLogger("tailormed.service")
T = TypeVar("T")
JSON_BODY_LIMIT = 10 * 1024 * 1024


class _TooLargeError(Exception):
    pass


class BodyLimit:
    """Refuses request bodies over the limit with 413 as they stream in (a declared Content-Length over it is
    refused before any of the body is read): uploads get ``upload_limit``, everything else ``JSON_BODY_LIMIT``."""

    def __init__(self, app: ASGIApp, upload_limit: int) -> None:
        self.app = app
        self.upload_limit = upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        limit = self.upload_limit if scope["path"].startswith("/api/v1/analyses") else JSON_BODY_LIMIT
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _send_413(send, limit)
            return
        received = 0
        started = exceeded = False

        async def limited() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _TooLargeError
            return message

        async def tracking(message: Message) -> None:
            nonlocal started
            if exceeded:  # the app caught the error (a body parser turns it into a 400): answer 413 instead
                if not started:
                    started = True
                    await _send_413(send, limit)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited, tracking)
        except _TooLargeError:
            if not started:
                await _send_413(send, limit)


async def _send_413(send: Send, limit: int) -> None:
    body = json.dumps({"detail": f"request body larger than {limit} bytes"}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class AccessLog:
    """One log line per request: method, route template (``/api/v1/patients/{patient_id}``, never the values),
    status and time. Pure ASGI (no per-request task or body wrapper)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            route = scope.get("route")
            log.info("%s %s %d %.1fms", scope["method"], getattr(route, "path", "(unrouted)"), status,
                     (time.perf_counter() - started) * 1000)


class ServiceState:
    """What the endpoints share: settings, store, token checks, RxNorm map, caches, the outgoing HTTP client."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = ResultStore(settings.db_url)
        self.verifier = TokenVerifier(settings.trust, seen=self.store.first_use_of_token,
                                      skew_seconds=settings.clock_skew_seconds,
                                      max_lifetime_seconds=settings.max_token_lifetime_seconds)
        self.api_keys = ApiKeys(settings.api_keys_file)
        self.rx = load_rxnorm_map(settings.rxnorm_table)
        self.pgx_cache = cds.PgxCache()
        self.http = httpx.Client(follow_redirects=False)
        self.jobs = JobRunner(self.store, threads=settings.job_workers, lease_seconds=settings.job_lease_seconds)
        settings.spool_dir.mkdir(parents=True, exist_ok=True)

    def _bearer(self, request: Request) -> str:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "a bearer token is required", {"WWW-Authenticate": "Bearer"})
        return token.strip()

    def authenticate_cds(self, request: Request, audience: str) -> Caller:
        try:
            return self.verifier.verify(self._bearer(request), audience)
        except AuthError as exc:
            raise ApiError(401, str(exc), {"WWW-Authenticate": 'Bearer error="invalid_token"'}) from None

    def authenticate_api(self, request: Request) -> Caller:
        key = request.headers.get("x-api-key")
        try:
            if key:
                return self.api_keys.caller(key)
            return self.verifier.verify(self._bearer(request), f"{self.settings.public_url}/api")
        except AuthError as exc:
            raise ApiError(401, str(exc), {"WWW-Authenticate": 'Bearer error="invalid_token"'}) from None

    async def json_body(self, request: Request) -> Any:
        raw = await request.body()
        try:
            return json.loads(raw)
        except (ValueError, RecursionError):
            raise ApiError(400, "the request body is not valid JSON") from None

    async def run_sync(self, action: Callable[[], T]) -> T:
        return await anyio.to_thread.run_sync(action)

    def close(self) -> None:
        self.jobs.stop()
        self.http.close()
        self.store.close()


def create_app(settings: Settings | None = None) -> FastAPI:
    """The ASGI application (``uvicorn --factory tailormed.service.app:create_app``)."""
    settings = settings or Settings.from_env()
    state = ServiceState(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if settings.job_workers > 0:
            state.jobs.start()
        try:
            yield
        finally:
            state.close()

    app = FastAPI(title="TailorMed service", version=__version__, lifespan=lifespan,
                  description="Pharmacogenomic CDS Hooks 2.0 services and a REST API over stored TailorMed results. "
                              "See docs/service.md.")
    app.state.tailormed = state

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return problem(exc.status, exc.detail, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = first_validation_problem(exc)
        return problem(422, f"{first.dotted()}: {first.msg}")

    @app.exception_handler(TailorMedError)
    async def _tailormed(_request: Request, exc: TailorMedError) -> JSONResponse:
        return problem(422 if exc.exit_code == 2 else 503, exc.message)

    app.include_router(cds.make_router(state))
    app.include_router(api.make_router(state))
    app.include_router(genomics.make_router(state))

    @app.get("/healthz", tags=["service"], summary="Liveness")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    app.add_middleware(AccessLog)
    app.add_middleware(BodyLimit, upload_limit=settings.max_upload_bytes)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins), allow_credentials=False,
                           allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
                           allow_headers=["Authorization", "Content-Type", "X-API-Key", "Idempotency-Key"],
                           max_age=600)
    return app
