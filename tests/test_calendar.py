"""Calendars, setup matrix and materials in the plan: hand-computed working times and located errors.

The horizon starts Monday 2026-11-16 06:00 (UTC), so hour 0 is Mon 06:00, hour 18
is Tue 00:00, hour 102 is Fri 12:00 and hour 168 is the next Monday 06:00.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from builders import op, plan_dict

import riskengine as re
from riskengine.io.schema import schema
from riskengine.model.calendar import (
    finish_time,
    next_working,
    parse_days,
    work_content,
    working_intervals,
    working_time,
)
from riskengine.model.setup import required_setup

WEEKDAYS = ["mon-fri"]


def plan_with(calendars: dict | None = None, resources=("L1",), horizon_hours: float = 168, **extra):
    doc = plan_dict([op("A", "P", 1, 0, 1)], horizon_hours=horizon_hours, resources=list(resources))
    if calendars is not None:
        doc["calendars"] = calendars
    doc.update(extra)
    return re.parse_plan(doc)


def cols(plan, rid="L1", **kw):
    iv = working_intervals(plan, rid, **kw)
    return np.ascontiguousarray(iv[:, 0]), np.ascontiguousarray(iv[:, 1])


def shift(start, end, days=None, **kw):
    d = {"start": start, "end": end, **kw}
    if days is not None:
        d["days"] = days
    return d


# -- working time ---------------------------------------------------------------------------


def test_no_calendar_means_always_working():
    plan = plan_with()
    iv = working_intervals(plan, "L1")
    assert iv.shape == (1, 2) and iv.dtype == np.float64
    assert iv[0, 0] == -math.inf and iv[0, 1] == math.inf
    s, e = cols(plan)
    assert finish_time(s, e, 3.0, 2.0) == 5.0
    assert next_working(s, e, -7.25) == -7.25
    assert working_time(s, e, 1.0, 4.5) == 3.5


def test_a_30_min_break_delays_a_2_h_job_started_1_h_before_it_by_30_min():
    # around the clock (no shifts given) with a break 10:00-10:30 every day = hours 4-4.5 on Monday
    plan = plan_with({"default": {"breaks": [shift("10:00", "10:30")]}})
    s, e = cols(plan)
    assert finish_time(s, e, 3.0, 2.0) == 5.5          # 09:00 + 2 h of work -> 11:30
    assert finish_time(*cols(plan_with()), 3.0, 2.0) == 5.0   # without a calendar: 11:00
    assert next_working(s, e, 4.25) == 4.5             # inside the break: resumes at 10:30
    assert working_time(s, e, 3.0, 5.0) == 1.5
    assert finish_time(s, e, 2.0, 2.0) == 4.0          # 08:00-10:00 fills up to the break exactly


def test_the_weekend_is_skipped():
    plan = plan_with({"default": {"shifts": [shift("06:00", "14:00", WEEKDAYS)]}})
    s, e = cols(plan)
    # Fri 12:00 (h 102): 2 h until 14:00, the other 2 h on Monday 06:00-08:00 (h 168-170)
    assert finish_time(s, e, 102.0, 4.0) == 170.0
    assert next_working(s, e, 123.0) == 168.0          # Sat 09:00 -> Mon 06:00
    assert next_working(s, e, 9.0) == 24.0             # Mon 15:00 -> Tue 06:00
    assert working_time(s, e, 0.0, 168.0) == 40.0      # a working week


def test_a_night_shift_crossing_midnight():
    plan = plan_with({"default": {"shifts": [shift("22:00", "06:00", WEEKDAYS)]}})
    s, e = cols(plan)
    assert finish_time(s, e, 17.0, 5.0) == 22.0        # Mon 23:00 + 5 h -> Tue 04:00
    assert finish_time(s, e, 23.0, 2.0) == 41.0        # Tue 05:00: 1 h, then Tue 22:00 (h 40) + 1 h
    assert next_working(s, e, 119.0) == 119.0          # Sat 05:00 belongs to Friday's night shift
    assert next_working(s, e, 121.0) == 184.0          # Sat 07:00 -> Mon 22:00 (h 168 + 16)
    assert next_working(s, e, 0.0) == 16.0             # Mon 06:00 -> Mon 22:00


def test_a_sunday_night_shift_reaches_into_the_horizon_start():
    plan = plan_with({"default": {"shifts": [shift("22:00", "06:00", ["sun-thu"])]}})
    s, e = cols(plan)
    assert next_working(s, e, -1.0) == -1.0            # Mon 05:00: Sunday's night shift, before the horizon
    assert finish_time(s, e, -1.0, 2.0) == 17.0        # 1 h until 06:00, then Mon 22:00 (h 16) + 1 h


def test_a_maintenance_interval_on_one_resource():
    calendars = {"L2": {"non_working": [{"start": "2026-11-17T08:00:00+00:00",
                                         "end": "2026-11-17T12:00:00+00:00", "reason": "maintenance"}]}}
    plan = plan_with(calendars, resources=("L1", "L2"))
    s, e = cols(plan, "L2")
    # Tue 07:00 (h 25): 1 h until 08:00 (h 26), stop until 12:00 (h 30), 2 h more -> h 32
    assert finish_time(s, e, 25.0, 3.0) == 32.0
    assert next_working(s, e, 27.0) == 30.0
    assert finish_time(*cols(plan, "L1"), 25.0, 3.0) == 28.0   # L1 has no calendar at all
    assert working_intervals(plan, "L2").tolist() == [[-math.inf, 26.0], [30.0, math.inf]]


def test_overtime_and_holidays():
    calendars = {"default": {"shifts": [shift("06:00", "14:00", WEEKDAYS)],
                             "extra_working": [{"start": 120, "end": 124, "reason": "Saturday overtime"}],
                             "non_working": [{"start": 122, "end": 123}, {"start": 48, "end": 72}]}}
    s, e = cols(plan_with(calendars))
    # Fri 12:00 (h 102), 5 h: 2 h on Friday, Sat 06:00-08:00 (h 120-122), stop 08:00-09:00, 1 h -> h 124
    assert finish_time(s, e, 102.0, 5.0) == 124.0
    assert next_working(s, e, 48.0) == 72.0            # Wednesday is a holiday
    assert working_time(s, e, 0.0, 168.0) == 32.0 + 3.0


def test_resource_calendars_inherit_from_default():
    calendars = {
        "default": {"shifts": [shift("06:00", "14:00", WEEKDAYS)], "breaks": [shift("10:00", "10:30")],
                    "non_working": [{"start": 24, "end": 48, "reason": "plant holiday"}]},
        "L2": {"non_working": [{"start": 0, "end": 2}]},
        "L3": {"shifts": [shift("00:00", "24:00")]},
        "L4": {"breaks": []},
    }
    plan = plan_with(calendars, resources=("L1", "L2", "L3", "L4"))
    week = (0.0, 168.0)
    assert working_time(*cols(plan, "L1"), *week) == 4 * 7.5             # Tuesday is a plant holiday
    assert working_time(*cols(plan, "L2"), *week) == 4 * 7.5 - 2          # its own stop added
    assert working_time(*cols(plan, "L3"), *week) == 6 * 23.5             # 24/7 minus breaks and Tuesday
    assert working_time(*cols(plan, "L4"), *week) == 4 * 8.0              # no breaks, still the holiday


def test_clock_times_are_read_in_the_horizon_start_offset():
    doc = plan_dict([op("A", "P", 1, 0, 1)], horizon_hours=24)
    doc["horizon"]["start"] = "2026-11-16T06:00:00+01:00"
    doc["calendars"] = {"default": {"shifts": [shift("06:00", "14:00")]}}
    s, e = cols(re.parse_plan(doc))
    assert next_working(s, e, 0.0) == 0.0 and next_working(s, e, 8.0) == 24.0


def test_intervals_are_sorted_disjoint_and_cover_the_request():
    plan = plan_with({"default": {"shifts": [shift("06:00", "14:00", WEEKDAYS), shift("12:00", "22:00")],
                                  "breaks": [shift("21:00", "07:00")]}}, horizon_hours=48)
    iv = working_intervals(plan, "L1")
    assert iv.ndim == 2 and iv.shape[1] == 2 and iv.dtype == np.float64
    assert np.all(iv[:, 1] > iv[:, 0]) and np.all(iv[1:, 0] > iv[:-1, 1])
    assert iv[0, 0] <= 0 and iv[-1, 1] >= 48 + 4 * 168 - 24
    assert iv[iv[:, 0] >= 0][0].tolist() == [1.0, 15.0]   # Mon 07:00-21:00 (shifts merged, night break)
    assert working_intervals(plan, "L1", until_hours=5000)[-1, 1] >= 5000 - 24


def test_finish_time_edges():
    s = np.array([0.0, 10.0])
    e = np.array([4.0, 12.0])
    assert finish_time(s, e, 1.0, 0.0) == 1.0          # no work: finishes when it starts
    assert finish_time(s, e, 1.0, 3.0) == 4.0          # fills the first interval exactly
    assert finish_time(s, e, 5.0, 1.0) == 11.0         # starts in a gap
    assert finish_time(s, e, 1.0, 6.0) == math.inf     # the calendar runs out
    assert next_working(s, e, 12.0) == math.inf
    empty = np.empty(0)
    assert finish_time(empty, empty, 0.0, 1.0) == math.inf and next_working(empty, empty, 0.0) == math.inf
    assert working_time(s, e, 3.0, 11.0) == 2.0 and working_time(s, e, 5.0, 3.0) == 0.0


def test_kernels_compile_with_numba_unchanged():
    numba = pytest.importorskip("numba")
    plan = plan_with({"default": {"shifts": [shift("22:00", "06:00", WEEKDAYS), shift("06:00", "14:00")],
                                  "breaks": [shift("10:00", "10:30")]}})
    s, e = cols(plan)
    jit_finish, jit_next, jit_time = (numba.njit(f) for f in (finish_time, next_working, working_time))
    rng = np.random.default_rng(7)
    for t, w in zip(rng.uniform(-10, 300, 50), rng.uniform(0, 40, 50), strict=True):
        assert jit_finish(s, e, t, w) == finish_time(s, e, t, w)
        assert jit_next(s, e, t) == next_working(s, e, t)
        assert jit_time(s, e, t, t + w) == working_time(s, e, t, t + w)


def test_days_accept_names_and_ranges():
    assert parse_days(["mon-wed", "Friday"]) == ["mon", "tue", "wed", "fri"]
    assert parse_days("fri-mon") == ["mon", "fri", "sat", "sun"]


# -- setup matrix, materials, work_hours ----------------------------------------------------


def test_required_setup():
    plan = plan_with(setup_matrix={"F1": {"F2": 0.5, "F3": 1.0, "F1": 0.1}})
    assert required_setup(plan, "F1", "F2") == 0.5
    assert required_setup(plan, "F1", "F1") == 0.1     # same family only when listed
    assert required_setup(plan, "F2", "F1") == 0.0     # missing pair
    assert required_setup(plan, "F2", "F2") == 0.0
    assert required_setup(plan, None, "F2") == 0.0     # first operation or no family
    assert required_setup(plan_with(), "F1", "F2") == 0.0


def test_work_content_defaults_to_the_window():
    doc = plan_dict([op("A", "P", 1, 0, 3), op("B", "P", 1, 3, 6, work_hours=2.5, setup_hours=0.5)])
    plan = re.parse_plan(doc)
    assert [work_content(o) for o in plan.operations] == [3.0, 2.5]


def test_materials_times_resolve_and_are_optional():
    plan = plan_with(materials=[{"id": "M1", "available_at": 5}, {"id": "M2"}])
    assert plan.hours(plan.materials[0].available_at) == 5.0 and plan.materials[1].available_at is None


def problems(doc) -> list[str]:
    with pytest.raises(re.InputError) as exc:
        re.parse_plan(doc)
    return [str(p) for p in exc.value.problems]


def test_calendar_errors_are_located():
    doc = plan_dict([op("A", "P", 1, 0, 1)], resources=["L1", "L2"])
    doc["calendars"] = {
        "L2": {"shifts": [shift("25:00", "06:00"), shift("06:00", "06:00"),
                          shift("06:00", "14:00", ["xyz"])]},
        "default": {"non_working": [{"start": 5, "end": 4}], "overtime": []},
    }
    found = problems(doc)
    assert any(p.startswith("calendars.L2.shifts[0].start: must be a clock time") for p in found)
    assert any(p.startswith("calendars.L2.shifts[1].end: must differ from start") for p in found)
    assert any(p.startswith("calendars.L2.shifts[2].days: unknown day 'xyz'") for p in found)
    assert any(p.startswith("calendars.default.overtime") for p in found)
    doc["calendars"] = {"L9": {}, "default": {"non_working": [{"start": 5, "end": 4}]}}
    found = problems(doc)
    assert "calendars.L9: unknown resource 'L9' (keys are 'default' or resource ids)" in found
    assert any(p.startswith("calendars.default.non_working[0].end: must be after start") for p in found)


def test_setup_matrix_material_and_work_hours_errors_are_located():
    doc = plan_dict([op("A", "P", 1, 0, 2, materials=["M1", "M9"], work_hours=3),
                     op("B", "P", 1, 2, 4, work_hours=1, setup_hours=1.5)])
    doc["setup_matrix"] = {"F1": {"F2": -1}}
    assert any(p.startswith("setup_matrix.F1.F2:") for p in problems(doc))
    doc["setup_matrix"] = {"F1": {"F2": 1}}
    doc["materials"] = [{"id": "M1"}, {"id": "M1"}]
    found = problems(doc)
    assert "materials[1].id: duplicate id 'M1'" in found
    assert "operations[0].materials[1]: unknown material 'M9' (not in the plan's materials)" in found
    assert any(p.startswith("operations[0].work_hours: must not exceed the planned window") for p in found)
    assert any(p.startswith("operations[1].setup_hours: must not exceed work_hours") for p in found)


def test_without_declared_materials_ids_are_free_form():
    plan = re.parse_plan(plan_dict([op("A", "P", 1, 0, 2, materials=["anything"])]))
    assert plan.materials is None


def test_plan_schema_describes_calendars():
    props = schema("plan")
    text = str(props)
    assert "calendars" in text and "setup_matrix" in text and "work_hours" in text
