"""Scale-out and big plans (issue 22): wall time and peak memory of whole ``riskengine`` processes.

```
python benchmarks/scale.py dask --ops 10000 --precision 0.005 --repeats 3
python benchmarks/scale.py big --ops 200000 --precision 0.01
python benchmarks/scale.py forecast --ops 200000 --replications 400
```

``dask``: the week plan of :func:`benchmarks.models.week_documents` scored to a precision, in
one process and with ``--dask local`` (a LocalCluster of one worker process per core, started
and closed by the command), runs alternated; then a fixed count of replications the same way.
Every pair of JSON results must be the same bytes.

``big``: the month of a large plant (:func:`benchmarks.models.plant_documents`): ``check`` and
``score --precision``, each one process, with its wall time and peak RSS (``wait4``).

``forecast``: the same month forecast from the middle of its horizon (actuals of one simulated
execution up to then, a work centre down, a lot announced late): one ``forecast`` process, its
wall time and peak RSS.

Both use the per-user numba cache (warm after the first run); the machine is shared: the
figures are those of the moment, and only the runs of one invocation compare.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import models  # noqa: E402
from benchmarks.measure import cli  # noqa: E402


def run(args: list[str], timeout: float = 7200) -> tuple[float, float]:
    """Run a command to its end: wall seconds and peak RSS (MB); raises on a non-zero exit
    (``check`` exits 3 with findings that are errors: allowed)."""
    t = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            child.kill()
            raise RuntimeError(f"timed out: {' '.join(args)}")
        time.sleep(0.05)
    wall = time.perf_counter() - t
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 3):
        raise RuntimeError(f"{' '.join(args)} exited {code}:\n{child.stderr.read()[-2000:]}")
    return wall, usage.ru_maxrss / 1024.0


def _half(est: dict) -> float:
    return (est["high"] - est["low"]) / 2


def dask(ops: int, precision: float, replications: int, repeats: int, folder: Path) -> dict:
    """Local and ``--dask local`` runs, alternated; the medians and the results' equality."""
    plan, premises = models.write_documents(*models.week_documents(ops), folder)
    base = [*cli(), "score", str(plan), "--premises", str(premises), "--quiet", "--seed", "1"]
    run([*base, "--replications", "20", "--json", str(folder / "warm.json")])
    figures = {}
    for name, how in (("precision", ["--precision", str(precision)]),
                      ("count", ["--replications", str(replications)])):
        walls: dict[str, list[float]] = {"local": [], "dask": []}
        for k in range(repeats):
            for where, extra in (("local", []), ("dask", ["--dask", "local"])):
                out = folder / f"{name}-{where}-{k}.json"
                walls[where].append(run([*base, *how, "--json", str(out), *extra])[0])
        texts = {(folder / f"{name}-{w}-{k}.json").read_bytes() for w in walls for k in range(repeats)}
        result = json.loads(next(iter(texts)))
        figures[name] = {"command": " ".join([*base, *how]), "identical": len(texts) == 1,
                         "replications": result["replications"],
                         "half_widths": {"plan_holds": _half(result["plan_holds"]),
                                         "bts": _half(result["adherence"]["bts"])},
                         **{f"{w}_s": statistics.median(v) for w, v in walls.items()},
                         **{f"{w}_walls_s": v for w, v in walls.items()}}
        print(json.dumps({name: figures[name]}, indent=1), flush=True)
    return figures


def big(ops: int, precision: float, folder: Path) -> dict:
    """``check`` and ``score --precision`` of the month of a large plant: wall time and peak RSS."""
    t = time.perf_counter()
    plan, premises = models.write_documents(*models.plant_documents(ops), folder)
    built = time.perf_counter() - t
    doc = json.loads(plan.read_text())
    figures: dict = {"operations": len(doc["operations"]), "resources": len(doc["resources"]),
                     "orders": len(doc["orders"]), "plan_mb": plan.stat().st_size / 2**20, "build_s": built}
    check = [*cli(), "check", str(plan), "--quiet", "--json", str(folder / "check.json")]
    score = [*cli(), "score", str(plan), "--premises", str(premises), "--precision", str(precision),
             "--quiet", "--json", str(folder / "score.json")]
    for name, args in (("check", check), ("score", score)):
        wall, peak = run(args)
        figures[name] = {"command": " ".join(args), "wall_s": wall, "peak_rss_mb": peak}
        print(json.dumps({name: figures[name]}), flush=True)
    out = folder / "score.json"
    result = json.loads(out.read_text())
    figures["score"] |= {"replications": result["replications"], "json_mb": out.stat().st_size / 2**20,
                         "half_widths": {"plan_holds": _half(result["plan_holds"]),
                                         "bts": _half(result["adherence"]["bts"])}}
    return figures


def forecast(ops: int, replications: int, folder: Path) -> dict:
    """``forecast`` of the month of a large plant at the middle of its horizon: wall time and peak
    RSS. The actuals up to T are one kernel replication's records (:func:`benchmarks.forecast.happened`:
    ended by T realized, started before T in progress); the events: the first press down since
    an hour before T, and the first lot due after T known to arrive 12 h late."""
    from benchmarks.forecast import happened
    from riskengine.io.readers import read_plan, read_premises

    t = time.perf_counter()
    plan_path, premises_path = models.write_documents(*models.plant_documents(ops), folder)
    plan, premises = read_plan(plan_path), read_premises(premises_path)
    as_of = round(plan.horizon_hours / 2 / 8) * 8.0  # a bucket boundary near the middle
    actuals = happened(plan, premises, as_of)
    lot = min((m for o in plan.operations for m in o.materials
               if m in premises.materials and plan.hours(o.start) >= as_of), default=None)
    def at(hours: float) -> str:
        return (plan.horizon.start + timedelta(hours=hours)).isoformat()

    events = [{"event": "breakdown", "resource": plan.resources[0].id, "start": at(as_of - 1.0)}]
    if lot is not None:
        events.append({"event": "material", "material": lot, "start": at(as_of), "end": at(as_of + 12.0)})
    (folder / "actuals.json").write_text(json.dumps(actuals), encoding="utf-8")
    (folder / "events.json").write_text(json.dumps({"format": "riskengine.events/1", "events": events}),
                                        encoding="utf-8")
    built = time.perf_counter() - t
    done = sum("end" in r for r in actuals["records"])
    figures: dict = {"operations": len(plan.operations), "as_of_hours": as_of,
                     "horizon_hours": plan.horizon_hours, "records_done": done,
                     "records_in_progress": len(actuals["records"]) - done, "events": events,
                     "build_s": built}
    args = [*cli(), "forecast", str(plan_path), "--premises", str(premises_path), "--as-of", str(as_of),
            "--actuals", str(folder / "actuals.json"), "--events", str(folder / "events.json"),
            "--replications", str(replications), "--quiet", "--json", str(folder / "forecast.json")]
    wall, peak = run(args)
    out = folder / "forecast.json"
    result = json.loads(out.read_text())
    figures["forecast"] = {"command": " ".join(args), "wall_s": wall, "peak_rss_mb": peak,
                           "json_mb": out.stat().st_size / 2**20, "alerts": len(result["alerts"]),
                           "half_widths": {"plan_holds": _half(result["plan_holds"]),
                                           "bts": _half(result["adherence"]["bts"])}}
    print(json.dumps({"forecast": figures["forecast"]}), flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["dask", "big", "forecast"])
    parser.add_argument("--ops", type=int)
    parser.add_argument("--precision", type=float)
    parser.add_argument("--replications", type=int, help="dask: the fixed count (default 4000); "
                        "forecast: the replications (default 400)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", metavar="OUT")
    a = parser.parse_args()
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="riskengine-scale-") as tmp:
        if a.what == "dask":
            figures = dask(a.ops or 10_000, a.precision or 0.005, a.replications or 4000, a.repeats,
                           Path(tmp))
        elif a.what == "forecast":
            figures = forecast(a.ops or 200_000, a.replications or 400, Path(tmp))
        else:
            figures = big(a.ops or 200_000, a.precision or 0.01, Path(tmp))
    report = {"what": a.what, "figures": figures, "load_before": load, "load_after": os.getloadavg(),
              "cpus": os.cpu_count()}
    print(json.dumps(report, indent=1))
    if a.json:
        Path(a.json).write_text(json.dumps(report, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
