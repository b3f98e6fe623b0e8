"""Gantt chart of a plan, coloured by how each operation fared (forecast or realized).

For a score, each operation's planned bar is coloured by its probability of
being a HIT (red 0% .. green 100%, with a colour bar), and operations below
50% carry their probability as a label; a black line under the bar runs from
the P50 to the P80 of its actual finish (to the edge when it had not finished
in 20% of the replications). For a measurement, each measured
operation is drawn at its planned times in the plan version in effect for it
(so re-planned operations appear where the newest plan put them), green for
a HIT and red for a MISS labelled with its cause. Time runs in hours from
the earliest horizon start, with a tick at every day.

A big plan is drawn in part (``max_bars``; the HTML report draws at most
:data:`REPORT_BARS` bars on at most :data:`REPORT_ROWS` resources): the
resources whose operations fared worst (a score: the lowest mean probability
of a HIT; a measurement: the most misses), in their order in the plan, as many as fit;
the title says how many of how many. A 200,000-operation plan drawn whole took
minutes and a 130 MB figure, one bar a few pixels tall per resource row.
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
#: The most bars, and resource rows, of the HTML report's Gantt chart.
REPORT_BARS, REPORT_ROWS = 2000, 40


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


def _worst(row: dict | None, score: bool) -> float:
    """How badly one bar's operation fared (higher: worse)."""
    if score:
        return 1.0 - row["hit"]["mean"] if row and row["hit"] else 0.0
    return 1.0 if row is not None and not row["hit"] else 0.0


def shown_resources(plan: Plan | PlanHistory | Sequence[Plan] | dict, result: Any,
                    max_bars: int | None = None, max_rows: int | None = None) -> tuple[list[str], int]:
    """The resources :func:`gantt` draws (in plan order) and how many the plan has: all, or the worst
    (module docstring) while their bars fit in ``max_bars`` and their rows in ``max_rows``."""
    d = expect(result, SCORE, MEASUREMENT)
    versions = plan_versions(plan)
    resources: list[str] = []
    for p in versions:
        resources += [r.id for r in p.resources if r.id not in resources]
    bars = _bars(versions, d)
    if (max_bars is None or len(bars) <= max_bars) and (max_rows is None or len(resources) <= max_rows):
        return resources, len(resources)
    score = kind(d) == SCORE
    count: dict[str, int] = {}
    worst: dict[str, float] = {}
    for op, row in bars:
        count[op.resource] = count.get(op.resource, 0) + 1
        worst[op.resource] = worst.get(op.resource, 0.0) + _worst(row, score)
    if score:  # the mean probability of a miss
        worst = {rid: w / count[rid] for rid, w in worst.items()}
    chosen: set[str] = set()
    room = len(bars) if max_bars is None else max_bars
    place = {rid: k for k, rid in enumerate(resources)}
    for rid in sorted(count, key=lambda r: (-worst[r], place[r])):
        if count[rid] <= room and (max_rows is None or len(chosen) < max_rows):
            chosen.add(rid)
            room -= count[rid]
    return [r for r in resources if r in chosen], len(resources)


def gantt(plan: Plan | PlanHistory | Sequence[Plan] | dict, result: Any, ax: Axes | None = None,
          max_bars: int | None = None, max_rows: int | None = None) -> Axes:
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
    max_bars, max_rows
        Draw at most this many bars and resource rows (None: all): the resources whose
        operations fared worst (:func:`shown_resources`).

    Returns
    -------
    Axes
        One bar (``ax.patches``) per operation drawn, in the order of the plan (score)
        or of ``result.operations`` (measurement); one row per resource drawn.
    """
    d = expect(result, SCORE, MEASUREMENT)
    versions = plan_versions(plan)
    resources, of = shown_resources(versions, d, max_bars, max_rows)
    row_of = {rid: k for k, rid in enumerate(resources)}
    bars = [b for b in _bars(versions, d) if b[0].resource in row_of]
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(12.0, 1.0 + 0.6 * len({op.resource for op, _ in bars})))
    origin = min(p.horizon.start for p in versions)
    end = max(p.horizon.end for p in versions)
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
    if score:
        _finish_ranges(ax, origin, bars, y, span)
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
        ax.set_title(f"Plan {d['plan']}: each operation coloured by its probability of being a HIT"
                     + _part(resources, of, "the lowest mean P(hit)"))
    else:
        handles = [Patch(color=HIT_COLOR, label="HIT"), Patch(color=MISS_COLOR, label="MISS (cause)")]
        ax.legend(handles=handles, loc="upper right", fontsize="small", ncols=2)
        ax.set_title("Measured operations at their planned times (plan in effect), HIT or MISS"
                     + _part(resources, of, "the most misses"))
    ax.set_xlabel(f"from {_stamp(origin)}")
    return ax


def _finish_ranges(ax: Axes, origin: datetime, bars: list, y: np.ndarray, span: float) -> None:
    """The P50-P80 range of each operation's finish, as a line under its bar."""
    lo, hi, at = [], [], []
    for k, (_, row) in enumerate(bars):
        finish = (row or {}).get("finish") or {}
        if finish.get("p50") is None:
            continue
        p80 = finish["p80"]
        lo.append(hours_between(origin, datetime.fromisoformat(finish["p50"])))
        hi.append(span if p80 is None else hours_between(origin, datetime.fromisoformat(p80)))
        at.append(y[k] + 0.36)
    if at:
        ax.hlines(at, lo, np.maximum(hi, np.array(lo) + 0.05), colors="black", linewidth=1.1,
                  label="P50-P80 of the finish")
        ax.legend(loc="upper right", fontsize="small")


def _part(shown: list[str], of: int, worst: str) -> str:
    """The title's note when only some resources are drawn."""
    return "" if len(shown) == of else f"\n{len(shown)} of {of} resources: those with {worst}"


def _stamp(t: datetime) -> str:
    return t.strftime("%a %d %b %Y %H:%M %z")
