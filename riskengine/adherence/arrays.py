"""The one definition of adherence, as numba array functions (DESIGN.md 3).

These functions are used on realized data (:mod:`riskengine.adherence.measure`)
and inside every simulated replication, so a forecast and a measurement mean
the same thing. They take flat numpy arrays only and add into ``out`` arrays
that the caller owns (no allocation proportional to replications).

Counts kept per bucket (columns of a counts row, summed to consolidate):

======================  ======================================================
``PLANNED``             S = sum_i S_i, planned units of the bucket
``PRODUCED``            A = sum_i A_i, good units completed in the bucket
``VOLUME_UNITS``        min(A, S): production that counts for volume
``BUILT_TO_MIX``        B = sum_i min(S_i, A_i)
``ORDERS_BUILT``        planned orders of the bucket completed in it (per resource)
``ORDERS_IN_SEQUENCE``  longest increasing subsequence of their planned positions
``UNITS_BUILT``         the same orders weighted by min(planned, good) units
``UNITS_IN_SEQUENCE``   maximum-weight increasing subsequence of those weights
======================  ======================================================

Ratios (Ford's build-to-schedule method as stated in DESIGN.md 3):
V = min(A, S) / S, M = B / A, BTP = B / S, Sq = in-sequence / built-to-mix
(orders, or units as an option), BTS = V x M x Sq. With S = 0 every ratio is
NaN ("nothing planned"). With S > 0 and nothing built (A = 0) mix is 0, and
with no planned order completed in its bucket sequence is 0: nothing was
built to the schedule, so nothing was built in its sequence.
"""

from __future__ import annotations

import math

import numpy as np

from riskengine._jit import jit

PLANNED = 0
PRODUCED = 1
VOLUME_UNITS = 2
BUILT_TO_MIX = 3
ORDERS_BUILT = 4
ORDERS_IN_SEQUENCE = 5
UNITS_BUILT = 6
UNITS_IN_SEQUENCE = 7
N_COUNTS = 8
COUNT_NAMES = (
    "planned",
    "produced",
    "volume_units",
    "built_to_mix",
    "orders_built_to_mix",
    "orders_in_sequence",
    "units_built_to_mix_in_orders",
    "units_in_sequence",
)

VOLUME = 0
MIX = 1
SEQUENCE = 2
BTP = 3
BTS = 4
N_RATIOS = 5
RATIO_NAMES = ("volume", "mix", "sequence", "btp", "bts")

#: Deviation codes of an operation (HIT is 0); the order is the precedence.
HIT = 0
NOT_EXECUTED = 1
LATE = 2
SHORT = 3
OUT_OF_SEQUENCE = 4
DEVIATION_NAMES = (None, "not_executed", "late", "short", "out_of_sequence")

_EDGE = 1e-9  # a completion within 1e-9 bucket of a boundary is on it


@jit
def bucket_of(t: float, origin: float, bucket_hours: float, n_buckets: int) -> int:
    """Index of the bucket whose window (start, end] holds ``t``; -1 outside.

    Bucket k covers (origin + k h, origin + (k + 1) h]: a completion exactly on
    a boundary belongs to the bucket that ends there (DESIGN.md 3).
    """
    if not math.isfinite(t):
        return -1
    k = math.ceil((t - origin) / bucket_hours - _EDGE) - 1
    if k < 0 or k >= n_buckets:
        return -1
    return k


@jit
def add_quantities(bucket: np.ndarray, product: np.ndarray, quantity: np.ndarray,
                   out: np.ndarray) -> None:
    """``out[b, p] += quantity`` for every item with a bucket (``bucket >= 0``)."""
    for i in range(bucket.shape[0]):
        b = bucket[i]
        if b >= 0:
            out[b, product[i]] += quantity[i]


@jit
def add_volume_mix(planned: np.ndarray, produced: np.ndarray, out: np.ndarray) -> None:
    """Add S, A, min(A, S) and B = sum_i min(S_i, A_i) of each bucket to ``out``.

    ``planned`` and ``produced`` are (buckets x products) matrices.
    """
    for b in range(planned.shape[0]):
        s = 0.0
        a = 0.0
        built = 0.0
        for i in range(planned.shape[1]):
            s += planned[b, i]
            a += produced[b, i]
            built += min(planned[b, i], produced[b, i])
        out[b, PLANNED] += s
        out[b, PRODUCED] += a
        out[b, VOLUME_UNITS] += min(a, s)
        out[b, BUILT_TO_MIX] += built


@jit
def _better(value: float, rank: int, best_value: float, best_rank: int) -> bool:
    """Tie rule: the heavier chain wins; among equals, the one ending at the lower position."""
    return value > best_value or (value == best_value and best_rank >= 0 and rank < best_rank)


@jit
def increasing_subsequence(position: np.ndarray, weight: np.ndarray, member: np.ndarray) -> float:
    """Maximum-weight strictly increasing subsequence of ``position``; marks its members.

    ``position`` lists planned positions in actual start order; with unit
    weights this is the longest increasing subsequence (a single early or late
    order costs one, not all that follow). O(n log n) with a Fenwick tree of
    prefix maxima over position ranks.

    Ties are broken deterministically: among chains of equal weight the one
    whose members have the lower planned positions is kept, so in 2, 1 the
    order planned second (started first) is the one out of sequence, and in
    10, 1, 2, ..., 9 it is order 10.

    Returns the total weight of the subsequence; ``member[k]`` is set to 1 for
    its elements and 0 for the others.
    """
    n = position.shape[0]
    member[:] = 0
    if n == 0:
        return 0.0
    order = np.argsort(position, kind="mergesort")
    rank = np.empty(n, np.int64)
    for r in range(n):
        rank[order[r]] = r
    tree_value = np.zeros(n + 1)
    tree_item = np.full(n + 1, -1, np.int64)
    best = np.zeros(n)
    pred = np.full(n, -1, np.int64)
    for k in range(n):
        # best chain ending below this rank: prefix maximum over ranks < rank[k]
        value = 0.0
        item = -1
        j = rank[k]
        while j > 0:
            if tree_item[j] >= 0 and _better(
                tree_value[j], rank[tree_item[j]], value, rank[item] if item >= 0 else -1
            ):
                value = tree_value[j]
                item = tree_item[j]
            j -= j & (-j)
        best[k] = value + weight[k]
        pred[k] = item
        j = rank[k] + 1
        while j <= n:
            current = tree_item[j]
            if current < 0 or _better(best[k], rank[k], tree_value[j], rank[current]):
                tree_value[j] = best[k]
                tree_item[j] = k
            j += j & (-j)
    end = 0
    for k in range(1, n):
        if _better(best[k], rank[k], best[end], rank[end]):
            end = k
    total = best[end]
    while end >= 0:
        member[end] = 1
        end = pred[end]
    return total


@jit
def add_sequence(bucket: np.ndarray, resource: np.ndarray, position: np.ndarray,
                 start: np.ndarray, weight: np.ndarray, out: np.ndarray,
                 member: np.ndarray) -> None:
    """Add the sequence counts of every (bucket, resource) group to ``out``.

    Items are the planned orders completed in their planned bucket
    (``bucket >= 0``; others are ignored and get ``member = 0``). Within a
    group they are taken in actual start order (ties by planned position),
    and the longest increasing subsequence of planned positions is in
    sequence (orders), as is the maximum-weight one (units, weight =
    min(planned, good) units). ``member`` marks the orders in sequence.
    """
    n = bucket.shape[0]
    member[:] = 0
    # stable sorts from the least to the most significant key: position, start, resource, bucket
    idx = np.argsort(position, kind="mergesort")
    idx = idx[np.argsort(start[idx], kind="mergesort")]
    idx = idx[np.argsort(resource[idx], kind="mergesort")]
    idx = idx[np.argsort(bucket[idx], kind="mergesort")]
    ones = np.ones(n)
    flags = np.zeros(n, np.int8)
    first = 0
    while first < n:
        b = bucket[idx[first]]
        r = resource[idx[first]]
        last = first
        while last < n and bucket[idx[last]] == b and resource[idx[last]] == r:
            last += 1
        if b >= 0:
            group = idx[first:last]
            pos = position[group]
            count = increasing_subsequence(pos, ones[: last - first], flags[: last - first])
            for k in range(last - first):
                member[group[k]] = flags[k]
            units = increasing_subsequence(pos, weight[group], flags[: last - first])
            total = 0.0
            for k in range(last - first):
                total += weight[group[k]]
            out[b, ORDERS_BUILT] += last - first
            out[b, ORDERS_IN_SEQUENCE] += count
            out[b, UNITS_BUILT] += total
            out[b, UNITS_IN_SEQUENCE] += units
        first = last


@jit
def ratios(counts: np.ndarray, units_sequence: bool, out: np.ndarray) -> None:
    """Volume, mix, sequence, BTP and BTS of one counts row (NaN when S = 0).

    V = min(A, S)/S; M = B/A; BTP = B/S; Sq = in sequence / built to mix;
    BTS = V M Sq (DESIGN.md 3).
    """
    s = counts[PLANNED]
    if s <= 0.0:
        out[:] = np.nan
        return
    a = counts[PRODUCED]
    out[VOLUME] = counts[VOLUME_UNITS] / s
    out[MIX] = counts[BUILT_TO_MIX] / a if a > 0.0 else 0.0
    if units_sequence:
        base = counts[UNITS_BUILT]
        out[SEQUENCE] = counts[UNITS_IN_SEQUENCE] / base if base > 0.0 else 0.0
    else:
        base = counts[ORDERS_BUILT]
        out[SEQUENCE] = counts[ORDERS_IN_SEQUENCE] / base if base > 0.0 else 0.0
    out[BTP] = counts[BUILT_TO_MIX] / s
    out[BTS] = out[VOLUME] * out[MIX] * out[SEQUENCE]


@jit
def classify(good: float, end: float, planned: float, deadline: float, quantity_tolerance: float,
             completed_in_bucket: bool, in_sequence: bool) -> int:
    """Deviation code of one planned operation (``HIT`` = 0).

    HIT when good units were completed by ``deadline`` (planned bucket end
    plus the lateness tolerance), at least ``planned x quantity_tolerance``
    of them, and, when completed inside its bucket, in sequence. Otherwise the
    first that applies of not_executed, late, short, out_of_sequence.
    """
    if good <= 0.0:
        return NOT_EXECUTED
    if end > deadline + 1e-9:
        return LATE
    if good < planned * quantity_tolerance - 1e-9:
        return SHORT
    if completed_in_bucket and not in_sequence:
        return OUT_OF_SEQUENCE
    return HIT


@jit
def lost_units(code: int, good: float, planned: float) -> float:
    """Units of the plan missing from the bucket because of a deviation.

    Late or not executed: all planned units; short: the shortfall; out of
    sequence: none (the units were there, in the wrong order).
    """
    if code == NOT_EXECUTED or code == LATE:
        return planned
    if code == SHORT:
        return max(planned - good, 0.0)
    return 0.0
