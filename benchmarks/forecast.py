"""What a forecast costs next to a score of the operations that remain (issue 19).

    python benchmarks/forecast.py --ops 10000 --replications 1000 --json /tmp/bench-forecast.json

The week model of :mod:`benchmarks.models` (``week_documents``) is executed once by the kernel
(replication 0, seed 99: "what happened"); the actuals up to the as-of time T (each fraction of
the horizon given) are its records that ended by T and, as in progress, those that started
before T. Then, each timed after a warm-up call (compilation is never timed, median of
``--repeats``):

- ``forecast``: :func:`riskengine.forecast` from that state, end to end (the state, the
  measurement up to T, the replications, the dates sampled, the result);
- ``score_remaining``: :func:`riskengine.score` of the plan a planner would write by hand at T:
  the operations not done, at their planned times (same horizon, calendars and premises);
- ``forecast_replications``, ``score_remaining_replications``: the replications alone of each
  (``run_kernel`` on the forecast's model, the realized state in it, and on the remaining plan's).

The four run in turn (interleaved, after a warm-up call each) ``--repeats`` times; each figure is
the median. ``ratio`` = forecast / score_remaining end to end, ``ratio_replications`` the same for
the replications alone: the issue asks for at most 1. The parts of the forecast (``state``,
``replications``, ``dates``, ``result``) are timed once more separately. (A score's result names
the premises' materials the plan does not use with the closest one it does: with the week
model's premises, naming every lot of the week, that is seconds for a plan of the remaining
operations; the forecast names those of the whole plan, which uses them all.)
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from datetime import timedelta
from functools import partial
from pathlib import Path

if __package__ in (None, ""):  # python benchmarks/forecast.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import models  # noqa: E402


def happened(plan, premises, as_of_hours: float):
    """The actuals (``riskengine.actuals/1`` document) of one kernel replication, as they stood at T."""
    from riskengine.plugins import compile_with_plugins
    from riskengine.simulation.runner import kernel_replication

    out = kernel_replication(compile_with_plugins(plan, premises), 99, 0)
    records = []
    for i, op in enumerate(plan.operations):
        s, e = float(out.start[i]), float(out.end[i])
        if e <= as_of_hours:
            records.append({"operation": op.id, "quantity": float(out.good[i]), "start": s, "end": e})
        elif s < as_of_hours:
            records.append({"operation": op.id, "quantity": 0, "start": s})
    return {"format": "riskengine.actuals/1", "records": records}


def remaining_plan(plan_doc: dict, actuals: dict):
    """The plan of the operations not done at T (their routing within the remaining ones)."""
    from riskengine.model.plan import parse_plan

    done = {r["operation"] for r in actuals["records"] if "end" in r}
    ops = [dict(o, after=[a for a in o.get("after", []) if a not in done])
           for o in plan_doc["operations"] if o["id"] not in done]
    return parse_plan(dict(plan_doc, id=plan_doc["id"] + "-rest", operations=ops))


PARTS = ("state_s", "replications_s", "dates_s", "result_s")


def interleaved(fns: dict, repeats: int) -> dict[str, float]:
    """Median seconds of each function, run in turn ``repeats`` times after a warm-up call of each
    (the machine is shared: interleaving exposes both to the same load)."""
    for fn in fns.values():
        fn()  # warm-up (compiles)
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    return {name: statistics.median(ts) for name, ts in times.items()}


def simulate(c, replications: int):
    """The replications alone (a score's or a forecast's model) into fresh accumulators."""
    from riskengine.simulation.accumulate import Accumulators
    from riskengine.simulation.runner import run_kernel

    run_kernel(c, 0, 0, replications, Accumulators(c, replications))


def parts(history, premises, as_of, actuals, replications: int) -> dict:
    """The forecast's parts, each timed once (warm)."""
    from riskengine.live import consolidate as cons
    from riskengine.live import run as fr
    from riskengine.live.dates import sample_dates
    from riskengine.live.state import build_state

    out = {}
    t = time.perf_counter()
    st = build_state(history, premises, as_of, actuals, None)
    out["state_s"] = time.perf_counter() - t
    t = time.perf_counter()
    acc = fr._simulate(st, 0, replications, "kernel", None, None, None)
    out["replications_s"] = time.perf_counter() - t
    t = time.perf_counter()
    dates = sample_dates(st.compiled, 0, replications)
    out["dates_s"] = time.perf_counter() - t
    t = time.perf_counter()
    fr._realized_into(acc, st)
    score = fr.build_result(st.plan, premises, st.compiled, acc, seed=0, engine="kernel", precision=None,
                            warnings=st.warnings)
    cons.consolidate(score, st, acc, dates, 0.8, None)
    out["result_s"] = time.perf_counter() - t
    out["dates_replications"] = dates.replications
    return out


def main() -> None:
    import riskengine as rk
    from riskengine.live.state import build_state
    from riskengine.model.premises import parse_premises
    from riskengine.plugins import compile_with_plugins

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ops", type=int, default=10_000)
    ap.add_argument("--replications", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--at", type=float, nargs="+", default=[0.25, 0.5, 0.75],
                    help="as-of times as fractions of the horizon")
    ap.add_argument("--json", metavar="OUT")
    args = ap.parse_args()
    plan_doc, premises_doc = models.week_documents(args.ops)
    plan, premises = rk.parse_plan(plan_doc), parse_premises(premises_doc)
    history = rk.PlanHistory([plan])
    machine = {"python": platform.python_version(), "cpu": platform.processor() or platform.machine()}
    report = {"machine": machine, "ops": args.ops, "replications": args.replications, "rows": []}
    print(f"week model, {args.ops} operations, {args.replications} replications, median of {args.repeats}")
    print(f"  {'as of':>6} {'done':>6} {'simulated':>9} {'forecast s':>11} {'score rest s':>13} {'ratio':>6} "
          f"{'ratio (reps)':>12}  forecast parts (s)")
    for frac in args.at:
        t_h = frac * plan.horizon_hours
        doc = happened(plan, premises, t_h)
        actuals = rk.parse_actuals(doc, history)
        as_of = plan.horizon.start + timedelta(hours=t_h)
        rest = remaining_plan(plan_doc, doc)
        state = build_state(history, premises, as_of, actuals, None)
        rest_model = compile_with_plugins(rest, premises)
        n = args.replications
        med = interleaved({
            "forecast_s": partial(rk.forecast, history, premises, as_of, actuals=actuals, replications=n),
            "score_remaining_s": partial(rk.score, rest, premises, replications=n),
            "forecast_replications_s": partial(simulate, state.compiled, n),
            "score_remaining_replications_s": partial(simulate, rest_model, n)}, args.repeats)
        done = sum(1 for r in doc["records"] if "end" in r)
        row = {"as_of_fraction": frac, "done": done, "remaining": len(rest.operations),
               "simulated": state.compiled.n_ops, **med,
               "ratio": med["forecast_s"] / med["score_remaining_s"],
               "ratio_replications": med["forecast_replications_s"] / med["score_remaining_replications_s"],
               **parts(history, premises, as_of, actuals, n)}
        report["rows"].append(row)
        print(f"  {frac:>6.2f} {done:>6} {row['simulated']:>9} {med['forecast_s']:>11.3f} "
              f"{med['score_remaining_s']:>13.3f} {row['ratio']:>6.2f} {row['ratio_replications']:>12.2f}  "
              + ", ".join(f"{k[:-2]} {row[k]:.3f}" for k in PARTS))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
