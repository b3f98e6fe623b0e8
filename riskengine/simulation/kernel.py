"""The fast engine: the reference's execution semantics as a numba kernel.

:func:`replicate` simulates one replication over flat arrays with an event
heap of (time, resource) instead of SimPy processes; it makes the same
decisions as :class:`riskengine.simulation.reference.Reference` (see its
docstring for the semantics) and draws the same variates, so both engines
give the same per-replication results. The draws that do not depend on
timing are made up front (:mod:`riskengine.simulation.draws`);
:mod:`riskengine.simulation.runner` runs many replications on threads.

Speed: everything that runs per replication is compiled without numba's
runtime (:data:`riskengine._jit.leaf_jit`) and allocates
nothing: scratch is allocated once per chunk. With the runtime, every array
handed to a function is reference counted with atomic operations on a count
that all threads share (the plan's arrays), which cost more than the
simulation itself and kept two threads from running faster than one. Things
that do not change within a replication are computed once: the key of each
random stream (:func:`riskengine.simulation.rng.stream_key`), and per
operation the start of the scrap binomial's inversion.
"""

from __future__ import annotations

import math

import numpy as np

from riskengine._jit import jit, leaf_jit
from riskengine.simulation import mechanics as mech
from riskengine.simulation.compile import CAUSE, RULE_SAME_FAMILY
from riskengine.simulation.draws import material_arrivals, operation_draws, reliability_factors
from riskengine.simulation.outcome import (
    PLANNING,
    execution_gap,
    inherits,
    root_cause,
    start_delay,
)
from riskengine.simulation.rng import (
    STREAM_ABSENCE,
    STREAM_DEVIATION,
    STREAM_DRIVER,
    STREAM_FAILURE,
    STREAM_MATERIAL,
    STREAM_PERFORMANCE,
    STREAM_RELIABILITY,
    STREAM_RELIABILITY_DELAY,
    STREAM_REPAIR,
    STREAM_SCRAP,
    STREAM_SETUP,
    mix64,
    stream_key,
    uniform,
    variate_key,
)
from riskengine.simulation.sampling import sample
from riskengine.simulation.summary import N_CAUSES

MATERIAL = CAUSE["material"]
ABSENTEEISM = CAUSE["absenteeism"]
OPERATIONAL = CAUSE["operational"]
LOCAL_DECISION = CAUSE["local-decision"]
SETUP, PERFORMANCE, BREAKDOWN = CAUSE["setup"], CAUSE["performance"], CAUSE["breakdown"]


# -- a tiny binary heap of (time, resource), lexicographic --------------------------------------

@jit
def _less(t1: float, r1: int, t2: float, r2: int) -> bool:
    return t1 < t2 or (t1 == t2 and r1 < r2)


@leaf_jit
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


@leaf_jit
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


# -- decisions ---------------------------------------------------------------------------------

@leaf_jit
def _ready(i, t, end, pred_ptr, pred_idx, mat_ready):
    for k in range(pred_ptr[i], pred_ptr[i + 1]):
        if not end[pred_idx[k]] <= t:
            return False
    return mat_ready[i] <= t


@jit
def replicate_work(n: int, n_res: int, n_mat: int):
    """The scratch arrays of :func:`replicate` (allocate once, reuse for every replication)."""
    return (np.zeros(n, np.bool_), np.empty(n, np.int64), np.empty(n), np.empty(n_mat), np.empty(n_res),
            np.empty(n_res, np.int64), np.empty(n_res, np.int64), np.empty(n_res, np.int64),
            np.empty((n_res, 2)), np.empty(n_res, np.int64), np.empty(2 * n_res + 1),
            np.empty(2 * n_res + 1, np.int64), np.zeros(n, np.bool_), np.empty((n_res, 5), np.uint64),
            np.empty(n_res, np.int64), np.empty(n_res, np.int64), np.zeros(mech.N_ACCOUNT),
            np.zeros(N_CAUSES), np.empty(n), np.empty(n), np.empty(n), np.empty(n),
            np.empty(n, np.uint64), np.empty(n), np.empty(n), np.empty(n, np.uint64), np.empty(n),
            np.empty(n), np.empty(n))


@leaf_jit
def replicate(
    seed, rep,
    op_resource, op_start, op_end, op_setup, op_work, op_quantity, op_family, op_entity,
    pred_ptr, pred_idx, mat_ptr, mat_idx, mat_entity, mat_base, mat_late_p, mat_late_row,
    mat_reject_p, mat_reject_row, res_entity, seq_ptr, seq_idx, cal_ptr, cal_start, cal_end,
    res_tbf_row, res_ttr_row, res_absence_p, res_absence_speed, res_shift_hours,
    res_performance_row, res_scrap, res_setup_row, rel_cause, rel_fail_p, dist, pool,
    early_start, next_ready, resequence_window, deviation_p, deviation_window, deviation_rule,
    reliability_delay, reliability_delay_row, drv_p, drv_row, drv_entity, drv_ptr, drv_idx, res_driver,
    op_plan_gap,
    scrap_start, scrap_k0, scrap_ptr, scrap_length, scrap_cdf, scrap_guide,
    start, end, good, delay_cause, moved_cause, factor_cause, order, origin,
    removed, displaced, mat_ready, arrival, res_t, res_decision, res_last_family, res_previous,
    res_clock, res_waiting, heap_t, heap_r, committed, res_keys, res_head, res_cal, account, delay,
    actual_setup, actual_work, actual_units, deviate, setup_key, setup_u, setup_z, work_key, work_u,
    work_z, scrap_u,
) -> int:
    """Simulate one replication; fill ``start``, ``end``, ``good``, the cause arrays and
    ``order`` (operations in the order they were started) and ``origin`` (the operation
    where each one's delay began, :mod:`riskengine.simulation.reference`). Returns how
    many started.

    ``scrap_*`` are the :func:`scrap_tables` of the plan; everything after
    ``order`` is scratch from :func:`replicate_work`.
    """
    n = op_resource.shape[0]
    n_res = res_entity.shape[0]
    key_material = stream_key(seed, rep, STREAM_MATERIAL)
    key_reliability = stream_key(seed, rep, STREAM_RELIABILITY)
    key_reliability_delay = stream_key(seed, rep, STREAM_RELIABILITY_DELAY)
    key_setup = stream_key(seed, rep, STREAM_SETUP)
    key_performance = stream_key(seed, rep, STREAM_PERFORMANCE)
    key_scrap = stream_key(seed, rep, STREAM_SCRAP)
    key_failure = stream_key(seed, rep, STREAM_FAILURE)
    key_repair = stream_key(seed, rep, STREAM_REPAIR)
    key_absence = stream_key(seed, rep, STREAM_ABSENCE)
    key_deviation = stream_key(seed, rep, STREAM_DEVIATION)
    key_driver = stream_key(seed, rep, STREAM_DRIVER)
    material_arrivals(key_material, key_driver, mat_entity, mat_base, mat_late_p, mat_late_row, mat_reject_p,
                      mat_reject_row, drv_p, drv_row, drv_entity, drv_ptr, drv_idx, dist, pool, arrival)
    for i in range(n):
        start[i] = math.inf
        end[i] = math.inf
        good[i] = 0.0
        delay_cause[i] = -1
        moved_cause[i] = -1
        origin[i] = i
        removed[i] = False
        displaced[i] = -1
        committed[i] = False
        ready_at = -math.inf
        for k in range(mat_ptr[i], mat_ptr[i + 1]):
            ready_at = max(ready_at, arrival[mat_idx[k]])
        mat_ready[i] = ready_at
    reliability_factors(key_reliability, op_entity, rel_cause, rel_fail_p, factor_cause)
    operation_draws(key_setup, key_performance, key_scrap, op_resource, op_setup, op_work, op_quantity,
                    op_entity, res_setup_row, res_performance_row, res_scrap, dist, pool, scrap_start,
                    scrap_k0, scrap_ptr, scrap_length, scrap_cdf, scrap_guide, setup_key, setup_u, setup_z,
                    work_key, work_u, work_z, scrap_u, actual_setup, actual_work, actual_units)
    size = 0
    n_started = 0
    n_waiting = 0
    for r in range(n_res):
        res_t[r] = 0.0
        res_decision[r] = 0
        res_last_family[r] = -1
        res_previous[r] = -1
        res_waiting[r] = -1
        res_head[r] = seq_ptr[r]
        res_cal[r] = cal_ptr[r]
        res_keys[r, 0] = mix64(key_failure ^ res_entity[r])
        res_keys[r, 1] = mix64(key_repair ^ res_entity[r])
        res_keys[r, 2] = mix64(key_absence ^ res_entity[r])
        res_keys[r, 3] = mix64(key_deviation ^ res_entity[r])
        res_keys[r, 4] = np.uint64(0)
        if res_driver[r] >= 0:
            res_keys[r, 4] = mix64(key_driver ^ drv_entity[res_driver[r]])
        mech.first_failure(dist, res_tbf_row[r], pool, res_keys[r, 0], res_clock, r)
        if seq_ptr[r + 1] > seq_ptr[r]:
            size = _push(heap_t, heap_r, size, 0.0, r)
        if deviation_p > 0.0:  # the uniform of the resource's d-th decision
            for d in range(seq_ptr[r + 1] - seq_ptr[r]):
                deviate[seq_ptr[r] + d] = uniform(res_keys[r, 3], d)
    while size > 0:
        t = heap_t[0]
        r = heap_r[0]
        size = _pop(heap_t, heap_r, size)
        t = max(t, res_t[r])
        res_t[r] = t
        # the pending operations of r in planned order: seq_idx[lo:hi] without the removed ones
        hi = seq_ptr[r + 1]
        lo = res_head[r]
        while lo < hi and removed[seq_idx[lo]]:
            lo += 1
        res_head[r] = lo
        if lo == hi:
            continue
        head = seq_idx[lo]
        slot = t if early_start else max(t, op_start[head])
        pick = -1
        moved = -1
        if deviation_p > 0.0:
            if deviate[seq_ptr[r] + res_decision[r]] < deviation_p:
                seen = 0
                for k in range(lo, hi):
                    i = seq_idx[k]
                    if removed[i]:
                        continue
                    if seen >= deviation_window:
                        break
                    seen += 1
                    if not _ready(i, t, end, pred_ptr, pred_idx, mat_ready):
                        continue
                    if deviation_rule == RULE_SAME_FAMILY:
                        if res_last_family[r] >= 0 and op_family[i] == res_last_family[r]:
                            pick = i
                            break
                    elif pick < 0 or op_work[i] < op_work[pick]:
                        pick = i
                if pick >= 0 and pick != head:
                    moved = OPERATIONAL
                else:
                    pick = -1
        if pick < 0 and next_ready and mat_ready[head] > slot:
            seen = 0
            for k in range(lo, hi):
                i = seq_idx[k]
                if removed[i]:
                    continue
                seen += 1
                if seen > resequence_window:
                    break
                if seen > 1 and _ready(i, t, end, pred_ptr, pred_idx, mat_ready):
                    pick = i
                    moved = LOCAL_DECISION
                    break
        if pick < 0:
            pick = head
        i = pick
        unknown = False
        for k in range(pred_ptr[i], pred_ptr[i + 1]):
            if not committed[pred_idx[k]]:
                unknown = True
                break
        if unknown:  # wait until a predecessor is started, then decide again
            res_waiting[r] = i
            n_waiting += 1
            continue
        # commit: the operations passed over keep the cause of the move
        if i != head:
            for k in range(lo, hi):
                j = seq_idx[k]
                if j == i:
                    break
                if not removed[j] and displaced[j] < 0:
                    displaced[j] = moved
        moved_cause[i] = moved
        order[n_started] = i
        n_started += 1
        removed[i] = True
        res_decision[r] += 1
        # start time and the cause of any start delay
        s = t
        cause = -2
        source = -1
        if slot > s:
            s = slot
            cause = PLANNING
        for k in range(pred_ptr[i], pred_ptr[i + 1]):
            p = pred_idx[k]
            if end[p] > s:
                s = end[p]
                if delay_cause[p] >= 0:
                    cause = delay_cause[p]
                    source = p
                else:
                    cause = PLANNING
                    source = -1
        if mat_ready[i] > s:
            s = mat_ready[i]
            cause = MATERIAL
            source = -1
        if reliability_delay and factor_cause[i] >= 0:
            key = mix64(key_reliability_delay ^ op_entity[i])
            s += max(sample(dist, reliability_delay_row, pool, variate_key(key, 0)), 0.0)
            cause = factor_cause[i]
            source = -1
        if cause == -2:
            if displaced[i] >= 0:
                cause = displaced[i]
            elif res_previous[r] >= 0 and delay_cause[res_previous[r]] >= 0:
                cause = delay_cause[res_previous[r]]
                source = res_previous[r]
            else:
                cause = PLANNING
        # the working intervals from the first that ends after s: every time asked about below is
        # at least s, and a resource's s never decreases, so the searches start where they end
        c_lo = res_cal[r]
        c_hi = cal_ptr[r + 1]
        if c_lo > cal_ptr[r] and not cal_end[c_lo - 1] <= s:  # never happens; exact anyway
            c_lo = cal_ptr[r]
        while c_lo < c_hi and cal_end[c_lo] <= s:
            c_lo += 1
        res_cal[r] = c_lo
        shift_h = res_shift_hours[r]
        ab_p = res_absence_p[r]
        ab_speed = res_absence_speed[r]
        ab_key = res_keys[r, 2]
        sh_key = res_keys[r, 4]  # the resource's shared absenteeism driver
        sh_p = drv_p[res_driver[r]] if res_driver[r] >= 0 else 0.0
        begin = mech.next_start(s, cal_start, cal_end, c_lo, c_hi, shift_h, ab_p, ab_speed, ab_key, sh_key,
                                sh_p)
        # the next working instant of the calendar alone: what next_start without absences
        # returns (c_lo is the first interval that ends after s)
        plain = begin
        if begin > s:
            plain = max(s, cal_start[c_lo]) if c_lo < c_hi else math.inf
        # setup, processing with breakdowns, scrap
        account[0] = 0.0
        account[1] = 0.0
        account[2] = 0.0
        setup = actual_setup[i]
        after_setup = mech.advance(begin, setup, cal_start, cal_end, c_lo, c_hi, shift_h, ab_p, ab_speed,
                                   ab_key, sh_key, sh_p, account)
        work = actual_work[i]
        finish = after_setup
        if math.isfinite(after_setup):
            finish = mech.process(after_setup, work, cal_start, cal_end, c_lo, c_hi, shift_h, ab_p,
                                  ab_speed, ab_key, sh_key, sh_p, dist, res_tbf_row[r], res_ttr_row[r], pool,
                                  res_keys[r, 0], res_keys[r, 1], res_clock, r, account)
        units = actual_units[i]
        start[i] = begin
        end[i] = finish
        good[i] = units if math.isfinite(finish) else 0.0
        if finish > op_end[i]:
            for k in range(N_CAUSES):
                delay[k] = 0.0
            inherited = start_delay(delay, op_start[i], s, plain, begin, cause)
            delay[BREAKDOWN] += account[mech.REPAIR]
            delay[PERFORMANCE] += work - op_work[i]
            delay[ABSENTEEISM] += account[mech.LOST_ABSENCE]
            delay[SETUP] += setup - op_setup[i]
            planned_gap = (op_end[i] - op_start[i]) - (op_work[i] + op_setup[i])
            inherited = execution_gap(delay, account[mech.GAP_CALENDAR], planned_gap, op_plan_gap[i],
                                      inherited)
            delay_cause[i] = root_cause(delay)
            if source >= 0 and inherits(delay, delay_cause[i], cause, inherited):
                origin[i] = origin[source]
        committed[i] = True
        # wake the resources waiting for this operation to be started
        if n_waiting > 0:
            for w in range(n_res):
                if res_waiting[w] >= 0:
                    j = res_waiting[w]
                    for k in range(pred_ptr[j], pred_ptr[j + 1]):
                        if pred_idx[k] == i:
                            res_waiting[w] = -1
                            n_waiting -= 1
                            size = _push(heap_t, heap_r, size, max(res_t[w], t), w)
                            break
        if math.isfinite(finish):
            res_t[r] = finish
            res_last_family[r] = op_family[i]
            res_previous[r] = i
            size = _push(heap_t, heap_r, size, finish, r)
    return n_started
