"""Distributions of the premises (docs/design.md section 5), each with its analytic mean and variance.

Parameter uncertainty: where the premises take a number (a probability, a
scrap rate, a mean time between failures, the mean or cv of a distribution,
...), they also take an *uncertain number* ``{"uncertain": DIST}``: the
parameter itself is unknown and DIST describes what is known of it (a range,
a fitted posterior). Shop-floor randomness (aleatory: this lot is late) is
written ``{"dist": ...}``; knowledge uncertainty (epistemic: how often lots
are late) is written ``{"uncertain": ...}``. DIST must have plain numbers and
a support inside the field's range (a probability's in [0, 1], a mean's
above 0). The number the parameter has in a replication is drawn by the
engine at the outer level (:mod:`riskengine.simulation.parameters`). Inside
distributions, the parameters that may be uncertain are ``mean`` (exponential,
lognormal, gamma, normal), ``cv`` (lognormal, gamma), ``shape`` and ``scale``
(weibull), ``sd`` (normal) and ``value`` (fixed); bounds of uniform,
triangular and PERT, and empirical values, must be numbers.

A distribution is ``{"dist": NAME, ...parameters}``. Lognormal and gamma are
given by mean and coefficient of variation (cv = sd / mean), the way shop
data is usually summarised. ``to_scipy()`` returns the frozen scipy.stats
equivalent, which the tests use to check the samplers and calibration uses
for fitting.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Literal

import numpy as np
from pydantic import AfterValidator, Discriminator, Field, PrivateAttr, Tag, model_validator
from scipy import stats

from riskengine.model.common import Strict

Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Finite = Annotated[float, Field(allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]


def nominal(x: float | Uncertain) -> float:
    """A parameter's number, or for an uncertain one the mean of what is known of it."""
    return x.uncertain.mean() if isinstance(x, Uncertain) else x


def _support_within(low: float, high: float, low_open: bool) -> Callable[[Uncertain], Uncertain]:
    """Validator: the uncertain number's support lies in [low, high] (or (low, high])."""
    def check(u: Uncertain) -> Uncertain:
        lo, hi, lo_excluded = u.uncertain.support()
        if lo < low or hi > high or (low_open and lo == low and not lo_excluded):
            where = ("(" if low_open else "[") + f"{low:g}, {high:g}" + (")" if high == math.inf else "]")
            raise ValueError(f"the support [{lo:g}, {hi:g}] of the uncertain number must lie in {where}")
        return u
    return check


class Uncertain(Strict):
    """An uncertain number ``{"uncertain": DIST, "name": ...}`` (see the module docstring).

    ``name`` (optional) identifies the unknown: places that give the same name
    share one draw (e.g. one supplier's lateness probability on several
    materials). Without a name the parameter is identified by where it is
    written (``materials.M1.late.probability``); sections that inherit it (a
    resource inheriting ``defaults``) share that one draw.
    """

    uncertain: Distribution
    """What is known of the number: a distribution {dist = ...} of plain numbers whose support lies
    in the field's range (beta for a probability)."""
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    """Optional: places giving the same name share one draw (one unknown)."""
    _path: str = PrivateAttr(default="")

    @model_validator(mode="before")
    @classmethod
    def _hint(cls, data: object) -> object:
        if isinstance(data, dict) and "dist" in data and "uncertain" not in data:
            raise ValueError('a number is expected here; an uncertain number is written '
                             '{"uncertain": {"dist": ...}}')
        return data

    @model_validator(mode="after")
    def _plain(self) -> Uncertain:
        if any(isinstance(getattr(self.uncertain, f), Uncertain) for f in type(self.uncertain).model_fields):
            raise ValueError("the distribution of an uncertain number must have plain numbers")
        return self

    @property
    def key(self) -> str:
        """What identifies this unknown (its name, else its place in the premises)."""
        return self.name or self._path


def _kind(value: object) -> str:
    if isinstance(value, Uncertain) or (isinstance(value, dict) and "uncertain" in value):
        return "<uncertain>"
    if isinstance(value, dict | Strict):
        return "<distribution>"
    return "<number>"


def _kind_no_dist(value: object) -> str:
    return "<number>" if _kind(value) == "<number>" else "<uncertain>"


#: A field that takes a number or an uncertain number ``{"uncertain": ...}`` (or also a
#: distribution ``{"dist": ...}``) is the union of the shapes, tagged, routed by the input's shape
#: so that an error names only what the input meant to be (the tags in angle brackets are left out
#: of error locations by :func:`riskengine.errors.from_pydantic`), e.g.
#: ``Annotated[Annotated[Positive, AS_NUMBER] | Annotated[UPositive, AS_UNCERTAIN], BY_SHAPE]``.
AS_NUMBER, AS_UNCERTAIN, AS_DISTRIBUTION = Tag("<number>"), Tag("<uncertain>"), Tag("<distribution>")
#: Routes a number or an uncertain number.
BY_SHAPE = Discriminator(_kind_no_dist)
#: Routes a number, an uncertain number or a distribution.
BY_SHAPE_OR_DIST = Discriminator(_kind)


#: Bounds of a coefficient of variation: above MAX_CV a lognormal's or gamma's draws are 0 or
#: overflow; below MIN_GAMMA_CV a gamma's shape 1 / cv^2 overflows (a near-constant is ``fixed``).
MAX_CV = 1000.0
MIN_GAMMA_CV = 1e-100
#: Least alpha + beta of a beta distribution (see Beta).
MIN_BETA_SUM = 0.05
#: Share of an uncertain number's mass allowed beyond a field's working range on each side
#: (checked with the TAIL and 1 - TAIL quantiles) where its support is unbounded.
TAIL = 0.001


def quantile(dist: Distribution, q: float) -> float:
    """The q-quantile of a distribution (nan when it cannot be computed)."""
    if isinstance(dist, Empirical):
        return float(np.quantile(dist.values, q))
    try:
        if dist.variance() == 0.0:
            return float(dist.mean())
        return float(dist.to_scipy().ppf(q))
    except (ArithmeticError, ValueError):
        return math.nan


def _tails_within(low: float, high: float) -> Callable[[Uncertain], Uncertain]:
    """Validator: the uncertain number's TAIL and 1 - TAIL quantiles lie in [low, high]."""
    def check(u: Uncertain) -> Uncertain:
        lo, hi = quantile(u.uncertain, TAIL), quantile(u.uncertain, 1 - TAIL)
        if not (low <= lo and hi <= high):
            raise ValueError(f"the uncertain number's {TAIL:.1%} and {1 - TAIL:.1%} quantiles "
                             f"({lo:g}, {hi:g}) must lie in [{low:g}, {high:g}]")
        return u
    return check


#: An uncertain number in a field with the range [0, 1], above 0, at least 0 or any finite value.
UProbability = Annotated[Uncertain, AfterValidator(_support_within(0.0, 1.0, False))]
UPositive = Annotated[Uncertain, AfterValidator(_support_within(0.0, math.inf, True))]
UNonNegative = Annotated[Uncertain, AfterValidator(_support_within(0.0, math.inf, False))]
#: Fields of distributions that take a number or an uncertain number.
MaybePositive = Annotated[Annotated[Positive, AS_NUMBER] | Annotated[UPositive, AS_UNCERTAIN], BY_SHAPE]
MaybeNonNegative = Annotated[Annotated[NonNegative, AS_NUMBER] | Annotated[UNonNegative, AS_UNCERTAIN],
                             BY_SHAPE]
MaybeFinite = Annotated[Annotated[Finite, AS_NUMBER] | Annotated[Uncertain, AS_UNCERTAIN], BY_SHAPE]


def _between(low: float, high: float) -> Callable[[float], float]:
    """Validator: low <= x <= high (the bounds written with :g, unlike pydantic's ge/le)."""
    def check(x: float) -> float:
        if not low <= x <= high:
            raise ValueError(f"must be between {low:g} and {high:g}")
        return x
    return check


#: The cv of a lognormal (0: no spread) and of a gamma (see MAX_CV, MIN_GAMMA_CV).
LognormalCV = Annotated[
    Annotated[float, Field(ge=0, allow_inf_nan=False), AfterValidator(_between(0.0, MAX_CV)), AS_NUMBER]
    | Annotated[Uncertain, AfterValidator(_support_within(0.0, math.inf, False)),
                AfterValidator(_tails_within(0.0, MAX_CV)), AS_UNCERTAIN], BY_SHAPE]
GammaCV = Annotated[
    Annotated[float, Field(gt=0, allow_inf_nan=False), AfterValidator(_between(MIN_GAMMA_CV, MAX_CV)),
              AS_NUMBER]
    | Annotated[Uncertain, AfterValidator(_support_within(0.0, math.inf, True)),
                AfterValidator(_tails_within(MIN_GAMMA_CV, MAX_CV)), AS_UNCERTAIN], BY_SHAPE]


class Fixed(Strict):
    """Always the same value."""

    dist: Literal["fixed"]
    """The distribution's name."""
    value: MaybeFinite
    """The value (in the unit of the field): a number, or {uncertain = DIST} when it is not known."""

    def mean(self) -> float:
        return nominal(self.value)

    def variance(self) -> float:
        return 0.0

    def support(self) -> tuple[float, float, bool]:
        return self.mean(), self.mean(), False

    def to_scipy(self):
        return stats.uniform(loc=self.mean(), scale=0.0)


class Exponential(Strict):
    """Exponential: memoryless, the standard deviation equals the mean."""

    dist: Literal["exponential"]
    """The distribution's name."""
    mean_: MaybePositive = Field(alias="mean")
    """Mean (in the unit of the field, e.g. hours), above 0: a number, or {uncertain = DIST} when it is not
    known."""

    def mean(self) -> float:
        return nominal(self.mean_)

    def variance(self) -> float:
        return self.mean() ** 2

    def support(self) -> tuple[float, float, bool]:
        return 0.0, math.inf, True

    def to_scipy(self):
        return stats.expon(scale=self.mean())


class Lognormal(Strict):
    """ln X ~ N(mu, s^2) with s^2 = ln(1 + cv^2), mu = ln(mean) - s^2/2."""

    dist: Literal["lognormal"]
    """The distribution's name."""
    mean_: MaybePositive = Field(alias="mean")
    """Mean (in the unit of the field), above 0: a number, or {uncertain = DIST} when it is not known."""
    cv: LognormalCV
    """Coefficient of variation sd / mean (0.5: the sd is half the mean), at most 1000: a number, or
    {uncertain = DIST} when it is not known."""

    def log_params(self) -> tuple[float, float]:
        s2 = math.log1p(nominal(self.cv) ** 2)
        return math.log(self.mean()) - s2 / 2, math.sqrt(s2)

    def mean(self) -> float:
        return nominal(self.mean_)

    def variance(self) -> float:
        return (nominal(self.cv) * self.mean()) ** 2

    def support(self) -> tuple[float, float, bool]:
        return 0.0, math.inf, True

    def to_scipy(self):
        mu, s = self.log_params()
        return stats.lognorm(s=s, scale=math.exp(mu))


class Gamma(Strict):
    """Shape k = 1/cv^2, scale theta = mean cv^2."""

    dist: Literal["gamma"]
    """The distribution's name."""
    mean_: MaybePositive = Field(alias="mean")
    """Mean (in the unit of the field), above 0: a number, or {uncertain = DIST} when it is not known."""
    cv: GammaCV
    """Coefficient of variation sd / mean, between 1e-100 and 1000: a number, or {uncertain = DIST} when it is
    not known."""

    def shape_scale(self) -> tuple[float, float]:
        cv = nominal(self.cv)
        return 1.0 / cv**2, self.mean() * cv**2

    def mean(self) -> float:
        return nominal(self.mean_)

    def variance(self) -> float:
        return (nominal(self.cv) * self.mean()) ** 2

    def support(self) -> tuple[float, float, bool]:
        return 0.0, math.inf, True

    def to_scipy(self):
        k, theta = self.shape_scale()
        return stats.gamma(a=k, scale=theta)


class Weibull(Strict):
    """Weibull with shape k and scale lambda: mean lambda Gamma(1 + 1/k)."""

    dist: Literal["weibull"]
    """The distribution's name."""
    shape: MaybePositive
    """Shape k (above 1: wear-out, failures become likelier with age): a number, or {uncertain = DIST} when
    it is not known."""
    scale: MaybePositive
    """Scale lambda (in the unit of the field): a number, or {uncertain = DIST} when it is not known."""

    def mean(self) -> float:
        return nominal(self.scale) * math.gamma(1 + 1 / nominal(self.shape))

    def variance(self) -> float:
        k, lam = nominal(self.shape), nominal(self.scale)
        return lam**2 * (math.gamma(1 + 2 / k) - math.gamma(1 + 1 / k) ** 2)

    def support(self) -> tuple[float, float, bool]:
        return 0.0, math.inf, True

    def to_scipy(self):
        return stats.weibull_min(c=nominal(self.shape), scale=nominal(self.scale))


class Normal(Strict):
    """Normal (Gaussian)."""

    dist: Literal["normal"]
    """The distribution's name."""
    mean_: MaybeFinite = Field(alias="mean")
    """Mean (in the unit of the field): a number, or {uncertain = DIST} when it is not known."""
    sd: MaybeNonNegative
    """Standard deviation: a number, or {uncertain = DIST} when it is not known."""

    def mean(self) -> float:
        return nominal(self.mean_)

    def variance(self) -> float:
        return nominal(self.sd) ** 2

    def support(self) -> tuple[float, float, bool]:
        if isinstance(self.sd, float | int) and self.sd == 0 and not isinstance(self.mean_, Uncertain):
            return self.mean(), self.mean(), False
        return -math.inf, math.inf, False

    def to_scipy(self):
        return stats.norm(loc=self.mean(), scale=nominal(self.sd))


class Uniform(Strict):
    """Uniform between low and high."""

    dist: Literal["uniform"]
    """The distribution's name."""
    low: Finite
    """Lowest value."""
    high: Finite
    """Highest value (at least low)."""

    @model_validator(mode="after")
    def _order(self) -> Uniform:
        if self.high < self.low:
            raise ValueError(f"high must be >= low, got low {self.low:g} and high {self.high:g}")
        return self

    def mean(self) -> float:
        return (self.low + self.high) / 2

    def support(self) -> tuple[float, float, bool]:
        return self.low, self.high, False

    def variance(self) -> float:
        return (self.high - self.low) ** 2 / 12

    def to_scipy(self):
        return stats.uniform(loc=self.low, scale=self.high - self.low)


class Triangular(Strict):
    """Triangular from low to high, most likely at mode."""

    dist: Literal["triangular"]
    """The distribution's name."""
    low: Finite
    """Lowest value."""
    mode: Finite
    """Most likely value (low <= mode <= high)."""
    high: Finite
    """Highest value (above low)."""

    @model_validator(mode="after")
    def _order(self) -> Triangular:
        if not (self.low <= self.mode <= self.high) or self.low == self.high:
            raise ValueError("must have low <= mode <= high and low < high, got "
                             f"{self.low:g}, {self.mode:g}, {self.high:g}")
        return self

    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3

    def support(self) -> tuple[float, float, bool]:
        return self.low, self.high, False

    def variance(self) -> float:
        a, c, b = self.low, self.mode, self.high
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18

    def to_scipy(self):
        return stats.triang(c=(self.mode - self.low) / (self.high - self.low), loc=self.low,
                            scale=self.high - self.low)


class Pert(Triangular):
    """Beta-PERT: low + (high - low) Beta(alpha, beta), alpha = 1 + 4 (mode - low)/(high - low),
    beta = 1 + 4 (high - mode)/(high - low) (Vose, *Risk Analysis*, 3rd ed., 2008)."""

    dist: Literal["pert"]  # type: ignore[assignment]  # pydantic's tag: a Pert is never read as a Triangular
    """The distribution's name."""

    def alpha_beta(self) -> tuple[float, float]:
        span = self.high - self.low
        return 1 + 4 * (self.mode - self.low) / span, 1 + 4 * (self.high - self.mode) / span

    def mean(self) -> float:
        return (self.low + 4 * self.mode + self.high) / 6

    def variance(self) -> float:
        a, b = self.alpha_beta()
        return (self.high - self.low) ** 2 * a * b / ((a + b) ** 2 * (a + b + 1))

    def to_scipy(self):
        a, b = self.alpha_beta()
        return stats.beta(a, b, loc=self.low, scale=self.high - self.low)


class Empirical(Strict):
    """Resampling of observed values, each equally likely (no scipy twin: it is discrete)."""

    dist: Literal["empirical"]
    """The distribution's name."""
    values: list[Finite] = Field(min_length=1, max_length=1_000_000)
    """Observed values, each drawn with equal probability."""

    def mean(self) -> float:
        return float(np.mean(self.values))

    def variance(self) -> float:
        return float(np.var(self.values))

    def support(self) -> tuple[float, float, bool]:
        return float(min(self.values)), float(max(self.values)), False


class Beta(Strict):
    """Beta(alpha, beta) on [0, 1]: the conjugate posterior of a probability (after k
    events in n trials from a Beta(a0, b0) prior: alpha = a0 + k, beta = b0 + n - k)."""

    dist: Literal["beta"]
    """The distribution's name."""
    alpha: Positive
    """alpha above 0 (a prior's alpha plus the events observed); alpha + beta at least 0.05."""
    beta: Positive
    """beta above 0 (a prior's beta plus the trials without the event)."""

    @model_validator(mode="after")
    def _not_both_tiny(self) -> Beta:
        """Drawn as G1 / (G1 + G2) of two gammas of shapes alpha and beta, each 0 (underflow)
        with a chance of about exp(-744 shape): alpha + beta >= 0.05 keeps 0 / 0 below 1e-16."""
        if self.alpha + self.beta < MIN_BETA_SUM:
            raise ValueError(f"alpha + beta must be at least {MIN_BETA_SUM:g}, got alpha {self.alpha:g} "
                             f"and beta {self.beta:g}")
        return self

    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    def variance(self) -> float:
        a, b = self.alpha, self.beta
        return a * b / ((a + b) ** 2 * (a + b + 1))

    def support(self) -> tuple[float, float, bool]:
        return 0.0, 1.0, True

    def to_scipy(self):
        return stats.beta(self.alpha, self.beta)


Distribution = Annotated[
    Fixed | Exponential | Lognormal | Gamma | Weibull | Normal | Uniform | Triangular | Pert | Empirical
    | Beta,
    Field(discriminator="dist"),
]

for _model in (Fixed, Exponential, Lognormal, Gamma, Weibull, Normal, Uncertain):
    _model.model_rebuild()


def as_distribution(value: float | object) -> object:
    """A bare number (certain or uncertain) stands for an exponential distribution with that mean."""
    if isinstance(value, Uncertain):
        return Exponential(dist="exponential", mean=value)
    if isinstance(value, int | float):
        return Exponential(dist="exponential", mean=float(value))
    return value

