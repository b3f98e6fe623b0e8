"""Jobs: long runs in worker threads behind a bounded queue (``/v1/jobs``), kept in SQLite.

A job is a validated request (:mod:`riskengine.service.requests`) stored in the
job table (:mod:`riskengine.service.store`) and run by one of ``workers``
threads of whichever service process claims it first. The kernel releases the
GIL (``nogil=True``, :mod:`riskengine._jit`), so a running job leaves the
event loop free; validation happens before a job is accepted, so a job does not
fail on bad input (it is validated again when a worker takes it, with the
limits of that process). At most ``max_queued`` jobs wait beyond ``workers``
running ones; one more is refused (:class:`QueueFull`, HTTP 503 with
``Retry-After``: the estimated seconds until the first running job finishes,
from its progress rate).

States: ``queued`` -> ``running`` -> ``done`` | ``failed`` | ``cancelled``.
Cancelling a queued job ends it at once; a running one stops within the
replication it is running (``cancelling`` until then: the kernel reads the
job's :class:`~riskengine.simulation.watchdog.StopFlag`), also when another
process runs it (its heartbeat reads the request). Finished jobs are kept for ``keep_seconds`` or
until deleted.

Shutdown (SIGTERM): running jobs are stopped within their replication and go back to
the queue, where the next process (or the restarted one) takes them from the
start; queued jobs stay queued. The workers are waited for at most
``drain_seconds``: a batch that runs longer is abandoned with its thread
(daemon) so that the process can exit.
"""

from __future__ import annotations

import json
import logging
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from riskengine.errors import InputError
from riskengine.service.operations import Cancelled, Progress, run
from riskengine.service.store import FINISHED, JobStore, process_owner
from riskengine.simulation.watchdog import StopFlag

log = logging.getLogger("riskengine.service")
#: Seconds between two heartbeats (progress written, cancel requests read, lost jobs requeued).
HEARTBEAT = 0.5
#: Seconds between two removals of expired results.
EXPIRE_EVERY = 60.0
__all__ = ["FINISHED", "JobManager", "QueueFull"]


class QueueFull(Exception):
    """No room for another job; ``retry_after`` seconds is the estimated wait."""

    def __init__(self, retry_after: int):
        super().__init__(f"the job queue is full; retry in about {retry_after} s")
        self.retry_after = retry_after


@dataclass
class _Running:
    """A job this process runs: its cancel flag and live progress."""

    cancel: StopFlag = field(default_factory=StopFlag)  # the kernel reads it inside a batch too
    progress: Progress = field(default_factory=Progress)


class JobManager:
    """The worker threads of this process over a shared job table.

    ``validate(operation, data)`` turns a stored request back into a validated one
    (:func:`riskengine.service.requests.validate` with this process's limits).
    """

    def __init__(self, validate, workers: int = 1, max_queued: int = 8, keep_seconds: float = 24 * 3600,
                 state_dir: str | None = None, drain_seconds: float = 5.0, dask=None):
        self.validate = validate
        self.dask = dask  # the Cluster the jobs' replications run on (serve --dask), or None
        self.workers, self.max_queued = workers, max_queued
        self.keep_seconds, self.drain_seconds = keep_seconds, drain_seconds
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if not state_dir:
            self._tmp = tempfile.TemporaryDirectory(prefix="riskengine-jobs-")
            state_dir = self._tmp.name
        self.store = JobStore(Path(state_dir) / "jobs.sqlite3")
        self.owner = process_owner()
        self._running: dict[str, _Running] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.store.requeue()  # jobs of a process that is gone
        self._threads = [threading.Thread(target=self._worker, name=f"riskengine-job-{k}", daemon=True)
                         for k in range(workers)]
        self._threads.append(threading.Thread(target=self._heartbeat, name="riskengine-jobs-heartbeat",
                                              daemon=True))
        for t in self._threads:
            t.start()

    # -- queries ----------------------------------------------------------------------------

    def get(self, job_id: str) -> tuple[dict, bytes | None] | None:
        """The job (without its result) and its result JSON; None when unknown or expired. The
        progress of a job this process runs is the live one (the table's is up to a heartbeat old)."""
        found = self.store.get(job_id)
        with self._lock:
            mine = self._running.get(job_id)
        if found is not None and mine is not None and found[0]["status"] == "running":
            found[0]["progress"] = mine.progress.to_dict()
        return found

    def counts(self) -> dict[str, int]:
        return self.store.counts()

    def retry_after(self) -> int:
        """Seconds until a worker is likely free: the soonest expected end of a running job."""
        left = [elapsed * (total - done) / done for elapsed, done, total in self.store.running_rates()
                if total and done]
        return int(min(600, max(1, round(min(left) if left else 5))))

    # -- changes ----------------------------------------------------------------------------

    def submit(self, operation: str, request: object, total: int | None = None) -> dict:
        """Queue a request (already validated; its run counts to ``total``); :class:`QueueFull`
        when there is no room."""
        job = self.store.add(operation, json.dumps(request).encode(), self.workers + self.max_queued, total)
        if job is None:
            raise QueueFull(self.retry_after())
        self._wake.set()
        return job

    def cancel(self, job_id: str) -> dict | None:
        """Cancel a queued or running job; forget a finished one. None when unknown."""
        job = self.store.cancel(job_id)
        with self._lock:
            mine = self._running.get(job_id)
        if mine is not None and job is not None and job["status"] == "cancelling":
            mine.cancel.set()
        return job

    def shutdown(self) -> None:
        """Stop: running jobs back to the queue (their runs stop at the next batch), workers
        waited for at most ``drain_seconds``."""
        self._stop.set()
        self._wake.set()
        with self._lock:
            mine = dict(self._running)
        self.store.requeue(self.owner, list(mine))  # first: a run that stops must find its job
        for running in mine.values():              # queued again, not end it as cancelled
            running.cancel.set()
        deadline = time.monotonic() + self.drain_seconds
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        if self._tmp is not None and not any(t.is_alive() for t in self._threads):
            self._tmp.cleanup()

    # -- internals --------------------------------------------------------------------------

    def _worker(self) -> None:
        while not self._stop.is_set():
            claimed = self.store.claim(self.owner)
            if claimed is None:
                self._wake.wait(HEARTBEAT)
                self._wake.clear()
                continue
            self._run(*claimed)

    def _run(self, job_id: str, operation: str, request: bytes, total: int | None) -> None:
        running = _Running(progress=Progress(total=total))
        with self._lock:
            self._running[job_id] = running
        try:
            validated = self.validate(operation, json.loads(request))
            result = run(validated, running.progress, running.cancel, dask=self.dask)
        except Cancelled:
            self.store.finish(job_id, self.owner, "cancelled")  # a no-op when shutdown requeued it
            return
        except InputError as exc:  # the limits of this process are smaller than the submitter's
            self.store.finish(job_id, self.owner, "failed", error=f"invalid input: {exc}")
            return
        except Exception as exc:  # a bug, not bad input (validated before the job was accepted)
            log.error("job %s failed:\n%s", job_id, traceback.format_exc())
            error = f"internal error: {type(exc).__name__}: {exc}"
            self.store.finish(job_id, self.owner, "failed", error=error)
            return
        finally:
            with self._lock:
                self._running.pop(job_id, None)
        from riskengine.service.http import dump

        self.store.finish(job_id, self.owner, "done", result=dump(result),
                          progress=running.progress.to_dict())

    def _heartbeat(self) -> None:
        last_requeue = last_expire = 0.0
        while not self._stop.wait(HEARTBEAT):
            try:
                with self._lock:
                    mine = dict(self._running)
                if mine:
                    progress = {k: r.progress.to_dict() for k, r in mine.items()}
                    for job_id in self.store.beat(self.owner, progress):
                        mine[job_id].cancel.set()
                now = time.monotonic()
                if now - last_requeue > 5 * HEARTBEAT:  # jobs of lost processes back in the queue
                    last_requeue = now
                    if self.store.requeue():
                        self._wake.set()
                if now - last_expire > EXPIRE_EVERY:
                    last_expire = now
                    self.store.expire(self.keep_seconds)
            except Exception:  # the table is busy or the disk full: try again at the next beat
                log.warning("job heartbeat failed:\n%s", traceback.format_exc())
