"""Issue 19 over real HTTP: ``POST /v1/forecast`` (and as a job) gives the CLI's result number for
number, problems located in the request, and ``riskengine call forecast`` the same."""

from __future__ import annotations

import csv
import json
import time

import jsonschema
from click.testing import CliRunner
from service_server import FACTORY, factory_premises
from test_service_hardening import long_replication
from test_service_jobs import wait_for

import riskengine as rk
from riskengine.cli import main
from riskengine.io.schema import schema

VERSIONS = [FACTORY / f"plan-v{k}.json" for k in (1, 2, 3)]
AS_OF = "2026-11-17T10:00:00+01:00"


def request() -> dict:
    """The Tuesday 10:00 state as a request: the documents inline (numbers as numbers)."""
    history = rk.read_history(VERSIONS)
    actuals = rk.read_actuals(FACTORY / "actuals-tuesday.csv", history).model_dump(mode="json",
                                                                                   exclude_none=True)
    with open(FACTORY / "events-tuesday.csv") as f:
        events = [{k: v for k, v in row.items() if v} for row in csv.DictReader(f)]
    return {"plans": [json.loads(v.read_text()) for v in VERSIONS], "premises": factory_premises(),
            "as_of": AS_OF, "actuals": actuals, "events": {"format": "riskengine.events/1", "events": events},
            "replications": 200, "seed": 3}


def cli() -> dict:
    args = [str(VERSIONS[0]), "--plan", str(VERSIONS[1]), "--plan", str(VERSIONS[2]), "--premises",
            str(FACTORY / "premises.toml"), "--as-of", AS_OF, "--actuals",
            str(FACTORY / "actuals-tuesday.csv"), "--events", str(FACTORY / "events-tuesday.csv"),
            "--replications", "200", "--seed", "3"]
    res = CliRunner().invoke(main, ["forecast", *args, "--json", "-"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_forecast_over_http_and_as_a_job_is_the_cli_result(server):
    expected = cli()
    with server.client() as c:
        r = c.post("/v1/forecast", json=request())
        assert r.status_code == 200, r.text
        job = c.post("/v1/jobs", json={"operation": "forecast", "request": request()})
        assert job.status_code == 202, job.text
        done = wait_for(c, job.json()["id"], ("done",))
    assert r.json() == expected
    assert done["result"] == expected and done["progress"]["done"] == 200
    jsonschema.validate(r.json(), schema("forecast"))


def test_forecast_problems_are_located_in_the_request(server):
    body = request()
    body["as_of"] = "next tuesday"
    body["events"]["events"][0]["resource"] = "K9"
    body["previous"] = {"format": "riskengine.score/1"}
    with server.client() as c:
        r = c.post("/v1/forecast", json=body)
    assert r.status_code == 422
    locations = {p["location"] for p in r.json()["problems"]}
    assert {"as_of", "events.events[0].resource", "previous.format"} <= locations


def test_call_runs_a_forecast():
    res = CliRunner().invoke(main, ["call", "forecast"], input=json.dumps(request()))
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == cli()


def test_a_cancelled_forecast_job_stops_inside_its_replication(server):
    """A forecast from the horizon start of one operation of 10^6 h of work on a machine failing
    every 0.01 h (a single replication of many seconds): DELETE stops it within its replication
    (the job's stop flag reaches the forecast's kernel run), the job ends cancelled."""
    score = long_replication(1e6)["request"]
    body = {"plans": [score["plan"]], "premises": score["premises"], "as_of": 0, "replications": 1}
    with server.client() as c:
        job = c.post("/v1/jobs", json={"operation": "forecast", "request": body}).json()
        wait_for(c, job["id"], ("running",), timeout=60)
        time.sleep(1.0)
        t = time.monotonic()
        assert c.delete(f"/v1/jobs/{job['id']}").json()["status"] in ("cancelling", "cancelled")
        assert wait_for(c, job["id"], ("cancelled", "done", "failed"), timeout=30)["status"] == "cancelled"
        assert time.monotonic() - t < 3
