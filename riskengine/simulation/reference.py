"""The reference simulator: the execution semantics of docs/design.md section 3 as a SimPy model.

This is the readable specification; the numba kernel must give the same
per-replication results for the same seed. One SimPy process per resource:

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

3. The start is the latest of: the resource free, the planned start (unless
   early start), the predecessors' ends, the materials' arrival, plus a
   reliability-factor delay; then the next working instant (calendar, absent
   shift: the crew's own absence or its shared absenteeism driver's). Setup
   (planned x overrun) and processing work (planned / performance factor,
   with breakdowns) follow, by :mod:`riskengine.simulation.mechanics`.
   Good quantity = planned minus binomial scrap.

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
(:func:`riskengine.simulation.mechanics.planned_gap_crossed`). ``G_0 - G_w``
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
from riskengine.simulation.compile import CAUSE, RULE_SAME_FAMILY, Compiled
from riskengine.simulation.outcome import (
    PLANNING,
    execution_gap,
    inherits,
    root_cause,
    start_delay,
)
from riskengine.simulation.parameters import parameterized
from riskengine.simulation.sampling import binomial, sample

MATERIAL = CAUSE["material"]
ABSENTEEISM = CAUSE["absenteeism"]
OPERATIONAL = CAUSE["operational"]
LOCAL_DECISION = CAUSE["local-decision"]
SETUP, PERFORMANCE, BREAKDOWN = CAUSE["setup"], CAUSE["performance"], CAUSE["breakdown"]


class ReplicationResult:
    """Per-operation results of one replication (arrays over operations)."""

    def __init__(self, n: int):
        self.start = np.full(n, math.inf)
        self.end = np.full(n, math.inf)
        self.good = np.zeros(n)
        self.delay_cause = np.full(n, -1, np.int64)
        self.moved_cause = np.full(n, -1, np.int64)
        self.factor_cause = np.full(n, -1, np.int64)
        self.order = np.full(n, -1, np.int64)  # operations in the order they were started
        self.origin = np.arange(n, dtype=np.int64)  # where each operation's delay began
        self.n_started = 0


class EventLog:
    """What a logged replication recorded besides its results (times in hours from the
    horizon start)."""

    def __init__(self, n_ops: int, n_resources: int):
        self.breakdowns: list[tuple[int, float, float, float]] = []  # (r, failure, repaired, run h)
        self.setup_hours = np.zeros(n_ops)  # actual setup (planned x overrun)
        self.run_hours = np.zeros(n_ops)  # actual processing work (planned / performance)
        self.resource_run_hours = np.zeros(n_resources)  # processing hours of each resource


class Reference:
    """One replication of a compiled model, simulated with SimPy."""

    def __init__(self, c: Compiled, seed: int, replication: int, log: bool = False):
        self.c, self.seed, self.rep = c, seed, replication
        self.log = EventLog(c.n_ops, c.n_resources) if log else None
        self.env = simpy.Environment()
        n = c.n_ops
        self.out = ReplicationResult(n)
        self.committed = [self.env.event() for _ in range(n)]
        self.displaced = np.full(n, -1, np.int64)  # cause of being passed over, if any
        self.arrival = np.array([self._arrival(m) for m in range(c.mat_entity.shape[0])])
        self._shared_drivers()

    def key(self, stream: int, entity: np.uint64) -> np.uint64:
        return np.uint64(rng.derive(self.seed, self.rep, stream, entity))

    def _arrival(self, m: int) -> float:
        """Arrival of material lot m: planned + late delay + rejection delay (uniforms 0-3)."""
        c = self.c
        k = self.key(rng.STREAM_MATERIAL, c.mat_entity[m])
        t = c.mat_base[m]
        if c.mat_late_p[m] > 0 and rng.uniform(k, 0) < c.mat_late_p[m]:
            t += max(sample(c.dist, c.mat_late_row[m], c.pool, vkey(k, 1)), 0.0)
        if c.mat_reject_p[m] > 0 and rng.uniform(k, 2) < c.mat_reject_p[m]:
            t += max(sample(c.dist, c.mat_reject_row[m], c.pool, vkey(k, 3)), 0.0)
        return t

    def _shared_drivers(self) -> None:
        """Shared material drivers (common shocks), after every lot's own delays: driver d
        occurs with probability drv_p[d] (uniform 0 of its key) and then adds one delay
        (variate 1) to the arrival of each of its materials
        (:class:`riskengine.model.premises.MaterialDriver`)."""
        c = self.c
        for d in range(c.drv_p.shape[0]):
            k = self.key(rng.STREAM_DRIVER, c.drv_entity[d])
            if c.drv_ptr[d + 1] > c.drv_ptr[d] and c.drv_p[d] > 0 and rng.uniform(k, 0) < c.drv_p[d]:
                shock = max(sample(c.dist, c.drv_row[d], c.pool, vkey(k, 1)), 0.0)
                for m in c.drv_idx[c.drv_ptr[d]:c.drv_ptr[d + 1]]:
                    self.arrival[m] += shock

    # -- the questions a resource asks when it decides --------------------------------------

    def preds(self, i: int) -> list[int]:
        return list(self.c.pred_idx[self.c.pred_ptr[i]:self.c.pred_ptr[i + 1]])

    def material_ready(self, i: int) -> float:
        mats = self.c.mat_idx[self.c.mat_ptr[i]:self.c.mat_ptr[i + 1]]
        return max((self.arrival[m] for m in mats), default=-math.inf)

    def ready(self, i: int, t: float) -> bool:
        """Predecessors ended and materials arrived by t."""
        return all(self.out.end[p] <= t for p in self.preds(i)) and self.material_ready(i) <= t

    def choose(self, r: int, pending: list[int], t: float, decision: int,
               last_family: int) -> tuple[int, int, float]:
        """The operation the resource takes next, the cause of its move (-1: none) and the
        time before which it may not start (a moved operation takes the head's slot)."""
        c = self.c
        head = pending[0]
        slot = t if c.early_start else max(t, c.op_start[head])
        if c.deviation_p > 0:
            u = rng.uniform(self.key(rng.STREAM_DEVIATION, c.res_entity[r]), decision)
            if u < c.deviation_p:
                window = [i for i in pending[:c.deviation_window] if self.ready(i, t)]
                pick = -1
                if c.deviation_rule == RULE_SAME_FAMILY:
                    pick = next((i for i in window if last_family >= 0
                                 and c.op_family[i] == last_family), -1)
                elif window:
                    pick = min(window, key=lambda i: c.op_work[i])  # first of the least work
                if pick >= 0 and pick != head:
                    return pick, OPERATIONAL, slot
        if c.next_ready and self.material_ready(head) > slot:
            for i in pending[1:c.resequence_window]:
                if self.ready(i, t):
                    return i, LOCAL_DECISION, slot
        return head, -1, slot

    # -- the resource process ------------------------------------------------------------------

    def resource(self, r: int):
        c, out = self.c, self.out
        pending = list(c.seq_idx[c.seq_ptr[r]:c.seq_ptr[r + 1]])
        calendar = (c.cal_start, c.cal_end, c.cal_ptr[r], c.cal_ptr[r + 1])
        d = c.res_driver[r]  # its shared absenteeism driver (-1: none), same key for all its crews
        absence = (c.res_shift_hours[r], c.res_absence_p[r], c.res_absence_speed[r],
                   self.key(rng.STREAM_ABSENCE, c.res_entity[r]),
                   self.key(rng.STREAM_DRIVER, c.drv_entity[d]) if d >= 0 else np.uint64(0),
                   c.drv_p[d] if d >= 0 else 0.0)
        failure_key = self.key(rng.STREAM_FAILURE, c.res_entity[r])
        repair_key = self.key(rng.STREAM_REPAIR, c.res_entity[r])
        clock = np.zeros((1, 2))  # this resource's failure clock
        mech.first_failure(c.dist, c.res_tbf_row[r], c.pool, failure_key, clock, 0)
        t, decision, last_family, previous = 0.0, 0, -1, -1
        while pending:
            i, moved, slot = self.choose(r, pending, t, decision, last_family)
            unknown = [self.committed[p] for p in self.preds(i) if not self.committed[p].triggered]
            if unknown:  # wait until a predecessor is started, then decide again
                woken = yield simpy.AnyOf(self.env, unknown)
                t = max(t, max(woken.values()))
                continue
            k = pending.index(i)
            for skipped in pending[:k]:
                if self.displaced[skipped] < 0:
                    self.displaced[skipped] = moved
            out.moved_cause[i] = moved
            out.order[out.n_started] = i
            out.n_started += 1
            pending.pop(k)
            decision += 1
            start = self.start_time(i, t, slot, previous, calendar, absence)
            self.execute(i, r, start, calendar, absence, failure_key, repair_key, clock)
            self.committed[i].succeed(t)
            if not math.isfinite(out.end[i]):
                return  # the calendar ran out: nothing more runs on this resource
            yield self.env.timeout(max(out.end[i] - self.env.now, 0.0))
            t, last_family, previous = out.end[i], c.op_family[i], i

    def start_time(self, i, t, slot, previous, calendar, absence) -> tuple[float, float, float, int, int]:
        """Start of operation i (not before ``slot``) and what delayed it.

        Returns ``(begin, s, plain, cause, source)``: ``s`` is the latest of the
        binding constraints (resource free, slot, predecessors, materials,
        reliability delay) and ``cause`` the cause of the binding one; ``plain``
        the next working instant of the calendar from ``s`` and ``begin`` the
        next one with the crew present (``s <= plain <= begin``); ``source`` the
        operation whose delay was inherited (a predecessor or the previous
        operation on the resource, -1: none), for the origin of the delay.
        """
        c, out = self.c, self.out
        s, cause, source = t, -2, -1  # -2: the resource itself was the binding constraint
        if slot > s:
            s, cause = slot, PLANNING
        for p in self.preds(i):
            if out.end[p] > s:
                s = out.end[p]
                cause, source = (out.delay_cause[p], p) if out.delay_cause[p] >= 0 else (PLANNING, -1)
        if self.material_ready(i) > s:
            s, cause, source = self.material_ready(i), MATERIAL, -1
        if c.reliability_delay and out.factor_cause[i] >= 0:
            k = self.key(rng.STREAM_RELIABILITY_DELAY, c.op_entity[i])
            s += max(sample(c.dist, c.reliability_delay_row, c.pool, vkey(k, 0)), 0.0)
            cause, source = out.factor_cause[i], -1
        if cause == -2:
            if self.displaced[i] >= 0:
                cause = self.displaced[i]
            elif previous >= 0 and out.delay_cause[previous] >= 0:
                cause, source = out.delay_cause[previous], previous
            else:
                cause = PLANNING
        begin = mech.next_start(s, *calendar, *absence)
        plain = begin
        if begin > s and (absence[1] > 0.0 or absence[5] > 0.0) and absence[2] <= 0.0:  # skipped
            plain = mech.next_start(s, *calendar, absence[0], 0.0, 1.0, absence[3], absence[4], 0.0)
        return begin, s, plain, cause, source

    def execute(self, i, r, start, calendar, absence, failure_key, repair_key, clock) -> None:
        """Setup and processing of operation i from ``start`` (:meth:`start_time`); record its
        results."""
        c, out = self.c, self.out
        begin, s, plain, start_cause, source = start
        account = np.zeros(mech.N_ACCOUNT)
        setup = c.op_setup[i]
        if setup > 0 and c.res_setup_row[r] > 0:
            k = self.key(rng.STREAM_SETUP, c.op_entity[i])
            setup *= max(sample(c.dist, c.res_setup_row[r], c.pool, vkey(k, 0)), 0.0)
        after_setup = mech.advance(begin, setup, *calendar, *absence, account)
        work = c.op_work[i]
        if c.res_performance_row[r] > 0:
            k = self.key(rng.STREAM_PERFORMANCE, c.op_entity[i])
            factor = sample(c.dist, c.res_performance_row[r], c.pool, vkey(k, 0))
            work /= max(factor, 1e-6)
        end = after_setup
        if math.isfinite(after_setup) and self.log is not None:
            self.log.setup_hours[i], self.log.run_hours[i] = setup, work
            end = self.process_logged(r, after_setup, work, calendar, absence, failure_key,
                                      repair_key, clock, account)
        elif math.isfinite(after_setup):
            end = mech.process(after_setup, work, *calendar, *absence, c.dist, c.res_tbf_row[r],
                               c.res_ttr_row[r], c.pool, failure_key, repair_key, clock, 0, account)
        good = c.op_quantity[i]
        if c.res_scrap[r] > 0:
            units = int(math.floor(good))
            k = self.key(rng.STREAM_SCRAP, c.op_entity[i])
            good -= binomial(units, c.res_scrap[r], rng.uniform(k, 0))
        out.start[i], out.end[i] = begin, end
        out.good[i] = good if math.isfinite(end) else 0.0
        if end > c.op_end[i]:
            delay = np.zeros(len(CAUSE))
            inherited = start_delay(delay, c.op_start[i], s, plain, begin, start_cause)
            delay[BREAKDOWN] += account[mech.REPAIR]
            delay[PERFORMANCE] += work - c.op_work[i]
            delay[ABSENTEEISM] += account[mech.LOST_ABSENCE]
            delay[SETUP] += setup - c.op_setup[i]
            planned_gap = (c.op_end[i] - c.op_start[i]) - (c.op_work[i] + c.op_setup[i])
            plan_gap = mech.planned_gap_crossed(c.op_start[i], c.op_setup[i] + c.op_work[i], *calendar)
            inherited = execution_gap(delay, account[mech.GAP_CALENDAR], planned_gap, plan_gap,
                                      inherited)
            out.delay_cause[i] = root_cause(delay)
            if source >= 0 and inherits(delay, out.delay_cause[i], start_cause, inherited):
                out.origin[i] = out.origin[source]

    def process_logged(self, r, t, work, calendar, absence, failure_key, repair_key, clock,
                       account) -> float:
        """:func:`riskengine.simulation.mechanics.process` step by step (same draws, same
        arithmetic), recording each breakdown and the resource's processing hours."""
        c, log = self.c, self.log
        tbf_row, ttr_row = c.res_tbf_row[r], c.res_ttr_row[r]
        while tbf_row != 0 and not clock[0, 0] >= work:
            t = mech.advance_call(t, clock[0, 0], *calendar, *absence, account)
            if not math.isfinite(t):
                return t
            work -= clock[0, 0]
            log.resource_run_hours[r] += clock[0, 0]
            k = int(clock[0, 1])
            repair = max(sample(c.dist, ttr_row, c.pool, vkey(repair_key, k)), 0.0)
            log.breakdowns.append((r, t, t + repair, float(log.resource_run_hours[r])))
            t += repair
            account[mech.REPAIR] += repair
            clock[0, 1] = k + 1
            clock[0, 0] = max(sample(c.dist, tbf_row, c.pool, vkey(failure_key, k + 1)), 0.0)
        if tbf_row != 0:
            clock[0, 0] -= work
        end = mech.advance_call(t, work, *calendar, *absence, account)
        if math.isfinite(end):
            log.resource_run_hours[r] += work
        return end

    def factor_failures(self) -> None:
        """The article's reliability factors: the first failing factor of each operation."""
        c = self.c
        for i in range(c.n_ops):
            k = self.key(rng.STREAM_RELIABILITY, c.op_entity[i])
            for f in range(c.rel_cause.shape[0]):
                if rng.uniform(k, c.rel_cause[f]) < c.rel_fail_p[f]:
                    self.out.factor_cause[i] = c.rel_cause[f]
                    break

    def run(self) -> ReplicationResult:
        self.factor_failures()
        for r in range(self.c.n_resources):
            self.env.process(self.resource(r))
        self.env.run()
        return self.out


def simulate(c: Compiled, seed: int, replication: int) -> ReplicationResult:
    """Per-operation results of one replication by the reference simulator (with the values
    of its draw of the uncertain parameters, :mod:`riskengine.simulation.parameters`)."""
    return Reference(parameterized(c, seed, replication), seed, replication).run()


def simulate_logged(c: Compiled, seed: int, replication: int) -> tuple[ReplicationResult, Reference]:
    """One replication with its :class:`EventLog` (``reference.log``); the results are those of
    :func:`simulate`. The reference also holds each material lot's arrival (``arrival``, hours;
    planned availability ``c.mat_base``)."""
    ref = Reference(c, seed, replication, log=True)
    return ref.run(), ref


def vkey(key: np.uint64, n: int) -> np.uint64:
    """The n-th variate key of ``key`` (kept a uint64 across the Python boundary)."""
    return np.uint64(rng.variate_key(key, n))
