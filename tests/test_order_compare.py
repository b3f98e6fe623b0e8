"""Orders in ``compare``: per-order paired differences streamed in lockstep windows equal the
paired differences of the full per-replication arrays; ``--rank-by on_time``."""

from __future__ import annotations

import json

import numpy as np
import pytest
from builders import op, plan_dict

import riskengine as rk
from riskengine.analysis.compare import compare, paired_difference
from riskengine.analysis.order_compare import WINDOW
from riskengine.analysis.score import score
from riskengine.model.premises import parse_premises
from riskengine.simulation.accumulate import Accumulators
from riskengine.simulation.compile import compile_model
from riskengine.simulation.runner import run_kernel


def two_plans() -> list[rk.Plan]:
    """The same three orders, planned in two sequences on one line (B first or A first)."""
    def plan(pid: str, order: list[str]) -> rk.Plan:
        ops, t = [], 0.0
        for name in order:
            ops.append(op(f"{name}-10", name, 100, t, t + 3, order=name))
            t += 3
        doc = plan_dict(ops, id=pid, horizon_hours=24)
        return rk.parse_plan({**doc, "orders": [{"id": "A", "due": 4}, {"id": "B", "due": 7},
                                                {"id": "C", "due": 11, "customer": "ACME"}]})

    return [plan("abc", ["A", "B", "C"]), plan("bac", ["B", "A", "C"])]


def premises(uncertain: bool = False):
    mtbf = {"uncertain": {"dist": "uniform", "low": 4, "high": 12}} if uncertain else 8
    doc = {"format": "riskengine.premises/1",
           "defaults": {"breakdowns": {"mtbf_hours": mtbf, "mttr_hours": 1.5},
                        "performance": {"dist": "lognormal", "mean": 1.0, "cv": 0.1}}}
    if uncertain:
        doc["uncertainty"] = {"replications_per_draw": 7}
    return parse_premises(doc)


def full_windows(plan: rk.Plan, p, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Every replication's on-time flags and tardiness (one window as long as the run)."""
    c = compile_model(plan, p)
    acc = Accumulators(c, n)
    tally = acc.open_window(0, n)
    run_kernel(c, seed, 0, n, acc)
    return tally.window_on_time.astype(float), tally.window_tardiness.copy()


@pytest.mark.parametrize("uncertain", [False, True])
def test_streamed_order_differences_equal_those_of_the_full_arrays(uncertain):
    plans, p = two_plans(), premises(uncertain)
    n = WINDOW + 700  # two windows; with 7 replications per draw, a draw spans their boundary
    result = compare(plans, p, replications=n, seed=11)
    per_draw = 7 if uncertain else 1
    (on_a, late_a), (on_b, late_b) = (full_windows(plan, p, n, 11) for plan in plans)
    assert [d["order"] for d in result.order_differences] == ["A", "B", "C"]
    for k, d in enumerate(result.order_differences):
        for name, x, y, higher in (("on_time", on_a, on_b, True), ("tardiness_hours", late_a, late_b, False)):
            expected = paired_difference(x[:, k], y[:, k], higher, per_draw)
            got = d[name]
            for key, value in expected.items():
                if name == "on_time" and key in ("low", "high"):
                    value = min(1.0, max(-1.0, value))
                assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-12), (d["order"], name, key)
    # B first helps B and hurts A; C, last in both, is unchanged on the whole
    by_order = {d["order"]: d["on_time"] for d in result.order_differences}
    assert by_order["A"]["low"] > 0 and by_order["B"]["high"] < 0


def test_compared_plans_keep_their_own_scores_and_rank_by_on_time():
    plans, p = two_plans(), premises()
    result = compare(plans, p, replications=600, seed=2, rank_by="on_time")
    for plan, summary in zip(plans, result.plans, strict=True):
        alone = score(plan, p, replications=600, seed=2)
        assert summary["plan_holds"] == alone.plan_holds and summary["adherence"] == alone.adherence
        assert summary["orders"] == 3
        assert summary["orders_likely_on_time"] == sum(o["on_time"]["mean"] >= 0.8 for o in alone.orders)
    likely = {s["id"]: s["orders_likely_on_time"] for s in result.plans}
    assert result.rank_by == "on_time"
    assert likely[result.ranking[0]] >= likely[result.ranking[1]]
    text = str(result)
    assert "Orders on time with at least 80% probability" in text and "most orders on time" in text
    doc = json.loads(json.dumps(result.to_dict()))
    assert doc["rank_by"] == "on_time" and len(doc["order_differences"]) == 3
    with pytest.raises(rk.InputError, match="rank_by"):
        compare(plans, p, replications=10, rank_by="bts")


def test_plans_without_shared_orders_have_no_order_differences():
    a, b = two_plans()
    b = rk.parse_plan({**json.loads(b.model_dump_json()), "orders": None})
    result = compare([a, b], premises(), replications=50, seed=1)
    assert result.order_differences == [] and "orders" not in result.plans[1]
    assert result.plans[0]["orders"] == 3


def test_thread_count_gives_bit_identical_compare_with_orders(tmp_path):
    import os
    import subprocess
    import sys

    for plan in two_plans():
        (tmp_path / f"{plan.id}.json").write_text(plan.model_dump_json(exclude_none=True))
    (tmp_path / "premises.json").write_text(json.dumps(premises(uncertain=True).model_dump(
        mode="json", by_alias=True, exclude_none=True)))
    outputs = []
    for threads in ("1", "2"):
        out = tmp_path / f"compare-{threads}.json"
        subprocess.run([sys.executable, "-m", "riskengine.cli", "compare", str(tmp_path / "abc.json"),
                        str(tmp_path / "bac.json"), "--premises", str(tmp_path / "premises.json"),
                        "--replications", "1500", "--seed", "3", "--quiet", "--json", str(out)],
                       check=True, env={**os.environ, "NUMBA_NUM_THREADS": threads})
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert len(json.loads(outputs[0])["order_differences"]) == 3
