"""The realized state at the as-of time: from actuals and events to the kernel's ``Initial`` record.

A forecast at T simulates nothing before T (docs/design.md section 3, forecast). What
happened before T comes from the actuals, read as they stood at T:

- a record that ended by T is realized; one that started before T and has no end, or ends
  after T, is in progress at T (its end is not known then); one that starts at or after T
  is not known yet. So the whole week's actuals forecast any as-of time of the week.
- An operation of the executed plan is *done* when its records before T all ended (its
  start, end, good units and recorded cause are those of a measurement: earliest start,
  latest end, units summed) and *in progress* when one of them has not ended, or when it
  has records after T too (a split run stopped at T). A record of 0 units states that an
  operation was not executed: known from its end, or from the operation's planned end when
  it has no times. Everything else is *pending*.
- An operation in progress has done the working time between its start and T that no
  repair or absent crew took (the calendar's working intervals, its records' spans).
- Each resource keeps its last operation and its decisions so far; a lot due before T
  with no event arrived; the crew of the shift under way at T was present unless an
  event says it is absent.

The events (:mod:`riskengine.live.events`) add the resources down, the lots with a
known arrival and the crews known absent. Buckets that ended by T keep the realized counts
of the measurement of the actuals up to T (:func:`riskengine.adherence.measure.measure`,
against the plan in effect per bucket); its operations whose verdict is settled at T (done,
or past their deadline, or no longer in the executed plan) are taken from it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import numpy as np

from riskengine.adherence.arrays import COUNT_NAMES, N_COUNTS
from riskengine.adherence.documents import OperationOutcome
from riskengine.adherence.measure import measure
from riskengine.adherence.result import Measurement
from riskengine.errors import InputError, Problem
from riskengine.live.events import Known, KnownEvents
from riskengine.live.reduce import kept, n_buckets, planned_buckets, reduced_plan
from riskengine.live.resources import arrivals_at, resources_at
from riskengine.model.actuals import ACTUALS_FORMAT, Actuals, PlanHistory, Record
from riskengine.model.common import CAUSES
from riskengine.model.plan import Plan
from riskengine.model.premises import Premises
from riskengine.model.setup import required_setup
from riskengine.plugins import compile_with_plugins
from riskengine.simulation.codes import Realized
from riskengine.simulation.compile import DAY_HOURS, Compiled, planned_changeovers
from riskengine.simulation.records import Initial

PENDING, DONE, RUNNING = (int(x) for x in Realized)  # plain ints: an IntEnum member is slow in loops


@dataclass
class _Op:
    """What the actuals say of one operation at T (hours from the horizon start)."""

    start: float = math.inf
    end: float = -math.inf
    good: float = 0.0
    cause: str | None = None
    open: bool = False  # a record started before T and has not ended by T
    later: bool = False  # a record starts at or after T
    not_executed: bool = False  # a record of 0 units known at T
    spans: list[tuple[float, float]] = field(default_factory=list)  # its records' time before T
    realized: bool = False  # a record with units ended by T


@dataclass
class State:
    """The state a forecast starts from, and what it knows about the realized part."""

    history: PlanHistory  # the plan versions
    executed: Plan  # the plan in effect at T: the one executed
    plan: Plan  # what the replications simulate of it (riskengine.live.reduce)
    compiled: Compiled  # its compiled model, with the Initial record and the realized bands
    initial: Initial
    as_of: datetime
    realized: Measurement  # the measurement of the actuals up to T
    closed: int  # buckets that ended by T
    settled_ops: list[OperationOutcome]  # the measurement's operations taken as they are
    summary: dict  # what the state holds, for the result (ForecastState)
    warnings: list[str]


def _check_versions(history: PlanHistory) -> None:
    first = history.versions[0]
    problems = []
    for k, p in enumerate(history.versions[1:], 1):
        if p.horizon.start != first.horizon.start or p.horizon.end != first.horizon.end:
            problems.append(Problem(f"plans[{k}].horizon", f"{p.id} covers another horizon than {first.id}: "
                                    "a forecast consolidates the versions of one horizon"))
        if p.bucket_hours != first.bucket_hours:
            problems.append(Problem(f"plans[{k}].bucket_hours", f"{p.bucket_hours:g} h, {first.id} has "
                                    f"{first.bucket_hours:g} h: a forecast needs one bucket size"))
    if problems:
        raise InputError(problems)


def _hours(plan: Plan, t: datetime | float | None) -> float | None:
    if t is None:
        return None
    return float(t) if not isinstance(t, datetime) else plan.hours(t)


def _operations_at(plan: Plan, history: PlanHistory, actuals: Actuals | None,
                   t: float) -> tuple[dict[str, _Op], list[Record]]:
    """Per operation id what its records say at T, and the records known at T (for the measurement)."""
    planned_end = {op.id: plan.hours(op.end) for p in reversed(history.versions) for op in p.operations}
    ops: dict[str, _Op] = {}
    known: list[Record] = []
    for r in actuals.records if actuals is not None else []:
        s, e = _hours(plan, r.start), _hours(plan, r.end)
        op = ops.setdefault(r.operation, _Op()) if r.operation is not None else _Op()
        if r.quantity > 0 and s is not None and e is not None and e <= t:  # (both required then)
            known.append(r)
            op.realized = True
            op.start, op.end, op.good = min(op.start, s), max(op.end, e), op.good + r.quantity
            op.spans.append((s, e))
            op.cause = op.cause or r.cause
        elif s is not None and s >= t:
            op.later = True
        elif s is not None and (e is None or e > t):  # its end and cause are not known at T
            op.open = True
            op.start = min(op.start, s)
            op.spans.append((s, t))
        elif r.quantity == 0 and (e if e is not None else planned_end.get(r.operation or "", math.inf)) <= t:
            known.append(r)
            op.not_executed = True
            op.cause = op.cause or r.cause
    return ops, known


def _classify(plan: Plan, ops: dict[str, _Op], warnings: list[str]) -> np.ndarray:
    """Realized state of each operation of the executed plan (at most one in progress per resource)."""
    n = len(plan.operations)
    state = np.full(n, PENDING, np.int64)
    running: dict[str, list[int]] = {}
    for i, op in enumerate(plan.operations):
        a = ops.get(op.id)
        if a is None:
            continue
        if a.open or (a.realized and a.later):
            state[i] = RUNNING
            running.setdefault(op.resource, []).append(i)
        elif a.realized or (a.not_executed and not a.later):
            state[i] = DONE
    problems = []
    for rid, members in running.items():
        open_ = [i for i in members if ops[plan.operations[i].id].open]
        if len(open_) > 1:
            names = ", ".join(plan.operations[i].id for i in open_)
            problems.append(Problem("actuals", f"{rid} has {len(open_)} operations in progress at the as-of "
                                    f"time ({names}): a resource runs one at a time"))
        keep = open_[0] if open_ else max(members, key=lambda i: ops[plan.operations[i].id].start)
        for i in members:
            if i != keep:
                state[i] = DONE
                warnings.append(f"{plan.operations[i].id} was stopped before the as-of time while "
                                f"{plan.operations[keep].id} runs on {rid}: taken as done with its units "
                                "so far")
    if problems:
        raise InputError(problems)
    return state


def _closed(plan: Plan, t: float) -> int:
    """Buckets that ended by T (their windows (start, end] all at or before T)."""
    return int(min(n_buckets(plan), max(0, math.floor(t / plan.bucket_hours + 1e-9))))


def _realized_buckets(c: Compiled, realized: Measurement, closed: int) -> tuple[np.ndarray, np.ndarray]:
    """The closed buckets' realized counts, and every bucket's band (the closed ones' as measured:
    against the plan in effect at their start)."""
    rows: list[dict] = [dict(realized.buckets[b]) for b in range(closed)]
    counts = np.array([[float(row[name] or 0.0) for name in COUNT_NAMES] for row in rows],
                      np.float64).reshape(closed, N_COUNTS)
    labels = {band["band"]: k for k, band in enumerate(realized.bands)}
    bands = c.band_of_bucket.copy()
    for b in range(closed):
        bands[b] = labels[realized.buckets[b]["band"]]
    return counts, bands


def _settled(plan: Plan, bucket: np.ndarray, realized: Measurement, state: np.ndarray, closed: int, t: float,
             tolerance: float) -> tuple[np.ndarray, list[OperationOutcome]]:
    """Which operations of the executed plan the measurement judges (planned in a closed bucket and
    done, past their deadline, or not measured there), and the measured operations taken as they are
    (all of the closed buckets but those still running their course in the replications)."""
    measured = {(o["id"], o["bucket"]) for o in realized.operations}
    settled = np.zeros(len(plan.operations), np.bool_)
    simulated = set()
    for i, op in enumerate(plan.operations):
        b = int(bucket[i])
        if not 0 <= b < closed:
            continue
        deadline = (b + 1) * plan.bucket_hours + tolerance
        if state[i] == DONE or deadline <= t or (op.id, b) not in measured:
            settled[i] = True
        else:
            simulated.add((op.id, b))
    taken = [o for o in realized.operations
             if o["bucket"] < closed and (o["id"], o["bucket"]) not in simulated]
    return settled, taken


def _extra(plan: Plan, known: list[Record], state: np.ndarray, closed: int, t: float,
           n_products: int) -> np.ndarray:
    """Units that records completed in the as-of bucket before T without an operation of the
    executed plan that holds them (unplanned runs, operations of other versions); the last entry:
    products the plan does not make. Empty when there are none."""
    extra = np.zeros(n_products + 1)
    products = {p: k for k, p in enumerate(dict.fromkeys(op.product for op in plan.operations))}
    lo, hi = closed * plan.bucket_hours, (closed + 1) * plan.bucket_hours
    for r in known:
        end = _hours(plan, r.end)
        i = plan.operation_index.get(r.operation) if r.operation is not None else None
        if r.quantity > 0 and end is not None and lo < end <= min(hi, t) and (
                i is None or state[i] == PENDING):
            extra[products.get(r.product or "", n_products)] += r.quantity
    return extra if extra.any() else np.zeros(0)


def _order(plan: Plan, ops: dict[str, _Op], state: np.ndarray) -> np.ndarray:
    """The operations started before T in actual start order, ties by planned position."""
    positions = plan.planned_positions()
    started = [i for i, op in enumerate(plan.operations)
               if state[i] != PENDING and math.isfinite(ops[op.id].start)]
    started.sort(key=lambda i: (ops[plan.operations[i].id].start, positions[i]))
    return np.array(started, np.int64)


def _per_operation(plan: Plan, ops: dict[str, _Op]) -> dict[str, np.ndarray]:
    """The records' start, end, good units and recorded cause of every operation of the plan."""
    n = len(plan.operations)
    out = {"start": np.full(n, np.inf), "end": np.full(n, np.inf), "good": np.zeros(n),
           "cause": np.full(n, -1, np.int64)}
    for i, op in enumerate(plan.operations):
        a = ops.get(op.id)
        if a is None:
            continue
        out["start"][i] = a.start
        out["end"][i] = a.end if a.realized else math.inf
        out["good"][i] = a.good
        out["cause"][i] = CAUSES.index(a.cause) if a.cause else -1
    return out


#: A realized start this soon after the end of the operation that held it was held by it (handling time).
HELD_WITHIN = 0.25


def _carried(plan: Plan, per_op: dict[str, np.ndarray], state: np.ndarray, order: np.ndarray) -> None:
    """The cause each realized delay carries on, where none was recorded: the operations started
    before T, in start order, as the simulation infers causes (docs/design.md section 3). A late
    start that began when the operation holding it ended (the previous one on its resource or a
    routing predecessor, whichever ended last, past its planned start, within :data:`HELD_WITHIN`
    hours) carries that operation's cause, ``planning`` when that one was itself on time (the plan
    did not leave it room); any other unrecorded delay is ``unknown``."""
    from riskengine.simulation.codes import Cause

    start, end, cause = per_op["start"], per_op["end"], per_op["cause"]
    last_on: dict[str, int] = {}
    for i in order:
        op = plan.operations[i]
        held = [last_on[op.resource]] if op.resource in last_on else []
        held += [plan.operation_index[p] for p in op.after
                 if state[plan.operation_index[p]] == DONE]
        last_on[op.resource] = int(i)
        planned_start, planned_end = plan.hours(op.start), plan.hours(op.end)
        if cause[i] >= 0 or not start[i] > planned_start:
            continue
        by = max(held, key=lambda j: end[j], default=None)
        if by is None or not planned_start < end[by] <= start[i] + 1e-9 or start[i] - end[by] > HELD_WITHIN:
            cause[i] = Cause.UNKNOWN if (end[i] > planned_end or state[i] == RUNNING) else -1
            continue
        late = end[by] > plan.hours(plan.operations[by].end)
        cause[i] = (cause[by] if cause[by] >= 0 else Cause.UNKNOWN) if late else Cause.PLANNING


def build_state(history: PlanHistory, premises: Premises, as_of: datetime, actuals: Actuals | None,
                events: KnownEvents | None) -> State:
    """The state a forecast at ``as_of`` starts from (module docstring), with the model of what its
    replications simulate (the plan in effect, reduced: :mod:`riskengine.live.reduce`)."""
    _check_versions(history)
    full = history.versions[history.in_effect(as_of)]
    t = full.hours(as_of)
    if t < 0:
        raise InputError(Problem("as_of", f"{as_of.isoformat()} is before the horizon start "
                                 f"{full.horizon.start.isoformat()}"))
    warnings: list[str] = []
    events = _known_at(full, events or KnownEvents(), t, warnings)
    ops, known = _operations_at(full, history, actuals, t)
    state_full = _classify(full, ops, warnings)
    rules = premises.rules()
    realized = measure(history, Actuals.model_construct(format=ACTUALS_FORMAT, records=known), rules)
    closed = _closed(full, t)
    settled_full, taken = _settled(full, planned_buckets(full), realized, state_full, closed, t,
                                   rules.lateness_tolerance_hours)
    per_op = _per_operation(full, ops)  # the causes carried along the whole realized chain
    _carried(full, per_op, state_full, _order(full, ops, state_full))
    keep = kept(full, state_full, planned_buckets(full), closed, _last_started(full, ops, state_full))
    plan = reduced_plan(full, keep, state_full)
    compiled = compile_with_plugins(plan, premises)
    state, per_op = state_full[keep], {k: v[keep] for k, v in per_op.items()}
    counts, bands = _realized_buckets(compiled, realized, closed)
    res = resources_at(plan, compiled, events, premises, state, ops, t, warnings)
    order = _order(plan, ops, state)
    initial = Initial(
        True, t, int(order.shape[0]), closed, _miss_day(history, full, taken), state, per_op["start"],
        per_op["end"], per_op["good"], per_op["cause"], res["done_work"], res["lost_repair"],
        res["lost_absence"], _running_changeovers(full, ops, state_full)[keep], settled_full[keep], order,
        res["free"], res["down_since"], res["previous"], res["decisions"], res["known_shifts"],
        arrivals_at(plan, compiled, events, t), counts,
        _extra(plan, known, state, closed, t, compiled.n_products))
    # the plan's own changeovers are those of its whole sequences (the reduced plan's may skip operations)
    c = replace(compiled, band_of_bucket=bands, initial=initial,
                op_changeover=planned_changeovers(full)[keep])
    summary = _summary(plan, events, initial, t) | {
        "done": int(np.count_nonzero(state_full == DONE))}
    return State(history, full, plan, c, initial, as_of, realized, closed, taken, summary, warnings)


def _miss_day(history: PlanHistory, plan: Plan, taken: list[OperationOutcome]) -> int:
    """The day (from 0) of the planned end of the first realized miss the measurement settled, -1
    without one: the plan no longer holds from that day on (simulation/initial.py ``realized_misses``)."""
    versions = {p.id: p for p in history.versions}
    days = []
    for o in taken:
        if not o["hit"]:
            version = versions[o["plan"]]
            end = plan.hours(version.operations[version.operation_index[o["id"]]].end)
            days.append(max(0, math.ceil(end / DAY_HOURS - 1e-9) - 1))
    return min(days, default=-1)


def _running_changeovers(plan: Plan, ops: dict[str, _Op], state: np.ndarray) -> np.ndarray:
    """Per operation in progress at T, the setup the plan's matrix requires after the operation its
    resource started before it (:func:`riskengine.model.setup.required_setup`; 0 for the others)."""
    positions = plan.planned_positions()
    out = np.zeros(len(plan.operations))
    for i, op in enumerate(plan.operations):
        if state[i] != RUNNING:
            continue
        begin = (ops[op.id].start, positions[i])
        before = [j for j in plan.sequences[op.resource] if j != i and state[j] != PENDING
                  and math.isfinite(ops[plan.operations[j].id].start)
                  and (ops[plan.operations[j].id].start, positions[j]) < begin]
        if before:
            j = max(before, key=lambda j: (ops[plan.operations[j].id].start, positions[j]))
            out[i] = required_setup(plan, plan.operations[j].family, op.family)
    return out


def _last_started(plan: Plan, ops: dict[str, _Op], state: np.ndarray) -> set[int]:
    """Each resource's last operation started before T (in progress, else the latest start)."""
    positions = plan.planned_positions()
    last: dict[str, int] = {}
    for i, op in enumerate(plan.operations):
        if state[i] == PENDING or not math.isfinite(ops[op.id].start):
            continue
        j = last.get(op.resource)
        if j is None or state[j] != RUNNING and (
                state[i] == RUNNING
                or (ops[op.id].start, positions[i]) > (ops[plan.operations[j].id].start, positions[j])):
            last[op.resource] = i
    return set(last.values())


def _known_at(plan: Plan, events: KnownEvents, t: float, warnings: list[str]) -> KnownEvents:
    """The events without the breakdowns and absences that start after T (not known then: left
    out, said once)."""
    def now(es: list[Known]) -> list[Known]:
        return [e for e in es if plan.hours(e.start) <= t]

    known = KnownEvents(now(events.breakdowns), list(events.materials), now(events.absences))
    later = len(events.breakdowns) + len(events.absences) - len(known.breakdowns) - len(known.absences)
    if later:
        warnings.append(f"{later} breakdown or absence event(s) start after the as-of time: not known "
                        "then, left out")
    return known


def _summary(plan: Plan, events: KnownEvents, initial: Initial, t: float) -> dict:
    """What the forecast starts from, for people (:class:`~riskengine.live.result.ForecastState`)."""
    def at(hours: float) -> str:
        return (plan.horizon.start + timedelta(hours=float(hours))).isoformat()

    state = initial.state
    running = [{"id": op.id, "resource": op.resource, "start": at(initial.start[i]),
                "done_hours": float(initial.done_work[i])}
               for i, op in enumerate(plan.operations) if state[i] == RUNNING]
    down = [{"resource": res.id, "since": at(initial.down_since[r]),
             "hours_so_far": float(t - initial.down_since[r])}
            for r, res in enumerate(plan.resources) if not math.isnan(initial.down_since[r])]
    absent = [{"resource": res.id, "until": at(initial.free[r])}
              for r, res in enumerate(plan.resources) if initial.free[r] > t]
    lots = [{"material": e.name, "due": e.start.isoformat(), "arrival": e.until.isoformat()}
            for e in sorted(events.materials, key=lambda e: (e.until, e.name)) if plan.hours(e.until) > t]
    return {"as_of": at(t), "plan": plan.id, "closed_buckets": initial.closed,
            "done": int(np.count_nonzero(state == DONE)), "in_progress": running,
            "pending": int(np.count_nonzero(state == PENDING)), "down": down, "late_lots": lots,
            "absent": absent}
