"""Typed result documents: the one source of every result's fields, JSON Schema and OpenAPI.

A result the tool writes (``riskengine.score/1``, ``compare/1``,
``measurement/1``, ``check/1``, ``calibration/1``, ``backtest/1``) is a
pydantic model: either the result object itself (:class:`Document`
subclasses such as :class:`~riskengine.analysis.result.ScoreResult`) or the
document model its ``to_dict()`` validates through (the check, calibration
and back-test results, whose objects also carry what is not written).
Nested parts are ``TypedDict`` s, so that ``result.plan_holds["mean"]`` stays
a plain dict. Each field is described by the docstring under it
(:mod:`riskengine.model.describe`): the JSON Schema of ``riskengine schema NAME``,
the service's OpenAPI document and the result come from the same class.

Every part forbids undeclared keys (``extra="forbid"``): a field added to a
result without being declared here is an error in the tests, never silently
dropped or left out of the schema. Fields are added, never renamed (APS tools
depend on the names).
"""

from __future__ import annotations

import os
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, WithJsonSchema, with_config
from typing_extensions import TypedDict

from riskengine.model.describe import describe

#: Configuration of every nested part of a result.
PART = ConfigDict(extra="forbid", json_schema_extra=describe)

#: A JSON number kept as given (an integer count stays an integer, a ratio a float).
Number = Annotated[int | float, WithJsonSchema({"type": "number"})]
#: A number or null (null where it is undefined, e.g. a ratio where nothing was planned).
Maybe = Annotated[int | float | None, WithJsonSchema({"type": ["number", "null"]})]
#: A probability or ratio in [0, 1], or null.
Share = Annotated[int | float | None,
                  WithJsonSchema({"type": ["number", "null"], "minimum": 0, "maximum": 1})]
#: A correlation in [-1, 1], or null.
Correlation = Annotated[float | None,
                        WithJsonSchema({"type": ["number", "null"], "minimum": -1, "maximum": 1})]
#: A number at least 0, or null.
NonNegative = Annotated[int | float | None, WithJsonSchema({"type": ["number", "null"], "minimum": 0})]


#: Set (to anything but empty) to validate every result against its model as it is built: the
#: test suite does (tests/conftest.py), so a field that is not declared, or of another type than
#: declared, fails the tests. Off by default: validation costs about 0.3 s on a 10,000-operation
#: score, and the results are built by this code, not read from outside.
CHECK_ENV = "RISKENGINE_CHECK_RESULTS"


def checking() -> bool:
    """Whether results are validated against their models as they are built."""
    return bool(os.environ.get(CHECK_ENV))


class Document(BaseModel):
    """Base of the result models: strict about their fields, described field by field.

    Build a result with :meth:`build` (validated only when :func:`checking`);
    ``to_dict()`` is the JSON-ready document, exactly as built (an integer
    count stays an integer; NaN becomes null when written,
    :mod:`riskengine.io.writers`)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True,
                              json_schema_extra=describe)
    #: Fields a written document may leave out (every other one is always written, defaults too).
    optional: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def build(cls, **fields):
        """The result of these fields (checked against the model when :func:`checking`)."""
        if checking():
            cls.model_validate(fields)
        return cls.model_construct(**fields)

    @classmethod
    def checked(cls, document: dict) -> dict:
        """``document`` itself, checked against this model when :func:`checking` (for results
        whose objects carry more than they write: check, calibration, back-test)."""
        if checking():
            cls.model_validate(document)
        return document

    def to_dict(self) -> dict:
        return {name: getattr(self, name) for name in type(self).model_fields}


@with_config(PART)
class Estimate(TypedDict):
    """A probability or ratio estimated by Monte Carlo: the mean and its 95% interval (Wilson for
    probabilities, t for ratios; widened by the design effect when replications share parameter
    draws)."""

    mean: Share
    """The estimate, in [0, 1]."""
    low: Share
    """Lower bound of the 95% interval of the mean."""
    high: Share
    """Upper bound of the 95% interval of the mean."""


class Distribution(Estimate):
    """An estimate of a figure that varies from replication to replication: the mean with its 95%
    interval and the figure's own percentiles over replications (what one execution may give)."""

    p10: Share
    """10th percentile over replications."""
    p50: Share
    """Median over replications."""
    p90: Share
    """90th percentile over replications."""


@with_config(PART)
class Finish(TypedDict):
    """A finish time in hours from the horizon start: mean with its 95% t interval, standard
    deviation and percentiles over replications."""

    mean: Maybe
    """Mean (hours from the horizon start)."""
    low: Maybe
    """Lower bound of the 95% interval of the mean."""
    high: Maybe
    """Upper bound of the 95% interval of the mean."""
    sd: NonNegative
    """Standard deviation over replications (hours)."""
    p50: Maybe
    """Median (hours from the horizon start)."""
    p80: Maybe
    """80th percentile (hours from the horizon start)."""
    p90: Maybe
    """90th percentile (hours from the horizon start)."""


def written(model: type[BaseModel]) -> list[str]:
    """The fields a result document always carries (every field but the model's ``optional``):
    its schema's ``required``, defaults included (pydantic leaves those out)."""
    return [name for name in model.model_fields if name not in getattr(model, "optional", ())]


def schema_of(model: type[BaseModel], name: str, version: int = 1) -> dict:
    """The JSON Schema (draft 2020-12) of a result model, titled ``riskengine.NAME/VERSION``."""
    schema = model.model_json_schema(mode="serialization")
    schema["required"] = written(model)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"https://riskengine.dev/schema/{name}-{version}.json", **schema,
            "title": f"riskengine.{name}/{version}"}


@with_config(PART)
class RuleBand(TypedDict):
    """A horizon band of the adherence rules."""

    until_hours: Maybe
    """Buckets starting less than this many hours after the publication of the plan in effect
    belong to the band (null: the last band, everything beyond)."""
    measures: list[Literal["volume", "mix", "sequence"]]
    """The factors the band is scored on."""


@with_config(PART)
class Rules(TypedDict):
    """The adherence rules a result used (docs/design.md section 2): the same for a score, a
    measurement and a back-test when they come from the same premises (their ``execution`` and
    ``bands``)."""

    bucket_hours: Maybe
    """Bucket size in hours (the plan's unless the rules set one; null when compared plans
    differ)."""
    bands: list[RuleBand]
    """Horizon bands, by increasing until_hours."""
    lateness_tolerance_hours: Number
    """Hours after the end of an operation's planned bucket that still count as on time."""
    quantity_tolerance: Number
    """Share of the planned quantity that counts as complete."""
    sequence_basis: Literal["orders", "units"]
    """Sequence adherence counted in orders or in units."""
