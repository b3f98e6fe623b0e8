"""Time mechanics of one operation: working time, absences, setups and breakdowns.

Shared, numba-compiled functions that both engines call (the SimPy
reference and the kernel), so an operation started at the same time with the
same draws ends at the same time in both.

Rules (docs/design.md section 3):

- Work advances only inside the resource's working intervals (its calendar);
  an operation interrupted by non-working time resumes after it.
- Absenteeism is drawn per resource and shift (windows of ``shift_hours``
  from the horizon start): an absent shift stops the resource (speed 0) or
  slows it (``speed`` < 1) for the whole shift. Shifts before the horizon
  start are never absent, nor those a forecast knows the crew was present in
  (``known``). A shared absenteeism driver (a plant-wide absent
  shift) adds a second test with the driver's key, the same for every
  resource it hits: the crew is absent when its own uniform of the shift is
  below its probability *or* the driver's uniform of the shift is below the
  driver's probability (``shared_key``, ``shared_p``; 0: no driver).
- Breakdowns arrive over processing work (setups and idle time do not wear
  the machine): the resource carries the remaining work until its next
  failure across operations; at a failure the repair takes clock time, then a
  new time to failure is drawn (a repair renews the machine), and the
  interrupted operation resumes (preempt-resume). With exponential times to
  failure this gives the closed forms of docs/design.md section 3: completion time
  x + sum of repairs, mean x (1 + MTTR/MTBF), variance (x/MTBF)(MTTR^2 + sd_r^2).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from riskengine._jit import fused_entry, fused_jit, inner_jit, jit, leaf_jit
from riskengine.simulation.codes import Account
from riskengine.simulation.rng import uniform, variate_key
from riskengine.simulation.sampling import sample
from riskengine.simulation.watchdog import tick


class Intervals(NamedTuple):
    """One resource's working intervals: ``[start[k], end[k])`` for k in ``lo .. hi - 1``.

    A caller may leave out leading intervals that end before any time it asks
    about (the kernel moves ``lo`` on as its resources' clocks advance): the
    answers are the same.
    """

    start: np.ndarray
    end: np.ndarray
    lo: int
    hi: int


class Absence(NamedTuple):
    """A resource's absenteeism: its shifts, probability and effect, and its keys."""

    shift_hours: float  # shifts are windows of this length from the horizon start
    p: float  # probability that the crew is absent in a shift (0: never)
    speed: float  # the resource's speed in an absent shift (0: it stops)
    key: np.uint64  # the resource's absence key (uniform s: shift s)
    shared_key: np.uint64  # its shared absenteeism driver's key (0: none)
    shared_p: float  # the driver's probability (0: none)
    known: int  # shifts before this index are known (a forecast): present, never drawn absent


class Breakdowns(NamedTuple):
    """A resource's breakdowns: its rows of the distribution table and its keys."""

    table: np.ndarray  # distribution rows (:mod:`riskengine.simulation.sampling`)
    pool: np.ndarray
    tbf_row: int  # time (processing work) between failures; 0: the resource never fails
    ttr_row: int  # time to repair
    failure_key: np.uint64
    repair_key: np.uint64


@fused_entry
def absent(absence: Absence, shift: int) -> bool:
    """Whether the crew of a resource is missing in a shift (its shift-th uniform < p, or the
    shift-th uniform of its shared driver < the driver's probability)."""
    if shift < absence.known:  # before the horizon start (index < 0), or known at a forecast's as-of time
        return False
    if absence.p > 0.0 and uniform(absence.key, shift) < absence.p:
        return True
    return absence.shared_p > 0.0 and uniform(absence.shared_key, shift) < absence.shared_p


@fused_entry
def shift_index(t: float, shift_hours: float) -> int:
    """Index of the shift (window of ``shift_hours`` from 0) that ``t`` >= 0 falls in, such that
    the shift's end ``(index + 1) * shift_hours`` is strictly later than ``t``; -1 (no shift:
    never absent) where a float no longer tells shifts apart (t / shift_hours >= 2^50, some
    10^11 years of 8-h shifts) or t is nan.

    ``floor(t / shift_hours)`` alone can name the shift that just ended when ``shift_hours``
    is not exact in binary: t = 15 x 1.1 = 16.5 gives floor(16.5 / 1.1) = 14, whose end
    15 x 1.1 is t itself, and time would stop there. The floor of the rounded quotient is the
    true shift or the next one, and the true shift's end may round down to t: one step on in
    that case makes the end later (below 2^50 shifts a float resolves a quarter shift). Where
    the floor is right (every shift length exact in binary) nothing changes.
    """
    q = t / shift_hours
    if not q < 1125899906842624.0:  # 2^50
        return -1
    shift = int(math.floor(q))
    if (shift + 1) * shift_hours <= t:
        shift += 1
    return shift


@fused_jit
def first_interval(t: float, cal: Intervals) -> int:
    """Index of the first working interval of ``cal`` that ends after ``t`` (``cal.hi``: none).

    The first interval is tried first: a caller that moves ``lo`` past the
    intervals already over finds its interval at once; otherwise a binary
    search, written out: ``np.searchsorted`` gives the same index but its
    call, even on this cold path, made the whole kernel 1.5-7% slower
    (instructions per operation-sample of the benchmark chain, measured).
    """
    lo = cal.lo
    hi = cal.hi
    if lo < hi and cal.end[lo] > t:
        return lo
    while lo < hi:
        mid = (lo + hi) // 2
        if cal.end[mid] <= t:
            lo = mid + 1
        else:
            hi = mid
    return lo


@fused_entry
def advance(t: float, work: float, cal: Intervals, absence: Absence, account: np.ndarray) -> float:
    """Clock time at which ``work`` hours of work started at ``t`` are done.

    Skips non-working time (adds it to ``account[GAP_CALENDAR]``) and runs at
    ``absence.speed`` in absent shifts (adds the clock time lost to
    ``account[LOST_ABSENCE]``). Returns inf if the calendar ends first, or once the
    replication passed its bound on events (each segment that does not finish the work is one,
    :mod:`riskengine.simulation.watchdog`).
    """
    if not work > 0.0:
        return t
    n = cal.hi
    i = first_interval(t, cal)
    while work > 0.0:
        if i >= n:
            return math.inf
        if t < cal.start[i]:
            account[Account.GAP_CALENDAR] += cal.start[i] - t
            t = cal.start[i]
        seg_end = cal.end[i]
        rate = 1.0
        if (absence.p > 0.0 or absence.shared_p > 0.0) and t >= 0.0:
            shift = shift_index(t, absence.shift_hours)
            if shift >= 0:
                seg_end = min(seg_end, (shift + 1) * absence.shift_hours)
                if absent(absence, shift):
                    rate = absence.speed
        if rate <= 0.0:
            account[Account.LOST_ABSENCE] += seg_end - t
            t = seg_end
        elif rate == 1.0:  # full speed: the arithmetic below without x 1, / 1 and + 0 x (...)
            capacity = seg_end - t
            if capacity >= work:
                done = t + work
                if not math.isfinite(done - t):
                    account[Account.LOST_ABSENCE] += (done - t) * 0.0
                return done
            work -= capacity
            if not math.isfinite(capacity):
                account[Account.LOST_ABSENCE] += capacity * 0.0
            t = seg_end
        else:
            capacity = (seg_end - t) * rate
            if capacity >= work:
                done = t + work / rate
                account[Account.LOST_ABSENCE] += (done - t) * (1.0 - rate)
                return done
            work -= capacity
            account[Account.LOST_ABSENCE] += (seg_end - t) * (1.0 - rate)
            t = seg_end
        if t >= cal.end[i]:
            i += 1
        if tick(account):
            return math.inf
    return t


@fused_entry
def next_start(t: float, cal: Intervals, absence: Absence, account: np.ndarray) -> float:
    """First time at or after ``t`` when the resource works (in a working interval and
    not in a shift where the crew is absent and the effect is stop); each absent shift passed
    over is an event of ``account`` (inf past the bound, :mod:`riskengine.simulation.watchdog`).

    A crew absent with probability 1 (its own or its driver's) and effect stop never works
    from the horizon start on: inf at once, as when the calendar runs out, instead of
    stepping through every shift of a calendar that may never end. (A shift's uniform is
    exactly 1, and the crew present, with probability 2^-53: ignored.)
    """
    n = cal.hi
    i = first_interval(t, cal)
    while i < n:
        if t < cal.start[i]:
            t = cal.start[i]
        if (absence.p <= 0.0 and absence.shared_p <= 0.0) or absence.speed > 0.0 or t < 0.0:
            return t
        if (absence.p >= 1.0 or absence.shared_p >= 1.0) and not t < absence.known * absence.shift_hours:
            return math.inf  # absent in every shift not known: the crew never comes
        shift = shift_index(t, absence.shift_hours)
        if not absent(absence, shift):
            return t
        t = (shift + 1) * absence.shift_hours
        while i < n and cal.end[i] <= t:
            i += 1
        if tick(account):
            return math.inf
    return math.inf


@fused_entry
def start_instants(s: float, cal: Intervals, absence: Absence, account: np.ndarray) -> tuple[float, float]:
    """``(begin, plain)`` of an operation that may start at ``s``: ``begin`` the first instant
    the resource works (:func:`next_start`), ``plain`` the next working instant of the calendar
    alone, without absences (``s <= plain <= begin``); the start delay's causes tell them apart
    (:func:`riskengine.simulation.outcome.start_delay`)."""
    begin = next_start(s, cal, absence, account)
    plain = begin
    if begin > s:
        i = first_interval(s, cal)
        plain = max(s, cal.start[i]) if i < cal.hi else math.inf
    return begin, plain


@fused_entry
def process(t: float, work: float, cal: Intervals, absence: Absence, breakdowns: Breakdowns,
            clock: np.ndarray, r: int, account: np.ndarray) -> float:
    """Clock time at which ``work`` hours of processing started at ``t`` finish, with
    breakdowns (``breakdowns.tbf_row`` 0: none).

    ``clock[r]`` holds the resource's failure clock: ``clock[r, 0]`` remaining
    work until the next failure, ``clock[r, 1]`` the index of that failure. The k-th
    failure's time to failure and repair are variates k of the failure and
    repair keys, so the same resource fails at the same points of its work in
    every plan scored with the same seed. Each failure is an event of ``account``
    (:mod:`riskengine.simulation.watchdog`).
    """
    b = breakdowns
    while b.tbf_row != 0 and not clock[r, 0] >= work:  # the machine fails before the work is done
        t = advance_call(t, clock[r, 0], cal, absence, account)
        if not math.isfinite(t):
            return t
        if tick(account):
            return math.inf
        work -= clock[r, 0]
        k = int(clock[r, 1])
        repair = max(sample(b.table, b.ttr_row, b.pool, variate_key(b.repair_key, k)), 0.0)
        t += repair
        account[Account.REPAIR] += repair
        clock[r, 1] = k + 1
        clock[r, 0] = max(sample(b.table, b.tbf_row, b.pool, variate_key(b.failure_key, k + 1)), 0.0)
    if b.tbf_row != 0:
        clock[r, 0] -= work
    return advance(t, work, cal, absence, account)


@inner_jit
def planned_gap_crossed(t: float, work: float, cal: Intervals) -> float:
    """Non-working time that ``work`` hours at full speed cross when started at the first
    working instant at or after ``t`` (the wait until that instant is not counted).

    The counterfactual of the cause accounting (:func:`riskengine.simulation.outcome.
    execution_gap`): the calendar gap an operation's planned setup and work would cross from
    its planned start, undisturbed. Same interval rule as :func:`advance` (work that ends
    exactly at an interval's end crosses no gap); if the calendar ends first, the gap crossed
    until then.
    """
    gap = 0.0
    if not work > 0.0:
        return gap
    i = first_interval(t, cal)
    hi = cal.hi
    if i >= hi:
        return gap
    t = max(t, cal.start[i])
    while cal.end[i] - t < work:
        work -= cal.end[i] - t
        i += 1
        if i >= hi:
            return gap
        gap += cal.start[i] - cal.end[i - 1]
        t = cal.start[i]
    return gap


@jit
def planned_gaps(op_resource: np.ndarray, op_start: np.ndarray, op_setup: np.ndarray, op_work: np.ndarray,
                 cal_ptr: np.ndarray, cal_start: np.ndarray, cal_end: np.ndarray) -> np.ndarray:
    """:func:`planned_gap_crossed` of every operation (planned setup + work from its planned
    start on its resource's calendar): it depends on the plan only, so it is computed once."""
    out = np.zeros(op_resource.shape[0])
    for i in range(op_resource.shape[0]):
        r = op_resource[i]
        cal = Intervals(cal_start, cal_end, cal_ptr[r], cal_ptr[r + 1])
        out[i] = planned_gap_crossed(op_start[i], op_setup[i] + op_work[i], cal)
    return out


@leaf_jit
def advance_call(t: float, work: float, cal: Intervals, absence: Absence, account: np.ndarray) -> float:
    """:func:`advance` compiled as a function of its own, for rare paths: :func:`advance`,
    :func:`next_start` and :func:`process` are inlined where they are called (calls with
    this many arguments cost more than the work), and every inlined copy costs compile time."""
    return advance(t, work, cal, absence, account)


@leaf_jit
def first_failure(breakdowns: Breakdowns, clock: np.ndarray, r: int) -> None:
    """Start resource r's failure clock: work until failure 0 (``tbf_row`` 0: never fails)."""
    clock[r, 1] = 0.0
    if breakdowns.tbf_row == 0:
        clock[r, 0] = math.inf
    else:
        b = breakdowns
        clock[r, 0] = max(sample(b.table, b.tbf_row, b.pool, variate_key(b.failure_key, 0)), 0.0)
