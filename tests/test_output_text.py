"""What a planner reads (issue 14.7-9): dates in the plan's offset with hours second, aligned tables
that never cut an id or a list, one rounding, and every figure explained where it is shown (what a
HIT is, riskiest versus critical operations, cruciality and SSI) on the terminal, in the HTML report
and in --help."""

from __future__ import annotations

import json
import re as regex
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

import riskengine as re
from riskengine.analysis.compare import compare
from riskengine.analysis.score import score
from riskengine.cli import main
from riskengine.io.readers import read_premises
from riskengine.report.html import render_report
from riskengine.report.terminal import CRUCIALITY, SSI, clock, listing, table

FACTORY = Path(__file__).resolve().parent.parent / "scenarios" / "example-factory"
DATE = r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d\d (Nov|Dec) \d\d:\d\d"


@pytest.fixture(scope="module")
def scored():
    plan = re.read_plan(FACTORY / "plan-v1.json")
    return plan, score(plan, read_premises(FACTORY / "premises.toml"), replications=60, seed=2)


def test_finish_is_shown_as_dates_in_the_plan_offset_with_hours_second(scored):
    plan, result = scored
    text = str(result)
    rows = text.split("Finish of the last operation")[1].splitlines()[2:6]
    for row, key in zip(rows, ("mean", "p50", "p80", "p90"), strict=True):
        hours = result.finish[key]
        assert row.split() == [key.upper() if key != "mean" else "mean",
                               *clock(plan.horizon.start, hours).split(), f"+{hours:.1f}", "h"]
    assert "(times in UTC+01:00)" in text.splitlines()[1]  # the plan's offset, said once
    # the JSON says the same as dates too
    assert result.finish_at["p80"] == (plan.horizon.start + timedelta(hours=result.finish["p80"])).isoformat()
    risky = text.split("Riskiest operations")[1]
    assert regex.search(r"WO\S+\s+\S+\s+\S+%\s+" + DATE + r"\s+\d+\.\d h", risky)


def test_every_figure_is_explained_where_it_is_shown(scored):
    _, result = scored
    text = " ".join(str(result).split())  # the terminal wraps prose; the words are what count
    assert ("An operation is a HIT when it completes within its planned bucket (8 h) plus 1 h, with at "
            "least 98% of its quantity, in sequence; the plan holds when every operation is a HIT.") in text
    assert "Riskiest operations: the 5 least likely to be a HIT" in text
    assert "Critical operations: where the failures start" in text
    assert f"cruciality: {CRUCIALITY}" in text and f"SSI: {SSI}" in text
    html = " ".join(render_report(result).split())
    assert "An operation is a HIT when it completes within its planned bucket (8 h) plus 1 h" in html
    assert "Riskiest operations: the least likely to be a HIT" in html
    assert "Critical operations: where the failures start" in html
    assert f"Cruciality: {CRUCIALITY}".replace("'", "&#x27;") in html and "SSI: schedule sensitivity" in html
    assert regex.search("The last operation finishes on average " + DATE + r" \(\+\d+\.\d h\)", html)
    helped = " ".join(CliRunner().invoke(main, ["score", "--help"]).output.split())
    for words in ("An operation is a HIT when it completes within its planned bucket", "Cruciality:",
                  "SSI: sd(its duration) / sd(the plan's finish) x criticality",
                  "critical operations are where the failures start"):
        assert words in helped


def test_the_cause_list_is_never_cut(scored):
    _, result = scored
    text = " ".join(str(result).split())
    listed = text.split("Miss causes (share of all misses): ")[1]
    assert len(result.causes) >= 7
    for c in result.causes:
        assert f"{c['cause']} " in listed
    history = re.read_history([FACTORY / f"plan-v{k}.json" for k in (1, 2, 3)])
    measured = str(re.measure(history, re.read_actuals(FACTORY / "actuals.csv", history)))
    for cause in ("knock-on", "performance", "breakdown", "material"):  # 8 causes, the last two were cut
        assert regex.search(rf"\n    {cause}\s+\d+\s+\d+\s+\d+%", measured)


def test_compare_shows_long_plan_ids_whole(tmp_path):
    doc = json.loads((FACTORY / "plan-v1.json").read_text())
    doc["id"] = "week-47-version-1-after-the-sales-meeting"
    plan = re.parse_plan(doc)
    other = re.read_plan(FACTORY / "plan-v2.json")
    text = str(compare([plan, other], read_premises(FACTORY / "premises.toml"), replications=10))
    lines = text.splitlines()
    orders = sum(1 for line in lines if doc["id"] in line and "WO1" in line)  # orders that differ
    # plans table, every difference, orders table, ranking
    assert sum(doc["id"] in line for line in lines) == 1 + 7 + 1 + orders + 1
    header = next(line for line in lines if line.strip().startswith("a "))
    row = next(line for line in lines if doc["id"] in line and "bts" in line)
    assert row.index("bts") == header.index("metric")  # aligned, not pushed out of its column


def test_tables_widen_to_their_widest_cell_and_listings_say_what_they_leave_out():
    lines = table(["band", "rigor", "score"], [["<24h", "volume x mix x sequence", "72.0%"],
                                               ["rest", "volume", "89.2%"]], align="llr")
    assert lines == ["    band  rigor                    score",
                     "    <24h  volume x mix x sequence  72.0%",
                     "    rest  volume                   89.2%"]
    assert listing(["a", "b", "c", "d"], limit=2) == "a, b, and 2 more"
    assert listing(["a", "b"], limit=2) == "a, b"


def test_one_rounding_and_never_zero_for_a_share_above_zero(scored):
    from riskengine.adherence.figures import pct

    assert [pct(0.003), pct(0.003, 0), pct(0.0004), pct(0.0)] == ["0.3%", "<0.5%", "<0.05%", "0.0%"]
    assert [pct(0.9996), pct(0.996, 0), pct(1.0, 0)] == [">99.95%", ">99.5%", "100%"]
    assert [pct(0.625, 0), pct(0.515, 0), pct(None)] == ["63%", "52%", "-"]  # half up: 51.5% shows as 52%
    _, result = scored
    shown = " ".join(str(result).split())
    assert f"d1 {pct(result.holds_through_day[0]['mean'])}" in shown  # the same digits as plan holds
    assert f"executed as planned: {pct(result.plan_holds['mean'])}" in shown


def late_orders_plan(tmp_path: Path, n: int) -> Path:
    """One line making ``n`` orders of one operation each, every one planned after its due date."""
    ops = [{"id": f"O{k:03d}-10", "order": f"O{k:03d}", "product": "A", "resource": "L1", "quantity": 10,
            "start": k, "end": k + 1} for k in range(n)]
    doc = {"format": "riskengine.plan/1", "id": "late", "horizon": {"start": "2026-11-16T06:00:00+01:00",
                                                                    "end": n + 8}, "bucket_hours": 8,
           "resources": [{"id": "L1"}], "operations": ops,
           "orders": [{"id": f"O{k:03d}", "due": k + 0.5} for k in range(n)]}
    path = tmp_path / "late.json"
    path.write_text(json.dumps(doc))
    return path


def test_warnings_on_the_terminal_stop_at_20_and_say_how_many_more(tmp_path):
    """A big plan can warn of tens of thousands of late orders: the terminal (and stderr with
    --quiet) shows 20 and counts the rest; the JSON keeps every one."""
    plan = late_orders_plan(tmp_path, 25)
    premises = tmp_path / "premises.json"
    premises.write_text(json.dumps({"format": "riskengine.premises/1"}))
    args = ["score", str(plan), "--premises", str(premises), "--replications", "20"]
    shown = CliRunner().invoke(main, args)
    assert shown.exit_code == 0, shown.output
    quiet = CliRunner().invoke(main, [*args, "--quiet", "--json", str(tmp_path / "out.json")])
    assert quiet.exit_code == 0, quiet.output
    everything = json.loads((tmp_path / "out.json").read_text())["warnings"]
    late = [w for w in everything if "after its due date" in w]
    assert len(late) == 25
    stderr = quiet.stderr.splitlines()
    assert stderr[:20] == [f"warning: {w}" for w in everything[:20]]
    n = len(everything)
    more = f"... and {n - 20} more warnings (the JSON result, --json, lists all {n})"
    assert stderr[20:] == [more]
    assert shown.stdout.count("warning: ") == 20
    assert f"... and {len(everything) - 20} more warnings" in shown.stdout


def test_the_reports_orders_at_risk_table_is_bounded_and_says_how_many_it_shows(scored):
    """Like the Gantt chart: the least likely orders first, the caption says how many of how many."""
    from riskengine.analysis.order_text import at_risk_rows
    from riskengine.report.order_pages import orders_at_risk_blocks

    orders = scored[1].to_dict()["orders"]
    risky = at_risk_rows(orders, None)
    assert len(risky) >= 3
    [bounded, _] = orders_at_risk_blocks(orders, limit=2)
    assert bounded.count("<tr>") == 3  # the header and two orders
    assert risky[0]["id"] in bounded and risky[1]["id"] in bounded and risky[2]["id"] not in bounded
    assert f"(the 2 least likely of {len(risky)}; the JSON result lists all)" in bounded
    [whole, _] = orders_at_risk_blocks(orders)
    assert whole.count("<tr>") == len(risky) + 1 and "least likely of" not in whole
