"""Jobs over real HTTP (issue 8): lifecycle with progress, a result bit-identical to the CLI's
for the same seed, the bounded queue (503 with Retry-After), cancellation of a queued and of a
running job, 422/413 at submission, and an event loop that answers /healthz while a job runs.
"""

from __future__ import annotations

import json
import statistics
import time

from click.testing import CliRunner
from service_server import (
    FACTORY,
    JOB_WORK,
    factory_plan,
    factory_premises,
    factory_work_per_replication,
    small_plan,
    small_premises,
)

from riskengine.cli import main
from riskengine.service.operations import batch_size


def wait_for(client, job_id: str, states: tuple[str, ...], timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in states:
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.05)


def test_job_result_equals_the_cli_bit_for_bit(server):
    body = {"operation": "score", "request": {"plan": factory_plan(), "premises": factory_premises(),
                                              "replications": 600, "seed": 11}}
    with server.client() as c:
        r = c.post("/v1/jobs", json=body)
        assert r.status_code == 202, r.text
        job = r.json()
        assert r.headers["location"] == f"/v1/jobs/{job['id']}"
        assert job["status"] in ("queued", "running") and job["operation"] == "score"
        done = wait_for(c, job["id"], ("done", "failed", "cancelled"))
    assert done["status"] == "done", done
    assert done["progress"] == {"done": 600, "total": 600, "fraction": 1.0,
                                "half_width": done["progress"]["half_width"]}
    cli = CliRunner().invoke(main, ["score", str(FACTORY / "plan-v1.json"), "--premises",
                                    str(FACTORY / "premises.toml"), "--replications", "600", "--seed", "11",
                                    "--json", "-"])
    assert cli.exit_code == 0, cli.output
    assert done["result"] == json.loads(cli.output)  # every number, exactly


def test_queue_full_cancellation_progress_and_responsive_loop(server):
    reps = int(JOB_WORK // factory_work_per_replication())  # the largest job the test server takes
    long = {"operation": "score", "request": {"plan": factory_plan(), "premises": factory_premises(),
                                              "replications": reps, "seed": 3}}
    with server.client() as c:
        a = c.post("/v1/jobs", json=long).json()
        running = wait_for(c, a["id"], ("running",), timeout=30)
        assert running["status"] == "running"
        # while A runs: /healthz answers at once (the kernel runs in a worker thread without the GIL)
        latencies, seen = [], []
        for _ in range(20):
            t = time.perf_counter()
            assert c.get("/healthz").status_code == 200
            latencies.append(time.perf_counter() - t)
            seen.append(c.get(f"/v1/jobs/{a['id']}").json())
            time.sleep(0.02)
        assert all(s["status"] == "running" for s in seen), [s["status"] for s in seen]
        assert statistics.median(latencies) < 0.25, latencies
        step = batch_size(reps)
        for s in seen:  # progress moves in whole batches, with the headline half-width once it started
            p = s["progress"]
            assert p["total"] == reps and p["done"] % step == 0 and 0 <= p["done"] < reps
            assert (p["half_width"] is None) == (p["done"] == 0)
        assert [s["progress"]["done"] for s in seen] == sorted(s["progress"]["done"] for s in seen)
        # one worker, one queue place: B waits, C is refused with Retry-After
        b = c.post("/v1/jobs", json=long)
        assert b.status_code == 202 and b.json()["status"] == "queued"
        full = c.post("/v1/jobs", json=long)
        assert full.status_code == 503
        assert int(full.headers["retry-after"]) >= 1
        assert full.json()["error"] == "busy"
        # cancelling the queued job ends it at once; the running one stops at its next batch
        gone = c.delete(f"/v1/jobs/{b.json()['id']}")
        assert gone.status_code == 200 and gone.json()["status"] == "cancelled"
        stopping = c.delete(f"/v1/jobs/{a['id']}").json()
        assert stopping["status"] in ("cancelling", "cancelled")
        t = time.perf_counter()
        cancelled = wait_for(c, a["id"], ("cancelled", "done", "failed"), timeout=30)
        assert cancelled["status"] == "cancelled" and cancelled["result"] is None
        assert cancelled["progress"]["done"] < reps
        assert time.perf_counter() - t < 10
        # a finished job is forgotten by DELETE
        assert c.delete(f"/v1/jobs/{a['id']}").status_code == 200
        assert c.get(f"/v1/jobs/{a['id']}").status_code == 404
        assert c.get(f"/v1/jobs/{b.json()['id']}").json()["status"] == "cancelled"
        counts = c.get("/healthz").json()["jobs"]
        assert counts["running"] == 0 and counts["queued"] == 0


def test_job_submission_is_validated(server):
    with server.client() as c:
        r = c.post("/v1/jobs", json={"operation": "simulate", "request": {}, "extra": 1})
        assert r.status_code == 422
        assert {p["location"] for p in r.json()["problems"]} == {"extra", "operation"}
        plan = small_plan()
        plan["operations"][0]["end"] = -1
        request = {"plan": plan, "premises": small_premises(), "seed": -1}
        r = c.post("/v1/jobs", json={"operation": "score", "request": request})
        assert r.status_code == 422
        assert {p["location"] for p in r.json()["problems"]} == {"request.seed",
                                                                 "request.plan.operations[0].end"}
        request = {"plan": factory_plan(), "premises": factory_premises(),
                   "replications": int(JOB_WORK // factory_work_per_replication()) + 1}
        r = c.post("/v1/jobs", json={"operation": "score", "request": request})
        assert r.status_code == 413
        assert r.json()["problems"][0]["location"] == "request.replications"


def test_measure_and_check_jobs(server):
    with server.client() as c:
        r = c.post("/v1/jobs", json={"operation": "check", "request": {"plan": small_plan()}})
        assert r.status_code == 202
        job = wait_for(c, r.json()["id"], ("done", "failed"))
        direct = c.post("/v1/check", json={"plan": small_plan()}).json()
    assert job["status"] == "done" and job["result"] == direct
    assert job["progress"]["fraction"] == 1.0
