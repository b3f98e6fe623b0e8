"""When each operation is now expected: start and end quantiles over a sample of replications.

The forecast's probabilities come from every replication through integer
accumulators; dates per operation would need the operations x replications
table that the accumulators avoid. The dates (an alert's expected end, the
report's Gantt right of the as-of line) therefore come from the first
replications only: a quarter of them, at most :data:`MAX_SAMPLE` and as many
as keep the table of starts and ends within :data:`BUDGET_BYTES`; the same
replications, so the same numbers, as the forecast's own (kernel, same seed).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numba
import numpy as np

from riskengine.simulation.compile import Compiled
from riskengine.simulation.draws import scrap_tables
from riskengine.simulation.kernel import replicate
from riskengine.simulation.parameters import uncertain_scrap_by_loop
from riskengine.simulation.records import model_of, outputs, scratch
from riskengine.simulation.runner import kernel_replication
from riskengine.simulation.watchdog import StopFlag, Stopped, arm, check, event_bound

#: Most replications sampled for the dates.
MAX_SAMPLE = 100
#: Memory the sampled starts and ends may take (two float64 per operation and replication).
BUDGET_BYTES = 16 * 2**20


@dataclass
class Dates:
    """Per operation, quantiles of its actual start and end over the sampled replications (hours
    from the horizon start; inf: not executed in that share of them)."""

    replications: int
    start_p50: np.ndarray
    end_p50: np.ndarray
    end_p80: np.ndarray


def sample_size(replications: int, n_ops: int) -> int:
    """Replications sampled: a quarter of the forecast's (the dates add at most a quarter to its
    simulation), at most :data:`MAX_SAMPLE` and :data:`BUDGET_BYTES` of starts and ends."""
    return max(1, min(-(-replications // 4), MAX_SAMPLE, BUDGET_BYTES // (16 * max(n_ops, 1))))


def sample_dates(c: Compiled, seed: int, replications: int, stop: StopFlag | None = None,
                 blocks: Callable | None = None) -> Dates:
    """Start and end quantiles of every operation over the first replications (module docstring),
    on every numba thread (the kernel releases the GIL). Each replication is bounded and ``stop``
    ends them as a score's (:mod:`riskengine.simulation.watchdog`: ``Stopped``,
    ``ReplicationOverrun``). ``blocks``: on a Dask cluster (``ClusterRun.blocks`` of ``c`` and
    ``seed``, called as ``blocks(sample_block, count)``: the blocks' starts and ends in replication
    order)."""
    count = sample_size(replications, c.n_ops)
    if blocks is None:
        starts, ends = sample_block(c, seed, 0, count, stop)
    else:
        parts = blocks(sample_block, count)
        starts, ends = (np.concatenate([p[k] for p in parts]) for k in (0, 1))

    def q(x: np.ndarray, p: float) -> np.ndarray:  # a sampled value (inf: not executed), never between
        return np.quantile(x, p, axis=0, method="inverted_cdf")

    return Dates(count, q(starts, 0.5), q(ends, 0.5), q(ends, 0.8))


def sample_block(c: Compiled, seed: int, lo: int, hi: int, stop: StopFlag | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Starts and ends of every operation in replications ``lo .. hi - 1`` (a row each), on every
    numba thread (:func:`sample_dates`)."""
    n = c.n_ops
    count = hi - lo
    starts = np.empty((count, n))
    ends = np.empty((count, n))
    model = model_of(c)
    tables = uncertain_scrap_by_loop(c, scrap_tables(c.op_resource, c.op_quantity, c.res_scrap))
    bound = event_bound(c)

    def run(first: int, last: int) -> None:
        if c.uncertain:  # each replication with its own draw of the parameters
            for rep in range(first, last):
                if stop is not None and stop.is_set():
                    raise Stopped
                r = kernel_replication(c, seed, lo + rep)
                starts[rep], ends[rep] = r.start, r.end
            return
        s, out = scratch(n, c.n_resources, c.mat_entity.shape[0]), outputs(n)
        if stop is not None:
            stop.attach(s.account)
        try:
            for rep in range(first, last):
                arm(s.account, bound)
                replicate(seed, lo + rep, model, tables, s, out)
                check(s.account, seed, lo + rep)
                starts[rep], ends[rep] = out.start, out.end
        finally:
            if stop is not None:
                stop.detach(s.account)

    threads = max(1, min(numba.get_num_threads(), count))
    cuts = [count * k // threads for k in range(threads + 1)]
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(run, cuts[:-1], cuts[1:]))
    return starts, ends


def iso_or_none(origin, hours: float) -> str | None:
    """``origin`` + ``hours`` as ISO 8601 to the minute, None when not finite (never executed)."""
    from datetime import timedelta

    if not math.isfinite(hours):
        return None
    t = origin + timedelta(minutes=round(float(hours) * 60))
    return t.isoformat()
