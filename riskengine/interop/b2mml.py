"""ISA-95 import: B2MML production schedules as plans, production performance as actuals.

B2MML (MESA's XML for ISA-95 part 2/4) is what MES and ERP systems exchange.
Mapping (namespaces are ignored, so B2MML versions V0600 to V0700+ read alike):

``ProductionSchedule`` -> ``riskengine.plan/1``
    ``ID`` -> ``id``; ``PublishedDate`` -> ``published_at``; ``StartTime`` /
    ``EndTime`` -> ``horizon`` (default: earliest start and latest end). Each
    ``ProductionRequest`` is an order (its ``ID``); each of its
    ``SegmentRequirement`` elements (nested ones too, in document order) is a
    planned operation: ``ID``, ``EarliestStartTime`` -> ``start``,
    ``LatestEndTime`` -> ``end``, the first ``EquipmentRequirement/EquipmentID``
    -> ``resource``; the produced material (``MaterialProducedRequirement``, or
    ``MaterialRequirement`` with ``MaterialUse`` Produced) gives ``product``
    (``MaterialDefinitionID``, default the request's ``ProductProductionRuleID``)
    and ``quantity`` (``Quantity/QuantityString``); consumed materials give
    ``materials`` (the ``MaterialLotID`` when given, since lots are what arrive
    late, else the ``MaterialDefinitionID``). ``SegmentParameter`` elements
    named ``setup_hours``, ``work_hours``, ``family`` and ``after`` (ids separated
    by ``;``) set those fields. Without an ``after`` parameter an operation
    follows the previous segment requirement of its production request (the
    request's segments are its routing in order). Resources are the equipment
    ids in order of appearance. Calendars and the setup matrix are not part of
    a schedule: the imported plan has none (24/7 working time).

``ProductionPerformance`` -> ``riskengine.actuals/1``
    Each ``SegmentResponse`` is a record: ``operation`` is the
    ``SegmentData`` named ``operation`` when present (empty: unplanned
    production), else the response's ``ID``; ``ActualStartTime`` /
    ``ActualEndTime``; ``EquipmentActual/EquipmentID`` -> ``resource``; the
    produced material actual -> ``product`` and good ``quantity``;
    ``SegmentData`` named ``cause`` -> ``cause``.

Untrusted XML is parsed with ``defusedxml`` and any document type declaration
is refused: no entity is expanded (billion laughs) and no external entity or
DTD is fetched (XXE). Problems are located by element path, e.g.
``ProductionRequest[3]/SegmentRequirement[1] (operations[5]).quantity``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import fromstring
from pydantic import ValidationError

from riskengine.errors import InputError, Problem, from_pydantic
from riskengine.model.plan import PLAN_FORMAT, Plan, parse_plan

NS = "http://www.mesa.org/xml/B2MML"
MAX_XML_BYTES = 256 * 2**20
PARAMETERS = ("setup_hours", "work_hours", "family", "after")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(e: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in e if _local(c.tag) == name]


def _text(e: ET.Element | None, *path: str) -> str | None:
    for name in path:
        if e is None:
            return None
        found = _children(e, name)
        e = found[0] if found else None
    if e is None or e.text is None:
        return None
    return e.text.strip() or None


def parse_xml(data: bytes, source: str | None = None) -> ET.Element:
    """Parse untrusted XML: a DTD, entities and external references are refused."""
    if len(data) > MAX_XML_BYTES:
        raise InputError(Problem("", f"XML of {len(data)} bytes is larger than the {MAX_XML_BYTES} "
                                 "bytes allowed"), source)
    try:
        return fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden) as exc:
        kind = {DTDForbidden: "a document type declaration (DTD)",
                EntitiesForbidden: "an entity declaration",
                ExternalReferenceForbidden: "an external reference"}[type(exc)]
        raise InputError(Problem("", f"refused: the XML contains {kind}; B2MML needs none, and "
                                 "entities could expand without bound (billion laughs) or read "
                                 "local files (external entities)"), source) from None
    except DefusedXmlException as exc:
        raise InputError(Problem("", f"refused unsafe XML: {exc}"), source) from None
    except LookupError as exc:  # an encoding Python does not know, named in the XML declaration
        raise InputError(Problem("line 1", f"not readable XML: {exc}"), source) from None
    except ET.ParseError as exc:
        line, column = exc.position
        raise InputError(Problem(f"line {line} column {column + 1}", f"not well-formed XML: {exc}"),
                         source) from None


def _parameters(segment: ET.Element, element: str) -> dict[str, str | None]:
    out = {}
    for p in _children(segment, element):
        name = _text(p, "ID")
        if name:
            value = _text(p, "Value", "ValueString")
            out[name] = value
    return out


def _materials(segment: ET.Element, use: str, legacy: str) -> list[ET.Element]:
    found = _children(segment, legacy)
    found += [m for m in _children(segment, "MaterialRequirement") + _children(segment, "MaterialActual")
              if (_text(m, "MaterialUse") or "").lower() == use.lower()]
    return found


def _number(text: str | None, where: str, problems: list[Problem]) -> float | str | None:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        problems.append(Problem(where, f"must be a number, got {text!r}"))
        return text


def _segments(request: ET.Element, path: str) -> list[tuple[ET.Element, str]]:
    """Segment requirements of a production request, nested ones after their parent."""
    out = []
    for k, seg in enumerate(_children(request, "SegmentRequirement"), 1):
        where = f"{path}/SegmentRequirement[{k}]"
        out.append((seg, where))
        out += _segments(seg, where)
    return out


def schedule_to_plan(root: ET.Element, *, bucket_hours: float = 8.0, source: str | None = None) -> dict:
    """The plan document (``riskengine.plan/1``) of a ``ProductionSchedule`` element."""
    problems: list[Problem] = []
    operations, resources = [], {}
    for r, request in enumerate(_children(root, "ProductionRequest"), 1):
        order = _text(request, "ID")
        default_product = _text(request, "ProductProductionRuleID")
        previous = None
        for seg, where in _segments(request, f"ProductionRequest[{r}]"):
            op = {"id": _text(seg, "ID"), "order": order, "start": _text(seg, "EarliestStartTime"),
                  "end": _text(seg, "LatestEndTime"), "resource": _text(seg, "EquipmentRequirement",
                                                                         "EquipmentID")}
            produced = _materials(seg, "Produced", "MaterialProducedRequirement")
            named = _text(produced[0], "MaterialDefinitionID") if produced else None
            op["product"] = named or default_product
            op["quantity"] = _number(_text(produced[0], "Quantity", "QuantityString") if produced else None,
                                     f"{where}/MaterialProducedRequirement/Quantity", problems)
            consumed = _materials(seg, "Consumed", "MaterialConsumedRequirement")
            op["materials"] = [_text(m, "MaterialLotID") or _text(m, "MaterialDefinitionID")
                               for m in consumed]
            params = _parameters(seg, "SegmentParameter")
            for name in ("setup_hours", "work_hours"):
                if name in params:
                    op[name] = _number(params[name], f"{where}/SegmentParameter[{name}]", problems)
            if params.get("family"):
                op["family"] = params["family"]
            if "after" in params:
                op["after"] = [a.strip() for a in (params["after"] or "").split(";") if a.strip()]
            else:
                op["after"] = [previous] if previous else []
            previous = op["id"]
            if op["resource"]:
                resources.setdefault(op["resource"], None)
            operations.append(({k: v for k, v in op.items() if v is not None}, where))
    if not operations:
        problems.append(Problem("ProductionSchedule", "has no ProductionRequest/SegmentRequirement"))
    if problems:
        raise InputError(problems, source)
    ops = [op for op, _ in operations]
    starts = [op["start"] for op in ops if isinstance(op.get("start"), str)]
    ends = [op["end"] for op in ops if isinstance(op.get("end"), str)]
    start = _text(root, "StartTime") or _earliest(starts)
    doc = {"format": PLAN_FORMAT, "id": _text(root, "ID") or "b2mml-schedule",
           "published_at": _text(root, "PublishedDate") or start,
           "horizon": {"start": start, "end": _text(root, "EndTime") or _earliest(ends, latest=True)},
           "bucket_hours": bucket_hours, "resources": [{"id": r} for r in resources], "operations": ops}
    doc = {k: v for k, v in doc.items() if v is not None}
    _validate(lambda: parse_plan(doc), "operations", [w for _, w in operations], source)
    return doc


def _earliest(times: list[str], latest: bool = False) -> str | None:
    from riskengine.model.common import parse_instant

    parsed = []
    for t in times:
        try:
            parsed.append((parse_instant(t), t))
        except ValueError:
            continue  # located by the plan's validation
    if not parsed:
        return None
    return (max if latest else min)(parsed)[1]


def _validate(check, table: str, paths: list[str], source: str | None) -> None:
    """Run a validation; locate its problems by element path as well as by field."""
    pattern = re.compile(rf"^{table}\[(\d+)\](.*)$")
    try:
        check()
    except InputError as exc:
        problems = []
        for p in exc.problems:
            m = pattern.match(p.location)
            if m and int(m.group(1)) < len(paths):
                p = Problem(f"{paths[int(m.group(1))]} ({table}[{m.group(1)}]){m.group(2)}", p.message)
            problems.append(p)
        raise InputError(problems, source) from None


def performance_to_actuals(root: ET.Element, source: str | None = None, history=None) -> dict:
    """The actuals document (``riskengine.actuals/1``) of a ``ProductionPerformance`` element.

    With ``history`` (a :class:`~riskengine.model.actuals.PlanHistory`) the
    records are also checked against the plan versions.
    """
    from riskengine.model.actuals import ACTUALS_FORMAT, Actuals, parse_actuals

    problems: list[Problem] = []
    records, paths = [], []
    for r, response in enumerate(_children(root, "ProductionResponse"), 1):
        for k, seg in enumerate(_children(response, "SegmentResponse"), 1):
            where = f"ProductionResponse[{r}]/SegmentResponse[{k}]"
            data = _parameters(seg, "SegmentData")
            produced = _materials(seg, "Produced", "MaterialProducedActual")
            rec = {"operation": data["operation"] if "operation" in data else _text(seg, "ID"),
                   "product": _text(produced[0], "MaterialDefinitionID") if produced else None,
                   "resource": _text(seg, "EquipmentActual", "EquipmentID"),
                   "quantity": _number(_text(produced[0], "Quantity", "QuantityString") if produced else "0",
                                       f"{where}/MaterialProducedActual/Quantity", problems),
                   "start": _text(seg, "ActualStartTime"), "end": _text(seg, "ActualEndTime"),
                   "cause": data.get("cause")}
            records.append({k: v for k, v in rec.items() if v is not None})
            paths.append(where)
    if not records:
        problems.append(Problem("ProductionPerformance", "has no ProductionResponse/SegmentResponse"))
    if problems:
        raise InputError(problems, source)
    doc = {"format": ACTUALS_FORMAT, "records": records}

    def check() -> None:
        if history is not None:
            parse_actuals(doc, history)
            return
        try:
            Actuals.model_validate(doc)
        except ValidationError as exc:
            raise from_pydantic(exc) from None

    _validate(check, "records", paths, source)
    return doc


def read_b2mml(path: str | Path, *, bucket_hours: float = 8.0, history=None) -> tuple[str, dict]:
    """Read a B2MML file: ``("plan", document)`` or ``("actuals", document)`` by its root element."""
    path = Path(path)
    if not path.is_file():
        raise InputError(Problem(str(path), "no such file"))
    root = parse_xml(path.read_bytes(), str(path))
    kind = _local(root.tag)
    if kind == "ProductionSchedule":
        return "plan", schedule_to_plan(root, bucket_hours=bucket_hours, source=str(path))
    if kind == "ProductionPerformance":
        return "actuals", performance_to_actuals(root, str(path), history)
    raise InputError(Problem(kind, "the root element must be ProductionSchedule or ProductionPerformance"),
                     str(path))


# -- export (sample files; APS tools that speak B2MML) ---------------------------------------------

def _add(parent: ET.Element, name: str, text: object | None = None) -> ET.Element:
    e = ET.SubElement(parent, f"{{{NS}}}{name}")
    if text is not None:
        e.text = str(text)
    return e


def _parameter(seg: ET.Element, element: str, name: str, value: object) -> None:
    p = _add(seg, element)
    _add(p, "ID", name)
    _add(_add(p, "Value"), "ValueString", value)


def _quantity(parent: ET.Element, quantity: float) -> None:
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
    for op in plan.operations:
        order = op.order or op.id
        if order not in requests:
            requests[order] = _add(root, "ProductionRequest")
            _add(requests[order], "ID", order)
            _add(requests[order], "ProductProductionRuleID", op.product)
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
        _quantity(produced, op.quantity)
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
        _quantity(produced, float(rec.get("quantity", 0)))
    return _xml(root)
