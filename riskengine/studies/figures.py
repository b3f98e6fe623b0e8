"""Figures of a sweep's table: a metric against a parameter, one curve per group.

``curves(table, x="breakdown_rate", metric="plan_holds", by="slack")`` draws,
for each value of ``by`` (and each plan, unless ``plan`` picks one), the
metric's mean against ``x`` with its 95% interval as a band. ``table`` is a
:class:`~riskengine.studies.runner.SweepResult`, its ``columns`` or the
columns of :func:`~riskengine.studies.table.read_table`. Cells that share
``x`` and the group but differ in another parameter are not averaged: pass
``where={"name": value}`` to fix the others. Ratios and probabilities go on a
0-100 % axis; ``metric = "finish"`` in hours, and ``"delay"`` is the finish
minus the planned finish of the plan variant (same interval width).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes

from riskengine.report.axes import new_axes, percent_axis

LABELS = {"plan_holds": "P(plan holds)", "bts": "BTS", "btp": "BTP", "volume": "volume", "mix": "mix",
          "sequence": "sequence", "finish": "finish (h)", "delay": "finish - planned finish (h)"}


def _columns(table: Any) -> dict[str, list]:
    return table.columns if hasattr(table, "columns") and not isinstance(table, dict) else table


def curves(table: Any, x: str, metric: str = "plan_holds", by: str | None = None, plan: str | None = None,
           where: dict | None = None, ax: Axes | None = None) -> Axes:
    """Mean of ``metric`` against parameter ``x`` with 95% bands, one curve per ``by`` value and plan."""
    cols = _columns(table)
    ax = new_axes(ax, (6.5, 4))
    base = "finish" if metric == "delay" else metric
    n = len(cols["cell"])
    keep = [i for i in range(n) if (plan is None or cols["plan"][i] == plan)
            and all(cols[k][i] == v for k, v in (where or {}).items())]
    groups: dict[tuple, list[int]] = {}
    for i in keep:
        key = ((cols[by][i],) if by else ()) + ((cols["plan"][i],) if plan is None else ())
        groups.setdefault(key, []).append(i)
    for key, rows in groups.items():
        rows.sort(key=lambda i: cols[x][i])
        shift = np.array([cols["planned_finish"][i] if metric == "delay" else 0.0 for i in rows])
        xs = np.array([cols[x][i] for i in rows], dtype=float)
        mean, low, high = (np.array([np.nan if cols[f"{base}_{p}"][i] is None else cols[f"{base}_{p}"][i]
                                     for i in rows], dtype=float) - shift for p in ("mean", "low", "high"))
        label = ", ".join(([f"{by} = {key[0]:g}" if isinstance(key[0], float) else f"{by} = {key[0]}"]
                           if by else []) + ([str(key[-1])] if plan is None else []))
        line, = ax.plot(xs, mean, marker="o", ms=3, label=label or None)
        ax.fill_between(xs, low, high, color=line.get_color(), alpha=0.2, linewidth=0)
    ax.set_xlabel(x.replace("_", " "))
    ax.set_ylabel(LABELS.get(metric, metric))
    if metric in ("plan_holds", "bts", "btp", "volume", "mix", "sequence") or metric.startswith("holds_day_"):
        percent_axis(ax)
    if len(groups) > 1:
        ax.legend(fontsize="small", frameon=False)
    ax.set_title(f"{LABELS.get(metric, metric)} by {x.replace('_', ' ')}" + (f" ({plan})" if plan else ""))
    return ax
