"""Shared drivers (issue 6, item 5): common shocks that hit several materials or crews at once.

The acceptance case: six independent lines, each waiting for its own material. Without a
driver each material is late with probability 0.3; with a supplier driver each material
is late on its own with probability 0.125 and all of them together with probability 0.2,
so every material is still late with probability 1 - 0.875 x 0.8 = 0.3 (the same
marginals), but the lateness is correlated and the variance of BTS rises from
0.3 x 0.7 / 6 = 0.035 to 0.137 (closed forms below).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from builders import op, plan_dict

import riskengine as re
from riskengine.analysis.score import simulate
from riskengine.analysis.sensitivity import sensitivity, variants
from riskengine.errors import InputError
from riskengine.model.premises import check_premises_against, parse_premises
from riskengine.simulation.compile import compile_model
from riskengine.simulation.reference import simulate as reference
from riskengine.simulation.runner import kernel_replication
from riskengine.simulation.summary import BTS

N_LINES = 6
LATE = {"dist": "fixed", "value": 100.0}  # a late lot misses the 8-hour horizon


def six_lines():
    ops = [op(f"o{k}", f"P{k}", 10, 1, 2, f"L{k}", materials=[f"M{k}"]) for k in range(N_LINES)]
    return re.parse_plan(plan_dict(ops, horizon_hours=8))


def lines_premises(own: float, shock: float | None) -> re.Premises:
    doc = {"format": "riskengine.premises/1",
           "materials": {f"M{k}": {"late": {"probability": own, "delay_hours": LATE}}
                         for k in range(N_LINES)}}
    if shock is not None:
        doc["drivers"] = {"supplier": {"kind": "material", "probability": shock,
                                       "materials": [f"M{k}" for k in range(N_LINES)], "delay_hours": LATE}}
    return parse_premises(doc)


def variance_and_se(x: np.ndarray) -> tuple[float, float]:
    """Sample variance and its standard error sqrt((m4 - s^4) / n) (large-sample)."""
    s2 = float(np.var(x, ddof=1))
    m4 = float(np.mean((x - x.mean()) ** 4))
    return s2, math.sqrt(max(m4 - s2 * s2, 0.0) / x.shape[0])


def test_a_shared_driver_raises_the_variance_of_bts_at_the_same_marginals():
    n = 20_000
    plan = six_lines()
    _, alone = simulate(plan, lines_premises(0.3, None), replications=n, seed=4)
    _, shared = simulate(plan, lines_premises(0.125, 0.2), replications=n, seed=4)
    # the same marginal probability that each line's operation is a HIT: 0.7
    for acc in (alone, shared):
        hit = acc.op_hits / n
        assert np.all(np.abs(hit - 0.7) < 5 * math.sqrt(0.21 / n)), hit
    v_alone, se_alone = variance_and_se(alone.rows[:n, BTS])
    v_shared, se_shared = variance_and_se(shared.rows[:n, BTS])
    # BTS = (6 - late lines) / 6: Var = 0.3 x 0.7 / 6 without the driver; with it, by the law of
    # total variance over the shock: 0.8 x 0.125 x 0.875 / 6 + 0.875^2 x 0.2 x 0.8
    assert abs(v_alone - 0.3 * 0.7 / 6) < 5 * se_alone
    assert abs(v_shared - (0.8 * 0.125 * 0.875 / 6 + 0.875**2 * 0.2 * 0.8)) < 5 * se_shared
    assert v_shared - v_alone > 5 * math.hypot(se_alone, se_shared)
    # and the means agree (same marginals): E[BTS] = 0.7 in both
    for acc in (alone, shared):
        x = acc.rows[:n, BTS]
        assert abs(x.mean() - 0.7) < 5 * math.sqrt(np.var(x) / n)


def exact_plan():
    ops = [op("a", "A", 10, 1, 2, "L1", materials=["M1"]), op("b", "B", 10, 1, 2, "L2", materials=["M2"]),
           op("c", "C", 10, 1, 2, "L3", materials=["M3"])]
    return re.parse_plan(plan_dict(ops, horizon_hours=24))


@pytest.mark.parametrize("engine", [reference, kernel_replication])
def test_shock_delays_add_on_top_of_the_lots_own(engine):
    fixed = {"dist": "fixed", "value": 2.0}
    premises = parse_premises({
        "format": "riskengine.premises/1",
        "materials": {"M1": {"late": {"probability": 1.0, "delay_hours": fixed}}},
        "drivers": {"s1": {"probability": 1.0, "materials": ["M1", "M2"],
                           "delay_hours": {"dist": "fixed", "value": 3.0}},
                    "s2": {"probability": 1.0, "materials": ["M2"],
                           "delay_hours": {"dist": "fixed", "value": 0.5}},
                    "never": {"probability": 0.0, "materials": ["M3"], "delay_hours": fixed}}})
    out = engine(compile_model(exact_plan(), premises), 1, 0)
    # planned availability = the first planned start (1 h): M1 1 + 2 + 3, M2 1 + 3 + 0.5, M3 1
    assert list(out.start) == [6.0, 4.5, 1.0]


@pytest.mark.parametrize("engine", [reference, kernel_replication])
def test_an_absenteeism_driver_stops_all_its_crews_in_the_same_shifts(engine):
    ops = [op(f"o{k}", "A", 10, 1, 2, f"L{k}") for k in range(3)]
    plan = re.parse_plan(plan_dict(ops, horizon_hours=48))
    premises = parse_premises({"format": "riskengine.premises/1", "drivers": {"flu": {
        "kind": "absenteeism", "probability": 0.5, "resources": ["L0", "L1"], "shift_hours": 4}}})
    c = compile_model(plan, premises)
    moved = 0
    for rep in range(40):
        out = engine(c, 3, rep)
        assert out.start[0] == out.start[1]  # one shock for both crews
        assert out.start[0] in (1.0, 4.0, 8.0, 12.0, 16.0, 20.0, 24.0, 28.0)  # next shift that works
        assert out.start[2] == 1.0  # not in the driver
        moved += out.start[0] > 1.0
    assert 5 < moved < 35  # P(shift 0 absent) = 0.5: Binomial(40, 0.5) is in [6, 34] but for 1e-5


def test_removing_a_shared_driver_is_a_source_of_the_sensitivity():
    plan = six_lines()
    premises = lines_premises(0.125, 0.2)
    names = {(kind, name, change) for kind, name, change, _ in variants(premises, plan)}
    assert {("source", "driver supplier", "removed"), ("source", "driver supplier", "halved")} <= names
    rows = {(r["name"], r["change"]): r for r in sensitivity(plan, premises, replications=2000, seed=1).rows}
    removed, halved = rows["driver supplier", "removed"], rows["driver supplier", "halved"]
    # without the shock lines miss only on their own: E[BTS] gains 0.2 x 0.875 = 0.175
    assert abs(removed["bts"]["mean"] - 0.175) < 5 * (removed["bts"]["high"] - removed["bts"]["low"]) / 3.92
    assert 0 < halved["bts"]["mean"] < removed["bts"]["mean"]
    assert removed["plan_holds"]["low"] > 0


def test_a_driver_may_name_materials_this_plan_does_not_use():
    """Like the materials section, a driver's materials not in this week's plan do not apply."""
    premises = parse_premises({"format": "riskengine.premises/1", "drivers": {"s": {
        "probability": 1.0, "materials": ["NOT-BOUGHT", "M2"],
        "delay_hours": {"dist": "fixed", "value": 3.0}}}})
    check_premises_against(premises, exact_plan())
    c = compile_model(exact_plan(), premises)
    assert list(c.drv_idx) == [1]
    assert list(reference(c, 1, 0).start) == [1.0, 4.0, 1.0]


BAD = [
    ({"drivers": {"f": {"kind": "absenteeism", "probability": 0.1, "resources": ["L9"]}}},
     "drivers.f.resources[0]", "unknown resource"),
    ({"drivers": {"f": {"kind": "absenteeism", "probability": 0.1, "resources": ["L1"]},
                  "g": {"kind": "absenteeism", "probability": 0.1, "resources": ["L1"]}}},
     "drivers.g.resources[0]", "at most one"),
    ({"resources": {"L1": {"absenteeism": {"probability": 0.1, "effect": "slow"}}},
      "drivers": {"f": {"kind": "absenteeism", "probability": 0.1, "resources": ["L1"]}}},
     "drivers.f.resources[0]", "must agree"),
]


@pytest.mark.parametrize("edit, where, phrase", BAD)
def test_drivers_that_name_nothing_or_disagree_are_errors(edit, where, phrase):
    premises = parse_premises({"format": "riskengine.premises/1", **edit})
    with pytest.raises(InputError) as exc:
        check_premises_against(premises, exact_plan())
    assert str(exc.value.problems[0]).startswith(where + ": ") and phrase in str(exc.value.problems[0])


@pytest.mark.parametrize("edit, where", [
    ({"s": {"probability": 1.5, "materials": ["M1"], "delay_hours": 2}}, "drivers.s.probability"),
    ({"s": {"probability": 0.1, "materials": [], "delay_hours": 2}}, "drivers.s.materials"),
    ({"s": {"probability": 0.1, "materials": ["M1"]}}, "drivers.s.delay_hours"),
    ({"s": {"kind": "absenteeism", "probability": 0.1, "resources": ["L1"], "effect": "nap"}},
     "drivers.s.effect"),
])
def test_bad_driver_fields_are_named(edit, where):
    with pytest.raises(InputError) as exc:
        parse_premises({"format": "riskengine.premises/1", "drivers": edit})
    assert [p.location for p in exc.value.problems] == [where]
