"""Run every cell of a study locally or on Dask, resuming from finished cells.

Backends (the table does not depend on which, nor on the number of workers:
each cell's result is a pure function of its task, seeds included):

- ``local`` (default, ``workers=1``): the cells one after another in this
  process, the kernel on all cores (numba threads over replications);
- ``local`` with ``workers=W > 1``: a pool of W processes (spawned, not forked),
  each cell on one kernel thread. It pays a start-up of about a second per
  process and pays off when cells are many and small (per-cell Python work);
  on the 2-core development machine, loaded, the single process was faster
  for ft10 cells of 1000 replications (README);
- ``dask``: an existing ``dask.distributed`` scheduler at ``address``, or a
  ``LocalCluster`` of W single-threaded worker processes when ``address`` is
  ``"local"``. Distinct plan documents are scattered once; each cell is one task
  keyed ``riskengine-cell-<cell id>``, run on one kernel thread. Remote workers
  need riskengine installed (with the same version).

Finished rows are written to the cell store (:mod:`riskengine.studies.store`)
as they arrive, so an interrupted sweep (Ctrl-C, a killed process, a lost
cluster) restarts with only the missing cells.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from riskengine.errors import InputError, Problem
from riskengine.studies.cells import build_cells
from riskengine.studies.store import CellStore, store_path
from riskengine.studies.study import Study
from riskengine.studies.table import check_out, columns, write_table
from riskengine.studies.worker import end_with_parent, run_cell


@dataclass
class SweepResult:
    """Rows of a sweep (in cell order) and how they were obtained."""

    study: str
    rows: list[dict]
    computed: int
    reused: int
    seconds: float
    backend: str
    workers: int
    cell_seconds: list[float] = field(default_factory=list)

    @property
    def columns(self) -> dict[str, list]:
        return columns(self.rows)

    def table(self):
        """The rows as a ``pyarrow.Table``."""
        from riskengine.studies.table import to_arrow

        return to_arrow(self.rows)

    def frame(self):
        """The rows as a pandas DataFrame (extra ``pandas``): the table's columns, one row per cell."""
        return self.to_frames()["cells"]

    def to_frames(self) -> dict:
        """``{"cells": DataFrame}`` (extra ``pandas``; :mod:`riskengine.interop.results`)."""
        from riskengine.interop.results import to_frames

        return to_frames(self)

    def __str__(self) -> str:
        rate = self.computed / self.seconds if self.seconds > 0 else float("nan")
        return (f"Study {self.study}: {len(self.rows)} cells ({self.computed} computed, {self.reused} "
                f"reused) in {self.seconds:.1f} s on {self.backend} with {self.workers} worker(s), "
                f"{rate:.2f} cells/s")


def _local_pool(tasks: list[dict], workers: int):
    """Results of ``tasks`` from a pool of spawned processes, as they finish; the workers end
    with this process, also when it is killed (:func:`~riskengine.studies.worker.end_with_parent`)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=end_with_parent, initargs=(os.getpid(),))
    try:
        futures = [pool.submit(run_cell, {**t, "threads": 1}) for t in tasks]
        for f in as_completed(futures):
            yield f.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _dask(tasks: list[dict], address: str | None, workers: int, info: dict) -> Iterator[dict]:
    """Results of ``tasks`` from a Dask cluster, as they finish (``info["workers"]``: its worker count)."""
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise InputError(Problem("--dask", "needs dask.distributed: python -m pip install "
                                 "'riskengine[sweep]'")) from None
    cluster = None
    if address == "local":
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=40)
        client = Client(cluster)
    else:
        try:
            client = Client(address, timeout="20s")
        except OSError as exc:
            raise InputError(Problem("--dask", f"cannot reach a scheduler at {address!r}: {exc}")) from None
    try:
        info["workers"] = len(client.scheduler_info().get("workers", {}))
        docs: dict[str, dict] = {}
        for t in tasks:
            docs.setdefault(t["plan_key"], t["plan_doc"])
        keys = list(docs)
        scattered = dict(zip(keys, client.scatter([docs[k] for k in keys], broadcast=True), strict=True))
        futures = [client.submit(run_cell, {**{k: v for k, v in t.items() if k != "plan_doc"}, "threads": 1},
                                 scattered[t["plan_key"]], key=f"riskengine-cell-{t['cell_id']}")
                   for t in tasks]
        try:
            for f in as_completed(futures):
                yield f.result()
        finally:
            client.cancel(futures)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def sweep(study: Study, *, out: str | os.PathLike | None = None, backend: str = "local",
          address: str | None = None, workers: int | None = None, keep_cells: bool = False,
          progress: Callable[[int, int], None] | None = None) -> SweepResult:
    """Run a study and, with ``out``, write its table (``.parquet`` or ``.csv``).

    Parameters
    ----------
    study
        A validated study (:func:`riskengine.studies.read_study`).
    out
        Result file; its cell store ``OUT.cells/`` makes the sweep resumable.
        Without ``out`` nothing is written and nothing is resumed.
    backend
        ``"local"`` or ``"dask"`` (then ``address``: a scheduler or ``"local"``).
    workers
        Local processes (default 1: this process, the kernel on all cores) or
        LocalCluster workers (default: the number of cores).
    keep_cells
        Keep the cell store after the table is written.
    progress
        Called with (cells finished, cells in all) after each cell.
    """
    if backend not in ("local", "dask"):
        raise InputError(Problem("backend", f"must be local or dask, got {backend!r}"))
    if backend == "dask" and not address:
        raise InputError(Problem("--dask", "needs a scheduler address or 'local'"))
    if workers is not None and workers < 1:
        raise InputError(Problem("--workers", f"must be at least 1, got {workers}"))
    if out is not None:
        check_out(out)
    workers = workers or (os.cpu_count() or 1 if backend == "dask" else 1)
    t0 = time.perf_counter()
    cells = build_cells(study)
    store = CellStore(store_path(out)) if out is not None else None
    done = store.load() if store else {}
    rows = {c.cell_id: done[c.cell_id] for c in cells if c.cell_id in done}
    reused = len(rows)
    todo = [c.task(study) for c in cells if c.cell_id not in rows]
    info: dict = {}
    results: Iterator[dict]
    if not todo:
        results = iter(())
    elif backend == "dask":
        results = _dask(todo, address, workers, info)
    elif workers == 1 or len(todo) == 1:
        results = (run_cell(t) for t in todo)
    else:
        results = _local_pool(todo, min(workers, len(todo)))
    seconds: list[float] = []
    if progress is not None:
        progress(len(rows), len(cells))
    for r in results:
        rows[r["row"]["cell_id"]] = r["row"]
        seconds.append(r["seconds"])
        if store:
            store.put(r["row"])
        if progress is not None:
            progress(len(rows), len(cells))
    ordered = [rows[c.cell_id] for c in cells]
    if out is not None:
        write_table(ordered, out)
        if not keep_cells and store is not None:
            store.clear()
    return SweepResult(study=study.name, rows=ordered, computed=len(todo), reused=reused,
                       seconds=time.perf_counter() - t0,
                       backend=backend if backend == "local" else f"dask ({address})",
                       workers=info.get("workers", workers), cell_seconds=seconds)
