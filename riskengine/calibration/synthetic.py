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

import numpy as np

from riskengine.model.common import CAUSES
from riskengine.model.plan import Plan, parse_plan
from riskengine.model.premises import Premises
from riskengine.simulation import rng
from riskengine.simulation.codes import Stream
from riskengine.simulation.compile import compile_model
from riskengine.simulation.reference import simulate_logged

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
        for o in p.get("orders") or []:  # hours from the horizon start move with it
            o["id"] = f"{tag}-{o['id']}"
            if isinstance(o["due"], str):
                o["due"] = _shift(o["due"], by)
        plans.append(p)
    return plans


def _iso(origin: datetime, hours: float) -> str:
    return (origin + timedelta(hours=float(hours))).isoformat(timespec="microseconds")


def _shifts(c, r: int, until: float) -> list[int]:
    """Indices of the shifts (windows of the resource's shift hours from 0) in [0, until)
    that overlap its working time."""
    lo, hi, h = c.cal_ptr[r], c.cal_ptr[r + 1], c.res_shift_hours[r]
    out = []
    for s in range(int(math.ceil(until / h))):
        a, b = s * h, min((s + 1) * h, until)
        if any(min(b, c.cal_end[k]) > max(a, c.cal_start[k]) for k in range(lo, hi)):
            out.append(s)
    return out


def realize_week(plan: Plan, premises: Premises, seed: int, week: int) -> tuple[list[dict], list[dict]]:
    """Actuals rows and events rows of one simulated week (module docstring)."""
    c = compile_model(plan, premises)
    out, ref = simulate_logged(c, seed, week)
    log, t0 = ref.log, plan.horizon.start
    actuals = []
    for i, op in enumerate(plan.operations):
        if not (math.isfinite(out.end[i]) and out.good[i] > 0):
            actuals.append({"operation": op.id, "quantity": 0, "cause": "planning"})
            continue
        cause = out.moved_cause[i] if out.moved_cause[i] >= 0 else (
            out.delay_cause[i] if out.end[i] > c.op_end[i] else -1)
        actuals.append({"operation": op.id, "product": op.product, "resource": op.resource,
                        "quantity": float(out.good[i]), "start": _iso(t0, out.start[i]),
                        "end": _iso(t0, out.end[i]), "cause": CAUSES[cause] if cause >= 0 else "",
                        "setup_hours": float(log.setup_hours[i]), "run_hours": float(log.run_hours[i])})
    events = []
    horizon = plan.horizon_hours
    for r, res in enumerate(plan.resources):
        mine = [out.end[i] for i in range(c.n_ops) if c.op_resource[i] == r and math.isfinite(out.end[i])]
        until = max([horizon, *mine])
        shifts = _shifts(c, r, until)
        events.append({"event": "window", "resource": res.id, "start": _iso(t0, 0.0),
                       "end": _iso(t0, until), "run_hours": float(log.resource_run_hours[r]),
                       "shifts": len(shifts), "window": plan.id})
        if c.res_absence_p[r] > 0:
            key = np.uint64(rng.derive(seed, week, Stream.ABSENCE, c.res_entity[r]))
            h = c.res_shift_hours[r]
            for s in shifts:
                if rng.uniform(key, s) < c.res_absence_p[r]:
                    events.append({"event": "absence", "resource": res.id, "start": _iso(t0, s * h),
                                   "end": _iso(t0, (s + 1) * h), "window": plan.id})
    for r, failed, repaired, meter in log.breakdowns:
        events.append({"event": "breakdown", "resource": plan.resources[r].id,
                       "start": _iso(t0, failed), "end": _iso(t0, repaired), "run_hours": meter,
                       "window": plan.id})
    names = list(dict.fromkeys(m for op in plan.operations for m in op.materials))
    for m, name in enumerate(names):
        events.append({"event": "material", "material": name, "start": _iso(t0, c.mat_base[m]),
                       "end": _iso(t0, ref.arrival[m])})
    return actuals, events


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
