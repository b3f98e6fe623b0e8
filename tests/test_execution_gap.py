"""Who carries the non-working time crossed during execution (reference docstring, README).

Hand-computed cases on a Mon-Fri 06:00-22:00 calendar. The horizon starts on Monday
2026-11-16 06:00, so Friday 22:00 is at 112 h and the next Monday 06:00 at 168 h: a 56 h
weekend. Breakdowns, repairs and late materials are fixed durations, so every replication
is the same and each case is exact: the end time and the miss cause of every operation, in
both engines, per replication and through ``score``.

Rule (:func:`riskengine.simulation.outcome.execution_gap`): G crossed, G_w allowed by the
window, G_0 crossed by the planned work from the planned start; ``planning`` gets
G_0 - G_w, the causes with a positive delay share X = G - G_0 in proportion to their hours.
"""

from __future__ import annotations

import numpy as np
import pytest
from builders import op, plan_dict

import riskengine as re
from riskengine.analysis.score import score
from riskengine.model.common import CAUSES
from riskengine.model.premises import parse_premises
from riskengine.simulation.compile import compile_model
from riskengine.simulation.outcome import execution_gap
from riskengine.simulation.reference import simulate
from riskengine.simulation.runner import kernel_replication

CALENDAR = {"default": {"shifts": [{"days": ["mon-fri"], "start": "06:00", "end": "22:00"}]}}
FRIDAY_END, MONDAY = 112.0, 168.0
BREAKDOWN, MATERIAL, PLANNING = (CAUSES.index(c) for c in ("breakdown", "material", "planning"))
ENGINES = ("kernel", "reference")


def fixed(hours: float) -> dict:
    return {"dist": "fixed", "value": hours}


def week_plan(ops: list[dict]) -> re.Plan:
    doc = plan_dict(ops, horizon_hours=200)
    doc["calendars"] = CALENDAR
    return re.parse_plan(doc)


def breakdowns(mtbf: float, mttr: float) -> dict:
    return {"format": "riskengine.premises/1",
            "defaults": {"breakdowns": {"mtbf_hours": fixed(mtbf), "mttr_hours": fixed(mttr)}}}


def replicate_both(plan: re.Plan, premises: dict, reps: int = 3):
    """Per-replication results of both engines (identical; every replication alike)."""
    c = compile_model(plan, parse_premises(premises))
    results = []
    for rep in range(reps):
        ref, ker = simulate(c, 5, rep), kernel_replication(c, 5, rep)
        for name in ("start", "end", "delay_cause", "origin"):
            assert np.array_equal(getattr(ref, name), getattr(ker, name)), (rep, name)
        results.append(ref)
    return results


@pytest.mark.parametrize("engine", ENGINES)
def test_breakdown_before_the_weekend_pushing_work_over_it_is_a_breakdown_miss(engine):
    """3 h of work planned 108-111 h. The machine fails after 2 h of work (110 h), the repair
    takes 2 h (112 h: the shift ends), the last hour runs Monday 168-169 h. Delay: repair 2 h,
    weekend 56 h the plan never crossed (G_0 = G_w = 0): all breakdown (58 h), not planning."""
    plan = week_plan([op("o0", "A", 10, 108, 111)])
    for out in replicate_both(plan, breakdowns(2, 2)):
        assert out.end[0] == MONDAY + 1
        assert out.delay_cause[0] == BREAKDOWN
    result = score(plan, parse_premises(breakdowns(2, 2)), replications=20, seed=5, engine=engine)
    assert result.plan_holds["mean"] == 0.0
    assert [(c["cause"], c["share"]) for c in result.causes] == [("breakdown", 1.0)]


@pytest.mark.parametrize(("source", "fragment", "end", "cause"), [
    # setup 109-109.5 h, 1.5 h of work at half speed: 3 h, 109.5-112 h and 168-168.5 h
    # (performance 1.5 h)
    ("performance", {"performance": fixed(0.5)}, MONDAY + 0.5, "performance"),
    # 0.5 h setup x 5 = 2.5 h (109-111.5 h), work 111.5-112 h and 168-169 h (setup 2 h)
    ("setup", {"setup_overrun": fixed(5)}, MONDAY + 1, "setup"),
    # every 8 h shift slow (speed 0.5): setup 109-110 h, work 110-112 h does 1 h, the last
    # 0.5 h takes 168-169 h (absenteeism 0.5 + 1 + 0.5 = 2 h)
    ("absent", {"absenteeism": {"probability": 1.0, "effect": "slow", "speed": 0.5}}, MONDAY + 1,
     "absenteeism"),
])
def test_each_overrun_pushing_work_over_the_weekend_carries_the_weekend(source, fragment, end, cause):
    """2 h planned 109-111 h (0.5 h setup, 1.5 h work), ending 1 h before the weekend; each
    overrun alone pushes it over: the 56 h weekend follows the overrun's cause."""
    plan = week_plan([op("o0", "A", 10, 109, 111, setup_hours=0.5)])
    for out in replicate_both(plan, {"format": "riskengine.premises/1", "defaults": fragment}):
        assert out.end[0] == end, source
        assert CAUSES[out.delay_cause[0]] == cause


def test_late_predecessor_pushing_an_operation_over_the_weekend_passes_on_its_cause_and_origin():
    """o0 planned 100-106 h (6 h), o1 106-111 h (5 h). MTBF 5.5 h: o0 fails at 105.5 h, the
    2 h repair ends at 107.5 h, o0 ends at 108 h (breakdown 2 h) and the machine has 5 h left
    to failure, exactly o1's work: o1 runs 108-112 h and 168-169 h without failing. o1's delay:
    2 h inherited from o0 (breakdown) and a 56 h weekend it crossed only because of it: a
    breakdown miss whose delay began at o0 (before: planning, beginning at o1 itself)."""
    plan = week_plan([op("o0", "A", 10, 100, 106), op("o1", "B", 10, 106, 111)])
    for out in replicate_both(plan, breakdowns(5.5, 2)):
        assert (out.end[0], out.end[1]) == (108.0, MONDAY + 1)
        assert (out.delay_cause[0], out.delay_cause[1]) == (BREAKDOWN, BREAKDOWN)
        assert (out.origin[0], out.origin[1]) == (0, 0)


def test_late_material_pushing_work_over_the_weekend_is_a_material_miss():
    """3 h planned 108-111 h; the material arrives 2 h late (110 h): 2 h on Friday, 1 h on
    Monday. Start delay 2 h (material) and a weekend the plan never crossed: material."""
    plan = week_plan([op("o0", "A", 10, 108, 111, materials=["M1"])])
    premises = {"format": "riskengine.premises/1",
                "materials": {"M1": {"late": {"probability": 1.0, "delay_hours": fixed(2)}}}}
    for out in replicate_both(plan, premises):
        assert out.start[0] == 110.0 and out.end[0] == MONDAY + 1
        assert out.delay_cause[0] == MATERIAL


def test_window_too_short_for_its_work_across_the_weekend_is_a_planning_miss():
    """6 working hours planned 107-168 h: the window allows 61 - 6 = 55 h of non-working
    time, the work crosses the 56 h weekend (107-112 h, then 168-169 h): 1 h late, planning,
    with no source at all and with a 0.5 h repair on Friday that crosses no more than the plan
    (the machine fails after 4 h at 111 h, repaired at 111.5 h, done at 169.5 h: planning 1 h
    against breakdown 0.5 h)."""
    plan = week_plan([op("o0", "A", 10, 107, MONDAY, work_hours=6)])
    for out in replicate_both(plan, {"format": "riskengine.premises/1"}):
        assert out.end[0] == MONDAY + 1 and out.delay_cause[0] == PLANNING
    for out in replicate_both(plan, breakdowns(4, 0.5)):
        assert out.end[0] == MONDAY + 1.5 and out.delay_cause[0] == PLANNING
    # a 2 h repair (111-113 h: repairs take clock time, into the weekend) leaves 2 h of work
    # for Monday (168-170 h): 55 h crossed, 1 h less than the plan's work would (X = -1 h,
    # planning 1 - 1 = 0) against 2 h of repair: breakdown
    for out in replicate_both(plan, breakdowns(4, 2)):
        assert out.end[0] == MONDAY + 2 and out.delay_cause[0] == BREAKDOWN


def test_execution_gap_splits_the_extra_gap_in_proportion_and_keeps_the_total():
    d = np.zeros(len(CAUSES))
    d[MATERIAL], d[BREAKDOWN], d[PLANNING] = 1.0, 3.0, -0.5  # start delay 1 h, repairs 3 h
    # crossed 56 h; the window allows 10 h, the planned work alone would cross 14 h
    inherited = execution_gap(d, 56.0, 10.0, 14.0, 1.0)
    # planning: -0.5 + (14 - 10); the extra 42 h shared 1:3 -> material 1 + 10.5, breakdown 3 + 31.5
    assert (d[PLANNING], d[MATERIAL], d[BREAKDOWN]) == (3.5, 11.5, 34.5)
    assert inherited == 11.5
    assert d.sum() == 1.0 + 3.0 - 0.5 + (56.0 - 10.0)
    # less crossed than the planned work would (X = -14 h) and no positive delay: planning
    d[:] = 0
    assert execution_gap(d, 0.0, 10.0, 14.0, 0.0) == 0.0 and d[PLANNING] == -10.0
    d[:] = 0
    d[PLANNING] = 0.0
    assert execution_gap(d, 20.0, 0.0, 0.0, 0.0) == 0.0 and d[PLANNING] == 20.0  # nothing to blame
