"""What one replication's execution means: adherence counts, HIT/MISS and causes.

Both engines hand each replication's per-operation results (actual start, end,
good quantity and the cause bookkeeping of docs/design.md section 3) to :func:`judge`,
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

from riskengine._jit import jit, leaf_inline, leaf_jit
from riskengine.adherence import arrays as ar
from riskengine.adherence import sequence as sq
from riskengine.model.common import CAUSES

FAILED = 5  # deviation code of a reliability-factor miss (after the adherence codes)
KNOCK_ON = CAUSES.index("knock-on")
PLANNING = CAUSES.index("planning")
ABSENTEEISM = CAUSES.index("absenteeism")
QUALITY = CAUSES.index("quality")
OPERATIONAL = CAUSES.index("operational")


@jit
def judge_work(op_bucket: np.ndarray, op_resource: np.ndarray, n_resources: int, n_buckets: int):
    """The work arrays :func:`judge` needs for a plan (allocate once, reuse for every replication).

    Besides scratch, they hold each operation's (bucket, resource) group for
    the sequence counts: only the groups that hold planned operations are
    numbered (in bucket, resource order), so the cost per replication grows
    with operations, not with buckets x resources.
    """
    n = op_bucket.shape[0]
    seen = np.full(n_buckets * n_resources, -1, np.int64)
    for i in range(n):
        if op_bucket[i] >= 0:
            seen[op_bucket[i] * n_resources + op_resource[i]] = 0
    n_groups = 0
    group_bucket = np.empty(n, np.int64)
    for g in range(seen.shape[0]):
        if seen[g] == 0:
            seen[g] = n_groups
            group_bucket[n_groups] = g // n_resources
            n_groups += 1
    op_group = np.full(n, -1, np.int64)
    for i in range(n):
        if op_bucket[i] >= 0:
            op_group[i] = seen[op_bucket[i] * n_resources + op_resource[i]]
    first, items, pos, w, ones, flags, best, pred, sort_order, rank, tree_value, tree_item = \
        sq.sequence_work(n, n_groups)
    return (op_group, n_groups, group_bucket[:max(n_groups, 1)].copy(), np.empty(n, np.int64),
            np.empty(n, np.int64), np.empty(n), np.zeros(n, np.int8), np.empty(n, np.int64),
            first, items, pos, w, ones, flags, best, pred, sort_order, rank, tree_value, tree_item)


@leaf_jit
def judge(op_bucket: np.ndarray, op_position: np.ndarray, op_product: np.ndarray,
          op_quantity: np.ndarray, planned: np.ndarray, planned_total: np.ndarray, bucket_hours: float,
          lateness_tolerance: float, quantity_tolerance: float, order: np.ndarray, n_started: int,
          start: np.ndarray, end: np.ndarray, good: np.ndarray, delay_cause: np.ndarray,
          moved_cause: np.ndarray, factor_cause: np.ndarray, counts: np.ndarray,
          code: np.ndarray, miss_cause: np.ndarray, lost: np.ndarray, produced: np.ndarray,
          op_group: np.ndarray, n_groups: int, group_bucket: np.ndarray, done_bucket: np.ndarray,
          seq_group: np.ndarray, weight: np.ndarray, member: np.ndarray, touched: np.ndarray,
          first: np.ndarray, items: np.ndarray, pos: np.ndarray, w: np.ndarray, ones: np.ndarray,
          flags: np.ndarray, best: np.ndarray, pred: np.ndarray, sort_order: np.ndarray,
          rank: np.ndarray, tree_value: np.ndarray, tree_item: np.ndarray) -> None:
    """Fill the bucket ``counts`` and each operation's deviation ``code``, ``miss_cause``
    (-1 for a HIT) and ``lost`` units.

    ``order[:n_started]`` lists the started operations in execution order;
    ``planned`` (buckets x products) and ``planned_total`` are the plan's S_i
    and S; ``produced`` is a zero work matrix of the same shape (left zero).
    Operations planned to end outside the horizon (``op_bucket < 0``) are not
    judged (code HIT, no cause). The arguments from ``op_group`` on are the
    work arrays of :func:`judge_work`; nothing is allocated.
    """
    n = op_bucket.shape[0]
    n_buckets = counts.shape[0]
    for i in range(n):
        b = -1
        if good[i] > 0.0 and math.isfinite(end[i]):
            b = ar.bucket_of(end[i], 0.0, bucket_hours, n_buckets)
        done_bucket[i] = b
        seq_group[i] = op_group[i] if (b >= 0 and b == op_bucket[i]) else -1
        weight[i] = min(op_quantity[i], good[i])
    ar.volume_mix(done_bucket, op_product, good, planned, planned_total, produced, counts, touched)
    for b in range(n_buckets):
        for j in range(ar.ORDERS_BUILT, ar.N_COUNTS):
            counts[b, j] = 0.0
    sq.sequence_counts(order, n_started, seq_group, n_groups, group_bucket, op_position, weight, counts,
                       member, first, items, pos, w, ones, flags, best, pred, sort_order, rank,
                       tree_value, tree_item)
    for i in range(n):
        miss_cause[i] = -1
        lost[i] = 0.0
        if op_bucket[i] < 0:
            code[i] = ar.HIT
            continue
        deadline = (op_bucket[i] + 1) * bucket_hours + lateness_tolerance
        c = ar.classify(good[i], end[i], op_quantity[i], deadline, quantity_tolerance,
                        seq_group[i] >= 0, member[i] == 1)
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


@leaf_inline
def root_cause(delay: np.ndarray) -> int:
    """The cause (code) with the largest positive delay; ties to the earlier code; -1 if none."""
    best = 0.0
    cause = -1
    for k in range(delay.shape[0]):  # selects rather than branches (the winner is unpredictable)
        d = delay[k]
        better = d > best
        cause = k if better else cause
        best = d if better else best
    return cause


@leaf_inline
def start_delay(delay: np.ndarray, planned: float, s: float, plain: float, begin: float,
                cause: int) -> float:
    """Add an operation's start delay to ``delay`` (hours per cause); return the binding part.

    The delay past the planned start has three parts, each with its own cause
    (docs/design.md section 3: the root cause is the largest component):

    - binding ``max(s, planned) - planned``: the latest of resource, slot,
      predecessors, materials and reliability delay held the start until
      ``s``; it carries that constraint's ``cause``;
    - calendar ``max(plain, planned) - max(s, planned)``: non-working time
      until the next working instant ``plain``; a consequence of the binding
      delay when there is one (an operation pushed into the weekend), else
      ``planning`` (the plan starts it in non-working time);
    - absence ``max(begin, planned) - max(plain, planned)``: shifts the crew
      is absent (effect stop) until ``begin``: ``absenteeism``.

    Returns the binding part plus the calendar part it carries: the delay an
    operation inherits when the binding constraint was a late predecessor.
    """
    if not begin > planned:
        return 0.0
    s1 = max(s, planned)
    p1 = max(plain, planned)
    binding = s1 - planned
    calendar = p1 - s1
    delay[cause] += binding
    delay[ABSENTEEISM] += begin - p1
    if binding > 0.0:
        delay[cause] += calendar
        return binding + calendar
    delay[PLANNING] += calendar
    return 0.0


@leaf_inline
def inherits(delay: np.ndarray, root: int, cause: int, inherited: float) -> bool:
    """Whether an operation's delay continues the one it inherited (its origin is the
    predecessor's): the root cause is the inherited cause and the inherited part is at least
    the operation's own delay of that cause."""
    return inherited > 0.0 and root == cause and inherited >= delay[cause] - inherited


@leaf_inline
def execution_gap(delay: np.ndarray, gap: float, planned_gap: float, plan_gap: float,
                  inherited: float) -> float:
    """Charge the non-working time crossed during setup and processing; return the inherited
    delay including its share.

    ``delay`` holds an operation's start delay (:func:`start_delay`) and its execution
    overruns per cause (repairs, performance, setup, absent or slow shifts). ``gap`` is the
    non-working time the execution crossed, ``planned_gap`` the one the plan's window holds
    (window minus planned setup and work) and ``plan_gap`` the one the planned setup and work
    cross when run undisturbed from the planned start
    (:func:`riskengine.simulation.mechanics.planned_gap_crossed`). Then:

    - ``plan_gap - planned_gap`` is the plan's own error (a window too short, or too long,
      for its work across a break): ``planning``;
    - the extra ``x = gap - plan_gap`` is what the disruptions pushed the work into: when
      ``x > 0`` it goes to the causes with a positive delay so far, in proportion to their
      hours (each cause's delay d_k becomes d_k (1 + x / sum of the positive d)); with
      none (an early start crossing a break), or when ``x <= 0`` (the execution crossed
      less than the plan's work would, e.g. it started after the break), to ``planning``.

    The charges add up to ``gap - planned_gap`` as before; only who carries them changed.
    The inherited part of the start delay (``inherited``, carried by its cause) takes its
    share too, so an operation pushed into a weekend by its predecessor keeps its origin.
    """
    extra = gap - plan_gap
    total = 0.0
    if extra > 0.0:  # (usually not: most late operations cross no extra break)
        for k in range(delay.shape[0]):
            if delay[k] > 0.0:
                total += delay[k]
    if extra > 0.0 and total > 0.0:
        scale = extra / total
        for k in range(delay.shape[0]):
            if delay[k] > 0.0:
                delay[k] += delay[k] * scale
        inherited += inherited * scale
    else:
        delay[PLANNING] += extra
    delay[PLANNING] += plan_gap - planned_gap
    return inherited
