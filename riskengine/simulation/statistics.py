"""Monte Carlo estimates with their uncertainty (docs/design.md section 5).

(Ratios use ``ratio`` below: the t interval clipped to [0, 1].)

- Probabilities: Wilson score interval (Wilson, JASA 22, 1927), which keeps
  its coverage near 0 and 1 where the normal (Wald) interval fails:
  centre (p + z^2/2n) / (1 + z^2/n), half-width
  z sqrt(p(1-p)/n + z^2/4n^2) / (1 + z^2/n), with p = k/n.
- Means: Student t interval, mean +/- t_{0.975, n-1} s / sqrt(n).
- Quantiles: the sample quantiles P10, P50, P80, P90 (linear interpolation).

Replications where a figure is undefined (NaN: nothing planned) are left
out of that figure; an estimate with no defined replication is None.

Every estimate takes a figure's values (a numpy array) or, past the row budget,
its sketch (:class:`~riskengine.simulation.sketch.Figure`,
:mod:`riskengine.simulation.streamed`): the same formulas on exact sums (mean,
variance, cluster sums), the quantiles within the sketch's stated error.

Nested replications (``per_draw`` M > 1: replications k M .. k M + M - 1
share a draw of the uncertain parameters, :mod:`riskengine.simulation.parameters`)
are not independent. The intervals then use the cluster-robust variance of
the mean, V = K/(K-1) sum_g (S_g - n_g ybar)^2 / N^2 over the K draws
(S_g, n_g: sum and count of draw g; the sandwich estimator, Liang and Zeger,
Biometrika 73(1), 1986), through the design effect deff = V / (s^2/N)
(Kish, *Survey Sampling*, 1965), never below 1: a t interval is widened by
sqrt(deff) with K - 1 degrees of freedom, and a Wilson interval uses the
effective number of replications N / deff.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from riskengine.simulation.sketch import Figure

Z95 = float(stats.norm.ppf(0.975))


Column = np.ndarray | Figure


def _streamed_design_effect(x: Figure, per_draw: int) -> tuple[float, int]:
    """:func:`design_effect` from a sketch's exact cluster sums: sum_g (S_g - n_g ybar)^2 =
    sum S_g^2 - 2 ybar sum n_g S_g + ybar^2 sum n_g^2."""
    n = x.n
    if per_draw <= 1 or n < 2:
        return 1.0, n
    k, s2g, nsg, _, n2 = x.cluster_terms()
    s2 = x.variance()
    if k < 2 or s2 is None or s2 <= 0.0:
        return 1.0, k
    ybar = x.total() / n
    v_cluster = k / (k - 1) * float(s2g - 2 * ybar * nsg + ybar * ybar * n2) / (n * n)
    return max(1.0, v_cluster / (s2 / n)), k


def design_effect(x: Column, per_draw: int) -> tuple[float, int]:
    """The design effect of the mean of the finite values of ``x`` (row r in draw r // per_draw)
    and the number of draws K (see the module docstring); (1, N - 1 + 1) when independent."""
    if not isinstance(x, np.ndarray):
        return _streamed_design_effect(x, per_draw)
    finite = np.isfinite(x)
    n = int(np.count_nonzero(finite))
    if per_draw <= 1 or n < 2:
        return 1.0, n
    group = (np.arange(x.shape[0]) // per_draw)[finite]
    y = x[finite]
    _, g = np.unique(group, return_inverse=True)
    k = int(g.max()) + 1
    s2 = float(np.var(y, ddof=1))
    if k < 2 or s2 <= 0.0:
        return 1.0, k
    resid = np.bincount(g, weights=y - y.mean(), minlength=k)
    v_cluster = k / (k - 1) * float(np.sum(resid * resid)) / (n * n)
    return max(1.0, v_cluster / (s2 / n)), k


def wilson(successes: int, n: float, z: float = Z95, deff: float = 1.0) -> dict | None:
    """A probability estimate ``{"mean", "low", "high"}`` with the Wilson 95% interval
    (with ``deff`` > 1, on the effective number of replications n / deff)."""
    if n <= 0:
        return None
    p = successes / n
    total, n = n, n / deff
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # at k = 0 and k = n the bound is exactly 0 or 1 (rounding would put it beside the mean)
    low = 0.0 if successes == 0 else min(p, max(0.0, centre - half))
    high = 1.0 if successes == total else max(p, min(1.0, centre + half))
    return {"mean": p, "low": low, "high": high}


def t_interval(x: Column, per_draw: int = 1) -> tuple[float, float, float] | None:
    """Mean and its 95% t interval of the finite values of ``x`` (nested: see the module)."""
    deff, draws = design_effect(x, per_draw)
    if isinstance(x, np.ndarray):
        x = x[np.isfinite(x)]
        n = x.shape[0]
        mean = float(np.mean(x)) if n else math.nan
        sd = float(np.std(x, ddof=1)) if n > 1 else 0.0
    else:
        n, m, v = x.n, x.mean(), x.variance()
        mean = math.nan if m is None else m
        sd = math.sqrt(v) if n > 1 and v is not None else 0.0
    if n == 0:
        return None
    if n == 1:
        return mean, mean, mean
    df = n - 1 if per_draw <= 1 else max(draws - 1, 1)
    half = float(stats.t.ppf(0.975, df) * sd / math.sqrt(n) * math.sqrt(deff))
    return mean, mean - half, mean + half


def percentile(x: Column, q: float) -> float:
    """The q-th percentile of the finite values of ``x`` (numpy's linear rule; a sketch within
    its stated error)."""
    if isinstance(x, np.ndarray):
        return float(np.percentile(x[np.isfinite(x)], q))
    value = x.quantile(q / 100)
    return math.nan if value is None else value


def sd(x: Column) -> float:
    """The sample standard deviation (n - 1) of the finite values of ``x``; 0 below two."""
    if isinstance(x, np.ndarray):
        x = x[np.isfinite(x)]
        return float(np.std(x, ddof=1)) if x.shape[0] > 1 else 0.0
    v = x.variance()
    return math.sqrt(v) if x.n > 1 and v is not None else 0.0


def continuous(x: Column, extra_quantiles: tuple[int, ...] = (),
               bounds: tuple[float, float] = (-math.inf, math.inf), per_draw: int = 1) -> dict | None:
    """A continuous estimate: mean with its 95% interval, P10, P50, P90 (and any extra).

    ``bounds`` clips the interval to the range the figure can take (a ratio
    lies in [0, 1]; the t interval itself is unbounded).
    """
    t = t_interval(x, per_draw)
    if t is None:
        return None
    out = {"mean": t[0], "low": max(bounds[0], t[1]), "high": min(bounds[1], t[2])}
    for q in sorted((10, 50, 90, *extra_quantiles)):
        out[f"p{q}"] = percentile(x, q)
    return out


def proportion(x: Column, per_draw: int = 1) -> dict | None:
    """A probability estimated from a column of 0/1 outcomes."""
    deff, _ = design_effect(x, per_draw)
    if not isinstance(x, np.ndarray):  # the exact sum of 0/1 values counts the ones
        return wilson(int(x.total()), x.n, deff=deff)
    x = x[np.isfinite(x)]
    return wilson(int(np.count_nonzero(x > 0.5)), x.shape[0], deff=deff)


def finish_estimate(x: Column, per_draw: int = 1) -> dict | None:
    """Finish time: mean, sd, its 95% interval, P50, P80, P90."""
    est = continuous(x, (80,), per_draw=per_draw)
    if est is None:
        return None
    est["sd"] = sd(x)
    est.pop("p10")
    return est


def half_width(estimate: dict | None) -> float:
    """Half the width of an estimate's interval (0 for None: nothing to estimate)."""
    if estimate is None:
        return 0.0
    return (estimate["high"] - estimate["low"]) / 2


def replications_for(current: int, width: float, target: float, cap: int, step: int = 100) -> int:
    """Replications expected to bring a half-width ``width`` down to ``target``.

    The half-width shrinks as 1/sqrt(n): n' = n (width/target)^2, grown by at
    least one step, rounded up to a multiple of ``step`` and capped.
    """
    need = current * (width / target) ** 2 if target > 0 else cap
    need = max(need * 1.05, current + step)
    return int(min(cap, math.ceil(need / step) * step))


def ratio(x: Column, per_draw: int = 1) -> dict | None:
    """A ratio's estimate (adherence figures): :func:`continuous` with the interval in [0, 1]."""
    return continuous(x, bounds=(0.0, 1.0), per_draw=per_draw)
