"""Plan health checks before simulation: one small function per finding kind.

What each kind means (``severity`` in brackets):

- ``conflict`` (error): two operations overlap on one resource (windows, setup
  included). One finding per overlapping pair, in sequence order.
- ``routing`` (error): an operation starts before a routing predecessor
  (``after``) ends. Names the predecessor, then the operation.
- ``order`` (error): the special case of a routing violation where both
  operations belong to the same ``order`` and the later routing step is
  planned to *start before* the earlier one starts (the order's steps are
  planned in reverse). Reported instead of ``routing`` for that pair.
- ``calendar`` (error): an operation starts in non-working time of its
  resource, or its window holds less working time than its work content
  (``work_hours``, default ``end - start``): the window contains non-working
  time the plan did not account for.
- ``setup`` (error): a changeover with less planned setup (``setup_hours``)
  than ``setup_matrix`` requires for the previous operation's family on the
  resource. ``setup`` (warning): an avoidable changeover: within one bucket
  on one resource a family returns after another family although the
  returning operation was ready (routing predecessors done, materials
  arrived) when the earlier run of its family ended, and the detour costs
  setup (any setup when the plan has no ``setup_matrix``).
- ``capacity`` (error): an operation's work content, spread over the working
  time of its window, loads a bucket of its resource beyond the resource's
  working time in that bucket. Load above capacity is infeasible as planned;
  it comes with the conflict or calendar findings that cause it and tells how
  large the overload is.
- ``material`` (error): an operation starts before a material it needs is
  planned to arrive (``materials[].available_at``).
- ``horizon`` (warning): an operation starts before the horizon start or ends
  after the horizon end (carried-over or spilling work).

Operations named: both operations of a conflict (in sequence order); the
predecessor, then the operation, for routing and order; the previous and the
next operation of an ignored setup; the earlier operation of the family, the
operations in between and the returning one for an avoidable changeover;
every operation loading the bucket for capacity; the operation alone for
calendar, material and horizon. Times closer than :data:`TOL` (3.6 ms) count
as equal.
"""

from __future__ import annotations

from collections import defaultdict

from riskengine.feasibility.result import KINDS, CheckResult, Finding
from riskengine.feasibility.view import TOL, PlanView, hours_text
from riskengine.model.calendar import finish_time, next_working, working_time
from riskengine.model.plan import Plan
from riskengine.model.setup import required_setup
from riskengine.model.validation import unvalidated_warning


def conflicts(v: PlanView) -> list[Finding]:
    """Pairs of operations whose windows overlap on one resource."""
    out = []
    for rid, seq in v.plan.sequences.items():
        active: list[int] = []
        for i in seq:
            active = [j for j in active if v.end[j] > v.start[i] + TOL]
            for j in active:
                overlap = min(v.end[i], v.end[j]) - v.start[i]
                out.append(Finding("conflict", "error", [v.id(j), v.id(i)],
                                   f"{v.id(j)} ({v.window(j)}) and {v.id(i)} ({v.window(i)}) overlap "
                                   f"by {hours_text(overlap)} on {rid}", rid))
            active.append(i)
    return out


def routing(v: PlanView) -> list[Finding]:
    """Operations starting before a routing predecessor ends (reversed order steps: kind ``order``)."""
    out = []
    ops = v.plan.operations
    for i, op in enumerate(ops):
        for pred in op.after:
            j = v.plan.operation_index[pred]
            if op.order is not None and op.order == ops[j].order and v.start[i] < v.start[j] - TOL:
                out.append(Finding("order", "error", [pred, op.id],
                                   f"order {op.order}: {op.id} ({v.window(i)}) is planned before "
                                   f"{pred} ({v.window(j)}), which routing puts first"))
            elif v.start[i] < v.end[j] - TOL:
                out.append(Finding("routing", "error", [pred, op.id],
                                   f"{op.id} starts {v.clock(v.start[i])} but its predecessor {pred} "
                                   f"ends {v.clock(v.end[j])} ({hours_text(v.end[j] - v.start[i])} "
                                   "too early)"))
    return out


def calendar(v: PlanView) -> list[Finding]:
    """Operations starting in non-working time or whose window is short of working time."""
    out = []
    for i, op in enumerate(v.plan.operations):
        if op.resource not in v.calendared:
            continue
        s, e = v.intervals(op.resource)
        first = next_working(s, e, v.start[i])
        done = finish_time(s, e, v.start[i], v.work[i])
        if first > v.start[i] + TOL:
            out.append(Finding("calendar", "error", [op.id],
                               f"{op.id} starts {v.clock(v.start[i])} in non-working time of "
                               f"{op.resource} (next working time {v.clock(first)}); its "
                               f"{hours_text(v.work[i])} of work would finish {v.clock(done)}, "
                               f"planned {v.clock(v.end[i])}", op.resource))
            continue
        held = working_time(s, e, v.start[i], v.end[i])
        if held < v.work[i] - TOL:
            out.append(Finding("calendar", "error", [op.id],
                               f"{op.id} ({v.window(i)}) has {hours_text(v.work[i])} of work but its "
                               f"window holds {hours_text(held)} of working time on {op.resource}: it "
                               f"would finish {v.clock(done)}", op.resource))
    return out


def _family(v: PlanView, i: int) -> str | None:
    return v.plan.operations[i].family


def ignored_setups(v: PlanView) -> list[Finding]:
    """Changeovers with less planned setup than the setup matrix requires."""
    out: list[Finding] = []
    if not v.plan.setup_matrix:
        return out
    for rid, seq in v.plan.sequences.items():
        for j, i in zip(seq, seq[1:], strict=False):
            need = required_setup(v.plan, _family(v, j), _family(v, i))
            have = v.plan.operations[i].setup_hours
            if have < need - TOL:
                out.append(Finding("setup", "error", [v.id(j), v.id(i)],
                                   f"changeover {_family(v, j)} -> {_family(v, i)} on {rid} before "
                                   f"{v.id(i)} needs {hours_text(need)} of setup, the plan has "
                                   f"{hours_text(have)}", rid))
    return out


def ready_time(v: PlanView, i: int) -> float:
    """When operation ``i`` could start at the earliest: routing predecessors done, materials arrived."""
    op = v.plan.operations[i]
    t = max((v.end[v.plan.operation_index[p]] for p in op.after), default=-float("inf"))
    return max([t, *(v.arrivals[m] for m in op.materials if m in v.arrivals)])


def avoidable_changeovers(v: PlanView) -> list[Finding]:
    """A family returning on a resource within one bucket when it could have been grouped."""
    out = []
    for rid, seq in v.plan.sequences.items():
        for n, i in enumerate(seq):
            fam = _family(v, i)
            if fam is None:
                continue
            k = n - 1
            while k >= 0 and v.bucket(v.start[seq[k]]) == v.bucket(v.start[i]) and _family(v, seq[k]) != fam:
                k -= 1
            if k < 0 or k == n - 1 or _family(v, seq[k]) != fam:
                continue
            if v.bucket(v.start[seq[k]]) != v.bucket(v.start[i]):
                continue
            path = seq[k:n + 1]
            others = [f for x in path[1:-1] if (f := _family(v, x)) is not None]
            if not others or ready_time(v, i) > v.end[seq[k]] + TOL:
                continue
            families = [fam, *others, fam]
            cost = sum(required_setup(v.plan, a, b) for a, b in zip(families, families[1:], strict=False))
            if v.plan.setup_matrix and cost <= TOL:
                continue
            detour = " -> ".join(dict.fromkeys(families[:-1])) + f" -> {fam}"
            extra = f" ({hours_text(cost)} of setup)" if v.plan.setup_matrix else ""
            out.append(Finding("setup", "warning", [v.id(x) for x in path],
                               f"family {fam} returns on {rid} with {v.id(i)} after {', '.join(others)} "
                               f"in the bucket starting {v.clock(v.bucket(v.start[i]) * v.plan.bucket_hours)}"
                               f": {v.id(i)} was ready when {v.id(seq[k])} ended, running it then saves "
                               f"the changeovers {detour}{extra}", rid))
    return out


def capacity(v: PlanView) -> list[Finding]:
    """Buckets where a resource's load exceeds its working time."""
    out = []
    bh = v.plan.bucket_hours
    for rid, seq in v.plan.sequences.items():
        s, e = v.intervals(rid)
        load: dict[int, float] = defaultdict(float)
        members: dict[int, list[int]] = defaultdict(list)
        for i in seq:
            a, b = v.start[i], v.end[i]
            held = working_time(s, e, a, b)
            first, last = v.bucket(a), max(v.bucket(a), v.bucket(b - TOL))
            for k in range(first, last + 1):
                if held > TOL:
                    part = v.work[i] * working_time(s, e, max(a, k * bh), min(b, (k + 1) * bh)) / held
                else:  # no working time in the window at all: the whole work falls where it starts
                    part = v.work[i] if k == first else 0.0
                if part > TOL:
                    load[k] += part
                    members[k].append(i)
        for k in sorted(load):
            cap = working_time(s, e, k * bh, (k + 1) * bh)
            if load[k] > cap + TOL:
                share = f" ({100 * load[k] / cap:.0f}%)" if cap > 0 else ""
                out.append(Finding("capacity", "error", [v.id(i) for i in members[k]],
                                   f"{rid} in the bucket starting {v.clock(k * bh)}: load "
                                   f"{hours_text(load[k])}, working time {hours_text(cap)}{share}", rid))
    return out


def materials(v: PlanView) -> list[Finding]:
    """Operations starting before a material they need arrives."""
    out = []
    for i, op in enumerate(v.plan.operations):
        for m in op.materials:
            if m in v.arrivals and v.arrivals[m] > v.start[i] + TOL:
                out.append(Finding("material", "error", [op.id],
                                   f"{op.id} starts {v.clock(v.start[i])} but material {m} arrives "
                                   f"{v.clock(v.arrivals[m])} ({hours_text(v.arrivals[m] - v.start[i])} "
                                   "later)", op.resource))
    return out


def horizon(v: PlanView) -> list[Finding]:
    """Operations (partly) outside the horizon."""
    out = []
    end = v.plan.horizon_hours
    for i, op in enumerate(v.plan.operations):
        if v.start[i] < -TOL:
            where = "lies before" if v.end[i] <= TOL else "starts before"
            out.append(Finding("horizon", "warning", [op.id],
                               f"{op.id} ({v.window(i)}) {where} the horizon start "
                               f"{v.clock(0.0)}", op.resource))
        elif v.end[i] > end + TOL:
            where = "lies after" if v.start[i] >= end - TOL else "ends after"
            out.append(Finding("horizon", "warning", [op.id],
                               f"{op.id} ({v.window(i)}) {where} the horizon end {v.clock(end)}",
                               op.resource))
    return out


CHECKS = (conflicts, routing, calendar, ignored_setups, avoidable_changeovers, capacity, materials, horizon)


def check(plan: Plan) -> CheckResult:
    """Check a validated plan for everything that keeps it from being executed as planned.

    Parameters
    ----------
    plan
        A validated plan version.

    Returns
    -------
    CheckResult
        Findings (errors first, then by kind and time) and the health summary;
        ``result.ok`` is False when any finding is an error.

    Examples
    --------
    >>> import riskengine as rk
    >>> rk.check(rk.read_plan("scenarios/example-factory/plan-v1.json")).verdict
    'feasible'
    >>> broken = rk.check(rk.read_plan("scenarios/broken-plan/plan.json"))
    >>> broken.ok, broken.errors[0].kind
    (False, 'conflict')
    """
    view = PlanView.of(plan)
    findings = [f for run in CHECKS for f in run(view)]
    order = list(KINDS)
    first = {op.id: view.start[i] for i, op in enumerate(plan.operations)}
    findings.sort(key=lambda f: (f.severity != "error", order.index(f.kind),
                                 min(first[o] for o in f.operations)))
    notes = [w for w in (unvalidated_warning(plan),) if w]
    return CheckResult(plan.id, len(plan.operations), findings, plan_warnings=notes)
