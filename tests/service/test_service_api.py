"""The synchronous routes over real HTTP (issue 8): score, compare, measure, check, schemas,
health, the API key, 422 with every problem located, 413 for bodies and work beyond the limits,
404, and the OpenAPI document (served = generated = committed in docs/openapi.json).

Results are compared exactly with the Python API or the CLI on the same inputs and seed:
the service adds no numbers of its own.
"""

from __future__ import annotations

import json

import jsonschema
import pytest
from click.testing import CliRunner
from service_server import (
    API_KEY,
    FACTORY,
    MAX_BODY,
    ROOT,
    factory_plan,
    factory_premises,
    small_plan,
    small_premises,
)

from riskengine.analysis.compare import compare
from riskengine.analysis.score import score
from riskengine.cli import main
from riskengine.io.readers import read_csv_rows
from riskengine.io.schema import schema
from riskengine.io.writers import _clean
from riskengine.model.plan import parse_plan
from riskengine.model.premises import parse_premises


def same_as_json(document: dict) -> dict:
    """What a result becomes on the wire (NaN -> null, tuples -> lists)."""
    return json.loads(json.dumps(_clean(document)))


def test_healthz_needs_no_key(server):
    with server.client(key=None) as c:
        r = c.get("/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["api_key_required"] is True
    assert set(body["jobs"]) == {"queued", "running", "cancelling", "done", "failed", "cancelled"}


@pytest.mark.parametrize("key", [None, "wrong-key"])
def test_api_key_is_required_when_configured(server, key):
    with server.client(key=key) as c:
        for method, path in (("POST", "/v1/score"), ("GET", "/v1/schemas/plan"), ("GET", "/v1/jobs/x"),
                             ("POST", "/v1/jobs"), ("DELETE", "/v1/jobs/x"), ("GET", "/openapi.json"),
                             ("GET", "/docs"), ("GET", "/redoc")):
            r = c.request(method, path, json={"plan": small_plan(), "premises": small_premises()})
            assert r.status_code == 401, (method, path, r.text)
            assert r.json() == {"error": "unauthorized", "problems": [
                {"location": "X-API-Key", "message": "missing or wrong API key"}]}


def test_score_equals_the_python_api(server):
    body = {"plan": small_plan(), "premises": small_premises(), "replications": 300, "seed": 42,
            "confidence": 0.6}
    with server.client() as c:
        r = c.post("/v1/score", json=body)
        score_schema = c.get("/v1/schemas/score").json()
    assert r.status_code == 200, r.text
    result = r.json()
    jsonschema.validate(result, score_schema)
    expected = score(parse_plan(small_plan()), parse_premises(small_premises()), replications=300, seed=42,
                     confidence=0.6)
    assert result == same_as_json(expected.to_dict())
    assert result["rigor_advice"]["confidence"] == 0.6
    assert result["replications"] == 300 and result["seed"] == 42


def test_invalid_input_is_422_with_every_problem_located(server):
    plan = small_plan()
    plan["operations"][1]["quantity"] = -5
    plan["operations"][2]["resource"] = "L9"
    premises = small_premises()
    premises["defaults"]["scrap_rate"] = 2
    body = {"plan": plan, "premises": premises, "replications": 0, "replicatons": 10}
    with server.client() as c:
        r = c.post("/v1/score", json=body)
    assert r.status_code == 422
    assert r.json()["error"] == "invalid input"
    found = {p["location"]: p["message"] for p in r.json()["problems"]}
    assert set(found) == {"replications", "replicatons", "plan.operations[1].quantity",
                          "premises.defaults.scrap_rate"}
    assert found["plan.operations[1].quantity"] == "Input should be greater than 0, got -5"
    assert found["replications"] == "Input should be greater than or equal to 1, got 0"
    assert found["replicatons"] == "Extra inputs are not permitted"
    # the unknown resource is a semantic problem, found once the fields are valid
    plan["operations"][1]["quantity"] = 5
    premises["defaults"]["scrap_rate"] = 0.1
    premises["resources"] = {"L7": {"scrap_rate": 0.2}}
    with server.client() as c:
        r = c.post("/v1/score", json={"plan": plan, "premises": premises})
    assert r.status_code == 422
    assert [p["location"] for p in r.json()["problems"]] == ["plan.operations[2].resource"]
    plan["operations"][2]["resource"] = "L2"
    with server.client() as c:
        r = c.post("/v1/score", json={"plan": plan, "premises": premises})
    assert r.json()["problems"] == [{"location": "premises.resources.L7",
                                     "message": "unknown resource 'L7' (not in plan small)"}]


@pytest.mark.parametrize("body, location", [
    (b'{"plan": {', "body: line 1 column 11"),
    (b'{"plan": NaN}', "body"),
    (b"[1, 2]", ""),
    (b"\xff\xfe", "body"),
])
def test_malformed_bodies_are_422(server, body, location):
    with server.client() as c:
        r = c.post("/v1/score", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json()["problems"][0]["location"] == location


def test_oversized_body_and_work_are_413(server):
    big = small_plan()
    big["operations"] = big["operations"] * (MAX_BODY // 300)  # duplicates: never parsed
    with server.client() as c:
        r = c.post("/v1/score", json={"plan": big, "premises": small_premises()})
        assert r.status_code == 413
        assert r.json()["problems"] == [{"location": "body", "message": f"larger than the {MAX_BODY} bytes "
                                                                         "this service accepts"}]
        # 6 operations x 400 000 replications = 2.4e6 > the 2e6 a synchronous call may simulate
        r = c.post("/v1/score", json={"plan": small_plan(), "premises": small_premises(),
                                      "replications": 400_000})
        assert r.status_code == 413
        [problem] = r.json()["problems"]
        assert problem["location"] == "replications" and "POST /v1/jobs" in problem["message"]
        # the SimPy reference counts 300 times: 6 x 2000 x 300 = 3.6e6
        r = c.post("/v1/score", json={"plan": small_plan(), "premises": small_premises(),
                                      "replications": 2000, "engine": "reference"})
        assert r.status_code == 413


def test_compare_equals_the_python_api(server):
    body = {"plans": [small_plan("a"), small_plan("b", shift=0.5)], "premises": small_premises(),
            "replications": 200, "seed": 5}
    with server.client() as c:
        r = c.post("/v1/compare", json=body)
    assert r.status_code == 200, r.text
    expected = compare([parse_plan(small_plan("a")), parse_plan(small_plan("b", shift=0.5))],
                       parse_premises(small_premises()), replications=200, seed=5)
    assert r.json() == same_as_json(expected.to_dict())
    assert r.json()["format"] == "riskengine.compare/1"


def test_measure_equals_the_cli(server):
    plans = [json.loads((FACTORY / f"plan-v{k}.json").read_text()) for k in (1, 2, 3)]
    records = [{**r, "quantity": float(r["quantity"])} for r in read_csv_rows(FACTORY / "actuals.csv")]
    body = {"plans": plans, "actuals": {"format": "riskengine.actuals/1", "records": records},
            "lateness_tolerance_hours": 1}
    with server.client() as c:
        r = c.post("/v1/measure", json=body)
        measurement_schema = c.get("/v1/schemas/measurement").json()
    assert r.status_code == 200, r.text
    jsonschema.validate(r.json(), measurement_schema)
    cli = CliRunner().invoke(main, ["measure", *(w for k in (1, 2, 3) for w in
                                                 ("--plan", str(FACTORY / f"plan-v{k}.json"))),
                                    "--actuals", str(FACTORY / "actuals.csv"), "--lateness-tolerance", "1",
                                    "--json", "-"])
    assert cli.exit_code == 0, cli.output
    assert r.json() == json.loads(cli.stdout)  # warnings go to stderr


def test_check_and_repair(server):
    broken = json.loads((ROOT / "scenarios" / "broken-plan" / "plan.json").read_text())
    with server.client() as c:
        ok = c.post("/v1/check", json={"plan": factory_plan()})
        bad = c.post("/v1/check", json={"plan": broken, "repair": True})
    assert ok.status_code == 200 and bad.status_code == 200
    cli = CliRunner().invoke(main, ["check", str(FACTORY / "plan-v1.json"), "--json", "-"])
    assert ok.json() == json.loads(cli.stdout)
    assert bad.json()["summary"]["verdict"] == "infeasible"
    repaired = bad.json()["repaired_plan"]
    assert bad.json()["repair"]["repaired"] is True and repaired["format"] == "riskengine.plan/1"
    with server.client() as c:  # the repaired plan passes the check
        again = c.post("/v1/check", json={"plan": repaired})
    assert again.json()["summary"]["errors"] == 0


def test_schemas_and_404(server):
    with server.client() as c:
        for name in ("plan", "actuals", "premises", "measurement", "score"):
            r = c.get(f"/v1/schemas/{name}")
            assert r.status_code == 200 and r.json() == json.loads(json.dumps(schema(name)))
        r = c.get("/v1/schemas/nope")
        assert r.status_code == 404 and r.json()["problems"][0]["location"] == "name"
        for method in ("GET", "DELETE"):
            r = c.request(method, "/v1/jobs/0123")
            assert r.status_code == 404
            assert r.json() == {"error": "not found", "problems": [
                {"location": "id", "message": "no job '0123' (unknown, expired or deleted)"}]}
        r = c.get("/v1/nothing-here")
        assert r.status_code == 404 and r.json()["error"] == "not found"


def test_openapi_served_generated_and_committed_agree(server):
    from riskengine.service.openapi import generate

    committed = json.loads((ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))
    generated = json.loads(json.dumps(generate()))
    assert committed == generated, "stale: run riskengine serve --openapi docs/openapi.json --api-key KEY"
    with server.client() as c:
        served = c.get("/openapi.json").json()
    assert served == committed
    assert set(served["paths"]) == {"/v1/score", "/v1/compare", "/v1/measure", "/v1/check", "/v1/review",
                                    "/v1/trend", "/v1/forecast", "/v1/jobs", "/v1/jobs/{job_id}",
                                    "/v1/schemas/{name}",
                                    "/healthz"}


def test_factory_request_fits_and_api_key_header_name(server):
    """The example factory at 1000 replications is a synchronous call (114 ops x 1000 = 1.1e5)."""
    body = {"plan": factory_plan(), "premises": factory_premises(), "replications": 1000, "seed": 1}
    with server.client() as c:
        r = c.post("/v1/score", json=body, headers={"x-api-key": API_KEY})  # header names are case-blind
    assert r.status_code == 200 and r.json()["replications"] == 1000
