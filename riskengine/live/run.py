"""Forecast a plan's execution from the shop floor's state at an as-of time.

``forecast(plans, premises, as_of, actuals=..., events=...)`` takes the plan in effect at
the as-of time T, builds the realized state at T (:mod:`riskengine.live.state`),
runs the replications from it with the chosen engine (both implement the initial state,
docs/design.md section 3) and consolidates them with what was realized
(:mod:`riskengine.live.consolidate`): one definition, counts summed.

Invariants (tests/test_forecast.py): T at the horizon start with no actuals and no
events gives exactly ``score``'s figures for the same seed; T at or after the horizon
end with complete actuals gives exactly ``measure``'s figures, with zero-width intervals.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import numpy as np

from riskengine.analysis.cluster import connect
from riskengine.analysis.result import build_result
from riskengine.analysis.rigor import DEFAULT_CONFIDENCE
from riskengine.analysis.score import _check, _runner
from riskengine.errors import InputError, Problem
from riskengine.live.consolidate import consolidate
from riskengine.live.dates import sample_dates, sample_size
from riskengine.live.events import KnownEvents
from riskengine.live.result import ForecastResult
from riskengine.live.state import State, build_state
from riskengine.model.actuals import Actuals, PlanHistory
from riskengine.model.common import CAUSES, parse_time
from riskengine.model.orders import planned_late
from riskengine.model.plan import Plan, plan_warnings
from riskengine.model.premises import Premises, check_premises_against, premises_warnings
from riskengine.simulation.accumulate import UNITS_SCALE, Accumulators
from riskengine.simulation.compile import Compiled
from riskengine.simulation.watchdog import ReplicationOverrun, StopFlag

DEFAULT_ALERT = 0.8


def as_of_time(value: object, history: PlanHistory) -> datetime:
    """The as-of time: an ISO 8601 time with offset, or hours from the horizon start."""
    try:
        t = value if isinstance(value, datetime) else parse_time(value)
    except (TypeError, ValueError) as exc:
        raise InputError(Problem("as_of", str(exc))) from None
    if not isinstance(t, datetime):
        if not math.isfinite(float(t)):
            raise InputError(Problem("as_of", f"must be a finite number of hours, got {t}"))
        t = history.origin + timedelta(hours=float(t))
    return t


def forecast(plans: PlanHistory | Plan | list[Plan], premises: Premises, as_of: datetime | str | float, *,
             actuals: Actuals | None = None, events: KnownEvents | None = None,
             previous: dict | None = None, replications: int = 1000, seed: int = 0, engine: str = "kernel",
             alert: float = DEFAULT_ALERT, confidence: float = DEFAULT_CONFIDENCE,
             progress: Callable[[int, float], None] | None = None,
             batch: int | None = None, stop: StopFlag | None = None, dask: Any = None) -> ForecastResult:
    """Forecast the rest of the horizon from the state at ``as_of``.

    Parameters
    ----------
    plans
        The plan versions (the one in effect at ``as_of`` is executed).
    premises
        The variability model (its adherence rules judge both the realized and the simulated part).
    as_of
        The as-of time T: ISO 8601 with offset (or a datetime), or hours from the horizon start.
    actuals
        What was produced (records ended by T are realized; one started before T and not ended by
        it is in progress; later ones are not known yet).
    events
        What is known at T (:func:`riskengine.live.events.read_known_events`): resources down,
        lots with a known arrival, crews absent.
    previous
        An earlier forecast's document (``riskengine.forecast/1``): ``changes`` says what moved.
    replications, seed, engine, confidence, progress, batch, stop
        As for :func:`riskengine.analysis.score.score` (``stop`` also ends the sampling of the dates).
    dask
        As for :func:`riskengine.analysis.score.score`: the replications and the dates' sample run
        as chunks on a Dask cluster, each worker building the realized state from the same
        documents (:func:`forecast_model`); the result is bit-identical to a run in this process.
    alert
        Operations whose P(HIT) is below it are alerts.

    Returns
    -------
    ForecastResult
        ``riskengine.forecast/1``: the score's figures for the whole horizon, ``realized``,
        ``alerts``, ``changes``.

    Examples
    --------
    >>> import riskengine as rk
    >>> history = rk.read_history([f"scenarios/example-factory/plan-v{k}.json" for k in (1, 2, 3)])
    >>> premises = rk.read_premises("scenarios/example-factory/premises.toml")
    >>> actuals = rk.read_actuals("scenarios/example-factory/actuals.csv", history)
    >>> f = rk.forecast(history, premises, "2026-11-18T06:00:00+01:00", actuals=actuals,
    ...                 replications=200, seed=1)
    >>> f.plan, f.state["closed_buckets"], f.realized["buckets"]
    ('wk47-v2', 6, 6)
    """
    history = plans if isinstance(plans, PlanHistory) else PlanHistory(
        [plans] if isinstance(plans, Plan) else list(plans))
    _check(replications, None, seed, replications)
    if not 0 < alert <= 1:
        raise InputError(Problem("alert", f"must be in (0, 1], got {alert}"))
    t = as_of_time(as_of, history)
    plan = history.versions[history.in_effect(t)]
    check_premises_against(premises, plan)
    st = build_state(history, premises, t, actuals, events)
    with connect(dask) as cluster:
        run, blocks = _runner(engine), None
        if cluster is not None:
            run = cluster.runner(st.compiled, forecast_model, history, premises, t, actuals, events,
                                 engine=engine)
            blocks = partial(run.blocks, st.compiled, seed, stop=stop)
        try:
            acc = _simulate(st, run, seed, replications, progress, batch, stop)
            dates = sample_dates(st.compiled, seed, replications, stop, blocks)
        except ReplicationOverrun as exc:
            raise exc.of_plan(plan.id) from None
    _realized_into(acc, st)
    warnings = premises_warnings(premises, plan) + plan_warnings(plan) + planned_late(plan) + st.warnings
    score = build_result(st.plan, premises, st.compiled, acc, seed=seed, engine=engine, precision=None,
                         confidence=confidence, warnings=warnings)
    return consolidate(score, st, acc, dates, alert, previous)


def memory_needed(plans: list[Plan], premises: Premises, replications: int, threads: int = 2) -> int:
    """Bytes a forecast is estimated to need beyond the process's baseline, before any work
    (docs/design.md section 6): a score of the largest plan version
    (:func:`riskengine.simulation.memory.estimate`: the replications simulate the plan in effect at
    the as-of time, at most all of it), the starts and ends sampled for the dates with the copy
    their quantiles sort (:func:`riskengine.live.dates.sample_size`), and the measurement of the
    actuals and the realized state (as a result's objects, per operation of every version)."""
    from riskengine.simulation.memory import RESULT_PER_OP, estimate, shape_of

    need = max(estimate(shape_of(p, premises), replications, threads) for p in plans)
    n = max(len(p.operations) for p in plans)
    dates = 3 * 8 * sample_size(replications, n) * n
    return need + dates + RESULT_PER_OP * sum(len(p.operations) for p in plans)


def forecast_model(history: PlanHistory, premises: Premises, as_of: datetime, actuals: Actuals | None,
                   events: KnownEvents | None) -> Compiled:
    """The compiled model a forecast's replications run (its realized state in it): what a Dask
    worker builds from the documents it is sent (:meth:`riskengine.analysis.cluster.Cluster.runner`)."""
    return build_state(history, premises, as_of, actuals, events).compiled


def _simulate(st: State, run: Callable, seed: int, replications: int,
              progress: Callable[[int, float], None] | None, batch: int | None,
              stop: StopFlag | None) -> Accumulators:
    """The replications from the state, in batches of ``batch`` (the result does not depend on them)."""
    acc = Accumulators(st.compiled, replications)
    done = 0
    while done < replications:
        count = min(batch or replications, replications - done)
        run(st.compiled, seed, done, count, acc, stop=stop)
        done += count
        if progress is not None:
            progress(done, 0.0)
    return acc


def _realized_into(acc: Accumulators, st: State) -> None:
    """Add the realized misses' causes to every replication's Pareto. (Operations of the executed
    plan settled at T are neutral inside the replications, and the plan fails in each from the day
    of the first realized miss on: simulation/initial.py ``settle`` and ``realized_misses``.)"""
    n = acc.replications
    for o in st.settled_ops:
        if not o["hit"]:
            k = CAUSES.index(o["cause"])
            acc.cause_misses[k] += n
            acc.cause_lost[k] += np.int64(np.round(o["lost_units"] * UNITS_SCALE)) * n
