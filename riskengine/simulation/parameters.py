"""Parameter uncertainty: the outer level of a nested Monte Carlo simulation.

An uncertain number of the premises (``{"uncertain": DIST}``, see
:mod:`riskengine.model.distributions`) is a parameter whose value is itself
unknown. The engines sample it at an outer level:

- **Nested design.** Replications ``k M .. k M + M - 1`` share parameter
  draw k (``M = uncertainty.replications_per_draw``, default 5); within a draw
  the shop floor varies as usual. Replication r uses draw ``r // M``.
- **Draws.** Parameter j of draw k is ``sample(DIST_j, variate_key(derive(seed,
  k, Stream.PARAMETERS, fnv1a64(key_j)), 0))``: a pure function of the seed,
  the draw index and the parameter's identity (its name, else its place in
  the premises). So results are bit-identical for any thread count or chunk
  size, and two plans scored with the same seed (and the same M) see the same
  parameter values in the same replications (common random numbers).
- **Program.** Compilation writes each parameter's nominal value (the mean
  of DIST) where the number would go, and an *assignment* ``(parameter,
  target, index, column)`` per place it is used (:class:`Program`; targets
  :class:`~riskengine.simulation.codes.Target`). :func:`apply_parameters`
  copies the nominal values (:class:`Parameters`) and writes the draw's values
  into them; a distribution whose parameter is uncertain is re-encoded from
  its written parameters by :func:`~riskengine.simulation.sampling.encode_row`, the
  function that encoded it at compile time (so a point mass gives the very
  same row as the plain number). The kernel applies the program in each
  chunk when the draw changes, into the chunk's own copies of these arrays,
  which the chunk's model reads (:func:`with_parameters`); the reference
  engine simulates a copy of the compiled model with the draw's values
  (:func:`parameterized`), from the same function. (A plugin's ``compiled``
  hook, :mod:`riskengine.plugins`, runs on the nominal arrays: its changes stay
  where no uncertain parameter is written, and are replaced by the draw's
  values where one is.)

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
from typing import NamedTuple

import numpy as np

from riskengine._jit import fused_jit, leaf_jit
from riskengine.simulation.codes import Stream, Target
from riskengine.simulation.records import Model, ScrapTables
from riskengine.simulation.rng import mix64, stream_key, variate_key
from riskengine.simulation.sampling import binomial_start, encode_row, sample


class Parameters(NamedTuple):
    """The values one draw of the uncertain parameters sets, where the engines read them."""

    table: np.ndarray  # distribution rows (Distributions.table)
    source: np.ndarray  # (rows, ROW - 1) each row's parameters as written
    late_p: np.ndarray  # Materials.late_p
    reject_p: np.ndarray  # Materials.reject_p
    absence_p: np.ndarray  # Resources.absence_p
    scrap: np.ndarray  # Resources.scrap
    fail_p: np.ndarray  # Factors.fail_p
    driver_p: np.ndarray  # Drivers.p
    deviation_p: np.ndarray  # (1,) Options.deviation_p
    scrap_start: np.ndarray  # ScrapTables.start (depends on the scrap rate)


class Program(NamedTuple):
    """Which parameters are uncertain and where each of their values goes."""

    row: np.ndarray  # per parameter j: the row of its distribution
    entity: np.ndarray  # uint64 FNV-1a of its key (name, else place in the premises)
    param: np.ndarray  # per assignment a: the parameter,
    target: np.ndarray  # where its value goes (:class:`~riskengine.simulation.codes.Target`),
    index: np.ndarray  # type: ignore[assignment]  # the index there (the name shadows tuple.index)
    col: np.ndarray  # and the column (a distribution's parameter)
    pool: np.ndarray  # empirical values of the parameters' distributions
    seq_ptr: np.ndarray  # each resource's operations (a scrap rate's operations)
    seq_idx: np.ndarray
    quantity: np.ndarray  # planned units per operation


class Uncertainty(NamedTuple):
    """What a kernel chunk needs to draw parameters: its working copies ``working`` are the
    arrays its model reads (:func:`with_parameters`)."""

    program: Program
    nominal: Parameters
    working: Parameters
    per_draw: int  # replications per draw


@fused_jit
def _copy(src: np.ndarray, dst: np.ndarray) -> None:
    for k in range(src.shape[0]):
        dst[k] = src[k]


@leaf_jit
def apply_parameters(key: np.uint64, program: Program, nominal: Parameters, out: Parameters) -> None:
    """Write the values of one parameter draw into ``out``: the nominal values, then each
    uncertain parameter's draw where it goes.

    ``key`` is the draw's key, ``stream_key(seed, draw, Stream.PARAMETERS)``:
    parameter j takes ``sample(DIST_j, variate_key(mix64(key ^ entity_j), 0))``.
    Distribution rows with a drawn parameter are encoded again; the scrap
    binomial's start (``out.scrap_start``) is recomputed for every operation
    of a resource whose scrap rate is uncertain (those operations invert by
    the loop, which gives the same variates as the reference's
    :func:`~riskengine.simulation.sampling.binomial`). Allocates nothing.
    """
    for i in range(nominal.table.shape[0]):
        for j in range(nominal.table.shape[1]):
            out.table[i, j] = nominal.table[i, j]
        for j in range(nominal.source.shape[1]):
            out.source[i, j] = nominal.source[i, j]
    _copy(nominal.late_p, out.late_p)
    _copy(nominal.reject_p, out.reject_p)
    _copy(nominal.absence_p, out.absence_p)
    _copy(nominal.scrap, out.scrap)
    _copy(nominal.fail_p, out.fail_p)
    _copy(nominal.driver_p, out.driver_p)
    _copy(nominal.deviation_p, out.deviation_p)
    _copy(nominal.scrap_start, out.scrap_start)
    p = program
    for a in range(p.param.shape[0]):
        j = p.param[a]
        v = sample(nominal.table, p.row[j], p.pool, variate_key(mix64(key ^ p.entity[j]), 0))
        target = p.target[a]
        k = p.index[a]
        if target == Target.DIST:
            out.source[k, p.col[a]] = v
        elif target == Target.MAT_LATE:
            out.late_p[k] = v
        elif target == Target.MAT_REJECT:
            out.reject_p[k] = v
        elif target == Target.ABSENCE:
            out.absence_p[k] = v
        elif target == Target.SCRAP:
            out.scrap[k] = v
        elif target == Target.REL_FAIL:
            out.fail_p[k] = 1.0 - v
        elif target == Target.DEVIATION:
            out.deviation_p[0] = v
        elif target == Target.DRIVER:
            out.driver_p[k] = v
    for a in range(p.param.shape[0]):
        k = p.index[a]
        if p.target[a] == Target.DIST:  # re-encode (several parameters of a row: the same row again;
            # rows with uncertain parameters have the codes of their distributions, see ``natural``)
            encode_row(int(nominal.table[k, 0]), out.source[k], out.table[k])
        elif p.target[a] == Target.SCRAP:
            for s in range(p.seq_ptr[k], p.seq_ptr[k + 1]):
                i = p.seq_idx[s]
                out.scrap_start[i] = binomial_start(int(np.floor(p.quantity[i])), out.scrap[k])


def draw_key(seed: int, draw: int) -> np.uint64:
    """The key of parameter draw ``draw`` (:func:`apply_parameters`)."""
    return np.uint64(stream_key(seed, draw, Stream.PARAMETERS))


def program_of(c) -> Program:
    """The :class:`Program` of a compiled model."""
    return Program(c.par_row, c.par_entity, c.asg_param, c.asg_target, c.asg_index, c.asg_col, c.pool,
                   c.seq_ptr, c.seq_idx, c.op_quantity)


def nominal_parameters(c, scrap_start: np.ndarray) -> Parameters:
    """The nominal values of a compiled model (its own arrays, not copies)."""
    return Parameters(c.dist, c.dist_src, c.mat_late_p, c.mat_reject_p, c.res_absence_p, c.res_scrap,
                      c.rel_fail_p, c.drv_p, np.array([c.deviation_p], np.float64), scrap_start)


def working_copies(nominal: Parameters) -> Parameters:
    """Fresh working arrays for :func:`apply_parameters` (one set per chunk)."""
    return Parameters(*(np.empty_like(a) for a in nominal))


def with_parameters(m: Model, scrap: ScrapTables, p: Parameters) -> tuple[Model, ScrapTables]:
    """The model and scrap tables that read their parameter values from ``p``."""
    return m._replace(
        dists=m.dists._replace(table=p.table),
        materials=m.materials._replace(late_p=p.late_p, reject_p=p.reject_p),
        resources=m.resources._replace(absence_p=p.absence_p, scrap=p.scrap),
        factors=m.factors._replace(fail_p=p.fail_p), drivers=m.drivers._replace(p=p.driver_p),
        options=m.options._replace(deviation_p=p.deviation_p)), scrap._replace(start=p.scrap_start)


def parameterized(c, seed: int, replication: int):
    """The compiled model with the parameter values of ``replication``'s draw (for the
    reference engine); ``c`` itself when no parameter is uncertain."""
    if c.asg_param.shape[0] == 0:
        return c
    nominal = nominal_parameters(c, np.zeros(c.n_ops))
    p = working_copies(nominal)
    apply_parameters(draw_key(seed, replication // c.replications_per_draw), program_of(c), nominal, p)
    return replace(c, dist=p.table, mat_late_p=p.late_p, mat_reject_p=p.reject_p, res_absence_p=p.absence_p,
                   res_scrap=p.scrap, rel_fail_p=p.fail_p, drv_p=p.driver_p,
                   deviation_p=float(p.deviation_p[0]))


def uncertain_scrap_by_loop(c, tables: ScrapTables) -> ScrapTables:
    """The scrap tables of :func:`riskengine.simulation.draws.scrap_tables` with no lookup table
    for the operations of a resource whose scrap rate is uncertain (their binomials are inverted
    by the loop from the draw's ``binomial_start``, as the reference does)."""
    scrap = c.asg_index[c.asg_target == Target.SCRAP]
    if scrap.shape[0] == 0:
        return tables
    length = tables.length.copy()
    length[np.isin(c.op_resource, scrap)] = -1
    return tables._replace(length=length)
