"""Realized production (``riskengine.actuals/1``) and the plan history it is measured against.

An actual record is one run of good production: which planned operation it
belongs to (empty for unplanned production), product, resource, good quantity,
actual start and end, and the recorded cause of its deviation (may be empty).
Several records may belong to one operation (a split run); the operation's
actual start is their earliest start, its end their latest end, its quantity
their sum. A record of quantity 0 states that an operation was not executed
and may carry its cause; its times may then be omitted.

Two optional columns feed calibration (``riskengine calibrate``): ``setup_hours``,
the actual setup time of the run, and ``run_hours``, its actual processing
time without setup, breakdowns, absences and idle time (what a machine's run
counter records). They do not change measurement.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from riskengine.errors import InputError, Problem, validate_document
from riskengine.model.common import CAUSES, MAX_RECORDS, NonNegative, Strict, Time, duplicates
from riskengine.model.plan import Plan

ACTUALS_FORMAT = "riskengine.actuals/1"


class Record(Strict):
    """One run of good production (several records may belong to one operation: a split run)."""

    operation: str | None = None
    """The planned operation it belongs to; empty for unplanned production."""
    product: str | None = None
    """The product (default: the operation's; required without an operation)."""
    resource: str | None = None
    """The resource it ran on (default: the operation's)."""
    quantity: NonNegative
    """Good units produced; 0 states that the operation was not executed (times may then be empty)."""
    start: Time | None = Field(default=None, validate_default=True)
    """Actual start: ISO 8601 with offset, or hours from the earliest horizon start."""
    end: Time | None = Field(default=None, validate_default=True)
    """Actual end (completion), given like start: it decides the bucket the units count in."""
    cause: str | None = None
    """The recorded cause of a deviation, from the taxonomy (material, breakdown, performance,
    absenteeism, quality, setup, planning, local-decision, operational, knock-on, unknown)."""
    setup_hours: NonNegative | None = None
    """Actual setup time of the run in hours (feeds calibrate's setup overrun)."""
    run_hours: NonNegative | None = None
    """Actual processing hours without setup, breakdowns, absences and idle time (feeds calibrate's
    performance factor)."""

    @field_validator("operation", "product", "resource", "cause", mode="before")
    @classmethod
    def _empty_is_none(cls, v: object) -> object:
        return None if isinstance(v, str) and not v.strip() else v

    @field_validator("cause")
    @classmethod
    def _known_cause(cls, v: str | None) -> str | None:
        if v is not None and v not in CAUSES:
            raise ValueError(f"must be one of {', '.join(CAUSES)}")
        return v

    @field_validator("start", "end")
    @classmethod
    def _times(cls, t: datetime | float | None, info: ValidationInfo) -> datetime | float | None:
        if t is None:
            if info.data.get("quantity", 0) > 0:
                raise ValueError("required when quantity > 0")
            return t
        start = info.data.get("start") if info.field_name == "end" else None
        if start is not None:
            if type(start) is not type(t):
                raise ValueError("must be given like start: both ISO times or both hours")
            if t < start:  # type: ignore[operator]  # of one type, both times or both hours (above)
                shown = start.isoformat() if isinstance(start, datetime) else f"{start:g} h"
                raise ValueError(f"must not be before start ({shown})")
        return t


class Actuals(Strict):
    """Realized production (``riskengine.actuals/1``)."""

    format: Literal["riskengine.actuals/1"]
    """The format and its version."""
    records: list[Record] = Field(max_length=MAX_RECORDS)
    """The production records."""


class PlanHistory:
    """The plan versions of one horizon, oldest publication first.

    Each bucket is measured against the newest version published at or before
    the bucket's start (the plan in effect, docs/design.md section 2).
    """

    def __init__(self, versions: list[Plan], source: str | None = None):
        if not versions:
            raise InputError(Problem("plans", "at least one plan version is required"), source)
        problems = []
        for vid, where in duplicates([p.id for p in versions]).items():
            problems.append(Problem(f"plans[{where[1]}].id", f"duplicate plan version id {vid!r}"))
        stamps = duplicates([p.published_at.isoformat() for p in versions])
        for stamp, where in stamps.items():
            problems.append(Problem(f"plans[{where[1]}].published_at",
                                    f"two versions published at the same time {stamp}"))
        if problems:
            raise InputError(problems, source)
        self.versions = sorted(versions, key=lambda p: p.published_at)

    @property
    def origin(self) -> datetime:
        """The earliest horizon start: the origin of the measurement timeline."""
        return min(p.horizon.start for p in self.versions)

    @property
    def end(self) -> datetime:
        return max(p.horizon.end for p in self.versions)

    def in_effect(self, t: datetime) -> int:
        """Index of the version in effect at ``t``: newest published at or before ``t``.

        Before the first publication the first version is used (a plan that
        was published late still is the plan of its horizon).
        """
        chosen = 0
        for k, p in enumerate(self.versions):
            if p.published_at <= t:
                chosen = k
        return chosen


def parse_actuals(data: object, history: PlanHistory, source: str | None = None) -> Actuals:
    """Validate an actuals document against the plan history it will be measured on.

    Operation ids must exist in some plan version and resources in some
    version's resources; a record without an operation needs a product.
    Numeric times are hours from the history's origin (earliest horizon start).
    """
    actuals = validate_document(Actuals, data, "actuals must be a JSON object", source)
    ops: dict[str, tuple[str, str]] = {}
    resources: set[str] = set()
    for p in history.versions:
        resources.update(r.id for r in p.resources)
        for op in p.operations:
            ops[op.id] = (op.product, op.resource)
    problems = []
    for i, r in enumerate(actuals.records):
        loc = f"records[{i}]"
        if r.operation is not None and r.operation not in ops:
            problems.append(Problem(f"{loc}.operation",
                                    f"unknown operation {r.operation!r} (in no plan version)"))
        if r.operation is None and r.product is None:
            problems.append(Problem(f"{loc}.product", "required for unplanned production "
                                    "(a record without an operation)"))
        if r.resource is not None and r.resource not in resources:
            problems.append(Problem(f"{loc}.resource", f"unknown resource {r.resource!r}"))
    if problems:
        raise InputError(problems, source)
    for r in actuals.records:
        if r.operation is not None:
            product, resource = ops[r.operation]
            r.product = r.product or product
            r.resource = r.resource or resource
    return actuals
