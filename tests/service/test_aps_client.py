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
