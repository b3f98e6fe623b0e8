"""Issue 20, accountability: a hand-made two-week history, one week validated, one not.

Week 1 (plan ``w1``, hours 0-168, never validated) and week 2 (plan ``w2``, hours 168-336, signed
off with two flags); buckets of 24 h, one line. Every figure below is counted by hand:

week 1  a1 P 100 planned 0-4, produced 100 at 4            HIT
        a2 Q 100 planned 4-8, produced 80 at 8 (quality)   MISS short, 20 lost
        a3 P 50 planned 24-28 (bucket 1), produced at 50   MISS late (material), 50 lost
week 2  b1 P 100 planned 168-172, produced 100 at 172      HIT
        b2 Q 200 planned 172-176, produced 200 at 200      MISS late (breakdown), 200 lost, flagged
        b3 P 100 planned 192-196, produced 100 at 196      HIT, flagged
        b4 Q 100 planned 196-200, not executed (planning)  MISS, 100 lost

Week 1 buckets: S 250 (200 + 50), A 230 (180 in bucket 0, 50 in bucket 2), min(A, S) 180,
B 180, orders built to mix 2 (a1, a2) both in sequence. Week 2: S 500 (300 + 200),
A 400 (100 + 300), min(A, S) 100 + 200 = 300, B 100 + 200 = 300, orders 2 (b1, b3) in sequence.
"""

from __future__ import annotations

import json

import pytest
from builders import op, plan_dict, run
from click.testing import CliRunner

import riskengine as rk
from riskengine.cli import main
from riskengine.errors import InputError
from riskengine.governance.owners import DEFAULT_OWNERS, SIDES, parse_owners

VALIDATION = {"by": "K. Meyer", "at": "2026-11-23T05:00:00+00:00",
              "flags": [{"operation": "b2", "risk": "breakdown", "note": "conveyor"},
                        {"operation": "b3", "risk": "material"}]}


def two_weeks() -> tuple[list[dict], list[dict]]:
    w1 = plan_dict([op("a1", "P", 100, 0, 4), op("a2", "Q", 100, 4, 8), op("a3", "P", 50, 24, 28)],
                   id="w1", horizon_hours=168, bucket_hours=24)
    w2 = plan_dict([op("b1", "P", 100, 168, 172), op("b2", "Q", 200, 172, 176), op("b3", "P", 100, 192, 196),
                    op("b4", "Q", 100, 196, 200)], id="w2", horizon_hours=336, bucket_hours=24,
                   published_at=168)
    w2["horizon"]["start"] = "2026-11-23T06:00:00+00:00"
    for o in w2["operations"]:  # hours from w2's own horizon start
        o["start"] -= 168
        o["end"] -= 168
    w2["horizon"]["end"] = 168
    w2["published_at"] = 0
    w2 |= {"status": "validated", "validation": VALIDATION}
    records = [run("a1", 100, 0, 4), run("a2", 80, 4, 8, cause="quality"),
               run("a3", 50, 46, 50, cause="material"), run("b1", 100, 168, 172),
               run("b2", 200, 196, 200, cause="breakdown"), run("b3", 100, 192, 196),
               {"operation": "b4", "quantity": 0, "cause": "planning"}]
    return [w1, w2], records


def measured(owners=None):
    plans, records = two_weeks()
    history = rk.PlanHistory([rk.parse_plan(p) for p in plans])
    actuals = rk.parse_actuals({"format": "riskengine.actuals/1", "records": records}, history)
    return rk.measure(history, actuals, rk.AdherenceRules(), owners).to_dict()


def test_split_by_validated_plan_in_effect_is_exact():
    m = measured()
    assert [(p["id"], p["status"], p["validated"]) for p in m["plans"]] == [("w1", None, False),
                                                                             ("w2", "validated", True)]
    assert [b["validated"] for b in m["buckets"]] == [False] * 7 + [True] * 7
    acc = m["accountability"]
    no, yes = acc["not_validated"], acc["validated"]
    assert {k: no[k] for k in ("planned", "produced", "volume_units", "built_to_mix", "orders_built_to_mix",
                               "orders_in_sequence", "buckets", "operations", "hits", "misses")} == \
        {"planned": 250, "produced": 230, "volume_units": 180, "built_to_mix": 180, "orders_built_to_mix": 2,
         "orders_in_sequence": 2, "buckets": 7, "operations": 3, "hits": 1, "misses": 2}
    assert {k: yes[k] for k in ("planned", "produced", "volume_units", "built_to_mix", "orders_built_to_mix",
                                "orders_in_sequence", "buckets", "operations", "hits", "misses")} == \
        {"planned": 500, "produced": 400, "volume_units": 300, "built_to_mix": 300, "orders_built_to_mix": 2,
         "orders_in_sequence": 2, "buckets": 7, "operations": 4, "hits": 2, "misses": 2}
    assert no["volume"] == pytest.approx(180 / 250) and no["mix"] == pytest.approx(180 / 230)
    assert no["bts"] == pytest.approx(180 / 250 * 180 / 230) and no["btp"] == pytest.approx(180 / 250)
    assert yes["bts"] == pytest.approx(0.6 * 0.75) and yes["btp"] == pytest.approx(0.6)
    # the two parts sum to the total, count by count (never averaged percentages)
    for key in ("planned", "produced", "volume_units", "built_to_mix", "orders_in_sequence"):
        assert no[key] + yes[key] == m["total"][key]


def test_misses_split_by_side():
    acc = measured()["accountability"]
    sides = lambda part: {k: (v["misses"], v["lost_units"]) for k, v in part["sides"].items()}  # noqa: E731
    assert sides(acc["not_validated"]) == {"plan": (1, 50.0), "execution": (1, 20.0), "unexplained": (0, 0.0)}
    assert sides(acc["validated"]) == {"plan": (1, 100.0), "execution": (1, 200.0), "unexplained": (0, 0.0)}
    assert {k: v["misses"] for k, v in acc["misses"].items()} == {"plan": 2, "execution": 2, "unexplained": 0}
    assert acc["sides"] == {k: list(v) for k, v in SIDES.items()}
    assert sorted(c for v in SIDES.values() for c in v) == sorted(rk.model.common.CAUSES)
    assert "plan-side" in acc["rule"] and "execution-side" in acc["rule"]


def test_a_flagged_operation_that_missed_is_a_materialized_flag():
    m = measured()
    flags = m["accountability"]["flags"]
    assert flags == {"flags": 2, "measured": 2, "materialized": 1, "hit_rate": 0.5, "unflagged_operations": 2,
                     "unflagged_misses": 1, "unflagged_miss_rate": 0.5, "misses_flagged_share": 0.5}
    by_id = {o["id"]: o for o in m["operations"]}
    assert by_id["b2"]["flag"] == {"risk": "breakdown", "note": "conveyor"} and not by_id["b2"]["hit"]
    assert by_id["b3"]["flag"] == {"risk": "material", "note": None} and by_id["b3"]["hit"]
    assert by_id["a1"]["flag"] is None


def test_owner_pareto_sums_to_the_cause_pareto():
    m = measured()
    causes, owners = m["causes"], m["owners"]
    assert {c["cause"]: (c["owner"], c["action"], c["side"]) for c in causes} == {
        c: (*DEFAULT_OWNERS[c], s) for c, s in (("quality", "execution"), ("material", "plan"),
                                                ("breakdown", "execution"), ("planning", "plan"))}
    assert sum(o["misses"] for o in owners) == sum(c["misses"] for c in causes) == 4
    assert sum(o["lost_units"] for o in owners) == sum(c["lost_units"] for c in causes) == 370
    assert owners[0] == {"owner": "maintenance", "causes": ["breakdown"],
                         "actions": ["preventive maintenance"], "misses": 1, "lost_units": 200.0,
                         "share": 0.25}
    # an override moving material to planning: one owner with two causes, still the same sums
    table = parse_owners({"format": "riskengine.owners/1", "causes": {"material": {"owner": "planning"}}})
    moved = measured(table)
    planning = next(o for o in moved["owners"] if o["owner"] == "planning")
    assert planning["causes"] == ["material", "planning"] and planning["misses"] == 2
    assert planning["lost_units"] == 150 and planning["actions"] == ["supplier and lead-time review",
                                                                     "premises and rules review"]
    assert sum(o["lost_units"] for o in moved["owners"]) == 370


def test_owners_file_is_validated_with_located_messages():
    with pytest.raises(InputError) as err:
        parse_owners({"format": "riskengine.owners/1", "causes": {"brakdown": {"owner": "x"},
                                                                   "setup": {}}})
    text = str(err.value)
    assert "causes.brakdown: unknown cause; did you mean 'breakdown'?" in text
    assert "causes.setup: give an owner, an action or both" in text


def test_measure_cli_takes_an_owners_file(tmp_path):
    plans, records = two_weeks()
    paths = []
    for p in plans:
        paths += ["--plan", str(tmp_path / f"{p['id']}.json")]
        (tmp_path / f"{p['id']}.json").write_text(json.dumps(p))
    (tmp_path / "actuals.json").write_text(json.dumps({"format": "riskengine.actuals/1", "records": records}))
    (tmp_path / "owners.toml").write_text('format = "riskengine.owners/1"\n[causes.breakdown]\n'
                                         'owner = "TPM team"\naction = "autonomous maintenance"\n')
    res = CliRunner().invoke(main, ["measure", *paths, "--actuals", str(tmp_path / "actuals.json"),
                                    "--owners", str(tmp_path / "owners.toml")])
    assert res.exit_code == 0, res.output
    assert "TPM team" in res.output and "autonomous maintenance" in res.output
    assert "1 of 2 flagged operations missed (50%, the supervisor's hit rate)" in " ".join(res.output.split())
    (tmp_path / "bad.toml").write_text('format = "riskengine.owners/1"\n[causes.nope]\nowner = "x"\n')
    res = CliRunner().invoke(main, ["measure", *paths, "--actuals", str(tmp_path / "actuals.json"),
                                    "--owners", str(tmp_path / "bad.toml")])
    assert res.exit_code == 2 and "causes.nope: unknown cause" in res.output


def test_status_and_validation_are_read_with_their_rules():
    plans, _ = two_weeks()
    w2 = rk.parse_plan(plans[1])
    assert w2.status == "validated" and w2.validation.flags[0].operation == "b2"
    bad = {**plans[1], "validation": {**VALIDATION, "flags": [{"operation": "b9", "risk": "x"}]}}
    with pytest.raises(InputError, match=r"validation.flags\[0\].operation: unknown operation 'b9'"):
        rk.parse_plan(bad)
    with pytest.raises(InputError, match="validation: required when status is validated"):
        rk.parse_plan({k: v for k, v in plans[1].items() if k != "validation"})
    with pytest.raises(InputError, match="validation: a draft plan carries no validation"):
        rk.parse_plan({**plans[1], "status": "draft"})
    with pytest.raises(InputError, match="status: Input should be 'draft', 'proposed', 'validated' or"):
        rk.parse_plan({**plans[0], "status": "approved"})
    assert rk.parse_plan({**plans[1], "status": "published"}).validation.by == "K. Meyer"


def test_check_warns_on_a_plan_in_effect_never_validated_without_changing_the_exit_code():
    plans, _ = two_weeks()
    assert rk.check(rk.parse_plan(plans[1])).plan_warnings == []
    assert rk.check(rk.parse_plan({**plans[0], "status": "proposed"})).plan_warnings == []
    published = rk.check(rk.parse_plan({**plans[0], "status": "published"}))
    assert published.ok and published.verdict == "feasible"  # a warning, never a finding
    assert published.plan_warnings[0].startswith("plan w1 (status published) was never validated")
    assert published.to_dict()["warnings"] == published.plan_warnings
    assert "never validated" in rk.check(rk.parse_plan(plans[0])).plan_warnings[0]


def test_repair_of_a_validated_plan_is_a_new_proposal():
    plans, _ = two_weeks()
    doc = plans[1] | {"operations": [op("b1", "P", 100, 0, 4), op("b2", "Q", 200, 2, 6)],
                      "validation": {**VALIDATION, "flags": []}}
    from riskengine.feasibility import repair

    repaired = repair(rk.parse_plan(doc))
    assert repaired.ok and repaired.plan.status == "proposed" and repaired.plan.validation is None
