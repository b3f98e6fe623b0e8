"""Issue 20, trends: the p-chart against the textbook formula, weeks from summed counts, the hand-made
two-week history as two weekly measurements (test_governance.py), robustness to older measurements."""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner
from test_governance import two_weeks

import riskengine as rk
from riskengine.cli import main
from riskengine.errors import InputError
from riskengine.governance.trend import iso_week, p_chart, trend


def textbook(hits: list[int], n: list[int]) -> tuple[float, list[tuple[float, float]]]:
    """p-bar = sum x / sum n; limits p-bar +- 3 sqrt(p-bar (1 - p-bar) / n_i), clipped to [0, 1]."""
    p = sum(hits) / sum(n)
    return p, [(max(0.0, p - 3 * math.sqrt(p * (1 - p) / k)), min(1.0, p + 3 * math.sqrt(p * (1 - p) / k)))
               for k in n]


def test_p_chart_limits_are_the_textbook_formula_on_a_hand_case():
    # p-bar = 245/300; sigma(n=100) = sqrt(0.816667 * 0.183333 / 100) = 0.0386940, 3 sigma = 0.116082
    center, points = p_chart([90, 95, 60], [100, 100, 100])
    assert center == pytest.approx(245 / 300, abs=1e-15)
    for point in points:
        assert point["lower"] == pytest.approx(0.700585, abs=1e-6)
        assert point["upper"] == pytest.approx(0.932749, abs=1e-6)
    assert [p["out_of_control"] for p in points] == [None, "above", "below"]
    # unequal sizes: each week its own limits; a limit past 1 is clipped; a week without operations
    center, points = p_chart([8, 9, 2, 0], [10, 10, 5, 0])
    p, limits = textbook([8, 9, 2], [10, 10, 5])
    assert center == pytest.approx(p) == pytest.approx(0.76)
    assert [v for q in points[:3] for v in (q["lower"], q["upper"])] == \
        pytest.approx([v for pair in limits for v in pair], abs=1e-15)
    assert points[0]["lower"] == pytest.approx(0.76 - 3 * math.sqrt(0.76 * 0.24 / 10))
    assert points[0]["upper"] == 1.0 and points[2]["lower"] == pytest.approx(0.187008, abs=1e-6)
    assert points[3] is None and [q["out_of_control"] for q in points[:3]] == [None, None, None]
    assert p_chart([0, 0], [0, 0]) == (None, [None, None])


def weekly_measurements() -> list[dict]:
    """The two weeks of test_governance.py measured separately, as a plant does every Monday."""
    (w1, w2), records = two_weeks()
    docs = []
    for plan, recs in ((w1, records[:3]), (w2, records[3:])):
        history = rk.PlanHistory([rk.parse_plan(plan)])
        moved = plan is w2  # week 2 alone: hours from its own horizon start
        shifted = [dict(r) | ({"start": r["start"] - 168, "end": r["end"] - 168} if moved and "start" in r
                              else {}) for r in recs]
        actuals = rk.parse_actuals({"format": "riskengine.actuals/1", "records": shifted}, history)
        docs.append(rk.measure(history, actuals).to_dict())
    return docs


def test_two_weekly_measurements_make_two_weeks_of_summed_counts():
    weekly = weekly_measurements()
    t = trend(weekly).to_dict()
    starts = [rk.parse_plan(p).horizon.start for p in two_weeks()[0]]
    assert [w["week"] for w in t["weeks"]] == ["2026-W47", "2026-W48"] == [iso_week(s) for s in starts]
    w47, w48 = t["weeks"]
    assert (w47["planned"], w47["produced"], w47["built_to_mix"], w47["operations"], w47["hits"]) == \
        (250, 230, 180, 3, 1)
    assert (w48["planned"], w48["produced"], w48["built_to_mix"], w48["operations"], w48["hits"]) == \
        (500, 400, 300, 4, 2)
    assert (w47["validated_buckets"], w48["validated_buckets"], w48["buckets"]) == (0, 7, 7)
    assert w48["bts"] == pytest.approx(0.45) and w47["btp"] == pytest.approx(0.72)
    # all weeks: counts summed, then divided (never the mean of 72% and 60%)
    assert t["total"]["planned"] == 750 and t["total"]["btp"] == pytest.approx(480 / 750)
    yes, no = t["by_validation"]["validated"], t["by_validation"]["not_validated"]
    assert (yes["planned"], yes["operations"], yes["hits"]) == (500, 4, 2)
    assert (no["planned"], no["operations"], no["hits"]) == (250, 3, 1)
    assert {k: v["misses"] for k, v in yes["sides"].items()} == {"plan": 1, "execution": 1, "unexplained": 0}
    # the p-chart of the two weeks: p-bar = 3/7
    assert t["p_chart"]["center"] == pytest.approx(3 / 7)
    assert w47["p_chart"]["lower"] == 0.0 and w47["p_chart"]["upper"] == pytest.approx(
        min(1.0, 3 / 7 + 3 * math.sqrt(3 / 7 * 4 / 7 / 3)))
    assert t["flags"] == {"measured": 2, "materialized": 1, "hit_rate": 0.5, "unflagged_operations": 2,
                          "unflagged_misses": 1, "unflagged_miss_rate": 0.5}


def test_owner_rows_over_time_sum_to_the_misses():
    t = trend(weekly_measurements()).to_dict()
    owners = {o["owner"]: o for o in t["owners"]}
    assert sum(o["misses"] for o in t["owners"]) == t["total"]["misses"] == 4
    assert sum(o["lost_units"] for o in t["owners"]) == 370
    assert [(w["week"], w["misses"]) for w in owners["maintenance"]["weeks"]] == \
        [("2026-W47", 0), ("2026-W48", 1)]
    assert owners["quality"]["weeks"][0] == {"week": "2026-W47", "misses": 1, "lost_units": 20.0}
    for k in range(2):  # week by week too
        assert sum(o["weeks"][k]["misses"] for o in t["owners"]) == t["weeks"][k]["misses"]


def test_families_resources_and_areas_keep_their_own_counts():
    t = trend(weekly_measurements()).to_dict()
    fam = {f["family"]: f for f in t["families"]}  # no family given: each product is its own
    assert (fam["P"]["planned"], fam["P"]["operations"], fam["P"]["hits"]) == (100 + 50 + 100 + 100, 4, 3)
    assert fam["Q"]["weeks"][1] == {"week": "2026-W48", "planned": 300.0, "produced": 200.0,
                                    "built_to_mix": 100.0, "btp": 1 / 3, "operations": 2, "hits": 0,
                                    "hit_rate": 0.0}
    (line,) = t["resources"]
    assert line["id"] == "L1" and [w["planned"] for w in line["weeks"]] == [250, 500]


def test_older_measurements_without_governance_fields_still_trend():
    old = []
    for d in weekly_measurements():
        d = json.loads(json.dumps(d))
        for key in ("owners", "accountability"):
            d.pop(key)
        for part in ("plans", "buckets", "operations", "products"):
            for row in d[part]:
                for k in ("validated", "validation", "status", "flag", "family"):
                    row.pop(k, None)
        for c in d["causes"]:
            for k in ("owner", "action", "side"):
                c.pop(k)
        old.append(d)
    t = trend(old).to_dict()
    assert t["by_validation"]["validated"]["operations"] == 0 and t["total"]["operations"] == 7
    assert t["flags"]["measured"] == 0 and sum(o["misses"] for o in t["owners"]) == 4


def test_bad_trend_inputs_are_refused_by_name(tmp_path):
    weekly = weekly_measurements()
    with pytest.raises(InputError, match=r"measurements\[1\]: operation a1 of plan w1 is also measured in"):
        trend([weekly[0], weekly[0]])
    units = json.loads(json.dumps(weekly[1]))
    units["rules"]["sequence_basis"] = "units"
    with pytest.raises(InputError, match="rules.sequence_basis: the measurements count sequence differently"):
        trend([weekly[0], units])
    broken = json.loads(json.dumps(weekly[0]))
    broken["buckets"][2]["planned"] = -1
    (tmp_path / "bad.json").write_text(json.dumps(broken))
    res = CliRunner().invoke(main, ["trend", str(tmp_path / "bad.json")])
    assert res.exit_code == 2 and "buckets.2.planned" in res.output.replace("[", ".").replace("]", "")
    (tmp_path / "score.json").write_text(json.dumps({"format": "riskengine.score/1"}))
    res = CliRunner().invoke(main, ["trend", str(tmp_path / "score.json")])
    assert res.exit_code == 2 and "format" in res.output


def test_trend_cli_writes_json_and_report(tmp_path):
    paths = []
    for k, d in enumerate(weekly_measurements()):
        paths.append(str(tmp_path / f"week-{k}.json"))
        (tmp_path / f"week-{k}.json").write_text(json.dumps(d))
    res = CliRunner().invoke(main, ["trend", *paths, "--json", str(tmp_path / "t.json"),
                                    "--report", str(tmp_path / "t.html")])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "Adherence trend over 2 week(s) (2026-W47 to 2026-W48)" in text
    assert "under validated plans BTS 45% and HIT rate 50%, under plans never validated 56% and 33%" in text
    assert "Flags: 1 of 2 flagged operations missed (50%, the supervisor's hit rate)" in text
    doc = json.loads((tmp_path / "t.json").read_text())
    assert doc["format"] == "riskengine.trend/1" and len(doc["weeks"]) == 2
    page = (tmp_path / "t.html").read_text()
    assert page.count("<svg ") == 4 and "p-chart of the weekly HIT rate" in page
