"""One score spread over a Dask cluster: ``score``, ``compare``, ``forecast``, ``serve --dask ADDRESS|local``.

A :class:`Cluster` is a ``dask.distributed`` client: of an existing scheduler
at an address (``tcp://host:8786``), or of a ``LocalCluster`` made for the
run (``"local"``: one single-threaded worker process per core) and closed
after it. :func:`connect` takes what the ``dask=`` argument of
:func:`riskengine.score`, :func:`riskengine.compare`,
:func:`riskengine.sensitivity` and :func:`riskengine.forecast` accept: None, an address, a
``distributed.Client`` or a :class:`Cluster`.

What is sent: the validated plan and premises, once per run and worker
(scattered), with the digest of the model this process compiled from them;
each worker compiles them once (kept for the next chunks) and refuses to run
if its model or its riskengine sources differ (a worker with another version
or other plugins installed would give other numbers). Then, per round of
replications (a fixed count is one round; ``precision`` adds rounds exactly
as a local run does, deciding after each from the merged figures), the
replications are cut in chunks (:data:`CHUNKS_PER_THREAD` per worker thread,
or ``chunk`` replications each) that run as tasks, each on one kernel thread.

What comes back: each chunk's :class:`~riskengine.simulation.parts.Part`,
its integer accumulators and its rows (or sketch), reduced exactly into the
run's accumulators (:mod:`riskengine.simulation.parts`): the result is bit-
identical to a local run for any number of workers and any chunk size.

Every failure is an input error naming ``--dask`` (exit 2, HTTP 422): dask
not installed (the ``sweep`` extra), an address that cannot be reached within
:data:`CONNECT_TIMEOUT` seconds, a cluster without workers, a worker or the
scheduler lost, a worker running other code. A stop request (:class:`StopFlag`)
ends the wait at once and cancels the chunks.

A command that simulates gets ``--dask`` by building its model with
:meth:`Cluster.runner`'s ``build`` (a picklable function of picklable
documents, run on each worker) and running its rounds with the runner it
returns, as :func:`riskengine.analysis.score.simulate` and
:func:`riskengine.live.run.forecast` do (the forecast's ``build`` makes the
state at the as-of time; its dates' sample runs with :meth:`ClusterRun.blocks`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import socket
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import fields
from typing import Any

from riskengine.errors import InputError, Problem
from riskengine.simulation.compile import Compiled
from riskengine.simulation.parts import Part, merge_part, simulate_part, spec_of
from riskengine.simulation.runner import chunk_bounds
from riskengine.simulation.watchdog import StopFlag, Stopped

#: Seconds to reach a scheduler, and to wait for its first worker.
CONNECT_TIMEOUT = 10.0
#: Chunks per worker thread in each round (when no chunk size is given).
CHUNKS_PER_THREAD = 4
#: Seconds between two looks at the cluster while waiting for a chunk.
POLL_SECONDS = 0.25
#: Compiled models a worker keeps (by run).
KEPT_MODELS = 4

OPTION = "--dask"


class WorkerMismatch(RuntimeError):
    """A worker compiled another model, or runs other riskengine sources, than the caller."""


def _missing() -> InputError:
    return InputError(Problem(OPTION, "needs dask.distributed, which is not installed: "
                                      "python -m pip install 'riskengine[sweep]'"))


def _distributed():
    try:
        import distributed
    except ImportError:
        raise _missing() from None
    return distributed


class Cluster:
    """A client of a Dask cluster that runs the chunks of scores (module docstring).

    Parameters
    ----------
    target
        ``"local"`` (a LocalCluster of ``workers`` single-threaded worker processes, or
        threads with ``processes=False``), a scheduler address, or a ``distributed.Client``
        (used as it is, not closed).
    chunk
        Replications per chunk (default: a round cut in :data:`CHUNKS_PER_THREAD` chunks per
        worker thread). The results do not depend on it.
    workers, processes
        Of the LocalCluster (``"local"``); default workers: the number of cores.
    timeout
        Seconds to reach the scheduler and its first worker.
    """

    def __init__(self, target: Any = "local", *, chunk: int | None = None, workers: int | None = None,
                 processes: bool = True, timeout: float = CONNECT_TIMEOUT):
        distributed = _distributed()
        if chunk is not None and chunk < 1:
            raise InputError(Problem("chunk", f"must be at least 1, got {chunk}"))
        self.chunk = chunk
        self._local = None
        self._own = not isinstance(target, distributed.Client)
        if not self._own:
            self.client = target
        elif target == "local":
            self._local = _local_cluster(distributed, workers or os.cpu_count() or 1, processes)
            self.client = distributed.Client(self._local, set_as_default=False)
        else:
            self.client = _reach(distributed, str(target), timeout)
        try:
            self.client.wait_for_workers(1, timeout=timeout)
        except (TimeoutError, OSError):
            self.close()
            raise InputError(Problem(OPTION, f"the scheduler at {target!r} has no worker (waited "
                                             f"{timeout:g} s)")) from None
        self.timeout = timeout

    def threads(self) -> int:
        """Worker threads of the cluster now."""
        return max(1, sum(self.client.nthreads().values()))

    def close(self) -> None:
        """Close the client and the LocalCluster made for it (not a client given)."""
        if self._own:
            self.client.close()
        if self._local is not None:
            self._local.close()

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def runner(self, c: Compiled, build: Callable[..., Compiled], *documents, engine: str = "kernel"
               ) -> ClusterRun:
        """A runner of ``c``'s replications on the cluster (``run(c, seed, first, count, acc,
        stop=None)``, as :func:`~riskengine.simulation.runner.run_kernel`); each worker builds the
        model as ``build(*documents)`` and checks it is ``c``."""
        return ClusterRun(self).add(c, build, *documents, engine=engine)


def _local_cluster(distributed, workers: int, processes: bool):
    """A LocalCluster of ``workers`` single-threaded workers, or an input error naming ``--dask``."""
    try:
        return distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=processes,
                                        dashboard_address=None, silence_logs=logging.ERROR)
    except Exception as exc:  # e.g. started at import time of a script run by spawned workers
        raise InputError(Problem(OPTION, f"could not start a local Dask cluster: {exc} (a script that "
                                         "makes one runs it under `if __name__ == '__main__':`)")) from None


def _reach(distributed, address: str, timeout: float):
    """A client of the scheduler at ``address``, or an input error naming ``--dask``.

    The address is first asked who it is over one connection of its own (bounded by
    ``timeout``): a ``Client`` that fails to connect keeps trying to close for 20 s more when it
    is collected, and one that meets another protocol can fail in any way."""
    try:
        _listening(address, timeout)
        identity = asyncio.run(asyncio.wait_for(_identity(address, timeout), timeout + 1.0))
    except (OSError, TimeoutError, ValueError, TypeError) as exc:  # refused, timed out, malformed
        raise InputError(Problem(OPTION, f"cannot reach a Dask scheduler at {address!r} (waited at most "
                                         f"{timeout:g} s): {exc}")) from None
    except Exception as exc:  # another protocol's answer, read as Dask's
        identity = f"{type(exc).__name__}: {exc}"
    if not isinstance(identity, dict) or identity.get("type") != "Scheduler":
        raise InputError(Problem(OPTION, f"{address!r} did not answer as a Dask scheduler "
                                         f"({identity!s:.200})"))
    return distributed.Client(address, timeout=f"{timeout}s", set_as_default=False)


def _listening(address: str, timeout: float) -> None:
    """Raise OSError at once when nothing listens at a TCP ``address`` (Dask's own connect tries
    again until its timeout)."""
    from distributed.comm import parse_address, parse_host_port

    scheme, location = parse_address(address)
    if scheme in ("tcp", "tls"):
        socket.create_connection(parse_host_port(location), timeout=timeout).close()


async def _identity(address: str, timeout: float):
    """What the server at ``address`` says it is (a scheduler: ``{"type": "Scheduler", ...}``)."""
    from distributed.comm import connect as open_comm

    comm = await open_comm(address, timeout=timeout)
    try:
        await comm.write({"op": "identity", "reply": True})
        return await comm.read()
    finally:
        comm.abort()


@contextlib.contextmanager
def connect(dask: Any) -> Iterator[Cluster | None]:
    """The :class:`Cluster` of a ``dask=`` argument for the length of the block (module
    docstring); None gives None. One made here is closed at the end."""
    if dask is None or isinstance(dask, Cluster):
        yield dask
        return
    if isinstance(dask, str) and not dask.strip():
        raise InputError(Problem(OPTION, "needs a scheduler address or 'local'"))
    cluster = Cluster(dask)
    try:
        yield cluster
    finally:
        cluster.close()


def digest(c: Compiled) -> str:
    """SHA-256 of a compiled model's arrays and scalars (what a worker must rebuild exactly)."""
    h = hashlib.sha256()
    for f in fields(c):
        _feed(h, f.name, getattr(c, f.name))
    return h.hexdigest()


def _feed(h, name: str, value: Any) -> None:
    """Add a named value to the digest: an array's bytes, a named tuple's fields (a forecast's
    realized state, :class:`~riskengine.simulation.records.Initial`), or its repr."""
    h.update(name.encode())
    if hasattr(value, "tobytes"):
        h.update(str((value.dtype, value.shape)).encode() + value.tobytes())
    elif isinstance(value, tuple) and hasattr(value, "_fields"):
        for field_name, item in zip(value._fields, value, strict=True):
            _feed(h, f"{name}.{field_name}", item)
    else:
        h.update(repr(value).encode())


_lock = threading.Lock()
_models: OrderedDict[str, Compiled] = OrderedDict()


def _model(key: str, expected: str, build: Callable[..., Compiled], documents: tuple) -> Compiled:
    """The model of run ``key`` on this worker: built once, checked against the caller's digest."""
    with _lock:
        c = _models.get(key)
        if c is None:
            c = build(*documents)
            if digest(c) != expected:
                raise WorkerMismatch("a worker compiled another model from the same plan and premises "
                                     "(another riskengine version or other plugins installed there)")
            _models[key] = c
            while len(_models) > KEPT_MODELS:
                _models.popitem(last=False)
        return c


def package_fingerprint() -> str:
    """riskengine's version and the digest of its numba sources (what makes the numbers)."""
    import riskengine
    from riskengine._jit import sources_fingerprint

    return f"{riskengine.__version__}/{sources_fingerprint()}"


def _worker_model(documents, key: str, expected: str, fingerprint: str, build: Callable[..., Compiled]
                  ) -> Compiled:
    """On a worker: the run's model (built once, checked), the kernel on one thread."""
    import numba

    if fingerprint != package_fingerprint():
        raise WorkerMismatch(f"a worker runs riskengine {package_fingerprint()[:30]}..., this process "
                             f"{fingerprint[:30]}...: install the same version on every worker")
    numba.set_num_threads(1)
    return _model(key, expected, build, documents)


def run_chunk(documents, key: str, expected: str, fingerprint: str, build: Callable[..., Compiled],
              seed: int, lo: int, hi: int, spec, engine: str) -> Part:
    """The task of one chunk on a worker: replications ``lo .. hi - 1`` on one kernel thread."""
    c = _worker_model(documents, key, expected, fingerprint, build)
    return simulate_part(c, seed, lo, hi, spec, engine)


def run_block(documents, key: str, expected: str, fingerprint: str, build: Callable[..., Compiled],
              task: Callable, seed: int, lo: int, hi: int) -> Any:
    """The task of one block of a per-replication sample on a worker: ``task(c, seed, lo, hi)``."""
    return task(_worker_model(documents, key, expected, fingerprint, build), seed, lo, hi)


class _Model:
    """What the workers need for one compiled model: its documents (scattered), digest, build."""

    def __init__(self, cluster: Cluster, c: Compiled, build: Callable[..., Compiled], documents: tuple,
                 engine: str):
        [self.documents] = cluster.client.scatter([documents], broadcast=True, hash=False)
        self.key = uuid.uuid4().hex
        self.digest = digest(c)
        self.build = build
        self.engine = engine


class ClusterRun:
    """Runs rounds of replications on a :class:`Cluster` (:meth:`Cluster.runner`); called as
    ``run(c, seed, first, count, acc, stop=None)``, the model ``c`` one of those added."""

    def __init__(self, cluster: Cluster):
        self.cluster = cluster
        self._models: dict[int, _Model] = {}
        self.fingerprint = package_fingerprint()

    def add(self, c: Compiled, build: Callable[..., Compiled], *documents, engine: str = "kernel"
            ) -> ClusterRun:
        """Let this runner run ``c`` too (built on workers as ``build(*documents)``)."""
        self._models[id(c)] = _Model(self.cluster, c, build, documents, engine)
        return self

    def __call__(self, c: Compiled, seed: int, first: int, count: int, acc, stop: StopFlag | None = None
                 ) -> None:
        if count <= 0:
            return
        model = self._models[id(c)]
        align = acc.per_draw if acc.stream is not None else 1
        bounds = chunk_bounds(first, count, self._chunks(count), align)
        tag = uuid.uuid4().hex[:12]
        futures = [self.cluster.client.submit(
            run_chunk, model.documents, model.key, model.digest, self.fingerprint, model.build, seed, lo, hi,
            spec_of(acc, k == 0), model.engine, key=f"riskengine-chunk-{tag}-{lo}", pure=False)
            for k, (lo, hi) in enumerate(bounds)]
        self._collect(futures, stop, lambda k, part: merge_part(acc, part, last=k == len(futures) - 1))

    def blocks(self, c: Compiled, seed: int, task: Callable, count: int, stop: StopFlag | None = None
               ) -> list:
        """``task(c, seed, lo, hi)`` for replications ``0 .. count - 1`` cut in chunks as a round's,
        run on the workers: the results in chunk order (a forecast's sampled dates,
        :func:`riskengine.live.dates.sample_dates`). ``task`` must be picklable (a module's function)."""
        if count <= 0:
            return []
        model = self._models[id(c)]
        tag = uuid.uuid4().hex[:12]
        futures = [self.cluster.client.submit(
            run_block, model.documents, model.key, model.digest, self.fingerprint, model.build, task, seed,
            lo, hi, key=f"riskengine-block-{tag}-{lo}", pure=False)
            for lo, hi in chunk_bounds(0, count, self._chunks(count), 1)]
        results: list = []
        self._collect(futures, stop, lambda _k, result: results.append(result))
        return results

    def _chunks(self, count: int) -> int:
        """Chunks of a round of ``count`` replications (``Cluster(chunk=)``, or
        :data:`CHUNKS_PER_THREAD` per worker thread)."""
        size = self.cluster.chunk or -(-count // (CHUNKS_PER_THREAD * self.cluster.threads()))
        return max(1, -(-count // size))

    def _collect(self, futures: list, stop: StopFlag | None, take: Callable[[int, Any], None]) -> None:
        """``take(k, result)`` of each future in order; the ones not taken are cancelled at the end."""
        try:
            for k, future in enumerate(futures):
                take(k, self._wait(future, stop))
                futures[k] = None  # the worker can let the result go
        finally:
            self.cluster.client.cancel([f for f in futures if f is not None])

    def _wait(self, future, stop: StopFlag | None) -> Any:
        """The result of one chunk, looking at the stop flag and the cluster while it runs."""
        distributed = _distributed()
        lost_since = None
        while True:
            if stop is not None and stop.is_set():
                raise Stopped
            try:
                return future.result(timeout=POLL_SECONDS)
            except TimeoutError:
                pass
            except WorkerMismatch as exc:
                raise InputError(Problem(OPTION, str(exc))) from None
            except (distributed.client.FutureCancelledError, distributed.KilledWorker, OSError) as exc:
                raise InputError(Problem(OPTION, f"the cluster lost a chunk of replications: "
                                                 f"{type(exc).__name__}: {exc}")) from None
            if self.cluster.client.status == "running":
                lost_since = None
            elif lost_since is None:
                lost_since = time.monotonic()
            elif time.monotonic() - lost_since > self.cluster.timeout:
                raise InputError(Problem(OPTION, f"lost the Dask scheduler for more than "
                                                 f"{self.cluster.timeout:g} s"))
