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
from riskengine.model.common import CAUSES
from riskengine.model.distributions import Uncertain
from riskengine.model.plan import Plan
from riskengine.model.premises import Premises, uncertain_numbers
from riskengine.simulation import mechanics as mech
from riskengine.simulation import parameters as par
from riskengine.simulation.rng import entity_ids
from riskengine.simulation.sampling import ROW, encode

CAUSE = {name: k for k, name in enumerate(CAUSES)}
NONE = 0  # the "no distribution" row of the table
RULE_SAME_FAMILY, RULE_EASIEST_FIRST = 0, 1
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
    deviation_rule: int
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

    def arrays(self) -> dict:
        """Fields by name (for passing to a kernel)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _csr(lists: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    ptr = np.zeros(len(lists) + 1, np.int64)
    ptr[1:] = np.cumsum([len(x) for x in lists])
    flat = [i for x in lists for i in x]
    return ptr, np.array(flat, np.int64)


def compile_model(plan: Plan, premises: Premises) -> Compiled:
    """Flatten ``plan`` and ``premises`` (already validated against each other)."""
    ops = plan.operations
    index = plan.operation_index
    res_ids = [r.id for r in plan.resources]
    rindex = plan.resource_index
    rows: list[np.ndarray] = [np.full(ROW, -1.0)]
    srcs: list[np.ndarray] = [np.zeros(ROW - 1)]
    pool: list[float] = []
    keys: dict[str, int] = {}
    par_rows: list[int] = []
    assignments: list[tuple[int, int, int, int]] = []

    def register(x: Uncertain) -> int:
        if x.key not in keys:
            keys[x.key] = len(par_rows)
            par_rows.append(row(x.uncertain))
        return keys[x.key]

    def value(x, target: int, index: int, col: int = 0) -> float:
        """A parameter's nominal number; an uncertain one is registered with where it goes."""
        if not isinstance(x, Uncertain):
            return x
        assignments.append((register(x), target, index, col))
        return x.uncertain.mean()

    def row(dist) -> int:
        if dist is None:
            return NONE
        for x in uncertain_numbers(dist):  # their rows first: this row's index is then known
            register(x)
        k = len(rows)
        encoded, src = encode(dist, pool, lambda x, col: value(x, par.T_DIST, k, col))
        rows.append(encoded)
        srcs.append(src)
        return k

    hours = plan.hours
    start = np.array([hours(op.start) for op in ops])
    end = np.array([hours(op.end) for op in ops])
    setup = np.array([op.setup_hours for op in ops])
    work = np.array([max(work_content(op) - op.setup_hours, 0.0) for op in ops])
    products = {p: k for k, p in enumerate(dict.fromkeys(op.product for op in ops))}
    families = {f: k for k, f in enumerate(dict.fromkeys(op.family for op in ops if op.family))}
    n_buckets = max(1, math.ceil(plan.horizon_hours / plan.bucket_hours - 1e-9))
    bucket = np.array([bucket_of(t, 0.0, plan.bucket_hours, n_buckets) for t in end], np.int64)
    day = np.array([max(0, math.ceil(t / DAY_HOURS - 1e-9) - 1) for t in end], np.int64)

    pred_ptr, pred_idx = _csr([[index[p] for p in op.after] for op in ops])
    mat_names = list(dict.fromkeys(m for op in ops for m in op.materials))
    mindex = {m: k for k, m in enumerate(mat_names)}
    mat_ptr, mat_idx = _csr([[mindex[m] for m in op.materials] for op in ops])
    declared = {m.id: m.available_at for m in plan.materials or []}
    mat_base = np.full(len(mat_names), math.inf)
    for i, op in enumerate(ops):
        for m in op.materials:
            mat_base[mindex[m]] = min(mat_base[mindex[m]], start[i])
    for m, k in mindex.items():
        if declared.get(m) is not None:
            mat_base[k] = hours(declared[m])
    mat_late_p, mat_late_row, mat_reject_p, mat_reject_row = [], [], [], []
    for m in mat_names:
        risk = premises.materials.get(m)
        late = risk.late if risk else None
        rejected = risk.rejected if risk else None
        m_index = len(mat_late_p)
        mat_late_p.append(value(late.probability, par.T_MAT_LATE, m_index) if late else 0.0)
        mat_late_row.append(row(late.delay_hours) if late else NONE)
        mat_reject_p.append(value(rejected.probability, par.T_MAT_REJECT, m_index) if rejected else 0.0)
        mat_reject_row.append(row(rejected.delay_hours) if rejected else NONE)

    seq_ptr, seq_idx = _csr([plan.sequences[r] for r in res_ids])
    position = np.array(plan.planned_positions(), np.int64)
    until = max(plan.horizon_hours, float(end.max())) + 8 * 7 * 24.0
    cals = [working_intervals(plan, r, until_hours=until) for r in res_ids]
    cal_ptr = np.zeros(len(cals) + 1, np.int64)
    cal_ptr[1:] = np.cumsum([len(c) for c in cals])
    cal_all = np.concatenate(cals) if cal_ptr[-1] else np.zeros((0, 2))

    drivers = list(premises.drivers.items())
    res_driver = np.full(len(res_ids), -1, np.int64)
    crew_driver = {}
    for k, (_, drv) in enumerate(drivers):
        for rid in getattr(drv, "resources", []):
            res_driver[rindex[rid]] = k
            crew_driver[rid] = drv
    tbf, ttr, ab_p, ab_speed, shift, perf, scrap, setup_row = ([] for _ in range(8))
    for r_index, r in enumerate(res_ids):
        rp = premises.for_resource(r)
        tbf.append(row(rp.breakdowns.mtbf_hours) if rp.breakdowns else NONE)
        ttr.append(row(rp.breakdowns.mttr_hours) if rp.breakdowns else NONE)
        ab = rp.absenteeism
        ab_p.append(value(ab.probability, par.T_ABSENCE, r_index) if ab else 0.0)
        shared = crew_driver.get(r)  # its effect and shift (equal to the resource's own, if any)
        ab_speed.append((0.0 if ab.effect == "stop" else ab.speed) if ab else
                        (0.0 if shared.effect == "stop" else shared.speed) if shared else 1.0)
        shift.append(ab.shift_hours if ab and ab.shift_hours else
                     shared.shift_hours if shared and shared.shift_hours else plan.bucket_hours)
        perf.append(row(rp.performance))
        scrap.append(value(rp.scrap_rate, par.T_SCRAP, r_index) or 0.0)
        setup_row.append(row(rp.setup_overrun))

    dev = premises.operator.deviation
    ex = premises.execution
    rules = premises.rules()
    bands = rules.bands
    band_of_bucket = []
    for b in range(n_buckets):
        lead = b * plan.bucket_hours - hours(plan.published_at)
        band_of_bucket.append(next(k for k, band in enumerate(bands)
                                   if band.until_hours is None or lead < band.until_hours))
    measures = np.array([[m in band.measures for m in ("volume", "mix", "sequence")] for band in bands])
    planned = np.zeros((n_buckets, len(products)))
    for i, op in enumerate(ops):
        if bucket[i] >= 0:
            planned[bucket[i], products[op.product]] += op.quantity
    rel = sorted(premises.reliability.items(), key=lambda kv: CAUSE[kv[0]])
    rel_fail_p = [1.0 - value(r, par.T_REL_FAIL, k) for k, (_, r) in enumerate(rel)]
    deviation_p = value(dev.probability, par.T_DEVIATION, 0) if dev else 0.0
    reliability_delay_row = row(ex.reliability_delay_hours)
    drv_p = [value(drv.probability, par.T_DRIVER, k) for k, (_, drv) in enumerate(drivers)]
    drv_row = [row(getattr(drv, "delay_hours", None)) for _, drv in drivers]
    drv_ptr, drv_idx = _csr([[mindex[m] for m in dict.fromkeys(getattr(drv, "materials", [])) if m in mindex]
                             for _, drv in drivers])
    asg = np.array(assignments, np.int64).reshape(-1, 4)
    op_resource = np.array([rindex[op.resource] for op in ops], np.int64)
    cal_start = np.ascontiguousarray(cal_all[:, 0])
    cal_end = np.ascontiguousarray(cal_all[:, 1])
    return Compiled(
        op_resource=op_resource,
        op_start=start, op_end=end, op_setup=setup, op_work=work,
        op_quantity=np.array([op.quantity for op in ops]),
        op_product=np.array([products[op.product] for op in ops], np.int64),
        op_family=np.array([families.get(op.family, -1) for op in ops], np.int64),
        op_entity=entity_ids([op.id for op in ops]),
        op_bucket=bucket, op_position=position, op_day=day,
        pred_ptr=pred_ptr, pred_idx=pred_idx, mat_ptr=mat_ptr, mat_idx=mat_idx,
        mat_entity=entity_ids(mat_names), mat_base=mat_base,
        mat_late_p=np.array(mat_late_p), mat_late_row=np.array(mat_late_row, np.int64),
        mat_reject_p=np.array(mat_reject_p), mat_reject_row=np.array(mat_reject_row, np.int64),
        res_entity=entity_ids(res_ids), seq_ptr=seq_ptr, seq_idx=seq_idx,
        cal_ptr=cal_ptr, cal_start=cal_start, cal_end=cal_end,
        res_tbf_row=np.array(tbf, np.int64), res_ttr_row=np.array(ttr, np.int64),
        res_absence_p=np.array(ab_p), res_absence_speed=np.array(ab_speed),
        res_shift_hours=np.array(shift, np.float64), res_performance_row=np.array(perf, np.int64),
        res_scrap=np.array(scrap), res_setup_row=np.array(setup_row, np.int64),
        rel_cause=np.array([CAUSE[c] for c, _ in rel], np.int64),
        rel_fail_p=np.array(rel_fail_p, np.float64),
        dist=np.array(rows), pool=np.array(pool, np.float64),
        early_start=ex.early_start, next_ready=ex.on_blocked == "next_ready",
        resequence_window=ex.resequence_window,
        deviation_p=deviation_p, deviation_window=dev.window if dev else 1,
        deviation_rule=RULE_EASIEST_FIRST if dev and dev.rule == "easiest_first" else RULE_SAME_FAMILY,
        reliability_delay=ex.reliability_consequence == "delay",
        reliability_delay_row=reliability_delay_row,
        n_products=len(products), planned=planned, planned_total=planned.sum(axis=1),
        n_buckets=n_buckets, bucket_hours=plan.bucket_hours,
        n_days=max(1, math.ceil(plan.horizon_hours / DAY_HOURS - 1e-9)),
        band_of_bucket=np.array(band_of_bucket, np.int64), band_measures=measures,
        lateness_tolerance=rules.lateness_tolerance_hours,
        quantity_tolerance=rules.quantity_tolerance,
        units_sequence=rules.sequence_basis == "units",
        drv_p=np.array(drv_p, np.float64), drv_row=np.array(drv_row, np.int64),
        drv_entity=entity_ids([name for name, _ in drivers]), drv_ptr=drv_ptr, drv_idx=drv_idx,
        res_driver=res_driver,
        op_plan_gap=mech.planned_gaps(op_resource, start, setup, work, cal_ptr, cal_start, cal_end),
        dist_src=np.array(srcs), par_row=np.array(par_rows, np.int64),
        par_entity=entity_ids(list(keys)), par_keys=np.array(list(keys), dtype=str),
        asg_param=np.ascontiguousarray(asg[:, 0]), asg_target=np.ascontiguousarray(asg[:, 1]),
        asg_index=np.ascontiguousarray(asg[:, 2]), asg_col=np.ascontiguousarray(asg[:, 3]),
        replications_per_draw=premises.uncertainty.replications_per_draw,
    )
