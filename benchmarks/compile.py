"""Where a cold compile's time goes (issue 14).

    python benchmarks/compile.py [--opt N] [--json OUT]

Runs ``riskengine score`` on the example factory (10 replications) in a child process with an
empty numba cache (a fresh ``NUMBA_CACHE_DIR``) and numba's event listeners on, and prints:

- the child's CPU time (user + system) and wall time, and the time until ``score`` starts
  (imports);
- for each function numba compiled: its **self** time (its own compile, not the callees
  compiled while typing it), split into the time under numba's LLVM lock (LLVM optimisation
  and machine-code generation) and the rest (type inference, numba's lowering to LLVM IR,
  caching);
- the totals: compile time, LLVM's share, functions compiled.

``--opt N`` sets ``NUMBA_OPT`` in the child (numba's LLVM optimisation level, 3 by default):
what a lower level would save. Times are wall clock inside the child, so on a loaded machine
compare shares, not seconds; the CPU time line is the load-independent total.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCORE = ["score", "scenarios/example-factory/plan-v1.json", "--premises",
         "scenarios/example-factory/premises.toml", "--replications", "10", "--quiet",
         "--json", os.devnull]

CHILD = r"""
import collections, json, sys, time
t0 = time.perf_counter()
from numba.core import event
stack, own, llvm, calls = [], collections.Counter(), collections.Counter(), collections.Counter()
lock = {"depth": 0, "t": 0.0}

class Compile(event.Listener):
    def on_start(self, ev):
        d = ev.data["dispatcher"]
        stack.append([f"{d.py_func.__module__}.{d.py_func.__qualname__}", time.perf_counter(), 0.0, 0.0])
    def on_end(self, ev):
        name, start, children, lock_children = stack.pop()
        spent = time.perf_counter() - start
        own[name] += spent - children
        calls[name] += 1
        if stack:
            stack[-1][2] += spent

class Llvm(event.Listener):
    def on_start(self, ev):
        lock["depth"] += 1
        if lock["depth"] == 1:
            lock["t"] = time.perf_counter()
    def on_end(self, ev):
        lock["depth"] -= 1
        if lock["depth"] == 0:
            spent = time.perf_counter() - lock["t"]
            llvm[stack[-1][0] if stack else "(outside a compile)"] += spent

event.register("numba:compile", Compile())
event.register("numba:llvm_lock", Llvm())
from riskengine.cli import main
imported = time.perf_counter() - t0
sys.argv = ["riskengine"] + json.loads(sys.argv[1])
try:
    main()
except SystemExit:
    pass
print(json.dumps({"imports_s": imported, "own": own, "llvm": llvm, "calls": calls}))
"""


def measure(opt: int | None) -> dict:
    """Run the cold score in a child with an empty cache; return its figures."""
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONPATH=str(ROOT))
        if opt is not None:
            env["NUMBA_OPT"] = str(opt)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(SCORE)], env=env, cwd=ROOT,
                             capture_output=True, text=True, check=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    figures["wall_s"] = wall
    figures["cpu_s"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return figures


def table(figures: dict, rows: int) -> str:
    """The functions with the most self time, aligned, and the totals."""
    own, llvm, calls = figures["own"], figures["llvm"], figures["calls"]
    total, total_llvm = sum(own.values()), sum(llvm.values())
    names = sorted(own, key=own.get, reverse=True)
    width = max(len(n) for n in names[:rows])
    lines = [f"{'function':<{width}}  {'self s':>7}  {'LLVM s':>7}  {'other s':>7}  calls",
             "-" * (width + 36)]
    for name in names[:rows]:
        lines.append(f"{name:<{width}}  {own[name]:7.2f}  {llvm.get(name, 0):7.2f}  "
                     f"{own[name] - llvm.get(name, 0):7.2f}  {calls[name]:5d}")
    rest = names[rows:]
    if rest:
        lines.append(f"{f'... {len(rest)} more functions':<{width}}  "
                     f"{sum(own[n] for n in rest):7.2f}  {sum(llvm.get(n, 0) for n in rest):7.2f}")
    lines += ["",
              f"child process: {figures['cpu_s']:.1f} s CPU, {figures['wall_s']:.1f} s wall; "
              f"imports {figures['imports_s']:.1f} s",
              f"compiling: {total:.1f} s over {len(own)} functions ({sum(calls.values())} "
              f"compilations); LLVM {total_llvm:.1f} s ({100 * total_llvm / total:.0f}%), "
              f"typing and lowering {total - total_llvm:.1f} s"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opt", type=int, choices=range(4), help="NUMBA_OPT for the child")
    parser.add_argument("--rows", type=int, default=25, help="functions listed (the rest summed)")
    parser.add_argument("--json", type=Path, help="write the raw figures here")
    args = parser.parse_args()
    figures = measure(args.opt)
    print(table(figures, args.rows))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
