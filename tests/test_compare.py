"""Compare under common random numbers (issue 6): exact zeros with itself, pairing pays."""

from __future__ import annotations

import json

import pytest
from builders import op, plan_dict
from click.testing import CliRunner

import riskengine as re
from riskengine.analysis.compare import compare, paired_difference
from riskengine.cli import main
from riskengine.model.premises import parse_premises

BREAKDOWNS = parse_premises({"format": "riskengine.premises/1", "defaults": {
    "breakdowns": {"mtbf_hours": 6, "mttr_hours": {"dist": "exponential", "mean": 0.6}}}})


def slack_pair():
    """Five 1-hour jobs back to back in an 8-hour shift: 'early' ends them 15 minutes before the
    shift (bucket) ends, 'tight' exactly at its end; breakdowns every 6 h of work on average."""
    early = [op(f"j{k}", "A", 10, 2.75 + k, 3.75 + k) for k in range(5)]
    tight = [op(f"j{k}", "A", 10, 3.0 + k, 4.0 + k) for k in range(5)]
    return (re.parse_plan(plan_dict(early, id="early", horizon_hours=8)),
            re.parse_plan(plan_dict(tight, id="tight", horizon_hours=8)))


def test_a_plan_compared_with_itself_differs_by_exactly_zero():
    early, _ = slack_pair()
    result = compare([early, early], BREAKDOWNS, replications=300, seed=3)
    assert [p["id"] for p in result.plans] == ["early", "early#2"]
    for d in result.differences:
        assert (d["mean"], d["low"], d["high"], d["p_a_better"]) == (0.0, 0.0, 0.0, 0.0), d


def test_more_slack_wins_and_pairing_shrinks_the_interval():
    early, tight = slack_pair()
    n = 100
    paired = compare([early, tight], BREAKDOWNS, replications=n, seed=1)
    holds = next(d for d in paired.differences if d["metric"] == "plan_holds")
    # same breakdowns at the same points of work: the early plan never holds less often
    assert holds["low"] > 0 and holds["p_a_better"] > 0 and holds["p_tie"] + holds["p_a_better"] == 1.0
    assert holds["half_width_paired"] < holds["half_width_independent"]
    independent = compare([early, tight], BREAKDOWNS, replications=n, seed=1, paired=False)
    loose = next(d for d in independent.differences if d["metric"] == "plan_holds")
    assert loose["low"] < 0 < loose["high"]  # independent streams cannot tell them apart at this n
    assert paired.ranking == ["early", "tight"]


def test_paired_difference_by_hand():
    import numpy as np

    x = np.array([1.0, 0.0, 1.0, 1.0])
    y = np.array([0.0, 0.0, 1.0, 0.0])
    d = paired_difference(x, y, higher_is_better=True)
    # d = 1, 0, 0, 1: mean 0.5, sd sqrt(1/3), t_{0.975,3} = 3.182446
    assert d["mean"] == 0.5 and d["p_a_better"] == 0.5 and d["p_tie"] == 0.5
    assert d["high"] - 0.5 == pytest.approx(3.182446305284263 * (1 / 3) ** 0.5 / 2, rel=1e-12)
    later = paired_difference(np.array([5.0, 6.0]), np.array([6.0, 6.0]), higher_is_better=False)
    assert later["p_a_better"] == 0.5  # finish: earlier is better


def test_compare_cli_json(tmp_path):
    early, tight = slack_pair()
    paths = []
    for plan in (early, tight):
        path = tmp_path / f"{plan.id}.json"
        path.write_text(plan.model_dump_json(by_alias=True))
        paths.append(str(path))
    premises = tmp_path / "premises.json"
    premises.write_text(BREAKDOWNS.model_dump_json(by_alias=True))
    result = CliRunner().invoke(main, ["compare", *paths, "--premises", str(premises),
                                       "--replications", "100", "--json", "-"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["format"] == "riskengine.compare/1" and doc["ranking"] == ["early", "tight"]
    assert {d["metric"] for d in doc["differences"]} == {"plan_holds", "bts", "btp", "volume", "mix",
                                                        "sequence", "finish"}
    assert {"id", "plan_holds", "adherence", "finish"} <= set(doc["plans"][0])
    one = CliRunner().invoke(main, ["compare", paths[0], "--premises", str(premises)])
    assert one.exit_code == 2 and "at least two plans" in one.output
