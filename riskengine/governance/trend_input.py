"""What ``riskengine trend`` reads from each measurement (``riskengine.measurement/1``).

Only the fields a trend needs, validated with located messages
(``measurements[2].buckets[4].planned``); fields a measurement gained later
are ignored, and fields older measurements lack take their neutral value (a
plan or bucket without ``validated`` was not validated, an operation without
``flag`` was not flagged, a product without ``family`` is its own family, a
cause without ``owner`` gets the owner of the ownership table in force).
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from riskengine.errors import InputError, Problem, validate_document
from riskengine.model.common import CAUSES, Instant, NonNegative

MEASUREMENT = "riskengine.measurement/1"
#: Measurements one trend reads at most (a week each: twenty years).
MAX_MEASUREMENTS = 1040


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Counts(_In):
    """The adherence counts of a scope (docs/design.md section 2)."""

    planned: NonNegative
    produced: NonNegative
    volume_units: NonNegative
    built_to_mix: NonNegative
    orders_built_to_mix: NonNegative
    orders_in_sequence: NonNegative
    units_built_to_mix_in_orders: NonNegative
    units_in_sequence: NonNegative


class BucketIn(Counts):
    start: Instant
    validated: bool = False


class ScopeIn(Counts):
    id: str


class ProductIn(_In):
    id: str
    planned: NonNegative
    produced: NonNegative
    built_to_mix: NonNegative
    family: str | None = None


class FlagIn(_In):
    risk: str
    note: str | None = None


class OperationIn(_In):
    id: str
    plan: str
    resource: str
    product: str
    hit: bool
    cause: str | None = None
    lost_units: NonNegative = 0.0
    flag: FlagIn | None = None

    @field_validator("cause")
    @classmethod
    def _known(cls, v: str | None) -> str | None:
        if v is not None and v not in CAUSES:
            raise ValueError(f"must be one of {', '.join(CAUSES)}")
        return v


class Measured(NamedTuple):
    """A measured operation as the trend keeps it (about 200 bytes, not a validated model's 1.5 kB:
    a trend of a year of 10,000-operation weeks holds half a million of them)."""

    id: str
    plan: str
    product: str
    hit: bool
    cause: str | None
    lost_units: float
    flagged: bool


class CauseIn(_In):
    cause: str
    owner: str | None = None
    action: str | None = None


class PlanIn(_In):
    id: str
    validated: bool = False


class TimelineIn(_In):
    start: Instant
    end: Instant


class RulesIn(_In):
    sequence_basis: Literal["orders", "units"] = "orders"


class MeasurementIn(_In):
    """A measurement as the trend reads it."""

    format: Literal["riskengine.measurement/1"]
    plans: list[PlanIn]
    timeline: TimelineIn
    rules: RulesIn = Field(default_factory=RulesIn)
    total: Counts
    buckets: list[BucketIn]
    resources: list[ScopeIn] = Field(default_factory=list)
    areas: list[ScopeIn] = Field(default_factory=list)
    products: list[ProductIn] = Field(default_factory=list)
    operations: list[OperationIn] = Field(default_factory=list)
    causes: list[CauseIn] = Field(default_factory=list)
    _measured: list[Measured] = PrivateAttr(default_factory=list)

    @property
    def start(self) -> datetime:
        return self.timeline.start

    @property
    def measured(self) -> list[Measured]:
        """The operations as the trend keeps them (:func:`parse_measurement` puts them here and
        empties ``operations``)."""
        return self._measured


def parse_measurement(data: object, source: str | None = None) -> MeasurementIn:
    """Validate one measurement document for a trend; every problem located."""
    m = validate_document(MeasurementIn, data, "a measurement must be a JSON object "
                          "(riskengine.measurement/1, as measure --json writes it)", source)
    known = {p.id for p in m.plans}
    problems = [Problem(f"operations[{k}].plan", f"names plan {o.plan!r}, which is not in plans[]")
                for k, o in enumerate(m.operations) if o.plan not in known]
    if problems:
        raise InputError(problems, source)
    m._measured = [Measured(o.id, o.plan, o.product, o.hit, o.cause, o.lost_units, o.flag is not None)
                   for o in m.operations]
    m.operations = []
    return m


def read_measurements(paths: list[str | os.PathLike]) -> list[tuple[str, MeasurementIn]]:
    """Read measurement files (JSON as ``measure --json`` writes them), each with its name."""
    from riskengine.io.readers import read_json

    if not paths:
        raise InputError(Problem("MEASUREMENT", "give at least one measurement (measure --json writes one)"))
    if len(paths) > MAX_MEASUREMENTS:
        raise InputError(Problem("MEASUREMENT", f"{len(paths)} measurements; a trend reads at most "
                                 f"{MAX_MEASUREMENTS}"))
    return [(str(p), parse_measurement(read_json(p), str(p))) for p in paths]
