"""Run the riskengine benchmark suite and print a table (see benchmarks/README.md).

    python benchmarks/run.py --quick --json /tmp/bench-quick.json   # < 2 minutes on 2 cores
    python benchmarks/run.py --json /tmp/bench-full.json            # the full suite

All figures come from one run on one machine. The numba cache of the run lives in a fresh
temporary folder (``NUMBA_CACHE_DIR``), so the cold compile is really cold and the repo's
own ``__pycache__`` is left alone.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # python benchmarks/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import measure as m  # noqa: E402
from benchmarks import models  # noqa: E402

QUICK = {"repeats": 3, "chain_ops": 1000, "kernel_reps": 1000, "numpy_reps": 1000, "ref_reps": 20,
         "scale_ops": (100, 1000, 10_000, 100_000), "scale_budget": 500_000, "scale_min_reps": 10,
         "mem_ops": 100, "mem_reps": (1000, 100_000), "week_ops": 10_000, "week_repeats": 1,
         "big_repeats": 1}
FULL = {**QUICK, "repeats": 5, "kernel_reps": 10_000, "numpy_reps": 10_000, "ref_reps": 50,
        "scale_budget": 10_000_000, "scale_min_reps": 50, "week_repeats": 3,
        "big_repeats": 3}
MB = 1024 * 1024


def line(label: str, value: float | str, unit: str = "") -> None:
    if isinstance(value, float):
        value = f"{value / 1e6:,.3f} M" if unit == "op-samples/s" else f"{value:,.3f}"
    print(f"  {label:<52} {value:>14} {unit}", flush=True)


def section(title: str) -> None:
    print(f"\n{title}\n  " + "-" * (len(title)), flush=True)


def build_chain(n_ops: int):
    from riskengine.simulation.compile import compile_model

    t = time.perf_counter()
    c = compile_model(*models.chain_model(n_ops))
    return c, time.perf_counter() - t


def chain_throughput(cfg: dict, report: dict) -> None:
    n, r = cfg["chain_ops"], cfg["repeats"]
    section(f"Chain model, {n} operations (median of {r} runs)")
    c, _ = build_chain(n)
    k_all, acc_all = m.kernel_rate(c, cfg["kernel_reps"], r)
    share_all = m.cpu_share()
    k_one, _ = m.kernel_rate(c, cfg["kernel_reps"], r, threads=1)
    share_one = m.cpu_share()
    ref, acc_ref = m.reference_rate(c, cfg["ref_reps"], r)
    npy, res = m.numpy_rate(n, cfg["numpy_reps"], r)
    threads = report["threads"]
    report.update(kernel_ops_per_s=k_all, kernel_ops_per_s_1thread=k_one, reference_ops_per_s=ref,
                  numpy_ops_per_s=npy, kernel_vs_reference_per_core=k_one / ref,
                  kernel_vs_reference=k_all / ref, kernel_vs_numpy=k_all / npy,
                  kernel_1thread_vs_numpy=k_one / npy, kernel_thread_speedup=k_all / k_one,
                  kernel_cpu_share=share_all, kernel_cpu_share_1thread=share_one)
    line(f"kernel, {threads} threads ({cfg['kernel_reps']} replications)", k_all, "op-samples/s")
    line(f"kernel, 1 thread ({cfg['kernel_reps']} replications)", k_one, "op-samples/s")
    line(f"SimPy reference, 1 thread ({cfg['ref_reps']} replications)", ref, "op-samples/s")
    line(f"numpy vectorized, 1 thread ({cfg['numpy_reps']} replications)", npy, "op-samples/s")
    line("kernel 1 thread / reference (per core)", k_one / ref, "x")
    line(f"kernel {threads} threads / reference", k_all / ref, "x")
    line(f"kernel {threads} threads / numpy", k_all / npy, "x")
    line("kernel 1 thread / numpy", k_one / npy, "x")
    line(f"kernel {threads} threads / 1 thread", k_all / k_one, "x")
    line(f"CPU s per wall s: kernel {threads} threads / 1 thread (free machine: {threads} / 1)",
         f"{share_all:.2f} / {share_one:.2f}")
    same = {"kernel": m.kernel_figures(acc_all, cfg["kernel_reps"]),
            "reference": m.kernel_figures(acc_ref, cfg["ref_reps"]), "numpy": m.numpy_figures(res)}
    report["chain"] = {"operations": n, "kernel_replications": cfg["kernel_reps"],
                       "reference_replications": cfg["ref_reps"], "numpy_replications": cfg["numpy_reps"],
                       "same_model_check": same}
    same["kernel_vs_reference_max_row_difference"] = m.same_rows(c, acc_ref, cfg["ref_reps"])
    print("  same model? hit rate per operation / P(plan holds) / mean finish (h):")
    for name, reps in (("kernel", "kernel_reps"), ("reference", "ref_reps"), ("numpy", "numpy_reps")):
        fig = same[name]
        line(f"  {name} ({cfg[reps]} replications)",
             f"{fig['hit_rate']:.4f} / {fig['plan_holds']:.3f} / {fig['finish_mean_h']:.1f}")
    line(f"  kernel vs reference rows, seed 0, {cfg['ref_reps']} reps: max diff",
         f"{same['kernel_vs_reference_max_row_difference']:.2g}")


def scaling_ops(cfg: dict, report: dict) -> None:
    section("Scaling with operations (op-samples/s; replications = budget / operations)")
    print(f"  {'operations':>10} {'reps':>7} {'build s':>8} {'kernel all':>11} {'cpu/wall':>9} "
          f"{'kernel 1t':>10} {'numpy':>8}   (M op-samples/s)", flush=True)
    rows = []
    for n in cfg["scale_ops"]:
        reps = max(cfg["scale_min_reps"], min(cfg["scale_budget"] // n, 100_000))
        repeats = cfg["repeats"] if n * reps <= 2_000_000 and n < 100_000 else cfg["big_repeats"]
        c, build = build_chain(n)
        k_all, _ = m.kernel_rate(c, reps, repeats)
        share = m.cpu_share()
        k_one, _ = m.kernel_rate(c, reps, repeats, threads=1)
        npy, _ = m.numpy_rate(n, reps, repeats)
        rows.append({"operations": n, "replications": reps, "repeats": repeats, "build_s": build,
                     "kernel_ops_per_s": k_all, "kernel_cpu_share": share, "kernel_ops_per_s_1thread": k_one,
                     "numpy_ops_per_s": npy})
        print(f"  {n:>10,} {reps:>7,} {build:>8.2f} {k_all / 1e6:>11.3f} {share:>9.2f} {k_one / 1e6:>10.3f} "
              f"{npy / 1e6:>8.3f}", flush=True)
        del c
    report["scaling_operations"] = rows


def memory(cfg: dict, report: dict, cache: str) -> None:
    n = cfg["mem_ops"]
    section(f"Memory: peak RSS of a fresh process, {n}-operation chain, kernel")
    out = {}
    for reps in cfg["mem_reps"]:
        fig = m.memory(cache, n, reps)
        out[str(reps)] = fig
        line(f"{reps:,} replications: peak RSS / after warm-up", f"{fig['peak_rss'] / MB:.1f} / "
             f"{fig['baseline_rss'] / MB:.1f}", "MB")
        line(f"{reps:,} replications: replication rows ({fig['row_bytes']} B each)",
             fig["rows_bytes"] / MB, "MB")
        line(f"{reps:,} replications: peak growth beyond the rows", fig["growth_without_rows_bytes"] / MB,
             "MB")
        line(f"{reps:,} replications: tracemalloc peak (numpy arrays)", fig["traced_peak_bytes"] / MB, "MB")
        line(f"{reps:,} replications: throughput", fig["ops_per_s"], "op-samples/s")
    report["memory"] = {"operations": n, **out}


def compile_section(report: dict, cache: str) -> None:
    section("Compile: fresh process scoring a 20-operation chain (100 replications)")
    out = m.compile_times(cache)
    report["compile"] = out
    for name, fig in out.items():
        line(f"{name} cache: whole process", fig["process_s"], "s")
        line(f"{name} cache: imports (eagerly typed functions included)", fig["import_s"], "s")
        line(f"{name} cache: first run_kernel call (compile or load)", fig["first_call_s"], "s")


def week(cfg: dict, report: dict, cache: str, folder: Path) -> None:
    n = cfg["week_ops"]
    section(f"Week plan, {n:,} operations: riskengine score --precision 0.01 (CLI, warm cache)")
    plan, premises = models.week_documents(n)
    models.write_documents(plan, premises, folder)
    fig = m.week_cli(cache, folder, 0.01, cfg["week_repeats"])
    fig.update(m.week_in_process(plan, premises, 0.01))
    fig.update(resources=len(plan["resources"]), materials=len(premises["materials"]),
               operations=len(plan["operations"]))
    report["week"] = fig
    line("replications needed", f"{fig['replications']:,}")
    line(f"wall time, process start included (median of {len(fig['walls_s'])})", fig["wall_s"], "s")
    line("warm-up run (20 replications, fills the cache)", fig["warmup_s"], "s")
    line("in this process: parse plan and premises", fig["parse_s"], "s")
    line("in this process: score(plan, premises, precision=0.01)", fig["score_s"], "s")
    line("plan holds: mean +/- half-width", f"{fig['plan_holds']:.3f} +/- {fig['plan_holds_half_width']:.4f}")
    line("BTS: mean +/- half-width", f"{fig['bts']:.3f} +/- {fig['bts_half_width']:.4f}")
    print(f"  command: {fig['command']}", flush=True)


def sources_digest() -> str:
    """SHA-256 (first 12 hex digits) of riskengine's Python sources: the code the figures are of."""
    import hashlib

    h = hashlib.sha256()
    for path in sorted((m.ROOT / "riskengine").rglob("*.py")):
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Smaller runs (under two minutes on 2 cores).")
    parser.add_argument("--json", metavar="OUT", help="Write every figure to this JSON file.")
    args = parser.parse_args(argv)
    cfg = QUICK if args.quick else FULL
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="riskengine-bench-") as tmp:
        cache = str(Path(tmp) / "numba-cache")
        os.environ["NUMBA_CACHE_DIR"] = cache  # before numba is imported in this process
        report: dict = {"mode": "quick" if args.quick else "full",
                        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                                    "platform": platform.platform(), "load_before": os.getloadavg(),
                                    "sources_before": sources_digest()}}
        load = report["machine"]["load_before"]
        print(f"riskengine benchmarks ({report['mode']}), load average {load}")
        if load[0] > 0.5:
            print("  warning: the machine is busy; multi-thread figures will be low (see CPU s per wall s)")
        timings = report["section_seconds"] = {}
        t = time.perf_counter()
        compile_section(report, cache)  # fills the cache this process then loads from
        timings["compile"] = time.perf_counter() - t
        import numba
        import numpy

        report["threads"] = numba.get_num_threads()
        report["machine"].update(numba=numba.__version__, numpy=numpy.__version__)
        for name, run in (("chain", lambda: chain_throughput(cfg, report)),
                          ("scaling", lambda: scaling_ops(cfg, report)),
                          ("memory", lambda: memory(cfg, report, cache)),
                          ("week", lambda: week(cfg, report, cache, Path(tmp) / "week"))):
            t = time.perf_counter()
            run()
            timings[name] = time.perf_counter() - t
    report["machine"].update(load_after=os.getloadavg(), sources_after=sources_digest())
    if report["machine"]["sources_after"] != report["machine"]["sources_before"]:
        print("warning: riskengine's sources changed during the run; figures mix two versions")
    report["seconds"] = time.perf_counter() - started
    print(f"\ndone in {report['seconds']:.0f} s ("
          + ", ".join(f"{k} {v:.0f} s" for k, v in report["section_seconds"].items())
          + f"), load average {report['machine']['load_after']}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
