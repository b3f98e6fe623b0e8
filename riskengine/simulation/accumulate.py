"""Accumulators of a score, and the reference engine's replication loop.

Per-operation and per-cause sums are kept as integers (counts, and hours or
units in fixed point: 2^-20 h and 2^-10 units), so adding chunks in any
order or size gives bit-identical totals. Replication rows are stored at
their replication's index.
"""

from __future__ import annotations

import numpy as np

from riskengine.adherence import arrays as ar
from riskengine.simulation import insight
from riskengine.simulation.compile import Compiled
from riskengine.simulation.outcome import judge, judge_work
from riskengine.simulation.reference import simulate
from riskengine.simulation.summary import N_CAUSES, Layout, summarize, summary_work

HOURS_SCALE = float(2**20)
UNITS_SCALE = float(2**10)


class Accumulators:
    """Everything a score keeps: one row per replication, sums per operation and cause."""

    def __init__(self, c: Compiled, replications: int):
        self.layout = Layout(c.n_days, c.band_measures.shape[0], c.n_buckets, c.n_resources)
        self.rows = np.full((replications, self.layout.width), np.nan)
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

    def grow(self, replications: int) -> None:
        """Make room for more replications (adaptive precision)."""
        extra = replications - self.rows.shape[0]
        if extra > 0:
            self.rows = np.vstack([self.rows, np.full((extra, self.layout.width), np.nan)])

    @property
    def replications(self) -> int:
        return int(np.count_nonzero(~np.isnan(self.rows[:, 0])))


class Scratch:
    """Per-replication work arrays of one worker (reused, never per replication)."""

    def __init__(self, c: Compiled):
        n = c.n_ops
        self.counts = np.zeros((c.n_buckets, ar.N_COUNTS))
        self.produced = np.zeros((c.n_buckets, c.n_products))
        self.code = np.zeros(n, np.int64)
        self.miss_cause = np.zeros(n, np.int64)
        self.lost = np.zeros(n)
        self.lateness = np.zeros(n)
        self.executed = np.zeros(n, np.int64)
        self.hits = np.zeros(n, np.int64)
        self.causes = np.zeros((n, N_CAUSES), np.int64)
        self.cause_misses = np.zeros(N_CAUSES, np.int64)
        self.cause_lost = np.zeros(N_CAUSES)
        self.judge_work = judge_work(c.op_bucket, c.op_resource, c.n_resources, c.n_buckets)
        self.summary_work = summary_work(c.band_measures.shape[0])
        self.ratio = np.empty(ar.N_RATIOS)


def judge_and_summarize(c: Compiled, out, s: Scratch, row: np.ndarray,
                        acc: Accumulators | None = None) -> None:
    """Judge one replication's results ``out`` and write its row into ``row`` (scratch sums);
    with ``acc``, add it to the insight accumulators (integers: directly)."""
    factor = out.factor_cause if not c.reliability_delay else np.full_like(out.factor_cause, -1)
    start, end = out.start, out.end
    judge(c.op_bucket, c.op_position, c.op_product, c.op_quantity,
          c.planned, c.planned_total, c.bucket_hours, c.lateness_tolerance, c.quantity_tolerance,
          out.order, out.n_started, start, end, out.good, out.delay_cause, out.moved_cause, factor,
          s.counts, s.code, s.miss_cause, s.lost, s.produced, *s.judge_work)
    summarize(c.op_bucket, c.op_day, c.op_end, c.op_resource, c.band_of_bucket, c.band_measures,
              c.units_sequence, c.n_days, c.n_resources, end, s.code, s.miss_cause, s.lost,
              s.counts, row, s.hits, s.lateness, s.executed, s.causes, s.cause_misses, s.cause_lost,
              *s.summary_work)
    if acc is not None:
        insight.attribute(c.op_bucket, c.op_start, c.op_end, c.op_resource,
                          c.n_buckets * c.bucket_hours, c.units_sequence, c.quantity_tolerance,
                          s.code, out.origin,
                          start, end, s.counts, row, acc.op_critical, acc.res_critical, acc.op_sums,
                          acc.rep_sums, acc.breaks, s.ratio)


def add_replication(acc: Accumulators, s: Scratch) -> None:
    """Move one replication's scratch sums into the accumulators (fixed point) and reset them."""
    acc.op_hits += s.hits
    acc.op_lateness += np.round(s.lateness * HOURS_SCALE).astype(np.int64)
    acc.op_executed += s.executed
    acc.op_causes += s.causes
    acc.cause_misses += s.cause_misses
    acc.cause_lost += np.round(s.cause_lost * UNITS_SCALE).astype(np.int64)
    for a in (s.hits, s.lateness, s.executed, s.causes, s.cause_misses, s.cause_lost):
        a[...] = 0


def run_reference(c: Compiled, seed: int, first: int, count: int, acc: Accumulators) -> None:
    """Simulate replications ``first .. first + count - 1`` with the SimPy reference."""
    s = Scratch(c)
    for rep in range(first, first + count):
        out = simulate(c, seed, rep)
        judge_and_summarize(c, out, s, acc.rows[rep], acc)
        add_replication(acc, s)
