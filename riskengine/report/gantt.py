"""Gantt chart of a plan, coloured by how each operation fared (forecast or realized).

For a score, each operation's planned bar is coloured by its probability of
being a HIT (red 0% .. green 100%, with a colour bar), and operations below
50% carry their probability as a label. For a measurement, each measured
operation is drawn at its planned times in the plan version in effect for it
(so re-planned operations appear where the newest plan put them), green for
a HIT and red for a MISS labelled with its cause. Time runs in hours from
the earliest horizon start, with a tick at every day.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.patches import Patch

from riskengine.model.actuals import PlanHistory
from riskengine.model.common import hours_between
from riskengine.model.plan import Plan, parse_plan
from riskengine.report.results import MEASUREMENT, SCORE, day_label, expect, kind

HIT_COLOR, MISS_COLOR, UNJUDGED_COLOR = "#55a868", "#c44e52", "#d0d0d0"
CMAP = "RdYlGn"


def plan_versions(plan: Plan | PlanHistory | Sequence[Plan] | dict) -> list[Plan]:
    """The plan versions given as one plan, a history, a list, or a plan document."""
    if isinstance(plan, PlanHistory):
        return list(plan.versions)
    if isinstance(plan, Plan):
        return [plan]
    if isinstance(plan, dict):
        return [parse_plan(plan)]
    return [p if isinstance(p, Plan) else parse_plan(p) for p in plan]


def _bars(versions: list[Plan], d: dict) -> list[tuple[Any, dict | None]]:
    """(planned operation, its row in the result or None) for every bar to draw."""
    if kind(d) == SCORE:
        plan = next((p for p in versions if p.id == d["plan"]), versions[0])
        rows = {o["id"]: o for o in d["operations"]}
        return [(op, rows.get(op.id)) for op in plan.operations]
    by_id = {p.id: p for p in versions}
    bars = []
    for row in d["operations"]:
        p = by_id.get(row["plan"])
        if p is None:
            raise ValueError(f"operation {row['id']} was measured against plan {row['plan']!r}, "
                             "which is not among the plans given")
        bars.append((p.operations[p.operation_index[row["id"]]], row))
    return bars


def gantt(plan: Plan | PlanHistory | Sequence[Plan] | dict, result: Any, ax: Axes | None = None) -> Axes:
    """Planned operations per resource, coloured by hit probability or realized HIT/MISS.

    Parameters
    ----------
    plan
        The scored plan, or for a measurement the plan versions it was measured
        against (a :class:`PlanHistory`, a list of plans, one plan or a plan dict).
    result
        A score or a measurement (object or dict).
    ax
        Axes to draw into (a new figure when None).

    Returns
    -------
    Axes
        One bar (``ax.patches``) per operation, in the order of the plan (score)
        or of ``result.operations`` (measurement); one row per resource.
    """
    d = expect(result, SCORE, MEASUREMENT)
    versions = plan_versions(plan)
    bars = _bars(versions, d)
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(12.0, 1.0 + 0.6 * len({op.resource for op, _ in bars})))
    origin = min(p.horizon.start for p in versions)
    end = max(p.horizon.end for p in versions)
    resources: list[str] = []
    for p in versions:
        resources += [r.id for r in p.resources if r.id not in resources]
    row_of = {rid: k for k, rid in enumerate(resources)}
    left = np.array([hours_between(origin, op.start) for op, _ in bars])
    width = np.array([hours_between(op.start, op.end) for op, _ in bars])
    y = np.array([row_of[op.resource] for op, _ in bars])
    score = kind(d) == SCORE
    if score:
        cmap, norm = colormaps[CMAP], Normalize(0.0, 1.0)
        colors = [cmap(norm(row["hit"]["mean"])) if row and row["hit"] else UNJUDGED_COLOR
                  for _, row in bars]
    else:
        colors = [HIT_COLOR if row is not None and row["hit"] else MISS_COLOR for _, row in bars]
    ax.barh(y, width, left=left, height=0.6, color=colors, edgecolor="white", linewidth=0.4)
    for k, (_, row) in enumerate(bars):
        label = None
        if score and row and row["hit"] and row["hit"]["mean"] < 0.5:
            label = f"{100 * row['hit']['mean']:.0f}%"
        elif not score and row is not None and not row["hit"]:
            label = row["cause"] or "unknown"
        if label:
            ax.text(left[k] + width[k] / 2, y[k], label, rotation=90, ha="center", va="center",
                    fontsize=5.5, clip_on=True)
    span = hours_between(origin, end)
    ax.set_xlim(0.0, span)
    ticks = np.arange(0.0, span + 1e-9, 24.0)
    ax.set_xticks(ticks, [day_label((origin + timedelta(hours=float(t))).isoformat()) for t in ticks],
                  ha="left")
    ax.set_yticks(range(len(resources)), resources)
    ax.set_ylim(len(resources) - 0.5, -0.5)
    ax.grid(axis="x", alpha=0.4)
    if score:
        sm = ScalarMappable(norm=norm, cmap=cmap)
        ax.figure.colorbar(sm, ax=ax, label="P(hit)", fraction=0.03, pad=0.01)
        ax.set_title(f"Plan {d['plan']}: each operation coloured by its probability of being a HIT")
    else:
        handles = [Patch(color=HIT_COLOR, label="HIT"), Patch(color=MISS_COLOR, label="MISS (cause)")]
        ax.legend(handles=handles, loc="upper right", fontsize="small", ncols=2)
        ax.set_title("Measured operations at their planned times (plan in effect), HIT or MISS")
    ax.set_xlabel(f"from {_stamp(origin)}")
    return ax


def _stamp(t: datetime) -> str:
    return t.strftime("%a %d %b %Y %H:%M %z")
