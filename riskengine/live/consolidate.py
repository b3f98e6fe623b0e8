"""From the replications and the realized part to the forecast result.

The replications already carry the consolidation by counts (the buckets that
ended by the as-of time hold their realized counts, simulation/initial.py
``settle``), so a score's result of them (:func:`riskengine.analysis.result.build_result`)
is the forecast's figures. What is settled at the as-of time then gets exact values with
zero-width intervals instead of Monte Carlo estimates of a constant: the realized buckets,
the operations whose verdict is known (taken from the measurement), and, once every
bucket has ended and every verdict is known, the whole horizon's adherence, bands and
holding, which are then the measurement's own figures.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from riskengine.adherence.arrays import N_COUNTS
from riskengine.adherence.documents import OperationOutcome
from riskengine.adherence.figures import band_score, figures, main_impact
from riskengine.analysis.documents import BucketForecast
from riskengine.analysis.result import ScoreResult
from riskengine.feasibility.checks import check
from riskengine.live.alerts import alerts_of, changes_since
from riskengine.live.dates import Dates, iso_or_none
from riskengine.live.result import ForecastResult
from riskengine.live.state import State
from riskengine.model.common import CAUSES
from riskengine.simulation.accumulate import Accumulators
from riskengine.simulation.codes import Realized

RATIOS = ("bts", "btp", "volume", "mix", "sequence")


def exact(x: float | None, *quantiles: str) -> dict | None:
    """A settled figure as an estimate: the value with a zero-width interval (and as every
    percentile asked for); None where it is undefined (nothing planned)."""
    return None if x is None else point(x, *quantiles)


def point(x: float, *quantiles: str) -> dict:
    """:func:`exact` of a figure that is defined."""
    return {"mean": x, "low": x, "high": x, **{q: x for q in quantiles}}


def fully_settled(st: State) -> bool:
    """Whether nothing is left to chance: every bucket ended and every judged verdict is known."""
    c = st.compiled
    judged = c.op_bucket >= 0
    return st.closed == c.n_buckets and bool(st.initial.settled[judged].all())


def _buckets(buckets: list[BucketForecast], st: State) -> list[dict]:
    """The realized buckets with their measured BTS and BTP, exactly."""
    out = []
    for bucket in buckets:
        b: dict = dict(bucket)
        if bucket["index"] < st.closed:
            measured = st.realized.buckets[bucket["index"]]
            b |= {"bts": exact(measured["bts"], "p10", "p50", "p90"),
                  "btp": exact(measured["btp"], "p10", "p50", "p90")}
        out.append(b)
    return out


def _settled_horizon(score: ScoreResult, st: State) -> dict:
    """Adherence, bands and holding of a horizon that is over (all realized): the measurement's."""
    units = score.premises.get("execution", {}).get("sequence_basis") == "units"
    counts = st.initial.counts
    total = figures(counts.sum(axis=0), units)
    bands = []
    for k, band in enumerate(score.bands):
        c = counts[st.compiled.band_of_bucket[:st.closed] == k].sum(axis=0).reshape(N_COUNTS)
        f = figures(c, units)
        bands.append(band | {"score": exact(band_score(c, band["measures"], units), "p10", "p50", "p90")}
                     | {m: exact(f[m], "p10", "p50", "p90") for m in ("volume", "mix", "sequence")})
    holds = 0.0 if any(not o["hit"] for o in st.settled_ops) else 1.0
    days = [{"day": d["day"], **point(float((d["mean"] or 0.0) > 0.5))} for d in score.holds_through_day]
    return {"adherence": {k: exact(total[k], "p10", "p50", "p90") for k in RATIOS}, "bands": bands,
            "plan_holds": exact(holds), "holds_through_day": days,
            "main_impact": main_impact(counts.sum(axis=0), units)}


def _realized_holding(score: ScoreResult, st: State) -> dict:
    """A realized miss settles the plan's holding (from the day of the first one on): exactly 0."""
    if all(o["hit"] for o in st.settled_ops):
        return {}
    days = [d if (d["mean"] or 0.0) > 0.0 else {"day": d["day"], **point(0.0)}
            for d in score.holds_through_day]
    return {"plan_holds": point(0.0), "holds_through_day": days}


def _realized_operation(o: OperationOutcome, st: State, versions: dict) -> dict:
    """A measured operation as a forecast operation (its verdict is known)."""
    plan = versions[o["plan"]]
    op = plan.operations[plan.operation_index[o["id"]]]
    late = None
    if o["end"] is not None:
        late = max((datetime.fromisoformat(o["end"]) - op.end).total_seconds() / 3600, 0.0)
    return {"id": o["id"], "resource": o["resource"], "hit": exact(1.0 if o["hit"] else 0.0),
            "lateness_hours": late,
            "not_executed": 1.0 if o["deviation"] == "not_executed" else 0.0, "main_cause": o["cause"],
            "causes": {o["cause"]: 1.0} if o["cause"] else {}, "planned_end": op.end.isoformat(),
            "realized": True, "expected_start": o["start"], "expected_end": o["end"], "end_p80": o["end"]}


def _operations(score: ScoreResult, st: State, dates: Dates) -> list[dict]:
    """Realized operations as measured, the others as simulated with when they are now expected."""
    versions = {p.id: p for p in st.history.versions}
    out = [_realized_operation(o, st, versions) for o in st.settled_ops]
    index = st.plan.operation_index
    origin = st.plan.horizon.start
    for o in score.operations:
        i = index[o["id"]]
        if st.initial.settled[i]:
            continue
        out.append(o | {"realized": False, "expected_start": iso_or_none(origin, dates.start_p50[i]),
                        "expected_end": iso_or_none(origin, dates.end_p50[i]),
                        "end_p80": iso_or_none(origin, dates.end_p80[i])})
    out.sort(key=lambda o: (o.get("planned_end") or "", o["id"]))
    return out


def _realized_part(st: State, units: bool) -> dict:
    """The measurement up to the as-of time (the closed buckets)."""
    counts = st.initial.counts.sum(axis=0) if st.closed else np.zeros(N_COUNTS)
    misses: dict[str, list] = {}
    for o in st.settled_ops:
        if not o["hit"]:
            row = misses.setdefault(o["cause"] or "unknown", [0, 0.0])  # (a miss has its cause)
            row[0] += 1
            row[1] += o["lost_units"]
    causes = [{"cause": c, "misses": m, "lost_units": lost} for c, (m, lost) in misses.items()]
    causes.sort(key=lambda r: (-r["misses"], -r["lost_units"], CAUSES.index(r["cause"])))
    until = st.plan.horizon.start + timedelta(hours=st.closed * st.plan.bucket_hours)
    hits = sum(1 for o in st.settled_ops if o["hit"])
    total = figures(counts, units) | _settled_orders(st, until)
    return {"until": until.isoformat(), "buckets": st.closed, "total": total,
            "operations": len(st.settled_ops), "hits": hits, "misses": len(st.settled_ops) - hits,
            "causes": causes}


def _settled_orders(st: State, until: datetime) -> dict:
    """The measurement's order fields (``otif``, ``orders``, ``orders_otif``) over the orders due by
    ``until``: whether they were on time and in full is settled then (empty when no plan lists
    orders, as in the measurement)."""
    if not any(p.orders for p in st.history.versions):
        return {}
    settled = [o for o in st.realized.orders if datetime.fromisoformat(o["due"]) <= until]
    otif = sum(bool(o["otif"]) for o in settled)
    return {"otif": otif / len(settled) if settled else None, "orders": len(settled), "orders_otif": otif}


def _open_orders(st: State, operations: list[dict]) -> set[str]:
    """The orders due after the as-of time with an operation whose verdict is not settled then
    (what an order alert can still act on: an order due by then is on time or not already)."""
    ahead = {o.id for o in st.executed.orders or [] if o.due > st.as_of}
    order_of = {op.id: op.order for op in st.executed.operations if op.order in ahead}
    return {order_of[o["id"]] for o in operations if not o["realized"] and o["id"] in order_of}


def _ahead(st: State) -> set[str]:
    """The operations still to run or running at the as-of time (what an alert can act on)."""
    return {op.id for i, op in enumerate(st.plan.operations) if st.initial.state[i] != Realized.DONE}


def consolidate(score: ScoreResult, st: State, acc: Accumulators, dates: Dates, alert: float,
                previous: dict | None) -> ForecastResult:
    """The forecast result of a score of the replications from ``st`` (module docstring)."""
    fields = score.to_dict()
    fields.pop("format")
    fields["plan_check"] = check(st.executed).brief()  # the executed plan's, not its reduced model's
    units = score.premises.get("execution", {}).get("sequence_basis") == "units"
    fields["buckets"] = _buckets(score.buckets, st)
    fields |= _settled_horizon(score, st) if fully_settled(st) else _realized_holding(score, st)
    fields["operations"] = _operations(score, st, dates)
    t = st.initial.as_of
    horizon = st.plan.horizon_hours
    result = fields | {
        "as_of": st.summary["as_of"], "as_of_horizon": {"hours": t, "elapsed": min(1.0, t / horizon)},
        "state": st.summary, "realized": _realized_part(st, units), "alert_threshold": alert,
        "alerts": alerts_of(fields["operations"], fields, alert, _ahead(st),
                            _open_orders(st, fields["operations"])),
        "replications_for_dates": dates.replications}
    if previous is not None:
        result["changes"], result["previous"] = changes_since(previous, result, st.plan)
    return ForecastResult.build(**result)
