"""Streaming sums for risk insight: criticality, cruciality, SSI and first breaks.

Both engines call :func:`attribute` once per judged replication (after
:func:`riskengine.simulation.summary.summarize` has written its row). It adds
into integer accumulators only, so sums over chunks are bit-identical for any
thread count or chunk size, and memory grows with operations + buckets, never
with operations x replications (docs/design.md section 1):

- ``op_critical[i]``, ``res_critical[r]``: replications in which operation i
  (resource r) caused the *first miss*. The first miss is the MISS (a judged
  operation that is not a HIT) with the earliest planned start, ties to the
  lower operation index; it is caused by the *origin* of its deviation: for
  a late or unexecuted operation, the operation where its delay began (the
  engines follow a delay inherited from a predecessor or from the previous
  operation on the resource back to the operation whose own disruption
  started it, :func:`riskengine.simulation.outcome.inherits`); for a short,
  out-of-sequence or reliability-factor miss, the operation itself. So the
  first failure chain is charged to its root, even when the root itself was
  absorbed within its bucket (a HIT) and only its successor missed.
- ``op_sums[i, k]``: per operation the sums for Pearson correlations and
  standard deviations (see :data:`OP_SUMS`), and ``rep_sums`` the sums of the
  replication's loss. Delay x = lateness max(end - planned end, 0) in hours,
  for an operation not executed censored at the replication's last instant
  max(horizon end, last completion); duration = end - start of an executed
  operation; loss = 1 - BTS of the whole horizon, miss = 1 - plan holds.
  Every value is rounded to fixed point (2^-16 h, 2^-16 of a ratio) before it
  is squared or multiplied, so every product is an exact integer; a sum is
  kept as two int64 words (high and low 32 bits of each term), exact for up
  to 2^31 replications of terms below 2^62 (values are clipped at 2^15 h);
  sums of terms below 2^31 (the linear ones) use the low word only.
- ``breaks[f, k]``: replications whose first bucket where factor f (volume,
  mix, sequence) breaks is bucket k (k = n_buckets: it never breaks). Mix
  and sequence break below 1; volume below the quantity tolerance of the
  premises (``execution.quantity_tolerance``, default 1: the share of the
  planned quantity the shop counts as complete, as for a HIT), so that
  routine scrap within tolerance does not count as a broken volume. A bucket
  with nothing planned never breaks. The factors are those of
  :func:`riskengine.adherence.arrays.ratios` (the one definition).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from riskengine._jit import fused_jit, leaf_jit, step_jit
from riskengine.adherence import arrays as ar
from riskengine.simulation.outcome import Judgement
from riskengine.simulation.records import Adherence, Operations, Outputs
from riskengine.simulation.summary import BTS, FINISH, HOLDS

SCALE = float(2**16)
MAX_HOURS = float(2**15)  # values are clipped here so that squares stay below 2^62
#: per-operation sums: delay, delay^2, delay x loss, delay x miss, duration, duration^2
DELAY, DELAY2, DELAY_LOSS, DELAY_MISS, DURATION, DURATION2 = range(6)
N_OP_SUMS = 6
#: per-replication sums: loss, loss^2, miss, replications with a defined loss
LOSS, LOSS2, MISS, N_LOSS = range(4)
N_REP_SUMS = 4
N_FACTORS = 3  # volume, mix, sequence (the indices of arrays.ratios)
LOW_MASK = np.int64(0xFFFFFFFF)


@leaf_jit
def add_wide(acc: np.ndarray, k: int, value: np.int64) -> None:
    """Add a non-negative int64 ``value`` to the two-word sum ``acc[k]`` (high, low)."""
    acc[k, 0] += value >> 32
    acc[k, 1] += value & LOW_MASK


def wide_total(acc: np.ndarray) -> np.ndarray:
    """The exact totals of two-word sums (last axis: high, low) as Python integers."""
    hi = acc[..., 0].astype(object)
    lo = acc[..., 1].astype(object)
    return hi * (1 << 32) + lo


@fused_jit
def fixed(x: float) -> np.int64:
    """``x`` (hours or a ratio, >= 0) in fixed point 2^-16 (rounded half up), clipped at 2^15."""
    return np.int64(min(max(x, 0.0), MAX_HOURS) * SCALE + 0.5)


class Insight(NamedTuple):
    """The insight accumulators :func:`attribute` adds to (module docstring)."""

    op_critical: np.ndarray  # per operation: replications whose first miss began there
    res_critical: np.ndarray  # per resource: the same
    op_sums: np.ndarray  # (operations, N_OP_SUMS, 2) two-word sums
    rep_sums: np.ndarray  # (N_REP_SUMS, 2)
    breaks: np.ndarray  # (N_FACTORS, buckets + 1) first bucket where each factor breaks


@step_jit
def attribute(ops: Operations, adherence: Adherence, out: Outputs, judged: Judgement, row: np.ndarray,
              insight: Insight, ratio: np.ndarray) -> None:
    """Add one judged replication to the insight accumulators (module docstring).

    ``judged`` is the replication's :func:`riskengine.simulation.outcome.judge`
    (deviation codes and bucket counts), ``out`` its per-operation results
    (with the engines' origin of each operation's delay) and ``row`` its
    summary row; ``ratio`` is scratch of ``arrays.N_RATIOS``. Nothing is allocated.
    """
    op_bucket, op_start, op_end, op_resource = ops.bucket, ops.start, ops.end, ops.resource
    horizon, units_sequence = adherence.horizon, adherence.units_sequence
    quantity_tolerance = adherence.quantity_tolerance
    code, counts = judged.code, judged.counts
    origin, start, end = out.origin, out.start, out.end
    op_critical, res_critical, op_sums, rep_sums, breaks = insight
    n = op_bucket.shape[0]
    first = -1
    for i in range(n):
        if op_bucket[i] >= 0 and code[i] != ar.HIT:
            if first < 0 or op_start[i] < op_start[first]:
                first = i
    if first >= 0:
        root = origin[first] if code[first] == ar.LATE or code[first] == ar.NOT_EXECUTED else first
        op_critical[root] += 1
        res_critical[op_resource[root]] += 1
    # cruciality and SSI sums
    bts = row[BTS]
    has_loss = not math.isnan(bts)
    loss = fixed(1.0 - bts) if has_loss else np.int64(0)
    miss = np.int64(0) if row[HOLDS] > 0.5 else np.int64(1)
    if has_loss:
        add_wide(rep_sums, LOSS, loss)
        add_wide(rep_sums, LOSS2, loss * loss)
        rep_sums[N_LOSS, 1] += 1
    rep_sums[MISS, 1] += miss
    last = max(horizon, row[FINISH])
    # linear terms are below 2^31 per replication: one word (the low one) holds their sum
    for i in range(n):
        if math.isfinite(end[i]):
            d = fixed(end[i] - start[i])
            op_sums[i, DURATION, 1] += d
            dd = d * d
            op_sums[i, DURATION2, 0] += dd >> 32
            op_sums[i, DURATION2, 1] += dd & LOW_MASK
            late = end[i] - op_end[i]
        else:
            late = last - op_end[i]
        if late > 0.0:
            x = fixed(late)
            op_sums[i, DELAY, 1] += x
            xx = x * x
            op_sums[i, DELAY2, 0] += xx >> 32
            op_sums[i, DELAY2, 1] += xx & LOW_MASK
            xy = x * loss
            op_sums[i, DELAY_LOSS, 0] += xy >> 32
            op_sums[i, DELAY_LOSS, 1] += xy & LOW_MASK
            op_sums[i, DELAY_MISS, 1] += x * miss
    # the first bucket where each factor is below 1 (n_buckets: never)
    n_buckets = counts.shape[0]
    first_v = n_buckets
    first_m = n_buckets
    first_s = n_buckets
    for b in range(n_buckets):
        if first_v < n_buckets and first_m < n_buckets and first_s < n_buckets:
            break
        if not counts[b, ar.PLANNED] > 0.0:
            continue
        ar.ratios(counts[b], units_sequence, ratio)
        if first_v == n_buckets and ratio[ar.VOLUME] < quantity_tolerance:
            first_v = b
        if first_m == n_buckets and ratio[ar.MIX] < 1.0:
            first_m = b
        if first_s == n_buckets and ratio[ar.SEQUENCE] < 1.0:
            first_s = b
    breaks[ar.VOLUME, first_v] += 1
    breaks[ar.MIX, first_m] += 1
    breaks[ar.SEQUENCE, first_s] += 1
