"""ISA-95 import: B2MML production schedules as plans, production performance as actuals.

B2MML (MESA's XML for ISA-95 part 2/4) is what MES and ERP systems exchange.
Both namespaces are read alike: WBF's V0401 (``http://www.wbf.org/xml/B2MML-V0401``,
still what many MES integrations send) and MESA's V0600 and later
(``http://www.mesa.org/xml/B2MML...``), as well as documents without a namespace;
a transaction wrapper (``ProcessProductionSchedule``, ``SyncProductionPerformance``,
...) is unwrapped to the ``ProductionSchedule``/``ProductionPerformance`` in its
``DataArea``. Mapping:

``ProductionSchedule`` -> ``riskengine.plan/1``
    ``ID`` -> ``id``; ``PublishedDate`` -> ``published_at``; ``StartTime`` /
    ``EndTime`` -> ``horizon`` (default: earliest start and latest end). Each
    ``ProductionRequest`` is an order (its ``ID``); its requested ``EndTime``,
    when given, is the order's due date (an entry of the plan's ``orders``,
    with the request's integer ``Priority``); each of its
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

    Segment ids are often numbered per request (``1``, ``2``, ... restarting in
    every ``ProductionRequest``). When a segment id occurs in more than one
    request, every operation id of the message is qualified by its request,
    ``REQUEST/SEGMENT`` (``WO7/1``), and ``after`` ids that name a segment of
    the same request are qualified alike.

``ProductionPerformance`` -> ``riskengine.actuals/1``
    Each ``SegmentResponse`` is a record: ``operation`` is the
    ``SegmentData`` named ``operation`` when present (empty: unplanned
    production), else the response's ``ID``; ``ActualStartTime`` /
    ``ActualEndTime``; ``EquipmentActual/EquipmentID`` -> ``resource``; the
    produced material actual -> ``product`` and good ``quantity``;
    ``SegmentData`` named ``cause`` -> ``cause``. Checked against plan
    versions, an id that is no planned operation but is one once qualified by
    the response's ``ProductionRequestID`` (``REQUEST/SEGMENT``) is read so.

Several ``Quantity`` elements of one material are told apart by their ``Key``:
the one named by ``quantity_key`` (``--quantity-key``) when given, else the only
one, else the one without a ``Key``, else the one whose ``Key`` is a usual name
of the quantity to make (``planned``, ``target``, ``quantity``) or made
(``good``, ``yield``, ``produced``, ``actual``); anything else is refused with
the keys found. Times without a UTC offset (``2017-01-11T14:00:00``) are
wall-clock times in ``timezone`` (``--timezone Europe/Berlin``), localized by
:mod:`riskengine.interop.localtime` (nonexistent or ambiguous times at a clock
change are refused); without a time zone they are refused.

Untrusted XML is parsed with ``defusedxml`` and any document type declaration
is refused: no entity is expanded (billion laughs) and no external entity or
DTD is fetched (XXE). Problems are located by element path, e.g.
``ProductionRequest[3]/SegmentRequirement[1] (operations[5]).quantity``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from typing import Any

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import fromstring
from pydantic import ValidationError

from riskengine.errors import InputError, Problem, from_pydantic
from riskengine.interop.b2mml_export import actuals_to_performance, plan_to_schedule
from riskengine.interop.localtime import localize, zone
from riskengine.model.plan import PLAN_FORMAT, parse_plan

__all__ = ["actuals_to_performance", "parse_xml", "performance_to_actuals", "plan_to_schedule",
           "read_b2mml", "schedule_to_plan"]

#: WBF's B2MML V0401 (before MESA took B2MML over) and MESA's, V0600 and later
NAMESPACES = ("http://www.wbf.org/xml/B2MML-V0401", "http://www.mesa.org/xml/B2MML")
VERBS = ("Acknowledge", "Cancel", "Change", "Get", "Process", "Respond", "Show", "Sync")
MAX_XML_BYTES = 256 * 2**20
PARAMETERS = ("setup_hours", "work_hours", "family", "after")
#: usual Keys of the quantity to make (requirements) and of the good quantity made (actuals)
PLANNED_KEYS = ("planned", "target", "quantity")
GOOD_KEYS = ("good", "yield", "produced", "actual", "quantity")


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


def _pick_quantity(quantities: list[ET.Element], usual: tuple[str, ...], key: str | None) -> ET.Element | str:
    """The Quantity element that holds the amount (module docstring), or why none can be chosen."""
    keyed = [(_text(q, "Key"), q) for q in quantities]
    keys = ", ".join(repr(k) for k, _ in keyed if k is not None) or "none"
    if key is not None:
        found = [q for k, q in keyed if (k or "").lower() == key.lower()]
        return found[0] if found else f"has no Quantity with Key {key!r} (Keys: {keys})"
    if len(quantities) == 1:
        return quantities[0]
    plain = [q for k, q in keyed if k is None]
    if len(plain) == 1:
        return plain[0]
    for name in usual:
        found = [q for k, q in keyed if (k or "").lower() == name]
        if len(found) == 1:
            return found[0]
    return (f"has {len(quantities)} Quantity elements (Keys: {keys}) and none is the obvious amount: "
            "name its Key with --quantity-key")


def _quantity(material: ET.Element | None, where: str, usual: tuple[str, ...], key: str | None,
              problems: list[Problem], default: str | None = None) -> float | str | None:
    """The chosen Quantity of a material element as a number (``default`` without a material)."""
    if material is None:
        return _number(default, where, problems)
    where = f"{where}/{_local(material.tag)}"
    quantities = _children(material, "Quantity")
    if not quantities:
        return None
    chosen = _pick_quantity(quantities, usual, key)
    if isinstance(chosen, str):
        problems.append(Problem(where, chosen))
        return None
    return _number(_text(chosen, "QuantityString"), f"{where}/Quantity", problems)


def _time(e: ET.Element, name: str, where: str, tz, problems: list[Problem]) -> str | None:
    """The text of a time element, a naive one localized in ``tz`` (module docstring)."""
    text = _text(e, name)
    if text is None:
        return None
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        return text  # not a time at all: the document's validation locates it
    if t.tzinfo is not None:
        return text
    try:
        return localize(t, tz).isoformat()
    except ValueError as exc:
        problems.append(Problem(f"{where}/{name}" if where else name, f"{exc}, got {text!r}"))
        return text


def _segments(request: ET.Element, path: str) -> list[tuple[ET.Element, str]]:
    """Segment requirements of a production request, nested ones after their parent."""
    out = []
    for k, seg in enumerate(_children(request, "SegmentRequirement"), 1):
        where = f"{path}/SegmentRequirement[{k}]"
        out.append((seg, where))
        out += _segments(seg, where)
    return out


def _qualified(requests: list[tuple[str | None, list[tuple[ET.Element, str]]]]) -> bool:
    """Whether some segment id occurs in more than one production request of the message."""
    seen: dict[str, int] = {}
    for r, (_, segments) in enumerate(requests):
        for seg, _where in segments:
            sid = _text(seg, "ID")
            if sid is not None and seen.setdefault(sid, r) != r:
                return True
    return False


def _operation(seg: ET.Element, where: str, order: str | None, default_product: str | None, tz,
               quantity_key: str | None, problems: list[Problem]) -> dict:
    """The plan operation of one segment requirement (``after`` set by the caller)."""
    op: dict[str, Any] = {"id": _text(seg, "ID"), "order": order,
                          "start": _time(seg, "EarliestStartTime", where, tz, problems),
                          "end": _time(seg, "LatestEndTime", where, tz, problems),
                          "resource": _text(seg, "EquipmentRequirement", "EquipmentID")}
    produced = _materials(seg, "Produced", "MaterialProducedRequirement")
    named = _text(produced[0], "MaterialDefinitionID") if produced else None
    op["product"] = named or default_product
    op["quantity"] = _quantity(produced[0] if produced else None, where, PLANNED_KEYS, quantity_key,
                               problems)
    consumed = _materials(seg, "Consumed", "MaterialConsumedRequirement")
    op["materials"] = [_text(m, "MaterialLotID") or _text(m, "MaterialDefinitionID") for m in consumed]
    params = _parameters(seg, "SegmentParameter")
    for name in ("setup_hours", "work_hours"):
        if name in params:
            op[name] = _number(params[name], f"{where}/SegmentParameter[{name}]", problems)
    if params.get("family"):
        op["family"] = params["family"]
    if "after" in params:
        op["after"] = [a.strip() for a in (params["after"] or "").split(";") if a.strip()]
    return op


def _order_of(request: ET.Element, order: str | None, where: str, tz, problems: list[Problem]) -> dict | None:
    """The order of a production request with a requested ``EndTime`` (its due date), else None."""
    due = _time(request, "EndTime", where, tz, problems)
    if order is None or due is None:
        return None
    out: dict[str, Any] = {"id": order, "due": due}
    priority = _text(request, "Priority")
    if priority is not None:
        try:
            out["priority"] = int(priority)
        except ValueError:
            problems.append(Problem(f"{where}/Priority", f"must be an integer, got {priority!r}"))
    return out


def schedule_to_plan(root: ET.Element, *, bucket_hours: float = 8.0, source: str | None = None,
                     timezone: str | None = None, quantity_key: str | None = None) -> dict:
    """The plan document (``riskengine.plan/1``) of a ``ProductionSchedule`` element.

    ``timezone``: the IANA zone of times without UTC offset; ``quantity_key``:
    the ``Key`` of the Quantity to read where a material has several (module
    docstring).
    """
    tz = zone(timezone) if timezone else None
    root = _unwrap(root, "ProductionSchedule", source)
    problems: list[Problem] = []
    requests = [(_text(request, "ID"), _segments(request, f"ProductionRequest[{r}]"))
                for r, request in enumerate(_children(root, "ProductionRequest"), 1)]
    qualify = _qualified(requests)
    operations: list[tuple[dict[str, Any], str]] = []
    resources: dict[str, None] = {}  # ids in order of first use
    orders: list = []
    for r, ((order, segments), request) in enumerate(zip(requests, _children(root, "ProductionRequest"),
                                                         strict=True), 1):
        due = _order_of(request, order, f"ProductionRequest[{r}]", tz, problems)
        if due is not None:
            orders.append(due)
        default_product = _text(request, "ProductProductionRuleID")
        local = {sid: f"{order}/{sid}" for seg, _ in segments if (sid := _text(seg, "ID")) is not None}
        previous = None
        for seg, where in segments:
            op = _operation(seg, where, order, default_product, tz, quantity_key, problems)
            if qualify and op["id"] is not None:
                op["id"] = local[op["id"]]
                if "after" in op:
                    op["after"] = [local.get(a, a) for a in op["after"]]
            op.setdefault("after", [previous] if previous else [])
            previous = op["id"]
            if op["resource"]:
                resources.setdefault(op["resource"], None)
            operations.append(({k: v for k, v in op.items() if v is not None}, where))
    if not operations:
        problems.append(Problem("ProductionSchedule", "has no ProductionRequest/SegmentRequirement"))
    published = _time(root, "PublishedDate", "", tz, problems)
    start, end = _time(root, "StartTime", "", tz, problems), _time(root, "EndTime", "", tz, problems)
    if problems:
        raise InputError(problems, source)
    ops = [op for op, _ in operations]
    starts = [op["start"] for op in ops if isinstance(op.get("start"), str)]
    ends = [op["end"] for op in ops if isinstance(op.get("end"), str)]
    start = start or _earliest(starts)
    doc = {"format": PLAN_FORMAT, "id": _text(root, "ID") or "b2mml-schedule",
           "published_at": published or start,
           "horizon": {"start": start, "end": end or _earliest(ends, latest=True)},
           "bucket_hours": bucket_hours, "resources": [{"id": r} for r in resources], "operations": ops,
           "orders": orders or None}
    doc = {k: v for k, v in doc.items() if v is not None}
    _validate(lambda: parse_plan(doc), "operations", [w for _, w in operations], source)
    return doc


def _unwrap(root: ET.Element, noun: str, source: str | None) -> ET.Element:
    """The ``noun`` element: the root itself, or the one in a transaction's ``DataArea``."""
    namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
    if namespace and not namespace.startswith(NAMESPACES):
        raise InputError(Problem(_local(root.tag), f"namespace {namespace!r} is not B2MML (expected "
                                 f"{NAMESPACES[0]} or {NAMESPACES[1]}...)"), source)
    if _local(root.tag) == noun:
        return root
    found = [e for area in _children(root, "DataArea") for e in _children(area, noun)]
    if _local(root.tag) in (f"{verb}{noun}" for verb in VERBS) and len(found) == 1:
        return found[0]
    what = f"has {len(found)} {noun} elements (one is read)" if found else f"holds no {noun}"
    raise InputError(Problem(_local(root.tag), what), source)


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


def performance_to_actuals(root: ET.Element, source: str | None = None, history=None, *,
                           timezone: str | None = None, quantity_key: str | None = None,
                           in_progress: bool = False) -> dict:
    """The actuals document (``riskengine.actuals/1``) of a ``ProductionPerformance`` element.

    With ``history`` (a :class:`~riskengine.model.actuals.PlanHistory`) the
    records are also checked against the plan versions, and a segment id that
    is a planned operation only once qualified by its request is qualified.
    With ``in_progress`` (a forecast's actuals), a segment response with a start and no
    ``ActualEndTime`` is an operation in progress: a record with its start, no end and 0 units
    (its units count when it ends).
    """
    from riskengine.model.actuals import ACTUALS_FORMAT, Actuals, parse_actuals

    tz = zone(timezone) if timezone else None
    root = _unwrap(root, "ProductionPerformance", source)
    planned = {op.id for p in history.versions for op in p.operations} if history is not None else set()
    problems: list[Problem] = []
    records, paths = [], []
    for r, response in enumerate(_children(root, "ProductionResponse"), 1):
        request = _text(response, "ProductionRequestID")
        for k, seg in enumerate(_children(response, "SegmentResponse"), 1):
            where = f"ProductionResponse[{r}]/SegmentResponse[{k}]"
            data = _parameters(seg, "SegmentData")
            produced = _materials(seg, "Produced", "MaterialProducedActual")
            operation = data["operation"] if "operation" in data else _text(seg, "ID")
            if operation and operation not in planned and f"{request}/{operation}" in planned:
                operation = f"{request}/{operation}"
            rec = {"operation": operation,
                   "product": _text(produced[0], "MaterialDefinitionID") if produced else None,
                   "resource": _text(seg, "EquipmentActual", "EquipmentID"),
                   "quantity": _quantity(produced[0] if produced else None, where, GOOD_KEYS, quantity_key,
                                         problems, default="0"),
                   "start": _time(seg, "ActualStartTime", where, tz, problems),
                   "end": _time(seg, "ActualEndTime", where, tz, problems),
                   "cause": data.get("cause")}
            if in_progress and rec["start"] is not None and rec["end"] is None:
                rec["quantity"] = 0
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


def read_b2mml(path: str | Path, *, bucket_hours: float = 8.0, history=None, timezone: str | None = None,
               quantity_key: str | None = None) -> tuple[str, dict]:
    """Read a B2MML file: ``("plan", document)`` or ``("actuals", document)`` by its root element
    (or the element in a transaction's ``DataArea``); options as in :func:`schedule_to_plan`."""
    path = Path(path)
    if not path.is_file():
        raise InputError(Problem(str(path), "no such file"))
    root = parse_xml(path.read_bytes(), str(path))
    kind = _local(root.tag)
    options: dict[str, Any] = {"source": str(path), "timezone": timezone, "quantity_key": quantity_key}
    if kind.endswith("ProductionSchedule"):
        return "plan", schedule_to_plan(root, bucket_hours=bucket_hours, **options)
    if kind.endswith("ProductionPerformance"):
        return "actuals", performance_to_actuals(root, history=history, **options)
    raise InputError(Problem(kind, "the root element must be ProductionSchedule or ProductionPerformance "
                             "(or a transaction such as ProcessProductionSchedule)"), str(path))
