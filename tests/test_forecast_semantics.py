"""The forecast with the semantics of issues 15 and 16 (after merging them into issue 19): figures
streamed into sketches past the row budget, the premises' one set of rules, reliability factors
and setups executed, a stop that ends a forecast, and its memory estimated before any work.

Tolerances of the statistical tests are 4 standard errors of the estimate at a fixed seed.
"""

from __future__ import annotations

import json
import math
import sys
import threading
import time
import tomllib
from datetime import timedelta
from pathlib import Path

import numba
import pytest
from bounded import riskengine, run_bounded
from builders import op, plan_dict, run

import riskengine as rk
from riskengine.live.dates import sample_dates
from riskengine.live.state import build_state
from riskengine.model.premises import parse_premises
from riskengine.service.requests import Limits, TooLarge, validate
from riskengine.simulation import streamed
from riskengine.simulation.memory import MB
from riskengine.simulation.reference import simulate
from riskengine.simulation.runner import kernel_replication
from riskengine.simulation.watchdog import StopFlag, Stopped

ROOT = Path(__file__).resolve().parent.parent
S = "scenarios/example-factory"
K = 4.0  # standard errors
TUESDAY = "2026-11-17T10:00:00+01:00"


def premises(**sections):
    return parse_premises({"format": "riskengine.premises/1", **sections})


def actuals_of(plan, *records):
    doc = {"format": "riskengine.actuals/1", "records": list(records)}
    return rk.parse_actuals(doc, rk.PlanHistory([plan]))


# -- figures streamed into sketches (issue 15) ------------------------------------------------------

def test_streamed_forecast_at_the_horizon_start_is_the_streamed_score(monkeypatch, week):
    """Past the row budget (lowered to 0 here) the figures of both are sketches: still the same."""
    history, model, _ = week
    monkeypatch.setattr(streamed, "ROW_BYTES", 0)
    plan = history.versions[0]
    s = rk.score(plan, model, replications=300, seed=4).to_dict()
    f = rk.forecast(plan, model, plan.horizon.start, replications=300, seed=4).to_dict()
    for key in s:
        if key not in ("format", "operations"):
            assert f[key] == s[key], key
    ops = {o["id"]: o for o in f["operations"]}
    for o in s["operations"]:
        assert {k: ops[o["id"]][k] for k in o} == o


def test_realized_misses_fail_the_plan_in_streamed_figures_too(monkeypatch, week):
    """On Tuesday 10:00 a realized miss settles the plan's holding from its day on: inside every
    replication (simulation/initial.py realized_misses), so the sketches say it as the rows do."""
    history, model, actuals = week
    kept = rk.forecast(history, model, TUESDAY, actuals=actuals, replications=300, seed=6).to_dict()
    monkeypatch.setattr(streamed, "ROW_BYTES", 0)
    sketched = rk.forecast(history, model, TUESDAY, actuals=actuals, replications=300, seed=6).to_dict()
    assert kept["plan_holds"] == sketched["plan_holds"] == {"mean": 0.0, "low": 0.0, "high": 0.0}
    assert kept["holds_through_day"] == sketched["holds_through_day"]
    assert [d["mean"] for d in kept["holds_through_day"]][-1] == 0.0
    assert kept["operations"] == sketched["operations"] and kept["causes"] == sketched["causes"]
    for k in ("bts", "btp", "volume", "mix", "sequence"):  # exact sums; quantiles within a bin (2^-10)
        a, b = kept["adherence"][k], sketched["adherence"][k]
        assert math.isclose(a["mean"], b["mean"], rel_tol=1e-12), k
        assert all(abs(a[q] - b[q]) <= 2**-10 for q in ("p10", "p50", "p90")), k
    numba.set_num_threads(1)  # the sketches merge exactly: one thread gives the same bits as two
    try:
        one = rk.forecast(history, model, TUESDAY, actuals=actuals, replications=300, seed=6).to_dict()
    finally:
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    assert one == sketched


# -- the premises' rules, reliability factors, setups (issue 16) -----------------------------------

def test_the_measured_part_uses_the_premises_rules(week):
    """Other rules in the premises (no lateness tolerance, 90% of the quantity, sequence by units):
    the forecast at the horizon end is the measurement by those rules, and says them."""
    history, _, actuals = week
    with open(f"{S}/premises.toml", "rb") as f:
        doc = tomllib.load(f)
    doc["execution"] |= {"lateness_tolerance_hours": 0.0, "quantity_tolerance": 0.9,
                         "sequence_basis": "units"}
    model = parse_premises(doc)
    m = rk.measure(history, actuals, model.rules()).to_dict()
    default = rk.measure(history, actuals, rk.read_premises(f"{S}/premises.toml").rules()).to_dict()
    assert m["total"] != default["total"]  # the rules matter here
    f = rk.forecast(history, model, history.end, actuals=actuals, replications=20, seed=2).to_dict()
    assert f["rules"] == m["rules"] and f["rules"]["quantity_tolerance"] == 0.9
    for k in ("bts", "btp", "volume", "mix", "sequence"):
        assert f["adherence"][k]["mean"] == f["adherence"][k]["low"] == m["total"][k], k
    assert f["realized"]["total"] == m["total"]


def test_reliability_factors_act_on_the_operations_still_ahead():
    """Ten operations of 1 h; three done on time by T = 3 h; each of the seven ahead fails its
    machine factor with probability 0.1, held to its deadline (a MISS, cause breakdown, and the
    ones behind it late): P(plan holds) = 0.9^7 from T (a score: 0.9^10, 8 standard errors away);
    the three done are HITs, none failing a factor now."""
    plan = rk.parse_plan(plan_dict([op(f"o{k}", "A", 10, k, k + 1) for k in range(10)]))
    done = actuals_of(plan, *(run(f"o{k}", 10, k, k + 1) for k in range(3)))
    n = 4000
    f = rk.forecast(plan, premises(reliability={"machine": 0.9}), 3.0, actuals=done, replications=n, seed=8)
    p = 0.9**7
    se = math.sqrt(p * (1 - p) / n)
    assert abs(f.plan_holds["mean"] - p) <= K * se and abs(0.9**10 - p) > 8 * se
    assert [c["cause"] for c in f.causes] == ["breakdown"]
    hit = {o["id"]: o for o in f.operations}
    assert all(hit[f"o{k}"]["hit"]["mean"] == 1.0 and hit[f"o{k}"]["causes"] == {} for k in range(3))
    assert all(hit[f"o{k}"]["main_cause"] == "breakdown" for k in range(3, 10))


@pytest.mark.parametrize("bucket_hours", [4.0, 2.0])
def test_the_operation_in_progress_needs_the_matrix_changeover(bucket_hours):
    """A (F1) ran 0-2 h; B (F2, 0.5 h of planned setup, 1.5 h of work) started at 2 h and has done
    1 h at T = 3 h. The matrix asks 2 h from F1 to F2: 1 h of setup is left, then the work: B ends
    at 5.5 h exactly in both engines, past its deadline (4 h): a MISS charged to planning (the
    plan left out 1.5 h of its own changeover). With 2-h buckets A's bucket has closed and A is
    no longer in the model: the changeover still comes from what L1 ran before B."""
    doc = plan_dict([op("A", "P", 10, 0.0, 2.0, family="F1"),
                     op("B", "Q", 10, 2.0, 4.0, family="F2", setup_hours=0.5)],
                    horizon_hours=8, bucket_hours=bucket_hours)
    doc["setup_matrix"] = {"F1": {"F2": 2.0}}
    plan = rk.parse_plan(doc)
    history = rk.PlanHistory([plan])
    done = actuals_of(plan, run("A", 10, 0.0, 2.0), {"operation": "B", "quantity": 0, "start": 2.0})
    state = build_state(history, premises(), plan.horizon.start + timedelta(hours=3), done, None)
    b = state.plan.operation_index["B"]
    assert ("A" in state.plan.operation_index) == (bucket_hours == 4.0)
    for rep in range(3):
        k, r = kernel_replication(state.compiled, 1, rep), simulate(state.compiled, 1, rep)
        assert k.end[b] == r.end[b] == 5.5 and k.events == r.events
    f = rk.forecast(plan, premises(), 3.0, actuals=done, replications=5, seed=1)
    outcome = next(o for o in f.operations if o["id"] == "B")
    assert outcome["hit"]["mean"] == 0.0 and outcome["main_cause"] == "planning"


# -- a stop ends a forecast (issue 15) --------------------------------------------------------------

def long_plan():
    """One operation of 10^6 h of work on a machine failing every 0.01 h of work on average:
    a single replication of about 10^8 events (seconds)."""
    plan = rk.parse_plan(plan_dict([op("A", "P", 10, 0.0, 1e6)], horizon_hours=1e6, bucket_hours=2.5e5))
    return plan, premises(defaults={"breakdowns": {"mtbf_hours": 0.01,
                                                   "mttr_hours": {"dist": "fixed", "value": 0.001}}})


def test_a_stop_ends_a_forecast_within_its_replication():
    plan, model = long_plan()
    rk.forecast(*long_plan_short(), 0.0, replications=1)  # compiled before the clock starts
    stop = StopFlag()
    threading.Timer(0.3, stop.set).start()
    t = time.perf_counter()
    with pytest.raises(Stopped):
        rk.forecast(plan, model, 0.0, replications=1, stop=stop)
    assert time.perf_counter() - t < 1.3
    state = build_state(rk.PlanHistory([plan]), model, plan.horizon.start, None, None)
    t = time.perf_counter()
    with pytest.raises(Stopped):  # the dates' sample as well
        sample_dates(state.compiled, 0, 1, stop)
    assert time.perf_counter() - t < 1.0


def long_plan_short():
    plan = rk.parse_plan(plan_dict([op("A", "P", 10, 0.0, 10.0)], horizon_hours=10, bucket_hours=5))
    return plan, long_plan()[1]


# -- memory estimated before work (issue 15) --------------------------------------------------------

def test_the_service_counts_a_forecast_s_work_and_memory(week):
    """The largest version counts (one is simulated): figures weighted as a score's; 413 over the
    memory limit with the estimate."""
    history, _, _ = week
    plans = [json.loads(open(f"{S}/plan-v{k}.json").read()) for k in (1, 2, 3)]
    with open(f"{S}/premises.toml") as f:
        body = {"plans": plans, "premises_toml": f.read(), "as_of": TUESDAY, "replications": 1000}
    v = validate("forecast", body, Limits(), strict=True)
    score = validate("score", {"plan": plans[0], "premises_toml": body["premises_toml"],
                               "replications": 1000}, Limits(), strict=True)
    assert v.work == max(len(p["operations"]) for p in plans) * 1000 and score.work == 114 * 1000
    with pytest.raises(TooLarge) as refused:
        validate("forecast", body, Limits(max_memory_bytes=1 * MB), strict=True)
    [problem] = refused.value.problems
    assert problem.message.startswith("needs about ") and "at most about 1.0 MB" in problem.message
    with pytest.raises(TooLarge) as refused:
        validate("forecast", {**body, "replications": 10_000_000}, Limits(), strict=True)
    assert "operation-replications" in refused.value.problems[0].message


def test_command_line_refuses_a_forecast_over_its_memory_cap():
    done = riskengine("forecast", f"{S}/plan-v1.json", "--premises", f"{S}/premises.toml", "--as-of",
                      TUESDAY, "--actuals", f"{S}/actuals-tuesday.csv", "--replications", 1000,
                      "--max-memory", 1, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "--max-memory: the run needs about" in done.stderr and "the cap is about 1.0 MB" in done.stderr


def test_the_estimate_is_the_score_s_plus_the_dates(week):
    history, model, _ = week
    from riskengine.live.run import memory_needed
    from riskengine.simulation.memory import RESULT_PER_OP, estimate, shape_of

    need = memory_needed(history.versions, model, 1000)
    largest = max(estimate(shape_of(p, model), 1000) for p in history.versions)
    n = max(len(p.operations) for p in history.versions)
    ops = sum(len(p.operations) for p in history.versions)
    assert need == largest + 3 * 8 * 100 * n + RESULT_PER_OP * ops
    assert need < 64 * MB


CHILD = """
import json, sys
import numba
def peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
import riskengine as rk
from riskengine.live.run import memory_needed
S = "scenarios/example-factory"
history = rk.read_history([f"{S}/plan-v{k}.json" for k in (1, 2, 3)])
premises, actuals = rk.read_premises(f"{S}/premises.toml"), rk.read_actuals(f"{S}/actuals.csv", history)
rk.forecast(history, premises, sys.argv[1], actuals=actuals, replications=20, seed=1)  # loads the kernel
base = peak()
reps = int(float(sys.argv[2]))
f = rk.forecast(history, premises, sys.argv[1], actuals=actuals, replications=reps, seed=1).to_dict()
assert f["replications"] == reps
need = memory_needed(history.versions, premises, reps, numba.get_num_threads())
print(json.dumps({"baseline": base, "peak": peak(), "estimate": need}))
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="peak RSS read from /proc (Linux)")
@pytest.mark.parametrize("replications", [2e4, 1.5e5])
def test_the_estimate_covers_what_a_forecast_takes(replications):
    """Tuesday 10:00 of the example week in a fresh process, its figures kept as rows (2e4) and
    streamed (1.5e5): the growth of the peak RSS is within the estimate made before any work."""
    done = run_bounded([sys.executable, "-c", CHILD, TUESDAY, str(replications)], timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    m = json.loads(done.stdout.strip().splitlines()[-1])
    assert m["peak"] - m["baseline"] <= m["estimate"], m
