"""The review sheet and the trend over HTTP and ``riskengine call`` (``POST /v1/review``, ``/v1/trend``).

The requests (:class:`ReviewRequest`, :class:`TrendRequest`) carry the documents
inline, as the other operations' do (:mod:`riskengine.service.requests`): the
plan and its premises (or ``premises_toml``) for a review, the measurements
(``riskengine.measurement/1``, as ``measure`` returns them) for a trend, and for
both an optional ``owners`` table (``riskengine.owners/1``). :func:`inputs`
validates what the service's generic validation does not know, every problem
located in the request (``measurements[2].buckets[4].planned``, ``owners.causes.x``);
:func:`run` returns the result document, the same dict the CLI writes with ``--json``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, SkipValidation

from riskengine.analysis.score import MAX_REPLICATIONS, MAX_SEED
from riskengine.errors import InputError, Problem
from riskengine.governance.trend_input import MAX_MEASUREMENTS
from riskengine.model.common import ABSENT, Strict
from riskengine.model.plan import Plan
from riskengine.model.premises import Premises

PREMISES_TOML = ("The premises as TOML text (what a premises.toml file holds), instead of the JSON "
                 "document in premises; give one of the two.")
OWNERS = ("Who owns each cause and its corrective action (riskengine.owners/1: {\"format\": "
          "\"riskengine.owners/1\", \"causes\": {\"breakdown\": {\"owner\": ..., \"action\": ...}}}); "
          "absent: the default table.")


class ReviewRequest(Strict):
    """``POST /v1/review``: the options of ``riskengine review`` (the sheet; sign-off is a file
    operation of the command line)."""

    plan: SkipValidation[Plan]
    premises: SkipValidation[Premises] = ABSENT  # or premises_toml (one of the two)
    premises_toml: str = Field(default=ABSENT, description=PREMISES_TOML)
    replications: Annotated[int, Field(ge=1, le=MAX_REPLICATIONS)] = 1000
    seed: Annotated[int, Field(ge=0, le=MAX_SEED)] = 0
    engine: Literal["kernel", "reference"] = "kernel"
    top: Annotated[int, Field(ge=1, le=1000)] = 10
    confidence: Annotated[float, Field(gt=0, lt=1)] = 0.8
    owners: dict[str, Any] | None = Field(default=None, description=OWNERS)


class TrendRequest(Strict):
    """``POST /v1/trend``: measurements (one period each) and an optional ownership table."""

    measurements: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=MAX_MEASUREMENTS,
                                                        description="Measurements (riskengine."
                                                        "measurement/1), one period each.")]
    owners: dict[str, Any] | None = Field(default=None, description=OWNERS)


def located(prefix: str, exc: InputError) -> list[Problem]:
    return [Problem(f"{prefix}.{p.location}" if p.location else prefix, p.message) for p in exc.problems]


def inputs(operation: str, data: dict) -> tuple[dict | None, list | None, list[Problem]]:
    """The ownership table (of a measure, review or trend request) and the parsed measurements (of a
    trend request), and the problems found in them."""
    from riskengine.governance.owners import parse_owners
    from riskengine.governance.trend_input import parse_measurement

    problems: list[Problem] = []
    owners = measurements = None
    if operation in ("measure", "review", "trend") and isinstance(data.get("owners"), dict):
        try:
            owners = parse_owners(data["owners"])
        except InputError as exc:
            problems += located("owners", exc)
    if operation == "trend" and isinstance(data.get("measurements"), list):
        measurements = []
        for k, m in enumerate(data["measurements"][:MAX_MEASUREMENTS]):
            try:
                measurements.append((f"measurements[{k}]", parse_measurement(m)))
            except InputError as exc:
                problems += located(f"measurements[{k}]", exc)
    return owners, measurements, problems


def run(v) -> dict:
    """The review sheet or the trend of a validated request (``riskengine.review/1``, ``trend/1``)."""
    r = v.request
    if v.operation == "review":
        from riskengine.governance.review import review

        return review(v.plans[0], v.premises, replications=r.replications, seed=r.seed, engine=r.engine,
                      top=r.top, confidence=r.confidence, owners=v.owners).to_dict()
    from riskengine.governance.trend import trend

    return trend(v.measurements, v.owners).to_dict()
