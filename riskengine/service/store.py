"""The job table in SQLite (standard library), shared by every service process on one state folder.

``riskengine serve --state-dir DIR`` keeps its jobs in ``DIR/jobs.sqlite3``: a
queued job survives a restart (the next process runs it), a finished result
stays readable until it is deleted or older than ``--keep-results`` hours, and
several service processes (behind one address) may share the folder. Without
a state folder the table lives in a temporary folder for the process's life.

One row per job: its request (the JSON the client sent, validated again when a
worker takes it), its state, the progress its worker last wrote, its result
(JSON) or error, and how many times a worker took it (``claims``: 1 unless
its process was lost or stopped while it ran). Every change is one short transaction; a worker *claims* a
queued job with ``BEGIN IMMEDIATE`` (SQLite's write lock), so a job runs in
one process only. The running process writes a heartbeat with the progress
about twice a second; a job whose owner is gone (its process, on this host, no
longer exists; or no heartbeat for STALE_SECONDS) goes back to the queue.

The folder should be on a local disk: SQLite's locking is not reliable on
network file systems.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

#: Job states; the last three are final.
ACTIVE = ("queued", "running", "cancelling")
FINISHED = ("done", "failed", "cancelled")
#: A running job without a heartbeat for this long (seconds) has lost its process.
STALE_SECONDS = 30.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE NOT NULL,
    operation TEXT NOT NULL,
    status TEXT NOT NULL,
    request BLOB,
    result BLOB,
    error TEXT,
    progress TEXT NOT NULL,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    started REAL,
    finished REAL,
    owner TEXT,
    heartbeat REAL,
    claims INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, seq);
"""
_COLUMNS = "id, operation, status, progress, created_at, started_at, finished_at, error"


def _progress(total: int | None) -> dict:
    """The progress of a job not started yet."""
    return {"done": 0, "total": total, "fraction": None if not total else 0.0, "half_width": None}


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def process_owner() -> str:
    """This process's name in the ``owner`` column: host, process id and a random tag."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _owner_gone(owner: str) -> bool:
    """Whether ``owner`` names a process of this host that no longer exists."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


class JobStore:
    """The job table of one state folder (see the module docstring)."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA busy_timeout=30000")
            yield db
        finally:
            db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (taken at once: concurrent writers wait for it)."""
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    # -- reading ----------------------------------------------------------------------------

    @staticmethod
    def _job(row: tuple) -> dict:
        job = dict(zip(("id", "operation", "status", "progress", "created_at", "started_at",
                        "finished_at", "error"), row, strict=True))
        job["progress"] = json.loads(job["progress"])
        return job

    def get(self, job_id: str) -> tuple[dict, bytes | None] | None:
        """A job (the fields of the Job schema but the result) and its result JSON; None if unknown."""
        with self._connect() as db:
            row = db.execute(f"SELECT {_COLUMNS}, result FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return None if row is None else (self._job(row[:-1]), row[-1])

    def counts(self) -> dict[str, int]:
        with self._connect() as db:
            found = dict(db.execute("SELECT status, COUNT(*) FROM jobs GROUP BY status").fetchall())
        return {s: int(found.get(s, 0)) for s in (*ACTIVE, *FINISHED)}

    def running_rates(self) -> list[tuple[float, int, int | None]]:
        """(seconds running, done, total) of every running job, for Retry-After."""
        with self._connect() as db:
            rows = db.execute("SELECT started, progress FROM jobs WHERE status IN ('running', 'cancelling') "
                              "AND started IS NOT NULL").fetchall()
        now = time.time()
        out = []
        for started, progress in rows:
            p = json.loads(progress)
            out.append((now - started, int(p["done"] or 0), p["total"]))
        return out

    # -- changes ----------------------------------------------------------------------------

    def add(self, operation: str, request: bytes, capacity: int, total: int | None = None) -> dict | None:
        """Queue a job (its progress will count to ``total``); None when ``capacity`` jobs are
        already queued or running."""
        job_id = uuid.uuid4().hex
        with self._write() as db:
            (active,) = db.execute("SELECT COUNT(*) FROM jobs WHERE status IN (?, ?, ?)", ACTIVE).fetchone()
            if active >= capacity:
                return None
            db.execute("INSERT INTO jobs (id, operation, status, request, progress, created_at) "
                       "VALUES (?, ?, 'queued', ?, ?, ?)",
                       (job_id, operation, request, json.dumps(_progress(total)), now_iso()))
        found = self.get(job_id)
        assert found is not None
        return found[0]

    def claim(self, owner: str) -> tuple[str, str, bytes, int | None] | None:
        """Take the oldest queued job for ``owner``: (id, operation, request, progress total),
        or None."""
        with self._write() as db:
            row = db.execute("SELECT id, operation, request, progress FROM jobs WHERE status = 'queued' "
                             "ORDER BY seq LIMIT 1").fetchone()
            if row is None:
                return None
            now = time.time()
            db.execute("UPDATE jobs SET status = 'running', owner = ?, heartbeat = ?, started = ?, "
                       "started_at = ?, claims = claims + 1 WHERE id = ?",
                       (owner, now, now, now_iso(), row[0]))
        return row[0], row[1], row[2], json.loads(row[3])["total"]

    def beat(self, owner: str, progress: dict[str, dict]) -> set[str]:
        """Write the progress of ``owner``'s running jobs (id -> progress) with a heartbeat;
        return those of them that are to be cancelled (or are no longer ``owner``'s)."""
        now = time.time()
        stop = set()
        with self._write() as db:
            for job_id, p in progress.items():
                db.execute("UPDATE jobs SET progress = ?, heartbeat = ? WHERE id = ? AND owner = ?",
                           (json.dumps(p), now, job_id, owner))
                row = db.execute("SELECT status, owner FROM jobs WHERE id = ?", (job_id,)).fetchone()
                if row is None or row[0] != "running" or row[1] != owner:
                    stop.add(job_id)
        return stop

    def finish(self, job_id: str, owner: str, status: str, *, result: bytes | None = None,
               error: str | None = None, progress: dict | None = None) -> bool:
        """End ``owner``'s run of a job; False if it was not (or no longer) ``owner``'s."""
        with self._write() as db:
            row = db.execute("SELECT status FROM jobs WHERE id = ? AND owner = ?", (job_id, owner)).fetchone()
            if row is None or row[0] not in ("running", "cancelling"):
                return False
            if row[0] == "cancelling":
                status, result = "cancelled", None
            db.execute("UPDATE jobs SET status = ?, result = ?, error = ?, request = NULL, finished = ?, "
                       "finished_at = ?, progress = COALESCE(?, progress), owner = NULL, heartbeat = NULL "
                       "WHERE id = ?", (status, result, error, time.time(), now_iso(),
                                        None if progress is None else json.dumps(progress), job_id))
        return True

    def cancel(self, job_id: str) -> dict | None:
        """Cancel a queued job (at once) or a running one (``cancelling``: its worker stops at
        its next batch); delete a finished one. The job as it was then, or None if unknown."""
        with self._write() as db:
            row = db.execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                return None
            job = self._job(row)
            if job["status"] in FINISHED:
                db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
            elif job["status"] == "queued":
                job.update(status="cancelled", finished_at=now_iso())
                db.execute("UPDATE jobs SET status = 'cancelled', request = NULL, finished = ?, "
                           "finished_at = ? WHERE id = ?", (time.time(), job["finished_at"], job_id))
            elif job["status"] == "running":
                job["status"] = "cancelling"
                db.execute("UPDATE jobs SET status = 'cancelling' WHERE id = ?", (job_id,))
        return job

    def requeue(self, owner: str | None = None, job_ids: list[str] | None = None) -> int:
        """Put running jobs back in the queue (from the start): ``owner``'s (those in
        ``job_ids`` only, if given), or with ``owner`` None every job whose owner is gone
        (:func:`_owner_gone`, or no heartbeat for STALE_SECONDS). A job being cancelled is
        cancelled instead. Returns how many jobs changed."""
        with self._connect() as db:  # the usual case, nothing running: no write lock taken
            (active,) = db.execute("SELECT COUNT(*) FROM jobs WHERE status IN ('running', 'cancelling')"
                                   ).fetchone()
        if not active:
            return 0
        with self._write() as db:
            rows = db.execute("SELECT id, status, owner, heartbeat, progress FROM jobs "
                              "WHERE status IN ('running', 'cancelling')").fetchall()
            now, changed = time.time(), 0
            for job_id, status, who, beat, progress in rows:
                if owner is not None:
                    lost = who == owner and (job_ids is None or job_id in job_ids)
                else:
                    lost = who is None or _owner_gone(who) or now - (beat or 0.0) > STALE_SECONDS
                if not lost:
                    continue
                if status == "cancelling":
                    db.execute("UPDATE jobs SET status = 'cancelled', request = NULL, owner = NULL, "
                               "finished = ?, finished_at = ? WHERE id = ?", (now, now_iso(), job_id))
                else:
                    db.execute("UPDATE jobs SET status = 'queued', owner = NULL, heartbeat = NULL, "
                               "started = NULL, started_at = NULL, progress = ? WHERE id = ?",
                               (json.dumps(_progress(json.loads(progress)["total"])), job_id))
                changed += 1
        return changed

    def expire(self, keep_seconds: float) -> int:
        """Delete finished jobs older than ``keep_seconds``; how many."""
        with self._write() as db:
            return db.execute("DELETE FROM jobs WHERE finished IS NOT NULL AND finished < ?",
                              (time.time() - keep_seconds,)).rowcount
