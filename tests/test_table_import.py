"""Spreadsheet import (issue 21): the example factory's planning sheet (.xlsx and a semicolon CSV
with local times and German headers) imports to plan-v1 exactly; bad cells, DST gaps and
repeated hours exit 2 naming the cell; delimiters are detected; the map is checked."""

from __future__ import annotations

import builtins
import importlib.util
import json
import tomllib
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from riskengine.cli import main
from riskengine.errors import InputError
from riskengine.interop.tables import KINDS, TableMap, convert, import_table, template

ROOT = Path(__file__).resolve().parent.parent
FACTORY = ROOT / "scenarios" / "example-factory"
SHEETS = FACTORY / "spreadsheet"
MAP = SHEETS / "map.toml"


def _load_maker():
    spec = importlib.util.spec_from_file_location("make_spreadsheet", SHEETS / "make_spreadsheet.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(*args: str):
    return CliRunner().invoke(main, ["import", "table", *args])


@pytest.mark.parametrize("name", ["wk47-v1.xlsx", "wk47-v1.csv"])
def test_example_spreadsheet_imports_to_the_example_plan_exactly(tmp_path, name):
    out = tmp_path / "plan.json"
    r = run(str(SHEETS / name), "--kind", "plan", "--map", str(MAP), "--timezone", "Europe/Berlin",
            "--json", str(out))
    assert r.exit_code == 0, r.output
    assert "note: ignored columns not in the map: Bemerkung, Status" in r.output
    assert "imported plan wk47-v1: 114 operations on 4 resources" in r.output
    expected = json.loads((FACTORY / "plan-v1.json").read_text())
    del expected["orders"]  # the operations sheet has no due dates (orders: import table --kind orders)
    assert json.loads(out.read_text()) == expected


def test_committed_spreadsheet_is_current():
    maker = _load_maker()
    assert (SHEETS / "wk47-v1.csv").read_bytes().decode("utf-8") == maker.csv_text()
    import openpyxl

    book = openpyxl.load_workbook(SHEETS / "wk47-v1.xlsx", read_only=True)
    cells = [list(r) for r in book[maker.SHEET].iter_rows(values_only=True)]
    book.close()
    assert cells == [maker.HEADER, *maker.rows()]
    assert cells[1][6] == datetime(2026, 11, 16, 6, 0)  # a date cell, naive local time


def _csv(tmp_path: Path, replace: tuple[str, str] | None = None, name: str = "wk47-v1.csv") -> Path:
    text = (SHEETS / "wk47-v1.csv").read_text(encoding="utf-8")
    if replace:
        assert replace[0] in text
        text = text.replace(replace[0], replace[1], 1)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_dst_gap_and_repeated_hour_exit_2_naming_the_cell(tmp_path):
    gap = _csv(tmp_path, ("16.11.2026 10:15;16.11.2026 12:45", "29.03.2026 02:30;16.11.2026 12:45"))
    r = run(str(gap), "--kind", "plan", "--map", str(MAP), "--timezone", "Europe/Berlin")
    assert r.exit_code == 2, r.output
    assert ("cell G3 (Beginn, operations[1].start): 2026-03-29 02:30 does not exist in Europe/Berlin "
            "(the clocks go forward by 1 h that night: 01:30 +01:00 or 03:30 +02:00?)") in r.output
    assert "Traceback" not in r.output
    twice = _csv(tmp_path, ("16.11.2026 06:00;16.11.2026 10:15", "16.11.2026 06:00;25.10.2026 02:30"))
    r = run(str(twice), "--kind", "plan", "--map", str(MAP), "--timezone", "Europe/Berlin")
    assert r.exit_code == 2
    assert ("cell H2 (Ende, operations[0].end): 2026-10-25 02:30 is ambiguous in Europe/Berlin (the clocks "
            "go back by 1 h that night and the time occurs twice: 02:30 +02:00 or 02:30 +01:00?)") in r.output


def test_dst_gap_in_a_workbook_names_sheet_and_cell(tmp_path):
    import openpyxl

    maker = _load_maker()
    rows = maker.rows()
    rows[2][7] = datetime(2026, 3, 29, 2, 0)
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = maker.SHEET
    for row in [maker.HEADER, *rows]:
        ws.append(row)
    path = tmp_path / "wk47-v1.xlsx"
    book.save(path)
    with pytest.raises(InputError) as err:
        import_table(path, "plan", MAP, timezone="Europe/Berlin")
    assert [p.location for p in err.value.problems] == ["cell Arbeitsgänge!H4 (Ende, operations[2].end)"]
    assert err.value.problems[0].message.startswith("2026-03-29 02:00 does not exist in Europe/Berlin")


def test_bad_values_are_named_by_cell_and_field(tmp_path):
    bad = _csv(tmp_path, (";P1;2.500;", ";P1;-5;"))
    with pytest.raises(InputError) as err:
        import_table(bad, "plan", MAP, timezone="Europe/Berlin")
    assert [str(p) for p in err.value.problems] == [
        "cell F2 (Menge, operations[0].quantity): Input should be greater than 0, got -5.0"]
    bad = _csv(tmp_path, (";P1;2.500;", ";P1;viel;"))
    with pytest.raises(InputError) as err:
        import_table(bad, "plan", MAP, timezone="Europe/Berlin")
    assert [str(p) for p in err.value.problems] == ["cell F2 (Menge, operations[0].quantity): "
                                                    "must be a number, got 'viel'"]
    bad = _csv(tmp_path, ("WO1047-10;WO1047;CRK-SESAME;crackers;P1",
                          "WO1057-10;WO1047;CRK-SESAME;crackers;P9"))
    with pytest.raises(InputError) as err:
        import_table(bad, "plan", MAP, timezone="Europe/Berlin")
    assert [str(p) for p in err.value.problems] == [
        "cell A3 (Arbeitsgang, operations[1].id): duplicate id 'WO1057-10'",
        "cell E3 (Linie, operations[1].resource): unknown resource 'P9'",
        "cell J60 (Vorgänger, operations[58].after[0]): unknown operation 'WO1047-10'"]


def test_naive_times_need_a_timezone(tmp_path):
    with pytest.raises(InputError) as err:
        import_table(SHEETS / "wk47-v1.csv", "plan", MAP)
    first = err.value.problems[0]
    assert first.location == "cell G2 (Beginn, operations[0].start)"
    assert "must include a UTC offset" in first.message and "--timezone Europe/Berlin" in first.message
    assert len(err.value.problems) == 2 * 114
    with pytest.raises(InputError) as err:
        import_table(SHEETS / "wk47-v1.xlsx", "plan", MAP)
    assert err.value.problems[0].location == "cell Arbeitsgänge!G2 (Beginn, operations[0].start)"


@pytest.mark.parametrize("delimiter", [",", "\t", "|", ";"])
def test_delimiter_is_detected(tmp_path, delimiter):
    rows = [["Auftrag", "AG", "Produkt", "Maschine", "Stück", "Start", "Ende", "Notiz"],
            ["A1", "A1-10", "X", "M1", "10", "2026-11-16T06:00", "2026-11-16T08:00", "eilt, bitte"],
            ["A1", "A1-20", "X", "M2", "10", "2026-11-16T08:30", "2026-11-16T09:00", ""]]
    quote = (lambda v: f'"{v}"' if "," in v else v) if delimiter == "," else (lambda v: v)
    text = "\n".join(delimiter.join(map(quote, row)) for row in rows)
    path = tmp_path / "plan.csv"
    path.write_text(text + "\n", encoding="utf-8")
    table_map = TableMap(columns={"order": "Auftrag", "id": "AG", "product": "Produkt",
                                  "resource": "Maschine", "quantity": "Stück", "start": "Start",
                                  "end": "Ende"})
    doc = import_table(path, "plan", table_map, timezone="UTC").document
    assert [(op["id"], op["resource"], op["start"]) for op in doc["operations"]] == [
        ("A1-10", "M1", "2026-11-16T06:00:00+00:00"), ("A1-20", "M2", "2026-11-16T08:30:00+00:00")]
    assert doc["horizon"] == {"start": "2026-11-16T06:00:00+00:00", "end": "2026-11-16T09:00:00+00:00"}
    assert doc["resources"] == [{"id": "M1"}, {"id": "M2"}] and doc["id"] == "plan"


def test_numbers_units_and_lists():
    from riskengine.interop.tables import Format

    german, plain = Format(decimal=","), Format()
    assert convert("2.500,5", "number", german, None) == 2500.5
    assert convert("1 234,25", "number", german, None) == 1234.25
    assert convert("2,500.5", "number", plain, None) == 2500.5
    assert convert(45, "hours", plain, None, "minutes") == 0.75
    assert convert("5400", "hours", plain, None, "seconds") == 1.5
    assert convert("0,5", "hours", german, None, "days") == 12.0
    assert convert(1057.0, "text", plain, None) == "1057"
    assert convert("a; b ;;c", "list", plain, None) == ["a", "b", "c"]
    for text, fmt in (("1,5", plain), ("1.5", german), ("12.34.5", german)):
        with pytest.raises(ValueError, match="must be a number"):
            convert(text, "number", fmt, None)


def test_map_problems_are_located_in_the_map(tmp_path):
    path = tmp_path / "map.toml"
    path.write_text('[columns]\nid = "AG"\nstart = "Beginn"\nprodukt = "Artikel"\n'
                    '[units]\nquantity = "minutes"\n', encoding="utf-8")
    r = run(str(SHEETS / "wk47-v1.csv"), "--kind", "plan", "--map", str(path))
    assert r.exit_code == 2
    assert f"invalid input in {path}" in r.output
    for line in ("[columns].produkt: not a field of plan (fields: id, order, product,",
                 "[columns]: must name the column of product (product)",
                 "[columns]: must name the column of end (planned end)",
                 "[units].quantity: units convert durations only (fields: setup_hours, work_hours)"):
        assert line in r.output
    path.write_text('[columns]\nquantity = "Stück"\n[format]\ndecimal = ";"\n', encoding="utf-8")
    r = run(str(SHEETS / "wk47-v1.csv"), "--kind", "actuals", "--map", str(path))
    assert r.exit_code == 2 and "format.decimal: Input should be '.' or ','" in r.output
    path.write_text('[columns]\nquantity = "Stück"\n', encoding="utf-8")
    r = run(str(SHEETS / "wk47-v1.csv"), "--kind", "actuals", "--map", str(path))
    assert r.exit_code == 2 and "[columns].quantity: no column 'Stück' in the file (its columns: " \
                                "Arbeitsgang, Auftrag," in r.output


def test_actuals_table_checked_against_the_plan(tmp_path):
    path = tmp_path / "rueckmeldungen.csv"
    path.write_text("Arbeitsgang;Gutmenge;Start;Ende;Grund;Schicht\n"
                    "WO1057-10;2.480;16.11.2026 06:39;16.11.2026 11:02;setup;Früh\n"
                    ";300;16.11.2026 12:00;16.11.2026 12:30;;Früh\n"
                    "WO9999-10;100;16.11.2026 12:00;16.11.2026 12:30;;Spät\n", encoding="utf-8")
    table_map = tmp_path / "map.toml"
    table_map.write_text('kind = "actuals"\n[columns]\noperation = "Arbeitsgang"\nquantity = "Gutmenge"\n'
                         'start = "Start"\nend = "Ende"\ncause = "Grund"\n'
                         '[format]\ndatetime = "%d.%m.%Y %H:%M"\ndecimal = ","\ntimezone = "Europe/Berlin"\n',
                         encoding="utf-8")
    r = run(str(path), "--kind", "actuals", "--map", str(table_map), "--plan", str(FACTORY / "plan-v1.json"))
    assert r.exit_code == 2
    assert "cell A4 (Arbeitsgang, records[2].operation): unknown operation 'WO9999-10'" in r.output
    assert "row 3 (records[1].product): required for unplanned production" in r.output
    path.write_text("\n".join(path.read_text(encoding="utf-8").splitlines()[:2]) + "\n", encoding="utf-8")
    r = run(str(path), "--kind", "actuals", "--map", str(table_map), "--plan", str(FACTORY / "plan-v1.json"),
            "--quiet", "--json", "-")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output) == {"format": "riskengine.actuals/1", "records": [
        {"operation": "WO1057-10", "quantity": 2480.0, "start": "2026-11-16T06:39:00+01:00",
         "end": "2026-11-16T11:02:00+01:00", "cause": "setup"}]}


@pytest.mark.parametrize("kind", list(KINDS))
def test_template_is_a_valid_commented_map(kind):
    r = run("--template", "--kind", kind)
    assert r.exit_code == 0
    assert r.output == template(kind)
    parsed = TableMap.model_validate(tomllib.loads(r.output))
    assert parsed.kind == kind and set(parsed.columns) == set(KINDS[kind].required)
    assert r.output.count("# ") > 20


def test_kinds_cover_the_model_fields():
    from riskengine.model.actuals import Record
    from riskengine.model.plan import Operation

    assert set(KINDS["plan"].fields) == set(Operation.model_fields)
    assert set(KINDS["actuals"].fields) == set(Record.model_fields)


def test_xlsx_without_openpyxl_names_the_extra(monkeypatch):
    real = builtins.__import__

    def no_openpyxl(name, *args, **kwargs):
        if name == "openpyxl" or name.startswith("openpyxl."):
            raise ImportError("No module named 'openpyxl'")
        return real(name, *args, **kwargs)

    monkeypatch.delitem(__import__("sys").modules, "openpyxl", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_openpyxl)
    r = run(str(SHEETS / "wk47-v1.xlsx"), "--kind", "plan", "--map", str(MAP), "--timezone", "Europe/Berlin")
    assert r.exit_code == 2, r.output
    assert r.output == ("error: reading .xlsx workbooks needs openpyxl, which is not installed: "
                        "python -m pip install 'riskengine[sheets]'\n")
