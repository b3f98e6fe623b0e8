"""Customer orders and their due dates (the plan's optional ``orders`` table; docs/design.md section 5).

An order is what a customer waits for: it completes when the last of its
operations (those whose ``order`` names it) completes, and it is on time when
that completion is at or before its ``due`` date (docs/design.md section 5).
Every order listed must be named by at least one operation; an operation may
name an order that is not listed (it then has no due date and no order figures).
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Literal

from riskengine.errors import Problem
from riskengine.model.common import Id, PlanTime, Strict, duplicates

if TYPE_CHECKING:
    from riskengine.model.plan import Plan


class Order(Strict):
    """A customer order with its due date."""

    id: Id
    """The order's id, as operations name it in their ``order``."""
    due: PlanTime
    """When the customer expects it: ISO 8601 with offset, or hours from the horizon start. The order
    is on time when its last operation completes at or before this time."""
    priority: int | None = None
    """Its priority as the planning system ranks it (shown in reports; not used in the simulation)."""
    customer: str | None = None
    """Who ordered it (reports only)."""


class OrdersTable(Strict):
    """A plan's orders on their own (``riskengine.orders/1``, ``{"format": ..., "orders": [...]}``:
    ``riskengine import table --kind orders``), which a plan's ``orders`` may name as a file."""

    format: Literal["riskengine.orders/1"] = "riskengine.orders/1"
    """The format and its version."""
    orders: list[Order]
    """The orders."""


def order_problems(plan: Plan) -> list[Problem]:
    """Duplicate order ids, and orders no operation belongs to (with the closest order id the
    operations name)."""
    if not plan.orders:
        return []
    problems = [Problem(f"orders[{i}].id", f"duplicate id {oid!r}")
                for oid, where in duplicates([o.id for o in plan.orders]).items() for i in where[1:]]
    named = {op.order for op in plan.operations if op.order is not None}
    for i, order in enumerate(plan.orders):
        if order.id not in named:
            close = difflib.get_close_matches(order.id, sorted(named), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(Problem(f"orders[{i}].id", f"no operation belongs to order {order.id!r}: "
                                    f"an order must be named by some operation's order{hint}"))
    return problems


def order_members(plan: Plan) -> list[list[int]]:
    """For each listed order (plan order), the indices of its operations."""
    index = {o.id: k for k, o in enumerate(plan.orders or [])}
    members: list[list[int]] = [[] for _ in index]
    for i, op in enumerate(plan.operations):
        k = index.get(op.order) if op.order is not None else None
        if k is not None:
            members[k].append(i)
    return members


def planned_late(plan: Plan) -> list[str]:
    """Warnings for the orders the plan itself completes after their due date."""
    out = []
    for order, members in zip(plan.orders or [], order_members(plan), strict=True):
        end = max(plan.operations[i].end for i in members)
        if end > order.due:
            out.append(f"order {order.id} is planned to complete at {end.isoformat()}, after its due date "
                       f"{order.due.isoformat()}: it is late whatever happens (cause planning)")
    return out
