"""B2MML as MES integrations send it (issue 21): the WBF V0401 namespace, a transaction wrapper,
local times without offset, segment ids restarting at 1 in every request, several Quantity
elements told apart by Key."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from riskengine.cli import main
from riskengine.errors import InputError
from riskengine.interop.b2mml import parse_xml, performance_to_actuals, schedule_to_plan
from riskengine.model.actuals import PlanHistory, parse_actuals
from riskengine.model.plan import parse_plan

SCHEDULE = """<?xml version="1.0" encoding="UTF-8"?>
<ProductionSchedule xmlns="http://www.wbf.org/xml/B2MML-V0401">
  <ID>S-2017-02</ID>
  <PublishedDate>2017-01-11T08:00:00</PublishedDate>
  <ProductionRequest>
    <ID>4711</ID>
    <SegmentRequirement>
      <ID>1</ID>
      <EarliestStartTime>2017-01-11T14:00:00</EarliestStartTime>
      <LatestEndTime>2017-01-11T16:30:00</LatestEndTime>
      <EquipmentRequirement><EquipmentID>LINE-3</EquipmentID></EquipmentRequirement>
      <MaterialProducedRequirement>
        <MaterialDefinitionID>A-100</MaterialDefinitionID>
        <Quantity><QuantityString>1200</QuantityString><UnitOfMeasure>PCE</UnitOfMeasure>
          <Key>Planned</Key></Quantity>
        <Quantity><QuantityString>36</QuantityString><UnitOfMeasure>PCE</UnitOfMeasure>
          <Key>ScrapAllowance</Key></Quantity>
      </MaterialProducedRequirement>
    </SegmentRequirement>
  </ProductionRequest>
  <ProductionRequest>
    <ID>4712</ID>
    <SegmentRequirement>
      <ID>1</ID>
      <EarliestStartTime>2017-01-11T16:30:00</EarliestStartTime>
      <LatestEndTime>2017-01-11T19:00:00</LatestEndTime>
      <EquipmentRequirement><EquipmentID>LINE-3</EquipmentID></EquipmentRequirement>
      <MaterialProducedRequirement>
        <MaterialDefinitionID>A-200</MaterialDefinitionID>
        <Quantity><QuantityString>800</QuantityString><UnitOfMeasure>PCE</UnitOfMeasure>
          <Key>Planned</Key></Quantity>
        <Quantity><QuantityString>24</QuantityString><UnitOfMeasure>PCE</UnitOfMeasure>
          <Key>ScrapAllowance</Key></Quantity>
      </MaterialProducedRequirement>
    </SegmentRequirement>
  </ProductionRequest>
</ProductionSchedule>
"""

PERFORMANCE = """<?xml version="1.0" encoding="UTF-8"?>
<SyncProductionPerformance xmlns="http://www.mesa.org/xml/B2MML-V0600">
  <ApplicationArea><CreationDateTime>2017-01-12T06:00:00Z</CreationDateTime></ApplicationArea>
  <DataArea><Sync/><ProductionPerformance>
    <ID>P-2017-02</ID>
    <ProductionResponse>
      <ID>R1</ID><ProductionRequestID>4712</ProductionRequestID>
      <SegmentResponse>
        <ID>1</ID>
        <ActualStartTime>2017-01-11T16:40:00</ActualStartTime>
        <ActualEndTime>2017-01-11T19:20:00</ActualEndTime>
        <EquipmentActual><EquipmentID>LINE-3</EquipmentID></EquipmentActual>
        <MaterialActual><MaterialDefinitionID>A-200</MaterialDefinitionID><MaterialUse>Produced</MaterialUse>
          <Quantity><QuantityString>790</QuantityString><Key>Good</Key></Quantity>
          <Quantity><QuantityString>10</QuantityString><Key>Scrap</Key></Quantity>
        </MaterialActual>
      </SegmentResponse>
    </ProductionResponse>
  </ProductionPerformance></DataArea>
</SyncProductionPerformance>
"""


def test_mes_style_schedule_imports_with_timezone_to_two_operations_on_one_resource(tmp_path):
    path = tmp_path / "schedule.xml"
    path.write_text(SCHEDULE, encoding="utf-8")
    out = tmp_path / "plan.json"
    r = CliRunner().invoke(main, ["import", "b2mml", str(path), "--timezone", "Europe/Berlin",
                                  "--json", str(out)])
    assert r.exit_code == 0, r.output
    assert "imported plan S-2017-02: 2 operations on 1 resources" in r.output
    doc = json.loads(out.read_text())
    assert doc["resources"] == [{"id": "LINE-3"}]
    assert [(op["id"], op["order"], op["resource"], op["product"], op["quantity"], op["start"], op["end"],
             op["after"]) for op in doc["operations"]] == [
        ("4711/1", "4711", "LINE-3", "A-100", 1200.0, "2017-01-11T14:00:00+01:00",
         "2017-01-11T16:30:00+01:00", []),
        ("4712/1", "4712", "LINE-3", "A-200", 800.0, "2017-01-11T16:30:00+01:00",
         "2017-01-11T19:00:00+01:00", [])]
    assert doc["published_at"] == "2017-01-11T08:00:00+01:00"
    assert doc["horizon"] == {"start": "2017-01-11T14:00:00+01:00", "end": "2017-01-11T19:00:00+01:00"}
    plan = parse_plan(doc)
    assert plan.sequences == {"LINE-3": [0, 1]}


def test_naive_times_without_timezone_are_refused_with_the_hint():
    with pytest.raises(InputError) as err:
        schedule_to_plan(parse_xml(SCHEDULE.encode()))
    first = err.value.problems[0]
    assert first.location == "ProductionRequest[1]/SegmentRequirement[1]/EarliestStartTime"
    assert "must include a UTC offset" in first.message and "--timezone Europe/Berlin" in first.message


def test_summer_time_and_a_dst_gap_in_b2mml():
    summer = SCHEDULE.replace("2017-01-11", "2017-07-11")
    doc = schedule_to_plan(parse_xml(summer.encode()), timezone="Europe/Berlin")
    assert doc["operations"][0]["start"] == "2017-07-11T14:00:00+02:00"
    gap = SCHEDULE.replace("2017-01-11T14:00:00", "2017-03-26T02:30:00")
    with pytest.raises(InputError) as err:
        schedule_to_plan(parse_xml(gap.encode()), timezone="Europe/Berlin")
    assert [str(p) for p in err.value.problems] == [
        "ProductionRequest[1]/SegmentRequirement[1]/EarliestStartTime: 2017-03-26 02:30 does not exist in "
        "Europe/Berlin (the clocks go forward by 1 h that night: 01:30 +01:00 or 03:30 +02:00?), "
        "got '2017-03-26T02:30:00'"]


def test_quantity_key_chooses_among_several_quantities():
    doc = schedule_to_plan(parse_xml(SCHEDULE.encode()), timezone="UTC", quantity_key="scrapallowance")
    assert [op["quantity"] for op in doc["operations"]] == [36.0, 24.0]
    unknown = SCHEDULE.replace("<Key>Planned</Key>", "<Key>Soll</Key>")
    with pytest.raises(InputError) as err:
        schedule_to_plan(parse_xml(unknown.encode()), timezone="UTC")
    assert str(err.value.problems[0]) == (
        "ProductionRequest[1]/SegmentRequirement[1]/MaterialProducedRequirement: has 2 Quantity elements "
        "(Keys: 'Soll', 'ScrapAllowance') and none is the obvious amount: name its Key with --quantity-key")
    doc = schedule_to_plan(parse_xml(unknown.encode()), timezone="UTC", quantity_key="Soll")
    assert [op["quantity"] for op in doc["operations"]] == [1200.0, 800.0]


def test_unique_segment_ids_stay_as_they_are_and_after_is_qualified_within_its_request():
    unique = SCHEDULE.replace("<ID>1</ID>\n      <EarliestStartTime>2017-01-11T16:30", "<ID>2</ID>\n"
                              "      <EarliestStartTime>2017-01-11T16:30")
    doc = schedule_to_plan(parse_xml(unique.encode()), timezone="UTC")
    assert [op["id"] for op in doc["operations"]] == ["1", "2"]
    two_steps = SCHEDULE.replace("""    </SegmentRequirement>
  </ProductionRequest>
  <ProductionRequest>
    <ID>4712</ID>""", """    </SegmentRequirement>
    <SegmentRequirement><ID>2</ID>
      <EarliestStartTime>2017-01-11T19:00:00</EarliestStartTime>
      <LatestEndTime>2017-01-11T20:00:00</LatestEndTime>
      <SegmentParameter><ID>after</ID><Value><ValueString>1</ValueString></Value></SegmentParameter>
      <EquipmentRequirement><EquipmentID>PACK</EquipmentID></EquipmentRequirement>
      <MaterialProducedRequirement><Quantity><QuantityString>1200</QuantityString></Quantity>
      </MaterialProducedRequirement>
    </SegmentRequirement>
  </ProductionRequest>
  <ProductionRequest>
    <ID>4712</ID>""")
    two_steps = two_steps.replace("<ID>4711</ID>", "<ID>4711</ID><ProductProductionRuleID>A-100"
                                  "</ProductProductionRuleID>")
    doc = schedule_to_plan(parse_xml(two_steps.encode()), timezone="UTC")
    assert [(op["id"], op["after"]) for op in doc["operations"]] == [
        ("4711/1", []), ("4711/2", ["4711/1"]), ("4712/1", [])]


def test_transaction_wrapper_v0600_performance_qualified_by_its_request():
    plan = parse_plan(schedule_to_plan(parse_xml(SCHEDULE.encode()), timezone="Europe/Berlin"))
    history = PlanHistory([plan])
    doc = performance_to_actuals(parse_xml(PERFORMANCE.encode()), history=history, timezone="Europe/Berlin")
    assert doc["records"] == [{"operation": "4712/1", "product": "A-200", "resource": "LINE-3",
                               "quantity": 790.0, "start": "2017-01-11T16:40:00+01:00",
                               "end": "2017-01-11T19:20:00+01:00"}]
    assert parse_actuals(doc, history).records[0].operation == "4712/1"


def test_foreign_namespace_and_empty_wrapper_are_refused():
    foreign = SCHEDULE.replace("http://www.wbf.org/xml/B2MML-V0401", "urn:example:orders")
    with pytest.raises(InputError) as err:
        schedule_to_plan(parse_xml(foreign.encode()), timezone="UTC")
    assert "namespace 'urn:example:orders' is not B2MML" in str(err.value)
    with pytest.raises(InputError) as err:
        schedule_to_plan(parse_xml(b"<ProcessProductionSchedule><DataArea/></ProcessProductionSchedule>"))
    assert str(err.value.problems[0]) == "ProcessProductionSchedule: holds no ProductionSchedule"


def test_unknown_timezone_exits_2_naming_the_option(tmp_path):
    path = tmp_path / "schedule.xml"
    path.write_text(SCHEDULE, encoding="utf-8")
    r = CliRunner().invoke(main, ["import", "b2mml", str(path), "--timezone", "Berlin"])
    assert r.exit_code == 2
    assert "--timezone: unknown time zone 'Berlin' (did you mean Europe/Berlin?)" in r.output
