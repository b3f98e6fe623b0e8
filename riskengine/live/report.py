"""The forecast's HTML report: the escalation list, the state, the Gantt split at the as-of line,
then everything a score's report shows (:func:`riskengine.report.sections.score_blocks`).

The Gantt draws what happened left of the as-of line (each operation at its realized times,
grey) and what is expected right of it: each operation from its median start to its median
end, coloured by its probability of being a HIT, with a lighter tail to the 80th percentile
of its end (the dates of the replications sampled for them, ``replications_for_dates``). An
operation in progress at the as-of time is grey up to the line and coloured after it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.patches import Patch

from riskengine.report.gantt import REPORT_BARS, REPORT_ROWS
from riskengine.report.html import esc, figure, page, svg, table
from riskengine.report.results import as_dict, day_label, interval, pct
from riskengine.report.terminal import iso_clock

REALIZED_COLOR = "#8c96a5"
#: Rows of the report's table of alerts (a big plan can have tens of thousands).
REPORT_ALERTS = 500
CMAP = "RdYlGn"


def _hours(origin: datetime, iso: str | None) -> float | None:
    return None if iso is None else (datetime.fromisoformat(iso) - origin).total_seconds() / 3600


def forecast_resources(d: dict, max_bars: int | None = None, max_rows: int | None = None
                       ) -> tuple[list[str], int]:
    """The resources :func:`forecast_gantt` draws, in the result's order, and how many there are:
    all, or (a big plan) those whose operations have the lowest mean P(HIT) while their operations
    fit in ``max_bars`` and their rows in ``max_rows`` (as :func:`riskengine.report.gantt.gantt`)."""
    resources = [r["id"] for r in d["resources"]]
    resources += sorted({o["resource"] for o in d["operations"]} - set(resources))
    n = len(d["operations"])
    if (max_bars is None or n <= max_bars) and (max_rows is None or len(resources) <= max_rows):
        return resources, len(resources)
    count: dict[str, int] = {}
    missed: dict[str, float] = {}
    for o in d["operations"]:
        count[o["resource"]] = count.get(o["resource"], 0) + 1
        missed[o["resource"]] = missed.get(o["resource"], 0.0) + 1.0 - o["hit"]["mean"]
    place = {rid: k for k, rid in enumerate(resources)}
    chosen: set[str] = set()
    room = n if max_bars is None else max_bars
    for rid in sorted(count, key=lambda r: (-missed[r] / count[r], place[r])):
        if count[rid] <= room and (max_rows is None or len(chosen) < max_rows):
            chosen.add(rid)
            room -= count[rid]
    return [r for r in resources if r in chosen], len(resources)


def forecast_gantt(result: Any, ax: Axes | None = None, max_bars: int | None = None,
                   max_rows: int | None = None) -> Axes:
    """Operations per resource, realized left of the as-of line and expected right of it.

    Parameters
    ----------
    result
        A forecast (``riskengine.forecast/1``, object or dict).
    ax
        Axes to draw into (a new figure when None).
    max_bars, max_rows
        Draw the operations of at most this many (None: all) and at most this many resource rows:
        the resources with the lowest mean P(HIT) (:func:`forecast_resources`; the title says how
        many of how many).

    Returns
    -------
    Axes
        The as-of line is ``ax.lines[0]``; bars are ``ax.patches`` (realized parts grey).
    """
    d = as_dict(result)
    origin, end = (datetime.fromisoformat(d["horizon"][k]) for k in ("start", "end"))
    t = (datetime.fromisoformat(d["as_of"]) - origin).total_seconds() / 3600
    resources, of = forecast_resources(d, max_bars, max_rows)
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(12.0, 1.0 + 0.6 * len(resources)))
    row = {rid: k for k, rid in enumerate(resources)}
    cmap, norm = colormaps[CMAP], Normalize(0.0, 1.0)
    ax.axvline(t, color="#1d2330", linewidth=1.4, linestyle="--", zorder=3)
    ax.text(t, -0.45, f" as of {day_label(d['as_of'])} {d['as_of'][11:16]}", fontsize=7, va="bottom")
    for o in d["operations"]:
        if o["resource"] not in row:
            continue  # a resource not drawn (a big plan: max_bars, max_rows)
        s, e50, e80 = (_hours(origin, o[k]) for k in ("expected_start", "expected_end", "end_p80"))
        if s is None or e50 is None:
            continue  # not executed (in at least half of the replications sampled)
        y = row[o["resource"]]
        color = cmap(norm(o["hit"]["mean"]))
        if s < t:  # what happened before the as-of time
            ax.barh(y, min(e50, t) - s, left=s, height=0.6, color=REALIZED_COLOR, edgecolor="white",
                    linewidth=0.4)
        if e50 > t:
            left = max(s, t)
            ax.barh(y, e50 - left, left=left, height=0.6, color=color, edgecolor="white", linewidth=0.4)
            if e80 is not None and e80 > e50:
                ax.barh(y, e80 - e50, left=e50, height=0.3, color=color, alpha=0.45, linewidth=0)
    span = (end - origin).total_seconds() / 3600
    ticks = np.arange(0.0, span + 1e-9, 24.0)
    ax.set_xlim(0.0, span)
    ax.set_xticks(ticks, [day_label((origin + timedelta(hours=float(x))).isoformat()) for x in ticks],
                  ha="left")
    ax.set_yticks(range(len(resources)), resources)
    ax.set_ylim(len(resources) - 0.5, -0.6)
    ax.grid(axis="x", alpha=0.4)
    ax.figure.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, label="P(hit)", fraction=0.03, pad=0.01)
    ax.legend(handles=[Patch(color=REALIZED_COLOR, label="realized")], loc="lower right", fontsize="small")
    ax.set_title(f"Plan {d['plan']} as of {iso_clock(d['as_of'])}: realized (grey), then each operation "
                 "from its median start to its median end (tail: P80 of the end)"
                 + ("" if len(resources) == of else f"\n{len(resources)} of {of} resources: those with the "
                    "lowest mean P(HIT)"), fontsize=9)
    ax.set_xlabel(f"from {origin.strftime('%a %d %b %Y %H:%M %z')}")
    return ax


def forecast_headline(d: dict) -> str:
    """'As of ...: N operations below 80%, act on X (cause) first; P(plan holds) ...; week BTS ...'."""
    parts = [f"As of {iso_clock(d['as_of'])}"]
    if d["alerts"]:
        a = d["alerts"][0]
        parts[0] += (f": {len(d['alerts'])} operation(s) below {pct(d['alert_threshold'])} P(HIT); act on "
                     f"{a['id']} ({pct(a['probability']['mean'])}, {a['cause'] or 'no single cause'}) first")
    else:
        parts[0] += f": no operation below {pct(d['alert_threshold'])} P(HIT)"
    holds = d["plan_holds"]
    settled = holds["low"] == holds["high"] == 0.0
    parts.append("the plan no longer holds (an operation already missed)" if settled
                 else f"the plan holds with {interval(holds)} probability")
    if d["adherence"].get("bts"):
        parts.append(f"the horizon's expected BTS is {interval(d['adherence']['bts'])}")
    return "; ".join(parts) + "."


def _state_rows(d: dict) -> list[list[Any]]:
    """What the forecast started from, one row per kind of fact."""
    s, z = d["state"], d["realized"]

    def listed(items: list[str]) -> str:
        return ", ".join(items) or "none"

    return [["done before the as-of time", s["done"]],
            ["in progress", listed([f"{o['id']} ({o['resource']}, since {iso_clock(o['start'])})"
                                    for o in s["in_progress"]])],
            ["not started", s["pending"]],
            ["resources down", listed([f"{x['resource']} since {iso_clock(x['since'])}" for x in s["down"]])],
            ["lots known late", listed([f"{x['material']} at {iso_clock(x['arrival'])}"
                                        for x in s["late_lots"]])],
            ["crews absent", listed([f"{x['resource']} until {iso_clock(x['until'])}" for x in s["absent"]])],
            ["realized buckets", f"{z['buckets']} (until {iso_clock(z['until'])}): BTS "
                                 f"{pct(z['total']['bts'])}, {z['hits']} HIT, {z['misses']} MISS"]]


def forecast_page(d: dict, *, plan: Any = None, premises: dict | None = None,
                  command: str | None = None) -> str:
    """The report of a forecast (``riskengine.forecast/1``)."""
    from riskengine.report.sections import score_blocks

    alerts = [[a["id"], a["resource"] or "-", interval(a["probability"]), a["cause"] or "-",
               iso_clock(a["planned_end"]), iso_clock(a["expected_end"])]
              for a in d["alerts"][:REPORT_ALERTS]]
    more = (f" (the {len(alerts)} least likely of {len(d['alerts'])}; the JSON result lists all)"
            if len(alerts) < len(d["alerts"]) else "")
    state = _state_rows(d)
    n_res = len(forecast_resources(d, REPORT_BARS, REPORT_ROWS)[0]) or 1
    body = [f"<h2>{esc('Act on these first')}</h2>",
            table(["operation", "resource", "P(HIT)", "main cause", "planned end", "expected end"], alerts,
                  caption=f"Operations below {pct(d['alert_threshold'])} P(HIT), least likely first{more}",
                  numeric=(2,)) if alerts else "<p>No alert.</p>",
            f"<h2>{esc('The state it started from')}</h2>", table(["", ""], state),
            figure(svg(lambda ax: forecast_gantt(d, ax=ax, max_bars=REPORT_BARS, max_rows=REPORT_ROWS),
                       "forecast-gantt", (13.0, 1.6 + 0.55 * n_res)),
                   "Left of the as-of line what happened, right of it what is expected (median start to "
                   f"median end over {d['replications_for_dates']} replications, tail to the P80 end), "
                   "coloured by P(HIT).", wide=True)]
    if d.get("changes"):
        body += [table(["operation", "before", "now", "why"],
                       [[c["id"], pct(c["before"]), pct(c["now"]), c["why"]] for c in d["changes"]],
                       caption=f"Changes since the forecast as of {iso_clock(d['previous']['as_of'])}",
                       numeric=(1, 2))]
    # the score's sections read a forecast as the score of the whole horizon it is
    body += score_blocks(d | {"format": "riskengine.score/1"}, plan=None, premises=premises, command=command)
    return page(f"Forecast of plan {d['plan']} as of {iso_clock(d['as_of'])}",
                f"riskengine forecast: {d['replications']} replications, seed {d['seed']}",
                forecast_headline(d), body)
