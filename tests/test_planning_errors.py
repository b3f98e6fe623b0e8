"""Planning errors executed (issue 16): whatever the plan says, execution meets the setup matrix,
one operation at a time per resource, the calendar and the materials' arrival, and the delay
beyond the plan's promise is charged to ``planning``; both engines alike.

Every case is deterministic (no disruption, or a fixed one), so the closed forms are exact:
P(HIT) is 0 or 1.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import op, plan_dict
from click.testing import CliRunner
from test_kernel_equivalence import assert_same

import riskengine as rk
from riskengine.cli import main
from riskengine.model.premises import parse_premises
from riskengine.simulation.compile import compile_model

ENGINES = ("kernel", "reference")
NOTHING = {"format": "riskengine.premises/1"}


def scored(doc: dict, premises: dict = NOTHING, engine: str = "kernel"):
    plan, model = rk.parse_plan(doc), parse_premises(premises)
    assert_same(compile_model(plan, model), 3, range(4))  # kernel == reference per replication
    return rk.score(plan, model, replications=20, seed=3, engine=engine)


def outcome(result, op_id: str) -> tuple[float, str | None]:
    o = next(o for o in result.operations if o["id"] == op_id)
    return o["hit"]["mean"], o["main_cause"]


def missing_setup_plan(slack: float) -> dict:
    """A (F1) then B (F2) on L1; the matrix asks 1 h to change F1 -> F2, the plan gives B none;
    B ends ``slack`` hours before its 8-hour bucket ends."""
    end = 8.0 - slack
    doc = plan_dict([op("A", "P", 10, 0.0, 3.0, family="F1"),
                     op("B", "P", 10, 3.0, end, family="F2")])
    doc["setup_matrix"] = {"F1": {"F2": 1.0}}
    return doc


@pytest.mark.parametrize("engine", ENGINES)
def test_a_missing_setup_is_executed_and_charged_to_planning(engine):
    """The closed form of issue 16: a fixed 1 h missing setup with 0.5 h of slack in the bucket
    ends 0.5 h late: P(HIT) = 0, cause planning; with 1.5 h of slack it is absorbed: P(HIT) = 1."""
    assert [f.kind for f in rk.check(rk.parse_plan(missing_setup_plan(0.5))).errors] == ["setup"]
    tight = scored(missing_setup_plan(0.5), engine=engine)
    assert outcome(tight, "B") == (0.0, "planning") and outcome(tight, "A") == (1.0, None)
    assert tight.finish["mean"] == 8.5
    loose = scored(missing_setup_plan(1.5), engine=engine)
    assert outcome(loose, "B") == (1.0, None) and loose.finish["mean"] == 7.5


def test_the_matrix_setup_counts_from_the_family_actually_run_before():
    """The plan runs A, B (F1) then C (F2) and needs no setup; an operator who always takes the
    easiest of the next three runs B (1 h), C (1 h), then A, and makes the changeover F2 -> F1
    (3 h) the plan never had: A runs 2-7 h. That setup comes from executing another sequence,
    so it is never the plan's error (no cause planning)."""
    doc = plan_dict([op("A", "P", 10, 0.0, 2.0, family="F1"), op("B", "Q", 10, 2.0, 3.0, family="F1"),
                     op("C", "R", 10, 3.0, 4.0, family="F2")], bucket_hours=8, horizon_hours=8)
    doc["setup_matrix"] = {"F2": {"F1": 3.0}}
    assert rk.check(rk.parse_plan(doc)).ok
    assert scored(doc).finish["mean"] == 4.0
    deviate = {**NOTHING, "operator": {"deviation": {"probability": 1.0, "window": 3,
                                                     "rule": "easiest_first"}}}
    result = scored(doc, deviate)
    assert result.finish["mean"] == 7.0
    assert outcome(result, "A") == (0.0, "operational")  # out of sequence, and 5 h late by setup
    assert "planning" not in {c["cause"] for c in result.causes}


@pytest.mark.parametrize("engine", ENGINES)
def test_overlapping_operations_run_one_after_the_other(engine):
    """C2 is planned to start 1 h before C1 ends on the same line: it waits, ends 1 h after its
    planned end, 0.5 h past its bucket: a MISS, cause planning."""
    doc = plan_dict([op("C1", "P", 10, 0.0, 4.0), op("C2", "P", 10, 3.0, 7.5)])
    assert [f.kind for f in rk.check(rk.parse_plan(doc)).errors] == ["conflict", "capacity"]
    result = scored(doc, engine=engine)
    assert outcome(result, "C2") == (0.0, "planning") and result.finish["mean"] == 8.5


@pytest.mark.parametrize("engine", ENGINES)
def test_an_operation_planned_before_its_material_waits_for_it(engine):
    """W1 starts at 0, its lot is due at 2: it runs 2-7 and misses its 6-hour bucket (planning);
    when the lot is also 3 h late, the larger part is the supplier's (material)."""
    doc = plan_dict([op("W1", "P", 10, 0.0, 5.0, materials=["M2"])], bucket_hours=6, horizon_hours=12)
    doc["materials"] = [{"id": "M2", "available_at": 2.0}]
    assert [f.kind for f in rk.check(rk.parse_plan(doc)).errors] == ["material"]
    result = scored(doc, engine=engine)
    assert outcome(result, "W1") == (0.0, "planning") and result.finish["mean"] == 7.0
    late = {**NOTHING, "materials": {"M2": {"late": {"probability": 1.0,
                                                     "delay_hours": {"dist": "fixed", "value": 3}}}}}
    result = scored(doc, late, engine)
    assert outcome(result, "W1") == (0.0, "material") and result.finish["mean"] == 10.0


@pytest.mark.parametrize("engine", ENGINES)
def test_an_operation_planned_in_non_working_time_starts_when_work_does(engine):
    """N1 is planned 14:00-16:00 on a line that works 06:00-14:00: it runs the next morning,
    06:00-08:00 (24 h after the horizon start), late by 16 h: planning."""
    doc = plan_dict([op("N1", "P", 10, 8.0, 10.0)], horizon_hours=48)
    doc["calendars"] = {"default": {"shifts": [{"start": "06:00", "end": "14:00"}]}}
    assert [f.kind for f in rk.check(rk.parse_plan(doc)).errors] == ["calendar", "capacity"]
    result = scored(doc, engine=engine)
    assert outcome(result, "N1") == (0.0, "planning") and result.finish["mean"] == 26.0


BROKEN = Path(__file__).resolve().parent.parent / "scenarios" / "broken-plan" / "plan.json"


def test_score_reports_the_check_without_refusing(tmp_path):
    """score runs check first: its errors in the JSON (plan_check: counts by kind, the first
    findings), the terminal summary and the HTML report; the score itself is made (exit 0)."""
    nothing = tmp_path / "nothing.toml"
    nothing.write_text('format = "riskengine.premises/1"\n')
    out, report = tmp_path / "score.json", tmp_path / "score.html"
    res = CliRunner().invoke(main, ["score", str(BROKEN), "--premises", str(nothing), "--replications", "20",
                                    "--json", str(out), "--report", str(report)])
    assert res.exit_code == 0, res.output
    checked = rk.check(rk.read_plan(BROKEN))
    doc = json.loads(out.read_text())
    assert doc["plan_check"] == checked.brief()
    assert doc["plan_check"]["errors"] == len(checked.errors) == 9
    assert doc["plan_check"]["by_kind"] == {"conflict": 1, "routing": 1, "order": 1, "calendar": 3,
                                            "setup": 1, "capacity": 1, "material": 1}
    assert [f["kind"] for f in doc["plan_check"]["findings"]] == [f.kind for f in checked.errors[:5]]
    assert "This plan has 9 errors (1 conflict, 1 routing" in " ".join(res.output.split())
    assert "This plan has 9 errors" in report.read_text()
    feasible = rk.score(rk.read_plan(BROKEN.parent.parent / "example-factory" / "plan-v1.json"),
                        rk.read_premises(BROKEN.parent.parent / "example-factory" / "premises.toml"),
                        replications=5)
    assert feasible.plan_check == {"verdict": "feasible", "errors": 0, "warnings": 0, "by_kind": {},
                                   "findings": []}
    assert "This plan has" not in str(feasible)


def test_the_infeasible_plan_no_longer_scores_better_than_its_repair(tmp_path):
    """Issue 16.6: the broken plan against its check --repair'ed version, under common random
    numbers, with no disruption and with the starter premises: the repaired plan has the higher
    expected BTS and the broken one cannot hold."""
    fixed = tmp_path / "fixed.json"
    assert CliRunner().invoke(main, ["check", str(BROKEN), "--repair", str(fixed)]).exit_code == 3
    starter = tmp_path / "starter.toml"
    assert CliRunner().invoke(main, ["init", str(BROKEN), "--out", str(starter)]).exit_code == 0
    nothing = tmp_path / "nothing.toml"
    nothing.write_text('format = "riskengine.premises/1"\n')
    for premises in (nothing, starter):
        model = rk.read_premises(premises)
        broken = rk.score(rk.read_plan(BROKEN), model, replications=200, seed=1)
        repaired = rk.score(rk.read_plan(fixed), model, replications=200, seed=1)
        assert broken.plan_holds["mean"] == 0.0 and broken.plan_check["errors"] == 9
        assert broken.adherence["bts"]["high"] < repaired.adherence["bts"]["low"], premises.name
