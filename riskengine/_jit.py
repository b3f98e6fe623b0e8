"""The one numba configuration every kernel and array function uses, and where its cache lives.

``cache=True`` keeps compiled code on disk, so a new process loads a kernel
in milliseconds instead of compiling it again. ``nogil`` lets threads of the
caller run kernels side by side.

Where the cache lives: never inside the installed package (a read-only
install must work, and files left in ``site-packages`` outlive an uninstall:
issue 14). A cache locator registered with numba claims the functions
defined in riskengine's own files and keeps them in the per-user cache
directory, ``platformdirs.user_cache_dir("riskengine")/numba``, or, where
that cannot be written, in a private folder of the temporary directory.
``NUMBA_CACHE_DIR``, when set, wins (numba's own locator then serves every
function); the user's own functions (outside the package) are cached where
numba always caches them.

Below that folder, one folder per installed copy of riskengine (a checkout,
a virtual environment) and per version of its numba sources
(:func:`fingerprint`; the :data:`KEEP_VERSIONS` most recently used versions
of each copy are kept). numba checks a cached function against its own
source file only: without the version folder, a changed callee in another
file would leave stale code in the cache, and an index that names a record
type which no longer exists could not even be read.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numba
from numba.core import caching, config

PACKAGE = Path(__file__).resolve().parent


#: Versions of the numba sources whose compiled code is kept per installed copy.
KEEP_VERSIONS = 4


def fingerprint(package: Path) -> str:
    """SHA-256 of a package's numba source files (``_jit.py`` and the files that import it:
    their paths and contents)."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        text = path.read_bytes()
        if path.name == "_jit.py" or b"from riskengine._jit import" in text:
            digest.update(str(path.relative_to(package)).encode() + b"\0" + text)
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def sources_fingerprint() -> str:
    """:func:`fingerprint` of riskengine (once per process)."""
    return fingerprint(PACKAGE)


@functools.cache
def version_folder(root: Path) -> Path:
    """``root/<installed copy>/<version>`` for this copy and version of riskengine (created);
    the copy's other versions beyond the :data:`KEEP_VERSIONS` most recently used are removed."""
    install = root / f"riskengine_{hashlib.sha1(str(PACKAGE).encode()).hexdigest()[:16]}"
    folder = install / sources_fingerprint()[:16]
    folder.mkdir(parents=True, exist_ok=True)
    os.utime(folder)  # most recently used
    older = sorted((p for p in install.iterdir() if p.is_dir() and p != folder),
                   key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in older[KEEP_VERSIONS - 1:]:
        shutil.rmtree(stale, ignore_errors=True)
    return folder


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

    def __init__(self, py_func, py_file: str, folder: Path):
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        self._cache_path = str(folder / Path(py_file).resolve().parent.relative_to(PACKAGE))

    def get_cache_path(self) -> str:
        return self._cache_path

    @classmethod
    def from_function(cls, py_func, py_file: str):
        # CACHE_DIR: set by numba's configuration reader at run time, absent from its stubs
        if config.CACHE_DIR or not Path(py_file).resolve().is_relative_to(PACKAGE):  # type: ignore[attr-defined]
            return None  # NUMBA_CACHE_DIR, or a function that is not riskengine's: numba decides
        for root in cache_roots():
            try:
                locator = cls(py_func, py_file, version_folder(root))
                locator.ensure_cache_path()
            except OSError:
                continue
            return locator
        return None


def max_threads() -> int:
    """The most threads numba may run (``NUMBA_NUM_THREADS``; ``set_num_threads`` refuses more)."""
    # NUMBA_NUM_THREADS: set by numba's configuration reader at run time, absent from its stubs
    return int(config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]


def _register_locator() -> None:
    # renamed in numba 0.61 (the stubs know only the new name)
    impl = getattr(caching, "CacheImpl", None) or caching._CacheImpl  # type: ignore[attr-defined]
    if PackageCacheLocator not in impl._locator_classes:
        impl._locator_classes.insert(0, PackageCacheLocator)


_register_locator()

F = TypeVar("F", bound=Callable[..., Any])


def _njit(*signature: str, **options: Any) -> Callable[[F], F]:
    """``numba.njit(*signature, **options)``, typed as a decorator that returns the function it
    is given: the type checker sees a compiled function with the Python signature of its source
    (numba's own stubs type it as a ``Dispatcher``, whose call takes any arguments)."""
    # numba's stubs list only some of the options (not no_cfunc_wrapper, no_cpython_wrapper, _nrt)
    return numba.njit(*signature, **options)  # type: ignore[call-overload]

#: Options of every decorator below: cached, releases the GIL, no cfunc wrapper (first-class
#: function objects are never used; the wrapper costs compile time), and ``forceinline`` set
#: either way, so that a function does not inherit it from the caller it is first compiled for.
_BASE = dict(cache=True, nogil=True, no_cfunc_wrapper=True, forceinline=False)
#: Leaf functions: compiled without numba's runtime (see :data:`leaf_jit`).
_LEAF = dict(_BASE, _nrt=False)

jit = _njit(**_BASE)
"""Decorator for serial array functions and kernel helpers."""

leaf_jit = _njit(**_LEAF)
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

inner_jit = _njit(**dict(_LEAF, no_cpython_wrapper=True))
""":data:`leaf_jit` for functions only compiled code calls: no Python entry point (whose code,
unboxing every argument, often costs more compile time than the function itself)."""

fused_jit = _njit(**dict(_LEAF, forceinline=True, no_cpython_wrapper=True))
""":data:`inner_jit`, inlined into every caller by LLVM (``alwaysinline``): small helpers of the
hot loops called from several places, compiled once (numba-level inlining would type and
lower them again at every call site)."""

fused_entry = _njit(**dict(_LEAF, forceinline=True))
""":data:`fused_jit` that Python may call too (the SimPy reference calls the time mechanics)."""

step_jit = _njit(**dict(_LEAF, inline="always"))
""":data:`leaf_jit`, inlined into its callers by numba before typing: for steps called from
one place (the kernel's steps), which then cost no compile of their own."""

vector_jit = _njit(**dict(_LEAF, error_model="numpy"))
""":data:`leaf_jit` without the check for a division by zero, so that loops whose
denominators cannot be zero compile to vector instructions."""


def typed_jit(signature: str) -> Callable[[F], F]:
    """:data:`jit` with an explicit signature (compiled, or loaded from the cache, at import)."""
    return _njit(signature, **_BASE)
