"""Replication figures past the row budget (issue 15): streamed into sketches, with results that
do not depend on threads, chunks or batches, estimates within the sketch's stated error of the
exact ones, and exact rows below the budget (the golden results of docs/design.md section 6).

The budget is lowered here (``ROW_BYTES``) so that small runs stream; the memory itself is
tested in tests/test_memory.py.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest

import riskengine as rk
import riskengine.simulation.streamed as streamed
from riskengine.analysis.compare import compare
from riskengine.analysis.result import build_result
from riskengine.analysis.score import score, simulate
from riskengine.simulation import sketch as sk
from riskengine.simulation.accumulate import Accumulators, run_reference
from riskengine.simulation.compile import compile_model
from riskengine.simulation.runner import chunk_bounds, run_kernel

FACTORY = "scenarios/example-factory/"


@pytest.fixture
def stream_all(monkeypatch):
    monkeypatch.setattr(streamed, "ROW_BYTES", 0)


def inputs(plan: str = "plan-v1.json", premises: str = "premises.toml"):
    return rk.read_plan(FACTORY + plan), rk.read_premises(FACTORY + premises)


def run(c, n: int, chunks: int | None = None, threads: int | None = None, batches=(None,)) -> Accumulators:
    acc = Accumulators(c, n)
    before = numba.get_num_threads()
    numba.set_num_threads(threads or numba.config.NUMBA_NUM_THREADS)
    try:
        edges = [0, *[b for b in batches if b is not None], n]
        for lo, hi in zip(edges[:-1], edges[1:], strict=True):
            run_kernel(c, 9, lo, hi - lo, acc, chunks=chunks)
    finally:
        numba.set_num_threads(before)
    return acc


def parts(acc: Accumulators) -> list[np.ndarray]:
    """Every array of the streamed figures, the exact sums' limbs normalized."""
    s = acc.stream
    for limbs in (s.sketch.sums, s.clusters.sums):
        sk.normalize(limbs)
    return [*s.sketch[1:], *s.clusters, s.open_sum, s.open_n]


def same_sketch(a: Accumulators, b: Accumulators) -> None:
    for x, y in zip(parts(a), parts(b), strict=True):
        assert np.array_equal(x, y)


def test_chunk_bounds_fall_on_clusters():
    assert chunk_bounds(0, 10, 3) == [(0, 3), (3, 6), (6, 10)]
    assert chunk_bounds(7, 20, 4, align=5) == [(7, 10), (10, 15), (15, 20), (20, 27)]
    assert chunk_bounds(7, 2, 4, align=5) == [(7, 9)]


@pytest.mark.parametrize("premises", ["premises.toml", "premises-uncertain.toml"])
def test_streamed_results_do_not_depend_on_threads_chunks_or_batches(stream_all, premises):
    """The sketches (counts, extremes, exact sums, cluster sums, the open cluster) and the result
    are bit-identical for 1 or 2 threads, 1, 3 or 8 chunks and runs cut at replications 0, 37
    and 151 (clusters of 5 replications cut in the middle)."""
    plan, prem = inputs("plan-v2.json", premises)
    c = compile_model(plan, prem)
    base = run(c, 203, chunks=1, threads=1)
    assert base.stream is not None and base.rows is None and base.replications == 203
    for chunks, threads, batches in ((3, 2, (None,)), (8, 2, (37, 151)), (3, 1, (151,))):
        other = run(c, 203, chunks, threads, batches)
        same_sketch(base, other)
        assert build_result(plan, prem, c, other, seed=9, engine="kernel", precision=None).to_dict() == \
            build_result(plan, prem, c, base, seed=9, engine="kernel", precision=None).to_dict()


def test_reference_streams_the_same_figures(stream_all):
    plan, prem = inputs("plan-v1.json", "premises-uncertain.toml")
    c = compile_model(plan, prem)
    kernel = run(c, 12, chunks=3)
    reference = Accumulators(c, 12)
    run_reference(c, 9, 0, 12, reference)
    same_sketch(kernel, reference)


def test_rows_past_the_budget_become_a_sketch_as_if_streamed_all_along(monkeypatch):
    """Adaptive precision grows the accumulators: once the rows would pass the budget, those kept
    are streamed in replication order, and the sketch equals one streamed from the start."""
    plan, prem = inputs("plan-v3.json", "premises-uncertain.toml")
    c = compile_model(plan, prem)
    width = Accumulators(c, 1).layout.width
    monkeypatch.setattr(streamed, "ROW_BYTES", 8 * width * 300)
    acc = Accumulators(c, 298)
    run_kernel(c, 9, 0, 298, acc)
    assert acc.rows is not None
    acc.grow(512)
    assert acc.rows is None and acc.replications == 298
    run_kernel(c, 9, 298, 214, acc)
    monkeypatch.setattr(streamed, "ROW_BYTES", 0)
    same_sketch(acc, run(c, 512))


def within(exact: dict | None, streamed_: dict | None, bound: float) -> None:
    assert (exact is None) == (streamed_ is None)
    if exact is None:
        return
    for key, value in exact.items():
        if value is None or key == "sd":
            assert streamed_[key] == value or math.isclose(streamed_[key], value, rel_tol=1e-12)
        elif key.startswith("p"):  # a quantile: within the sketch's bin
            assert abs(streamed_[key] - value) <= bound, (key, value, streamed_[key])
        else:  # mean and interval: from exact sums instead of numpy's, the last bits differ
            assert math.isclose(streamed_[key], value, rel_tol=1e-12, abs_tol=1e-15), (key, streamed_[key])


@pytest.mark.parametrize(("plan", "premises"), [("plan-v1.json", "premises.toml"),
                                                ("plan-v2.json", "premises-uncertain.toml")])
def test_streamed_estimates_within_the_stated_error_of_the_exact_ones(monkeypatch, plan, premises):
    """The same 1,500 replications kept as rows and streamed: proportions equal, means and
    intervals equal to 12 digits, ratio quantiles within 2^-10 and hour quantiles within T / 1024
    (T = 168 h, the horizon), the variance decomposition equal to 12 digits."""
    plan, prem = inputs(plan, premises)
    exact = score(plan, prem, replications=1500, seed=4).to_dict()
    monkeypatch.setattr(streamed, "ROW_BYTES", 0)
    streamed_ = score(plan, prem, replications=1500, seed=4).to_dict()
    hours = 168.0 / 1024
    for name, est in exact["adherence"].items():
        within(est, streamed_["adherence"][name], 2.0**-10)
    assert exact["plan_holds"] == streamed_["plan_holds"] or prem.uncertainty is not None
    within(exact["plan_holds"], streamed_["plan_holds"], 0.0)
    within(exact["finish"], streamed_["finish"], hours)
    pairs = zip(exact["buckets"] + exact["bands"], streamed_["buckets"] + streamed_["bands"], strict=True)
    for a, b in pairs:
        for key in ("bts", "btp", "score", "volume", "mix", "sequence"):
            if key in a:
                within(a[key], b[key], 2.0**-10)
    for a, b in zip(exact["resources"], streamed_["resources"], strict=True):
        within(a["finish"], b["finish"], hours)
    for a, b in zip(exact["holds_through_day"], streamed_["holds_through_day"], strict=True):
        within(a, b, 0.0)
    assert exact["operations"] == streamed_["operations"] and exact["causes"] == streamed_["causes"]
    if exact["uncertainty"] is not None:
        for key in ("bts", "btp", "finish"):
            x, y = exact["uncertainty"][key], streamed_["uncertainty"][key]
            for part in ("total_variance", "parameter_variance", "shop_floor_variance"):
                assert math.isclose(x[part], y[part], rel_tol=1e-9), (key, part)


def test_compare_pairs_the_same_replications_when_streaming(monkeypatch):
    """Paired differences read the headline figures of every replication (kept with keep_head):
    streamed or not, every difference is the same, to the bit."""
    plans = [rk.read_plan(FACTORY + f"plan-v{k}.json") for k in (1, 2)]
    prem = rk.read_premises(FACTORY + "premises.toml")
    exact = compare(plans, prem, replications=300, seed=2).to_dict()
    monkeypatch.setattr(streamed, "ROW_BYTES", 0)
    _, acc = simulate(plans[0], prem, replications=300, seed=2, keep_head=True)
    assert acc.rows is None and acc.headline().shape == (300, 7)
    assert compare(plans, prem, replications=300, seed=2).to_dict()["differences"] == exact["differences"]
