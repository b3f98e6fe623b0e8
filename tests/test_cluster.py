"""One score spread over a Dask cluster (issue 22): the JSON is bit-identical to one process for
any number of workers and chunk size, for a fixed count and for adaptive precision, with rows or
streamed figures, clusters of uncertain parameters cut anywhere, comparisons with orders (their
windows), on the service's jobs; every failure is an input error naming --dask (exit 2).

The cluster of most tests is a LocalCluster of 2 single-threaded workers in this process
(``processes=False``, quick to start); the command-line test makes ``--dask local``: worker
processes.
"""

from __future__ import annotations

import csv
import json
import logging
import pickle
import sys
import time
from pathlib import Path

import pytest
from bounded import riskengine, run_bounded

import riskengine as rk
from riskengine.errors import InputError
from riskengine.simulation import streamed
from riskengine.simulation.watchdog import ReplicationOverrun, StopFlag, Stopped

distributed = pytest.importorskip("distributed")
from riskengine.analysis.cluster import Cluster, ClusterRun  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FACTORY = ROOT / "scenarios" / "example-factory"
WIDTH = 72  # figures per replication of the example factory (tests/test_memory.py)
TUESDAY = "2026-11-17T10:00:00+01:00"


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None,
                                  silence_logs=logging.ERROR) as local, \
            distributed.Client(local, set_as_default=False) as c:
        yield c


def factory(premises: str = "premises.toml", plan: str = "plan-v1.json"):
    return rk.read_plan(FACTORY / plan), rk.read_premises(FACTORY / premises)


def text(result) -> str:
    return json.dumps(result.to_dict())


@pytest.mark.parametrize("chunk", [None, 1, 37])
def test_a_score_on_two_workers_is_the_score_of_one_process(client, chunk):
    """300 replications: 8 chunks (4 per worker thread), one task per replication, chunks of 37."""
    plan, premises = factory()
    local = rk.score(plan, premises, replications=300, seed=11)
    assert text(rk.score(plan, premises, replications=300, seed=11, dask=Cluster(client, chunk=chunk))) \
        == text(local)


@pytest.mark.parametrize("rows", [None, 500, 50])
def test_adaptive_precision_runs_the_same_rounds_on_the_cluster(client, monkeypatch, rows):
    """Uncertain premises (clusters of 5 replications, chunks of 37 cut through them), precision
    0.012: the same rounds and stopping point; rows kept (None), rows for 500 replications then
    streamed (the second round folds the first's rows), streamed from the first round (50)."""
    if rows is not None:
        monkeypatch.setattr(streamed, "ROW_BYTES", rows * WIDTH * 8)
    plan, premises = factory("premises-uncertain.toml")
    local = rk.score(plan, premises, precision=0.012, seed=5)
    assert local.replications > 400  # more than the first round
    on = rk.score(plan, premises, precision=0.012, seed=5, dask=Cluster(client, chunk=37))
    assert on.replications == local.replications
    assert text(on) == text(local)


@pytest.mark.parametrize("rows", [None, 50])
def test_a_comparison_with_orders_on_the_cluster(client, monkeypatch, rows):
    """Plans with orders run in lockstep windows (each order's on-time flag and tardiness per
    replication of the window come back with the chunks); streamed, with every replication's
    headline figures for the pairs."""
    if rows is not None:
        monkeypatch.setattr(streamed, "ROW_BYTES", rows * WIDTH * 8)
    plans = [factory(plan=f"plan-v{k}.json")[0] for k in (1, 2)]
    premises = factory()[1]
    assert all(p.orders for p in plans)
    local = rk.compare(plans, premises, replications=300, seed=2)
    on = rk.compare(plans, premises, replications=300, seed=2, dask=Cluster(client, chunk=41))
    assert on.order_differences and text(on) == text(local)


def test_a_scheduler_address_and_the_service_jobs(client):
    """``dask=ADDRESS`` (a client made for the call) and the service's jobs on the cluster
    (``serve --dask``) give the local result."""
    from fastapi.testclient import TestClient

    from riskengine.service.app import Settings, create_app

    plan, premises = factory()
    local = rk.score(plan, premises, replications=200, seed=4)
    on = rk.score(plan, premises, replications=200, seed=4, dask=client.scheduler.address)
    assert text(on) == text(local)
    body = {"operation": "score", "request": {"plan": json.loads((FACTORY / "plan-v1.json").read_text()),
                                              "premises": premises.model_dump(mode="json", by_alias=True),
                                              "replications": 200, "seed": 4}}
    with TestClient(create_app(Settings(dask=Cluster(client)))) as http:
        job = http.post("/v1/jobs", json=body).json()
        deadline = time.monotonic() + 120
        while (state := http.get(f"/v1/jobs/{job['id']}").json())["status"] in ("queued", "running"):
            assert time.monotonic() < deadline, state
            time.sleep(0.1)
    assert state["status"] == "done", state
    assert json.dumps(state["result"]) == json.dumps(json.loads(text(local)))


def week_state():
    history = rk.read_history([FACTORY / f"plan-v{k}.json" for k in (1, 2, 3)])
    premises = rk.read_premises(FACTORY / "premises.toml")
    actuals = rk.read_actuals(FACTORY / "actuals-tuesday.csv", history)
    events = rk.read_known_events(FACTORY / "events-tuesday.csv", history.versions)
    return history, premises, actuals, events


@pytest.mark.parametrize("chunk", [None, 1, 37])
def test_a_forecast_on_two_workers_is_the_forecast_of_one_process(client, chunk):
    """Tuesday 10:00 (actuals, a resource down, a late lot): the workers rebuild the state from the
    documents; the replications (8 chunks, one per replication, chunks of 37) and the dates' sample
    (100 replications, cut as well) give the same document."""
    history, premises, actuals, events = week_state()
    args = dict(actuals=actuals, events=events, replications=400, seed=8)
    local = rk.forecast(history, premises, TUESDAY, **args)
    assert local.alerts and local.state["in_progress"] and local.state["down"]  # what is compared
    on = rk.forecast(history, premises, TUESDAY, **args, dask=Cluster(client, chunk=chunk))
    assert text(on) == text(local)


def test_a_forecast_with_uncertain_parameters_on_the_cluster(client):
    """Parameter draws shared by clusters of replications, chunks of 37 cut through them."""
    history, _, actuals, events = week_state()
    premises = rk.read_premises(FACTORY / "premises-uncertain.toml")
    local = rk.forecast(history, premises, TUESDAY, actuals=actuals, events=events, replications=300, seed=2)
    on = rk.forecast(history, premises, TUESDAY, actuals=actuals, events=events, replications=300, seed=2,
                     dask=Cluster(client, chunk=37))
    assert text(on) == text(local)


def test_a_forecast_job_of_the_service_on_the_cluster(client):
    """``serve --dask``: a forecast job runs on the cluster and gives the local forecast."""
    from fastapi.testclient import TestClient

    from riskengine.service.app import Settings, create_app

    history, premises, actuals, events = week_state()
    local = rk.forecast(history, premises, TUESDAY, actuals=actuals, events=events, replications=200, seed=4)
    with open(FACTORY / "events-tuesday.csv") as f:
        rows = [{k: v for k, v in row.items() if v} for row in csv.DictReader(f)]
    body = {"operation": "forecast", "request": {
        "plans": [json.loads((FACTORY / f"plan-v{k}.json").read_text()) for k in (1, 2, 3)],
        "premises": premises.model_dump(mode="json", by_alias=True), "as_of": TUESDAY,
        "actuals": actuals.model_dump(mode="json", exclude_none=True),
        "events": {"format": "riskengine.events/1", "events": rows}, "replications": 200, "seed": 4}}
    with TestClient(create_app(Settings(dask=Cluster(client)))) as http:
        job = http.post("/v1/jobs", json=body).json()
        assert "id" in job, job
        deadline = time.monotonic() + 120
        while (state := http.get(f"/v1/jobs/{job['id']}").json())["status"] in ("queued", "running"):
            assert time.monotonic() < deadline, state
            time.sleep(0.1)
    assert state["status"] == "done", state
    assert json.dumps(state["result"]) == json.dumps(json.loads(text(local)))


def test_the_digest_covers_every_value_of_the_realized_state():
    """A worker's state at T must be the caller's to the last array element (a repr of a long array
    would elide its middle); the state rebuilt from the same documents has the same digest."""
    from dataclasses import replace

    import numpy as np

    from riskengine.analysis.cluster import digest
    from riskengine.live.run import as_of_time, forecast_model

    history, premises, actuals, events = week_state()
    documents = (history, premises, as_of_time(TUESDAY, history), actuals, events)
    c = forecast_model(*documents)
    assert digest(forecast_model(*documents)) == digest(c)
    long, other = np.zeros(5000), np.zeros(5000)
    other[2500] = 1.0
    assert repr(long) == repr(other)
    assert digest(replace(c, initial=c.initial._replace(start=long))) \
        != digest(replace(c, initial=c.initial._replace(start=other)))


def test_a_worker_that_builds_another_model_is_refused(client):
    """A worker whose model differs from the caller's (another version, other plugins) would give
    other numbers: the run stops with an input error naming --dask."""
    from riskengine.plugins import compile_with_plugins
    from riskengine.simulation.accumulate import Accumulators

    plan, premises = factory()
    other = factory(plan="plan-v2.json")[0]
    c = compile_with_plugins(plan, premises)
    run = ClusterRun(Cluster(client)).add(c, compile_with_plugins, other, premises)
    with pytest.raises(InputError) as refused:
        run(c, 1, 0, 10, Accumulators(c, 10))
    assert refused.value.problems[0].location == "--dask"
    assert "compiled another model" in refused.value.problems[0].message


def test_a_stop_ends_the_wait(client):
    plan, premises = factory()
    stop = StopFlag()
    stop.set()
    t = time.monotonic()
    with pytest.raises(Stopped):
        rk.score(plan, premises, replications=100_000, seed=1, stop=stop, dask=Cluster(client))
    assert time.monotonic() - t < 10


def test_an_overrun_on_a_worker_reaches_the_caller_as_itself():
    exc = pickle.loads(pickle.dumps(ReplicationOverrun(3, 17, 1e6, "p")))
    assert (exc.seed, exc.replication, exc.bound, exc.plan) == (3, 17, 1e6, "p")


def test_dask_local_on_the_command_line_gives_the_same_json(tmp_path):
    """``--dask local``: a LocalCluster of worker processes made for the run, closed after."""
    args = [FACTORY / "plan-v1.json", "--premises", FACTORY / "premises-uncertain.toml", "--replications",
            "400", "--seed", "3", "--quiet"]
    one = riskengine("score", *args, "--json", tmp_path / "one.json", timeout=300)
    assert one.returncode == 0, one.stderr
    spread = riskengine("score", *args, "--json", tmp_path / "dask.json", "--dask", "local", timeout=300)
    assert spread.returncode == 0, spread.stderr
    assert (tmp_path / "dask.json").read_bytes() == (tmp_path / "one.json").read_bytes()


def test_forecast_dask_local_on_the_command_line_gives_the_same_json(tmp_path):
    """``forecast --dask local``: worker processes rebuild the state at T from the files' documents."""
    args = [FACTORY / "plan-v1.json", "--plan", FACTORY / "plan-v2.json", "--plan", FACTORY / "plan-v3.json",
            "--premises", FACTORY / "premises.toml", "--as-of", TUESDAY, "--actuals",
            FACTORY / "actuals-tuesday.csv", "--events", FACTORY / "events-tuesday.csv",
            "--replications", "300", "--seed", "3", "--quiet"]
    one = riskengine("forecast", *args, "--json", tmp_path / "one.json", timeout=300)
    assert one.returncode == 0, one.stderr
    spread = riskengine("forecast", *args, "--json", tmp_path / "dask.json", "--dask", "local", timeout=300)
    assert spread.returncode == 0, spread.stderr
    assert (tmp_path / "dask.json").read_bytes() == (tmp_path / "one.json").read_bytes()


@pytest.mark.parametrize("command", ["score", "compare", "serve", "forecast"])
def test_an_unreachable_address_is_exit_2_naming_dask(command):
    plans = [FACTORY / "plan-v1.json"] + ([FACTORY / "plan-v2.json"] if command == "compare" else [])
    args = ["--port", "0"] if command == "serve" else [*plans, "--premises", FACTORY / "premises.toml"]
    args += ["--as-of", "30"] if command == "forecast" else []
    t = time.monotonic()
    done = riskengine(command, *args, "--dask", "tcp://127.0.0.1:1", timeout=120)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "--dask: cannot reach a Dask scheduler at 'tcp://127.0.0.1:1'" in done.stderr
    assert "Traceback" not in done.stderr
    assert time.monotonic() - t < 60


def test_dask_not_installed_names_the_extra():
    code = ("import sys; sys.modules['distributed'] = None; from riskengine.cli import main; "
            f"main(['score', {str(FACTORY / 'plan-v1.json')!r}, '--premises', "
            f"{str(FACTORY / 'premises.toml')!r}, '--dask', 'local'])")
    done = run_bounded([sys.executable, "-c", code], timeout=120)
    assert done.returncode == 2, done.stderr
    assert "--dask: needs dask.distributed, which is not installed: python -m pip install " \
           "'riskengine[sweep]'" in done.stderr
    assert "Traceback" not in done.stderr
