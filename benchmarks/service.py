"""Service figures (issue 8): score latency, event-loop responsiveness while a job runs, load.

    python -m benchmarks.service [--json OUT]

Starts ``riskengine serve`` on 127.0.0.1 and a free port (uvicorn, one job worker) and measures:

1. ``POST /v1/score`` on the example factory's plan-v1 (114 operations) at 1000 replications,
   warm (after 3 calls): median and p95 of 20 sequential calls, with the server's share;
2. ``GET /healthz`` latency, idle and while a 200 000-replication job runs (kernel in a worker
   thread without the GIL): median, p95, max of 50 probes each;
3. 50 concurrent ``POST /v1/score`` on a 6-operation plan at 200 replications: requests/s, p50, p95.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "service"))
from service_server import factory_plan, factory_premises, free_port, small_plan, small_premises  # noqa: E402


def summary(seconds: list[float]) -> dict:
    ms = sorted(1000 * s for s in seconds)
    return {"n": len(ms), "median_ms": round(statistics.median(ms), 1),
            "p95_ms": round(ms[max(0, int(0.95 * len(ms)) - 1)], 1), "max_ms": round(ms[-1], 1)}


def start_server() -> tuple[subprocess.Popen, str]:
    port = free_port()
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    env.pop("RISKENGINE_API_KEY", None)
    process = subprocess.Popen([sys.executable, "-m", "riskengine.cli", "serve", "--port", str(port),
                                "--log-level", "warning"], env=env, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the server did not start")


def score_latency(c: httpx.Client) -> dict:
    body = {"plan": factory_plan(), "premises": factory_premises(), "replications": 1000, "seed": 1}
    for _ in range(3):
        assert c.post("/v1/score", json=body).status_code == 200
    times = []
    for _ in range(20):
        t = time.perf_counter()
        r = c.post("/v1/score", json=body)
        times.append(time.perf_counter() - t)
        assert r.status_code == 200
    return {"request": "example factory plan-v1, 114 operations, 1000 replications", **summary(times)}


def healthz_while_job(c: httpx.Client) -> dict:
    def probes() -> list[float]:
        out = []
        for _ in range(50):
            t = time.perf_counter()
            assert c.get("/healthz").status_code == 200
            out.append(time.perf_counter() - t)
            time.sleep(0.02)
        return out

    idle = probes()
    job = c.post("/v1/jobs", json={"operation": "score", "request": {
        "plan": factory_plan(), "premises": factory_premises(), "replications": 200_000, "seed": 2}}).json()
    while c.get(f"/v1/jobs/{job['id']}").json()["status"] != "running":
        time.sleep(0.01)
    busy = probes()
    state = c.get(f"/v1/jobs/{job['id']}").json()
    still_running = state["status"] == "running"
    c.delete(f"/v1/jobs/{job['id']}")
    return {"idle": summary(idle), "while_job_runs": summary(busy), "job_still_running_after": still_running,
            "job_progress_at_end": state["progress"]}


def load(url: str) -> dict:
    body = {"plan": small_plan(), "premises": small_premises(), "replications": 200, "seed": 9}

    def one(_k: int) -> tuple[int, float]:
        with httpx.Client(base_url=url, timeout=300) as c:
            t = time.perf_counter()
            r = c.post("/v1/score", json=body)
            return r.status_code, time.perf_counter() - t

    start = time.perf_counter()
    with ThreadPoolExecutor(50) as pool:
        results = list(pool.map(one, range(50)))
    wall = time.perf_counter() - start
    ok = sum(status == 200 for status, _ in results)
    return {"requests": 50, "ok": ok, "requests_per_s": round(50 / wall, 1),
            **summary([latency for _, latency in results])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="OUT", help="Write the figures as JSON.")
    args = parser.parse_args()
    load_before = [round(x, 2) for x in os.getloadavg()]
    process, url = start_server()
    try:
        with httpx.Client(base_url=url, timeout=600) as c:
            c.post("/v1/score", json={"plan": small_plan(), "premises": small_premises(), "replications": 10})
            figures = {"machine": f"{platform.machine()}, {os.cpu_count()} cores", "load_before": load_before,
                       "score_latency": score_latency(c), "healthz": healthz_while_job(c), "load": load(url)}
            figures["load_after"] = [round(x, 2) for x in os.getloadavg()]
    finally:
        process.terminate()
        process.wait(timeout=30)
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")


if __name__ == "__main__":
    main()
