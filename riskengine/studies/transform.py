"""What a study changes in a plan or in premises.

``add_slack(plan, s)`` (the ``slack`` knob) stretches the plan in time by the
factor 1 + s from the horizon start: every planned time t (an operation's
start and end, the horizon end; hours from the horizon start) becomes
(1 + s) t, while each operation keeps its work content (``work_hours``, by
default its original ``end - start``) and its setup. An operation's window
then holds s x (its original window) of buffer behind its work, and the gap
between two operations on a resource grows by the same factor. The price is
a plan that promises a finish s x makespan later. Published time, calendars,
material arrivals and the bucket size are not changed. ``s = 0`` is the plan
itself.

``set_field(premises, path, value)`` replaces one value of a premises
document (creating missing tables on the way), and ``set_breakdown_rate``
(the ``breakdown_rate`` knob) sets the default time between failures to
1 / rate busy hours (rate 0: no default breakdowns); the default time to
repair must then be in the base premises.
"""

from __future__ import annotations

import copy
from datetime import timedelta

from riskengine.model.plan import Plan


def add_slack(plan: Plan, slack: float) -> dict:
    """The plan document with every planned time stretched by 1 + ``slack`` (see module doc)."""
    if slack < 0:
        raise ValueError(f"slack must be >= 0, got {slack}")
    doc = plan.model_dump(mode="json", by_alias=True, exclude_none=True)
    if slack == 0:
        return doc
    f = 1.0 + float(slack)
    origin = plan.horizon.start

    def stretched(t) -> str:
        return (origin + timedelta(hours=f * plan.hours(t))).isoformat()

    doc["horizon"]["end"] = stretched(plan.horizon.end)
    for op, out in zip(plan.operations, doc["operations"], strict=True):
        out["start"], out["end"] = stretched(op.start), stretched(op.end)
        out["work_hours"] = op.work_hours if op.work_hours is not None else plan.hours(op.end) - plan.hours(
            op.start)
    doc["id"] = f"{plan.id}+slack{slack:g}"
    return doc


def set_field(premises: dict, path: tuple[str, ...], value: object) -> dict:
    """A copy of a premises document with ``path`` set to ``value`` (tables created as needed).

    Raises ``KeyError`` naming the path when a step on the way is not a table.
    """
    out = copy.deepcopy(premises)
    node = out
    for i, key in enumerate(path[:-1]):
        nxt = node.get(key)
        if nxt is None:
            nxt = node[key] = {}
        elif not isinstance(nxt, dict):
            raise KeyError(f"{'.'.join(path[: i + 1])} is not a table (it holds {nxt!r})")
        node = nxt
    node[path[-1]] = value
    return out


def set_breakdown_rate(premises: dict, rate: float) -> dict:
    """A copy with ``defaults.breakdowns.mtbf_hours = 1 / rate`` (rate 0: default breakdowns removed)."""
    out = copy.deepcopy(premises)
    defaults = out.setdefault("defaults", {})
    if rate == 0:
        defaults.pop("breakdowns", None)
        return out
    breakdowns = defaults.get("breakdowns")
    if not isinstance(breakdowns, dict) or "mttr_hours" not in breakdowns:
        raise KeyError("breakdown_rate needs defaults.breakdowns.mttr_hours in the base premises")
    breakdowns["mtbf_hours"] = 1.0 / float(rate)
    return out
