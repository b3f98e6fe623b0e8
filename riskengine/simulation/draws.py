"""The draws of a replication that do not depend on when things happen, made up front.

Material arrivals (each lot's own lateness and rejection, then the shared
drivers' shocks) and, per operation, the setup overrun factor, the performance
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

from riskengine._jit import inner_jit, jit
from riskengine.simulation.codes import Stream
from riskengine.simulation.records import (
    Distributions,
    Drivers,
    Factors,
    Materials,
    Operations,
    Resources,
    ScrapTables,
    Scratch,
)
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


def scrap_tables(op_resource: np.ndarray, op_quantity: np.ndarray, res_scrap: np.ndarray) -> ScrapTables:
    """Per operation, what its scrap binomial needs, computed once for all replications.

    ``start`` for :func:`~riskengine.simulation.sampling.binomial_prepared`,
    and where the binomial is inverted by the loop (p <= 0.5, mean <= 500) the
    table of :func:`~riskengine.simulation.sampling.binomial_cdf` in
    ``cdf[ptr[i]:ptr[i] + length[i]]`` and its guide, each table followed by
    ``LOOKUP_PAD`` entries of 2 (``length`` -1: no table, use the loop).
    """
    return ScrapTables(*_scrap_tables(op_resource, op_quantity, res_scrap))


@jit
def _scrap_tables(op_resource: np.ndarray, op_quantity: np.ndarray, res_scrap: np.ndarray):
    """:func:`scrap_tables` as a tuple."""
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


@inner_jit
def material_arrivals(materials: Materials, drivers: Drivers, dists: Distributions, keys: np.ndarray,
                      arrival: np.ndarray) -> None:
    """``arrival[m]``: planned arrival + own late delay + rejection delay + shared shocks.

    A lot is late with probability ``late_p`` (uniform 0 of its key, delay
    from variate 1) and rejected with ``reject_p`` (uniform 2, delay from
    variate 3); a shared driver, with its probability per replication, adds one
    delay to every material it lists (docs/design.md section 3; README, shared drivers).
    ``keys`` are the replication's stream keys (:class:`~riskengine.simulation.codes.Stream`).
    """
    mat, table, pool = materials, dists.table, dists.pool
    for m in range(mat.entity.shape[0]):
        k = mix64(keys[Stream.MATERIAL] ^ mat.entity[m])
        t = mat.base[m]
        if mat.late_p[m] > 0.0 and uniform(k, 0) < mat.late_p[m]:
            t += max(sample(table, mat.late_row[m], pool, variate_key(k, 1)), 0.0)
        if mat.reject_p[m] > 0.0 and uniform(k, 2) < mat.reject_p[m]:
            t += max(sample(table, mat.reject_row[m], pool, variate_key(k, 3)), 0.0)
        arrival[m] = t
    drv = drivers
    if drv.p.shape[0] > 0:  # shared material drivers: one shock and one delay for all their materials
        for d in range(drv.p.shape[0]):
            k = mix64(keys[Stream.DRIVER] ^ drv.entity[d])
            if drv.ptr[d + 1] > drv.ptr[d] and drv.p[d] > 0.0 and uniform(k, 0) < drv.p[d]:
                shock = max(sample(table, drv.row[d], pool, variate_key(k, 1)), 0.0)
                for j in range(drv.ptr[d], drv.ptr[d + 1]):
                    arrival[drv.idx[j]] += shock


@inner_jit
def reliability_factors(key: np.uint64, op_entity: np.ndarray, factors: Factors,
                        factor_cause: np.ndarray) -> None:
    """``factor_cause[i]``: the cause of the first reliability factor f (in premises order) whose
    uniform ``uniform(derive(.., entity_i), cause[f])`` is below ``fail_p[f]``; -1 if none.

    The factors are drawn for all operations at once and the last failing factor
    is overwritten by earlier ones, without branches, so the loop over
    operations compiles to vector instructions (the same numbers as asking the
    factors one by one and stopping at the first that fails, several times faster).
    """
    n = op_entity.shape[0]
    for i in range(n):
        factor_cause[i] = -1
    for f in range(factors.cause.shape[0] - 1, -1, -1):
        cause = factors.cause[f]
        p = factors.fail_p[f]
        for i in range(n):
            failed = uniform(mix64(key ^ op_entity[i]), cause) < p
            factor_cause[i] = cause if failed else factor_cause[i]


@inner_jit
def _normal_batch(key, op_entity, vkey, u, z) -> None:
    """Per operation: the key of its first variate, that variate's uniform and normal quantile."""
    for i in range(op_entity.shape[0]):
        k = variate_key(mix64(key ^ op_entity[i]), 0)
        vkey[i] = k
        u[i] = uniform(k, 0)
    normal_quantiles(u, z)


@inner_jit
def operation_draws(ops: Operations, resources: Resources, dists: Distributions, scrap: ScrapTables,
                    s: Scratch) -> None:
    """The setup overrun factor (``s.setup_factor``: the setup is the one needed x factor),
    work = planned / performance, units = planned - scrap (``s.actual_*``), from the stream keys
    ``s.keys``.

    The scrap binomial is inverted by table where :func:`scrap_tables` made one,
    by the loop otherwise (the same variate either way).
    """
    res, table, pool = resources, dists.table, dists.pool
    n = ops.resource.shape[0]
    any_setup = False
    any_work = False
    any_scrap = False
    for r in range(res.setup_row.shape[0]):
        any_setup = any_setup or res.setup_row[r] > 0
        any_work = any_work or res.performance_row[r] > 0
        any_scrap = any_scrap or res.scrap[r] > 0.0
    if any_setup:
        _normal_batch(s.keys[Stream.SETUP], ops.entity, s.setup_key, s.setup_u, s.setup_z)
    if any_work:
        _normal_batch(s.keys[Stream.PERFORMANCE], ops.entity, s.work_key, s.work_u, s.work_z)
    if any_scrap:
        for i in range(n):
            s.scrap_u[i] = uniform(mix64(s.keys[Stream.SCRAP] ^ ops.entity[i]), 0)
    for i in range(n):
        r = ops.resource[i]
        factor = 1.0
        if res.setup_row[r] > 0:
            factor = max(sample_known(table, res.setup_row[r], pool, s.setup_key[i], s.setup_z[i]), 0.0)
        s.setup_factor[i] = factor
        work = ops.work[i]
        if res.performance_row[r] > 0:
            work /= max(sample_known(table, res.performance_row[r], pool, s.work_key[i], s.work_z[i]), 1e-6)
        s.actual_work[i] = work
        units = ops.quantity[i]
        if res.scrap[r] > 0.0:
            whole = int(math.floor(units))
            if scrap.length[i] >= 0:  # the same variate as binomial(whole, p, u), by table
                units -= binomial_lookup(whole, s.scrap_u[i], scrap.cdf, scrap.guide, scrap.ptr[i],
                                         scrap.length[i], scrap.k0[i])
            else:
                units -= binomial_prepared(whole, res.scrap[r], s.scrap_u[i], scrap.start[i])
        s.actual_units[i] = units
