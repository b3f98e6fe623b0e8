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
- empirical by resampling ``pool[offset + floor(u n)]``; Beta(alpha, beta) as a
  PERT row on [0, 1] (G1 / (G1 + G2));
- binomial (scrapped units) by sequential inversion of the CDF for means up to
  500 units, beyond that by the normal approximation with continuity
  correction (its error is below 1% of a unit's probability there).
"""

from __future__ import annotations

import math

import numpy as np

from riskengine._jit import fused_jit, inner_jit, jit, leaf_jit, vector_jit
from riskengine.model import distributions as d
from riskengine.simulation.codes import Sampler
from riskengine.simulation.rng import uniform, variate_key

ROW = 5  # code (:class:`~riskengine.simulation.codes.Sampler`) + four parameters


def natural(dist: object) -> tuple[int, list]:
    """The sampler code of a distribution model and its parameters as written (numbers or
    :class:`~riskengine.model.distributions.Uncertain` ones), the input of :func:`encode_row`."""
    if isinstance(dist, d.Fixed):
        return Sampler.FIXED, [dist.value]
    if isinstance(dist, d.Exponential):
        return Sampler.EXPONENTIAL, [dist.mean_]
    if isinstance(dist, d.Lognormal):
        return Sampler.LOGNORMAL, [dist.mean_, dist.cv]
    if isinstance(dist, d.Gamma):
        return Sampler.GAMMA, [dist.mean_, dist.cv]
    if isinstance(dist, d.Weibull):
        return Sampler.WEIBULL, [dist.shape, dist.scale]
    if isinstance(dist, d.Normal):
        return Sampler.NORMAL, [dist.mean_, dist.sd]
    if isinstance(dist, d.Uniform):
        return Sampler.UNIFORM, [dist.low, dist.high]
    if isinstance(dist, d.Pert):
        return Sampler.PERT, [dist.low, dist.mode, dist.high]
    if isinstance(dist, d.Triangular):
        return Sampler.TRIANGULAR, [dist.low, dist.mode, dist.high]
    if isinstance(dist, d.Beta):
        return Sampler.BETA, [dist.alpha, dist.beta]
    raise TypeError(f"no sampler for {type(dist).__name__}")


@leaf_jit
def encode_row(code: int, src: np.ndarray, out: np.ndarray) -> None:
    """The sampler row ``out`` (code + four parameters) of a distribution from its
    parameters as written ``src`` (:func:`natural`); a Beta(alpha, beta) becomes a PERT row
    on [0, 1]. Both the compiler (numbers as written) and the outer draws of uncertain
    parameters (:mod:`riskengine.simulation.parameters`) encode rows with it, so a
    parameter drawn at its written value gives the very same row."""
    out[0] = code
    out[1] = src[0]
    out[2] = src[1]
    out[3] = src[2]
    out[4] = src[3]
    if code == Sampler.LOGNORMAL:  # ln X ~ N(mu, s^2), s^2 = ln(1 + cv^2), mu = ln(mean) - s^2 / 2
        s2 = math.log1p(src[1] * src[1])
        out[1] = math.log(src[0]) - s2 / 2.0
        out[2] = math.sqrt(s2)
    elif code == Sampler.GAMMA:  # shape 1 / cv^2, scale mean cv^2
        out[1] = 1.0 / (src[1] * src[1])
        out[2] = src[0] * (src[1] * src[1])
    elif code == Sampler.PERT:  # low, high, alpha = 1 + 4 (mode - low)/span, beta = 1 + 4 (high - mode)/span
        span = src[2] - src[0]
        out[1] = src[0]
        out[2] = src[2]
        out[3] = 1.0 + 4.0 * (src[1] - src[0]) / span
        out[4] = 1.0 + 4.0 * (src[2] - src[1]) / span
    elif code == Sampler.BETA:
        out[0] = Sampler.PERT.value
        out[1] = 0.0
        out[2] = 1.0
        out[3] = src[0]
        out[4] = src[1]


def encode(dist: object, pool: list[float], value=None) -> tuple[np.ndarray, np.ndarray]:
    """The sampler row of a distribution model and its parameters as written (``src``).

    Empirical values are appended to ``pool``. ``value(x, column)`` turns a
    written parameter into a number (default: the number itself; the compiler
    passes one that registers uncertain parameters and returns their nominal value).
    """
    src = np.zeros(ROW - 1)
    if isinstance(dist, d.Empirical):
        src[:2] = len(pool), len(dist.values)
        pool.extend(dist.values)
        row = np.zeros(ROW)
        row[0] = Sampler.EMPIRICAL
        row[1:] = src
        return row, src
    code, params = natural(dist)
    for j, x in enumerate(params):
        src[j] = x if value is None else value(x, j)
    row = np.zeros(ROW)
    encode_row(int(code), src, row)  # one compiled version: an int, not the enum member
    return row, src


@fused_jit
def _central_quantile(q: float) -> float:
    """AS241's rational approximation in its central region |q| <= 0.425, q = p - 1/2."""
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


@jit
def normal_quantile(p: float) -> float:
    """Standard normal quantile, Wichura's AS241 (relative accuracy about 1e-16)."""
    q = p - 0.5
    if abs(q) <= 0.425:
        return _central_quantile(q)
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


@inner_jit
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


@vector_jit  # no check for a division by zero: its denominators are at least 1
def normal_quantiles(p: np.ndarray, out: np.ndarray) -> None:
    """``out[i] = normal_quantile(p[i])`` for a batch, the same numbers several times faster.

    The central region (85% of uniforms) is computed for all items at once,
    which the compiler turns into vector instructions (the same IEEE
    operations in the same order, so the same results); the tails follow one
    by one.
    """
    for i in range(p.shape[0]):
        out[i] = _central_quantile(p[i] - 0.5)
    for i in range(p.shape[0]):
        if not abs(p[i] - 0.5) <= 0.425:
            out[i] = normal_quantile(p[i])


@leaf_jit
def sample(table: np.ndarray, row: int, pool: np.ndarray, vkey: np.uint64) -> float:
    """One variate of the distribution in row ``row`` of ``table``, from variate key ``vkey``.

    (Rows are indexed rather than sliced so the hot loop creates no array views.)
    """
    return sample_known(table, row, pool, vkey, math.nan)


@fused_jit
def sample_known(table: np.ndarray, row: int, pool: np.ndarray, vkey: np.uint64, z: float) -> float:
    """:func:`sample` where ``z``, unless NaN, is ``normal_quantile(uniform(vkey, 0))`` already
    computed (by :func:`normal_quantiles` for a batch)."""
    code = int(table[row, 0])
    a = table[row, 1]
    b = table[row, 2]
    if code == Sampler.FIXED:
        return a
    if code == Sampler.GAMMA:
        return b * gamma_variate(a, vkey)
    if code == Sampler.PERT:
        g1 = gamma_variate(table[row, 3], variate_key(vkey, 1))
        g2 = gamma_variate(table[row, 4], variate_key(vkey, 2))
        return a + (b - a) * g1 / (g1 + g2)
    if z == z:  # the quantile is known: no need to hash the uniform again
        if code == Sampler.LOGNORMAL:
            return math.exp(a + b * z)
        if code == Sampler.NORMAL:
            return a + b * z
    u = uniform(vkey, 0)
    if code == Sampler.EXPONENTIAL:
        return -a * math.log1p(-u)
    if code == Sampler.LOGNORMAL:
        return math.exp(a + b * normal_quantile(u))
    if code == Sampler.WEIBULL:
        return b * (-math.log1p(-u)) ** (1.0 / a)
    if code == Sampler.NORMAL:
        return a + b * normal_quantile(u)
    if code == Sampler.UNIFORM:
        return a + (b - a) * u
    if code == Sampler.TRIANGULAR:
        low, mode, high = a, b, table[row, 3]
        split = (mode - low) / (high - low)
        if u < split:
            return low + math.sqrt(u * (high - low) * (mode - low))
        return high - math.sqrt((1.0 - u) * (high - low) * (high - mode))
    if code == Sampler.EMPIRICAL:
        n = int(b)
        return pool[int(a) + min(int(u * n), n - 1)]
    return math.nan


@jit
def binomial(n: int, p: float, u: float) -> int:
    """Binomial(n, p) by inversion of one uniform (normal approximation past mean 500)."""
    return binomial_prepared(n, p, u, binomial_start(n, p))


@jit
def binomial_start(n: int, p: float) -> float:
    """P(X = 0) of the inversion of :func:`binomial` (of the lower tail when p > 0.5).

    It depends on ``n`` and ``p`` only: a kernel computes it once per
    operation and calls :func:`binomial_prepared`.
    """
    if n <= 0 or p <= 0.0 or p >= 1.0:
        return 0.0
    q = 1.0 - p if p > 0.5 else p
    return math.exp(n * math.log1p(-q))


@fused_jit
def binomial_prepared(n: int, p: float, u: float, start: float) -> int:
    """:func:`binomial` with ``start = binomial_start(n, p)`` already computed."""
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    if p > 0.5:
        return n - _binomial_lower(n, 1.0 - p, 1.0 - u, start)
    return _binomial_lower(n, p, u, start)


#: Uniforms are at least 2^-54 (see :func:`riskengine.simulation.rng.uniform`): no inversion stops
#: where the cumulative probability is below it.
_SMALLEST_UNIFORM = 2.0**-54


@inner_jit
def binomial_cdf(n: int, p: float, start: float, out: np.ndarray) -> tuple:
    """The cumulative probabilities :func:`binomial_prepared` inverts, for a table lookup.

    For 0 < p <= 0.5 and mean n p <= 500 (where the inversion is used), with
    ``start = binomial_start(n, p)``: ``out[j]`` is P(X <= k0 + j) computed by
    the same operations in the same order as the inversion loop, from the
    first k0 that a uniform can select (P >= 2^-54) until the sum stops
    growing for good (past the mode, once adding the next probability leaves
    it unchanged, so do all later ones) or k = n. Returns ``(k0, length)``;
    length is -1 when ``out`` is too short. :func:`binomial_lookup` then gives
    the same variate as the loop for every uniform.
    """
    ratio = p / (1.0 - p)
    pmf = start
    cdf = pmf
    k = 0
    k0 = 0
    length = 0
    while True:
        if cdf >= _SMALLEST_UNIFORM:
            if length == 0:
                k0 = k
            if length >= out.shape[0]:
                return k0, -1
            out[length] = cdf
            length += 1
        if k >= n:
            break
        factor = ratio * (n - k) / (k + 1)
        after = cdf + pmf * factor
        if after == cdf and factor <= 1.0:
            break
        pmf *= factor
        k += 1
        cdf = after
    return k0, length


@inner_jit
def binomial_guide(cdf: np.ndarray, guide: np.ndarray) -> None:
    """Index of a table from :func:`binomial_cdf` (both of the table's length m):
    ``guide[j]`` is the first entry that reaches j / m (m if none)."""
    m = cdf.shape[0]
    i = 0
    for j in range(m):
        while i < m and cdf[i] < j / m:
            i += 1
        guide[j] = i


#: Entries after each table of :func:`binomial_lookup` that must hold a value above any uniform.
LOOKUP_PAD = 4


@fused_jit
def binomial_lookup(n: int, u: float, cdf: np.ndarray, guide: np.ndarray, lo: int, length: int,
                    k0: int) -> int:
    """The inversion of a table from :func:`binomial_cdf` in ``cdf[lo:lo + length]`` (its
    :func:`binomial_guide` in ``guide[lo:lo + length]``, and :data:`LOOKUP_PAD` entries
    above 1 after it): the first k whose cumulative probability reaches ``u``, else n, as
    the loop of :func:`binomial_prepared` finds it.

    The guide entry of ``int(u m) - 1`` reaches at most u (even after rounding
    of u m), so no entry before it does and the answer is at most a few
    entries on: they are compared all at once (no branch to mispredict), and
    the scan goes on only if all of them are below u.
    """
    if length <= 0:
        return n
    # (unsigned indices: numba adds no code for negative ones)
    j = np.uint64(max(int(u * length) - 1, 0))
    i = np.uint64(lo + guide[np.uint64(lo) + j])
    below = (cdf[i] < u) + (cdf[i + np.uint64(1)] < u) + (cdf[i + np.uint64(2)] < u) + \
        (cdf[i + np.uint64(3)] < u)
    k = np.int64(i) + below
    if below == LOOKUP_PAD:
        while cdf[k] < u:
            k += 1
    k -= lo
    return k0 + k if k < length else n


@fused_jit
def _binomial_lower(n: int, p: float, u: float, pmf: float) -> int:
    """Binomial(n, p) for 0 < p <= 0.5 from one uniform, ``pmf`` = (1 - p)^n."""
    mean = n * p
    if mean > 500.0:
        x = math.floor(mean + math.sqrt(mean * (1.0 - p)) * normal_quantile(u) + 0.5)
        return int(min(max(x, 0.0), n))
    ratio = p / (1.0 - p)
    cdf = pmf
    k = 0
    while cdf < u and k < n:
        pmf *= ratio * (n - k) / (k + 1)
        k += 1
        cdf += pmf
    return k
