"""Realized history simulated from known premises: the test bed of calibration and back-test.

``weekly_plans`` repeats a template plan over consecutive weeks (operation,
order and plan ids prefixed by the week, times shifted by 7 days, each
version published at its horizon start). ``realize`` executes week ``w``
as replication ``w`` of the reference simulator with seed ``seed`` (one
replication of the true premises is one possible real week) and writes what
the shop floor systems would have recorded:

- actuals (``riskengine.actuals/1`` rows): operation, product, resource, good
  quantity, actual start and end, cause (the operation's root cause when it
  ended late or was moved, else empty), ``setup_hours`` and ``run_hours``;
  an operation that never ran gets a record of quantity 0;
- events (``riskengine.events/1`` rows, :mod:`riskengine.calibration.events`):
  per resource and week a ``window`` from the horizon start to the later of
  the horizon end and the resource's last actual end, with its run-hour meter
  and its scheduled shifts, named by the plan id (shifts of ``shift_hours`` from the horizon start
  that overlap the resource's working time); each ``breakdown``; each
  material lot (due at its planned availability, arrived when the
  simulation says); each ``absence`` (a scheduled shift whose crew draw says
  absent, the same draw the simulation uses).

Times are ISO 8601 to the microsecond, so the realized figures are the
simulated ones.
"""

from __future__ import annotations

import copy
import math
from datetime import datetime, timedelta

from riskengine.model.common import CAUSES, required
from riskengine.model.plan import Plan, parse_plan
from riskengine.model.premises import Premises
from riskengine.simulation.compile import compile_model
from riskengine.simulation.realize import event_rows, iso, logged

WEEK = timedelta(days=7)
ACTUALS_COLUMNS = ("operation", "product", "resource", "quantity", "start", "end", "cause",
                   "setup_hours", "run_hours")


def _shift(value: str, by: timedelta) -> str:
    return (datetime.fromisoformat(value) + by).isoformat()


def weekly_plans(template: dict, weeks: int, prefix: str = "W") -> list[dict]:
    """``weeks`` copies of a plan document (JSON form, ISO times) one week apart."""
    plans = []
    for w in range(weeks):
        tag, by = f"{prefix}{w + 1:02d}", WEEK * w
        p = copy.deepcopy(template)
        p["id"] = f"{tag}-{template['id']}"
        p["horizon"] = {k: _shift(v, by) for k, v in template["horizon"].items()}
        p["published_at"] = p["horizon"]["start"]
        for op in p["operations"]:
            op["id"] = f"{tag}-{op['id']}"
            if op.get("order"):
                op["order"] = f"{tag}-{op['order']}"
            op["after"] = [f"{tag}-{a}" for a in op.get("after", [])]
            op["start"], op["end"] = _shift(op["start"], by), _shift(op["end"], by)
        for m in p.get("materials") or []:
            if m.get("available_at"):
                m["available_at"] = _shift(m["available_at"], by)
        plans.append(p)
    return plans


def realize_week(plan: Plan, premises: Premises, seed: int, week: int) -> tuple[list[dict], list[dict]]:
    """Actuals rows and events rows of one simulated week (module docstring; the events are
    :func:`riskengine.simulation.realize.event_rows` of the reference's event log)."""
    c = compile_model(plan, premises)
    ref = logged(c, seed, week)
    out, t0 = ref.out, plan.horizon.start
    log = required(ref.log, "the event log of a logged replication")
    actuals = []
    for i, op in enumerate(plan.operations):
        if not (math.isfinite(out.end[i]) and out.good[i] > 0):
            actuals.append({"operation": op.id, "quantity": 0, "cause": "planning"})
            continue
        cause = out.moved_cause[i] if out.moved_cause[i] >= 0 else (
            out.delay_cause[i] if out.end[i] > c.op_end[i] else -1)
        actuals.append({"operation": op.id, "product": op.product, "resource": op.resource,
                        "quantity": float(out.good[i]), "start": iso(t0, out.start[i]),
                        "end": iso(t0, out.end[i]), "cause": CAUSES[cause] if cause >= 0 else "",
                        "setup_hours": float(log.setup_hours[i]), "run_hours": float(log.run_hours[i])})
    return actuals, event_rows(plan, ref, plan.id)


def realize(plans: list[Plan], premises: Premises, seed: int) -> tuple[list[dict], list[dict]]:
    """Actuals and events of every week (week ``w`` is replication ``w``)."""
    actuals, events = [], []
    for w, plan in enumerate(plans):
        a, e = realize_week(plan, premises, seed, w)
        actuals += a
        events += e
    return actuals, events


def plans_from(documents: list[dict]) -> list[Plan]:
    return [parse_plan(d) for d in documents]
