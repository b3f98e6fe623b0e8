"""A plan as the checks and the repair see it: times in hours, working time per resource."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from riskengine.model.calendar import (
    MAX_CALENDAR_HOURS,
    WEEK_HOURS,
    effective_calendar,
    work_content,
    working_intervals,
)
from riskengine.model.plan import Plan

#: Times closer than this (hours, 3.6 ms) are equal: no finding hangs on rounding.
TOL = 1e-6


@dataclass
class PlanView:
    """Planned times in hours from the horizon start, work contents and working intervals.

    Attributes
    ----------
    plan
        The validated plan.
    start, end, work
        Per operation (plan order): planned start and end in hours, and work
        content in working hours (setup included).
    calendared
        Resources with a calendar (the others always work).
    arrivals
        Planned arrival (hours) of each declared material that has one.
    """

    plan: Plan
    start: list[float]
    end: list[float]
    work: list[float]
    calendared: set[str]
    arrivals: dict[str, float]
    until: float = 0.0
    since: float = 0.0
    _intervals: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    _reach: dict[str, float] = field(default_factory=dict)

    @classmethod
    def of(cls, plan: Plan) -> PlanView:
        start = [plan.hours(op.start) for op in plan.operations]
        end = [plan.hours(op.end) for op in plan.operations]
        arrivals = {m.id: plan.hours(m.available_at) for m in plan.materials or []
                    if m.available_at is not None}
        calendared = {r.id for r in plan.resources if effective_calendar(plan, r.id) is not None}
        view = cls(plan, start, end, [work_content(op) for op in plan.operations], calendared, arrivals)
        # calendars are laid out from a year before the horizon at most, over a bounded span:
        # operations planned beyond (they also get horizon warnings) see no working time
        view.since = max(min(0.0, min(start)) - plan.bucket_hours, -52 * WEEK_HOURS)
        view.until = min(max(plan.horizon_hours, max(end)) + WEEK_HOURS,
                         view.since + 0.5 * MAX_CALENDAR_HOURS)
        return view

    def intervals(self, resource: str) -> tuple[np.ndarray, np.ndarray]:
        """Starts and ends (contiguous float arrays) of the resource's working intervals."""
        if resource not in self._intervals:
            iv = working_intervals(self.plan, resource, until_hours=self.until, from_hours=self.since)
            self._intervals[resource] = (np.ascontiguousarray(iv[:, 0]), np.ascontiguousarray(iv[:, 1]))
            self._reach[resource] = self.until
        return self._intervals[resource]

    def extend(self, resource: str, until_hours: float) -> bool:
        """Lay out the resource's calendar further (for the repair); False when it cannot go further."""
        until_hours = min(until_hours, self.since + 0.9 * MAX_CALENDAR_HOURS)
        if resource not in self.calendared or until_hours <= self._reach.get(resource, self.until):
            return False
        iv = working_intervals(self.plan, resource, until_hours=until_hours, from_hours=self.since)
        self._intervals[resource] = (np.ascontiguousarray(iv[:, 0]), np.ascontiguousarray(iv[:, 1]))
        self._reach[resource] = until_hours
        return True

    def id(self, i: int) -> str:
        return self.plan.operations[i].id

    def instant(self, hours: float) -> datetime:
        """The instant ``hours`` after the horizon start, to the µs (whole seconds when within 1 ms)."""
        us = round(hours * 3.6e9)
        whole = round(us / 1e6) * 1_000_000
        if abs(us - whole) <= 1000:
            us = whole
        return self.plan.horizon.start + timedelta(microseconds=us)

    def clock(self, hours: float) -> str:
        """A readable time in the horizon start's offset, e.g. ``Mon 16 Nov 06:00``."""
        if not math.isfinite(hours):
            return "never"
        return self.instant(hours).strftime("%a %d %b %H:%M")

    def window(self, i: int) -> str:
        """``Mon 16 Nov 06:00-08:00`` (the end's date only when it differs)."""
        a, b = self.clock(self.start[i]), self.clock(self.end[i])
        return f"{a}-{b[-5:] if a[:10] == b[:10] else b}"

    def bucket(self, hours: float) -> int:
        return math.floor(hours / self.plan.bucket_hours + 1e-9)


def hours_text(h: float) -> str:
    """``2.5 h`` / ``15 min`` for messages."""
    if 0 < abs(h) < 1:
        return f"{h * 60:.3g} min"
    return f"{h:.4g} h"
