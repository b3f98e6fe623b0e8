"""Samplers for every premises distribution, driven by counter-based uniforms.

A distribution is compiled to a row ``(code, p0, p1, p2, p3)`` of a float
table (:func:`encode`); ``sample(table, row, pool, vkey)`` draws one variate from the
variate key ``vkey`` (see :mod:`riskengine.simulation.rng`). Inverse
transform is used wherever it is exact and cheap, so a variate is a monotone
function of one uniform (good for common random numbers):

- exponential -mean ln(1 - u); weibull scale (-ln(1 - u))^(1/shape);
- normal by Wichura's AS241 quantile (Applied Statistics 37(3), 1988),
  lognormal as exp(mu + s z); uniform, triangular by their closed-form inverse;
- gamma by Marsaglia and Tsang (ACM TOMS 26(3), 2000), with the u^(1/k)
  boost for shape k < 1; Beta-PERT as G1 / (G1 + G2) of two gammas;
- empirical by resampling ``pool[offset + floor(u n)]``;
- binomial (scrapped units) by sequential inversion of the CDF for means up to
  500 units, beyond that by the normal approximation with continuity
  correction (its error is below 1% of a unit's probability there).
"""

from __future__ import annotations

import math

import numpy as np

from riskengine._jit import jit
from riskengine.model import distributions as d
from riskengine.simulation.rng import uniform, variate_key

FIXED, EXPONENTIAL, LOGNORMAL, GAMMA, WEIBULL, NORMAL, UNIFORM, TRIANGULAR, PERT, EMPIRICAL = range(10)
ROW = 5  # code + four parameters


def encode(dist: object, pool: list[float]) -> np.ndarray:
    """The parameter row of a distribution model; empirical values are appended to ``pool``."""
    row = np.zeros(ROW)
    if isinstance(dist, d.Fixed):
        row[:2] = FIXED, dist.value
    elif isinstance(dist, d.Exponential):
        row[:2] = EXPONENTIAL, dist.mean()
    elif isinstance(dist, d.Lognormal):
        row[:3] = (LOGNORMAL, *dist.log_params())
    elif isinstance(dist, d.Gamma):
        row[:3] = (GAMMA, *dist.shape_scale())
    elif isinstance(dist, d.Weibull):
        row[:3] = WEIBULL, dist.shape, dist.scale
    elif isinstance(dist, d.Normal):
        row[:3] = NORMAL, dist.mean(), dist.sd
    elif isinstance(dist, d.Uniform):
        row[:3] = UNIFORM, dist.low, dist.high
    elif isinstance(dist, d.Pert):
        row[:5] = (PERT, dist.low, dist.high, *dist.alpha_beta())
    elif isinstance(dist, d.Triangular):
        row[:4] = TRIANGULAR, dist.low, dist.mode, dist.high
    elif isinstance(dist, d.Empirical):
        row[:3] = EMPIRICAL, len(pool), len(dist.values)
        pool.extend(dist.values)
    else:
        raise TypeError(f"no sampler for {type(dist).__name__}")
    return row


@jit
def normal_quantile(p: float) -> float:
    """Standard normal quantile, Wichura's AS241 (relative accuracy about 1e-16)."""
    q = p - 0.5
    if abs(q) <= 0.425:
        r = 0.180625 - q * q
        num = (((((((2.5090809287301226727e3 * r + 3.3430575583588128105e4) * r
                    + 6.7265770927008700853e4) * r + 4.5921953931549871457e4) * r
                  + 1.3731693765509461125e4) * r + 1.9715909503065514427e3) * r
                + 1.3314166789178437745e2) * r + 3.3871328727963666080e0) * q
        den = (((((((5.2264952788528545610e3 * r + 2.8729085735721942674e4) * r
                    + 3.9307895800092710610e4) * r + 2.1213794301586595867e4) * r
                  + 5.3941960214247511077e3) * r + 6.8718700749205790830e2) * r
                + 4.2313330701600911252e1) * r + 1.0)
        return num / den
    r = p if q <= 0.0 else 1.0 - p
    r = math.sqrt(-math.log(r))
    if r <= 5.0:
        r -= 1.6
        num = (((((((7.74545014278341407640e-4 * r + 2.27238449892691845833e-2) * r
                    + 2.41780725177450611770e-1) * r + 1.27045825245236838258e0) * r
                  + 3.64784832476320460504e0) * r + 5.76949722146069140550e0) * r
                + 4.63033784615654529590e0) * r + 1.42343711074968357734e0)
        den = (((((((1.05075007164441684324e-9 * r + 5.47593808499534494600e-4) * r
                    + 1.51986665636164571966e-2) * r + 1.48103976427480074590e-1) * r
                  + 6.89767334985100004550e-1) * r + 1.67638483018380384940e0) * r
                + 2.05319162663775882187e0) * r + 1.0)
    else:
        r -= 5.0
        num = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r
                    + 1.24266094738807843860e-3) * r + 2.65321895265761230930e-2) * r
                  + 2.96560571828504891230e-1) * r + 1.78482653991729133580e0) * r
                + 5.46378491116411436990e0) * r + 6.65790464350110377720e0)
        den = (((((((2.04426310338993978564e-15 * r + 1.42151175831644588870e-7) * r
                    + 1.84631831751005468180e-5) * r + 7.86869131145613259100e-4) * r
                  + 1.48753612908506148525e-2) * r + 1.36929880922735805310e-1) * r
                + 5.99832206555887937690e-1) * r + 1.0)
    x = num / den
    return -x if q < 0.0 else x


@jit
def gamma_variate(shape: float, vkey: np.uint64) -> float:
    """Gamma(shape, 1) by Marsaglia-Tsang, reading uniforms 0, 1, 2, ... of ``vkey``."""
    boost = 1.0
    j = 0
    if shape < 1.0:
        boost = uniform(vkey, 0) ** (1.0 / shape)
        shape += 1.0
        j = 1
    dd = shape - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * dd)
    while True:
        z = normal_quantile(uniform(vkey, j))
        v = 1.0 + c * z
        j += 2
        if v <= 0.0:
            continue
        v = v * v * v
        u = uniform(vkey, j - 1)
        if math.log(u) < 0.5 * z * z + dd - dd * v + dd * math.log(v):
            return boost * dd * v


@jit
def sample(table: np.ndarray, row: int, pool: np.ndarray, vkey: np.uint64) -> float:
    """One variate of the distribution in row ``row`` of ``table``, from variate key ``vkey``.

    (Rows are indexed rather than sliced so the hot loop creates no array views.)
    """
    code = int(table[row, 0])
    a = table[row, 1]
    b = table[row, 2]
    if code == FIXED:
        return a
    if code == GAMMA:
        return b * gamma_variate(a, vkey)
    if code == PERT:
        g1 = gamma_variate(table[row, 3], variate_key(vkey, 1))
        g2 = gamma_variate(table[row, 4], variate_key(vkey, 2))
        return a + (b - a) * g1 / (g1 + g2)
    u = uniform(vkey, 0)
    if code == EXPONENTIAL:
        return -a * math.log1p(-u)
    if code == LOGNORMAL:
        return math.exp(a + b * normal_quantile(u))
    if code == WEIBULL:
        return b * (-math.log1p(-u)) ** (1.0 / a)
    if code == NORMAL:
        return a + b * normal_quantile(u)
    if code == UNIFORM:
        return a + (b - a) * u
    if code == TRIANGULAR:
        low, mode, high = a, b, table[row, 3]
        split = (mode - low) / (high - low)
        if u < split:
            return low + math.sqrt(u * (high - low) * (mode - low))
        return high - math.sqrt((1.0 - u) * (high - low) * (high - mode))
    if code == EMPIRICAL:
        n = int(b)
        return pool[int(a) + min(int(u * n), n - 1)]
    return math.nan


@jit
def binomial(n: int, p: float, u: float) -> int:
    """Binomial(n, p) by inversion of one uniform (normal approximation past mean 500)."""
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    if p > 0.5:
        return n - binomial(n, 1.0 - p, 1.0 - u)
    mean = n * p
    if mean > 500.0:
        x = math.floor(mean + math.sqrt(mean * (1.0 - p)) * normal_quantile(u) + 0.5)
        return int(min(max(x, 0.0), n))
    ratio = p / (1.0 - p)
    pmf = math.exp(n * math.log1p(-p))
    cdf = pmf
    k = 0
    while cdf < u and k < n:
        pmf *= ratio * (n - k) / (k + 1)
        k += 1
        cdf += pmf
    return k
