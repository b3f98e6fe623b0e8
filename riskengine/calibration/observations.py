"""What the history shows about each premise: samples and counts for calibration.

From the plans, the actuals and the events (:mod:`riskengine.calibration.events`):

- time between failures per resource, in processing (run) hours: differences
  of the run-hour meter at consecutive failures of a window, the first from
  the window's start (a renewal); the run hours from the last failure to the
  window's end are right-censored (no failure yet). Time to repair per
  resource: end - start of each breakdown; an open repair is right-censored
  at the window's end.
- absenteeism per resource: absent shifts / scheduled shifts of its windows.
- material lateness: arrival - due of each lot; late when more than one second.
- performance factor of each operation: planned processing work (work content
  minus planned setup, as the simulator reads it) / actual ``run_hours``.
- setup overrun of each operation with a planned setup: actual ``setup_hours`` /
  planned setup hours.
- scrap: planned units (floor of the planned quantity) minus good units of each
  executed operation, clipped to [0, planned]: every short unit counts as scrap.
- operator deviation: the decisions of each resource are replayed in actual start
  order against the plan version in effect (operations planned to start while it
  was the newest published). At each decision (time: the end of the resource's
  previous operation) the deviation rule is applied to the next ``window``
  pending operations that are ready (routing predecessors ended, materials
  arrived): when its pick differs from the head of the queue the decision is
  an *opportunity*, and a *deviation* when the operator took that pick. The
  deviation probability of the premises is deviations / opportunities (the
  simulator's rule: a deviation at a decision without an opportunity leaves
  no trace). Moves that the rule does not explain are counted apart.

Operation ids are looked up in the newest plan version that holds them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from riskengine.calibration.events import Events
from riskengine.calibration.fitting import Sample
from riskengine.model.actuals import Actuals, PlanHistory
from riskengine.model.calendar import work_content
from riskengine.model.common import hours_between, required
from riskengine.model.plan import Operation, Plan

LATE_HOURS = 1 / 3600  # a lot later than one second is late


@dataclass
class Realized:
    start: float = math.inf
    end: float = -math.inf
    good: float = 0.0
    setup: float | None = 0.0
    run: float | None = 0.0


@dataclass
class Observations:
    tbf: dict[str, Sample] = field(default_factory=dict)
    ttr: dict[str, Sample] = field(default_factory=dict)
    exposure: dict[str, float] = field(default_factory=dict)  # run hours observed per resource
    absences: dict[str, tuple[int, int]] = field(default_factory=dict)  # (absent, scheduled)
    shift_hours: dict[str, set] = field(default_factory=dict)
    lateness: np.ndarray = field(default_factory=lambda: np.zeros(0))
    materials: list[str] = field(default_factory=list)
    performance: np.ndarray = field(default_factory=lambda: np.zeros(0))
    setup_overrun: np.ndarray = field(default_factory=lambda: np.zeros(0))
    scrap: tuple[int, int] = (0, 0)  # (scrapped units, planned units)
    scrap_shares: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per executed operation
    deviation: tuple[int, int, int] = (0, 0, 0)  # (deviations, opportunities, other moves)
    warnings: list[str] = field(default_factory=list)


def _hours(a: datetime, b: datetime) -> float:
    return hours_between(a, b)


def _breakdowns(events: Events, obs: Observations) -> None:
    for res, windows in events.windows.items():
        tbf_obs, tbf_cens, ttr_obs, ttr_cens, total = [], [], [], [], 0.0
        for w in windows:
            meter = 0.0
            for b in w.breakdowns:
                run_hours = required(b.run_hours, "the run_hours of a breakdown")
                tbf_obs.append(run_hours - meter)
                meter = run_hours
                if b.end is None:
                    ttr_cens.append(_hours(b.start, w.end))
                else:
                    ttr_obs.append(_hours(b.start, b.end))
            tbf_cens.append(w.run_hours - meter)
            total += w.run_hours
        obs.tbf[res] = Sample(np.array(tbf_obs), np.array([c for c in tbf_cens if c > 0]))
        obs.ttr[res] = Sample(np.array(ttr_obs), np.array(ttr_cens))
        obs.exposure[res] = total
        scheduled = [w for w in windows if w.shifts is not None]
        if scheduled:
            absent = sum(len(w.absences) for w in scheduled)
            obs.absences[res] = (absent, sum(required(w.shifts, "shifts") for w in scheduled))
            obs.shift_hours[res] = {round(_hours(a.start, required(a.end, "the end of an absence")), 6)
                                    for w in scheduled for a in w.absences}


def _realized(actuals: Actuals, origin: datetime) -> dict[str, Realized]:
    done: dict[str, Realized] = {}
    for r in actuals.records:
        if r.operation is None:
            continue
        agg = done.setdefault(r.operation, Realized())
        if r.quantity > 0 and r.start is not None:
            s = r.start if not isinstance(r.start, datetime) else _hours(origin, r.start)
            e = _hours(origin, r.end) if isinstance(r.end, datetime) else required(r.end, "the end of a run")
            agg.start, agg.end = min(agg.start, s), max(agg.end, e)
            agg.good += r.quantity
            agg.setup = None if agg.setup is None or r.setup_hours is None else agg.setup + r.setup_hours
            agg.run = None if agg.run is None or r.run_hours is None else agg.run + r.run_hours
    return done


def _operations(history: PlanHistory, done: dict[str, Realized], obs: Observations) -> None:
    latest: dict[str, Operation] = {op.id: op for plan in history.versions for op in plan.operations}
    perf, setup, scrapped, units, shares = [], [], 0, 0, []
    missing = 0
    for oid, real in done.items():
        op = latest.get(oid)
        if op is None or real.good <= 0:
            continue
        planned_units = int(math.floor(op.quantity))
        units += planned_units
        short = int(min(max(planned_units - math.floor(real.good + 1e-9), 0), planned_units))
        scrapped += short
        if planned_units:
            shares.append(short / planned_units)
        work = max(work_content(op) - op.setup_hours, 0.0)
        if real.run is None or real.setup is None:
            missing += 1
            continue
        if work > 0 and real.run > 0:
            perf.append(work / real.run)
        if op.setup_hours > 0 and real.setup > 0:
            setup.append(real.setup / op.setup_hours)
    obs.performance, obs.setup_overrun = np.array(perf), np.array(setup)
    obs.scrap = (scrapped, units)
    obs.scrap_shares = np.array(shares)
    if missing:
        obs.warnings.append(f"{missing} executed operation(s) have no setup_hours/run_hours in the "
                            "actuals: they do not count for performance and setup overrun")


def _due(plan: Plan, origin: datetime) -> dict[str, float]:
    """Planned availability of each material lot of a plan (as the simulator compiles it)."""
    due: dict[str, float] = {}
    for op in plan.operations:
        for m in op.materials:
            due[m] = min(due.get(m, math.inf), _hours(origin, plan.horizon.start) + plan.hours(op.start))
    for material in plan.materials or []:
        if material.available_at is not None and material.id in due:
            due[material.id] = _hours(origin, plan.horizon.start) + plan.hours(material.available_at)
    return due


def _replay(plan: Plan, mine: list[int], done: dict[str, Realized], arrival, t: float, window: int,
            rule: str) -> tuple[int, int, int]:
    """Deviations, opportunities and unexplained moves of one resource's decisions."""
    ops, index = plan.operations, plan.operation_index

    def ended(oid: str) -> float:
        real = done.get(oid)
        return real.end if real is not None and real.good > 0 else math.inf

    def ready(i: int, t: float) -> bool:
        return all(ended(p) <= t for p in ops[i].after if p in index) and \
            all(arrival(m) <= t for m in ops[i].materials)

    started = sorted((done[ops[i].id].start, k, i) for k, i in enumerate(mine)
                     if ops[i].id in done and done[ops[i].id].good > 0)
    pending, last = list(mine), None
    dev = opp = other = 0
    for _, _, taken in started:
        head = pending[0]
        cand = [i for i in pending[:window] if ready(i, t)]
        pick = None
        if rule == "same_family":
            pick = next((i for i in cand if last is not None and ops[i].family == last), None)
        elif cand:
            pick = min(cand, key=lambda i: max(work_content(ops[i]) - ops[i].setup_hours, 0.0))
        if pick is not None and pick != head:
            opp += 1
            dev += taken == pick
            other += taken not in (pick, head)
        elif taken != head:
            other += 1
        pending.remove(taken)
        t, last = done[ops[taken].id].end, ops[taken].family
    return dev, opp, other


def _deviations(history: PlanHistory, done: dict[str, Realized], arrivals: dict[str, list],
                origin: datetime, window: int, rule: str) -> tuple[int, int, int]:
    totals = np.zeros(3, np.int64)
    versions = history.versions
    for v, plan in enumerate(versions):
        t0 = _hours(origin, plan.horizon.start)
        pub = _hours(origin, plan.published_at)
        until = _hours(origin, versions[v + 1].published_at) if v + 1 < len(versions) else math.inf
        due = _due(plan, origin)

        def arrival(m: str, due=due) -> float:
            return next((a for d, a in arrivals.get(m, []) if abs(d - due[m]) < 1e-3), due[m])

        for seq in plan.sequences.values():
            mine = [i for i in seq if pub - 1e-9 <= t0 + plan.hours(plan.operations[i].start) < until]
            totals += _replay(plan, mine, done, arrival, max(t0, pub), window, rule)
    return int(totals[0]), int(totals[1]), int(totals[2])


def observe(history: PlanHistory, actuals: Actuals, events: Events | None, *, window: int = 3,
            rule: str = "same_family") -> Observations:
    """Collect the samples and counts of every premise (module docstring)."""
    obs = Observations()
    origin = history.origin
    if events is not None:
        _breakdowns(events, obs)
        late = [(required(e.material, "material"), _hours(origin, e.start),
                 _hours(e.start, required(e.end, "the end of a material event"))) for e in events.materials]
        obs.lateness = np.array([d for _, _, d in late])
        obs.materials = list(dict.fromkeys(m for m, _, _ in late))
    done = _realized(actuals, origin)
    _operations(history, done, obs)
    arrivals: dict[str, list] = {}
    if events is not None:
        for e in events.materials:
            arrivals.setdefault(required(e.material, "material"), []).append(
                (_hours(origin, e.start), _hours(origin, required(e.end, "the end of a material event"))))
    obs.deviation = _deviations(history, done, arrivals, origin, window, rule)
    return obs
