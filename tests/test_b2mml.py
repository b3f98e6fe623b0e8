"""ISA-95 B2MML import (issue 8): a hand-made schedule and performance document read into the
exact plan and actuals documents, the example factory round trip, problems located by element
path, and untrusted XML refused: a billion-laughs bomb and an external entity never expand.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from riskengine.cli import main
from riskengine.errors import InputError
from riskengine.interop.b2mml import (
    actuals_to_performance,
    parse_xml,
    performance_to_actuals,
    plan_to_schedule,
    schedule_to_plan,
)
from riskengine.io.readers import read_csv_rows, read_history, read_plan
from riskengine.model.actuals import PlanHistory, parse_actuals
from riskengine.model.plan import parse_plan

ROOT = Path(__file__).resolve().parent.parent
FACTORY = ROOT / "scenarios" / "example-factory"
SAMPLES = ROOT / "scenarios" / "b2mml"

SCHEDULE = b"""<?xml version="1.0" encoding="UTF-8"?>
<ProductionSchedule xmlns="http://www.mesa.org/xml/B2MML">
  <ID>wk48-v1</ID>
  <PublishedDate>2026-11-23T05:00:00+00:00</PublishedDate>
  <StartTime>2026-11-23T06:00:00+00:00</StartTime>
  <EndTime>2026-11-24T06:00:00+00:00</EndTime>
  <ProductionRequest>
    <ID>WO7</ID>
    <ProductProductionRuleID>BREAD</ProductProductionRuleID>
    <SegmentRequirement>
      <ID>WO7-10</ID>
      <ProcessSegmentID>baking</ProcessSegmentID>
      <EarliestStartTime>2026-11-23T06:00:00+00:00</EarliestStartTime>
      <LatestEndTime>2026-11-23T09:00:00+00:00</LatestEndTime>
      <SegmentParameter><ID>setup_hours</ID><Value><ValueString>0.5</ValueString></Value></SegmentParameter>
      <SegmentParameter><ID>family</ID><Value><ValueString>loaves</ValueString></Value></SegmentParameter>
      <EquipmentRequirement><EquipmentID>OVEN</EquipmentID></EquipmentRequirement>
      <MaterialProducedRequirement>
        <MaterialDefinitionID>BREAD-DOUGH</MaterialDefinitionID>
        <Quantity><QuantityString>400</QuantityString><UnitOfMeasure>kg</UnitOfMeasure></Quantity>
      </MaterialProducedRequirement>
      <MaterialConsumedRequirement><MaterialDefinitionID>FLOUR</MaterialDefinitionID>
        <MaterialLotID>FLOUR-L1</MaterialLotID></MaterialConsumedRequirement>
    </SegmentRequirement>
    <SegmentRequirement>
      <ID>WO7-20</ID>
      <EarliestStartTime>2026-11-23T09:00:00+00:00</EarliestStartTime>
      <LatestEndTime>2026-11-23T11:00:00+00:00</LatestEndTime>
      <EquipmentRequirement><EquipmentID>PACK</EquipmentID></EquipmentRequirement>
      <MaterialRequirement>
        <MaterialDefinitionID>FILM</MaterialDefinitionID><MaterialUse>Consumed</MaterialUse>
      </MaterialRequirement>
      <MaterialRequirement>
        <MaterialDefinitionID>BREAD</MaterialDefinitionID><MaterialUse>Produced</MaterialUse>
        <Quantity><QuantityString>800</QuantityString></Quantity>
      </MaterialRequirement>
    </SegmentRequirement>
  </ProductionRequest>
  <ProductionRequest>
    <ID>WO8</ID>
    <ProductProductionRuleID>ROLLS</ProductProductionRuleID>
    <SegmentRequirement>
      <ID>WO8-10</ID>
      <EarliestStartTime>2026-11-23T09:00:00+00:00</EarliestStartTime>
      <LatestEndTime>2026-11-23T12:30:00+00:00</LatestEndTime>
      <SegmentParameter><ID>after</ID><Value><ValueString>WO7-10</ValueString></Value></SegmentParameter>
      <EquipmentRequirement><EquipmentID>OVEN</EquipmentID></EquipmentRequirement>
      <MaterialProducedRequirement><Quantity><QuantityString>1200</QuantityString></Quantity>
      </MaterialProducedRequirement>
    </SegmentRequirement>
  </ProductionRequest>
</ProductionSchedule>
"""

EXPECTED_PLAN = {
    "format": "riskengine.plan/1", "id": "wk48-v1", "published_at": "2026-11-23T05:00:00+00:00",
    "horizon": {"start": "2026-11-23T06:00:00+00:00", "end": "2026-11-24T06:00:00+00:00"},
    "bucket_hours": 8.0, "resources": [{"id": "OVEN"}, {"id": "PACK"}],
    "operations": [
        {"id": "WO7-10", "order": "WO7", "start": "2026-11-23T06:00:00+00:00",
         "end": "2026-11-23T09:00:00+00:00", "resource": "OVEN", "product": "BREAD-DOUGH", "quantity": 400.0,
         "materials": ["FLOUR-L1"], "setup_hours": 0.5, "family": "loaves", "after": []},
        {"id": "WO7-20", "order": "WO7", "start": "2026-11-23T09:00:00+00:00",
         "end": "2026-11-23T11:00:00+00:00", "resource": "PACK", "product": "BREAD", "quantity": 800.0,
         "materials": ["FILM"], "after": ["WO7-10"]},
        {"id": "WO8-10", "order": "WO8", "start": "2026-11-23T09:00:00+00:00",
         "end": "2026-11-23T12:30:00+00:00", "resource": "OVEN", "product": "ROLLS", "quantity": 1200.0,
         "materials": [], "after": ["WO7-10"]},
    ],
}

PERFORMANCE = b"""<ProductionPerformance xmlns="http://www.mesa.org/xml/B2MML">
  <ID>wk48-perf</ID>
  <ProductionResponse>
    <ID>WO7</ID>
    <SegmentResponse>
      <ID>WO7-10</ID>
      <ActualStartTime>2026-11-23T06:20:00+00:00</ActualStartTime>
      <ActualEndTime>2026-11-23T09:40:00+00:00</ActualEndTime>
      <SegmentData><ID>cause</ID><Value><ValueString>breakdown</ValueString></Value></SegmentData>
      <EquipmentActual><EquipmentID>OVEN</EquipmentID></EquipmentActual>
      <MaterialProducedActual><MaterialDefinitionID>BREAD-DOUGH</MaterialDefinitionID>
        <Quantity><QuantityString>390</QuantityString></Quantity></MaterialProducedActual>
    </SegmentResponse>
    <SegmentResponse>
      <ID>extra-1</ID>
      <ActualStartTime>2026-11-23T12:00:00+00:00</ActualStartTime>
      <ActualEndTime>2026-11-23T13:00:00+00:00</ActualEndTime>
      <SegmentData><ID>operation</ID><Value><ValueString></ValueString></Value></SegmentData>
      <EquipmentActual><EquipmentID>PACK</EquipmentID></EquipmentActual>
      <MaterialActual><MaterialDefinitionID>ROLLS</MaterialDefinitionID><MaterialUse>Produced</MaterialUse>
        <Quantity><QuantityString>50</QuantityString></Quantity></MaterialActual>
    </SegmentResponse>
    <SegmentResponse>
      <ID>WO8-10</ID>
      <SegmentData><ID>cause</ID><Value><ValueString>material</ValueString></Value></SegmentData>
    </SegmentResponse>
  </ProductionResponse>
</ProductionPerformance>
"""

EXPECTED_RECORDS = [
    {"operation": "WO7-10", "product": "BREAD-DOUGH", "resource": "OVEN", "quantity": 390.0,
     "start": "2026-11-23T06:20:00+00:00", "end": "2026-11-23T09:40:00+00:00", "cause": "breakdown"},
    {"product": "ROLLS", "resource": "PACK", "quantity": 50.0, "start": "2026-11-23T12:00:00+00:00",
     "end": "2026-11-23T13:00:00+00:00"},
    {"operation": "WO8-10", "quantity": 0.0, "cause": "material"},
]

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<ProductionSchedule><ID>&lol9;</ID></ProductionSchedule>
"""


def external_entity(target: Path) -> bytes:
    return (f'<?xml version="1.0"?>\n<!DOCTYPE ps [<!ENTITY secret SYSTEM "file://{target}">]>\n'
            "<ProductionSchedule><ID>&secret;</ID></ProductionSchedule>\n").encode()


def test_hand_made_schedule_reads_as_the_exact_plan():
    plan = schedule_to_plan(parse_xml(SCHEDULE))
    assert plan == EXPECTED_PLAN
    parsed = parse_plan(plan)
    assert [op.after for op in parsed.operations] == [[], ["WO7-10"], ["WO7-10"]]


def test_hand_made_performance_reads_as_the_exact_actuals():
    actuals = performance_to_actuals(parse_xml(PERFORMANCE))
    assert actuals == {"format": "riskengine.actuals/1", "records": EXPECTED_RECORDS}
    checked = parse_actuals(actuals, PlanHistory([parse_plan(EXPECTED_PLAN)]))
    assert [r.product for r in checked.records] == ["BREAD-DOUGH", "ROLLS", "ROLLS"]


def test_example_factory_round_trip():
    plan = read_plan(FACTORY / "plan-v1.json")
    back = parse_plan(schedule_to_plan(parse_xml(plan_to_schedule(plan.model_copy()).encode())))
    fields = ("id", "order", "product", "family", "resource", "quantity", "start", "end", "setup_hours",
              "after", "materials", "work_hours")
    row = lambda op: [getattr(op, f) for f in fields]  # noqa: E731
    # B2MML groups operations by production request (order); a plan's sequence is by planned start
    assert sorted(map(row, back.operations), key=str) == sorted(map(row, plan.operations), key=str)
    assert back.sequences == {r: [back.operation_index[plan.operations[i].id] for i in seq]
                              for r, seq in plan.sequences.items()}
    assert (back.id, back.published_at, back.horizon, sorted(r.id for r in back.resources)) == \
           (plan.id, plan.published_at, plan.horizon, sorted(r.id for r in plan.resources))
    records = read_csv_rows(FACTORY / "actuals.csv")
    history = read_history([FACTORY / f"plan-v{k}.json" for k in (1, 2, 3)])
    xml = actuals_to_performance(records).encode()
    from_xml = parse_actuals(performance_to_actuals(parse_xml(xml)), history)
    from_csv = parse_actuals({"format": "riskengine.actuals/1", "records": records}, history)
    assert from_xml.records == from_csv.records


def test_committed_samples_are_current_and_import(tmp_path):
    plan = read_plan(FACTORY / "plan-v1.json")
    assert (SAMPLES / "schedule-v1.xml").read_text(encoding="utf-8") == plan_to_schedule(plan)
    out = tmp_path / "plan.json"
    r = CliRunner().invoke(main, ["import", "b2mml", str(SAMPLES / "schedule-v1.xml"), "--json", str(out)])
    assert r.exit_code == 0, r.output
    assert "imported plan wk47-v1: 114 operations on 4 resources" in r.output
    assert len(json.loads(out.read_text())["operations"]) == 114
    plans = [w for k in (1, 2, 3) for w in ("--plan", str(FACTORY / f"plan-v{k}.json"))]
    r = CliRunner().invoke(main, ["import", "b2mml", str(SAMPLES / "performance.xml"), *plans, "--quiet",
                                  "--json", "-"])
    assert r.exit_code == 0, r.output
    assert len(json.loads(r.output)["records"]) == len(read_csv_rows(FACTORY / "actuals.csv"))


def test_problems_are_located_by_element_path(tmp_path):
    bad = SCHEDULE.replace(b"<QuantityString>800<", b"<QuantityString>-3<").replace(
        b"<EquipmentID>PACK</EquipmentID>", b"").replace(b"<QuantityString>1200<", b"<QuantityString>lots<")
    with pytest.raises(InputError) as err:
        schedule_to_plan(parse_xml(bad))
    assert [str(p) for p in err.value.problems] == [
        "ProductionRequest[2]/SegmentRequirement[1]/MaterialProducedRequirement/Quantity: "
        "must be a number, got 'lots'"]
    bad = bad.replace(b"<QuantityString>lots<", b"<QuantityString>1200<")
    with pytest.raises(InputError) as err:
        schedule_to_plan(parse_xml(bad))
    assert [str(p) for p in err.value.problems] == [
        "ProductionRequest[1]/SegmentRequirement[2] (operations[1]).resource: Field required",
        "ProductionRequest[1]/SegmentRequirement[2] (operations[1]).quantity: "
        "Input should be greater than 0, got -3.0"]


@pytest.mark.parametrize("name, document", [("billion laughs", BILLION_LAUGHS),
                                            ("external entity", None)])
def test_unsafe_xml_is_refused(tmp_path, name, document):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    path = tmp_path / "bad.xml"
    path.write_bytes(document if document is not None else external_entity(secret))
    r = CliRunner().invoke(main, ["import", "b2mml", str(path), "--json", str(tmp_path / "out.json")])
    assert r.exit_code == 2, r.output
    assert "refused: the XML contains a document type declaration (DTD)" in r.output
    assert "billion laughs" in r.output and "external entities" in r.output
    assert "TOP-SECRET" not in r.output and "lollol" not in r.output
    assert "Traceback" not in r.output
    assert not (tmp_path / "out.json").exists()


def test_malformed_and_foreign_xml():
    with pytest.raises(InputError) as err:
        parse_xml(b"<ProductionSchedule><ID>x</ProductionSchedule>")
    assert err.value.problems[0].location == "line 1 column 28"  # expat: the mismatched closing tag
    r = CliRunner().invoke(main, ["import", "b2mml", str(ROOT / "pyproject.toml")])
    assert r.exit_code == 2 and "not well-formed XML" in r.output


def test_performance_imports_against_every_plan_version_it_was_produced_against(tmp_path):
    """Issue 14.4: the sample performance holds operations of versions 2 and 3; with the three
    imported schedules (--plan once per version) it imports, and measures as the CSV actuals do."""
    runner = CliRunner()
    b2mml = Path(__file__).resolve().parent.parent / "scenarios" / "b2mml"
    plans = []
    for v in (1, 2, 3):
        out = tmp_path / f"plan-v{v}.json"
        assert runner.invoke(main, ["import", "b2mml", str(b2mml / f"schedule-v{v}.xml"), "--json",
                                    str(out)]).exit_code == 0
        plans += ["--plan", str(out)]
    only_v1 = runner.invoke(main, ["import", "b2mml", str(b2mml / "performance.xml"), *plans[:2],
                                   "--json", str(tmp_path / "a.json")])
    assert only_v1.exit_code == 2 and "unknown operation 'WO1108-10'" in only_v1.output
    done = runner.invoke(main, ["import", "b2mml", str(b2mml / "performance.xml"), *plans,
                                "--json", str(tmp_path / "actuals.json")])
    assert done.exit_code == 0 and "120 records, checked against 3 plan version(s)" in done.output
    measured = runner.invoke(main, ["measure", *plans, "--actuals", str(tmp_path / "actuals.json"),
                                    "--json", "-"])
    assert json.loads(measured.stdout)["total"]["produced"] == 225145  # as from the factory's CSV
