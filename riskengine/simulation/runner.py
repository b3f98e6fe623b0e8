"""Running the kernel over many replications: chunks on threads, accumulators, reduction.

:func:`run_kernel` cuts the replications in chunks that threads run side by
side (:func:`_simulate_chunk` releases the GIL); every chunk simulates its
replications with :func:`riskengine.simulation.kernel.replicate`, judges
them (:func:`riskengine.simulation.outcome.judge`), summarizes them into the
replication rows and adds them to its own integer (fixed-point) accumulators,
which are reduced in chunk order: results are bit-identical for any thread
count or chunk size. Scratch is allocated once per chunk (:class:`Chunk`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numba
import numpy as np

from riskengine._jit import leaf_jit
from riskengine.adherence.arrays import N_RATIOS
from riskengine.simulation.accumulate import HOURS_SCALE, UNITS_SCALE
from riskengine.simulation.codes import N_CAUSES, Stream
from riskengine.simulation.compile import Compiled
from riskengine.simulation.draws import scrap_tables
from riskengine.simulation.initial import only_ahead, settle
from riskengine.simulation.insight import Insight, attribute
from riskengine.simulation.kernel import replicate
from riskengine.simulation.outcome import Judgement, JudgeWork, judge, judge_work, judgement
from riskengine.simulation.parameters import (
    Uncertainty,
    apply_parameters,
    nominal_parameters,
    parameterized,
    program_of,
    uncertain_scrap_by_loop,
    with_parameters,
    working_copies,
)
from riskengine.simulation.records import Model, Outputs, ScrapTables, Scratch, model_of, outputs, scratch
from riskengine.simulation.rng import stream_key
from riskengine.simulation.summary import SummaryWork, Tally, summarize, summary_work, tally


class Chunk(NamedTuple):
    """One chunk's own arrays: its scratch and its rows of the accumulators."""

    scratch: Scratch  # the kernel's (records.scratch)
    out: Outputs  # one replication's results
    judged: Judgement
    judge_work: JudgeWork
    summary_work: SummaryWork
    ratio: np.ndarray  # scratch of attribute
    tally: Tally  # integer counts: the chunk's rows of the accumulators; hours and units: scratch
    lateness: np.ndarray  # the chunk's row of op_lateness (fixed point)
    cause_lost: np.ndarray  # the chunk's row of cause_lost (fixed point)
    insight: Insight  # the chunk's rows of the insight accumulators


@leaf_jit
def _simulate_chunk(seed: int, lo: int, hi: int, m: Model, scrap: ScrapTables,
                    uncertainty: Uncertainty | None, chunk: Chunk, rows: np.ndarray) -> None:
    """Replications ``lo .. hi - 1`` into the chunk's accumulators and ``rows``.

    With uncertain parameters (``uncertainty``, see :mod:`riskengine.simulation.parameters`)
    the model reads the chunk's working copies, rewritten whenever the draw changes; with
    None that branch is not even compiled.
    """
    current = -1
    for rep in range(lo, hi):
        if uncertainty is not None:
            if rep // uncertainty.per_draw != current:
                current = rep // uncertainty.per_draw
                apply_parameters(stream_key(seed, current, Stream.PARAMETERS), uncertainty.program,
                                 uncertainty.nominal, uncertainty.working)
        n_started = replicate(seed, rep, m, scrap, chunk.scratch, chunk.out)
        judge(m.ops, m.adherence, not m.options.reliability_delay, chunk.out, n_started, chunk.judged,
              chunk.judge_work)
        settle(m.initial, m.ops, m.adherence, chunk.out, chunk.judged, chunk.judge_work)  # a forecast
        # integer counts go straight into the chunk's accumulators; hours and units are rounded
        # to fixed point per replication, as the reference engine does
        summarize(m.ops, m.adherence, m.resources.entity.shape[0], chunk.out.end, chunk.judged, rows[rep],
                  chunk.tally, chunk.summary_work)
        only_ahead(m.initial, chunk.judged)  # a forecast: the insight is about what is still ahead
        attribute(m.ops, m.adherence, chunk.out, chunk.judged, rows[rep], chunk.insight, chunk.ratio)
        lateness = chunk.tally.lateness
        for i in range(lateness.shape[0]):
            if lateness[i] != 0.0:
                chunk.lateness[i] += np.int64(np.round(lateness[i] * HOURS_SCALE))
                lateness[i] = 0.0
        lost = chunk.tally.cause_lost
        for k in range(N_CAUSES):
            if lost[k] != 0.0:
                chunk.cause_lost[k] += np.int64(np.round(lost[k] * UNITS_SCALE))
                lost[k] = 0.0


class _Sums(NamedTuple):
    """The integer accumulators of every chunk (leading axis: chunk), named as in
    :class:`~riskengine.simulation.accumulate.Accumulators`."""

    op_hits: np.ndarray
    op_lateness: np.ndarray
    op_executed: np.ndarray
    op_causes: np.ndarray
    cause_misses: np.ndarray
    cause_lost: np.ndarray
    op_critical: np.ndarray
    res_critical: np.ndarray
    op_sums: np.ndarray
    rep_sums: np.ndarray
    breaks: np.ndarray


def _chunk(c: Compiled, sums: _Sums, k: int) -> Chunk:
    """Chunk k's scratch and its rows of ``sums``."""
    n = c.n_ops
    floats = tally(n)
    return Chunk(scratch(n, c.n_resources, c.mat_entity.shape[0]), outputs(n), judgement(n, c.n_buckets),
                 judge_work(c.op_bucket, c.op_resource, c.n_resources, c.n_buckets, c.n_products),
                 summary_work(c.band_measures.shape[0]), np.zeros(N_RATIOS),
                 Tally(sums.op_hits[k], floats.lateness, sums.op_executed[k], sums.op_causes[k],
                       sums.cause_misses[k], floats.cause_lost),
                 sums.op_lateness[k], sums.cause_lost[k],
                 Insight(sums.op_critical[k], sums.res_critical[k], sums.op_sums[k], sums.rep_sums[k],
                         sums.breaks[k]))


#: Seconds a cold compile of the kernel takes on the project's 2-core machine (README, Performance).
COLD_COMPILE_SECONDS = 15
_listeners: list[Callable[[str], None]] = []


@contextlib.contextmanager
def announce_compile(say: Callable[[str], None] | None) -> Iterator[None]:
    """While in the block, :func:`run_kernel` calls ``say(message)`` before it compiles the
    kernel (when numba's cache does not hold it: the first run after an install or upgrade);
    ``None``: say nothing."""
    if say is not None:
        _listeners.append(say)
    try:
        yield
    finally:
        if say is not None:
            _listeners.remove(say)


def kernel_cached(uncertain: bool) -> bool | None:
    """Whether numba's cache holds the kernel for this machine, for models with (or without)
    uncertain parameters; None when it cannot tell (reads numba's cache index)."""
    from numba.core.registry import cpu_target

    try:
        index = _simulate_chunk._cache._cache_file._load_index()
        magic = cpu_target.target_context.codegen().magic_tuple()
        return any(key[1] == magic and (str(key[0][5]) != "none") == uncertain for key in index)
    except Exception:  # a numba whose cache is organized otherwise: no announcement
        return None


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
    if _listeners and kernel_cached(c.uncertain) is False:
        for say in list(_listeners):
            say(f"compiling the simulation kernel, once: ~{COLD_COMPILE_SECONDS} s")
    n_threads = numba.get_num_threads()
    n_chunks = max(1, min(chunks or 4 * n_threads, count))
    sums = _Sums(*(np.zeros((n_chunks,) + getattr(acc, name).shape, np.int64) for name in _Sums._fields))
    model = model_of(c)
    tables = uncertain_scrap_by_loop(c, scrap_tables(c.op_resource, c.op_quantity, c.res_scrap))
    nominal = nominal_parameters(c, tables.start)

    def run(k: int) -> None:
        lo = first + (count * k) // n_chunks
        hi = first + (count * (k + 1)) // n_chunks
        m, scrap, uncertainty = model, tables, None
        if c.uncertain:  # the chunk's model reads its own copies of the parameter values
            working = working_copies(nominal)
            m, scrap = with_parameters(model, tables, working)
            uncertainty = Uncertainty(program_of(c), nominal, working, c.replications_per_draw)
        _simulate_chunk(seed, lo, hi, m, scrap, uncertainty, _chunk(c, sums, k), acc.rows)

    if n_threads == 1 or n_chunks == 1:
        for k in range(n_chunks):
            run(k)
    else:
        with ThreadPoolExecutor(min(n_threads, n_chunks)) as pool:
            list(pool.map(run, range(n_chunks)))
    for name, chunked in zip(_Sums._fields, sums, strict=True):
        getattr(acc, name)[...] += chunked.sum(axis=0)


def kernel_replication(c: Compiled, seed: int, replication: int):
    """Per-operation results of one replication by the kernel (for equivalence checks)."""
    from riskengine.simulation.reference import ReplicationResult

    result = ReplicationResult(c.n_ops)
    c = parameterized(c, seed, replication)
    tables = uncertain_scrap_by_loop(c, scrap_tables(c.op_resource, c.op_quantity, c.res_scrap))
    s = scratch(c.n_ops, c.n_resources, c.mat_entity.shape[0])
    result.n_started = replicate(seed, replication, model_of(c), tables, s, result.outputs)
    return result

