"""Realized orders in ``measure``: completed, on time, in full, OTIF, and ``total.otif``."""

from __future__ import annotations

import json

from builders import measure, op, plan_dict, run

from riskengine.adherence.result import Measurement
from riskengine.report.html import render_report

ORDERS = [{"id": "A", "due": 6, "customer": "ACME"}, {"id": "B", "due": 10}, {"id": "C", "due": 16}]


def week() -> dict:
    """Three orders: A (two operations) on time in full, B late, C on time but short."""
    ops = [op("a-10", "P", 100, 0, 2, order="A"), op("a-20", "P", 100, 2, 5, order="A", after=["a-10"]),
           op("b-10", "Q", 100, 5, 9, order="B"), op("c-10", "R", 200, 9, 14, order="C"),
           op("x-10", "R", 50, 14, 15, order="X")]  # an order the plan does not list
    return {**plan_dict(ops, horizon_hours=24), "orders": ORDERS}


def test_otif_of_a_hand_made_measurement_is_exact():
    records = [run("a-10", 100, 0, 2), run("a-20", 60, 2, 4), run("a-20", 40, 4, 5.5),
               run("b-10", 100, 5.5, 11.25, cause="breakdown"), run("c-10", 150, 9, 14, cause="quality"),
               run("x-10", 50, 14, 15)]
    m = measure([week()], records, quantity_tolerance=0.98)
    rows = {o["id"]: o for o in m.orders}
    assert [o["id"] for o in m.orders] == ["A", "B", "C"]
    a, b, c = rows["A"], rows["B"], rows["C"]
    assert (a["completed"], a["on_time"], a["in_full"], a["otif"], a["lateness_hours"]) == \
        ("2026-11-16T11:30:00+00:00", True, True, True, 0.0)
    assert a["customer"] == "ACME" and a["operations"] == 2 and a["plan"] == "v1"
    assert (b["completed"], b["on_time"], b["in_full"], b["otif"], b["lateness_hours"]) == \
        ("2026-11-16T17:15:00+00:00", False, True, False, 1.25)
    assert (c["on_time"], c["in_full"], c["otif"], c["lateness_hours"]) == (True, False, False, 0.0)
    assert m.total["otif"] == 1 / 3 and m.total["orders"] == 3 and m.total["orders_otif"] == 1
    text = str(m)
    assert "Orders: 1 of 3 on time in full (OTIF 33.3%)" in text
    assert "B " in text.split("Orders: 1 of 3")[1] and "1.2 h" in text
    html = render_report(m)
    assert "on time in full (1 of 3)</caption>" in html
    Measurement.model_validate(json.loads(json.dumps(m.to_dict())))


def test_an_order_with_an_operation_not_executed_is_not_completed():
    records = [run("a-10", 100, 0, 2), run("b-10", 100, 5, 9), run("c-10", 200, 9, 14)]
    m = measure([week()], records)
    a = next(o for o in m.orders if o["id"] == "A")
    assert a["completed"] is None and not a["on_time"] and not a["in_full"] and a["lateness_hours"] is None
    assert m.total["orders_otif"] == 2


def test_orders_are_measured_against_the_newest_version_and_in_the_period_they_are_due():
    v1 = week()
    v2 = {**week(), "id": "v2", "published_at": 3,
          "orders": [{"id": "A", "due": 5}, {"id": "B", "due": 30}, {"id": "C", "due": 16}]}
    records = [run("a-10", 100, 0, 2), run("a-20", 100, 2, 5.5), run("b-10", 100, 5, 9),
               run("c-10", 200, 9, 14)]
    m = measure([v1, v2], records)
    assert [(o["id"], o["plan"], o["on_time"]) for o in m.orders] == [("A", "v2", False), ("C", "v2", True)]
    assert any("1 order(s) due outside the measured timeline" in w for w in m.warnings)


def test_plans_without_orders_measure_as_before():
    plan = plan_dict([op("a-10", "P", 100, 0, 2)])
    m = measure([plan], [run("a-10", 100, 0, 2)])
    assert m.orders == [] and "otif" not in m.total


def test_trend_says_each_weeks_otif_from_summed_counts():
    from riskengine.governance.trend import trend

    week1 = week()
    week2 = {**week(), "id": "v2", "horizon": {"start": "2026-11-23T06:00:00+00:00", "end": 24},
             "validation": {"by": "K. Meyer", "at": "2026-11-22T18:00:00+00:00", "flags": []},
             "status": "validated"}
    first = measure([week1], [run("a-10", 100, 0, 2), run("a-20", 100, 2, 5), run("b-10", 100, 5, 12),
                              run("c-10", 200, 9, 14)])
    second = measure([week2], [run("a-10", 100, 0, 2), run("a-20", 100, 2, 5), run("b-10", 100, 5, 9),
                               run("c-10", 200, 9, 14)])
    assert (first.total["orders_otif"], second.total["orders_otif"]) == (2, 3)
    t = trend([first, second])
    assert [(w["orders"], w["orders_otif"], w["otif"]) for w in t.weeks] == [(3, 2, 2 / 3), (3, 3, 1.0)]
    assert (t.total["orders"], t.total["orders_otif"], t.total["otif"]) == (6, 5, 5 / 6)
    parts = t.by_validation
    assert (parts["validated"]["otif"], parts["not_validated"]["otif"]) == (1.0, 2 / 3)
    text = " ".join(str(t).split())
    assert "83% of 6 orders on time in full (OTIF)" in text and "orders OTIF" in text.split("Weeks")[1]
    plain = trend([measure([plan_dict([op("a-10", "P", 100, 0, 2)])], [run("a-10", 100, 0, 2)])])
    assert "otif" not in plain.total and "otif" not in plain.weeks[0]


def test_an_order_a_later_version_drops_with_nothing_produced_was_cancelled():
    v1 = week()
    v2 = {**week(), "id": "v2", "published_at": 3,
          "operations": [o for o in week()["operations"] if o["order"] != "C"],
          "orders": [o for o in ORDERS if o["id"] != "C"]}
    records = [run("a-10", 100, 0, 2), run("a-20", 100, 2, 5), run("b-10", 100, 5, 9)]
    m = measure([v1, v2], records)
    assert [o["id"] for o in m.orders] == ["A", "B"] and m.total["orders_otif"] == 2
    assert any("1 order(s) dropped by a later plan version" in w for w in m.warnings)
    # a dropped order whose production is on record is measured against the version listing it
    m = measure([v1, v2], records + [run("c-10", 200, 9, 14)])
    assert [(o["id"], o["plan"], o["otif"]) for o in m.orders] == [("A", "v2", True), ("B", "v2", True),
                                                                   ("C", "v1", True)]
