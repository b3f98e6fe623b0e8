"""CSV as spreadsheets export it (issue 14.13-14): semicolon-separated files with decimal commas
read as their comma twins; an undetectable delimiter is refused by name; a plan given as a bare
operations CSV says what it lacks, and a plan JSON naming the CSV carries calendars and the rest."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import riskengine as re
from riskengine.cli import main
from riskengine.errors import InputError
from riskengine.io.readers import CSV_PLAN_WARNING, csv_delimiter, read_csv_rows, read_plan

FACTORY = Path(__file__).resolve().parent.parent / "scenarios" / "example-factory"


def operations_csv(path: Path, delimiter: str = ",") -> Path:
    """The example plan's operations as a CSV (lists joined as the delimiter requires)."""
    doc = json.loads((FACTORY / "plan-v1.json").read_text())
    columns = ["id", "order", "product", "family", "resource", "quantity", "start", "end", "setup_hours",
               "after", "materials"]
    joiner = "," if delimiter == ";" else ";"
    with path.open("w", newline="") as f:
        w = csv.writer(f, delimiter=delimiter)
        w.writerow(columns)
        for op in doc["operations"]:
            row = []
            for c in columns:
                v = op.get(c)
                if isinstance(v, list):
                    v = joiner.join(v)
                elif isinstance(v, float) and delimiter == ";":
                    v = f"{v}".replace(".", ",")  # a decimal comma, as such a spreadsheet writes
                row.append("" if v is None else v)
            w.writerow(row)
    return path


def test_a_semicolon_plan_with_decimal_commas_reads_as_its_comma_twin(tmp_path):
    comma = read_plan(operations_csv(tmp_path / "comma.csv", ","))
    semi = read_plan(operations_csv(tmp_path / "semi.csv", ";"))
    assert semi.operations == comma.operations
    assert any(op.after for op in semi.operations) and any(len(op.materials) > 1 for op in semi.operations)
    assert any(op.setup_hours % 1 for op in semi.operations)  # decimal commas were there and read


def test_semicolon_actuals_measure_as_the_comma_ones(tmp_path):
    rows = list(csv.reader((FACTORY / "actuals.csv").open()))
    semi = tmp_path / "actuals.csv"
    with semi.open("w", newline="") as f:
        csv.writer(f, delimiter=";").writerows(rows)
    history = re.read_history([FACTORY / f"plan-v{k}.json" for k in (1, 2, 3)])
    a = re.measure(history, re.read_actuals(FACTORY / "actuals.csv", history)).to_dict()
    b = re.measure(history, re.read_actuals(semi, history)).to_dict()
    assert a == b and a["total"]["produced"] == 225145


def test_tab_separated_is_read_and_an_unknown_delimiter_is_named(tmp_path):
    assert csv_delimiter("a\tb\tc\n1\t2\t3\n", "x") == "\t"
    assert csv_delimiter("a;b\n1,5;2\n", "x") == ";"  # the decimal comma does not fool it
    bad = tmp_path / "pipes.csv"
    bad.write_text("operation|product|quantity\nA|B|1\n")
    with pytest.raises(InputError) as e:
        read_csv_rows(bad)
    assert str(e.value.problems[0]) == ("header: cannot tell the columns apart: the header line has no "
                                        "comma, semicolon or tab (it has '|': riskengine reads comma, "
                                        "semicolon or tab separated files)")


def test_too_many_cells_in_a_semicolon_file_says_how_to_separate_lists(tmp_path):
    bad = tmp_path / "plan.csv"
    bad.write_text("id;product;after\nA;P;X;Y\n")
    with pytest.raises(InputError, match="separate list items with ','"):
        read_csv_rows(bad)


def test_a_bare_operations_csv_plan_warns_what_it_lacks(tmp_path):
    path = operations_csv(tmp_path / "ops.csv")
    plan = read_plan(path)
    assert plan.calendars is None and plan.setup_matrix is None and plan.materials is None
    result = CliRunner().invoke(main, ["score", str(path), "--premises", str(FACTORY / "premises.toml"),
                                       "--replications", "20", "--json", "-"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["warnings"] == [CSV_PLAN_WARNING.format(name="ops.csv")]
    assert "warning: plan ops.csv is a bare operations table" in result.stderr


def test_a_plan_json_naming_the_csv_carries_calendars_and_materials(tmp_path):
    doc = json.loads((FACTORY / "plan-v1.json").read_text())
    operations_csv(tmp_path / "ops.csv")
    doc["operations"] = "ops.csv"
    (tmp_path / "plan.json").write_text(json.dumps(doc))
    plan, original = read_plan(tmp_path / "plan.json"), read_plan(FACTORY / "plan-v1.json")
    assert plan.calendars == original.calendars and plan.calendars is not None
    assert plan.operations == original.operations
    assert re.model.plan.plan_warnings(plan) == []
