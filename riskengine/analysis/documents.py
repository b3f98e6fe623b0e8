"""The parts of the score, compare and sensitivity documents (``riskengine.score/1``, ``compare/1``).

Typed dicts with a description under each key (:mod:`riskengine.io.documents`):
the JSON Schema and the OpenAPI document are generated from them, and a result
with an undeclared key fails validation.
"""

from __future__ import annotations

from typing import Annotated, Literal, NotRequired

from pydantic import Field, WithJsonSchema, with_config
from typing_extensions import TypedDict

from riskengine.feasibility.documents import Finding, Kind
from riskengine.io.documents import (
    PART,
    Correlation,
    Distribution,
    Estimate,
    Finish,
    Maybe,
    NonNegative,
    Number,
    Share,
)

Factor = Literal["volume", "mix", "sequence"]


@with_config(PART)
class PlanCheck(TypedDict):
    """What ``riskengine check`` finds in the scored plan (run before every score, which never
    refuses to score: errors are executed as the shop floor would, their delay charged to
    planning)."""

    verdict: Literal["feasible", "feasible_with_warnings", "infeasible"]
    """feasible, feasible_with_warnings or infeasible (any error)."""
    errors: int
    """Error findings: the plan is not executable as planned."""
    warnings: int
    """Warning findings."""
    by_kind: dict[Kind, int]
    """Errors by kind (conflict, routing, order, calendar, setup, capacity, material)."""
    findings: list[Finding]
    """The first errors (at most 5), as check lists them."""


class DayHolds(Estimate):
    """P(the plan holds through day k): every operation planned to end in the first k x 24 h is a
    HIT."""

    day: int
    """k, counted from 1 at the horizon start."""


@with_config(PART)
class Adherence(TypedDict):
    """Expected adherence over the whole horizon (sums of the bucket counts, then divided)."""

    bts: Distribution | None
    """Build to schedule = volume x mix x sequence."""
    btp: Distribution | None
    """Build to plan: units built to mix / planned units."""
    volume: Distribution | None
    """min(produced, planned) / planned."""
    mix: Distribution | None
    """Units built to mix / units produced."""
    sequence: Distribution | None
    """Orders (or units) in sequence / built to mix."""


@with_config(PART)
class BandForecast(TypedDict):
    """A horizon band: buckets starting less than ``until_hours`` after publication, scored on
    ``measures``."""

    band: str
    """Label, e.g. ``<24h``; ``rest`` for the last band."""
    until_hours: Maybe
    """Upper bound of the band in hours after the publication of the plan; null for the last."""
    measures: list[Factor]
    """The factors the band is scored on (its rigor)."""
    score: Distribution | None
    """The band's score: the product of its measures."""
    volume: Distribution | None
    """The band's volume."""
    mix: Distribution | None
    """The band's mix."""
    sequence: Distribution | None
    """The band's sequence."""


@with_config(PART)
class BucketForecast(TypedDict):
    """One bucket (shift or day) of the horizon."""

    index: int
    """Position from the horizon start, from 0."""
    start: str
    """Start, ISO 8601 in the plan's offset."""
    end: str
    """End, ISO 8601 in the plan's offset."""
    band: str
    """The horizon band the bucket belongs to."""
    bts: Distribution | None
    """The bucket's BTS."""
    btp: Distribution | None
    """The bucket's BTP."""


@with_config(PART)
class ResourceFinish(TypedDict):
    """When a resource completes its last operation."""

    id: str
    """Resource id."""
    finish: Finish | None
    """Hours from the horizon start to its last completion."""


@with_config(PART)
class OperationForecast(TypedDict):
    """One planned operation. A HIT: it completes within its planned bucket (plus the lateness
    tolerance), with its quantity (times the quantity tolerance), in sequence."""

    id: str
    """Operation id."""
    resource: str
    """Its resource."""
    hit: Estimate
    """P(the operation is a HIT)."""
    lateness_hours: Maybe
    """Mean of max(0, actual end - planned end) over the replications that executed it (hours)."""
    not_executed: float
    """Share of replications in which it never ran within the simulated time."""
    main_cause: str | None
    """The cause of most of its misses (null: never missed)."""
    causes: dict[str, float]
    """Misses per replication by cause."""
    planned_end: NotRequired[str]
    """Planned end, ISO 8601 in the plan's offset."""


@with_config(PART)
class CauseShare(TypedDict):
    """One cause of the taxonomy in the score's miss Pareto."""

    cause: str
    """A cause of the taxonomy (material, breakdown, performance, ...)."""
    share: Share
    """Share of all misses."""
    misses_per_replication: float
    """Misses with this cause per replication."""
    lost_units: float
    """Units lost to misses of this cause, per replication."""


@with_config(PART)
class HorizonDates(TypedDict):
    """A plan's horizon."""

    start: str
    """Start, ISO 8601 with the plan's offset."""
    end: str
    """End, ISO 8601."""


@with_config(PART)
class FinishAt(TypedDict):
    """The plan's finish as dates in the plan's offset (the same figures as ``finish``)."""

    mean: str | None
    """Mean finish, ISO 8601."""
    p50: str | None
    """Median finish, ISO 8601."""
    p80: str | None
    """80th percentile of the finish, ISO 8601."""
    p90: str | None
    """90th percentile of the finish, ISO 8601."""


# -- criticality and rigor advice -----------------------------------------------------------


@with_config(PART)
class Cruciality(TypedDict):
    """Pearson correlation of the operation's delay with the plan's loss (null: no variation)."""

    bts: Correlation
    """With 1 - BTS: how much its delay drags adherence down."""
    miss: Correlation
    """With the plan-miss indicator (point-biserial)."""


@with_config(PART)
class OperationCriticality(TypedDict):
    """How often an operation starts the failures, and how much its delay matters."""

    id: str
    """Operation id."""
    resource: str
    """Its resource."""
    criticality: Estimate
    """Share of replications whose first miss (earliest planned start) began at this operation."""
    cruciality: Cruciality
    """Correlation of its delay with the plan's loss."""
    ssi: NonNegative
    """Schedule sensitivity index sd(duration) / sd(finish) x criticality (Vanhoucke 2010)."""
    duration_sd_hours: NonNegative
    """Standard deviation of its actual duration (hours)."""


@with_config(PART)
class ResourceCriticality(TypedDict):
    """How often a resource starts the failures."""

    id: str
    """Resource id."""
    criticality: Estimate
    """Share of replications whose first miss began on this resource."""


@with_config(PART)
class Criticality(TypedDict):
    """Which operations and resources start the failures."""

    operations: list[OperationCriticality]
    """Every judged operation, most critical first."""
    resources: list[ResourceCriticality]
    """Every resource, most critical first."""
    finish_sd_hours: NonNegative
    """Standard deviation of the plan's finish (hours)."""
    method: NotRequired[str]
    """The definitions, in one sentence."""


class HoldsPoint(Estimate):
    """P(a factor holds through ``hours``): it broke in none of the buckets before."""

    hours: NonNegative
    """Hours from the horizon start."""


@with_config(PART)
class FactorRigor(TypedDict):
    """How far ahead one factor holds with the advice's confidence."""

    factor: Factor
    """volume, mix or sequence."""
    horizon_hours: NonNegative
    """Largest horizon (hours from the horizon start) through which it holds with the confidence."""
    horizon_hours_low: NonNegative
    """The same where even the lower bound of the 95% interval reaches the confidence."""
    probability: HoldsPoint | None
    """P(holds) at ``horizon_hours`` (at the first bucket when it is 0)."""
    demanded_until_hours: NonNegative
    """Until when the bands demand the factor (hours from the horizon start); null: always."""
    holds_through: list[HoldsPoint]
    """The factor's holds-through curve, one point per bucket boundary."""


@with_config(PART)
class RigorAdvice(TypedDict):
    """How far ahead volume, mix and sequence hold, next to what the bands demand."""

    confidence: Annotated[float, WithJsonSchema({"type": "number", "exclusiveMinimum": 0,
                                                 "exclusiveMaximum": 1})]
    """The probability the advice asks for (``score --confidence``), in (0, 1)."""
    bucket_hours: float
    """Bucket size (hours)."""
    horizon_hours: NotRequired[float]
    """Length of the horizon (hours)."""
    factors: Annotated[list[FactorRigor], Field(min_length=3, max_length=3)]
    """volume, mix and sequence."""
    advice: list[str]
    """One sentence per factor."""


# -- parameter uncertainty -----------------------------------------------------------------


@with_config(PART)
class VarianceShare(TypedDict):
    """The parameters' share of the variance with its F-based 95% interval (null: no variance)."""

    mean: Share
    """Estimate."""
    low: Share
    """Lower bound."""
    high: Share
    """Upper bound."""


@with_config(PART)
class Variance(TypedDict):
    """Law of total variance by one-way random-effects ANOVA over the parameter draws."""

    draws: int
    """Parameter draws with defined values."""
    replications: int
    """Replications with defined values."""
    total_variance: float
    """Var(Y)."""
    parameter_variance: float
    """Var(E[Y | parameters]): what knowing the parameters would remove."""
    shop_floor_variance: float
    """E[Var(Y | parameters)]: shop-floor randomness."""
    parameter_share: VarianceShare
    """parameter_variance / total_variance."""


@with_config(PART)
class DayVariance(TypedDict):
    """The decomposition of P(holds through day k)."""

    day: int
    """k."""
    variance: Variance | None
    """Its decomposition (null: not estimable)."""


@with_config(PART)
class ParameterUncertainty(TypedDict):
    """What the uncertain parameters contribute (null without uncertain parameters)."""

    parameters: list[str]
    """The uncertain parameters by key."""
    replications_per_draw: int
    """Replications sharing one parameter draw."""
    draws: int
    """Parameter draws."""
    plan_holds: Variance | None
    """Decomposition of the plan-holds indicator."""
    bts: Variance | None
    """Decomposition of BTS."""
    btp: Variance | None
    """Decomposition of BTP."""
    finish: Variance | None
    """Decomposition of the finish."""
    holds_through_day: list[DayVariance]
    """Decomposition of each holds-through-day indicator."""


# -- paired differences: compare and sensitivity --------------------------------------------


@with_config(PART)
class Difference(TypedDict):
    """A paired difference a - b over replications with common random numbers."""

    mean: Maybe
    """Mean difference (a share for ratios, hours for finish)."""
    low: Maybe
    """Lower bound of its 95% t interval."""
    high: Maybe
    """Upper bound."""
    p_a_better: Maybe
    """Share of replications in which a is strictly better (higher; earlier for finish)."""
    p_tie: Maybe
    """Share of replications with no difference."""
    half_width_paired: Maybe
    """Half-width of the paired interval."""
    half_width_independent: Maybe
    """Half-width independent streams would have given (what pairing buys)."""


class PairedDifference(Difference):
    """One metric of plan a minus plan b."""

    a: str
    """Plan a (its id)."""
    b: str
    """Plan b."""
    metric: Literal["plan_holds", "bts", "btp", "volume", "mix", "sequence", "finish"]
    """The compared figure."""


@with_config(PART)
class PlanSummary(TypedDict):
    """One compared plan's headline figures."""

    id: str
    """Plan id (``#2`` appended when the same plan is given twice)."""
    plan_holds: Estimate | None
    """P(every operation is a HIT)."""
    adherence: Adherence
    """Expected adherence."""
    finish: Finish | None
    """Finish (hours from its horizon start)."""
    finish_at: NotRequired[FinishAt]
    """Finish as dates in the plan's offset."""


@with_config(PART)
class SensitivityRow(TypedDict):
    """The gain when one source (or resource) is removed or halved: variant - base."""

    kind: Literal["source", "resource"]
    """A disruption source over all resources, or one resource's own disruptions together."""
    name: str
    """Which source or resource."""
    change: Literal["removed", "halved"]
    """What was done to it."""
    plan_holds: Difference
    """Gain in P(plan holds)."""
    bts: Difference
    """Gain in BTS."""


@with_config(PART)
class SensitivityBase(TypedDict):
    """The base premises' figures."""

    plan_holds: float
    """P(plan holds)."""
    bts: Number
    """Mean BTS."""


@with_config(PART)
class Sensitivity(TypedDict):
    """The tornado of ``score --sensitivity`` (null without it)."""

    seed: int
    """Seed shared by the base and every variant."""
    replications: int
    """Replications of each run."""
    base: SensitivityBase
    """The base figures."""
    rows: list[SensitivityRow]
    """One row per variant, removals first."""
