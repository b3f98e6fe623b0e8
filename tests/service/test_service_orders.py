"""Orders over HTTP and ``riskengine call`` (issue 18): a plan's orders in score and compare
requests, ``rank_by``, the schemas; the service adds no numbers of its own."""

from __future__ import annotations

import json
import subprocess
import sys

import jsonschema
from service_server import small_plan, small_premises

from riskengine.analysis.compare import compare
from riskengine.analysis.score import score
from riskengine.io.writers import _clean
from riskengine.model.plan import parse_plan
from riskengine.model.premises import parse_premises


def plan_with_orders(id: str = "small", shift: float = 0.0, due: float = 3.5) -> dict:
    plan = small_plan(id, shift)
    for o in plan["operations"]:
        o["order"] = f"W{o['id'][-1]}"
    plan["orders"] = [{"id": "W0", "due": due, "customer": "ACME"}, {"id": "W1", "due": 4.5},
                      {"id": "W2", "due": 7}]
    return plan


def test_score_and_compare_with_orders_equal_the_python_api(server):
    score_body = {"plan": plan_with_orders(), "premises": small_premises(), "replications": 300, "seed": 4}
    compare_body = {"plans": [plan_with_orders("a"), plan_with_orders("b", due=2.5)],
                    "premises": small_premises(), "replications": 300, "seed": 4, "rank_by": "on_time"}
    with server.client() as c:
        scored = c.post("/v1/score", json=score_body)
        compared = c.post("/v1/compare", json=compare_body)
        schemas = {name: c.get(f"/v1/schemas/{name}").json() for name in ("score", "compare")}
    assert scored.status_code == 200 and compared.status_code == 200, (scored.text, compared.text)
    jsonschema.validate(scored.json(), schemas["score"])
    jsonschema.validate(compared.json(), schemas["compare"])
    expected = score(parse_plan(plan_with_orders()), parse_premises(small_premises()), replications=300,
                     seed=4)
    assert scored.json() == json.loads(json.dumps(_clean(expected.to_dict())))
    assert [o["id"] for o in scored.json()["orders"]] == ["W0", "W1", "W2"]
    expected = compare([parse_plan(p) for p in compare_body["plans"]], parse_premises(small_premises()),
                       replications=300, seed=4, rank_by="on_time")
    assert compared.json() == json.loads(json.dumps(_clean(expected.to_dict())))
    assert compared.json()["rank_by"] == "on_time" and len(compared.json()["order_differences"]) == 3


def test_call_compare_ranks_by_on_time(tmp_path):
    request = {"plans": [plan_with_orders("a"), plan_with_orders("b", due=2.5)],
               "premises": small_premises(), "replications": 100, "seed": 1, "rank_by": "on_time"}
    (tmp_path / "request.json").write_text(json.dumps(request))
    out = subprocess.run([sys.executable, "-m", "riskengine.cli", "call", "compare", "--request",
                          str(tmp_path / "request.json")], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    assert result["rank_by"] == "on_time" and {p["id"] for p in result["plans"]} == {"a", "b"}
    bad = subprocess.run([sys.executable, "-m", "riskengine.cli", "call", "compare"], capture_output=True,
                         text=True, input=json.dumps({**request, "rank_by": "bts"}))
    assert bad.returncode == 2 and "rank_by" in bad.stderr
