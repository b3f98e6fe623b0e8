"""The operations on a validated request: score, compare, measure, check, review, trend, forecast.

One code path for the HTTP routes, the jobs and ``riskengine call``: each
takes a :class:`~riskengine.service.requests.Validated` request and returns
the result document of the contract (``riskengine.score/1``,
``riskengine.compare/1``, ``riskengine.measurement/1``, ``riskengine.check/1``),
the same dict the CLI writes with ``--json``, so a job's result equals the
CLI's for the same inputs and seed, number for number.

Long runs report :class:`Progress` after each batch of replications and stop
once ``cancel`` is set (:class:`Cancelled`): at the next batch boundary, and
inside the batch too when ``cancel`` is a
:class:`~riskengine.simulation.watchdog.StopFlag` (the kernel reads it every
few thousand events, so a long replication stops as well). The batches only
decide how often progress is reported: every replication's draws depend on
(seed, replication) alone and all sums are integers, so the result does not
depend on them (:mod:`riskengine.analysis.score`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from riskengine.live.service import ForecastRequest
from riskengine.service.requests import CheckRequest, CompareRequest, MeasureRequest, ScoreRequest, Validated
from riskengine.simulation.watchdog import StopFlag, Stopped

#: Batches per run: progress and cancellation happen this often.
PARTS = 20
#: Largest batch (replications) between two progress calls.
MAX_BATCH = 5000


class Cancelled(Exception):
    """The run was cancelled (``DELETE /v1/jobs/{id}``)."""


@dataclass
class Progress:
    """Where a run is: replications done of ``total`` (None: adaptive precision, not known)
    and the current largest headline 95% half-width (score only). Read from another thread
    (the jobs' heartbeat) as a whole: :meth:`update` and :meth:`to_dict` hold its lock."""

    done: int = 0
    total: int | None = None
    half_width: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def update(self, done: int, half_width: float | None = None) -> None:
        with self._lock:
            self.done, self.half_width = done, half_width

    def to_dict(self) -> dict:
        with self._lock:
            fraction = None if not self.total else min(1.0, self.done / self.total)
            return {"done": self.done, "total": self.total, "fraction": fraction,
                    "half_width": self.half_width}


def planned_total(v: Validated) -> int | None:
    """The ``total`` a run of ``v`` reports (None: adaptive precision, not known ahead)."""
    r = v.request
    if v.operation == "score" and isinstance(r, ScoreRequest):
        return None if r.precision is not None else r.replications
    if v.operation == "compare" and isinstance(r, CompareRequest):
        return r.replications * len(v.plans)
    if v.operation == "forecast" and isinstance(r, ForecastRequest):
        return r.replications
    return 1


def batch_size(replications: int) -> int:
    """Replications per batch so that a run reports about :data:`PARTS` times."""
    return max(1, min(MAX_BATCH, -(-replications // PARTS)))


def run(v: Validated, progress: Progress | None = None, cancel: threading.Event | None = None,
        dask: Any = None) -> dict:
    """Run a validated request and return its result document.

    Without ``progress`` and ``cancel`` (a synchronous call) the replications
    run in one batch: batches cost a thread-pool start and a headline
    half-width each, which is most of a small request's time. ``dask``: the
    :class:`~riskengine.analysis.cluster.Cluster` score, compare and forecast run on
    (``serve --dask``; the result is the same).
    """
    batched = progress is not None or cancel is not None
    progress = progress if progress is not None else Progress()

    def stop_if_cancelled() -> None:
        if cancel is not None and cancel.is_set():
            raise Cancelled

    stop_if_cancelled()
    stop = cancel if isinstance(cancel, StopFlag) else None
    try:
        if v.operation == "score":
            return _score(v, progress, stop_if_cancelled, batched, stop, dask)
        if v.operation == "compare":
            return _compare(v, progress, stop_if_cancelled, batched, stop, dask)
        if v.operation == "forecast":
            from riskengine.live.service import run as run_forecast

            return run_forecast(v, progress, stop_if_cancelled, batched, stop, dask)
    except Stopped:
        raise Cancelled from None
    if v.operation == "measure":
        return _measure(v, progress)
    if v.operation in ("review", "trend"):
        from riskengine.governance.service import run as run_governance

        progress.total = 1
        result = run_governance(v)
        progress.done = 1
        return result
    return _check(v, progress)


def _score(v: Validated, progress: Progress, stop_if_cancelled, batched: bool, stop: StopFlag | None,
           dask: Any) -> dict:
    from riskengine.analysis.score import score

    r = v.request
    assert isinstance(r, ScoreRequest) and v.premises is not None  # validate() made them
    progress.total = None if r.precision is not None else r.replications

    def tick(done: int, width: float) -> None:
        progress.update(done, width)
        stop_if_cancelled()

    batch = (1000 if r.precision is not None else batch_size(r.replications)) if batched else None
    result = score(v.plans[0], v.premises, replications=r.replications, precision=r.precision,
                   seed=r.seed, engine=r.engine, max_replications=r.max_replications,
                   progress=tick if batched else None, batch=batch, confidence=r.confidence, stop=stop,
                   dask=dask)
    progress.total = progress.done = result.replications
    return result.to_dict()


def _compare(v: Validated, progress: Progress, stop_if_cancelled, batched: bool,
             stop: StopFlag | None, dask: Any) -> dict:
    from riskengine.analysis.compare import compare

    r = v.request
    assert isinstance(r, CompareRequest) and v.premises is not None  # validate() made them
    progress.total = r.replications * len(v.plans)

    def tick(done: int, _total: int) -> None:
        progress.done = done
        stop_if_cancelled()

    result = compare(v.plans, v.premises, replications=r.replications, seed=r.seed, engine=r.engine,
                     paired=r.paired, progress=tick if batched else None,
                     batch=batch_size(r.replications) if batched else None, stop=stop, rank_by=r.rank_by,
                     dask=dask)
    progress.done = progress.total
    return result.to_dict()


def _measure(v: Validated, progress: Progress) -> dict:
    from riskengine.adherence.measure import measure
    from riskengine.model.rules import AdherenceRules

    r = v.request
    assert isinstance(r, MeasureRequest) and v.history is not None and v.actuals is not None  # validate()
    progress.total = 1
    base = v.premises.rules() if v.premises is not None else AdherenceRules()
    rules = base.overridden(bucket_hours=r.bucket_hours, lateness_tolerance_hours=r.lateness_tolerance_hours,
                            quantity_tolerance=r.quantity_tolerance, sequence_basis=r.sequence_basis)
    result = measure(v.history, v.actuals, rules, v.owners).to_dict()
    progress.done = 1
    return result


def _check(v: Validated, progress: Progress) -> dict:
    from riskengine.feasibility import check, repair

    assert isinstance(v.request, CheckRequest)  # validate() made it
    progress.total = 1
    plan = v.plans[0]
    result = check(plan)
    document = None
    if v.request.repair:
        result.repair = repair(plan)
        document = result.repair.document if result.repair.ok else None
    out = result.to_dict()
    if v.request.repair:
        out["repaired_plan"] = document
    progress.done = 1
    return out
