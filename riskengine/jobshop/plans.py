"""A job-shop schedule as a plan (``riskengine.plan/1``).

Mapping: machine ``i`` is resource ``M{i}``; job ``j`` is order and product
``J{j}``; operation k of job j is ``J{j}-{k}`` (quantity 1) on its machine,
planned from its scheduled start to its end, with ``after`` = the job's
previous operation (the routing). One time unit of the instance is
``unit_hours`` hours (default 1), counted from the horizon ``start``
(default Monday 2027-01-04 00:00 UTC).

Without a ``calendar`` the machines work around the clock and the plan is
the schedule scaled by ``unit_hours``; its horizon ends at the makespan. With
a calendar (a :class:`~riskengine.model.calendar.Calendar` document, e.g.
two shifts Monday to Friday) the schedule is read in *working* time and laid
onto the calendar: an operation whose work starts at working time W_s starts
at the first working instant after W_s hours of working time, and ends when
its ``work_hours`` = p x ``unit_hours`` are done, skipping non-working time
(:func:`~riskengine.model.calendar.finish_time`). All machines share the
calendar, so the mapping is monotone and the plan stays feasible; the
horizon ends at the last planned end.

With zero variability every operation then starts at its planned start
(the later of the job's and the machine's previous end, which the schedule
respects) and the simulated finish equals the planned makespan.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from riskengine.jobshop.instance import Schedule
from riskengine.model.plan import PLAN_FORMAT, parse_plan

DEFAULT_START = "2027-01-04T00:00:00+00:00"


def _clock(schedule: Schedule, unit_hours: float, origin: datetime, calendar: dict | None):
    """Planned (start, end, work_hours) per (job, op) in hours from ``origin``."""
    starts, durations = schedule.starts, schedule.instance.durations
    n, m = starts.shape
    if calendar is None:
        return {(j, k): (int(starts[j, k]) * unit_hours, int(starts[j, k] + durations[j, k]) * unit_hours,
                         None) for j in range(n) for k in range(m)}
    from riskengine.model.calendar import finish_time, next_working, working_intervals

    probe = parse_plan({"format": PLAN_FORMAT, "id": "calendar-probe",
                        "horizon": {"start": origin.isoformat(), "end": 1.0},
                        "resources": [{"id": "M"}], "calendars": {"default": calendar},
                        "operations": [{"id": "o", "product": "p", "resource": "M", "quantity": 1,
                                        "start": 0, "end": 1}]}, "calendar")
    work = schedule.makespan * unit_hours
    until = 4.0 * work + 24 * 7 * 4
    while True:  # lay out enough calendar to hold the whole schedule
        iv = working_intervals(probe, "M", until_hours=until)
        s, e = iv[:, 0].copy(), iv[:, 1].copy()
        if len(s) and finish_time(s, e, 0.0, work) < until:
            break
        if len(s) == 0 or until > 1e6:
            raise ValueError("the calendar has too little working time for the schedule")
        until *= 4
    out = {}
    for j in range(n):
        for k in range(m):
            w_s, p = int(starts[j, k]) * unit_hours, int(durations[j, k]) * unit_hours
            t = next_working(s, e, finish_time(s, e, 0.0, w_s) if w_s > 0 else 0.0)
            out[j, k] = (t, finish_time(s, e, t, p), p)
    return out


def schedule_plan(schedule: Schedule, *, unit_hours: float = 1.0, start: str = DEFAULT_START,
                  bucket_hours: float = 8.0, calendar: dict | None = None, plan_id: str | None = None,
                  published_at: str | None = None) -> dict:
    """The plan document of a schedule (validate it with :func:`riskengine.parse_plan`).

    Parameters
    ----------
    schedule
        A feasible schedule (:mod:`~riskengine.jobshop.rules`, :mod:`~riskengine.jobshop.solver`).
    unit_hours
        Hours per time unit of the instance (1/60: minutes).
    start
        Horizon start, ISO 8601 with offset.
    bucket_hours
        The plan's bucket size for adherence.
    calendar
        Working time shared by all machines (``None``: around the clock).
    plan_id
        Default ``{instance}-{method}``.
    """
    if not unit_hours > 0:
        raise ValueError("unit_hours must be > 0")
    problems = schedule.problems()
    if problems:
        raise ValueError(f"infeasible schedule: {problems[0]}")
    inst = schedule.instance
    origin = datetime.fromisoformat(start)
    times = _clock(schedule, unit_hours, origin, calendar)

    def iso(hours: float) -> str:
        return (origin + timedelta(hours=hours)).isoformat()

    operations = []
    n, m = schedule.starts.shape
    for j in range(n):
        for k in range(m):
            s, e, work = times[j, k]
            op = {"id": f"J{j}-{k}", "order": f"J{j}", "product": f"J{j}",
                  "resource": f"M{int(inst.machines[j, k])}", "quantity": 1,
                  "start": iso(s), "end": iso(e), "after": [f"J{j}-{k - 1}"] if k else []}
            if work is not None:
                op["work_hours"] = work
            operations.append(op)
    operations.sort(key=lambda o: (o["start"], o["id"]))
    end = max(e for _, e, _ in times.values())
    doc = {"format": PLAN_FORMAT, "id": plan_id or f"{inst.name}-{schedule.method}",
           "published_at": published_at or start,
           "horizon": {"start": start, "end": iso(end)}, "bucket_hours": bucket_hours,
           "resources": [{"id": f"M{i}"} for i in range(inst.n_machines)], "operations": operations,
           "meta": None}
    doc.pop("meta")
    if calendar is not None:
        doc["calendars"] = {"default": calendar}
    return doc


def planned_makespan_hours(plan_doc: dict) -> float:
    """Hours from the horizon start to the last planned end of a plan document."""
    origin = datetime.fromisoformat(plan_doc["horizon"]["start"])
    return max((datetime.fromisoformat(o["end"]) - origin).total_seconds() / 3600
               for o in plan_doc["operations"])
