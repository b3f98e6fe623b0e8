"""Exact adherence of realized production against the plan in effect (docs/design.md section 2).

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
from riskengine.governance.accountability import accountability
from riskengine.governance.owners import Owners, owner_table
from riskengine.model.actuals import Actuals, PlanHistory
from riskengine.model.common import CAUSES, MAX_BUCKETS, hours_between
from riskengine.model.plan import Plan
from riskengine.model.premises import Premises
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
    rules: AdherenceRules | Premises | None = None,
    owners: Owners | None = None,
) -> Measurement:
    """Measure realized adherence.

    Parameters
    ----------
    plans
        The plan versions (a :class:`PlanHistory`, a list of plans or one plan).
    actuals
        Realized production, validated against the same plans.
    rules
        Bucket size override, horizon bands, tolerances and sequence basis; or premises, whose
        rules (``premises.rules()``: the ones a score judges by) are then used. None: the
        defaults, the same as premises without an ``execution`` section.
    owners
        The cause ownership table (:func:`riskengine.governance.owners.read_owners`;
        None: the default table).

    Returns
    -------
    Measurement
        Counts and ratios in total, per bucket, band, resource, area and
        product; each measured operation's HIT/MISS; the cause Pareto with
        owners and actions, the Pareto by owner; the accountability split
        (validated or not, plan-side or execution-side, flags: docs/design.md
        section 9).

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
    rules = rules.rules() if isinstance(rules, Premises) else rules or AdherenceRules()
    units = rules.sequence_basis == "units"
    warnings: list[str] = []
    tl = _timeline(history, rules, warnings)
    f = _frame(history, actuals, tl, warnings)
    counts, in_sequence = f.scope(np.ones(f.n_ops, bool), np.ones(len(actuals.records), bool))
    operations, causes, without_cause = _judge(f, tl, rules, in_sequence)
    total = counts.sum(axis=0)
    misses = sum(c["misses"] for c in causes)
    governed = accountability(history, tl.plan_of_bucket, counts, operations, causes, units,
                              owners or owner_table())
    return Measurement.build(
        plans=governed["plans"],
        timeline={"start": tl.origin.isoformat(), "end": tl.start(tl.n_buckets).isoformat(),
                  "bucket_hours": tl.bucket_hours, "buckets": tl.n_buckets},
        rules=rules.document(tl.bucket_hours),
        total=figures(total, units),
        buckets=[{"index": b, "start": tl.start(b).isoformat(), "end": tl.start(b + 1).isoformat(),
                  "plan": history.versions[tl.plan_of_bucket[b]].id,
                  "band": rules.bands[tl.band_of_bucket[b]].label} | figures(counts[b], units)
                 | {"validated": governed["bucket_validated"][b]} for b in range(tl.n_buckets)],
        bands=_bands(counts, tl, rules, units),
        resources=f.scope_rows({rid: [k] for k, rid in enumerate(f.resources)}, units),
        areas=f.scope_rows(f.areas(), units),
        products=f.product_rows(),
        operations=operations,
        causes=causes,
        data_quality={
            "operations": f.n_ops, "misses": misses, "misses_without_cause": without_cause,
            "share_without_cause": without_cause / misses if misses else 0.0,
            "unplanned_units": float(sum(r.quantity for r in actuals.records if r.operation is None)),
            "records_outside_timeline": f.outside,
        },
        main_impact=main_impact(total, units),
        warnings=warnings,
        owners=governed["owners"],
        accountability=governed["accountability"],
    )


@dataclass
class _Frame:
    """The measured operations and the realized records as flat arrays (one index space each)."""

    history: PlanHistory
    n_buckets: int
    ops: list[tuple[int, int]]  # (version, operation index) of each measured operation
    op_list: list
    resources: dict[str, str | None]  # id -> area
    products: dict[str, int]
    op_bucket: np.ndarray
    op_product: np.ndarray
    op_resource: np.ndarray
    op_qty: np.ndarray
    position: np.ndarray
    rec_bucket: np.ndarray
    rec_product: np.ndarray
    rec_resource: np.ndarray
    rec_qty: np.ndarray
    act_start: np.ndarray
    act_end: np.ndarray
    good: np.ndarray
    completed_in_bucket: np.ndarray
    recorded_cause: list[str | None]
    outside: int

    @property
    def n_ops(self) -> int:
        return len(self.op_list)

    def scope(self, op_mask: np.ndarray, rec_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Counts per bucket of the operations and records selected, and which selected
        operations are in sequence."""
        planned = np.zeros((self.n_buckets, len(self.products)))
        ar.add_quantities(self.op_bucket[op_mask], self.op_product[op_mask], self.op_qty[op_mask], planned)
        counts = np.zeros((self.n_buckets, ar.N_COUNTS))
        ar.add_volume_mix(self.rec_bucket[rec_mask], self.rec_product[rec_mask], self.rec_qty[rec_mask],
                          planned, planned.sum(axis=1), np.zeros_like(planned), counts)
        member = np.zeros(int(op_mask.sum()), np.int8)
        position = self.position[op_mask]
        order = np.lexsort((position, self.act_start[op_mask]))  # start order, ties by position
        seq_bucket = np.where(self.completed_in_bucket, self.op_bucket, -1)
        weight = np.minimum(self.op_qty, self.good)
        sq.add_sequence(order, seq_bucket[op_mask], self.op_resource[op_mask], len(self.resources), position,
                        weight[op_mask], counts, member)
        return counts, member

    def scope_rows(self, groups: dict[str, list[int]], units: bool) -> list[dict]:
        """One row of figures per group of resources (a resource, an area)."""
        rows = []
        for name, members in groups.items():
            c, _ = self.scope(np.isin(self.op_resource, members), np.isin(self.rec_resource, members))
            rows.append({"id": name} | figures(c.sum(axis=0), units))
        return rows

    def areas(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for k, area in enumerate(self.resources.values()):
            if area is not None:
                out.setdefault(area, []).append(k)
        return out

    def product_rows(self) -> list[dict]:
        planned = np.zeros((self.n_buckets, len(self.products)))
        produced = np.zeros_like(planned)
        ar.add_quantities(self.op_bucket, self.op_product, self.op_qty, planned)
        ar.add_quantities(self.rec_bucket, self.rec_product, self.rec_qty, produced)
        family: dict[str, str | None] = {}
        for op in self.op_list:
            family[op.product] = family.get(op.product) or op.family
        return [{"id": name, "planned": float(planned[:, i].sum()), "produced": float(produced[:, i].sum()),
                 "built_to_mix": float(np.minimum(planned[:, i], produced[:, i]).sum()),
                 "family": family.get(name)}
                for name, i in self.products.items()]


def _frame(history: PlanHistory, actuals: Actuals, tl: _Timeline, warnings: list[str]) -> _Frame:
    """Measured operations (those of the plan in effect for their planned bucket) and records."""
    origin = history.origin

    def hours(t: datetime | float) -> float:  # records may give hours from the origin
        return float(t) if not isinstance(t, datetime) else hours_between(origin, t)

    resources: dict[str, str | None] = {}
    for p in history.versions:
        for res in p.resources:
            resources.setdefault(res.id, res.area)
    res_index: dict[str | None, int] = {rid: k for k, rid in enumerate(resources)}
    ops, op_bucket, op_position = [], [], []
    for v, plan in enumerate(history.versions):
        positions = plan.planned_positions()
        for i, op in enumerate(plan.operations):
            b = tl.bucket(hours(op.end))
            if b >= 0 and tl.plan_of_bucket[b] == v:
                ops.append((v, i))
                op_bucket.append(b)
                op_position.append(positions[i])
    op_list = [history.versions[v].operations[i] for v, i in ops]
    recs = actuals.records
    rec_bucket = np.full(len(recs), -1, np.int64)
    done: dict[str, list] = {}  # operation id -> [start, end, good, cause] over its records
    for k, r in enumerate(recs):
        if r.end is not None and r.quantity > 0:
            rec_bucket[k] = tl.bucket(hours(r.end))
        if r.operation is None:
            continue
        agg = done.setdefault(r.operation, [math.inf, -math.inf, 0.0, None])
        if r.quantity > 0 and r.start is not None and r.end is not None:  # (both required then)
            agg[0] = min(agg[0], hours(r.start))
            agg[1] = max(agg[1], hours(r.end))
            agg[2] += r.quantity
        agg[3] = agg[3] or r.cause
    outside = int(sum(1 for k, r in enumerate(recs) if r.end is not None and r.quantity > 0
                      and rec_bucket[k] < 0))
    if outside:
        warnings.append(f"{outside} actual record(s) end outside the measured timeline "
                        "and count in no bucket")
    products: dict[str, int] = {}

    def product_id(name: str) -> int:
        return products.setdefault(name, len(products))

    actual = np.array([done.get(op.id, [math.inf, math.inf, 0.0, None])[:3] for op in op_list],
                      np.float64).reshape(len(op_list), 3)
    op_bucket_a = np.array(op_bucket, np.int64)
    return _Frame(
        history=history, n_buckets=tl.n_buckets, ops=ops, op_list=op_list, resources=resources,
        products=products,
        op_bucket=op_bucket_a,
        op_product=np.array([product_id(op.product) for op in op_list], np.int64),
        op_resource=np.array([res_index[op.resource] for op in op_list], np.int64),
        op_qty=np.array([op.quantity for op in op_list], np.float64),
        position=np.array(op_position, np.int64),
        rec_bucket=rec_bucket,
        # parse_actuals gives every record a product (its operation's when not given)
        rec_product=np.array([product_id(r.product) for r in recs], np.int64),  # type: ignore[arg-type]
        rec_resource=np.array([res_index.get(r.resource, -1) for r in recs], np.int64),
        rec_qty=np.array([r.quantity for r in recs], np.float64),
        act_start=actual[:, 0], act_end=actual[:, 1], good=actual[:, 2],
        completed_in_bucket=np.array([actual[k, 2] > 0 and tl.bucket(actual[k, 1]) == op_bucket[k]
                                      for k in range(len(op_list))], bool),
        recorded_cause=[done.get(op.id, [None] * 4)[3] for op in op_list],
        outside=outside,
    )


def _judge(f: _Frame, tl: _Timeline, rules: AdherenceRules,
           in_sequence: np.ndarray) -> tuple[list[dict], list[dict], int]:
    """HIT or MISS of every measured operation with its deviation, cause and lost units; the
    cause Pareto (by misses, then lost units); the misses without a recorded cause."""
    origin = f.history.origin
    operations, pareto, without_cause = [], {c: [0, 0.0] for c in CAUSES}, 0
    for k, op in enumerate(f.op_list):
        deadline = (f.op_bucket[k] + 1) * tl.bucket_hours + rules.lateness_tolerance_hours
        code = ar.classify(f.good[k], f.act_end[k], op.quantity, deadline, rules.quantity_tolerance,
                           bool(f.completed_in_bucket[k]), bool(in_sequence[k]))
        cause = None
        lost = 0.0
        if code != ar.HIT:
            recorded = f.recorded_cause[k]
            cause = recorded or "unknown"
            without_cause += recorded is None
            lost = ar.lost_units(code, f.good[k], op.quantity)
            pareto[cause][0] += 1
            pareto[cause][1] += lost
        operations.append({
            "id": op.id, "plan": f.history.versions[f.ops[k][0]].id, "resource": op.resource,
            "product": op.product, "bucket": int(f.op_bucket[k]), "planned": op.quantity,
            "good": float(f.good[k]),
            "start": _iso(origin, f.act_start[k]), "end": _iso(origin, f.act_end[k]),
            "hit": code == ar.HIT, "deviation": ar.DEVIATION_NAMES[code], "cause": cause,
            "lost_units": lost,
        })
    misses = sum(v[0] for v in pareto.values())
    causes: list[dict] = [{"cause": c, "misses": m, "lost_units": lost, "share": m / misses}
              for c, (m, lost) in pareto.items() if m]
    causes.sort(key=lambda row: (-row["misses"], -row["lost_units"], CAUSES.index(row["cause"])))
    return operations, causes, without_cause


def _bands(counts: np.ndarray, tl: _Timeline, rules: AdherenceRules, units: bool) -> list[dict]:
    """Each band's figures: the sums over its buckets, and its score."""
    bands = []
    for k, band in enumerate(rules.bands):
        members = [b for b in range(tl.n_buckets) if tl.band_of_bucket[b] == k]
        c = counts[members].sum(axis=0)
        bands.append({"band": band.label, "until_hours": band.until_hours,
                      "measures": list(band.measures), "buckets": len(members)}
                     | figures(c, units) | {"score": band_score(c, band.measures, units)})
    return bands


def _iso(origin: datetime, hours: float) -> str | None:
    if not math.isfinite(hours):
        return None
    return (origin + timedelta(hours=float(hours))).isoformat()
