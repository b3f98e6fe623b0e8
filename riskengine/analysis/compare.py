"""Compare candidate schedules under common random numbers (``riskengine.compare/1``).

All plans are scored with the same seed, so replication k of every plan sees
the same breakdowns of each resource, the same lateness of each material lot
and the same absences of each shift (entities are keyed by name). The
difference of a metric between plans a and b is then estimated from the
paired differences d_k = x_a,k - x_b,k: mean with a t interval on
sd(d)/sqrt(n). Positive correlation between x_a and x_b makes
var(d) = var(a) + var(b) - 2 cov(a, b) much smaller than the variance
var(a) + var(b) of independent streams (Law, *Simulation Modeling and
Analysis*, 5th ed., 2015, section 11.2); both half-widths are reported.
``p_a_better`` is the share of replications in which a is strictly better
(higher, or earlier for finish), ``p_tie`` the share of ties.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Final, Literal

import numpy as np
from pydantic import Field
from scipy import stats

from riskengine.analysis.cluster import connect
from riskengine.analysis.documents import OrderDifference, PairedDifference, PlanSummary
from riskengine.analysis.order_compare import lockstep
from riskengine.analysis.orders import likely_on_time
from riskengine.analysis.result import build_result
from riskengine.analysis.score import simulate
from riskengine.errors import InputError, Problem
from riskengine.io.documents import Document, Rules
from riskengine.model.plan import Plan
from riskengine.model.premises import Premises
from riskengine.simulation.statistics import design_effect
from riskengine.simulation.summary import BTP, BTS, FINISH, HOLDS, MIX, SEQUENCE, VOLUME
from riskengine.simulation.watchdog import StopFlag

COMPARE_FORMAT: Final = "riskengine.compare/1"
RANK_BY = ("plan_holds", "on_time")
#: metric name -> (row column, True when higher is better)
METRICS = {"plan_holds": (HOLDS, True), "bts": (BTS, True), "btp": (BTP, True),
           "volume": (VOLUME, True), "mix": (MIX, True), "sequence": (SEQUENCE, True),
           "finish": (FINISH, False)}


class CompareResult(Document):
    """Scores of several plans and their CRN-paired differences (``riskengine.compare/1``)."""

    format: Literal["riskengine.compare/1"] = COMPARE_FORMAT
    """The document's format and version."""
    seed: int
    """The seed shared by all plans (plan k uses seed + k with independent streams)."""
    replications: int
    """Replications per plan."""
    paired: bool
    """True: common random numbers (the same disruptions for every plan); False: independent."""
    plans: list[PlanSummary]
    """Each plan's headline figures, in the order given."""
    differences: list[PairedDifference]
    """Every pair (a before b in the order given) and metric: a - b."""
    ranking: list[str]
    """Plan ids, most likely to hold first (then higher BTS); with ``rank_by`` on_time, most orders
    on time with at least 80% probability first (then P(holds), then BTS)."""
    warnings: list[str] = Field(default_factory=list)
    """Premises entries a plan does not use, and what a plan's reader noted."""
    rules: Rules | None = None
    """The adherence rules every plan was judged by (the premises' execution and bands; the
    bucket size is null when the plans' buckets differ)."""
    rank_by: Literal["plan_holds", "on_time"] = "plan_holds"
    """What the ranking orders by first: P(holds), or the orders likely on time."""
    order_differences: list[OrderDifference] = Field(default_factory=list)
    """For every pair (a before b) and every order both list (by id): paired a - b of P(on time)
    and of tardiness (empty when no two plans share an order)."""

    def to_frames(self) -> dict:
        """This result as tidy pandas DataFrames (extra ``pandas``; :mod:`riskengine.interop.results`)."""
        from riskengine.interop.results import to_frames

        return to_frames(self)

    def __str__(self) -> str:
        from riskengine.analysis.text import compare_text

        return compare_text(self)


def paired_difference(x: np.ndarray, y: np.ndarray, higher_is_better: bool, per_draw: int = 1) -> dict:
    """Mean difference x - y over replications with its paired 95% t interval, the
    independent-streams half-width for reference, and P(x better), P(tie).

    With ``per_draw`` > 1 (replications nested in draws of uncertain parameters) both
    half-widths are widened by the square root of the design effect, with K - 1 degrees of
    freedom (:mod:`riskengine.simulation.statistics`)."""
    ok = np.isfinite(x) & np.isfinite(y)
    deff, draws = design_effect(np.where(ok, x - y, np.nan), per_draw)
    deff_x, deff_y = design_effect(np.where(ok, x, np.nan), per_draw)[0], \
        design_effect(np.where(ok, y, np.nan), per_draw)[0]
    x, y = x[ok], y[ok]
    n = x.shape[0]
    if n == 0:
        return {"mean": None, "low": None, "high": None, "p_a_better": None, "p_tie": None,
                "half_width_paired": None, "half_width_independent": None}
    d = x - y
    df = n - 1 if per_draw <= 1 else max(draws - 1, 1)
    t = float(stats.t.ppf(0.975, df)) if n > 1 else math.inf
    half = t * float(np.std(d, ddof=1)) / math.sqrt(n) * math.sqrt(deff) if n > 1 else 0.0
    independent = t * math.sqrt((np.var(x, ddof=1) * deff_x + np.var(y, ddof=1) * deff_y) / n) \
        if n > 1 else 0.0
    better = d > 0 if higher_is_better else d < 0
    mean = float(np.mean(d))
    return {"mean": mean, "low": mean - half, "high": mean + half,
            "p_a_better": float(np.mean(better)), "p_tie": float(np.mean(d == 0)),
            "half_width_paired": half, "half_width_independent": float(independent)}


def _plan_progress(progress: Callable[[int, int], None] | None, k: int, replications: int,
                   total: int) -> Callable[[int, float], None] | None:
    """Plan k's progress callback as a part of the whole comparison's."""
    if progress is None:
        return None
    return lambda done, _width: progress(k * replications + done, total)


def _simulate_all(plans: list[Plan], premises: Premises, ids: list[str], seeds: list[int], replications: int,
                  *, engine: str, progress: Callable[[int, int], None] | None, batch: int | None,
                  stop: StopFlag | None, cluster: Any) -> tuple[list, list[dict]]:
    """Each plan's (compiled, accumulators) and the per-order paired differences (plans with
    orders run in lockstep, :mod:`riskengine.analysis.order_compare`)."""
    if any(p.orders for p in plans):  # plans run in lockstep: per-order pairs in bounded memory
        return lockstep(plans, premises, ids, seeds, replications, engine, progress, stop, cluster)
    total = replications * len(plans)
    return [simulate(plan, premises, replications=replications, seed=seeds[k], engine=engine, batch=batch,
                     stop=stop, keep_head=True, progress=_plan_progress(progress, k, replications, total),
                     dask=cluster)
            for k, plan in enumerate(plans)], []


def compare(plans: list[Plan], premises: Premises, *, replications: int = 1000, seed: int = 0,
            engine: str = "kernel", paired: bool = True, progress: Callable[[int, int], None] | None = None,
            batch: int | None = None, stop: StopFlag | None = None,
            rank_by: str = "plan_holds", dask: Any = None) -> CompareResult:
    """Score ``plans`` with common random numbers and estimate their paired differences.

    Parameters
    ----------
    plans
        Two or more validated candidate plans (the same resources and horizon make sense).
    premises
        The variability model, shared by all plans.
    replications, seed, engine
        As in :func:`riskengine.analysis.score.score`; every plan uses ``seed``.
    paired
        True (default): common random numbers. False: plan k is scored with seed
        ``seed + k`` (independent streams), to show what common random numbers buy.
    progress, batch
        ``progress`` is called with (replications done over all plans,
        replications in all) after each batch of at most ``batch``
        replications; neither changes the result.
    stop
        As in :func:`riskengine.analysis.score.score`.
    rank_by
        ``"plan_holds"`` (default): the ranking puts the plan most likely to hold first;
        ``"on_time"``: the plan with the most orders on time with at least 80% probability
        (ties: P(holds), then BTS).
    dask
        Spread each plan's replications over a Dask cluster, as in
        :func:`riskengine.analysis.score.score`; the result is bit-identical.

    Returns
    -------
    CompareResult
        Each plan's headline estimates, the paired differences a - b of every
        metric with their 95% intervals and P(a better), and the ranking
        (``riskengine.compare/1`` as ``to_dict()``; pandas: ``to_frames()``).

    Examples
    --------
    >>> import riskengine as rk
    >>> plans = [rk.read_plan(f"scenarios/example-factory/plan-v{k}.json") for k in (1, 2)]
    >>> premises = rk.read_premises("scenarios/example-factory/premises.toml")
    >>> result = rk.compare(plans, premises, replications=200, seed=1)
    >>> sorted(result.ranking), [d["metric"] for d in result.differences][:3]
    (['wk47-v1', 'wk47-v2'], ['plan_holds', 'bts', 'btp'])
    >>> d = result.differences[1]
    >>> bool(d["half_width_paired"] <= d["half_width_independent"])  # what pairing buys
    True
    """
    if len(plans) < 2:
        raise InputError(Problem("plans", f"compare needs at least two plans, got {len(plans)}"))
    if rank_by not in RANK_BY:
        raise InputError(Problem("rank_by", f"must be one of {', '.join(RANK_BY)}, got {rank_by!r}"))
    ids: list[str] = []
    for p in plans:  # the same plan twice (a check of the method) gets a distinct label
        ids.append(p.id if p.id not in ids else f"{p.id}#{ids.count(p.id) + 1}")
    seeds = [seed if paired else seed + k for k in range(len(plans))]
    with connect(dask) as cluster:
        runs, order_differences = _simulate_all(plans, premises, ids, seeds, replications, engine=engine,
                                                progress=progress, batch=batch, stop=stop, cluster=cluster)
    rows, summaries, warnings, likely = [], [], [], []
    for k, (plan, (compiled, acc)) in enumerate(zip(plans, runs, strict=True)):
        result = build_result(plan, premises, compiled, acc, seed=seeds[k], engine=engine, precision=None)
        rows.append(acc.headline())  # the headline figures of every replication, for the pairs
        per_draw = compiled.replications_per_draw if compiled.uncertain else 1
        summary: dict[str, Any] = {"id": ids[k], "plan_holds": result.plan_holds,
                                   "adherence": result.adherence, "finish": result.finish,
                                   "finish_at": result.finish_at}
        likely.append(likely_on_time(result.orders))
        if plan.orders:
            summary |= {"orders": len(result.orders), "orders_likely_on_time": likely[-1]}
        summaries.append(summary)
        warnings += [w for w in result.warnings if w not in warnings]
    differences = []
    for a in range(len(plans)):
        for b in range(a + 1, len(plans)):
            for metric, (column, higher) in METRICS.items():
                diff = paired_difference(rows[a][:, column], rows[b][:, column], higher, per_draw)
                differences.append({"a": ids[a], "b": ids[b], "metric": metric, **diff})

    def rank(k: int) -> tuple:
        by_holds = (-np.mean(rows[k][:, HOLDS]), -np.nanmean(rows[k][:, BTS]), k)
        return (-likely[k], *by_holds) if rank_by == "on_time" else by_holds

    sizes = {p.bucket_hours for p in plans}
    return CompareResult.build(seed=seed, replications=replications, paired=paired, plans=summaries,
                               differences=differences,
                               ranking=[ids[k] for k in sorted(range(len(plans)), key=rank)],
                               warnings=warnings, rank_by=rank_by, order_differences=order_differences,
                               rules=premises.rules().document(sizes.pop() if len(sizes) == 1 else None))
