"""One set of adherence rules (docs/design.md section 2): measure takes them from the premises as score
does, with the same defaults everywhere, and every result says which rules it used."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

import riskengine as rk
from riskengine.cli import main
from riskengine.model.premises import parse_premises

ROOT = Path(__file__).resolve().parent.parent
FACTORY = ROOT / "scenarios" / "example-factory"
VERSIONS = [str(FACTORY / f"plan-v{k}.json") for k in (1, 2, 3)]


def _measure(*options: str) -> dict:
    res = CliRunner().invoke(main, ["measure", *(w for v in VERSIONS for w in ("--plan", v)),
                                    "--actuals", str(FACTORY / "actuals.csv"), *options, "--json", "-"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_measure_without_premises_equals_premises_without_execution(tmp_path):
    """The same defaults everywhere: no premises, and premises without an execution section (or
    bands), judge alike."""
    bare = tmp_path / "rules.toml"
    bare.write_text('format = "riskengine.premises/1"\n')
    a, b = _measure(), _measure("--premises", str(bare))
    assert a == b
    defaults = parse_premises({"format": "riskengine.premises/1"}).rules()
    assert defaults == rk.AdherenceRules()
    assert a["rules"] == defaults.document(8.0)


def test_measure_with_premises_judges_by_the_premises_rules():
    """The example factory: 89 HITs with the bare defaults, 97 with the premises' 1 h and 98%
    (issue 16); the options give the same as the premises, and an option overrides one rule."""
    default, premised = _measure(), _measure("--premises", str(FACTORY / "premises.toml"))
    assert sum(o["hit"] for o in default["operations"]) == 89
    assert sum(o["hit"] for o in premised["operations"]) == 97
    assert premised["rules"]["lateness_tolerance_hours"] == 1.0
    assert premised["rules"]["quantity_tolerance"] == 0.98
    by_options = _measure("--lateness-tolerance", "1", "--quantity-tolerance", "0.98")
    assert by_options["operations"] == premised["operations"]
    overridden = _measure("--premises", str(FACTORY / "premises.toml"), "--lateness-tolerance", "0")
    assert overridden["rules"]["lateness_tolerance_hours"] == 0.0
    assert overridden["rules"]["quantity_tolerance"] == 0.98


def test_every_result_states_its_rules():
    plan = rk.read_plan(VERSIONS[0])
    premises = rk.read_premises(FACTORY / "premises.toml")
    expected = premises.rules().document(plan.bucket_hours)
    assert expected["bucket_hours"] == 8.0 and len(expected["bands"]) == 3
    assert rk.score(plan, premises, replications=20, seed=1).to_dict()["rules"] == expected
    assert rk.compare([plan, plan], premises, replications=20, seed=1).to_dict()["rules"] == expected
    history = rk.read_history(VERSIONS)
    actuals = rk.read_actuals(FACTORY / "actuals.csv", history)
    assert rk.measure(history, actuals, premises).to_dict()["rules"] == expected
    back = rk.backtest([plan], actuals, [premises], replications=20).to_dict()
    assert back["rules"] == expected and back["plans"][0]["rules"] == expected


def test_service_measure_takes_the_premises_rules():
    versions = [Path(v) for v in VERSIONS]
    actuals = rk.read_actuals(FACTORY / "actuals.csv", rk.read_history(versions)).model_dump(
        mode="json", exclude_none=True)
    request = {"plans": [json.loads(v.read_text()) for v in versions], "actuals": actuals,
               "premises_toml": (FACTORY / "premises.toml").read_text()}
    res = CliRunner().invoke(main, ["call", "measure"], input=json.dumps(request))
    assert res.exit_code == 0, res.output
    served = json.loads(res.stdout)
    assert served["operations"] == _measure("--premises", str(FACTORY / "premises.toml"))["operations"]
    assert served["rules"]["quantity_tolerance"] == 0.98
