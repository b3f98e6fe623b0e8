"""Forecast from the current state (issue 19): invariants, closed forms, both engines, the state.

Tolerances of the statistical tests are 4 standard errors of the estimate at a fixed seed.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import numba
import numpy as np
import pytest
from builders import T0, op, plan_dict, run
from scipy import stats

import riskengine as rk
from riskengine.live.events import parse_known_events
from riskengine.live.state import build_state
from riskengine.model.premises import parse_premises
from riskengine.simulation.codes import Realized
from riskengine.simulation.reference import simulate
from riskengine.simulation.runner import kernel_replication

S = "scenarios/example-factory"
K = 4.0  # standard errors
TUESDAY = "2026-11-17T10:00:00+01:00"


def at(hours: float) -> str:
    return (datetime.fromisoformat(T0) + timedelta(hours=hours)).isoformat()


def events(plans, *rows):
    return parse_known_events({"format": "riskengine.events/1", "events": list(rows)}, plans)


def premises(**sections):
    return parse_premises({"format": "riskengine.premises/1", **sections})


# -- the invariants ------------------------------------------------------------------------------

@pytest.mark.parametrize("engine,n", [("kernel", 300), ("reference", 12)])
def test_as_of_the_horizon_start_without_actuals_or_events_is_the_score(week, engine, n):
    history, model, _ = week
    plan = history.versions[0]
    s = rk.score(plan, model, replications=n, seed=4, engine=engine).to_dict()
    f = rk.forecast(plan, model, plan.horizon.start, replications=n, seed=4, engine=engine).to_dict()
    assert f["format"] == "riskengine.forecast/1"
    for key in s:
        if key not in ("format", "operations"):
            assert f[key] == s[key], key
    ops = {o["id"]: o for o in f["operations"]}
    assert len(ops) == len(s["operations"])
    for o in s["operations"]:
        assert {k: ops[o["id"]][k] for k in o} == o
        assert ops[o["id"]]["realized"] is False
    assert f["realized"]["buckets"] == 0 and f["state"]["done"] == 0


def test_as_of_the_horizon_end_with_complete_actuals_is_the_measurement(week):
    history, model, actuals = week
    m = rk.measure(history, actuals, model.rules()).to_dict()
    f = rk.forecast(history, model, history.end, actuals=actuals, replications=40, seed=2).to_dict()
    for k in ("bts", "btp", "volume", "mix", "sequence"):
        e = f["adherence"][k]
        assert e["mean"] == e["low"] == e["high"] == e["p10"] == e["p90"] == m["total"][k], k
    for band in f["bands"]:
        measured = next(b for b in m["bands"] if b["band"] == band["band"])
        for k in ("score", "volume", "mix", "sequence"):
            e = band[k]
            assert (e is None and measured[k] is None) or e["mean"] == e["low"] == e["high"] == measured[k]
    for b in f["buckets"]:
        for k in ("bts", "btp"):
            e, x = b[k], m["buckets"][b["index"]][k]
            assert (e is None and x is None) or (e["mean"] == e["low"] == e["high"] == x)
    measured = {o["id"]: o for o in m["operations"]}
    assert {o["id"] for o in f["operations"]} == set(measured)
    for o in f["operations"]:
        verdict = 1.0 if measured[o["id"]]["hit"] else 0.0
        assert o["realized"] and o["hit"]["low"] == o["hit"]["high"] == verdict
    assert f["plan_holds"] == {"mean": 0.0, "low": 0.0, "high": 0.0}
    assert {c["cause"]: c["misses_per_replication"] for c in f["causes"]} == {
        c["cause"]: c["misses"] for c in m["causes"]}
    assert f["realized"]["total"] == m["total"] and f["alerts"] == []


# -- closed forms --------------------------------------------------------------------------------

def _down_at_ten(mttr, elapsed: float, n: int, engine: str = "kernel"):
    """One resource down at T = 10 h for ``elapsed`` hours; one operation of 1 h planned 10-11 h
    in bucket (8, 16]: a HIT exactly when the repair ends within d = 5 h of T."""
    plan = rk.parse_plan(plan_dict([op("first", "A", 10, 0, 2), op("job", "A", 10, 10, 11)],
                                   horizon_hours=48))
    model = premises(resources={"L1": {"breakdowns": {"mtbf_hours": 1e7, "mttr_hours": mttr}}})
    history = rk.PlanHistory([plan])
    records = {"format": "riskengine.actuals/1", "records": [run("first", 10, 0, 2)]}
    actuals = rk.parse_actuals(records, history)
    known = events([plan], {"event": "breakdown", "resource": "L1", "start": at(10 - elapsed)})
    return rk.forecast(plan, model, 10.0, actuals=actuals, events=known, replications=n, seed=7,
                       engine=engine)


def test_exponential_repair_under_way_ends_within_d_hours_with_1_minus_exp_minus_d_over_m():
    n, m, d = 4000, 2.0, 5.0
    f = _down_at_ten(m, 1.0, n)
    job = next(o for o in f.operations if o["id"] == "job")
    p = 1 - math.exp(-d / m)
    assert abs(job["hit"]["mean"] - p) <= K * math.sqrt(p * (1 - p) / n)
    assert job["main_cause"] == "breakdown" and f.state["down"][0]["hours_so_far"] == 1.0


def test_lognormal_repair_two_hours_under_way_is_the_conditional_residual():
    n, d, mean, cv = 4000, 5.0, 3.0, 0.8
    f = _down_at_ten({"dist": "lognormal", "mean": mean, "cv": cv}, 2.0, n)
    job = next(o for o in f.operations if o["id"] == "job")
    s = math.sqrt(math.log1p(cv * cv))
    r = stats.lognorm(s, scale=math.exp(math.log(mean) - s * s / 2))
    p = (r.cdf(2 + d) - r.cdf(2)) / r.sf(2)  # P(R <= 2 + d | R > 2)
    assert abs(job["hit"]["mean"] - p) <= K * math.sqrt(p * (1 - p) / n)
    # a fresh repair (no conditioning) would give P(R <= d), 8 standard errors away
    assert abs(p - r.cdf(d)) > 8 * math.sqrt(p * (1 - p) / n)


def test_an_operation_in_progress_resumes_its_remaining_work_after_the_repair():
    """Started at 6 h with 4 h of work, the resource failed at 7 h (1 h done); a fixed repair of
    4 h has lasted 3 h at T = 10 h: 1 h left, then 3 h of work: it ends at 14 h exactly, late for
    its bucket (8, 12] because of the breakdown."""
    plan = rk.parse_plan(plan_dict([op("long", "A", 10, 6, 10)], horizon_hours=24, bucket_hours=4))
    model = premises(resources={"L1": {"breakdowns": {"mtbf_hours": 1e7,
                                                      "mttr_hours": {"dist": "fixed", "value": 4}}}})
    history = rk.PlanHistory([plan])
    actuals = rk.parse_actuals({"format": "riskengine.actuals/1", "records": [
        {"operation": "long", "quantity": 0, "start": 6}]}, history)
    known = events([plan], {"event": "breakdown", "resource": "L1", "start": at(7)})
    f = rk.forecast(plan, model, 10.0, actuals=actuals, events=known, replications=3, seed=1)
    st = f.state
    assert st["in_progress"] == [{"id": "long", "resource": "L1", "start": at(6), "done_hours": 1.0}]
    state = build_state(history, model, datetime.fromisoformat(at(10)), actuals, known)
    for rep in range(3):
        assert kernel_replication(state.compiled, 1, rep).end[0] == 14.0
        assert simulate(state.compiled, 1, rep).end[0] == 14.0
    assert f.operations[0]["hit"]["mean"] == 0.0 and f.operations[0]["main_cause"] == "breakdown"


def test_a_lot_known_to_arrive_after_the_bucket_end_makes_the_operation_a_material_miss(week):
    history, model, actuals = week
    late = events(history.versions, {"event": "material", "material": "PK-CARTON-K12",
                                     "start": "2026-11-16T10:15:00+01:00",
                                     "end": "2026-11-18T12:00:00+01:00"})
    f = rk.forecast(history, model, TUESDAY, actuals=actuals, events=late, replications=500, seed=3)
    job = next(o for o in f.operations if o["id"] == "WO1083-20")  # planned to end Tue 18:30
    assert job["hit"]["mean"] == 0.0 and job["causes"] == {"material": 1.0}
    assert job["main_cause"] == "material"
    assert f.state["late_lots"][0]["material"] == "PK-CARTON-K12"
    assert any(a["id"] == "WO1083-20" and a["cause"] == "material" for a in f.alerts)


# -- both engines, threads -----------------------------------------------------------------------

def _tuesday_state(week):
    history, model, actuals = week
    known = events(history.versions,
                   {"event": "breakdown", "resource": "K2", "start": "2026-11-17T08:40:00+01:00"},
                   {"event": "breakdown", "resource": "P1", "start": "2026-11-17T08:00:00+01:00",
                    "end": "2026-11-17T08:30:00+01:00"},
                   {"event": "absence", "resource": "K1", "start": "2026-11-17T06:00:00+01:00",
                    "end": "2026-11-17T11:00:00+01:00"},
                   {"event": "material", "material": "RM-COCONUT-K01", "start": "2026-11-17T10:00:00+01:00",
                    "end": "2026-11-17T16:00:00+01:00"})
    return build_state(history, model, datetime.fromisoformat(TUESDAY), actuals, known)


def test_kernel_and_reference_give_the_same_replication_from_a_state(week):
    st = _tuesday_state(week)
    assert int(np.count_nonzero(st.initial.state == Realized.RUNNING)) == 3
    assert not math.isnan(st.initial.down_since[st.plan.resource_index["K2"]])
    for rep in range(4):
        k = kernel_replication(st.compiled, 5, rep)
        r = simulate(st.compiled, 5, rep)
        assert k.n_started == r.n_started
        for name in ("start", "end", "good", "delay_cause", "moved_cause", "factor_cause", "origin"):
            assert np.array_equal(getattr(k, name), getattr(r, name)), (rep, name)
        assert np.array_equal(k.order[:k.n_started], r.order[:r.n_started])
        assert k.events == r.events  # the watchdog's count (issue 15), the repair and resume included


def test_one_and_two_threads_give_the_same_forecast(week):
    history, model, actuals = week
    results = []
    for threads in (1, 2):
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        f = rk.forecast(history, model, TUESDAY, actuals=actuals, replications=400, seed=9)
        results.append(f.to_dict())
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    assert results[0] == results[1]


# -- the state at the as-of time -----------------------------------------------------------------

def test_the_state_reads_the_actuals_as_they_stood_at_the_as_of_time(week):
    st = _tuesday_state(week)
    plan, initial = st.plan, st.initial
    state = {op.id: Realized(initial.state[i]) for i, op in enumerate(plan.operations)}
    assert state["WO1083-10"] == Realized.RUNNING  # 07:45 - 10:43, then split: in progress at 10:00
    assert state["WO1046-10"] == Realized.DONE  # ended 08:02
    assert state["WO1046-20"] == Realized.PENDING  # starts 11:35
    assert state["WO1091-20"] == Realized.DONE  # 0 units, planned end 09:45: known not executed
    i = plan.operation_index["WO1083-10"]
    # 07:45 - 10:00 minus the past breakdown 08:00 - 08:30
    assert initial.done_work[i] == pytest.approx(2.25 - 0.5) and initial.lost_repair[i] == 0.5
    k1 = plan.resource_index["K1"]
    assert initial.free[k1] == plan.hours(datetime.fromisoformat("2026-11-17T11:00:00+01:00"))
    assert st.closed == 3 and st.realized.timeline["buckets"] == 21
    assert st.summary["late_lots"] == [{"material": "RM-COCONUT-K01", "due": "2026-11-17T10:00:00+01:00",
                                        "arrival": "2026-11-17T16:00:00+01:00"}]


def test_events_after_the_as_of_time_are_left_out_and_a_resource_down_needs_a_repair_time():
    plan = rk.parse_plan(plan_dict([op("a", "A", 10, 0, 4), op("b", "A", 10, 4, 8)], horizon_hours=24))
    later = events([plan], {"event": "breakdown", "resource": "L1", "start": at(12)})
    f = rk.forecast(plan, premises(), 5.0, events=later, replications=20)
    assert f.state["down"] == [] and any("after the as-of time" in w for w in f.warnings)
    down = events([plan], {"event": "breakdown", "resource": "L1", "start": at(4)})
    with pytest.raises(rk.InputError, match="no repair time"):
        rk.forecast(plan, premises(), 5.0, events=down, replications=20)
    with pytest.raises(rk.InputError, match="before the horizon start"):
        rk.forecast(plan, premises(), -1.0, replications=20)


def test_an_operation_recorded_as_not_executed_does_not_hold_its_successors_or_their_resource():
    ops = [op("a", "A", 10, 0, 2), op("b", "B", 10, 3, 4, resource="L2", after=["a"]),
           op("c", "C", 10, 4, 6, resource="L2")]
    plan = rk.parse_plan(plan_dict(ops, horizon_hours=24))
    history = rk.PlanHistory([plan])
    actuals = rk.parse_actuals({"format": "riskengine.actuals/1", "records": [
        {"operation": "a", "quantity": 0, "cause": "material"}]}, history)
    f = rk.forecast(plan, premises(), 3.0, actuals=actuals, replications=20, seed=1)
    hit = {o["id"]: o["hit"]["mean"] for o in f.operations}
    assert hit == {"a": 0.0, "b": 1.0, "c": 1.0}
    assert f.state["done"] == 1 and f.realized["buckets"] == 0
