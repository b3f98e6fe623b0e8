"""What crosses the numba boundary: named records of arrays, one per entity.

:func:`~riskengine.simulation.compile.compile_model` flattens a plan and its
premises into :class:`~riskengine.simulation.compile.Compiled` (flat fields:
the contract plugins change, :mod:`riskengine.plugins`). The engines read it
through the records below, built by :func:`model_of`: ``NamedTuple``\\ s of
numpy arrays and scalars, which numba passes to compiled functions as
ordinary tuples (cached like any argument, without numba's runtime: nothing
is reference counted on the hot path) and which Python code reads by the same
names. So the kernel takes ``replicate(seed, rep, model, scrap, scratch,
out)`` and the SimPy reference reads ``model.ops.start[i]`` where the kernel
does.

Adding a premise array: a field of :class:`Compiled` (filled by the compiler),
a field of the record of its entity here and its line in :func:`model_of`;
every function that receives the record sees it.

Indices: operations ``i`` in plan order, resources ``r``, materials ``m``,
drivers ``d``. Ragged lists are CSR pairs (``ptr`` of length n + 1 and an index
array: the items of row k are ``idx[ptr[k]:ptr[k + 1]]``). Times are hours
from the plan's horizon start. Distributions are rows of one table
(:mod:`riskengine.simulation.sampling`; row 0: none).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from riskengine.adherence.arrays import N_COUNTS
from riskengine.simulation.codes import N_ACCOUNT, N_CAUSES, Stream


class Operations(NamedTuple):
    """Per operation i."""

    resource: np.ndarray  # its resource r
    start: np.ndarray  # planned start, h
    end: np.ndarray  # planned end, h
    setup: np.ndarray  # planned setup, h
    work: np.ndarray  # planned processing work, h (work content - setup)
    quantity: np.ndarray  # planned units
    family: np.ndarray  # setup family, -1: none
    entity: np.ndarray  # uint64 FNV-1a of its id: its random numbers follow its name
    plan_gap: np.ndarray  # G_0: non-working time its planned setup + work cross from the planned start
    product: np.ndarray  # product index
    bucket: np.ndarray  # bucket of the planned end, -1: outside the horizon (not judged)
    position: np.ndarray  # position in its resource's planned sequence
    day: np.ndarray  # day of the planned end (holds-through-day)
    due: np.ndarray  # latest planned arrival of its materials, h (-inf: none): a wait for it is planning
    changeover: np.ndarray  # setup the matrix requires after its planned predecessor (less planned: planning)


class Changeovers(NamedTuple):
    """The plan's setup matrix by family index (docs/design.md section 3: setups executed)."""

    hours: np.ndarray  # (families, families): setup hours required from family a to family b


class Graph(NamedTuple):
    """Who waits for what, as CSR pairs."""

    pred_ptr: np.ndarray  # routing predecessors of each operation
    pred_idx: np.ndarray
    mat_ptr: np.ndarray  # materials each operation needs
    mat_idx: np.ndarray
    seq_ptr: np.ndarray  # each resource's operations in planned sequence
    seq_idx: np.ndarray
    succ_ptr: np.ndarray  # routing successors of each operation (the predecessors turned round)
    succ_idx: np.ndarray


def successors(pred_ptr: np.ndarray, pred_idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The CSR of each operation's routing successors from that of its predecessors."""
    n = pred_ptr.shape[0] - 1
    edge_op = np.repeat(np.arange(n, dtype=np.int64), np.diff(pred_ptr))  # the operation of each edge
    order = np.argsort(pred_idx, kind="stable")
    ptr = np.zeros(n + 1, np.int64)
    ptr[1:] = np.cumsum(np.bincount(pred_idx, minlength=n)[:n])
    return ptr, edge_op[order].astype(np.int64)


class Materials(NamedTuple):
    """Per material lot m."""

    entity: np.ndarray  # uint64 FNV-1a of its id
    base: np.ndarray  # planned availability, h
    late_p: np.ndarray  # probability that it is late
    late_row: np.ndarray  # distribution of the delay when late
    reject_p: np.ndarray  # probability that it is rejected
    reject_row: np.ndarray  # distribution of the delay when rejected


class Resources(NamedTuple):
    """Per resource r."""

    entity: np.ndarray  # uint64 FNV-1a of its id
    tbf_row: np.ndarray  # processing work between failures (0: never fails)
    ttr_row: np.ndarray  # time to repair
    absence_p: np.ndarray  # probability that its crew is absent in a shift
    absence_speed: np.ndarray  # its speed in an absent shift (0: it stops)
    shift_hours: np.ndarray  # length of its absenteeism shifts
    performance_row: np.ndarray  # performance factor (work = planned / factor), 0: none
    scrap: np.ndarray  # scrap rate (binomial per unit)
    setup_row: np.ndarray  # setup overrun factor (setup = planned x factor), 0: none
    driver: np.ndarray  # its shared absenteeism driver d, -1: none


class Calendars(NamedTuple):
    """Working intervals ``[start[k], end[k])`` of resource r for k in ``ptr[r] .. ptr[r + 1] - 1``."""

    ptr: np.ndarray
    start: np.ndarray
    end: np.ndarray


class Drivers(NamedTuple):
    """Per shared driver d (common shocks, :class:`riskengine.model.premises.MaterialDriver`)."""

    p: np.ndarray  # probability that it occurs (per replication; per shift for absenteeism)
    row: np.ndarray  # distribution of its delay (material drivers)
    entity: np.ndarray  # uint64 FNV-1a of its name
    ptr: np.ndarray  # its materials (CSR)
    idx: np.ndarray


class Factors(NamedTuple):
    """The article's reliability factors f, in premises order."""

    cause: np.ndarray  # the cause code of a failure of factor f
    fail_p: np.ndarray  # its probability of failing per operation (1 - reliability)


class Distributions(NamedTuple):
    """Every distribution of the premises as a row of one table."""

    table: np.ndarray  # (rows, ROW): sampler code and four parameters; row 0: none
    pool: np.ndarray  # the values of empirical distributions


class Options(NamedTuple):
    """How the shop floor executes (``execution`` and ``operator`` of the premises)."""

    early_start: bool  # an operation may start before its planned start
    next_ready: bool  # a blocked head is passed over for the next ready operation
    resequence_window: int  # ... among this many pending operations
    deviation_p: np.ndarray  # (1,) operator deviation per decision (an array: a parameter draw sets it)
    deviation_window: int  # the operator picks among this many pending operations
    deviation_rule: int  # :class:`~riskengine.simulation.codes.DeviationRule`
    reliability_delay: bool  # a failed reliability factor delays (True) or misses (False)
    reliability_delay_row: int  # the delay's distribution


class Adherence(NamedTuple):
    """What a replication is judged against (docs/design.md section 2)."""

    planned: np.ndarray  # (buckets, products) planned units S_i
    planned_total: np.ndarray  # per bucket, S
    bucket_hours: float
    n_days: int  # days of the holds-through-day curve
    band_of_bucket: np.ndarray  # horizon band of each bucket
    band_measures: np.ndarray  # (bands, 3) booleans: volume, mix, sequence demanded
    lateness_tolerance: float  # hours after the bucket's end that still count as on time
    quantity_tolerance: float  # share of the planned units that counts as complete
    units_sequence: bool  # sequence counted in units (True) or orders
    horizon: float  # end of the last bucket, h


class Orders(NamedTuple):
    """Customer orders o (the plan's ``orders``, :mod:`riskengine.simulation.orders`)."""

    due: np.ndarray  # per order: due date, h
    planned: np.ndarray  # per order: planned completion (latest planned end of its operations), h
    of_op: np.ndarray  # per operation: its listed order o, -1: none


class Initial(NamedTuple):
    """The realized state a forecast starts from at the as-of time T (docs/design.md section 3,
    forecast; built by :mod:`riskengine.live.state`). Empty for a score (``active`` False,
    zero-length arrays that nothing reads), so a forecast from an empty state is a score."""

    active: bool  # a forecast: the fields below are read
    as_of: float  # T, h: nothing before it is simulated
    n_started: int  # operations started before T (done or in progress)
    closed: int  # buckets 0 .. closed - 1 ended by T: their counts are realized
    miss_day: int  # day of the first realized miss of an operation the model does not hold, -1: none
    # per operation
    state: np.ndarray  # int64: PENDING, DONE (realized), RUNNING (in progress at T)
    start: np.ndarray  # realized start, h
    end: np.ndarray  # realized end of a done operation, h (inf: not executed)
    good: np.ndarray  # realized good units of a done operation
    cause: np.ndarray  # recorded cause code (done: of its deviation; running: of its late start), -1: none
    done_work: np.ndarray  # running: hours of setup + processing done by T
    lost_repair: np.ndarray  # running: clock hours between its start and T lost to repairs
    lost_absence: np.ndarray  # running: ... lost to absent crews (the rest not worked: calendar gaps)
    changeover: np.ndarray  # running: setup the matrix requires after what its resource ran before it, h
    settled: np.ndarray  # bool: judged by the realized measurement, neutral in a replication
    order: np.ndarray  # the started operations in actual start order (the first n_started)
    # per resource
    free: np.ndarray  # when it may work again: T, or the end of a known absence
    down_since: np.ndarray  # failure time of a repair in progress at T (nan: not down)
    previous: np.ndarray  # its last operation started before T, -1: none
    decisions: np.ndarray  # operations it started before T (its next decision's index)
    known_shifts: np.ndarray  # its absenteeism shifts before this index are known (present unless absent)
    # per material
    arrival: np.ndarray  # known arrival of the lot, h (nan: drawn as in a score)
    # per bucket and product
    counts: np.ndarray  # (closed, N_COUNTS) realized counts of the closed buckets
    extra: np.ndarray  # (products + 1,) units of the as-of bucket completed before T by records the
    # replication does not hold (no operation of the executed plan); last: products it does not make


class Model(NamedTuple):
    """Everything one replication reads and never writes (except parameter draws, see
    :mod:`riskengine.simulation.parameters`)."""

    ops: Operations
    graph: Graph
    materials: Materials
    resources: Resources
    calendars: Calendars
    drivers: Drivers
    factors: Factors
    dists: Distributions
    options: Options
    adherence: Adherence
    changeovers: Changeovers
    orders: Orders
    initial: Initial  # a forecast's realized state (empty: a score)


class ScrapTables(NamedTuple):
    """Per operation, its scrap binomial prepared once (:func:`riskengine.simulation.draws.scrap_tables`)."""

    start: np.ndarray  # P(X = 0) of the inversion (:func:`~riskengine.simulation.sampling.binomial_start`)
    k0: np.ndarray  # first count of its table
    ptr: np.ndarray  # where its table starts in ``cdf`` and ``guide``
    length: np.ndarray  # its table's length, -1: no table (inverted by the loop)
    cdf: np.ndarray  # all tables of cumulative probabilities
    guide: np.ndarray  # their guide tables


class Outputs(NamedTuple):
    """One replication's results per operation i (what both engines produce)."""

    start: np.ndarray  # actual start, h (inf: not started)
    end: np.ndarray  # actual end, h (inf: not executed)
    good: np.ndarray  # good units
    delay_cause: np.ndarray  # root cause of its delay past the planned end, -1: none
    moved_cause: np.ndarray  # cause of its move out of the planned sequence, -1: none
    factor_cause: np.ndarray  # cause of its failed reliability factor, -1: none
    order: np.ndarray  # operations in the order they were started (the first n_started)
    origin: np.ndarray  # the operation where its delay began (itself if its own)


class Scratch(NamedTuple):
    """The kernel's work arrays for one replication (allocated once per chunk, :func:`scratch`)."""

    keys: np.ndarray  # (streams,) uint64 key of each random stream in this replication
    arrival: np.ndarray  # per material: arrival of the lot, h
    # per operation
    removed: np.ndarray  # taken off its resource's pending list
    committed: np.ndarray  # started (its end is known)
    displaced: np.ndarray  # cause of being passed over by a move, -1: none
    mat_ready: np.ndarray  # when its last material arrived
    deviate: np.ndarray  # the uniform of each resource's d-th decision (at seq_ptr[r] + d)
    setup_factor: np.ndarray  # setup overrun factor (setup = max(planned, required by the matrix) x factor)
    actual_work: np.ndarray  # processing work, h (planned / performance)
    actual_units: np.ndarray  # units produced good (planned - scrap)
    setup_key: np.ndarray  # batch draws of the setup overrun: variate key, uniform, normal quantile
    setup_u: np.ndarray
    setup_z: np.ndarray
    work_key: np.ndarray  # ... of the performance factor
    work_u: np.ndarray
    work_z: np.ndarray
    scrap_u: np.ndarray  # the uniform of the scrap binomial
    # per resource
    res_t: np.ndarray  # when it is free
    res_decision: np.ndarray  # decisions taken
    res_last_family: np.ndarray  # family of the last operation run, -1: none
    res_previous: np.ndarray  # the last operation run, -1: none
    res_waiting: np.ndarray  # the operation it waits to start (a predecessor is not started), -1
    res_head: np.ndarray  # first pending position in seq_idx
    res_cal: np.ndarray  # first working interval that may still matter
    res_clock: np.ndarray  # (resources, 2) failure clock: work until the next failure, its index
    res_keys: np.ndarray  # (resources, 5) uint64 keys: failure, repair, absence, deviation, driver
    # the event heap of (time, resource)
    heap_t: np.ndarray
    heap_r: np.ndarray
    # the operation being executed
    account: np.ndarray  # time accounting (:class:`~riskengine.simulation.codes.Account`)
    delay: np.ndarray  # hours of delay per cause
    # a forecast: until when each resource was held at T (repair, absence) and why (-1: not held)
    res_hold: np.ndarray
    res_hold_cause: np.ndarray


def model_of(c) -> Model:
    """The records of a :class:`~riskengine.simulation.compile.Compiled` (its arrays, not copies)."""
    ops = Operations(c.op_resource, c.op_start, c.op_end, c.op_setup, c.op_work, c.op_quantity, c.op_family,
                     c.op_entity, c.op_plan_gap, c.op_product, c.op_bucket, c.op_position, c.op_day, c.op_due,
                     c.op_changeover)
    graph = Graph(c.pred_ptr, c.pred_idx, c.mat_ptr, c.mat_idx, c.seq_ptr, c.seq_idx,
                  *successors(c.pred_ptr, c.pred_idx))
    materials = Materials(c.mat_entity, c.mat_base, c.mat_late_p, c.mat_late_row, c.mat_reject_p,
                          c.mat_reject_row)
    resources = Resources(c.res_entity, c.res_tbf_row, c.res_ttr_row, c.res_absence_p, c.res_absence_speed,
                          c.res_shift_hours, c.res_performance_row, c.res_scrap, c.res_setup_row,
                          c.res_driver)
    options = Options(bool(c.early_start), bool(c.next_ready), int(c.resequence_window),
                      np.array([c.deviation_p], np.float64), int(c.deviation_window), int(c.deviation_rule),
                      bool(c.reliability_delay), int(c.reliability_delay_row))
    adherence = Adherence(c.planned, c.planned_total, float(c.bucket_hours), int(c.n_days), c.band_of_bucket,
                          c.band_measures, float(c.lateness_tolerance), float(c.quantity_tolerance),
                          bool(c.units_sequence), float(c.n_buckets * c.bucket_hours))
    initial = getattr(c, "initial", None)
    return Model(ops, graph, materials, resources, Calendars(c.cal_ptr, c.cal_start, c.cal_end),
                 Drivers(c.drv_p, c.drv_row, c.drv_entity, c.drv_ptr, c.drv_idx),
                 Factors(c.rel_cause, c.rel_fail_p), Distributions(c.dist, c.pool), options, adherence,
                 Changeovers(c.changeover), Orders(c.order_due, c.order_planned, c.op_order),
                 initial if initial is not None else EMPTY_INITIAL)


def _empty_initial() -> Initial:
    """The state of a score: nothing realized (zero-length arrays of the record's types)."""
    f, i = np.zeros(0), np.zeros(0, np.int64)
    return Initial(False, 0.0, 0, 0, -1, i, f, f, f, i, f, f, f, f, np.zeros(0, np.bool_), i, f, f, i, i, i,
                   f, np.zeros((0, N_COUNTS)), f)


EMPTY_INITIAL = _empty_initial()


def outputs(n: int) -> Outputs:
    """Fresh :class:`Outputs` for ``n`` operations (nothing started)."""
    return Outputs(np.full(n, np.inf), np.full(n, np.inf), np.zeros(n), np.full(n, -1, np.int64),
                   np.full(n, -1, np.int64), np.full(n, -1, np.int64), np.full(n, -1, np.int64),
                   np.arange(n, dtype=np.int64))


def scratch(n: int, n_res: int, n_mat: int) -> Scratch:
    """The work arrays of :func:`riskengine.simulation.kernel.replicate` (allocate once, reuse)."""
    def ops(dtype=np.float64):
        return np.zeros(n, dtype)

    def res(dtype=np.int64):
        return np.zeros(n_res, dtype)

    heap = 2 * n_res + 1
    return Scratch(
        np.zeros(len(Stream) + 1, np.uint64), np.zeros(n_mat),
        ops(np.bool_), ops(np.bool_), ops(np.int64), ops(), ops(), ops(), ops(), ops(),
        ops(np.uint64), ops(), ops(), ops(np.uint64), ops(), ops(), ops(),
        res(np.float64), res(), res(), res(), res(), res(), res(), np.zeros((n_res, 2)),
        np.zeros((n_res, 5), np.uint64), np.zeros(heap), np.zeros(heap, np.int64),
        np.zeros(N_ACCOUNT), np.zeros(N_CAUSES), np.full(n_res, -np.inf), np.full(n_res, -1, np.int64))

