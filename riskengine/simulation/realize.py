"""One simulated replication as realized data: actuals, events and its own figures.

A replication of the engines is one possible execution of the plan
(docs/design.md section 3). :func:`realize` writes it as a shop floor's systems would
have recorded it, and adds the figures the kernel judged it by:

- **actuals** (``riskengine.actuals/1`` rows, :data:`ACTUALS_COLUMNS`), one
  per operation in plan order: good quantity, actual start and end, and the
  cause of a MISS (the simulated root cause the judgement charged it to; empty
  for a HIT); an operation that never ran, or whose units were all scrapped,
  has a record of quantity 0 with its cause. ``setup_hours`` and
  ``run_hours`` are the actual setup and processing work (what calibration
  learns from). *Times are hours from the horizon start, written as the
  shortest decimal that reads back as the same float* (Python's ``repr``):
  ``measure`` then parses the very floats the kernel judged, so a completion
  on a bucket boundary lands in the same bucket, and the measurement of the
  record reproduces the replication exactly (tested).
- **events** (``riskengine.events/1`` rows, :mod:`riskengine.calibration.events`),
  from the SimPy reference's event log (``log=True``: the same replication,
  the same draws): per resource a ``window`` from the horizon start to the later
  of the horizon end and its last actual end, with its run-hour meter and the
  crew shifts scheduled in it (shifts of the resource's absenteeism shift length
  that overlap its working time); each ``breakdown``; each ``absence`` (a
  scheduled shift whose crew the replication drew absent, its own absenteeism or
  its shared driver's); each material lot (due at its planned availability,
  arrived when the replication says). Times are ISO 8601 to the microsecond.
- **summary** (:data:`SUMMARY_COLUMNS`): the replication's own row of the
  score (:func:`riskengine.simulation.summary.summarize` on the kernel's
  judgement): plan holds (0/1), BTS, BTP, volume, mix, sequence (null where
  nothing was planned), the number of HIT operations and the finish.

Memory: one replication at a time (operations, not operations x replications).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import NamedTuple

import numpy as np

from riskengine.adherence import arrays as ar
from riskengine.model.common import CAUSES, required
from riskengine.model.plan import Plan
from riskengine.simulation import mechanics as mech
from riskengine.simulation.accumulate import Scratch, judge_and_summarize
from riskengine.simulation.codes import Stream
from riskengine.simulation.compile import Compiled
from riskengine.simulation.parameters import parameterized
from riskengine.simulation.reference import EventLog, Reference, ReplicationResult
from riskengine.simulation.summary import BTP, BTS, FINISH, HOLDS, MIX, SEQUENCE, VOLUME, Layout

ACTUALS_COLUMNS = ("operation", "product", "resource", "quantity", "start", "end", "cause",
                   "setup_hours", "run_hours")
SUMMARY_COLUMNS = ("replication", "plan_holds", "bts", "btp", "volume", "mix", "sequence", "hits",
                   "finish_hours")
ENGINES = ("kernel", "reference")


class Realized(NamedTuple):
    """One replication as realized data (module docstring)."""

    replication: int  # its index (files are numbered from 1: index + 1)
    actuals: list[dict]  # riskengine.actuals/1 rows
    events: list[dict]  # riskengine.events/1 rows
    summary: dict  # its row of summary.csv
    code: np.ndarray  # per operation: its deviation code as judged (:mod:`riskengine.adherence.arrays`)
    cause: np.ndarray  # per operation: its miss cause code, -1: a HIT (or not judged)


def iso(origin: datetime, hours: float) -> str:
    """``origin`` + ``hours`` as ISO 8601 to the microsecond."""
    return (origin + timedelta(hours=float(hours))).isoformat(timespec="microseconds")


def actual_rows(plan: Plan, out: ReplicationResult, code: np.ndarray, miss_cause: np.ndarray,
                log: EventLog) -> list[dict]:
    """The actuals of one replication (module docstring), one record per operation."""
    rows = []
    for i, op in enumerate(plan.operations):
        judged_miss = code[i] != ar.HIT and miss_cause[i] >= 0
        cause = CAUSES[miss_cause[i]] if judged_miss else ""
        row = {"operation": op.id, "product": op.product, "resource": op.resource,
               "quantity": float(out.good[i]), "start": "", "end": "", "cause": cause,
               "setup_hours": "", "run_hours": ""}
        if math.isfinite(out.end[i]):
            row |= {"start": float(out.start[i]), "end": float(out.end[i]),  # written with repr: exact
                    "setup_hours": float(log.setup_hours[i]), "run_hours": float(log.run_hours[i])}
        elif not cause:  # not executed and not judged (planned outside the horizon)
            delay = out.delay_cause[i]
            row["cause"] = CAUSES[delay] if delay >= 0 else "planning"
        rows.append(row)
    return rows


def scheduled_shifts(c: Compiled, r: int, until: float) -> list[int]:
    """Indices of resource r's shifts (windows of its shift hours from 0) in [0, until) that
    overlap its working time."""
    lo, hi, h = c.cal_ptr[r], c.cal_ptr[r + 1], c.res_shift_hours[r]
    out = []
    for s in range(int(math.ceil(until / h))):
        a, b = s * h, min((s + 1) * h, until)
        if any(min(b, c.cal_end[k]) > max(a, c.cal_start[k]) for k in range(lo, hi)):
            out.append(s)
    return out


def _absence(ref: Reference, r: int) -> mech.Absence:
    """Resource r's absenteeism as the reference simulated it (its own and its driver's)."""
    m = ref.m
    res, d = m.resources, m.resources.driver[r]
    return mech.Absence(res.shift_hours[r], res.absence_p[r], res.absence_speed[r],
                        ref.key(Stream.ABSENCE, res.entity[r]),
                        ref.key(Stream.DRIVER, m.drivers.entity[d]) if d >= 0 else np.uint64(0),
                        m.drivers.p[d] if d >= 0 else 0.0, 0)  # (a score's: no shift known in advance)


def event_rows(plan: Plan, ref: Reference, window: str) -> list[dict]:
    """The events of one replication of a logged reference (module docstring); breakdowns and
    absences name the resource's ``window``."""
    c, out, t0 = ref.c, ref.out, plan.horizon.start
    log = required(ref.log, "the event log of a logged replication")
    events = []
    for r, res in enumerate(plan.resources):
        mine = [out.end[i] for i in range(c.n_ops) if c.op_resource[i] == r and math.isfinite(out.end[i])]
        until = max([plan.horizon_hours, *mine])
        shifts = scheduled_shifts(c, r, until)
        events.append({"event": "window", "resource": res.id, "start": iso(t0, 0.0), "end": iso(t0, until),
                       "run_hours": float(log.resource_run_hours[r]), "shifts": len(shifts),
                       "window": window})
        absence = _absence(ref, r)
        h = c.res_shift_hours[r]
        for s in shifts:
            if mech.absent(absence, s):
                events.append({"event": "absence", "resource": res.id, "start": iso(t0, s * h),
                               "end": iso(t0, (s + 1) * h), "window": window})
    for r, failed, repaired, meter in log.breakdowns:
        events.append({"event": "breakdown", "resource": plan.resources[r].id, "start": iso(t0, failed),
                       "end": iso(t0, repaired), "run_hours": meter, "window": window})
    names = list(dict.fromkeys(m for op in plan.operations for m in op.materials))
    for m, name in enumerate(names):
        events.append({"event": "material", "material": name, "start": iso(t0, c.mat_base[m]),
                       "end": iso(t0, ref.arrival[m])})
    return events


def logged(c: Compiled, seed: int, rep: int) -> Reference:
    """Replication ``rep`` run by the reference with its event log (and the values of its
    draw of the uncertain parameters)."""
    ref = Reference(parameterized(c, seed, rep), seed, rep, log=True)
    ref.run()
    return ref


def summary_row(rep: int, row: np.ndarray, hits: int) -> dict:
    """The summary.csv row of replication index ``rep`` (numbered ``rep + 1``) from its score row."""
    def ratio(k: int) -> float | None:
        return float(row[k]) if math.isfinite(row[k]) else None

    return {"replication": rep + 1, "plan_holds": int(row[HOLDS]), "bts": ratio(BTS), "btp": ratio(BTP),
            "volume": ratio(VOLUME), "mix": ratio(MIX), "sequence": ratio(SEQUENCE), "hits": hits,
            "finish_hours": float(row[FINISH])}


def realize(plan: Plan, c: Compiled, seed: int, rep: int, engine: str, scratch: Scratch,
            row: np.ndarray) -> Realized:
    """Replication ``rep`` as realized data (module docstring), judged by ``engine``'s
    results (the kernel's by default; the event log always comes from the reference, which
    gives the same replication). ``scratch`` and ``row`` are reused work space."""
    from riskengine.simulation.runner import kernel_replication

    ref = logged(c, seed, rep)
    out = kernel_replication(c, seed, rep) if engine == "kernel" else ref.out
    judge_and_summarize(c, out, scratch, row)
    for a in scratch.tally:  # judge_and_summarize adds into the tally: keep it from growing
        a[...] = 0
    judged = scratch.judged
    hits = int(np.count_nonzero((judged.code == ar.HIT) & (c.op_bucket >= 0)))
    return Realized(rep, actual_rows(plan, out, judged.code, judged.miss_cause,
                                    required(ref.log, "the event log of a logged replication")),
                    event_rows(plan, ref, plan.id), summary_row(rep, row, hits), judged.code.copy(),
                    judged.miss_cause.copy())


def realizations(plan: Plan, c: Compiled, seed: int, first: int, count: int,
                 engine: str = "kernel") -> Iterator[Realized]:
    """Replications ``first .. first + count - 1`` of the compiled plan, one at a time."""
    scratch = Scratch(c)
    row = np.full(Layout(c.n_days, c.band_measures.shape[0], c.n_buckets, c.n_resources).width, np.nan)
    for rep in range(first, first + count):
        yield realize(plan, c, seed, rep, engine, scratch, row)
