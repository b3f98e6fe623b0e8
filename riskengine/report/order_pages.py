"""The orders blocks of the HTML reports: orders at risk (score, review), orders per plan
(compare), on time in full (measure).

Each function returns the HTML blocks to put in a page (nothing when the
result has no orders), dates in the plan's offset.
"""

from __future__ import annotations

from riskengine.analysis.order_text import at_risk_rows, likely_words
from riskengine.governance.review_orders import likely_words as review_likely
from riskengine.governance.review_orders import review_causes as _review_causes
from riskengine.report.html import esc, table
from riskengine.report.results import interval, pct
from riskengine.report.terminal import iso_clock


def _hours(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}"


#: Rows of the report's table of orders at risk (a 200,000-operation plan has tens of thousands).
REPORT_ORDERS = 500


def orders_at_risk_blocks(orders: list[dict], title: str = "Orders at risk", limit: int = REPORT_ORDERS
                          ) -> list[str]:
    """The table of orders not certainly on time, least likely first (at most ``limit``, the
    caption says how many of how many; all are in the JSON), and what the count of orders likely
    on time means."""
    if not orders:
        return []
    risky = at_risk_rows(orders, None)
    rows = [[o["id"], o.get("customer"), iso_clock(o["due"]), interval(o["on_time"]),
             iso_clock(o["completion"]["p50"]), iso_clock(o["completion"]["p80"]),
             _hours(o["tardiness_hours"]["mean"]), _hours(o["tardiness_hours"]["p90"]), o["main_cause"]]
            for o in risky[:limit]]
    note = (f'<p class="note">{esc(likely_words(orders))}. An order is on time when its last operation '
            "completes at or before its due date; its cause is that of the operation that completed it "
            "last, traced to where the delay began (planning: the plan itself completes it after its "
            "due date). Completion dates from histograms: within 3.75 minutes or 1/16 of the distance "
            "to the due date.</p>")
    if not rows:
        return [note + "<p>Every order was on time in every replication.</p>"]
    return [table(["order", "customer", "due", "P(on time)", "P50 completion", "P80 completion",
                   "mean tardiness h", "P90 tardiness h", "main cause"], rows,
                  caption=f"{title}: the orders not on time in every replication, least likely first"
                          + (f" (the {len(rows)} least likely of {len(risky)}; the JSON result lists all)"
                             if len(rows) < len(risky) else ""),
                  numeric=(3, 6, 7)), note]


def compare_orders_blocks(d: dict) -> list[str]:
    """Orders likely on time per plan and the per-order paired differences of P(on time)."""
    if not any(p.get("orders") for p in d["plans"]):
        return []
    plans = [[p["id"], p.get("orders", 0), p.get("orders_likely_on_time", 0)] for p in d["plans"]]
    blocks = [table(["plan", "orders", "on time with >= 80% probability"], plans,
                    caption="Orders per plan", numeric=(1, 2))]
    rows = [[f"{r['a']} - {r['b']}", r["order"], _points(r["on_time"]), pct(r["on_time"]["p_a_better"]),
             _signed_hours(r["tardiness_hours"])]
            for r in d.get("order_differences", []) if r["on_time"]["mean"] not in (None, 0.0)
            or (r["tardiness_hours"]["mean"] or 0.0) != 0.0]
    if rows:
        blocks.append(table(["a - b", "order", "P(on time) difference (points)", "P(a on time, b late)",
                             "tardiness difference h"], rows,
                            caption="Orders whose outlook differs between plans (paired)", numeric=(2, 3, 4)))
    return blocks


def _points(e: dict) -> str:
    if e["mean"] is None:
        return "-"
    return f"{100 * e['mean']:+.1f} [{100 * e['low']:+.1f}, {100 * e['high']:+.1f}]"


def _signed_hours(e: dict) -> str:
    if e["mean"] is None:
        return "-"
    return f"{e['mean']:+.2f} [{e['low']:+.2f}, {e['high']:+.2f}]"


def measure_orders_blocks(d: dict) -> list[str]:
    """The realized orders: completed, on time, in full, OTIF, and the OTIF share."""
    orders = d.get("orders") or []
    if not orders:
        return []
    rows = [[o["id"], o.get("customer"), iso_clock(o["due"]), iso_clock(o["completed"]),
             _yes(o["on_time"]), _yes(o["in_full"]), _yes(o["otif"])] for o in orders]
    t = d["total"]
    return [table(["order", "customer", "due", "completed", "on time", "in full", "OTIF"], rows,
                  caption=f"Orders: {pct(t.get('otif'))} on time in full ({t.get('orders_otif', 0)} of "
                          f"{t.get('orders', 0)})"),
            '<p class="note">On time: its last operation completed at or before its due date; in full: '
            "every operation produced at least the quantity tolerance x its planned units.</p>"]


def _yes(x: bool) -> str:
    return "yes" if x else "no"


def review_order_blocks(d: dict) -> list[str]:
    """The sheet's orders section in HTML."""
    if "orders" not in d.get("forecast", {}):
        return []
    rows = [[o["id"], o.get("customer"), iso_clock(o["due"]), interval(o["on_time"]),
             iso_clock(o["completion_p80"]), f"{o['tardiness_hours']:.1f}", _review_causes(o),
             o["last_operation"]] for o in d["orders"]]
    return [table(["order", "customer", "due", "P(on time)", "P80 completion", "mean tardiness h",
                   "causes: P(late with it) (owner)", "completed by"], rows,
                  caption=f"Orders least likely to be on time ({review_likely(d['forecast'])})",
                  numeric=(3, 5))]
