"""Every replication ends (issue 15): the bound on events of riskengine.simulation.watchdog in
both engines, and the stop flag that ends a run inside a long replication.

Anything that could loop forever runs in a child process under a time bound (tests/bounded.py).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from bounded import riskengine, run_bounded
from builders import op, plan_dict

import riskengine as rk
from riskengine.model.premises import parse_premises
from riskengine.simulation.accumulate import Accumulators, run_reference
from riskengine.simulation.compile import compile_model
from riskengine.simulation.reference import simulate
from riskengine.simulation.runner import kernel_replication, run_kernel
from riskengine.simulation.watchdog import StopFlag, Stopped, event_bound

ROOT = Path(__file__).resolve().parent.parent
FACTORY = ROOT / "scenarios" / "example-factory"
TESTS = Path(__file__).resolve().parent


def long_plan(work_hours: float) -> tuple:
    """One operation of ``work_hours`` on a machine failing every 0.01 h of work on average (the
    validated floor), repaired in 3.6 s: a single replication of about 2 x 10^7 steps per 10^5 h
    (seconds), far below its bound."""
    plan = rk.parse_plan(plan_dict([op("A", "P", 10, 0.0, work_hours)], horizon_hours=work_hours,
                                   bucket_hours=work_hours / 4))
    premises = parse_premises({"format": "riskengine.premises/1", "defaults": {"breakdowns": {
        "mtbf_hours": 0.01, "mttr_hours": {"dist": "fixed", "value": 0.001}}}})
    return plan, premises


def test_event_bound_by_hand():
    """B = 2^20 + (n + 1) R + sum_r (I_r + T_w / s_r + 2 T_w / 0.01) with T_w = 64 (max(horizon,
    last planned end) + 8 weeks): two operations ending at 12 h on one always-working machine
    with breakdowns, a 16-h horizon of 8-h buckets (the absenteeism shifts default to them)."""
    plan = rk.parse_plan(plan_dict([op("A", "P", 10, 0.0, 5.0), op("B", "P", 10, 5.0, 12.0)],
                                   horizon_hours=16, bucket_hours=8))
    premises = parse_premises({"format": "riskengine.premises/1", "defaults": {"breakdowns": {
        "mtbf_hours": 30, "mttr_hours": 1}}})
    c = compile_model(plan, premises)
    busy = 64 * (16 + 8 * 7 * 24)
    assert event_bound(c) == 2**20 + 3 * 1 + (1 + busy / 8 + 2 * busy / 0.01)
    without = compile_model(plan, parse_premises({"format": "riskengine.premises/1"}))
    assert event_bound(without) == 2**20 + 3 + 1 + busy / 8


SCENARIOS = [(FACTORY / f"plan-v{k}.json", FACTORY / p) for k in (1, 2, 3)
             for p in ("premises.toml", "premises-uncertain.toml")]
JOBSHOP = ROOT / "scenarios" / "jobshop"
SCENARIOS += [(JOBSHOP / f"{name}.json", JOBSHOP / "premises.toml")
              for name in ("ft06-cpsat", "ft10-cpsat", "ft10-spt-non-delay")]
SCENARIOS += [(ROOT / "scenarios" / "calibration-weeks" / "plans" / "week-01.json",
               ROOT / "scenarios" / "calibration-weeks" / "premises-true.toml")]


@pytest.mark.parametrize(("plan", "premises"), SCENARIOS, ids=lambda p: p.parent.name + "/" + p.name)
def test_bundled_scenarios_stay_far_below_the_bound(plan, premises):
    """The most events of 200 replications of every bundled scenario, with the kernel (and the
    first 3 with the reference, which counts the same events): at most a thousandth of the bound."""
    c = compile_model(rk.read_plan(plan), rk.read_premises(premises))
    bound = event_bound(c)
    events = [kernel_replication(c, 5, rep).events for rep in range(200)]
    assert max(events) < bound / 1000, (max(events), bound)
    for rep in range(3):
        assert simulate(c, 5, rep).events == events[rep]  # the engines count the same steps


CHILD = """
import sys
import numpy as np
import riskengine as rk
import riskengine.analysis.score as score_module
from riskengine.simulation.watchdog import ReplicationOverrun

compile_model = score_module.compile_with_plugins

def broken(plan, premises):  # past validation: the older oven's time between failures is 0 h
    c = compile_model(plan, premises)
    r = [k for k, res in enumerate(rk.read_plan(sys.argv[1]).resources) if res.id == "P1"][0]
    c.dist[c.res_tbf_row[r]] = [0, 0.0, 0.0, 0.0, 0.0]  # Sampler.FIXED, value 0
    return c

score_module.compile_with_plugins = broken
try:
    score_module.score(rk.read_plan(sys.argv[1]), rk.read_premises(sys.argv[2]), replications=3, seed=7,
                       engine=sys.argv[3])
except ReplicationOverrun as exc:
    print("overrun:", exc)
"""


@pytest.mark.parametrize("engine", ["kernel", "reference"])
def test_a_machine_failing_at_zero_work_is_an_internal_error_not_a_hang(engine):
    """A time between failures of 0 h (refused by validation, forced here in the compiled model)
    made the breakdown loop run forever without processing anything. Now the replication ends
    at its bound and the error names the plan, the seed and the replication."""
    done = run_bounded([sys.executable, "-c", CHILD, str(FACTORY / "plan-v1.json"),
                        str(FACTORY / "premises.toml"), engine], timeout=240, cwd=TESTS)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "overrun: plan 'wk47-v1', seed 7, replication 0: more than" in done.stdout, done.stdout


def test_near_certain_absence_is_an_internal_error_naming_plan_and_seed(tmp_path):
    """A crew absent with probability 1 - 10^-12 (effect stop) on a machine that always works
    passes validation; its first start would step through about 10^12 absent shifts (hours of
    computing; with a calendar the steps end where the calendar runs out). The CLI stops it at
    the bound: exit 1 with one line naming the plan, the seed and the replication, no traceback."""
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(plan_dict([op("A", "P", 10, 0.0, 4.0), op("B", "P", 10, 4.0, 8.0)],
                                         id="always-absent")), encoding="utf-8")
    premises = tmp_path / "premises.json"
    premises.write_text(json.dumps({"format": "riskengine.premises/1", "defaults": {
        "absenteeism": {"probability": 0.999999999999, "effect": "stop"}}}), encoding="utf-8")
    done = riskengine("score", plan, "--premises", premises, "--replications", 4, "--seed", 3, "--quiet",
                      timeout=240)
    assert done.returncode == 1, done.stderr
    assert "plan 'always-absent', seed 3, replication 0: more than" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr


@pytest.mark.parametrize("engine", ["kernel", "reference"])
def test_a_stop_ends_a_long_replication(engine):
    """One replication of 10^6 h of work with a failure every 0.01 h (10^8 events) takes
    seconds; a stop set 0.3 s after the start ends the run within a second (the kernel looks
    at the flag every 2^16 events), less than half the time the whole replication takes on the
    same machine a moment later (a ratio, so a fast or a loaded machine does not change it)."""
    plan, premises = long_plan(1e6)
    c = compile_model(plan, premises)
    run = run_kernel if engine == "kernel" else run_reference
    short = compile_model(*long_plan(10.0))  # compiled before the clock starts
    run_kernel(short, 0, 0, 1, Accumulators(short, 1))
    stop = StopFlag()
    threading.Timer(0.3, stop.set).start()
    t = time.perf_counter()
    with pytest.raises(Stopped):
        run(c, 0, 0, 1, Accumulators(c, 1), stop=stop)
    stopped = time.perf_counter() - t
    t = time.perf_counter()
    result = kernel_replication(c, 0, 0)  # unstopped, it ends normally
    whole = time.perf_counter() - t
    assert np.isfinite(result.end[0]) and result.events > 1000 * 2**16
    assert stopped < 1.3 and stopped < whole / 2, (stopped, whole)
    assert result.events < event_bound(c) / 100


def test_stop_before_the_run_stops_at_once():
    """A flag set before the run: no replication is simulated."""
    c = compile_model(*long_plan(3e5))
    stop = StopFlag()
    stop.set()
    t = time.perf_counter()
    with pytest.raises(Stopped):
        run_kernel(c, 0, 0, 4, Accumulators(c, 4), stop=stop)
    assert time.perf_counter() - t < 1.0


def test_score_of_a_long_replication_runs_to_its_end(tmp_path):
    """The same long plan through the CLI, unstopped: a valid result (the bound is far away)."""
    plan, premises = long_plan(2e4)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan.model_dump(mode="json", by_alias=True)), encoding="utf-8")
    prem = tmp_path / "premises.json"
    prem.write_text(json.dumps(premises.model_dump(mode="json", by_alias=True)), encoding="utf-8")
    out = tmp_path / "r.json"
    done = riskengine("score", path, "--premises", prem, "--replications", 2, "--quiet", "--json", out)
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text())["replications"] == 2
