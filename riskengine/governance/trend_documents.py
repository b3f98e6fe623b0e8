"""The trend document (``riskengine.trend/1``): adherence over many weeks for management.

Typed dicts with a description under each key (:mod:`riskengine.io.documents`);
:class:`TrendResult` is the result model, computed by :mod:`riskengine.governance.trend`.
"""

from __future__ import annotations

from typing import Final, Literal

from pydantic import Field, with_config
from typing_extensions import TypedDict

from riskengine.adherence.documents import Figures
from riskengine.governance.documents import Sides
from riskengine.io.documents import PART, Document, Share

TREND_FORMAT: Final = "riskengine.trend/1"


class Outcomes(Figures):
    """Adherence counts and ratios, with the operations judged and their misses by side."""

    buckets: int
    """Buckets measured."""
    operations: int
    """Operations measured."""
    hits: int
    """Of which HIT."""
    misses: int
    """Of which MISS."""
    hit_rate: Share
    """hits / operations (null: none measured)."""
    sides: Sides
    """The misses by side (plan, execution, unexplained)."""


@with_config(PART)
class ControlPoint(TypedDict):
    """A week on the p-chart of the HIT rate."""

    center: Share
    """p-bar: all hits / all operations measured over the weeks charted."""
    lower: Share
    """max(0, p-bar - 3 sqrt(p-bar (1 - p-bar) / n)), n the week's operations."""
    upper: Share
    """min(1, p-bar + 3 sqrt(p-bar (1 - p-bar) / n))."""
    out_of_control: Literal["above", "below"] | None
    """Whether the week's HIT rate lies above the upper or below the lower limit (null: inside)."""


class Week(Outcomes):
    """One week: every measurement whose timeline starts in it, counts summed."""

    week: str
    """ISO week of the measurements' timeline start, e.g. 2026-W47."""
    start: str
    """Earliest timeline start of its measurements, ISO 8601."""
    end: str
    """Latest timeline end."""
    measurements: int
    """Measurements summed into the week."""
    plans: list[str]
    """The plan versions measured."""
    validated_buckets: int
    """Of which measured against a plan operations had validated."""
    flags_measured: int
    """Flagged operations measured against the version that flagged them."""
    flags_materialized: int
    """Of which MISS."""
    p_chart: ControlPoint | None
    """Its point on the p-chart (null: no operation measured)."""


@with_config(PART)
class Parts(TypedDict):
    """Adherence under validated and under never validated plans."""

    validated: Outcomes
    """Buckets (and their operations) whose plan in effect operations had signed off."""
    not_validated: Outcomes
    """Those whose plan in effect was never validated."""


class WeekParts(Parts):
    """One week's validated / not validated parts."""

    week: str
    """ISO week."""


class ScopeWeek(Figures):
    """A resource or area in one week."""

    week: str
    """ISO week."""


@with_config(PART)
class ScopeTrend(TypedDict):
    """A resource or an area over the weeks (counts summed, never mixed with the others)."""

    id: str
    """Resource or area id."""
    total: Figures
    """All weeks."""
    weeks: list[ScopeWeek]
    """Each week in which it was measured."""


@with_config(PART)
class FamilyFigures(TypedDict):
    """A product family's units and operations."""

    planned: float
    """Planned units."""
    produced: float
    """Good units produced."""
    built_to_mix: float
    """sum over buckets and products of min(planned, produced)."""
    btp: Share
    """built_to_mix / planned (null: nothing planned)."""
    operations: int
    """Operations of the family measured."""
    hits: int
    """Of which HIT."""
    hit_rate: Share
    """hits / operations (null: none)."""


class FamilyWeek(FamilyFigures):
    """A family in one week."""

    week: str
    """ISO week."""


class FamilyTrend(FamilyFigures):
    """A product family over the weeks (a product without a family is its own)."""

    family: str
    """The family (or the product's id)."""
    products: list[str]
    """Its products."""
    weeks: list[FamilyWeek]
    """Each week in which it was planned or produced."""


@with_config(PART)
class OwnerWeek(TypedDict):
    """An owner's misses in one week."""

    week: str
    """ISO week."""
    misses: int
    """Misses of its causes."""
    lost_units: float
    """Units they cost."""


@with_config(PART)
class OwnerTrend(TypedDict):
    """An owner's misses over the weeks (its causes' misses summed)."""

    owner: str
    """The owner."""
    causes: list[str]
    """Its causes that missed, in taxonomy order."""
    actions: list[str]
    """Their corrective actions."""
    misses: int
    """All weeks."""
    lost_units: float
    """All weeks."""
    share: Share
    """Share of all misses."""
    weeks: list[OwnerWeek]
    """Every week (0 where it had none)."""


@with_config(PART)
class PChart(TypedDict):
    """The p-chart of the weekly HIT rate."""

    metric: Literal["hit_rate"]
    """What is charted: the share of measured operations that were a HIT."""
    center: Share
    """p-bar over the weeks charted."""
    weeks_out_of_control: list[str]
    """Weeks outside their limits."""
    method: str
    """The limits in words, and why units (BTS, BTP) get none."""


@with_config(PART)
class FlagTotals(TypedDict):
    """The supervisor's hit rate over all weeks."""

    measured: int
    """Flagged operations measured against the version that flagged them."""
    materialized: int
    """Of which MISS."""
    hit_rate: Share
    """materialized / measured (null: none)."""
    unflagged_operations: int
    """Operations of validated plans nobody flagged."""
    unflagged_misses: int
    """Of which MISS."""
    unflagged_miss_rate: Share
    """unflagged_misses / unflagged_operations: the rate a flag has to beat (null: none)."""


@with_config(PART)
class Source(TypedDict):
    """A measurement the trend read."""

    source: str
    """Its file (or position)."""
    week: str
    """The week it counts in."""
    start: str
    """Its timeline start."""
    end: str
    """Its timeline end."""
    plans: list[str]
    """Its plan versions."""


class TrendResult(Document):
    """Adherence over many weeks (``riskengine.trend/1``): BTS, BTP, volume, mix and sequence per week
    from summed counts, a p-chart of the HIT rate, per resource, area and family, the misses by owner
    over time, and validated against never validated plans. Orders and OTIF join when measurements
    carry them (fields added, nothing renamed)."""

    format: Literal["riskengine.trend/1"] = TREND_FORMAT
    """The document's format and version."""
    weeks: list[Week]
    """Every week, oldest first."""
    total: Outcomes
    """All weeks."""
    p_chart: PChart
    """The control chart of the weekly HIT rate."""
    by_validation: Parts
    """All weeks: validated and never validated plans side by side."""
    weeks_by_validation: list[WeekParts]
    """The same, week by week."""
    resources: list[ScopeTrend]
    """Every resource."""
    areas: list[ScopeTrend]
    """Every area."""
    families: list[FamilyTrend]
    """Every product family."""
    owners: list[OwnerTrend]
    """The misses by owner, most first."""
    flags: FlagTotals
    """How the flagged risks turned out."""
    measurements: list[Source]
    """The measurements read."""
    warnings: list[str] = Field(default_factory=list)
    """What the trend had to assume."""

    def __str__(self) -> str:
        from riskengine.governance.text import trend_text

        return trend_text(self.to_dict())
