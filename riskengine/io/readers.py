"""Read plans and actuals from JSON or CSV files (docs/design.md section 5).

A plan is a JSON document; its ``operations`` may instead name a CSV file
(relative to the JSON file) with the same column names, and a bare CSV of
operations is also accepted as a plan: its id is the file name, its horizon
runs from the earliest planned start to the latest planned end, and its
resources are those the operations name (times must then be ISO 8601).
In CSV, ``after`` and ``materials`` are lists separated by ``;`` and empty
cells mean "not given". Actuals are JSON or CSV with the record columns.
CSV files may be comma, semicolon or tab separated (:func:`read_csv_rows`).
A bare operations CSV has no calendars, setup matrix or declared materials:
the plan says so in its warnings (shown by ``score`` and ``compare``); a JSON
plan whose ``operations`` names the CSV carries them.

The path ``-`` reads a JSON document from standard input (``riskengine score -
--premises F --json -``); only one input of a command can be ``-``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sys
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from riskengine.errors import InputError, Problem
from riskengine.model.actuals import Actuals, PlanHistory, parse_actuals
from riskengine.model.common import parse_instant
from riskengine.model.plan import PLAN_FORMAT, Plan, parse_plan

T = TypeVar("T")

MAX_FILE_BYTES = 1 << 30
_LIST_COLUMNS = {"after", "materials"}


def _check_file(path: Path) -> None:
    try:
        found = path.is_file()
    except OSError as exc:  # e.g. a name too long for the file system
        raise InputError(Problem(str(path)[:200], f"cannot read the file: {exc.strerror or exc}")) from None
    if not found:
        raise InputError(Problem(str(path), "no such file"))
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError(Problem(str(path), f"file of {size} bytes is larger than the "
                                 f"{MAX_FILE_BYTES} bytes allowed"))


#: Deepest nesting of objects and arrays accepted in an input document: every format of the
#: contract needs fewer than 10 levels, and code that walks a document (validation, plugins'
#: options) must never run out of stack on one.
MAX_DEPTH = 64


def check_depth(data: T, source: str | None = None, where: str = "") -> T:
    """``data`` itself, or an :class:`InputError` if it nests deeper than MAX_DEPTH levels
    (walked without recursion)."""
    level: list[object] = [data]
    for _ in range(MAX_DEPTH):  # level k + 1 holds the containers at depth k + 2
        level = [v for node in level if isinstance(node, dict | list)
                 for v in (node.values() if isinstance(node, dict) else node)
                 if isinstance(v, dict | list)]
        if not level:
            return data
    raise InputError(Problem(where, f"nested deeper than {MAX_DEPTH} levels of objects and arrays"), source)


STDIN = "-"
_stdin_read: list = []  # the stdin stream already read (a stream is read once)


def _stdin_text() -> str:
    """Standard input, which can be read once."""
    if _stdin_read and _stdin_read[0] is sys.stdin:
        raise InputError(Problem("-", "standard input was read already: only one input can be '-'"))
    _stdin_read[:] = [sys.stdin]
    data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise InputError(Problem("-", f"more than the {MAX_FILE_BYTES} bytes allowed"), "stdin")
    return data.decode("utf-8-sig")


def read_json(path: str | os.PathLike) -> object:
    """Parse a JSON file (``-``: stdin); a syntax error becomes an :class:`InputError` with line
    and column."""
    stdin = str(path) == STDIN
    source = "stdin" if stdin else str(path)
    path = Path(path)
    if not stdin:
        _check_file(path)
    try:
        data = json.loads(_stdin_text() if stdin else path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise InputError(Problem(f"line {exc.lineno} column {exc.colno}",
                                 f"not valid JSON: {exc.msg}"), source) from None
    except UnicodeDecodeError:
        raise InputError(Problem("", "not a UTF-8 text file"), source) from None
    except ValueError as exc:  # an integer of more than 4300 digits
        reason = str(exc).split(";")[0]
        raise InputError(Problem("", f"not valid JSON: {reason}"), source) from None
    except RecursionError:
        raise InputError(Problem("", "not valid JSON: nested too deeply"), source) from None
    except OSError as exc:
        raise InputError(Problem("", f"cannot read the file: {exc.strerror or exc}"), source) from None
    return check_depth(data, source)


#: Column delimiters a CSV file may use (what spreadsheets export: comma, or semicolon where the
#: comma is the decimal mark, or tab).
DELIMITERS = ",;\t"
#: Columns whose numbers may be written with a decimal comma in a semicolon-separated file.
_NUMERIC_COLUMNS = {"quantity", "setup_hours", "work_hours", "run_hours", "start", "end", "shifts"}
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")


def csv_delimiter(text: str, source: str) -> str:
    """The column delimiter of a CSV text: csv.Sniffer among comma, semicolon and tab, else the
    one the header line holds most of; a header with none of them (a single column, or another
    delimiter) is refused with a message that names what it found."""
    lines = [line for line in text.splitlines() if line.strip()][:50]
    if not lines:
        return ","
    header = lines[0]
    counts = {d: header.count(d) for d in DELIMITERS}
    try:
        found = csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
        if counts.get(found):
            return found
    except csv.Error:
        pass
    best = max(counts, key=lambda d: counts[d])
    if counts[best]:
        return best
    other = next((c for c in "|:^~ " if c in header.strip()), None)
    raise InputError(Problem("header", "cannot tell the columns apart: the header line has no comma, "
                             "semicolon or tab" + (f" (it has {other!r}: riskengine reads comma, semicolon "
                                                   "or tab separated files)" if other else "")), source)


def read_csv_rows(path: str | os.PathLike, columns: set[str] | None = None) -> list[dict]:
    """Rows of a CSV file as dicts; empty cells are dropped, list columns split on ``;``.

    The delimiter is detected (:func:`csv_delimiter`): comma, semicolon or tab.
    In a semicolon-separated file (a spreadsheet where the comma is the decimal
    mark) list items are separated by ``,`` (or by ``;`` in a quoted cell) and
    numbers may have a decimal comma (``1,5``). With ``columns``, a header
    naming any other column is refused (even when no rows follow).
    """
    path = Path(path)
    _check_file(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
        delimiter = csv_delimiter(text, str(path))
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
        if columns is not None:
            unknown = [c for c in (reader.fieldnames or []) if c.strip() and c.strip() not in columns]
            if unknown:
                raise InputError([Problem(f"header.{c.strip()}", "unknown column (expected some of "
                                          f"{', '.join(sorted(columns))})") for c in unknown], str(path))
        return [_clean_row(row, reader.line_num, delimiter, str(path)) for row in reader]
    except UnicodeDecodeError:
        raise InputError(Problem("", "not a UTF-8 text file"), str(path)) from None
    except csv.Error as exc:
        raise InputError(Problem("", f"not valid CSV: {exc}"), str(path)) from None
    except OSError as exc:
        raise InputError(Problem("", f"cannot read the file: {exc.strerror or exc}"), str(path)) from None


def _clean_row(row: dict, line: int, delimiter: str, source: str) -> dict:
    """Stripped cells, empty ones dropped, list columns split, decimal commas read (``;`` files)."""
    if None in row:
        raise InputError(Problem(f"line {line}", "more cells than header columns"
                                 + (" (in a semicolon-separated file, separate list items with ',')"
                                    if delimiter == ";" else "")), source)
    separators = r"[;,]" if delimiter == ";" else ";"
    clean: dict[str, str | list[str]] = {}
    for key, value in row.items():
        key = (key or "").strip()
        value = (value or "").strip()
        if key in _LIST_COLUMNS:
            clean[key] = [v.strip() for v in re.split(separators, value) if v.strip()]
        elif value:
            if delimiter == ";" and key in _NUMERIC_COLUMNS and _DECIMAL_COMMA.match(value):
                value = value.replace(",", ".")
            clean[key] = value
    return clean


def _plan_from_csv(path: Path) -> dict:
    rows = read_csv_rows(path)
    if not rows:
        raise InputError(Problem("operations", "the plan has no operations"), str(path))
    problems: list[Problem] = []
    starts: list[datetime] = []
    ends: list[datetime] = []
    for i, row in enumerate(rows):
        for key, bucket in (("start", starts), ("end", ends)):
            try:
                bucket.append(parse_instant(row.get(key)))
            except ValueError as exc:
                problems.append(Problem(f"operations[{i}].{key}", f"{exc}, got {row.get(key)!r}"))
    if problems:
        raise InputError(problems, str(path))
    resources = list(dict.fromkeys(row.get("resource", "") for row in rows if row.get("resource")))
    start = min(starts)
    return {"format": PLAN_FORMAT, "id": path.stem, "published_at": start.isoformat(),
            "horizon": {"start": start.isoformat(), "end": max(ends).isoformat()},
            "resources": [{"id": r} for r in resources], "operations": rows}


#: What a plan read from a bare operations CSV lacks.
CSV_PLAN_WARNING = (
    "plan {name} is a bare operations table: it has no calendars (every resource works around the "
    "clock), no setup matrix (no sequence-dependent setups are required) and no declared materials "
    "(a material is due when its first operation is planned to start); to give them, write a plan "
    "JSON with them whose \"operations\" names this CSV file")


def read_plan(path: str | os.PathLike) -> Plan:
    """Read and validate one plan version (JSON, JSON naming an operations CSV, or CSV).

    Parameters
    ----------
    path
        A ``riskengine.plan/1`` JSON file, or a CSV of operations (module
        docstring); ``-`` reads JSON from standard input.

    Returns
    -------
    Plan
        The validated plan: times as aware datetimes, sequences per resource.

    Raises
    ------
    InputError
        Every problem, located (``operations[12].quantity: ...``).

    Examples
    --------
    >>> import riskengine as rk
    >>> plan = rk.read_plan("scenarios/example-factory/plan-v1.json")
    >>> plan.id, len(plan.operations), [r.id for r in plan.resources]
    ('wk47-v1', 114, ['P1', 'P2', 'K1', 'K2'])
    >>> plan.operations[0].start.isoformat()
    '2026-11-16T06:00:00+01:00'
    """
    path = Path(path)
    if path.suffix.lower() == ".csv":
        plan = parse_plan(_plan_from_csv(path), str(path))
        plan._warnings.append(CSV_PLAN_WARNING.format(name=path.name))
        return plan
    data = read_json(path)
    if isinstance(data, dict) and isinstance(data.get("operations"), str):
        table = path.parent / data["operations"]
        if not data["operations"].strip() or not table.is_file():
            raise InputError(Problem("operations", f"no such CSV file {str(table)!r}"), str(path))
        data["operations"] = read_csv_rows(table)
    return parse_plan(data, str(path))


def read_history(paths: list[str | os.PathLike]) -> PlanHistory:
    """Read several plan versions of one horizon.

    Parameters
    ----------
    paths
        Plan files (as :func:`read_plan` reads them), in any order.

    Returns
    -------
    PlanHistory
        The versions by publication time; each bucket is measured against the
        version in effect when it starts.

    Examples
    --------
    >>> import riskengine as rk
    >>> history = rk.read_history([f"scenarios/example-factory/plan-v{k}.json" for k in (3, 1, 2)])
    >>> [p.id for p in history.versions]
    ['wk47-v1', 'wk47-v2', 'wk47-v3']
    """
    return PlanHistory([read_plan(p) for p in paths], source=", ".join(map(str, paths)))


def read_actuals(path: str | os.PathLike, history: PlanHistory) -> Actuals:
    """Read and validate actuals (JSON or CSV) against the plan versions.

    Parameters
    ----------
    path
        A ``riskengine.actuals/1`` JSON file or a CSV with the record columns.
    history
        The plan versions the actuals belong to (:func:`read_history`).

    Returns
    -------
    Actuals
        The validated records, each operation's product and resource filled in.

    Examples
    --------
    >>> import riskengine as rk
    >>> history = rk.read_history([f"scenarios/example-factory/plan-v{k}.json" for k in (1, 2, 3)])
    >>> actuals = rk.read_actuals("scenarios/example-factory/actuals.csv", history)
    >>> r = actuals.records[1]
    >>> r.operation, r.quantity, r.cause
    ('WO1057-10', 2500.0, 'setup')
    """
    path = Path(path)
    if path.suffix.lower() == ".csv":
        from riskengine.model.actuals import Record

        records = read_csv_rows(path, set(Record.model_fields))
        data: object = {"format": "riskengine.actuals/1", "records": records}
    else:
        data = read_json(path)
    return parse_actuals(data, history, str(path))


def read_toml(path: str | os.PathLike) -> dict:
    """Parse a TOML file; every way it can be unreadable becomes an :class:`InputError`."""
    import tomllib

    path = Path(path)
    _check_file(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(Problem("", f"not valid TOML: {exc}"), str(path)) from None
    except UnicodeDecodeError:
        raise InputError(Problem("", "not a UTF-8 text file"), str(path)) from None
    except RecursionError:  # tomllib parses nested arrays and inline tables recursively
        raise InputError(Problem("", "not valid TOML: nested too deeply"), str(path)) from None
    except OSError as exc:
        raise InputError(Problem("", f"cannot read the file: {exc.strerror or exc}"), str(path)) from None
    return check_depth(data, str(path))


def read_premises(path: str | os.PathLike):
    """Read and validate premises from JSON or TOML (by the file's suffix).

    Parameters
    ----------
    path
        A ``riskengine.premises/1`` file: ``.toml`` or JSON (``-``: JSON on stdin).

    Returns
    -------
    Premises
        The validated variability model (``riskengine convert`` turns one
        syntax into the other).

    Examples
    --------
    >>> import riskengine as rk
    >>> premises = rk.read_premises("scenarios/example-factory/premises.toml")
    >>> premises.defaults.scrap_rate, premises.execution.lateness_tolerance_hours
    (0.004, 1.0)
    """
    from riskengine.model.premises import parse_premises

    path = Path(path)
    data = read_toml(path) if path.suffix.lower() == ".toml" else read_json(path)
    return parse_premises(data, str(path))
