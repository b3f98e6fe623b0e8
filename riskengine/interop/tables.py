"""Spreadsheet import: a table exported from a planning sheet or an ERP, read through a column map.

``riskengine import table FILE --kind plan --map MAP.toml --timezone Europe/Berlin``
reads a CSV file (any delimiter) or an ``.xlsx`` workbook (extra ``sheets``)
and writes the riskengine document of that kind. The map is TOML::

    [columns]                  # riskengine field = the column's header in the file
    id = "Arbeitsgang"
    start = "Beginn"
    setup_hours = "Rüstzeit (min)"

    [format]
    datetime = "%d.%m.%Y %H:%M"   # strptime pattern of text times (default ISO 8601)
    decimal = ","                 # decimal mark of text numbers ("." or ","); the other mark
                                  # may group thousands (2.500,5)
    delimiter = ";"               # CSV delimiter (detected when absent)
    list_separator = ","          # between the items of after and materials (default ";")
    encoding = "utf-8"            # CSV text encoding (default UTF-8, with or without BOM)
    sheet = "Arbeitsgänge"        # workbook sheet (default the first)
    timezone = "Europe/Berlin"    # of naive times (--timezone overrides)

    [units]                    # durations given in other units than hours
    setup_hours = "minutes"    # hours, minutes, seconds or days

    [plan]                     # kind plan: the plan-level fields of riskengine.plan/1
    bucket_hours = 8.0         # (id, published_at, horizon, bucket_hours, resources,
    horizon_hours = 168        # calendars, setup_matrix, materials) and horizon_hours

Columns of the file that the map does not name are ignored, with a note. An
empty cell means "not given" (an empty list for ``after`` and ``materials``).
Times without UTC offset (text, or a workbook's date cells) are wall-clock
times in the time zone, localized by :mod:`riskengine.interop.localtime`: a
time that does not exist or is ambiguous at a clock change is an error naming
its cell. The document is then validated exactly as the file formats are;
every problem names its cell and field, e.g.
``cell Arbeitsgänge!G5 (Beginn, operations[3].start): ...``.

A kind is one entry of :data:`KINDS`: its rows' place in the document, the type
of each field, the fields a map must name, how rows become a document, and the
validation. ``plan`` (rows are operations) and ``actuals`` (rows are records)
exist; orders come with the plan's ``orders`` table (issue 18) as one more
entry.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Literal

from pydantic import Field

from riskengine.errors import InputError, Problem, validate_document
from riskengine.interop.localtime import localize, zone
from riskengine.interop.sheets import Sheet, read_sheet
from riskengine.model.common import Strict

TEXT, NUMBER, HOURS, TIME, LIST = "text", "number", "hours", "time", "list"
#: unit -> (multiply, divide): hours = value * a / b, one correctly rounded step each
UNITS = {"hours": (1, 1), "minutes": (1, 60), "seconds": (1, 3600), "days": (24, 1)}


class Format(Strict):
    datetime: str | None = None
    decimal: Literal[".", ","] = "."
    delimiter: str | None = Field(default=None, min_length=1, max_length=1)
    list_separator: str = Field(default=";", min_length=1, max_length=3)
    encoding: str = "utf-8-sig"
    sheet: str | None = None
    timezone: str | None = None


class TableMap(Strict):
    """A column map (TOML): ``[columns]``, ``[format]``, ``[units]`` and, for plans, ``[plan]``."""

    kind: str | None = None
    columns: dict[str, str] = Field(min_length=1)
    format: Format = Field(default_factory=Format)
    units: dict[str, Literal["hours", "minutes", "seconds", "days"]] = Field(default_factory=dict)
    plan: dict | None = None


@dataclass(frozen=True)
class Kind:
    """One kind of table: where its rows go, its fields' types, and how a document is made."""

    table: str
    fields: dict[str, str]
    required: tuple[str, ...]
    build: Callable[[list[dict], TableMap, str, object], dict]
    validate: Callable[[dict, str, object], object]
    describe: dict[str, str] = field(default_factory=dict)


@dataclass
class TableImport:
    """What an import made: the document of its kind and the notes for the user."""

    kind: str
    document: dict
    notes: list[str]


# -- cells ------------------------------------------------------------------------------------------

def _number(value: object, fmt: Format) -> float:
    if isinstance(value, bool):
        raise ValueError(f"must be a number, got {value!r}")
    if isinstance(value, int | float):
        return float(value)
    text = re.sub(r"[\s\u00a0\u202f']", "", str(value))
    group = "." if fmt.decimal == "," else ","
    if group in text:
        pattern = rf"[+-]?\d{{1,3}}(\{group}\d{{3}})+(\{fmt.decimal}\d*)?"
        if not re.fullmatch(pattern, text):
            raise ValueError(f"must be a number with decimal mark {fmt.decimal!r}, got {value!r}")
        text = text.replace(group, "")
    try:
        return float(text.replace(fmt.decimal, "."))
    except ValueError:
        raise ValueError(f"must be a number, got {value!r}") from None


def _time(value: object, fmt: Format, tz) -> str:
    if isinstance(value, datetime):
        t = value
    elif isinstance(value, date):
        t = datetime.combine(value, time())
    else:
        text = str(value).strip()
        try:
            t = datetime.strptime(text, fmt.datetime) if fmt.datetime else datetime.fromisoformat(text)
        except ValueError:
            pattern = repr(fmt.datetime) if fmt.datetime else "ISO 8601 (2026-11-16T06:00)"
            raise ValueError(f"must be a time in the format {pattern}, got {text!r}") from None
    if t.tzinfo is None and isinstance(value, datetime | date) and tz is None:
        raise ValueError(f"the workbook's times carry no UTC offset: give the time zone "
                         f"(--timezone Europe/Berlin), got {value!s}")
    return localize(t, tz).isoformat()


def convert(value: object, kind: str, fmt: Format, tz, unit: str = "hours") -> object:
    """One non-empty cell as the value of a field of type ``kind`` (raises ValueError)."""
    if kind == TEXT:
        if isinstance(value, float) and value.is_integer():
            return str(int(value))  # a workbook's numeric id 1057.0 is "1057"
        if isinstance(value, datetime):
            raise ValueError(f"must be text, got the date {value!s}")
        return str(value).strip()
    if kind == NUMBER:
        return _number(value, fmt)
    if kind == HOURS:
        times, per = UNITS[unit]
        return _number(value, fmt) * times / per
    if kind == TIME:
        return _time(value, fmt, tz)
    return [item.strip() for item in str(value).split(fmt.list_separator) if item.strip()]


# -- kinds ------------------------------------------------------------------------------------------

def _plan_document(rows: list[dict], table_map: TableMap, source: str, tz) -> dict:
    """The plan: its rows as operations, the rest from ``[plan]`` or from the operations."""
    from riskengine.model.common import parse_instant
    from riskengine.model.plan import PLAN_FORMAT

    extra = dict(table_map.plan or {})
    horizon_hours = extra.pop("horizon_hours", None)
    for key in ("published_at",):
        if isinstance(extra.get(key), datetime | str):
            extra[key] = _plan_time(extra[key], f"[plan].{key}", table_map.format, tz)
    if isinstance(extra.get("horizon"), dict):
        extra["horizon"] = {k: _plan_time(v, f"[plan].horizon.{k}", table_map.format, tz)
                            if isinstance(v, datetime | str) else v for k, v in extra["horizon"].items()}
    times = []
    for row in rows:
        try:
            times.append((parse_instant(row["start"]), parse_instant(row["end"])))
        except (KeyError, ValueError):
            continue  # located by the validation
    if "horizon" not in extra and times:
        start = min(s for s, _ in times)
        end = max(e for _, e in times)
        if horizon_hours is not None:
            from datetime import timedelta

            end = start + timedelta(hours=float(horizon_hours))
        extra["horizon"] = {"start": start.isoformat(), "end": end.isoformat()}
    doc = {"format": PLAN_FORMAT, "id": Path(source).stem, **extra}
    doc.setdefault("published_at", (doc.get("horizon") or {}).get("start"))
    doc.setdefault("resources", [{"id": r} for r in dict.fromkeys(row["resource"] for row in rows
                                                                   if isinstance(row.get("resource"), str))])
    doc["operations"] = rows
    return {k: v for k, v in doc.items() if v is not None}


def _plan_time(value: object, where: str, fmt: Format, tz) -> str:
    try:
        return _time(value, fmt, tz)
    except ValueError as exc:
        raise InputError(Problem(where, str(exc)), "the column map") from None


def _validate_plan(doc: dict, source: str, history) -> object:
    from riskengine.model.plan import parse_plan

    return parse_plan(doc, source)


def _actuals_document(rows: list[dict], table_map: TableMap, source: str, tz) -> dict:
    from riskengine.model.actuals import ACTUALS_FORMAT

    return {"format": ACTUALS_FORMAT, "records": rows}


def _validate_actuals(doc: dict, source: str, history) -> object:
    from riskengine.model.actuals import Actuals, parse_actuals

    if history is not None:
        return parse_actuals(doc, history, source)
    return validate_document(Actuals, doc, "actuals must be an object", source)


KINDS: dict[str, Kind] = {
    "plan": Kind(
        table="operations",
        fields={"id": TEXT, "order": TEXT, "product": TEXT, "family": TEXT, "resource": TEXT,
                "quantity": NUMBER, "start": TIME, "end": TIME, "setup_hours": HOURS, "after": LIST,
                "materials": LIST, "work_hours": HOURS},
        required=("id", "product", "resource", "quantity", "start", "end"),
        build=_plan_document, validate=_validate_plan,
        describe={"id": "operation id", "order": "production order", "family": "setup family",
                  "resource": "line or machine", "quantity": "units to make",
                  "start": "planned start", "end": "planned end", "setup_hours": "setup time",
                  "after": "routing predecessors (operation ids)", "materials": "materials used",
                  "work_hours": "working hours when the window spans breaks"}),
    "actuals": Kind(
        table="records",
        fields={"operation": TEXT, "product": TEXT, "resource": TEXT, "quantity": NUMBER, "start": TIME,
                "end": TIME, "cause": TEXT, "setup_hours": HOURS, "run_hours": HOURS},
        required=("quantity",),
        build=_actuals_document, validate=_validate_actuals,
        describe={"operation": "planned operation (empty: unplanned)", "quantity": "good units",
                  "start": "actual start", "end": "actual end", "cause": "cause of a deviation",
                  "setup_hours": "actual setup time", "run_hours": "actual processing time"}),
}


# -- the import -------------------------------------------------------------------------------------

def read_map(path: str | Path) -> TableMap:
    """Read and validate a column map (TOML)."""
    from riskengine.io.readers import read_toml

    data = read_toml(path)
    return validate_document(TableMap, data, "a column map must be a TOML table", str(path))


def _map_problems(table_map: TableMap, kind: Kind, name: str) -> list[Problem]:
    problems = [Problem(f"[columns].{f}", f"not a field of {name} (fields: {', '.join(kind.fields)})")
                for f in table_map.columns if f not in kind.fields]
    problems += [Problem("[columns]", f"must name the column of {f} ({kind.describe.get(f, f)})")
                 for f in kind.required if f not in table_map.columns]
    problems += [Problem(f"[units].{f}", "units convert durations only (fields: "
                         f"{', '.join(k for k, t in kind.fields.items() if t == HOURS)})")
                 for f in table_map.units if kind.fields.get(f) != HOURS]
    if table_map.plan is not None and name != "plan":
        problems.append(Problem("[plan]", f"only a plan map has a [plan] table, not a map of {name}"))
    for key in ("format", "operations"):
        if key in (table_map.plan or {}):
            problems.append(Problem(f"[plan].{key}", "is set by the import"))
    return problems


def import_table(path: str | Path, kind: str, table_map: TableMap | str | Path, *,
                 timezone: str | None = None, history=None) -> TableImport:
    """Read a spreadsheet export through a column map into a riskengine document.

    Parameters
    ----------
    path
        A ``.csv`` file (any delimiter) or an ``.xlsx`` workbook (extra ``sheets``).
    kind
        ``"plan"`` (rows are operations) or ``"actuals"`` (rows are records).
    table_map
        The column map: a :class:`TableMap` or the path of its TOML file.
    timezone
        IANA zone of times without UTC offset (overrides ``[format] timezone``).
    history
        For actuals: the plan versions to check them against (a
        :class:`~riskengine.model.actuals.PlanHistory`); None checks the records alone.

    Returns
    -------
    TableImport
        ``document`` (``riskengine.plan/1`` or ``riskengine.actuals/1``, validated)
        and ``notes`` (e.g. the ignored columns).

    Raises
    ------
    InputError
        Every problem, each named by its cell and field.

    Examples
    --------
    >>> made = import_table("scenarios/example-factory/spreadsheet/wk47-v1.csv", "plan",
    ...                     "scenarios/example-factory/spreadsheet/map.toml", timezone="Europe/Berlin")
    >>> op = made.document["operations"][0]
    >>> op["id"], op["start"], op["setup_hours"], op["quantity"]
    ('WO1057-10', '2026-11-16T06:00:00+01:00', 0.5, 2500.0)
    >>> made.notes
    ['ignored columns not in the map: Bemerkung, Status']
    """
    if kind not in KINDS:
        raise InputError(Problem("--kind", f"must be one of {', '.join(KINDS)}, got {kind!r}"))
    spec = KINDS[kind]
    map_source = None if isinstance(table_map, TableMap) else str(table_map)
    if not isinstance(table_map, TableMap):
        table_map = read_map(str(table_map))
    if table_map.kind is not None and table_map.kind != kind:
        raise InputError(Problem("kind", f"the map is for {table_map.kind!r}, not {kind!r}"), map_source)
    problems = _map_problems(table_map, spec, kind)
    if problems:
        raise InputError(problems, map_source)
    given_zone = timezone or table_map.format.timezone
    tz = zone(given_zone, "--timezone") if given_zone else None
    fmt = table_map.format
    sheet = read_sheet(path, delimiter=fmt.delimiter, encoding=fmt.encoding, sheet=fmt.sheet)
    source = str(path)
    missing = [f"[columns].{f}" for f, col in table_map.columns.items() if col not in sheet.header]
    if missing:
        raise InputError([Problem(m, f"no column {table_map.columns[m[10:]]!r} in the file (its columns: "
                                  f"{', '.join(sheet.header)})") for m in missing], source)
    rows, problems = _rows(sheet, table_map, spec, tz)
    if problems:
        raise InputError(problems, source)
    try:
        document = spec.build(rows, table_map, source, tz)
    except InputError as exc:
        raise InputError(exc.problems, map_source) from None
    try:
        spec.validate(document, source, history)
    except InputError as exc:
        raise InputError([_at_cell(p, sheet, table_map, spec) for p in exc.problems], source) from None
    ignored = [h for h in sheet.header if h and h not in table_map.columns.values()]
    notes = [f"ignored columns not in the map: {', '.join(ignored)}"] if ignored else []
    return TableImport(kind, document, notes)


def _rows(sheet: Sheet, table_map: TableMap, spec: Kind, tz) -> tuple[list[dict], list[Problem]]:
    """The rows as field dicts; every cell that cannot be converted is a problem at its cell."""
    rows, problems = [], []
    position = {f: sheet.header.index(col) for f, col in table_map.columns.items()}
    for i, cells in enumerate(sheet.rows):
        row: dict[str, object] = {}
        for f, k in position.items():
            value, kind = cells[k], spec.fields[f]
            if value is None:
                if kind == LIST:
                    row[f] = []
                continue
            try:
                row[f] = convert(value, kind, table_map.format, tz, table_map.units.get(f, "hours"))
            except ValueError as exc:
                problems.append(Problem(_cell(sheet, i, table_map.columns[f], f"{spec.table}[{i}].{f}"),
                                        str(exc)))
        rows.append(row)
    return rows, problems


def _cell(sheet: Sheet, row: int, column: str, field_path: str) -> str:
    return f"cell {sheet.cell(row, column)} ({column}, {field_path})"


def _at_cell(p: Problem, sheet: Sheet, table_map: TableMap, spec: Kind) -> Problem:
    """A validation problem at ``operations[3].start`` named by its cell as well."""
    m = re.match(rf"^{spec.table}\[(\d+)\]\.(\w+)", p.location)
    if m and m.group(2) in table_map.columns and int(m.group(1)) < len(sheet.rows):
        return Problem(_cell(sheet, int(m.group(1)), table_map.columns[m.group(2)], p.location), p.message)
    m = re.match(rf"^{spec.table}\[(\d+)\]", p.location)
    if m and int(m.group(1)) < len(sheet.rows):
        row = sheet.first_row + int(m.group(1))
        return Problem(f"row {f'{sheet.sheet}!' if sheet.sheet else ''}{row} ({p.location})", p.message)
    return p


def template(kind: str = "plan") -> str:
    """A commented column map for ``kind`` (``riskengine import table --template``)."""
    spec = KINDS[kind]
    lines = [f"# Column map of a {kind} table for `riskengine import table FILE --kind {kind} --map THIS`.",
             "# [columns]: each riskengine field = the header of its column in your file.",
             "# Fields you do not have stay commented out; columns not named here are ignored.",
             f'kind = "{kind}"', "", "[columns]"]
    for f, t in spec.fields.items():
        need = "required" if f in spec.required else "optional"
        what = {TEXT: "text", NUMBER: "number", HOURS: "hours (see [units])", TIME: "time",
                LIST: "list (see list_separator)"}[t]
        line = f'{f} = "{f}"' if f in spec.required else f'# {f} = "{f}"'
        lines.append(f"{line:<32}# {spec.describe.get(f, f)}: {what}, {need}")
    lines += ["", "[format]",
              '# datetime = "%d.%m.%Y %H:%M"   # strptime pattern of text times (default: ISO 8601)',
              '# decimal = ","                 # decimal mark of text numbers: "." (default) or ","',
              '# delimiter = ";"               # CSV delimiter (default: detected)',
              '# list_separator = ","          # between list items (default ";")',
              '# encoding = "cp1252"           # CSV encoding (default UTF-8)',
              '# sheet = "Plan"                # .xlsx sheet (default: the first)',
              '# timezone = "Europe/Berlin"    # of times without UTC offset (--timezone overrides)',
              "", "[units]               # durations in other units than hours: minutes, seconds, days"]
    lines += [f'# {f} = "minutes"' for f, t in spec.fields.items() if t == HOURS]
    if kind == "plan":
        lines += ["", "[plan]                # plan-level fields of riskengine.plan/1 (all optional)",
                  '# id = "wk47-v1"                 # default: the file name without suffix',
                  "# bucket_hours = 8.0",
                  "# horizon_hours = 168            # horizon from the earliest start (default: to the "
                  "latest end)",
                  '# horizon = { start = "2026-11-16T06:00:00+01:00", end = "2026-11-23T06:00:00+01:00" }',
                  '# resources = [{ id = "P1", name = "Oven 1", area = "processing" }]   # default: '
                  "those named",
                  "# [plan.calendars.default]       # working time, as in riskengine.plan/1",
                  '# shifts = [{ name = "early", days = ["mon-fri"], start = "06:00", end = "14:00" }]']
    return "\n".join(lines) + "\n"
