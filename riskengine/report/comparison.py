"""Figures of a comparison of candidate schedules (``riskengine.compare/1``)."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes

from riskengine.report.axes import COLORS, error_bars, legend_above, new_axes, percent_axis
from riskengine.report.results import COMPARE, expect, pct


def comparison(result: Any, ax: Axes | None = None) -> Axes:
    """Candidate schedules side by side: probability each holds and its expected BTS.

    Bars carry their 95% intervals (Wilson for the probability, t for BTS);
    plans are in input order and labelled with their rank (most likely to
    hold first; ties broken by BTS). The intervals shown are each plan's own:
    the paired differences of the comparison are much narrower (see its table).

    Returns
    -------
    Axes
        Bars: first every plan's P(holds), then every plan's BTS.
    """
    d = expect(result, COMPARE)
    ax = new_axes(ax, (7.0, 4.0))
    plans = d["plans"]
    x = np.arange(len(plans))
    rank = {pid: k + 1 for k, pid in enumerate(d["ranking"])}
    holds = [p["plan_holds"] for p in plans]
    bts = [p["adherence"].get("bts") for p in plans]
    ax.bar(x - 0.2, [e["mean"] for e in holds], 0.38, yerr=error_bars(holds), capsize=3,
           color=COLORS["holds"], label="P(plan holds)")
    ax.bar(x + 0.2, [e["mean"] if e else 0.0 for e in bts], 0.38, yerr=error_bars(bts), capsize=3,
           color=COLORS["bts"], label="expected BTS")
    for k in range(len(plans)):
        for dx, e in ((-0.2, holds[k]), (0.2, bts[k])):
            if e:
                ax.text(x[k] + dx, e["high"] + 0.01, pct(e["mean"]), ha="center", va="bottom",
                        fontsize="small")
    ax.set_xticks(x, [f"{p['id']}\nrank {rank.get(p['id'], '-')}" for p in plans])
    percent_axis(ax, top=1.1)
    ax.set_yticks(np.linspace(0, 1, 6))
    legend_above(ax, f"Candidate schedules ({d['replications']} replications each)", 2)
    return ax


def differences(result: Any, ax: Axes | None = None,
                metrics: tuple[str, ...] = ("plan_holds", "bts")) -> Axes:
    """Paired differences a - b of a comparison (points), with their 95% intervals.

    One row per pair of plans, one marker per metric (filled when its
    interval is clear of zero, hollow otherwise). Under common random numbers
    these intervals are far narrower than each plan's own: a filled marker is
    a difference the comparison can tell.

    Returns
    -------
    Axes
        One error bar (``ax.containers``) per pair and metric, pairs in the result's order.
    """
    d = expect(result, COMPARE)
    ax = new_axes(ax, (7.0, 3.5))
    pairs = list(dict.fromkeys((r["a"], r["b"]) for r in d["differences"]))
    names = {"plan_holds": "P(holds)", "bts": "BTS", "btp": "BTP", "volume": "volume", "mix": "mix",
             "sequence": "sequence"}
    offsets = np.linspace(-0.15, 0.15, len(metrics)) if len(metrics) > 1 else [0.0]
    rows = {(r["a"], r["b"], r["metric"]): r for r in d["differences"] if r["mean"] is not None}
    for j, metric in enumerate(metrics):
        color = COLORS["holds"] if metric == "plan_holds" else COLORS.get(metric, COLORS["chain"])
        for y, (a, b) in enumerate(pairs):
            r = rows.get((a, b, metric))
            if r is None:
                continue
            mean, low, high = (100.0 * r[k] for k in ("mean", "low", "high"))
            clear = low > 0 or high < 0
            ax.errorbar([mean], [y + offsets[j]], xerr=[[mean - low], [high - mean]], fmt="o", capsize=4,
                        color=color, markerfacecolor=color if clear else "white",
                        label=names.get(metric, metric) if y == 0 else None)
    ax.set_yticks(range(len(pairs)), [f"{a} - {b}" for a, b in pairs])
    ax.set_ylim(len(pairs) - 0.5, -0.5)
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.set_xlabel("difference a - b (percentage points)")
    ax.grid(axis="x", alpha=0.3)
    legend_above(ax, "Paired differences (hollow: not clear of zero)", len(metrics))
    return ax
