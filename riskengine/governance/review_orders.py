"""The orders section of the review sheet: the customer orders least likely to be on time.

From the score's ``orders[]`` (:mod:`riskengine.analysis.orders`): the ``top``
orders not on time in every replication, least likely first (ties by id), each
with P(late with each cause) and the cause's owner, and the operation that
completes it as planned (its latest planned end). The flags template gets one
row per such order on that operation (a flag names an operation: it
materializes when the operation misses), or the order's words added to the
operation's row when it is listed already.
"""

from __future__ import annotations

from riskengine.analysis.order_text import at_risk_rows
from riskengine.analysis.orders import likely_on_time
from riskengine.governance.owners import Owners
from riskengine.model.orders import order_members
from riskengine.model.plan import Plan
from riskengine.report.results import pct
from riskengine.report.terminal import iso_clock, listing, prose, table


def risky_orders(plan: Plan, scored: dict, top: int, owners: Owners) -> list[dict]:
    """The ``top`` orders least likely to be on time (those not always on time)."""
    members = dict(zip((o.id for o in plan.orders or []), order_members(plan), strict=True))
    rows = []
    for o in at_risk_rows(scored.get("orders") or [], top):
        last = max(members[o["id"]], key=lambda i: (plan.operations[i].end, i))
        causes = sorted(o["causes"].items(), key=lambda kv: (-kv[1], kv[0]))
        row = {"id": o["id"], "due": o["due"], "on_time": o["on_time"],
               "completion_p80": o["completion"]["p80"], "tardiness_hours": o["tardiness_hours"]["mean"],
               "last_operation": plan.operations[last].id,
               "causes": [{"cause": k, "probability": v, "owner": owners[k][0]} for k, v in causes]}
        if "customer" in o:
            row["customer"] = o["customer"]
        rows.append(row)
    return rows


def with_order_flags(template: list[dict], orders: list[dict]) -> list[dict]:
    """The flags template with a row for each order at risk, on its last operation."""
    rows = {r["operation"]: dict(r) for r in template}
    for o in orders:
        main = o["causes"][0]["cause"] if o["causes"] else None
        words = (f"order {o['id']} due {iso_clock(o['due'])}: P(on time) {pct(o['on_time']['mean'])}"
                 + (f", mostly {main}" if main else ""))
        op = o["last_operation"]
        if op in rows:
            rows[op]["note"] = f"{rows[op]['note']}; {words}" if rows[op]["note"] else words
        else:
            rows[op] = {"operation": op, "risk": "", "note": words}
    return list(rows.values())


def forecast_counts(scored: dict) -> dict:
    """The sheet's forecast fields on orders (none when the plan lists no orders)."""
    orders = scored.get("orders") or []
    if not orders:
        return {}
    return {"orders": len(orders), "orders_likely_on_time": likely_on_time(orders)}


def likely_words(forecast: dict) -> str:
    """'48 of 63 orders on time with at least 80% probability'."""
    return (f"{forecast['orders_likely_on_time']} of {forecast['orders']} orders on time with at least "
            "80% probability")


def review_causes(o: dict) -> str:
    """'breakdown 40% (maintenance), material 12% (planning and supply)'."""
    return listing([f"{x['cause']} {pct(x['probability'], 0)} ({x['owner']})" for x in o["causes"]], 3) or "-"


def review_order_lines(d: dict) -> list[str]:
    """The sheet's orders block in the terminal (nothing when the plan lists no orders)."""
    if "orders" not in d.get("forecast", {}):
        return []
    lines = ["", *prose(f"Orders least likely to be on time ({likely_words(d['forecast'])})")]
    if not d["orders"]:
        return lines + prose("Every order was on time in every replication.", 4)
    rows = [[o["id"], iso_clock(o["due"]), pct(o["on_time"]["mean"]), iso_clock(o["completion_p80"]),
             review_causes(o), o["last_operation"]] for o in d["orders"]]
    return lines + table(["order", "due", "P(on time)", "P80 completion", "causes (P(late with it), owner)",
                          "completed by"], rows, align="llrlll")
