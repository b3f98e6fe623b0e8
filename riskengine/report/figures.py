"""Matplotlib figures of scores, measurements and comparisons: one function per figure.

Every function takes the result (a :class:`~riskengine.analysis.result.ScoreResult`,
:class:`~riskengine.adherence.result.Measurement`,
:class:`~riskengine.analysis.compare.CompareResult` or their ``to_dict()``
documents) and ``ax=None``; it draws into ``ax`` (a new figure when None)
and returns the axes, so figures compose into any layout::

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4))
    degradation(score_result, ax=left)
    factors(score_result, ax=right)

Ratios are drawn on a 0-100 % axis, sensitivity gains in percentage points.
Nothing here computes adherence: the figures only show the estimates and
counts of the result (the one definition lives in :mod:`riskengine.adherence`).
The Gantt chart (:mod:`riskengine.report.gantt`) and the comparison figures
(:mod:`riskengine.report.comparison`) are in their own modules, re-exported here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes

from riskengine.report.axes import COLORS, LABELS, error_bars, legend_above, new_axes, percent_axis
from riskengine.report.comparison import comparison, differences
from riskengine.report.gantt import gantt
from riskengine.report.results import (
    FACTORS,
    MEASUREMENT,
    SCORE,
    as_dict,
    daily,
    day_label,
    expect,
    kind,
    pct,
    sensitivity_rows,
    source_words,
)

__all__ = ["comparison", "daily_trend", "degradation", "differences", "distribution", "factors", "gantt",
           "pareto", "tornado"]

def degradation(result: Any, ax: Axes | None = None) -> Axes:
    """Probability the plan holds through day k, with its 95% Wilson band.

    The dashed line is the closed-form chain r^k with r the simulated day-1
    probability: what the curve would be if every day held independently with
    the same probability (docs/design.md section 3, e.g. 90% a day over 10 days gives
    34.87%). Simulated points above it mean days are positively correlated
    (a good day 1 makes a good day 2 likelier); below, risk grows later on.

    Parameters
    ----------
    result
        A score (object or dict) with ``holds_through_day``.
    ax
        Axes to draw into (a new figure when None).

    Returns
    -------
    Axes
        Lines: ``[simulated, chain]``; the band is ``ax.collections[0]``.
    """
    d = expect(result, SCORE)
    ax = new_axes(ax, (7.0, 4.0))
    rows = d["holds_through_day"]
    ax.set_title("Probability the plan holds through day k")
    percent_axis(ax)
    if not rows:
        ax.text(0.5, 0.5, "the horizon has no whole day", ha="center", transform=ax.transAxes)
        return ax
    k = np.array([r["day"] for r in rows], float)
    mean, low, high = (np.array([r[f] for r in rows], float) for f in ("mean", "low", "high"))
    ax.fill_between(k, low, high, color=COLORS["holds"], alpha=0.2, linewidth=0,
                    label="95% interval (Wilson)")
    ax.plot(k, mean, "o-", color=COLORS["holds"], label="simulated")
    ax.plot(k, mean[0] ** k, "--", color=COLORS["chain"], label=f"independent days: {pct(mean[0])}$^k$")
    ax.set_xlim(k[0] - 0.5, k[-1] + 0.5)
    ax.set_xticks(k)
    ax.set_xlabel("day k of the horizon")
    ax.set_ylabel("P(every operation due by day k is a HIT)")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right")
    return ax


def distribution(result: Any, ax: Axes | None = None) -> Axes:
    """Spread of BTS, BTP and each factor over replications: a box-like summary per figure.

    The box runs from P10 to P90, the vertical line is P50 and the diamond the
    mean, with the mean's 95% interval as a short error bar. These are the
    summaries the score keeps; full histograms would need the per-replication
    rows, which a score does not return (memory grows with operations plus
    replications, never their product).

    Returns
    -------
    Axes
        One box (``ax.patches``) per figure, top to bottom BTS, BTP, volume, mix, sequence.
    """
    d = expect(result, SCORE)
    ax = new_axes(ax, (7.0, 3.5))
    names = [n for n in ("bts", "btp", *FACTORS) if d["adherence"].get(n)]
    for y, name in enumerate(names):
        e = d["adherence"][name]
        ax.barh(y, e["p90"] - e["p10"], left=e["p10"], height=0.55, color=COLORS[name], alpha=0.45,
                edgecolor=COLORS[name], label="P10-P90" if y == 0 else None)
        ax.plot([e["p50"], e["p50"]], [y - 0.275, y + 0.275], color="black", linewidth=2,
                label="P50" if y == 0 else None)
        ax.errorbar([e["mean"]], [y], xerr=error_bars([e]), fmt="D", color="black", markersize=5,
                    capsize=3, label="mean (95% interval)" if y == 0 else None)
    ax.set_yticks(range(len(names)), [LABELS[n] for n in names])
    ax.set_ylim(len(names) - 0.5, -0.5)
    percent_axis(ax, "x", top=1.03)  # room for the markers of a figure that is always 100%
    ax.set_title(f"Adherence over {d['replications']} replications")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower left", fontsize="small")
    return ax


def _factor_groups(d: dict) -> list[tuple[str, dict, Any]]:
    """(label, {factor: estimate-or-ratio}, score) for the total and every band."""
    if kind(d) == SCORE:
        groups = [("total", {f: d["adherence"].get(f) for f in FACTORS}, d["adherence"].get("bts"))]
    else:
        groups = [("total", {f: d["total"].get(f) for f in FACTORS}, d["total"].get("bts"))]
    for b in d["bands"]:
        rigor = " x ".join({"volume": "V", "mix": "M", "sequence": "Sq"}[m] for m in b["measures"])
        groups.append((f"{b['band']}\n({rigor})", {f: b.get(f) for f in FACTORS}, b.get("score")))
    return groups


def factors(result: Any, ax: Axes | None = None) -> Axes:
    """Volume, mix and sequence side by side, in total and per horizon band (grouped bars).

    Look at the factors separately before their product: a low BTS from a low
    volume (capacity, breakdowns) calls for other actions than one from a low
    mix (late runs landing in the next bucket) or sequence (local decisions).
    The text above each group is its score (BTS in total; the product of the
    band's measures per band). Scores draw error bars from their 95% intervals;
    a measurement has exact values. A band with nothing planned has no bars.

    Returns
    -------
    Axes
        Bars in ``ax.patches``: for each group with something planned, volume, mix, sequence.
    """
    d = as_dict(result)
    expect(d, SCORE, MEASUREMENT)
    ax = new_axes(ax, (8.0, 4.0))
    groups = _factor_groups(d)
    width = 0.26
    for j, f in enumerate(FACTORS):
        xs, values, estimates = [], [], []
        for g, (_, values_of, _) in enumerate(groups):
            v = values_of[f]
            if v is None:
                continue
            xs.append(g + (j - 1) * width)
            values.append(v["mean"] if isinstance(v, dict) else v)
            estimates.append(v if isinstance(v, dict) else None)
        yerr = error_bars(estimates) if any(estimates) else None
        ax.bar(xs, values, width, yerr=yerr, capsize=2, color=COLORS[f], label=f)
    for g, (_, values_of, score) in enumerate(groups):
        value = score["mean"] if isinstance(score, dict) else score
        if all(v is None for v in values_of.values()):
            ax.text(g, 0.5, "nothing\nplanned", ha="center", va="center", color="grey")
        elif value is not None:
            ax.text(g, 1.02, f"{'BTS' if g == 0 else 'score'} {pct(value)}", ha="center", fontsize="small")
    ax.set_xticks(range(len(groups)), [label for label, _, _ in groups])
    ax.set_xlim(-0.5, len(groups) - 0.5)
    percent_axis(ax, top=1.1)
    ax.set_yticks(np.linspace(0, 1, 6))
    legend_above(ax, "Volume, mix and sequence, in total and per horizon band", 3)
    return ax


def daily_trend(measurement: Any, ax: Axes | None = None) -> Axes:
    """Realized BTS per day (bars) with volume, mix and sequence (lines).

    Each day's figures come from the summed counts of its buckets
    (:func:`riskengine.report.results.daily`), never from averaged percentages.
    Days with nothing planned have no bar and are marked so.

    Returns
    -------
    Axes
        One bar per day with something planned; lines ``[volume, mix, sequence]``.
    """
    d = expect(measurement, MEASUREMENT)
    ax = new_axes(ax, (8.0, 4.0))
    rows = daily(d)
    x = np.arange(len(rows))
    planned = [k for k, r in enumerate(rows) if r["bts"] is not None]
    ax.bar(x[planned], [rows[k]["bts"] for k in planned], 0.6, color=COLORS["bts"], alpha=0.8, label="BTS")
    for f in FACTORS:
        ax.plot(x, [np.nan if r[f] is None else r[f] for r in rows], "o-", color=COLORS[f], linewidth=1.2,
                markersize=4, label=f)
    for k, r in enumerate(rows):
        if r["bts"] is None:
            ax.text(k, 0.5, "nothing\nplanned", ha="center", va="center", color="grey", fontsize="small")
        else:
            ax.text(k, r["bts"] / 2, pct(r["bts"]), ha="center", color="white", fontsize="small")
    ax.set_xticks(x, [day_label(r["start"]) for r in rows])
    ax.set_xlim(-0.5, len(rows) - 0.5)
    percent_axis(ax, top=1.05)
    legend_above(ax, "Realized build to schedule per day", 4)
    return ax


def pareto(result: Any, ax: Axes | None = None, by: str = "count") -> Axes:
    """Pareto of miss causes: bars of each cause's share, the cumulative share as a line.

    Parameters
    ----------
    result
        A measurement (misses and lost units counted) or a score (misses and
        lost units expected per replication).
    by
        ``"count"`` (misses) or ``"lost_units"``. The value is written on each bar.

    Returns
    -------
    Axes
        One bar per cause, largest first; ``ax.lines[0]`` is the cumulative share.
    """
    d = expect(result, SCORE, MEASUREMENT)
    if by not in ("count", "lost_units"):
        raise ValueError(f"by must be 'count' or 'lost_units', got {by!r}")
    ax = new_axes(ax, (7.0, 4.0))
    per_rep = kind(d) == SCORE
    count_key = "misses_per_replication" if per_rep else "misses"
    rows = [(c["cause"], float(c[count_key] if by == "count" else c["lost_units"])) for c in d["causes"]]
    rows = sorted([r for r in rows if r[1] > 0], key=lambda r: -r[1])
    what = "misses" if by == "count" else "lost units"
    ax.set_title(f"Causes of misses by {'number' if by == 'count' else what}"
                 + (" (expected per replication)" if per_rep else ""))
    percent_axis(ax, top=1.08)
    if not rows:
        ax.text(0.5, 0.5, "no misses", ha="center", transform=ax.transAxes)
        return ax
    values = np.array([v for _, v in rows])
    share = values / values.sum()
    x = np.arange(len(rows))
    ax.bar(x, share, 0.7, color=COLORS["holds"] if by == "count" else COLORS["btp"])
    ax.plot(x, np.cumsum(share), "o-", color="black", markersize=4, label="cumulative share")
    for k, v in enumerate(values):  # inside a tall bar (the cumulative line starts on its top)
        text = f"{v:.3g}" if per_rep and by == "count" else f"{v:,.0f}"
        inside = share[k] > 0.12
        ax.text(k, share[k] - 0.02 if inside else share[k] + 0.01, text, ha="center",
                va="top" if inside else "bottom", color="white" if inside else "black", fontsize="small")
    ax.set_xticks(x, [c for c, _ in rows], rotation=30, ha="right")
    ax.set_ylabel(f"share of {what}")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="center right", fontsize="small")
    return ax


def tornado(result: Any, ax: Axes | None = None, metric: str = "bts", top: int = 12) -> Axes:
    """Sensitivity tornado: gain if each source (or resource) were removed or halved.

    One row per source, largest removal gain on top: the wide light bar is
    the gain if the source were removed, the narrow dark bar if it were
    halved, both CRN-paired differences (in percentage points) with their 95%
    intervals. Rows come from ``ScoreResult.sensitivity`` (``--sensitivity``).

    Parameters
    ----------
    result
        A score with sensitivity, or a sensitivity result (object or dict).
    metric
        ``"bts"`` (expected BTS) or ``"plan_holds"``.
    top
        Show at most this many sources.

    Returns
    -------
    Axes
        Bars: first the removed gains (top to bottom), then the halved gains.
    """
    rows = sensitivity_rows(result)
    if not rows:
        raise ValueError("the result has no sensitivity rows: score with --sensitivity")
    if metric not in ("bts", "plan_holds"):
        raise ValueError(f"metric must be 'bts' or 'plan_holds', got {metric!r}")
    ax = new_axes(ax, (8.0, 5.0))
    pairs: dict[tuple[str, str], dict[str, dict]] = {}
    for r in rows:
        pairs.setdefault((r["kind"], r["name"]), {})[r["change"]] = r[metric]

    def gain(change: dict[str, dict], which: str) -> float:
        e = change.get(which)
        return 0.0 if not e or e["mean"] is None else 100.0 * e["mean"]

    order = sorted(pairs, key=lambda key: (-gain(pairs[key], "removed"), -gain(pairs[key], "halved"), key))
    order = order[:top]
    y = np.arange(len(order))
    for which, height, alpha in (("removed", 0.7, 0.45), ("halved", 0.35, 0.95)):
        ests = [pairs[key].get(which) for key in order]
        means = [gain(pairs[key], which) for key in order]
        err = 100.0 * error_bars([e if e and e["mean"] is not None else None for e in ests])
        ax.barh(y, means, height, xerr=err, capsize=2, color=COLORS["holds" if metric == "plan_holds"
                                                                   else "bts"],
                alpha=alpha, label=which)
    labels = [source_words({"kind": k, "name": name}) for k, name in order]
    ax.set_yticks(y, labels)
    ax.set_ylim(len(order) - 0.5, -0.5)
    ax.axvline(0.0, color="black", linewidth=0.8)
    what = "expected BTS" if metric == "bts" else "probability the plan holds"
    ax.set_xlabel(f"gain in {what} (percentage points)")
    ax.set_title("What if each source of disruption were removed or halved")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower right", fontsize="small")
    return ax
