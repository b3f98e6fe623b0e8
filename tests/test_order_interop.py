"""Orders through every way in and out (issue 18, left by issue 21): the orders table import,
B2MML's request EndTime as the due date, pandas frames both ways."""

from __future__ import annotations

import json

import pytest
from builders import op, plan_dict
from click.testing import CliRunner

import riskengine as rk
from riskengine.cli import main
from riskengine.errors import InputError
from riskengine.interop.b2mml import parse_xml, plan_to_schedule, schedule_to_plan
from riskengine.interop.frames import plan_frames, plan_from_frames
from riskengine.interop.results import COLUMNS, to_frames
from riskengine.interop.tables import import_table, template
from riskengine.model.premises import parse_premises


def plan_doc() -> dict:
    ops = [op("A-10", "X", 100, 0, 2, order="A"), op("A-20", "X", 100, 2, 4, order="A", after=["A-10"]),
           op("B-10", "Y", 50, 4, 6, order="B")]
    return {**plan_dict(ops, id="v1"), "orders": [{"id": "A", "due": 5, "priority": 2, "customer": "ACME"},
                                                  {"id": "B", "due": "2026-11-16T13:00:00+00:00"}]}


ORDERS_CSV = ("Auftrag;Liefertermin;Prio;Kunde;Bemerkung\nA;16.11.2026 12:00;2;ACME;eilig\n"
              "B;16.11.2026 14:00;;;\n")
MAP = """kind = "orders"
[columns]
id = "Auftrag"
due = "Liefertermin"
priority = "Prio"
customer = "Kunde"
[format]
datetime = "%d.%m.%Y %H:%M"
timezone = "Europe/Berlin"
"""


def test_orders_table_import_names_cells_and_checks_against_the_plan(tmp_path):
    (tmp_path / "orders.csv").write_text(ORDERS_CSV)
    (tmp_path / "map.toml").write_text(MAP)
    made = import_table(tmp_path / "orders.csv", "orders", tmp_path / "map.toml")
    assert made.document == {"format": "riskengine.orders/1", "orders": [
        {"id": "A", "due": "2026-11-16T12:00:00+01:00", "priority": 2.0, "customer": "ACME"},
        {"id": "B", "due": "2026-11-16T14:00:00+01:00"}]}
    assert made.notes == ["ignored columns not in the map: Bemerkung"]
    # the written table is what a plan's "orders" may name
    (tmp_path / "orders.json").write_text(json.dumps(made.document))
    (tmp_path / "plan.json").write_text(json.dumps({**plan_doc(), "orders": "orders.json"}))
    plan = rk.read_plan(tmp_path / "plan.json")
    assert [(o.id, o.due.isoformat(), o.priority) for o in plan.orders] == [
        ("A", "2026-11-16T12:00:00+01:00", 2), ("B", "2026-11-16T14:00:00+01:00", None)]
    # against a plan: every order must be named by its operations; a bad cell is named
    (tmp_path / "bad.csv").write_text(ORDERS_CSV.replace("B;16.11.2026 14:00", "Q;16.13.2026 14:00"))
    with pytest.raises(InputError) as err:
        import_table(tmp_path / "bad.csv", "orders", tmp_path / "map.toml")
    assert "cell B3 (Liefertermin, orders[1].due)" in str(err.value)
    (tmp_path / "plan-only.json").write_text(json.dumps(plan_doc()))
    (tmp_path / "other.csv").write_text(ORDERS_CSV.replace("B;16.11.2026", "Q;16.11.2026"))
    r = CliRunner().invoke(main, ["import", "table", str(tmp_path / "other.csv"), "--kind", "orders", "--map",
                                  str(tmp_path / "map.toml"), "--plan", str(tmp_path / "plan-only.json")])
    assert r.exit_code == 2 and "no operation belongs to order 'Q'" in r.output
    r = CliRunner().invoke(main, ["import", "table", str(tmp_path / "orders.csv"), "--kind", "orders",
                                  "--map", str(tmp_path / "map.toml"), "--plan",
                                  str(tmp_path / "plan-only.json"), "--json", str(tmp_path / "out.json")])
    assert r.exit_code == 0, r.output
    assert "imported 2 orders" in r.output
    assert json.loads((tmp_path / "out.json").read_text()) == made.document
    assert 'due = "due"' in template("orders") and "[plan]" not in template("orders")


SCHEDULE = b"""<ProductionSchedule xmlns="http://www.mesa.org/xml/B2MML">
  <ID>wk48</ID>
  <ProductionRequest>
    <ID>WO7</ID><ProductProductionRuleID>BISCUIT</ProductProductionRuleID>
    <EndTime>2026-11-23T15:00:00+00:00</EndTime><Priority>1</Priority>
    <SegmentRequirement><ID>WO7-10</ID>
      <EarliestStartTime>2026-11-23T06:00:00+00:00</EarliestStartTime>
      <LatestEndTime>2026-11-23T09:00:00+00:00</LatestEndTime>
      <EquipmentRequirement><EquipmentID>OVEN</EquipmentID></EquipmentRequirement>
      <MaterialProducedRequirement><Quantity><QuantityString>800</QuantityString></Quantity>
      </MaterialProducedRequirement>
    </SegmentRequirement>
  </ProductionRequest>
  <ProductionRequest>
    <ID>WO8</ID><ProductProductionRuleID>WAFER</ProductProductionRuleID>
    <SegmentRequirement><ID>WO8-10</ID>
      <EarliestStartTime>2026-11-23T09:00:00+00:00</EarliestStartTime>
      <LatestEndTime>2026-11-23T11:00:00+00:00</LatestEndTime>
      <EquipmentRequirement><EquipmentID>OVEN</EquipmentID></EquipmentRequirement>
      <MaterialProducedRequirement><Quantity><QuantityString>500</QuantityString></Quantity>
      </MaterialProducedRequirement>
    </SegmentRequirement>
  </ProductionRequest>
</ProductionSchedule>
"""


def test_b2mml_request_end_time_is_the_due_date_and_round_trips():
    plan = rk.parse_plan(schedule_to_plan(parse_xml(SCHEDULE)))
    assert [(o.id, o.due.isoformat(), o.priority) for o in plan.orders] == [
        ("WO7", "2026-11-23T15:00:00+00:00", 1)]  # WO8 has no requested end: no due date
    original = rk.parse_plan(plan_doc())
    back = rk.parse_plan(schedule_to_plan(parse_xml(plan_to_schedule(original).encode())))
    assert [(o.id, o.due, o.priority) for o in back.orders] == [(o.id, o.due, o.priority)
                                                                for o in original.orders]
    bad = SCHEDULE.replace(b"<Priority>1</Priority>", b"<Priority>high</Priority>")
    with pytest.raises(InputError, match=r"ProductionRequest\[1\]/Priority: must be an integer"):
        schedule_to_plan(parse_xml(bad))


def test_plan_frames_round_trip_with_orders_and_result_frames():
    plan = rk.parse_plan(plan_doc())
    frames = plan_frames(plan)
    assert list(frames["orders"].columns) == ["id", "due", "priority", "customer"]
    back = plan_from_frames(frames["operations"], horizon=(plan.horizon.start, plan.horizon.end), id="v1",
                            resources=frames["resources"], orders=frames["orders"])
    assert back.orders == plan.orders
    premises = parse_premises({"format": "riskengine.premises/1",
                               "defaults": {"breakdowns": {"mtbf_hours": 5, "mttr_hours": 1}}})
    result = rk.score(plan, premises, replications=200, seed=3)
    out = to_frames(result)
    assert list(out["orders"].columns) == list(COLUMNS["riskengine.score/1"]["orders"])
    assert list(out["orders"]["id"]) == ["A", "B"]
    assert out["orders"].loc[0, "on_time_mean"] == result.orders[0]["on_time"]["mean"]
    assert str(out["orders"]["due"].dtype).startswith("datetime64")
    assert out["operations"].loc[0, "finish_p80"].isoformat() == result.operations[0]["finish"]["p80"]
    assert out["order_causes"]["probability"].sum() == pytest.approx(
        sum(sum(o["causes"].values()) for o in result.orders))
