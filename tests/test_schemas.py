"""Every format is published as JSON Schema, and real documents validate against it."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from riskengine.cli import main
from riskengine.io.readers import read_json
from riskengine.io.schema import SCHEMAS, schema

FACTORY = Path(__file__).resolve().parent.parent / "scenarios" / "example-factory"


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_schema_is_valid_json_schema(name):
    doc = schema(name)
    jsonschema.Draft202012Validator.check_schema(doc)
    assert doc["title"] == f"riskengine.{name}/1"


def test_example_plans_validate_against_the_plan_schema():
    for k in (1, 2, 3):
        jsonschema.validate(read_json(FACTORY / f"plan-v{k}.json"), schema("plan"))


def test_a_wrong_plan_fails_the_schema():
    doc = read_json(FACTORY / "plan-v1.json")
    doc["operations"][0]["quantity"] = -1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, schema("plan"))


def test_results_validate_against_their_schemas(tmp_path):
    runner = CliRunner()
    plans = [arg for k in (1, 2, 3) for arg in ("--plan", str(FACTORY / f"plan-v{k}.json"))]
    measured = runner.invoke(main, ["measure", *plans, "--actuals", str(FACTORY / "actuals.csv"),
                                    "--json", "-"])
    assert measured.exit_code == 0, measured.output
    jsonschema.validate(json.loads(measured.stdout), schema("measurement"))  # warnings on stderr
    scored = runner.invoke(main, ["score", str(FACTORY / "plan-v1.json"), "--premises",
                                  str(FACTORY / "premises.toml"), "--replications", "50", "--json", "-"])
    assert scored.exit_code == 0, scored.output
    doc = json.loads(scored.output)
    jsonschema.validate(doc, schema("score"))
    assert doc["criticality"]["operations"] and len(doc["rigor_advice"]["factors"]) == 3
    # the new sections are checked, not just present
    for path, bad in ((("criticality", "operations", 0, "criticality", "mean"), 1.5),
                      (("criticality", "operations", 0, "cruciality", "bts"), -2.0),
                      (("rigor_advice", "factors", 0, "factor"), "speed"),
                      (("rigor_advice", "confidence"), 1.0)):
        wrong = json.loads(scored.output)
        target = wrong
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = bad
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(wrong, schema("score"))


def test_cli_prints_each_schema():
    for name in SCHEMAS:
        result = CliRunner().invoke(main, ["schema", name])
        assert result.exit_code == 0 and json.loads(result.output)["title"] == f"riskengine.{name}/1"
    assert CliRunner().invoke(main, ["schema", "nope"]).exit_code == 2
    listed = CliRunner().invoke(main, ["schema"]).output.splitlines()[1:]
    assert [line.split()[0] for line in listed] == list(SCHEMAS)
    assert set(SCHEMAS) >= {"score", "compare", "measurement", "check", "calibration", "backtest",
                            "study-table"}


def _invoke(*args: str) -> dict:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code in (0, 3), result.output
    return json.loads(result.stdout)  # stderr may hold warnings (check: a plan never validated)


def test_compare_and_check_results_validate_against_their_schemas(tmp_path):
    compared = _invoke("compare", str(FACTORY / "plan-v1.json"), str(FACTORY / "plan-v2.json"), "--premises",
                       str(FACTORY / "premises.toml"), "--replications", "20", "--json", "-")
    jsonschema.validate(compared, schema("compare"))
    assert [d["metric"] for d in compared["differences"]] == ["plan_holds", "bts", "btp", "volume", "mix",
                                                              "sequence", "finish"]
    broken = Path(__file__).resolve().parent.parent / "scenarios" / "broken-plan" / "plan.json"
    checked = _invoke("check", str(broken), "--repair", str(tmp_path / "repaired.json"), "--json", "-")
    jsonschema.validate(checked, schema("check"))
    assert checked["summary"]["verdict"] == "infeasible" and checked["repair"]["repaired"] is True
    ok = _invoke("check", str(tmp_path / "repaired.json"), "--json", "-")
    jsonschema.validate(ok, schema("check"))
    assert ok["summary"]["errors"] == 0 and ok["repair"] is None
    # a field the schema does not declare fails it: the schemas are closed
    compared["plans"][0]["surprise"] = 1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(compared, schema("compare"))


def test_study_table_rows_validate_against_their_schema(tmp_path):
    study = tmp_path / "study.toml"
    jobshop = Path(__file__).resolve().parent.parent / "scenarios" / "jobshop"
    study.write_text(f"""format = "riskengine.study/1"
name = "t"
premises = "{jobshop / 'premises.toml'}"
replications = 20
seed = 3
metrics = ["plan_holds", "bts", "finish", "holds_day_1"]
[plans]
cpsat = "{jobshop / 'ft06-cpsat.json'}"
[[parameters]]
name = "slack"
field = "slack"
values = [0.0, 0.2]
""")
    out = tmp_path / "t.csv"
    result = CliRunner().invoke(main, ["sweep", str(study), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    from riskengine.studies import read_table

    table = read_table(out)
    rows = [dict(zip(table, values, strict=True)) for values in zip(*table.values(), strict=True)]
    assert len(rows) == 2 and rows[1]["slack"] == 0.2
    for row in rows:
        jsonschema.validate(row, schema("study-table"))
    bad = dict(rows[0], bts_mean="high")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema("study-table"))


def test_the_openapi_results_are_the_result_schemas():
    """One source: the service's result components and `riskengine schema` come from the same models."""
    pytest.importorskip("fastapi")
    from riskengine.service.openapi import RESULTS, SCHEMA_OF, components

    served = components()
    for operation, name in SCHEMA_OF.items():
        ours, theirs = schema(name), served[RESULTS[operation]]
        assert theirs["title"] == ours["title"] == f"riskengine.{name}/1"
        assert theirs["required"] == ours["required"]
        assert {k: v.get("description") for k, v in theirs["properties"].items()} == \
            {k: v.get("description") for k, v in ours["properties"].items()}
