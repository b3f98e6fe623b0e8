"""The review sheet (``riskengine.review/1``): what a supervisor needs to validate a plan.

Typed dicts with a description under each key (:mod:`riskengine.io.documents`);
:class:`ReviewResult` is the result model, its terminal summary in
:mod:`riskengine.governance.text`.
"""

from __future__ import annotations

from typing import Final, Literal

from pydantic import Field, with_config
from typing_extensions import TypedDict

from riskengine.analysis.documents import BandForecast, Factor
from riskengine.feasibility.documents import CheckDocument
from riskengine.governance.documents import ValidationRecord
from riskengine.io.documents import PART, Distribution, Document, Estimate, NonNegative

REVIEW_FORMAT: Final = "riskengine.review/1"


@with_config(PART)
class ReviewedPlan(TypedDict):
    """The plan version under review."""

    id: str
    """Version id."""
    status: Literal["draft", "proposed", "validated", "published"] | None
    """Its status (null: not recorded)."""
    validation: ValidationRecord | None
    """Its sign-off, when it already has one."""
    published_at: str
    """Publication, ISO 8601."""
    horizon_start: str
    """Horizon start, ISO 8601: its offset is that of every date shown."""
    horizon_end: str
    """Horizon end, ISO 8601."""
    operations: int
    """Operations in the plan."""


@with_config(PART)
class Forecast(TypedDict):
    """The headline of the plan's score."""

    replications: int
    """Replications run."""
    seed: int
    """Seed (same seed, same inputs: the same sheet)."""
    plan_holds: Estimate | None
    """P(every operation is a HIT)."""
    bts: Distribution | None
    """Expected build to schedule."""
    btp: Distribution | None
    """Expected build to plan."""
    bands: list[BandForecast]
    """Expected adherence per horizon band, with its rigor."""


@with_config(PART)
class CauseRisk(TypedDict):
    """A cause that makes an operation miss."""

    cause: str
    """The cause."""
    probability: float
    """P(the operation misses with this cause), over replications."""
    owner: str
    """Who owns the cause."""


@with_config(PART)
class RiskyOperation(TypedDict):
    """An operation among the least likely to be a HIT, with why."""

    id: str
    """Operation id."""
    resource: str
    """Its resource."""
    product: str
    """Its product."""
    planned_start: str
    """Planned start, ISO 8601."""
    planned_end: str
    """Planned end, ISO 8601."""
    hit: Estimate
    """P(HIT)."""
    causes: list[CauseRisk]
    """The causes of its misses, most likely first."""
    criticality: Estimate | None
    """Share of replications whose first miss began here (null: never)."""
    findings: list[str]
    """Kinds of the check findings that name it (conflict, calendar, ...)."""


@with_config(PART)
class FactorVerdict(TypedDict):
    """One factor's rigor advice against what the bands demand."""

    factor: Factor
    """volume, mix or sequence."""
    holds_hours: NonNegative
    """Hours from the horizon start through which it holds with the advice's confidence."""
    holds_until: str
    """The same as a date, ISO 8601."""
    demanded_hours: NonNegative
    """Hours from the horizon start through which the bands demand it (null: every band does)."""
    enough: bool
    """Whether it holds as long as the bands demand it."""


@with_config(PART)
class RigorReview(TypedDict):
    """How far ahead volume, mix and sequence hold, next to the bands."""

    confidence: float
    """The probability the advice asks for."""
    factors: list[FactorVerdict]
    """volume, mix and sequence."""
    advice: list[str]
    """The advice in sentences (dates in the plan's offset)."""


@with_config(PART)
class ResourceRisk(TypedDict):
    """A resource where failures start."""

    id: str
    """Resource id."""
    criticality: Estimate
    """Share of replications whose first miss began on it."""
    operations: int
    """Its operations in the plan."""
    riskiest: str | None
    """Its operation least likely to be a HIT."""


@with_config(PART)
class FlagTemplateRow(TypedDict):
    """A row of the flags template (CSV: operation, risk, note)."""

    operation: str
    """The operation."""
    risk: str
    """Left empty: the supervisor writes the risk for each operation they flag (rows left empty are
    not flags)."""
    note: str
    """What the sheet knows about it (P(HIT), main cause, check findings); theirs to rewrite."""


class ReviewResult(Document):
    """The review sheet of a plan (``riskengine.review/1``): check findings, the operations least
    likely to be a HIT and why, rigor against the bands, where failures start, a flags template.
    Orders and their P(on time) join when plans have orders (a section added, nothing renamed)."""

    format: Literal["riskengine.review/1"] = REVIEW_FORMAT
    """The document's format and version."""
    plan: ReviewedPlan
    """The plan under review."""
    check: CheckDocument
    """The plan's check (riskengine.check/1)."""
    forecast: Forecast
    """The headline of its score."""
    operations: list[RiskyOperation]
    """The operations least likely to be a HIT, least likely first."""
    rigor: RigorReview | None
    """The rigor advice against the bands."""
    resources: list[ResourceRisk]
    """The resources, most failures started first."""
    flags_template: list[FlagTemplateRow]
    """The rows of the flags template: the riskiest operations, then those check names in errors."""
    warnings: list[str] = Field(default_factory=list)
    """What the inputs leave out, and whether the plan was never validated."""

    def __str__(self) -> str:
        from riskengine.governance.text import review_text

        return review_text(self.to_dict())
