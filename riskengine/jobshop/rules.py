"""Dispatching rules in the Giffler-Thompson schedule generators.

Each job's next unscheduled operation o has an earliest start
est(o) = max(job ready, machine ready) and an earliest completion
ect(o) = est(o) + p(o). One step schedules one operation:

- ``active`` (Giffler and Thompson, "Algorithms for solving production-scheduling
  problems", Operations Research 8(4), 1960): take the smallest ect, C*, and its
  machine M* (ties: lowest machine id); the conflict set is the next operations on
  M* with est < C*; the rule picks one of them, scheduled at its est. Every
  schedule generated is active (no operation can start earlier without delaying
  another), and some active schedule is optimal.
- ``non-delay``: take the smallest est, t*; the conflict set is every next operation
  with est = t* (any machine); no machine is ever left idle while an operation
  could start on it.

Priority rules (Panwalkar and Iskander, "A survey of scheduling rules",
Operations Research 25(1), 1977), the smallest key wins, ties by job index:

=========  ===========================================  =====================
rule       picks the operation with                      key
=========  ===========================================  =====================
``spt``    shortest processing time                      p(o)
``lpt``    longest processing time                       -p(o)
``mwkr``   most work remaining in its job (o included)   -sum of p of the rest
``lwkr``   least work remaining                          sum of p of the rest
``mopnr``  most operations remaining                     -count of the rest
``fifo``   job ready the earliest                        job ready time
=========  ===========================================  =====================

All quantities are integers, so the schedule is exact and deterministic.
"""

from __future__ import annotations

import numpy as np

from riskengine.errors import InputError, Problem
from riskengine.jobshop.instance import Instance, Schedule

RULES = ("spt", "lpt", "mwkr", "lwkr", "mopnr", "fifo")
GENERATORS = ("active", "non-delay")


def _key(rule: str, inst: Instance, j: int, k: int, job_ready: np.ndarray, remaining: np.ndarray) -> int:
    p = int(inst.durations[j, k])
    if rule == "spt":
        return p
    if rule == "lpt":
        return -p
    if rule == "mwkr":
        return -int(remaining[j])
    if rule == "lwkr":
        return int(remaining[j])
    if rule == "mopnr":
        return -(inst.durations.shape[1] - k)
    return int(job_ready[j])  # fifo


def dispatch(inst: Instance, rule: str = "spt", generator: str = "active") -> Schedule:
    """Build a schedule of ``inst`` with a priority ``rule`` in the ``generator`` scheme.

    Parameters
    ----------
    inst
        The job-shop instance.
    rule
        One of :data:`RULES`.
    generator
        ``"active"`` (Giffler-Thompson) or ``"non-delay"``.
    """
    if rule not in RULES:
        raise InputError(Problem("rule", f"must be one of {', '.join(RULES)}, got {rule!r}"))
    if generator not in GENERATORS:
        raise InputError(Problem("generator", f"must be one of {', '.join(GENERATORS)}, got {generator!r}"))
    n, m = inst.durations.shape
    starts = np.full((n, m), -1, dtype=np.int64)
    nxt = np.zeros(n, dtype=np.int64)
    job_ready = np.zeros(n, dtype=np.int64)
    mach_ready = np.zeros(inst.n_machines, dtype=np.int64)
    remaining = inst.durations.sum(axis=1).astype(np.int64)
    for _ in range(n * m):
        jobs = np.nonzero(nxt < m)[0]
        ops = [(int(j), int(nxt[j])) for j in jobs]
        est = np.array([max(job_ready[j], mach_ready[inst.machines[j, k]]) for j, k in ops])
        if generator == "active":
            ect = est + np.array([inst.durations[j, k] for j, k in ops])
            c_star = ect.min()
            m_star = min(int(inst.machines[j, k]) for (j, k), e in zip(ops, ect, strict=True) if e == c_star)
            conflict = [i for i, (j, k) in enumerate(ops)
                        if inst.machines[j, k] == m_star and est[i] < c_star]
        else:
            t_star = est.min()
            conflict = [i for i in range(len(ops)) if est[i] == t_star]
        best = min(conflict, key=lambda i: (_key(rule, inst, *ops[i], job_ready, remaining), ops[i][0]))
        j, k = ops[best]
        t = int(est[best])
        starts[j, k] = t
        end = t + int(inst.durations[j, k])
        job_ready[j] = end
        mach_ready[inst.machines[j, k]] = end
        remaining[j] -= inst.durations[j, k]
        nxt[j] += 1
    return Schedule(inst, starts, f"{rule}-{generator}", info={"rule": rule, "generator": generator})
