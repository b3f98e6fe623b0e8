"""B2MML export: plans as ``ProductionSchedule``, actual records as ``ProductionPerformance``.

What :mod:`riskengine.interop.b2mml` reads back (the samples in ``scenarios/b2mml/``, and APS
tools that speak B2MML). Written in MESA's namespace.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from riskengine.model.plan import Plan

NS = "http://www.mesa.org/xml/B2MML"


def _add(parent: ET.Element, name: str, text: object | None = None) -> ET.Element:
    e = ET.SubElement(parent, f"{{{NS}}}{name}")
    if text is not None:
        e.text = str(text)
    return e


def _parameter(seg: ET.Element, element: str, name: str, value: object) -> None:
    p = _add(seg, element)
    _add(p, "ID", name)
    _add(_add(p, "Value"), "ValueString", value)


def _add_quantity(parent: ET.Element, quantity: float) -> None:
    q = _add(parent, "Quantity")
    _add(q, "QuantityString", f"{quantity:g}")
    _add(q, "UnitOfMeasure", "units")


def _xml(root: ET.Element) -> str:
    ET.register_namespace("", NS)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def plan_to_schedule(plan: Plan) -> str:
    """A plan as a B2MML ``ProductionSchedule`` (what :func:`schedule_to_plan` reads back)."""
    root = ET.Element(f"{{{NS}}}ProductionSchedule")
    _add(root, "ID", plan.id)
    _add(root, "PublishedDate", plan.published_at.isoformat())
    _add(root, "StartTime", plan.horizon.start.isoformat())
    _add(root, "EndTime", plan.horizon.end.isoformat())
    requests: dict[str, ET.Element] = {}
    listed = {o.id: o for o in plan.orders or []}
    for op in plan.operations:
        order = op.order or op.id
        if order not in requests:
            requests[order] = _add(root, "ProductionRequest")
            _add(requests[order], "ID", order)
            _add(requests[order], "ProductProductionRuleID", op.product)
            if op.order in listed:  # the order's due date is the request's requested end
                _add(requests[order], "EndTime", listed[op.order].due.isoformat())
                if listed[op.order].priority is not None:
                    _add(requests[order], "Priority", listed[op.order].priority)
        seg = _add(requests[order], "SegmentRequirement")
        _add(seg, "ID", op.id)
        _add(seg, "EarliestStartTime", op.start.isoformat())
        _add(seg, "LatestEndTime", op.end.isoformat())
        for name, value in (("setup_hours", op.setup_hours), ("work_hours", op.work_hours),
                            ("family", op.family), ("after", ";".join(op.after))):
            if value is not None:
                _parameter(seg, "SegmentParameter", name, value)
        _add(_add(seg, "EquipmentRequirement"), "EquipmentID", op.resource)
        produced = _add(seg, "MaterialProducedRequirement")
        _add(produced, "MaterialDefinitionID", op.product)
        _add_quantity(produced, op.quantity)
        for m in op.materials:
            _add(_add(seg, "MaterialConsumedRequirement"), "MaterialLotID", m)
    return _xml(root)


def actuals_to_performance(records: list[dict], performance_id: str = "performance") -> str:
    """Actual records (dicts of ``riskengine.actuals/1``) as a B2MML ``ProductionPerformance``."""
    root = ET.Element(f"{{{NS}}}ProductionPerformance")
    _add(root, "ID", performance_id)
    response = _add(root, "ProductionResponse")
    _add(response, "ID", performance_id)
    for k, rec in enumerate(records):
        seg = _add(response, "SegmentResponse")
        _add(seg, "ID", rec.get("operation") or f"unplanned-{k + 1}")
        if rec.get("start"):
            _add(seg, "ActualStartTime", rec["start"])
        if rec.get("end"):
            _add(seg, "ActualEndTime", rec["end"])
        if not rec.get("operation"):
            _parameter(seg, "SegmentData", "operation", "")
        if rec.get("cause"):
            _parameter(seg, "SegmentData", "cause", rec["cause"])
        if rec.get("resource"):
            _add(_add(seg, "EquipmentActual"), "EquipmentID", rec["resource"])
        produced = _add(seg, "MaterialProducedActual")
        if rec.get("product"):
            _add(produced, "MaterialDefinitionID", rec["product"])
        _add_quantity(produced, float(rec.get("quantity", 0)))
    return _xml(root)
