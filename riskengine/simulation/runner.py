"""Running the kernel over many replications: chunks on threads, accumulators, reduction.

:func:`run_kernel` cuts the replications in chunks that threads run side by
side (:func:`_simulate_chunk` releases the GIL); every chunk simulates its
replications with :func:`riskengine.simulation.kernel.replicate`, judges
them (:func:`riskengine.simulation.outcome.judge`), summarizes them into the
replication rows (or streams them into its thread's sketch,
:mod:`riskengine.simulation.streamed`) and adds them to its thread's integer
(fixed-point) accumulators, which are then reduced: every sum is exact (integers,
exact sums, minima and maxima), so results are bit-identical for any thread
count or chunk size. Scratch is allocated once per chunk (:class:`Chunk`),
accumulators once per thread. Streaming with clusters of replications
(uncertain parameters), chunk boundaries fall on cluster boundaries, and the
cluster open at the end of a run is carried to the next.

Every replication is bounded and can be stopped (:mod:`riskengine.simulation.watchdog`):
a chunk arms its event count before each replication and ends at the first
replication cut short, which :func:`run_kernel` reports as
:class:`~riskengine.simulation.watchdog.ReplicationOverrun` or
:class:`~riskengine.simulation.watchdog.Stopped`.
"""

from __future__ import annotations

import contextlib
import queue
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numba
import numpy as np

from riskengine._jit import leaf_jit
from riskengine.adherence.arrays import N_RATIOS
from riskengine.simulation.accumulate import HOURS_SCALE, UNITS_SCALE
from riskengine.simulation.codes import N_CAUSES, Account, Stream
from riskengine.simulation.compile import Compiled
from riskengine.simulation.draws import scrap_tables
from riskengine.simulation.initial import only_ahead, realized_misses, settle
from riskengine.simulation.insight import Insight, attribute
from riskengine.simulation.kernel import replicate
from riskengine.simulation.orders import OrderTally, OrderWork, flush, order_work, tally_orders
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
from riskengine.simulation.sketch import Clusters, Sketch, add_row, cluster_add, cluster_close
from riskengine.simulation.summary import FINISH, SummaryWork, Tally, summarize, summary_work, tally
from riskengine.simulation.watchdog import (
    ReplicationOverrun,
    StopFlag,
    Stopped,
    arm,
    check,
    ended,
    event_bound,
)


class Chunk(NamedTuple):
    """One chunk's own arrays: its scratch and its rows of the accumulators."""

    scratch: Scratch  # the kernel's (records.scratch)
    out: Outputs  # one replication's results
    judged: Judgement
    judge_work: JudgeWork
    summary_work: SummaryWork
    ratio: np.ndarray  # scratch of attribute
    tally: Tally  # integer counts: its thread's rows of the accumulators; hours and units: scratch
    lateness: np.ndarray  # its thread's row of op_lateness (fixed point)
    cause_lost: np.ndarray  # its thread's row of cause_lost (fixed point)
    insight: Insight  # its thread's rows of the insight accumulators
    orders: OrderTally  # its thread's order and finish accumulators (riskengine.simulation.orders)
    order_work: OrderWork


class Streaming(NamedTuple):
    """Where a streaming chunk puts its replications' figures (:mod:`riskengine.simulation.streamed`)."""

    sketch: Sketch  # its thread's
    clusters: Clusters  # its thread's (no figures: replications are independent)
    open_sum: np.ndarray  # the chunk's open cluster
    open_n: np.ndarray
    per_draw: int
    head: np.ndarray  # (replications, N_HEAD) headline figures, or (0, N_HEAD): not kept
    first: int  # the replication of head row 0 (and of row 0 of the rows)


@leaf_jit
def _simulate_chunk(seed: int, lo: int, hi: int, m: Model, scrap: ScrapTables,
                    uncertainty: Uncertainty | None, chunk: Chunk, rows: np.ndarray, first: int,
                    bound: float, stream: Streaming | None) -> int:
    """Replications ``lo .. hi - 1`` into the chunk's accumulators and ``rows`` (row
    ``rep - first``; with ``stream``: into its sketch, ``rows`` being one row of scratch); -1, or
    the replication cut short (its bound on events passed, or a stop requested), where it ended.

    With uncertain parameters (``uncertainty``, see :mod:`riskengine.simulation.parameters`)
    the model reads the chunk's working copies, rewritten whenever the draw changes; with
    None that branch is not even compiled (nor the streaming one without ``stream``).
    """
    current = -1
    account = chunk.scratch.account
    for rep in range(lo, hi):
        arm(account, bound)
        if ended(account):  # stopped before this replication
            return rep
        if uncertainty is not None:
            if rep // uncertainty.per_draw != current:
                current = rep // uncertainty.per_draw
                apply_parameters(stream_key(seed, current, Stream.PARAMETERS), uncertainty.program,
                                 uncertainty.nominal, uncertainty.working)
        n_started = replicate(seed, rep, m, scrap, chunk.scratch, chunk.out)
        if ended(account):
            return rep
        judge(m.ops, m.adherence, chunk.out, n_started, chunk.judged, chunk.judge_work)
        settle(m.initial, m.ops, m.adherence, chunk.out, chunk.judged, chunk.judge_work)  # a forecast
        # integer counts go straight into the chunk's accumulators; hours and units are rounded
        # to fixed point per replication, as the reference engine does
        if stream is None:
            row = rows[rep - first]
        else:
            row = rows[0]
        summarize(m.ops, m.adherence, m.resources.entity.shape[0], chunk.out.end, chunk.judged, row,
                  chunk.tally, chunk.summary_work)
        only_ahead(m.initial, chunk.judged)  # a forecast: the insight is about what is still ahead
        attribute(m.ops, m.adherence, chunk.out, chunk.judged, row, chunk.insight, chunk.ratio)
        last = max(m.adherence.horizon, row[FINISH])
        tally_orders(m.ops, m.adherence, m.orders, chunk.out, last, rep, chunk.orders, chunk.order_work)
        realized_misses(m.initial, m.adherence.n_days, row)  # a forecast: misses settled before T
        if stream is not None:
            fold(stream, row, rep)
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
    return -1


@leaf_jit
def fold(stream: Streaming, row: np.ndarray, rep: int) -> None:
    """Stream replication ``rep``'s row (:meth:`riskengine.simulation.streamed.Streamed.fold`)."""
    add_row(stream.sketch, row)
    if stream.head.shape[0] > 0:
        for k in range(stream.head.shape[1]):
            stream.head[rep - stream.first, k] = row[k]
    if stream.per_draw > 1:
        cluster_add(stream.open_sum, stream.open_n, row)
        if (rep + 1) % stream.per_draw == 0:
            cluster_close(stream.clusters, stream.open_sum, stream.open_n)


class _Sums(NamedTuple):
    """The integer accumulators of every thread (leading axis: thread), named as in
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


def _chunk(c: Compiled, sums: _Sums, k: int, orders: OrderTally) -> Chunk:
    """A chunk's scratch and thread k's rows of ``sums``; ``orders``: thread k's order accumulators."""
    n = c.n_ops
    floats = tally(n)
    return Chunk(scratch(n, c.n_resources, c.mat_entity.shape[0]), outputs(n), judgement(n, c.n_buckets),
                 judge_work(c.op_bucket, c.op_resource, c.n_resources, c.n_buckets, c.n_products),
                 summary_work(c.band_measures.shape[0]), np.zeros(N_RATIOS),
                 Tally(sums.op_hits[k], floats.lateness, sums.op_executed[k], sums.op_causes[k],
                       sums.cause_misses[k], floats.cause_lost),
                 sums.op_lateness[k], sums.cause_lost[k],
                 Insight(sums.op_critical[k], sums.res_critical[k], sums.op_sums[k], sums.rep_sums[k],
                         sums.breaks[k]), orders, order_work(c.n_orders))


#: Seconds a cold compile of the kernel takes on the project's quiet 2-core machine (README,
#: Performance: 31-32 s; more on a loaded machine).
COLD_COMPILE_SECONDS = 30
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
        index = _simulate_chunk._cache._cache_file._load_index()  # type: ignore[attr-defined]  # a Dispatcher
        magic = cpu_target.target_context.codegen().magic_tuple()
        return any(key[1] == magic and (str(key[0][5]) != "none") == uncertain for key in index)
    except Exception:  # a numba whose cache is organized otherwise: no announcement
        return None


def chunk_bounds(first: int, count: int, n_chunks: int, align: int = 1) -> list[tuple[int, int]]:
    """``n_chunks`` ranges ``(lo, hi)`` covering ``first .. first + count - 1`` in order, the inner
    boundaries on multiples of ``align`` (clusters of replications), empty ones left out."""
    edges = [first + (count * k) // n_chunks for k in range(n_chunks + 1)]
    if align > 1:
        edges = [first] + [max(first, e - e % align) for e in edges[1:-1]] + [first + count]
    return [(lo, hi) for lo, hi in zip(edges[:-1], edges[1:], strict=True) if hi > lo]


def run_kernel(c: Compiled, seed: int, first: int, count: int, acc, chunks: int | None = None,
               stop: StopFlag | None = None) -> None:
    """Simulate replications ``first .. first + count - 1`` with the kernel into ``acc``.

    The replications are cut in ``chunks`` (default: 4 per numba thread, at
    most one per replication) that threads run side by side (the kernel
    releases the GIL); each thread adds into its own accumulators (integers,
    fixed point, exact sums) and scratch arrays, which are then added up, so the
    results do not depend on the number of threads or chunks.

    Raises :class:`~riskengine.simulation.watchdog.Stopped` once ``stop`` is set (within one
    replication) and :class:`~riskengine.simulation.watchdog.ReplicationOverrun` (the first
    replication cut short) when a replication passes its bound on events; ``acc`` is then
    incomplete.
    """
    if count <= 0:
        return
    if _listeners and kernel_cached(c.uncertain) is False:
        for say in list(_listeners):
            say(f"compiling the simulation kernel, once: ~{COLD_COMPILE_SECONDS} s")
    n_threads = numba.get_num_threads()
    streamed = acc.stream
    bounds = chunk_bounds(first, count, max(1, min(chunks or 4 * n_threads, count)),
                          acc.per_draw if streamed is not None else 1)
    n_slots = 1 if n_threads == 1 else min(n_threads, len(bounds))
    sums = _Sums(*(np.zeros((n_slots,) + getattr(acc, name).shape, np.int64) for name in _Sums._fields))
    parts = [streamed.worker() for _ in range(n_slots)] if streamed is not None else []
    order_tallies = acc.order_tallies(n_slots)  # integer counts: any thread may add any replication
    free: queue.SimpleQueue = queue.SimpleQueue()
    for slot in range(n_slots):
        free.put(slot)
    model = model_of(c)
    tables = uncertain_scrap_by_loop(c, scrap_tables(c.op_resource, c.op_quantity, c.res_scrap))
    nominal = nominal_parameters(c, tables.start)
    bound = event_bound(c)
    step = order_tallies[0].op_pending.shape[0]  # replications between two flushes of the histograms
    carry: list = [None] * len(bounds)  # each chunk's open cluster (streaming)

    def run(k: int) -> int:
        lo, hi = bounds[k]
        m, scrap, uncertainty = model, tables, None
        if c.uncertain:  # the chunk's model reads its own copies of the parameter values
            working = working_copies(nominal)
            m, scrap = with_parameters(model, tables, working)
            uncertainty = Uncertainty(program_of(c), nominal, working, c.replications_per_draw)
        slot = free.get()
        chunk = _chunk(c, sums, slot, order_tallies[slot])
        rows, stream = acc.rows, None
        if streamed is not None:  # the first chunk continues the open cluster of the last run
            rows = np.full((1, acc.layout.width), np.nan)
            carry[k] = ((streamed.open_sum, streamed.open_n) if k == 0 else
                        (np.zeros_like(streamed.open_sum), np.zeros_like(streamed.open_n)))
            stream = Streaming(*parts[slot], *carry[k], acc.per_draw, streamed.head,  # type: ignore[call-arg]
                               acc.first)
        if stop is not None:
            stop.attach(chunk.scratch.account)
        try:
            for a in range(lo, hi, step):  # the finishes pending in the chunk's rows go to the histograms
                b = min(a + step, hi)
                chunk.orders.pending_first[0] = a
                cut = _simulate_chunk(seed, a, b, m, scrap, uncertainty, chunk, rows, acc.first, bound,
                                      stream)
                if cut >= 0:
                    return cut
                with acc.flush_lock:
                    flush(chunk.orders, b - a)
            return -1
        finally:
            if stop is not None:
                stop.detach(chunk.scratch.account)
            free.put(slot)

    if n_slots == 1:
        cut = [run(k) for k in range(len(bounds))]
    else:
        with ThreadPoolExecutor(n_slots) as pool:
            cut = list(pool.map(run, range(len(bounds))))
    if stop is not None and stop.is_set():
        raise Stopped
    if max(cut) >= 0:
        raise ReplicationOverrun(seed, min(k for k in cut if k >= 0), bound)
    for name, part in zip(_Sums._fields, sums, strict=True):
        getattr(acc, name)[...] += part.sum(axis=0)
    if streamed is not None:
        for part in parts:
            streamed.merge(part)
        if len(bounds) > 1:  # the cluster left open by the last chunk (the first one's is closed)
            streamed.open_sum[...], streamed.open_n[...] = carry[-1]


def kernel_replication(c: Compiled, seed: int, replication: int):
    """Per-operation results of one replication by the kernel (for equivalence checks)."""
    from riskengine.simulation.reference import ReplicationResult

    result = ReplicationResult(c.n_ops)
    c = parameterized(c, seed, replication)
    tables = uncertain_scrap_by_loop(c, scrap_tables(c.op_resource, c.op_quantity, c.res_scrap))
    s = scratch(c.n_ops, c.n_resources, c.mat_entity.shape[0])
    arm(s.account, event_bound(c))
    result.n_started = replicate(seed, replication, model_of(c), tables, s, result.outputs)
    check(s.account, seed, replication)
    result.events = float(s.account[Account.EVENTS])
    return result

