"""The fast engine: the reference's execution semantics as a numba kernel.

:func:`replicate` simulates one replication over flat arrays with an event
heap of (time, resource) instead of SimPy processes; it makes the same
decisions as :class:`riskengine.simulation.reference.Reference` (see its
docstring for the semantics) and draws the same variates, so both engines
give the same per-replication results. :func:`run_replications` spreads
replications over threads with ``prange`` over chunks; every chunk owns its
scratch arrays and accumulators, and all sums are integers (fixed point), so
results are bit-identical for any thread count or chunk size.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from riskengine._jit import jit, parallel_jit
from riskengine.simulation import mechanics as mech
from riskengine.simulation.compile import CAUSE, RULE_SAME_FAMILY, Compiled
from riskengine.simulation.outcome import PLANNING, judge, root_cause
from riskengine.simulation.rng import (
    STREAM_ABSENCE,
    STREAM_DEVIATION,
    STREAM_FAILURE,
    STREAM_MATERIAL,
    STREAM_PERFORMANCE,
    STREAM_RELIABILITY,
    STREAM_RELIABILITY_DELAY,
    STREAM_REPAIR,
    STREAM_SCRAP,
    STREAM_SETUP,
    derive,
    uniform,
    variate_key,
)
from riskengine.simulation.sampling import binomial, sample
from riskengine.simulation.summary import N_CAUSES, summarize

MATERIAL = CAUSE["material"]
ABSENTEEISM = CAUSE["absenteeism"]
OPERATIONAL = CAUSE["operational"]
LOCAL_DECISION = CAUSE["local-decision"]
SETUP, PERFORMANCE, BREAKDOWN = CAUSE["setup"], CAUSE["performance"], CAUSE["breakdown"]
HOURS_SCALE = float(2**20)
UNITS_SCALE = float(2**10)


# -- a tiny binary heap of (time, resource), lexicographic --------------------------------------

@jit
def _less(t1: float, r1: int, t2: float, r2: int) -> bool:
    return t1 < t2 or (t1 == t2 and r1 < r2)


@jit
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


@jit
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

@jit
def _ready(i, t, end, pred_ptr, pred_idx, mat_ready):
    for k in range(pred_ptr[i], pred_ptr[i + 1]):
        if not end[pred_idx[k]] <= t:
            return False
    return mat_ready[i] <= t


@jit
def replicate(
    seed, rep,
    op_resource, op_start, op_end, op_setup, op_work, op_quantity, op_family, op_entity,
    pred_ptr, pred_idx, mat_ptr, mat_idx, mat_entity, mat_base, mat_late_p, mat_late_row,
    mat_reject_p, mat_reject_row, res_entity, seq_ptr, seq_idx, cal_ptr, cal_start, cal_end,
    res_tbf_row, res_ttr_row, res_absence_p, res_absence_speed, res_shift_hours,
    res_performance_row, res_scrap, res_setup_row, rel_cause, rel_fail_p, dist, pool,
    early_start, next_ready, resequence_window, deviation_p, deviation_window, deviation_rule,
    reliability_delay, reliability_delay_row,
    start, end, good, delay_cause, moved_cause, factor_cause, order,
    removed, displaced, mat_ready, arrival, res_t, res_decision, res_last_family, res_previous,
    res_clock, res_waiting, heap_t, heap_r, committed, res_keys, res_head,
) -> int:
    """Simulate one replication; fill ``start``, ``end``, ``good``, the cause arrays and
    ``order`` (operations in the order they were started). Returns how many started.

    Everything after ``order`` is scratch owned by the caller.
    """
    n = op_resource.shape[0]
    n_res = res_entity.shape[0]
    n_mat = mat_entity.shape[0]
    account = np.zeros(mech.N_ACCOUNT)
    delay = np.zeros(N_CAUSES)
    for m in range(n_mat):
        k = derive(seed, rep, STREAM_MATERIAL, mat_entity[m])
        t = mat_base[m]
        if mat_late_p[m] > 0.0 and uniform(k, 0) < mat_late_p[m]:
            t += max(sample(dist, mat_late_row[m], pool, variate_key(k, 1)), 0.0)
        if mat_reject_p[m] > 0.0 and uniform(k, 2) < mat_reject_p[m]:
            t += max(sample(dist, mat_reject_row[m], pool, variate_key(k, 3)), 0.0)
        arrival[m] = t
    for i in range(n):
        start[i] = math.inf
        end[i] = math.inf
        good[i] = 0.0
        delay_cause[i] = -1
        moved_cause[i] = -1
        factor_cause[i] = -1
        removed[i] = False
        displaced[i] = -1
        committed[i] = False
        ready_at = -math.inf
        for k in range(mat_ptr[i], mat_ptr[i + 1]):
            ready_at = max(ready_at, arrival[mat_idx[k]])
        mat_ready[i] = ready_at
        if rel_cause.shape[0] > 0:
            key = derive(seed, rep, STREAM_RELIABILITY, op_entity[i])
            for f in range(rel_cause.shape[0]):
                if uniform(key, rel_cause[f]) < rel_fail_p[f]:
                    factor_cause[i] = rel_cause[f]
                    break
    size = 0
    n_started = 0
    for r in range(n_res):
        res_t[r] = 0.0
        res_decision[r] = 0
        res_last_family[r] = -1
        res_previous[r] = -1
        res_waiting[r] = -1
        res_head[r] = seq_ptr[r]
        res_keys[r, 0] = derive(seed, rep, STREAM_FAILURE, res_entity[r])
        res_keys[r, 1] = derive(seed, rep, STREAM_REPAIR, res_entity[r])
        res_keys[r, 2] = derive(seed, rep, STREAM_ABSENCE, res_entity[r])
        res_keys[r, 3] = derive(seed, rep, STREAM_DEVIATION, res_entity[r])
        mech.first_failure(dist, res_tbf_row[r], pool, res_keys[r, 0], res_clock, r)
        if seq_ptr[r + 1] > seq_ptr[r]:
            size = _push(heap_t, heap_r, size, 0.0, r)
    while size > 0:
        t = heap_t[0]
        r = heap_r[0]
        size = _pop(heap_t, heap_r, size)
        t = max(t, res_t[r])
        res_t[r] = t
        # the pending operations of r in planned order: seq_idx[lo:hi] without the removed ones
        hi = seq_ptr[r + 1]
        while res_head[r] < hi and removed[seq_idx[res_head[r]]]:
            res_head[r] += 1
        lo = res_head[r]
        if lo == hi:
            continue
        head = seq_idx[lo]
        slot = t if early_start else max(t, op_start[head])
        pick = -1
        moved = -1
        if deviation_p > 0.0:
            u = uniform(res_keys[r, 3], res_decision[r])
            if u < deviation_p:
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
            continue
        # commit: the operations passed over keep the cause of the move
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
        if slot > s:
            s = slot
            cause = -1
        for k in range(pred_ptr[i], pred_ptr[i + 1]):
            p = pred_idx[k]
            if end[p] > s:
                s = end[p]
                cause = delay_cause[p] if delay_cause[p] >= 0 else PLANNING
        if mat_ready[i] > s:
            s = mat_ready[i]
            cause = MATERIAL
        if reliability_delay and factor_cause[i] >= 0:
            key = derive(seed, rep, STREAM_RELIABILITY_DELAY, op_entity[i])
            s += max(sample(dist, reliability_delay_row, pool, variate_key(key, 0)), 0.0)
            cause = factor_cause[i]
        if cause == -2:
            if displaced[i] >= 0:
                cause = displaced[i]
            elif res_previous[r] >= 0 and delay_cause[res_previous[r]] >= 0:
                cause = delay_cause[res_previous[r]]
            else:
                cause = PLANNING
        c_lo = cal_ptr[r]
        c_hi = cal_ptr[r + 1]
        shift_h = res_shift_hours[r]
        ab_p = res_absence_p[r]
        ab_speed = res_absence_speed[r]
        ab_key = res_keys[r, 2]
        begin = mech.next_start(s, cal_start, cal_end, c_lo, c_hi, shift_h, ab_p, ab_speed, ab_key)
        if begin > s and cause == -1:
            plain = mech.next_start(s, cal_start, cal_end, c_lo, c_hi, shift_h, 0.0, 1.0, ab_key)
            cause = ABSENTEEISM if begin > plain else PLANNING
        # setup, processing with breakdowns, scrap
        account[:] = 0.0
        setup = op_setup[i]
        if setup > 0.0 and res_setup_row[r] > 0:
            key = derive(seed, rep, STREAM_SETUP, op_entity[i])
            setup *= max(sample(dist, res_setup_row[r], pool, variate_key(key, 0)), 0.0)
        after_setup = mech.advance(begin, setup, cal_start, cal_end, c_lo, c_hi, shift_h, ab_p, ab_speed,
                                   ab_key, account)
        work = op_work[i]
        if res_performance_row[r] > 0:
            key = derive(seed, rep, STREAM_PERFORMANCE, op_entity[i])
            work /= max(sample(dist, res_performance_row[r], pool, variate_key(key, 0)), 1e-6)
        finish = after_setup
        if math.isfinite(after_setup):
            finish = mech.process(after_setup, work, cal_start, cal_end, c_lo, c_hi, shift_h, ab_p,
                                  ab_speed, ab_key, dist, res_tbf_row[r], res_ttr_row[r], pool,
                                  res_keys[r, 0], res_keys[r, 1], res_clock, r, account)
        units = op_quantity[i]
        if res_scrap[r] > 0.0:
            key = derive(seed, rep, STREAM_SCRAP, op_entity[i])
            units -= binomial(int(math.floor(units)), res_scrap[r], uniform(key, 0))
        start[i] = begin
        end[i] = finish
        good[i] = units if math.isfinite(finish) else 0.0
        if finish > op_end[i]:
            delay[:] = 0.0
            if cause >= 0 and begin > op_start[i]:
                delay[cause] += begin - op_start[i]
            delay[BREAKDOWN] += account[mech.REPAIR]
            delay[PERFORMANCE] += work - op_work[i]
            delay[ABSENTEEISM] += account[mech.LOST_ABSENCE]
            delay[SETUP] += setup - op_setup[i]
            planned_gap = (op_end[i] - op_start[i]) - (op_work[i] + op_setup[i])
            delay[PLANNING] += account[mech.GAP_CALENDAR] - planned_gap
            delay_cause[i] = root_cause(delay)
        committed[i] = True
        # wake the resources waiting for this operation to be started
        for w in range(n_res):
            if res_waiting[w] >= 0:
                j = res_waiting[w]
                for k in range(pred_ptr[j], pred_ptr[j + 1]):
                    if pred_idx[k] == i:
                        res_waiting[w] = -1
                        size = _push(heap_t, heap_r, size, max(res_t[w], t), w)
                        break
        if math.isfinite(finish):
            res_t[r] = finish
            res_last_family[r] = op_family[i]
            res_previous[r] = i
            size = _push(heap_t, heap_r, size, finish, r)
    return n_started


@parallel_jit
def _run_chunks(
    seed, first, count, n_chunks,
    op_resource, op_start, op_end, op_setup, op_work, op_quantity, op_family, op_entity,
    pred_ptr, pred_idx, mat_ptr, mat_idx, mat_entity, mat_base, mat_late_p, mat_late_row,
    mat_reject_p, mat_reject_row, res_entity, seq_ptr, seq_idx, cal_ptr, cal_start, cal_end,
    res_tbf_row, res_ttr_row, res_absence_p, res_absence_speed, res_shift_hours,
    res_performance_row, res_scrap, res_setup_row, rel_cause, rel_fail_p, dist, pool,
    early_start, next_ready, resequence_window, deviation_p, deviation_window, deviation_rule,
    reliability_delay, reliability_delay_row,
    op_bucket, op_position, op_product, op_day, planned, planned_total, n_buckets, bucket_hours, n_days,
    band_of_bucket, band_measures, lateness_tolerance, quantity_tolerance, units_sequence,
    rows, op_hits, op_lateness, op_executed, op_causes, cause_misses, cause_lost,
):
    """Replications ``first .. first + count - 1`` in ``n_chunks`` chunks over threads.

    Chunk ``c`` owns accumulator row ``c`` (integers, fixed point), so the sum
    over chunks is the same whatever the number of threads or chunks.
    """
    n = op_resource.shape[0]
    n_res = res_entity.shape[0]
    n_mat = mat_entity.shape[0]
    for chunk in numba.prange(n_chunks):
        lo = first + (count * chunk) // n_chunks
        hi = first + (count * (chunk + 1)) // n_chunks
        start = np.empty(n)
        end = np.empty(n)
        good = np.empty(n)
        delay_cause = np.empty(n, np.int64)
        moved_cause = np.empty(n, np.int64)
        factor_cause = np.empty(n, np.int64)
        no_factor = np.full(n, -1, np.int64)
        removed = np.zeros(n, np.bool_)
        displaced = np.empty(n, np.int64)
        mat_ready = np.empty(n)
        arrival = np.empty(n_mat)
        res_t = np.empty(n_res)
        res_decision = np.empty(n_res, np.int64)
        res_last_family = np.empty(n_res, np.int64)
        res_previous = np.empty(n_res, np.int64)
        res_clock = np.empty((n_res, 2))
        res_waiting = np.empty(n_res, np.int64)
        heap_t = np.empty(2 * n_res + 1)
        heap_r = np.empty(2 * n_res + 1, np.int64)
        committed = np.zeros(n, np.bool_)
        order = np.empty(n, np.int64)
        res_keys = np.empty((n_res, 4), np.uint64)
        res_head = np.empty(n_res, np.int64)
        produced = np.zeros(planned.shape)
        counts = np.zeros((n_buckets, 8))
        code = np.empty(n, np.int64)
        miss_cause = np.empty(n, np.int64)
        lost = np.empty(n)
        hits = np.zeros(n, np.int64)
        lateness = np.zeros(n)
        executed = np.zeros(n, np.int64)
        causes = np.zeros((n, N_CAUSES), np.int64)
        c_misses = np.zeros(N_CAUSES, np.int64)
        c_lost = np.zeros(N_CAUSES)
        for rep in range(lo, hi):
            n_started = replicate(seed, rep, op_resource, op_start, op_end, op_setup, op_work, op_quantity,
                      op_family, op_entity, pred_ptr, pred_idx, mat_ptr, mat_idx, mat_entity, mat_base,
                      mat_late_p, mat_late_row, mat_reject_p, mat_reject_row, res_entity, seq_ptr,
                      seq_idx, cal_ptr, cal_start, cal_end, res_tbf_row, res_ttr_row, res_absence_p,
                      res_absence_speed, res_shift_hours, res_performance_row, res_scrap,
                      res_setup_row, rel_cause, rel_fail_p, dist, pool, early_start, next_ready,
                      resequence_window, deviation_p, deviation_window, deviation_rule,
                      reliability_delay, reliability_delay_row, start, end, good, delay_cause,
                      moved_cause, factor_cause, order, removed, displaced, mat_ready, arrival, res_t,
                      res_decision, res_last_family, res_previous, res_clock, res_waiting, heap_t,
                      heap_r, committed, res_keys, res_head)
            judge(op_bucket, op_resource, n_res, op_position, op_product, op_quantity, planned,
                  planned_total, bucket_hours, lateness_tolerance, quantity_tolerance, order, n_started,
                  start, end, good, delay_cause, moved_cause,
                  no_factor if reliability_delay else factor_cause, counts, code, miss_cause, lost,
                  produced)
            summarize(op_bucket, op_day, op_end, op_resource, band_of_bucket, band_measures,
                      units_sequence, n_days, n_res, end, code, miss_cause, lost, counts, rows[rep],
                      hits, lateness, executed, causes, c_misses, c_lost)
            for i in range(n):
                op_hits[chunk, i] += hits[i]
                op_lateness[chunk, i] += np.int64(np.round(lateness[i] * HOURS_SCALE))
                op_executed[chunk, i] += executed[i]
                hits[i] = 0
                lateness[i] = 0.0
                executed[i] = 0
                for k in range(N_CAUSES):
                    op_causes[chunk, i, k] += causes[i, k]
                    causes[i, k] = 0
            for k in range(N_CAUSES):
                cause_misses[chunk, k] += c_misses[k]
                cause_lost[chunk, k] += np.int64(np.round(c_lost[k] * UNITS_SCALE))
                c_misses[k] = 0
                c_lost[k] = 0.0


_SIM_FIELDS = (
    "op_resource", "op_start", "op_end", "op_setup", "op_work", "op_quantity", "op_family", "op_entity",
    "pred_ptr", "pred_idx", "mat_ptr", "mat_idx", "mat_entity", "mat_base", "mat_late_p", "mat_late_row",
    "mat_reject_p", "mat_reject_row", "res_entity", "seq_ptr", "seq_idx", "cal_ptr", "cal_start",
    "cal_end", "res_tbf_row", "res_ttr_row", "res_absence_p", "res_absence_speed", "res_shift_hours",
    "res_performance_row", "res_scrap", "res_setup_row", "rel_cause", "rel_fail_p", "dist", "pool",
    "early_start", "next_ready", "resequence_window", "deviation_p", "deviation_window",
    "deviation_rule", "reliability_delay", "reliability_delay_row",
)
_JUDGE_FIELDS = (
    "op_bucket", "op_position", "op_product", "op_day", "planned", "planned_total", "n_buckets",
    "bucket_hours",
    "n_days", "band_of_bucket", "band_measures", "lateness_tolerance", "quantity_tolerance",
    "units_sequence",
)


def run_kernel(c: Compiled, seed: int, first: int, count: int, acc, chunks: int | None = None) -> None:
    """Simulate replications ``first .. first + count - 1`` with the kernel into ``acc``.

    ``chunks`` (default: 4 per thread, at most one per replication) only
    changes how work is spread; the results do not depend on it.
    """
    if count <= 0:
        return
    n_chunks = chunks or 4 * numba.get_num_threads()
    n_chunks = max(1, min(n_chunks, count))
    n = c.n_ops
    op_hits = np.zeros((n_chunks, n), np.int64)
    op_lateness = np.zeros((n_chunks, n), np.int64)
    op_executed = np.zeros((n_chunks, n), np.int64)
    op_causes = np.zeros((n_chunks, n, N_CAUSES), np.int64)
    cause_misses = np.zeros((n_chunks, N_CAUSES), np.int64)
    cause_lost = np.zeros((n_chunks, N_CAUSES), np.int64)
    sim = [getattr(c, name) for name in _SIM_FIELDS]
    judge_args = [getattr(c, name) for name in _JUDGE_FIELDS]
    _run_chunks(seed, first, count, n_chunks, *sim, *judge_args, acc.rows, op_hits, op_lateness,
                op_executed, op_causes, cause_misses, cause_lost)
    acc.op_hits += op_hits.sum(axis=0)
    acc.op_lateness += op_lateness.sum(axis=0)
    acc.op_executed += op_executed.sum(axis=0)
    acc.op_causes += op_causes.sum(axis=0)
    acc.cause_misses += cause_misses.sum(axis=0)
    acc.cause_lost += cause_lost.sum(axis=0)


def kernel_replication(c: Compiled, seed: int, replication: int):
    """Per-operation results of one replication by the kernel (for equivalence checks)."""
    from riskengine.simulation.reference import ReplicationResult

    n, n_res = c.n_ops, c.n_resources
    out = ReplicationResult(n)
    scratch = (np.zeros(n, np.bool_), np.empty(n, np.int64), np.empty(n),
               np.empty(c.mat_entity.shape[0]), np.empty(n_res), np.empty(n_res, np.int64),
               np.empty(n_res, np.int64), np.empty(n_res, np.int64), np.empty((n_res, 2)),
               np.empty(n_res, np.int64), np.empty(2 * n_res + 1), np.empty(2 * n_res + 1, np.int64),
               np.zeros(n, np.bool_), np.empty((n_res, 4), np.uint64), np.empty(n_res, np.int64))
    out.n_started = replicate(seed, replication, *[getattr(c, name) for name in _SIM_FIELDS], out.start,
                              out.end, out.good, out.delay_cause, out.moved_cause, out.factor_cause,
                              out.order, *scratch)
    return out
