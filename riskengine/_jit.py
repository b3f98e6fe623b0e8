"""The one numba configuration every kernel and array function uses, and where its cache lives.

``cache=True`` keeps compiled code on disk, so a new process loads a kernel
in milliseconds instead of compiling it again. ``nogil`` lets threads of the
caller run kernels side by side.

Where the cache lives: never inside the installed package (a read-only
install must work, and files left in ``site-packages`` outlive an uninstall:
issue 14). A cache locator registered with numba claims the functions
defined in riskengine's own files and keeps them in the per-user cache
directory, ``platformdirs.user_cache_dir("riskengine")/numba`` (one folder
per source folder, named like numba's own), or, where that cannot be
written, in a per-user folder of the temporary directory. ``NUMBA_CACHE_DIR``,
when set, wins (numba's own locator then serves every function); the user's
own functions (outside the package) are cached where numba always caches them.

numba checks a cached function against its own source file only, not against
the functions it calls from other files, so a changed callee would leave
stale code in the cache. The source stamp of every riskengine function
therefore also holds a fingerprint of all of riskengine's numba source files
(:func:`sources_fingerprint`): any change to one of them recompiles them all.
"""

from __future__ import annotations

import functools
import hashlib
import os
import stat
import tempfile
from pathlib import Path

import numba
from numba.core import caching, config

PACKAGE = Path(__file__).resolve().parent


@functools.lru_cache(maxsize=1)
def sources_fingerprint() -> str:
    """SHA-256 of riskengine's numba source files (this one and those that import it: their
    paths and contents)."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_bytes()
        if path.name == "_jit.py" or b"from riskengine._jit import" in text:
            digest.update(str(path.relative_to(PACKAGE)).encode() + b"\0" + text)
    return digest.hexdigest()


def _private_temp_folder() -> Path:
    """A folder of the temporary directory that only this user can write (created if needed)."""
    folder = Path(tempfile.gettempdir()) / f"riskengine-cache-{os.getuid() if hasattr(os, 'getuid') else 0}"
    folder.mkdir(mode=0o700, exist_ok=True)
    info = folder.lstat()
    if hasattr(os, "getuid") and (info.st_uid != os.getuid() or not stat.S_ISDIR(info.st_mode)
                                  or info.st_mode & 0o022):
        raise OSError(f"{folder} is not a private folder of this user")
    return folder


def cache_roots():
    """Where riskengine's compiled functions may be cached, in order of preference."""
    import platformdirs

    yield Path(platformdirs.user_cache_dir("riskengine")) / "numba"
    try:
        yield _private_temp_folder() / "numba"
    except OSError:
        return


class PackageCacheLocator(caching._SourceFileBackedLocatorMixin, caching._CacheLocator):
    """numba cache locator for functions defined in riskengine's own files (module docstring)."""

    def __init__(self, py_func, py_file: str, root: Path):
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        self._cache_path = str(root / self.get_suitable_cache_subpath(py_file))

    def get_cache_path(self) -> str:
        return self._cache_path

    def get_source_stamp(self):
        return super().get_source_stamp(), sources_fingerprint()

    @classmethod
    def from_function(cls, py_func, py_file: str):
        if config.CACHE_DIR or not Path(py_file).resolve().is_relative_to(PACKAGE):
            return None  # NUMBA_CACHE_DIR, or a function that is not riskengine's: numba decides
        for root in cache_roots():
            locator = cls(py_func, py_file, root)
            try:
                locator.ensure_cache_path()
            except OSError:
                continue
            return locator
        return None


def _register_locator() -> None:
    impl = getattr(caching, "CacheImpl", None) or caching._CacheImpl  # renamed in numba 0.61
    if PackageCacheLocator not in impl._locator_classes:
        impl._locator_classes.insert(0, PackageCacheLocator)


_register_locator()

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

vector_jit = numba.njit(cache=True, nogil=True, _nrt=False, error_model="numpy")
""":data:`leaf_jit` without the check for a division by zero, so that loops whose
denominators cannot be zero compile to vector instructions."""


def typed_jit(signature: str):
    """:data:`jit` with an explicit signature (compiled, or loaded from the cache, at import)."""
    return numba.njit(signature, cache=True, nogil=True)
