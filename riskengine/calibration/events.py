"""Shop-floor events (``riskengine.events/1``): what calibration needs beyond the actuals.

A CSV (or JSON ``{"format": "riskengine.events/1", "events": [...]}``) with
the columns ``event, resource, material, start, end, run_hours, shifts, window``;
times are ISO 8601 with offset. One row per event:

- ``window``: the observation window of a ``resource`` from ``start`` to
  ``end`` (end after start). ``run_hours`` is the resource's run-hour meter
  at the window's end: its processing hours in the window (setups, repairs
  and idle time not counted). ``shifts`` (optional) is the number of crew
  shifts scheduled in the window: the denominator of absenteeism. The start
  of a window is taken as a renewal of the machine (its failure clock starts
  there, as in every simulated horizon): exact for exponential times between
  failures (memoryless), an approximation otherwise.
- ``breakdown``: a failure of ``resource`` at ``start``, repaired at ``end``
  (empty while the repair was still going on when the window closed: the
  repair time is then right-censored at the window's end); ``run_hours`` is
  the run-hour meter at the failure (processing hours since the window start).
- ``material``: a lot of ``material`` due at ``start`` (its planned
  availability) that arrived at ``end``; it was late when end > start.
- ``absence``: the crew of ``resource`` missing for the shift from ``start``
  to ``end``.

``window`` (optional) names a window (on its ``window`` row) and ties a
breakdown or absence to it; without it an event belongs to the window of its
resource that contains its start, and overlapping windows of one resource
are then an error (simulated weeks that spill into the next one need it).
Every breakdown and absence must lie in a window of its resource; resources
and materials must exist in the plans. Problems are reported with their row,
e.g. ``events[7].end: must not be before start``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator

from riskengine.errors import InputError, Problem, validate_document
from riskengine.model.common import Instant, NonNegative, Strict, required
from riskengine.model.plan import Plan

EVENTS_FORMAT = "riskengine.events/1"
COLUMNS = ("event", "resource", "material", "start", "end", "run_hours", "shifts", "window")
MAX_EVENTS = 5_000_000


class Event(Strict):
    """One row of the events table (see the module documentation for each kind)."""

    event: Literal["window", "breakdown", "material", "absence"]
    """The kind: an observation window of a resource, a breakdown, a material lot or an absent crew."""
    resource: str | None = None
    """The resource (window, breakdown, absence)."""
    material: str | None = None
    """The material (material lot)."""
    start: Instant
    """ISO 8601 with offset: window start, failure, lot due (planned availability), absent shift start."""
    end: Instant | None = None
    """ISO 8601 with offset: window end, repair done (empty: still in repair at the window's end), lot
    arrival, absent shift end."""
    run_hours: NonNegative | None = None
    """The run-hour meter in hours: at the window's end (window), at the failure (breakdown)."""
    shifts: Annotated[int, Field(ge=0)] | None = None
    """Crew shifts scheduled in the window (window): the denominator of absenteeism."""
    window: str | None = None
    """Names a window (on its window row) or ties a breakdown or absence to it."""

    @field_validator("resource", "material", "window", mode="before")
    @classmethod
    def _empty_is_none(cls, v: object) -> object:
        return None if isinstance(v, str) and not v.strip() else v


class EventsFile(Strict):
    """Shop-floor events for calibration (``riskengine.events/1``)."""

    format: Literal["riskengine.events/1"]
    """The format and its version."""
    events: list[Event] = Field(max_length=MAX_EVENTS)
    """The events."""


@dataclass
class Window:
    resource: str
    start: datetime
    end: datetime
    run_hours: float
    shifts: int | None
    name: str | None = None
    breakdowns: list[Event] = field(default_factory=list)
    absences: list[Event] = field(default_factory=list)


@dataclass
class Events:
    """Validated events, grouped: windows per resource (with their breakdowns and absences)
    and material lots."""

    windows: dict[str, list[Window]]
    materials: list[Event]

    @property
    def empty(self) -> bool:
        return not self.windows and not self.materials


def _row_problems(k: int, e: Event) -> list[Problem]:
    loc = f"events[{k}]"
    need = {"window": ("resource", "end", "run_hours"), "breakdown": ("resource", "run_hours"),
            "material": ("material", "end"), "absence": ("resource", "end")}[e.event]
    problems = [Problem(f"{loc}.{name}", f"required for a {e.event} event")
                for name in need if getattr(e, name) is None]
    if e.end is not None and e.end < e.start and e.event != "material":
        problems.append(Problem(f"{loc}.end", f"must not be before start ({e.start.isoformat()}): "
                                f"a negative duration of {(e.end - e.start).total_seconds() / 3600:g} h"))
    if e.event in ("window", "absence") and e.end is not None and e.end == e.start:
        problems.append(Problem(f"{loc}.end", f"an empty {e.event}: end equals start"))
    return problems


def plan_entities(plans: list[Plan]) -> tuple[set[str], set[str]]:
    """The resources and the materials (used by some operation) of any of ``plans``: what an
    event may name."""
    return ({r.id for p in plans for r in p.resources},
            {m for p in plans for op in p.operations for m in op.materials})


def parse_events(data: object, plans: list[Plan], source: str | None = None) -> Events:
    """Validate an events document against the plans it belongs to (module docstring)."""
    doc = validate_document(EventsFile, data, "events must be an object or a CSV table", source)
    resources, materials = plan_entities(plans)
    problems: list[Problem] = []
    for k, e in enumerate(doc.events):
        problems += _row_problems(k, e)
        if e.resource is not None and e.resource not in resources:
            problems.append(Problem(f"events[{k}].resource",
                                    f"unknown resource {e.resource!r} (in no plan)"))
        if e.event == "material" and e.material is not None and e.material not in materials:
            problems.append(Problem(f"events[{k}].material",
                                    f"unknown material {e.material!r} (used by no operation)"))
    if problems:
        raise InputError(problems, source)
    windows: dict[str, list[Window]] = {}
    named: dict[tuple[str, str], Window] = {}
    for k, e in enumerate(doc.events):
        if e.event == "window":
            w = Window(e.resource, e.start, e.end, e.run_hours, e.shifts, e.window)
            windows.setdefault(e.resource, []).append(w)
            if e.window is not None:
                if (e.resource, e.window) in named:
                    problems.append(Problem(f"events[{k}].window", f"duplicate window {e.window!r} "
                                            f"of {e.resource}"))
                named[(e.resource, e.window)] = w
    for res, ws in windows.items():
        ws.sort(key=lambda w: w.start)
        for a, b in zip(ws, ws[1:], strict=False):
            if b.start < a.end and (a.name is None or b.name is None):
                problems.append(Problem("events", f"windows of {res} overlap ({a.start.isoformat()} "
                                        f"- {a.end.isoformat()} and {b.start.isoformat()} - ...): "
                                        "name them in the window column"))
    for k, e in enumerate(doc.events):
        if e.event not in ("breakdown", "absence"):
            continue
        if e.window is not None:
            home = named.get((e.resource, e.window))
            if home is None:
                problems.append(Problem(f"events[{k}].window", f"no window {e.window!r} of {e.resource}"))
                continue
            if not home.start <= e.start <= home.end:
                home = None
        else:
            home = next((w for w in windows.get(e.resource, []) if w.start <= e.start < w.end), None)
        if home is None:
            problems.append(Problem(f"events[{k}].start", f"{e.event} of {e.resource} at "
                                    f"{e.start.isoformat()} lies in no observation window of "
                                    f"{e.resource} (add a window row)"))
        elif e.event == "breakdown" and e.run_hours > home.run_hours + 1e-9:
            problems.append(Problem(f"events[{k}].run_hours", f"{e.run_hours:g} h is more than "
                                    f"the window's {home.run_hours:g} run hours"))
        else:
            (home.breakdowns if e.event == "breakdown" else home.absences).append(e)
    if problems:
        raise InputError(problems, source)
    for ws in windows.values():
        for w in ws:
            w.breakdowns.sort(key=lambda e: e.start)
            meter = [required(e.run_hours, "the run_hours of a breakdown") for e in w.breakdowns]
            for k in range(1, len(meter)):
                if meter[k] < meter[k - 1]:
                    raise InputError(Problem(
                        "events", f"breakdowns of {w.resource} at {w.breakdowns[k - 1].start.isoformat()} "
                        f"and {w.breakdowns[k].start.isoformat()}: the run-hour meter goes down "
                        f"({meter[k - 1]:g} -> {meter[k]:g})"), source)
    return Events(windows, [e for e in doc.events if e.event == "material"])


def read_events(path: str | os.PathLike, plans: list[Plan]) -> Events:
    """Read and validate an events file (CSV or JSON)."""
    from riskengine.io.readers import read_csv_rows, read_json

    path = Path(path)
    if path.suffix.lower() == ".csv":
        data: object = {"format": EVENTS_FORMAT, "events": read_csv_rows(path, set(Event.model_fields))}
    else:
        data = read_json(path)
    return parse_events(data, plans, str(path))
