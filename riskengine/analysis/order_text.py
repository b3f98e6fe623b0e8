"""The terminal lines of orders: the headline count and the "orders at risk" table.

Shared by the score's summary, the review sheet and the comparison: dates in
the plan's offset, the table as wide as its cells, and a line that says how
many orders are left out of it (all are in the JSON).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from riskengine.adherence.figures import pct
from riskengine.analysis.orders import LIKELY, likely_on_time, orders_at_risk
from riskengine.report.terminal import iso_clock, prose, table

#: Orders shown in the terminal's "orders at risk" table.
AT_RISK = 10


def likely_words(orders: Sequence[Mapping[str, Any]]) -> str:
    """'48 of 63 orders are on time with at least 80% probability'."""
    return (f"{likely_on_time(orders)} of {len(orders)} orders are on time with at least "
            f"{pct(LIKELY, 0)} probability")


def at_risk_rows(orders: Sequence[Mapping[str, Any]], limit: int | None = AT_RISK) -> list[Mapping[str, Any]]:
    """The orders that are not certainly on time, least likely first (at most ``limit``)."""
    return [o for o in orders_at_risk(orders) if o["on_time"]["mean"] < 1.0][:limit]


def order_lines(orders: Sequence[Mapping[str, Any]], limit: int = AT_RISK) -> list[str]:
    """The orders block of a score's summary (nothing when the plan lists no orders)."""
    if not orders:
        return []
    rows = at_risk_rows(orders, limit)
    lines = ["", *prose(f"Orders: {likely_words(orders)} (on time: its last operation completes at or "
                        "before its due date)")]
    if not rows:
        return lines + prose("Every order was on time in every replication.", 4)
    shown = len(rows)
    risky = len(at_risk_rows(orders, None))
    more = f"; {risky - shown} more not always on time are in the JSON" if risky > shown else ""
    which = "the order" if shown == 1 else f"the {shown} orders"
    lines += prose(f"Orders at risk: {which} least likely to be on time{more}", 2)
    body = []
    for o in rows:
        e = o["on_time"]
        body.append([o["id"], o.get("customer") or "-", iso_clock(o["due"]), pct(e["mean"]),
                     f"[{pct(e['low'])} - {pct(e['high'])}]", iso_clock(o["completion"]["p80"]),
                     f"{o['tardiness_hours']['mean']:.1f} h", o["main_cause"] or "-"])
    lines += table(["order", "customer", "due", "P(on time)", "95% interval", "P80 completion",
                    "mean tardiness", "main cause"], body, align="lllrrlrl")
    return lines


def compare_order_lines(plans: Sequence[Mapping[str, Any]], differences: Sequence[Mapping[str, Any]],
                        limit: int = AT_RISK) -> list[str]:
    """Orders per plan, and the orders whose P(on time) differs clearly between two plans."""
    if not any("orders" in p for p in plans):
        return []
    lines = ["", "  Orders on time with at least 80% probability"]
    lines += table(["plan", "orders", "likely on time"],
                   [[p["id"], p.get("orders", 0), p.get("orders_likely_on_time", 0)] for p in plans])
    clear = [d for d in differences if d["on_time"]["mean"] is not None
             and (d["on_time"]["low"] > 0 or d["on_time"]["high"] < 0)]
    clear.sort(key=lambda d: (-abs(d["on_time"]["mean"]), d["a"], d["b"], d["order"]))
    if not clear:
        return lines + prose("No order's P(on time) differs clearly between two plans (every paired "
                             "interval contains 0).", 2)
    more = f"; {len(clear) - limit} more in the JSON" if len(clear) > limit else ""
    lines += ["", *prose(f"Orders whose P(on time) differs clearly (paired 95% interval clear of 0){more}")]
    rows = [[d["a"], d["b"], d["order"], f"{100 * d['on_time']['mean']:+.1f} pt",
             f"[{100 * d['on_time']['low']:+.1f}, {100 * d['on_time']['high']:+.1f}]",
             f"{d['tardiness_hours']['mean']:+.2f} h"] for d in clear[:limit]]
    return lines + table(["a", "b", "order", "P(on time) a - b", "95% interval", "tardiness a - b"], rows,
                         align="lllrrr")
