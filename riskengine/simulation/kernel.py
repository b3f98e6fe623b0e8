"""The fast engine: the reference's execution semantics as a numba kernel.

:func:`replicate` simulates one replication over flat arrays with an event
heap of (time, resource) instead of SimPy processes; it makes the same
decisions as :class:`riskengine.simulation.reference.Reference` (see its
docstring for the semantics) and draws the same variates, so both engines
give the same per-replication results. :func:`run_kernel` cuts the
replications in chunks that threads run side by side (:func:`_simulate_chunk`
releases the GIL); every chunk owns its scratch arrays and accumulators, and
all sums are integers (fixed point), so results are bit-identical for any
thread count or chunk size.

Speed: everything that runs per replication is compiled without numba's
runtime (:data:`riskengine.adherence.arrays.leaf_jit`) and allocates
nothing: scratch is allocated once per chunk. With the runtime, every array
handed to a function is reference counted with atomic operations on a count
that all threads share (the plan's arrays), which cost more than the
simulation itself and kept two threads from running faster than one. Things
that do not change within a replication are computed once: the key of each
random stream (:func:`_stream_key`), and per operation the start of the
scrap binomial's inversion.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

from riskengine._jit import jit
from riskengine.adherence.arrays import N_COUNTS, N_RATIOS, leaf_jit
from riskengine.simulation import mechanics as mech
from riskengine.simulation.compile import CAUSE, RULE_SAME_FAMILY, Compiled
from riskengine.simulation.insight import attribute
from riskengine.simulation.outcome import (
    PLANNING,
    inherits,
    judge,
    judge_work,
    root_cause,
    start_delay,
)
from riskengine.simulation.parameters import (
    apply_parameters,
    parameterized,
    program_arrays,
    uncertain_scrap_by_loop,
    working_copies,
)
from riskengine.simulation.rng import (
    GOLDEN_GAMMA,
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
    uniform,
    variate_key,
)
from riskengine.simulation.sampling import (
    LOOKUP_PAD,
    binomial_cdf,
    binomial_guide,
    binomial_lookup,
    binomial_prepared,
    binomial_start,
    normal_quantiles,
    sample,
    sample_known,
)
from riskengine.simulation.summary import N_CAUSES, summarize, summary_work

MATERIAL = CAUSE["material"]
ABSENTEEISM = CAUSE["absenteeism"]
OPERATIONAL = CAUSE["operational"]
LOCAL_DECISION = CAUSE["local-decision"]
SETUP, PERFORMANCE, BREAKDOWN = CAUSE["setup"], CAUSE["performance"], CAUSE["breakdown"]
HOURS_SCALE = float(2**20)
UNITS_SCALE = float(2**10)


# -- random keys ---------------------------------------------------------------------------------

@jit
def _stream_key(seed: int, rep: int, stream: int) -> np.uint64:
    """``derive(seed, rep, stream, e) == mix64(_stream_key(seed, rep, stream) ^ e)``.

    :func:`riskengine.simulation.rng.derive` without its last step: the part
    that does not depend on the entity, computed once per replication and stream.
    """
    k = mix64(np.uint64(seed) + GOLDEN_GAMMA)
    k = mix64(k + np.uint64(rep + 1) * GOLDEN_GAMMA)
    return mix64(k + np.uint64(stream + 1) * GOLDEN_GAMMA)


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


SCRAP_TABLE = 512  # longest table of cumulative probabilities per operation (longer: the loop)


@jit
def scrap_tables(op_resource: np.ndarray, op_quantity: np.ndarray, res_scrap: np.ndarray):
    """Per operation, what its scrap binomial needs, computed once for all replications.

    Returns ``(start, k0, ptr, length, cdf, guide)``: ``start`` for
    :func:`~riskengine.simulation.sampling.binomial_prepared`, and where the
    binomial is inverted by the loop (p <= 0.5, mean <= 500) the table of
    :func:`~riskengine.simulation.sampling.binomial_cdf` in
    ``cdf[ptr[i]:ptr[i] + length[i]]`` and its guide, each table followed by
    ``LOOKUP_PAD`` entries of 2 (``length`` -1: no table, use the loop).
    """
    n = op_resource.shape[0]
    start = np.zeros(n)
    k0 = np.zeros(n, np.int64)
    ptr = np.zeros(n, np.int64)
    length = np.full(n, -1, np.int64)
    work = np.empty(SCRAP_TABLE)
    total = 0
    for i in range(n):  # first pass: where each table goes (one allocation, linear in operations)
        p = res_scrap[op_resource[i]]
        units = int(math.floor(op_quantity[i]))
        if p > 0.0:
            start[i] = binomial_start(units, p)
            if units > 0 and p <= 0.5 and units * p <= 500.0:
                k, m = binomial_cdf(units, p, start[i], work)
                if m >= 0:
                    k0[i] = k
                    length[i] = m
                    ptr[i] = total
                    total += m + LOOKUP_PAD
    cdf = np.full(total, 2.0)
    guide = np.zeros(total, np.int64)
    for i in range(n):  # second pass: the tables themselves
        m = length[i]
        if m >= 0:
            p = res_scrap[op_resource[i]]
            binomial_cdf(int(math.floor(op_quantity[i])), p, start[i], cdf[ptr[i]:ptr[i] + m])
            binomial_guide(cdf[ptr[i]:ptr[i] + m], guide[ptr[i]:ptr[i] + m])
    return start, k0, ptr, length, cdf, guide


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
    n_mat = mat_entity.shape[0]
    key_material = _stream_key(seed, rep, STREAM_MATERIAL)
    key_reliability = _stream_key(seed, rep, STREAM_RELIABILITY)
    key_reliability_delay = _stream_key(seed, rep, STREAM_RELIABILITY_DELAY)
    key_setup = _stream_key(seed, rep, STREAM_SETUP)
    key_performance = _stream_key(seed, rep, STREAM_PERFORMANCE)
    key_scrap = _stream_key(seed, rep, STREAM_SCRAP)
    key_failure = _stream_key(seed, rep, STREAM_FAILURE)
    key_repair = _stream_key(seed, rep, STREAM_REPAIR)
    key_absence = _stream_key(seed, rep, STREAM_ABSENCE)
    key_deviation = _stream_key(seed, rep, STREAM_DEVIATION)
    for m in range(n_mat):
        k = mix64(key_material ^ mat_entity[m])
        t = mat_base[m]
        if mat_late_p[m] > 0.0 and uniform(k, 0) < mat_late_p[m]:
            t += max(sample(dist, mat_late_row[m], pool, variate_key(k, 1)), 0.0)
        if mat_reject_p[m] > 0.0 and uniform(k, 2) < mat_reject_p[m]:
            t += max(sample(dist, mat_reject_row[m], pool, variate_key(k, 3)), 0.0)
        arrival[m] = t
    key_driver = _stream_key(seed, rep, STREAM_DRIVER)
    if drv_p.shape[0] > 0:  # shared material drivers: one shock and one delay for all their materials
        for dr in range(drv_p.shape[0]):
            k = mix64(key_driver ^ drv_entity[dr])
            if drv_ptr[dr + 1] > drv_ptr[dr] and drv_p[dr] > 0.0 and uniform(k, 0) < drv_p[dr]:
                shock = max(sample(dist, drv_row[dr], pool, variate_key(k, 1)), 0.0)
                for j in range(drv_ptr[dr], drv_ptr[dr + 1]):
                    arrival[drv_idx[j]] += shock
    n_factors = rel_cause.shape[0]
    for i in range(n):
        start[i] = math.inf
        end[i] = math.inf
        good[i] = 0.0
        delay_cause[i] = -1
        moved_cause[i] = -1
        factor_cause[i] = -1
        origin[i] = i
        removed[i] = False
        displaced[i] = -1
        committed[i] = False
        ready_at = -math.inf
        for k in range(mat_ptr[i], mat_ptr[i + 1]):
            ready_at = max(ready_at, arrival[mat_idx[k]])
        mat_ready[i] = ready_at
        if n_factors > 0:
            key = mix64(key_reliability ^ op_entity[i])
            for f in range(n_factors):
                if uniform(key, rel_cause[f]) < rel_fail_p[f]:
                    factor_cause[i] = rel_cause[f]
                    break
    # the draws of each operation do not depend on when it runs: draw them up front, in batches
    # (hashing keys and inverting the normal distribution vectorize; the event loop then reads
    # actual setup = planned x overrun, work = planned / performance, units = planned - scrap)
    any_setup = False
    any_work = False
    any_scrap = False
    for r in range(n_res):
        any_setup = any_setup or res_setup_row[r] > 0
        any_work = any_work or res_performance_row[r] > 0
        any_scrap = any_scrap or res_scrap[r] > 0.0
    if any_setup:
        for i in range(n):
            k = variate_key(mix64(key_setup ^ op_entity[i]), 0)
            setup_key[i] = k
            setup_u[i] = uniform(k, 0)
        normal_quantiles(setup_u, setup_z)
    if any_work:
        for i in range(n):
            k = variate_key(mix64(key_performance ^ op_entity[i]), 0)
            work_key[i] = k
            work_u[i] = uniform(k, 0)
        normal_quantiles(work_u, work_z)
    if any_scrap:
        for i in range(n):
            scrap_u[i] = uniform(mix64(key_scrap ^ op_entity[i]), 0)
    for i in range(n):
        r = op_resource[i]
        setup = op_setup[i]
        if setup > 0.0 and res_setup_row[r] > 0:
            setup *= max(sample_known(dist, res_setup_row[r], pool, setup_key[i], setup_z[i]), 0.0)
        actual_setup[i] = setup
        work = op_work[i]
        if res_performance_row[r] > 0:
            work /= max(sample_known(dist, res_performance_row[r], pool, work_key[i], work_z[i]), 1e-6)
        actual_work[i] = work
        units = op_quantity[i]
        if res_scrap[r] > 0.0:
            whole = int(math.floor(units))
            if scrap_length[i] >= 0:  # the same variate as binomial(whole, p, u), by table
                units -= binomial_lookup(whole, scrap_u[i], scrap_cdf, scrap_guide, scrap_ptr[i],
                                         scrap_length[i], scrap_k0[i])
            else:
                units -= binomial_prepared(whole, res_scrap[r], scrap_u[i], scrap_start[i])
        actual_units[i] = units
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
            delay[PLANNING] += account[mech.GAP_CALENDAR] - planned_gap
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


@leaf_jit
def _simulate_chunk(
    seed, lo, hi, chunk,
    op_resource, op_start, op_end, op_setup, op_work, op_quantity, op_family, op_entity,
    pred_ptr, pred_idx, mat_ptr, mat_idx, mat_entity, mat_base, mat_late_p, mat_late_row,
    mat_reject_p, mat_reject_row, res_entity, seq_ptr, seq_idx, cal_ptr, cal_start, cal_end,
    res_tbf_row, res_ttr_row, res_absence_p, res_absence_speed, res_shift_hours,
    res_performance_row, res_scrap, res_setup_row, rel_cause, rel_fail_p, dist, pool,
    early_start, next_ready, resequence_window, deviation_p, deviation_window, deviation_rule,
    reliability_delay, reliability_delay_row, drv_p, drv_row, drv_entity, drv_ptr, drv_idx, res_driver,
    scrap_start, scrap_k0, scrap_ptr, scrap_length, scrap_cdf, scrap_guide,
    op_bucket, op_position, op_product, op_day, planned, planned_total, bucket_hours, n_days,
    band_of_bucket, band_measures, lateness_tolerance, quantity_tolerance, units_sequence,
    rows, op_hits, op_lateness, op_executed, op_causes, cause_misses, cause_lost,
    start, end, good, delay_cause, moved_cause, factor_cause, no_factor, order, rw, jw, sw,
    produced, counts, code, miss_cause, lost, lateness, c_lost,
    per_draw, program, w,
    horizon, origin, op_critical, res_critical, op_sums, rep_sums, breaks, ratio,
):
    """Replications ``lo .. hi - 1`` into accumulator row ``chunk`` (all scratch given).

    With uncertain parameters (``program``, see :mod:`riskengine.simulation.parameters`)
    the replications run on the working copies ``w``, rewritten whenever the draw changes.
    """
    n = op_resource.shape[0]
    n_res = res_entity.shape[0]
    p_dist, p_late, p_reject, p_absence, p_scrap, p_fail, p_drv, p_dev, p_scrap_start = \
        dist, mat_late_p, mat_reject_p, res_absence_p, res_scrap, rel_fail_p, drv_p, deviation_p, scrap_start
    uncertain = program[2].shape[0] > 0
    if uncertain:
        p_dist, p_late, p_reject, p_absence, p_scrap, p_fail, p_drv, p_scrap_start = \
            w[0], w[2], w[3], w[4], w[5], w[6], w[7], w[9]
    current = -1
    for rep in range(lo, hi):
        if uncertain and rep // per_draw != current:
            current = rep // per_draw
            apply_parameters(seed, current, *program, scrap_start, *w)
            p_dev = w[8][0]
        n_started = replicate(seed, rep, op_resource, op_start, op_end, op_setup, op_work, op_quantity,
                              op_family, op_entity, pred_ptr, pred_idx, mat_ptr, mat_idx, mat_entity,
                              mat_base, p_late, mat_late_row, p_reject, mat_reject_row,
                              res_entity, seq_ptr, seq_idx, cal_ptr, cal_start, cal_end, res_tbf_row,
                              res_ttr_row, p_absence, res_absence_speed, res_shift_hours,
                              res_performance_row, p_scrap, res_setup_row, rel_cause, p_fail,
                              p_dist, pool, early_start, next_ready, resequence_window, p_dev,
                              deviation_window, deviation_rule, reliability_delay,
                              reliability_delay_row, p_drv, drv_row, drv_entity, drv_ptr, drv_idx,
                              res_driver,
                              p_scrap_start, scrap_k0, scrap_ptr, scrap_length,
                              scrap_cdf, scrap_guide, start, end, good, delay_cause,
                              moved_cause, factor_cause, order, origin, *rw)
        judge(op_bucket, op_position, op_product, op_quantity, planned, planned_total, bucket_hours,
              lateness_tolerance, quantity_tolerance, order, n_started, start, end, good, delay_cause,
              moved_cause, no_factor if reliability_delay else factor_cause, counts, code, miss_cause,
              lost, produced, *jw)
        # integer counts go straight into the chunk's accumulators; hours and units are rounded
        # to fixed point per replication, as the reference engine does
        summarize(op_bucket, op_day, op_end, op_resource, band_of_bucket, band_measures,
                  units_sequence, n_days, n_res, end, code, miss_cause, lost, counts, rows[rep],
                  op_hits[chunk], lateness, op_executed[chunk], op_causes[chunk], cause_misses[chunk],
                  c_lost, *sw)
        attribute(op_bucket, op_start, op_end, op_resource, horizon, units_sequence,
                  quantity_tolerance, code, origin,
                  start, end, counts, rows[rep], op_critical[chunk], res_critical[chunk],
                  op_sums[chunk], rep_sums[chunk], breaks[chunk], ratio)
        for i in range(n):
            if lateness[i] != 0.0:
                op_lateness[chunk, i] += np.int64(np.round(lateness[i] * HOURS_SCALE))
                lateness[i] = 0.0
        for k in range(N_CAUSES):
            if c_lost[k] != 0.0:
                cause_lost[chunk, k] += np.int64(np.round(c_lost[k] * UNITS_SCALE))
                c_lost[k] = 0.0


_SIM_FIELDS = (
    "op_resource", "op_start", "op_end", "op_setup", "op_work", "op_quantity", "op_family", "op_entity",
    "pred_ptr", "pred_idx", "mat_ptr", "mat_idx", "mat_entity", "mat_base", "mat_late_p", "mat_late_row",
    "mat_reject_p", "mat_reject_row", "res_entity", "seq_ptr", "seq_idx", "cal_ptr", "cal_start",
    "cal_end", "res_tbf_row", "res_ttr_row", "res_absence_p", "res_absence_speed", "res_shift_hours",
    "res_performance_row", "res_scrap", "res_setup_row", "rel_cause", "rel_fail_p", "dist", "pool",
    "early_start", "next_ready", "resequence_window", "deviation_p", "deviation_window",
    "deviation_rule", "reliability_delay", "reliability_delay_row", "drv_p", "drv_row", "drv_entity",
    "drv_ptr", "drv_idx", "res_driver",
)
def run_kernel(c: Compiled, seed: int, first: int, count: int, acc, chunks: int | None = None) -> None:
    """Simulate replications ``first .. first + count - 1`` with the kernel into ``acc``.

    The replications are cut in ``chunks`` (default: 4 per numba thread, at
    most one per replication) that threads run side by side (the kernel
    releases the GIL); chunk c owns accumulator row c (integers, fixed point)
    and its scratch arrays, so the results do not depend on the number of
    threads or chunks.
    """
    if count <= 0:
        return
    n_threads = numba.get_num_threads()
    n_chunks = chunks or 4 * n_threads
    n_chunks = max(1, min(n_chunks, count))
    n, n_res, n_mat = c.n_ops, c.n_resources, c.mat_entity.shape[0]
    op_hits = np.zeros((n_chunks, n), np.int64)
    op_lateness = np.zeros((n_chunks, n), np.int64)
    op_executed = np.zeros((n_chunks, n), np.int64)
    op_causes = np.zeros((n_chunks, n, N_CAUSES), np.int64)
    cause_misses = np.zeros((n_chunks, N_CAUSES), np.int64)
    cause_lost = np.zeros((n_chunks, N_CAUSES), np.int64)
    insights = (np.zeros((n_chunks, n), np.int64), np.zeros((n_chunks, n_res), np.int64),
                np.zeros((n_chunks,) + acc.op_sums.shape, np.int64),
                np.zeros((n_chunks,) + acc.rep_sums.shape, np.int64),
                np.zeros((n_chunks,) + acc.breaks.shape, np.int64))
    sim = [getattr(c, name) for name in _SIM_FIELDS]
    tables = uncertain_scrap_by_loop(c, scrap_tables(c.op_resource, c.op_quantity, c.res_scrap))
    program = program_arrays(c)
    judged = (c.op_bucket, c.op_position, c.op_product, c.op_day, c.planned, c.planned_total,
              c.bucket_hours, c.n_days, c.band_of_bucket, c.band_measures, c.lateness_tolerance,
              c.quantity_tolerance, c.units_sequence)

    def run(chunk: int) -> None:
        lo = first + (count * chunk) // n_chunks
        hi = first + (count * (chunk + 1)) // n_chunks
        _simulate_chunk(
            seed, lo, hi, chunk, *sim, *tables, *judged,
            acc.rows, op_hits, op_lateness, op_executed, op_causes, cause_misses, cause_lost,
            np.empty(n), np.empty(n), np.empty(n), np.empty(n, np.int64), np.empty(n, np.int64),
            np.empty(n, np.int64), np.full(n, -1, np.int64), np.empty(n, np.int64),
            replicate_work(n, n_res, n_mat), judge_work(c.op_bucket, c.op_resource, n_res, c.n_buckets),
            summary_work(c.band_measures.shape[0]), np.zeros(c.planned.shape),
            np.zeros((c.n_buckets, N_COUNTS)), np.empty(n, np.int64), np.empty(n, np.int64),
            np.empty(n), np.zeros(n), np.zeros(N_CAUSES),
            c.replications_per_draw, program, working_copies(c, tables[0]),
            c.n_buckets * c.bucket_hours, np.arange(n, dtype=np.int64), *insights,
            np.empty(N_RATIOS),
        )

    if n_threads == 1 or n_chunks == 1:
        for chunk in range(n_chunks):
            run(chunk)
    else:
        with ThreadPoolExecutor(min(n_threads, n_chunks)) as pool:
            list(pool.map(run, range(n_chunks)))
    acc.op_hits += op_hits.sum(axis=0)
    acc.op_lateness += op_lateness.sum(axis=0)
    acc.op_executed += op_executed.sum(axis=0)
    acc.op_causes += op_causes.sum(axis=0)
    acc.cause_misses += cause_misses.sum(axis=0)
    acc.cause_lost += cause_lost.sum(axis=0)
    for total, chunked in zip((acc.op_critical, acc.res_critical, acc.op_sums, acc.rep_sums,
                               acc.breaks), insights, strict=True):
        total += chunked.sum(axis=0)


def kernel_replication(c: Compiled, seed: int, replication: int):
    """Per-operation results of one replication by the kernel (for equivalence checks)."""
    from riskengine.simulation.reference import ReplicationResult

    out = ReplicationResult(c.n_ops)
    c = parameterized(c, seed, replication)
    scratch = replicate_work(c.n_ops, c.n_resources, c.mat_entity.shape[0])
    out.n_started = replicate(seed, replication, *[getattr(c, name) for name in _SIM_FIELDS],
                              *uncertain_scrap_by_loop(c, scrap_tables(c.op_resource, c.op_quantity,
                                                                       c.res_scrap)), out.start,
                              out.end, out.good, out.delay_cause, out.moved_cause, out.factor_cause,
                              out.order, out.origin, *scratch)
    return out
