"""Closed forms of docs/design.md section 3 reproduced through the public ``score`` API.

Tolerances are 4.5 standard errors of the estimate at a fixed seed: for a
probability sqrt(p(1-p)/n), for a mean sigma/sqrt(n), for a variance
sqrt((kappa4 + 2 kappa2^2)/n) with the distribution's own cumulants.
"""

from __future__ import annotations

import math

import pytest
from builders import op, plan_dict

import riskengine as re
from riskengine.analysis.score import score
from riskengine.model.premises import parse_premises

K = 4.5  # standard errors


def premises(**sections) -> re.Plan:
    return parse_premises({"format": "riskengine.premises/1", **sections})


def within_probability(estimate: float, p: float, n: int) -> bool:
    return abs(estimate - p) <= K * math.sqrt(p * (1 - p) / n)


def test_probability_chain_of_five_operations_is_r_to_the_n():
    """The article: five factors combine to 84.09% per operation; over 5 operations 42.1%."""
    factors = {"material": 0.95, "machine": 0.97, "operator": 0.96, "quality": 0.98, "setup": 0.97}
    r = math.prod(factors.values())
    assert round(r * 100, 2) == 84.09 and round(r**5 * 100, 1) == 42.1
    plan = re.parse_plan(plan_dict([op(f"o{k}", "A", 10, k, k + 1) for k in range(5)]))
    n = 4000
    result = score(plan, premises(reliability=factors), replications=n, seed=11)
    assert within_probability(result.plan_holds["mean"], r**5, n)
    # the first failing factor names the miss: material (5% of operations) leads
    assert result.causes[0]["cause"] == "material"
    assert {c["cause"] for c in result.causes} == {"material", "breakdown", "absenteeism", "quality",
                                                   "setup"}


def test_reliability_misses_show_in_adherence_and_fall_with_the_factors():
    """Issue 16: a failed factor has a realized effect (held past its bucket, or for quality a
    short lot), so BTS < 100% and falls as the factors fall, while plan holds stays r^n (every
    failure is a MISS, and without one every operation is a HIT). The five factors at s each:
    P(an operation holds) = s^5, P(plan holds) = s^25."""
    plan = re.parse_plan(plan_dict([op(f"o{k}", "A", 10, k, k + 1) for k in range(5)]))
    n = 2000
    bts = []
    for s in (0.99, 0.97, 0.94, 0.9):
        factors = dict.fromkeys(("material", "machine", "quality", "operator", "setup"), s)
        result = score(plan, premises(reliability=factors), replications=n, seed=12)
        assert within_probability(result.plan_holds["mean"], s**25, n), s
        assert result.adherence["bts"]["high"] < 1.0 and result.adherence["btp"]["high"] < 1.0
        bts.append(result.adherence["bts"])
    se = [(b["high"] - b["low"]) / (2 * 1.96) for b in bts]  # the t interval's standard error
    for k in range(len(bts) - 1):
        assert bts[k]["mean"] - bts[k + 1]["mean"] > K * math.hypot(se[k], se[k + 1]), bts


def test_ninety_percent_a_day_over_ten_days_is_34_87_percent():
    ops = [op(f"d{k}", "A", 10, 24 * k, 24 * k + 8) for k in range(10)]
    plan = re.parse_plan(plan_dict(ops, horizon_hours=240, bucket_hours=24))
    n = 4000
    result = score(plan, premises(reliability={"machine": 0.9}), replications=n, seed=5)
    assert round(0.9**10 * 100, 2) == 34.87
    curve = result.holds_through_day
    assert [d["day"] for d in curve] == list(range(1, 11))
    for d in curve:
        assert within_probability(d["mean"], 0.9 ** d["day"], n), d
    assert curve[-1]["mean"] == result.plan_holds["mean"]
    assert all(a["mean"] >= b["mean"] for a, b in zip(curve, curve[1:], strict=False))


def test_no_failure_during_busy_time_is_exp_minus_x_over_mtbf():
    plan = re.parse_plan(plan_dict([op("job", "A", 10, 0, 4)], horizon_hours=4, bucket_hours=4))
    n = 4000
    p = premises(defaults={"breakdowns": {"mtbf_hours": 10, "mttr_hours": 1}})
    result = score(plan, p, replications=n, seed=2)
    assert within_probability(result.plan_holds["mean"], math.exp(-4 / 10), n)


def test_preempt_resume_completion_mean_variance_and_availability():
    """x = 20 h of work, MTBF 10 h, exponential repairs of mean 2 h (sd 2 h):
    E[T] = x (1 + MTTR/MTBF) = 24, Var[T] = (x/MTBF)(MTTR^2 + sd_r^2) = 16,
    availability x / E[T] = MTBF / (MTBF + MTTR) = 10/12."""
    plan = re.parse_plan(plan_dict([op("job", "A", 10, 0, 20)], horizon_hours=24, bucket_hours=24))
    n = 4000
    p = premises(defaults={"breakdowns": {"mtbf_hours": 10,
                                          "mttr_hours": {"dist": "exponential", "mean": 2}}})
    finish = score(plan, p, replications=n, seed=3).finish
    lam, m = 20 / 10, 2.0  # failures per job, mean repair
    kappa2, kappa4 = lam * 2 * m**2, lam * 24 * m**4  # compound Poisson: lam E[R^n]
    assert abs(finish["mean"] - 24) <= K * math.sqrt(16 / n)
    assert abs(finish["sd"] ** 2 - 16) <= K * math.sqrt((kappa4 + 2 * kappa2**2) / n)
    # availability by the delta method: SE(x / T) = x / E[T]^2 SE(T)
    assert abs(20 / finish["mean"] - 10 / 12) <= K * 20 / 24**2 * math.sqrt(16 / n)


def test_chain_of_independent_durations_has_summed_mean_and_variance():
    """Setup-only operations back to back with gamma overruns (mean 1.2, cv 0.5):
    finish = sum s_k X_k, mean 1.2 sum s_k, variance 0.36 sum s_k^2."""
    setups = [1.0, 2.0, 0.5, 1.5, 1.0, 2.0]
    ops, t = [], 0.0
    for k, s in enumerate(setups):
        ops.append(op(f"s{k}", "A", 10, t, t + s, setup_hours=s, after=[f"s{k - 1}"] if k else []))
        t += s
    plan = re.parse_plan(plan_dict(ops, horizon_hours=24, bucket_hours=24))
    p = premises(defaults={"setup_overrun": {"dist": "gamma", "mean": 1.2, "cv": 0.5}},
                 execution={"early_start": True})
    n = 4000
    finish = score(plan, p, replications=n, seed=4).finish
    shape, theta = 4.0, 0.3  # gamma with mean 1.2 and cv 0.5
    var = 0.36 * sum(s * s for s in setups)
    kappa4 = sum(s**4 for s in setups) * 6 * shape * theta**4
    assert abs(finish["mean"] - 1.2 * sum(setups)) <= K * math.sqrt(var / n)
    assert abs(finish["sd"] ** 2 - var) <= K * math.sqrt((kappa4 + 2 * var**2) / n)


@pytest.mark.parametrize("seed", [0, 1])
def test_same_seed_same_result(seed):
    plan = re.parse_plan(plan_dict([op(f"o{k}", "A", 10, k, k + 1) for k in range(4)]))
    p = premises(reliability={"material": 0.9},
                 defaults={"breakdowns": {"mtbf_hours": 5, "mttr_hours": 0.5}})
    assert score(plan, p, replications=300, seed=seed).to_dict() == \
        score(plan, p, replications=300, seed=seed).to_dict()
    assert score(plan, p, replications=300, seed=seed).to_dict() != \
        score(plan, p, replications=300, seed=seed + 7).to_dict()
