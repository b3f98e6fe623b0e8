"""Sequence adherence: the longest (maximum-weight) increasing subsequence of planned positions.

Within each (bucket, resource) the orders completed in their planned bucket
are taken in the order they were executed; the largest set of them whose
planned positions increase is "in sequence" (docs/design.md section 2: Sq = in-sequence /
built-to-mix). Counted by orders (longest increasing subsequence) or, as an
option, by units (maximum-weight increasing subsequence, weights min(planned,
good)). Small groups use an O(k^2) scan, large ones a Fenwick tree of prefix
maxima over position ranks (O(k log k)); both apply the same tie rule, so
the chosen chain (the ``member`` flags) is the same.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from riskengine._jit import fused_jit, inner_jit, jit
from riskengine.adherence.arrays import ORDERS_BUILT, ORDERS_IN_SEQUENCE, UNITS_BUILT, UNITS_IN_SEQUENCE


@fused_jit
def _better(value: float, position: int, best_value: float, best_position: int) -> bool:
    """Tie rule: the heavier chain wins; among equals, the one ending at the lower position."""
    return value > best_value or (value == best_value and best_position >= 0
                                  and position < best_position)


SMALL_GROUP = 32  # up to this many orders the O(k^2) scan is faster than the Fenwick tree


@inner_jit
def _heaviest_small(position: np.ndarray, weight: np.ndarray, member: np.ndarray,
                    best: np.ndarray, pred: np.ndarray) -> float:
    """O(k^2) version of :func:`increasing_subsequence` (same tie rule), no allocation."""
    n = position.shape[0]
    end = -1
    for k in range(n):
        value = 0.0
        item = -1
        for j in range(k):
            if position[j] < position[k] and _better(best[j], position[j], value,
                                                     position[item] if item >= 0 else -1):
                value = best[j]
                item = j
        best[k] = value + weight[k]
        pred[k] = item
        if end < 0 or _better(best[k], position[k], best[end], position[end]):
            end = k
    member[:n] = 0
    total = best[end] if end >= 0 else 0.0
    while end >= 0:
        member[end] = 1
        end = pred[end]
    return total


@jit
def increasing_subsequence(position: np.ndarray, weight: np.ndarray, member: np.ndarray) -> float:
    """Maximum-weight strictly increasing subsequence of ``position``; marks its members.

    ``position`` lists planned positions (distinct) in actual start order; with
    unit weights this is the longest increasing subsequence (a single early or
    late order costs one, not all that follow). O(k^2) for small groups, else
    O(k log k) with a Fenwick tree of prefix maxima over position ranks.

    Ties are broken deterministically: among chains of equal weight the one
    whose members have the lower planned positions is kept, so in 2, 1 the
    order planned second (started first) is the one out of sequence, and in
    10, 1, 2, ..., 9 it is order 10.

    Returns the total weight of the subsequence; ``member[k]`` is set to 1 for
    its elements and 0 for the others.
    """
    n = position.shape[0]
    best = np.empty(n)
    pred = np.empty(n, np.int64)
    if n <= SMALL_GROUP:
        return _heaviest_small(position, weight, member, best, pred)
    return _heaviest_large(position, weight, member, best, pred, np.empty(n, np.int64),
                           np.empty(n, np.int64), np.empty(n + 1), np.empty(n + 1, np.int64))


@fused_jit
def _sort_key_less(position: np.ndarray, a: int, b: int) -> bool:
    return position[a] < position[b] or (position[a] == position[b] and a < b)


@fused_jit
def _sift_down(position: np.ndarray, order: np.ndarray, k: int, size: int) -> None:
    """Move ``order[k]`` down the max-heap ``order[:size]`` (keyed by position, index)."""
    while True:
        child = 2 * k + 1
        if child >= size:
            return
        if child + 1 < size and _sort_key_less(position, order[child], order[child + 1]):
            child += 1
        if not _sort_key_less(position, order[k], order[child]):
            return
        order[k], order[child] = order[child], order[k]
        k = child


@inner_jit
def _rank_positions(position: np.ndarray, order: np.ndarray, rank: np.ndarray) -> None:
    """``rank[k]``: place of item k when sorted by (position, k), by heapsort (no allocation).

    The same ranks as a stable sort of the positions.
    """
    n = position.shape[0]
    for k in range(n):
        order[k] = k
    for top in range(n // 2 - 1, -1, -1):  # max-heap of items by (position, index)
        _sift_down(position, order, top, n)
    for size in range(n - 1, 0, -1):
        order[0], order[size] = order[size], order[0]
        _sift_down(position, order, 0, size)
    for r in range(n):
        rank[order[r]] = r


@inner_jit
def _heaviest_large(position: np.ndarray, weight: np.ndarray, member: np.ndarray, best: np.ndarray,
                    pred: np.ndarray, order: np.ndarray, rank: np.ndarray, tree_value: np.ndarray,
                    tree_item: np.ndarray) -> float:
    """O(k log k) version of :func:`increasing_subsequence` (same tie rule), no allocation.

    ``order`` and ``rank`` hold k items, ``tree_value`` and ``tree_item`` k + 1.
    """
    n = position.shape[0]
    for k in range(n):
        member[k] = 0
    _rank_positions(position, order, rank)
    for j in range(n + 1):
        tree_value[j] = 0.0
        tree_item[j] = -1
    for k in range(n):
        # best chain ending below this rank: prefix maximum over ranks < rank[k]
        value = 0.0
        item = -1
        j = rank[k]
        while j > 0:
            if tree_item[j] >= 0 and _better(
                tree_value[j], rank[tree_item[j]], value, rank[item] if item >= 0 else -1
            ):
                value = tree_value[j]
                item = tree_item[j]
            j -= j & (-j)
        best[k] = value + weight[k]
        pred[k] = item
        j = rank[k] + 1
        while j <= n:
            current = tree_item[j]
            if current < 0 or _better(best[k], rank[k], tree_value[j], rank[current]):
                tree_value[j] = best[k]
                tree_item[j] = k
            j += j & (-j)
    end = 0
    for k in range(1, n):
        if _better(best[k], rank[k], best[end], rank[end]):
            end = k
    total = best[end]
    while end >= 0:
        member[end] = 1
        end = pred[end]
    return total


class SequenceWork(NamedTuple):
    """The work arrays of :func:`sequence_counts` (:func:`sequence_work`)."""

    first: np.ndarray  # per group + 2: where each group starts (zeros between calls)
    items: np.ndarray  # per item: items sorted by group
    pos: np.ndarray  # their planned positions
    w: np.ndarray  # their weights
    ones: np.ndarray  # unit weights
    flags: np.ndarray  # int8 member flags of a group's chain
    best: np.ndarray  # the searches' work (:func:`_heaviest_small`, :func:`_heaviest_large`)
    pred: np.ndarray
    sort_order: np.ndarray
    rank: np.ndarray
    tree_value: np.ndarray  # per item + 1: the Fenwick tree
    tree_item: np.ndarray


@jit
def sequence_work(n_items: int, n_groups: int) -> SequenceWork:
    """The work arrays of :func:`sequence_counts` for ``n_items`` items and ``n_groups`` groups."""
    return SequenceWork(np.zeros(n_groups + 2, np.int64), np.empty(n_items, np.int64),
                        np.empty(n_items, np.int64), np.empty(n_items), np.empty(n_items),
                        np.zeros(n_items, np.int8), np.empty(n_items), np.empty(n_items, np.int64),
                        np.empty(n_items, np.int64), np.empty(n_items, np.int64), np.empty(n_items + 1),
                        np.empty(n_items + 1, np.int64))


@jit
def add_sequence(order: np.ndarray, bucket: np.ndarray, resource: np.ndarray, n_resources: int,
                 position: np.ndarray, weight: np.ndarray, out: np.ndarray, member: np.ndarray) -> None:
    """Add the sequence counts of every (bucket, resource) group to ``out``.

    ``order`` lists item indices in actual start order (ties: by planned
    position on realized data, by execution order in a simulation). Items are
    the planned orders completed in their planned bucket (``bucket >= 0``;
    the others are ignored and get ``member = 0``). Within a group the longest
    increasing subsequence of planned positions is in sequence (orders), as is
    the maximum-weight one (units, weight = min(planned, good) units).
    ``member`` marks the orders in sequence. A stable counting sort by group
    keeps the start order inside each group: O(n + groups).
    """
    n = bucket.shape[0]
    n_groups = out.shape[0] * n_resources
    group = np.empty(n, np.int64)
    for i in range(n):
        group[i] = bucket[i] * n_resources + resource[i] if bucket[i] >= 0 else -1
    group_bucket = np.arange(n_groups) // max(n_resources, 1)
    sequence_counts(order, order.shape[0], group, n_groups, group_bucket, position, weight, out, member,
                    sequence_work(n, n_groups))


@inner_jit
def sequence_counts(order: np.ndarray, n_order: int, group: np.ndarray, n_groups: int,
                    group_bucket: np.ndarray, position: np.ndarray, weight: np.ndarray, out: np.ndarray,
                    member: np.ndarray, work: SequenceWork) -> None:
    """:func:`add_sequence` over ``order[:n_order]`` with the groups given, allocating nothing.

    ``group[i]`` is item i's (bucket, resource) group, -1 for an item that is
    not counted; groups are numbered in (bucket, resource) order and group g
    belongs to bucket ``group_bucket[g]``. ``work`` is :func:`sequence_work`
    (``first`` must hold zeros; it is left so). Groups of up to
    :data:`SMALL_GROUP` orders use the O(k^2) scan, larger ones the Fenwick
    tree, both with the same tie rule as :func:`increasing_subsequence`.
    """
    first, items, pos, w, ones, flags, best, pred, sort_order, rank, tree_value, tree_item = work
    for i in range(member.shape[0]):
        member[i] = 0
    # stable counting sort by group, without branches: items without a group count in a last,
    # extra group (n_groups) that is never read; first[g] ends as the end of group g
    for k in range(n_order):
        g = group[order[k]]
        first[(g if g >= 0 else n_groups) + 1] += 1
    for g in range(n_groups + 1):
        first[g + 1] += first[g]
    for k in range(n_order):
        i = order[k]
        g = group[i]
        g = g if g >= 0 else n_groups
        items[first[g]] = i
        first[g] += 1
    first[n_groups] = 0
    first[n_groups + 1] = 0
    lo = 0
    for g in range(n_groups):
        hi = first[g]
        first[g] = 0
        if hi == lo:
            continue
        # the common case: the group ran in planned order, every order in sequence
        in_order = True
        units = 0.0
        for k in range(lo, hi):
            pos[k] = position[items[k]]
            w[k] = weight[items[k]]
            if in_order and ((k > lo and pos[k] <= pos[k - 1]) or not units + w[k] > units):
                in_order = False
            units += w[k]
        b = group_bucket[g]
        if in_order:
            # what the search finds when positions and partial sums both increase: the whole
            # group, with the same sum in the same order
            for k in range(lo, hi):
                member[items[k]] = 1
            out[b, ORDERS_BUILT] += hi - lo
            out[b, ORDERS_IN_SEQUENCE] += float(hi - lo)
            for k in range(lo, hi):
                out[b, UNITS_BUILT] += w[k]
            out[b, UNITS_IN_SEQUENCE] += units
            lo = hi
            continue
        for k in range(lo, hi):
            ones[k] = 1.0
        m = hi - lo
        if m <= SMALL_GROUP:
            count = _heaviest_small(pos[lo:hi], ones[lo:hi], flags[lo:hi], best[lo:hi], pred[lo:hi])
        else:
            count = _heaviest_large(pos[lo:hi], ones[lo:hi], flags[lo:hi], best[lo:hi], pred[lo:hi],
                                    sort_order[:m], rank[:m], tree_value[:m + 1], tree_item[:m + 1])
        for k in range(lo, hi):
            member[items[k]] = flags[k]
        if m <= SMALL_GROUP:
            units = _heaviest_small(pos[lo:hi], w[lo:hi], flags[lo:hi], best[lo:hi], pred[lo:hi])
        else:
            units = _heaviest_large(pos[lo:hi], w[lo:hi], flags[lo:hi], best[lo:hi], pred[lo:hi],
                                    sort_order[:m], rank[:m], tree_value[:m + 1], tree_item[:m + 1])
        out[b, ORDERS_BUILT] += hi - lo
        out[b, ORDERS_IN_SEQUENCE] += count
        for k in range(lo, hi):
            out[b, UNITS_BUILT] += w[k]
        out[b, UNITS_IN_SEQUENCE] += units
        lo = hi
