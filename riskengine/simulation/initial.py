"""A forecast's start from the realized state: the steps both engines share (docs/design.md
section 3, forecast).

A forecast replication does not simulate anything before the as-of time T.
It starts from :class:`~riskengine.simulation.records.Initial` (built from
the actuals and events by :mod:`riskengine.live.state`): operations done
keep their realized start, end and good units; an operation in progress at T
resumes its remaining setup and processing; a resource down at T is repaired
first, for the remaining repair time drawn conditioned on the time already
spent (:func:`residual_repair`); a crew known absent holds its resource until
the absence ends; a lot with a known arrival arrives then. The kernel applies
these in its ``reset`` and ``start_resources`` steps, the SimPy reference in
its constructor and resource processes; both call the functions below, so they
give the same replication. With the empty state of a score none of this runs:
a forecast from nothing realized *is* a score.

:func:`settle` consolidates a judged replication (one definition, counts
summed): the buckets that ended by T take their realized counts, operations
already judged by the realized measurement are neutral in the replication,
and units that other records completed in the as-of bucket before T count
there as produced. :func:`realized_misses` then fails the plan in every
replication from the day of the first realized miss on.
"""

from __future__ import annotations

import math

import numpy as np

from riskengine._jit import leaf_jit, step_jit
from riskengine.adherence import arrays as ar
from riskengine.simulation import mechanics as mech
from riskengine.simulation.codes import Account, Realized, Sampler
from riskengine.simulation.outcome import Judgement, JudgeWork
from riskengine.simulation.records import Adherence, Initial, Operations, Outputs
from riskengine.simulation.rng import variate_key
from riskengine.simulation.sampling import sample
from riskengine.simulation.summary import HOLDS, N_HEAD

#: Draws of the rejection method of :func:`residual_repair` before it gives up (see there).
MAX_TRIES = 1 << 16


@leaf_jit
def residual_repair(table: np.ndarray, row: int, pool: np.ndarray, key: np.uint64, elapsed: float) -> float:
    """The remaining time of a repair that has lasted ``elapsed`` hours: R - a given R > a, R from
    row ``row`` of the distribution table, a = ``elapsed``; ``key`` is the resource's repair key.

    - Exponential: memoryless, R - a given R > a has R's own distribution: one draw
      (variate 0 of ``key``).
    - Fixed: max(value - a, 0).
    - Any other: by rejection (Devroye, *Non-Uniform Random Variate Generation*, 1986, II.3):
      the first of the draws R_j (variates ``variate_key(variate_key(key, 0), j)``) above a,
      exactly the conditional distribution, 1 / P(R > a) draws on average. After
      :data:`MAX_TRIES` draws none above a (P(R > a) below about 1e-4, or 0 past a bounded
      support), the repair is taken to end now (0): the premises give no time beyond it
      (:mod:`riskengine.live.state` warns when P(R > a) < 1e-3).
    """
    code = int(table[row, 0])
    base = variate_key(key, 0)
    if code == Sampler.EXPONENTIAL:
        return max(sample(table, row, pool, variate_key(base, 0)), 0.0)
    if code == Sampler.FIXED:
        return max(table[row, 1] - elapsed, 0.0)
    for j in range(MAX_TRIES):
        r = sample(table, row, pool, variate_key(base, j))
        if r > elapsed:
            return r - elapsed
    return 0.0


@leaf_jit
def resume(hold: float, setup_left: float, work_left: float, cal: mech.Intervals, absence: mech.Absence,
           breakdowns: mech.Breakdowns, clock: np.ndarray, r: int, account: np.ndarray) -> float:
    """End of an operation in progress at the as-of time that resumes at ``hold`` (T, or the end
    of a repair or absence) with ``setup_left`` hours of setup and ``work_left`` of processing:
    from the first working instant (the wait into ``account``: calendar gap, absent shifts),
    setup then processing with breakdowns, as an operation's execution
    (:func:`riskengine.simulation.mechanics.process`)."""
    begin, plain = mech.start_instants(hold, cal, absence, account)
    if not math.isfinite(begin):
        return math.inf
    account[Account.GAP_CALENDAR] += plain - hold
    account[Account.LOST_ABSENCE] += begin - plain
    after_setup = mech.advance(begin, setup_left, cal, absence, account)
    if not math.isfinite(after_setup):
        return after_setup
    return mech.process(after_setup, work_left, cal, absence, breakdowns, clock, r, account)


@leaf_jit
def left_to_do(setup: float, work: float, done: float) -> tuple[float, float]:
    """Setup and processing hours an operation in progress still has to do, of its (drawn)
    ``setup`` and ``work``, after ``done`` hours of both (setup first); none below 0: an
    operation already past its drawn duration ends as soon as it resumes."""
    return max(setup - done, 0.0), max(work - max(done - setup, 0.0), 0.0)


@leaf_jit
def pre_account(initial: Initial, i: int, account: np.ndarray) -> None:
    """The realized part of running operation i's time accounting (its start to T): repairs,
    absent crews, and the rest that was not work as calendar gap."""
    account[Account.REPAIR] = initial.lost_repair[i]
    account[Account.LOST_ABSENCE] = initial.lost_absence[i]
    account[Account.GAP_CALENDAR] = max(initial.as_of - initial.start[i] - initial.done_work[i]
                                        - initial.lost_repair[i] - initial.lost_absence[i], 0.0)


@step_jit
def settle(initial: Initial, ops: Operations, adherence: Adherence, out: Outputs, judged: Judgement,
           work: JudgeWork) -> None:
    """Consolidate a judged replication with what was realized before the as-of time (module
    docstring); nothing for a score. Nothing is allocated (``work.produced`` is scratch left zero)."""
    if not initial.active:
        return
    counts = judged.counts
    for b in range(min(initial.closed, counts.shape[0])):
        for j in range(ar.N_COUNTS):
            counts[b, j] = initial.counts[b, j]
    for i in range(ops.bucket.shape[0]):
        if initial.settled[i]:
            judged.code[i] = ar.HIT
            judged.miss_cause[i] = -1
            judged.lost[i] = 0.0
    b = initial.closed
    if b >= counts.shape[0] or initial.extra.shape[0] == 0:
        return
    produced = work.produced
    for i in range(ops.bucket.shape[0]):
        if work.done_bucket[i] == b and out.good[i] > 0.0:
            produced[b, ops.product[i]] += out.good[i]
    n_products = produced.shape[1]
    total = initial.extra[n_products]  # products the plan does not make: produced, never built to mix
    built = 0.0
    for p in range(n_products):
        units = produced[b, p] + initial.extra[p]
        total += units
        built += min(adherence.planned[b, p], units)
        produced[b, p] = 0.0
    counts[b, ar.PRODUCED] = total
    counts[b, ar.BUILT_TO_MIX] = built
    counts[b, ar.VOLUME_UNITS] = min(total, counts[b, ar.PLANNED])


@leaf_jit
def known_arrivals(initial: Initial, arrival: np.ndarray) -> None:
    """Lots whose arrival is known at the as-of time arrive then (the others keep their draw)."""
    for k in range(arrival.shape[0]):
        if not math.isnan(initial.arrival[k]):
            arrival[k] = initial.arrival[k]


@step_jit
def only_ahead(initial: Initial, judged: Judgement) -> None:
    """After a forecast replication is summarized: operations done before the as-of time no longer
    count as misses, so the risk insight (where the failures start, :mod:`riskengine.simulation.
    insight`) is about what is still ahead. Nothing for a score."""
    if not initial.active:
        return
    for i in range(initial.state.shape[0]):
        if initial.state[i] == Realized.DONE:
            judged.code[i] = ar.HIT


@step_jit
def realized_misses(initial: Initial, n_days: int, row: np.ndarray) -> None:
    """A miss realized before the as-of time (settled by the measurement, neutral inside the
    replication: :func:`settle`) fails the plan in every replication: in its figures ``row``
    the plan no longer holds, nor through the day of the first such miss and the days after. Run
    after the insight is attributed (it is about what is still ahead: :func:`only_ahead`), before
    the row is kept or streamed. Nothing for a score."""
    if not initial.active or initial.miss_day < 0:
        return
    row[HOLDS] = 0.0
    for d in range(initial.miss_day, n_days):
        row[N_HEAD + d] = 0.0
