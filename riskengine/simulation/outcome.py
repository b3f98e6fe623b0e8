"""What one replication's execution means: adherence counts, HIT/MISS and causes.

Both engines hand each replication's per-operation results (actual start, end,
good quantity and the cause bookkeeping of DESIGN.md 4) to :func:`judge`,
which applies the one definition of adherence of
:mod:`riskengine.adherence.arrays` to the plan's own buckets.

Miss causes: a late or unexecuted operation carries the root cause of its
delay (inherited from a predecessor or the previous operation on its
resource when that is what held it up; ``knock-on`` only when no root is
known, ``planning`` for an operation never executed because the plan is
inconsistent); a short one ``quality`` (scrap); one out of sequence the cause
of its move (``operational`` for an operator's deviation, ``local-decision``
for resequencing around a blocked operation). An operation that executed as
planned but whose reliability factor failed (the article's model, consequence
``miss``) is a MISS with that factor's cause (deviation code ``FAILED``).
"""

from __future__ import annotations

import math

import numpy as np

from riskengine._jit import jit
from riskengine.adherence import arrays as ar
from riskengine.model.common import CAUSES

FAILED = 5  # deviation code of a reliability-factor miss (after the adherence codes)
KNOCK_ON = CAUSES.index("knock-on")
PLANNING = CAUSES.index("planning")
QUALITY = CAUSES.index("quality")
OPERATIONAL = CAUSES.index("operational")


@jit
def judge(op_bucket: np.ndarray, op_resource: np.ndarray, op_position: np.ndarray,
          op_product: np.ndarray, op_quantity: np.ndarray, n_products: int, bucket_hours: float,
          lateness_tolerance: float, quantity_tolerance: float,
          start: np.ndarray, end: np.ndarray, good: np.ndarray, delay_cause: np.ndarray,
          moved_cause: np.ndarray, factor_cause: np.ndarray,
          counts: np.ndarray, code: np.ndarray, miss_cause: np.ndarray, lost: np.ndarray) -> None:
    """Fill the bucket ``counts`` (zeroed here) and each operation's deviation ``code``,
    ``miss_cause`` (-1 for a HIT) and ``lost`` units.

    Operations planned to end outside the horizon (``op_bucket < 0``) are not
    judged (code HIT, no cause).
    """
    n = op_bucket.shape[0]
    n_buckets = counts.shape[0]
    counts[:, :] = 0.0
    planned = np.zeros((n_buckets, n_products))
    produced = np.zeros((n_buckets, n_products))
    ar.add_quantities(op_bucket, op_product, op_quantity, planned)
    done_bucket = np.empty(n, np.int64)
    seq_bucket = np.empty(n, np.int64)
    weight = np.empty(n)
    for i in range(n):
        b = -1
        if good[i] > 0.0 and math.isfinite(end[i]):
            b = ar.bucket_of(end[i], 0.0, bucket_hours, n_buckets)
        done_bucket[i] = b
        seq_bucket[i] = op_bucket[i] if (b >= 0 and b == op_bucket[i]) else -1
        weight[i] = min(op_quantity[i], good[i])
    ar.add_quantities(done_bucket, op_product, good, produced)
    ar.add_volume_mix(planned, produced, counts)
    member = np.zeros(n, np.int8)
    ar.add_sequence(seq_bucket, op_resource, op_position, start, weight, counts, member)
    for i in range(n):
        miss_cause[i] = -1
        lost[i] = 0.0
        if op_bucket[i] < 0:
            code[i] = ar.HIT
            continue
        deadline = (op_bucket[i] + 1) * bucket_hours + lateness_tolerance
        c = ar.classify(good[i], end[i], op_quantity[i], deadline, quantity_tolerance,
                        seq_bucket[i] >= 0, member[i] == 1)
        if c == ar.HIT and factor_cause[i] >= 0:
            c = FAILED
            miss_cause[i] = factor_cause[i]
            lost[i] = op_quantity[i]
        elif c == ar.NOT_EXECUTED:
            miss_cause[i] = delay_cause[i] if delay_cause[i] >= 0 else PLANNING
        elif c == ar.LATE:
            miss_cause[i] = delay_cause[i] if delay_cause[i] >= 0 else KNOCK_ON
        elif c == ar.SHORT:
            miss_cause[i] = QUALITY
        elif c == ar.OUT_OF_SEQUENCE:
            miss_cause[i] = moved_cause[i] if moved_cause[i] >= 0 else OPERATIONAL
        if c != ar.HIT and c != FAILED:
            lost[i] = ar.lost_units(c, good[i], op_quantity[i])
        code[i] = c


@jit
def root_cause(delay: np.ndarray) -> int:
    """The cause (code) with the largest positive delay; ties to the earlier code; -1 if none."""
    best = 0.0
    cause = -1
    for k in range(delay.shape[0]):
        if delay[k] > best:
            best = delay[k]
            cause = k
    return cause
