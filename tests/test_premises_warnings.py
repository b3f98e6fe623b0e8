"""Premises that name what the plan does not use (issue 14.12): a misspelt material no longer drops
its risk in silence. Each unused material, driver target and idle resource is a warning with the
closest id the plan uses, on the terminal and in the JSON result's warnings[]; an unknown resource
stays an error, and says the closest id too."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

import riskengine as re
from riskengine.cli import main
from riskengine.model.premises import parse_premises, premises_warnings

FACTORY = Path(__file__).resolve().parent.parent / "scenarios" / "example-factory"
PLAN = FACTORY / "plan-v1.json"


def premises_with(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "premises.toml"
    path.write_text((FACTORY / "premises.toml").read_text().replace("RM-COCONUT-K01", text))
    return path


def test_a_misspelt_material_is_named_with_the_closest_one(tmp_path):
    premises = premises_with(tmp_path, "RM-COCONUT-K10")  # a typo of RM-COCONUT-K01
    result = CliRunner().invoke(main, ["score", str(PLAN), "--premises", str(premises),
                                       "--replications", "20", "--json", str(tmp_path / "r.json")])
    assert result.exit_code == 0, result.output
    expected = ("materials.RM-COCONUT-K10: plan wk47-v1 uses no material 'RM-COCONUT-K10'; its risks do not "
                "apply (did you mean 'RM-COCONUT-K01'?)")
    assert json.loads((tmp_path / "r.json").read_text())["warnings"] == [expected]
    assert expected in " ".join(result.output.split())  # the terminal summary, wrapped
    quiet = CliRunner().invoke(main, ["score", str(PLAN), "--premises", str(premises),
                                      "--replications", "20", "--json", "-"])
    assert f"warning: {expected}" in quiet.stderr and json.loads(quiet.stdout)["warnings"] == [expected]


def test_driver_targets_and_idle_resources_are_named():
    plan = re.read_plan(PLAN)
    doc = {"format": "riskengine.premises/1",
           "resources": {"P1": {}, "P3": {}},
           "drivers": {"supplier": {"materials": ["RM-COCONUT-K01", "RM-COCONUT-K1", "ZZZ"],
                                    "probability": 0.1, "delay_hours": 5}}}
    plan_doc = json.loads(PLAN.read_text())
    plan_doc["resources"].append({"id": "P3"})  # declared, but no operation runs on it
    idle = re.parse_plan(plan_doc)
    assert premises_warnings(parse_premises(doc), idle) == [
        "drivers.supplier.materials[1]: plan wk47-v1 uses no material 'RM-COCONUT-K1' (did you mean "
        "'RM-COCONUT-K01'?)",
        "drivers.supplier.materials[2]: plan wk47-v1 uses no material 'ZZZ'",
        "resources.P3: plan wk47-v1 has no operation on 'P3'; its risks do not apply"]
    assert premises_warnings(parse_premises({"format": "riskengine.premises/1"}), plan) == []


def test_an_unknown_resource_stays_an_error_with_the_closest_id(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('format = "riskengine.premises/1"\n[resources.P01]\nscrap_rate = 0.1\n')
    result = CliRunner().invoke(main, ["score", str(PLAN), "--premises", str(path), "--replications", "5"])
    assert result.exit_code == 2
    assert "resources.P01: unknown resource 'P01' (not in plan wk47-v1) (did you mean 'P1'?)" in result.output
