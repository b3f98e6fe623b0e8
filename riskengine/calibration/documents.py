"""The calibration and back-test documents (``riskengine.calibration/1``, ``riskengine.backtest/1``).

Their result objects (:class:`~riskengine.calibration.result.CalibrationResult`,
:class:`~riskengine.calibration.backtest.BacktestResult`) also carry what is not
written (the samples, the calibrated premises object); ``to_dict()`` builds the
document and checks it against these models (:mod:`riskengine.io.documents`).
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired

from pydantic import Field, with_config
from typing_extensions import TypedDict

from riskengine.io.documents import PART, Distribution, Document, Maybe, Rules


@with_config(PART)
class Interval(TypedDict):
    """An estimate with its 95% interval."""

    estimate: Maybe
    """Point estimate (null: only a bound is known)."""
    low: Maybe
    """Lower bound."""
    high: Maybe
    """Upper bound (null: unbounded)."""
    lower_bound: NotRequired[bool]
    """True when no event was observed and only the one-sided lower bound is known."""


@with_config(PART)
class Estimate(TypedDict):
    """One calibrated figure with its 95% interval."""

    parameter: str
    """A premises path, e.g. ``resources.P1.breakdowns.mttr_hours`` (``materials.late``: pooled)."""
    quantity: Literal["mean", "cv", "probability"]
    """Which figure of the parameter."""
    n: int
    """Values (for a distribution) or trials (for a probability) it rests on."""
    n_censored: int
    """Of which right-censored (e.g. the time since the last failure at a window's end)."""
    method: str
    """How it was estimated."""
    fallback: str | None
    """Null, or why a fallback (pooled data, a bound) was used."""
    estimate: Maybe
    """Point estimate (null: only a bound is known)."""
    low: Maybe
    """Lower bound of the 95% interval."""
    high: Maybe
    """Upper bound (null: unbounded)."""
    lower_bound: NotRequired[bool]
    """True when no event was observed and only the one-sided lower bound is known."""


@with_config(PART)
class GoodnessOfFit(TypedDict):
    """Goodness of fit of one candidate (uncensored samples only)."""

    ks: Maybe
    """Kolmogorov-Smirnov statistic."""
    ks_pvalue: Maybe
    """Its p-value (conservative: the parameters come from the same data)."""
    ad: Maybe
    """Anderson-Darling A^2."""
    note: str
    """How to read them."""


@with_config(PART)
class Candidate(TypedDict):
    """One family fitted by maximum likelihood."""

    family: str
    """exponential, lognormal, gamma or weibull."""
    distribution: dict[str, Any]
    """The fitted distribution in the premises' form ``{"dist": ..., ...}``."""
    loglik: float
    """Maximized log-likelihood."""
    aic: float
    """Akaike information criterion (least is best)."""
    mean: Interval
    """Mean with its 95% interval."""
    cv: Interval | None
    """Coefficient of variation with its 95% interval (null for the exponential: 1)."""
    gof: GoodnessOfFit
    """Goodness of fit."""


@with_config(PART)
class Fit(TypedDict):
    """The candidate families of one fitted parameter."""

    n: int
    """Values."""
    n_censored: int
    """Of which censored."""
    chosen: str
    """The chosen family (least AIC, the simplest within 2 units)."""
    candidates: list[Candidate]
    """Every family that could be fitted, best first."""


@with_config(PART)
class Fallback(TypedDict):
    """A premise that had too little data."""

    parameter: str
    """The premises path."""
    reason: str
    """What was missing."""
    used: str
    """What was done instead."""


class CalibrationDocument(Document):
    """Premises calibrated from history, each estimate with its interval, sample size and method."""

    format: Literal["riskengine.calibration/1"]
    """The document's format and version."""
    plans: list[str]
    """The plan versions the history covers."""
    estimates: list[Estimate]
    """Every estimated figure."""
    fits: dict[str, Fit]
    """Per fitted parameter, the candidate families."""
    fallbacks: list[Fallback]
    """Premises that had too little data, and what was used."""
    warnings: list[str]
    """Everything the user should know (fallbacks, assumptions such as default execution rules)."""
    premises: dict[str, Any]
    """The calibrated premises (riskengine.premises/1, point estimates), as written to --out."""


# -- back-test -------------------------------------------------------------------------------


@with_config(PART)
class ReliabilityBin(TypedDict):
    """Forecasts of one tenth of [0, 1] against what happened."""

    low: float
    """Lower edge of the forecast bin."""
    high: float
    """Upper edge."""
    n: int
    """Forecasts in the bin."""
    forecast: float
    """Their mean forecast P(HIT)."""
    observed: float
    """The share that were HITs."""
    observed_low: float
    """Lower bound of its 95% Wilson interval."""
    observed_high: float
    """Upper bound."""
    within: bool
    """Whether the mean forecast lies in that interval."""


@with_config(PART)
class HitStatistics(TypedDict):
    """Operation hit forecasts against outcomes."""

    n: int
    """Forecast operations with an outcome."""
    brier: Maybe
    """Brier score mean (p - y)^2 (null without forecasts)."""
    brier_reference: NotRequired[float]
    """Brier score of the base rate."""
    brier_skill: NotRequired[Maybe]
    """1 - brier / brier_reference (null when the reference is 0: every outcome the same)."""
    mean_forecast: NotRequired[float]
    """Mean forecast P(HIT)."""
    observed_rate: NotRequired[float]
    """Share of HITs."""
    spiegelhalter_z: NotRequired[Maybe]
    """Spiegelhalter's calibration z (independent outcomes)."""
    spiegelhalter_p: NotRequired[Maybe]
    """Its two-sided p-value."""
    clusters: NotRequired[int]
    """Plan versions (clusters of dependent outcomes)."""
    z_clustered: NotRequired[Maybe]
    """z with the cluster-robust variance."""
    p_clustered: NotRequired[Maybe]
    """Its p-value (t with clusters - 1 degrees of freedom)."""
    bins: NotRequired[list[ReliabilityBin]]
    """The reliability diagram."""
    bins_within: NotRequired[int]
    """Bins whose forecast lies in the observed interval."""


@with_config(PART)
class Coverage(TypedDict):
    """How often the realized figure fell in the forecast's P10-P90 interval (nominal 80%)."""

    covered: int
    """Realized figures inside."""
    n: int
    """Figures checked."""
    rate: Maybe
    """covered / n (null when n = 0)."""


@with_config(PART)
class PlanBacktest(TypedDict):
    """One past plan version."""

    id: str
    """Version id."""
    operations: int
    """Forecast operations with a measured outcome."""
    whole_horizon: bool
    """Whether the version was in effect over its whole horizon (else no plan-level coverage)."""
    forecast_plan_holds: Maybe
    """Forecast P(plan holds)."""
    rules: Rules
    """The adherence rules of the version's premises, by which it was forecast and measured."""
    realized: NotRequired[dict[Literal["bts", "btp", "volume", "mix", "sequence"], Maybe]]
    """Realized BTS, BTP, volume, mix and sequence over the version's horizon."""
    forecast: NotRequired[dict[Literal["bts", "btp", "volume", "mix", "sequence"], Distribution | None]]
    """Their forecasts."""


@with_config(PART)
class BandBacktest(TypedDict):
    """A horizon band over the versions in effect over their whole horizon."""

    band: str
    """Band label."""
    versions: int
    """Versions it is averaged over."""
    forecast: float
    """Mean forecast band score."""
    realized: float
    """Mean realized band score."""


@with_config(PART)
class OperationBacktest(TypedDict):
    """One forecast operation and what happened."""

    plan: str
    """Plan version."""
    id: str
    """Operation id."""
    forecast: float
    """Forecast P(HIT)."""
    hit: bool
    """Realized HIT."""


class BacktestDocument(Document):
    """Past forecasts against what happened: Brier score, reliability, interval coverage."""

    format: Literal["riskengine.backtest/1"]
    """The document's format and version."""
    replications: int
    """Replications of each forecast."""
    seed: int
    """Seed of each forecast."""
    plans: list[PlanBacktest]
    """Every past plan version."""
    hits: HitStatistics
    """Operation hit forecasts against outcomes."""
    coverage: dict[str, Coverage]
    """Coverage by figure: ``bucket.bts``, ``plan.volume``, ``band.<24h``, ..."""
    bands: list[BandBacktest]
    """Forecast against realized per band."""
    operations: list[OperationBacktest]
    """Every forecast operation with its outcome."""
    warnings: list[str] = Field(default_factory=list)
    """What the back-test had to assume or found wanting (e.g. forecasts that cannot be scored)."""
    rules: Rules | None = None
    """The adherence rules of every version (null when the versions' premises set different
    rules: each version's are in plans[])."""
