"""Counter-based generator and samplers: known answers, Python = numba, moments vs scipy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from riskengine.model.distributions import (
    Empirical,
    Exponential,
    Gamma,
    Lognormal,
    Normal,
    Pert,
    Triangular,
    Uniform,
    Weibull,
)
from riskengine.simulation import rng
from riskengine.simulation.sampling import binomial, encode, normal_quantile, sample

# Reference SplitMix64 outputs (Vigna's splitmix64.c; Rosetta Code "Pseudo-random numbers/Splitmix64").
SPLITMIX_1234567 = [6457827717110365317, 3203168211198807973, 9817491932198370423,
                    4593380528125082431, 16408922859458223821]
SPLITMIX_0 = [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F, 0xF88BB8A8724C81EC,
              0x1B39896A51A8749B]


def test_splitmix64_known_answers():
    for seed, expected in ((1234567, SPLITMIX_1234567), (0, SPLITMIX_0)):
        assert [int(rng.splitmix64(np.uint64(seed), n)) for n in range(5)] == expected


def test_fnv1a64_known_answers():
    assert int(rng.fnv1a64("")) == 0xCBF29CE484222325
    assert int(rng.fnv1a64("a")) == 0xAF63DC4C8601EC8C
    assert int(rng.fnv1a64("foobar")) == 0x85944171F73967E8


def test_plain_python_and_numba_give_identical_variates():
    with np.errstate(over="ignore"):
        for n in range(5):
            assert int(rng.splitmix64.py_func(np.uint64(1234567), n)) == SPLITMIX_1234567[n]
        for seed, rep, stream, name in ((0, 0, 1, "L1"), (7, 12345, 4, "WO1-10"), (2**62, 3, 9, "M")):
            key_py = rng.derive.py_func(seed, rep, stream, rng.fnv1a64(name))
            key_nb = np.uint64(rng.derive(seed, rep, stream, rng.fnv1a64(name)))
            assert int(key_py) == int(key_nb)
            for j in (0, 1, 1000):
                assert rng.uniform.py_func(key_py, j) == rng.uniform(key_nb, j)


def test_uniforms_are_in_the_open_unit_interval_and_uniform():
    key = np.uint64(rng.derive(1, 0, 1, rng.fnv1a64("x")))
    u = np.array([rng.uniform(key, j) for j in range(20000)])
    assert u.min() > 0 and u.max() < 1
    # Kolmogorov-Smirnov against U(0, 1) at a fixed seed: p-value far from rejection
    assert stats.kstest(u, "uniform").pvalue > 1e-4


def test_normal_quantile_matches_scipy():
    p = np.concatenate([np.linspace(1e-12, 1 - 1e-12, 2001), [1e-300, 0.5, 0.975]])
    ours = np.array([normal_quantile(x) for x in p])
    assert np.allclose(ours, stats.norm.ppf(p), rtol=1e-14, atol=1e-14)


DISTRIBUTIONS = [
    Exponential(dist="exponential", mean=2.0),
    Lognormal(dist="lognormal", mean=1.1, cv=0.4),
    Gamma(dist="gamma", mean=3.0, cv=0.5),
    Gamma(dist="gamma", mean=1.0, cv=2.0),  # shape 0.25 < 1: the boosted branch
    Weibull(dist="weibull", shape=1.5, scale=40.0),
    Normal(dist="normal", mean=5.0, sd=1.5),
    Uniform(dist="uniform", low=1.0, high=4.0),
    Triangular(dist="triangular", low=1.0, mode=2.0, high=6.0),
    Pert(dist="pert", low=1.0, mode=2.0, high=6.0),
]


def draws(dist, n: int, stream: int = 5) -> np.ndarray:
    pool: list[float] = []
    table = encode(dist, pool)[0][None, :]
    pool_a = np.array(pool, np.float64)
    key = np.uint64(rng.derive(42, 0, stream, rng.fnv1a64(type(dist).__name__)))
    return np.array([sample(table, 0, pool_a, np.uint64(rng.variate_key(key, k))) for k in range(n)])


@pytest.mark.parametrize("dist", DISTRIBUTIONS, ids=lambda d: f"{d.dist}")
def test_sampler_mean_and_variance_match_analytic_and_scipy(dist):
    n = 40000
    x = draws(dist, n)
    frozen = dist.to_scipy()
    mean, var, kurt = (float(v) for v in frozen.stats(moments="mvk"))
    assert dist.mean() == pytest.approx(mean, rel=1e-12)
    assert dist.variance() == pytest.approx(var, rel=1e-12)
    # 4.5 standard errors: SE(mean) = sd/sqrt(n); SE(var) = sqrt((mu4 - sigma^4)/n), mu4 = (kurt+3) s^4
    assert abs(x.mean() - mean) <= 4.5 * math.sqrt(var / n)
    assert abs(x.var(ddof=1) - var) <= 4.5 * math.sqrt((kurt + 2) * var**2 / n)


def test_empirical_resamples_the_values_evenly():
    dist = Empirical(dist="empirical", values=[1.0, 2.0, 2.0, 7.0])
    x = draws(dist, 20000)
    assert set(np.unique(x)) == {1.0, 2.0, 7.0}
    share = np.mean(x == 2.0)
    assert abs(share - 0.5) <= 4.5 * math.sqrt(0.25 / 20000)
    assert dist.mean() == 3.0


@pytest.mark.parametrize("n,p", [(50, 0.02), (1000, 0.03), (3000, 0.2), (40, 0.9)])
def test_binomial_inversion_matches_scipy(n, p):
    u = (np.arange(4000) + 0.5) / 4000  # a stratified grid of uniforms: exact quantiles
    ours = np.array([binomial(n, p, x) for x in u])
    expected = stats.binom.ppf(u, n, p)
    if n * min(p, 1 - p) <= 500:
        assert np.array_equal(ours, expected)
    mean = ours.mean()
    assert abs(mean - n * p) <= 4.5 * math.sqrt(n * p * (1 - p) / 4000)
