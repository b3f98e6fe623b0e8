"""The HTTP service for APS tools (``riskengine serve``; FastAPI on uvicorn).

Routes (bodies are the contract's formats, docs/design.md section 5; requests are
:mod:`riskengine.service.requests`):

- ``POST /v1/score``, ``/v1/compare``, ``/v1/measure``, ``/v1/check``: run at
  once and return the result (``riskengine.score/1`` etc.), within
  ``Limits.sync_work``;
- ``POST /v1/jobs`` (``{"operation": "score", "request": {...}}``): 202 and the
  job (``Location: /v1/jobs/{id}``); ``GET /v1/jobs/{id}``: status, progress and,
  once done, the result; ``DELETE /v1/jobs/{id}``: cancel (or forget a finished job);
- ``GET /v1/schemas/{name}``: the JSON Schema of a format;
- ``GET /healthz``: liveness, version, job counts (never needs the API key);
- ``GET /openapi.json``: the OpenAPI document (committed as ``docs/openapi.json``).

Errors are ``{"error": ..., "problems": [{"location", "message"}]}``: 422
invalid input (every problem, located in the request), 413 body larger than
``Limits.max_body_bytes`` or work beyond the limits, 404 unknown job or
schema, 401 missing or wrong ``X-API-Key`` when a key is configured, 503 with
``Retry-After`` when the job queue or the synchronous lane is full.

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

import anyio
from fastapi import Depends, FastAPI, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import APIKeyHeader
from starlette.exceptions import HTTPException as StarletteHTTPException

from riskengine.errors import InputError, Problem
from riskengine.io.writers import _clean
from riskengine.service import openapi
from riskengine.service.jobs import JobManager, QueueFull
from riskengine.service.operations import run
from riskengine.service.requests import OPERATIONS, Limits, TooLarge, validate

API_KEY_HEADER = "X-API-Key"
API_KEY_ENV = "RISKENGINE_API_KEY"


@dataclass
class Settings:
    """How the service runs (``riskengine serve`` options)."""

    limits: Limits = field(default_factory=Limits)
    api_key: str | None = None
    workers: int = 1  # job threads; each job's kernel already uses every core
    max_queued: int = 8  # jobs waiting beyond the running ones
    sync_concurrency: int = 2  # synchronous calls simulating at once
    max_sync_pending: int = 64  # synchronous calls running or waiting; more get 503

    @classmethod
    def from_env(cls, **kwargs) -> Settings:
        """Settings with the API key from ``RISKENGINE_API_KEY`` when not given."""
        kwargs.setdefault("api_key", os.environ.get(API_KEY_ENV) or None)
        return cls(**kwargs)


class ServiceError(Exception):
    """An error answer: HTTP status, error word, problems, extra headers."""

    def __init__(self, status: int, error: str, problems: list[Problem] | None = None,
                 headers: dict | None = None):
        super().__init__(error)
        self.status, self.error, self.problems, self.headers = status, error, problems or [], headers


def _error_response(exc: ServiceError) -> JSONResponse:
    body = {"error": exc.error, "problems": [{"location": p.location, "message": p.message}
                                             for p in exc.problems]}
    return JSONResponse(body, status_code=exc.status, headers=exc.headers)


def dump(document: object) -> bytes:
    """Compact strict JSON (NaN and infinities become null, as in result files)."""
    return json.dumps(_clean(document), allow_nan=False, separators=(",", ":")).encode()


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def parse_body(body: bytes) -> object:
    """Parse a JSON request body; syntax errors become a located 422."""
    try:
        return json.loads(body.decode("utf-8-sig"), parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise InputError(Problem(f"body: line {exc.lineno} column {exc.colno}",
                                 f"not valid JSON: {exc.msg}")) from None
    except UnicodeDecodeError:
        raise InputError(Problem("body", "not UTF-8 text")) from None
    except RecursionError:
        raise InputError(Problem("body", "not valid JSON: nested too deeply")) from None
    except ValueError as exc:  # NaN/Infinity, or an integer of more than 4300 digits
        raise InputError(Problem("body", f"not valid JSON: {str(exc).split(';')[0]}")) from None


def _as_service_error(exc: InputError) -> ServiceError:
    if isinstance(exc, TooLarge):
        return ServiceError(413, "too large", exc.problems)
    return ServiceError(422, "invalid input", exc.problems)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The FastAPI application with its job manager (one per app)."""
    settings = settings or Settings()
    limits = settings.limits
    manager = JobManager(settings.workers, settings.max_queued)
    sync_lane = anyio.CapacityLimiter(settings.sync_concurrency)
    pending = {"n": 0}
    pending_lock = threading.Lock()

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        await anyio.to_thread.run_sync(manager.shutdown)

    app = FastAPI(title="riskengine", version=openapi.version(), lifespan=lifespan,
                  description=openapi.DESCRIPTION)
    app.state.manager = manager
    app.state.settings = settings
    header = APIKeyHeader(name=API_KEY_HEADER, auto_error=False,
                          description="Required when the service has a key (RISKENGINE_API_KEY).")

    def authorized(key: str | None = Security(header)) -> None:
        if settings.api_key is None:
            return
        if key is None or not hmac.compare_digest(key.encode(), settings.api_key.encode()):
            raise ServiceError(401, "unauthorized", [Problem(API_KEY_HEADER, "missing or wrong API key")])

    @app.exception_handler(ServiceError)
    async def _service_error(_request: Request, exc: ServiceError) -> JSONResponse:
        return _error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [Problem(".".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors()]
        return _error_response(ServiceError(422, "invalid input", problems))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        word = {404: "not found", 405: "method not allowed"}.get(exc.status_code, "error")
        return _error_response(ServiceError(exc.status_code, word, [Problem("", str(exc.detail))],
                                            getattr(exc, "headers", None)))

    async def read_body(request: Request) -> bytes:
        """The body, refused with 413 as soon as it exceeds ``max_body_bytes``."""
        cap = limits.max_body_bytes
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

    async def in_thread(func, *args):
        """Run ``func`` in the synchronous lane (bounded), mapping input errors to 422/413."""
        with pending_lock:
            if pending["n"] >= settings.max_sync_pending:
                raise ServiceError(503, "busy", [Problem("", "too many requests in progress; retry")],
                                   {"Retry-After": "1"})
            pending["n"] += 1
        try:
            return await anyio.to_thread.run_sync(func, *args, limiter=sync_lane)
        except InputError as exc:
            raise _as_service_error(exc) from None
        finally:
            with pending_lock:
                pending["n"] -= 1

    def synchronous(operation: str, body: bytes) -> bytes:
        return dump(run(validate(operation, parse_body(body), limits)))

    def add_operation(operation: str) -> None:
        async def route(request: Request) -> Response:
            body = await read_body(request)
            return Response(await in_thread(synchronous, operation, body), media_type="application/json")

        route.__name__ = operation
        app.add_api_route(f"/v1/{operation}", route, methods=["POST"], tags=["operations"],
                          dependencies=[Depends(authorized)], **openapi.operation_doc(operation))

    for operation in OPERATIONS:
        add_operation(operation)

    def validate_job(body: bytes):
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
        try:
            return validate(operation, data["request"], limits, job=True)
        except InputError as exc:
            from riskengine.service.requests import located

            raise type(exc)(located("request", exc)) from None

    @app.post("/v1/jobs", tags=["jobs"], dependencies=[Depends(authorized)], **openapi.JOBS_POST)
    async def submit_job(request: Request) -> Response:
        body = await read_body(request)
        validated = await in_thread(validate_job, body)
        try:
            job = manager.submit(validated)
        except QueueFull as exc:
            raise ServiceError(503, "busy", [Problem("", str(exc))],
                               {"Retry-After": str(exc.retry_after)}) from None
        return Response(dump(job.to_dict(with_result=False)), status_code=202, media_type="application/json",
                        headers={"Location": f"/v1/jobs/{job.id}"})

    def unknown_job(job_id: str) -> ServiceError:
        return ServiceError(404, "not found", [Problem("id", f"no job {job_id!r} (unknown, expired or "
                                                       "deleted)")])

    @app.get("/v1/jobs/{job_id}", tags=["jobs"], dependencies=[Depends(authorized)], **openapi.JOBS_GET)
    async def get_job(job_id: str) -> Response:
        job = manager.get(job_id)
        if job is None:
            raise unknown_job(job_id)
        return Response(await anyio.to_thread.run_sync(dump, job.to_dict()), media_type="application/json")

    @app.delete("/v1/jobs/{job_id}", tags=["jobs"], dependencies=[Depends(authorized)],
                **openapi.JOBS_DELETE)
    async def delete_job(job_id: str) -> Response:
        job = manager.cancel(job_id)
        if job is None:
            raise unknown_job(job_id)
        return Response(dump(job.to_dict(with_result=False)), media_type="application/json")

    @app.get("/v1/schemas/{name}", tags=["schemas"], dependencies=[Depends(authorized)],
             **openapi.SCHEMAS_GET)
    async def get_schema(name: str) -> Response:
        from riskengine.io.schema import SCHEMAS, schema

        if name not in SCHEMAS:
            raise ServiceError(404, "not found", [Problem("name", f"unknown schema {name!r}; known: "
                                                          f"{', '.join(SCHEMAS)}")])
        return Response(dump(schema(name)), media_type="application/schema+json")

    @app.get("/healthz", tags=["service"], **openapi.HEALTHZ)
    async def healthz() -> dict:
        from riskengine.plugins import available

        return {"status": "ok", "version": openapi.version(), "jobs": manager.counts(),
                "plugins": available(), "api_key_required": settings.api_key is not None}

    app.openapi = lambda: openapi.document(app)  # type: ignore[method-assign]
    return app


def app_from_env() -> FastAPI:
    """The app with default limits and the API key from ``RISKENGINE_API_KEY``, for an ASGI
    server started on its own: ``uvicorn --factory riskengine.service.app:app_from_env``."""
    return create_app(Settings.from_env())
