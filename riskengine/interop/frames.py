"""pandas in: plans and actuals from DataFrames, validated exactly like the files (extra ``pandas``).

A DataFrame of operations has the columns of the plan's operations
(``riskengine schema plan``: ``id``, ``product``, ``resource``, ``quantity``,
``start``, ``end`` and the optional ``order``, ``family``, ``setup_hours``,
``after``, ``materials``, ``work_hours``); a DataFrame of actuals has the
record columns (``operation``, ``quantity``, ``start``, ``end``, ...). Each row
becomes one item of the document in row order and the document is validated
by the same code as a file, so a bad value gives the same problem at the same
place: row ``i`` (0-based position, whatever the index) is ``operations[i]``
or ``records[i]``, e.g. ``operations[12].quantity: Input should be greater
than 0, got -5``.

Cells: a missing value (``NaN``, ``None``, ``NaT``, an empty string) means
"not given", as an empty CSV cell; numpy numbers become Python numbers;
``Timestamp`` values are times (one without time zone is refused, as in the
files, unless ``timezone`` names the zone of such wall-clock times); ``after``
and ``materials`` take lists or text separated by ``;``.
"""

from __future__ import annotations

import math
from datetime import datetime

from riskengine.errors import InputError, Problem
from riskengine.extras import require
from riskengine.interop.localtime import localize, zone
from riskengine.model.actuals import ACTUALS_FORMAT, Actuals, PlanHistory, parse_actuals
from riskengine.model.common import parse_instant
from riskengine.model.plan import PLAN_FORMAT, Operation, Plan, parse_plan

LISTS = ("after", "materials")
TIMES = ("start", "end")


def _missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str) and not value.strip():
        return True
    pd = require("pandas", "reading DataFrames")
    return value is pd.NaT or value is pd.NA


def _cell(name: str, value: object, tz, where: str, problems: list[Problem]) -> object:
    """One cell as the value a JSON document would hold."""
    if hasattr(value, "item") and not isinstance(value, datetime):  # numpy scalars
        value = value.item()
    if isinstance(value, datetime):
        moment: datetime = value.to_pydatetime() if hasattr(value, "to_pydatetime") else value
        if moment.tzinfo is None and tz is not None:
            try:
                moment = localize(moment, tz)
            except ValueError as exc:
                problems.append(Problem(where, f"{exc}, got {moment!s}"))
        return moment.isoformat()  # a naive time stays naive: refused like the file's
    if name in LISTS:
        if isinstance(value, str):
            return [v.strip() for v in value.split(";") if v.strip()]
        if hasattr(value, "tolist"):
            value = value.tolist()
        if isinstance(value, list | tuple):
            return [str(v).strip() for v in value if not _missing(v)]
    if isinstance(value, str):
        value = value.strip()
        if tz is not None and name in TIMES:
            try:
                t = datetime.fromisoformat(value)
            except ValueError:
                return value
            try:
                return localize(t, tz).isoformat()
            except ValueError as exc:
                problems.append(Problem(where, f"{exc}, got {value!r}"))
    return value


def records(df, table: str, timezone: str | None = None) -> list[dict]:
    """The rows of ``df`` as JSON-like dicts (missing cells left out); times localized in
    ``timezone`` where naive. ``table`` names the rows in problems (``operations``)."""
    pd = require("pandas", "reading DataFrames")
    if not isinstance(df, pd.DataFrame):
        raise InputError(Problem(table, f"must be a pandas DataFrame, got {type(df).__name__}"))
    tz = zone(timezone, "timezone") if timezone else None
    columns = [str(c) for c in df.columns]
    problems: list[Problem] = []
    out = []
    for i, row in enumerate(df.itertuples(index=False, name=None)):
        item = {}
        for name, value in zip(columns, row, strict=True):
            if name in LISTS and not isinstance(value, str) and hasattr(value, "__len__"):
                item[name] = _cell(name, value, tz, f"{table}[{i}].{name}", problems)
            elif not _missing(value):
                item[name] = _cell(name, value, tz, f"{table}[{i}].{name}", problems)
        out.append(item)
    if problems:
        raise InputError(problems, f"{table} DataFrame")
    return out


def plan_from_frames(operations, *, horizon: tuple | None = None, resources=None,
                     calendars: dict | None = None, bucket_hours: float = 8.0, id: str = "plan",
                     published_at=None,
                     setup_matrix: dict | None = None, materials=None, timezone: str | None = None) -> Plan:
    """A validated plan from a DataFrame of operations (and optional frames of resources and
    materials).

    Parameters
    ----------
    operations
        One row per planned operation, the columns of the plan's operations.
    horizon
        ``(start, end)`` (datetimes, Timestamps or ISO text); None: from the
        earliest planned start to the latest planned end (as a plan CSV).
    resources
        A DataFrame with ``id`` and optionally ``name``, ``area``; None: the
        resources the operations name, in order of appearance.
    calendars, setup_matrix
        As in ``riskengine.plan/1`` (mappings; see ``riskengine schema plan``).
    bucket_hours, id, published_at
        The plan's bucket size, id and publication time (default: the horizon start).
    materials
        A DataFrame of declared materials (``id``, ``name``, ``available_at``), or None.
    timezone
        IANA zone of times without UTC offset; None refuses them, as the files do.

    Returns
    -------
    Plan
        The validated plan.

    Raises
    ------
    InputError
        Every problem, located as in a file: ``operations[12].quantity``.

    Examples
    --------
    >>> import pandas as pd
    >>> ops = pd.DataFrame({"id": ["A-10", "A-20"], "product": "X", "resource": ["OVEN", "PACK"],
    ...                     "quantity": [100, 100], "after": [[], ["A-10"]],
    ...                     "start": pd.to_datetime(["2026-11-16 06:00", "2026-11-16 09:00"]),
    ...                     "end": pd.to_datetime(["2026-11-16 08:00", "2026-11-16 10:00"])})
    >>> plan = plan_from_frames(ops, id="demo", timezone="Europe/Berlin")
    >>> plan.horizon.start.isoformat(), [r.id for r in plan.resources], plan.operations[1].after
    ('2026-11-16T06:00:00+01:00', ['OVEN', 'PACK'], ['A-10'])
    >>> plan_from_frames(ops.assign(quantity=[100, -5]), id="demo", timezone="Europe/Berlin")
    Traceback (most recent call last):
    riskengine.errors.InputError: invalid input in operations DataFrame (1 problem):
      operations[1].quantity: Input should be greater than 0, got -5
    """
    source = "operations DataFrame"
    ops = records(operations, "operations", timezone)
    if not ops:
        raise InputError(Problem("operations", "the plan has no operations"), source)
    doc: dict = {"format": PLAN_FORMAT, "id": id, "bucket_hours": bucket_hours, "operations": ops}
    tz = zone(timezone, "timezone") if timezone else None
    if horizon is None:
        doc["horizon"] = _span(ops, source)
    else:
        start, end = (_instant(t, tz, f"horizon.{k}") for k, t in zip(("start", "end"), horizon, strict=True))
        doc["horizon"] = {"start": start, "end": end}
    doc["published_at"] = doc["horizon"]["start"] if published_at is None else \
        _instant(published_at, tz, "published_at")
    named = dict.fromkeys(op["resource"] for op in ops if isinstance(op.get("resource"), str))
    doc["resources"] = records(resources, "resources") if resources is not None else \
        [{"id": r} for r in named]
    for key, value in (("calendars", calendars), ("setup_matrix", setup_matrix)):
        if value is not None:
            doc[key] = value
    if materials is not None:
        doc["materials"] = records(materials, "materials", timezone)
    return parse_plan(doc, source)


def _instant(t: object, tz, where: str) -> object:
    if hasattr(t, "to_pydatetime"):
        t = t.to_pydatetime()
    if isinstance(t, datetime):
        try:
            return localize(t, tz).isoformat() if (t.tzinfo is None and tz is not None) else t.isoformat()
        except ValueError as exc:
            raise InputError(Problem(where, str(exc))) from None
    return t


def _span(ops: list[dict], source: str) -> dict:
    """Earliest planned start to latest planned end (every unreadable time located)."""
    problems: list[Problem] = []
    starts: list[datetime] = []
    ends: list[datetime] = []
    for i, op in enumerate(ops):
        for key, bucket in (("start", starts), ("end", ends)):
            try:
                bucket.append(parse_instant(op.get(key)))
            except ValueError as exc:
                problems.append(Problem(f"operations[{i}].{key}", f"{exc}, got {op.get(key)!r}"))
    if problems:
        raise InputError(problems, source)
    return {"start": min(starts).isoformat(), "end": max(ends).isoformat()}


def actuals_from_frame(df, plans: PlanHistory | Plan | list[Plan], *, timezone: str | None = None) -> Actuals:
    """Validated actuals from a DataFrame of records, checked against the plan versions.

    Parameters
    ----------
    df
        One row per actual record: ``operation``, ``quantity``, ``start``, ``end``
        and the optional ``product``, ``resource``, ``cause``, ``setup_hours``,
        ``run_hours``.
    plans
        The plan versions the actuals are measured against (a
        :class:`~riskengine.model.actuals.PlanHistory`, a list of plans or one plan).
    timezone
        IANA zone of times without UTC offset; None refuses them.

    Returns
    -------
    Actuals
        The validated actuals (operations' product and resource filled in).

    Examples
    --------
    >>> import pandas as pd, riskengine as rk
    >>> plan = rk.read_plan("scenarios/example-factory/plan-v1.json")
    >>> rows = pd.DataFrame({"operation": ["WO1057-10"], "quantity": [2480],
    ...                      "start": ["2026-11-16T06:39:00+01:00"], "end": ["2026-11-16T11:02:00+01:00"]})
    >>> actuals = actuals_from_frame(rows, plan)
    >>> actuals.records[0].resource, actuals.records[0].quantity
    ('P1', 2480.0)
    """
    if isinstance(plans, Plan):
        plans = [plans]
    history = plans if isinstance(plans, PlanHistory) else PlanHistory(list(plans))
    doc = {"format": ACTUALS_FORMAT, "records": records(df, "records", timezone)}
    return parse_actuals(doc, history, "records DataFrame")


def plan_frames(plan: Plan) -> dict:
    """A plan's tables as DataFrames: ``operations`` (the operation fields, times as Timestamps in
    the plan's offset, ``after`` and ``materials`` as lists), ``resources`` and, when the plan
    declares them, ``materials``. :func:`plan_from_frames` reads them back to the same plan.
    """
    pd = require("pandas", "plan_frames()")
    from riskengine.interop.results import timestamps

    ops = pd.DataFrame([op.model_dump() for op in plan.operations], columns=list(Operation.model_fields))
    for column in ("start", "end"):
        ops[column] = timestamps(ops[column].tolist())
    out = {"operations": ops,
           "resources": pd.DataFrame([r.model_dump() for r in plan.resources],
                                     columns=["id", "name", "area"])}
    if plan.materials is not None:
        materials = pd.DataFrame([m.model_dump() for m in plan.materials],
                                 columns=["id", "name", "available_at"])
        materials["available_at"] = timestamps(materials["available_at"].tolist())
        out["materials"] = materials
    return out
