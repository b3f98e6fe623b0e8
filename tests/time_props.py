"""Properties of the time arithmetic (shift indices, advance, next_start) over random shift and
bucket lengths, run by tests/test_time_arithmetic.py in a child process with a timeout: a
regression there is an endless loop in compiled code, which no signal interrupts in-process.

Each ``check_*`` function is a hypothesis test (derandomized: the same examples every run)
that raises on the first counter-example.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import riskengine as re
from riskengine.model.premises import parse_premises
from riskengine.simulation import mechanics as mech
from riskengine.simulation.codes import N_ACCOUNT, Account
from riskengine.simulation.compile import compile_model
from riskengine.simulation.reference import simulate
from riskengine.simulation.runner import kernel_replication

#: Shift and bucket lengths not exact in binary (the issue's list and more), and exact ones.
DECIMALS = [0.1, 0.2, 0.3, 0.6, 0.7, 1.1, 1.3, 2.2, 3.3, 4.4, 0.35, 1.7, 7.9, 9.1, 11.3]
EXACT = [0.25, 0.5, 1.0, 8.0, 12.0]
LENGTH = st.one_of(st.sampled_from(DECIMALS + EXACT),
                   st.floats(0.05, 50.0, allow_nan=False, allow_infinity=False),
                   st.decimals(min_value="0.05", max_value="30", places=2).map(float))
SETTINGS = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
NO_KEY = np.uint64(0)
CAL = mech.Intervals(np.array([0.0]), np.array([1.0e7]), 0, 1)


def crew(h: float, p: float, speed: float, key: int) -> mech.Absence:
    """A crew absent with probability ``p`` in each shift of ``h`` hours (no shared driver)."""
    return mech.Absence(h, p, speed, np.uint64(key), NO_KEY, 0.0, 0)


@SETTINGS
@given(LENGTH, st.integers(0, 100_000), st.sampled_from([-1, 0, 1]))
def check_shift_index_ends_later(h: float, k: int, ulps: int) -> None:
    """The shift holding t ends strictly after t, also for t on a boundary computed as
    (k + 1) h (how the engines step to the next shift) and its neighbours."""
    t = max(k * h, 0.0)
    for _ in range(abs(ulps)):
        t = math.nextafter(t, math.copysign(math.inf, ulps))
    t = max(t, 0.0)
    s = mech.shift_index(t, h)
    assert (s + 1) * h > t, (h, t, s)
    assert abs(s - t / h) <= 1.0 + 1e-9, (h, t, s)


@SETTINGS
@given(LENGTH, st.integers(0, 5_000), st.floats(0.01, 40.0), st.sampled_from([0.25, 0.5, 0.6]))
def check_advance_in_slow_shifts(h: float, k: int, work: float, speed: float) -> None:
    """Every shift slow (probability 1): ``work`` takes work / speed clock hours from any
    start, boundaries or not, and the clock lost to the slow crew is work (1 / speed - 1)."""
    t = k * h
    account = np.zeros(N_ACCOUNT)
    done = mech.advance(t, work, CAL, crew(h, 1.0, speed, 7), account)
    assert math.isclose(done - t, work / speed, rel_tol=1e-9, abs_tol=1e-9), (h, t, done)
    assert math.isclose(account[Account.LOST_ABSENCE], work / speed - work, rel_tol=1e-9, abs_tol=1e-9)


@SETTINGS
@given(LENGTH, st.integers(0, 5_000), st.floats(0.01, 40.0), st.integers(1, 2**40))
def check_absent_shifts_are_skipped(h: float, k: int, work: float, key: int) -> None:
    """Crew absent in half the shifts (stop): the work ends, not before t + work, and the
    clock lost to absent shifts is what lies between; the next working start is the first
    shift with the crew present (or the start itself)."""
    t = k * h
    account = np.zeros(N_ACCOUNT)
    done = mech.advance(t, work, CAL, crew(h, 0.5, 0.0, key), account)
    assert math.isfinite(done) and done >= t + work - 1e-9, (h, t, done)
    assert math.isclose(done - t, work + account[Account.LOST_ABSENCE], rel_tol=1e-9, abs_tol=1e-9)
    begin = mech.next_start(t, CAL, crew(h, 0.5, 0.0, key), np.zeros(N_ACCOUNT))
    assert t <= begin < math.inf
    assert not mech.absent(crew(h, 0.5, 0.0, key), mech.shift_index(begin, h))


@SETTINGS
@given(LENGTH)
def check_always_absent_ends_with_the_calendar(h: float) -> None:
    """Crew absent in every shift (stop): no working start before the calendar ends (inf),
    reached shift by shift without stalling on a boundary."""
    end = 40.0 * h
    begin = mech.next_start(0.0, mech.Intervals(np.array([0.0]), np.array([end]), 0, 1), crew(h, 1.0, 0.0, 3),
                             np.zeros(N_ACCOUNT))
    assert begin == math.inf


@st.composite
def plan_with_absences(draw):
    """A small plan whose bucket length (and the crews' shift length) is drawn from LENGTH,
    operations starting on bucket boundaries, with absenteeism (own and plant-wide)."""
    h = draw(LENGTH)
    n_res = draw(st.integers(1, 3))
    ops, free = [], [0] * n_res
    for k in range(draw(st.integers(1, 8))):
        r = draw(st.integers(0, n_res - 1))
        first = free[r] + draw(st.integers(0, 2))
        span = draw(st.integers(1, 3))
        ops.append({"id": f"o{k}", "product": f"P{k % 3}", "resource": f"R{r}", "quantity": 10,
                    "start": first * h, "end": (first + span) * h})
        free[r] = first + span
    plan = {"format": "riskengine.plan/1", "id": "decimals", "bucket_hours": h,
            "horizon": {"start": "2026-11-16T06:00:00+00:00", "end": (max(free) + 4) * h},
            "resources": [{"id": f"R{r}"} for r in range(n_res)], "operations": ops}
    absence = {"probability": draw(st.sampled_from([0.3, 0.6])),
               "effect": draw(st.sampled_from(["stop", "slow"]))}
    if draw(st.booleans()):
        absence["shift_hours"] = draw(LENGTH)
    premises = {"format": "riskengine.premises/1", "defaults": {"absenteeism": absence}}
    if draw(st.booleans()):
        premises["drivers"] = {"flu": {"kind": "absenteeism", "probability": 0.4, "resources": ["R0"],
                                       "effect": absence["effect"],
                                       **({"shift_hours": absence["shift_hours"]}
                                          if "shift_hours" in absence else {})}}
    if draw(st.booleans()):
        premises["defaults"]["breakdowns"] = {"mtbf_hours": 3 * h, "mttr_hours": h / 2}
    return re.parse_plan(plan), parse_premises(premises)


@settings(SETTINGS, max_examples=60)
@given(plan_with_absences(), st.integers(0, 2**32))
def check_both_engines_end_and_agree(model, seed: int) -> None:
    """Both engines finish every replication and give the same operation ends."""
    c = compile_model(*model)
    for rep in range(3):
        ref, ker = simulate(c, seed, rep), kernel_replication(c, seed, rep)
        assert np.array_equal(ref.end, ker.end), (rep, ref.end, ker.end)
        assert np.array_equal(ref.start, ker.start), (rep, ref.start, ker.start)
