"""What one replication's execution means: adherence counts, HIT/MISS and causes.

Both engines hand each replication's per-operation results (actual start, end,
good quantity and the cause bookkeeping of docs/design.md section 3) to :func:`judge`,
which applies the one definition of adherence of
:mod:`riskengine.adherence.arrays` to the plan's own buckets.

Miss causes: a late or unexecuted operation carries the root cause of its
delay (inherited from a predecessor or the previous operation on its
resource when that is what held it up; ``knock-on`` only when no root is
known, ``planning`` for an operation never executed because the plan is
inconsistent); a short one, or one executed without a good unit, ``quality``
(scrap, or a failed quality factor); one out of sequence the cause of its
move (``operational`` for an operator's deviation, ``local-decision`` for
resequencing around a blocked operation). A failed reliability factor has a
realized effect (docs/design.md section 3): the judgement sees it in the
record like any other deviation.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from riskengine._jit import step_jit
from riskengine.adherence import arrays as ar
from riskengine.adherence import sequence as sq
from riskengine.simulation.codes import N_CAUSES, Account, Cause
from riskengine.simulation.records import Adherence, Changeovers, Operations, Outputs


class Judgement(NamedTuple):
    """What :func:`judge` finds in one replication."""

    counts: np.ndarray  # (buckets, N_COUNTS) adherence counts (:mod:`riskengine.adherence.arrays`)
    code: np.ndarray  # per operation: deviation code (:mod:`riskengine.adherence.arrays`, HIT = 0)
    miss_cause: np.ndarray  # its miss cause, -1: a HIT
    lost: np.ndarray  # units of the plan it lost


class JudgeWork(NamedTuple):
    """The work arrays of :func:`judge` (:func:`judge_work`)."""

    op_group: np.ndarray  # per operation: its (bucket, resource) group, -1: not judged
    n_groups: int
    group_bucket: np.ndarray  # per group: its bucket
    done_bucket: np.ndarray  # per operation: bucket of its completion, -1: none
    seq_group: np.ndarray  # its group if completed in its planned bucket, else -1
    weight: np.ndarray  # min(planned, good) units
    member: np.ndarray  # int8: in sequence
    touched: np.ndarray  # volume and mix work
    produced: np.ndarray  # (buckets, products) zeros
    sequence: sq.SequenceWork


def judgement(n: int, n_buckets: int) -> Judgement:
    """Fresh :class:`Judgement` arrays for ``n`` operations."""
    return Judgement(np.zeros((n_buckets, ar.N_COUNTS)), np.zeros(n, np.int64), np.zeros(n, np.int64),
                     np.zeros(n))


def judge_work(op_bucket: np.ndarray, op_resource: np.ndarray, n_resources: int, n_buckets: int,
               n_products: int) -> JudgeWork:
    """The work arrays :func:`judge` needs for a plan (allocate once, reuse for every replication).

    Besides scratch, they hold each operation's (bucket, resource) group for
    the sequence counts: only the groups that hold planned operations are
    numbered (in bucket, resource order), so the cost per replication grows
    with operations, not with buckets x resources.
    """
    n = op_bucket.shape[0]
    judged = op_bucket >= 0
    cell = op_bucket * n_resources + op_resource
    cells = np.unique(cell[judged])  # the groups in (bucket, resource) order
    op_group = np.full(n, -1, np.int64)
    op_group[judged] = np.searchsorted(cells, cell[judged])
    group_bucket = cells // n_resources if cells.shape[0] else np.zeros(1, np.int64)
    return JudgeWork(op_group, int(cells.shape[0]), group_bucket.astype(np.int64), np.zeros(n, np.int64),
                     np.zeros(n, np.int64), np.zeros(n), np.zeros(n, np.int8), np.zeros(n, np.int64),
                     np.zeros((n_buckets, n_products)), sq.sequence_work(n, int(cells.shape[0])))


@step_jit
def judge(ops: Operations, adherence: Adherence, out: Outputs, n_started: int, judged: Judgement,
          work: JudgeWork) -> None:
    """Fill ``judged``: the bucket counts and each operation's deviation code, miss cause
    (-1 for a HIT) and lost units, from the realized record alone (start, end, good units and
    start order: what ``measure`` sees) and the causes the engine kept.

    ``out.order[:n_started]`` lists the started operations in execution order.
    Operations planned to end outside the horizon (``ops.bucket < 0``) are not
    judged (code HIT, no cause). Nothing is allocated.
    """
    n = ops.bucket.shape[0]
    counts = judged.counts
    n_buckets = counts.shape[0]
    end, good = out.end, out.good
    for i in range(n):
        b = -1
        if good[i] > 0.0 and math.isfinite(end[i]):
            b = ar.bucket_of(end[i], 0.0, adherence.bucket_hours, n_buckets)
        work.done_bucket[i] = b
        work.seq_group[i] = work.op_group[i] if (b >= 0 and b == ops.bucket[i]) else -1
        work.weight[i] = min(ops.quantity[i], good[i])
    ar.volume_mix(work.done_bucket, ops.product, good, adherence.planned, adherence.planned_total,
                  work.produced, counts, work.touched)
    for b in range(n_buckets):
        for j in range(ar.ORDERS_BUILT, ar.N_COUNTS):
            counts[b, j] = 0.0
    sq.sequence_counts(out.order, n_started, work.seq_group, work.n_groups, work.group_bucket, ops.position,
                       work.weight, counts, work.member, work.sequence)
    for i in range(n):
        judged.miss_cause[i] = -1
        judged.lost[i] = 0.0
        if ops.bucket[i] < 0:
            judged.code[i] = ar.HIT
            continue
        c = ar.classify(good[i], end[i], ops.quantity[i], deadline(adherence, ops.bucket[i]),
                        adherence.quantity_tolerance,
                        work.seq_group[i] >= 0, work.member[i] == 1)
        if c == ar.NOT_EXECUTED and math.isfinite(end[i]):  # executed, no good unit: scrap
            judged.miss_cause[i] = Cause.QUALITY
        elif c == ar.NOT_EXECUTED:
            judged.miss_cause[i] = out.delay_cause[i] if out.delay_cause[i] >= 0 else Cause.PLANNING
        elif c == ar.LATE:
            judged.miss_cause[i] = out.delay_cause[i] if out.delay_cause[i] >= 0 else Cause.KNOCK_ON
        elif c == ar.SHORT:
            judged.miss_cause[i] = Cause.QUALITY
        elif c == ar.OUT_OF_SEQUENCE:
            judged.miss_cause[i] = out.moved_cause[i] if out.moved_cause[i] >= 0 else Cause.OPERATIONAL
        if c != ar.HIT:
            judged.lost[i] = ar.lost_units(c, good[i], ops.quantity[i])
        judged.code[i] = c


@step_jit
def deadline(adherence: Adherence, bucket: int) -> float:
    """The latest completion that is on time for an operation of planned bucket ``bucket``: the
    bucket's end plus the lateness tolerance."""
    return (bucket + 1) * adherence.bucket_hours + adherence.lateness_tolerance


@step_jit
def realized_good(ops: Operations, adherence: Adherence, factor_delays: bool, factor: int, i: int,
                  good: float) -> float:
    """The good units of operation i after scrap (``good``) and its reliability factors: a failed
    ``quality`` factor (``factor``) with consequence ``miss`` (``factor_delays`` False) scraps the
    lot down to the largest whole number below ``quantity x quantity_tolerance`` (less than the
    tolerance forgives, by the margin of :func:`riskengine.adherence.arrays.classify`), at least
    0. Operations planned outside the horizon (not judged) keep theirs."""
    if factor_delays or factor != Cause.QUALITY or ops.bucket[i] < 0:
        return good
    return min(good, max(math.ceil(ops.quantity[i] * adherence.quantity_tolerance - 1e-9) - 1.0, 0.0))


@step_jit
def setup_needed(changeovers: Changeovers, ops: Operations, i: int, last_family: int) -> tuple[float, float]:
    """The setup operation i needs after an operation of ``last_family`` (-1: none) on its
    resource, and the part of it that is the plan's error: ``(max(planned, required), missing)``.

    ``required`` is the plan's setup matrix for the changeover actually made (0
    without a matrix, a family or a previous operation:
    :func:`riskengine.model.setup.required_setup`). Of the setup beyond the planned
    one, the part the plan's own sequence already required (``ops.changeover``:
    after its planned predecessor) is ``missing``, charged to ``planning``; the
    rest comes from executing another sequence and counts with the setup overrun.
    """
    f = ops.family[i]
    required = changeovers.hours[last_family, f] if last_family >= 0 and f >= 0 else 0.0
    return setup_split(ops, i, required)


@step_jit
def setup_split(ops: Operations, i: int, required: float) -> tuple[float, float]:
    """:func:`setup_needed` of operation i once the changeover ``required`` by the matrix is known
    (a forecast's operation in progress: after what its resource ran before it)."""
    planned = ops.setup[i]
    if not required > planned:
        return planned, 0.0
    return required, min(required, max(ops.changeover[i], planned)) - planned


@step_jit
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


@step_jit
def start_delay(delay: np.ndarray, planned: float, due: float, s: float, plain: float, begin: float,
                cause: int) -> float:
    """Add an operation's start delay to ``delay`` (hours per cause); return the binding part.

    The delay past the planned start has these parts, each with its own cause
    (docs/design.md section 3: the root cause is the largest component):

    - the plan's own wait ``min(max(due, planned), max(s, planned)) - planned``:
      the plan starts the operation before its materials are due (``due``,
      their latest planned arrival; -inf: none): ``planning``, whatever else
      held it too;
    - binding, the rest up to ``max(s, planned)``: the latest of resource,
      slot, predecessors, materials and reliability hold held the start until
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
    own = min(max(due, planned), s1) - planned
    binding = s1 - planned - own
    calendar = p1 - s1
    delay[Cause.PLANNING] += own
    delay[cause] += binding
    delay[Cause.ABSENTEEISM] += begin - p1
    if binding > 0.0:
        delay[cause] += calendar
        return binding + calendar
    delay[Cause.PLANNING] += calendar
    return 0.0


@step_jit
def inherits(delay: np.ndarray, root: int, cause: int, inherited: float) -> bool:
    """Whether an operation's delay continues the one it inherited (its origin is the
    predecessor's): the root cause is the inherited cause and the inherited part is at least
    the operation's own delay of that cause."""
    return inherited > 0.0 and root == cause and inherited >= delay[cause] - inherited


@step_jit
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
        delay[Cause.PLANNING] += extra
    delay[Cause.PLANNING] += plan_gap - planned_gap
    return inherited


@step_jit
def delay_causes(delay: np.ndarray, ops: Operations, i: int, start: tuple, setup: float, missing: float,
                 work: float, account: np.ndarray) -> tuple[int, bool]:
    """The root cause of late operation i's delay, and whether it continues the delay it
    inherited (then its origin is the source's, :func:`inherits`).

    ``start`` is ``(begin, s, plain, cause, source)`` of the engines' start time,
    ``setup`` and ``work`` the actual hours, ``missing`` the setup the plan left out (the
    setup matrix's changeover minus the planned setup, when more), ``account`` the time
    accounting of its execution (:class:`~riskengine.simulation.codes.Account`). ``delay``
    receives the hours per cause: the start delay (:func:`start_delay`), the missing setup
    (``planning``), the overruns (setup, performance, repairs, absent or slow shifts) and the
    non-working time crossed (:func:`execution_gap`).
    """
    begin, s, plain, cause, source = start
    for k in range(N_CAUSES):
        delay[k] = 0.0
    inherited = start_delay(delay, ops.start[i], ops.due[i], s, plain, begin, cause)
    delay[Cause.BREAKDOWN] += account[Account.REPAIR]
    delay[Cause.PERFORMANCE] += work - ops.work[i]
    delay[Cause.ABSENTEEISM] += account[Account.LOST_ABSENCE]
    delay[Cause.PLANNING] += missing
    delay[Cause.SETUP] += setup - ops.setup[i] - missing
    planned_gap = (ops.end[i] - ops.start[i]) - (ops.work[i] + ops.setup[i])
    inherited = execution_gap(delay, account[Account.GAP_CALENDAR], planned_gap, ops.plan_gap[i], inherited)
    root = root_cause(delay)
    return root, source >= 0 and inherits(delay, root, cause, inherited)
