"""Jobs: long runs in worker threads behind a bounded queue (``/v1/jobs``).

A job is a validated request (:mod:`riskengine.service.requests`) that runs in
one of ``workers`` threads. The kernel releases the GIL (``nogil=True``,
:mod:`riskengine._jit`), so a running job leaves the event loop of the
service free; validation happens before a job is accepted, so a job never
fails on bad input. At most ``max_queued`` jobs wait; one more is refused
(:class:`QueueFull`, HTTP 503 with ``Retry-After``: the estimated seconds until
the first running job finishes, from its progress rate).

States: ``queued`` -> ``running`` -> ``done`` | ``failed`` | ``cancelled``.
Cancelling a queued job ends it at once; a running one stops at its next
batch boundary (``cancelling`` until then). Finished jobs are kept for
``keep_seconds`` or until ``keep`` newer ones have finished, then forgotten.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from riskengine.service.operations import Cancelled, Progress, run
from riskengine.service.requests import Validated

log = logging.getLogger("riskengine.service")
FINISHED = ("done", "failed", "cancelled")


class QueueFull(Exception):
    """No room for another job; ``retry_after`` seconds is the estimated wait."""

    def __init__(self, retry_after: int):
        super().__init__(f"the job queue is full; retry in about {retry_after} s")
        self.retry_after = retry_after


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass
class Job:
    """One job and its state (read by ``GET /v1/jobs/{id}``)."""

    id: str
    operation: str
    request: Validated
    status: str = "queued"
    progress: Progress = field(default_factory=Progress)
    cancel: threading.Event = field(default_factory=threading.Event)
    result: dict | None = None
    error: str | None = None
    created_at: str = field(default_factory=_now)
    started_at: str | None = None
    finished_at: str | None = None
    started: float | None = None
    finished: float | None = None

    def to_dict(self, with_result: bool = True) -> dict:
        out = {"id": self.id, "operation": self.operation, "status": self.status,
               "progress": self.progress.to_dict(), "created_at": self.created_at,
               "started_at": self.started_at, "finished_at": self.finished_at, "error": self.error}
        if with_result:
            out["result"] = self.result
        return out


class JobManager:
    """The job table and the worker threads."""

    def __init__(self, workers: int = 1, max_queued: int = 8, keep: int = 100, keep_seconds: float = 3600):
        self.workers = workers
        self.max_queued = max_queued
        self.keep = keep
        self.keep_seconds = keep_seconds
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="riskengine-job")

    # -- queries ----------------------------------------------------------------

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            self._expire()
            return self._jobs.get(job_id)

    def counts(self) -> dict[str, int]:
        with self._lock:
            out = {s: 0 for s in ("queued", "running", "cancelling", *FINISHED)}
            for job in self._jobs.values():
                out[job.status] += 1
            return out

    def retry_after(self) -> int:
        """Seconds until a worker is likely free: the soonest expected end of a running job."""
        now = time.monotonic()
        best = None
        for job in list(self._jobs.values()):
            p = job.progress
            if job.status in ("running", "cancelling") and job.started is not None and p.total and p.done:
                left = (now - job.started) * (p.total - p.done) / p.done
                best = left if best is None else min(best, left)
        return int(min(600, max(1, round(best if best is not None else 5))))

    # -- changes -----------------------------------------------------------------

    def submit(self, request: Validated) -> Job:
        """Queue a validated request; :class:`QueueFull` when ``max_queued`` jobs already wait."""
        with self._lock:
            self._expire()
            waiting = sum(j.status == "queued" for j in self._jobs.values())
            busy = sum(j.status in ("running", "cancelling") for j in self._jobs.values())
            if waiting + busy >= self.workers + self.max_queued:
                raise QueueFull(self.retry_after())
            job = Job(uuid.uuid4().hex, request.operation, request)
            self._jobs[job.id] = job
        self._pool.submit(self._work, job)
        return job

    def cancel(self, job_id: str) -> Job | None:
        """Cancel a queued or running job; forget a finished one. None when unknown."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return None
            if job.status in FINISHED:
                del self._jobs[job_id]
                return job
            job.cancel.set()
            if job.status == "queued":
                self._finish(job, "cancelled")
            elif job.status == "running":
                job.status = "cancelling"
            return job

    def shutdown(self) -> None:
        """Cancel everything and wait for the workers (they stop at their next batch)."""
        with self._lock:
            for job in self._jobs.values():
                job.cancel.set()
        self._pool.shutdown(wait=True, cancel_futures=True)

    # -- internals ---------------------------------------------------------------

    def _work(self, job: Job) -> None:
        with self._lock:
            if job.status != "queued":  # cancelled while it waited
                return
            job.status, job.started_at, job.started = "running", _now(), time.monotonic()
        try:
            result = run(job.request, job.progress, job.cancel)
        except Cancelled:
            with self._lock:
                self._finish(job, "cancelled")
            return
        except Exception as exc:  # a bug, not bad input (validated before the job was accepted)
            log.error("job %s failed:\n%s", job.id, traceback.format_exc())
            with self._lock:
                job.error = f"internal error: {type(exc).__name__}: {exc}"
                self._finish(job, "failed")
            return
        with self._lock:
            job.result = result
            self._finish(job, "cancelled" if job.cancel.is_set() else "done")
            if job.status == "cancelled":
                job.result = None

    def _finish(self, job: Job, status: str) -> None:
        job.status, job.finished_at, job.finished = status, _now(), time.monotonic()
        job.request = None  # the plan and premises are not needed any more
        self._expire()

    def _expire(self) -> None:
        now = time.monotonic()
        finished = sorted((j for j in self._jobs.values() if j.status in FINISHED),
                          key=lambda j: j.finished)
        for k, job in enumerate(finished):
            if now - job.finished > self.keep_seconds or k < len(finished) - self.keep:
                del self._jobs[job.id]
