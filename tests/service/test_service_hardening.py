"""The service under the issue 15 probe: strict bodies, the error body (capped, 500 with a request
id), the key on every route but /healthz and the document saying so, 405 with the full Allow,
`serve`'s limits validated, and jobs kept in SQLite: a restart, a SIGKILL and two processes on
one state folder lose nothing and run each job once; SIGTERM stops the server within 10 s.

The job tests start their own servers (``riskengine serve --state-dir``) as real processes.
"""

from __future__ import annotations

import json
import logging
import signal
import sqlite3
import time

import pytest
from click.testing import CliRunner
from service_server import (
    factory_plan,
    factory_premises,
    small_plan,
    small_premises,
    start_server,
    stop_server,
)

from riskengine.cli import main
from riskengine.service.http import MAX_PROBLEMS, REQUEST_ID

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
SCORE = {"plan": small_plan(), "premises": small_premises(), "replications": 10}


# -- bodies and answers over the shared server ----------------------------------------------------


@pytest.mark.parametrize("change, location, message", [
    ({"replications": "1000"}, "replications", "Input should be a valid integer, got '1000'"),
    ({"seed": 1.0}, "seed", "Input should be a valid integer, got 1.0"),
    ({"plan": {**small_plan(), "bucket_hours": "8"}}, "plan.bucket_hours", "Input should be a valid number"),
])
def test_strings_for_numbers_are_refused(server, change, location, message):
    """`"replications": "1000"` was accepted (pydantic's lax mode); the service now reads JSON as
    the published schemas type it: a number is a JSON number, in the request and its documents."""
    with server.client() as c:
        r = c.post("/v1/score", json={**SCORE, **change})
    assert r.status_code == 422, r.text
    assert [p["location"] for p in r.json()["problems"]] == [location]
    assert r.json()["problems"][0]["message"].startswith(message)


def test_duplicate_keys_are_refused(server):
    """A key given twice silently took the last value."""
    body = json.dumps(SCORE)[:-1] + ', "replications": 5000}'
    with server.client() as c:
        r = c.post("/v1/score", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    assert r.json()["problems"] == [{"location": "body", "message": "not valid JSON: the key "
                                     "'replications' is given twice in one object"}]


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x"])
def test_only_json_bodies_are_read(server, content_type):
    """A text/plain body was accepted: a web page can send one to any address without asking
    (no CORS preflight), so a keyless service on a desktop could be made to work. Now 415."""
    headers = {"Content-Type": content_type} if content_type else {}
    with server.client() as c:
        r = c.post("/v1/score", content=json.dumps(SCORE), headers=headers)
        ok = c.post("/v1/score", content=json.dumps(SCORE),
                    headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 415 and r.json()["error"] == "unsupported media type", r.text
    assert r.json()["problems"][0]["location"] == "Content-Type"
    assert ok.status_code == 200


def test_problem_lists_are_capped(server):
    """One broken document gave 17,442 problems in one body; now the first 100 and the total."""
    plan = small_plan()
    plan["operations"] = [{**plan["operations"][0], "id": f"o{k}", "quantity": -1} for k in range(250)]
    with server.client() as c:
        r = c.post("/v1/score", json={**SCORE, "plan": plan})
    assert r.status_code == 422
    body = r.json()
    assert len(body["problems"]) == MAX_PROBLEMS and body["problems_total"] == 250
    assert body["problems"][0]["location"] == "plan.operations[0].quantity"


def test_405_lists_every_method_of_the_path(server):
    """PUT /v1/jobs/{id} said Allow: GET, though DELETE is there too."""
    with server.client() as c:
        job = c.put("/v1/jobs/abc")
        score = c.get("/v1/score")
    assert job.status_code == 405 and job.headers["allow"] == "DELETE, GET"
    assert score.status_code == 405 and score.headers["allow"] == "POST"
    assert job.json()["error"] == "method not allowed"


def test_every_answer_has_a_request_id(server):
    with server.client() as c:
        mine = c.get("/healthz", headers={REQUEST_ID: "probe-17"})
        new = c.post("/v1/score", json={**SCORE, "replications": 0})
    assert mine.headers[REQUEST_ID] == "probe-17"
    assert len(new.headers[REQUEST_ID]) == 32


# -- the application in-process -----------------------------------------------------------------------


def _client(app):
    from fastapi.testclient import TestClient

    return TestClient(app, raise_server_exceptions=False)


def test_unexpected_exception_is_a_json_500_with_the_request_id(monkeypatch, caplog):
    """A bug in a route was a text/plain 500; now the error body with no problems and the
    request id, and the traceback in the log under that id."""
    import riskengine.service.app as app_module

    def broken(*_args, **_kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(app_module, "run", broken)
    app = app_module.create_app(app_module.Settings())
    with caplog.at_level(logging.ERROR, logger="riskengine.service"), _client(app) as c:
        r = c.post("/v1/score", json=SCORE)
    assert r.status_code == 500 and r.headers["content-type"] == "application/json"
    request_id = r.headers[REQUEST_ID]
    assert r.json() == {"error": "internal error", "problems": [], "request_id": request_id}
    logged = "\n".join(rec.getMessage() for rec in caplog.records)
    assert request_id in logged and "RuntimeError: a bug" in logged and "Traceback" in logged


def test_keyless_service_documents_no_security_and_serves_its_document():
    """Without a key, the document declares no security (schemathesis found auth declared but
    not enforced) and no 401; with one, every route but /healthz declares and enforces it."""
    from riskengine.service.app import Settings, create_app

    for key in (None, "k"):
        app = create_app(Settings(api_key=key))
        with _client(app) as c:
            doc = c.get("/openapi.json", headers={"X-API-Key": "k"}).json()
            pages = [c.get(p, headers={"X-API-Key": "k"}) for p in ("/docs", "/redoc")]
            keyless = c.get("/openapi.json").status_code
        routes = [(path, op) for path, item in doc["paths"].items() for op in item.values()]
        for path, op in routes:
            keyed = key is not None and path != "/healthz"
            assert ("security" in op) == keyed and ("401" in op["responses"]) == keyed, (key, path)
        assert ("securitySchemes" in doc.get("components", {})) == (key is not None)
        assert keyless == (401 if key else 200)
        for page in pages:  # the document is in the page: no second, keyless request
            assert page.status_code == 200 and '"openapi": "3.1.0"' in page.text


@pytest.mark.parametrize("option, value", [("--max-body-mb", "inf"), ("--max-body-mb", "nan"),
                                           ("--max-body-mb", "1e400"), ("--sync-work", "nan"),
                                           ("--job-work", "inf"), ("--keep-results", "nan"),
                                           ("--sync-work", "0")])
def test_serve_limits_must_be_finite_and_positive(option, value):
    """`--max-body-mb inf|nan|1e400` ended in exit 1, `--sync-work nan` removed the limit."""
    r = CliRunner().invoke(main, ["serve", option, value, "--port", "9"])
    assert r.exit_code == 2, r.output
    assert option in r.output and "Traceback" not in r.output


# -- jobs in SQLite: restarts, kills, several processes -------------------------------------------


def _job_server(state, log, *extra):
    return start_server("--state-dir", str(state), "--workers", "1", "--max-queued", "8",
                        "--job-work", "1e12", "--log-level", "warning", *extra, log_path=log)


def _long_job(replications: int) -> dict:
    return {"operation": "score", "request": {"plan": factory_plan(), "premises": factory_premises(),
                                              "replications": replications, "seed": 2}}


def _sigterm_ends_within_10_s(server) -> None:
    """SIGTERM the server: it ends within 10 s (running jobs back in the queue)."""
    t = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    server.process.wait(timeout=30)
    assert time.monotonic() - t < 10


def _wait(c, job_id, states, timeout=180):
    deadline = time.monotonic() + timeout
    while True:
        job = c.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in states:
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.1)


def _claims(state) -> dict[str, int]:
    with sqlite3.connect(state / "jobs.sqlite3") as db:
        return dict(db.execute("SELECT id, claims FROM jobs").fetchall())


def test_jobs_survive_a_restart_and_sigterm_stops_within_10_s(tmp_path):
    """A job running and one queued at SIGTERM: the server exits within 10 s, both jobs are in
    the queue, the next server runs them (the result as if never interrupted), and a third
    server still returns the finished results."""
    state, log = tmp_path / "state", tmp_path / "server.log"
    a = _job_server(state, log)
    try:
        with a.client() as c:
            running = c.post("/v1/jobs", json=_long_job(400_000)).json()
            queued = c.post("/v1/jobs", json={"operation": "score", "request": {**SCORE, "seed": 4}}).json()
            _wait(c, running["id"], ("running",), timeout=60)
            while c.get(f"/v1/jobs/{running['id']}").json()["progress"]["done"] == 0:
                time.sleep(0.1)
        _sigterm_ends_within_10_s(a)
    finally:
        stop_server(a)
    with sqlite3.connect(state / "jobs.sqlite3") as db:
        states = dict(db.execute("SELECT id, status FROM jobs").fetchall())
    assert states == {running["id"]: "queued", queued["id"]: "queued"}
    b = _job_server(state, log)
    try:
        with b.client() as c:
            first = _wait(c, running["id"], ("done", "failed"), timeout=300)
            second = _wait(c, queued["id"], ("done", "failed"))
            direct = c.post("/v1/score", json={**SCORE, "seed": 4}).json()
    finally:
        stop_server(b)
    assert first["status"] == "done" and first["result"]["replications"] == 400_000
    assert second["status"] == "done" and second["result"] == direct
    assert _claims(state) == {running["id"]: 2, queued["id"]: 1}
    c3 = _job_server(state, log, "--keep-results", "1")
    try:
        with c3.client() as c:
            assert c.get(f"/v1/jobs/{queued['id']}").json()["result"] == direct
    finally:
        stop_server(c3)
    assert "Traceback" not in log.read_text()


def long_replication(work_hours: float) -> dict:
    """A score job of one replication of one operation of ``work_hours`` on a machine failing
    every 0.01 h of work (the validated floor): about 2 x 10^7 breakdowns per 10^5 h, seconds of
    kernel time in a single replication."""
    plan = {"format": "riskengine.plan/1", "id": "long", "bucket_hours": work_hours / 4,
            "horizon": {"start": "2026-11-16T06:00:00+00:00", "end": work_hours}, "resources": [{"id": "M"}],
            "operations": [{"id": "A", "product": "P", "resource": "M", "quantity": 10, "start": 0,
                            "end": work_hours}]}
    premises = {"format": "riskengine.premises/1", "defaults": {"breakdowns": {
        "mtbf_hours": 0.01, "mttr_hours": {"dist": "fixed", "value": 0.001}}}}
    return {"operation": "score", "request": {"plan": plan, "premises": premises, "replications": 1}}


def test_cancel_and_sigterm_stop_inside_a_long_replication(tmp_path):
    """A job whose single replication takes many seconds: DELETE stops it within a second or
    two (the kernel reads the job's stop flag every 2^16 events, not only between batches), and
    SIGTERM with such a job running ends the server within 10 s, the job back in the queue."""
    state, log = tmp_path / "state", tmp_path / "server.log"
    a = _job_server(state, log)
    try:
        with a.client() as c:
            job = c.post("/v1/jobs", json=long_replication(1e6)).json()
            _wait(c, job["id"], ("running",), timeout=60)
            time.sleep(1.0)
            t = time.monotonic()
            assert c.delete(f"/v1/jobs/{job['id']}").json()["status"] in ("cancelling", "cancelled")
            assert _wait(c, job["id"], ("cancelled", "done", "failed"), timeout=30)["status"] == "cancelled"
            assert time.monotonic() - t < 3
            again = c.post("/v1/jobs", json=long_replication(1e6)).json()
            _wait(c, again["id"], ("running",), timeout=60)
            time.sleep(1.0)
        _sigterm_ends_within_10_s(a)
    finally:
        stop_server(a)
    with sqlite3.connect(state / "jobs.sqlite3") as db:
        assert dict(db.execute("SELECT id, status FROM jobs").fetchall())[again["id"]] == "queued"
    assert "Traceback" not in log.read_text()


def test_a_killed_server_s_job_runs_again_and_two_servers_share_the_queue(tmp_path):
    """SIGKILL while a job runs: the next server on the folder sees its owner gone and runs it
    from the start. Two servers on one folder: jobs submitted to one run once in either; each
    reads and cancels the other's jobs."""
    state, log = tmp_path / "state", tmp_path / "server.log"
    a = _job_server(state, log)
    with a.client() as c:
        lost = c.post("/v1/jobs", json=_long_job(100_000)).json()
        _wait(c, lost["id"], ("running",), timeout=60)
    a.process.kill()
    a.process.wait()
    a, b = _job_server(state, log), _job_server(state, log)
    try:
        with a.client() as ca, b.client() as cb:
            assert _wait(cb, lost["id"], ("done", "failed"), timeout=300)["status"] == "done"
            jobs = [ca.post("/v1/jobs", json={"operation": "score", "request": {**SCORE, "seed": s}}).json()
                    for s in range(6)]
            long = ca.post("/v1/jobs", json=_long_job(2_000_000)).json()
            for job in jobs:
                assert _wait(cb, job["id"], ("done", "failed"))["status"] == "done"
            _wait(ca, long["id"], ("running",), timeout=120)
            assert cb.delete(f"/v1/jobs/{long['id']}").json()["status"] == "cancelling"
            assert _wait(ca, long["id"], ("cancelled", "done"), timeout=30)["status"] == "cancelled"
    finally:
        stop_server(a)
        stop_server(b)
    claims = _claims(state)
    assert claims.pop(lost["id"]) == 2 and set(claims.values()) == {1}
    assert "Traceback" not in log.read_text()
