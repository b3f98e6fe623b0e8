"""The check document (``riskengine.check/1``), which ``CheckResult.to_dict()`` is checked against."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, with_config
from typing_extensions import TypedDict

from riskengine.io.documents import PART, Document

Kind = Literal["conflict", "routing", "order", "calendar", "setup", "capacity", "material", "horizon"]


@with_config(PART)
class Counts(TypedDict):
    """Findings of one kind by severity."""

    error: int
    """Error findings (the plan is not executable as planned)."""
    warning: int
    """Warning findings."""


@with_config(PART)
class Summary(TypedDict):
    """The plan's health in numbers."""

    verdict: Literal["feasible", "feasible_with_warnings", "infeasible"]
    """infeasible when any finding is an error."""
    errors: int
    """Error findings."""
    warnings: int
    """Warning findings."""
    by_kind: dict[Kind, int]
    """Findings per kind."""
    by_kind_and_severity: dict[Kind, Counts]
    """Findings per kind and severity."""
    operations: int
    """Operations in the plan."""
    operations_affected: int
    """Operations named by any finding."""
    share_affected: float
    """operations_affected / operations."""
    operations_with_errors: int
    """Operations named by an error finding."""
    share_with_errors: float
    """operations_with_errors / operations."""


@with_config(PART)
class Finding(TypedDict):
    """One thing wrong with the plan."""

    kind: Kind
    """conflict, routing, order, calendar, setup, capacity, material or horizon."""
    severity: Literal["error", "warning"]
    """error: not executable as planned; warning: executable, but worth a look."""
    operations: list[str]
    """The operations involved."""
    resource: str | None
    """The resource, where one is concerned."""
    message: str
    """What is wrong, with dates in the plan's offset."""


@with_config(PART)
class Move(TypedDict):
    """An operation the repair moved."""

    operation: str
    """Operation id."""
    old_start: str
    """Planned start, ISO 8601."""
    new_start: str
    """Repaired start."""
    shift_hours: float
    """new_start - old_start (hours, never negative)."""
    old_end: str
    """Planned end."""
    new_end: str
    """Repaired end."""
    setup_added_hours: float
    """Setup the matrix requires beyond the planned one (hours)."""


@with_config(PART)
class Repair(TypedDict):
    """The nearest executable plan (``check --repair``)."""

    repaired: bool
    """Whether a repaired plan could be made (false: routing contradicts a resource's sequence)."""
    plan: str | None
    """The repaired plan's id."""
    reason: str | None
    """Why no repair was possible."""
    moved: int
    """Operations moved."""
    remaining_errors: int
    """Error findings left in the repaired plan (0 expected)."""
    moves: list[Move]
    """Every moved operation."""


class CheckDocument(Document):
    """A plan's health before simulation."""

    optional = ("repaired_plan",)

    format: Literal["riskengine.check/1"]
    """The document's format and version."""
    plan: str
    """The plan version's id."""
    summary: Summary
    """The health in numbers, with the verdict."""
    findings: list[Finding]
    """Every finding, errors first."""
    repair: Repair | None
    """The repair, when asked for (null otherwise)."""
    warnings: list[str] = Field(default_factory=list)
    """What the check says beyond its findings (neither the verdict nor the exit code counts them):
    a plan in effect (status published or not recorded) that operations never validated."""
    repaired_plan: dict[str, Any] | None = None
    """The repaired plan document (riskengine.plan/1), in the service's and ``riskengine call``'s
    answer to ``{"repair": true}`` (the CLI writes it to the --repair file instead)."""
