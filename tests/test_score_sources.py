"""Acceptance tests of issue 4: each disruption source through ``score`` (docs/design.md sections 3 and 5).

1. With every source switched off a feasible plan holds with probability 1 and every
   adherence figure is exactly 1.
2. Each source switched on alone moves the results the expected way against all-off on
   the same plan and seed (common random numbers), with the expected cause first.
3. Removing a source that can only add delay or loss never lowers the CRN-paired plan
   holds; two interactions where removing a source does lower it are pinned down.
4. Common random numbers across plans: a change on one line leaves an independent line's
   execution bit-identical.
5. The 95% intervals cover the truth about 95% of the time over independent seeds.

Statistical tolerances are K = 4.5 standard errors at a fixed seed: for a probability
sqrt(p(1-p)/n), for a mean sigma/sqrt(n) (from the closed-form variance where there is
one, otherwise from the reported t interval: se = (high - low) / (2 t_{0.975, n-1})),
for a paired difference of 0/1 outcomes sd(D)/sqrt(n).
"""

from __future__ import annotations

import copy
import math
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from builders import op, plan_dict
from scipy import stats

import riskengine as re
from riskengine.analysis.score import score
from riskengine.io.readers import read_plan
from riskengine.model.premises import Premises, parse_premises
from riskengine.simulation.accumulate import Accumulators, run_reference
from riskengine.simulation.compile import compile_model
from riskengine.simulation.reference import simulate
from riskengine.simulation.runner import run_kernel
from riskengine.simulation.statistics import wilson
from riskengine.simulation.summary import HOLDS

K = 4.5  # standard errors
ENGINES = ("kernel", "reference")
RUNNERS = {"kernel": run_kernel, "reference": run_reference}
FACTORY = Path(__file__).resolve().parent.parent / "scenarios" / "example-factory"
FIGURES = ("bts", "btp", "volume", "mix", "sequence")


def premises(*fragments: dict) -> Premises:
    """A premises document merged from nested fragments (later ones win key by key)."""
    doc: dict = {"format": "riskengine.premises/1"}
    for fragment in fragments:
        _merge(doc, copy.deepcopy(fragment))
    return parse_premises(doc)


def _merge(into: dict, extra: dict) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


OFF = premises()


def line(resource: str, prefix: str, materials: dict[int, str]) -> list[dict]:
    """Six 4-hour operations back to back from 0 to 24 h (0.5 h setup, 3.5 h work each),
    families F1/F2 and products A/B alternating; ``materials`` maps positions to materials."""
    ops = []
    for k in range(6):
        extra = {"family": "F1" if k % 2 == 0 else "F2", "setup_hours": 0.5,
                 "materials": [materials[k]] if k in materials else []}
        ops.append(op(f"{prefix}{k}", "AB"[k % 2], 100, 4 * k, 4 * k + 4, resource=resource, **extra))
    return ops


def tight_plan() -> re.Plan:
    """One line L1, three 8-hour buckets; o1 uses M1, o3 uses M2. The second operation of
    each bucket ends on the bucket boundary and nothing has slack, so any delay that reaches
    it is a MISS, and every delay carries through to the finish."""
    return re.parse_plan(plan_dict(line("L1", "o", {1: "M1", 3: "M2"}), id="tight"))


def reorder_plan() -> re.Plan:
    """One line L1 and a single 24-hour bucket: six operations back to back of 4, 3.5, 3,
    2.5, 2 and 1.5 hours (16.5 h, no setups), families alternating F1/F2, d1 uses M1. Any
    reordering still completes inside the bucket, so the only possible misses are
    out-of-sequence ones; families alternate (same_family has something to gather) and the
    work decreases (easiest_first always prefers a later operation)."""
    ops, t = [], 0.0
    for k, hours in enumerate([4, 3.5, 3, 2.5, 2, 1.5]):
        ops.append(op(f"d{k}", "AB"[k % 2], 100, t, t + hours, family="F1" if k % 2 == 0 else "F2",
                      materials=["M1"] if k == 1 else []))
        t += hours
    return re.parse_plan(plan_dict(ops, id="reorder", bucket_hours=24))


def two_line_plan() -> re.Plan:
    return re.parse_plan(plan_dict(line("L1", "a", {1: "M1"}) + line("L2", "b", {3: "M2"}), id="two"))


PLANS = {"tight": tight_plan, "reorder": reorder_plan}


@cache
def scored(plan: str, source: str, n: int, seed: int, engine: str):
    """Score of a named plan with the premises of a named source alone (memoised: the
    all-off baselines are shared)."""
    return score(PLANS[plan](), premises(SOURCES[source]), replications=n, seed=seed, engine=engine)


def se_mean(estimate: dict, n: int) -> float:
    """Standard error of a mean, recovered from its reported 95% t interval."""
    return (estimate["high"] - estimate["low"]) / (2 * stats.t.ppf(0.975, n - 1))


def within_probability(estimate: float, p: float, n: int) -> bool:
    return abs(estimate - p) <= K * math.sqrt(p * (1 - p) / n) + 1e-12


def assert_exactly_one(result) -> None:
    """Plan holds with certainty and every adherence figure is exactly 1."""
    assert result.plan_holds["mean"] == 1.0
    assert result.plan_holds["high"] == 1.0
    # Wilson's lower bound with n successes out of n is n / (n + z^2), not 1
    n = result.replications
    assert result.plan_holds["low"] == pytest.approx(n / (n + 1.959963984540054**2))
    assert all(d["mean"] == 1.0 for d in result.holds_through_day)
    for name in FIGURES:
        est = result.adherence[name]
        assert {est[k] for k in ("mean", "low", "high", "p10", "p50", "p90")} == {1.0}, name
    for band in result.bands:
        assert band["score"] is None or band["score"]["mean"] == 1.0, band["band"]
    assert result.causes == []
    assert all(o["hit"]["mean"] == 1.0 and o["lateness_hours"] == 0.0 and o["main_cause"] is None
               for o in result.operations)
    assert result.finish["sd"] == 0.0


# -- 1. everything off ----------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_example_factory_holds_exactly_with_every_source_off(engine):
    plan = read_plan(FACTORY / "plan-v1.json")
    result = score(plan, OFF, replications=60, seed=3, engine=engine)
    assert result.replications == 60
    assert_exactly_one(result)
    # every operation ends as planned, so the plan finishes at its last planned end
    last = max(plan.hours(o.end) for o in plan.operations)
    assert result.finish["mean"] == pytest.approx(last, abs=1e-9)
    for res in result.resources:
        planned = max(plan.hours(o.end) for o in plan.operations if o.resource == res["id"])
        assert res["finish"]["mean"] == pytest.approx(planned, abs=1e-9), res["id"]
    assert len(result.operations) == len(plan.operations)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("execution, finish", [
    ({}, {"L1": 12.0, "L2": 16.0}),
    ({"on_blocked": "next_ready"}, {"L1": 12.0, "L2": 16.0}),
    # c runs from 7 instead of 9, x from 3, y from 7 and z from 10: all still in their buckets
    ({"early_start": True}, {"L1": 10.0, "L2": 14.0}),
])
def test_hand_made_plan_holds_exactly_with_every_source_off(engine, execution, finish):
    """Two lines with routing, materials, setups and idle gaps; the execution options alone
    (no disruption) keep the plan exactly (early start only moves completions earlier
    within their buckets)."""
    ops = [op("a", "A", 100, 0, 3, family="F1", setup_hours=0.5, materials=["M1"]),
           op("b", "B", 50, 3, 7, family="F2", setup_hours=1, materials=["M1", "M2"]),
           op("c", "A", 80, 9, 12, family="F1", setup_hours=0.25),
           op("x", "A", 100, 4, 6, resource="L2", after=["a"]),
           op("y", "B", 50, 7.5, 10, resource="L2", after=["b"], materials=["M2"]),
           op("z", "C", 30, 12, 16, resource="L2", after=["c"])]
    plan = re.parse_plan(plan_dict(ops))
    result = score(plan, premises({"execution": execution}), replications=200, seed=9, engine=engine)
    assert_exactly_one(result)
    assert result.finish["mean"] == max(finish.values())
    assert {r["id"]: r["finish"]["mean"] for r in result.resources} == finish


def test_wilson_interval_ends_exactly_at_0_and_1():
    """With every replication a success the interval must end at 1 and contain the mean; with
    none, start at 0. Through score: n = 60 (upper end), then the Wilson function at n = 7
    (lower end)."""
    plan = re.parse_plan(plan_dict([op("o", "A", 10, 0, 4)], horizon_hours=8))
    holds = score(plan, OFF, replications=60, seed=0).plan_holds
    fails = score(plan, premises({"reliability": {"machine": 0.0}}), replications=7, seed=0).plan_holds
    assert holds["mean"] == 1.0 and fails["mean"] == 0.0
    assert holds["low"] <= holds["mean"] <= holds["high"] == 1.0
    assert 0.0 == fails["low"] <= fails["mean"] <= fails["high"]


# -- 2. each source alone -------------------------------------------------------------------------

# Each case: plan, premises fragment, expected first cause, adherence figure that must drop,
# closed-form plan holds (or None), closed-form finish (mean, variance) (or None), and
# whether the source takes time (finish later) or not (finish exactly as all-off).
# Parameters are strong enough that at n = 400 every effect is many standard errors wide.
CASES = {
    # 21 h of work, MTBF 5 h: P(no failure) = exp(-21/5) = 0.015; every failure lands in a
    # tight chain, so plan holds = exp(-4.2). Finish = 24 + repairs: mean 24 + 4.2 x 1,
    # variance (x/MTBF)(MTTR^2 + sd_r^2) = 4.2 x 2.
    "breakdowns": ("tight", {"defaults": {"breakdowns": {"mtbf_hours": 5, "mttr_hours": 1}}},
                   "breakdown", "volume", math.exp(-21 / 5), (24 + 21 / 5, 21 / 5 * 2), True),
    # M1 (of o1, ending on the first boundary) late with p 0.5 by an exponential of mean 2 h:
    # any delay is a MISS, so holds = 0.5; the delay D carries to the end: finish 24 + B D,
    # mean 25, variance E[B D^2] - 1 = 0.5 x 8 - 1 = 3.
    "material late": ("tight", {"materials": {"M1": {"late": {"probability": 0.5, "delay_hours": 2}}}},
                      "material", "volume", 0.5, (25.0, 3.0), True),
    "material rejected": ("tight", {"materials": {"M2": {"rejected": {"probability": 0.5,
                                                                       "delay_hours": 2}}}},
                          "material", "volume", 0.5, (25.0, 3.0), True),
    # an absent shift (p 0.3 per 8-hour shift) stops the line: each shift's last operation is
    # late, so holds = P(no absent shift) = 0.7^3. The cause is checked in
    # test_absent_shift_at_the_start_of_a_tight_operation_is_blamed_on_absenteeism.
    "absenteeism stop": ("tight", {"defaults": {"absenteeism": {"probability": 0.3, "effect": "stop"}}},
                         None, "volume", 0.7**3, None, True),
    "absenteeism slow": ("tight", {"defaults": {"absenteeism": {"probability": 0.3, "effect": "slow",
                                                                "speed": 0.5}}},
                         "absenteeism", "volume", 0.7**3, None, True),
    # speed factor of mean 0.8 (P(factor >= 1) ~ 1% per operation): practically every run is
    # slower than planned
    "performance": ("tight", {"defaults": {"performance": {"dist": "lognormal", "mean": 0.8, "cv": 0.1}}},
                    "performance", "volume", None, None, True),
    # 5% of 600 units: P(no scrapped unit) = 0.95^600 ~ 1e-13; volume = good / planned has mean 0.95
    "scrap": ("tight", {"defaults": {"scrap_rate": 0.05}}, "quality", "volume", 0.95**600, None, False),
    # setups of 0.5 h doubled on average: finish = 24 + sum 0.5 (X_k - 1), mean 24 + 6 x 0.5,
    # variance 6 x 0.25 x (0.3 x 2)^2
    "setup overrun": ("tight", {"defaults": {"setup_overrun": {"dist": "lognormal", "mean": 2, "cv": 0.3}}},
                      "setup", "volume", None, (27.0, 6 * 0.25 * 0.36), True),
    "deviation same_family": ("reorder", {"operator": {"deviation": {"probability": 0.5,
                                                                     "rule": "same_family"}}},
                              "operational", "sequence", None, None, False),
    "deviation easiest_first": ("reorder", {"operator": {"deviation": {"probability": 0.5,
                                                                       "rule": "easiest_first"}}},
                                "operational", "sequence", None, None, False),
    # d1's material is 1 h late half the time; the shop runs d2 in its place
    "next_ready with late material": (
        "reorder", {"materials": {"M1": {"late": {"probability": 0.5,
                                                  "delay_hours": {"dist": "fixed", "value": 1}}}},
                    "execution": {"on_blocked": "next_ready"}},
        "local-decision", "sequence", None, None, False),
    # the article's factors, consequence "miss": each operation fails with 1 - r and is then held
    # past its bucket (a MISS for sure), holds = r^6; its units leave their bucket (volume falls)
    # and the chain ends later (issue 16: a MISS must show in the realized record)
    "reliability miss": ("tight", {"reliability": {"machine": 0.8}}, "breakdown", "volume", 0.8**6, None,
                         True),
    # consequence "delay": a failed factor delays the start by Exp(2 h); every delay is a MISS
    # and carries to the end: finish 24 + sum B_k D_k, mean 24 + 6 x 0.2 x 2, variance
    # 6 (E[B D^2] - E[B D]^2) = 6 (0.2 x 8 - 0.16)
    "reliability delay": ("tight", {"reliability": {"quality": 0.8},
                                    "execution": {"reliability_consequence": "delay",
                                                  "reliability_delay_hours": 2}},
                          "quality", "volume", 0.8**6, (26.4, 6 * (1.6 - 0.16)), True),
}


SOURCES = {"off": {}, **{name: case[1] for name, case in CASES.items()},
           "late material, wait": {"materials": CASES["next_ready with late material"][1]["materials"]}}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", list(CASES))
def test_each_source_alone_moves_results_the_expected_way(name, engine):
    plan, fragment, cause, figure, holds, finish, takes_time = CASES[name]
    n, seed = 400, 17
    off = scored(plan, "off", n, seed, engine)
    on = scored(plan, name, n, seed, engine)
    assert off.plan_holds["mean"] == 1.0  # the baseline is the plan executed exactly
    h = on.plan_holds
    assert h["mean"] < 1.0 and h["high"] < 1.0
    if holds is not None:
        assert within_probability(h["mean"], holds, n), (h, holds)
    if cause is not None:
        assert on.causes[0]["cause"] == cause, on.causes
    if figure is not None:
        est = on.adherence[figure]
        assert est["mean"] + K * se_mean(est, n) < off.adherence[figure]["mean"] == 1.0, est
    else:  # (every source changes adherence; kept for a source that would not)
        assert on.adherence == off.adherence
    if takes_time:
        assert on.finish["mean"] - K * se_mean(on.finish, n) > off.finish["mean"], on.finish
    else:
        assert on.finish == off.finish
    if finish is not None:
        mean, var = finish
        assert abs(on.finish["mean"] - mean) <= K * math.sqrt(var / n), (on.finish, mean)


@pytest.mark.parametrize("engine", ENGINES)
def test_scrap_loses_volume_only(engine):
    """Scrap moves no completion: mix stays exactly 1 (A_i <= S_i in every bucket), volume is
    good / planned with mean 0.95 (sd of a replication's volume: sqrt(0.95 x 0.05 / 600))."""
    n = 400
    on = scored("tight", "scrap", n, 17, engine)
    assert on.adherence["mix"]["mean"] == on.adherence["mix"]["low"] == 1.0
    assert on.adherence["sequence"]["mean"] == 1.0
    assert abs(on.adherence["volume"]["mean"] - 0.95) <= K * math.sqrt(0.95 * 0.05 / 600 / n)
    assert all(o["main_cause"] == "quality" for o in on.operations)


@pytest.mark.parametrize("engine", ENGINES)
def test_reordering_sources_keep_volume_and_mix(engine):
    """On the one-bucket plan a deviation or a resequencing only changes the order: volume and
    mix stay exactly 1, and the loss is all in sequence (BTS = sequence)."""
    n = 400
    for name in ("deviation same_family", "deviation easiest_first", "next_ready with late material"):
        on = scored("reorder", name, n, 17, engine)
        for figure in ("volume", "mix"):
            assert {on.adherence[figure][k] for k in ("mean", "low", "high")} == {1.0}, (name, figure)
        assert on.adherence["bts"]["mean"] == pytest.approx(on.adherence["sequence"]["mean"])
        assert on.adherence["sequence"]["mean"] < 1.0


@pytest.mark.parametrize("engine", ENGINES)
def test_next_ready_resequences_around_a_late_material(engine):
    """The same late material (same seed, so the same late lots): waiting for it keeps the
    plan (d1 finishes late but inside its 24-hour bucket), running the next ready operation
    instead puts d2 out of sequence, a local decision."""
    n = 400
    wait = scored("reorder", "late material, wait", n, 17, engine)
    resequence = scored("reorder", "next_ready with late material", n, 17, engine)
    assert wait.plan_holds["mean"] == 1.0 and wait.causes == []
    assert {wait.adherence[f]["mean"] for f in FIGURES} == {1.0}
    # half the lots are late, and each late lot is one out-of-sequence MISS: holds = 0.5
    assert within_probability(resequence.plan_holds["mean"], 0.5, n)
    assert [c["cause"] for c in resequence.causes] == ["local-decision"]
    d2 = next(o for o in resequence.operations if o["id"] == "d2")
    assert d2["main_cause"] == "local-decision"
    # waiting finishes 1 h later when the lot is late (mean 0.5 h); resequencing does not
    assert wait.finish["mean"] == pytest.approx(16.5 + 0.5, abs=K * 0.5 / math.sqrt(n))
    assert resequence.finish["mean"] == 16.5


@pytest.mark.parametrize("engine", ENGINES)
def test_setup_overrun_leaves_operations_without_setup_alone(engine):
    n = 200
    off = scored("reorder", "off", n, 17, engine)
    on = scored("reorder", "setup overrun", n, 17, engine)
    assert (on.plan_holds, on.adherence, on.finish) == (off.plan_holds, off.adherence, off.finish)


@pytest.mark.parametrize("engine", ENGINES)
def test_absent_shift_at_the_start_of_a_tight_operation_is_blamed_on_absenteeism(engine):
    """One operation planned from 0 to 4 h; the first 8-hour shift is absent half the time
    (effect stop). The miss is absenteeism whether or not the line was idle before it."""
    p = premises({"defaults": {"absenteeism": {"probability": 0.5, "effect": "stop"}}})
    for start in (1, 0):  # with 1 h of idle time first, then starting right at 0
        plan = re.parse_plan(plan_dict([op("o0", "A", 10, start, start + 4)], horizon_hours=16))
        result = score(plan, p, replications=200, seed=1, engine=engine)
        assert within_probability(result.plan_holds["mean"], 0.5, 200)
        assert [c["cause"] for c in result.causes] == ["absenteeism"], (start, result.causes)


# -- 3. removing a source -------------------------------------------------------------------------

# Moderate sources on the two-line plan: each alone leaves the plan holding ~80-90% of the
# time, all together ~20%, so removing any one raises plan holds by ~2-6 points.
# Performance and setup overrun are empirical distributions that can only slow work down
# (1 most of the time, 0.85 speed or 1.6 x setup one time in 50).
DEGRADING = {
    "breakdowns": {"defaults": {"breakdowns": {"mtbf_hours": 200, "mttr_hours": 1}}},
    "material late": {"materials": {"M1": {"late": {"probability": 0.1, "delay_hours": 2}}}},
    "material rejected": {"materials": {"M2": {"rejected": {"probability": 0.1, "delay_hours": 2}}}},
    "absenteeism stop": {"resources": {"L1": {"absenteeism": {"probability": 0.03, "effect": "stop"}}}},
    "absenteeism slow": {"resources": {"L2": {"absenteeism": {"probability": 0.03, "effect": "slow"}}}},
    "performance": {"defaults": {"performance": {"dist": "empirical", "values": [1.0] * 49 + [0.85]}}},
    "scrap": {"defaults": {"scrap_rate": 0.0001}},
    "setup overrun": {"defaults": {"setup_overrun": {"dist": "empirical", "values": [1.0] * 49 + [1.6]}}},
    "deviation": {"operator": {"deviation": {"probability": 0.02, "rule": "same_family"}}},
    "reliability": {"reliability": {"material": 0.99}},
}


def all_but(sources: dict, removed: str | None = None):
    return premises(*(frag for name, frag in sources.items() if name != removed))


def holds_per_replication(plan, prem, n: int, seed: int, engine: str = "kernel") -> np.ndarray:
    """Plan holds (0/1) of replications 0 .. n-1, as score runs them."""
    c = compile_model(plan, prem)
    acc = Accumulators(c, n)
    RUNNERS[engine](c, seed, 0, n, acc)
    return acc.rows[:n, HOLDS].copy()


def test_removing_a_source_never_lowers_crn_paired_plan_holds():
    """All ten sources on, then each removed, same seed. Through ``score`` plan holds never
    goes down; per replication the gain D = holds(removed) - holds(all) has a mean more than
    K sd(D)/sqrt(n) above 0, so each removal matters and the test could fail."""
    plan, n, seed = two_line_plan(), 2000, 23
    everything = score(plan, all_but(DEGRADING), replications=n, seed=seed)
    base = holds_per_replication(plan, all_but(DEGRADING), n, seed)
    assert everything.plan_holds["mean"] == base.mean()  # the same replications as score
    assert 0.1 < base.mean() < 0.4
    for name in DEGRADING:
        removed = score(plan, all_but(DEGRADING, name), replications=n, seed=seed)
        assert removed.plan_holds["mean"] >= everything.plan_holds["mean"], name
        gain = holds_per_replication(plan, all_but(DEGRADING, name), n, seed) - base
        assert gain.mean() > K * gain.std(ddof=1) / math.sqrt(n), (name, gain.mean())


@pytest.mark.parametrize("engine, n", [("kernel", 2000), ("reference", 300)])
def test_removing_a_delaying_source_never_turns_a_held_replication_into_a_miss(engine, n):
    """Without operator deviation, under the wait policy, with sources that only add delay
    or loss, the CRN-paired comparison holds replication by replication: every operation
    starts at the latest of its constraints and takes a time that is non-decreasing in its
    start, work and repairs (a fixed amount of work against a rate that is 0 or < 1 in absent
    shifts, repairs at fixed points of the cumulative work), nothing runs faster than
    planned (so no slack ever opens) and the order is the planned one; removing a source
    only moves every end earlier and every good quantity up."""
    sources = {k: v for k, v in DEGRADING.items() if k != "deviation"}
    plan, seed = two_line_plan(), 29
    base = holds_per_replication(plan, all_but(sources), n, seed, engine)
    for name in sources:
        gain = holds_per_replication(plan, all_but(sources, name), n, seed, engine) - base
        assert gain.min() >= 0, (name, np.flatnonzero(gain < 0)[:5])
        assert gain.max() == 1, name  # the removal did rescue some replication


def test_removing_a_source_that_can_also_speed_work_up_may_lower_plan_holds():
    """Interaction (what does not hold): a speed factor of mean 1.05 is faster than planned
    most of the time, and with early start off the time it saves is slack that absorbs the
    other sources' delays. Removing it makes plan holds drop, by many paired standard errors.
    The same goes for a setup overrun factor of mean 0.85."""
    plan, n, seed = two_line_plan(), 2000, 23
    fast = dict(DEGRADING, performance={"defaults": {"performance": {"dist": "lognormal", "mean": 1.05,
                                                                     "cv": 0.02}}},
                **{"setup overrun": {"defaults": {"setup_overrun": {"dist": "lognormal", "mean": 0.85,
                                                                    "cv": 0.08}}}})
    base = holds_per_replication(plan, all_but(fast), n, seed)
    for name in ("performance", "setup overrun"):
        gain = holds_per_replication(plan, all_but(fast, name), n, seed) - base
        assert gain.mean() < -K * gain.std(ddof=1) / math.sqrt(n), (name, gain.mean())


def test_removing_a_late_material_may_lower_plan_holds_through_operator_deviation():
    """Interaction (what does not hold): the operator gathers the same family (p 0.5 per
    decision). e2 (F1) needs M1, declared available from 0 h and always 3 h late: it still
    arrives before e2's planned start (4 h), so the lateness delays nothing, but e2 is not
    ready at 2 h when e0 (F1) finishes and the operator would pull it forward. Holds:
    1 - p = 0.5 with the late material (only the decision after e1, which can pull e3 forward,
    counts), (1 - p)^2 = 0.25 without it."""
    ops = [op(f"e{k}", "A", 10, 2 * k, 2 * k + 2, family=f"F{k % 2 + 1}",
              materials=["M1"] if k == 2 else []) for k in range(4)]
    plan = re.parse_plan({**plan_dict(ops, bucket_hours=24), "materials": [{"id": "M1", "available_at": 0}]})
    deviation = {"operator": {"deviation": {"probability": 0.5, "rule": "same_family"}}}
    late = {"materials": {"M1": {"late": {"probability": 1.0, "delay_hours": {"dist": "fixed",
                                                                               "value": 3}}}}}
    n, seed = 1000, 31
    with_late = score(plan, premises(deviation, late), replications=n, seed=seed)
    without = score(plan, premises(deviation), replications=n, seed=seed)
    assert within_probability(with_late.plan_holds["mean"], 0.5, n)
    assert within_probability(without.plan_holds["mean"], 0.25, n)
    gain = holds_per_replication(plan, premises(deviation), n, seed) - \
        holds_per_replication(plan, premises(deviation, late), n, seed)
    assert gain.mean() < -K * gain.std(ddof=1) / math.sqrt(n)


# -- 4. common random numbers across plans ---------------------------------------------------------

CRN_PREMISES = {
    "defaults": {"breakdowns": {"mtbf_hours": 3, "mttr_hours": 1},
                 "performance": {"dist": "lognormal", "mean": 0.9, "cv": 0.2},
                 "scrap_rate": 0.05,
                 "setup_overrun": {"dist": "lognormal", "mean": 1.5, "cv": 0.5},
                 "absenteeism": {"probability": 0.3, "effect": "slow", "speed": 0.5, "shift_hours": 4}},
    "resources": {"L1": {"absenteeism": {"probability": 0.2, "effect": "stop", "shift_hours": 4}}},
    "materials": {"M1": {"late": {"probability": 0.5, "delay_hours": 2}}},
    "reliability": {"material": 0.9},
}


def crn_plan(l2: dict[str, tuple[float, float]], *, reverse: bool = False, id: str = "A") -> re.Plan:
    """L1: five 3-hour operations (a2 uses M1); L2: four operations at the given times.
    No routing between the lines."""
    ops = [op(f"a{k}", "AB"[k % 2], 100, 3 * k, 3 * k + 3, family=f"F{k % 2}", setup_hours=0.5,
              materials=["M1"] if k == 2 else []) for k in range(5)]
    ops += [op(name, "C", 50, s, e, resource="L2", family="G", setup_hours=0.5)
            for name, (s, e) in l2.items()]
    return re.parse_plan(plan_dict(ops[::-1] if reverse else ops, id=id, resources=["L1", "L2"]))


L2_A = {"b0": (0, 2), "b1": (2, 6), "b2": (6, 9), "b3": (9, 12)}
L2_B = {"b0": (0, 2), "b2": (2, 5), "b1": (5, 9), "b3": (9, 12)}  # b1 and b2 swapped


def per_operation(plan, c, seed: int, rep: int) -> dict[str, tuple[float, float, float]]:
    out = simulate(c, seed, rep)
    return {o.id: (out.start[i], out.end[i], out.good[i]) for i, o in enumerate(plan.operations)}


def test_a_change_on_one_line_leaves_an_independent_line_identical():
    plan_a, plan_b = crn_plan(L2_A), crn_plan(L2_B, id="B")
    prem = premises(CRN_PREMISES)
    ca, cb = compile_model(plan_a, prem), compile_model(plan_b, prem)
    l2_differs = 0
    for rep in range(20):
        a, b = per_operation(plan_a, ca, 5, rep), per_operation(plan_b, cb, 5, rep)
        for k in range(5):
            assert a[f"a{k}"] == b[f"a{k}"], (rep, k)
        l2_differs += any(a[name] != b[name] for name in L2_A)
    # b2 starts at 6 h or later in plan A, right after b0 (from 2 h) in plan B: with continuous
    # durations the two never coincide, so L2 differs in every replication
    assert l2_differs == 20
    # through score: L1's figures are the same, L2's are not
    ra, rb = (score(p, prem, replications=300, seed=5) for p in (plan_a, plan_b))
    assert ra.resources[0] == rb.resources[0] and ra.resources[0]["id"] == "L1"
    assert ra.resources[1]["finish"] != rb.resources[1]["finish"]
    ops_a = {o["id"]: o for o in ra.operations}
    assert all(o == ops_a[o["id"]] for o in rb.operations if o["resource"] == "L1")


def test_random_numbers_follow_names_not_positions():
    """The same plan with its operations listed in reverse order executes identically."""
    plan, shuffled = crn_plan(L2_A), crn_plan(L2_A, reverse=True)
    prem = premises(CRN_PREMISES)
    c, cs = compile_model(plan, prem), compile_model(shuffled, prem)
    for rep in range(10):
        assert per_operation(plan, c, 8, rep) == per_operation(shuffled, cs, 8, rep)


@pytest.mark.parametrize("engine", ENGINES)
def test_same_seed_same_result_with_every_source(engine):
    plan, prem = crn_plan(L2_A), premises(CRN_PREMISES, DEGRADING["deviation"])
    first = score(plan, prem, replications=150, seed=77, engine=engine).to_dict()
    assert first == score(plan, prem, replications=150, seed=77, engine=engine).to_dict()
    assert first != score(plan, prem, replications=150, seed=78, engine=engine).to_dict()


# -- 5. interval coverage --------------------------------------------------------------------------


def test_wilson_interval_of_plan_holds_covers_the_truth_95_percent_of_the_time():
    """One operation with a reliability factor r = 0.7, n = 90 replications per seed, 1000
    seeds. The exact coverage of the 95% Wilson interval at n = 90, p = 0.7 is 0.9503 (sum
    of the binomial probabilities of the k whose interval contains 0.7; it oscillates with n,
    e.g. 0.937 at n = 100). The standard error of the coverage estimate is
    sqrt(0.95 x 0.05 / 1000) = 0.0069, so [0.93, 0.97] is about 2.9 standard errors either
    side; the seeds are fixed."""
    r, n, seeds = 0.7, 90, 1000
    exact = sum(stats.binom.pmf(k, n, r) for k in range(n + 1)
                if wilson(k, n)["low"] <= r <= wilson(k, n)["high"])
    assert exact == pytest.approx(0.9503, abs=1e-4)
    plan = re.parse_plan(plan_dict([op("o", "A", 10, 0, 4)], horizon_hours=8, bucket_hours=8))
    prem = premises({"reliability": {"machine": r}, "bands": [{"measures": ["volume"]}]})
    covered, means = 0, []
    for seed in range(seeds):
        h = score(plan, prem, replications=n, seed=seed).plan_holds
        covered += h["low"] <= r <= h["high"]
        means.append(h["mean"])
    coverage = covered / seeds
    assert 0.93 <= coverage <= 0.97, coverage
    # the seeds are independent draws of the same binomial: the mean over 90 000 replications
    assert abs(np.mean(means) - r) <= K * math.sqrt(r * (1 - r) / (n * seeds))
    assert np.var(means, ddof=1) == pytest.approx(r * (1 - r) / n, rel=K * math.sqrt(2 / seeds))


def test_t_interval_of_the_finish_covers_the_preempt_resume_mean():
    """x = 8 h of work, exponential time to failure of mean 2 h, fixed 0.5 h repairs: the
    number of failures is Poisson(4), finish = 8 + 0.5 N with mean x (1 + MTTR/MTBF) = 10 and
    sd 1 (skewness 1/2). The t interval's coverage for this distribution at n = 100 is
    0.949 (2e5 intervals with numpy); over 1000 seeds its standard error is
    sqrt(0.95 x 0.05 / 1000) = 0.0069."""
    plan = re.parse_plan(plan_dict([op("o", "A", 10, 0, 8)], horizon_hours=8, bucket_hours=8))
    prem = premises({"defaults": {"breakdowns": {"mtbf_hours": 2,
                                                 "mttr_hours": {"dist": "fixed", "value": 0.5}}},
                     "bands": [{"measures": ["volume"]}]})
    n, seeds, covered = 100, 1000, 0
    for seed in range(seeds):
        f = score(plan, prem, replications=n, seed=seed).finish
        covered += f["low"] <= 10.0 <= f["high"]
    assert 0.93 <= covered / seeds <= 0.97, covered / seeds
