"""Score a plan before publication: how likely it is to be executed as planned.

``score(plan, premises)`` compiles the model, runs replications with the
chosen engine (common random numbers: every variate is addressed by seed,
replication, stream and entity name), and turns the accumulated rows and
sums into the estimates of docs/design.md section 5 (:class:`ScoreResult`).

With ``precision=H`` replications are added in batches until every headline
interval (plan holds, BTS, BTP, volume, mix, sequence) has a half-width of at
most H, or ``max_replications`` is reached. The batch schedule depends only
on the figures, so the result is reproducible.

``batch=B`` only splits the work into runs of at most B replications so that
``progress`` is called more often (a progress bar on long runs). Every
replication's draws depend only on (seed, replication) and all sums are
integers, so the result is bit-identical to one big batch; the adaptive
mode still decides whether to stop only at its own batch boundaries.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from riskengine.analysis.cluster import connect
from riskengine.analysis.result import ScoreResult, build_result
from riskengine.analysis.rigor import DEFAULT_CONFIDENCE
from riskengine.errors import InputError, Problem
from riskengine.model.plan import Plan
from riskengine.model.premises import Premises, check_premises_against
from riskengine.plugins import compile_with_plugins
from riskengine.simulation.accumulate import Accumulators, run_reference
from riskengine.simulation.compile import Compiled
from riskengine.simulation.runner import run_kernel
from riskengine.simulation.statistics import continuous, half_width, proportion, replications_for
from riskengine.simulation.summary import BTP, BTS, HOLDS, MIX, SEQUENCE, VOLUME
from riskengine.simulation.watchdog import ReplicationOverrun, StopFlag

ENGINES = ("kernel", "reference")
MAX_REPLICATIONS = 10_000_000
MAX_SEED = 2**63 - 1
FIRST_BATCH = 400


def _runner(engine: str) -> Callable:
    if engine == "reference":
        return run_reference
    if engine == "kernel":
        return run_kernel
    raise InputError(Problem("engine", f"must be one of {', '.join(ENGINES)}, got {engine!r}"))


def _check(replications: int, precision: float | None, seed: int, max_replications: int) -> None:
    problems = []
    if not 1 <= replications <= MAX_REPLICATIONS:
        problems.append(Problem("replications", f"must be in 1..{MAX_REPLICATIONS}, got {replications}"))
    if precision is not None and not 0 < precision < 1:
        problems.append(Problem("precision", f"must be in (0, 1), got {precision}"))
    if not 0 <= seed <= MAX_SEED:
        problems.append(Problem("seed", f"must be in 0..2^63-1, got {seed}"))
    if not 1 <= max_replications <= MAX_REPLICATIONS:
        problems.append(Problem("max_replications", f"must be in 1..{MAX_REPLICATIONS}, "
                                f"got {max_replications}"))
    if problems:
        raise InputError(problems)


def headline_width(acc: Accumulators, per_draw: int = 1) -> float:
    """The largest half-width among the headline estimates of the replications in ``acc``
    (``per_draw``: nested replications share parameter draws, :mod:`riskengine.simulation.statistics`)."""
    widths = [half_width(proportion(acc.column(HOLDS), per_draw))]
    widths += [half_width(continuous(acc.column(k), per_draw=per_draw))
               for k in (BTS, BTP, VOLUME, MIX, SEQUENCE)]
    return max(widths)


def score(plan: Plan, premises: Premises, *, replications: int = 1000, precision: float | None = None,
          seed: int = 0, engine: str = "kernel", max_replications: int = 100_000,
          progress: Callable[[int, float], None] | None = None, batch: int | None = None,
          confidence: float = DEFAULT_CONFIDENCE, stop: StopFlag | None = None, dask: Any = None
          ) -> ScoreResult:
    """Estimate the probability that ``plan`` is executed as planned, and its adherence.

    Parameters
    ----------
    plan, premises
        Validated plan and variability model (premises are checked against the plan).
    replications
        Number of replications (ignored when ``precision`` is given).
    precision
        Target half-width of the headline 95% intervals (e.g. 0.01 for +/- 1 point).
    seed
        Seed of the counter-based generator (0 .. 2^63 - 1).
    engine
        ``"kernel"`` (numba, the default) or ``"reference"`` (SimPy, the specification).
    max_replications
        Cap of the adaptive mode.
    progress
        Called after each batch with (replications done, current headline half-width).
    batch
        At most this many replications per run between two ``progress`` calls
        (default: no split). The result does not depend on it.
    confidence
        Confidence of the rigor advice (:mod:`riskengine.analysis.rigor`), in (0, 1).
    stop
        Once set (from another thread), the run ends within one replication with
        :class:`~riskengine.simulation.watchdog.Stopped` (:mod:`riskengine.simulation.watchdog`).
    dask
        Spread the replications over a Dask cluster (extra ``sweep``): ``"local"`` (a
        LocalCluster for this run), a scheduler address, a ``distributed.Client`` or a
        :class:`riskengine.Cluster` (:mod:`riskengine.analysis.cluster`). The result is
        bit-identical to a run in this process.

    Returns
    -------
    ScoreResult
        ``plan_holds`` and ``holds_through_day`` (probabilities), expected
        ``adherence`` (BTS, BTP, volume, mix, sequence), ``bands``, ``buckets``,
        ``finish``, per-operation hit probabilities, miss ``causes``,
        ``criticality`` and ``rigor_advice``: every estimate with its 95%
        interval (``riskengine.score/1`` as ``to_dict()``; pandas: ``to_frames()``).

    Examples
    --------
    >>> import riskengine as rk
    >>> plan = rk.read_plan("scenarios/example-factory/plan-v1.json")
    >>> premises = rk.read_premises("scenarios/example-factory/premises.toml")
    >>> result = rk.score(plan, premises, replications=200, seed=1)
    >>> result.replications, sorted(result.adherence)
    (200, ['btp', 'bts', 'mix', 'sequence', 'volume'])
    >>> bts = result.adherence["bts"]
    >>> bool(0 <= bts["low"] <= bts["mean"] <= bts["high"] <= 1)
    True
    >>> rk.score(plan, premises, replications=200, seed=1).to_dict() == result.to_dict()  # same seed
    True
    """
    if not 0 < confidence < 1:
        raise InputError(Problem("confidence", f"must be in (0, 1), got {confidence}"))
    compiled, acc = simulate(plan, premises, replications=replications, precision=precision, seed=seed,
                             engine=engine, max_replications=max_replications, progress=progress,
                             batch=batch, stop=stop, dask=dask)
    return build_result(plan, premises, compiled, acc, seed=seed, engine=engine, precision=precision,
                        confidence=confidence)


def simulate(plan: Plan, premises: Premises, *, replications: int = 1000, precision: float | None = None,
             seed: int = 0, engine: str = "kernel", max_replications: int = 100_000,
             progress: Callable[[int, float], None] | None = None,
             batch: int | None = None, stop: StopFlag | None = None,
             keep_head: bool = False, dask: Any = None) -> tuple[Compiled, Accumulators]:
    """Run the replications of :func:`score` and return the compiled model and accumulators
    (``keep_head``: with the headline figures of every replication, what comparisons and
    sensitivity analyses pair up, also past the row budget; ``dask``: on a cluster, as in
    :func:`score`).

    A replication past its bound on events raises
    :class:`~riskengine.simulation.watchdog.ReplicationOverrun` naming the plan, the seed and
    the replication (an internal error, docs/design.md section 6)."""
    _check(replications, precision, seed, max_replications)
    if batch is not None and batch < 1:
        raise InputError(Problem("batch", f"must be at least 1, got {batch}"))
    check_premises_against(premises, plan)
    run = _runner(engine)
    compiled = compile_with_plugins(plan, premises)  # compile_model + the premises' plugins
    target = replications if precision is None else min(FIRST_BATCH, max_replications)
    acc = Accumulators(compiled, target, keep_head=keep_head)
    with connect(dask) as cluster:
        if cluster is not None:
            run = cluster.runner(compiled, compile_with_plugins, plan, premises, engine=engine)
        _rounds(plan.id, compiled, acc, run, seed, target, precision=precision,
                max_replications=max_replications, progress=progress, batch=batch, stop=stop)
    return compiled, acc


def _rounds(plan_id: str, compiled: Compiled, acc: Accumulators, run: Callable, seed: int, target: int, *,
            precision: float | None, max_replications: int, progress: Callable[[int, float], None] | None,
            batch: int | None, stop: StopFlag | None) -> None:
    """Run ``target`` replications into ``acc``, then, with ``precision``, rounds of more until
    the headline half-widths are within it (or ``max_replications`` are done)."""
    per_draw = compiled.replications_per_draw if compiled.uncertain else 1
    done = 0
    while True:
        step = batch or target - done
        while done < target:  # sub-batches only make progress move; the sums do not depend on them
            count = min(step, target - done)
            try:
                run(compiled, seed, done, count, acc, stop=stop)
            except ReplicationOverrun as exc:
                raise exc.of_plan(plan_id) from None
            done += count
            if progress is not None and done < target:
                progress(done, headline_width(acc, per_draw))
        width = headline_width(acc, per_draw)
        if progress is not None:
            progress(done, width)
        if precision is None or width <= precision or done >= max_replications:
            break
        target = replications_for(done, width, precision, max_replications)
        acc.grow(target)
