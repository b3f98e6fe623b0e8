"""Exact adherence of realized production against the plan in effect (DESIGN.md 3).

``measure(history, actuals, rules)`` lays consecutive buckets of
``bucket_hours`` from the earliest horizon start, takes for each bucket the
plan version in effect at its start, and computes per bucket, per horizon
band, per resource, per area and in total the counts and ratios of
:mod:`riskengine.adherence.arrays` (the same functions the simulator uses).
Every planned operation of a bucket is judged HIT or MISS with its deviation
and cause; misses are ranked by cause (Pareto) by count and lost units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from riskengine.adherence import arrays as ar
from riskengine.adherence import sequence as sq
from riskengine.adherence.figures import band_score, figures, main_impact
from riskengine.adherence.result import Measurement
from riskengine.errors import InputError, Problem
from riskengine.model.actuals import Actuals, PlanHistory
from riskengine.model.common import CAUSES, MAX_BUCKETS, hours_between
from riskengine.model.plan import Plan
from riskengine.model.rules import AdherenceRules


@dataclass
class _Timeline:
    origin: datetime
    bucket_hours: float
    n_buckets: int
    plan_of_bucket: list[int]
    band_of_bucket: list[int]

    def start(self, b: int) -> datetime:
        return self.origin + timedelta(hours=b * self.bucket_hours)

    def bucket(self, hours: float) -> int:
        return ar.bucket_of(hours, 0.0, self.bucket_hours, self.n_buckets)


def _timeline(history: PlanHistory, rules: AdherenceRules, warnings: list[str]) -> _Timeline:
    h = rules.bucket_hours or history.versions[0].bucket_hours
    sizes = {p.bucket_hours for p in history.versions}
    if rules.bucket_hours is None and len(sizes) > 1:
        warnings.append(f"plan versions differ in bucket_hours; measured in buckets of {h:g} h")
    span = hours_between(history.origin, history.end)
    if span / h > MAX_BUCKETS:
        raise InputError(Problem("bucket_hours", f"gives {span / h:.0f} buckets over the plans' "
                                 f"horizon; at most {MAX_BUCKETS} are allowed"))
    n = max(1, math.ceil(span / h - 1e-9))
    plan_of, band_of = [], []
    for b in range(n):
        start = history.origin + timedelta(hours=b * h)
        v = history.in_effect(start)
        lead = hours_between(history.versions[v].published_at, start)
        if lead < 0 and b == 0:
            warnings.append(f"plan {history.versions[v].id} was published after its horizon "
                            "started; buckets before its publication are measured against it")
        plan_of.append(v)
        band_of.append(next(k for k, band in enumerate(rules.bands)
                            if band.until_hours is None or lead < band.until_hours))
    return _Timeline(history.origin, h, n, plan_of, band_of)


def measure(
    plans: PlanHistory | Plan | list[Plan],
    actuals: Actuals,
    rules: AdherenceRules | None = None,
) -> Measurement:
    """Measure realized adherence.

    Parameters
    ----------
    plans
        The plan versions (a :class:`PlanHistory`, a list of plans or one plan).
    actuals
        Realized production, validated against the same plans.
    rules
        Bucket size override, horizon bands, tolerances and sequence basis.

    Returns
    -------
    Measurement
        Counts and ratios in total, per bucket, band, resource, area and
        product; each measured operation's HIT/MISS; the cause Pareto.

    Examples
    --------
    The example week against its three plan versions:

    >>> import riskengine as rk
    >>> history = rk.read_history([f"scenarios/example-factory/plan-v{k}.json" for k in (1, 2, 3)])
    >>> actuals = rk.read_actuals("scenarios/example-factory/actuals.csv", history)
    >>> m = rk.measure(history, actuals)
    >>> t = m.total
    >>> round(t["bts"], 4) == round(t["volume"] * t["mix"] * t["sequence"], 4)
    True
    >>> m.data_quality["operations"], m.data_quality["misses"]
    (117, 28)
    """
    history = plans if isinstance(plans, PlanHistory) else PlanHistory(
        [plans] if isinstance(plans, Plan) else list(plans))
    rules = rules or AdherenceRules()
    units = rules.sequence_basis == "units"
    warnings: list[str] = []
    tl = _timeline(history, rules, warnings)
    origin = history.origin

    def hours(t: datetime | float) -> float:
        return float(t) if not isinstance(t, datetime) else hours_between(origin, t)

    products: dict[str, int] = {}
    resources: dict[str, str | None] = {}
    for p in history.versions:
        for r in p.resources:
            resources.setdefault(r.id, r.area)
    res_index = {rid: k for k, rid in enumerate(resources)}

    # planned operations measured: those of the plan in effect for their planned bucket
    ops: list[tuple[int, int]] = []  # (version, operation index)
    op_bucket, op_position = [], []
    for v, plan in enumerate(history.versions):
        positions = plan.planned_positions()
        for i, op in enumerate(plan.operations):
            b = tl.bucket(hours(op.end))
            if b >= 0 and tl.plan_of_bucket[b] == v:
                ops.append((v, i))
                op_bucket.append(b)
                op_position.append(positions[i])
    op_list = [history.versions[v].operations[i] for v, i in ops]
    n_ops = len(op_list)

    # realized runs, per record and aggregated per operation id
    recs = actuals.records
    rec_bucket = np.full(len(recs), -1, np.int64)
    outside = 0
    done: dict[str, list] = {}  # id -> [start, end, good, cause]
    for k, r in enumerate(recs):
        if r.end is not None and r.quantity > 0:
            rec_bucket[k] = tl.bucket(hours(r.end))
            outside += rec_bucket[k] < 0
        if r.operation is None:
            continue
        agg = done.setdefault(r.operation, [math.inf, -math.inf, 0.0, None])
        if r.quantity > 0:
            agg[0] = min(agg[0], hours(r.start))
            agg[1] = max(agg[1], hours(r.end))
            agg[2] += r.quantity
        agg[3] = agg[3] or r.cause
    if outside:
        warnings.append(f"{outside} actual record(s) end outside the measured timeline "
                        "and count in no bucket")

    def product_id(name: str) -> int:
        return products.setdefault(name, len(products))

    op_product = np.array([product_id(op.product) for op in op_list], np.int64)
    rec_product = np.array([product_id(r.product) for r in recs], np.int64)
    op_resource = np.array([res_index[op.resource] for op in op_list], np.int64)
    rec_resource = np.array([res_index.get(r.resource, -1) for r in recs], np.int64)
    op_qty = np.array([op.quantity for op in op_list], np.float64)
    rec_qty = np.array([r.quantity for r in recs], np.float64)
    op_bucket_a = np.array(op_bucket, np.int64)
    actual = np.array([done.get(op.id, [math.inf, math.inf, 0.0, None])[:3] for op in op_list],
                      np.float64).reshape(n_ops, 3)
    act_start, act_end, good = actual[:, 0], actual[:, 1], actual[:, 2]
    completed_in_bucket = np.array(
        [good[k] > 0 and tl.bucket(act_end[k]) == op_bucket[k] for k in range(n_ops)], bool)
    seq_bucket = np.where(completed_in_bucket, op_bucket_a, -1)
    weight = np.minimum(op_qty, good)
    position = np.array(op_position, np.int64)

    n_res = len(resources)

    def scope(op_mask: np.ndarray, rec_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        planned = np.zeros((tl.n_buckets, len(products)))
        ar.add_quantities(op_bucket_a[op_mask], op_product[op_mask], op_qty[op_mask], planned)
        counts = np.zeros((tl.n_buckets, ar.N_COUNTS))
        ar.add_volume_mix(rec_bucket[rec_mask], rec_product[rec_mask], rec_qty[rec_mask], planned,
                          planned.sum(axis=1), np.zeros_like(planned), counts)
        member = np.zeros(int(op_mask.sum()), np.int8)
        order = np.lexsort((position[op_mask], act_start[op_mask]))  # start order, ties by position
        sq.add_sequence(order, seq_bucket[op_mask], op_resource[op_mask], n_res, position[op_mask],
                        weight[op_mask], counts, member)
        return counts, member

    all_ops, all_recs = np.ones(n_ops, bool), np.ones(len(recs), bool)
    counts, in_sequence = scope(all_ops, all_recs)
    planned_by_product = np.zeros((tl.n_buckets, len(products)))
    produced_by_product = np.zeros_like(planned_by_product)
    ar.add_quantities(op_bucket_a, op_product, op_qty, planned_by_product)
    ar.add_quantities(rec_bucket, rec_product, rec_qty, produced_by_product)

    # HIT / MISS per operation, with cause and lost units
    operations, pareto, without_cause = [], {c: [0, 0.0] for c in CAUSES}, 0
    for k, op in enumerate(op_list):
        deadline = (op_bucket[k] + 1) * tl.bucket_hours + rules.lateness_tolerance_hours
        code = ar.classify(good[k], act_end[k], op.quantity, deadline, rules.quantity_tolerance,
                           bool(completed_in_bucket[k]), bool(in_sequence[k]))
        cause = None
        lost = 0.0
        if code != ar.HIT:
            recorded = done.get(op.id, [None] * 4)[3]
            cause = recorded or "unknown"
            without_cause += recorded is None
            lost = ar.lost_units(code, good[k], op.quantity)
            pareto[cause][0] += 1
            pareto[cause][1] += lost
        operations.append({
            "id": op.id, "plan": history.versions[ops[k][0]].id, "resource": op.resource,
            "product": op.product, "bucket": op_bucket[k], "planned": op.quantity,
            "good": float(good[k]),
            "start": _iso(origin, act_start[k]), "end": _iso(origin, act_end[k]),
            "hit": code == ar.HIT, "deviation": ar.DEVIATION_NAMES[code], "cause": cause,
            "lost_units": lost,
        })
    misses = sum(v[0] for v in pareto.values())
    causes = [{"cause": c, "misses": m, "lost_units": lost, "share": m / misses}
              for c, (m, lost) in pareto.items() if m]
    causes.sort(key=lambda row: (-row["misses"], -row["lost_units"], CAUSES.index(row["cause"])))

    buckets = []
    for b in range(tl.n_buckets):
        row = {"index": b, "start": tl.start(b).isoformat(), "end": tl.start(b + 1).isoformat(),
               "plan": history.versions[tl.plan_of_bucket[b]].id,
               "band": rules.bands[tl.band_of_bucket[b]].label}
        buckets.append(row | figures(counts[b], units))
    bands = []
    for k, band in enumerate(rules.bands):
        members = [b for b in range(tl.n_buckets) if tl.band_of_bucket[b] == k]
        c = counts[members].sum(axis=0)
        bands.append({"band": band.label, "until_hours": band.until_hours,
                      "measures": list(band.measures), "buckets": len(members)}
                     | figures(c, units) | {"score": band_score(c, band.measures, units)})

    def scope_rows(groups: dict[str, list[int]]) -> list[dict]:
        rows = []
        for name, members in groups.items():
            c, _ = scope(np.isin(op_resource, members), np.isin(rec_resource, members))
            rows.append({"id": name} | figures(c.sum(axis=0), units))
        return rows

    areas: dict[str, list[int]] = {}
    for rid, area in resources.items():
        if area is not None:
            areas.setdefault(area, []).append(res_index[rid])
    total = counts.sum(axis=0)
    product_rows = [
        {"id": name, "planned": float(planned_by_product[:, i].sum()),
         "produced": float(produced_by_product[:, i].sum()),
         "built_to_mix": float(np.minimum(planned_by_product[:, i], produced_by_product[:, i]).sum())}
        for name, i in products.items()]
    return Measurement(
        plans=[{"id": p.id, "published_at": p.published_at.isoformat()} for p in history.versions],
        timeline={"start": origin.isoformat(), "end": tl.start(tl.n_buckets).isoformat(),
                  "bucket_hours": tl.bucket_hours, "buckets": tl.n_buckets},
        rules=rules.model_dump(mode="json"),
        total=figures(total, units),
        buckets=buckets,
        bands=bands,
        resources=scope_rows({rid: [res_index[rid]] for rid in resources}),
        areas=scope_rows(areas),
        products=product_rows,
        operations=operations,
        causes=causes,
        data_quality={
            "operations": n_ops, "misses": misses, "misses_without_cause": without_cause,
            "share_without_cause": without_cause / misses if misses else 0.0,
            "unplanned_units": float(sum(r.quantity for r in recs if r.operation is None)),
            "records_outside_timeline": int(outside),
        },
        main_impact=main_impact(total, units),
        warnings=warnings,
    )


def _iso(origin: datetime, hours: float) -> str | None:
    if not math.isfinite(hours):
        return None
    return (origin + timedelta(hours=float(hours))).isoformat()
