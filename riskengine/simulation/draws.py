"""The draws of a replication that do not depend on when things happen, made up front.

Material arrivals (each lot's own lateness and rejection, then the shared
drivers' shocks) and, per operation, the setup overrun, the performance
factor and the scrapped units are pure functions of the replication's stream
keys and the entity, so the kernel draws them before its event loop, in
batches: hashing keys and inverting the normal distribution vectorize. The
SimPy reference draws the same variates where it needs them
(:mod:`riskengine.simulation.reference`). :func:`scrap_tables` prepares, once
per plan, the lookup tables that make the scrap binomial a table search.
"""

from __future__ import annotations

import math

import numpy as np

from riskengine._jit import jit, leaf_jit
from riskengine.simulation.rng import mix64, uniform, variate_key
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


@leaf_jit
def material_arrivals(key_material, key_driver, mat_entity, mat_base, mat_late_p, mat_late_row,
                      mat_reject_p, mat_reject_row, drv_p, drv_row, drv_entity, drv_ptr, drv_idx, dist,
                      pool, arrival) -> None:
    """``arrival[m]``: planned arrival + own late delay + rejection delay + shared shocks.

    A lot is late with probability ``mat_late_p`` (uniform 0 of its key, delay
    from variate 1) and rejected with ``mat_reject_p`` (uniform 2, delay from
    variate 3); a shared driver, with its probability per replication, adds one
    delay to every material it lists (docs/design.md section 3; README, shared drivers).
    """
    for m in range(mat_entity.shape[0]):
        k = mix64(key_material ^ mat_entity[m])
        t = mat_base[m]
        if mat_late_p[m] > 0.0 and uniform(k, 0) < mat_late_p[m]:
            t += max(sample(dist, mat_late_row[m], pool, variate_key(k, 1)), 0.0)
        if mat_reject_p[m] > 0.0 and uniform(k, 2) < mat_reject_p[m]:
            t += max(sample(dist, mat_reject_row[m], pool, variate_key(k, 3)), 0.0)
        arrival[m] = t
    if drv_p.shape[0] > 0:  # shared material drivers: one shock and one delay for all their materials
        for dr in range(drv_p.shape[0]):
            k = mix64(key_driver ^ drv_entity[dr])
            if drv_ptr[dr + 1] > drv_ptr[dr] and drv_p[dr] > 0.0 and uniform(k, 0) < drv_p[dr]:
                shock = max(sample(dist, drv_row[dr], pool, variate_key(k, 1)), 0.0)
                for j in range(drv_ptr[dr], drv_ptr[dr + 1]):
                    arrival[drv_idx[j]] += shock


@leaf_jit
def reliability_factors(key_reliability, op_entity, rel_cause, rel_fail_p, factor_cause) -> None:
    """``factor_cause[i]``: the cause of the first reliability factor f (in premises order) whose
    uniform ``uniform(derive(.., entity_i), rel_cause[f])`` is below ``rel_fail_p[f]``; -1 if none.

    The factors are drawn for all operations at once and the last failing factor
    is overwritten by earlier ones, without branches, so the loop over
    operations compiles to vector instructions (the same numbers as asking the
    factors one by one and stopping at the first that fails, several times faster).
    """
    n = op_entity.shape[0]
    for i in range(n):
        factor_cause[i] = -1
    for f in range(rel_cause.shape[0] - 1, -1, -1):
        cause = rel_cause[f]
        p = rel_fail_p[f]
        for i in range(n):
            failed = uniform(mix64(key_reliability ^ op_entity[i]), cause) < p
            factor_cause[i] = cause if failed else factor_cause[i]


@leaf_jit
def _normal_batch(key, op_entity, vkey, u, z) -> None:
    """Per operation: the key of its first variate, that variate's uniform and normal quantile."""
    for i in range(op_entity.shape[0]):
        k = variate_key(mix64(key ^ op_entity[i]), 0)
        vkey[i] = k
        u[i] = uniform(k, 0)
    normal_quantiles(u, z)


@leaf_jit
def operation_draws(key_setup, key_performance, key_scrap, op_resource, op_setup, op_work, op_quantity,
                    op_entity, res_setup_row, res_performance_row, res_scrap, dist, pool, scrap_start,
                    scrap_k0, scrap_ptr, scrap_length, scrap_cdf, scrap_guide, setup_key, setup_u, setup_z,
                    work_key, work_u, work_z, scrap_u, actual_setup, actual_work, actual_units) -> None:
    """Actual setup = planned x overrun, work = planned / performance, units = planned - scrap.

    The scrap binomial is inverted by table where :func:`scrap_tables` made one,
    by the loop otherwise (the same variate either way).
    """
    n = op_resource.shape[0]
    any_setup = False
    any_work = False
    any_scrap = False
    for r in range(res_setup_row.shape[0]):
        any_setup = any_setup or res_setup_row[r] > 0
        any_work = any_work or res_performance_row[r] > 0
        any_scrap = any_scrap or res_scrap[r] > 0.0
    if any_setup:
        _normal_batch(key_setup, op_entity, setup_key, setup_u, setup_z)
    if any_work:
        _normal_batch(key_performance, op_entity, work_key, work_u, work_z)
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
