"""Sequence adherence: longest increasing subsequence of planned positions (docs/design.md section 2)."""

from __future__ import annotations

import itertools

import numpy as np
from builders import measure, op, plan_dict, run
from hypothesis import given, settings
from hypothesis import strategies as st

from riskengine.adherence.sequence import increasing_subsequence


def sequence_score(built_order: list[int]) -> float:
    """Plan orders 1..n on one line in one shift, build them in ``built_order``."""
    n = len(built_order)
    ops = [op(f"o{k}", f"P{k}", 10, 8 * (k - 1) / n, 8 * k / n) for k in range(1, n + 1)]
    records = [run(f"o{k}", 10, 0.5 * i, 0.5 * i + 0.25) for i, k in enumerate(built_order)]
    return measure([plan_dict(ops)], records).total["sequence"]


def test_one_late_order_costs_one():
    assert sequence_score([1, 2, 3, 5, 6, 7, 8, 9, 10, 4]) == 0.9


def test_one_early_order_costs_one():
    assert sequence_score([10, 1, 2, 3, 4, 5, 6, 7, 8, 9]) == 0.9


def test_reversed_keeps_one_and_in_order_keeps_all():
    assert sequence_score(list(range(5, 0, -1))) == 0.2
    assert sequence_score([1, 2, 3, 4, 5]) == 1.0


def test_the_order_blamed_is_the_one_that_moved():
    ops = [op(f"o{k}", f"P{k}", 10, k - 1, k) for k in range(1, 6)]
    records = [run(f"o{k}", 10, 0.5 * i, 0.5 * i + 0.25) for i, k in enumerate([1, 2, 4, 5, 3])]
    m = measure([plan_dict(ops)], records)
    assert [o["id"] for o in m.operations if o["deviation"] == "out_of_sequence"] == ["o3"]


def test_units_basis_weights_orders_by_their_units():
    # order 1 (100 units) started after orders 2 and 3 (10 units each): in orders, 2 of 3 are
    # in sequence (o2, o3); in units the heaviest increasing chain is o1 alone, 100 of 120 units
    ops = [op("o1", "P1", 100, 0, 2), op("o2", "P2", 10, 2, 4), op("o3", "P3", 10, 4, 6)]
    records = [run("o2", 10, 0, 1), run("o3", 10, 1, 2), run("o1", 100, 2, 3)]
    orders = measure([plan_dict(ops)], records)
    units = measure([plan_dict(ops)], records, sequence_basis="units")
    assert orders.total["sequence"] == 2 / 3
    assert units.total["sequence"] == 100 / 120


def brute_force(position: list[int], weight: list[float]) -> float:
    best = 0.0
    n = len(position)
    for size in range(1, n + 1):
        for idx in itertools.combinations(range(n), size):
            if all(position[a] < position[b] for a, b in itertools.pairwise(idx)):
                best = max(best, sum(weight[i] for i in idx))
    return best


@settings(max_examples=300, deadline=None)
@given(st.permutations(list(range(9))).flatmap(
    lambda p: st.tuples(st.just(p), st.lists(st.integers(1, 50), min_size=len(p), max_size=len(p)))))
def test_against_brute_force(case):
    perm, weights = case
    position = np.array(perm, np.int64)
    member = np.zeros(len(perm), np.int8)
    # unit weights: the longest increasing subsequence
    length = increasing_subsequence(position, np.ones(len(perm)), member)
    assert length == brute_force(perm, [1.0] * len(perm))
    chosen = position[member == 1]
    assert len(chosen) == length and np.all(np.diff(chosen) > 0)
    # integer weights: the heaviest increasing subsequence, members consistent with the total
    w = np.array(weights, np.float64)
    total = increasing_subsequence(position, w, member)
    assert total == brute_force(perm, weights)
    assert w[member == 1].sum() == total and np.all(np.diff(position[member == 1]) > 0)
