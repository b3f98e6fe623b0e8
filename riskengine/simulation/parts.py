"""A run cut in parts: what one chunk of replications returns, and its exact reduction.

Scale-out (:mod:`riskengine.analysis.cluster`, ``score --dask``) runs the
replications of one score in chunks ``lo .. hi - 1`` on other processes or
machines. Each chunk simulates into accumulators of its own
(:class:`~riskengine.simulation.accumulate.Accumulators` with ``first=lo``:
rows ``rep - lo``) and returns only what the whole run's accumulators need
from it, a :class:`Part`:

- the integer accumulators (counts, fixed-point hours and units, two-word sums,
  the order tallies and finish histograms): added;
- the replication rows ``lo .. hi - 1`` while the run keeps rows: put at their
  replications' places; streaming, the chunk's sketch and clusters (merged:
  integer additions, minima and maxima), its headline figures (comparisons) and
  the cluster it leaves open (uncertain parameters; carried to the next chunk);
- the order window's rows (comparisons of orders), put at their places.

Every reduction is exact and does not depend on the order of the parts, so a
run cut in any number of chunks gives the same accumulators, bit for bit, as
one process (docs/design.md section 6, "Scale-out"). The one quantity that is
a float sum in replication order, the open cluster of a parameter draw, never
crosses a chunk boundary: inner boundaries fall on multiples of the draw size
(:func:`~riskengine.simulation.runner.chunk_bounds`), and the cluster left open
at the end of a round of chunks is handed to the first chunk of the next
(:attr:`PartSpec.carry`).

Memory of one chunk: its scratch (about 400 bytes per operation), one copy of
the accumulators (216 bytes per operation, and the histograms of 1.9 kB per
operation and order, sent as their non-zero counts only) and its rows
(``hi - lo`` times 8 bytes per figure) or one sketch.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from riskengine.simulation import sketch as sk
from riskengine.simulation.accumulate import Accumulators
from riskengine.simulation.compile import Compiled
from riskengine.simulation.orders import OrderTally
from riskengine.simulation.watchdog import StopFlag

#: The integer accumulators a part adds (:class:`~riskengine.simulation.accumulate.Accumulators`).
SUMS = ("op_hits", "op_lateness", "op_executed", "op_causes", "cause_misses", "cause_lost", "op_critical",
        "res_critical", "op_sums", "rep_sums", "breaks")
#: The counts of an order tally a part adds (the window is put in place instead).
TALLY = OrderTally._fields[:6]


class PartSpec(NamedTuple):
    """How a chunk sets up its accumulators to fit the whole run's."""

    streamed: bool  # the run streams its figures (else it keeps rows)
    keep_head: bool  # streaming, keep each replication's headline figures (comparisons)
    carry: tuple[np.ndarray, np.ndarray] | None  # the open cluster this chunk continues (streaming)
    window: bool  # keep each order's on-time flag and tardiness per replication (comparisons)


class Packed(NamedTuple):
    """An integer array as its non-zero entries (a histogram is mostly zeros)."""

    shape: tuple[int, ...]
    dtype: str
    where: np.ndarray  # flat positions, int64
    values: np.ndarray


class Part(NamedTuple):
    """What one chunk of replications ``lo .. hi - 1`` returns (module docstring)."""

    lo: int
    hi: int
    sums: dict[str, np.ndarray | Packed]
    tally: dict[str, np.ndarray | Packed]
    window: tuple[np.ndarray, np.ndarray] | None  # on time, tardiness of the window's rows
    rows: np.ndarray | None
    sketch: tuple | None  # its non-empty bins (index, count, low, high), n, sums (the binning is the run's)
    clusters: tuple | None
    head: np.ndarray | None
    open: tuple[np.ndarray, np.ndarray] | None  # the cluster open at hi (streaming)

    def nbytes(self) -> int:
        """Bytes of the arrays it holds (what crosses the network)."""
        def size(x) -> int:
            if isinstance(x, Packed):
                return x.where.nbytes + x.values.nbytes
            if isinstance(x, np.ndarray):
                return x.nbytes
            if isinstance(x, tuple | list):
                return sum(size(y) for y in x)
            if isinstance(x, dict):
                return sum(size(y) for y in x.values())
            return 0

        return sum(size(x) for x in self)


def pack(a: np.ndarray) -> np.ndarray | Packed:
    """``a``, or its non-zero entries when they take less than half its bytes."""
    index = np.flatnonzero(a)
    if index.shape[0] * (8 + a.itemsize) * 2 >= a.nbytes:
        return a
    return Packed(a.shape, a.dtype.str, index, a.reshape(-1)[index])


def _add(target: np.ndarray, x: np.ndarray | Packed) -> None:
    """``target += x`` (unpacking ``x``); integer counts, so exact."""
    if isinstance(x, Packed):
        assert x.shape == target.shape, (x.shape, target.shape)
        flat = target.reshape(-1)  # a view: the accumulators are contiguous
        flat[x.where] += x.values.astype(target.dtype)
    else:
        target += x.astype(target.dtype)


def _compact(sketch: sk.Sketch) -> tuple:
    """A sketch's non-empty bins (index, count, low, high), its counts and its exact sums."""
    index = np.flatnonzero(sketch.count)
    return (index, sketch.count[index], sketch.low[index], sketch.high[index], sketch.n.copy(),
            pack(sketch.sums))


def _merge_compact(into: sk.Sketch, part: tuple) -> None:
    """:func:`riskengine.simulation.sketch.merge` of a :func:`_compact` sketch: exact, in any order."""
    index, count, low, high, n, sums = part
    into.count[index] += count
    into.low[index] = np.minimum(into.low[index], low)
    into.high[index] = np.maximum(into.high[index], high)
    into.n[...] += n
    _add(into.sums, sums)
    sk.normalize(into.sums)


def simulate_part(c: Compiled, seed: int, lo: int, hi: int, spec: PartSpec, engine: str = "kernel",
                  stop: StopFlag | None = None) -> Part:
    """Simulate replications ``lo .. hi - 1`` of ``c`` into fresh accumulators and return their
    :class:`Part` (the kernel on this thread's numba threads, or the reference)."""
    from riskengine.analysis.score import _runner

    acc = Accumulators(c, hi - lo, spec.keep_head, first=lo, streamed=spec.streamed)
    if spec.carry is not None and acc.stream is not None:
        acc.stream.open_sum[...], acc.stream.open_n[...] = spec.carry
    if spec.window:
        acc.open_window(lo, hi - lo)
    _runner(engine)(c, seed, lo, hi - lo, acc, stop=stop)
    return part_of(acc, lo, hi)


def part_of(acc: Accumulators, lo: int, hi: int) -> Part:
    """The :class:`Part` of accumulators that hold replications ``lo .. hi - 1``."""
    tally = acc.orders()
    window = None
    if tally.window_on_time.shape[0]:
        window = (tally.window_on_time, tally.window_tardiness)
    s = acc.stream
    return Part(lo, hi, {name: pack(getattr(acc, name)) for name in SUMS},
                {name: pack(getattr(tally, name)) for name in TALLY}, window,
                acc.kept_rows() if s is None else None,
                None if s is None else _compact(s.sketch),
                None if s is None else tuple(pack(a) for a in s.clusters),
                None if s is None or not s.head.shape[0] else s.head,
                None if s is None else (s.open_sum, s.open_n))


def merge_part(acc: Accumulators, part: Part, last: bool) -> None:
    """Add ``part`` into the whole run's ``acc`` (``last``: the last chunk of its round, whose
    open cluster the run carries on)."""
    for name in SUMS:
        _add(getattr(acc, name), part.sums[name])
    first_tally = acc.order_tallies(1)[0]
    for name in TALLY:
        _add(getattr(first_tally, name), part.tally[name])
    if part.window is not None:  # the part's replications inside the run's window
        start = int(first_tally.window_first[0])
        a = max(part.lo, start)
        b = min(part.hi, start + first_tally.window_on_time.shape[0])
        if b > a:
            first_tally.window_on_time[a - start:b - start] = part.window[0][a - part.lo:b - part.lo]
            first_tally.window_tardiness[a - start:b - start] = part.window[1][a - part.lo:b - part.lo]
    if part.rows is not None:
        acc.kept_rows()[part.lo - acc.first:part.hi - acc.first] = part.rows
        return
    s = acc.stream
    assert s is not None and part.sketch is not None and part.clusters is not None and part.open is not None
    _merge_compact(s.sketch, part.sketch)
    for target, x in zip(s.clusters, part.clusters, strict=True):
        _add(target, x)
    sk.normalize(s.clusters.sums)
    if part.head is not None and s.head.shape[0]:
        s.head[part.lo - s.first:part.hi - s.first] = part.head
    if last:
        s.open_sum[...], s.open_n[...] = part.open


def spec_of(acc: Accumulators, first_chunk: bool) -> PartSpec:
    """The :class:`PartSpec` of a chunk of the run kept in ``acc`` (``first_chunk``: the first of
    its round, which continues the run's open cluster)."""
    s = acc.stream
    carry = None
    if s is not None and first_chunk:
        carry = (s.open_sum.copy(), s.open_n.copy())
    window = acc.order_tallies(1)[0].window_on_time.shape[0] > 0
    return PartSpec(s is not None, acc.keep_head, carry, window)
