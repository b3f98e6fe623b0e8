"""Orders in a comparison: per-order paired differences in bounded memory.

``compare`` scores its plans under common random numbers, so replication k of
every plan sees the same disruptions. For an order that two plans share (by
id), the paired difference of P(on time) over replications is the mean of
d_k = on_time_a,k - on_time_b,k, and that of tardiness the mean of
tardiness_a,k - tardiness_b,k; both come with the paired t interval (clipped
to [-1, 1] for P(on time)) and the independent-streams half-width of
:func:`riskengine.analysis.compare.paired_difference`.

Keeping every replication of every order would cost orders x replications.
Instead the plans run **in lockstep**, :data:`WINDOW` replications at a time
(:func:`run_lockstep`): after each window, each plan's accumulators hold that
window's on-time flags and tardiness per order
(:mod:`riskengine.simulation.orders`), and :class:`Moments` adds them to
streamed sums: memory O(plans x orders x WINDOW), whatever the number of
replications. The sums are added in replication order, so the result does not
depend on threads or chunks; every plan's own figures are those of a plain run
(the sums of a run do not depend on how it is cut in batches).

With uncertain parameters (replications nested in draws of ``per_draw``), the
intervals use the cluster-robust design effect as
:func:`riskengine.simulation.statistics.design_effect` does, from per-draw
sums streamed alongside: V = K/(K-1) (sum_g S_g^2 - 2 ybar sum_g n_g S_g +
ybar^2 sum_g n_g^2) / N^2.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import NamedTuple

import numpy as np
from scipy import stats

from riskengine.simulation.accumulate import Accumulators
from riskengine.simulation.watchdog import ReplicationOverrun

#: Replications per lockstep window.
WINDOW = 1024


class Moments:
    """Streamed count, sum, sum of squares and per-draw sums of many series (columns) at once."""

    def __init__(self, width: int, per_draw: int):
        self.per_draw = max(1, per_draw)
        self.n = 0
        self.s = np.zeros(width)
        self.ss = np.zeros(width)
        self.g_ss = np.zeros(width)  # sum over draws of S_g^2
        self.g_ns = np.zeros(width)  # sum over draws of n_g S_g
        self.g_nn = 0  # sum over draws of n_g^2
        self.draws = 0
        self._group, self._s, self._n = -1, np.zeros(width), 0

    def add(self, first: int, values: np.ndarray) -> None:
        """Add the rows ``values`` of replications ``first``, ``first + 1``, ..."""
        self.n += values.shape[0]
        self.s += values.sum(axis=0)
        self.ss += (values * values).sum(axis=0)
        if self.per_draw == 1 or values.shape[0] == 0:
            return
        groups = (first + np.arange(values.shape[0])) // self.per_draw
        starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
        sums = np.add.reduceat(values, starts, axis=0)
        counts = np.diff(np.r_[starts, values.shape[0]])
        k = 0
        if groups[0] == self._group:  # the draw carried over from the last window goes on
            self._s += sums[0]
            self._n += int(counts[0])
            k = 1
        if k < starts.shape[0]:
            self._close()
            whole = slice(k, starts.shape[0] - 1)  # draws that end inside this window
            self.g_ss += (sums[whole] ** 2).sum(axis=0)
            self.g_ns += (counts[whole, None] * sums[whole]).sum(axis=0)
            self.g_nn += int((counts[whole] ** 2).sum())
            self.draws += int(counts[whole].shape[0])
            self._group, self._s[:], self._n = int(groups[-1]), sums[-1], int(counts[-1])

    def _close(self) -> None:
        if self._n:
            self.g_ss += self._s * self._s
            self.g_ns += self._n * self._s
            self.g_nn += self._n * self._n
            self.draws += 1
        self._s[:] = 0.0
        self._n = 0

    def summary(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mean, sample variance and design effect of each column (closes the last draw)."""
        self._close()
        n = self.n
        mean = self.s / n
        var = np.maximum(self.ss - n * mean * mean, 0.0) / max(n - 1, 1)
        deff = np.ones_like(mean)
        if self.per_draw > 1 and self.draws > 1 and n > 1:
            k = self.draws
            v_cluster = k / (k - 1) * (self.g_ss - 2 * mean * self.g_ns + mean * mean * self.g_nn) / (n * n)
            with np.errstate(divide="ignore", invalid="ignore"):
                deff = np.where(var > 0, np.maximum(1.0, v_cluster / (var / n)), 1.0)
        return mean, var, deff


class PairedOrders:
    """The paired differences of every order two plans share, streamed window by window."""

    def __init__(self, ids: list[str], orders: list[list[str]], per_draw: int):
        self.pairs = []  # (a, b, order ids, their columns in a, in b)
        for a in range(len(ids)):
            for b in range(a + 1, len(ids)):
                index_b = {oid: j for j, oid in enumerate(orders[b])}
                common = [(oid, i, index_b[oid]) for i, oid in enumerate(orders[a]) if oid in index_b]
                if common:
                    cols_a = np.array([i for _, i, _ in common], np.int64)
                    cols_b = np.array([j for _, _, j in common], np.int64)
                    self.pairs.append((a, b, [oid for oid, _, _ in common], cols_a, cols_b))
        self.ids = ids
        width = sum(len(p[2]) for p in self.pairs)
        # series: on time of a, of b, their difference; tardiness of a, of b, their difference
        self.moments = [Moments(width, per_draw) for _ in range(6)]
        self.better = np.zeros((2, width), np.int64)
        self.ties = np.zeros((2, width), np.int64)

    def add(self, first: int, windows: list[tuple[np.ndarray, np.ndarray]]) -> None:
        """Add one window: per plan, (on time W x orders, tardiness W x orders) of replications
        ``first`` ...  (all the same length)."""
        if not self.pairs:
            return
        parts: list[list[np.ndarray]] = [[] for _ in range(6)]
        for a, b, _, cols_a, cols_b in self.pairs:
            for m, kind in enumerate((0, 1)):
                xa = windows[a][kind][:, cols_a].astype(np.float64)
                xb = windows[b][kind][:, cols_b].astype(np.float64)
                parts[3 * m].append(xa)
                parts[3 * m + 1].append(xb)
                parts[3 * m + 2].append(xa - xb)
        for k in range(6):
            self.moments[k].add(first, np.concatenate(parts[k], axis=1))
        d_on, d_late = np.concatenate(parts[2], axis=1), np.concatenate(parts[5], axis=1)
        self.better[0] += (d_on > 0).sum(axis=0)
        self.better[1] += (d_late < 0).sum(axis=0)
        self.ties[0] += (d_on == 0).sum(axis=0)
        self.ties[1] += (d_late == 0).sum(axis=0)

    def rows(self) -> list[dict]:
        """One row per pair and shared order: the paired difference of P(on time) and of tardiness."""
        if not self.pairs:
            return []
        summaries = [m.summary() for m in self.moments]
        n, draws, per_draw = self.moments[0].n, self.moments[0].draws, self.moments[0].per_draw
        df = n - 1 if per_draw <= 1 else max(draws - 1, 1)
        t = float(stats.t.ppf(0.975, df)) if n > 1 else math.inf
        out, col = [], 0
        for a, b, oids, _, _ in self.pairs:
            for oid in oids:
                out.append({"a": self.ids[a], "b": self.ids[b], "order": oid,
                            "on_time": self._difference(summaries[0:3], 0, col, n, t, (-1.0, 1.0)),
                            "tardiness_hours": self._difference(summaries[3:6], 1, col, n, t,
                                                                (-math.inf, math.inf))})
                col += 1
        return out

    def _difference(self, s: list, metric: int, col: int, n: int, t: float,
                    bounds: tuple[float, float]) -> dict:
        (_, var_a, deff_a), (_, var_b, deff_b), (mean, var, deff) = s
        m = float(mean[col])
        half = t * math.sqrt(var[col] / n * deff[col]) if n > 1 else 0.0
        spread = var_a[col] * deff_a[col] + var_b[col] * deff_b[col]
        independent = t * math.sqrt(spread / n) if n > 1 else 0.0
        return {"mean": m, "low": max(bounds[0], m - half), "high": min(bounds[1], m + half),
                "p_a_better": int(self.better[metric, col]) / n,
                "p_tie": int(self.ties[metric, col]) / n, "half_width_paired": half,
                "half_width_independent": float(independent)}


def lockstep(plans: list, premises, ids: list[str], seeds: list[int], replications: int, engine: str,
             progress: Callable[[int, int], None] | None = None, stop=None, cluster=None
             ) -> tuple[list, list[dict]]:
    """Simulate ``plans`` (plan k with ``seeds[k]``) window by window (module docstring), on
    ``cluster`` (a :class:`~riskengine.analysis.cluster.Cluster`) when given.

    Returns each plan's (compiled model, accumulators), as
    :func:`riskengine.analysis.score.simulate` would, and the per-order paired
    differences of every pair (:meth:`PairedOrders.rows`).
    """
    from riskengine.analysis.score import _check, _runner
    from riskengine.model.premises import check_premises_against
    from riskengine.plugins import compile_with_plugins

    _check(replications, None, max(seeds), replications)
    run = _runner(engine)
    compiled = []
    for plan in plans:
        check_premises_against(premises, plan)
        compiled.append(compile_with_plugins(plan, premises))
    if cluster is not None:
        from riskengine.analysis.cluster import ClusterRun

        run = ClusterRun(cluster)
        for c, plan in zip(compiled, plans, strict=True):
            run.add(c, compile_with_plugins, plan, premises, engine=engine)
    accs = [Accumulators(c, replications, keep_head=True) for c in compiled]
    per_draw = compiled[0].replications_per_draw if compiled[0].uncertain else 1
    paired = PairedOrders(ids, [[o.id for o in p.orders or []] for p in plans], per_draw)
    windows = _Windows(compiled, accs, seeds, [p.id for p in plans], partial(run, stop=stop))
    _run_windows(windows, replications, paired, progress)
    return list(zip(compiled, accs, strict=True)), paired.rows()


class _Windows(NamedTuple):
    """The plans run in lockstep: compiled, accumulators, seeds, ids, the engine's runner."""

    compiled: list
    accs: list[Accumulators]
    seeds: list[int]
    plan_ids: list[str]
    run: Callable


def _run_windows(w: _Windows, replications: int, paired: PairedOrders,
                 progress: Callable[[int, int], None] | None) -> None:
    """Run every plan's replications window by window (the same window for all plans), adding
    each window's orders to ``paired``; ``progress(done over all plans, total)`` after each run."""
    total = replications * len(w.compiled)
    for first in range(0, replications, WINDOW):
        count = min(WINDOW, replications - first)
        windows = []
        for k, (c, acc) in enumerate(zip(w.compiled, w.accs, strict=True)):
            tally = acc.open_window(first, count)
            try:
                w.run(c, w.seeds[k], first, count, acc)
            except ReplicationOverrun as exc:
                raise exc.of_plan(w.plan_ids[k]) from None
            windows.append((tally.window_on_time, tally.window_tardiness))
            if progress is not None:
                progress(first * len(w.compiled) + (k + 1) * count, total)
        paired.add(first, windows)
