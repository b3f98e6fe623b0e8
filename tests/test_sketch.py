"""The streaming statistics of riskengine.simulation.sketch (issue 15): exact sums in any order,
quantiles within the stated error of the exact ones (numpy's), exact on few-valued figures, and
merges that do not depend on how the values were split."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from riskengine.simulation import sketch as sk

RATIO, HOURS, MOMENTS = sk.ratio_binning(), sk.hours_binning(120.0), sk.moments_only()


def filled(values: np.ndarray, spec=RATIO) -> sk.Sketch:
    s = sk.sketch(sk.binning([spec]))
    for x in values:
        sk.add(s, 0, float(x))
    return s


def test_exact_sums_of_any_floats_in_any_order():
    """Sums of values from subnormals to 1e150 (whose squares still are floats), of both signs,
    are exact (as Fractions), and a sketch filled in two parts and merged holds the same limbs as
    one filled in another order."""
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.normal(0, 1, 300) * 10.0 ** rng.integers(-300, 150, 300),
                        [5e-324, -5e-324, 1e-310, 2.0**500, 0.1, 0.2, 0.3]])
    one = filled(x, MOMENTS)
    assert sk.exact(one.sums[0, sk.SUM]) == sum(Fraction(float(v)) for v in x)
    assert sk.exact(one.sums[0, sk.SUM2]) == sum(Fraction(float(v) * float(v)) for v in x)
    a, b = filled(x[::-1][:100], MOMENTS), filled(x[::-1][100:], MOMENTS)
    sk.merge(a, b)
    sk.normalize(one.sums)
    assert np.array_equal(a.sums, one.sums) and a.n[0] == one.n[0] == x.shape[0]


def test_mean_and_variance_are_the_exact_ones_rounded():
    rng = np.random.default_rng(2)
    x = rng.lognormal(4.0, 0.5, 2000)
    s = filled(x, HOURS)
    exact = [Fraction(float(v)) for v in x]
    m = sum(exact) / len(exact)
    assert sk.mean(s, 0) == float(m)
    var = sum((v - m) ** 2 for v in exact) / (len(exact) - 1)
    assert math.isclose(sk.variance(s, 0), float(var), rel_tol=1e-12)  # squares rounded once each
    assert math.isclose(sk.mean(s, 0), float(np.mean(x)), rel_tol=1e-14)


def test_nan_is_not_counted():
    s = filled(np.array([0.5, np.nan, 1.0]))
    assert s.n[0] == 2 and sk.mean(s, 0) == 0.75
    assert sk.mean(filled(np.array([np.nan])), 0) is None
    assert sk.quantile(filled(np.array([])), 0, 0.5) is None


PROBS = (0.1, 0.5, 0.8, 0.9, 0.0, 1.0, 0.37)


@pytest.mark.parametrize("n", [1, 2, 7, 1000, 20_000])
def test_ratio_quantiles_within_one_bin_of_numpy(n):
    """Continuous ratios: every quantile within 2^-10 of numpy's linear percentile."""
    rng = np.random.default_rng(n)
    x = rng.beta(8.0, 1.5, n)
    s = filled(x)
    for p in PROBS:
        assert abs(sk.quantile(s, 0, p) - float(np.percentile(x, p * 100))) <= 2.0**-10, p


@pytest.mark.parametrize("n", [3, 500, 20_000])
def test_hour_quantiles_within_the_stated_error(n):
    """Hours on the scale T = 120: within T / 1024 below 2T and 1/64 of the value beyond."""
    rng = np.random.default_rng(n)
    x = np.concatenate([rng.lognormal(math.log(130.0), 0.3, n), [0.0, 1e5]])
    s = filled(x, HOURS)
    for p in PROBS:
        exact = float(np.percentile(x, p * 100))
        bound = 120.0 / 1024 if exact < 240.0 else exact / 64
        assert abs(sk.quantile(s, 0, p) - exact) <= bound, (p, exact)


def test_few_valued_figures_are_exact():
    """A bucket's BTS with two operations takes few values (0, 1/2, 1, ...): one value per bin,
    so every quantile equals numpy's, bit for bit; and the lowest and highest are exact always."""
    rng = np.random.default_rng(3)
    x = rng.choice([0.0, 0.5, 2 / 3, 1.0], 5001, p=[0.05, 0.1, 0.05, 0.8])
    s = filled(x)
    for p in (*PROBS, 0.05, 0.11, 0.999):
        assert sk.quantile(s, 0, p) == float(np.percentile(x, p * 100)), p
    y = rng.random(999)
    t = filled(y)
    assert sk.quantile(t, 0, 0.0) == y.min() and sk.quantile(t, 0, 1.0) == y.max()


def test_values_outside_the_range_keep_exact_ranks():
    """Below the range (a negative hour) and above it: the end bins keep their lowest and highest."""
    x = np.array([-5.0, 1.0, 2.0, 3.0, 1e300])
    s = filled(x, HOURS)
    assert sk.quantile(s, 0, 0.0) == -5.0 and sk.quantile(s, 0, 1.0) == 1e300
    assert sk.quantile(s, 0, 0.5) == 2.0


def test_merged_quantiles_do_not_depend_on_the_split():
    rng = np.random.default_rng(4)
    x = rng.random(3000)
    whole = filled(x)
    parts = [filled(part) for part in np.array_split(rng.permutation(x), 7)]
    merged = parts[0]
    for part in parts[1:]:
        sk.merge(merged, part)
    for p in PROBS:
        assert sk.quantile(merged, 0, p) == sk.quantile(whole, 0, p)
    assert sk.mean(merged, 0) == sk.mean(whole, 0) and sk.variance(merged, 0) == sk.variance(whole, 0)


def test_clusters_hold_the_exact_sums_of_cluster_terms():
    """Clusters of 3 values (one undefined): sum S_g^2, sum n_g S_g, sum S_g^2/n_g, sum n_g^2, K."""
    rows = np.array([[0.5], [0.25], [np.nan], [1.0], [0.75], [0.0], [np.nan]])
    c = sk.clusters(1)
    open_sum, open_n = np.zeros(1), np.zeros(1, np.int64)
    for r, row in enumerate(rows):
        sk.cluster_add(open_sum, open_n, row)
        if r % 3 == 2 or r == len(rows) - 1:
            sk.cluster_close(c, open_sum, open_n)
    groups = [(0.75, 2), (1.75, 3)]  # the last cluster (one NaN) has no defined value
    assert c.k[0] == 2 and c.n2[0] == 4 + 9
    assert sk.exact(c.sums[0, sk.CLUSTER_S2]) == sum(Fraction(s) ** 2 for s, _ in groups)
    assert sk.exact(c.sums[0, sk.CLUSTER_NS]) == sum(n * Fraction(s) for s, n in groups)
    assert sk.exact(c.sums[0, sk.CLUSTER_S2N]) == sum(Fraction(s * s / n) for s, n in groups)
