"""Bad input (docs/design.md section 6): every malformed plan or actuals file gives exit code 2 and a
message naming the field at fault, never a traceback, and no result file is written.

Each case mutates a small valid plan and actuals (docs/design.md section 5), writes them to disk as
JSON or CSV and runs the real command ``riskengine measure --plan P --actuals A --json
OUT`` in-process (``CliRunner``); a selection also runs the installed executable.
"""

from __future__ import annotations

import copy
import csv
import json
import math
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from riskengine.cli import main

T0 = datetime.fromisoformat("2026-11-16T06:00:00+00:00")


def t(hours: float) -> str:
    """ISO time ``hours`` after the horizon start."""
    return (T0 + timedelta(hours=hours)).isoformat()


def valid_plan() -> dict:
    return {
        "format": "riskengine.plan/1", "id": "wk47-v1", "published_at": t(0),
        "horizon": {"start": t(0), "end": t(24)}, "bucket_hours": 8,
        "resources": [{"id": "L1"}, {"id": "L2"}],
        "operations": [
            {"id": "WO1-10", "order": "WO1", "product": "A", "family": "F1", "resource": "L1",
             "quantity": 100, "start": t(0), "end": t(2), "setup_hours": 0.25, "after": [],
             "materials": ["M1"]},
            {"id": "WO1-20", "order": "WO1", "product": "A", "family": "F1", "resource": "L2",
             "quantity": 100, "start": t(2), "end": t(4), "after": ["WO1-10"], "materials": []},
            {"id": "WO2-10", "order": "WO2", "product": "B", "family": "F2", "resource": "L1",
             "quantity": 50, "start": t(2), "end": t(5), "setup_hours": 0.5},
        ],
    }


def valid_actuals() -> dict:
    return {
        "format": "riskengine.actuals/1",
        "records": [
            {"operation": "WO1-10", "product": "A", "resource": "L1", "quantity": 95,
             "start": t(0), "end": t(2.2), "cause": "material"},
            {"operation": "WO1-20", "quantity": 100, "start": t(2.5), "end": t(4.5)},
            {"operation": "WO2-10", "quantity": 0, "cause": "breakdown"},
            {"product": "C", "resource": "L2", "quantity": 10, "start": t(5), "end": t(6)},
        ],
    }


# -- writing documents -----------------------------------------------------------


def write_json(path: Path, doc: object) -> None:
    path.write_text(json.dumps(doc), encoding="utf-8")  # NaN and Infinity stay literals


def write_csv(path: Path, rows: list[dict], encoding: str = "utf-8") -> None:
    """Rows as CSV with the contract's column names; lists joined by ``;``."""
    columns = list(dict.fromkeys(k for row in rows for k in row))
    with path.open("w", newline="", encoding=encoding) as f:
        writer = csv.DictWriter(f, columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ";".join(v) if isinstance(v, list) else v for k, v in row.items()})


def edit(*path_and_value) -> Callable[[dict], None]:
    """A mutation setting ``doc[p0][p1]...`` to the last argument."""
    *path, value = path_and_value

    def mutate(doc: dict) -> None:
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


def drop(*path) -> Callable[[dict], None]:
    def mutate(doc: dict) -> None:
        target = doc
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return mutate


def rename(*path_and_new) -> Callable[[dict], None]:
    """Rename a key (a typo in a field name)."""
    *path, new = path_and_new

    def mutate(doc: dict) -> None:
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[new] = target.pop(path[-1])

    return mutate


def both(*mutations: Callable[[dict], None]) -> Callable[[dict], None]:
    def mutate(doc: dict) -> None:
        for m in mutations:
            m(doc)

    return mutate


def keep(doc: dict) -> None:
    """No mutation."""


@dataclass
class Case:
    """One malformed input and the problem line it must produce."""

    name: str
    where: str  # the location printed before the colon ("" for the whole document)
    phrase: str  # a key phrase of the message, on the same line as the location
    plan: Callable[[dict], None] | str | bytes = keep  # mutation, or the raw file content
    actuals: Callable[[dict], None] | str | bytes = keep
    plan_csv: bool = False  # the plan is a bare CSV table of operations
    actuals_csv: bool = False
    files: Callable[[Path], list[str]] | None = None  # custom setup: the CLI arguments
    source: str | None = None  # file name the error header must name (for whole-document problems)
    extra: list[str] = field(default_factory=list)

    def arguments(self, tmp_path: Path) -> list[str]:
        if self.files is not None:
            return self.files(tmp_path)
        plan_path = tmp_path / ("plan.csv" if self.plan_csv else "plan.json")
        actuals_path = tmp_path / ("actuals.csv" if self.actuals_csv else "actuals.json")
        for path, content, build, as_csv, table in (
            (plan_path, self.plan, valid_plan, self.plan_csv, "operations"),
            (actuals_path, self.actuals, valid_actuals, self.actuals_csv, "records"),
        ):
            if isinstance(content, bytes):
                path.write_bytes(content)
            elif isinstance(content, str):
                path.write_text(content, encoding="utf-8")
            else:
                doc = build()
                content(doc)
                if as_csv:
                    write_csv(path, doc[table])
                else:
                    write_json(path, doc)
        return ["--plan", str(plan_path), "--actuals", str(actuals_path), *self.extra]


# -- custom file setups ------------------------------------------------------------


def _missing_plan(tmp: Path) -> list[str]:
    write_json(tmp / "actuals.json", valid_actuals())
    return ["--plan", str(tmp / "nowhere.json"), "--actuals", str(tmp / "actuals.json")]


def _missing_actuals(tmp: Path) -> list[str]:
    write_json(tmp / "plan.json", valid_plan())
    return ["--plan", str(tmp / "plan.json"), "--actuals", str(tmp / "nowhere.csv")]


def _two_versions(second: Callable[[dict], None]) -> Callable[[Path], list[str]]:
    def setup(tmp: Path) -> list[str]:
        first, other = valid_plan(), valid_plan()
        other["published_at"] = t(8)
        second(other)
        write_json(tmp / "v1.json", first)
        write_json(tmp / "v2.json", other)
        write_json(tmp / "actuals.json", valid_actuals())
        return ["--plan", str(tmp / "v1.json"), "--plan", str(tmp / "v2.json"),
                "--actuals", str(tmp / "actuals.json")]

    return setup


def _plan_naming_csv(mutate: Callable[[dict], None], table: str = "ops.csv") -> Callable[[Path], list[str]]:
    """A JSON plan whose ``operations`` names a CSV file beside it."""

    def setup(tmp: Path) -> list[str]:
        doc = valid_plan()
        mutate(doc)
        write_csv(tmp / "ops.csv", doc["operations"])
        doc["operations"] = table
        write_json(tmp / "plan.json", doc)
        write_json(tmp / "actuals.json", valid_actuals())
        return ["--plan", str(tmp / "plan.json"), "--actuals", str(tmp / "actuals.json")]

    return setup


def _csv_text(tmp: Path, name: str, text: str | bytes, plan: bool) -> list[str]:
    path = tmp / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    if plan:
        write_json(tmp / "actuals.json", valid_actuals())
        return ["--plan", str(path), "--actuals", str(tmp / "actuals.json")]
    write_json(tmp / "plan.json", valid_plan())
    return ["--plan", str(tmp / "plan.json"), "--actuals", str(path)]


_PLAN_HEADER = "id,product,resource,quantity,start,end,after\n"
_BAD_JSON = '{\n  "format": "riskengine.plan/1",\n  "id": "wk47-v1",,\n  "bucket_hours": 8\n}\n'
_LATIN1 = json.dumps(valid_plan()).replace('"A"', '"Bl\u00e9"').encode("latin-1")

CASES = [
    # -- plan: references and ids
    Case("unknown resource", "operations[1].resource", "unknown resource 'L9'",
         plan=edit("operations", 1, "resource", "L9")),
    Case("duplicate operation id", "operations[2].id", "duplicate id 'WO1-10'",
         plan=edit("operations", 2, "id", "WO1-10")),
    Case("duplicate resource id", "resources[2].id", "duplicate id 'L1'",
         plan=lambda doc: doc["resources"].append({"id": "L1"})),
    Case("empty operation id", "operations[0].id", "at least 1 character",
         plan=edit("operations", 0, "id", "")),
    Case("operation id not a string", "operations[0].id", "valid string",
         plan=edit("operations", 0, "id", 10)),
    # -- plan: numbers
    Case("negative quantity", "operations[1].quantity", "greater than 0, got -5",
         plan=edit("operations", 1, "quantity", -5)),
    Case("zero quantity", "operations[1].quantity", "greater than 0, got 0",
         plan=edit("operations", 1, "quantity", 0)),
    Case("NaN quantity", "operations[0].quantity", "finite number",
         plan=edit("operations", 0, "quantity", math.nan)),
    Case("quantity too large for a float", "operations[0].quantity", "finite number",
         plan=edit("operations", 0, "quantity", 1e400)),
    Case("quantity not a number", "operations[0].quantity", "valid number",
         plan=edit("operations", 0, "quantity", "many")),
    Case("negative setup", "operations[2].setup_hours", "greater than or equal to 0",
         plan=edit("operations", 2, "setup_hours", -0.5)),
    Case("setup longer than the window", "operations[0].setup_hours",
         "must not exceed the planned window", plan=edit("operations", 0, "setup_hours", 3)),
    Case("bucket_hours zero", "bucket_hours", "greater than 0, got 0", plan=edit("bucket_hours", 0)),
    Case("bucket_hours negative", "bucket_hours", "greater than 0, got -8",
         plan=edit("bucket_hours", -8)),
    Case("bucket_hours too small", "bucket_hours", "at most 100000",
         plan=edit("bucket_hours", 0.0001)),
    # -- plan: times
    Case("infinite time", "operations[0].end", "finite number of hours",
         plan=edit("operations", 0, "end", math.inf)),
    Case("hours out of range", "operations[0].start", "between -1000000 and 1000000",
         plan=edit("operations", 0, "start", 1e12)),
    Case("year out of range", "horizon.start", "years 1900 to 2999",
         plan=edit("horizon", "start", "9999-12-31T20:00:00+00:00")),
    Case("end before start", "operations[1].end", "must be after start",
         plan=edit("operations", 1, "end", t(1))),
    Case("end equal to start", "operations[1].end", "must be after start",
         plan=edit("operations", 1, "end", t(2))),
    Case("naive datetime", "operations[0].start", "UTC offset",
         plan=edit("operations", 0, "start", "2026-11-16T06:00:00")),
    Case("unparseable time", "operations[0].start", "must be an ISO 8601 time",
         plan=edit("operations", 0, "start", "next tuesday")),
    Case("impossible date", "operations[0].end", "must be an ISO 8601 time",
         plan=edit("operations", 0, "end", "2026-02-30T08:00:00+00:00")),
    Case("horizon end before start", "horizon.end", "must be after start",
         plan=edit("horizon", "end", t(-24))),
    Case("horizon end equal to start as hours", "horizon.end", "must be after start",
         plan=edit("horizon", "end", 0)),
    Case("horizon start as hours", "horizon.start", "not a number", plan=edit("horizon", "start", 0)),
    Case("published after the horizon", "published_at", "must not be after the horizon end",
         plan=edit("published_at", t(100))),
    # -- plan: routing
    Case("cycle in after", "operations[0].after", "routing has a cycle among operations WO1-10, WO1-20",
         plan=edit("operations", 0, "after", ["WO1-20"])),
    Case("self reference in after", "operations[2].after[0]", "cannot follow itself",
         plan=edit("operations", 2, "after", ["WO2-10"])),
    Case("unknown predecessor", "operations[1].after[1]", "unknown operation 'WO9-10'",
         plan=edit("operations", 1, "after", ["WO1-10", "WO9-10"])),
    Case("after not a list", "operations[1].after", "valid list", plan=edit("operations", 1, "after", 5)),
    # -- plan: document shape
    Case("wrong format tag", "format", "'riskengine.plan/1'", plan=edit("format", "riskengine.plan/2")),
    Case("actuals tag on a plan", "format", "'riskengine.plan/1'",
         plan=edit("format", "riskengine.actuals/1")),
    Case("missing format", "format", "Field required", plan=drop("format")),
    Case("missing horizon", "horizon", "Field required", plan=drop("horizon")),
    Case("empty operations", "operations", "at least 1 item", plan=edit("operations", [])),
    Case("no resources", "resources", "at least 1 item", plan=edit("resources", [])),
    Case("operations not a list", "operations", "valid list", plan=edit("operations", {"id": "x"})),
    Case("typo in an operation field", "operations[0].quantiy", "Extra inputs are not permitted",
         plan=rename("operations", 0, "quantity", "quantiy")),
    Case("typo in a top-level field", "bucket_hour", "Extra inputs are not permitted",
         plan=rename("bucket_hours", "bucket_hour")),
    Case("plan is a JSON array", "", "a plan must be a JSON object", plan="[1, 2, 3]\n",
         source="plan.json"),
    Case("invalid JSON syntax", "line 3 column 19", "not valid JSON: Expecting property name",
         plan=_BAD_JSON),
    Case("empty plan file", "line 1 column 1", "not valid JSON: Expecting value", plan=""),
    Case("JSON nested too deeply", "", "nested too deeply", plan="[" * 100_000 + "]" * 100_000,
         source="plan.json"),
    Case("JSON number too long", "", "not valid JSON", plan='{"format": ' + "9" * 5000 + "}",
         source="plan.json"),
    Case("plan not UTF-8", "", "not a UTF-8 text file", plan=_LATIN1, source="plan.json"),
    Case("plan file not found", "nowhere.json", "no such file", files=_missing_plan),
    # -- plan as CSV
    Case("CSV non-numeric quantity", "operations[1].quantity", "valid number, unable to parse",
         plan=edit("operations", 1, "quantity", "ten"), plan_csv=True),
    Case("CSV naive time", "operations[2].start", "UTC offset",
         plan=edit("operations", 2, "start", "2026-11-16 08:00"), plan_csv=True),
    Case("CSV unknown predecessor", "operations[1].after[1]", "unknown operation 'WO9'",
         plan=edit("operations", 1, "after", ["WO1-10", "WO9"]), plan_csv=True),
    Case("CSV unknown column", "operations[0].qty", "Extra inputs are not permitted",
         plan=rename("operations", 0, "quantity", "qty"), plan_csv=True),
    Case("CSV without rows", "operations", "the plan has no operations",
         files=lambda tmp: _csv_text(tmp, "plan.csv", _PLAN_HEADER, plan=True)),
    Case("CSV row longer than the header", "line 3", "more cells than header columns",
         files=lambda tmp: _csv_text(tmp, "plan.csv", _PLAN_HEADER + f"a,A,L1,1,{t(0)},{t(1)},\n"
                                     f"b,B,L1,1,{t(1)},{t(2)},,extra\n", plan=True)),
    Case("CSV plan not UTF-8", "", "not a UTF-8 text file", source="plan.csv",
         files=lambda tmp: _csv_text(tmp, "plan.csv", (_PLAN_HEADER + f"a,Bl\u00e9,L1,1,{t(0)},{t(1)},\n")
                                     .encode("latin-1"), plan=True)),
    Case("JSON plan naming a CSV: negative quantity", "operations[2].quantity", "greater than 0",
         files=_plan_naming_csv(edit("operations", 2, "quantity", -1))),
    Case("JSON plan naming a missing CSV", "operations", "no such CSV file",
         files=_plan_naming_csv(keep, table="missing.csv")),
    # -- several plan versions
    Case("two plan versions with the same id", "plans[1].id", "duplicate plan version id 'wk47-v1'",
         files=_two_versions(keep)),
    Case("two plan versions published at the same time", "plans[1].published_at",
         "published at the same time", files=_two_versions(both(edit("id", "wk47-v2"),
                                                                edit("published_at", t(0))))),
    Case("second plan version invalid", "operations[0].quantity", "greater than 0",
         source="v2.json", files=_two_versions(both(edit("id", "wk47-v2"),
                                                    edit("operations", 0, "quantity", -1)))),
    # -- actuals
    Case("actuals: unknown operation", "records[0].operation", "unknown operation 'WO9-10'",
         actuals=edit("records", 0, "operation", "WO9-10")),
    Case("actuals: unknown resource", "records[3].resource", "unknown resource 'L9'",
         actuals=edit("records", 3, "resource", "L9")),
    Case("actuals: negative quantity", "records[1].quantity", "greater than or equal to 0, got -3",
         actuals=edit("records", 1, "quantity", -3)),
    Case("actuals: NaN quantity", "records[1].quantity", "finite number",
         actuals=edit("records", 1, "quantity", math.nan)),
    Case("actuals: unknown cause", "records[0].cause", "must be one of material",
         actuals=edit("records", 0, "cause", "gremlins")),
    Case("actuals: end before start", "records[1].end", "must not be before start",
         actuals=edit("records", 1, "end", t(2))),
    Case("actuals: ISO start with hours end", "records[1].end", "both ISO times or both hours",
         actuals=edit("records", 1, "end", 4.5)),
    Case("actuals: naive time", "records[1].start", "UTC offset",
         actuals=edit("records", 1, "start", "2026-11-16T08:30")),
    Case("actuals: missing product on unplanned record", "records[3].product",
         "required for unplanned production", actuals=drop("records", 3, "product")),
    Case("actuals: quantity > 0 with missing start", "records[1].start", "required when quantity > 0",
         actuals=drop("records", 1, "start")),
    Case("actuals: quantity > 0 with missing end", "records[1].end", "required when quantity > 0",
         actuals=drop("records", 1, "end")),
    Case("actuals: typo in a field", "records[0].qty", "Extra inputs are not permitted",
         actuals=rename("records", 0, "quantity", "qty")),
    Case("actuals: wrong format tag", "format", "'riskengine.actuals/1'",
         actuals=edit("format", "riskengine.plan/1")),
    Case("actuals: missing records", "records", "Field required", actuals=drop("records")),
    Case("actuals: a JSON array", "", "actuals must be a JSON object", actuals="[]",
         source="actuals.json"),
    Case("actuals: invalid JSON", "line 1 column 2", "not valid JSON", actuals="{format}"),
    Case("actuals: file not found", "nowhere.csv", "no such file", files=_missing_actuals),
    Case("actuals CSV: non-numeric quantity", "records[1].quantity", "valid number",
         actuals=edit("records", 1, "quantity", "lots"), actuals_csv=True),
    Case("actuals CSV: unknown operation", "records[2].operation", "unknown operation 'WO7'",
         actuals=edit("records", 2, "operation", "WO7"), actuals_csv=True),
    Case("actuals CSV: not UTF-8", "", "not a UTF-8 text file", source="actuals.csv",
         files=lambda tmp: _csv_text(tmp, "actuals.csv", f"operation,quantity,start,end\nWO1-10,5,{t(0)},"
                                     f"{t(1)}\n,5,{t(1)},{t(2)},\u00e9\n".encode("latin-1"), plan=False)),
    Case("actuals CSV: header with an unknown column and no rows", "header.qty", "unknown column",
         source="actuals.csv",
         files=lambda tmp: _csv_text(tmp, "actuals.csv", "operation,qty,start,end\n", plan=False)),
]


def _runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # click < 8.2
    except TypeError:
        return CliRunner()  # click >= 8.2 keeps stderr apart by default


def problem_line(where: str, phrase: str) -> re.Pattern:
    """A problem line of the error message: the location, a colon, then the phrase."""
    if where:
        return re.compile(rf"^\s+(\S*/)?{re.escape(where)}: .*{re.escape(phrase)}", re.M)
    return re.compile(rf"^\s+.*{re.escape(phrase)}", re.M)


def check_rejected(case: Case, code: int, stdout: str, stderr: str, out: Path) -> None:
    assert code == 2, f"exit {code}\n{stdout}\n{stderr}"
    assert "Traceback" not in stdout + stderr
    assert "internal error" not in stderr
    assert problem_line(case.where, case.phrase).search(stderr), stderr
    if case.source:
        assert re.search(rf"invalid input in \S*{re.escape(case.source)}\b", stderr), stderr
    assert not out.exists(), "a result was written for invalid input"
    assert not list(out.parent.glob(f".{out.name}.*")), "a temporary result file was left behind"


def test_enough_distinct_cases():
    names = [c.name for c in CASES]
    assert len(set(names)) == len(names) >= 20


def test_the_valid_documents_measure(tmp_path):
    out = tmp_path / "out.json"
    args = Case("valid", "", "").arguments(tmp_path)
    result = _runner().invoke(main, ["measure", *args, "--json", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["total"]["planned"] > 0


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_exits_2_naming_the_field(case, tmp_path):
    out = tmp_path / "out.json"
    result = _runner().invoke(main, ["measure", *case.arguments(tmp_path), "--json", str(out)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    check_rejected(case, result.exit_code, result.stdout, result.stderr, out)


def _executable() -> str:
    beside = Path(sys.executable).with_name("riskengine")
    found = str(beside) if beside.exists() else shutil.which("riskengine")
    if found is None:
        pytest.skip("the riskengine executable is not installed")
    return found


SUBPROCESS_CASES = ["negative quantity", "NaN quantity", "cycle in after", "invalid JSON syntax",
                    "JSON nested too deeply", "plan not UTF-8", "actuals: end before start",
                    "actuals CSV: non-numeric quantity", "plan file not found"]


@pytest.mark.parametrize("name", SUBPROCESS_CASES)
def test_bad_input_in_the_installed_executable(name, tmp_path):
    case = next(c for c in CASES if c.name == name)
    out = tmp_path / "out.json"
    env = {k: v for k, v in os.environ.items() if k != "RISKENGINE_DEBUG"}
    proc = subprocess.run([_executable(), "measure", *case.arguments(tmp_path), "--json", str(out)],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    check_rejected(case, proc.returncode, proc.stdout, proc.stderr, out)


def test_every_problem_of_a_plan_is_reported_one_line_each(tmp_path):
    """Cross-reference problems are collected, not stopped at the first."""
    doc = valid_plan()
    doc["operations"][0]["resource"] = "L9"
    doc["operations"][1]["id"] = "WO2-10"
    doc["operations"][2]["end"] = t(1)
    doc["operations"][2]["after"] = ["WO0"]
    case = Case("several", "", "", plan=lambda d: d.update(copy.deepcopy(doc)))
    out = tmp_path / "out.json"
    result = _runner().invoke(main, ["measure", *case.arguments(tmp_path), "--json", str(out)])
    assert result.exit_code == 2
    expected = [("operations[2].id", "duplicate id 'WO2-10'"),
                ("operations[0].resource", "unknown resource 'L9'"),
                ("operations[2].end", "must be after start"),
                ("operations[2].after[0]", "unknown operation 'WO0'")]
    for where, phrase in expected:
        assert len(problem_line(where, phrase).findall(result.stderr)) == 1, result.stderr
    assert "(4 problems)" in result.stderr
    assert not out.exists()


def test_every_field_problem_is_reported_one_line_each(tmp_path):
    """Field-by-field problems are collected too, across operations and the horizon."""
    def mutate(doc):
        doc["operations"][0]["quantity"] = -1
        doc["operations"][1]["start"] = "yesterday"
        doc["operations"][2]["colour"] = "red"
        doc["bucket_hours"] = 0
        doc["horizon"]["end"] = "2026-11-17T06:00:00"

    case = Case("several", "", "", plan=mutate)
    out = tmp_path / "out.json"
    result = _runner().invoke(main, ["measure", *case.arguments(tmp_path), "--json", str(out)])
    assert result.exit_code == 2
    expected = [("operations[0].quantity", "greater than 0"),
                ("operations[1].start", "ISO 8601"),
                ("operations[2].colour", "Extra inputs"),
                ("bucket_hours", "greater than 0"),
                ("horizon.end", "UTC offset")]
    for where, phrase in expected:
        assert len(problem_line(where, phrase).findall(result.stderr)) == 1, result.stderr
    assert "(5 problems)" in result.stderr
    assert "Traceback" not in result.output


def test_every_problem_of_actuals_is_reported(tmp_path):
    def mutate(doc):
        doc["records"][0]["operation"] = "WO9"
        doc["records"][3]["resource"] = "L9"
        del doc["records"][3]["product"]

    case = Case("several", "", "", actuals=mutate)
    result = _runner().invoke(main, ["measure", *case.arguments(tmp_path)])
    assert result.exit_code == 2
    for where in ("records[0].operation", "records[3].resource", "records[3].product"):
        assert re.search(rf"^\s+{re.escape(where)}: ", result.stderr, re.M), result.stderr
    assert "(3 problems)" in result.stderr


def test_a_huge_value_is_not_echoed_in_full(tmp_path):
    case = Case("long id", "operations[0].id", "at most 200 characters",
                plan=edit("operations", 0, "id", "x" * 100_000))
    out = tmp_path / "out.json"
    result = _runner().invoke(main, ["measure", *case.arguments(tmp_path), "--json", str(out)])
    check_rejected(case, result.exit_code, result.stdout, result.stderr, out)
    assert len(result.stderr) < 1000


def test_a_json_file_with_a_byte_order_mark_is_accepted(tmp_path):
    """Not bad input: editors on Windows write a BOM; CSV already accepts it."""
    case = Case("BOM", "", "", plan=("\ufeff" + json.dumps(valid_plan())))
    result = _runner().invoke(main, ["measure", *case.arguments(tmp_path), "--quiet"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("options, phrase", [
    (["--bucket-hours", "-1"], "--bucket-hours"),
    (["--bucket-hours", "0"], "--bucket-hours"),
    (["--bucket-hours", "eight"], "--bucket-hours"),
    (["--lateness-tolerance", "-2"], "--lateness-tolerance"),
    (["--quantity-tolerance", "1.5"], "--quantity-tolerance"),
    (["--sequence-basis", "diagonal"], "--sequence-basis"),
    (["--no-such-option"], "--no-such-option"),
], ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_cli_option_errors_exit_2(options, phrase, tmp_path):
    out = tmp_path / "out.json"
    args = Case("valid", "", "").arguments(tmp_path)
    result = _runner().invoke(main, ["measure", *args, *options, "--json", str(out)])
    assert result.exit_code == 2, result.output
    assert phrase in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()


def test_missing_required_option_exits_2(tmp_path):
    write_json(tmp_path / "plan.json", valid_plan())
    result = _runner().invoke(main, ["measure", "--plan", str(tmp_path / "plan.json")])
    assert result.exit_code == 2
    assert "--actuals" in result.stderr


@pytest.mark.parametrize("option", ["--bucket-hours", "--lateness-tolerance", "--quantity-tolerance"])
def test_nan_option_exits_2(option, tmp_path):
    args = Case("valid", "", "").arguments(tmp_path)
    result = _runner().invoke(main, ["measure", *args, option, "nan"])
    assert result.exit_code == 2, result.output
    assert option.lstrip("-").replace("-", "_").split("_")[0] in result.stderr
