"""What is known at the as-of time: the events a forecast reads (``riskengine.events/1``).

The same table as calibration's (:mod:`riskengine.calibration.events`: columns ``event,
resource, material, start, end, run_hours, shifts, window``), read for what it says about
the state at the as-of time T (docs/design.md section 3, forecast):

- ``breakdown`` of ``resource`` at ``start``: a breakdown that started at or before T and
  has no ``end``, or ends after T, is a resource down at T (the end after T is not known
  then: the forecast draws the remaining repair). One that ended by T is past: its hours
  are not work of the operation it interrupted. One that starts after T cannot be known
  yet and is left out (said in a warning).
- ``material`` lot of ``material`` due at ``start`` with its (expected) arrival ``end``: the
  lot arrives then, whatever its due time (an announced late lot is known before it is due).
- ``absence`` of the crew of ``resource`` from ``start`` to ``end``: a crew absent at T
  holds its resource until ``end``; a past absence, like a past breakdown, was not work;
  one that starts after T is left out (warning).
- ``window`` rows (calibration's observation windows) and ``run_hours``, ``shifts`` are
  not used here.

Resources and materials must exist in the plans; problems are located by row
(``events[3].end``), as everywhere.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from riskengine.calibration.events import EVENTS_FORMAT, Event, EventsFile, plan_entities
from riskengine.errors import InputError, Problem, validate_document
from riskengine.model.plan import Plan


@dataclass(frozen=True)
class Known:
    """One event as the forecast reads it (times as given: ISO with offset)."""

    kind: str  # breakdown, material, absence
    name: str  # the resource or the material
    start: datetime
    end: datetime | None
    row: int  # its row in the events table (for messages)

    @property
    def until(self) -> datetime:
        """The end of a lot's or an absence's event (required for them: :data:`NEEDS`)."""
        assert self.end is not None, f"a {self.kind} event has an end"
        return self.end


@dataclass
class KnownEvents:
    """The events of a forecast, by kind."""

    breakdowns: list[Known] = field(default_factory=list)
    materials: list[Known] = field(default_factory=list)
    absences: list[Known] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.breakdowns or self.materials or self.absences)


NEEDS = {"breakdown": ("resource",), "material": ("material", "end"), "absence": ("resource", "end")}


def _problems(k: int, e: Event, resources: set[str], materials: set[str]) -> list[Problem]:
    loc = f"events[{k}]"
    problems = [Problem(f"{loc}.{name}", f"required for a {e.event} event")
                for name in NEEDS[e.event] if getattr(e, name) is None]
    if e.event != "material" and e.end is not None and e.end < e.start:
        problems.append(Problem(f"{loc}.end", f"must not be before start ({e.start.isoformat()})"))
    if e.event == "absence" and e.end is not None and e.end == e.start:
        problems.append(Problem(f"{loc}.end", "an empty absence: end equals start"))
    if e.event != "material" and e.resource is not None and e.resource not in resources:
        problems.append(Problem(f"{loc}.resource", f"unknown resource {e.resource!r} (in no plan)"))
    if e.event == "material" and e.material is not None and e.material not in materials:
        problems.append(Problem(f"{loc}.material", f"unknown material {e.material!r} (used by no operation)"))
    return problems


def parse_known_events(data: object, plans: list[Plan], source: str | None = None) -> KnownEvents:
    """Validate an events document for a forecast (module docstring); every problem at once."""
    doc = validate_document(EventsFile, data, "events must be an object or a CSV table", source)
    resources, materials = plan_entities(plans)
    problems: list[Problem] = []
    out = KnownEvents()
    for k, e in enumerate(doc.events):
        if e.event == "window":
            continue
        found = _problems(k, e, resources, materials)
        problems += found
        if not found:
            name = e.material if e.event == "material" else e.resource
            getattr(out, e.event + "s").append(Known(e.event, name, e.start, e.end, k))
    if problems:
        raise InputError(problems, source)
    return out


def read_known_events(path: str | os.PathLike, plans: list[Plan]) -> KnownEvents:
    """Read an events file (CSV or JSON) for a forecast (module docstring).

    Parameters
    ----------
    path
        A ``riskengine.events/1`` CSV (columns ``event, resource, material, start, end, ...``) or JSON.
    plans
        The plan versions (their resources and materials are the ones events may name).

    Returns
    -------
    KnownEvents
        The breakdowns, material lots and absences (``window`` rows are calibration's, left out).

    Examples
    --------
    >>> import riskengine as rk
    >>> history = rk.read_history([f"scenarios/example-factory/plan-v{k}.json" for k in (1, 2, 3)])
    >>> known = rk.read_known_events("scenarios/example-factory/events-tuesday.csv", history.versions)
    >>> [(e.kind, e.name, e.end) for e in known.breakdowns]
    [('breakdown', 'K2', None)]
    >>> known.materials[0].name, known.materials[0].end.isoformat()
    ('RM-COCONUT-K01', '2026-11-18T08:00:00+01:00')
    """
    from riskengine.io.readers import read_csv_rows, read_json

    path = Path(path)
    if path.suffix.lower() == ".csv":
        data: object = {"format": EVENTS_FORMAT, "events": read_csv_rows(path, set(Event.model_fields))}
    else:
        data = read_json(path)
    return parse_known_events(data, plans, str(path))
