"""The parts of the measurement document (``riskengine.measurement/1``).

Typed dicts with a description under each key (:mod:`riskengine.io.documents`);
the counts and ratios are those of :mod:`riskengine.adherence.arrays`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import with_config
from typing_extensions import TypedDict

from riskengine.governance.documents import FlagNote, FlagOutcome, Side, SideCauses, Sides, ValidationRecord
from riskengine.io.documents import PART, Maybe, Number, Rules, Share  # noqa: F401 (Rules: re-exported)

Factor = Literal["volume", "mix", "sequence"]


@with_config(PART)
class Figures(TypedDict):
    """Counts (units or orders, summed over buckets) and the ratios computed from them; a ratio is
    null where nothing was planned."""

    planned: Number
    """S: planned units (operations whose planned end falls in the period)."""
    produced: Number
    """A: good units completed in the period, whatever bucket they were planned in."""
    volume_units: Number
    """min(A, S) per bucket: production that counts for volume."""
    built_to_mix: Number
    """B = sum over products of min(S_i, A_i) per bucket."""
    orders_built_to_mix: Number
    """Planned orders completed in their bucket (per resource)."""
    orders_in_sequence: Number
    """Of those, the longest run in planned order (longest increasing subsequence, per resource)."""
    units_built_to_mix_in_orders: Number
    """The same orders weighted by min(planned, good) units."""
    units_in_sequence: Number
    """Maximum-weight increasing subsequence of those units."""
    volume: Share
    """V = min(A, S) / S."""
    mix: Share
    """M = B / A (0 when nothing was produced)."""
    sequence: Share
    """Sq = in sequence / built to mix (orders, or units with sequence_basis units)."""
    btp: Share
    """Build to plan = B / S."""
    bts: Share
    """Build to schedule = V x M x Sq."""


class BucketFigures(Figures):
    """One bucket, measured against the plan version in effect at its start."""

    index: int
    """Position from the timeline start, from 0."""
    start: str
    """Start, ISO 8601."""
    end: str
    """End, ISO 8601."""
    plan: str
    """The plan version in effect (newest published at or before the bucket's start)."""
    band: str
    """Its horizon band (by the time from that version's publication to the bucket's start)."""
    validated: bool
    """Whether operations signed that version off (it carries a validation record)."""


class BandFigures(Figures):
    """A horizon band: the sums over its buckets, scored on its measures."""

    band: str
    """Label, e.g. ``<24h``; ``rest`` for the last band."""
    until_hours: Maybe
    """Upper bound in hours after publication; null for the last band."""
    measures: list[Factor]
    """The factors the band is scored on."""
    buckets: int
    """How many buckets fall in the band."""
    score: Share
    """The product of its measures' ratios (null: nothing planned)."""


class ScopeFigures(Figures):
    """A resource or an area measured on its own."""

    id: str
    """Resource or area id."""


@with_config(PART)
class ProductFigures(TypedDict):
    """One product over the whole timeline."""

    id: str
    """Product id."""
    planned: float
    """Planned units."""
    produced: float
    """Good units produced."""
    built_to_mix: float
    """sum over buckets of min(planned, produced)."""
    family: str | None
    """Its family (the setup family of its operations; null: none given): trends are shown per
    family, never mixing products."""


@with_config(PART)
class OperationOutcome(TypedDict):
    """A planned operation judged HIT or MISS. A HIT: it completed within its planned bucket (plus
    the lateness tolerance), with its quantity (times the quantity tolerance), in sequence."""

    id: str
    """Operation id."""
    plan: str
    """The plan version it was measured against."""
    resource: str
    """Its resource."""
    product: str
    """Its product."""
    bucket: int
    """Index of its planned bucket."""
    planned: float
    """Planned quantity."""
    good: float
    """Good quantity produced (summed over its records)."""
    start: str | None
    """Actual start (earliest record), ISO 8601; null: not executed."""
    end: str | None
    """Actual end (latest record); null: not executed."""
    hit: bool
    """True for a HIT."""
    deviation: Literal["late", "short", "out_of_sequence", "not_executed"] | None
    """Why it is a MISS (null for a HIT)."""
    cause: str | None
    """The recorded cause of a MISS (``unknown`` when none was recorded; null for a HIT)."""
    lost_units: float
    """Planned units missing from the bucket: all of them when late or not executed, the shortfall
    when short, none when out of sequence (the units were there)."""
    flag: FlagNote | None
    """The risk the supervisor flagged on it when signing off the version it was measured against
    (null: not flagged)."""


@with_config(PART)
class CauseCount(TypedDict):
    """A cause in the Pareto of misses."""

    cause: str
    """A cause of the taxonomy."""
    misses: int
    """Misses with this cause."""
    lost_units: float
    """Units those misses cost."""
    share: Share
    """Share of all misses."""
    owner: str
    """Who owns the cause (the ownership table: default or measure --owners)."""
    action: str
    """The structural corrective action the cause calls for."""
    side: Side
    """plan, execution or unexplained (accountability.rule)."""


@with_config(PART)
class PlanVersion(TypedDict):
    """A plan version of the history."""

    id: str
    """Version id."""
    published_at: str
    """Publication, ISO 8601."""
    status: Literal["draft", "proposed", "validated", "published"] | None
    """Its status (null: not recorded)."""
    validated: bool
    """Whether operations signed it off (it carries a validation record)."""
    validation: ValidationRecord | None
    """The sign-off: who, when, the flags (null: never validated)."""


@with_config(PART)
class Timeline(TypedDict):
    """The buckets the measurement lays from the earliest horizon start."""

    start: str
    """Start, ISO 8601."""
    end: str
    """End of the last bucket."""
    bucket_hours: float
    """Bucket size (hours)."""
    buckets: int
    """Number of buckets."""


@with_config(PART)
class DataQuality(TypedDict):
    """How complete the realized data is."""

    operations: int
    """Operations measured."""
    misses: int
    """Of which MISS."""
    misses_without_cause: int
    """Misses whose records carry no cause."""
    share_without_cause: float
    """misses_without_cause / misses."""
    unplanned_units: float
    """Units produced by records without an operation."""
    records_outside_timeline: int
    """Records that end outside the timeline and count in no bucket."""


class Split(Figures):
    """Adherence under the plans operations validated, or under those they did not: the counts
    summed over the buckets whose plan in effect was (or was not) validated, then divided."""

    buckets: int
    """Buckets in this part."""
    operations: int
    """Operations measured against those plan versions."""
    hits: int
    """Of which HIT."""
    misses: int
    """Of which MISS."""
    sides: Sides
    """The misses by side."""


@with_config(PART)
class Accountability(TypedDict):
    """Who answers for the adherence: validated or not, plan-side or execution-side, flags
    (docs/design.md section 9)."""

    rule: str
    """Which causes are plan-side, execution-side or unexplained, in words."""
    sides: SideCauses
    """The causes of each side."""
    validated: Split
    """The buckets whose plan in effect operations had signed off."""
    not_validated: Split
    """The buckets whose plan in effect was never validated."""
    misses: Sides
    """All misses by side."""
    flags: FlagOutcome
    """How the risks flagged at sign-off turned out."""

