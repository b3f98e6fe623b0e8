"""Property-based API tests from the OpenAPI document (schemathesis) and a bounded load test.

Every operation of ``docs/openapi.json`` gets requests generated from its schemas (with a
fixed hypothesis seed, so the run is the same every time) and sent to the real server with the
API key: none may end in a server error. The one 5xx the document declares, 503 "busy" with a
Retry-After header (the job queue is full), is a designed answer, not an error.

The load test sends 50 score requests on a small plan at once: all succeed with the same
result (same seed), and the requests/s and p95 latency are printed (``pytest -s``).
"""

from __future__ import annotations

import json
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from service_server import API_KEY, ROOT, small_plan, small_premises

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed")

DOC = json.loads((ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))
SCHEMA = schemathesis.openapi.from_dict(DOC)
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
#: Examples per operation: generating whole plans is slow (about 1 s per compare request), so the
#: operations whose bodies embed plans get fewer, to keep the test within tens of seconds.
EXAMPLES = {"/v1/score": 8, "/v1/compare": 6, "/v1/measure": 6, "/v1/jobs": 8}


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: f"{op.method.upper()} {op.path}")
def test_no_server_error_on_generated_requests(server, operation):
    seen: list[int] = []

    @settings(max_examples=EXAMPLES.get(operation.path, 25) if operation.method.upper() == "POST" else 25,
              deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def check(case):
        case.headers = {**(case.headers or {}), "X-API-Key": API_KEY}
        response = case.call(base_url=server.url, timeout=120)
        seen.append(response.status_code)
        if response.status_code == 202:  # an accepted job: cancel it, so no later test waits behind it
            with server.client() as c:
                assert c.delete(f"/v1/jobs/{response.json()['id']}").status_code == 200
        if response.status_code == 503:
            assert response.headers.get("Retry-After", "").isdigit(), response.text
            return
        assert response.status_code < 500, (case.body, response.text)
        if response.status_code >= 400:  # every error has the documented shape
            body = response.json()
            assert set(body) == {"error", "problems"}, body

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
