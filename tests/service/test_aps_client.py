"""examples/aps_client/roundtrip.sh (curl + jq) against the live test server (issue 8)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from service_server import API_KEY, ROOT

SCRIPT = ROOT / "examples" / "aps_client" / "roundtrip.sh"


@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("jq") and shutil.which("bash")),
                    reason="the example client needs bash, curl and jq")
def test_curl_round_trip(server):
    env = {**os.environ, "RISKENGINE_API_KEY": API_KEY, "REPLICATIONS": "300"}
    run = subprocess.run(["bash", str(SCRIPT), server.url], env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    assert '"status":"ok"' in out and '"replications":300' in out
    assert "job result = synchronous result (same seed)" in out
    assert "  replications: Input should be greater than or equal to 1, got 0" in out
    assert "  plan.operations[0].quantity: Input should be greater than 0, got -5" in out
    assert out.rstrip().endswith("HTTP 422")


def test_example_premises_are_the_factory_premises():
    import json
    import tomllib

    factory = tomllib.loads((ROOT / "scenarios" / "example-factory" / "premises.toml").read_text())
    assert json.loads((ROOT / "examples" / "aps_client" / "premises.json").read_text()) == factory


@pytest.mark.skipif(not shutil.which("java"), reason="the Java example needs a JDK (java)")
def test_java_client_round_trip(server, tmp_path):
    import json

    from service_server import factory_plan

    premises = ROOT / "examples" / "aps_client" / "premises.json"
    plan = ROOT / "scenarios" / "example-factory" / "plan-v1.json"
    env = {**os.environ, "RISKENGINE_API_KEY": API_KEY}
    source = ROOT / "examples" / "aps_client" / "ApsClient.java"
    run = subprocess.run(["java", str(source), server.url, str(plan), str(premises), "300"], env=env,
                         capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("job ") and lines[0].endswith(" submitted")
    holds = json.loads(next(line for line in lines if line.startswith("plan holds: "))[len("plan holds: "):])
    with server.client() as c:
        body = {"plan": factory_plan(), "premises": json.loads(premises.read_text()), "replications": 300,
                "seed": 1}
        direct = c.post("/v1/score", json=body).json()
    assert holds == direct["plan_holds"]
