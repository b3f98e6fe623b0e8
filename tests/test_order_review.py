"""The review sheet's orders section (issue 18, left by issue 20): the orders least likely to be
on time with their causes and owners, and their rows in the flags template."""

from __future__ import annotations

from builders import op, plan_dict

import riskengine as rk
from riskengine.governance.review import flags_csv, review
from riskengine.governance.review_documents import ReviewResult
from riskengine.model.premises import parse_premises
from riskengine.report.html import render_report


def test_review_lists_orders_at_risk_and_flags_the_operation_that_completes_them():
    ops = [op("a-10", "P", 100, 0, 2, order="A"), op("a-20", "P", 100, 2, 4, order="A", after=["a-10"]),
           op("b-10", "Q", 100, 4, 6, order="B"), op("c-10", "R", 100, 6, 7, order="C")]
    plan = rk.parse_plan({**plan_dict(ops), "orders": [{"id": "A", "due": 4.25, "customer": "ACME"},
                                                       {"id": "B", "due": 5}, {"id": "C", "due": 20}]})
    premises = parse_premises({"format": "riskengine.premises/1",
                               "defaults": {"breakdowns": {"mtbf_hours": 6, "mttr_hours": 1}}})
    sheet = review(plan, premises, replications=300, seed=2, top=2)
    d = sheet.to_dict()
    ReviewResult.model_validate(d)
    assert [o["id"] for o in sheet.orders] == ["B", "A"]  # B: planned late (0%), then A
    b, a = sheet.orders
    assert b["on_time"]["mean"] == 0.0 and b["causes"] == [{"cause": "planning", "probability": 1.0,
                                                            "owner": "planning"}]
    assert a["last_operation"] == "a-20" and a["causes"][0]["cause"] == "breakdown"
    assert a["causes"][0]["owner"] == "maintenance" and a["customer"] == "ACME"
    assert d["forecast"]["orders"] == 3 and d["forecast"]["orders_likely_on_time"] == 1
    rows = {r["operation"]: r["note"] for r in sheet.flags_template}
    assert "order B due" in rows["b-10"] and "P(on time) 0%" in rows["b-10"]
    assert "order A due" in rows["a-20"]
    assert "b-10,," in flags_csv(sheet.flags_template)
    text = " ".join(str(sheet).split())
    assert "1 of 3 orders on time with at least 80% probability; least likely: order B" in text
    assert "Orders least likely to be on time" in text
    assert "Orders least likely to be on time" in render_report(sheet)
