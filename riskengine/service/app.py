"""The HTTP service for APS tools (``riskengine serve``; FastAPI on uvicorn).

Routes (bodies are the contract's formats, docs/design.md section 5; requests are
:mod:`riskengine.service.requests`):

- ``POST /v1/score``, ``/v1/compare``, ``/v1/measure``, ``/v1/check``: run at
  once and return the result (``riskengine.score/1`` etc.), within
  ``Limits.sync_work``;
- ``POST /v1/jobs`` (``{"operation": "score", "request": {...}}``): 202 and the
  job (``Location: /v1/jobs/{id}``); ``GET /v1/jobs/{id}``: status, progress and,
  once done, the result; ``DELETE /v1/jobs/{id}``: cancel (or forget a finished job).
  Jobs live in SQLite under ``Settings.state_dir`` (:mod:`riskengine.service.jobs`);
- ``GET /v1/schemas/{name}``: the JSON Schema of a format;
- ``GET /openapi.json``, ``/docs``, ``/redoc``: the OpenAPI document (committed as
  ``docs/openapi.json``) and its two readers;
- ``GET /healthz``: liveness, version, job counts.

With an API key (``X-API-Key``) every route but ``/healthz`` needs it, and the
OpenAPI document declares it; without one, neither.

Errors are ``{"error": ..., "problems": [{"location", "message"}]}``
(:mod:`riskengine.service.http`): 422 invalid input (every problem, located in
the request), 413 body larger than ``Limits.max_body_bytes`` or work beyond the
limits, 415 a body that is not ``application/json``, 404 unknown job or schema,
405 (with ``Allow``), 401 missing or wrong key, 503 with ``Retry-After`` when
the job queue or the synchronous lane is full, 500 with a request id.

Nothing heavy runs on the event loop: JSON parsing, validation, simulation
and serialization of a request happen in worker threads (the kernel releases
the GIL), so ``/healthz`` answers while jobs run.
"""

from __future__ import annotations

import hmac
import json
import os
import threading
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
from fastapi import Depends, FastAPI, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.security import APIKeyHeader
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from riskengine.errors import InputError, Problem
from riskengine.service import openapi
from riskengine.service.http import RequestIds, ServiceError, dump, error_body, json_content, parse_body
from riskengine.service.jobs import JobManager, QueueFull
from riskengine.service.operations import planned_total, run
from riskengine.service.requests import OPERATIONS, Limits, TooLarge, located, validate

API_KEY_HEADER = "X-API-Key"
API_KEY_ENV = "RISKENGINE_API_KEY"
__all__ = ["Settings", "ServiceError", "app_from_env", "create_app", "dump", "parse_body"]


@dataclass
class Settings:
    """How the service runs (``riskengine serve`` options)."""

    limits: Limits = field(default_factory=Limits)
    api_key: str | None = None
    workers: int = 1  # job threads; each job's kernel already uses every core
    max_queued: int = 8  # jobs waiting beyond the running ones
    sync_concurrency: int = 2  # synchronous calls simulating at once
    max_sync_pending: int = 64  # synchronous calls running or waiting; more get 503
    state_dir: str | None = None  # the job table's folder (None: a temporary one)
    keep_results_hours: float = 24.0  # finished jobs are forgotten after this long
    drain_seconds: float = 5.0  # at shutdown, the longest wait for running jobs to stop
    dask: Any = None  # a riskengine.analysis.cluster.Cluster the jobs run on (serve --dask), or None

    @classmethod
    def from_env(cls, **kwargs) -> Settings:
        """Settings with the API key from ``RISKENGINE_API_KEY`` when not given."""
        kwargs.setdefault("api_key", os.environ.get(API_KEY_ENV) or None)
        return cls(**kwargs)


def _error_response(exc: ServiceError) -> JSONResponse:
    return JSONResponse(error_body(exc.error, exc.problems), status_code=exc.status, headers=exc.headers)


def _as_service_error(exc: InputError) -> ServiceError:
    if isinstance(exc, TooLarge):
        return ServiceError(413, "too large", exc.problems)
    return ServiceError(422, "invalid input", exc.problems)


class _Service:
    """What the routes share: settings, job manager, the synchronous lane, the key check."""

    def __init__(self, settings: Settings):
        self.settings, self.limits = settings, settings.limits
        self.manager = JobManager(self.revalidate, settings.workers, settings.max_queued,
                                  settings.keep_results_hours * 3600.0, settings.state_dir,
                                  settings.drain_seconds, dask=settings.dask)
        self.sync_lane = anyio.CapacityLimiter(settings.sync_concurrency)
        self.pending = 0
        self.pending_lock = threading.Lock()
        header = APIKeyHeader(name=API_KEY_HEADER, auto_error=False,
                              description=f"The service's key ({API_KEY_ENV}).")

        def authorized(key: str | None = Security(header)) -> None:
            expected = settings.api_key or ""
            if key is None or not hmac.compare_digest(key.encode(), expected.encode()):
                raise ServiceError(401, "unauthorized", [Problem(API_KEY_HEADER, "missing or wrong API key")])

        #: the dependencies of every route but /healthz (none without a key: nothing to declare)
        self.guard = [Depends(authorized)] if settings.api_key else []

    def revalidate(self, operation: str, data: object):
        """A stored job request validated again (when a worker takes it)."""
        return validate(operation, data, self.limits, job=True, strict=True)

    async def read_body(self, request: Request) -> bytes:
        """The JSON body, refused with 415 if it is not JSON, 413 once it exceeds the limit."""
        if not json_content(request.headers):
            given = request.headers.get("content-type")
            raise ServiceError(415, "unsupported media type", [Problem(
                "Content-Type", f"must be application/json, got {given!r}" if given else
                "required: application/json")])
        cap = self.limits.max_body_bytes
        declared = request.headers.get("content-length")
        too_big = ServiceError(413, "too large", [Problem("body", f"larger than the {cap} bytes "
                                                          "this service accepts")])
        if declared is not None and declared.isdigit() and int(declared) > cap:
            raise too_big
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > cap:
                raise too_big
            chunks.append(chunk)
        return b"".join(chunks)

    async def in_thread(self, func, *args):
        """Run ``func`` in the synchronous lane (bounded), mapping input errors to 422/413."""
        with self.pending_lock:
            if self.pending >= self.settings.max_sync_pending:
                raise ServiceError(503, "busy", [Problem("", "too many requests in progress; retry")],
                                   {"Retry-After": "1"})
            self.pending += 1
        try:
            return await anyio.to_thread.run_sync(func, *args, limiter=self.sync_lane)
        except InputError as exc:
            raise _as_service_error(exc) from None
        finally:
            with self.pending_lock:
                self.pending -= 1

    def synchronous(self, operation: str, body: bytes) -> bytes:
        return dump(run(validate(operation, parse_body(body), self.limits, strict=True)))

    def validate_job(self, body: bytes) -> tuple[str, object, int | None]:
        """The operation, request and progress total of a job body, validated (every problem
        located)."""
        data = parse_body(body)
        if not isinstance(data, dict):
            raise InputError(Problem("", "a job must be a JSON object {\"operation\", \"request\"}"))
        problems = [Problem(k, "unknown field") for k in data if k not in ("operation", "request")]
        operation = data.get("operation")
        if operation not in OPERATIONS:
            problems.append(Problem("operation", f"must be one of {', '.join(OPERATIONS)}, got "
                                    f"{operation!r}" if "operation" in data else "required"))
        if "request" not in data:
            problems.append(Problem("request", "required"))
        if problems:
            raise InputError(problems)
        assert isinstance(operation, str)  # one of OPERATIONS (checked above)
        try:
            validated = validate(operation, data["request"], self.limits, job=True, strict=True)
        except InputError as exc:
            raise type(exc)(located("request", exc)) from None
        return operation, data["request"], planned_total(validated)


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service_error(_request: Request, exc: ServiceError) -> JSONResponse:
        return _error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [Problem(".".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors()]
        return _error_response(ServiceError(422, "invalid input", problems))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        word = {404: "not found", 405: "method not allowed"}.get(exc.status_code, "error")
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:  # every method of every route of this path, not just the first's
            methods = {m for route in app.router.routes if route.matches(request.scope)[0] != Match.NONE
                       for m in getattr(route, "methods", None) or ()}
            headers["Allow"] = ", ".join(sorted(methods))
        return _error_response(ServiceError(exc.status_code, word, [Problem("", str(exc.detail))], headers))


def _add_operation_routes(app: FastAPI, service: _Service) -> None:
    keyed = service.settings.api_key is not None

    def route_of(operation: str):
        async def route(request: Request) -> Response:
            body = await service.read_body(request)
            return Response(await service.in_thread(service.synchronous, operation, body),
                            media_type="application/json")

        route.__name__ = operation
        return route

    for operation in OPERATIONS:
        app.add_api_route(f"/v1/{operation}", route_of(operation), methods=["POST"], tags=["operations"],
                          dependencies=service.guard, **openapi.operation_doc(operation, keyed))


def _add_job_routes(app: FastAPI, service: _Service) -> None:
    keyed, manager = service.settings.api_key is not None, service.manager

    def unknown_job(job_id: str) -> ServiceError:
        return ServiceError(404, "not found", [Problem("id", f"no job {job_id!r} (unknown, expired or "
                                                       "deleted)")])

    @app.post("/v1/jobs", tags=["jobs"], dependencies=service.guard, **openapi.jobs_post(keyed))
    async def submit_job(request: Request) -> Response:
        body = await service.read_body(request)
        operation, job_request, total = await service.in_thread(service.validate_job, body)
        try:
            job = await anyio.to_thread.run_sync(manager.submit, operation, job_request, total)
        except QueueFull as exc:
            raise ServiceError(503, "busy", [Problem("", str(exc))],
                               {"Retry-After": str(exc.retry_after)}) from None
        return Response(dump(job), status_code=202, media_type="application/json",
                        headers={"Location": f"/v1/jobs/{job['id']}"})

    @app.get("/v1/jobs/{job_id}", tags=["jobs"], dependencies=service.guard, **openapi.jobs_get(keyed))
    async def get_job(job_id: str) -> Response:
        found = await anyio.to_thread.run_sync(manager.get, job_id)
        if found is None:
            raise unknown_job(job_id)
        job, result = found
        body = dump({**job, "result": None})  # the result's JSON goes in as it is stored
        if result is not None:
            body = body[: -len(b"null}")] + result + b"}"
        return Response(body, media_type="application/json")

    @app.delete("/v1/jobs/{job_id}", tags=["jobs"], dependencies=service.guard,
                **openapi.jobs_delete(keyed))
    async def delete_job(job_id: str) -> Response:
        job = await anyio.to_thread.run_sync(manager.cancel, job_id)
        if job is None:
            raise unknown_job(job_id)
        return Response(dump(job), media_type="application/json")


def _add_service_routes(app: FastAPI, service: _Service) -> None:
    keyed = service.settings.api_key is not None

    @app.get("/v1/schemas/{name}", tags=["schemas"], dependencies=service.guard,
             **openapi.schemas_get(keyed))
    async def get_schema(name: str) -> Response:
        from riskengine.io.schema import SCHEMAS, schema

        if name not in SCHEMAS:
            raise ServiceError(404, "not found", [Problem("name", f"unknown schema {name!r}; known: "
                                                          f"{', '.join(SCHEMAS)}")])
        return Response(dump(schema(name)), media_type="application/schema+json")

    @app.get("/healthz", tags=["service"], **openapi.HEALTHZ)
    async def healthz() -> dict:
        from riskengine.plugins import available

        counts = await anyio.to_thread.run_sync(service.manager.counts)
        return {"status": "ok", "version": openapi.version(), "jobs": counts,
                "plugins": available(), "api_key_required": keyed}

    @app.get("/openapi.json", include_in_schema=False, dependencies=service.guard)
    async def openapi_json() -> Response:
        return Response(dump(app.openapi()), media_type="application/json")

    def reader_of(page: str):
        async def reader() -> HTMLResponse:  # the document inline: the page needs no second request
            spec = json.dumps(app.openapi()).replace("</", "<\\/")
            return HTMLResponse(page.replace("SPEC", spec))

        return reader

    for path, page in (("/docs", openapi.SWAGGER_PAGE), ("/redoc", openapi.REDOC_PAGE)):
        app.add_api_route(path, reader_of(page), methods=["GET"], include_in_schema=False,
                          dependencies=service.guard)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The FastAPI application with its job manager (one per app)."""
    settings = settings or Settings()
    service = _Service(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        await anyio.to_thread.run_sync(service.manager.shutdown)

    app = FastAPI(title="riskengine", version=openapi.version(), lifespan=lifespan,
                  description=openapi.DESCRIPTION, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.manager = service.manager
    app.state.settings = settings
    _add_error_handlers(app)
    _add_operation_routes(app, service)
    _add_job_routes(app, service)
    _add_service_routes(app, service)
    app.add_middleware(RequestIds)
    app.openapi = lambda: openapi.document(app, keyed=settings.api_key is not None)  # type: ignore[method-assign]
    return app


def app_from_env() -> FastAPI:
    """The app with default limits and the API key from ``RISKENGINE_API_KEY``, for an ASGI
    server started on its own: ``uvicorn --factory riskengine.service.app:app_from_env``."""
    return create_app(Settings.from_env())
