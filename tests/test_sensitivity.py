"""Sensitivity tornado (issue 6): removal gains are CRN-paired differences."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import op, plan_dict

import riskengine as re
from riskengine.analysis.sensitivity import sensitivity, variants
from riskengine.io.readers import read_plan, read_premises
from riskengine.model.premises import parse_premises

FACTORY = Path(__file__).resolve().parent.parent / "scenarios" / "example-factory"


def two_lines():
    ops = [op(f"a{k}", "A", 10, k, k + 1, "L1") for k in range(4)]
    ops += [op(f"b{k}", "B", 10, k, k + 1, "L2") for k in range(4)]
    return re.parse_plan(plan_dict(ops, horizon_hours=8))


def test_a_single_source_takes_all_the_loss():
    plan = two_lines()
    premises = parse_premises({"format": "riskengine.premises/1", "defaults": {
        "breakdowns": {"mtbf_hours": 3, "mttr_hours": 0.5}}})
    result = sensitivity(plan, premises, replications=400, seed=2)
    removed = {(r["kind"], r["name"]): r for r in result.rows if r["change"] == "removed"}
    assert set(removed) == {("source", "breakdowns"), ("resource", "L1"), ("resource", "L2")}
    gain = removed["source", "breakdowns"]
    # without its only source the plan always holds: the gain is the loss (up to rounding)
    assert gain["plan_holds"]["mean"] == pytest.approx(1.0 - result.base["plan_holds"], abs=1e-12)
    assert gain["bts"]["mean"] == pytest.approx(1.0 - result.base["bts"], abs=1e-12)
    assert 0 < result.base["plan_holds"] < 1
    # each line alone explains part of it, never more than the whole
    for line in ("L1", "L2"):
        assert 0 < removed["resource", line]["plan_holds"]["mean"] < gain["plan_holds"]["mean"]


def test_halving_gains_less_than_removing():
    plan = two_lines()
    premises = parse_premises({"format": "riskengine.premises/1", "defaults": {
        "breakdowns": {"mtbf_hours": 3, "mttr_hours": 0.5}, "scrap_rate": 0.01}})
    rows = sensitivity(plan, premises, replications=300, seed=5).rows
    for name in ("breakdowns", "scrap_rate"):
        removed = next(r for r in rows if r["name"] == name and r["change"] == "removed")
        halved = next(r for r in rows if r["name"] == name and r["change"] == "halved")
        assert 0 <= halved["plan_holds"]["mean"] <= removed["plan_holds"]["mean"]


def test_removing_a_source_never_lowers_paired_plan_holds_on_the_example():
    plan = read_plan(FACTORY / "plan-v1.json")
    result = sensitivity(plan, read_premises(FACTORY / "premises.toml"), replications=200, seed=4)
    assert len(result.rows) == 2 * (5 + 3 + 1 + 4)  # sources, material lots, deviation, lines
    for row in result.rows:
        assert row["plan_holds"]["mean"] >= 0, row
        assert row["bts"]["mean"] >= -1e-12 or row["name"] == "operator deviation", row


def test_variants_remove_exactly_one_thing():
    plan = two_lines()
    premises = parse_premises({"format": "riskengine.premises/1",
                               "defaults": {"scrap_rate": 0.02},
                               "resources": {"L2": {"breakdowns": {"mtbf_hours": 9, "mttr_hours": 1}}},
                               "reliability": {"material": 0.9}})
    found = {(k, n, c): p for k, n, c, p in variants(premises, plan)}
    no_scrap = found["source", "scrap_rate", "removed"]
    assert no_scrap.for_resource("L1").scrap_rate is None
    assert no_scrap.for_resource("L2").breakdowns is not None and no_scrap.reliability == {"material": 0.9}
    assert found["source", "scrap_rate", "halved"].for_resource("L2").scrap_rate == 0.01
    assert found["source", "breakdowns", "halved"].for_resource("L2").breakdowns.mtbf_hours.mean() == 18
    assert found["source", "reliability material", "halved"].reliability == {"material": 0.95}
    assert found["resource", "L1", "removed"].for_resource("L2").scrap_rate == 0.02
