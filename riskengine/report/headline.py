"""The headline of a report: one or two sentences in plain words, built from the result.

A planner reads the first line and decides whether to read on, so it says
what the result means rather than listing numbers, e.g.

    This plan holds with 38% [36-40%] probability; expected BTS 71% [70-72%];
    sequence is the factor that costs most; the top risk is breakdowns
    (removing them would gain 8.7 points of BTS).

The top risk is the sensitivity row whose removal gains most BTS when the
score has a sensitivity analysis, otherwise the most frequent miss cause.
The sentences are plain text: the HTML report escapes them.
"""

from __future__ import annotations

from typing import Any

from riskengine.report.results import (
    COMPARE,
    MEASUREMENT,
    SCORE,
    as_dict,
    interval,
    kind,
    pct,
    source_words,
    top_risk,
)


def headline(result: Any) -> str:
    """The headline sentence of any result (score, compare or measurement)."""
    d = as_dict(result)
    return {SCORE: score_headline, COMPARE: compare_headline, MEASUREMENT: measure_headline}[kind(d)](d)


def _top_risk_words(d: dict) -> str | None:
    row = top_risk(d)
    if row is not None:
        return (f"the top risk is {source_words(row)} (removing them would gain "
                f"{100 * row['bts']['mean']:.1f} points of BTS)")
    if d.get("causes"):
        c = d["causes"][0]
        return f"the top risk is {c['cause']} ({pct(c['share'])} of the simulated misses)"
    return None


def score_headline(result: Any) -> str:
    """'This plan holds with P [low-high] probability; expected BTS ...; ... costs most; top risk ...'."""
    d = as_dict(result)
    parts = [f"This plan holds with {interval(d['plan_holds'])} probability"]
    days = d.get("holds_through_day") or []
    if len(days) > 1:
        parts[0] += f" (through day 1: {pct(days[0]['mean'])})"
    bts = d["adherence"].get("bts")
    if bts:
        parts.append(f"expected BTS {interval(bts)}")
    if d.get("main_impact"):
        parts.append(f"{d['main_impact']} is the factor that costs most")
    risk = _top_risk_words(d)
    if risk:
        parts.append(risk)
    check = d.get("plan_check") or {}
    if check.get("errors"):
        n = check["errors"]
        kinds = ", ".join(f"{c} {k}" for k, c in check["by_kind"].items())
        parts.append(f"this plan has {n} error{'s' * (n != 1)} ({kinds}), executed as they would be and "
                     "charged to planning")
    return "; ".join(parts) + "."


def compare_headline(result: Any) -> str:
    """Which plan is most likely to hold, whether that is a clear difference, which has the best BTS."""
    d = as_dict(result)
    plans = {p["id"]: p for p in d["plans"]}
    first, second = d["ranking"][0], d["ranking"][1]
    best = plans[first]
    text = (f"{first} is the most likely of {len(plans)} plans to hold: {interval(best['plan_holds'])} "
            f"probability, expected BTS {interval(best['adherence'].get('bts'))}")
    diff = _difference(d, first, second, "plan_holds")
    if diff is not None:
        clear = diff["low"] > 0 or diff["high"] < 0
        text += (f"; ahead of {second} by {100 * diff['mean']:+.1f} points "
                 f"[{100 * diff['low']:+.1f}, {100 * diff['high']:+.1f}]"
                 + ("" if clear else ", not a clear difference at this number of replications"))
    by_bts = max(d["plans"], key=lambda p: (p["adherence"]["bts"] or {}).get("mean") or -1.0)
    if by_bts["id"] != first:
        text += f". {by_bts['id']} has the highest expected BTS ({interval(by_bts['adherence']['bts'])})"
    return text + "."


def _difference(d: dict, a: str, b: str, metric: str) -> dict | None:
    """The difference a - b of ``metric`` (sign flipped when stored as b - a)."""
    for row in d["differences"]:
        if row["metric"] != metric or row["mean"] is None:
            continue
        if (row["a"], row["b"]) == (a, b):
            return row
        if (row["a"], row["b"]) == (b, a):
            return {"mean": -row["mean"], "low": -row["high"], "high": -row["low"]}
    return None


def measure_headline(result: Any) -> str:
    """'Realized BTS ... = V x M x Sq, BTP ...; ... cost most; n of N operations missed, most often ...'."""
    d = as_dict(result)
    t = d["total"]
    if t["bts"] is None:
        return "Nothing was planned in the measured period."
    parts = [f"Realized BTS {pct(t['bts'])} (volume {pct(t['volume'])} x mix {pct(t['mix'])} x "
             f"sequence {pct(t['sequence'])}), BTP {pct(t['btp'])}"]
    if d.get("main_impact"):
        parts.append(f"{d['main_impact']} is the factor that cost most")
    dq = d["data_quality"]
    misses = f"{dq['misses']} of {dq['operations']} operations missed"
    if d["causes"]:
        c = d["causes"][0]
        misses += (f", most often for {c['cause']} ({c['misses']} miss{'es' if c['misses'] != 1 else ''}, "
                   f"{c['lost_units']:,.0f} units lost)")
    parts.append(misses)
    if dq["misses_without_cause"]:
        n = dq["misses_without_cause"]
        parts.append(f"{n} miss{'es have' if n > 1 else ' has'} no recorded cause")
    return "; ".join(parts) + "."
