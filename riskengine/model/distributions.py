"""Distributions of the premises (DESIGN.md 8), each with its analytic mean and variance.

A distribution is ``{"dist": NAME, ...parameters}``. Lognormal and gamma are
given by mean and coefficient of variation (cv = sd / mean), the way shop
data is usually summarised. ``to_scipy()`` returns the frozen scipy.stats
equivalent, which the tests use to check the samplers and calibration uses
for fitting.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, model_validator
from scipy import stats

from riskengine.model.common import Strict

Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Finite = Annotated[float, Field(allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class Fixed(Strict):
    dist: Literal["fixed"]
    value: Finite

    def mean(self) -> float:
        return self.value

    def variance(self) -> float:
        return 0.0

    def to_scipy(self):
        return stats.uniform(loc=self.value, scale=0.0)


class Exponential(Strict):
    dist: Literal["exponential"]
    mean_: Positive = Field(alias="mean")

    def mean(self) -> float:
        return self.mean_

    def variance(self) -> float:
        return self.mean_**2

    def to_scipy(self):
        return stats.expon(scale=self.mean_)


class Lognormal(Strict):
    """ln X ~ N(mu, s^2) with s^2 = ln(1 + cv^2), mu = ln(mean) - s^2/2."""

    dist: Literal["lognormal"]
    mean_: Positive = Field(alias="mean")
    cv: NonNegative

    def log_params(self) -> tuple[float, float]:
        s2 = math.log1p(self.cv**2)
        return math.log(self.mean_) - s2 / 2, math.sqrt(s2)

    def mean(self) -> float:
        return self.mean_

    def variance(self) -> float:
        return (self.cv * self.mean_) ** 2

    def to_scipy(self):
        mu, s = self.log_params()
        return stats.lognorm(s=s, scale=math.exp(mu))


class Gamma(Strict):
    """Shape k = 1/cv^2, scale theta = mean cv^2."""

    dist: Literal["gamma"]
    mean_: Positive = Field(alias="mean")
    cv: Positive

    def shape_scale(self) -> tuple[float, float]:
        return 1.0 / self.cv**2, self.mean_ * self.cv**2

    def mean(self) -> float:
        return self.mean_

    def variance(self) -> float:
        return (self.cv * self.mean_) ** 2

    def to_scipy(self):
        k, theta = self.shape_scale()
        return stats.gamma(a=k, scale=theta)


class Weibull(Strict):
    dist: Literal["weibull"]
    shape: Positive
    scale: Positive

    def mean(self) -> float:
        return self.scale * math.gamma(1 + 1 / self.shape)

    def variance(self) -> float:
        return self.scale**2 * (math.gamma(1 + 2 / self.shape) - math.gamma(1 + 1 / self.shape) ** 2)

    def to_scipy(self):
        return stats.weibull_min(c=self.shape, scale=self.scale)


class Normal(Strict):
    dist: Literal["normal"]
    mean_: Finite = Field(alias="mean")
    sd: NonNegative

    def mean(self) -> float:
        return self.mean_

    def variance(self) -> float:
        return self.sd**2

    def to_scipy(self):
        return stats.norm(loc=self.mean_, scale=self.sd)


class Uniform(Strict):
    dist: Literal["uniform"]
    low: Finite
    high: Finite

    @model_validator(mode="after")
    def _order(self) -> Uniform:
        if self.high < self.low:
            raise ValueError(f"high must be >= low, got low {self.low:g} and high {self.high:g}")
        return self

    def mean(self) -> float:
        return (self.low + self.high) / 2

    def variance(self) -> float:
        return (self.high - self.low) ** 2 / 12

    def to_scipy(self):
        return stats.uniform(loc=self.low, scale=self.high - self.low)


class Triangular(Strict):
    dist: Literal["triangular"]
    low: Finite
    mode: Finite
    high: Finite

    @model_validator(mode="after")
    def _order(self) -> Triangular:
        if not (self.low <= self.mode <= self.high) or self.low == self.high:
            raise ValueError("must have low <= mode <= high and low < high, got "
                             f"{self.low:g}, {self.mode:g}, {self.high:g}")
        return self

    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3

    def variance(self) -> float:
        a, c, b = self.low, self.mode, self.high
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18

    def to_scipy(self):
        return stats.triang(c=(self.mode - self.low) / (self.high - self.low), loc=self.low,
                            scale=self.high - self.low)


class Pert(Triangular):
    """Beta-PERT: low + (high - low) Beta(alpha, beta), alpha = 1 + 4 (mode - low)/(high - low),
    beta = 1 + 4 (high - mode)/(high - low) (Vose, *Risk Analysis*, 3rd ed., 2008)."""

    dist: Literal["pert"]

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
    values: list[Finite] = Field(min_length=1, max_length=1_000_000)

    def mean(self) -> float:
        return float(np.mean(self.values))

    def variance(self) -> float:
        return float(np.var(self.values))



Distribution = Annotated[
    Fixed | Exponential | Lognormal | Gamma | Weibull | Normal | Uniform | Triangular | Pert | Empirical,
    Field(discriminator="dist"),
]


def as_distribution(value: float | object) -> object:
    """A bare number stands for an exponential distribution with that mean."""
    if isinstance(value, int | float):
        return Exponential(dist="exponential", mean=float(value))
    return value
