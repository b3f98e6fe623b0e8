"""Compile a validated plan and premises into the flat arrays the engines read.

Routing predecessors, materials and resource sequences are CSR arrays
(``*_ptr`` of length n + 1 and an index array); distributions are rows of a
parameter table (row 0 means "none"); calendars are interval arrays per
resource (CSR too). Entities carry the FNV-1a hash of their name so that
common random numbers follow names, not positions. Hours count from the
plan's horizon start.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from riskengine.adherence.arrays import bucket_of
from riskengine.model.calendar import work_content, working_intervals
from riskengine.model.distributions import Uncertain
from riskengine.model.orders import order_members
from riskengine.model.plan import Plan
from riskengine.model.premises import AbsenceDriver, Premises, uncertain_numbers
from riskengine.model.setup import required_setup
from riskengine.simulation import mechanics as mech
from riskengine.simulation.codes import Cause, DeviationRule, Target
from riskengine.simulation.rng import entity_ids
from riskengine.simulation.sampling import ROW, encode

NONE = 0  # the "no distribution" row of the table
#: Days of the holds-through-day curve beyond the horizon are not reported.
DAY_HOURS = 24.0


@dataclass
class Compiled:
    """Everything one replication needs, as numpy arrays and scalars (no Python objects)."""

    # operations
    op_resource: np.ndarray
    op_start: np.ndarray  # planned start, hours
    op_end: np.ndarray  # planned end, hours
    op_setup: np.ndarray  # planned setup hours
    op_work: np.ndarray  # planned processing work hours (work content - setup)
    op_quantity: np.ndarray
    op_product: np.ndarray
    op_family: np.ndarray  # -1: none
    op_entity: np.ndarray  # uint64
    op_bucket: np.ndarray  # planned bucket (of the planned end); -1 outside the horizon
    op_position: np.ndarray  # position in the resource's planned sequence
    op_day: np.ndarray  # day index of the planned end (holds-through-day)
    pred_ptr: np.ndarray
    pred_idx: np.ndarray
    mat_ptr: np.ndarray
    mat_idx: np.ndarray
    # materials
    mat_entity: np.ndarray
    mat_base: np.ndarray  # planned availability, hours
    mat_late_p: np.ndarray
    mat_late_row: np.ndarray
    mat_reject_p: np.ndarray
    mat_reject_row: np.ndarray
    # resources
    res_entity: np.ndarray
    seq_ptr: np.ndarray
    seq_idx: np.ndarray  # operations per resource in planned sequence
    cal_ptr: np.ndarray
    cal_start: np.ndarray
    cal_end: np.ndarray
    res_tbf_row: np.ndarray
    res_ttr_row: np.ndarray
    res_absence_p: np.ndarray
    res_absence_speed: np.ndarray
    res_shift_hours: np.ndarray
    res_performance_row: np.ndarray
    res_scrap: np.ndarray
    res_setup_row: np.ndarray
    # the article's reliability factors
    rel_cause: np.ndarray
    rel_fail_p: np.ndarray
    # distributions
    dist: np.ndarray  # (rows, ROW)
    pool: np.ndarray
    # execution options
    early_start: bool
    next_ready: bool
    resequence_window: int
    deviation_p: float
    deviation_window: int
    deviation_rule: int  # DeviationRule
    reliability_delay: bool
    reliability_delay_row: int
    # adherence
    n_products: int
    planned: np.ndarray  # (buckets, products) planned units S_i
    planned_total: np.ndarray  # per bucket S
    n_buckets: int
    bucket_hours: float
    n_days: int
    band_of_bucket: np.ndarray
    band_measures: np.ndarray  # (bands, 3) booleans: volume, mix, sequence
    lateness_tolerance: float
    quantity_tolerance: float
    units_sequence: bool
    # shared material drivers (common shocks), drivers x their materials in CSR
    drv_p: np.ndarray
    drv_row: np.ndarray
    drv_entity: np.ndarray
    drv_ptr: np.ndarray
    drv_idx: np.ndarray
    res_driver: np.ndarray  # the absenteeism driver of each resource, -1: none
    op_plan_gap: np.ndarray  # G_0: non-working time the planned setup + work cross from the planned start
    op_due: np.ndarray  # the latest planned arrival of its materials, hours (-inf: none)
    op_changeover: np.ndarray  # setup the matrix requires after its planned predecessor on the resource
    changeover: np.ndarray  # (families, families) setup hours the plan's setup matrix requires
    # uncertain parameters (:mod:`riskengine.simulation.parameters`)
    dist_src: np.ndarray  # (rows, ROW - 1) each row's parameters as written (nominal values)
    par_row: np.ndarray  # row of each uncertain parameter's distribution
    par_entity: np.ndarray  # uint64 FNV-1a of its key
    par_keys: np.ndarray  # its key (name or place in the premises), str
    asg_param: np.ndarray  # assignments: parameter, target, index, column
    asg_target: np.ndarray
    asg_index: np.ndarray
    asg_col: np.ndarray
    replications_per_draw: int
    # customer orders (:mod:`riskengine.simulation.orders`)
    order_due: np.ndarray  # per listed order: due date, hours
    order_planned: np.ndarray  # per listed order: planned completion, hours
    op_order: np.ndarray  # per operation: its listed order, -1: none
    # a forecast's realized state (:class:`~riskengine.simulation.records.Initial`); None: a score
    initial: object = None

    @property
    def uncertain(self) -> bool:
        """Whether any parameter is uncertain (replications are then nested in draws)."""
        return self.asg_param.shape[0] > 0

    @property
    def n_ops(self) -> int:
        return self.op_resource.shape[0]

    @property
    def n_resources(self) -> int:
        return self.res_entity.shape[0]

    @property
    def n_orders(self) -> int:
        return self.order_due.shape[0]

    def arrays(self) -> dict:
        """Fields by name (for passing to a kernel)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _csr(lists: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    ptr = np.zeros(len(lists) + 1, np.int64)
    ptr[1:] = np.cumsum([len(x) for x in lists])
    flat = [i for x in lists for i in x]
    return ptr, np.array(flat, np.int64)


class _Table:
    """The distribution table being compiled, and the uncertain parameters with where they go.

    Row 0 is "none". A number of the premises goes through :meth:`value`: a
    plain number stays itself; an uncertain one is registered (once per key)
    with an assignment (parameter, target, index, column) and compiles to its
    nominal value, the mean of its distribution.
    """

    def __init__(self) -> None:
        self.rows: list[np.ndarray] = [np.full(ROW, -1.0)]
        self.srcs: list[np.ndarray] = [np.zeros(ROW - 1)]
        self.pool: list[float] = []
        self.keys: dict[str, int] = {}
        self.par_rows: list[int] = []
        self.assignments: list[tuple[int, int, int, int]] = []

    def register(self, x: Uncertain) -> int:
        if x.key not in self.keys:
            self.keys[x.key] = len(self.par_rows)
            self.par_rows.append(self.row(x.uncertain))
        return self.keys[x.key]

    def value(self, x, target: Target, index: int, col: int = 0) -> float:
        """A parameter's nominal number; an uncertain one is registered with where it goes."""
        if not isinstance(x, Uncertain):
            return x
        self.assignments.append((self.register(x), target, index, col))
        return x.uncertain.mean()

    def row(self, dist) -> int:
        """The row of a distribution (:data:`NONE` for None)."""
        if dist is None:
            return NONE
        for x in uncertain_numbers(dist):  # their rows first: this row's index is then known
            self.register(x)
        k = len(self.rows)
        encoded, src = encode(dist, self.pool, lambda x, col: self.value(x, Target.DIST, k, col))
        self.rows.append(encoded)
        self.srcs.append(src)
        return k

    def fields(self, replications_per_draw: int) -> dict:
        asg = np.array(self.assignments, np.int64).reshape(-1, 4)
        return dict(dist=np.array(self.rows), pool=np.array(self.pool, np.float64),
                    dist_src=np.array(self.srcs),
                    par_row=np.array(self.par_rows, np.int64), par_entity=entity_ids(list(self.keys)),
                    par_keys=np.array(list(self.keys), dtype=str),
                    asg_param=np.ascontiguousarray(asg[:, 0]), asg_target=np.ascontiguousarray(asg[:, 1]),
                    asg_index=np.ascontiguousarray(asg[:, 2]), asg_col=np.ascontiguousarray(asg[:, 3]),
                    replications_per_draw=replications_per_draw)


def _operations(plan: Plan) -> dict:
    """The operations' fields, their routing and their resources' sequences."""
    ops = plan.operations
    hours = plan.hours
    end = np.array([hours(op.end) for op in ops])
    products = {p: k for k, p in enumerate(dict.fromkeys(op.product for op in ops))}
    families: dict[str | None, int] = {
        f: k for k, f in enumerate(dict.fromkeys(op.family for op in ops if op.family))}
    changeover = np.zeros((len(families), len(families)))
    for a, ka in families.items():
        for b, kb in families.items():
            changeover[ka, kb] = required_setup(plan, a, b)
    n_buckets = max(1, math.ceil(plan.horizon_hours / plan.bucket_hours - 1e-9))
    pred_ptr, pred_idx = _csr([[plan.operation_index[p] for p in op.after] for op in ops])
    seq_ptr, seq_idx = _csr([plan.sequences[r.id] for r in plan.resources])
    return dict(
        op_resource=np.array([plan.resource_index[op.resource] for op in ops], np.int64),
        op_start=np.array([hours(op.start) for op in ops]), op_end=end,
        op_setup=np.array([op.setup_hours for op in ops]),
        op_work=np.array([max(work_content(op) - op.setup_hours, 0.0) for op in ops]),
        op_quantity=np.array([op.quantity for op in ops]),
        op_product=np.array([products[op.product] for op in ops], np.int64),
        op_family=np.array([families.get(op.family, -1) for op in ops], np.int64),
        op_entity=entity_ids([op.id for op in ops]),
        op_bucket=np.array([bucket_of(t, 0.0, plan.bucket_hours, n_buckets) for t in end], np.int64),
        op_position=np.array(plan.planned_positions(), np.int64),
        op_day=np.array([max(0, math.ceil(t / DAY_HOURS - 1e-9) - 1) for t in end], np.int64),
        pred_ptr=pred_ptr, pred_idx=pred_idx, seq_ptr=seq_ptr, seq_idx=seq_idx,
        n_products=len(products), n_buckets=n_buckets, changeover=changeover,
        op_changeover=planned_changeovers(plan))


def planned_changeovers(plan: Plan) -> np.ndarray:
    """Per operation, the setup the plan's matrix requires after the operation planned before it
    on its resource (0 for the first: its previous state is unknown)."""
    out = np.zeros(len(plan.operations))
    for seq in plan.sequences.values():
        for j, i in zip(seq, seq[1:], strict=False):
            out[i] = required_setup(plan, plan.operations[j].family, plan.operations[i].family)
    return out


def _materials(plan: Plan, premises: Premises, op_start: np.ndarray, table: _Table) -> dict:
    """The material lots the operations need (in order of first use) and their risks."""
    ops = plan.operations
    names = list(dict.fromkeys(m for op in ops for m in op.materials))
    index = {m: k for k, m in enumerate(names)}
    mat_ptr, mat_idx = _csr([[index[m] for m in op.materials] for op in ops])
    declared = {m.id: m.available_at for m in plan.materials or []}
    base = np.full(len(names), math.inf)
    for i, op in enumerate(ops):
        for m in op.materials:
            base[index[m]] = min(base[index[m]], op_start[i])
    for m, k in index.items():
        if (at := declared.get(m)) is not None:
            base[k] = plan.hours(at)
    late_p, late_row, reject_p, reject_row = [], [], [], []
    for k, m in enumerate(names):
        risk = premises.materials.get(m)
        late = risk.late if risk else None
        rejected = risk.rejected if risk else None
        late_p.append(table.value(late.probability, Target.MAT_LATE, k) if late else 0.0)
        late_row.append(table.row(late.delay_hours) if late else NONE)
        reject_p.append(table.value(rejected.probability, Target.MAT_REJECT, k) if rejected else 0.0)
        reject_row.append(table.row(rejected.delay_hours) if rejected else NONE)
    due = np.array([max((base[index[m]] for m in op.materials), default=-math.inf) for op in ops])
    return dict(mat_ptr=mat_ptr, mat_idx=mat_idx, mat_entity=entity_ids(names), mat_base=base, op_due=due,
                mat_late_p=np.array(late_p), mat_late_row=np.array(late_row, np.int64),
                mat_reject_p=np.array(reject_p), mat_reject_row=np.array(reject_row, np.int64),
                _material_index=index)


def _calendars(plan: Plan, op_end: np.ndarray) -> dict:
    """Every resource's working intervals (CSR), eight weeks past the horizon or the last end."""
    until = max(plan.horizon_hours, float(op_end.max())) + 8 * 7 * 24.0
    cals = [working_intervals(plan, r.id, until_hours=until) for r in plan.resources]
    cal_ptr = np.zeros(len(cals) + 1, np.int64)
    cal_ptr[1:] = np.cumsum([len(c) for c in cals])
    cal_all = np.concatenate(cals) if cal_ptr[-1] else np.zeros((0, 2))
    return dict(cal_ptr=cal_ptr, cal_start=np.ascontiguousarray(cal_all[:, 0]),
                cal_end=np.ascontiguousarray(cal_all[:, 1]))


def _resources(plan: Plan, premises: Premises, table: _Table) -> dict:
    """Per resource its breakdowns, absenteeism (own or its shared driver's), performance,
    scrap and setup overrun."""
    drivers = list(premises.drivers.items())
    res_driver = np.full(len(plan.resources), -1, np.int64)
    crew_driver: dict[str, AbsenceDriver] = {}
    for k, (_, drv) in enumerate(drivers):
        for rid in getattr(drv, "resources", []):
            res_driver[plan.resource_index[rid]] = k
            crew_driver[rid] = drv  # type: ignore[assignment]  # only an AbsenceDriver names resources
    tbf, ttr, ab_p, ab_speed, shift, perf, scrap, setup_row = ([] for _ in range(8))
    for r, res in enumerate(plan.resources):
        rp = premises.for_resource(res.id)
        tbf.append(table.row(rp.breakdowns.mtbf_hours) if rp.breakdowns else NONE)
        ttr.append(table.row(rp.breakdowns.mttr_hours) if rp.breakdowns else NONE)
        ab = rp.absenteeism
        ab_p.append(table.value(ab.probability, Target.ABSENCE, r) if ab else 0.0)
        shared = crew_driver.get(res.id)  # its effect and shift (equal to the resource's own, if any)
        ab_speed.append((0.0 if ab.effect == "stop" else ab.speed) if ab else
                        (0.0 if shared.effect == "stop" else shared.speed) if shared else 1.0)
        shift.append(ab.shift_hours if ab and ab.shift_hours else
                     shared.shift_hours if shared and shared.shift_hours else plan.bucket_hours)
        perf.append(table.row(rp.performance))
        scrap.append(table.value(rp.scrap_rate, Target.SCRAP, r) or 0.0)
        setup_row.append(table.row(rp.setup_overrun))
    return dict(res_entity=entity_ids([r.id for r in plan.resources]), res_tbf_row=np.array(tbf, np.int64),
                res_ttr_row=np.array(ttr, np.int64), res_absence_p=np.array(ab_p),
                res_absence_speed=np.array(ab_speed), res_shift_hours=np.array(shift, np.float64),
                res_performance_row=np.array(perf, np.int64), res_scrap=np.array(scrap),
                res_setup_row=np.array(setup_row, np.int64), res_driver=res_driver)


def _execution(premises: Premises, table: _Table) -> dict:
    """The reliability factors and the execution options."""
    dev = premises.operator.deviation
    ex = premises.execution
    rel = sorted(premises.reliability.items(), key=lambda kv: Cause.named(kv[0]))
    rel_fail_p = [1.0 - table.value(r, Target.REL_FAIL, k) for k, (_, r) in enumerate(rel)]
    return dict(
        rel_cause=np.array([Cause.named(c) for c, _ in rel], np.int64),
        rel_fail_p=np.array(rel_fail_p, np.float64),
        early_start=ex.early_start, next_ready=ex.on_blocked == "next_ready",
        resequence_window=ex.resequence_window,
        deviation_p=table.value(dev.probability, Target.DEVIATION, 0) if dev else 0.0,
        deviation_window=dev.window if dev else 1,
        deviation_rule=int(DeviationRule.EASIEST_FIRST if dev and dev.rule == "easiest_first"
                           else DeviationRule.SAME_FAMILY),
        reliability_delay=ex.reliability_consequence == "delay",
        reliability_delay_row=table.row(ex.reliability_delay_hours))


def _drivers(premises: Premises, material_index: dict[str, int], table: _Table) -> dict:
    """Shared drivers (common shocks) and, for material drivers, their materials (CSR)."""
    drivers = list(premises.drivers.items())
    drv_p = [table.value(drv.probability, Target.DRIVER, k) for k, (_, drv) in enumerate(drivers)]
    drv_row = [table.row(getattr(drv, "delay_hours", None)) for _, drv in drivers]
    drv_ptr, drv_idx = _csr([[material_index[m] for m in dict.fromkeys(getattr(drv, "materials", []))
                              if m in material_index] for _, drv in drivers])
    return dict(drv_p=np.array(drv_p, np.float64), drv_row=np.array(drv_row, np.int64),
                drv_entity=entity_ids([name for name, _ in drivers]), drv_ptr=drv_ptr, drv_idx=drv_idx)


def _adherence(plan: Plan, premises: Premises, ops: dict) -> dict:
    """The plan's units per bucket and product, the bands of the buckets and the rules."""
    n_buckets = ops["n_buckets"]
    rules = premises.rules()
    band_of_bucket = []
    for b in range(n_buckets):
        lead = b * plan.bucket_hours - plan.hours(plan.published_at)
        band_of_bucket.append(next(k for k, band in enumerate(rules.bands)
                                   if band.until_hours is None or lead < band.until_hours))
    planned = np.zeros((n_buckets, ops["n_products"]))
    for i in range(ops["op_bucket"].shape[0]):
        if ops["op_bucket"][i] >= 0:
            planned[ops["op_bucket"][i], ops["op_product"][i]] += ops["op_quantity"][i]
    return dict(planned=planned, planned_total=planned.sum(axis=1), bucket_hours=plan.bucket_hours,
                n_days=max(1, math.ceil(plan.horizon_hours / DAY_HOURS - 1e-9)),
                band_of_bucket=np.array(band_of_bucket, np.int64),
                band_measures=np.array([[m in band.measures for m in ("volume", "mix", "sequence")]
                                        for band in rules.bands]),
                lateness_tolerance=rules.lateness_tolerance_hours,
                quantity_tolerance=rules.quantity_tolerance,
                units_sequence=rules.sequence_basis == "units")


def _orders(plan: Plan) -> dict:
    """The listed orders' due dates and each operation's order (-1: none listed)."""
    op_order = np.full(len(plan.operations), -1, np.int64)
    planned = []
    for o, members in enumerate(order_members(plan)):
        op_order[members] = o
        planned.append(max(plan.hours(plan.operations[i].end) for i in members))
    return dict(order_due=np.array([plan.hours(o.due) for o in plan.orders or []], np.float64),
                order_planned=np.array(planned, np.float64), op_order=op_order)


def compile_model(plan: Plan, premises: Premises) -> Compiled:
    """Flatten ``plan`` and ``premises`` (already validated against each other)."""
    table = _Table()
    ops = _operations(plan)
    materials = _materials(plan, premises, ops["op_start"], table)
    material_index = materials.pop("_material_index")
    resources = _resources(plan, premises, table)
    execution = _execution(premises, table)
    drivers = _drivers(premises, material_index, table)
    calendars = _calendars(plan, ops["op_end"])
    plan_gap = mech.planned_gaps(ops["op_resource"], ops["op_start"], ops["op_setup"], ops["op_work"],
                                 calendars["cal_ptr"], calendars["cal_start"], calendars["cal_end"])
    return Compiled(**ops, **materials, **resources, **calendars, **execution, **drivers,
                    **_adherence(plan, premises, ops), op_plan_gap=plan_gap,
                    **table.fields(premises.uncertainty.replications_per_draw), **_orders(plan))
