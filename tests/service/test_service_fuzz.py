"""Property-based API tests from the OpenAPI document (schemathesis, strict) and a bounded load test.

The document is the one the running server serves (with its API key), so what is tested is
what a client reads. Every operation gets requests generated from its schemas (a fixed
hypothesis seed: the same requests every run), valid ones and, for the bodies, invalid ones,
sent to the real server; every answer passes all of schemathesis's checks:

- no server error (the one 5xx the document declares for a designed answer, 503 "busy" with
  Retry-After when the job queue is full, is allowed);
- the status code, content type, headers and body are those the document declares for it
  (every error body is the Error schema);
- the declared security is enforced: the same request without the key is refused (401);
- schema-invalid bodies are refused (4xx), and DELETE/PUT/... where not declared give 405
  with the right Allow header;
- schema-valid bodies are accepted (2xx), refused only for what the document declares and a
  JSON schema cannot say: 422 for a cross-reference (an unknown resource id, an end before its
  start), 413 for work beyond the limits (operations x replications), 404 for a job id or
  schema name that does not exist, 503 when busy.

The load test sends 50 score requests on a small plan at once: all succeed with the same
result (same seed), and the requests/s and p95 latency are printed (``pytest -s``).
"""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from service_server import API_KEY, small_plan, small_premises

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed")
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import CHECKS, load_all_checks  # noqa: E402
from schemathesis.config import SchemathesisConfig  # noqa: E402

load_all_checks()
#: Checks left out: response time (a shared, noisy machine) and the stateful ones (they need
#: links between operations, which the document does not declare).
EXCLUDED = {"max_response_time", "use_after_free", "ensure_resource_availability"}
CHECKS_USED = [c for c in CHECKS.get_all() if c.__name__ not in EXCLUDED]
CONFIG = SchemathesisConfig.from_dict({"checks": {
    "positive_data_acceptance": {"expected-statuses": ["2xx", "404", "413", "422", "503"]},
    # a body both invalid and too big may be refused for its size first (checked before its contents)
    "negative_data_rejection": {"expected-statuses": ["400", "401", "404", "405", "413", "415", "422"]}}})
#: Examples per operation and mode: generating whole plans is slow (about 1 s per compare
#: request), so the operations whose bodies embed plans get fewer.
EXAMPLES = {"/v1/score": 8, "/v1/compare": 5, "/v1/measure": 5, "/v1/jobs": 8}
OPERATION_IDS = ["score", "compare", "measure", "check", "submit_job", "get_job", "delete_job", "get_schema",
                 "healthz"]


@pytest.fixture(scope="module")
def api(server):
    with server.client() as c:
        doc = c.get("/openapi.json").json()
    with server.client(key=None) as c:
        assert c.get("/openapi.json").status_code == 401  # the document itself needs the key
    return schemathesis.openapi.from_dict(doc, config=CONFIG)


def _operation(api, operation_id: str):
    for result in api.get_all_operations():
        op = result.ok()
        if op.definition.raw.get("operationId") == operation_id:
            return op
    raise AssertionError(f"no operation {operation_id} in the served document")


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
@pytest.mark.parametrize("operation_id", OPERATION_IDS)
def test_generated_requests_get_what_the_document_says(server, api, operation_id, mode):
    operation = _operation(api, operation_id)
    if mode == GenerationMode.NEGATIVE and not (operation.body or operation.path_parameters):
        pytest.skip("no input that can be invalid")
    seen: list[int] = []

    @settings(max_examples=EXAMPLES.get(operation.path, 20) if operation.method.upper() == "POST" else 20,
              deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case):
        response = case.call_and_validate(base_url=server.url, headers={"X-API-Key": API_KEY},
                                          checks=CHECKS_USED, timeout=120)
        seen.append(response.status_code)
        if response.status_code == 202:  # an accepted job: cancel it, so no later test waits behind it
            with server.client() as c:
                assert c.delete(f"/v1/jobs/{response.json()['id']}").status_code == 200

    check()
    assert seen, "no request was generated"


def test_fifty_concurrent_score_requests(server):
    body = {"plan": small_plan(), "premises": small_premises(), "replications": 200, "seed": 9}
    with server.client() as c:
        expected = c.post("/v1/score", json=body)
    assert expected.status_code == 200

    def one(_k: int) -> tuple[int, float, bytes]:
        with server.client() as c:
            t = time.perf_counter()
            r = c.post("/v1/score", json=body)
            return r.status_code, time.perf_counter() - t, r.content

    start = time.perf_counter()
    with ThreadPoolExecutor(50) as pool:
        results = list(pool.map(one, range(50)))
    wall = time.perf_counter() - start
    assert [status for status, _, _ in results] == [200] * 50
    assert all(content == expected.content for _, _, content in results)
    latencies = sorted(latency for _, latency, _ in results)
    p95 = latencies[int(0.95 * len(latencies)) - 1]
    print(f"\n50 concurrent POST /v1/score (6 operations, 200 replications): {50 / wall:.1f} requests/s, "
          f"p50 {1000 * statistics.median(latencies):.0f} ms, p95 {1000 * p95:.0f} ms")
