"""The nearest executable plan: shift operations right until every error finding is gone.

One forward pass in topological order over routing (``after``) and each
resource's planned sequence (ties by planned start). Each operation starts at
the first working instant at or after the latest of: its planned start, the
ends of its routing predecessors, the end of the previous operation on its
resource, and the arrival of its declared materials. Its setup is raised to
what the setup matrix requires after the previous operation (the added hours
add to its work content), and it ends when its work content is done in its
resource's working time; a window stretched over non-working time records
its work content in ``work_hours``. An operation that needs no change keeps
its planned window exactly. Operations never start earlier than planned and
every resource keeps its sequence; the horizon is left as it is (work pushed
past it gives ``horizon`` warnings, not errors).

A plan whose routing contradicts a resource's sequence (a routing successor
planned before its predecessor on the same resource, directly or through
other resources) cannot be repaired without resequencing: the repair then
reports the operations involved and writes nothing.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from riskengine.feasibility.view import TOL, PlanView, hours_text
from riskengine.model.calendar import WEEK_HOURS, finish_time, next_working, working_time
from riskengine.model.plan import Plan, parse_plan
from riskengine.model.setup import required_setup


@dataclass
class Move:
    """One operation the repair changed."""

    operation: str
    old_start: datetime
    new_start: datetime
    old_end: datetime
    new_end: datetime
    setup_added_hours: float = 0.0

    @property
    def shift_hours(self) -> float:
        return (self.new_start - self.old_start).total_seconds() / 3600.0

    def to_dict(self) -> dict:
        return {"operation": self.operation, "old_start": self.old_start.isoformat(),
                "new_start": self.new_start.isoformat(), "shift_hours": self.shift_hours,
                "old_end": self.old_end.isoformat(), "new_end": self.new_end.isoformat(),
                "setup_added_hours": self.setup_added_hours}


@dataclass
class RepairResult:
    """The repaired plan (``plan`` and its JSON ``document``) and what moved, or why it failed."""

    source: str
    plan: Plan | None
    document: dict | None
    moves: list[Move] = field(default_factory=list)
    reason: str | None = None
    remaining_errors: int = 0

    @property
    def ok(self) -> bool:
        return self.plan is not None

    def to_dict(self) -> dict:
        return {"repaired": self.ok, "plan": self.plan.id if self.plan else None,
                "reason": self.reason, "moved": len(self.moves),
                "remaining_errors": self.remaining_errors,
                "moves": [m.to_dict() for m in self.moves]}

    def __str__(self) -> str:
        if self.plan is None:
            return f"Repair not possible: {self.reason}"
        if not self.moves:
            return f"Repair: nothing to change; {self.plan.id} is the plan as it was"
        lines = [f"Repair: {len(self.moves)} operation(s) changed in {self.plan.id}"]
        for m in self.moves[:25]:
            setup = f", setup +{hours_text(m.setup_added_hours)}" if m.setup_added_hours > 0 else ""
            lines.append(f"  {m.operation:<16} {m.old_start:%a %d %b %H:%M} -> {m.new_start:%a %d %b %H:%M}"
                         f"  ({m.shift_hours:+.4g} h{setup}, ends {m.new_end:%a %H:%M})")
        if len(self.moves) > 25:
            lines.append(f"  ... and {len(self.moves) - 25} more")
        if self.remaining_errors:
            lines.append(f"  {self.remaining_errors} error finding(s) remain: please report this as a bug")
        return "\n".join(lines)


def _topological(plan: Plan, view: PlanView) -> tuple[list[int], list[int | None]]:
    """Operations in an order that respects routing and every resource's sequence, and each one's
    previous operation on its resource; the order is short when the two contradict."""
    n = len(plan.operations)
    prev: list[int | None] = [None] * n
    succ: list[list[int]] = [[] for _ in range(n)]
    indegree = [0] * n
    for seq in plan.sequences.values():
        for a, b in zip(seq, seq[1:], strict=False):
            prev[b] = a
            succ[a].append(b)
            indegree[b] += 1
    for i, op in enumerate(plan.operations):
        for p in op.after:
            succ[plan.operation_index[p]].append(i)
            indegree[i] += 1
    heap = [(view.start[i], view.end[i], i) for i in range(n) if indegree[i] == 0]
    heapq.heapify(heap)
    order = []
    while heap:
        i = heapq.heappop(heap)[2]
        order.append(i)
        for j in succ[i]:
            indegree[j] -= 1
            if indegree[j] == 0:
                heapq.heappush(heap, (view.start[j], view.end[j], j))
    return order, prev


def _place(view: PlanView, resource: str, t: float, work: float) -> tuple[float, float]:
    """First working instant at or after ``t`` and the end of ``work`` hours from there."""
    until = view.until
    while True:
        s, e = view.intervals(resource)
        start = next_working(s, e, t)
        end = finish_time(s, e, start, work) if math.isfinite(start) else math.inf
        if math.isfinite(end):
            return start, end
        until = 2 * max(until, t) + 4 * WEEK_HOURS
        if not view.extend(resource, until):
            return start, end


def _jsonable(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(x) for k, x in value.items()}
    if isinstance(value, list):
        return [_jsonable(x) for x in value]
    return value


def repair(plan: Plan) -> RepairResult:
    """Shift operations right (never earlier) into the nearest executable plan.

    Parameters
    ----------
    plan
        A validated plan version.

    Returns
    -------
    RepairResult
        ``plan`` (id ``<id>-repaired``) and ``document`` (its JSON) with the
        moves, or ``plan`` None and the ``reason`` when the plan cannot be
        repaired without resequencing (or a calendar has no working time left).
    """
    from riskengine.feasibility.checks import check

    view = PlanView.of(plan)
    ops = plan.operations
    order, prev = _topological(plan, view)
    if len(order) < len(ops):
        placed = set(order)
        stuck = [op.id for i, op in enumerate(ops) if i not in placed]
        return RepairResult(plan.id, None, None, reason=(
            "routing contradicts the planned sequence of a resource among operations "
            f"{', '.join(stuck[:10])}{' ...' if len(stuck) > 10 else ''}; resequence them first"))
    start, end = list(view.start), list(view.end)
    setup = [op.setup_hours for op in ops]
    work = list(view.work)
    for i in order:
        op = ops[i]
        t = view.start[i]
        t = max([t, *(end[plan.operation_index[p]] for p in op.after)])
        t = max([t, *(view.arrivals[m] for m in op.materials if m in view.arrivals)])
        if (before := prev[i]) is not None:
            t = max(t, end[before])
            setup[i] = max(setup[i], required_setup(plan, ops[before].family, op.family))
            work[i] += setup[i] - op.setup_hours
        if op.resource in view.calendared:
            s, e = view.intervals(op.resource)
            unchanged = (t <= view.start[i] + TOL and setup[i] == op.setup_hours
                         and next_working(s, e, view.start[i]) <= view.start[i] + TOL
                         and working_time(s, e, view.start[i], view.end[i]) >= work[i] - TOL)
        else:
            unchanged = t <= view.start[i] + TOL and setup[i] == op.setup_hours
        if unchanged:
            continue
        start[i], end[i] = _place(view, op.resource, t, work[i])
        if not math.isfinite(end[i]):
            return RepairResult(plan.id, None, None, reason=(
                f"the calendar of {op.resource} has no working time left to place {op.id} "
                f"({hours_text(work[i])} of work from {view.clock(t)})"))
    doc: dict[str, Any] = {k: _jsonable(x) for k, x in plan.model_dump(exclude_none=True).items()}
    doc["id"] = f"{plan.id}-repaired"
    if doc.pop("validation", None) is not None or doc.get("status") in ("validated", "published"):
        doc["status"] = "proposed"  # a changed plan is signed off again (docs/design.md section 9)
    moves = []
    for i, op in enumerate(ops):
        if start[i] == view.start[i] and end[i] == view.end[i] and setup[i] == op.setup_hours:
            continue
        new_start = max(view.instant(start[i]), op.start)
        new_end = view.instant(end[i])
        row = doc["operations"][i]
        window = (new_end - new_start).total_seconds() / 3600.0
        held = min(work[i], window)  # datetimes are rounded to the microsecond
        row.update(start=new_start.isoformat(), end=new_end.isoformat(), setup_hours=min(setup[i], held))
        if window > work[i] + TOL or op.work_hours is not None:
            row["work_hours"] = held
        moves.append(Move(op.id, op.start, new_start, op.end, new_end, setup[i] - op.setup_hours))
    moves.sort(key=lambda m: (m.old_start, m.operation))
    repaired = parse_plan(doc, source=f"repair of {plan.id}")
    remaining = len(check(repaired).errors)
    return RepairResult(plan.id, repaired, doc, moves, remaining_errors=remaining)
