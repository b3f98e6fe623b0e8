"""How adherence is judged: horizon bands, tolerances and the sequence basis.

The same rules apply to a measurement of realized data and to every
simulated replication; the premises file carries them for a score
(``bands`` and the tolerances of ``execution``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from riskengine.model.common import BucketHours, NonNegative, PositiveQuantity, Strict

Measure = Literal["volume", "mix", "sequence"]


class Band(Strict):
    """A horizon band: buckets starting less than ``until_hours`` after the
    publication of the plan in effect are scored on ``measures``; the last band
    has no ``until_hours`` and takes everything beyond."""

    until_hours: PositiveQuantity | None = None
    """Buckets starting less than this many hours after the plan's publication belong to the band;
    omitted on the last band (everything beyond)."""
    measures: list[Measure] = Field(min_length=1)
    """The factors the band is scored on (volume, mix, sequence): its rigor."""

    @property
    def label(self) -> str:
        return f"<{self.until_hours:g}h" if self.until_hours is not None else "rest"


DEFAULT_BANDS = (
    Band(until_hours=24, measures=["volume", "mix", "sequence"]),
    Band(until_hours=48, measures=["volume", "mix"]),
    Band(measures=["volume"]),
)


def check_bands(bands: list[Band]) -> list[Band]:
    """Bands must have increasing ``until_hours`` and end with one open band."""
    previous: float | None = None  # until_hours of the band before
    for k, band in enumerate(bands[:-1]):
        if band.until_hours is None:
            raise ValueError(f"bands[{k}]: only the last band may omit until_hours")
        if previous is not None and band.until_hours <= previous:
            raise ValueError(f"bands[{k}].until_hours must be larger than the band before")
        previous = band.until_hours
    if bands and bands[-1].until_hours is not None:
        if previous is not None and bands[-1].until_hours <= previous:
            raise ValueError(f"bands[{len(bands) - 1}].until_hours must be larger than the band before")
        bands = [*bands, Band(measures=list(bands[-1].measures))]
    return bands


class AdherenceRules(Strict):
    """Rules of judgement shared by measurement and simulation (docs/design.md section 2).

    ``quantity_tolerance`` is the share of the planned quantity that counts as
    complete (1.0: all of it); ``lateness_tolerance_hours`` extends each
    operation's planned bucket end for the HIT test; ``sequence_basis`` counts
    sequence in orders (default) or in units.
    """

    bucket_hours: BucketHours | None = None
    """Bucket size in hours (default: the first plan's bucket_hours)."""
    bands: Annotated[list[Band], Field(min_length=1)] = Field(
        default_factory=lambda: [b.model_copy() for b in DEFAULT_BANDS])
    """Horizon bands, by increasing until_hours, the last without."""
    lateness_tolerance_hours: NonNegative = 0.0
    """Hours after the end of an operation's planned bucket that still count as on time."""
    quantity_tolerance: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 1.0
    """Share of the planned quantity that counts as complete (1: all of it)."""
    sequence_basis: Literal["orders", "units"] = "orders"
    """Count sequence adherence in orders or in units."""

    @model_validator(mode="after")
    def _bands(self) -> AdherenceRules:
        self.bands = check_bands(self.bands)
        return self

    def overridden(self, **given: object) -> AdherenceRules:
        """These rules with the fields given (not None) replaced: options of a command over the
        rules of a premises file."""
        changed = {k: v for k, v in given.items() if v is not None}
        return AdherenceRules.model_validate(self.model_dump() | changed) if changed else self

    def document(self, bucket_hours: float | None) -> dict:
        """The ``rules`` object of a result: these rules with the bucket size in use
        (``bucket_hours``: the plan's, unless these rules set one; None when plans differ)."""
        out = self.model_dump(mode="json")
        out["bucket_hours"] = self.bucket_hours or bucket_hours
        return out
