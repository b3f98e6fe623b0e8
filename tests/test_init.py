"""``riskengine init PLAN``: starter premises a new user edits instead of writing them from the schema
(issue 14.15). On every bundled plan the file has every section, a comment on every key, and
``score`` accepts it as it is."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from riskengine.cli import main
from riskengine.io.readers import read_plan
from riskengine.model.premises import Premises, plan_materials

ROOT = Path(__file__).resolve().parent.parent
PLANS = sorted([*ROOT.glob("scenarios/*/plan*.json"), *ROOT.glob("scenarios/calibration-weeks/plans/*.json"),
                *ROOT.glob("scenarios/jobshop/*.json")])


def test_the_bundled_plans_are_found():
    assert len(PLANS) >= 3 + 1 + 8 + 6


def uncommented_keys(text: str) -> list[str]:
    """``key = value`` lines with neither a comment at their end nor a comment line above."""
    lines = text.splitlines()
    bad = []
    for k, line in enumerate(lines):
        if "=" in line and not line.startswith(("#", "[")):
            if "#" not in line.split("=", 1)[1] and not (k and lines[k - 1].startswith("#")):
                bad.append(line)
    return bad


@pytest.mark.parametrize("plan", PLANS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_init_writes_commented_premises_that_score_accepts(plan, tmp_path):
    out = tmp_path / "premises.toml"
    runner = CliRunner()
    made = runner.invoke(main, ["init", str(plan), "--out", str(out)])
    assert made.exit_code == 0, made.output
    text = out.read_text()
    doc = tomllib.loads(text)
    # every section present, one per resource and per material the plan uses
    assert set(doc) == set(Premises.model_fields)
    loaded = read_plan(plan)
    assert set(doc["resources"]) == {r.id for r in loaded.resources}
    assert set(doc["materials"]) == plan_materials(loaded)
    assert doc["execution"]["quantity_tolerance"] == 0.98 and doc["defaults"]["scrap_rate"] == 0.01
    assert uncommented_keys(text) == []
    scored = runner.invoke(main, ["score", str(plan), "--premises", str(out), "--replications", "20",
                                  "--json", "-"])
    assert scored.exit_code == 0, scored.output
    result = json.loads(scored.stdout)
    result["warnings"] = [w for w in result["warnings"] if not w.startswith("order ")]  # planned late
    busy = {op.resource for op in loaded.operations}
    assert result["warnings"] == [f"resources.{r.id}: plan {loaded.id} has no operation on {r.id!r}; its "
                                  "risks do not apply" for r in loaded.resources if r.id not in busy]


def test_every_key_comment_is_its_field_description():
    from riskengine.model.describe import field_description
    from riskengine.model.premises import Breakdowns

    text = CliRunner().invoke(main, ["init", str(PLANS[0]), "--out", "-"]).output
    lines = text.splitlines()
    k = lines.index("mtbf_hours = 80.0")
    above = []
    while lines[k - 1].startswith("# "):
        k -= 1
        above.insert(0, lines[k][2:])
    assert " ".join(above) == field_description(Breakdowns, "mtbf_hours")
    assert "busy (processing) hours" in " ".join(above)


def test_init_refuses_to_overwrite_and_names_the_option(tmp_path):
    out = tmp_path / "p.toml"
    out.write_text("mine")
    result = CliRunner().invoke(main, ["init", str(PLANS[0]), "--out", str(out)])
    assert result.exit_code == 2 and "--out" in result.output and out.read_text() == "mine"
    assert CliRunner().invoke(main, ["init", str(PLANS[0]), "--out", str(out), "--force"]).exit_code == 0
    assert uncommented_keys("a = 1\n# x\nb = 2\nc = 3  # y\n[t]\n") == ["a = 1"]
