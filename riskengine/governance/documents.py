"""The governance parts of result documents: validation records, sides, flags, owners.

Typed dicts with a description under each key (:mod:`riskengine.io.documents`),
used by the measurement (``riskengine.measurement/1``: its accountability and
owner fields), the review sheet (``riskengine.review/1``) and the trend
(``riskengine.trend/1``). docs/design.md section 9 states the rules.
"""

from __future__ import annotations

from typing import Literal

from pydantic import with_config
from typing_extensions import TypedDict

from riskengine.io.documents import PART, Share

Side = Literal["plan", "execution", "unexplained"]


@with_config(PART)
class FlagNote(TypedDict):
    """A risk flagged on an operation at the plan's review."""

    risk: str
    """What may go wrong, in the supervisor's words."""
    note: str | None
    """Their note (null: none)."""


class FlagRow(FlagNote):
    """A flag of a validation record."""

    operation: str
    """The flagged operation."""


@with_config(PART)
class ValidationRecord(TypedDict):
    """The sign-off of a plan version by operations."""

    by: str
    """Who signed it off."""
    at: str
    """When, ISO 8601."""
    flags: list[FlagRow]
    """The risks flagged."""


@with_config(PART)
class SideCount(TypedDict):
    """The misses of one side (plan, execution or unexplained)."""

    misses: int
    """Misses whose cause is on this side."""
    lost_units: float
    """Units they cost."""
    share: float
    """Share of the misses of the scope (0 without misses)."""


@with_config(PART)
class Sides(TypedDict):
    """Misses split by accountability side."""

    plan: SideCount
    """Plan-side: planning, and the unmet constraints material and setup."""
    execution: SideCount
    """Execution-side: operational, local-decision, breakdown, performance, absenteeism, quality."""
    unexplained: SideCount
    """No root of its own on record: unknown, knock-on."""


@with_config(PART)
class SideCauses(TypedDict):
    """Which causes make up each side."""

    plan: list[str]
    """The plan-side causes."""
    execution: list[str]
    """The execution-side causes."""
    unexplained: list[str]
    """The causes that leave a miss unexplained."""


@with_config(PART)
class FlagOutcome(TypedDict):
    """How the risks flagged at sign-off turned out: the supervisor's hit rate."""

    flags: int
    """Flags in the validation records of the plan versions."""
    measured: int
    """Flagged operations measured against the version that flagged them."""
    materialized: int
    """Of those, the MISSes: flags that materialized."""
    hit_rate: Share
    """materialized / measured (null: no flagged operation measured)."""
    unflagged_operations: int
    """Operations of validated versions that nobody flagged."""
    unflagged_misses: int
    """Of those, the MISSes."""
    unflagged_miss_rate: Share
    """unflagged_misses / unflagged_operations: the hit rate to beat (null: none)."""
    misses_flagged_share: Share
    """Share of the misses of validated versions that had been flagged (null: no misses)."""


@with_config(PART)
class OwnerCount(TypedDict):
    """An owner in the Pareto by owner: its causes' misses and lost units summed."""

    owner: str
    """The owner (maintenance, quality, ...)."""
    causes: list[str]
    """The causes it owns that missed, in taxonomy order."""
    actions: list[str]
    """The corrective actions of those causes (distinct)."""
    misses: int
    """Misses of its causes."""
    lost_units: float
    """Units those misses cost."""
    share: Share
    """Share of all misses."""
