"""JSON on stdin and stdout for APS tools that spawn a process (issue 8).

``riskengine score - --premises F --json -`` reads the plan from stdin; ``--premises -`` and
``--plan -`` read those documents instead; ``riskengine call OPERATION`` takes the body of
``POST /v1/OPERATION`` on stdin. The outputs equal those of the same run from files, exactly.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from click.testing import CliRunner

from riskengine.cli import main

ROOT = Path(__file__).resolve().parent.parent
FACTORY = ROOT / "scenarios" / "example-factory"
PLAN = FACTORY / "plan-v1.json"
TOML = FACTORY / "premises.toml"


def invoke(args: list[str], stdin: str | None = None):
    return CliRunner().invoke(main, args, input=stdin)


def from_files(*extra: str) -> dict:
    r = invoke(["score", str(PLAN), "--premises", str(TOML), "--replications", "150", "--seed", "4",
                "--json", "-", *extra])
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def test_plan_on_stdin_equals_plan_from_file():
    r = invoke(["score", "-", "--premises", str(TOML), "--replications", "150", "--seed", "4", "--json", "-"],
               PLAN.read_text())
    assert r.exit_code == 0, r.output
    assert json.loads(r.output) == from_files()


def test_premises_on_stdin(tmp_path):
    premises = json.dumps(tomllib.loads(TOML.read_text()))
    r = invoke(["score", str(PLAN), "--premises", "-", "--replications", "150", "--seed", "4", "--json", "-"],
               premises)
    assert r.exit_code == 0, r.output
    assert json.loads(r.output) == from_files()


def test_only_one_input_can_be_stdin():
    r = invoke(["score", "-", "--premises", "-", "--json", "-"], PLAN.read_text())
    assert r.exit_code == 2
    assert "standard input was read already: only one input can be '-'" in r.output
    assert "Traceback" not in r.output


def test_bad_json_on_stdin_names_stdin_and_position():
    r = invoke(["check", "-"], '{"format": "riskengine.plan/1",\n "id": }')
    assert r.exit_code == 2
    assert "invalid input in stdin" in r.output and "line 2 column 8: not valid JSON" in r.output


def test_measure_plan_from_stdin():
    v1, v2, v3 = (str(FACTORY / f"plan-v{k}.json") for k in (1, 2, 3))
    rest = ["--actuals", str(FACTORY / "actuals.csv"), "--json", "-"]
    from_file = invoke(["measure", "--plan", v1, "--plan", v2, "--plan", v3, *rest])
    piped = invoke(["measure", "--plan", v1, "--plan", v2, "--plan", "-", *rest], Path(v3).read_text())
    assert from_file.exit_code == 0 and piped.exit_code == 0, piped.output
    assert json.loads(piped.stdout) == json.loads(from_file.stdout)


def request(**options) -> str:
    body = {"plan": json.loads(PLAN.read_text()), "premises": tomllib.loads(TOML.read_text()), **options}
    return json.dumps(body)


def test_call_score_equals_score_from_files():
    r = invoke(["call", "score"], request(replications=150, seed=4))
    assert r.exit_code == 0, r.output
    assert json.loads(r.output) == from_files()


def test_call_writes_a_file_and_check_exits_3_on_errors(tmp_path):
    broken = json.loads((ROOT / "scenarios" / "broken-plan" / "plan.json").read_text())
    out = tmp_path / "check.json"
    r = invoke(["call", "check", "--json", str(out)], json.dumps({"plan": broken}))
    assert r.exit_code == 3
    assert json.loads(out.read_text())["summary"]["verdict"] == "infeasible"


def test_call_invalid_request_exits_2_with_every_problem():
    body = json.loads(request(replications=0))
    body["plan"]["operations"][3]["quantity"] = "many"
    r = invoke(["call", "score"], json.dumps(body))
    assert r.exit_code == 2
    assert "replications: Input should be greater than or equal to 1, got 0" in r.output
    assert "plan.operations[3].quantity: Input should be a valid number" in r.output
    r = invoke(["call", "score", "--errors-json"], json.dumps(body))
    assert r.exit_code == 2
    problems = json.loads(r.output)["problems"]  # CliRunner mixes stderr into output
    assert [p["location"] for p in problems] == ["replications", "plan.operations[3].quantity"]
