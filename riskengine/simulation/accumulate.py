"""Accumulators of a score, and the reference engine's replication loop.

Per-operation and per-cause sums are kept as integers (counts, and hours or
units in fixed point: 2^-20 h and 2^-10 units), so adding chunks in any
order or size gives bit-identical totals. Replication rows are stored at
their replication's index while they fit in
:data:`~riskengine.simulation.streamed.ROW_BYTES`; beyond, they are streamed
into sketches (:mod:`riskengine.simulation.streamed`): the estimates read a
column either way (:meth:`Accumulators.column`).
"""

from __future__ import annotations

import threading

import numpy as np

from riskengine.adherence import arrays as ar
from riskengine.simulation import insight
from riskengine.simulation.codes import N_CAUSES
from riskengine.simulation.compile import Compiled
from riskengine.simulation.initial import only_ahead, realized_misses, settle
from riskengine.simulation.insight import Insight, attribute
from riskengine.simulation.orders import (
    OrderTally,
    flush,
    order_tally,
    order_window,
    order_work,
    tally_orders,
    total_tally,
)
from riskengine.simulation.outcome import judge, judge_work, judgement
from riskengine.simulation.records import model_of
from riskengine.simulation.reference import simulate
from riskengine.simulation.sketch import Figure
from riskengine.simulation.streamed import Streamed, keeps_rows, time_scale
from riskengine.simulation.summary import FINISH, N_HEAD, Layout, summarize, summary_work, tally
from riskengine.simulation.watchdog import StopFlag, Stopped

HOURS_SCALE = float(2**20)
UNITS_SCALE = float(2**10)


class Accumulators:
    """Everything a score keeps: the replication figures (rows, or streamed beyond the row
    budget), sums per operation and cause.

    ``keep_head``: keep the headline figures of every replication also when streaming (what
    paired comparisons read, :meth:`headline`).

    A part of a run (a chunk on a Dask worker, :mod:`riskengine.simulation.parts`) holds
    replications ``first .. first + replications - 1`` only (row k: replication ``first + k``),
    and ``streamed`` says whether the whole run keeps rows or streams (None: by the row budget).
    """

    def __init__(self, c: Compiled, replications: int, keep_head: bool = False, *, first: int = 0,
                 streamed: bool | None = None):
        self.layout = Layout(c.n_days, c.band_measures.shape[0], c.n_buckets, c.n_resources)
        self.per_draw = c.replications_per_draw if c.uncertain else 1
        self.scale = time_scale(c)
        self.keep_head = keep_head
        self.first = first
        self.rows: np.ndarray | None = None
        self.stream: Streamed | None = None
        if streamed is None:
            streamed = not keeps_rows(self.layout.width, replications)
        if not streamed:
            self.rows = np.full((replications, self.layout.width), np.nan)
        else:
            self.stream = Streamed(self.layout, self.scale, self.per_draw, replications if keep_head else 0,
                                   first=first)
        n = c.n_ops
        self.op_hits = np.zeros(n, np.int64)
        self.op_lateness = np.zeros(n, np.int64)  # fixed point, 2^-20 h
        self.op_executed = np.zeros(n, np.int64)
        self.op_causes = np.zeros((n, N_CAUSES), np.int64)
        self.cause_misses = np.zeros(N_CAUSES, np.int64)
        self.cause_lost = np.zeros(N_CAUSES, np.int64)  # fixed point, 2^-10 units
        # risk insight (riskengine.simulation.insight): integer counts and two-word sums
        self.op_critical = np.zeros(n, np.int64)
        self.res_critical = np.zeros(c.n_resources, np.int64)
        self.op_sums = np.zeros((n, insight.N_OP_SUMS, 2), np.int64)
        self.rep_sums = np.zeros((insight.N_REP_SUMS, 2), np.int64)
        self.breaks = np.zeros((insight.N_FACTORS, c.n_buckets + 1), np.int64)
        # orders and finish histograms (riskengine.simulation.orders): one tally per worker thread,
        # all adding to the same histograms (their pending rows flushed under ``flush_lock``)
        self._orders = [order_tally(n, c.n_orders)]
        self.flush_lock = threading.Lock()

    def order_tallies(self, workers: int) -> list[OrderTally]:
        """The order tallies of ``workers`` worker threads (made as needed, then kept: counts are
        integers, so which worker adds a replication does not matter)."""
        first = self._orders[0]
        while len(self._orders) < workers:
            self._orders.append(order_tally(first.op_finish.shape[1], first.on_time.shape[0], share=first))
        return self._orders[:workers]

    def orders(self) -> OrderTally:
        """The order accumulators summed over the workers (the window is the shared one)."""
        return total_tally(self._orders)

    def open_window(self, first: int, rows: int) -> OrderTally:
        """Keep each order's on-time flag and tardiness of replications ``first .. first + rows - 1``
        (what paired comparisons of orders read, :mod:`riskengine.analysis.order_compare`)."""
        window = order_window(rows, self._orders[0].on_time.shape[0])
        window[2][0] = first
        self._orders = [t._replace(window_on_time=window[0], window_tardiness=window[1],
                                   window_first=window[2]) for t in self._orders]
        return self._orders[0]

    def insight(self) -> Insight:
        """The insight accumulators as the record :func:`~riskengine.simulation.insight.attribute` adds to."""
        return Insight(self.op_critical, self.res_critical, self.op_sums, self.rep_sums, self.breaks)

    def grow(self, replications: int) -> None:
        """Make room for more replications (adaptive precision); past the row budget the rows
        so far are streamed, in replication order, as if they had been streamed all along."""
        if self.stream is not None:
            self.stream.grow_head(replications)
            return
        extra = replications - self.kept_rows().shape[0]
        if extra <= 0:
            return
        if keeps_rows(self.layout.width, replications):
            self.rows = np.vstack([self.kept_rows(), np.full((extra, self.layout.width), np.nan)])
            return
        done = self.replications
        self.stream = Streamed(self.layout, self.scale, self.per_draw, replications if self.keep_head else 0)
        for rep in range(done):
            self.stream.fold(self.kept_rows()[rep], rep)
        self.rows = None

    def kept_rows(self) -> np.ndarray:
        """The replication rows, while they are kept (before any streaming)."""
        assert self.rows is not None, "the rows are kept until the figures are streamed"
        return self.rows

    @property
    def replications(self) -> int:
        if self.stream is not None:
            return self.stream.replications
        return int(np.count_nonzero(~np.isnan(self.kept_rows()[:, 0])))

    def column(self, k: int) -> np.ndarray | Figure:
        """Column k of the replication figures: the values of the replications done (rows), or
        their sketch (:class:`~riskengine.simulation.sketch.Figure`); the estimates of
        :mod:`riskengine.simulation.statistics` take either."""
        if self.stream is not None:
            return self.stream.column(k)
        return self.kept_rows()[:self.replications, k]

    def headline(self) -> np.ndarray:
        """The headline figures (columns 0 .. N_HEAD - 1) of every replication done (a copy: the
        rows can go); streaming, only with ``keep_head``."""
        n = self.replications
        if self.stream is None:
            return self.kept_rows()[:n, :N_HEAD].copy()
        if self.stream.head.shape[0] < n:
            raise ValueError("the headline figures of every replication were not kept (keep_head)")
        return self.stream.head[:n]


class Scratch:
    """Per-replication work arrays of one worker (reused, never per replication)."""

    def __init__(self, c: Compiled):
        n = c.n_ops
        self.model = model_of(c)
        self.judged = judgement(n, c.n_buckets)
        self.tally = tally(n)
        self.judge_work = judge_work(c.op_bucket, c.op_resource, c.n_resources, c.n_buckets, c.n_products)
        self.summary_work = summary_work(c.band_measures.shape[0])
        self.ratio = np.zeros(ar.N_RATIOS)
        self.order_work = order_work(c.n_orders)


def judge_and_summarize(c: Compiled, out, s: Scratch, row: np.ndarray,
                        acc: Accumulators | None = None) -> None:
    """Judge one replication's results ``out`` (a
    :class:`~riskengine.simulation.reference.ReplicationResult`) and write its row into
    ``row`` (scratch sums); with ``acc``, add it to the insight accumulators (integers: directly)."""
    m = s.model
    judge(m.ops, m.adherence, out.outputs, out.n_started, s.judged, s.judge_work)
    settle(m.initial, m.ops, m.adherence, out.outputs, s.judged, s.judge_work)  # a forecast
    summarize(m.ops, m.adherence, c.n_resources, out.end, s.judged, row, s.tally, s.summary_work)
    only_ahead(m.initial, s.judged)  # a forecast: the insight is about what is still ahead
    if acc is not None:
        attribute(m.ops, m.adherence, out.outputs, s.judged, row, acc.insight(), s.ratio)
    realized_misses(m.initial, m.adherence.n_days, row)  # a forecast: misses settled before T


def add_replication(acc: Accumulators, s: Scratch) -> None:
    """Move one replication's scratch sums into the accumulators (fixed point) and reset them."""
    t = s.tally
    acc.op_hits += t.hits
    acc.op_lateness += np.round(t.lateness * HOURS_SCALE).astype(np.int64)
    acc.op_executed += t.executed
    acc.op_causes += t.causes
    acc.cause_misses += t.cause_misses
    acc.cause_lost += np.round(t.cause_lost * UNITS_SCALE).astype(np.int64)
    for a in t:
        a[...] = 0


def run_reference(c: Compiled, seed: int, first: int, count: int, acc: Accumulators,
                  stop: StopFlag | None = None) -> None:
    """Simulate replications ``first .. first + count - 1`` with the SimPy reference (``stop``:
    as :func:`riskengine.simulation.runner.run_kernel`)."""
    s = Scratch(c)
    row = np.full(acc.layout.width, np.nan)
    for rep in range(first, first + count):
        if stop is not None and stop.is_set():
            raise Stopped
        out = simulate(c, seed, rep, stop)
        this = acc.kept_rows()[rep - acc.first] if acc.stream is None else row
        judge_and_summarize(c, out, s, this, acc)
        orders = acc.order_tallies(1)[0]
        orders.pending_first[0] = rep
        tally_orders(s.model.ops, s.model.adherence, s.model.orders, out.outputs,
                     max(s.model.adherence.horizon, this[FINISH]), rep, orders, s.order_work)
        flush(orders, 1)
        if acc.stream is not None:
            acc.stream.fold(row, rep)
        add_replication(acc, s)
