"""Figures of the review sheet and the trend: one function per figure, each with ``ax=None``.

Every function takes the result (a :class:`~riskengine.governance.review_documents.ReviewResult`,
:class:`~riskengine.governance.trend_documents.TrendResult` or their ``to_dict()``
documents), draws into ``ax`` (a new figure when None) and returns the axes. Nothing
here computes a figure: they show the result's counts and estimates
(docs/design.md section 9).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes

from riskengine.report.axes import COLORS, error_bars, legend_above, new_axes, percent_axis
from riskengine.report.results import REVIEW, TREND, expect, pct

#: Colours of the accountability sides and of validated / not validated plans.
SIDE_COLORS = {"plan": "#c44e52", "execution": "#4c72b0", "unexplained": "#9a9a9a"}
VALIDATED_COLORS = {True: "#55a868", False: "#dd8452"}
CAUSE_COLORS = {"breakdown": "#4c72b0", "material": "#dd8452", "absenteeism": "#8172b3", "setup": "#937860",
                "performance": "#55a868", "quality": "#da8bc3", "planning": "#c44e52",
                "operational": "#8c8c8c", "local-decision": "#ccb974", "knock-on": "#64b5cd",
                "unknown": "#bbbbbb"}


def _legend_right(ax: Axes, title: str) -> None:
    """Title on top, the legend to the right of the plot (never over the data or the title)."""
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)


def _week_labels(d: dict) -> list[str]:
    return [w["week"].replace("-W", "\nW") for w in d["weeks"]]


def hit_probabilities(review: Any, ax: Axes | None = None) -> Axes:
    """The operations least likely to be a HIT: P(HIT) with its 95% interval, the bar coloured by
    the cause of most of its misses.

    Returns
    -------
    Axes
        One horizontal bar per listed operation, the least likely on top.
    """
    d = expect(review, REVIEW)
    ops = d["operations"]
    ax = new_axes(ax, (8.0, 1.2 + 0.35 * max(len(ops), 1)))
    y = np.arange(len(ops))
    main = [o["causes"][0]["cause"] if o["causes"] else "unknown" for o in ops]
    ax.barh(y, [o["hit"]["mean"] for o in ops], 0.6, xerr=error_bars([o["hit"] for o in ops]), capsize=2,
            color=[CAUSE_COLORS[c] for c in main])
    for k, (o, cause) in enumerate(zip(ops, main, strict=True)):
        ax.text(o["hit"]["high"] + 0.01, k, f"{pct(o['hit']['mean'])}  mostly {cause}", va="center",
                fontsize="small")
    ax.set_yticks(y, [f"{o['id']} ({o['resource']})" for o in ops])
    ax.set_ylim(len(ops) - 0.5, -0.5)
    percent_axis(ax, "x", top=1.0)
    ax.set_xlabel("P(HIT): completes in its bucket, with its quantity, in sequence")
    ax.set_title("The operations least likely to be a HIT (colour: the cause of most misses)")
    ax.grid(axis="x", alpha=0.3)
    return ax


def failure_starts(review: Any, ax: Axes | None = None) -> Axes:
    """Each resource's criticality: the share of replications whose first miss began there.

    Returns
    -------
    Axes
        One bar per resource, most critical first.
    """
    d = expect(review, REVIEW)
    rows = d["resources"]
    ax = new_axes(ax, (7.0, 3.6))
    x = np.arange(len(rows))
    crit = [r["criticality"] for r in rows]
    ax.bar(x, [c["mean"] for c in crit], 0.6, yerr=error_bars(crit), capsize=3, color=COLORS["holds"])
    for k, c in enumerate(crit):
        ax.text(k, c["high"] + 0.01, pct(c["mean"]), ha="center", fontsize="small")
    ax.set_xticks(x, [r["id"] for r in rows])
    percent_axis(ax, top=min(1.0, max([c["high"] for c in crit], default=0.5) + 0.1))
    ax.set_ylabel("share of replications")
    ax.set_title("Where failures start: the first miss began on the resource")
    ax.grid(axis="y", alpha=0.3)
    return ax


def rigor_reach(review: Any, ax: Axes | None = None) -> Axes:
    """How far ahead volume, mix and sequence hold (bars, hours from the horizon start) against how
    far the bands demand them (black ticks; an arrow when every band does).

    Returns
    -------
    Axes
        One bar per factor (volume, mix, sequence), green when it holds as long as demanded.
    """
    d = expect(review, REVIEW)
    rigor = d.get("rigor") or {"factors": [], "confidence": 0.8}
    ax = new_axes(ax, (7.0, 3.0))
    rows = rigor["factors"]
    horizon = max([f["holds_hours"] for f in rows] + [f["demanded_hours"] or 0 for f in rows] + [24.0])
    y = np.arange(len(rows))
    ax.barh(y, [f["holds_hours"] for f in rows], 0.5,
            color=[VALIDATED_COLORS[f["enough"]] for f in rows])
    for k, f in enumerate(rows):
        demanded = f["demanded_hours"]
        end = horizon if demanded is None else demanded
        ax.plot([end, end], [k - 0.35, k + 0.35], color="black", linewidth=2.5,
                label="the bands demand it through" if k == 0 else None)
        words = "every band" if demanded is None else f"{demanded:g} h"
        ax.text(horizon * 1.02, k, f"holds {f['holds_hours']:g} h, demanded {words}", va="center",
                fontsize="small")
    ax.set_yticks(y, [f["factor"] for f in rows])
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlim(0, horizon * 1.6)
    ax.set_xlabel("hours from the horizon start")
    legend_above(ax, f"How far ahead each factor holds ({pct(rigor['confidence'], 0)} confidence)", 1)
    return ax


def control_chart(trend: Any, ax: Axes | None = None) -> Axes:
    """The p-chart of the weekly HIT rate: points, center line p-bar and each week's 3-sigma limits
    (a step, since weeks differ in operations); points outside in red.

    Returns
    -------
    Axes
        ``ax.lines[0]`` the weekly HIT rate, ``ax.lines[1]`` the center line.
    """
    d = expect(trend, TREND)
    ax = new_axes(ax, (8.0, 4.0))
    weeks = d["weeks"]
    x = np.arange(len(weeks))
    p = [np.nan if w["hit_rate"] is None else w["hit_rate"] for w in weeks]
    ax.plot(x, p, "o-", color=COLORS["bts"], label="HIT rate of the week")
    ax.axhline(d["p_chart"]["center"] or 0.0, color="black", linewidth=1, label="center (p-bar)")
    low = [np.nan if w["p_chart"] is None else w["p_chart"]["lower"] for w in weeks]
    high = [np.nan if w["p_chart"] is None else w["p_chart"]["upper"] for w in weeks]
    ax.step(x, low, where="mid", color="grey", linestyle="--", label="3-sigma limits")
    ax.step(x, high, where="mid", color="grey", linestyle="--")
    out = [k for k, w in enumerate(weeks) if (w["p_chart"] or {}).get("out_of_control")]
    ax.plot(x[out], [p[k] for k in out], "o", color="#c44e52", markersize=10, fillstyle="none",
            markeredgewidth=2, label="out of control")
    for k, w in enumerate(weeks):
        ax.axvspan(k - 0.5, k + 0.5, color=VALIDATED_COLORS[True], alpha=0.12 * _validated_share(w), lw=0)
    ax.set_xticks(x, _week_labels(d))
    ax.set_xlim(-0.5, len(weeks) - 0.5)
    percent_axis(ax, top=1.05)
    ax.set_ylabel("operations that were a HIT")
    legend_above(ax, "p-chart of the weekly HIT rate (green: weeks under validated plans)", 4)
    return ax


def _validated_share(week: dict) -> float:
    return week["validated_buckets"] / week["buckets"] if week["buckets"] else 0.0


def weekly_adherence(trend: Any, ax: Axes | None = None) -> Axes:
    """BTS (bars) and BTP, volume, mix, sequence (lines) per week, each from the week's summed
    counts; bars green under validated plans, orange under plans never validated.

    Returns
    -------
    Axes
        One bar per week with something planned; lines BTP, volume, mix, sequence.
    """
    d = expect(trend, TREND)
    ax = new_axes(ax, (8.0, 4.0))
    weeks = d["weeks"]
    x = np.arange(len(weeks))
    planned = [k for k, w in enumerate(weeks) if w["bts"] is not None]
    ax.bar(x[planned], [weeks[k]["bts"] for k in planned], 0.6, alpha=0.85, label="BTS",
           color=[VALIDATED_COLORS[_validated_share(weeks[k]) > 0.5] for k in planned])
    for name, style in (("btp", "s-"), ("volume", "o-"), ("mix", "o-"), ("sequence", "o-")):
        ax.plot(x, [np.nan if w[name] is None else w[name] for w in weeks], style, color=COLORS[name],
                linewidth=1.2, markersize=4, label=name if name != "btp" else "BTP")
    for k in planned:
        ax.text(k, weeks[k]["bts"] / 2, pct(weeks[k]["bts"]), ha="center", color="white", fontsize="small")
    ax.set_xticks(x, _week_labels(d))
    ax.set_xlim(-0.5, len(weeks) - 0.5)
    percent_axis(ax, top=1.05)
    legend_above(ax, "Adherence per week (bars: BTS; green under validated plans)", 5)
    return ax


def owners_over_time(trend: Any, ax: Axes | None = None) -> Axes:
    """Misses per week stacked by owner (the owners with most misses at the bottom).

    Returns
    -------
    Axes
        One bar container per owner in ``ax.containers``.
    """
    d = expect(trend, TREND)
    ax = new_axes(ax, (8.0, 4.0))
    x = np.arange(len(d["weeks"]))
    bottom = np.zeros(len(x))
    palette = ["#4c72b0", "#dd8452", "#c44e52", "#8172b3", "#55a868", "#937860", "#da8bc3", "#8c8c8c"]
    for k, o in enumerate(d["owners"]):
        values = np.array([w["misses"] for w in o["weeks"]], float)
        ax.bar(x, values, 0.6, bottom=bottom, color=palette[k % len(palette)], label=o["owner"])
        bottom += values
    if not d["owners"]:
        ax.text(0.5, 0.5, "no misses", ha="center", transform=ax.transAxes)
    ax.set_xticks(x, _week_labels(d))
    ax.set_xlim(-0.5, len(x) - 0.5)
    ax.set_ylabel("misses")
    ax.grid(axis="y", alpha=0.3)
    _legend_right(ax, "Misses per week by owner of their cause")
    return ax


def validation_sides(trend: Any, ax: Axes | None = None) -> Axes:
    """Validated against never validated plans: the HIT rate, BTS and BTP of each (all weeks), and
    their misses split by side (plan, execution, unexplained) as shares.

    Returns
    -------
    Axes
        Left group: HIT rate, BTS, BTP per part; right group: stacked shares of misses by side.
    """
    d = expect(trend, TREND)
    ax = new_axes(ax, (8.0, 4.0))
    parts = d["by_validation"]
    names = [("validated", True), ("not_validated", False)]
    metrics = [("hit_rate", "HIT rate"), ("bts", "BTS"), ("btp", "BTP")]
    for j, (key, validated) in enumerate(names):
        values = [parts[key][m] or 0.0 for m, _ in metrics]
        xs = np.arange(len(metrics)) + (j - 0.5) * 0.38
        ax.bar(xs, values, 0.38, color=VALIDATED_COLORS[validated],
               label="validated plans" if validated else "plans never validated")
        for xv, v in zip(xs, values, strict=True):
            ax.text(xv, v + 0.01, pct(v), ha="center", fontsize="x-small")
    for j, (key, _) in enumerate(names):
        bottom = 0.0
        for side in ("plan", "execution", "unexplained"):
            share = parts[key]["sides"][side]["share"]
            ax.bar(len(metrics) + 0.5 + j * 0.5, share, 0.4, bottom=bottom, color=SIDE_COLORS[side],
                   label=f"{side}-side misses" if j == 0 and side != "unexplained" else
                   ("unexplained misses" if j == 0 else None))
            bottom += share
    ax.set_xticks([*range(len(metrics)), len(metrics) + 0.5, len(metrics) + 1.0],
                  [label for _, label in metrics] + ["misses:\nvalidated", "misses:\nnot"])
    percent_axis(ax, top=1.1)
    _legend_right(ax, "Validated against never validated plans (all weeks)")
    return ax
