"""From one judged replication to the figures a score reports.

Each replication contributes one *row* of scalars (plan holds, adherence
ratios, finish, holds-through-day, per band, per bucket, per resource) and
adds into per-operation and per-cause accumulators. Rows grow with
replications and accumulators with operations, never with their product
(docs/design.md section 1). Both engines call :func:`summarize`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from riskengine._jit import step_jit
from riskengine.adherence import arrays as ar
from riskengine.simulation.codes import N_CAUSES
from riskengine.simulation.outcome import Judgement
from riskengine.simulation.records import Adherence, Operations

HOLDS, BTS, BTP, VOLUME, MIX, SEQUENCE, FINISH = range(7)
N_HEAD = 7
BAND_FIELDS = 4  # score, volume, mix, sequence
BUCKET_FIELDS = 2  # bts, btp


@dataclass(frozen=True)
class Layout:
    """Where each figure sits in a replication row."""

    n_days: int
    n_bands: int
    n_buckets: int
    n_resources: int

    @property
    def days(self) -> int:
        return N_HEAD

    @property
    def bands(self) -> int:
        return self.days + self.n_days

    @property
    def buckets(self) -> int:
        return self.bands + BAND_FIELDS * self.n_bands

    @property
    def resources(self) -> int:
        return self.buckets + BUCKET_FIELDS * self.n_buckets

    @property
    def width(self) -> int:
        return self.resources + self.n_resources


class Tally(NamedTuple):
    """What :func:`summarize` adds per operation and per cause (integer counts, and hours and
    units that the engines turn into fixed point once per replication)."""

    hits: np.ndarray  # per operation: replications it was a HIT
    lateness: np.ndarray  # hours late past its planned end (float)
    executed: np.ndarray  # replications it was executed
    causes: np.ndarray  # (operations, causes) misses per cause
    cause_misses: np.ndarray  # per cause: misses
    cause_lost: np.ndarray  # per cause: units lost (float)


class SummaryWork(NamedTuple):
    """The work arrays of :func:`summarize`."""

    total: np.ndarray  # counts of the whole horizon
    ratio: np.ndarray  # ratios of one counts row
    band: np.ndarray  # (bands, N_COUNTS) counts per band


def tally(n: int) -> Tally:
    """A zero :class:`Tally` for ``n`` operations (hours and units as floats)."""
    return Tally(np.zeros(n, np.int64), np.zeros(n), np.zeros(n, np.int64), np.zeros((n, N_CAUSES), np.int64),
                 np.zeros(N_CAUSES, np.int64), np.zeros(N_CAUSES))


def summary_work(n_bands: int) -> SummaryWork:
    """The work arrays of :func:`summarize` (allocate once, reuse for every replication)."""
    return SummaryWork(np.zeros(ar.N_COUNTS), np.zeros(ar.N_RATIOS), np.zeros((n_bands, ar.N_COUNTS)))


@step_jit
def summarize(ops: Operations, adherence: Adherence, n_resources: int, end: np.ndarray, judged: Judgement,
              row: np.ndarray, tally: Tally, work: SummaryWork) -> None:
    """Write a replication's row and add its operations and causes to ``tally``.

    Row: plan holds (1 when every judged operation is a HIT), BTS, BTP,
    volume, mix, sequence of the whole horizon, finish (last finite end),
    then holds-through-day k (every operation planned to end within the first
    k+1 days is a HIT), per band (score = product of its measures, V, M, Sq),
    per bucket (BTS, BTP) and each resource's finish. NaN where nothing was
    planned. Nothing is allocated.
    """
    op_bucket, op_day, op_end, op_resource = ops.bucket, ops.day, ops.end, ops.resource
    band_of_bucket, band_measures = adherence.band_of_bucket, adherence.band_measures
    units_sequence, n_days = adherence.units_sequence, adherence.n_days
    counts, code, miss_cause, lost = judged
    op_hits, op_lateness, op_executed, op_causes, cause_misses, cause_lost = tally
    total, ratio, band = work
    n_buckets = counts.shape[0]
    n_bands = band_measures.shape[0]
    first_miss_day = n_days
    finish = 0.0
    n_res_base = N_HEAD + n_days + BAND_FIELDS * n_bands + BUCKET_FIELDS * n_buckets
    for k in range(n_resources):
        row[n_res_base + k] = 0.0
    # the running maximum of the last resource and the running sums of the last cause are
    # kept in registers while consecutive operations share them (the same operations in the
    # same order: the same numbers, without a store and reload per operation)
    last_r = -1
    last_r_end = 0.0
    last_c = -1
    last_c_misses = 0
    last_c_lost = 0.0
    for i in range(op_bucket.shape[0]):
        if math.isfinite(end[i]):
            finish = max(finish, end[i])
            r = n_res_base + op_resource[i]
            if r != last_r:
                if last_r >= 0:
                    row[last_r] = last_r_end
                last_r = r
                last_r_end = row[r]
            last_r_end = max(last_r_end, end[i])
            op_executed[i] += 1
            op_lateness[i] += max(end[i] - op_end[i], 0.0)
        if op_bucket[i] < 0:
            continue
        if code[i] == ar.HIT:
            op_hits[i] += 1
        else:
            first_miss_day = min(first_miss_day, op_day[i])
            c = miss_cause[i]
            op_causes[i, c] += 1
            if c != last_c:
                if last_c >= 0:
                    cause_misses[last_c] = last_c_misses
                    cause_lost[last_c] = last_c_lost
                last_c = c
                last_c_misses = cause_misses[c]
                last_c_lost = cause_lost[c]
            last_c_misses += 1
            last_c_lost += lost[i]
    if last_r >= 0:
        row[last_r] = last_r_end
    if last_c >= 0:
        cause_misses[last_c] = last_c_misses
        cause_lost[last_c] = last_c_lost
    row[HOLDS] = 1.0 if first_miss_day == n_days else 0.0
    row[FINISH] = finish
    for j in range(ar.N_COUNTS):
        total[j] = 0.0
    for b in range(n_buckets):
        for j in range(ar.N_COUNTS):
            total[j] += counts[b, j]
    ar.ratios(total, units_sequence, ratio)
    row[BTS] = ratio[ar.BTS]
    row[BTP] = ratio[ar.BTP]
    row[VOLUME] = ratio[ar.VOLUME]
    row[MIX] = ratio[ar.MIX]
    row[SEQUENCE] = ratio[ar.SEQUENCE]
    for d in range(n_days):
        row[N_HEAD + d] = 1.0 if d < first_miss_day else 0.0
    base = N_HEAD + n_days
    for k in range(n_bands):
        for j in range(ar.N_COUNTS):
            band[k, j] = 0.0
    for b in range(n_buckets):
        for j in range(ar.N_COUNTS):
            band[band_of_bucket[b], j] += counts[b, j]
    for k in range(n_bands):
        ar.ratios(band[k], units_sequence, ratio)
        score = 1.0
        for m in range(3):
            if band_measures[k, m]:
                score *= ratio[m]
        row[base + BAND_FIELDS * k] = score
        row[base + BAND_FIELDS * k + 1] = ratio[ar.VOLUME]
        row[base + BAND_FIELDS * k + 2] = ratio[ar.MIX]
        row[base + BAND_FIELDS * k + 3] = ratio[ar.SEQUENCE]
    base += BAND_FIELDS * n_bands
    for b in range(n_buckets):
        ar.ratios(counts[b], units_sequence, ratio)
        row[base + BUCKET_FIELDS * b] = ratio[ar.BTS]
        row[base + BUCKET_FIELDS * b + 1] = ratio[ar.BTP]
