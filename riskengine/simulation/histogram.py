"""Fixed log-linear histograms: quantiles of a time in bounded memory, merged exactly.

A per-operation (or per-order) finish time varies from replication to
replication; its P50, P80 and P90 would need every replication's value. A
histogram of integer counts needs :data:`BINS` counters per item instead, and
adding two histograms is exact, so counts from any number of threads or
chunks add up to the same integers (bit-identical results).

Bins are laid on ``x = t - anchor`` (the item's planned end or due date, where
precision matters most), symmetric around 0, in the manner of HdrHistogram
(Tene, 2012): within 1 h of the anchor, :data:`SUB` bins per hour
(width :data:`RESOLUTION` = 1/16 h, 3.75 min); beyond, octave g covers
``[2^g, 2^(g+1))`` hours in :data:`SUB` bins of width ``2^g / 16`` h, for
g = 0 .. :data:`OCTAVES` - 1. A bin's width is thus at most
``max(1/16 h, |x| / 16)``: 3.75 minutes, or 6.25% of the distance from the
anchor. Times further than :data:`LIMIT` (2^14 h, about 1.9 years) from the
anchor are counted in the outermost bin. Times not reached (an operation not
executed: infinite) are not counted; they are the replications missing from
the total.

Quantiles (:func:`quantiles`) follow ``numpy.percentile``'s linear rule
(h = q (n - 1), interpolation between order statistics j = floor(h) and j + 1)
with each order statistic placed inside its bin by its rank (spread evenly
over the bin). Each estimated order statistic lies in the bin of the exact
one, so **the error is less than the width of the bins that hold the two
order statistics**: below ``max(1/16 h, |x| / 16)`` for the larger distance
``|x|`` of the two from the anchor (tested against exact quantiles,
``tests/test_orders.py``). Memory: :data:`BINS` int32 counters (1.9 kB) per
item and worker thread; counts stay below 2^31 (at most 10^7 replications).
"""

from __future__ import annotations

import math

import numpy as np

from riskengine._jit import fused_entry, jit

RESOLUTION = 1.0 / 16.0  # hours: the width of the bins within 1 h of the anchor
SUB = 16  # bins per hour near the anchor, and per octave beyond
OCTAVES = 14  # octaves [2^g, 2^(g+1)) h, g = 0 .. OCTAVES - 1
HALF = SUB * (OCTAVES + 1)  # bins on each side of the anchor
BINS = 2 * HALF
LIMIT = float(2**OCTAVES)  # hours from the anchor beyond which a time counts in the last bin


@fused_entry
def bin_of(x: float) -> int:
    """The bin of a finite ``x`` (hours from the anchor): ``HALF + p`` for x >= 0 and
    ``HALF - 1 - p`` for x < 0, p the bin of ``|x|`` on its side (module docstring)."""
    a = abs(x) * SUB  # in units of RESOLUTION
    if a < SUB:
        p = int(a)
    elif a >= LIMIT * SUB:
        p = HALF - 1
    else:
        m, e = math.frexp(a)  # a = m 2^e, m in [0.5, 1): a in [16 2^g, 32 2^g) gives e = g + 5
        p = SUB * (e - 4) + int(m * (2 * SUB)) - SUB
    return HALF + p if x >= 0.0 else HALF - 1 - p


def bin_edges() -> np.ndarray:
    """The :data:`BINS` + 1 edges of the bins in increasing order (hours from the anchor):
    bin k holds the times between ``edges[k]`` and ``edges[k + 1]``."""
    side = np.empty(HALF + 1)
    side[:SUB] = np.arange(SUB) * RESOLUTION
    for g in range(OCTAVES):
        side[SUB * (g + 1):SUB * (g + 2)] = 2.0**g * (1.0 + np.arange(SUB) / SUB)
    side[HALF] = LIMIT
    return np.concatenate([-side[::-1], side[1:]])


EDGES = bin_edges()


@jit
def _order_statistic(counts: np.ndarray, item: int, edges: np.ndarray, k: int) -> float:
    """The k-th smallest counted value (0-based) of column ``item``, placed in its bin by its
    rank; inf when fewer than k + 1 values are counted."""
    before = 0
    for b in range(counts.shape[0]):
        c = counts[b, item]
        if k < before + c:
            return edges[b] + (k - before + 0.5) / c * (edges[b + 1] - edges[b])
        before += c
    return math.inf


@jit
def quantiles(counts: np.ndarray, total: int, qs: np.ndarray, floor: float = -math.inf) -> np.ndarray:
    """Quantiles ``qs`` (in [0, 1]) of each column of ``counts`` (:data:`BINS` x items), in hours
    from the row's anchor, over ``total`` replications of which those not counted are infinite
    (numpy's linear rule, module docstring); inf where the quantile falls among them, nan when
    ``total`` is 0. With ``floor``, the quantiles of max(floor, value) (a tardiness: floor 0)."""
    out = np.full((counts.shape[1], qs.shape[0]), np.nan)
    if total <= 0:
        return out
    for i in range(counts.shape[1]):
        for k in range(qs.shape[0]):
            h = qs[k] * (total - 1)
            j = int(math.floor(h))
            frac = h - j
            low = max(_order_statistic(counts, i, EDGES, j), floor)
            if frac > 0.0:
                high = max(_order_statistic(counts, i, EDGES, j + 1), floor)
                out[i, k] = math.inf if math.isinf(high) else low + frac * (high - low)
            else:
                out[i, k] = low
    return out


def bin_width_at(x: float) -> float:
    """The width of the bin holding ``x`` (hours from the anchor): the error bound there."""
    b = int(np.searchsorted(EDGES, x, side="right")) - 1
    b = min(max(b, 0), BINS - 1)
    return float(EDGES[b + 1] - EDGES[b])
