"""Replication figures streamed into sketches: a score's memory beyond the row budget.

Each replication has one row of figures (:mod:`riskengine.simulation.summary`:
plan holds, the headline ratios, the finish, holds-through-day, per band, per
bucket, per resource). Up to :data:`ROW_BYTES` of rows the accumulators keep
them (:class:`riskengine.simulation.accumulate.Accumulators`): every estimate
is computed from the values themselves, as it always was. Beyond, the rows are
folded into a :class:`~riskengine.simulation.sketch.Sketch` (one figure per
column) as they are made, and only the sketch is kept, so memory no longer
grows with replications (docs/design.md section 6):

- 0/1 figures (plan holds, holds through day k) keep their sums: a proportion
  is their mean;
- ratios (BTS, BTP, volume, mix, sequence of the horizon, of each band and
  bucket) a histogram of 2^-10 over [0, 1];
- hours (the finish, each resource's finish) a histogram on the plan's time
  scale T = max(horizon, last planned end): T / 1024 up to 2 T, 1/64 of the
  value beyond (:func:`riskengine.simulation.sketch.hours_binning`).

Means and intervals come from exact sums, so they are the values' own up to
the last rounding; quantiles are within the sketch's stated error. With
uncertain parameters the replications of one draw form a cluster
(:class:`~riskengine.simulation.sketch.Clusters`): the design effect and the
variance decomposition read its sums. A cluster's sum is taken in replication
order; the one still open between two runs (adaptive precision, progress
batches) is carried over (:attr:`Streamed.open_sum`).

Comparisons pair replications of two plans (:mod:`riskengine.analysis.compare`):
with ``keep_head`` the headline figures (the first :data:`~riskengine.simulation.summary.N_HEAD`
columns) of every replication are kept as well, 56 bytes each.
"""

from __future__ import annotations

import numpy as np

from riskengine.simulation import sketch as sk
from riskengine.simulation.summary import BTS, FINISH, HOLDS, N_HEAD, SEQUENCE, Layout

#: Replication rows kept while they take at most this many bytes (beyond: streamed).
ROW_BYTES = 64 * 2**20


def keeps_rows(width: int, replications: int) -> bool:
    """Whether ``replications`` rows of ``width`` figures fit in :data:`ROW_BYTES`."""
    return replications * width * 8 <= ROW_BYTES


def figure_specs(layout: Layout, scale: float) -> list[tuple]:
    """The binning of each column of a replication row (module docstring)."""
    specs = [sk.moments_only()] * layout.width
    for k in range(BTS, SEQUENCE + 1):
        specs[k] = sk.ratio_binning()
    specs[FINISH] = sk.hours_binning(scale)
    for k in range(layout.bands, layout.resources):
        specs[k] = sk.ratio_binning()
    for k in range(layout.resources, layout.width):
        specs[k] = sk.hours_binning(scale)
    assert specs[HOLDS] == sk.moments_only()
    return specs


def time_scale(c) -> float:
    """T = max(horizon, last planned end) of a compiled model, at least 1 h."""
    return max(1.0, float(c.n_buckets * c.bucket_hours), float(np.max(c.op_end, initial=0.0)))


class Streamed:
    """The replication figures of a score beyond the row budget (module docstring)."""

    def __init__(self, layout: Layout, scale: float, per_draw: int, head: int = 0, first: int = 0):
        self.per_draw = per_draw
        self.first = first  # the replication of head row 0
        self.bins = sk.binning(figure_specs(layout, scale))
        self.sketch = sk.sketch(self.bins)
        self.clusters = sk.clusters(layout.width if per_draw > 1 else 0)
        self.open_sum = np.zeros(layout.width)  # the open cluster, summed in replication order
        self.open_n = np.zeros(layout.width, np.int64)
        self.head = np.full((head, N_HEAD), np.nan)  # headline figures per replication (keep_head)
        self._closed: tuple | None = None

    def worker(self) -> tuple[sk.Sketch, sk.Clusters]:
        """An empty sketch and clusters of the same figures, for one thread (merged by :meth:`merge`)."""
        return sk.sketch(self.bins), sk.clusters(self.clusters.k.shape[0])

    def merge(self, part: tuple[sk.Sketch, sk.Clusters]) -> None:
        sk.merge(self.sketch, part[0])
        sk.merge_clusters(self.clusters, part[1])

    def grow_head(self, replications: int) -> None:
        extra = replications - self.head.shape[0]
        if self.head.shape[0] and extra > 0:
            self.head = np.vstack([self.head, np.full((extra, N_HEAD), np.nan)])

    def fold(self, row: np.ndarray, rep: int) -> None:
        """Add replication ``rep``'s row (replications come in order: the reference engine, or
        rows kept so far when the budget is passed)."""
        sk.add_row(self.sketch, row)
        if self.head.shape[0]:
            self.head[rep - self.first] = row[:N_HEAD]
        if self.per_draw > 1:
            sk.cluster_add(self.open_sum, self.open_n, row)
            if (rep + 1) % self.per_draw == 0:
                sk.cluster_close(self.clusters, self.open_sum, self.open_n)

    def column(self, k: int) -> sk.Figure:
        """Column k as the estimates read it, the open cluster counted as closed (a copy, made
        once until more replications come)."""
        closed = None
        if self.per_draw > 1:
            key = (self.replications, int(self.clusters.k.sum()))
            if self._closed is None or self._closed[0] != key:
                closed = sk.Clusters(self.clusters.sums.copy(), self.clusters.n2.copy(),
                                     self.clusters.k.copy())
                sk.cluster_close(closed, self.open_sum.copy(), self.open_n.copy())
                self._closed = (key, closed)
            closed = self._closed[1]
        return sk.Figure(self.sketch, k, closed)

    @property
    def replications(self) -> int:
        return int(self.sketch.n[HOLDS])  # plan holds is defined in every replication

    def nbytes(self) -> int:
        arrays = [*self.sketch.bins, *self.sketch[1:], *self.clusters, self.open_sum, self.open_n, self.head]
        return int(sum(a.nbytes for a in arrays))
