"""Read plans and actuals from JSON or CSV files (DESIGN.md 8).

A plan is a JSON document; its ``operations`` may instead name a CSV file
(relative to the JSON file) with the same column names, and a bare CSV of
operations is also accepted as a plan: its id is the file name, its horizon
runs from the earliest planned start to the latest planned end, and its
resources are those the operations name (times must then be ISO 8601).
In CSV, ``after`` and ``materials`` are lists separated by ``;`` and empty
cells mean "not given". Actuals are JSON or CSV with the record columns.

The path ``-`` reads a JSON document from standard input (``riskengine score -
--premises F --json -``); only one input of a command can be ``-``.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path

from riskengine.errors import InputError, Problem
from riskengine.model.actuals import Actuals, PlanHistory, parse_actuals
from riskengine.model.common import parse_instant
from riskengine.model.plan import PLAN_FORMAT, Plan, parse_plan

MAX_FILE_BYTES = 1 << 30
_LIST_COLUMNS = {"after", "materials"}


def _check_file(path: Path) -> None:
    if not path.is_file():
        raise InputError(Problem(str(path), "no such file"))
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError(Problem(str(path), f"file of {size} bytes is larger than the "
                                 f"{MAX_FILE_BYTES} bytes allowed"))


#: Deepest nesting of objects and arrays accepted in an input document: every format of the
#: contract needs fewer than 10 levels, and code that walks a document (validation, plugins'
#: options) must never run out of stack on one.
MAX_DEPTH = 64


def check_depth(data: object, source: str | None = None, where: str = "") -> object:
    """``data`` itself, or an :class:`InputError` if it nests deeper than MAX_DEPTH levels
    (walked without recursion)."""
    level = [data]
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


def read_csv_rows(path: str | os.PathLike, columns: set[str] | None = None) -> list[dict]:
    """Rows of a CSV file as dicts; empty cells are dropped, list columns split on ``;``.

    With ``columns``, a header naming any other column is refused (even when no rows follow).
    """
    path = Path(path)
    _check_file(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            if columns is not None:
                unknown = [c for c in (reader.fieldnames or []) if c.strip() and c.strip() not in columns]
                if unknown:
                    raise InputError([Problem(f"header.{c.strip()}", "unknown column (expected some of "
                                              f"{', '.join(sorted(columns))})") for c in unknown], str(path))
            rows = []
            for row in reader:
                if None in row:
                    raise InputError(Problem(f"line {reader.line_num}",
                                             "more cells than header columns"), str(path))
                clean = {}
                for key, value in row.items():
                    key = (key or "").strip()
                    value = (value or "").strip()
                    if key in _LIST_COLUMNS:
                        clean[key] = [v.strip() for v in value.split(";") if v.strip()]
                    elif value:
                        clean[key] = value
                rows.append(clean)
            return rows
    except UnicodeDecodeError:
        raise InputError(Problem("", "not a UTF-8 text file"), str(path)) from None
    except csv.Error as exc:
        raise InputError(Problem("", f"not valid CSV: {exc}"), str(path)) from None
    except OSError as exc:
        raise InputError(Problem("", f"cannot read the file: {exc.strerror or exc}"), str(path)) from None


def _plan_from_csv(path: Path) -> dict:
    rows = read_csv_rows(path)
    if not rows:
        raise InputError(Problem("operations", "the plan has no operations"), str(path))
    problems, starts, ends = [], [], []
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


def read_plan(path: str | os.PathLike) -> Plan:
    """Read and validate one plan version (JSON, JSON naming an operations CSV, or CSV)."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        data = _plan_from_csv(path)
    else:
        data = read_json(path)
        if isinstance(data, dict) and isinstance(data.get("operations"), str):
            table = path.parent / data["operations"]
            if not data["operations"].strip() or not table.is_file():
                raise InputError(Problem("operations", f"no such CSV file {str(table)!r}"), str(path))
            data["operations"] = read_csv_rows(table)
    return parse_plan(data, str(path))


def read_history(paths: list[str | os.PathLike]) -> PlanHistory:
    """Read several plan versions of one horizon."""
    return PlanHistory([read_plan(p) for p in paths], source=", ".join(map(str, paths)))


def read_actuals(path: str | os.PathLike, history: PlanHistory) -> Actuals:
    """Read and validate actuals (JSON or CSV) against the plan versions."""
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
    """Read and validate premises from JSON or TOML (by the file's suffix)."""
    from riskengine.model.premises import parse_premises

    path = Path(path)
    data = read_toml(path) if path.suffix.lower() == ".toml" else read_json(path)
    return parse_premises(data, str(path))
