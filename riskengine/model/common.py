"""Field types and helpers shared by the plan, actuals and premises models."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, PlainValidator, WithJsonSchema

from riskengine.errors import InputError, Problem
from riskengine.model.describe import describe

#: Bounds on times (ISO years, and hours from an origin) that keep every date
#: computation in range: no input can overflow a datetime (docs/design.md section 6).
MIN_YEAR, MAX_YEAR = 1900, 2999
MAX_HOURS = 1_000_000.0


def parse_time(value: object) -> datetime | float:
    """Accept an ISO 8601 time with a UTC offset, or a finite number of hours."""
    if isinstance(value, bool):
        raise ValueError("must be an ISO 8601 time with UTC offset or a number of hours")
    if isinstance(value, str):
        text = value.strip()
        try:
            value = float(text)
        except ValueError:
            try:
                value = datetime.fromisoformat(text)
            except ValueError:
                raise ValueError("must be an ISO 8601 time with UTC offset "
                                 "(2026-11-16T06:00:00+00:00) or a number of hours") from None
    if isinstance(value, int | float):
        try:
            hours = float(value)
        except OverflowError:  # an integer too large for a float
            hours = math.inf
        if not math.isfinite(hours):
            raise ValueError("must be a finite number of hours")
        if abs(hours) > MAX_HOURS:
            raise ValueError(f"must be a number of hours between -{MAX_HOURS:.0f} and {MAX_HOURS:.0f}")
        return hours
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("must include a UTC offset, e.g. 2026-11-16T06:00:00+00:00")
        if not MIN_YEAR <= value.year <= MAX_YEAR:
            raise ValueError(f"must lie in the years {MIN_YEAR} to {MAX_YEAR}")
        return value
    raise ValueError("must be an ISO 8601 time with UTC offset or a number of hours")


def parse_instant(value: object) -> datetime:
    """Accept only an ISO 8601 time with a UTC offset."""
    t = parse_time(value)
    if not isinstance(t, datetime):
        raise ValueError("must be an ISO 8601 time with UTC offset, not a number")
    return t


_TIME_SCHEMA = {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "number"}],
                "description": "ISO 8601 with UTC offset, or hours from the horizon start"}

def _dump_time(value: datetime | float) -> str | float:
    return value.isoformat() if isinstance(value, datetime) else value


#: A point in time: ISO 8601 with a UTC offset, or hours from the horizon start.
Time = Annotated[datetime | float, PlainValidator(parse_time), PlainSerializer(_dump_time),
                 WithJsonSchema(_TIME_SCHEMA)]

#: A :data:`Time` of a plan: the plan's validator turns hours into datetimes (:func:`resolve_time`)
#: right after the fields are read, so every reader of a validated plan sees a datetime (typed so).
PlanTime = Annotated[datetime, PlainValidator(parse_time), PlainSerializer(_dump_time),
                     WithJsonSchema(_TIME_SCHEMA)]


def _parse_time_or_none(value: object) -> datetime | float | None:
    return None if value is None else parse_time(value)


#: A :data:`PlanTime` that may be absent or null: the plan's validator puts its default there, so a
#: validated plan always has one (``Plan.published_at``: the horizon start).
DefaultedPlanTime = Annotated[datetime, PlainValidator(_parse_time_or_none), PlainSerializer(_dump_time),
                              WithJsonSchema({"anyOf": [_TIME_SCHEMA, {"type": "null"}]})]

#: An absolute point in time: ISO 8601 with a UTC offset.
Instant = Annotated[datetime, PlainValidator(parse_instant), PlainSerializer(_dump_time),
                    WithJsonSchema({"type": "string", "format": "date-time"})]

Id = Annotated[str, Field(min_length=1, max_length=200)]
PositiveQuantity = Annotated[float, Field(gt=0, allow_inf_nan=False)]
#: A bucket's length in hours: at most MAX_HOURS, like any time of a document (a longer bucket's
#: end is past any date).
BucketHours = Annotated[float, Field(gt=0, le=MAX_HOURS, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Probability = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]

#: The fixed cause taxonomy of docs/design.md section 2, in report order.
CAUSES: tuple[str, ...] = (
    "material",
    "breakdown",
    "performance",
    "absenteeism",
    "quality",
    "setup",
    "planning",
    "local-decision",
    "operational",
    "knock-on",
    "unknown",
)

#: The default of an optional input field that a document may leave out but not set to null: the
#: field keeps its type in the JSON Schema and in validation, and reads None when absent (typed
#: ``Any`` so that the type checker accepts None as the default of a field declared ``str``).
ABSENT: Any = None

#: Size limits that keep a request from exhausting the machine (docs/design.md section 6).
MAX_OPERATIONS = 1_000_000
MAX_RECORDS = 5_000_000
MAX_BUCKETS = 100_000


class Strict(BaseModel):
    """Base of every input model: unknown fields are errors (they are usually typos).

    Each field is described by the docstring under it (:mod:`riskengine.model.describe`
    puts it into the JSON Schema): the schema, the OpenAPI document and
    ``riskengine init`` say it, and a test checks that every field has one."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra=describe)


def resolve_time(value: datetime | float, origin: datetime) -> datetime:
    """A time given as hours from ``origin`` becomes an aware datetime."""
    if isinstance(value, datetime):
        return value
    return origin + timedelta(hours=float(value))


T = TypeVar("T")


def required(value: T | None, what: str) -> T:
    """``value``, which the document's validation required (e.g. the ``run_hours`` of a
    breakdown event): a ValueError naming ``what`` if it is missing all the same."""
    if value is None:
        raise ValueError(f"{what} is required here")
    return value


def hours_between(origin: datetime, t: datetime) -> float:
    """Hours from ``origin`` to ``t`` (negative when ``t`` is earlier)."""
    return (t - origin).total_seconds() / 3600.0


def duplicates(ids: list[str]) -> dict[str, list[int]]:
    """Ids that occur more than once, with the indices where they occur."""
    seen: dict[str, list[int]] = {}
    for i, x in enumerate(ids):
        seen.setdefault(x, []).append(i)
    return {k: v for k, v in seen.items() if len(v) > 1}


def raise_if(problems: list[Problem], source: str | None) -> None:
    """Raise one :class:`InputError` listing every problem, if there are any."""
    if problems:
        raise InputError(problems, source)
