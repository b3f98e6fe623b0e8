"""Criticality, cruciality, SSI and rigor advice (issue 6, items 2 and 3) on hand-computed cases.

Closed forms:

- Chain: o1 on L1 (planned 0-2 h) breaks down N ~ Poisson(2/MTBF) times with a fixed 1 h
  repair; o2 on L2 (planned 2-8 h, after o1) ends exactly at its bucket's end, so any
  breakdown makes o2 late while o1 itself stays a HIT (N <= 6). The first miss is o2's,
  its delay began at o1: criticality(o1) = P(N >= 1) = 1 - exp(-2/MTBF) and
  criticality(o2) = 0 exactly. Delays of o1 and o2 are both N hours; the loss 1 - BTS is
  0.75 x 1{N >= 1} (bucket 0 gets half its volume, the horizon half its mix), so both
  cruciality coefficients are corr(N, 1{N >= 1}) = sqrt(lambda e^-lambda / q), q = 1 - e^-lambda.
  The durations of o1 (2 + N) and the finish (8 + N) have the same sd: SSI(o1) = CI(o1).
- Sequence: each 8-hour bucket k holds a_k (2 h) then b_k (1 h). An operator who deviates
  (probability p per decision, window 2, easiest first) runs b_k first at the bucket's first
  decision; no other decision can move anything, so sequence breaks in bucket k with
  probability p independently: P(sequence holds through m buckets) = (1 - p)^m.

Statistical tolerances: K = 4.5 standard errors (sqrt(p(1-p)/n) for probabilities, the
jackknife standard error for a correlation), fixed seeds.
"""

from __future__ import annotations

import math
from datetime import UTC

import numpy as np
import pytest
from builders import op, plan_dict
from click.testing import CliRunner

import riskengine as re
from riskengine.analysis.criticality import pearson, sd_from_sums
from riskengine.analysis.score import score
from riskengine.cli import main
from riskengine.errors import InputError
from riskengine.model.common import CAUSES
from riskengine.model.premises import parse_premises
from riskengine.simulation import insight
from riskengine.simulation.accumulate import Accumulators
from riskengine.simulation.compile import compile_model
from riskengine.simulation.outcome import start_delay
from riskengine.simulation.runner import kernel_replication, run_kernel
from riskengine.simulation.statistics import wilson
from riskengine.simulation.summary import HOLDS

K = 4.5


def chain(mtbf: float = 10.0):
    ops = [op("o1", "A", 10, 0, 2, resource="L1"),
           op("o2", "B", 10, 2, 8, resource="L2", after=["o1"]),
           op("o3", "C", 10, 0, 4, resource="L3")]
    prem = parse_premises({"format": "riskengine.premises/1", "resources": {"L1": {"breakdowns": {
        "mtbf_hours": mtbf, "mttr_hours": {"dist": "fixed", "value": 1}}}}})
    return re.parse_plan(plan_dict(ops, horizon_hours=24)), prem


def by_id(rows: list[dict]) -> dict:
    return {r["id"]: r for r in rows}


@pytest.mark.parametrize("engine", ["kernel", "reference"])
def test_chain_first_miss_is_charged_to_the_operation_where_the_delay_began(engine):
    plan, prem = chain()
    n = 4000 if engine == "kernel" else 600
    result = score(plan, prem, replications=n, seed=11, engine=engine)
    crit = by_id(result.criticality["operations"])
    q = 1 - math.exp(-2 / 10)
    failed = 1 - result.plan_holds["mean"]
    # every failed replication is charged to o1
    assert crit["o1"]["criticality"]["mean"] == pytest.approx(failed, abs=1e-12)
    assert abs(failed - q) < K * math.sqrt(q * (1 - q) / n)
    assert crit["o2"]["criticality"]["mean"] == 0.0 and crit["o3"]["criticality"]["mean"] == 0.0
    assert by_id(result.operations)["o1"]["hit"]["mean"] == 1.0  # o1 itself was never a MISS
    res = by_id(result.criticality["resources"])
    assert res["L1"]["criticality"]["mean"] == pytest.approx(failed, abs=1e-12)
    assert res["L2"]["criticality"]["mean"] == 0.0
    # a deterministic operation: no correlation, no duration spread, SSI 0
    assert crit["o3"]["cruciality"] == {"bts": None, "miss": None}
    assert crit["o3"]["duration_sd_hours"] == 0.0 and crit["o3"]["ssi"] == 0.0
    # o1's duration and the finish differ by a constant: SSI(o1) = CI(o1); o2 runs 6 h always
    assert crit["o1"]["ssi"] == pytest.approx(crit["o1"]["criticality"]["mean"], rel=1e-6)
    assert crit["o2"]["ssi"] == 0.0
    assert crit["o1"]["duration_sd_hours"] == pytest.approx(result.criticality["finish_sd_hours"],
                                                           rel=1e-6)


def jackknife_corr(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Pearson r of (x, y) and its jackknife standard error (leave-one-out from the sums)."""
    n = x.shape[0]
    sx, sy, sxx, syy, sxy = x.sum(), y.sum(), (x * x).sum(), (y * y).sum(), (x * y).sum()
    m = n - 1
    lx, ly = sx - x, sy - y
    vx = m * (sxx - x * x) - lx * lx
    vy = m * (syy - y * y) - ly * ly
    loo = (m * (sxy - x * y) - lx * ly) / np.sqrt(vx * vy)
    r = (n * sxy - sx * sy) / math.sqrt((n * sxx - sx * sx) * (n * syy - sy * sy))
    return r, math.sqrt((n - 1) / n * np.sum((loo - loo.mean()) ** 2))


def test_chain_cruciality_is_the_exact_pearson_of_the_replications_and_its_closed_form():
    plan, prem = chain()
    n, seed = 3000, 5
    result = score(plan, prem, replications=n, seed=seed)
    c = compile_model(plan, prem)
    acc = Accumulators(c, n)
    run_kernel(c, seed, 0, n, acc)
    miss = 1.0 - acc.rows[:n, HOLDS]
    late = np.array([max(kernel_replication(c, seed, k).end[1] - 8.0, 0.0) for k in range(n)])
    crit = by_id(result.criticality["operations"])
    r, se = jackknife_corr(late, miss)
    # the streamed coefficient is the Pearson r of these replications (to the 2^-16 h grid)
    assert crit["o2"]["cruciality"]["miss"] == pytest.approx(r, abs=1e-9)
    assert crit["o2"]["cruciality"]["bts"] == pytest.approx(r, abs=1e-9)  # loss = 0.75 x miss
    assert crit["o1"]["cruciality"]["miss"] == pytest.approx(r, abs=1e-9)
    lam = 0.2
    closed = math.sqrt(lam * math.exp(-lam) / (1 - math.exp(-lam)))
    assert abs(r - closed) < K * se, (r, closed, se)


def sequence_plan(buckets: int = 6):
    ops = []
    for k in range(buckets):
        ops.append(op(f"a{k}", "A", 10, 8 * k, 8 * k + 2))
        ops.append(op(f"b{k}", "B", 10, 8 * k + 2, 8 * k + 3))
    return re.parse_plan(plan_dict(ops, horizon_hours=8 * buckets))


def deviation(p: float):
    return parse_premises({"format": "riskengine.premises/1", "operator": {
        "deviation": {"probability": p, "window": 2, "rule": "easiest_first"}}})


def test_rigor_advice_matches_the_closed_form_holds_through_curve():
    p, n, confidence = 0.1, 4000, 0.77  # (1-p)^2 = 0.81 >= 0.77 > 0.729 = (1-p)^3
    result = score(sequence_plan(), deviation(p), replications=n, seed=3, confidence=confidence)
    advice = {f["factor"]: f for f in result.rigor_advice["factors"]}
    seq = advice["sequence"]
    for m, point in enumerate(seq["holds_through"]):
        truth = (1 - p) ** m
        assert point["hours"] == 8 * m
        assert abs(point["mean"] - truth) <= K * math.sqrt(truth * (1 - truth) / n) + 1e-12, m
    assert seq["horizon_hours"] == 16 and seq["probability"]["hours"] == 16
    assert seq["probability"]["low"] <= seq["probability"]["mean"] <= seq["probability"]["high"]
    assert seq["horizon_hours_low"] <= seq["horizon_hours"]
    assert seq["demanded_until_hours"] == 24  # default bands: sequence in the first 24 h
    for name in ("volume", "mix"):  # nothing else breaks
        assert advice[name]["horizon_hours"] == 48 and advice[name]["probability"]["mean"] == 1.0
    assert advice["mix"]["demanded_until_hours"] == 48 and advice["volume"]["demanded_until_hours"] is None
    text = result.rigor_advice["advice"][2]
    p16 = seq["probability"]
    interval = f"P {100 * p16['mean']:.1f}% [{100 * p16['low']:.1f}-{100 * p16['high']:.1f}%]"
    # what "holds" means is in the sentence; horizons are dates (horizon start Mon 16 Nov 06:00 UTC)
    assert text == ("sequence (each resource completes every bucket's operations in planned order) holds "
                    f"with 77% probability through Mon 16 Nov 22:00, the first 16 h ({interval}), not "
                    "beyond; the bands demand it through Tue 17 Nov 06:00 (24 h), longer than it holds "
                    "at this confidence")
    assert result.rigor_advice["advice"][1] == (
        "mix (every bucket's units match the planned product mix) holds with 77% probability through "
        "the whole horizon (to Wed 18 Nov 06:00, 48 h; P 100.0% [99.9-100.0%]); the bands demand it "
        "through Wed 18 Nov 06:00 (48 h)")
    shown = " ".join(line.strip() for line in str(result).split("Rigor advice")[1].splitlines()[1:])
    assert text in shown  # the terminal wraps the sentence, word for word
    # criticality: the first miss is the moved operation itself (one per failed replication)
    total = sum(o["criticality"]["mean"] for o in result.criticality["operations"])
    assert total == pytest.approx(1 - result.plan_holds["mean"], abs=1e-12)


def test_rigor_horizon_counts_from_the_horizon_start_when_published_earlier():
    plan = sequence_plan()
    doc = plan.model_dump(mode="json", by_alias=True)
    doc["published_at"] = "2026-11-15T22:00:00+00:00"  # 8 h before the horizon start
    result = score(re.parse_plan(doc), deviation(0.1), replications=50, seed=1)
    seq = next(f for f in result.rigor_advice["factors"] if f["factor"] == "sequence")
    assert seq["demanded_until_hours"] == 16  # the 24 h band ends 16 h into the horizon


def test_confidence_is_validated():
    with pytest.raises(InputError, match="confidence"):
        score(sequence_plan(), deviation(0.1), replications=10, confidence=1.0)
    runner = CliRunner()
    out = runner.invoke(main, ["score", "x.json", "--premises", "y.toml", "--confidence", "1.5"])
    assert out.exit_code == 2 and "--confidence" in out.output


def test_start_delay_splits_binding_calendar_and_absence():
    causes = CAUSES
    breakdown, absent, planning = (causes.index(c) for c in ("breakdown", "absenteeism", "planning"))
    d = np.zeros(len(causes))
    none = -np.inf  # no material due
    # starts at its planned start 0 into an absent shift until 8
    assert start_delay(d, 0.0, none, 0.0, 0.0, 8.0, planning) == 0.0
    assert d[absent] == 8.0 and d[planning] == 0.0
    d[:] = 0
    # pushed 3 h by a breakdown, into 7 h of non-working time, then an absent shift of 8 h
    assert start_delay(d, 0.0, none, 3.0, 10.0, 18.0, breakdown) == 10.0
    assert (d[breakdown], d[absent], d[planning]) == (10.0, 8.0, 0.0)
    d[:] = 0
    # planned at 1 h in non-working time (until 3 h): planning
    assert start_delay(d, 1.0, none, 1.0, 3.0, 3.0, planning) == 0.0 and d[planning] == 2.0
    d[:] = 0
    # planned at 0, its lot due at 2 (the plan's error) arrived late at 5: 2 h planning, 3 h material
    material = causes.index("material")
    assert start_delay(d, 0.0, 2.0, 5.0, 5.0, 5.0, material) == 3.0
    assert (d[planning], d[material]) == (2.0, 3.0)


def test_exact_integer_sums_and_statistics():
    rng = np.random.default_rng(0)
    acc = np.zeros((1, 2), np.int64)
    values = [2**62 - 1, 2**40 + 3, 0, 12345, 2**33]
    for v in values * 1000:
        insight.add_wide(acc, 0, np.int64(v))
    assert insight.wide_total(acc)[0] == sum(values) * 1000
    x = rng.integers(0, 10**6, 500)
    y = rng.integers(0, 2, 500)
    s = [int(v) for v in (x.sum(), y.sum(), (x * x).sum(), (y * y).sum(), (x * y).sum())]
    assert pearson(500, *s) == pytest.approx(np.corrcoef(x, y)[0, 1], rel=1e-12)
    assert pearson(500, s[0], 0, s[2], 0, 0) is None  # constant y
    assert sd_from_sums(500, s[0], s[2], scale=1.0) == pytest.approx(np.std(x, ddof=1), rel=1e-12)


@pytest.mark.parametrize("tolerance", [1.0, 0.9])
def test_volume_breaks_below_the_quantity_tolerance(tolerance):
    """One 100-unit operation per bucket, 1% scrap: volume is below 1 in a bucket with
    probability 1 - 0.99^100, below 0.9 practically never (P(Binomial(100, 0.01) > 10) ~ 7e-9)."""
    plan = re.parse_plan(plan_dict([op(f"o{k}", "A", 100, 8 * k, 8 * k + 4) for k in range(3)],
                                   horizon_hours=24))
    prem = parse_premises({"format": "riskengine.premises/1", "defaults": {"scrap_rate": 0.01},
                           "execution": {"quantity_tolerance": tolerance}})
    n = 3000
    result = score(plan, prem, replications=n, seed=2)
    volume = result.rigor_advice["factors"][0]
    assert volume["factor"] == "volume"
    whole = 0.99**100 if tolerance == 1.0 else 1.0
    for m, point in enumerate(volume["holds_through"]):
        truth = whole**m
        assert abs(point["mean"] - truth) <= K * math.sqrt(truth * (1 - truth) / n) + 1e-12, m
    assert volume["horizon_hours"] == (0 if tolerance == 1.0 else 24)


def test_uncertain_parameters_widen_the_intervals_by_the_draws_they_share():
    """Replications nested M = 5 per parameter draw: criticality and rigor intervals use n / M
    effective replications (conservative), the point estimates stay the counts / n."""
    plan, _ = chain()
    prem = parse_premises({"format": "riskengine.premises/1", "resources": {"L1": {"breakdowns": {
        "mtbf_hours": {"uncertain": {"dist": "uniform", "low": 5, "high": 15}},
        "mttr_hours": {"dist": "fixed", "value": 1}}}}})
    n = 1000
    result = score(plan, prem, replications=n, seed=4)
    o1 = by_id(result.criticality["operations"])["o1"]["criticality"]
    k = round(o1["mean"] * n)
    assert 0 < k < n
    assert o1 == wilson(k, n, deff=5.0) and o1 != wilson(k, n)
    point = result.rigor_advice["factors"][0]["holds_through"][1]
    assert point == {"hours": 8.0, **wilson(round(point["mean"] * n), n, deff=5.0)}


def test_rigor_advice_says_what_holds_means_when_it_fails_in_the_first_bucket():
    """The zero case: not a contradiction with a high mean volume, but a statement about every bucket."""
    from datetime import datetime

    from riskengine.analysis.rigor import sentence

    row = {"factor": "volume", "horizon_hours": 0.0, "demanded_until_hours": None,
           "probability": {"hours": 8.0, "mean": 0.092, "low": 0.07, "high": 0.118}}
    origin = datetime(2026, 11, 16, 6, tzinfo=UTC)
    assert sentence(row, 0.8, 168.0, origin, 0.98) == (
        "volume (every bucket produces at least 98% of its planned units) holds with less than 80% "
        "probability even in the first bucket (P 9.2% [7.0-11.8%] that it holds to Mon 16 Nov 14:00, "
        "8 h); every band demands it, longer than it holds at this confidence")
    row.update(demanded_until_hours=0.0)
    assert sentence(row, 0.8, 168.0, origin).endswith("; no band demands it")
