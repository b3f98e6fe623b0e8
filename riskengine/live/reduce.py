"""What a forecast simulates: the operations of the executed plan whose course is not over at T.

A replication of a forecast costs what its model holds, so the model holds only what can
still change a figure: the operations not done at the as-of time T (pending or in progress,
whatever their bucket), the operations done in the buckets still open (their realized
completions count there, and in their sequence), and each resource's last operation started
before T (what it ran last: setups, inherited causes). Operations done in the buckets that
ended by T are settled by the measurement (docs/design.md section 3, forecast) and left out,
so a forecast costs about what a score of the remaining operations does (benchmarks/forecast.py).

The reduced plan is the executed plan with those operations only: same horizon, buckets,
calendars, publication and resources; routing arcs from operations done are dropped: they are
over (one recorded as not executed does not hold its successors, nor their resource, forever: the
record says it will not run; whether they run is the plan's business). Every material keeps the
planned arrival it has in the whole plan (declared in the reduced one), so a lot's lateness is
drawn from the same due time. The plan's orders keep those with an operation in the reduced plan:
an order whose operations are all settled is realized (its completion is known), and an order's
completion in a replication is that of its operations the model holds (its settled ones ended in
closed buckets, before them as planned).
"""

from __future__ import annotations

import math

import numpy as np

from riskengine.adherence.arrays import bucket_of
from riskengine.model.plan import Plan
from riskengine.simulation.codes import Realized

PENDING, DONE, RUNNING = (int(x) for x in Realized)  # plain ints: an IntEnum member is slow in loops


def n_buckets(plan: Plan) -> int:
    """The plan's buckets (as the compiler lays them)."""
    return max(1, math.ceil(plan.horizon_hours / plan.bucket_hours - 1e-9))


def planned_buckets(plan: Plan) -> np.ndarray:
    """Each operation's planned bucket (of its planned end; -1 outside the horizon), as compiled."""
    n = n_buckets(plan)
    return np.array([bucket_of(plan.hours(op.end), 0.0, plan.bucket_hours, n) for op in plan.operations],
                    np.int64)


def kept(plan: Plan, state: np.ndarray, bucket: np.ndarray, closed: int, last: set[int]) -> np.ndarray:
    """Indices of the operations the forecast simulates (module docstring); ``last``: each
    resource's last operation started before T."""
    keep = [i for i in range(len(plan.operations))
            if state[i] != DONE or bucket[i] >= closed or i in last]
    return np.array(keep, np.int64)


def material_base(plan: Plan) -> dict[str, float]:
    """Each material's planned arrival in hours (declared, else when its first operation starts)."""
    declared = {m.id: m.available_at for m in plan.materials or []}
    base: dict[str, float] = {}
    for op in plan.operations:
        for m in op.materials:
            base[m] = min(base.get(m, math.inf), plan.hours(op.start))
    for m, at in declared.items():
        if at is not None and m in base:
            base[m] = plan.hours(at)
    return base


def reduced_plan(plan: Plan, keep: np.ndarray, state: np.ndarray) -> Plan:
    """The executed plan with the operations ``keep`` only, without routing arcs from operations
    done (``state``; module docstring)."""
    done = {op.id for i, op in enumerate(plan.operations) if state[i] == DONE}
    if keep.shape[0] == len(plan.operations) and not any(set(op.after) & done for op in plan.operations):
        return plan
    ids = {plan.operations[i].id for i in keep} - done
    base = material_base(plan)
    doc = plan.model_dump(mode="python", exclude_none=True)
    kept_ids = {plan.operations[i].id for i in keep}
    doc["operations"] = [dict(o, after=[a for a in o.get("after", []) if a in ids])
                         for o in doc["operations"] if o["id"] in kept_ids]
    names = {m.id: m.name for m in plan.materials or []}
    used = dict.fromkeys(m for o in doc["operations"] for m in o.get("materials", []))
    doc["materials"] = [{"id": m, "available_at": base[m], **({"name": names[m]} if names.get(m) else {})}
                        for m in used]
    if doc.get("orders"):  # an order all of whose operations are settled is realized: not forecast
        named = {o["order"] for o in doc["operations"] if o.get("order") is not None}
        doc["orders"] = [o for o in doc["orders"] if o["id"] in named] or None
    return Plan.model_validate(doc)
