"""Working time of resources: weekly shifts, breaks, non-working and extra working intervals.

A plan may carry ``calendars``: an object whose keys are ``"default"`` (every
resource) or a resource id, and whose values are calendars::

    "calendars": {
      "default": {
        "shifts": [{"days": ["mon-fri"], "start": "06:00", "end": "14:00", "name": "early"},
                   {"days": ["mon-fri"], "start": "14:00", "end": "22:00", "name": "late"},
                   {"days": ["mon-fri"], "start": "22:00", "end": "06:00", "name": "night"}],
        "breaks": [{"start": "10:00", "end": "10:30"}],
        "non_working": [{"start": "2026-12-25T00:00:00+00:00", "end": "2026-12-26T00:00:00+00:00",
                         "reason": "holiday"}]
      },
      "L2": {"non_working": [{"start": 26, "end": 30, "reason": "maintenance"}],
             "extra_working": [{"start": "2026-11-21T06:00:00+00:00", "end": 128, "reason": "overtime"}]}
    }

Rules:

- ``shifts`` and ``breaks`` are weekly patterns. ``days`` lists the days a
  shift *starts* on (``mon`` .. ``sun``, full names and ranges such as
  ``mon-fri`` accepted; default every day); ``start``/``end`` are clock times
  ``HH:MM[:SS]`` in the UTC offset of the horizon start (a fixed offset: no
  daylight saving). ``end`` at or before ``start`` crosses midnight;
  ``00:00``-``24:00`` is a whole day.
- ``non_working`` (holidays, planned maintenance) and ``extra_working``
  (overtime) are dated intervals ``[start, end)``, ISO 8601 with offset or
  hours from the horizon start, with an optional ``reason``.
- Working time = (shifts - breaks) + extra_working - non_working: a
  non-working interval always wins.
- Shifts omitted: around the clock (at the ``default`` level) or the default's
  shifts (in a resource's calendar); ``"shifts": []`` means no weekly working
  time at all. Breaks omitted: the default's breaks; ``"breaks": []``: none.
  A resource's ``non_working`` and ``extra_working`` are *added* to the
  default's (plant holidays apply to every line). No calendar at all (neither
  ``default`` nor the resource's own): the resource always works.

Operations run only in working time; an operation interrupted by
non-working time resumes after it and its work content is conserved.

:func:`finish_time`, :func:`next_working` and :func:`working_time` are plain
Python in numba-compatible style (float arrays, ints, loops, :mod:`math`,
``np.searchsorted``; each self-contained) so the simulator can wrap them with
``numba.njit`` unchanged; this module does not import numba.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Annotated

import numpy as np
from pydantic import Field, PlainValidator, WithJsonSchema, field_validator

from riskengine.errors import Problem
from riskengine.model.common import PlanTime, Strict, resolve_time

if TYPE_CHECKING:
    from datetime import datetime

    from riskengine.model.plan import Operation, Plan

DAY_NAMES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEK_HOURS = 168.0
#: How far past the horizon end working time is laid out by default (late work can still finish).
DEFAULT_MARGIN_HOURS = 4 * WEEK_HOURS
#: Longest span of weekly pattern laid out at once (about 60 years): keeps requests bounded.
MAX_CALENDAR_HOURS = 3200 * WEEK_HOURS
#: Longest horizon a plan with calendars may have.
MAX_CALENDAR_HORIZON_WEEKS = 3000
MAX_CALENDAR_ENTRIES = 10_000
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")


def parse_clock(value: object) -> str:
    """Validate a clock time ``HH:MM`` or ``HH:MM:SS`` (``24:00`` allowed) and normalize it."""
    m = _CLOCK.fullmatch(value.strip()) if isinstance(value, str) else None
    if m is None:
        raise ValueError("must be a clock time 'HH:MM' or 'HH:MM:SS', e.g. '06:00'")
    h, mi, s = int(m[1]), int(m[2]), int(m[3] or 0)
    if mi > 59 or s > 59 or h > 24 or (h == 24 and (mi or s)):
        raise ValueError("must be a clock time between 00:00 and 24:00")
    return f"{h:02d}:{mi:02d}" + (f":{s:02d}" if m[3] else "")


def clock_hours(text: str) -> float:
    """Hours after midnight of a validated clock time (``"10:30"`` -> 10.5)."""
    parts = [int(p) for p in text.split(":")]
    return parts[0] + parts[1] / 60.0 + (parts[2] / 3600.0 if len(parts) > 2 else 0.0)


def _day(name: str) -> int:
    key = name.strip().lower()
    if key in DAY_NAMES:
        return DAY_NAMES.index(key)
    if key in _FULL_NAMES:
        return _FULL_NAMES.index(key)
    raise ValueError(f"unknown day {name!r}; use mon, tue, wed, thu, fri, sat, sun or a range like mon-fri")


def parse_days(value: object) -> list[str]:
    """Validate a list of days (names or ranges ``mon-fri``; a single string is one item)."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ValueError("must be a non-empty list of days, e.g. ['mon-fri'] or ['sat', 'sun']")
    days: set[int] = set()
    for item in value:
        ends = item.split("-")
        if len(ends) == 1:
            days.add(_day(ends[0]))
        elif len(ends) == 2:
            d, last = _day(ends[0]), _day(ends[1])
            days.add(d)
            while d != last:  # ranges may wrap: fri-mon
                d = (d + 1) % 7
                days.add(d)
        else:
            raise ValueError(f"unknown day range {item!r}; write it like mon-fri")
    return [DAY_NAMES[d] for d in sorted(days)]


Clock = Annotated[str, PlainValidator(parse_clock),
                  WithJsonSchema({"type": "string", "pattern": r"^\d{1,2}:\d{2}(:\d{2})?$",
                                  "description": "clock time HH:MM[:SS] in the horizon start's offset"})]
Days = Annotated[list[str], PlainValidator(parse_days),
                 WithJsonSchema({"type": "array", "items": {"type": "string"}, "minItems": 1,
                                 "description": "mon..sun or ranges such as mon-fri"})]


class WeeklyInterval(Strict):
    """A shift or a break: on each of ``days``, from ``start`` to ``end`` (clock times).

    ``end`` at or before ``start`` crosses midnight into the next day.
    """

    days: Days = Field(default_factory=lambda: list(DAY_NAMES))
    """The days it starts on: mon .. sun, full names or ranges such as mon-fri; default every day."""
    start: Clock
    """Clock time HH:MM[:SS] in the offset of the horizon start."""
    end: Clock
    """Clock time; at or before start it ends the next day (00:00-24:00 is a whole day)."""
    name: str | None = None
    """A name (e.g. early, late, night)."""

    @field_validator("start")
    @classmethod
    def _before_midnight(cls, v: str) -> str:
        if clock_hours(v) >= 24:
            raise ValueError("must be before 24:00")
        return v

    @field_validator("end")
    @classmethod
    def _differs(cls, v: str, info) -> str:
        start = info.data.get("start")
        if start is not None and clock_hours(v) == clock_hours(start):
            raise ValueError(f"must differ from start {start} (00:00 to 24:00 is a whole day)")
        return v

    def span(self) -> tuple[float, float]:
        """Start and end in hours after the midnight of the starting day (end may pass 24)."""
        s, e = clock_hours(self.start), clock_hours(self.end)
        return s, (e if e > s else e + 24.0)


class DatedInterval(Strict):
    """A dated interval ``[start, end)``: a holiday, maintenance, or overtime."""

    start: PlanTime
    """Start: ISO 8601 with offset, or hours from the horizon start."""
    end: PlanTime
    """End (excluded): ISO 8601 with offset, or hours from the horizon start."""
    reason: str | None = None
    """Why (holiday, maintenance, overtime)."""


class Calendar(Strict):
    """Working time of a resource (see the module documentation for the rules)."""

    shifts: list[WeeklyInterval] | None = Field(default=None, max_length=MAX_CALENDAR_ENTRIES)
    """Weekly working shifts. Omitted: around the clock (default calendar) or the default's shifts
    (a resource's calendar); []: no weekly working time."""
    breaks: list[WeeklyInterval] | None = Field(default=None, max_length=MAX_CALENDAR_ENTRIES)
    """Weekly breaks taken out of the shifts. Omitted: the default's breaks; []: none."""
    non_working: list[DatedInterval] = Field(default_factory=list, max_length=MAX_CALENDAR_ENTRIES)
    """Dated non-working time (holidays, planned maintenance); always wins; a resource's are added to
    the default's."""
    extra_working: list[DatedInterval] = Field(default_factory=list, max_length=MAX_CALENDAR_ENTRIES)
    """Dated extra working time (overtime), added to the shifts."""


# -- validation (called by the plan) ------------------------------------------------------


def resolve_calendar_times(calendars: dict[str, Calendar] | None, origin: datetime) -> None:
    """Turn dated intervals given in hours from ``origin`` into aware datetimes (in place)."""
    for cal in (calendars or {}).values():
        for iv in (*cal.non_working, *cal.extra_working):
            iv.start = resolve_time(iv.start, origin)
            iv.end = resolve_time(iv.end, origin)


def calendar_problems(plan: Plan) -> list[Problem]:
    """Cross-reference checks of ``plan.calendars``: known resource ids, intervals that end after start."""
    problems: list[Problem] = []
    if not plan.calendars:
        return problems
    resources = set(plan.resource_index)
    for key, cal in plan.calendars.items():
        loc = f"calendars.{key}"
        if key != "default" and key not in resources:
            problems.append(Problem(loc, f"unknown resource {key!r} (keys are 'default' or resource ids)"))
        for field in ("non_working", "extra_working"):
            for i, iv in enumerate(getattr(cal, field)):
                if iv.end <= iv.start:
                    problems.append(Problem(f"{loc}.{field}[{i}].end",
                                            f"must be after start ({iv.start.isoformat()}), "
                                            f"got {iv.end.isoformat()}"))
    if plan.horizon_hours > MAX_CALENDAR_HORIZON_WEEKS * WEEK_HOURS:
        problems.append(Problem("horizon.end", "a plan with calendars may span at most "
                                f"{MAX_CALENDAR_HORIZON_WEEKS} weeks"))
    # the simulation lays calendars out until the last planned end (and a margin after it)
    last = max(range(len(plan.operations)), key=lambda i: plan.operations[i].end)
    if plan.hours(plan.operations[last].end) > MAX_CALENDAR_HORIZON_WEEKS * WEEK_HOURS:
        problems.append(Problem(f"operations[{last}].end", "in a plan with calendars an operation may end "
                                f"at most {MAX_CALENDAR_HORIZON_WEEKS} weeks after the horizon start, got "
                                f"{plan.operations[last].end.isoformat()}"))
    return problems


# -- interval sets ------------------------------------------------------------------------


def _union(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for s, e in sorted(intervals):
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def _subtract(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """``a`` minus ``b``; both sorted and disjoint."""
    out: list[tuple[float, float]] = []
    j = 0
    for s, e in a:
        while j < len(b) and b[j][1] <= s:
            j += 1
        k = j
        while k < len(b) and b[k][0] < e:
            if b[k][0] > s:
                out.append((s, b[k][0]))
            s = max(s, b[k][1])
            k += 1
        if s < e:
            out.append((s, e))
    return out


def effective_calendar(plan: Plan, resource_id: str) -> Calendar | None:
    """The calendar that applies to a resource: its own merged over ``default``; None = always working."""
    cals = plan.calendars or {}
    base, own = cals.get("default"), cals.get(resource_id)
    if own is None or base is None:
        return own if base is None else base
    return Calendar.model_construct(
        shifts=own.shifts if own.shifts is not None else base.shifts,
        breaks=own.breaks if own.breaks is not None else base.breaks,
        non_working=[*base.non_working, *own.non_working],
        extra_working=[*base.extra_working, *own.extra_working],
    )


def _weekly(pattern: list[WeeklyInterval], monday: float, first: int, last: int) -> list[tuple[float, float]]:
    """Occurrences of a weekly pattern in weeks ``first..last`` after the Monday at ``monday``."""
    out = []
    for w in range(first, last + 1):
        for iv in pattern:
            s, e = iv.span()
            for d in iv.days:
                base = monday + WEEK_HOURS * w + 24.0 * DAY_NAMES.index(d)
                out.append((base + s, base + e))
    return _union(out)


def working_intervals(plan: Plan, resource_id: str, until_hours: float | None = None,
                      from_hours: float | None = None) -> np.ndarray:
    """Working time of a resource as sorted, disjoint ``[start, end)`` intervals.

    Parameters
    ----------
    plan
        A validated plan.
    resource_id
        One of the plan's resources.
    until_hours
        Cover working time at least up to this many hours after the horizon
        start (default: horizon end + 4 weeks, so late work can still finish).
    from_hours
        Cover working time at least from this many hours after the horizon
        start (default: one week before it; a later value is ignored).

    Returns
    -------
    numpy.ndarray
        Shape ``(k, 2)``, float64, hours from the horizon start. Coverage starts
        at least one week before the horizon start (or at ``from_hours``) and ends at or after
        ``until_hours``; past the last interval the calendar has "run out".
        An always-working resource gives ``[[-inf, inf]]``; a calendar without
        any working time gives shape ``(0, 2)``.
    """
    if resource_id not in plan.resource_index:
        raise KeyError(f"unknown resource {resource_id!r}")
    cal = effective_calendar(plan, resource_id)
    if cal is None:
        return np.array([[-math.inf, math.inf]])
    until = plan.horizon_hours + DEFAULT_MARGIN_HOURS if until_hours is None else float(until_hours)
    if not (math.isfinite(until) and (from_hours is None or math.isfinite(from_hours))):
        raise ValueError("until_hours and from_hours must be finite")
    t0 = plan.horizon.start  # weekly clock times are read in the horizon start's own offset
    monday = -(t0.weekday() * 24.0 + t0.hour + t0.minute / 60.0 + t0.second / 3600.0
               + t0.microsecond / 3.6e9)
    first = -1 if from_hours is None else min(-1, math.floor((from_hours - monday) / WEEK_HOURS) - 1)
    last = max(0, math.ceil((until - monday) / WEEK_HOURS))
    if (last - first) * WEEK_HOURS > MAX_CALENDAR_HOURS:
        raise ValueError(f"cannot lay out more than {MAX_CALENDAR_HOURS:g} hours of calendar")
    breaks = cal.breaks or []
    if cal.shifts is None and not breaks:
        work = [(-math.inf, math.inf)]
    else:
        if cal.shifts is None:
            work = [(monday + first * WEEK_HOURS, monday + (last + 1) * WEEK_HOURS)]
        else:
            work = _weekly(cal.shifts, monday, first, last)
        work = _subtract(work, _weekly(breaks, monday, first, last))
    dated = [(plan.hours(iv.start), plan.hours(iv.end)) for iv in cal.extra_working]
    work = _union(work + dated)
    closed = _union([(plan.hours(iv.start), plan.hours(iv.end)) for iv in cal.non_working])
    work = _subtract(work, closed)
    return np.array(work, dtype=np.float64).reshape(-1, 2)


def work_content(op: Operation) -> float:
    """Working hours an operation needs, setup included: ``work_hours`` if given, else ``end - start``."""
    if op.work_hours is not None:
        return float(op.work_hours)
    return (op.end - op.start).total_seconds() / 3600.0


# -- numba-compatible kernels (plain Python; the simulator may wrap them with numba.njit) ---


def next_working(starts: np.ndarray, ends: np.ndarray, t: float) -> float:
    """The first working instant at or after ``t`` (``inf`` if the calendar has run out).

    ``starts`` and ``ends`` are the two columns of :func:`working_intervals`.
    """
    n = starts.shape[0]
    lo = int(np.searchsorted(ends, t, side="right"))  # the first interval that ends after t
    if lo == n:
        return math.inf
    s = starts[lo]
    return s if s > t else t


def finish_time(starts: np.ndarray, ends: np.ndarray, t: float, work_hours: float) -> float:
    """When ``work_hours`` of work started at ``t`` finish, skipping non-working time.

    Work before ``t`` is not counted; if ``t`` is in non-working time the work
    begins at the next working instant. Work that fills an interval exactly
    finishes at its end. ``work_hours <= 0`` finishes at ``t``; ``inf`` when
    the calendar runs out first.
    """
    if work_hours <= 0.0:
        return t
    n = starts.shape[0]
    remaining = work_hours
    i = int(np.searchsorted(ends, t, side="right"))  # the first interval that ends after t
    while i < n:
        s = starts[i]
        if s < t:
            s = t
        available = ends[i] - s
        if remaining <= available:
            return s + remaining
        remaining -= available
        i += 1
    return math.inf


def working_time(starts: np.ndarray, ends: np.ndarray, a: float, b: float) -> float:
    """Working hours in ``[a, b)`` (0 when ``b <= a``)."""
    if b <= a:
        return 0.0
    n = starts.shape[0]
    total = 0.0
    i = int(np.searchsorted(ends, a, side="right"))  # the first interval that ends after a
    while i < n and starts[i] < b:
        s = starts[i] if starts[i] > a else a
        e = ends[i] if ends[i] < b else b
        if e > s:
            total += e - s
        i += 1
    return total
