"""Streaming statistics of many figures over replications, in bounded memory, mergeable exactly.

A :class:`Sketch` holds, for each figure f of a score (BTS of a bucket, a
resource's finish, ...; issue 18 adds one per operation's finish), what its
estimates need without keeping a value per replication:

- the number of defined (finite) values n, and the exact sums of x and x^2:
  each value is added to a fixed-point integer of 32-bit limbs spanning every
  finite float64 (a "superaccumulator", Kulisch and Miranker, *Computer
  Arithmetic in Theory and Practice*, 1981), so the sums, hence the mean
  sum/n and the sample variance (n sum x^2 - (sum x)^2) / (n (n - 1)), are
  exact rational numbers, rounded once at the end, whatever the order of
  the additions;
- a fixed-bin histogram over the figure's feasible range (:class:`Binning`):
  per bin an integer count and the lowest and highest value seen.

With uncertain parameters the replications come in clusters (the
replications of one parameter draw); :class:`Clusters` keeps per figure the
exact sums over closed clusters g of S_g^2, n_g S_g and S_g^2 / n_g (S_g the
sum, n_g the count of the cluster's defined values, S_g summed in replication
order), sum n_g^2 and the number of clusters: what the design effect and the
variance decomposition need (:mod:`riskengine.simulation.statistics`,
:mod:`riskengine.analysis.variance`).

Every part merges exactly: integer additions, minima and maxima. Sketches
filled by any number of threads, chunks or machines (Dask workers, issue 22)
and merged in any order are bit-identical.

**Quantiles** (:func:`quantile`) follow numpy's default (linear) rule: the
p-quantile of n values is x_(j) + t (x_(j+1) - x_(j)) with h = (n - 1) p,
j = floor(h), t = h - j. An order statistic x_(k) is found in its bin by
rank: the lowest and highest rank of a bin are its lowest and highest value
(exact), ranks in between are interpolated linearly between them. **Error
bound**: each order statistic used lies in [low, high] of its bin, and so does
its estimate; the quantile is within the largest width high - low of the (at
most two) bins involved, hence within the bin width: 2^-10 for ratios in
[0, 1] (:func:`ratio_binning`); for hours (:func:`hours_binning`, scale T)
T / 1024 below 2 T and 1/64 of the value beyond. It is exact when both order
statistics are the lowest or highest value of their bin, or their bins hold
one distinct value each (a figure that takes few values, such as the BTS of a
bucket with two operations). Values below or above the binned range fall in
two end bins whose error is their own high - low.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import NamedTuple

import numpy as np

from riskengine._jit import fused_entry, fused_jit, leaf_jit

#: Limbs of an exact sum: 32 bits each, from 2^BASE (below the smallest subnormal x 2^-53).
LIMBS = 70
BASE = -1152
_MASK = np.int64(0xFFFFFFFF)
_TWO53 = 9007199254740992.0
#: Moments kept per figure: sum x, sum x^2.
SUM, SUM2 = range(2)
#: Cluster sums kept per figure: sum S_g^2, sum n_g S_g, sum S_g^2 / n_g.
CLUSTER_S2, CLUSTER_NS, CLUSTER_S2N = range(3)


class Binning(NamedTuple):
    """Where each figure's values go: bins ``ptr[f] .. ptr[f + 1] - 1`` of the flat arrays.

    Bin 0 takes values below ``lo``; then ``linear`` bins of width ``unit``; then
    ``octaves`` doublings of the range, each cut in ``sub`` bins; the last bin takes the rest.
    A figure with no bins (``ptr[f] == ptr[f + 1]``) keeps only its moments.
    """

    ptr: np.ndarray  # (figures + 1,) int64
    lo: np.ndarray  # (figures,) float64
    unit: np.ndarray
    top: np.ndarray  # the end of the binned range, in units from lo: linear 2^octaves
    linear: np.ndarray  # (figures,) int64
    sub: np.ndarray
    octaves: np.ndarray


class Sketch(NamedTuple):
    """The streaming statistics of ``figures`` figures (module docstring)."""

    bins: Binning
    count: np.ndarray  # type: ignore[assignment]  # (bins,) int64 values per bin (shadows tuple.count)
    low: np.ndarray  # (bins,) lowest value of each bin (inf: empty)
    high: np.ndarray  # (bins,) highest value (-inf: empty)
    n: np.ndarray  # (figures,) int64 defined values
    sums: np.ndarray  # (figures, 2, LIMBS) int64 exact sums of x and x^2


class Clusters(NamedTuple):
    """Per figure, exact sums over closed clusters of replications (module docstring)."""

    sums: np.ndarray  # (figures, 3, LIMBS) int64: S_g^2, n_g S_g, S_g^2 / n_g
    n2: np.ndarray  # (figures,) int64 sum of n_g^2
    k: np.ndarray  # (figures,) int64 clusters with a defined value


# -- building ------------------------------------------------------------------------------------

def binning(specs: list[tuple[float, float, int, int, int]]) -> Binning:
    """A :class:`Binning` from one ``(lo, unit, linear, sub, octaves)`` per figure; ``linear`` 0:
    no bins (moments only)."""
    sizes = [0 if lin == 0 else 2 + lin + sub * octaves for _, _, lin, sub, octaves in specs]
    ptr = np.zeros(len(specs) + 1, np.int64)
    ptr[1:] = np.cumsum(sizes)
    col = list(zip(*specs, strict=True)) if specs else [(), (), (), (), ()]
    lin = np.array(col[2], np.int64)
    octaves = np.array(col[4], np.int64)
    return Binning(ptr, np.array(col[0], np.float64), np.array(col[1], np.float64),
                   lin * np.exp2(octaves.astype(np.float64)), lin, np.array(col[3], np.int64), octaves)


def ratio_binning() -> tuple[float, float, int, int, int]:
    """Bins of 2^-10 over [0, 1] (1.0 in a bin of its own start): a ratio's quantiles within 2^-10."""
    return (0.0, 2.0**-10, 1025, 0, 0)


def hours_binning(scale: float) -> tuple[float, float, int, int, int]:
    """Hours from 0: bins of ``scale`` / 1024 up to 2 ``scale``, then 64 bins per doubling for
    24 doublings (1/64 of the value)."""
    return (0.0, float(scale) / 1024.0, 2048, 64, 24)


def moments_only() -> tuple[float, float, int, int, int]:
    """No histogram (a 0/1 figure: its proportion is its mean)."""
    return (0.0, 1.0, 0, 0, 0)


def sketch(b: Binning) -> Sketch:
    """An empty :class:`Sketch` over ``b``."""
    f, total = b.lo.shape[0], int(b.ptr[-1])
    return Sketch(b, np.zeros(total, np.int64), np.full(total, np.inf), np.full(total, -np.inf),
                  np.zeros(f, np.int64), np.zeros((f, 2, LIMBS), np.int64))


def clusters(figures: int) -> Clusters:
    """Empty :class:`Clusters` of ``figures`` figures."""
    return Clusters(np.zeros((figures, 3, LIMBS), np.int64), np.zeros(figures, np.int64),
                    np.zeros(figures, np.int64))


def nbytes(figures: int, bins: int, with_clusters: bool) -> int:
    """Bytes of a sketch of ``figures`` figures and ``bins`` bins in all (and its clusters)."""
    per_figure = 8 * (1 + 2 * LIMBS + 6) + 8  # moments, binning, ptr
    if with_clusters:
        per_figure += 8 * (3 * LIMBS + 2)
    return figures * per_figure + bins * 24


# -- adding (compiled) ---------------------------------------------------------------------------

@fused_jit
def add_exact(sums: np.ndarray, f: int, k: int, x: float) -> None:
    """Add a finite ``x`` exactly to the limbs ``sums[f, k]`` (each limb takes < 2^32 per add:
    2^31 adds fit in an int64 limb before :func:`normalize`)."""
    if x == 0.0:
        return
    m, e = math.frexp(abs(x))
    mant = np.int64(m * _TWO53)  # x = mant 2^(e - 53), mant < 2^53
    p = e - 53 - BASE
    i = p >> 5
    s = p & 31
    d0 = (mant & ((np.int64(1) << (32 - s)) - 1)) << s
    d1 = (mant >> (32 - s)) & _MASK
    d2 = (mant >> 32) >> (32 - s)
    if x < 0.0:
        d0, d1, d2 = -d0, -d1, -d2
    sums[f, k, i] += d0
    sums[f, k, i + 1] += d1
    sums[f, k, i + 2] += d2


@fused_jit
def bin_of(b: Binning, f: int, x: float) -> int:
    """The bin of value ``x`` (not NaN) of figure f, counted from ``b.ptr[f]``."""
    last = b.ptr[f + 1] - b.ptr[f] - 1
    if not x >= b.lo[f]:
        return 0
    y = (x - b.lo[f]) / b.unit[f]
    linear = b.linear[f]
    if y < linear:
        return 1 + int(y)
    if not y < b.top[f]:
        return last
    m, e = math.frexp(y / linear)  # y / linear = m 2^e, e >= 1: octave e, its position 2m - 1 in [0, 1)
    return 1 + linear + (e - 1) * b.sub[f] + int(b.sub[f] * (2.0 * m - 1.0))


@fused_entry
def add(s: Sketch, f: int, x: float) -> None:
    """Add value ``x`` of figure f (NaN or infinite: undefined, not counted, as in
    :mod:`riskengine.simulation.statistics`)."""
    if not math.isfinite(x):
        return
    s.n[f] += 1
    add_exact(s.sums, f, SUM, x)
    add_exact(s.sums, f, SUM2, min(x * x, 1.7976931348623157e308))  # |x| < 1e154 in any figure
    if s.bins.ptr[f + 1] > s.bins.ptr[f]:
        k = s.bins.ptr[f] + bin_of(s.bins, f, x)
        s.count[k] += 1
        s.low[k] = min(s.low[k], x)
        s.high[k] = max(s.high[k], x)


@leaf_jit
def add_row(s: Sketch, row: np.ndarray) -> None:
    """Add value ``row[f]`` of every figure f."""
    for f in range(row.shape[0]):
        add(s, f, row[f])


@leaf_jit
def cluster_add(open_sum: np.ndarray, open_n: np.ndarray, row: np.ndarray) -> None:
    """Add a replication's ``row`` to the open cluster (sums in replication order)."""
    for f in range(row.shape[0]):
        if math.isfinite(row[f]):
            open_sum[f] += row[f]
            open_n[f] += 1


@leaf_jit
def cluster_close(c: Clusters, open_sum: np.ndarray, open_n: np.ndarray) -> None:
    """Close the open cluster: add its terms to ``c`` and empty it."""
    for f in range(open_sum.shape[0]):
        n = open_n[f]
        if n > 0:
            s = open_sum[f]
            c.k[f] += 1
            c.n2[f] += n * n
            add_exact(c.sums, f, CLUSTER_S2, s * s)
            add_exact(c.sums, f, CLUSTER_NS, n * s)
            add_exact(c.sums, f, CLUSTER_S2N, s * s / n)
        open_sum[f] = 0.0
        open_n[f] = 0


# -- merging and reading (Python) ----------------------------------------------------------------

def normalize(limbs: np.ndarray) -> None:
    """Carry every limb's excess over 32 bits into the next one (last axis: limbs), in place;
    the value is unchanged and each limb but the last is again in [0, 2^32)."""
    for i in range(limbs.shape[-1] - 1):
        carry = limbs[..., i] >> 32  # floor division: also right for negative limbs
        limbs[..., i] -= carry << 32
        limbs[..., i + 1] += carry


def merge(into: Sketch, other: Sketch) -> None:
    """Add ``other`` to ``into`` (the same binning): exact, in any order."""
    into.count[...] += other.count
    np.minimum(into.low, other.low, out=into.low)
    np.maximum(into.high, other.high, out=into.high)
    into.n[...] += other.n
    into.sums[...] += other.sums
    normalize(into.sums)


def merge_clusters(into: Clusters, other: Clusters) -> None:
    """Add ``other`` to ``into``: exact, in any order."""
    into.sums[...] += other.sums
    normalize(into.sums)
    into.n2[...] += other.n2
    into.k[...] += other.k


def exact(limbs: np.ndarray) -> Fraction:
    """The exact value of one exact sum (its limbs)."""
    total = 0
    for i in range(limbs.shape[0] - 1, -1, -1):
        total = (total << 32) + int(limbs[i])
    return Fraction(total, 2**-BASE)


def mean(s: Sketch, f: int) -> float | None:
    """The mean of figure f's defined values (correctly rounded); None without any."""
    n = int(s.n[f])
    return float(exact(s.sums[f, SUM]) / n) if n else None


def variance(s: Sketch, f: int) -> float | None:
    """The sample variance (n - 1) of figure f's values, from exact sums; None below two."""
    n = int(s.n[f])
    if n < 2:
        return None
    total, squares = exact(s.sums[f, SUM]), exact(s.sums[f, SUM2])
    return float(max(n * squares - total * total, Fraction(0)) / (n * (n - 1)))


def _lerp(a: float, b: float, t: float) -> float:
    """numpy's linear interpolation (``numpy.lib._function_base_impl._lerp``)."""
    diff = b - a
    return b - diff * (1 - t) if t >= 0.5 else a + diff * t


def order_statistic(s: Sketch, f: int, k: int) -> float:
    """The estimate of figure f's k-th smallest value (0-based; module docstring)."""
    lo, hi = int(s.bins.ptr[f]), int(s.bins.ptr[f + 1])
    counts = s.count[lo:hi]
    cum = np.cumsum(counts)
    b = int(np.searchsorted(cum, k, side="right"))
    rank = k - (int(cum[b - 1]) if b else 0)
    c = int(counts[b])
    low, high = float(s.low[lo + b]), float(s.high[lo + b])
    if rank == 0:
        return low
    if rank == c - 1:
        return high
    return low + (high - low) * rank / (c - 1)


def quantile(s: Sketch, f: int, p: float) -> float | None:
    """The p-quantile (p in [0, 1]) of figure f by numpy's linear rule, within the error bound of
    the module docstring; None without values."""
    n = int(s.n[f])
    if n == 0:
        return None
    h = (n - 1) * p
    j = int(math.floor(h))
    t = h - j
    below = order_statistic(s, f, j)
    if t == 0.0 or j + 1 >= n:
        return below
    return _lerp(below, order_statistic(s, f, j + 1), t)


class Figure(NamedTuple):
    """One figure of a sketch as the estimates read it (:mod:`riskengine.simulation.statistics`),
    with its closed clusters (None: replications are independent)."""

    sketch: Sketch
    f: int
    clusters: Clusters | None = None

    @property
    def n(self) -> int:
        return int(self.sketch.n[self.f])

    def total(self) -> Fraction:
        """The exact sum of the values."""
        return exact(self.sketch.sums[self.f, SUM])

    def mean(self) -> float | None:
        return mean(self.sketch, self.f)

    def variance(self) -> float | None:
        return variance(self.sketch, self.f)

    def quantile(self, p: float) -> float | None:
        return quantile(self.sketch, self.f, p)

    def cluster_terms(self) -> tuple[int, Fraction, Fraction, Fraction, int]:
        """K, sum S_g^2, sum n_g S_g, sum S_g^2 / n_g and sum n_g^2 over the clusters."""
        c, f = self.clusters, self.f
        assert c is not None, "cluster terms exist only with clusters"
        return (int(c.k[f]), exact(c.sums[f, CLUSTER_S2]), exact(c.sums[f, CLUSTER_NS]),
                exact(c.sums[f, CLUSTER_S2N]), int(c.n2[f]))
