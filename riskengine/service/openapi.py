"""The OpenAPI document of the service (served at ``/openapi.json``, committed as ``docs/openapi.json``).

The routes read their bodies themselves (to refuse oversized bodies before
parsing and to locate every problem in riskengine's own words), so FastAPI
cannot infer the request and result schemas: they are declared here from the
same sources as everywhere else, the request models of
:mod:`riskengine.service.requests` (which embed the plan, premises and
actuals models) and the typed result models of :mod:`riskengine.io.schema`.
``riskengine serve --openapi PATH`` writes the document; a test checks that
the committed file equals the generated one.
"""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

from riskengine.service.http import MAX_PROBLEMS
from riskengine.service.requests import MODELS

REF = "#/components/schemas/{model}"
DESCRIPTION = (
    "Scheduling-risk engine for APS tools: score a plan (probability it is executed as planned, "
    "expected adherence), compare candidate plans under common random numbers, measure realized "
    "adherence, check a plan. Bodies are the riskengine contract formats (riskengine.plan/1, "
    "riskengine.premises/1, riskengine.actuals/1 in; riskengine.score/1, riskengine.compare/1, "
    "riskengine.measurement/1, riskengine.check/1 out). Long runs go through /v1/jobs. Errors are "
    "{error, problems: [{location, message}]}.")
RESULTS = {"score": "ScoreResult", "compare": "CompareResult", "measure": "MeasurementResult",
           "check": "CheckResult", "review": "ReviewResult", "trend": "TrendResult",
           "forecast": "ForecastResult"}
#: The ``riskengine schema`` name of each operation's result.
SCHEMA_OF = {"score": "score", "compare": "compare", "measure": "measurement", "check": "check",
             "review": "review", "trend": "trend", "forecast": "forecast"}
SUMMARIES = {
    "score": "Score a plan: probability it is executed as planned, expected adherence, risks",
    "compare": "Compare candidate plans under common random numbers",
    "measure": "Measure realized adherence against the plan versions in effect",
    "check": "Check a plan before simulation (and repair it on request)",
    "review": "The review sheet of a plan, for the supervisor who validates it",
    "trend": "Adherence trends over many weeks of measurements, for management",
    "forecast": "Forecast the rest of the horizon from the shop floor's state at an as-of time",
}


def version() -> str:
    from riskengine import __version__

    return __version__


def _error(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": REF.format(model="Error")}}}}


def _json(model: str, description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": REF.format(model=model)}}}}


def _body(model: str) -> dict:
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": {"$ref": REF.format(model=model)}}}}}


def _errors(keyed: bool, *codes: str) -> dict:
    """The error answers of a route: ``codes`` and 500, and 401 when the service has a key."""
    described = {"401": "Missing or wrong X-API-Key",
                 "404": "Unknown, expired or deleted job",
                 "413": "Body or requested work larger than the service accepts",
                 "415": "The body is not application/json",
                 "422": "Invalid input: every problem with its location in the request",
                 "503": "Busy: the job queue or the synchronous lane is full; see Retry-After",
                 "500": "Internal error: no problems, the request id (also in X-Request-ID) to give "
                        "the operator"}
    wanted = [*(["401"] if keyed else []), *codes, "500"]
    out = {code: _error(described[code]) for code in wanted}
    if "503" in out:
        out["503"]["headers"] = {"Retry-After": {"description": "Seconds to wait before retrying",
                                                 "schema": {"type": "string", "pattern": "^[0-9]+$"}}}
    return out


_BODY_ERRORS = ("413", "415", "422", "503")


def operation_doc(operation: str, keyed: bool) -> dict:
    """Keyword arguments of ``add_api_route`` documenting ``POST /v1/{operation}``."""
    return {"summary": SUMMARIES[operation], "operation_id": operation,
            "openapi_extra": _body(MODELS[operation].__name__),
            "responses": {"200": _json(RESULTS[operation], f"The {operation} result"),
                          **_errors(keyed, *_BODY_ERRORS)}}


def jobs_post(keyed: bool) -> dict:
    return {"summary": "Submit a long run as a job", "operation_id": "submit_job", "status_code": 202,
            "openapi_extra": _body("JobRequest"),
            "responses": {"202": {**_json("Job", "Accepted: the job"), "headers": {
                "Location": {"description": "/v1/jobs/{id}", "schema": {"type": "string"}}}},
                **_errors(keyed, *_BODY_ERRORS)}}


def jobs_get(keyed: bool) -> dict:
    return {"summary": "A job's status, progress and, once done, result", "operation_id": "get_job",
            "responses": {"200": _json("Job", "The job"), **_errors(keyed, "404", "422")}}


def jobs_delete(keyed: bool) -> dict:
    return {"summary": "Cancel a queued or running job, or forget a finished one",
            "operation_id": "delete_job",
            "responses": {"200": _json("Job", "The job as it was cancelled or forgotten"),
                          **_errors(keyed, "404", "422")}}


def schemas_get(keyed: bool) -> dict:
    return {"summary": "The JSON Schema of a format (plan, actuals, premises, measurement, score)",
            "operation_id": "get_schema",
            "responses": {"200": {"description": "A JSON Schema",
                                  "content": {"application/schema+json": {"schema": {"type": "object"}}}},
                          **_errors(keyed, "422"), "404": _error("Unknown schema name")}}


HEALTHZ: dict[str, Any] = {
    "summary": "Liveness, version and job counts (never needs the API key)", "operation_id": "healthz",
    "responses": {"200": _json("Health", "The service is up"),
                  "500": _error("Internal error (the job table cannot be read)")}}

#: The two readers of the document at /docs and /redoc; SPEC is replaced by the document itself
#: (inline, so that a page fetched with the API key needs no second, keyless request).
SWAGGER_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>riskengine API</title>
<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({spec: SPEC, dom_id: "#swagger-ui"});</script></body></html>
"""
REDOC_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>riskengine API</title></head>
<body><div id="redoc"></div>
<script src="https://cdn.jsdelivr.net/npm/redoc@2/bundles/redoc.standalone.js"></script>
<script>Redoc.init(SPEC, {}, document.getElementById("redoc"));</script></body></html>
"""


def components() -> dict:
    """The schemas the routes refer to."""
    from riskengine.io.documents import written
    from riskengine.io.schema import model

    results = {operation: model(name) for operation, name in SCHEMA_OF.items()}
    _, defs = models_json_schema([(m, "validation") for m in MODELS.values()]
                                 + [(m, "serialization") for m in results.values()], ref_template=REF)
    schemas = dict(sorted(defs["$defs"].items()))
    for operation, m in results.items():  # stable component names for generated clients
        schemas[RESULTS[operation]] = {**schemas.pop(m.__name__), "required": written(m),
                                       "title": f"riskengine.{SCHEMA_OF[operation]}/1"}
    schemas["JobRequest"] = {
        "title": "JobRequest", "description": "An operation and its request body, run as a job",
        "oneOf": [{"type": "object", "additionalProperties": False, "required": ["operation", "request"],
                   "properties": {"operation": {"const": op},
                                  "request": {"$ref": REF.format(model=model.__name__)}}}
                  for op, model in MODELS.items()]}
    progress = {"type": "object", "required": ["done", "total", "fraction", "half_width"],
                "properties": {"done": {"type": "integer"}, "total": {"type": ["integer", "null"]},
                               "fraction": {"type": ["number", "null"]},
                               "half_width": {"type": ["number", "null"]}}}
    stamp = {"type": ["string", "null"], "format": "date-time"}
    schemas["Job"] = {
        "title": "Job", "type": "object",
        "required": ["id", "operation", "status", "progress", "created_at", "started_at", "finished_at",
                     "error"],
        "properties": {
            "id": {"type": "string"}, "operation": {"enum": list(MODELS)},
            "status": {"enum": ["queued", "running", "cancelling", "done", "failed", "cancelled"]},
            "progress": progress, "created_at": {"type": "string", "format": "date-time"},
            "started_at": stamp, "finished_at": stamp, "error": {"type": ["string", "null"]},
            "result": {"description": "The operation's result once done (riskengine.score/1, ...)",
                       "type": ["object", "null"]}}}
    schemas["Error"] = {
        "title": "Error", "type": "object", "required": ["error", "problems"], "additionalProperties": False,
        "properties": {
            "error": {"type": "string"},
            "problems": {"type": "array", "maxItems": MAX_PROBLEMS, "items": {
                "type": "object", "required": ["location", "message"], "additionalProperties": False,
                "properties": {"location": {"type": "string"}, "message": {"type": "string"}}}},
            "problems_total": {"type": "integer", "minimum": MAX_PROBLEMS + 1,
                               "description": "How many problems there were, when more than listed"},
            "request_id": {"type": "string", "description": "A 500's request id (as in X-Request-ID)"}}}
    schemas["Health"] = {"title": "Health", "type": "object", "required": ["status", "version", "jobs"],
                         "properties": {"status": {"const": "ok"}, "version": {"type": "string"},
                                        "jobs": {"type": "object"},
                                        "plugins": {"type": "array", "items": {"type": "string"}},
                                        "api_key_required": {"type": "boolean"}}}
    return schemas


def document(app, keyed: bool = False) -> dict:
    """The OpenAPI document of ``app`` with the schemas of :func:`components` (cached on the app).
    With a key, the routes that need it say so (FastAPI declares the header scheme), and the
    description says which route does not."""
    if app.openapi_schema is None:
        from fastapi.openapi.utils import get_openapi

        description = app.description + (" Every route but /healthz needs the X-API-Key header."
                                          if keyed else " This service has no API key.")
        doc = get_openapi(title=app.title, version=app.version, description=description, routes=app.routes)
        doc.setdefault("components", {}).setdefault("schemas", {}).update(components())
        doc["components"]["schemas"] = dict(sorted(doc["components"]["schemas"].items()))
        app.openapi_schema = doc
    return app.openapi_schema


def generate(keyed: bool = True) -> dict:
    """The document of a default service, with an API key unless ``keyed`` is false
    (``docs/openapi.json`` holds the one with a key)."""
    from riskengine.service.app import Settings, create_app

    app = create_app(Settings(api_key="documentation" if keyed else None))
    try:
        return app.openapi()
    finally:
        app.state.manager.shutdown()
