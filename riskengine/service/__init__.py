"""riskengine as a plugin for APS tools: the HTTP service, JSON requests and jobs (docs/design.md section 1).

- :mod:`riskengine.service.requests`: the request bodies (``riskengine.score-request/1``
  etc.), validated into models with every problem located, and the work limits.
- :mod:`riskengine.service.operations`: score, compare, measure and check on a
  validated request, with progress and cancellation (shared by the HTTP routes,
  the jobs and ``riskengine call``).
- :mod:`riskengine.service.jobs`: the bounded job queue and its worker threads.
- :mod:`riskengine.service.app`: the FastAPI application (``riskengine serve``).
- :mod:`riskengine.service.openapi`: the OpenAPI document (committed as ``docs/openapi.json``).

The web stack (FastAPI, uvicorn) is the optional extra ``service``; only
:mod:`~riskengine.service.app` and :mod:`~riskengine.service.openapi` import it.
"""
