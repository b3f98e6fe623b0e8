"""How much of the spread comes from uncertain parameters, how much from the shop floor.

With uncertain parameters the replications are nested: draw k of the
parameters theta is shared by the M replications k M .. k M + M - 1
(:mod:`riskengine.simulation.parameters`). By the law of total variance a
replication's figure Y (plan holds 0/1, BTS, ...) splits as

    Var(Y) = E[Var(Y | theta)] + Var(E[Y | theta])
           = shop-floor randomness + parameter uncertainty.

Both parts are estimated by the one-way random-effects analysis of variance
with the draws as groups (Searle, Casella and McCulloch, *Variance
Components*, Wiley 1992, sec. 3.5-3.6 for unbalanced groups): with K draws of
n_g replications each (N in all; the last draw may be incomplete, and
replications where the figure is undefined are left out), group means
ybar_g and grand mean ybar,

    MSB = sum_g n_g (ybar_g - ybar)^2 / (K - 1),
    MSW = sum_g sum_i (y_gi - ybar_g)^2 / (N - K),
    n0  = (N - sum_g n_g^2 / N) / (K - 1),
    shop floor  sigma_w^2 = MSW,
    parameters  sigma_b^2 = max(0, (MSB - MSW) / n0),

and the parameters' share rho = sigma_b^2 / (sigma_b^2 + sigma_w^2) (the
intraclass correlation). Its 95% interval is the F-based one of the balanced
design with n0 as group size (Searle et al., sec. 3.5d; ICC(1) of Shrout and
Fleiss, Psychol. Bull. 86(2), 1979): with F = MSB / MSW and F_lo, F_hi the
2.5% and 97.5% quantiles of F(K - 1, N - K),
rho_low = (F/F_hi - 1) / (F/F_hi + n0 - 1) and rho_high = (F/F_lo - 1) / (F/F_lo + n0 - 1),
clipped to [0, 1].

For a 0/1 figure whose success probability p(theta) depends on the
parameters only, the two parts are E[p(1 - p)] and Var[p] (a Bernoulli
mixture), which the tests check on a closed-form case.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import stats

from riskengine.simulation.sketch import SUM2, Figure, exact


def _streamed(x: Figure) -> tuple[int, int, float, float, float] | None:
    """N, K, MSB, MSW and n0 from a sketch's exact sums: sum_g n_g (ybar_g - ybar)^2 =
    sum S_g^2 / n_g - N ybar^2 and sum (y - ybar_g)^2 = sum y^2 - sum S_g^2 / n_g."""
    n = x.n
    k, _, _, s2n, n2 = x.cluster_terms()
    if k < 2 or n - k < 1:
        return None
    total = x.total()
    squares = exact(x.sketch.sums[x.f, SUM2])
    msb = float(s2n - total * total / n) / (k - 1)
    msw = float(squares - s2n) / (n - k)
    return n, k, msb, msw, (n - n2 / n) / (k - 1)


def decompose(x: np.ndarray | Figure, per_draw: int) -> dict | None:
    """Split the variance of a replication column ``x`` (row r in draw r // per_draw; or its
    sketch, :mod:`riskengine.simulation.streamed`).

    Returns ``total_variance``, ``parameter_variance`` (sigma_b^2),
    ``shop_floor_variance`` (sigma_w^2), ``parameter_share`` (``mean``, ``low``,
    ``high``) and ``draws``; None when it cannot be estimated (fewer than two
    draws, or no draw with two defined replications).
    """
    if per_draw < 2:
        return None
    if not isinstance(x, np.ndarray):
        found = _streamed(x)
        return None if found is None else _components(*found)
    finite = np.isfinite(x)
    y = x[finite]
    _, g = np.unique((np.arange(x.shape[0]) // per_draw)[finite], return_inverse=True)
    n = y.shape[0]
    k = int(g.max()) + 1 if n else 0
    if k < 2 or n - k < 1:
        return None
    counts = np.bincount(g, minlength=k).astype(float)
    means = np.bincount(g, weights=y, minlength=k) / counts
    grand = float(np.mean(y))
    msb = float(np.sum(counts * (means - grand) ** 2)) / (k - 1)
    msw = float(np.sum((y - means[g]) ** 2)) / (n - k)
    n0 = (n - float(np.sum(counts**2)) / n) / (k - 1)
    return _components(n, k, msb, msw, n0)


def _components(n: int, k: int, msb: float, msw: float, n0: float) -> dict:
    """The decomposition from the mean squares (module docstring)."""
    between = max(0.0, (msb - msw) / n0)
    total = between + msw
    share: dict[str, float | None]
    if total <= 0.0:
        share = {"mean": None, "low": None, "high": None}
    else:
        share = {"mean": between / total, **_share_interval(msb, msw, n0, k - 1, n - k)}
    return {"draws": k, "replications": n, "total_variance": total, "parameter_variance": between,
            "shop_floor_variance": msw, "parameter_share": share}


def _share_interval(msb: float, msw: float, n0: float, df_b: int, df_w: int) -> dict:
    if msw <= 0.0:  # no shop-floor spread at all: everything comes from the parameters
        return {"low": 1.0, "high": 1.0}
    f = msb / msw
    f_hi = float(stats.f.ppf(0.975, df_b, df_w))
    f_lo = float(stats.f.ppf(0.025, df_b, df_w))

    def rho(ratio: float) -> float:
        return min(1.0, max(0.0, (ratio - 1.0) / (ratio + n0 - 1.0)))

    return {"low": rho(f / f_hi), "high": rho(f / f_lo)}


def uncertainty_section(column: Callable[[int], np.ndarray | Figure], replications: int,
                        columns: dict[str, int], per_draw: int, parameters: tuple[str, ...],
                        days: range = range(0)) -> dict | None:
    """The ``uncertainty`` section of a score result: the decomposition of each named column
    (e.g. ``{"plan_holds": HOLDS, "bts": BTS}``; ``column(k)`` gives column k) and of the
    holds-through-day columns ``days`` (``holds_through_day[]``), with the uncertain
    parameters' keys; None when no parameter is uncertain."""
    if not parameters:
        return None
    return {"parameters": list(parameters), "replications_per_draw": per_draw,
            "draws": -(-replications // per_draw),
            **{name: decompose(column(col), per_draw) for name, col in columns.items()},
            "holds_through_day": [{"day": d + 1, "variance": decompose(column(col), per_draw)}
                                  for d, col in enumerate(days)]}
