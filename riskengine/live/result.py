"""The forecast result (``riskengine.forecast/1``): a score of the whole horizon from the state at
the as-of time, the realized part, the alerts and what changed."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from riskengine.analysis.result import ScoreResult
from riskengine.live.documents import (
    Alert,
    Change,
    ForecastOperation,
    ForecastState,
    Horizon,
    PreviousForecast,
    RealizedPart,
)

FORECAST_FORMAT = "riskengine.forecast/1"


class ForecastResult(ScoreResult):
    """The forecast of a plan's execution from the shop floor's state at the as-of time
    (``riskengine.forecast/1``): everything a score has, for the whole horizon, where the buckets
    that ended by the as-of time count their realized counts and the others their simulated counts
    (one consolidation by counts); the realized part; the operations now below the alert
    probability; with a previous forecast, what changed and why.

    A figure settled at the as-of time (a realized bucket, an operation whose verdict is known, the
    plan's holding once a realized operation missed) has a zero-width interval.
    """

    format: Literal["riskengine.forecast/1"] = FORECAST_FORMAT  # type: ignore[assignment]
    """The document's format and version."""
    operations: list[ForecastOperation]  # type: ignore[assignment]
    """Every judged operation: realized ones as measured (hit exactly 0 or 1), the others simulated
    from the as-of time (P(HIT), lateness, main miss cause, when now expected)."""
    as_of: str
    """The as-of time, ISO 8601 in the plan's offset: nothing before it is simulated."""
    as_of_horizon: Horizon
    """Where the as-of time falls in the horizon."""
    state: ForecastState
    """What the replications started from: operations done and in progress, resources down, lots
    known late, crews known absent."""
    realized: RealizedPart
    """The measurement up to the as-of time (the buckets that ended by then)."""
    alert_threshold: float
    """The alert probability (--alert): operations (and orders) below it are alerts."""
    alerts: list[Alert]
    """Operations now below the alert probability, least likely first (orders too, once plans
    have orders)."""
    changes: list[Change] | None = None
    """With a previous forecast: the operations whose P(HIT) moved by at least 5 points, most
    first (null without one)."""
    previous: PreviousForecast | None = None
    """The previous forecast compared with (null: none)."""
    replications_for_dates: int = 0
    """Replications sampled for the dates (expected starts and ends, the report's Gantt): the
    first quarter of them, at most 100 and as many as keep their starts and ends within 16 MB."""
    warnings: list[str] = Field(default_factory=list)
    """What the inputs leave out or name in vain, and what the forecast had to assume."""

    def __str__(self) -> str:
        from riskengine.live.text import forecast_text

        return forecast_text(self)
