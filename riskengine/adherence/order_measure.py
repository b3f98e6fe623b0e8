"""Realized orders: completed, on time, in full, OTIF (``measurement.orders[]``, ``total.otif``).

Each order is measured against the newest plan version that lists it (its due
date and its operations there: the operations of that version whose
``order`` names it). It *completes* when every one of those operations has
realized good units: at the latest end of their records; it is on time, in
full and OTIF by the definitions of :mod:`riskengine.adherence.orders` (the
score's too), with the measurement's quantity tolerance. Orders are counted in
the period of their due date: the measured orders are those due within the
timeline (after its start, at or before its end); the others are left out
with a warning. An order that a later version, published before its due date,
no longer lists, and of which nothing was produced, was cancelled: it is not
measured either (a plan that drops completed work still has the order's
production on record). ``total.otif`` = OTIF orders / measured orders (null:
none).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, NotRequired

from pydantic import with_config
from typing_extensions import TypedDict

from riskengine.adherence.documents import Figures
from riskengine.adherence.figures import pct
from riskengine.adherence.orders import in_full, on_time
from riskengine.io.documents import PART, NonNegative, Share
from riskengine.model.actuals import Actuals, PlanHistory
from riskengine.model.common import hours_between
from riskengine.report.terminal import iso_clock, prose, table


@with_config(PART)
class OrderOutcome(TypedDict):
    """One customer order as realized."""

    id: str
    """Order id."""
    plan: str
    """The newest plan version listing it (its due date and operations come from there)."""
    due: str
    """Due date, ISO 8601."""
    customer: NotRequired[str]
    """Who ordered it (when the plan says)."""
    priority: NotRequired[int]
    """Its priority (when the plan says)."""
    operations: int
    """Its operations in that version."""
    completed: str | None
    """When its last operation completed, ISO 8601 (null: an operation produced nothing)."""
    on_time: bool
    """Completed at or before its due date."""
    in_full: bool
    """Every operation produced at least the quantity tolerance x its planned units."""
    otif: bool
    """On time and in full."""
    lateness_hours: NonNegative
    """max(0, completed - due) in hours (null: not completed)."""


def _realized(actuals: Actuals, origin: datetime) -> dict[str, tuple[float, float]]:
    """Operation id -> (latest end of its records with good units, h from ``origin``; good units)."""
    done: dict[str, list[float]] = {}
    for r in actuals.records:
        if r.operation is None:
            continue
        agg = done.setdefault(r.operation, [-math.inf, 0.0])
        if r.quantity > 0 and r.end is not None:  # a record without an end has not completed
            end = r.end if not isinstance(r.end, datetime) else hours_between(origin, r.end)
            agg[0] = max(agg[0], float(end))
            agg[1] += r.quantity
    return {k: (v[0] if v[1] > 0 else math.inf, v[1]) for k, v in done.items()}


def _operations_by_order(plan) -> dict[str, list]:
    """A plan's operations of each order, in plan order."""
    out: dict[str, list] = {}
    for op in plan.operations:
        if op.order is not None:
            out.setdefault(op.order, []).append(op)
    return out


def measure_orders(history: PlanHistory, actuals: Actuals, timeline: tuple[datetime, datetime],
                   quantity_tolerance: float, warnings: list[str]) -> tuple[list[dict], dict]:
    """The realized ``orders[]`` due within ``timeline`` (start, end], and the total's order
    fields (``otif``, ``orders``, ``orders_otif``; empty when no plan lists orders)."""
    newest: dict[str, int] = {}
    for v, plan in enumerate(history.versions):
        for order in plan.orders or []:
            newest[order.id] = v
    if not newest:
        return [], {}
    origin = history.origin
    done = _realized(actuals, origin)
    orders = [{o.id: o for o in plan.orders or []} for plan in history.versions]
    routes = [_operations_by_order(plan) for plan in history.versions]  # linear, never orders x operations
    out, outside, cancelled = [], 0, 0
    for oid, v in newest.items():
        plan = history.versions[v]
        order = orders[v][oid]
        if not timeline[0] < order.due <= timeline[1]:
            outside += 1
            continue
        ops = routes[v].get(oid, [])
        realized = [done.get(op.id, (math.inf, 0.0)) for op in ops]
        dropped = any(later.published_at <= order.due for later in history.versions[v + 1:])
        if dropped and not any(good > 0 for _, good in realized):
            cancelled += 1
            continue
        completion = max(end for end, _ in realized)
        due = hours_between(origin, order.due)
        full = all(in_full(good, op.quantity, quantity_tolerance) for op, (_, good) in zip(ops, realized,
                                                                                          strict=True))
        timely = bool(on_time(completion, due))
        row: dict[str, Any] = {"id": oid, "plan": plan.id, "due": order.due.isoformat()}
        row |= {k: getattr(order, k) for k in ("customer", "priority") if getattr(order, k) is not None}
        row |= {"operations": len(ops),
                "completed": (origin + timedelta(hours=completion)).isoformat()
                if math.isfinite(completion) else None,
                "on_time": timely, "in_full": full, "otif": timely and full,
                "lateness_hours": max(completion - due, 0.0) if math.isfinite(completion) else None}
        out.append(row)
    if outside:
        warnings.append(f"{outside} order(s) due outside the measured timeline are not measured "
                        "(orders count in the period of their due date)")
    if cancelled:
        warnings.append(f"{cancelled} order(s) dropped by a later plan version before their due date, "
                        "with nothing produced, are taken as cancelled and not measured")
    otif = sum(bool(o["otif"]) for o in out)
    return out, {"otif": otif / len(out) if out else None, "orders": len(out), "orders_otif": otif}


class TotalFigures(Figures):
    """The whole timeline's figures, and its orders when the plans list orders."""

    otif: NotRequired[Share]
    """Share of the measured orders on time in full (null: no order due in the timeline)."""
    orders: NotRequired[int]
    """Orders due in the timeline (measured)."""
    orders_otif: NotRequired[int]
    """Of them, on time in full."""


def order_outcome_lines(orders: Sequence[Mapping[str, Any]], total: Mapping[str, Any]) -> list[str]:
    """The terminal lines of the realized orders: the OTIF count and the orders that missed it."""
    if not orders:
        return []
    missed = [o for o in orders if not o["otif"]]
    lines = ["", *prose(f"Orders: {total['orders_otif']} of {total['orders']} on time in full (OTIF "
                        f"{pct(total['otif'])}); on time: its last operation completed at or before its due "
                        "date, in full: every operation within the quantity tolerance")]
    if missed:
        lines += table(["order", "due", "completed", "on time", "in full", "late by"],
                       [[o["id"], iso_clock(o["due"]), iso_clock(o["completed"]), _yes(o["on_time"]),
                         _yes(o["in_full"]), _hours(o["lateness_hours"])] for o in missed], align="lllllr")
    return lines


def _yes(x: bool) -> str:
    return "yes" if x else "no"


def _hours(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f} h"
