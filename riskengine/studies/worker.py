"""One cell on a worker: simulate a plan under premises and keep the study's metrics.

:func:`run_cell` takes and returns plain data, so it runs the same in this
process, in a process pool or on a Dask worker. The row holds the cell's
labels and, per metric, ``{m}_mean``, ``{m}_low`` and ``{m}_high`` (the 95%
interval of docs/design.md section 5: Wilson for probabilities, t for means, ratios
clipped to [0, 1]); ``finish`` adds ``finish_p90``. A metric that is
undefined in every replication (e.g. ``sequence`` with nothing in sequence
scope) is null. Parsed plans are cached per worker by content hash.
"""

from __future__ import annotations

import time
from collections import OrderedDict

from riskengine.model.plan import Plan, parse_plan
from riskengine.model.premises import parse_premises
from riskengine.simulation.statistics import finish_estimate, proportion, ratio
from riskengine.simulation.summary import BTP, BTS, FINISH, HOLDS, MIX, SEQUENCE, VOLUME
from riskengine.studies.table import StudyRow

_COLUMNS = {"bts": BTS, "btp": BTP, "volume": VOLUME, "mix": MIX, "sequence": SEQUENCE}
_PLANS: OrderedDict[str, Plan] = OrderedDict()
_CACHE_SIZE = 16


def end_with_parent(parent: int) -> None:
    """Initializer of a local pool worker: end when the sweep process that started it ends,
    even by SIGKILL (which no cleanup code sees), instead of running on as an orphan.

    On Linux the kernel sends the worker SIGKILL when its parent dies (``PR_SET_PDEATHSIG``);
    everywhere a daemon thread checks once a second that the parent is still the parent (an
    orphan is adopted by another process). The pool's resource tracker ends by itself once the
    parent and the workers are gone (its pipe closes).
    """
    import ctypes
    import os
    import signal
    import sys
    import threading

    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG = 1
        except (AttributeError, OSError):
            pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)
    threading.Thread(target=watch, name="riskengine-parent-watch", daemon=True).start()


def _plan(key: str, doc: dict) -> Plan:
    plan = _PLANS.get(key)
    if plan is None:
        plan = parse_plan(doc, "plan")
        _PLANS[key] = plan
        while len(_PLANS) > _CACHE_SIZE:
            _PLANS.popitem(last=False)
    return plan


def estimate(acc, metric: str) -> dict | None:
    """The estimate of one metric from the accumulated replications (their figures' values or
    sketches, :meth:`riskengine.simulation.accumulate.Accumulators.column`)."""
    layout = acc.layout
    if metric == "plan_holds":
        return proportion(acc.column(HOLDS))
    if metric == "finish":
        return finish_estimate(acc.column(FINISH))
    if metric.startswith("holds_day_"):
        day = int(metric.removeprefix("holds_day_"))
        # a plan shorter than K days holds through day K when it holds through its last day
        column = layout.days + min(day, layout.n_days) - 1 if layout.n_days else HOLDS
        return proportion(acc.column(column))
    return ratio(acc.column(_COLUMNS[metric]))


def run_cell(task: dict, plan_doc: dict | None = None) -> dict:
    """Simulate one cell; returns ``{"row": {...}, "seconds": wall time}``."""
    from riskengine.analysis.score import simulate

    if task.get("threads"):
        import numba

        from riskengine._jit import max_threads

        numba.set_num_threads(min(int(task["threads"]), max_threads()))
    t0 = time.perf_counter()
    plan = _plan(task["plan_key"], plan_doc if plan_doc is not None else task["plan_doc"])
    premises = parse_premises(task["premises_doc"], "premises")
    _, acc = simulate(plan, premises, replications=task["replications"] or 1000,
                      precision=task["precision"], seed=task["seed"], engine=task["engine"],
                      max_replications=task["max_replications"])
    n = acc.replications
    row = {"cell": task["index"], "plan": task["plan"], **task["parameters"], "seed": task["seed"],
           "replications": n, "planned_finish": task["planned_finish"]}
    for metric in task["metrics"]:
        est = estimate(acc, metric)
        for part in ("mean", "low", "high"):
            row[f"{metric}_{part}"] = None if est is None else est[part]
        if metric == "finish":
            row["finish_p90"] = None if est is None else est["p90"]
    row["cell_id"] = task["cell_id"]
    return {"row": StudyRow.checked(row), "seconds": time.perf_counter() - t0}
