"""Job-shop instances to plans (issue 9): dispatching rules, CP-SAT, the plan mapping.

Oracles: schedules worked by hand on a 2 x 2 instance; the benchmark optimum of
ft06 (55) and ft10 (930); with zero variability every generated plan is executed
exactly as planned (plan holds with probability 1, finish = planned makespan).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from riskengine.analysis.score import score
from riskengine.cli import main
from riskengine.errors import InputError
from riskengine.feasibility import check
from riskengine.jobshop import RULES, dispatch, load_instance, schedule_plan
from riskengine.jobshop.instance import Instance, Schedule, left_shift, parse_instance
from riskengine.jobshop.plans import planned_makespan_hours
from riskengine.jobshop.solver import available
from riskengine.model.plan import parse_plan
from riskengine.model.premises import parse_premises

ROOT = Path(__file__).resolve().parent.parent
JOBSHOP = ROOT / "scenarios" / "jobshop"
NONE = parse_premises({"format": "riskengine.premises/1"})
TWO_SHIFTS = {"shifts": [{"days": ["mon-fri"], "start": "06:00", "end": "22:00"}],
              "breaks": [{"start": "12:00", "end": "12:30"}]}


def tiny() -> Instance:
    """J0: M0 for 3, then M1 for 2.  J1: M1 for 4, then M0 for 1."""
    return parse_instance("tiny", {"duration_matrix": [[3, 2], [4, 1]], "machines_matrix": [[0, 1], [1, 0]]})


@pytest.mark.parametrize(("rule", "generator", "starts", "makespan"), [
    # non-delay, t* = 0: both first operations can start; SPT takes J0 (3 < 4), then J1 at 0 on M1;
    # t* = 4: J1's second (1) beats J0's second (2) -> J1 at 4 on M0, J0 at 4 on M1: makespan 6
    ("spt", "non-delay", [[0, 4], [0, 4]], 6),
    # active: C* = 3 on M0 -> J0 at 0; C* = 4 on M1, conflict {J0 (est 3), J1 (est 0)}: SPT takes
    # J0's 2 at 3 -> 5; J1 then runs 5 -> 9 on M1 and 9 -> 10 on M0
    ("spt", "active", [[0, 3], [5, 9]], 10),
    # active, MWKR: in the M1 conflict J1 has 5 left, J0 has 2 -> J1 at 0; J0 at 4, J1 at 4 on M0
    ("mwkr", "active", [[0, 4], [0, 4]], 6),
])
def test_dispatch_by_hand(rule, generator, starts, makespan):
    s = dispatch(tiny(), rule, generator)
    assert s.starts.tolist() == starts
    assert s.makespan == makespan
    assert s.problems() == []


@pytest.mark.parametrize("name", ["ft06", "ft10", "la01"])
def test_every_rule_gives_a_feasible_schedule_no_better_than_the_optimum(name):
    inst = load_instance(name)
    for rule in RULES:
        for generator in ("active", "non-delay"):
            s = dispatch(inst, rule, generator)
            assert s.problems() == [], (rule, generator)
            assert s.makespan >= inst.optimum
            assert (s.starts >= 0).all()


def test_feasibility_check_finds_overlaps():
    inst = tiny()
    bad = Schedule(inst, np.array([[0, 3], [0, 4]]), "hand")  # J0-1 and J1-0 overlap on M1
    assert any("machine 1" in p for p in bad.problems())
    bad = Schedule(inst, np.array([[0, 2], [5, 9]]), "hand")  # J0-1 before J0-0 ends
    assert any("job 0" in p for p in bad.problems())


def test_left_shift_removes_unforced_idle_time():
    inst = tiny()
    loose = Schedule(inst, np.array([[2, 7], [0, 10]]), "hand")
    tight = left_shift(loose)
    assert tight.starts.tolist() == [[0, 4], [0, 4]]
    assert tight.makespan == 6


def test_bundled_instances_and_their_optima():
    assert {n: load_instance(n).optimum for n in ("ft06", "ft10", "ft20", "la01")} == \
        {"ft06": 55, "ft10": 930, "ft20": 1165, "la01": 666}
    ft06 = load_instance("ft06")
    assert ft06.durations.shape == (6, 6) and ft06.n_machines == 6
    assert (ROOT / "riskengine" / "data" / "jobshop" / "LICENSE").read_text().startswith("MIT License")


def test_bad_instances_name_the_field(tmp_path):
    with pytest.raises(InputError) as e:
        parse_instance("x", {"duration_matrix": [[1, -2]], "machines_matrix": [[0, 1]]})
    assert str(e.value.problems[0]) == "x.duration_matrix[0][1]: must be > 0, got -2"
    with pytest.raises(InputError) as e:
        parse_instance("x", {"duration_matrix": [[1, 2]], "machines_matrix": [[0, 1, 2]]})
    assert e.value.problems[0].location == "x.machines_matrix"
    with pytest.raises(InputError) as e:
        load_instance("nope")
    assert "unknown instance 'nope'" in str(e.value)


def _executed_as_planned(doc: dict, makespan_hours: float) -> None:
    plan = parse_plan(doc)
    assert check(plan).ok, [str(f) for f in check(plan).findings]
    assert planned_makespan_hours(doc) == pytest.approx(makespan_hours, abs=1e-9)
    result = score(plan, NONE, replications=3, seed=1)
    assert result.plan_holds["mean"] == 1.0
    assert result.finish["mean"] == pytest.approx(makespan_hours, abs=1e-9)
    assert result.finish["sd"] == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("rule", ["spt", "mwkr", "fifo"])
@pytest.mark.parametrize("generator", ["active", "non-delay"])
def test_dispatched_plans_execute_exactly_as_planned(rule, generator):
    s = dispatch(load_instance("ft06"), rule, generator)
    _executed_as_planned(schedule_plan(s), s.makespan)
    _executed_as_planned(schedule_plan(s, unit_hours=1 / 60), s.makespan / 60)


def test_plan_on_a_calendar_executes_as_planned():
    s = dispatch(load_instance("ft06"), "mwkr", "non-delay")
    doc = schedule_plan(s, calendar=TWO_SHIFTS)
    # 61 h of work from Monday 00:00: 15.5 h a day Mon-Thu is 62 h, so Thursday ends 0.5 h early:
    # 3 x 15.5 = 46.5 h by Wednesday 22:00, 14.5 h more on Thursday from 06:00 (with the 0.5 h break)
    # ends at 21:00 on Thursday = 3 x 24 + 21 = 93 h
    _executed_as_planned(doc, 93.0)
    assert all(o["work_hours"] > 0 for o in doc["operations"])


def test_shipped_makespan_optimal_plans():
    for name, optimum in (("ft06", 55), ("ft10", 930)):
        doc = json.loads((JOBSHOP / f"{name}-cpsat.json").read_text())
        _executed_as_planned(doc, optimum)
        ops = doc["operations"]
        assert len(ops) == (36 if name == "ft06" else 100)
    for path in JOBSHOP.glob("*-non-delay.json"):
        doc = json.loads(path.read_text())
        plan = parse_plan(doc)
        assert check(plan).ok


@pytest.mark.skipif(not available(), reason="OR-Tools not installed (extra jobshop)")
def test_cpsat_ft06_is_optimal_and_executes_in_55():
    from riskengine.jobshop.solver import solve

    s = solve(load_instance("ft06"), time_limit=30, workers=1)
    assert s.optimal and s.makespan == 55 and s.info["bound"] == 55
    _executed_as_planned(schedule_plan(s), 55.0)


def test_jobshop_command(tmp_path):
    out = tmp_path / "ft06.json"
    r = CliRunner().invoke(main, ["jobshop", "ft06", "--rule", "mwkr", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "makespan 61 time units (best known 55)" in r.output
    assert CliRunner().invoke(main, ["check", str(out), "--quiet"]).exit_code == 0
    r = CliRunner().invoke(main, ["jobshop", "ft99", "--out", str(tmp_path / "x.json")])
    assert r.exit_code == 2 and "unknown instance 'ft99'" in r.output
    assert not (tmp_path / "x.json").exists()
    bad = tmp_path / "cal.json"
    bad.write_text(json.dumps({"shifts": [{"start": "25:00", "end": "06:00"}]}))
    r = CliRunner().invoke(main, ["jobshop", "ft06", "--calendar", str(bad),
                                  "--out", str(tmp_path / "y.json")])
    assert r.exit_code == 2 and "calendars.default.shifts[0].start" in r.output
