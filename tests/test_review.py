"""Issue 20, review and sign-off: the review sheet of the example week, its flags template, and the
sign-off round trip (the validated plan re-reads as the same plan; measure sees its status)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import riskengine as rk
from riskengine.cli import main
from riskengine.governance.owners import DEFAULT_OWNERS
from riskengine.governance.review import review
from riskengine.governance.text import review_headline as headline
from riskengine.model.premises import parse_premises

ROOT = Path(__file__).resolve().parent.parent
FACTORY = ROOT / "scenarios" / "example-factory"
PLAN, PREMISES = str(FACTORY / "plan-v1.json"), str(FACTORY / "premises.toml")


@pytest.fixture(scope="module")
def sheet():
    return review(rk.read_plan(PLAN), rk.read_premises(PREMISES), replications=300, seed=1, top=5).to_dict()


def test_the_sheet_lists_the_operations_least_likely_to_hold_with_their_causes(sheet):
    scored = rk.score(rk.read_plan(PLAN), rk.read_premises(PREMISES), replications=300, seed=1)
    expected = [o["id"] for o in scored.riskiest(5)]
    assert [o["id"] for o in sheet["operations"]] == expected  # the same score, the same order
    by_id = {o["id"]: o for o in scored.to_dict()["operations"]}
    for o in sheet["operations"]:
        assert o["hit"] == by_id[o["id"]]["hit"]
        probabilities = [c["probability"] for c in o["causes"]]
        assert probabilities == sorted(probabilities, reverse=True)
        assert sum(probabilities) == pytest.approx(1 - o["hit"]["mean"], abs=1e-9)  # every miss has a cause
        assert all(c["owner"] == DEFAULT_OWNERS[c["cause"]][0] for c in o["causes"])
    assert sheet["check"]["summary"]["verdict"] == "feasible"
    assert sheet["check"]["format"] == "riskengine.check/1"
    assert [r["id"] for r in sheet["resources"]] == [r["id"] for r in scored.criticality["resources"]]


def test_rigor_is_judged_against_the_bands(sheet):
    factors = {f["factor"]: f for f in sheet["rigor"]["factors"]}
    # the bands of the example premises: sequence to 24 h, mix to 48 h, volume always
    assert factors["sequence"]["demanded_hours"] == 24 and factors["mix"]["demanded_hours"] == 48
    assert factors["volume"]["demanded_hours"] is None
    for f in factors.values():
        demanded = 168 if f["demanded_hours"] is None else f["demanded_hours"]
        assert f["enough"] is (f["holds_hours"] >= demanded)
    assert len(sheet["rigor"]["advice"]) == 3


def test_the_flags_template_starts_with_the_riskiest_operations(sheet):
    rows = sheet["flags_template"]
    risky = [o["id"] for o in sheet["operations"]]
    assert [r["operation"] for r in rows][:len(risky)] == risky  # no check errors here
    assert all(r["risk"] == "" and r["note"].startswith("P(HIT) ") for r in rows[:len(risky)])
    # then the operations completing the orders least likely on time (issue 18)
    assert all(r["risk"] == "" and r["note"].startswith("order ") for r in rows[len(risky):])
    assert {r["note"].split()[1] for r in rows[len(risky):]} <= {o["id"] for o in sheet["orders"]}
    assert "plan wk47-v1 (no status recorded: read as in effect) was never validated" in sheet["warnings"][0]


def test_a_plan_with_check_errors_gets_them_in_the_template():
    plan = rk.read_plan(str(ROOT / "scenarios" / "broken-plan" / "plan.json"))
    premises = parse_premises({"format": "riskengine.premises/1"})
    s = review(plan, premises, replications=50, top=2).to_dict()
    named = {o for f in s["check"]["findings"] if f["severity"] == "error" for o in f["operations"]}
    rows = [r["operation"] for r in s["flags_template"]]
    assert rows[:2] == [o["id"] for o in s["operations"]] and set(rows) == named | set(rows[:2])
    assert "NOT executable as planned (9 check error(s): conflict, routing, order" in headline(s)


def write_flags(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["operation", "risk", "note"])
        w.writeheader()
        w.writerows(rows)


def test_sign_off_round_trip(tmp_path):
    runner = CliRunner()
    template = tmp_path / "flags.csv"
    res = runner.invoke(main, ["review", PLAN, "--premises", PREMISES, "--replications", "100", "--top", "3",
                               "--flags-template", str(template), "--json", str(tmp_path / "sheet.json")])
    assert res.exit_code == 0, res.output
    assert "Review sheet of plan wk47-v1 (no status recorded, never validated)" in res.output
    rows = list(csv.DictReader(template.open()))[:3]  # the riskiest operations (then the orders' ones)
    assert len(rows) == 3 and all(r["risk"] == "" and r["note"].startswith("P(HIT)") for r in rows)
    rows[0]["risk"], rows[0]["note"] = "breakdown", "oven 1 conveyor due for service"
    rows.append({"operation": "WO1057-10", "risk": "setup", "note": ""})
    write_flags(template, rows)
    out = tmp_path / "wk47-v1-validated.json"
    res = runner.invoke(main, ["review", PLAN, "--sign-off", "--by", "K. Meyer", "--flags", str(template),
                               "--at", "2026-11-16T05:30:00+01:00", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "signed off by K. Meyer at 2026-11-16T05:30:00+01:00: 2 flag(s) (2 template row(s) without a " \
           "risk skipped)" in " ".join(res.output.split())
    validated, original = rk.read_plan(str(out)), rk.read_plan(PLAN)
    assert validated.status == "validated" and validated.validation.by == "K. Meyer"
    assert [(f.operation, f.risk, f.note) for f in validated.validation.flags] == \
        [(rows[0]["operation"], "breakdown", "oven 1 conveyor due for service"), ("WO1057-10", "setup", None)]
    assert validated.model_dump(exclude={"status", "validation"}) == original.model_dump(exclude={"status",
                                                                                                  "validation"})
    check = runner.invoke(main, ["check", str(out)])
    assert check.exit_code == 0 and "never validated" not in check.output
    res = runner.invoke(main, ["measure", "--plan", str(out), "--plan", str(FACTORY / "plan-v2.json"),
                               "--plan", str(FACTORY / "plan-v3.json"),
                               "--actuals", str(FACTORY / "actuals.csv"), "--json", "-"])
    m = json.loads(res.stdout)
    assert [(p["id"], p["status"], p["validated"]) for p in m["plans"]] == \
        [("wk47-v1", "validated", True), ("wk47-v2", None, False), ("wk47-v3", None, False)]
    assert m["plans"][0]["validation"]["flags"][1] == {"operation": "WO1057-10", "risk": "setup",
                                                       "note": None}
    in_effect = [b for b in m["buckets"] if b["plan"] == "wk47-v1"]
    assert in_effect and all(b["validated"] for b in in_effect)
    assert not any(b["validated"] for b in m["buckets"] if b["plan"] != "wk47-v1")
    assert m["accountability"]["validated"]["buckets"] == len(in_effect)
    flagged = [o for o in m["operations"] if o["flag"]]
    assert [o["id"] for o in flagged] == ["WO1057-10"]  # the other flag's operation is measured against v3
    assert m["accountability"]["flags"]["measured"] == 1


def test_sign_off_refuses_what_it_cannot_record(tmp_path):
    runner = CliRunner()
    write_flags(tmp_path / "flags.csv", [{"operation": "WO1057-1O", "risk": "setup", "note": ""}])
    res = runner.invoke(main, ["review", PLAN, "--sign-off", "--by", "K", "--flags",
                               str(tmp_path / "flags.csv"), "--out", str(tmp_path / "v.json")])
    assert res.exit_code == 2 and "row 1.operation: unknown operation 'WO1057-1O' (not in plan wk47-v1); " \
                                  "did you mean 'WO1057-10'?" in " ".join(res.output.split())
    assert not (tmp_path / "v.json").exists()
    for args, words in ((["--sign-off", "--out", str(tmp_path / "v.json")], "--by: required with --sign-off"),
                        (["--sign-off", "--by", "K"], "--out: required with --sign-off"),
                        (["--by", "K", "--premises", PREMISES], "--by: only with --sign-off"),
                        ([], "--premises: required for the review sheet"),
                        (["--sign-off", "--by", "K", "--out", "-", "--premises", PREMISES],
                         "--premises: scores the plan for the sheet"),
                        (["--sign-off", "--by", "K", "--out", "-", "--at", "tomorrow"],
                         "--at: must be an ISO")):
        res = runner.invoke(main, ["review", PLAN, *args])
        assert res.exit_code == 2 and words in res.output, (args, res.output)
