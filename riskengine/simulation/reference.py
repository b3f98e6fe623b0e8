"""The reference simulator: the execution semantics of docs/design.md section 3 as a SimPy model.

This is the readable specification; the numba kernel must give the same
per-replication results for the same seed. Both read the model's records
(:mod:`riskengine.simulation.records`) by the same names, and each step of
the kernel is a function named after the method here that specifies it
(:mod:`riskengine.simulation.kernel` lists them). One SimPy process per resource:

1. When the resource is free at time ``t`` it *decides* its next operation
   among the pending ones (planned sequence order):

   - the operator deviates with probability ``deviation_p`` (one uniform per
     decision): among the next ``window`` pending operations that are *ready*
     (routing predecessors finished and materials arrived by ``t``) they take
     the first of the same family as the last one run (``same_family``) or the
     one with the least work (``easiest_first``); cause ``operational``;
   - otherwise, with ``on_blocked = next_ready``, if the head's material has
     not arrived by the time it could start, the first ready operation among
     the next ``resequence_window`` is run instead; cause ``local-decision``;
   - otherwise the head of the queue.

   The operation taken starts no earlier than its *slot*: the head's planned
   start (or ``t`` with early start), so a moved operation takes the head's
   place in time.

2. If a routing predecessor of the chosen operation has not been started yet
   (its end is unknown), the resource waits until one is, then decides again.
   Otherwise it *commits*: the operation leaves the pending list, and the
   operations passed over keep the cause of the move.

3. The start is the latest of: the resource free, the planned start (unless
   early start), the predecessors' ends, the materials' arrival, and a
   reliability factor's hold (below); then the next working instant
   (calendar, absent shift: the crew's own absence or its shared absenteeism
   driver's). Setup and processing work (planned / performance factor, with
   breakdowns) follow, by :mod:`riskengine.simulation.mechanics`. The setup
   is the plan's or the changeover the plan's setup matrix requires from the
   family the resource actually ran last, whichever is longer, times the
   overrun draw: a plan that leaves out a changeover is executed with it.
   Good quantity = planned minus binomial scrap.

Whatever the plan says, execution meets the real constraints: one operation at
a time per resource (overlapping operations run one after the other), the
calendar, the materials' arrival and the setup matrix. The delay they cause
beyond the plan's own promise is ``planning`` (a plan that is not executable
is a planning error, not an execution one).

Reliability factors (the article's model, ``reliability`` of the premises):
each operation's factors are drawn up front; the first that fails (in
taxonomy order) has a realized effect, so that the record shows the MISS and
``measure`` judges it as the kernel does. With consequence ``miss`` (the
default) the failure costs the operation its bucket: a failed ``quality``
factor scraps the lot's units down to the largest whole number below the
quantity tolerance (the operation is short, or without a good unit); any
other factor holds the start until the operation's deadline, its planned
bucket's end plus the lateness tolerance (material: a replacement lot
arrives then; machine: the repair ends then; operator: the crew arrives
then; setup: the tooling of the changeover is ready then; ...), so it ends
late. Each failure is then a MISS with the factor's cause, and P(all n
operations hit) = r^n holds for the plan. With consequence ``delay`` every
factor holds the start by a draw of ``reliability_delay_hours`` instead, and
is a MISS only when that delay makes it one. Operations planned outside the
horizon (not judged) are not held.

The root cause of an operation's delay (for inheritance) is the largest of
its delay components (ties to the earlier cause of the taxonomy). The start
delay is split in three (:func:`riskengine.simulation.outcome.start_delay`):
the binding part, up to the latest of the constraints above, with the cause
of the binding one (the predecessor's or the previous operation's own root
cause, ``material``, the reliability factor, ``planning`` for an
inconsistent plan); the non-working time after it (the binding cause when
the operation was pushed there, else ``planning``); and absent shifts
(``absenteeism``). Then the overruns of execution: setup (actual minus
planned, ``setup``), processing work (``performance``), repairs
(``breakdown``) and clock time lost in absent or slow shifts
(``absenteeism``).

Non-working time crossed during setup and processing
(:func:`riskengine.simulation.outcome.execution_gap`): let ``G`` be the gap
the execution crossed, ``G_w`` the gap the plan's window holds (window minus
planned setup and work) and ``G_0`` the gap the planned setup and work cross
when run undisturbed from the planned start on the resource's calendar
(:func:`riskengine.simulation.mechanics.planned_gap_crossed`, computed once
per plan: ``ops.plan_gap``). ``G_0 - G_w``
is the plan's own error (a window too short for its work across a break):
``planning``. The rest, ``X = G - G_0``, is the non-working time the
disruptions pushed the work into: when ``X > 0`` it is shared by the causes
with a positive delay so far (start delay and execution overruns), in
proportion to their hours, so a repair that pushes an operation over a
weekend makes the weekend ``breakdown``; with no positive delay, or when
``X <= 0`` (less crossed than the plan's work would, e.g. a start after the
break), it goes to ``planning``. The charges add up to ``G - G_w``.

Each operation also records the *origin* of its delay: the operation where
it began. An operation whose delay continues the one it inherited from a
predecessor or from the previous operation on its resource
(:func:`riskengine.simulation.outcome.inherits`) has that operation's
origin; any other has itself (its own disruption, a late material, a
reliability factor, an inconsistent plan, or being passed over by an
operator's deviation or a resequencing: the decision happened at its slot).
Operations never started keep themselves as origin. Criticality charges a replication's first
miss to its origin (:mod:`riskengine.simulation.insight`).

Shared drivers (common shocks, :mod:`riskengine.model.premises`): a
material driver adds one delay to the arrival of all its materials' lots
(after their own late and rejected delays); an absenteeism driver makes all
its crews absent in the same shifts. Uncertain parameters take the values of
the replication's draw (:mod:`riskengine.simulation.parameters`).

Operations left unstarted when no event remains (a deadlock between routing
and resource sequences, or a calendar that runs out) are not executed.

With ``log=True`` the replication also keeps what a shop floor system would
have recorded (:class:`EventLog`): each breakdown (resource, failure time,
end of repair, the resource's processing hours at the failure), each
operation's actual setup and processing hours, and the processing hours of
each resource. The logged path runs the breakdown loop of
:func:`riskengine.simulation.mechanics.process` step by step with the same
draws, so the results are identical to the unlogged path (tested).
"""

from __future__ import annotations

import math

import numpy as np
import simpy

from riskengine.simulation import mechanics as mech
from riskengine.simulation import rng
from riskengine.simulation.codes import N_ACCOUNT, N_CAUSES, Account, Cause, DeviationRule, Realized, Stream
from riskengine.simulation.compile import Compiled
from riskengine.simulation.initial import known_arrivals, left_to_do, pre_account, residual_repair, resume
from riskengine.simulation.outcome import deadline, delay_causes, realized_good, setup_needed, setup_split
from riskengine.simulation.parameters import parameterized
from riskengine.simulation.records import model_of, outputs
from riskengine.simulation.sampling import binomial, sample
from riskengine.simulation.watchdog import StopFlag, arm, check, event_bound, tick


class ReplicationResult:
    """Per-operation results of one replication: the arrays of
    :class:`~riskengine.simulation.records.Outputs` (``outputs``, also one attribute each),
    how many operations started and how many events it took (:mod:`riskengine.simulation.watchdog`)."""

    def __init__(self, n: int):
        self.outputs = outputs(n)
        (self.start, self.end, self.good, self.delay_cause, self.moved_cause, self.factor_cause,
         self.order, self.origin) = self.outputs
        self.n_started = 0
        self.events = 0.0


class EventLog:
    """What a logged replication recorded besides its results (times in hours from the
    horizon start)."""

    def __init__(self, n_ops: int, n_resources: int):
        self.breakdowns: list[tuple[int, float, float, float]] = []  # (r, failure, repaired, run h)
        self.setup_hours = np.zeros(n_ops)  # actual setup (planned x overrun)
        self.run_hours = np.zeros(n_ops)  # actual processing work (planned / performance)
        self.resource_run_hours = np.zeros(n_resources)  # processing hours of each resource


class Reference:
    """One replication of a compiled model, simulated with SimPy.

    ``account`` is the time accounting of the operation being executed and the replication's
    event count (:mod:`riskengine.simulation.watchdog`), as the kernel keeps them; ``bound``
    the bound on events (default: :func:`~riskengine.simulation.watchdog.event_bound`).
    """

    def __init__(self, c: Compiled, seed: int, replication: int, log: bool = False,
                 bound: float | None = None):
        self.c, self.seed, self.rep = c, seed, replication
        self.m = model_of(c)
        self.account = np.zeros(N_ACCOUNT)
        arm(self.account, event_bound(c) if bound is None else bound)
        self.log = EventLog(c.n_ops, c.n_resources) if log else None
        self.env = simpy.Environment()
        n = c.n_ops
        self.out = ReplicationResult(n)
        self.committed = [self.env.event() for _ in range(n)]
        self.displaced = np.full(n, -1, np.int64)  # cause of being passed over, if any
        self.arrival = np.array([self._arrival(k) for k in range(self.m.materials.entity.shape[0])])
        self._shared_drivers()
        if self.m.initial.active:  # a forecast: lots with a known arrival arrive then
            known_arrivals(self.m.initial, self.arrival)

    def key(self, stream: Stream, entity: np.uint64) -> np.uint64:
        # int(stream): numba types an IntEnum member passed from Python by looking at its whole
        # class on every call (half the reference's time), a plain int at once; same value
        return np.uint64(rng.derive(self.seed, self.rep, int(stream), entity))

    def _arrival(self, k: int) -> float:
        """Arrival of material lot k: planned + late delay + rejection delay (uniforms 0-3)."""
        mat, dists = self.m.materials, self.m.dists
        key = self.key(Stream.MATERIAL, mat.entity[k])
        t = mat.base[k]
        if mat.late_p[k] > 0 and rng.uniform(key, 0) < mat.late_p[k]:
            t += max(sample(dists.table, mat.late_row[k], dists.pool, vkey(key, 1)), 0.0)
        if mat.reject_p[k] > 0 and rng.uniform(key, 2) < mat.reject_p[k]:
            t += max(sample(dists.table, mat.reject_row[k], dists.pool, vkey(key, 3)), 0.0)
        return t

    def _shared_drivers(self) -> None:
        """Shared material drivers (common shocks), after every lot's own delays: driver d
        occurs with probability ``p[d]`` (uniform 0 of its key) and then adds one delay
        (variate 1) to the arrival of each of its materials
        (:class:`riskengine.model.premises.MaterialDriver`)."""
        drv, dists = self.m.drivers, self.m.dists
        for d in range(drv.p.shape[0]):
            key = self.key(Stream.DRIVER, drv.entity[d])
            if drv.ptr[d + 1] > drv.ptr[d] and drv.p[d] > 0 and rng.uniform(key, 0) < drv.p[d]:
                shock = max(sample(dists.table, drv.row[d], dists.pool, vkey(key, 1)), 0.0)
                for k in drv.idx[drv.ptr[d]:drv.ptr[d + 1]]:
                    self.arrival[k] += shock

    # -- the questions a resource asks when it decides --------------------------------------

    def preds(self, i: int) -> list[int]:
        g = self.m.graph
        return list(g.pred_idx[g.pred_ptr[i]:g.pred_ptr[i + 1]])

    def material_ready(self, i: int) -> float:
        g = self.m.graph
        return max((self.arrival[k] for k in g.mat_idx[g.mat_ptr[i]:g.mat_ptr[i + 1]]), default=-math.inf)

    def ready(self, i: int, t: float) -> bool:
        """Predecessors ended and materials arrived by t."""
        return all(self.out.end[p] <= t for p in self.preds(i)) and self.material_ready(i) <= t

    def choose(self, r: int, pending: list[int], t: float, decision: int,
               last_family: int) -> tuple[int, int, float]:
        """The operation the resource takes next, the cause of its move (-1: none) and the
        time before which it may not start (a moved operation takes the head's slot)."""
        ops, opt = self.m.ops, self.m.options
        head = pending[0]
        slot = t if opt.early_start else max(t, ops.start[head])
        deviation_p = opt.deviation_p[0]
        if deviation_p > 0 and rng.uniform(self.key(Stream.DEVIATION, self.m.resources.entity[r]),
                                           decision) < deviation_p:
            window = [i for i in pending[:opt.deviation_window] if self.ready(i, t)]
            pick = -1
            if opt.deviation_rule == DeviationRule.SAME_FAMILY:
                pick = next((i for i in window if last_family >= 0 and ops.family[i] == last_family), -1)
            elif window:
                pick = min(window, key=lambda i: ops.work[i])  # first of the least work
            if pick >= 0 and pick != head:
                return pick, Cause.OPERATIONAL, slot
        if opt.next_ready and self.material_ready(head) > slot:
            for i in pending[1:opt.resequence_window]:
                if self.ready(i, t):
                    return i, Cause.LOCAL_DECISION, slot
        return head, -1, slot

    def commit(self, i: int, moved: int, pending: list[int]) -> None:
        """Take operation i off the pending list as the next start; the operations passed over
        keep the cause of the move."""
        out = self.out
        k = pending.index(i)
        for skipped in pending[:k]:
            if self.displaced[skipped] < 0:
                self.displaced[skipped] = moved
        out.moved_cause[i] = moved
        out.order[out.n_started] = i
        out.n_started += 1
        pending.pop(k)

    # -- the resource process ------------------------------------------------------------------

    def resource(self, r: int):
        m = self.m
        res = m.resources
        pending = list(m.graph.seq_idx[m.graph.seq_ptr[r]:m.graph.seq_ptr[r + 1]])
        calendar = mech.Intervals(m.calendars.start, m.calendars.end, int(m.calendars.ptr[r]),
                                  int(m.calendars.ptr[r + 1]))
        d = res.driver[r]  # its shared absenteeism driver (-1: none), same key for all its crews
        absence = mech.Absence(res.shift_hours[r], res.absence_p[r], res.absence_speed[r],
                               self.key(Stream.ABSENCE, res.entity[r]),
                               self.key(Stream.DRIVER, m.drivers.entity[d]) if d >= 0 else np.uint64(0),
                               m.drivers.p[d] if d >= 0 else 0.0,
                               int(m.initial.known_shifts[r]) if m.initial.active else 0)
        breakdowns = mech.Breakdowns(m.dists.table, m.dists.pool, res.tbf_row[r], res.ttr_row[r],
                                     self.key(Stream.FAILURE, res.entity[r]),
                                     self.key(Stream.REPAIR, res.entity[r]))
        clock = np.zeros((1, 2))  # this resource's failure clock
        mech.first_failure(breakdowns, clock, 0)
        t, decision, last_family, previous, held_by = 0.0, 0, -1, -1, -1
        if m.initial.active:  # a forecast: from the as-of time, in the realized state
            pending = [i for i in pending if m.initial.state[i] == Realized.PENDING]
            t, decision, last_family, previous, held_by = self.start_from_state(
                r, calendar, absence, breakdowns, clock)
            if not math.isfinite(t):
                return
            yield self.env.timeout(t - self.env.now)
        while pending:
            i, moved, slot = self.choose(r, pending, t, decision, last_family)
            unknown = [self.committed[p] for p in self.preds(i) if not self.committed[p].triggered]
            if unknown:  # wait until a predecessor is started, then decide again
                if tick(self.account):  # an event (riskengine.simulation.watchdog): past the bound, stop
                    return
                woken = yield simpy.AnyOf(self.env, unknown)
                t = max(t, max(woken.values()))
                continue
            self.commit(i, int(moved), pending)
            decision += 1
            start = self.start_time(i, t, slot, previous, calendar, absence, held_by)
            held_by = -1
            self.execute(i, r, start, last_family, (calendar, absence, breakdowns, clock))
            self.committed[i].succeed(t)
            if not math.isfinite(self.out.end[i]):
                return  # the calendar ran out: nothing more runs on this resource
            yield self.env.timeout(max(self.out.end[i] - self.env.now, 0.0))
            t, last_family, previous = self.out.end[i], m.ops.family[i], i

    def start_time(self, i, t, slot, previous, calendar, absence,
                   held_by: int = -1) -> tuple[float, float, float, int, int]:
        """Start of operation i (not before ``slot``) and what delayed it.

        Returns ``(begin, s, plain, cause, source)``: ``s`` is the latest of the
        binding constraints (resource free, slot, predecessors, materials,
        reliability delay) and ``cause`` the cause of the binding one; ``plain``
        the next working instant of the calendar from ``s`` and ``begin`` the
        next one with the crew present (``s <= plain <= begin``,
        :func:`~riskengine.simulation.mechanics.start_instants`); ``source`` the
        operation whose delay was inherited (a predecessor or the previous
        operation on the resource, -1: none), for the origin of the delay. ``held_by``: the cause
        of a forecast's resource held at the as-of time (:meth:`start_from_state`), for its
        first start when the resource binds it.
        """
        m, out = self.m, self.out
        s, cause, source = t, -2, -1  # -2: the resource itself was the binding constraint
        if slot > s:
            s, cause = slot, Cause.PLANNING
        for p in self.preds(i):
            if out.end[p] > s:
                s = out.end[p]
                cause, source = (out.delay_cause[p], p) if out.delay_cause[p] >= 0 else (Cause.PLANNING, -1)
        if self.material_ready(i) > s:
            s, cause, source = self.material_ready(i), Cause.MATERIAL, -1
        factor = out.factor_cause[i]
        if factor >= 0 and m.options.reliability_delay:
            k = self.key(Stream.RELIABILITY_DELAY, m.ops.entity[i])
            s += max(sample(m.dists.table, m.options.reliability_delay_row, m.dists.pool, vkey(k, 0)), 0.0)
            cause, source = factor, -1
        elif factor >= 0 and factor != Cause.QUALITY and m.ops.bucket[i] >= 0:
            held = deadline(m.adherence, m.ops.bucket[i])  # held past its bucket (module docstring)
            if held > s:
                s, cause, source = held, factor, -1
        if cause == -2 and held_by >= 0:
            cause = held_by
        if cause == -2:
            if self.displaced[i] >= 0:
                cause = self.displaced[i]
            elif previous >= 0 and out.delay_cause[previous] >= 0:
                cause, source = out.delay_cause[previous], previous
            else:
                cause = Cause.PLANNING
        begin, plain = mech.start_instants(s, calendar, absence, self.account)
        return begin, s, plain, int(cause), int(source)

    def operation_draws(self, i: int, r: int) -> tuple[float, float, float]:
        """The setup overrun factor, processing work (planned / performance) and good units
        (planned - binomial scrap) of operation i on resource r."""
        ops, res, dists = self.m.ops, self.m.resources, self.m.dists
        factor = 1.0
        if res.setup_row[r] > 0:
            k = self.key(Stream.SETUP, ops.entity[i])
            factor = max(sample(dists.table, res.setup_row[r], dists.pool, vkey(k, 0)), 0.0)
        work = ops.work[i]
        if res.performance_row[r] > 0:
            k = self.key(Stream.PERFORMANCE, ops.entity[i])
            performance = sample(dists.table, res.performance_row[r], dists.pool, vkey(k, 0))
            work /= max(performance, 1e-6)
        good = ops.quantity[i]
        if res.scrap[r] > 0:
            k = self.key(Stream.SCRAP, ops.entity[i])
            good -= binomial(int(math.floor(good)), res.scrap[r], rng.uniform(k, 0))
        return factor, work, good

    def execute(self, i, r, start, last_family, resource) -> None:
        """Setup and processing of operation i from ``start`` (:meth:`start_time`) after an
        operation of ``last_family`` (-1: none) on resource r; record its results.
        ``resource`` is (calendar, absence, breakdowns, failure clock)."""
        out, ops = self.out, self.m.ops
        calendar, absence, breakdowns, clock = resource
        begin, source = start[0], start[4]
        factor, work, good = self.operation_draws(i, r)
        base, missing = setup_needed(self.m.changeovers, ops, i, last_family)
        setup = base * factor
        good = realized_good(ops, self.m.adherence, self.m.options.reliability_delay, out.factor_cause[i], i,
                             good)
        account = self.account
        account[Account.LOST_ABSENCE] = account[Account.GAP_CALENDAR] = account[Account.REPAIR] = 0.0
        after_setup = mech.advance(begin, setup, calendar, absence, account)
        end = after_setup
        if math.isfinite(after_setup) and self.log is not None:
            self.log.setup_hours[i], self.log.run_hours[i] = setup, work
            end = self.process_logged(r, after_setup, work, calendar, absence, breakdowns, clock, account)
        elif math.isfinite(after_setup):
            end = mech.process(after_setup, work, calendar, absence, breakdowns, clock, 0, account)
        out.start[i], out.end[i] = begin, end
        out.good[i] = good if math.isfinite(end) else 0.0
        if end > ops.end[i]:
            root, inherited = delay_causes(np.zeros(N_CAUSES), ops, i, start, setup, missing, work, account)
            out.delay_cause[i] = root
            if inherited:
                out.origin[i] = out.origin[source]

    def process_logged(self, r, t, work, calendar, absence, breakdowns, clock, account) -> float:
        """:func:`riskengine.simulation.mechanics.process` step by step (same draws, same
        arithmetic), recording each breakdown and the resource's processing hours."""
        assert self.log is not None  # (a logged run)
        log, b = self.log, breakdowns
        while b.tbf_row != 0 and not clock[0, 0] >= work:
            t = mech.advance_call(t, clock[0, 0], calendar, absence, account)
            if not math.isfinite(t):
                return t
            if tick(account):
                return math.inf
            work -= clock[0, 0]
            log.resource_run_hours[r] += clock[0, 0]
            k = int(clock[0, 1])
            repair = max(sample(b.table, b.ttr_row, b.pool, vkey(b.repair_key, k)), 0.0)
            log.breakdowns.append((r, t, t + repair, float(log.resource_run_hours[r])))
            t += repair
            account[Account.REPAIR] += repair
            clock[0, 1] = k + 1
            clock[0, 0] = max(sample(b.table, b.tbf_row, b.pool, vkey(b.failure_key, k + 1)), 0.0)
        if b.tbf_row != 0:
            clock[0, 0] -= work
        end = mech.advance_call(t, work, calendar, absence, account)
        if math.isfinite(end):
            log.resource_run_hours[r] += work
        return end

    def factor_failures(self) -> None:
        """The article's reliability factors: the first failing factor of each operation."""
        ops, factors = self.m.ops, self.m.factors
        for i in range(ops.entity.shape[0]):
            k = self.key(Stream.RELIABILITY, ops.entity[i])
            for f in range(factors.cause.shape[0]):
                if rng.uniform(k, factors.cause[f]) < factors.fail_p[f]:
                    self.out.factor_cause[i] = factors.cause[f]
                    break

    def realized(self) -> None:
        """A forecast's operations as realized before the as-of time (kernel: ``realized_operation``):
        done ones keep their record (a late or missing one its recorded cause, ``unknown``
        without one), those in progress their start; none fails a reliability factor now."""
        initial, out = self.m.initial, self.out
        out.order[:initial.n_started] = initial.order[:initial.n_started]
        out.n_started = initial.n_started
        for i in np.flatnonzero(initial.state != Realized.PENDING):
            out.start[i] = initial.start[i]
            out.factor_cause[i] = -1
            if initial.state[i] == Realized.DONE:
                recorded = initial.cause[i] if initial.cause[i] >= 0 else Cause.UNKNOWN
                out.end[i], out.good[i], out.moved_cause[i] = initial.end[i], initial.good[i], recorded
                out.delay_cause[i] = recorded if initial.end[i] > self.m.ops.end[i] else -1
                self.committed[i].succeed(initial.as_of)

    def start_from_state(self, r, calendar, absence, breakdowns, clock) -> tuple[float, int, int, int, int]:
        """Resource r at the as-of time T (kernel: ``start_from_state``): the remaining repair of a
        breakdown in progress (the machine renewed after it), a crew known absent, the operation in
        progress resumed. Returns ``(t, decision, last_family, previous, held)``: when it decides
        next, its decisions so far, the family and operation it ran last, and the cause that holds
        it at T (-1: none)."""
        m, out, initial = self.m, self.out, self.m.initial
        t = initial.as_of
        previous = int(initial.previous[r])
        repaired, down = t, not math.isnan(initial.down_since[r])
        if down:
            b = breakdowns
            elapsed = t - initial.down_since[r]
            repaired = t + residual_repair(b.table, b.ttr_row, b.pool, b.repair_key, elapsed)
            clock[0, 0] = math.inf
            clock[0, 1] = 1.0
            if b.tbf_row != 0:
                clock[0, 0] = max(sample(b.table, b.tbf_row, b.pool, vkey(b.failure_key, 1)), 0.0)
        hold = max(repaired, initial.free[r])
        seq = m.graph.seq_idx[m.graph.seq_ptr[r]:m.graph.seq_ptr[r + 1]]
        running = [int(i) for i in seq if initial.state[i] == Realized.RUNNING]
        family = int(m.ops.family[previous]) if previous >= 0 else -1
        if not running:
            held = -1 if hold <= t else (
                Cause.BREAKDOWN if down and repaired >= initial.free[r] else Cause.ABSENTEEISM)
            return hold, int(initial.decisions[r]), family, previous, int(held)
        i = running[0]
        account = self.account
        pre_account(initial, i, account)
        account[Account.REPAIR] += repaired - t
        account[Account.LOST_ABSENCE] += hold - repaired
        factor, work, good = self.operation_draws(i, r)
        base, missing = setup_split(m.ops, i, initial.changeover[i])  # after what the resource ran before it
        setup = base * factor
        setup_left, work_left = left_to_do(setup, work, initial.done_work[i])
        end = resume(hold, setup_left, work_left, calendar, absence, breakdowns, clock, 0, account)
        out.end[i], out.good[i] = end, good if math.isfinite(end) else 0.0
        if end > m.ops.end[i]:
            begin = initial.start[i]
            recorded = initial.cause[i] if initial.cause[i] >= 0 else Cause.UNKNOWN
            start = (begin, begin, begin, int(recorded), -1)
            out.delay_cause[i], _ = delay_causes(np.zeros(N_CAUSES), m.ops, i, start, setup, missing, work,
                                                 account)
        self.committed[i].succeed(t)
        return end, int(initial.decisions[r]), int(m.ops.family[i]), i, -1

    def run(self) -> ReplicationResult:
        """Simulate the replication; :class:`~riskengine.simulation.watchdog.ReplicationOverrun`
        when it passes its bound on events (:class:`~riskengine.simulation.watchdog.Stopped`
        when a stop flag attached to its ``account`` was set)."""
        self.factor_failures()
        if self.m.initial.active:
            self.realized()
        for r in range(self.c.n_resources):
            self.env.process(self.resource(r))
        self.env.run()
        check(self.account, self.seed, self.rep)
        self.out.events = float(self.account[Account.EVENTS])
        return self.out


def simulate(c: Compiled, seed: int, replication: int, stop: StopFlag | None = None) -> ReplicationResult:
    """Per-operation results of one replication by the reference simulator (with the values
    of its draw of the uncertain parameters, :mod:`riskengine.simulation.parameters`); ``stop``
    ends it early (:class:`~riskengine.simulation.watchdog.Stopped`)."""
    ref = Reference(parameterized(c, seed, replication), seed, replication)
    if stop is None:
        return ref.run()
    stop.attach(ref.account)
    try:
        return ref.run()
    finally:
        stop.detach(ref.account)


def simulate_logged(c: Compiled, seed: int, replication: int) -> tuple[ReplicationResult, Reference]:
    """One replication with its :class:`EventLog` (``reference.log``); the results are those of
    :func:`simulate`. The reference also holds each material lot's arrival (``arrival``, hours;
    planned availability ``c.mat_base``)."""
    ref = Reference(c, seed, replication, log=True)
    return ref.run(), ref


def vkey(key: np.uint64, n: int) -> np.uint64:
    """The n-th variate key of ``key`` (kept a uint64 across the Python boundary)."""
    return np.uint64(rng.variate_key(key, n))
