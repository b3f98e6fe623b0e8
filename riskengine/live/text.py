"""The terminal summary of a forecast: the escalation list first, then the state it started from,
the realized part, the week now, what changed.

Times are dates in the plan's offset (said once); tables are as wide as their widest cell;
every list is shown whole (the alerts are what the planner acts on).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from riskengine.adherence.figures import pct
from riskengine.analysis.text import ADHERENCE, insight_lines
from riskengine.report.terminal import (
    hit_definition,
    horizon_line,
    iso_clock,
    listing,
    prose,
    table,
    warning_lines,
)

if TYPE_CHECKING:
    from riskengine.live.result import ForecastResult

#: Alerts the terminal lists (the least likely; the rest are counted, the JSON has all).
SHOWN_ALERTS = 30


def _interval(e: Mapping[str, Any] | None) -> str:
    if e is None:
        return "-"
    if e["low"] == e["high"]:
        return "(realized)"
    return f"[{pct(e['low'])} - {pct(e['high'])}]"


def forecast_text(r: ForecastResult) -> str:
    """The terminal summary of a forecast (module docstring)."""
    assert r.horizon is not None  # (a forecast always has its horizon)
    start = datetime.fromisoformat(r.horizon["start"])
    lines = [f"Forecast of plan {r.plan} as of {iso_clock(r.as_of)}: {r.replications} replications, "
             f"seed {r.seed} ({r.engine} engine)",
             horizon_line(start, datetime.fromisoformat(r.horizon["end"])), ""]
    lines += alert_lines(r)
    lines += state_lines(r)
    lines += _now_lines(r)
    lines += change_lines(r)
    if r.causes:
        lines += ["", *prose("Miss causes of the week, realized and simulated (share of all misses): "
                             + listing([f"{c['cause']} {pct(c['share'], 0)}" for c in r.causes]))]
    lines += insight_lines(r.criticality, None)
    if r.warnings:
        lines += ["", *warning_lines(r.warnings)]
    return "\n".join(lines)


def alert_lines(r: ForecastResult) -> list[str]:
    """The escalation list: what is now below the alert probability, least likely first."""
    if not r.alerts:
        return prose(f"No alert: every operation still to run is a HIT with probability "
                     f"{pct(r.alert_threshold, 0)} or more.") + [""]
    rows = [[a["id"], a["resource"] or "-", pct(a["probability"]["mean"]), a["cause"] or "-",
             iso_clock(a["planned_end"]), iso_clock(a["expected_end"])] for a in r.alerts[:SHOWN_ALERTS]]
    more = (prose(f"... and {len(r.alerts) - len(rows)} more below {pct(r.alert_threshold, 0)} (the JSON "
                  "result, --json, lists all)") if len(rows) < len(r.alerts) else [])
    return [*prose(f"Act on these first: {len(r.alerts)} operation(s) below {pct(r.alert_threshold, 0)} "
                   "P(HIT), least likely first (expected: the median end over the replications sampled)"),
            *table(["operation", "resource", "P(HIT)", "main cause", "planned end", "expected end"], rows,
                   align="llrlll"), *more, ""]


def state_lines(r: ForecastResult) -> list[str]:
    """What the replications started from, and the realized part."""
    s = r.state
    running = [f"{o['id']} on {o['resource']} since {iso_clock(o['start'])} ({o['done_hours']:.1f} h done)"
               for o in s["in_progress"]]
    parts = [f"{s['done']} operation(s) done", f"{len(running)} in progress"
             + (f" ({listing(running)})" if running else ""), f"{s['pending']} not started"]
    known = [f"{d['resource']} down since {iso_clock(d['since'])} ({d['hours_so_far']:.1f} h so far)"
             for d in s["down"]]
    known += [f"lot {x['material']} expected {iso_clock(x['arrival'])} (due {iso_clock(x['due'])})"
              for x in s["late_lots"]]
    known += [f"crew of {a['resource']} absent until {iso_clock(a['until'])}" for a in s["absent"]]
    lines = prose(f"State at {iso_clock(r.as_of)} (plan in effect {s['plan']}): " + "; ".join(parts) + "."
                  + (" Known now: " + "; ".join(known) + "." if known else ""))
    z = r.realized
    if z["buckets"]:
        total = z["total"]
        causes = listing([f"{c['cause']} {c['misses']}" for c in z["causes"]])
        lines += prose(f"Realized until {iso_clock(z['until'])} ({z['buckets']} bucket(s)): BTS "
                       f"{pct(total['bts'])}, BTP {pct(total['btp'])}; {z['operations']} operation(s) "
                       f"settled: {z['hits']} HIT, {z['misses']} MISS" + (f" ({causes})" if causes else ""))
    return lines


def _now_lines(r: ForecastResult) -> list[str]:
    execution = r.premises.get("execution", {})
    bucket = r.rigor_advice["bucket_hours"] if r.rigor_advice else None
    lines = [""]
    if bucket is not None:
        lines += prose(hit_definition(bucket, execution.get("lateness_tolerance_hours", 0.0),
                                      execution.get("quantity_tolerance", 1.0))
                       + "; the plan holds when every operation is a HIT.")
    h = r.plan_holds
    if h is not None:
        lines.append(f"  Probability the plan is executed as planned: {pct(h['mean'])} {_interval(h)}")
    if r.holds_through_day:
        lines += prose("Holds through day: " + ", ".join(f"d{d['day']} {pct(d['mean'])}"
                                                          for d in r.holds_through_day))
    lines += ["", "  Expected adherence of the whole horizon (realized buckets as they were)"]
    rows = [[label, pct(e["mean"]), _interval(e), pct(e["p10"]), pct(e["p50"]), pct(e["p90"])]
            for name, label in ADHERENCE if (e := r.adherence[name]) is not None]
    lines += table(["", "mean", "95% interval", "P10", "P50", "P90"], rows)
    lines += ["", "  Horizon bands (each scored on its rigor)"]
    lines += table(["band", "rigor", "expected score", "95% interval"],
                   [[b["band"], " x ".join(b["measures"]), pct(b["score"]["mean"]), _interval(b["score"])]
                    for b in r.bands if b["score"] is not None], align="llrr")
    return lines


def change_lines(r: ForecastResult) -> list[str]:
    """What moved since the previous forecast."""
    if r.changes is None or r.previous is None:
        return []
    head = f"Changes since the forecast as of {iso_clock(r.previous['as_of'])} (plan {r.previous['plan']})"
    if not r.changes:
        return ["", *prose(head + ": no operation moved by 5 points or more.")]
    rows = [[c["id"], pct(c["before"]), pct(c["now"]),
             "-" if c["change"] is None else f"{100 * c['change']:+.0f} pt", c["why"]] for c in r.changes]
    return ["", *prose(head + ": P(HIT) moved by 5 points or more"),
            *table(["operation", "before", "now", "change", "why"], rows, align="lrrrl")]
