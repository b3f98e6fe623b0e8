"""Parameter uncertainty: the outer level of a nested Monte Carlo simulation.

An uncertain number of the premises (``{"uncertain": DIST}``, see
:mod:`riskengine.model.distributions`) is a parameter whose value is itself
unknown. The engines sample it at an outer level:

- **Nested design.** Replications ``k M .. k M + M - 1`` share parameter
  draw k (``M = uncertainty.replications_per_draw``, default 5); within a draw
  the shop floor varies as usual. Replication r uses draw ``r // M``.
- **Draws.** Parameter j of draw k is ``sample(DIST_j, variate_key(derive(seed,
  k, STREAM_PARAMETERS, fnv1a64(key_j)), 0))``: a pure function of the seed,
  the draw index and the parameter's identity (its name, else its place in
  the premises). So results are bit-identical for any thread count or chunk
  size, and two plans scored with the same seed (and the same M) see the same
  parameter values in the same replications (common random numbers).
- **Program.** Compilation writes each parameter's nominal value (the mean
  of DIST) where the number would go, and an *assignment* ``(parameter,
  target, index, column)`` per place it is used. :func:`apply_parameters`
  copies the nominal arrays and writes the draw's values into them; a
  distribution whose parameter is uncertain is re-encoded from its written
  parameters by :func:`~riskengine.simulation.sampling.encode_row`, the
  function that encoded it at compile time (so a point mass gives the very
  same row as the plain number). The kernel applies the program in each
  chunk when the draw changes; the reference engine simulates a copy of the
  compiled model with the draw's values (:func:`parameterized`), from the same
  function. (A plugin's ``compiled`` hook, :mod:`riskengine.plugins`, runs on
  the nominal arrays: its changes stay where no uncertain parameter is
  written, and are replaced by the draw's values where one is.)

Why nested rather than one draw per replication: with one draw per
replication the mixture's mean is estimated with the least variance, but the
spread cannot be split between parameter uncertainty and shop-floor
randomness; with M replications per draw the one-way random-effects
analysis of variance (:mod:`riskengine.analysis.variance`) estimates both
parts, at the price of a design effect 1 + (M - 1) rho on the variance of
the mean (rho: the share of the variance that comes from the parameters),
which the intervals of the score account for. The optimal group size for
estimating a variance component is about 1 + 1/rho (Searle, Casella and
McCulloch, *Variance Components*, Wiley 1992, sec. 3.6); M = 5 suits shares
from about 10% to 50% and costs at most a factor 1 + 4 rho.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from riskengine._jit import leaf_jit
from riskengine.simulation.rng import GOLDEN_GAMMA, STREAM_PARAMETERS, mix64, variate_key
from riskengine.simulation.sampling import binomial_start, encode_row, sample

# where an uncertain parameter is used
T_DIST, T_MAT_LATE, T_MAT_REJECT, T_ABSENCE, T_SCRAP, T_REL_FAIL, T_DEVIATION, T_DRIVER = range(8)
#: The compiled arrays a parameter draw may change (the reference engine replaces them).
PARAMETERIZED = ("dist", "mat_late_p", "mat_reject_p", "res_absence_p", "res_scrap", "rel_fail_p",
                 "drv_p")


@leaf_jit
def draw_key(seed: int, draw: int, entity: np.uint64) -> np.uint64:
    """``derive(seed, draw, STREAM_PARAMETERS, entity)`` (see :mod:`riskengine.simulation.rng`)."""
    k = mix64(np.uint64(seed) + GOLDEN_GAMMA)
    k = mix64(k + np.uint64(draw + 1) * GOLDEN_GAMMA)
    k = mix64(k + np.uint64(STREAM_PARAMETERS + 1) * GOLDEN_GAMMA)
    return mix64(k ^ entity)


@leaf_jit
def apply_parameters(seed, draw, par_row, par_entity, asg_param, asg_target, asg_index, asg_col,
                     dist, pool, dist_src, mat_late_p, mat_reject_p, res_absence_p, res_scrap,
                     rel_fail_p, drv_p, deviation_p, seq_ptr, seq_idx, op_quantity, scrap_start,
                     w_dist, w_src, w_late, w_reject, w_absence, w_scrap, w_fail, w_drv, w_scalar,
                     w_scrap_start) -> None:
    """Write the values of parameter draw ``draw`` into the working copies ``w_*``.

    ``w_*`` start as copies of the nominal arrays; ``w_scalar[0]`` receives the
    deviation probability; ``w_scrap_start`` the start of the scrap binomial's
    inversion of every operation of a resource whose scrap rate is uncertain
    (those operations invert by the loop, which gives the same variates as the
    reference's :func:`~riskengine.simulation.sampling.binomial`). Allocates
    nothing.
    """
    for i in range(dist.shape[0]):
        for j in range(dist.shape[1]):
            w_dist[i, j] = dist[i, j]
        for j in range(dist_src.shape[1]):
            w_src[i, j] = dist_src[i, j]
    for i in range(mat_late_p.shape[0]):
        w_late[i] = mat_late_p[i]
        w_reject[i] = mat_reject_p[i]
    for i in range(res_absence_p.shape[0]):
        w_absence[i] = res_absence_p[i]
        w_scrap[i] = res_scrap[i]
    for i in range(rel_fail_p.shape[0]):
        w_fail[i] = rel_fail_p[i]
    for i in range(drv_p.shape[0]):
        w_drv[i] = drv_p[i]
    for i in range(scrap_start.shape[0]):
        w_scrap_start[i] = scrap_start[i]
    w_scalar[0] = deviation_p
    for a in range(asg_param.shape[0]):
        j = asg_param[a]
        v = sample(dist, par_row[j], pool, variate_key(draw_key(seed, draw, par_entity[j]), 0))
        target = asg_target[a]
        k = asg_index[a]
        if target == T_DIST:
            w_src[k, asg_col[a]] = v
        elif target == T_MAT_LATE:
            w_late[k] = v
        elif target == T_MAT_REJECT:
            w_reject[k] = v
        elif target == T_ABSENCE:
            w_absence[k] = v
        elif target == T_SCRAP:
            w_scrap[k] = v
        elif target == T_REL_FAIL:
            w_fail[k] = 1.0 - v
        elif target == T_DEVIATION:
            w_scalar[0] = v
        elif target == T_DRIVER:
            w_drv[k] = v
    for a in range(asg_param.shape[0]):
        k = asg_index[a]
        if asg_target[a] == T_DIST:  # re-encode (several parameters of a row: the same row again;
            # rows with uncertain parameters have the codes of their distributions, see ``natural``)
            encode_row(int(dist[k, 0]), w_src[k], w_dist[k])
        elif asg_target[a] == T_SCRAP:
            for s in range(seq_ptr[k], seq_ptr[k + 1]):
                i = seq_idx[s]
                w_scrap_start[i] = binomial_start(int(np.floor(op_quantity[i])), w_scrap[k])


def program_arrays(c) -> tuple:
    """The arguments of :func:`apply_parameters` that come from the compiled model ``c``."""
    return (c.par_row, c.par_entity, c.asg_param, c.asg_target, c.asg_index, c.asg_col, c.dist, c.pool,
            c.dist_src, c.mat_late_p, c.mat_reject_p, c.res_absence_p, c.res_scrap, c.rel_fail_p,
            c.drv_p, c.deviation_p, c.seq_ptr, c.seq_idx, c.op_quantity)


def working_copies(c, scrap_start: np.ndarray) -> tuple:
    """Fresh working arrays ``w_*`` of :func:`apply_parameters` (one set per chunk)."""
    return (np.empty_like(c.dist), np.empty_like(c.dist_src), np.empty_like(c.mat_late_p),
            np.empty_like(c.mat_reject_p), np.empty_like(c.res_absence_p), np.empty_like(c.res_scrap),
            np.empty_like(c.rel_fail_p), np.empty_like(c.drv_p), np.empty(1),
            np.empty_like(scrap_start))


def parameterized(c, seed: int, replication: int):
    """The compiled model with the parameter values of ``replication``'s draw (for the
    reference engine); ``c`` itself when no parameter is uncertain."""
    if c.asg_param.shape[0] == 0:
        return c
    draw = replication // c.replications_per_draw
    scrap_start = np.zeros(c.n_ops)
    w = working_copies(c, scrap_start)
    apply_parameters(seed, draw, *program_arrays(c), scrap_start, *w)
    return replace(c, dist=w[0], mat_late_p=w[2], mat_reject_p=w[3], res_absence_p=w[4], res_scrap=w[5],
                   rel_fail_p=w[6], drv_p=w[7], deviation_p=float(w[8][0]))


def uncertain_scrap_by_loop(c, tables: tuple) -> tuple:
    """The scrap tables of :func:`riskengine.simulation.draws.scrap_tables` with no lookup table
    for the operations of a resource whose scrap rate is uncertain (their binomials are inverted
    by the loop from the draw's ``binomial_start``, as the reference does)."""
    scrap = c.asg_index[c.asg_target == T_SCRAP]
    if scrap.shape[0] == 0:
        return tables
    length = tables[3].copy()
    length[np.isin(c.op_resource, scrap)] = -1
    return (*tables[:3], length, *tables[4:])
