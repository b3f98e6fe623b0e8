"""Counter-based random numbers: every variate is a pure function of its coordinates.

A variate is addressed by (seed, replication, stream, entity, draw index):

- ``key = derive(seed, replication, stream, entity)`` chains the SplitMix64
  finaliser over the coordinates (each step adds a distinct odd multiple of
  the golden gamma, a bijection mod 2^64, then mixes);
- the n-th variate of that key is drawn from ``variate_key(key, n)``, the n-th
  output of SplitMix64 seeded with ``key`` (Steele, Lea and Flood, "Fast
  splittable pseudorandom number generators", OOPSLA 2014; Vigna's
  splitmix64.c). Samplers that need several uniforms (rejection methods)
  read ``uniform(variate_key, 0), uniform(variate_key, 1), ...``, so one
  variate never shifts another.

Nothing depends on the order in which variates are asked for, so results are
bit-identical for any thread count, chunking or backend, and two plans
scored with the same seed see the same breakdowns of a resource, the same
lateness of a material lot and the same absences of a shift (common random
numbers): entities are identified by a 64-bit FNV-1a hash of their *name*,
not by their position in a plan.

Streams are the codes of :class:`riskengine.simulation.codes.Stream` (one per disruption
source). The functions are numba-compiled; ``function.py_func`` is the same code as
plain Python (on numpy uint64 scalars, with wrap-around overflow).
"""

from __future__ import annotations

import numpy as np

from riskengine._jit import typed_jit

GOLDEN_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S11 = np.uint64(11)
_S27 = np.uint64(27)
_S30 = np.uint64(30)
_S31 = np.uint64(31)
_TWO_M53 = 1.0 / 9007199254740992.0  # 2**-53


@typed_jit("uint64(uint64)")
def mix64(z: np.uint64) -> np.uint64:
    """SplitMix64's output function (Stafford's Mix13 variant)."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@typed_jit("uint64(uint64, int64)")
def splitmix64(state: np.uint64, n: int) -> np.uint64:
    """The n-th output (n = 0, 1, ...) of SplitMix64 seeded with ``state``."""
    return mix64(state + np.uint64(n + 1) * GOLDEN_GAMMA)


@typed_jit("uint64(int64, int64, int64)")
def stream_key(seed: int, replication: int, stream: int) -> np.uint64:
    """The part of :func:`derive` that does not depend on the entity (computed once per
    replication and stream by the kernel): ``derive(s, r, q, e) == mix64(stream_key(s, r, q) ^ e)``."""
    k = mix64(np.uint64(seed) + GOLDEN_GAMMA)
    k = mix64(k + np.uint64(replication + 1) * GOLDEN_GAMMA)
    return mix64(k + np.uint64(stream + 1) * GOLDEN_GAMMA)


@typed_jit("uint64(int64, int64, int64, uint64)")
def derive(seed: int, replication: int, stream: int, entity: np.uint64) -> np.uint64:
    """The key of one entity's variates in one stream of one replication."""
    return mix64(stream_key(seed, replication, stream) ^ entity)


@typed_jit("uint64(uint64, int64)")
def variate_key(key: np.uint64, n: int) -> np.uint64:
    """The key of the n-th variate of ``key`` (its uniforms are ``uniform(vkey, j)``)."""
    return splitmix64(key, n)


@typed_jit("float64(uint64, int64)")
def uniform(key: np.uint64, j: int) -> float:
    """The j-th uniform of ``key``, in the open interval (0, 1): (bits53 + 1/2) 2^-53."""
    bits = splitmix64(key, j) >> _S11
    return (np.float64(bits) + 0.5) * _TWO_M53


def fnv1a64(name: str) -> np.uint64:
    """64-bit FNV-1a hash of a UTF-8 name: the stable entity id of a resource, material, ..."""
    h = 0xCBF29CE484222325
    for byte in name.encode("utf-8"):
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return np.uint64(h)


def entity_ids(names: list[str]) -> np.ndarray:
    """FNV-1a ids of names as a uint64 array."""
    return np.array([fnv1a64(n) for n in names], dtype=np.uint64)
