"""The minimal chain model (benchmarks/README.md) as plain numpy, vectorized over replications.

The model (the same one :func:`benchmarks.models.chain_plan` builds as a riskengine plan):

- ``n`` operations run back to back on one resource, in planned order; operation ``i`` is
  planned on ``[i d, (i + 1) d)`` with ``d = setup + work`` hours (no slack, no calendar:
  the resource always works); buckets of ``bucket_hours`` from the horizon start.
- Start = max(end of the previous operation, planned start) (no early start): this is the
  delay propagation. End = start + setup x overrun + work + repairs.
- Setup overrun: lognormal factor with mean ``setup_mean`` and coefficient of variation
  ``setup_cv``, one draw per operation.
- Breakdowns over busy (processing) time: the time to failure is exponential with mean
  ``mtbf`` hours of processing work and is carried across operations; at a failure the
  repair takes an exponential time with mean ``mttr`` (clock hours), then a new time to
  failure is drawn (preempt-resume, a repair renews the machine). Setups do not wear it.
- Three Bernoulli reliability factors per operation (material, machine, operator): factor
  ``k`` fails with probability ``1 - reliability[k]``; a failure holds the operation's start
  until its deadline (issue 16, consequence ``miss``: the replacement lot, the repair, the crew
  arrive then), so it ends late, a MISS, and the chain behind it is late too.
- An operation is a HIT when no factor failed and it ends by the end of its planned
  bucket plus ``tolerance`` hours (the riskengine rule); the plan holds when every
  operation is a HIT.

Each replication is a row: arrays of length ``replications`` are advanced one operation at
a time (the loop over operations is in Python, everything across replications is numpy).
The random numbers come from ``numpy.random.default_rng(seed)`` (PCG64), so results agree
with riskengine's in distribution, not draw for draw.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ChainParams:
    """Parameters of the chain model (hours); shared with the riskengine version."""

    setup: float = 0.2
    work: float = 0.8
    setup_mean: float = 1.1
    setup_cv: float = 0.4
    mtbf: float = 40.0
    mttr: float = 1.0
    reliability: tuple[float, float, float] = (0.995, 0.997, 0.999)
    bucket_hours: float = 8.0
    tolerance: float = 0.0

    @property
    def duration(self) -> float:
        return self.setup + self.work


DEFAULT = ChainParams()


@dataclass
class ChainResult:
    """What the numpy chain computes: per-operation hit counts and lateness, plan holds, finish."""

    op_hits: np.ndarray  # per operation: replications in which it was a HIT
    op_lateness: np.ndarray  # per operation: sum over replications of max(end - planned end, 0)
    holds: np.ndarray  # per replication: every operation a HIT
    finish: np.ndarray  # per replication: end of the last operation (hours)


def simulate_chain(n_ops: int, replications: int, params: ChainParams = DEFAULT,
                   seed: int = 0) -> ChainResult:
    """Simulate ``replications`` replications of the ``n_ops``-operation chain."""
    p = params
    rng = np.random.default_rng(seed)
    sigma = math.sqrt(math.log1p(p.setup_cv**2))
    mu = math.log(p.setup_mean) - sigma**2 / 2
    fail_p = 1.0 - np.asarray(p.reliability)
    r = replications
    prev_end = np.zeros(r)
    clock = rng.exponential(p.mtbf, r)  # processing work left until the next failure
    holds = np.ones(r, bool)
    op_hits = np.zeros(n_ops, np.int64)
    op_lateness = np.zeros(n_ops)
    remaining = np.empty(r)
    for i in range(n_ops):
        planned_start = i * p.duration
        planned_end = planned_start + p.duration
        deadline = math.ceil(planned_end / p.bucket_hours - 1e-9) * p.bucket_hours + p.tolerance
        failed = (rng.random((r, 3)) < fail_p).any(axis=1)
        setup = p.setup * rng.lognormal(mu, sigma, r)
        # processing with breakdowns: consume the failure clock, repair, draw a new one
        remaining.fill(p.work)
        repair = np.zeros(r)
        hit = np.flatnonzero(clock < remaining)
        while hit.size:
            remaining[hit] -= clock[hit]
            repair[hit] += rng.exponential(p.mttr, hit.size)
            clock[hit] = rng.exponential(p.mtbf, hit.size)
            hit = hit[clock[hit] < remaining[hit]]
        clock -= remaining
        start = np.maximum(prev_end, planned_start)
        start = np.where(failed, np.maximum(start, deadline), start)
        end = start + setup + p.work + repair
        ok = end <= deadline
        holds &= ok
        op_hits[i] = np.count_nonzero(ok)
        op_lateness[i] = np.maximum(end - planned_end, 0.0).sum()
        prev_end = end
    return ChainResult(op_hits, op_lateness, holds, prev_end)
