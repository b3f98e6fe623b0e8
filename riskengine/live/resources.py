"""Each resource and lot at a forecast's as-of time T (:mod:`riskengine.live.state`).

- A resource is *down* at T when a breakdown began by T and has no end, or ends after T (its
  end is not known then): the forecast draws the remaining repair given the time it has lasted
  (and warns when the premises make that time unlikely); it is *held* until an absence under way
  at T ends; the absenteeism shift under way at T is *known* when it began before T.
- An operation in progress at T has done the working time between its start and T (the
  calendar's working intervals, within its records' spans) that no repair or absent crew took;
  the clock hours these took count as repair and absence in its time accounting.
- A lot arrives when an event says; one due before T without an event arrived (from the horizon
  start on: at T = horizon start nothing is known).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from riskengine.errors import InputError, Problem
from riskengine.live.events import KnownEvents
from riskengine.model.plan import Plan
from riskengine.model.premises import Premises
from riskengine.simulation.codes import Realized
from riskengine.simulation.compile import Compiled

PENDING, DONE, RUNNING = (int(x) for x in Realized)  # plain ints: an IntEnum member is slow in loops
#: A repair whose remaining time is this unlikely under the premises is said in a warning.
TAIL_WARNING = 1e-3


Spans = list[tuple[float, float]]


def _segments(t0: float, t1: float, *lists: Spans) -> list[tuple[float, float, list[bool]]]:
    """[t0, t1) cut at every end point of the interval lists: each piece with whether it lies in
    each list's union."""
    points = sorted({t0, t1, *(x for ls in lists for a, b in ls for x in (a, b) if t0 < x < t1)})
    out = []
    for p, q in zip(points, points[1:], strict=False):
        mid = (p + q) / 2
        out.append((p, q, [any(a <= mid < b for a, b in ls) for ls in lists]))
    return out


def _worked(spans, down, absent, cal, t0: float, t: float) -> tuple[float, float, float]:
    """Work done by T of an operation in progress since ``t0``, and the clock hours repairs and
    absent crews took from it (module docstring)."""
    done = repair = absence = 0.0
    for p, q, (in_span, in_down, in_absent, in_cal) in _segments(t0, t, spans, down, absent, cal):
        if in_down:
            repair += q - p
        elif in_absent:
            absence += q - p
        elif in_span and in_cal:
            done += q - p
    return done, repair, absence


def _intervals(plan: Plan, events: list, rid: str, t: float) -> list[tuple[float, float]]:
    """The clock intervals of a resource's breakdowns or absences known at T (an end after T,
    or none, runs to T)."""
    out = []
    for e in events:
        start = plan.hours(e.start)
        if e.name == rid and start <= t:
            end = plan.hours(e.end) if e.end is not None else t
            out.append((start, min(end, t)))
    return out


def _shifts_known(t: float, shift_hours: float) -> int:
    """Index of the first absenteeism shift not known at T: the shift under way at T is known
    when it started before T (:func:`riskengine.simulation.mechanics.shift_index`'s rule)."""
    if not t > 0.0:
        return 0
    k = math.floor(t / shift_hours)
    if (k + 1) * shift_hours <= t:
        k += 1
    return k + 1 if k * shift_hours < t else k


def resources_at(plan: Plan, c: Compiled, events: KnownEvents, premises: Premises, state: np.ndarray,
               ops: dict, t: float, warnings: list[str]) -> dict:
    """Per resource: when it may work, since when it is down, its last operation, its decisions so
    far and its known shifts; per operation in progress its work done and hours lost."""
    n_res = len(plan.resources)
    out = {"free": np.full(n_res, t), "down_since": np.full(n_res, np.nan),
           "previous": np.full(n_res, -1, np.int64), "decisions": np.zeros(n_res, np.int64),
           "known_shifts": np.zeros(n_res, np.int64)}
    n = len(plan.operations)
    worked = {k: np.zeros(n) for k in ("done_work", "lost_repair", "lost_absence")}
    positions = plan.planned_positions()
    problems = []
    for r, res in enumerate(plan.resources):
        down = _intervals(plan, events.breakdowns, res.id, t)
        absent = _intervals(plan, events.absences, res.id, t)
        current = [plan.hours(e.start) for e in events.breakdowns if e.name == res.id
                   and plan.hours(e.start) <= t and (e.end is None or plan.hours(e.end) > t)]
        if current:
            out["down_since"][r] = max(current)
            if c.res_ttr_row[r] == 0:
                problems.append(Problem("events", f"{res.id} is down at the as-of time but the premises give "
                                        f"it no repair time (resources.{res.id}.breakdowns.mttr_hours)"))
            else:
                _tail_warning(premises, res.id, t - max(current), warnings)
        ends = [plan.hours(e.until) for e in events.absences if e.name == res.id
                and plan.hours(e.start) <= t < plan.hours(e.until)]
        out["free"][r] = max([t, *ends])
        out["known_shifts"][r] = _shifts_known(t, float(c.res_shift_hours[r]))
        mine = [i for i in plan.sequences[res.id] if state[i] != PENDING]
        out["decisions"][r] = len(mine)
        started = [i for i in mine if math.isfinite(ops[plan.operations[i].id].start)]
        running = [i for i in mine if state[i] == RUNNING]
        if running or started:
            out["previous"][r] = running[0] if running else max(
                started, key=lambda i: (ops[plan.operations[i].id].start, positions[i]))
        cal = list(zip(c.cal_start[c.cal_ptr[r]:c.cal_ptr[r + 1]], c.cal_end[c.cal_ptr[r]:c.cal_ptr[r + 1]],
                       strict=True))
        for i in running:
            a = ops[plan.operations[i].id]
            done, repair, absence = _worked(a.spans, down, absent, cal, a.start, t)
            worked["done_work"][i], worked["lost_repair"][i] = done, repair
            worked["lost_absence"][i] = absence
    if problems:
        raise InputError(problems)
    return out | worked


def _tail_warning(premises: Premises, rid: str, elapsed: float, warnings: list[str]) -> None:
    """Say so when a repair in progress has lasted longer than the premises make likely."""
    from riskengine.model.distributions import as_distribution

    breakdowns = premises.for_resource(rid).breakdowns
    dist: Any = as_distribution(breakdowns.mttr_hours) if breakdowns is not None else None
    try:
        with np.errstate(all="ignore"):
            survive = float(dist.to_scipy().sf(elapsed))
    except Exception:  # an empirical or uncertain repair time: no closed form to ask
        return
    if survive < TAIL_WARNING:
        warnings.append(f"{rid} has been in repair {elapsed:.1f} h, longer than {1 - survive:.2%} of its "
                        "repairs in the premises: the remaining repair drawn from them may be too short")


def arrivals_at(plan: Plan, c: Compiled, events: KnownEvents, t: float) -> np.ndarray:
    """Known arrival of each lot (nan: drawn): an event's arrival; a lot due before T without an
    event arrived (from the horizon start on: at T = 0 nothing is known)."""
    names = list(dict.fromkeys(m for op in plan.operations for m in op.materials))
    arrival = np.full(len(names), np.nan)
    if t > 0.0:
        arrival[c.mat_base < t] = c.mat_base[c.mat_base < t]
    index = {m: k for k, m in enumerate(names)}
    for e in sorted(events.materials, key=lambda e: e.start):
        if e.name in index:
            arrival[index[e.name]] = plan.hours(e.until)
    return arrival
