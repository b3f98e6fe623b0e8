"""Makespan-optimal job-shop schedules with OR-Tools CP-SAT (optional extra ``jobshop``).

The model is the standard disjunctive one (Google OR-Tools, "The job shop
problem", developers.google.com/optimization/scheduling/job_shop): one interval
per operation, ``AddNoOverlap`` per machine, ``end(j, k) <= start(j, k + 1)``
along each job, minimise the makespan. The solver's schedule is then
left-shifted (:func:`~riskengine.jobshop.instance.left_shift`: same machine
sequences, no unforced idle time), which keeps its makespan. ``optimal`` is
True only when CP-SAT proves optimality within the time limit.
"""

from __future__ import annotations

import numpy as np

from riskengine.errors import InputError, Problem
from riskengine.jobshop.instance import Instance, Schedule, left_shift


def available() -> bool:
    """Whether OR-Tools is installed."""
    try:
        import ortools.sat.python.cp_model  # noqa: F401
    except ImportError:
        return False
    return True


def solve(inst: Instance, *, time_limit: float = 30.0, workers: int = 2, seed: int = 0) -> Schedule:
    """The best schedule CP-SAT finds within ``time_limit`` seconds (optimal if proven).

    With ``workers=1`` the search is deterministic; with more workers the makespan
    is still optimal when proven, but which optimal schedule is returned may vary.
    """
    try:
        from ortools.sat.python import cp_model
    except ImportError:
        raise InputError(Problem("solver", "OR-Tools is not installed: "
                                 "python -m pip install 'riskengine[jobshop]'")) from None
    n, m = inst.durations.shape
    horizon = int(inst.durations.sum())
    model = cp_model.CpModel()
    start, end = {}, {}
    per_machine: list[list[cp_model.IntervalVar]] = [[] for _ in range(inst.n_machines)]
    for j in range(n):
        for k in range(m):
            p = int(inst.durations[j, k])
            s = model.new_int_var(0, horizon, f"s{j}_{k}")
            e = model.new_int_var(0, horizon, f"e{j}_{k}")
            per_machine[int(inst.machines[j, k])].append(model.new_interval_var(s, p, e, f"i{j}_{k}"))
            start[j, k], end[j, k] = s, e
            if k > 0:
                model.add(s >= end[j, k - 1])
    for intervals in per_machine:
        model.add_no_overlap(intervals)
    makespan = model.new_int_var(0, horizon, "makespan")
    model.add_max_equality(makespan, [end[j, m - 1] for j in range(n)])
    model.minimize(makespan)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit)
    solver.parameters.num_workers = int(workers)
    solver.parameters.random_seed = int(seed)
    status = solver.Solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise InputError(Problem("time_limit", f"CP-SAT found no schedule of {inst.name} in {time_limit} s"))
    starts = np.array([[solver.Value(start[j, k]) for k in range(m)] for j in range(n)], dtype=np.int64)
    info = {"solver": "cp-sat", "status": solver.StatusName(status),
            "bound": int(solver.BestObjectiveBound()),
            "wall_seconds": round(solver.WallTime(), 3)}
    return left_shift(Schedule(inst, starts, "cpsat", optimal=status == cp_model.OPTIMAL, info=info))
