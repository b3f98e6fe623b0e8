"""Regenerate the job-shop plans of this folder from the bundled benchmark instances.

    python scenarios/jobshop/make_plans.py            # needs ortools (extra "jobshop") for *-cpsat

One time unit of an instance is one hour; the machines work around the clock;
the horizon starts Monday 2027-01-04 00:00 UTC; buckets of 8 hours. The same
plans come from the CLI, e.g.
``riskengine jobshop ft10 --rule spt --generator non-delay --out ft10-spt-non-delay.json``.
"""

from __future__ import annotations

from pathlib import Path

from riskengine.io.writers import write_json
from riskengine.jobshop import dispatch, load_instance, schedule_plan
from riskengine.jobshop.solver import solve

HERE = Path(__file__).parent

if __name__ == "__main__":
    for name in ("ft06", "ft10"):
        inst = load_instance(name)
        schedules = [dispatch(inst, "spt", "non-delay"), dispatch(inst, "mwkr", "non-delay"),
                     solve(inst, time_limit=300, workers=2)]
        for s in schedules:
            doc = schedule_plan(s)
            write_json(doc, HERE / f"{doc['id']}.json")
            print(f"{doc['id']}: makespan {s.makespan} (best known {inst.best_known})"
                  f"{' optimal' if s.optimal else ''}")
