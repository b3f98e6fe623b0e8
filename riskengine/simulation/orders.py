"""Orders and finish dates inside every replication: streamed integer accumulators.

Both engines call :func:`tally_orders` once per replication, after
:func:`riskengine.simulation.outcome.judge`, with the replication's
per-operation results. It adds, in integers only (so that sums over threads
and chunks are bit-identical whatever their number):

- per operation, its finish in a log-linear histogram of ``end - planned end``
  (:mod:`riskengine.simulation.histogram`: P50, P80, P90 within a stated error);
- per listed order o, its *completion* (the latest end of its operations;
  infinite when one was not executed) in a histogram of ``completion - due``;
  whether it is on time and whether it is on time and in full
  (:mod:`riskengine.adherence.orders`: the measurement's definitions); its
  tardiness ``max(0, completion - due)`` in fixed point (2^-16 h), an order not
  completed counted as late until the replication's last instant
  max(horizon end, last completion), as criticality censors delays (a lower
  bound); and, when it is late, its cause.

*The cause of a late order* is ``planning`` when the plan itself completes it
after its due date (late whatever happens); otherwise that of the operation
that completed it last (the first not executed, if any; ties to the lower
index): the root cause of that operation's delay, which the engines carry
along inherited delays from the operation where the delay began (its origin,
as criticality follows it); ``knock-on`` when it was late without a known
root, ``planning`` when it never started for want of a cause (as a MISS).

For paired comparisons (:mod:`riskengine.analysis.order_compare`) a window of
replications can keep each order's on-time flag and tardiness per replication
(``window_*``: rows ``rep - window_first``); its size is fixed by the caller,
so memory stays bounded.

Memory: the histograms, :data:`~riskengine.simulation.histogram.BINS` int32
counters per operation and order (1.9 kB), are kept **once**, whatever the
number of worker threads. A worker writes the bin of each finish of a
replication into its own *pending* rows (int16, at most
:data:`PENDING_ENTRIES` per worker: 4 MiB) and the runner adds them to the
shared histograms (:func:`flush`, under a lock) after every
:func:`pending_rows` replications: counts of integers, so the totals do not
depend on the order of the flushes. Before issue 22 each thread kept its own
histograms and their sum was copied once more in int64: 5.8 kB per
operation with 2 threads, 1.5 GB for a 200,000-operation plan with 53,000
orders, 17 GB on a 32-core server. Besides, 14 int64 per order and worker.
The histograms are laid out bin by bin (``(BINS, items)``): most items of a
replication finish in a few bins near their anchor, so the counters one
replication adds to lie side by side in a few rows instead of one cache line
per item (measured: the 1,000-operation chain of the benchmarks ran 30%
slower with one row per item, as fast as before this way).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from riskengine._jit import leaf_jit, step_jit
from riskengine.adherence.orders import in_full, on_time
from riskengine.simulation.codes import N_CAUSES, Cause
from riskengine.simulation.histogram import BINS, bin_of
from riskengine.simulation.insight import fixed
from riskengine.simulation.records import Adherence, Operations, Orders, Outputs


class OrderTally(NamedTuple):
    """What :func:`tally_orders` adds (one per worker thread; the histograms and the window are
    shared, the pending rows are the worker's own)."""

    op_finish: np.ndarray  # (BINS, operations) int32: histogram of end - planned end (shared)
    completion: np.ndarray  # (BINS, orders) int32: histogram of completion - due (shared)
    on_time: np.ndarray  # (orders,) replications on time
    otif: np.ndarray  # (orders,) replications on time and in full
    late_causes: np.ndarray  # (orders, causes) late replications by cause
    tardiness: np.ndarray  # (orders,) sum of tardiness, fixed point 2^-16 h
    window_on_time: np.ndarray  # (W, orders) int8 per replication of the window (W = 0: none)
    window_tardiness: np.ndarray  # (W, orders) hours, censored as above
    window_first: np.ndarray  # (1,) the replication of window row 0
    op_pending: np.ndarray  # (R, operations) int16: bin of each finish of replication pending_first + r
    order_pending: np.ndarray  # (R, orders) int16: bin of each completion (-1: not counted)
    pending_first: np.ndarray  # (1,) the replication of pending row 0


class OrderWork(NamedTuple):
    """Work arrays of :func:`tally_orders` (per order)."""

    completion: np.ndarray  # latest end of its operations so far
    last: np.ndarray  # the operation that completed it last, -1: none yet
    full: np.ndarray  # bool: every operation in full so far


#: Most pending entries (operations and orders times replications) of a worker between two flushes.
PENDING_ENTRIES = 2**21


def pending_rows(n_ops: int, n_orders: int) -> int:
    """Replications a worker runs between two :func:`flush` es: its pending rows hold at most
    :data:`PENDING_ENTRIES` bins."""
    return max(1, PENDING_ENTRIES // max(1, n_ops + n_orders))


def order_tally(n_ops: int, n_orders: int, share: OrderTally | None = None) -> OrderTally:
    """A zero :class:`OrderTally`; ``share``: a tally whose histograms and window this one adds to."""
    if share is None:
        hists = np.zeros((BINS, n_ops), np.int32), np.zeros((BINS, n_orders), np.int32)
        window = order_window(0, n_orders)
    else:
        hists = share.op_finish, share.completion
        window = share.window_on_time, share.window_tardiness, share.window_first
    rows = pending_rows(n_ops, n_orders)
    return OrderTally(*hists, np.zeros(n_orders, np.int64), np.zeros(n_orders, np.int64),
                      np.zeros((n_orders, N_CAUSES), np.int64), np.zeros(n_orders, np.int64), *window,
                      np.full((rows, n_ops), -1, np.int16), np.full((rows, n_orders), -1, np.int16),
                      np.zeros(1, np.int64))


def order_window(rows: int, n_orders: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The per-replication window of ``rows`` replications (on time, tardiness, first row's
    replication)."""
    return (np.zeros((rows, n_orders), np.int8), np.zeros((rows, n_orders)), np.zeros(1, np.int64))


def order_work(n_orders: int) -> OrderWork:
    """Fresh :class:`OrderWork` arrays."""
    return OrderWork(np.zeros(n_orders), np.zeros(n_orders, np.int64), np.zeros(n_orders, np.bool_))


@step_jit
def late_cause(orders: Orders, out: Outputs, o: int, i: int) -> int:
    """The cause of late order o, completed last by operation i (module docstring)."""
    if not on_time(orders.planned[o], orders.due[o]):
        return Cause.PLANNING
    if out.delay_cause[i] >= 0:
        return out.delay_cause[i]
    return Cause.KNOCK_ON if math.isfinite(out.end[i]) else Cause.PLANNING


@step_jit
def tally_orders(ops: Operations, adherence: Adherence, orders: Orders, out: Outputs, last_instant: float,
                 rep: int, tally: OrderTally, work: OrderWork) -> None:
    """Add one replication's finishes and orders to ``tally`` (module docstring); nothing is
    allocated. ``last_instant`` is max(horizon end, last completion) of the replication."""
    end = out.end
    row = rep - tally.pending_first[0]
    for i in range(end.shape[0]):
        tally.op_pending[row, i] = bin_of(end[i] - ops.end[i]) if math.isfinite(end[i]) else -1
    n_orders = orders.due.shape[0]
    if n_orders == 0:
        return
    for o in range(n_orders):
        work.completion[o] = -math.inf
        work.last[o] = -1
        work.full[o] = True
    for i in range(end.shape[0]):
        o = orders.of_op[i]
        if o < 0:
            continue
        if end[i] > work.completion[o]:
            work.completion[o] = end[i]
            work.last[o] = i
        if not in_full(out.good[i], ops.quantity[i], adherence.quantity_tolerance):
            work.full[o] = False
    first = tally.window_first[0]
    for o in range(n_orders):
        done = work.completion[o]
        due = orders.due[o]
        late = not on_time(done, due)
        tardy = 0.0
        tally.order_pending[row, o] = bin_of(done - due) if math.isfinite(done) else -1
        if late:
            tardy = max(min(done, last_instant) - due, 0.0)
            tally.tardiness[o] += fixed(tardy)
            tally.late_causes[o, late_cause(orders, out, o, work.last[o])] += 1
        else:
            tally.on_time[o] += 1
            if work.full[o]:
                tally.otif[o] += 1
        k = rep - first
        if 0 <= k < tally.window_on_time.shape[0]:
            tally.window_on_time[k, o] = 0 if late else 1
            tally.window_tardiness[k, o] = tardy


@leaf_jit
def flush(tally: OrderTally, rows: int) -> None:
    """Add the first ``rows`` pending rows of a worker to the shared histograms (the caller holds
    the lock of those histograms)."""
    for r in range(rows):
        for i in range(tally.op_pending.shape[1]):
            b = tally.op_pending[r, i]
            if b >= 0:
                tally.op_finish[b, i] += 1
        for o in range(tally.order_pending.shape[1]):
            b = tally.order_pending[r, o]
            if b >= 0:
                tally.completion[b, o] += 1


def total_tally(tallies: list[OrderTally]) -> OrderTally:
    """The sum of workers' tallies (int64 counts; the histograms and window, which all share)."""
    first = tallies[0]
    sums = [sum((getattr(t, name) for t in tallies[1:]), first[k].copy())
            for k, name in enumerate(OrderTally._fields[2:6], start=2)]
    return first._replace(**dict(zip(OrderTally._fields[2:6], sums, strict=True)))
