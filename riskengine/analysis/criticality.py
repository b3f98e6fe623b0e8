"""Which operations and resources start the failures: criticality, cruciality, SSI.

Estimates from the integer accumulators of :mod:`riskengine.simulation.insight`
(both engines fill them identically; sums are exact integers, so every figure
here is bit-identical for any thread count or chunk size).

Criticality
    The share of replications in which an operation (a resource) *caused the
    first miss*: the root (origin) of the delay chain of the MISS with the
    earliest planned start (definition in :mod:`riskengine.simulation.insight`).
    It replaces the criticality index of schedule risk analysis, the
    probability that an activity lies on the critical path (Williams T. M.,
    1992, "Criticality in stochastic networks", Journal of the Operational
    Research Society 43(4):353-357): a production plan fails when an
    operation misses its bucket, not when the makespan grows. Per resource
    the shares add up to 1 - P(plan holds). 95% Wilson interval; with
    uncertain parameters (replications nested in M per parameter draw) on
    n / M effective replications, the largest design effect clusters of M can
    have: the per-draw counts of each operation are not kept, so the exact
    cluster-robust design effect of :mod:`riskengine.simulation.statistics`
    is not available, and M keeps the interval conservative.

Cruciality
    Williams (1992) proposed the correlation between an activity's duration
    and the project's duration (the cruciality index). Here: the correlation
    between an operation's delay x (lateness max(end - planned end, 0) in
    hours; an unexecuted one censored at the replication's last instant) and
    the plan's loss y, for two losses: ``bts`` (y = 1 - BTS of the horizon)
    and ``miss`` (y = 1 when the plan does not hold: the point-biserial
    correlation). The issue asked for a rank correlation; an exact Spearman
    coefficient needs the ranks of all replications (memory operations x
    replications) and a bounded reservoir would make it an approximation that
    depends on the reservoir. We compute **Pearson's r on streamed sums**
    instead, r = (n Sxy - Sx Sy) / sqrt((n Sxx - Sx^2)(n Syy - Sy^2)), exact
    in integers on fixed-point values (2^-16 h), bit-identical and O(operations)
    in memory. With y the miss indicator, Pearson is the point-biserial
    coefficient, which ranks do not change much (y has only two values). An
    operation whose delay never varies (always on time) has no correlation:
    None.

Schedule sensitivity index
    SSI_i = (sigma_i / sigma_T) x CI_i (Vanhoucke M., 2010, "Using activity
    sensitivity and network topology information to monitor project time
    performance", Omega 38(5):359-370), with sigma_i the standard deviation
    of the operation's actual duration (end - start of an executed operation,
    setup and interruptions included), sigma_T that of the plan's finish
    (last completion) and CI_i the criticality above. None when the finish
    does not vary.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from riskengine.model.plan import Plan
from riskengine.simulation import insight as ins
from riskengine.simulation.accumulate import Accumulators
from riskengine.simulation.compile import Compiled
from riskengine.simulation.statistics import sd, wilson
from riskengine.simulation.summary import FINISH


def pearson(n: int, sx: int, sy: int, sxx: int, syy: int, sxy: int) -> float | None:
    """Pearson's r from exact integer sums over ``n`` pairs; None when either side is constant."""
    vx = n * sxx - sx * sx
    vy = n * syy - sy * sy
    if n < 2 or vx <= 0 or vy <= 0:
        return None
    r = (n * sxy - sx * sy) / math.sqrt(float(vx) * float(vy))
    return max(-1.0, min(1.0, r))


def sd_from_sums(n: int, s: int, ss: int, scale: float = ins.SCALE) -> float | None:
    """Sample standard deviation (n - 1) of fixed-point values from their exact sums."""
    if n < 2:
        return None
    var = (n * ss - s * s) / (n * (n - 1))
    return math.sqrt(max(var, 0.0)) / scale


def criticality(plan: Plan, c: Compiled, acc: Accumulators) -> dict:
    """Criticality, cruciality and SSI of every judged operation and each resource's criticality.

    Returns ``{"operations": [...], "resources": [...], "finish_sd_hours", "method"}``;
    operations sorted by criticality (then SSI, then plan order), each
    ``{"id", "resource", "criticality" (estimate), "cruciality": {"bts", "miss"},
    "ssi", "duration_sd_hours"}``.
    """
    n = acc.replications
    deff = float(c.replications_per_draw) if c.uncertain else 1.0
    sd_t = sd(acc.column(FINISH))
    op = ins.wide_total(acc.op_sums)
    rep = ins.wide_total(acc.rep_sums)
    n_loss = int(rep[ins.N_LOSS])
    rows: list[dict[str, Any]] = []
    for i, o in enumerate(plan.operations):
        if c.op_bucket[i] < 0:
            continue
        k = int(acc.op_critical[i])
        s = op[i]
        sd_i = sd_from_sums(int(acc.op_executed[i]), s[ins.DURATION], s[ins.DURATION2])
        ci = k / n if n else 0.0
        rows.append({
            "id": o.id, "resource": o.resource, "criticality": wilson(k, n, deff=deff),
            "cruciality": {
                "bts": pearson(n_loss, s[ins.DELAY], rep[ins.LOSS], s[ins.DELAY2], rep[ins.LOSS2],
                               s[ins.DELAY_LOSS]),
                "miss": pearson(n, s[ins.DELAY], rep[ins.MISS], s[ins.DELAY2], rep[ins.MISS],
                                s[ins.DELAY_MISS]),
            },
            "ssi": (sd_i / sd_t * ci) if (sd_i is not None and sd_t > 0) else None,
            "duration_sd_hours": sd_i,
        })
    order = {o.id: i for i, o in enumerate(plan.operations)}
    rows.sort(key=lambda r: (-r["criticality"]["mean"], -(r["ssi"] or 0.0), order[r["id"]]))
    resources: list[dict[str, Any]] = [
        {"id": r.id, "criticality": wilson(int(acc.res_critical[k]), n, deff=deff)}
        for k, r in enumerate(plan.resources)]
    resources.sort(key=lambda r: -r["criticality"]["mean"])
    return {"operations": rows, "resources": resources, "finish_sd_hours": sd_t,
            "method": "criticality: share of replications whose first miss began at the operation; "
                      "cruciality: Pearson r of delay with 1 - BTS and with the plan-miss indicator; "
                      "ssi: sd(duration) / sd(finish) x criticality (Vanhoucke 2010)"}


def top_critical(result_criticality: Mapping[str, Any] | None, n: int = 5) -> tuple[list[dict], list[dict]]:
    """The ``n`` operations and resources with the highest criticality above 0."""
    if not result_criticality:
        return [], []
    ops = [o for o in result_criticality["operations"] if o["criticality"]["mean"] > 0][:n]
    res = [r for r in result_criticality["resources"] if r["criticality"]["mean"] > 0][:n]
    return ops, res
