"""``riskengine check``: one test per finding kind on hand-made plans, the repair, the CLI.

Hours are from the horizon start Monday 2026-11-16 06:00 UTC (builders.T0).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import op, plan_dict
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import riskengine as re
from riskengine.cli import main
from riskengine.feasibility import KINDS, check, repair
from riskengine.io.readers import read_plan

ROOT = Path(__file__).resolve().parents[1]
WEEKDAY_SHIFTS = {"shifts": [{"days": ["mon-fri"], "start": "06:00", "end": "14:00"}],
                  "breaks": [{"start": "10:00", "end": "10:30"}]}


def plan_of(ops, horizon_hours=48, bucket_hours=8, **extra):
    doc = plan_dict(ops, horizon_hours=horizon_hours, bucket_hours=bucket_hours)
    doc.update(extra)
    return re.parse_plan(doc)


def named(result, kind, severity=None) -> list[list[str]]:
    return [f.operations for f in result.of_kind(kind, severity)]


def kinds(result) -> set[str]:
    return {f.kind for f in result.findings}


# -- one test per finding kind ---------------------------------------------------------------


def test_conflict_names_each_overlapping_pair():
    result = check(plan_of([op("A", "P", 1, 0, 2), op("B", "P", 1, 1, 3), op("C", "P", 1, 2.5, 4),
                            op("D", "P", 1, 4, 5),                       # touching C: no conflict
                            op("E", "P", 1, 10, 16), op("F", "P", 1, 11, 12), op("G", "P", 1, 13, 14)]))
    assert named(result, "conflict") == [["A", "B"], ["B", "C"], ["E", "F"], ["E", "G"]]
    assert kinds(result) == {"conflict"}
    assert "overlap by 1 h on L1" in result.of_kind("conflict")[0].message
    assert "overlap by 30 min" in result.of_kind("conflict")[1].message


def test_routing_names_predecessor_then_operation():
    result = check(plan_of([op("A", "P", 1, 0, 4), op("B", "P", 1, 3, 5, "L2", after=["A"]),
                            op("C", "P", 1, 6, 8, "L2", after=["A"]),
                            op("D", "P", 1, 4, 6, "L3", after=["A"]),
                            op("E", "P", 1, 10, 12, order="O1"),
                            op("F", "P", 1, 11, 13, "L3", order="O1", after=["E"])]))
    assert named(result, "routing") == [["A", "B"], ["E", "F"]]
    assert kinds(result) == {"routing"}
    assert "(1 h too early)" in result.of_kind("routing")[0].message


def test_order_reports_steps_planned_in_reverse():
    result = check(plan_of([op("A10", "P", 1, 5, 7, order="O1"),
                            op("A20", "P", 1, 1, 3, "L2", order="O1", after=["A10"]),
                            op("B10", "P", 1, 5, 7, "L3", order="O2"),
                            op("B20", "P", 1, 1, 3, "L4", order="O3", after=["B10"])]))  # other order
    assert named(result, "order") == [["A10", "A20"]]
    assert named(result, "routing") == [["B10", "B20"]]


def test_calendar_start_in_non_working_time_and_window_short_of_working_time():
    ops = [op("A", "P", 1, 0, 2, "L1"),                      # Mon 06:00-08:00: fine
           op("B", "P", 1, 3.5, 5.5, "L2"),                  # 09:30-11:30 spans the break: 1.5 h for 2 h
           op("C", "P", 1, 9, 10, "L3"),                     # 15:00: after the shift
           op("D", "P", 1, 3.5, 6, "L4", work_hours=2),      # stretched over the break and says so
           op("E", "P", 1, 3.5, 5.5, "L5", work_hours=2)]    # says 2 h but the window holds 1.5 h
    result = check(plan_of(ops, bucket_hours=24, calendars={"default": WEEKDAY_SHIFTS}))
    assert named(result, "calendar") == [["B"], ["E"], ["C"]]
    assert kinds(result) == {"calendar"}
    b = result.of_kind("calendar")[0].message
    assert "holds 1.5 h of working time" in b and "would finish Mon 16 Nov 12:00" in b
    c = result.of_kind("calendar")[2].message
    assert "non-working time of L3 (next working time Tue 17 Nov 06:00)" in c


def test_setup_ignored_is_an_error():
    matrix = {"F1": {"F2": 0.5}, "F2": {"F1": 0.25}}
    result = check(plan_of([op("A", "P", 1, 0, 2, family="F1"),
                            op("B", "P", 1, 2, 4, family="F2", setup_hours=0.25),   # needs 0.5
                            op("C", "P", 1, 4, 6, family="F1", setup_hours=0.25),   # needs 0.25: ok
                            op("D", "P", 1, 6, 7),                                  # no family
                            op("E", "P", 1, 7, 8, family="F2"),                     # after no family: ok
                            op("X", "P", 1, 0, 1, "L2", family="F2")],              # first on L2: ok
                           bucket_hours=24, setup_matrix=matrix))
    assert named(result, "setup", "error") == [["A", "B"]]
    assert "needs 30 min of setup, the plan has 15 min" in result.of_kind("setup", "error")[0].message


def test_setup_avoidable_changeover_is_a_warning():
    ops = [op("A", "P", 1, 0, 1, family="F1"), op("B", "P", 1, 1, 2, family="F2"),
           op("C", "P", 1, 2, 3, family="F1"),                                     # could follow A
           op("D", "P", 1, 8, 9, family="F2"), op("E", "P", 1, 9, 10, family="F1"),  # last F1 in bucket 0
           op("G", "P", 1, 16, 17, family="F1"), op("H", "P", 1, 17, 18, family="F2"),
           op("I", "P", 1, 18, 19, family="F1", after=["Q"]),                        # not ready at 17
           op("Q", "P", 1, 16, 17.5, "L2")]
    result = check(plan_of(ops))
    assert named(result, "setup", "warning") == [["A", "B", "C"]]
    assert result.ok                                         # warnings only
    free = check(plan_of(ops, setup_matrix={"F1": {"F3": 1}}))   # F1 <-> F2 cost nothing
    assert named(free, "setup") == []
    costly = check(plan_of(ops, setup_matrix={"F2": {"F1": 0.25}}))
    assert named(costly, "setup", "warning") == [["A", "B", "C"]]
    assert "(15 min of setup)" in costly.of_kind("setup", "warning")[0].message


def test_capacity_overload_in_a_bucket():
    result = check(plan_of([op("A", "P", 1, 0, 6), op("B", "P", 1, 2, 8),
                            op("C", "P", 1, 8, 16, "L2")]))               # a full bucket is not an overload
    assert named(result, "capacity") == [["A", "B"]]
    assert "load 12 h, working time 8 h (150%)" in result.of_kind("capacity")[0].message
    night = check(plan_of([op("N", "P", 1, 17, 19)], calendars={"default": WEEKDAY_SHIFTS}))
    assert named(night, "capacity") == [["N"]]            # Mon 22:00-Tue 06:00: no working time
    assert "load 2 h, working time 0 h" in night.of_kind("capacity")[0].message


def test_capacity_spreads_work_over_the_working_time_of_the_window():
    # 8-h bucket 06:00-14:00 holds 7.5 h of working time; A (06:00-12:30, 6 h of work) and
    # B (12:30-14:30, 2 h) put 6 + 1.5 = 7.5 h in it: exactly full
    cal = {"default": {"breaks": [{"start": "10:00", "end": "10:30"}]}}
    ok = check(plan_of([op("A", "P", 1, 0, 6.5, work_hours=6), op("B", "P", 1, 6.5, 8.5)], calendars=cal))
    assert ok.findings == []
    over = check(plan_of([op("A", "P", 1, 0, 6.5), op("B", "P", 1, 6.5, 8.5)], calendars=cal))
    assert named(over, "capacity") == [["A", "B"]] and named(over, "calendar") == [["A"]]


def test_material_arriving_after_the_start():
    mats = [{"id": "M1", "available_at": 5}, {"id": "M2"}]
    result = check(plan_of([op("A", "P", 1, 4, 6, materials=["M1"]), op("B", "P", 1, 6, 7, materials=["M1"]),
                            op("C", "P", 1, 0, 1, "L2", materials=["M2"]),
                            op("D", "P", 1, 5, 6, "L2", materials=["M1"])], materials=mats))
    assert named(result, "material") == [["A"]]
    assert "material M1 arrives Mon 16 Nov 11:00 (1 h later)" in result.of_kind("material")[0].message


def test_horizon_warnings():
    result = check(plan_of([op("A", "P", 1, -2, 1), op("B", "P", 1, 23, 25, "L2"),
                            op("C", "P", 1, 25, 26, "L3"), op("D", "P", 1, 0, 24, "L4")], horizon_hours=24))
    assert named(result, "horizon") == [["A"], ["B"], ["C"]]
    assert all(f.severity == "warning" for f in result.findings) and result.ok
    assert [m.message.split(") ")[1].split(" the")[0] for m in result.findings] == \
        ["starts before", "ends after", "lies after"]


# -- summary, JSON, CLI ----------------------------------------------------------------------


def test_summary_counts_and_verdict():
    result = check(plan_of([op("A", "P", 1, 0, 2), op("B", "P", 1, 1, 3), op("C", "P", 1, 5, 6),
                            op("D", "P", 1, 47, 49, "L2")]))
    s = result.summary()
    assert (s["verdict"], s["errors"], s["warnings"]) == ("infeasible", 1, 1)
    assert s["by_kind"]["conflict"] == 1 and s["by_kind"]["horizon"] == 1 and s["by_kind"]["routing"] == 0
    assert (s["operations"], s["operations_affected"], s["share_affected"]) == (4, 3, 0.75)
    assert s["operations_with_errors"] == 2
    doc = result.to_dict()
    assert doc["format"] == "riskengine.check/1" and doc["repair"] is None
    assert set(doc["findings"][0]) >= {"kind", "severity", "operations", "message"}
    assert "NOT executable" in str(result) and "conflict  1 error" in str(result)
    assert check(plan_of([op("A", "P", 1, 0, 2)])).summary()["verdict"] == "feasible"


def write(tmp_path, doc, name="plan.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return str(path)


def test_cli_exit_codes_and_json(tmp_path):
    runner = CliRunner()
    good = write(tmp_path, plan_dict([op("A", "P", 1, 0, 2)]), "good.json")
    bad = write(tmp_path, plan_dict([op("A", "P", 1, 0, 2), op("B", "P", 1, 1, 3)]), "bad.json")
    broken = write(tmp_path, plan_dict([op("A", "P", -1, 0, 2)]), "broken.json")
    assert runner.invoke(main, ["check", good]).exit_code == 0
    res = runner.invoke(main, ["check", bad, "--json", "-"])
    assert res.exit_code == 3
    doc = json.loads(res.stdout)  # stderr: the plan was never validated (a warning, not a finding)
    assert doc["summary"]["verdict"] == "infeasible" and doc["findings"][0]["operations"] == ["A", "B"]
    assert res.stderr.startswith("warning: plan v1 ") and doc["warnings"] == [res.stderr[9:].strip()]
    res = runner.invoke(main, ["check", broken])
    assert res.exit_code == 2 and "operations[0].quantity" in res.output
    out = tmp_path / "out.json"
    res = runner.invoke(main, ["check", bad, "--quiet", "--json", str(out), "--premises", good])
    assert res.exit_code == 3 and res.stdout == "" and json.loads(out.read_text())["summary"]["errors"] == 1


def test_cli_repair_writes_a_plan_without_errors(tmp_path):
    runner = CliRunner()
    bad = write(tmp_path, plan_dict([op("A", "P", 1, 0, 2), op("B", "P", 1, 1, 3)]), "bad.json")
    fixed = tmp_path / "fixed.json"
    res = runner.invoke(main, ["check", bad, "--repair", str(fixed), "--json", str(tmp_path / "r.json")])
    assert res.exit_code == 3 and "B" in res.output and "+1 h" in res.output
    assert runner.invoke(main, ["check", str(fixed)]).exit_code == 0
    moves = json.loads((tmp_path / "r.json").read_text())["repair"]["moves"]
    assert [(m["operation"], m["shift_hours"], m["new_start"]) for m in moves] == \
        [("B", 1.0, "2026-11-16T08:00:00+00:00")]


# -- repair ----------------------------------------------------------------------------------


def starts(plan) -> dict[str, float]:
    return {o.id: plan.hours(o.start) for o in plan.operations}


def ends(plan) -> dict[str, float]:
    return {o.id: plan.hours(o.end) for o in plan.operations}


def test_repair_shifts_right_through_routing_and_sequence():
    plan = plan_of([op("A", "P", 1, 0, 2), op("B", "P", 1, 1, 3), op("C", "P", 1, 3, 4, "L2", after=["B"]),
                    op("D", "P", 1, 6, 7, "L2")])
    fixed = repair(plan)
    assert fixed.ok and fixed.remaining_errors == 0 and fixed.plan.id == "v1-repaired"
    assert starts(fixed.plan) == {"A": 0, "B": 2, "C": 4, "D": 6} and ends(fixed.plan)["C"] == 5
    assert [(m.operation, m.shift_hours) for m in fixed.moves] == [("B", 1.0), ("C", 1.0)]


def test_repair_inserts_setups_and_respects_calendars_and_materials():
    plan = plan_of([op("A", "P", 1, 0, 2, family="F1"), op("B", "P", 1, 2, 3, family="F2"),
                    op("K", "P", 1, 3.5, 5.5, "L2"),                         # spans the break
                    op("N", "P", 1, 9, 10, "L3"),                            # after the shift
                    op("M", "P", 1, 0, 1, "L4", materials=["M1"])],
                   setup_matrix={"F1": {"F2": 0.5}}, calendars={"default": WEEKDAY_SHIFTS},
                   materials=[{"id": "M1", "available_at": 1.5}], bucket_hours=24)
    fixed = repair(plan)
    assert fixed.remaining_errors == 0
    s, e = starts(fixed.plan), ends(fixed.plan)
    ops = {o.id: o for o in fixed.plan.operations}
    assert (s["B"], e["B"], ops["B"].setup_hours) == (2, 3.5, 0.5)           # 0.5 h setup added
    assert (s["K"], e["K"], ops["K"].work_hours) == (3.5, 6.0, 2.0)         # resumes after the break
    assert (s["N"], e["N"]) == (24, 25)                                      # Tue 06:00
    assert (s["M"], e["M"]) == (1.5, 2.5)
    assert s["A"] == 0 and ops["A"].start == plan.operations[0].start        # untouched
    assert check(fixed.plan).ok


def test_repair_refuses_when_routing_contradicts_a_sequence():
    plan = plan_of([op("A", "P", 1, 0, 1, after=["B"]), op("B", "P", 1, 1, 2), op("C", "P", 1, 5, 6, "L2")])
    fixed = repair(plan)
    assert not fixed.ok and fixed.document is None
    assert "among operations A, B" in fixed.reason
    assert fixed.to_dict()["repaired"] is False


@st.composite
def random_plans(draw):
    n = draw(st.integers(1, 12))
    resources = ["L1", "L2", "L3"][: draw(st.integers(1, 3))]
    quarter = st.integers(0, 48 * 4).map(lambda q: q / 4)
    ops = []
    for k in range(n):
        start = draw(quarter)
        length = draw(st.integers(1, 24)) / 4
        earlier = [o["id"] for o in ops if o["start"] < start]
        extra = {"family": draw(st.sampled_from([None, "F1", "F2", "F3"])),
                 "setup_hours": draw(st.sampled_from([0.0, 0.25])),
                 "after": (draw(st.lists(st.sampled_from(earlier), unique=True, max_size=2))
                           if earlier else []),
                 "materials": draw(st.lists(st.sampled_from(["M1", "M2"]), unique=True, max_size=2))}
        ops.append(op(f"O{k}", "P", 1, start, start + length, draw(st.sampled_from(resources)),
                      **{k2: v for k2, v in extra.items() if v is not None}))
    doc = plan_dict(ops, horizon_hours=72, resources=resources)
    doc["materials"] = [{"id": "M1", "available_at": draw(quarter)}, {"id": "M2"}]
    if draw(st.booleans()):
        doc["setup_matrix"] = {"F1": {"F2": 0.5, "F3": 1.0}, "F2": {"F1": 0.75}, "F3": {"F3": 0.25}}
    pattern = draw(st.sampled_from(["none", "two-shifts", "nights", "breaks"]))
    shifts = {"two-shifts": {"shifts": [{"days": ["mon-fri"], "start": "06:00", "end": "14:00"},
                                        {"days": ["mon-fri"], "start": "14:00", "end": "22:00"}],
                             "breaks": [{"start": "10:00", "end": "10:30"}]},
              "nights": {"shifts": [{"days": ["sun-thu"], "start": "22:00", "end": "06:00"}]},
              "breaks": {"breaks": [{"start": "09:15", "end": "09:45"}, {"start": "23:00", "end": "01:00"}]}}
    if pattern != "none":
        doc["calendars"] = {"default": shifts[pattern]}
        if draw(st.booleans()):
            doc["calendars"]["L1"] = {"non_working": [{"start": draw(quarter), "end": 60}]}
    return doc


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_plans())
def test_repaired_plans_have_no_errors_keep_sequences_and_never_start_earlier(doc):
    try:
        plan = re.parse_plan(doc)
    except re.InputError:  # e.g. a maintenance interval that ends before it starts
        assume(False)
    fixed = repair(plan)
    assert fixed.ok, fixed.reason
    result = check(fixed.plan)
    assert result.ok, [str(f) for f in result.errors]
    before, after = plan.operations, fixed.plan.operations
    assert all(b.start >= a.start for a, b in zip(before, after, strict=True))
    ids = lambda p: {r: [p.operations[i].id for i in seq] for r, seq in p.sequences.items()}  # noqa: E731
    assert ids(fixed.plan) == ids(plan)
    assert fixed.remaining_errors == 0


# -- scenarios -------------------------------------------------------------------------------


BROKEN = {
    ("conflict", "error"): [["C1", "C2"]],
    ("routing", "error"): [["R1", "R2"]],
    ("order", "error"): [["S10", "S20"]],
    ("calendar", "error"): [["K1"], ["N2"], ["N1"]],
    ("setup", "error"): [["C2", "D1"]],
    ("setup", "warning"): [["C2", "D1", "E1"]],
    ("capacity", "error"): [["N2"]],
    ("material", "error"): [["W1"]],
    ("horizon", "warning"): [["X1"]],
}


def test_broken_plan_shows_every_finding_kind():
    plan = read_plan(ROOT / "scenarios" / "broken-plan" / "plan.json")
    result = check(plan)
    assert {f.kind for f in result.findings} == set(KINDS)
    found = {(k, sev): named(result, k, sev) for k, sev in BROKEN}
    assert found == BROKEN
    assert len(result.findings) == sum(len(v) for v in BROKEN.values())
    fixed = repair(plan)
    assert fixed.ok and check(fixed.plan).ok and len(fixed.moves) == 9


EXAMPLES = [ROOT / "scenarios" / "example-factory" / f"plan-v{v}.json" for v in (1, 2, 3)]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_factory_plans_have_no_errors(path):
    result = check(read_plan(path))
    assert result.ok, [str(f) for f in result.errors]
