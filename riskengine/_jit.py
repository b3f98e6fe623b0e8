"""The one numba configuration every kernel and array function uses.

``cache=True`` writes compiled code next to the module, so a new process
loads a kernel in milliseconds instead of compiling it again. ``nogil`` lets
threads of the caller run kernels side by side.
"""

from __future__ import annotations

import numba

jit = numba.njit(cache=True, nogil=True)
"""Decorator for serial array functions and kernel helpers."""

leaf_jit = numba.njit(cache=True, nogil=True, _nrt=False)
"""Decorator for hot functions that allocate nothing: compiled without numba's runtime.

An array passed to a function compiled with the runtime is reference counted
(an atomic increment and decrement of a count shared by every thread that
holds the array) unless numba can prove the pair redundant, which it cannot
as soon as the function calls another one. Functions that only index arrays
given to them need no counting; compiling them without the runtime removes
it (numba refuses to compile an allocation there, so this cannot leak).
Threads run chunks of replications side by side by calling such functions
from a thread pool (:mod:`riskengine.simulation.runner`).
"""

leaf_inline = numba.njit(cache=True, nogil=True, _nrt=False, inline="always")
""":data:`leaf_jit`, inlined into its callers (small helpers of the hot loops)."""
