"""The fast engine: the reference's execution semantics as a numba kernel.

:func:`replicate` simulates one replication over the flat arrays of the
model's records (:mod:`riskengine.simulation.records`) with an event heap of
(time, resource) instead of SimPy processes. It makes the same decisions as
:class:`riskengine.simulation.reference.Reference` (whose docstring states
the semantics) and draws the same variates, so both engines give the same
per-replication results. Each step is a function of the same name in both,
so the reference reads as the specification of the kernel's steps:

==========================================  =============================================
reference (:class:`Reference`)              kernel
==========================================  =============================================
``_arrival``, ``_shared_drivers``           :func:`~riskengine.simulation.draws.material_arrivals`
``factor_failures``                         :func:`~riskengine.simulation.draws.reliability_factors`
``operation_draws`` (in ``execute``)        :func:`~riskengine.simulation.draws.operation_draws` (up front)
``resource``: one SimPy process each        the event loop of :func:`replicate`
``pending`` list                            :func:`pending` (skips the removed operations)
``ready``                                   :func:`ready`
``choose``                                  :func:`choose`
waiting for an unstarted predecessor        :func:`unstarted_predecessor`, :func:`wake`
``commit``                                  :func:`commit`
``start_time``                              :func:`start_time`
``execute``                                 :func:`execute`
==========================================  =============================================

The draws that do not depend on timing are made up front, in batches
(:mod:`riskengine.simulation.draws`); :mod:`riskengine.simulation.runner`
runs many replications on threads.

Speed: everything that runs per replication is compiled without numba's
runtime (:data:`riskengine._jit.leaf_jit`) and allocates nothing: scratch is
allocated once per chunk (:func:`riskengine.simulation.records.scratch`).
With the runtime, every array handed to a function is reference counted with
atomic operations on a count that all threads share (the plan's arrays),
which cost more than the simulation itself and kept two threads from running
faster than one. The steps are inlined into :func:`replicate` (a call would
pass every array of its records). Things that do not change within a
replication are computed once: the key of each random stream
(:func:`riskengine.simulation.rng.stream_key`), and per operation the start of
the scrap binomial's inversion.
"""

from __future__ import annotations

import math

import numpy as np

from riskengine._jit import fused_jit, inner_jit, leaf_jit, step_jit
from riskengine.simulation import mechanics as mech
from riskengine.simulation.codes import Account, Cause, DeviationRule, Realized, Stream
from riskengine.simulation.draws import material_arrivals, operation_draws, reliability_factors
from riskengine.simulation.initial import known_arrivals, left_to_do, pre_account, residual_repair, resume
from riskengine.simulation.outcome import deadline, delay_causes, realized_good, setup_needed, setup_split
from riskengine.simulation.records import Graph, Initial, Model, Outputs, ScrapTables, Scratch
from riskengine.simulation.rng import mix64, stream_key, uniform, variate_key
from riskengine.simulation.sampling import sample
from riskengine.simulation.watchdog import tick

# columns of Scratch.res_keys: each resource's keys in this replication
FAILURE_KEY, REPAIR_KEY, ABSENCE_KEY, DEVIATION_KEY, DRIVER_KEY = range(5)


# -- a tiny binary heap of (time, resource), lexicographic --------------------------------------

@fused_jit
def _less(t1: float, r1: int, t2: float, r2: int) -> bool:
    return t1 < t2 or (t1 == t2 and r1 < r2)


@inner_jit
def _push(heap_t: np.ndarray, heap_r: np.ndarray, size: int, t: float, r: int) -> int:
    k = size
    heap_t[k] = t
    heap_r[k] = r
    while k > 0:
        parent = (k - 1) // 2
        if _less(heap_t[k], heap_r[k], heap_t[parent], heap_r[parent]):
            heap_t[k], heap_t[parent] = heap_t[parent], heap_t[k]
            heap_r[k], heap_r[parent] = heap_r[parent], heap_r[k]
            k = parent
        else:
            break
    return size + 1


@inner_jit
def _pop(heap_t: np.ndarray, heap_r: np.ndarray, size: int) -> int:
    size -= 1
    heap_t[0] = heap_t[size]
    heap_r[0] = heap_r[size]
    k = 0
    while True:
        left = 2 * k + 1
        best = k
        if left < size and _less(heap_t[left], heap_r[left], heap_t[best], heap_r[best]):
            best = left
        if left + 1 < size and _less(heap_t[left + 1], heap_r[left + 1], heap_t[best], heap_r[best]):
            best = left + 1
        if best == k:
            return size
        heap_t[k], heap_t[best] = heap_t[best], heap_t[k]
        heap_r[k], heap_r[best] = heap_r[best], heap_r[k]
        k = best


# -- what a resource knows about itself ----------------------------------------------------------

@step_jit
def absence_of(m: Model, s: Scratch, r: int) -> mech.Absence:
    """Resource r's absenteeism: its own, and its shared driver's (the same key for all its crews)."""
    d = m.resources.driver[r]
    return mech.Absence(m.resources.shift_hours[r], m.resources.absence_p[r], m.resources.absence_speed[r],
                        s.res_keys[r, ABSENCE_KEY], s.res_keys[r, DRIVER_KEY],
                        m.drivers.p[d] if d >= 0 else 0.0,
                        m.initial.known_shifts[r] if m.initial.active else 0)


@step_jit
def breakdowns_of(m: Model, s: Scratch, r: int) -> mech.Breakdowns:
    return mech.Breakdowns(m.dists.table, m.dists.pool, m.resources.tbf_row[r], m.resources.ttr_row[r],
                           s.res_keys[r, FAILURE_KEY], s.res_keys[r, REPAIR_KEY])


@step_jit
def calendar_of(m: Model, s: Scratch, r: int) -> mech.Intervals:
    """Resource r's working intervals from the first that may still matter (``res_cal[r]``)."""
    return mech.Intervals(m.calendars.start, m.calendars.end, s.res_cal[r], m.calendars.ptr[r + 1])


@step_jit
def narrow_calendar(m: Model, s: Scratch, r: int, t: float) -> None:
    """Move ``res_cal[r]`` to the first working interval that ends after ``t``: every time asked
    about afterwards is at least ``t`` (a resource's start times never decrease), so the
    searches start where they end."""
    lo = s.res_cal[r]
    hi = m.calendars.ptr[r + 1]
    end = m.calendars.end
    if lo > m.calendars.ptr[r] and not end[lo - 1] <= t:  # never happens; exact anyway
        lo = m.calendars.ptr[r]
    while lo < hi and end[lo] <= t:
        lo += 1
    s.res_cal[r] = lo


# -- the steps -------------------------------------------------------------------------------------

@fused_jit
def ready(g: Graph, end: np.ndarray, mat_ready: np.ndarray, i: int, t: float) -> bool:
    """Predecessors of operation i ended and its materials arrived by ``t``."""
    for k in range(g.pred_ptr[i], g.pred_ptr[i + 1]):
        if not end[g.pred_idx[k]] <= t:
            return False
    return mat_ready[i] <= t


@step_jit
def pending(g: Graph, s: Scratch, r: int) -> tuple[int, int]:
    """Resource r's pending operations: ``seq_idx[lo:hi]`` without the removed ones, ``lo``
    the first of them (``lo == hi``: none left)."""
    hi = g.seq_ptr[r + 1]
    lo = s.res_head[r]
    while lo < hi and s.removed[g.seq_idx[lo]]:
        lo += 1
    s.res_head[r] = lo
    return lo, hi


@step_jit
def choose(m: Model, s: Scratch, out: Outputs, r: int, t: float, lo: int, hi: int) -> tuple[int, int, float]:
    """The operation resource r takes next at ``t``, the cause of its move (-1: none) and the
    time before which it may not start (a moved operation takes the head's slot)."""
    ops, g, opt = m.ops, m.graph, m.options
    head = g.seq_idx[lo]
    slot = t if opt.early_start else max(t, ops.start[head])
    deviation_p = opt.deviation_p[0]
    if deviation_p > 0.0 and s.deviate[g.seq_ptr[r] + s.res_decision[r]] < deviation_p:
        pick = -1
        seen = 0
        for k in range(lo, hi):  # the next deviation_window pending operations that are ready
            i = g.seq_idx[k]
            if s.removed[i]:
                continue
            if seen >= opt.deviation_window:
                break
            seen += 1
            if not ready(g, out.end, s.mat_ready, i, t):
                continue
            if opt.deviation_rule == DeviationRule.SAME_FAMILY:
                if s.res_last_family[r] >= 0 and ops.family[i] == s.res_last_family[r]:
                    pick = i
                    break
            elif pick < 0 or ops.work[i] < ops.work[pick]:  # the first of the least work
                pick = i
        if pick >= 0 and pick != head:
            return pick, Cause.OPERATIONAL, slot
    if opt.next_ready and s.mat_ready[head] > slot:
        seen = 0
        for k in range(lo, hi):
            i = g.seq_idx[k]
            if s.removed[i]:
                continue
            seen += 1
            if seen > opt.resequence_window:
                break
            if seen > 1 and ready(g, out.end, s.mat_ready, i, t):
                return i, Cause.LOCAL_DECISION, slot
    return head, -1, slot


@step_jit
def unstarted_predecessor(g: Graph, s: Scratch, i: int) -> bool:
    """Whether a routing predecessor of operation i has not been started (its end is unknown)."""
    for k in range(g.pred_ptr[i], g.pred_ptr[i + 1]):
        if not s.committed[g.pred_idx[k]]:
            return True
    return False


@step_jit
def commit(g: Graph, s: Scratch, out: Outputs, r: int, i: int, moved: int, lo: int, hi: int,
           n_started: int) -> None:
    """Take operation i off resource r's pending list as its ``n_started``-th start; the
    operations passed over keep the cause of the move."""
    if i != g.seq_idx[lo]:
        for k in range(lo, hi):
            j = g.seq_idx[k]
            if j == i:
                break
            if not s.removed[j] and s.displaced[j] < 0:
                s.displaced[j] = moved
    out.moved_cause[i] = moved
    out.order[n_started] = i
    s.removed[i] = True
    s.res_decision[r] += 1


@step_jit
def start_time(m: Model, s: Scratch, out: Outputs, r: int, i: int, t: float, slot: float,
               absence: mech.Absence) -> tuple[float, float, float, int, int]:
    """Start of operation i (not before ``slot``) and what delayed it: ``(begin, s, plain,
    cause, source)`` as :meth:`Reference.start_time` returns them. Moves resource r's
    calendar on to the first working interval that ends after ``s`` (:func:`narrow_calendar`)."""
    ops, g = m.ops, m.graph
    at = t
    cause = -2  # the resource itself was the binding constraint
    source = -1
    if slot > at:
        at = slot
        cause = Cause.PLANNING
    for k in range(g.pred_ptr[i], g.pred_ptr[i + 1]):
        p = g.pred_idx[k]
        if out.end[p] > at:
            at = out.end[p]
            if out.delay_cause[p] >= 0:
                cause = out.delay_cause[p]
                source = p
            else:
                cause = Cause.PLANNING
                source = -1
    if s.mat_ready[i] > at:
        at = s.mat_ready[i]
        cause = Cause.MATERIAL
        source = -1
    factor = out.factor_cause[i]
    if factor >= 0 and m.options.reliability_delay:
        key = mix64(s.keys[Stream.RELIABILITY_DELAY] ^ ops.entity[i])
        delay = sample(m.dists.table, m.options.reliability_delay_row, m.dists.pool, variate_key(key, 0))
        at += max(delay, 0.0)
        cause = factor
        source = -1
    elif factor >= 0 and factor != Cause.QUALITY and ops.bucket[i] >= 0:
        held = deadline(m.adherence, ops.bucket[i])  # held past its bucket (Reference's docstring)
        if held > at:
            at = held
            cause = factor
            source = -1
    if m.initial.active:  # a forecast's first start on a resource held at the as-of time by a
        if cause == -2 and s.res_hold_cause[r] >= 0:  # repair or an absent crew (start_from_state)
            cause = s.res_hold_cause[r]
        s.res_hold_cause[r] = -1
    if cause == -2:
        previous = s.res_previous[r]
        if s.displaced[i] >= 0:
            cause = s.displaced[i]
        elif previous >= 0 and out.delay_cause[previous] >= 0:
            cause = out.delay_cause[previous]
            source = previous
        else:
            cause = Cause.PLANNING
    narrow_calendar(m, s, r, at)
    begin, plain = mech.start_instants(at, calendar_of(m, s, r), absence, s.account)
    return begin, at, plain, cause, source


@step_jit
def execute(m: Model, s: Scratch, out: Outputs, r: int, i: int, start: tuple[float, float, float, int, int],
            cal: mech.Intervals, absence: mech.Absence) -> float:
    """Setup and processing of operation i from ``start`` (:func:`start_time`); record its
    results and return its end."""
    begin = start[0]
    source = start[4]
    account = s.account
    account[Account.LOST_ABSENCE] = 0.0
    account[Account.GAP_CALENDAR] = 0.0
    account[Account.REPAIR] = 0.0
    base, missing = setup_needed(m.changeovers, m.ops, i, s.res_last_family[r])
    setup = base * s.setup_factor[i]
    after_setup = mech.advance(begin, setup, cal, absence, account)
    work = s.actual_work[i]
    finish = after_setup
    if math.isfinite(after_setup):
        breakdowns = breakdowns_of(m, s, r)
        finish = mech.process(after_setup, work, cal, absence, breakdowns, s.res_clock, r, account)
    out.start[i] = begin
    out.end[i] = finish
    good = realized_good(m.ops, m.adherence, m.options.reliability_delay, out.factor_cause[i], i,
                         s.actual_units[i])
    out.good[i] = good if math.isfinite(finish) else 0.0
    if finish > m.ops.end[i]:
        root, inherited = delay_causes(s.delay, m.ops, i, start, setup, missing, work, account)
        out.delay_cause[i] = root
        if inherited:
            out.origin[i] = out.origin[source]
    return finish


@step_jit
def wake(g: Graph, resource: np.ndarray, s: Scratch, i: int, t: float, size: int, n_waiting: int
         ) -> tuple[int, int]:
    """Put the resources that waited for operation i to be started back on the heap: those whose
    chosen operation (one of their own) is a routing successor of i. (A scan of every resource
    cost the plan's resources per start: a 200,000-operation plan on 500 resources ran 4 times
    slower per operation than one of 5,000 on 12.) The heap orders by (time, resource) and holds
    a resource once, so the order of the pushes does not matter."""
    for k in range(g.succ_ptr[i], g.succ_ptr[i + 1]):
        j = g.succ_idx[k]
        w = resource[j]
        if s.res_waiting[w] == j:
            s.res_waiting[w] = -1
            n_waiting -= 1
            size = _push(s.heap_t, s.heap_r, size, max(s.res_t[w], t), w)
    return size, n_waiting


# -- a forecast's realized state (riskengine.simulation.initial) ---------------------------------

@step_jit
def realized_operation(initial: Initial, s: Scratch, out: Outputs, i: int, planned_end: float) -> None:
    """Operation i as realized before the as-of time: done (its record: start, end, good units;
    a late or missing one carries its recorded cause, ``unknown`` without one, as in a
    measurement) or in progress (its start; :func:`start_from_state` resumes it)."""
    state = initial.state[i]
    if state == Realized.PENDING:
        return
    out.start[i] = initial.start[i]
    s.removed[i] = True
    if state == Realized.DONE:
        out.end[i] = initial.end[i]
        out.good[i] = initial.good[i]
        recorded = initial.cause[i] if initial.cause[i] >= 0 else Cause.UNKNOWN
        out.moved_cause[i] = recorded
        out.delay_cause[i] = recorded if initial.end[i] > planned_end else -1
        s.committed[i] = True


@step_jit
def start_from_state(m: Model, s: Scratch, out: Outputs, r: int, size: int) -> int:
    """Resource r at the as-of time T: its last operation and decisions so far, the remaining
    repair of a breakdown in progress (:func:`~riskengine.simulation.initial.residual_repair`;
    the machine renewed after it), a crew known absent, then the operation in progress resumed
    (:func:`~riskengine.simulation.initial.resume`); pushed on the heap when it is free again
    (returns the heap's size)."""
    initial, ops, g = m.initial, m.ops, m.graph
    t = initial.as_of
    s.res_decision[r] = initial.decisions[r]
    previous = initial.previous[r]
    s.res_previous[r] = previous
    s.res_last_family[r] = ops.family[previous] if previous >= 0 else -1
    repaired = t
    down = not math.isnan(initial.down_since[r])
    if down:
        b = breakdowns_of(m, s, r)
        repaired = t + residual_repair(b.table, b.ttr_row, b.pool, b.repair_key, t - initial.down_since[r])
        s.res_clock[r, 1] = 1.0  # the machine is renewed: its next failure is failure 1
        s.res_clock[r, 0] = math.inf
        if b.tbf_row != 0:
            s.res_clock[r, 0] = max(sample(b.table, b.tbf_row, b.pool, variate_key(b.failure_key, 1)), 0.0)
    hold = max(repaired, initial.free[r])
    running = -1
    for k in range(g.seq_ptr[r], g.seq_ptr[r + 1]):
        j = g.seq_idx[k]
        if initial.state[j] != Realized.PENDING:
            out.factor_cause[j] = -1  # a reliability factor fails an operation when it starts
        if initial.state[j] == Realized.RUNNING:
            running = j
    if running < 0:
        if hold > t:
            s.res_hold[r] = hold
            held = Cause.BREAKDOWN if down and repaired >= initial.free[r] else Cause.ABSENTEEISM
            s.res_hold_cause[r] = held
        s.res_t[r] = hold
        if g.seq_ptr[r + 1] > g.seq_ptr[r]:
            size = _push(s.heap_t, s.heap_r, size, hold, r)
        return size
    i = running
    account = s.account
    pre_account(initial, i, account)
    account[Account.REPAIR] += repaired - t
    account[Account.LOST_ABSENCE] += hold - repaired
    base, missing = setup_split(ops, i, initial.changeover[i])  # after what the resource ran before it
    setup, work = base * s.setup_factor[i], s.actual_work[i]
    setup_left, work_left = left_to_do(setup, work, initial.done_work[i])
    finish = resume(hold, setup_left, work_left, calendar_of(m, s, r), absence_of(m, s, r),
                    breakdowns_of(m, s, r), s.res_clock, r, account)
    out.end[i] = finish
    out.good[i] = s.actual_units[i] if math.isfinite(finish) else 0.0
    if finish > ops.end[i]:
        begin = initial.start[i]
        recorded = initial.cause[i] if initial.cause[i] >= 0 else Cause.UNKNOWN
        root, _ = delay_causes(s.delay, ops, i, (begin, begin, begin, recorded, -1), setup, missing, work,
                               account)
        out.delay_cause[i] = root
    s.committed[i] = True
    s.res_previous[r] = i
    s.res_last_family[r] = ops.family[i]
    if math.isfinite(finish):
        s.res_t[r] = finish
        size = _push(s.heap_t, s.heap_r, size, finish, r)
    return size


# -- one replication -------------------------------------------------------------------------------

@step_jit
def reset(m: Model, s: Scratch, out: Outputs) -> None:
    """Every operation unstarted, with the arrival of its last material (a forecast: operations
    and lots as realized, :func:`realized_operation`, :func:`known_arrivals`)."""
    if m.initial.active:
        known_arrivals(m.initial, s.arrival)
        for k in range(m.initial.n_started):  # the starts before the as-of time, in their order
            out.order[k] = m.initial.order[k]
    for i in range(m.ops.resource.shape[0]):
        out.start[i] = math.inf
        out.end[i] = math.inf
        out.good[i] = 0.0
        out.delay_cause[i] = -1
        out.moved_cause[i] = -1
        out.origin[i] = i
        s.removed[i] = False
        s.displaced[i] = -1
        s.committed[i] = False
        if m.initial.active:
            realized_operation(m.initial, s, out, i, m.ops.end[i])
        ready_at = -math.inf
        for k in range(m.graph.mat_ptr[i], m.graph.mat_ptr[i + 1]):
            ready_at = max(ready_at, s.arrival[m.graph.mat_idx[k]])
        s.mat_ready[i] = ready_at


@step_jit
def start_resources(m: Model, s: Scratch, out: Outputs) -> int:
    """Every resource free at 0 with its keys, failure clock and decision uniforms; the heap
    of the resources with operations (returns its size). A forecast starts each resource
    from its realized state instead (:func:`start_from_state`)."""
    g, res = m.graph, m.resources
    size = 0
    for r in range(res.entity.shape[0]):
        s.res_t[r] = 0.0
        s.res_decision[r] = 0
        s.res_last_family[r] = -1
        s.res_previous[r] = -1
        s.res_waiting[r] = -1
        s.res_head[r] = g.seq_ptr[r]
        s.res_cal[r] = m.calendars.ptr[r]
        s.res_keys[r, FAILURE_KEY] = mix64(s.keys[Stream.FAILURE] ^ res.entity[r])
        s.res_keys[r, REPAIR_KEY] = mix64(s.keys[Stream.REPAIR] ^ res.entity[r])
        s.res_keys[r, ABSENCE_KEY] = mix64(s.keys[Stream.ABSENCE] ^ res.entity[r])
        s.res_keys[r, DEVIATION_KEY] = mix64(s.keys[Stream.DEVIATION] ^ res.entity[r])
        s.res_keys[r, DRIVER_KEY] = np.uint64(0)
        if res.driver[r] >= 0:
            s.res_keys[r, DRIVER_KEY] = mix64(s.keys[Stream.DRIVER] ^ m.drivers.entity[res.driver[r]])
        mech.first_failure(breakdowns_of(m, s, r), s.res_clock, r)
        if g.seq_ptr[r + 1] > g.seq_ptr[r]:
            size = _push(s.heap_t, s.heap_r, size, 0.0, r)
        if m.options.deviation_p[0] > 0.0:  # the uniform of the resource's d-th decision
            for d in range(g.seq_ptr[r + 1] - g.seq_ptr[r]):
                s.deviate[g.seq_ptr[r] + d] = uniform(s.res_keys[r, DEVIATION_KEY], d)
        s.res_hold_cause[r] = -1
    if m.initial.active:  # a forecast: from the as-of time, in the realized state
        size = 0
        for r in range(res.entity.shape[0]):
            size = start_from_state(m, s, out, r, size)
    return size


@leaf_jit
def replicate(seed: int, rep: int, m: Model, scrap: ScrapTables, s: Scratch, out: Outputs) -> int:
    """Simulate replication ``rep`` of model ``m``; fill ``out`` (:class:`Outputs`: start, end,
    good quantity, causes, the order of the starts and each delay's origin) and return how
    many operations started.

    ``scrap`` are the scrap tables of the plan (:func:`riskengine.simulation.draws.scrap_tables`),
    ``s`` the scratch arrays (:func:`riskengine.simulation.records.scratch`), whose ``account``
    counts the replication's events (armed by the caller, :func:`riskengine.simulation.watchdog.arm`).
    """
    for stream in range(1, s.keys.shape[0]):
        s.keys[stream] = stream_key(seed, rep, stream)
    material_arrivals(m.materials, m.drivers, m.dists, s.keys, s.arrival)
    reset(m, s, out)
    reliability_factors(s.keys[Stream.RELIABILITY], m.ops.entity, m.factors, out.factor_cause)
    operation_draws(m.ops, m.resources, m.dists, scrap, s)
    size = start_resources(m, s, out)
    n_started = m.initial.n_started  # a forecast: the operations started before its as-of time
    n_waiting = 0
    while size > 0:  # the next resource to be free; each pop starts an operation or waits
        t = s.heap_t[0]
        r = s.heap_r[0]
        size = _pop(s.heap_t, s.heap_r, size)
        t = max(t, s.res_t[r])
        s.res_t[r] = t
        lo, hi = pending(m.graph, s, r)
        if lo == hi:
            continue
        i, moved, slot = choose(m, s, out, r, t, lo, hi)
        if unstarted_predecessor(m.graph, s, i):  # wait until a predecessor is started, then decide again
            s.res_waiting[r] = i
            n_waiting += 1
            if tick(s.account):  # an event (riskengine.simulation.watchdog): past the bound, stop
                break
            continue
        commit(m.graph, s, out, r, i, moved, lo, hi, n_started)
        n_started += 1
        absence = absence_of(m, s, r)
        start = start_time(m, s, out, r, i, t, slot, absence)
        finish = execute(m, s, out, r, i, start, calendar_of(m, s, r), absence)
        s.committed[i] = True
        if n_waiting > 0:
            size, n_waiting = wake(m.graph, m.ops.resource, s, i, t, size, n_waiting)
        if math.isfinite(finish):
            s.res_t[r] = finish
            s.res_last_family[r] = m.ops.family[i]
            s.res_previous[r] = i
            size = _push(s.heap_t, s.heap_r, size, finish, r)
    return n_started
