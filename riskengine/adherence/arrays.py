"""The one definition of adherence, as numba array functions (docs/design.md section 2).

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

Ratios (Ford's build-to-schedule method as stated in docs/design.md section 2):
V = min(A, S) / S, M = B / A, BTP = B / S, Sq = in-sequence / built-to-mix
(orders, or units as an option), BTS = V x M x Sq. With S = 0 every ratio is
NaN ("nothing planned"). With S > 0 and nothing built (A = 0) mix is 0, and
with no planned order completed in its bucket sequence is 0: nothing was
built to the schedule, so nothing was built in its sequence. The sequence
counts (longest increasing subsequences) are in
:mod:`riskengine.adherence.sequence`.
"""

from __future__ import annotations

import math

import numpy as np

from riskengine._jit import jit, leaf_jit

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
    a boundary belongs to the bucket that ends there (docs/design.md section 2).
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
def add_volume_mix(bucket: np.ndarray, product: np.ndarray, quantity: np.ndarray, planned: np.ndarray,
                   planned_total: np.ndarray, produced: np.ndarray, out: np.ndarray) -> None:
    """Set S, A, min(A, S) and B = sum_i min(S_i, A_i) of each bucket in ``out``.

    ``bucket``, ``product`` and ``quantity`` describe completed good production
    (``bucket < 0``: outside the buckets); ``planned`` is the (buckets x
    products) matrix of S_i and ``planned_total`` its row sums S. ``produced``
    is a zero (buckets x products) work matrix, left zero: only the cells that
    production touches are visited, so the cost is O(items + buckets).
    """
    volume_mix(bucket, product, quantity, planned, planned_total, produced, out,
               np.empty(bucket.shape[0], np.int64))


@leaf_jit
def volume_mix(bucket: np.ndarray, product: np.ndarray, quantity: np.ndarray, planned: np.ndarray,
               planned_total: np.ndarray, produced: np.ndarray, out: np.ndarray,
               touched: np.ndarray) -> None:
    """:func:`add_volume_mix` with its work array ``touched`` (one per item) given."""
    n_products = planned.shape[1]
    n_touched = 0
    for i in range(bucket.shape[0]):
        b = bucket[i]
        if b < 0 or quantity[i] <= 0.0:
            continue
        p = product[i]
        if produced[b, p] == 0.0:
            touched[n_touched] = b * n_products + p
            n_touched += 1
        produced[b, p] += quantity[i]
    for b in range(out.shape[0]):
        out[b, PLANNED] = planned_total[b]
        out[b, PRODUCED] = 0.0
        out[b, BUILT_TO_MIX] = 0.0
    for k in range(n_touched):
        b = touched[k] // n_products
        p = touched[k] % n_products
        out[b, PRODUCED] += produced[b, p]
        out[b, BUILT_TO_MIX] += min(planned[b, p], produced[b, p])
        produced[b, p] = 0.0
    for b in range(out.shape[0]):
        out[b, VOLUME_UNITS] = min(out[b, PRODUCED], out[b, PLANNED])


@leaf_jit
def ratios(counts: np.ndarray, units_sequence: bool, out: np.ndarray) -> None:
    """Volume, mix, sequence, BTP and BTS of one counts row (NaN when S = 0).

    V = min(A, S)/S; M = B/A; BTP = B/S; Sq = in sequence / built to mix;
    BTS = V M Sq (docs/design.md section 2).
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
