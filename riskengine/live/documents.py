"""The parts of a forecast result (``riskengine.forecast/1``) that a score does not have.

Typed dicts as every result's parts (:mod:`riskengine.io.documents`): each field
described by the docstring under it, undeclared keys refused.
"""

from __future__ import annotations

from typing import Literal

from pydantic import with_config
from typing_extensions import TypedDict

from riskengine.adherence.order_measure import TotalFigures
from riskengine.analysis.documents import OperationForecast
from riskengine.io.documents import PART, Estimate, Maybe, NonNegative, Share


class ForecastOperation(OperationForecast):
    """One operation of the forecast: realized (its verdict settled at the as-of time, taken from
    the measurement: a HIT or MISS with certainty) or simulated from the as-of time on."""

    realized: bool
    """True when its verdict was settled at the as-of time (hit is then exactly 0 or 1)."""
    expected_start: str | None
    """When it is now expected to start: the median start over the replications sampled for the
    dates (ISO 8601; the realized start when realized; null: not executed)."""
    expected_end: str | None
    """When it is now expected to complete: the median end over the replications sampled for the
    dates (ISO 8601; the realized end when realized; null: not executed)."""
    end_p80: str | None
    """The 80th percentile of its end over the replications sampled (the realized end when
    realized; null: not executed in a fifth of them or more)."""


@with_config(PART)
class RunningOperation(TypedDict):
    """An operation in progress at the as-of time."""

    id: str
    """Operation id."""
    resource: str
    """Its resource."""
    start: str
    """Actual start, ISO 8601."""
    done_hours: float
    """Hours of setup and processing done by the as-of time (working time not taken by repairs or
    absent crews); the rest of its drawn work is simulated."""


@with_config(PART)
class DownResource(TypedDict):
    """A resource down at the as-of time (a breakdown without end)."""

    resource: str
    """Resource id."""
    since: str
    """When it failed, ISO 8601."""
    hours_so_far: float
    """Hours of repair until the as-of time: the remaining repair is drawn given this much."""


@with_config(PART)
class LateLot(TypedDict):
    """A lot whose arrival is known and after the as-of time."""

    material: str
    """Material id."""
    due: str
    """When it was due (its planned availability), ISO 8601."""
    arrival: str
    """When it is now expected, ISO 8601."""


@with_config(PART)
class AbsentCrew(TypedDict):
    """A crew known absent at the as-of time."""

    resource: str
    """Resource id."""
    until: str
    """When the absence ends, ISO 8601: the resource works again from then."""


@with_config(PART)
class ForecastState(TypedDict):
    """What the forecast started from at the as-of time."""

    as_of: str
    """The as-of time, ISO 8601: nothing before it is simulated."""
    plan: str
    """The plan version in effect at the as-of time: the one executed."""
    closed_buckets: int
    """Buckets that ended by the as-of time: their counts are realized."""
    done: int
    """Operations of the executed plan done (or recorded as not executed) before the as-of time."""
    in_progress: list[RunningOperation]
    """Operations in progress at the as-of time."""
    pending: int
    """Operations not started: simulated."""
    down: list[DownResource]
    """Resources down at the as-of time."""
    late_lots: list[LateLot]
    """Lots known to arrive after the as-of time."""
    absent: list[AbsentCrew]
    """Crews known absent at the as-of time."""


@with_config(PART)
class CauseMisses(TypedDict):
    """A cause in the realized Pareto."""

    cause: str
    """A cause of the taxonomy."""
    misses: int
    """Realized misses with this cause."""
    lost_units: float
    """Units those misses cost."""


@with_config(PART)
class RealizedPart(TypedDict):
    """The measurement up to the as-of time: the buckets that ended by then, against the plan in
    effect at each bucket's start (the counts the forecast consolidates), and their operations
    whose verdict is settled."""

    until: str
    """End of the last bucket that ended by the as-of time, ISO 8601 (the horizon start: none)."""
    buckets: int
    """Buckets measured."""
    total: TotalFigures
    """Their counts summed, and the ratios (null: nothing was planned in them); when the plans list
    orders, those due by ``until`` (settled then): ``orders``, ``orders_otif`` and ``otif``."""
    operations: int
    """Operations judged."""
    hits: int
    """Of those, HITs."""
    misses: int
    """Of those, MISSes."""
    causes: list[CauseMisses]
    """The realized misses by cause, most first."""


@with_config(PART)
class Alert(TypedDict):
    """An operation (an order, once plans have orders) now below the alert probability."""

    kind: Literal["operation", "order"]
    """What is at risk."""
    id: str
    """Its id."""
    resource: str | None
    """The operation's resource (null for an order)."""
    probability: Estimate
    """P(HIT) of the operation (P(on time) of an order) now."""
    cause: str | None
    """Its main miss cause."""
    planned_end: str
    """Planned end (an order: its due date), ISO 8601."""
    expected_end: str | None
    """When it is now expected to complete (median over the replications sampled for the dates),
    ISO 8601; null: it does not run within the simulated time."""


@with_config(PART)
class Change(TypedDict):
    """An operation whose probability moved since the previous forecast."""

    kind: Literal["operation", "order"]
    """What moved."""
    id: str
    """Its id."""
    before: Share
    """P(HIT) in the previous forecast (null: not in it)."""
    now: Share
    """P(HIT) now (null: no longer in the plan)."""
    change: Maybe
    """now - before (points of probability as a share)."""
    why: str
    """The event that moved it most (what the forecast knows now that the previous one did not)."""


@with_config(PART)
class PreviousForecast(TypedDict):
    """The forecast ``changes`` compare with."""

    as_of: str
    """Its as-of time."""
    plan: str
    """The plan it executed."""


@with_config(PART)
class Horizon(TypedDict):
    """Where the as-of time falls."""

    hours: NonNegative
    """Hours from the horizon start to the as-of time."""
    elapsed: Share
    """Share of the horizon that lies before the as-of time."""
