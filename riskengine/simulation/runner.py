"""Running the kernel over many replications: chunks on threads, accumulators, reduction.

:func:`run_kernel` cuts the replications in chunks that threads run side by
side (:func:`_simulate_chunk` releases the GIL); every chunk simulates its
replications with :func:`riskengine.simulation.kernel.replicate`, judges
them (:func:`riskengine.simulation.outcome.judge`), summarizes them into the
replication rows and adds them to its own integer (fixed-point) accumulators,
which are reduced in chunk order: results are bit-identical for any thread
count or chunk size. Scratch is allocated once per chunk.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

from riskengine._jit import leaf_jit
from riskengine.adherence.arrays import N_COUNTS, N_RATIOS
from riskengine.simulation.accumulate import HOURS_SCALE, UNITS_SCALE
from riskengine.simulation.compile import Compiled
from riskengine.simulation.draws import scrap_tables
from riskengine.simulation.insight import attribute
from riskengine.simulation.kernel import replicate, replicate_work
from riskengine.simulation.outcome import judge, judge_work
from riskengine.simulation.parameters import (
    apply_parameters,
    parameterized,
    program_arrays,
    uncertain_scrap_by_loop,
    working_copies,
)
from riskengine.simulation.summary import N_CAUSES, summarize, summary_work


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
    op_plan_gap,
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
                              res_driver, op_plan_gap,
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
    "drv_ptr", "drv_idx", "res_driver", "op_plan_gap",
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
