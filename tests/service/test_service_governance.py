"""Issue 20 over real HTTP: ``POST /v1/review`` and ``/v1/trend`` give the CLI's results number for
number, problems located in the request, and ``riskengine call`` the same."""

from __future__ import annotations

import json

import jsonschema
from click.testing import CliRunner
from service_server import FACTORY, factory_plan, factory_premises

from riskengine.cli import main
from riskengine.io.schema import schema

OWNERS = {"format": "riskengine.owners/1", "causes": {"breakdown": {"owner": "TPM team"}}}


def measurements(tmp_path) -> list[str]:
    """The example week measured against its three versions, and against v1 alone (two weeks' worth
    of files would need two weeks of plans: the trend takes any measurement as a period)."""
    out = tmp_path / "m.json"
    plans = [w for k in (1, 2, 3) for w in ("--plan", str(FACTORY / f"plan-v{k}.json"))]
    res = CliRunner().invoke(main, ["measure", *plans, "--actuals", str(FACTORY / "actuals.csv"), "--quiet",
                                    "--json", str(out)])
    assert res.exit_code == 0, res.output
    return [str(out)]


def test_review_over_http_is_the_cli_result(server, tmp_path):
    body = {"plan": factory_plan(), "premises": factory_premises(), "replications": 200, "seed": 3, "top": 4,
            "owners": OWNERS}
    with server.client() as c:
        r = c.post("/v1/review", json=body)
    assert r.status_code == 200, r.text
    (tmp_path / "owners.json").write_text(json.dumps(OWNERS))
    cli = CliRunner().invoke(main, ["review", str(FACTORY / "plan-v1.json"), "--premises",
                                    str(FACTORY / "premises.toml"), "--replications", "200", "--seed", "3",
                                    "--top", "4", "--owners", str(tmp_path / "owners.json"), "--json", "-"])
    assert cli.exit_code == 0, cli.output
    assert r.json() == json.loads(cli.stdout)
    jsonschema.validate(r.json(), schema("review"))
    assert any(c["owner"] == "TPM team" for o in r.json()["operations"] for c in o["causes"])


def test_trend_over_http_is_the_cli_result(server, tmp_path):
    paths = measurements(tmp_path)
    docs = [json.loads(open(p).read()) for p in paths]
    with server.client() as c:
        r = c.post("/v1/trend", json={"measurements": docs})
        bad = c.post("/v1/trend", json={"measurements": [docs[0] | {"total": {}}], "owners": {
            "format": "riskengine.owners/1", "causes": {"brakedown": {"owner": "x"}}}})
    assert r.status_code == 200, r.text
    cli = CliRunner().invoke(main, ["trend", *paths, "--json", "-"])
    expected = json.loads(cli.stdout)
    expected["measurements"][0]["source"] = "measurements[0]"  # a request has no file names
    assert r.json() == expected
    jsonschema.validate(r.json(), schema("trend"))
    assert bad.status_code == 422
    locations = {p["location"] for p in bad.json()["problems"]}
    assert "owners.causes.brakedown" in locations and "measurements[0].total.planned" in locations


def test_call_runs_review_and_trend(tmp_path):
    request = {"measurements": [json.loads(open(p).read()) for p in measurements(tmp_path)]}
    res = CliRunner().invoke(main, ["call", "trend"], input=json.dumps(request))
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["format"] == "riskengine.trend/1"


def test_measure_request_takes_an_owners_table():
    import riskengine as rk

    versions = [FACTORY / f"plan-v{k}.json" for k in (1, 2, 3)]
    plans = [json.loads(v.read_text()) for v in versions]
    # a JSON body carries numbers as numbers (strict bodies), so the CSV goes through its reader first
    actuals = rk.read_actuals(FACTORY / "actuals.csv", rk.read_history(versions)).model_dump(mode="json",
                                                                                             exclude_none=True)
    request = {"plans": plans, "actuals": actuals, "owners": OWNERS}
    res = CliRunner().invoke(main, ["call", "measure"], input=json.dumps(request))
    assert res.exit_code == 0, res.output
    causes = {c["cause"]: c["owner"] for c in json.loads(res.stdout)["causes"]}
    assert causes["breakdown"] == "TPM team" and causes["material"] == "planning and supply"
    request["owners"] = {"format": "riskengine.owners/1", "causes": {"breakdown": {}}}
    res = CliRunner().invoke(main, ["call", "measure", "--errors-json"], input=json.dumps(request))
    assert res.exit_code == 2 and "owners.causes.breakdown" in res.stderr
