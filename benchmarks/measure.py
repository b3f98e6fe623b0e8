"""Measurements of the benchmark suite; :mod:`benchmarks.run` calls them and prints the table.

Throughput is in operation-samples per second: operations x replications / seconds, the
median of ``repeats`` timed runs (model compiled and kernels warm before timing;
accumulators allocated outside the timed call). Figures that need a fresh process (compile
time, peak memory, the CLI) run children of ``sys.executable`` with ``NUMBA_CACHE_DIR`` set.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


#: CPU seconds per wall second of the last :func:`timed` runs (all threads of this process):
#: near the thread count when the machine was free, lower when other processes took cores.
LAST_CPU_SHARE = [0.0]


def timed(fn: Callable[[], object], repeats: int, setup: Callable[[], object] | None = None) -> list[float]:
    """Wall seconds of ``repeats`` calls of ``fn(setup())`` (or ``fn()``), setup not timed."""
    times, cpu = [], 0.0
    for _ in range(repeats):
        arg = setup() if setup else None
        c, t = time.process_time(), time.perf_counter()
        fn(arg) if setup else fn()
        times.append(time.perf_counter() - t)
        cpu += time.process_time() - c
    LAST_CPU_SHARE[0] = cpu / sum(times)
    return times


def rate(samples: int, times: list[float]) -> float:
    return samples / statistics.median(times)


def _fresh(holder: list, acc):
    """Keep only the newest accumulators (the previous ones are freed before the next run)."""
    holder[0] = acc
    return acc


def run_kernel(c, seed: int, first: int, count: int, acc) -> None:
    """The kernel's entry point (one place to adapt if its signature changes)."""
    from riskengine.simulation.runner import run_kernel as run

    run(c, seed, first, count, acc)


def kernel_rate(c, reps: int, repeats: int, threads: int | None = None) -> tuple[float, object]:
    """Kernel operation-samples/s with ``threads`` numba threads (None: all); last accumulators."""
    import numba

    from riskengine.simulation.accumulate import Accumulators

    before = numba.get_num_threads()
    numba.set_num_threads(threads or numba.config.NUMBA_NUM_THREADS)
    try:
        run_kernel(c, 0, 0, min(reps, 10), Accumulators(c, min(reps, 10)))  # warm
        last: list = [None]
        times = timed(lambda acc: run_kernel(c, 0, 0, reps, acc), repeats,
                      setup=lambda: _fresh(last, Accumulators(c, reps)))
    finally:
        numba.set_num_threads(before)
    return rate(c.n_ops * reps, times), last[0]


def cpu_share() -> float:
    return LAST_CPU_SHARE[0]


def reference_rate(c, reps: int, repeats: int) -> tuple[float, object]:
    """SimPy reference operation-samples/s (one process, one thread)."""
    from riskengine.simulation.accumulate import Accumulators, run_reference

    last: list = [None]
    times = timed(lambda acc: run_reference(c, 0, 0, reps, acc), repeats,
                  setup=lambda: _fresh(last, Accumulators(c, reps)))
    return rate(c.n_ops * reps, times), last[0]


def numpy_rate(n_ops: int, reps: int, repeats: int, params=None) -> tuple[float, object]:
    """numpy chain operation-samples/s (vectorized over replications)."""
    from benchmarks.numpy_chain import ChainParams, simulate_chain

    out: list = []
    times = timed(lambda: out.append(simulate_chain(n_ops, reps, params or ChainParams(), seed=1)),
                  repeats)
    return rate(n_ops * reps, times), out[-1]


def kernel_figures(acc, reps: int) -> dict:
    """Mean hit rate per operation, plan holds and mean finish from kernel/reference accumulators."""
    from riskengine.simulation.summary import FINISH, HOLDS

    rows = acc.rows[:reps]
    return {"hit_rate": float(acc.op_hits.sum() / (acc.op_hits.size * reps)),
            "plan_holds": float(rows[:, HOLDS].mean()), "finish_mean_h": float(rows[:, FINISH].mean())}


def same_rows(c, acc_ref, reps: int) -> float:
    """Largest difference between the reference's replication rows and the kernel's for the
    same seed and replications (0: the two engines agree, as docs/design.md section 3 requires)."""
    import numpy as np

    from riskengine.simulation.accumulate import Accumulators

    acc = Accumulators(c, reps)
    run_kernel(c, 0, 0, reps, acc)
    a, b = acc.rows[:reps], acc_ref.rows[:reps]
    return float(np.nanmax(np.abs(a - b))) if np.array_equal(np.isnan(a), np.isnan(b)) else float("inf")


def numpy_figures(res) -> dict:
    reps = res.holds.shape[0]
    return {"hit_rate": float(res.op_hits.sum() / (res.op_hits.size * reps)),
            "plan_holds": float(res.holds.mean()), "finish_mean_h": float(res.finish.mean())}


# -- children ------------------------------------------------------------------------------------

def child_env(cache_dir: str) -> dict:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir))
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    return env


def run_child(args: list[str], cache_dir: str, timeout: float = 900) -> tuple[float, str]:
    """Run a child process; its wall seconds (start to exit) and stdout. Raises on failure."""
    t = time.perf_counter()
    done = subprocess.run(args, env=child_env(cache_dir), capture_output=True, text=True, timeout=timeout)
    wall = time.perf_counter() - t
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:3])} ... exited {done.returncode}:\n{done.stderr[-2000:]}")
    return wall, done.stdout


def run_python(code: str, cache_dir: str) -> tuple[float, dict]:
    """Run ``python -c code``; its wall seconds and the JSON object it prints last."""
    wall, out = run_child([sys.executable, "-c", code], cache_dir)
    return wall, json.loads(out.strip().splitlines()[-1])


SCORE_SMALL = """
import json, time
t0 = time.perf_counter()
from riskengine.simulation.accumulate import Accumulators
from riskengine.simulation.compile import compile_model
from riskengine.simulation.runner import run_kernel
t1 = time.perf_counter()
from benchmarks.models import chain_model
c = compile_model(*chain_model(20))
acc = Accumulators(c, 100)
t2 = time.perf_counter()
run_kernel(c, 0, 0, 100, acc)
t3 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "model_s": t2 - t1, "first_call_s": t3 - t2}))
"""


def compile_times(cache_dir: str) -> dict:
    """Score a 20-operation chain (100 replications) in a fresh process, with an empty numba
    cache (cold) and again with the cache it left (warm)."""
    out = {}
    for name in ("cold", "warm"):
        wall, inner = run_python(SCORE_SMALL, cache_dir)
        out[name] = {"process_s": wall, **inner}
    return out


MEMORY = """
import json, time, tracemalloc
from benchmarks.measure import peak_rss, run_kernel
from benchmarks.models import chain_model
from riskengine.simulation.accumulate import Accumulators
from riskengine.simulation.compile import compile_model
c = compile_model(*chain_model({n_ops}))
run_kernel(c, 0, 0, 10, Accumulators(c, 10))
base = peak_rss()
tracemalloc.start()
t = time.perf_counter()
acc = Accumulators(c, {reps})
run_kernel(c, 0, 0, {reps}, acc)
wall = time.perf_counter() - t
traced = tracemalloc.get_traced_memory()[1]
print(json.dumps({{"baseline_rss": base, "peak_rss": peak_rss(), "traced_peak_bytes": traced,
                  "rows_bytes": acc.rows.nbytes, "row_bytes": acc.rows.nbytes // {reps},
                  "seconds": wall, "ops_per_s": {n_ops} * {reps} / wall}}))
"""


def peak_rss() -> int:
    """Peak resident set size of this process in bytes: ``VmHWM`` of /proc/self/status where
    there is one (``getrusage``'s ``ru_maxrss`` of a child keeps its parent's peak on Linux),
    else ``getrusage``."""
    try:
        with open("/proc/self/status") as f:
            for text in f:
                if text.startswith("VmHWM:"):
                    return int(text.split()[1]) * 1024
    except OSError:
        pass
    import resource

    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def memory(cache_dir: str, n_ops: int, reps: int) -> dict:
    """Peak RSS (:func:`peak_rss`) and tracemalloc peak of a fresh process that runs ``reps``
    replications of the ``n_ops`` chain, against its peak after loading and warming the kernel."""
    _, out = run_python(MEMORY.format(n_ops=n_ops, reps=reps), cache_dir)
    out["growth_bytes"] = out["peak_rss"] - out["baseline_rss"]
    out["growth_without_rows_bytes"] = out["growth_bytes"] - out["rows_bytes"]
    return out


def cli() -> list[str]:
    exe = shutil.which("riskengine")
    return [exe] if exe else [sys.executable, "-c", "from riskengine.cli import main; main()"]


def week_cli(cache_dir: str, folder: Path, precision: float, repeats: int) -> dict:
    """Time ``riskengine score PLAN --premises F --precision P --quiet --json OUT`` (process
    start included) after one warm-up run that fills the numba cache for the CLI's path."""
    plan, premises, out = folder / "plan.json", folder / "premises.json", folder / "score.json"
    base = [*cli(), "score", str(plan), "--premises", str(premises), "--quiet", "--json", str(out)]
    warmup, _ = run_child([*base, "--replications", "20"], cache_dir)
    walls = [run_child([*base, "--precision", str(precision)], cache_dir)[0] for _ in range(repeats)]
    result = json.loads(out.read_text())

    def half(est: dict) -> float:
        return (est["high"] - est["low"]) / 2

    holds, bts = result["plan_holds"], result["adherence"]["bts"]
    return {"command": " ".join([*base, "--precision", str(precision)]), "warmup_s": warmup,
            "wall_s": statistics.median(walls), "walls_s": walls, "replications": result["replications"],
            "plan_holds": holds["mean"], "plan_holds_half_width": half(holds), "bts": bts["mean"],
            "bts_half_width": half(bts)}


def week_in_process(plan: dict, premises: dict, precision: float) -> dict:
    """The same score in this process (kernels warm): parse time and ``score`` time apart."""
    from riskengine.analysis.score import score
    from riskengine.model.plan import parse_plan
    from riskengine.model.premises import parse_premises

    t = time.perf_counter()
    p, q = parse_plan(plan), parse_premises(premises)
    parsed = time.perf_counter()
    result = score(p, q, precision=precision)
    done = time.perf_counter()
    return {"parse_s": parsed - t, "score_s": done - parsed, "score_replications": result.replications}
