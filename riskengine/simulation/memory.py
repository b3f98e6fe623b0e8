"""The memory a score asks for, estimated before any work (docs/design.md section 6).

:func:`estimate` adds up what a run allocates, from the request's shape alone
(:class:`Shape`: operations, resources, products, buckets, days, bands,
calendar intervals; replications, threads, plans), without compiling
anything:

- the compiled model: about 260 bytes per operation, the planned units per
  bucket and product, 16 bytes per working interval;
- each chunk of replications (4 per thread): its scratch, about 400 bytes per
  operation, and the bucket counts of a replication (per bucket and product);
- the integer accumulators, one copy per thread and the total: 216 bytes per
  operation and 14 int64 per order; the finish histograms
  (:mod:`riskengine.simulation.orders`), once whatever the threads:
  :data:`~riskengine.simulation.histogram.BINS` int32 counters (1.9 kB) per
  operation and order, and each thread's pending rows (int16, at most 4 MiB);
- the replication figures: rows of 8 bytes per figure while they fit in
  :data:`~riskengine.simulation.streamed.ROW_BYTES`, beyond that a sketch per
  thread and the total (:func:`riskengine.simulation.sketch.nbytes`), with
  56 bytes per replication and plan when comparisons pair them (``keep_head``);
- the result document's Python objects: about 2.5 kB per operation and 2 kB per
  bucket, day and resource (on the benchmark's 10,000-operation week plan the
  whole run grows the process by 33 MB: estimated 61 MB);
- streaming, the kernel's streaming variant, loaded once per process (12 MB: with the
  orders' tallies in it, the example factory's streamed score grew the process by 14.2 to
  17.1 MB in four runs at 1.5e5 replications, 8 MB of sketches and scratch among them).

It estimates the growth of a process's peak memory beyond what the process
holds before the request (the interpreter, numpy, numba and the compiled
kernel: about 250 MB, README "Memory"); tests/test_memory.py checks it against
the measured peak of child processes. The service refuses a request whose
estimate exceeds its limit (HTTP 413, :mod:`riskengine.service.requests`) and
the command line a run over ``--max-memory`` (exit 2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from riskengine.adherence.arrays import N_COUNTS
from riskengine.simulation import sketch as sk
from riskengine.simulation.histogram import BINS
from riskengine.simulation.orders import PENDING_ENTRIES, pending_rows
from riskengine.simulation.streamed import ROW_BYTES
from riskengine.simulation.summary import BAND_FIELDS, BUCKET_FIELDS, N_HEAD

MB = 2**20
#: Bytes per operation of the compiled model, a chunk's scratch, one copy of the accumulators.
MODEL_PER_OP, CHUNK_PER_OP, SUMS_PER_OP = 260, 400, 216
#: Bytes of the result document's Python objects per operation and per bucket, day or resource.
RESULT_PER_OP, RESULT_PER_FIGURE = 2500, 2000
#: Bytes of the kernel's streaming variant, loaded (or compiled) once per process when first used.
STREAMING_CODE = 12 * 2**20
#: Chunks per thread (:func:`riskengine.simulation.runner.run_kernel`).
CHUNKS_PER_THREAD = 4
#: Bins of a ratio figure and of an hours figure (:mod:`riskengine.simulation.streamed`).
RATIO_BINS = 2 + 1025
HOURS_BINS = 2 + 2048 + 64 * 24


@dataclass(frozen=True)
class Shape:
    """What a score's memory depends on."""

    operations: int
    resources: int
    products: int
    buckets: int
    days: int
    bands: int
    intervals: int  # working intervals of the calendars
    uncertain: bool = False  # replications in clusters of a parameter draw
    orders: int = 0  # orders listed with due dates

    @property
    def width(self) -> int:
        """Figures per replication: headline, days, bands, buckets, resources (summary.Layout)."""
        return N_HEAD + self.days + BAND_FIELDS * self.bands + BUCKET_FIELDS * self.buckets + self.resources


def shape_of(plan, premises) -> Shape:
    """The :class:`Shape` of scoring a validated ``plan`` with ``premises`` (nothing compiled)."""
    from riskengine.model.calendar import WEEK_HOURS, effective_calendar
    from riskengine.model.premises import uncertain_numbers

    horizon = plan.horizon_hours
    last = max((plan.hours(op.end) for op in plan.operations), default=0.0)
    weeks = math.ceil((max(horizon, last) + 8 * WEEK_HOURS) / WEEK_HOURS) + 2
    intervals = 0
    for r in plan.resources:
        cal = effective_calendar(plan, r.id)
        if cal is None:
            intervals += 1
            continue
        weekly = sum(len(s.days) for s in (cal.shifts or [])) + sum(len(b.days) for b in (cal.breaks or []))
        intervals += max(1, weekly) * weeks + len(cal.non_working) + len(cal.extra_working)
    return Shape(operations=len(plan.operations), resources=len(plan.resources),
                 products=len({op.product for op in plan.operations}),
                 buckets=max(1, math.ceil(horizon / plan.bucket_hours - 1e-9)),
                 days=max(1, math.ceil(horizon / 24.0 - 1e-9)), bands=len(premises.rules().bands),
                 intervals=intervals, uncertain=bool(uncertain_numbers(premises)),
                 orders=len(getattr(plan, "orders", None) or ()))


def figures_bytes(shape: Shape, replications: int, threads: int, keep_head: bool = False) -> int:
    """The replication figures: rows while they fit, else sketches (one per thread and the total)."""
    width = shape.width
    if replications * width * 8 <= ROW_BYTES:
        return replications * width * 8
    ratios = 5 + BAND_FIELDS * shape.bands + BUCKET_FIELDS * shape.buckets
    hours = 1 + shape.resources
    one = sk.nbytes(width, ratios * RATIO_BINS + hours * HOURS_BINS, with_clusters=shape.uncertain)
    return STREAMING_CODE + (threads + 1) * one + (replications * N_HEAD * 8 if keep_head else 0)


def estimate(shape: Shape, replications: int, threads: int = 2, plans: int = 1,
             keep_head: bool = False) -> int:
    """Bytes a score (``plans`` > 1: a comparison, each plan scored in turn, the headline
    figures of all kept for the pairs) asks for beyond the process's baseline (module docstring)."""
    n, b = shape.operations, shape.buckets
    chunks = max(1, min(CHUNKS_PER_THREAD * threads, replications))
    bucket_products = 8 * b * shape.products
    model = MODEL_PER_OP * n + bucket_products + 16 * shape.intervals
    chunk = CHUNK_PER_OP * n + bucket_products + 2 * 8 * N_COUNTS * b
    items = n + shape.orders
    pending = 2 * min(PENDING_ENTRIES, items * pending_rows(n, shape.orders))
    sums = (threads + 1) * (SUMS_PER_OP * n + 14 * 8 * shape.orders) + 4 * BINS * items + threads * pending
    result = RESULT_PER_OP * n + RESULT_PER_FIGURE * (b + shape.days + shape.resources)
    one_plan = model + chunks * chunk + sums + figures_bytes(shape, replications, threads, keep_head) + result
    heads = (plans - 1) * replications * N_HEAD * 8 if plans > 1 else 0
    return int(one_plan + heads)


def describe(nbytes: int) -> str:
    """``"about 1.2 GB"``-style text of a byte count (MB = 2^20 bytes)."""
    mb = nbytes / MB
    if mb >= 1024:
        return f"about {mb / 1024:.1f} GB"
    return f"about {mb:.0f} MB" if mb >= 10 else f"about {mb:.1f} MB"
