"""The one numba configuration every kernel and array function uses.

``cache=True`` writes compiled code next to the module, so a new process
loads a kernel in milliseconds instead of compiling it again. ``nogil`` lets
threads of the caller run kernels side by side.
"""

from __future__ import annotations

import numba

jit = numba.njit(cache=True, nogil=True)
"""Decorator for serial array functions and kernel helpers."""

parallel_jit = numba.njit(cache=True, nogil=True, parallel=True)
"""Decorator for the top-level kernels that spread replications over threads."""
