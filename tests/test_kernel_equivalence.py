"""One definition of execution: the numba kernel reproduces the SimPy reference exactly.

For the same seed and replication both engines must give the same start,
end, good quantity and causes of every operation (docs/design.md section 3), on the
example factory and on random plans and premises; and the kernel's results
must not depend on the number of threads or chunks. Premises include shared drivers
and uncertain parameters (issue 6): both engines draw the same parameters per group of
replications.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import riskengine as re
from riskengine.analysis.score import score
from riskengine.io.readers import read_plan, read_premises
from riskengine.model.premises import parse_premises
from riskengine.simulation.accumulate import Accumulators, run_reference
from riskengine.simulation.compile import compile_model
from riskengine.simulation.reference import simulate
from riskengine.simulation.runner import kernel_replication, run_kernel

ROOT = Path(__file__).resolve().parent.parent
FACTORY = ROOT / "scenarios" / "example-factory"
FIELDS = ("start", "end", "good", "delay_cause", "moved_cause", "factor_cause", "origin")


def assert_same(c, seed: int, replications: range) -> None:
    for rep in replications:
        ref, ker = simulate(c, seed, rep), kernel_replication(c, seed, rep)
        for name in FIELDS:
            a, b = getattr(ref, name), getattr(ker, name)
            assert np.array_equal(a, b), (rep, name, np.flatnonzero(a != b)[:5])
        # execution order per resource (simultaneous decisions on different resources may
        # interleave differently; only each resource's own order has a meaning)
        assert ref.n_started == ker.n_started
        for r in range(c.n_resources):
            mine = c.op_resource == r
            a, b = ref.order[: ref.n_started], ker.order[: ker.n_started]
            assert np.array_equal(a[mine[a]], b[mine[b]]), (rep, "order", r)


def factory_premises(premises_file: str = "premises.toml", **execution):
    premises = read_premises(FACTORY / premises_file)
    data = premises.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["execution"].update(execution)
    data["operator"] = {"deviation": {"probability": 0.4, "window": 3, "rule": "easiest_first"}}
    return parse_premises(data)


@pytest.mark.parametrize("premises_file", ["premises.toml", "premises-uncertain.toml"])
@pytest.mark.parametrize("execution", [{}, {"on_blocked": "wait", "early_start": True}])
def test_example_factory_same_results_in_both_engines(execution, premises_file):
    plan = read_plan(FACTORY / "plan-v2.json")
    assert_same(compile_model(plan, factory_premises(premises_file, **execution)), seed=9,
                replications=range(25))


DIST = st.sampled_from([
    {"dist": "exponential", "mean": 1.0}, {"dist": "lognormal", "mean": 1.2, "cv": 0.5},
    {"dist": "gamma", "mean": 0.8, "cv": 1.5}, {"dist": "weibull", "shape": 1.5, "scale": 2.0},
    {"dist": "triangular", "low": 0.5, "mode": 1.0, "high": 3.0},
    {"dist": "pert", "low": 0.5, "mode": 1.0, "high": 3.0}, {"dist": "empirical", "values": [0.5, 2, 4]},
    {"dist": "uniform", "low": 0.2, "high": 2.0}, {"dist": "fixed", "value": 1.5}])


MONDAY_OR_FRIDAY = ["2026-11-16T06:00:00+00:00", "2026-11-20T06:00:00+00:00"]  # Friday: a weekend ahead


@st.composite
def plan_and_premises(draw):
    n_res = draw(st.integers(1, 3))
    ops, t_res = [], [0.0] * n_res
    for k in range(draw(st.integers(1, 14))):
        r = draw(st.integers(0, n_res - 1))
        start = max(0.0, t_res[r] + draw(st.sampled_from([0.0, 0.5, 1.0, -0.5])))  # -0.5: overlap
        length = draw(st.sampled_from([1.0, 2.0, 3.5]))
        setup = draw(st.sampled_from([0.0, 0.0, 0.5]))
        earlier = [o for o in ops if o["end"] <= start]
        after = [o["id"] for o in earlier[-2:] if draw(st.booleans())]
        ops.append({"id": f"o{k}", "product": f"P{k % 4}", "family": f"F{k % 3}", "resource": f"R{r}",
                    "quantity": draw(st.sampled_from([10, 100, 1000])), "start": start,
                    "end": start + length, "setup_hours": setup, "after": after,
                    "materials": [f"M{k % 3}"] if draw(st.booleans()) else []})
        t_res[r] = start + length
    horizon = max(o["end"] for o in ops) + 8
    plan = {"format": "riskengine.plan/1", "id": "random", "bucket_hours": draw(st.sampled_from([4, 8])),
            "horizon": {"start": draw(st.sampled_from(MONDAY_OR_FRIDAY)), "end": horizon},
            "resources": [{"id": f"R{r}"} for r in range(n_res)], "operations": ops}
    days = draw(st.sampled_from([None, "mon-fri"]))  # nights off, and weekends off too
    if draw(st.booleans()):
        plan["calendars"] = {"default": {"shifts": [{"start": "06:00", "end": "14:00"},
                                                    {"start": "15:00", "end": "23:00"}]}}
        if days:
            for shift in plan["calendars"]["default"]["shifts"]:
                shift["days"] = [days]
    used = sorted({m for o in ops for m in o["materials"]})
    if draw(st.booleans()):  # changeovers the plan may leave out (executed, issue 16)
        plan["setup_matrix"] = {"F0": {"F1": 0.5, "F2": 1.0}, "F1": {"F0": 0.25}, "F2": {"F2": 0.1}}
    if used and draw(st.booleans()):  # lots the plan may start before (waited for, issue 16)
        plan["materials"] = [{"id": m, "available_at": draw(st.sampled_from([0.0, 2.0, 5.0]))} for m in used]
    premises = {"format": "riskengine.premises/1", "defaults": {}, "execution": {
        "early_start": draw(st.booleans()), "on_blocked": draw(st.sampled_from(["wait", "next_ready"]))}}
    d = premises["defaults"]
    if draw(st.booleans()):
        d["breakdowns"] = {"mtbf_hours": draw(st.sampled_from([2, 10])), "mttr_hours": draw(DIST)}
    if draw(st.booleans()):
        d["performance"] = {"dist": "lognormal", "mean": 0.9, "cv": 0.2}
    if draw(st.booleans()):
        d["setup_overrun"] = draw(DIST)
    if draw(st.booleans()):
        d["scrap_rate"] = 0.05
    if draw(st.booleans()):
        d["absenteeism"] = {"probability": 0.3, "effect": draw(st.sampled_from(["stop", "slow"]))}
    if used and draw(st.booleans()):
        premises["materials"] = {used[0]: {"late": {"probability": 0.5, "delay_hours": draw(DIST)}}}
    if used and draw(st.booleans()):  # a lot rejected at incoming inspection, replaced after a delay
        premises.setdefault("materials", {}).setdefault(used[-1], {})["rejected"] = {
            "probability": 0.3, "delay_hours": draw(DIST)}
    if draw(st.booleans()):
        premises["operator"] = {"deviation": {"probability": 0.5, "window": 3,
                                              "rule": draw(st.sampled_from(["same_family",
                                                                            "easiest_first"]))}}
    if draw(st.booleans()):
        premises["reliability"] = {"material": 0.9, "machine": 0.95, "quality": 0.9}
        if draw(st.booleans()):
            premises["execution"]["reliability_consequence"] = "delay"
            premises["execution"]["reliability_delay_hours"] = 1.0
    if used and draw(st.booleans()):  # a shared driver (common shock) over some materials
        premises["drivers"] = {"supplier": {"probability": draw(st.sampled_from([0.3, 0.7])),
                                            "materials": used[:2], "delay_hours": draw(DIST)}}
    if draw(st.booleans()):  # a plant-wide absent shift over some resources
        own = d.get("absenteeism")
        premises.setdefault("drivers", {})["flu"] = {
            "kind": "absenteeism", "probability": draw(st.sampled_from([0.2, 0.5])),
            "resources": [f"R{r}" for r in range(draw(st.integers(1, n_res)))],
            **({"effect": own["effect"]} if own else
               {"effect": draw(st.sampled_from(["stop", "slow"])), "speed": 0.7})}
    if draw(st.booleans()):  # uncertain parameters, drawn per group of replications
        premises["uncertainty"] = {"replications_per_draw": draw(st.integers(1, 2))}
        _make_uncertain(draw, premises)
    return re.parse_plan(plan), parse_premises(premises)


UNCERTAIN_PROBABILITY = st.sampled_from([
    {"uncertain": {"dist": "uniform", "low": 0.1, "high": 0.9}},
    {"uncertain": {"dist": "beta", "alpha": 2, "beta": 3}},
    {"uncertain": {"dist": "triangular", "low": 0.0, "mode": 0.2, "high": 0.6}}])
UNCERTAIN_POSITIVE = st.sampled_from([
    {"uncertain": {"dist": "uniform", "low": 0.5, "high": 4.0}},
    {"uncertain": {"dist": "gamma", "mean": 2.0, "cv": 0.5}},
    {"uncertain": {"dist": "pert", "low": 0.5, "mode": 1.0, "high": 3.0}}])


def _make_uncertain(draw, premises: dict) -> None:
    """Replace some numbers of random premises by uncertain numbers (every kind of place)."""
    d = premises["defaults"]
    places = []
    if "breakdowns" in d:
        places.append((d["breakdowns"], "mtbf_hours", UNCERTAIN_POSITIVE))
    if "performance" in d:
        places.append((d["performance"], "mean", st.sampled_from([
            {"uncertain": {"dist": "uniform", "low": 0.7, "high": 1.0}}])))
        places.append((d["performance"], "cv", UNCERTAIN_POSITIVE))
    if isinstance(d.get("setup_overrun"), dict) and "mean" in d["setup_overrun"]:
        places.append((d["setup_overrun"], "mean", UNCERTAIN_POSITIVE))
    if "scrap_rate" in d:
        places.append((d, "scrap_rate", st.sampled_from([{"uncertain": {"dist": "beta", "alpha": 2,
                                                                        "beta": 30}}])))
    if "absenteeism" in d:
        places.append((d["absenteeism"], "probability", UNCERTAIN_PROBABILITY))
    for risk in premises.get("materials", {}).values():
        places += [(risk[kind], "probability", UNCERTAIN_PROBABILITY) for kind in ("late", "rejected")
                   if kind in risk]
    for driver in premises.get("drivers", {}).values():
        places.append((driver, "probability", UNCERTAIN_PROBABILITY))
    if "operator" in premises:
        places.append((premises["operator"]["deviation"], "probability", UNCERTAIN_PROBABILITY))
    for factor in premises.get("reliability", {}):
        places.append((premises["reliability"], factor, UNCERTAIN_PROBABILITY))
    for where, key, values in places:
        if draw(st.booleans()):
            where[key] = draw(values)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan_and_premises(), st.integers(0, 2**40))
def test_random_plans_and_premises_same_results_in_both_engines(model, seed):
    plan, premises = model
    assert_same(compile_model(plan, premises), seed, range(3))


@pytest.mark.parametrize("premises_file", ["premises.toml", "premises-uncertain.toml"])
def test_scores_agree_between_engines(premises_file):
    plan = read_plan(FACTORY / "plan-v1.json")
    premises = factory_premises(premises_file)
    a = score(plan, premises, replications=60, seed=4, engine="reference").to_dict()
    b = score(plan, premises, replications=60, seed=4, engine="kernel").to_dict()
    a.pop("engine"), b.pop("engine")
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def test_chunking_does_not_change_results():
    plan = read_plan(FACTORY / "plan-v1.json")
    c = compile_model(plan, factory_premises())
    results = []
    for chunks in (1, 3, 64):
        acc = Accumulators(c, 64)
        run_kernel(c, 7, 0, 64, acc, chunks=chunks)
        results.append(acc)
    for other in results[1:]:
        assert np.array_equal(results[0].rows, other.rows, equal_nan=True)
        for name in ("op_hits", "op_lateness", "op_executed", "op_causes", "cause_misses", "cause_lost",
                     "op_critical", "res_critical", "op_sums", "rep_sums", "breaks"):
            assert np.array_equal(getattr(results[0], name), getattr(other, name)), name


def test_insight_accumulators_agree_between_engines():
    """Criticality counts, cruciality sums and first breaks: the same integers in both engines,
    and each replication's first miss is charged to exactly one operation and one resource."""
    plan = read_plan(FACTORY / "plan-v1.json")
    c = compile_model(plan, factory_premises())
    ref, ker = Accumulators(c, 40), Accumulators(c, 40)
    run_reference(c, 5, 0, 40, ref)
    run_kernel(c, 5, 0, 40, ker, chunks=3)
    for name in ("op_critical", "res_critical", "op_sums", "rep_sums", "breaks"):
        assert np.array_equal(getattr(ref, name), getattr(ker, name)), name
    missed = int(np.count_nonzero(ker.rows[:, 0] == 0.0))
    assert missed > 0 and ker.op_critical.sum() == missed and ker.res_critical.sum() == missed
    assert (ker.breaks.sum(axis=1) == 40).all()
    assert ker.op_sums.any() and ker.rep_sums.any()


@pytest.mark.parametrize("premises_file", ["premises.toml", "premises-uncertain.toml"])
def test_thread_count_gives_bit_identical_json(tmp_path, premises_file):
    outputs = []
    for threads in ("1", "2"):
        out = tmp_path / f"score-{threads}.json"
        env = {**os.environ, "NUMBA_NUM_THREADS": threads}
        subprocess.run([sys.executable, "-m", "riskengine.cli", "score", str(FACTORY / "plan-v1.json"),
                        "--premises", str(FACTORY / premises_file), "--replications", "400",
                        "--seed", "3", "--quiet", "--json", str(out)], check=True, env=env)
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
