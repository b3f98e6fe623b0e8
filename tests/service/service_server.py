"""A real ``riskengine serve`` (uvicorn) on 127.0.0.1 and a free port, shared by the service tests.

The server runs in a subprocess with an API key, one job worker and room for
one queued job (so the 503 path is reachable), a 1 MiB body limit and a
synchronous work limit of 2e6 operation-replications. It is warmed up with
one score so that the numba kernel is compiled (or loaded from its cache)
before any timing-sensitive test.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

httpx = pytest.importorskip("httpx", reason="the service extra is not installed")
pytest.importorskip("fastapi", reason="the service extra is not installed")
pytest.importorskip("uvicorn", reason="the service extra is not installed")

ROOT = Path(__file__).resolve().parents[2]
FACTORY = ROOT / "scenarios" / "example-factory"
API_KEY = "test-key-8f3a"
SYNC_WORK = 2e6
JOB_WORK = 1e8
MAX_BODY = 2**20


@dataclass
class Server:
    url: str
    process: subprocess.Popen

    def client(self, key: str | None = API_KEY, timeout: float = 300) -> httpx.Client:
        headers = {"X-API-Key": key} if key is not None else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=timeout)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def factory_plan() -> dict:
    return json.loads((FACTORY / "plan-v1.json").read_text(encoding="utf-8"))


def factory_premises() -> dict:
    return tomllib.loads((FACTORY / "premises.toml").read_text(encoding="utf-8"))


def factory_work_per_replication() -> float:
    """What one replication of the example factory counts against the work limits: its 114
    operations and its figures (riskengine.service.requests.FIGURE_WEIGHT each)."""
    from riskengine.model.plan import parse_plan
    from riskengine.model.premises import parse_premises
    from riskengine.service.requests import FIGURE_WEIGHT
    from riskengine.simulation.memory import shape_of

    shape = shape_of(parse_plan(factory_plan()), parse_premises(factory_premises()))
    return shape.operations + FIGURE_WEIGHT * shape.width


def small_plan(id: str = "small", shift: float = 0.0) -> dict:
    """Two lines, six operations, a routing link and a material: scores in milliseconds."""
    ops = []
    for k in range(3):
        for line in ("L1", "L2"):
            start = 2.0 * k + shift + (0.5 if line == "L2" else 0.0)
            ops.append({"id": f"{line}-{k}", "product": f"P{k}", "resource": line, "quantity": 100,
                        "start": start, "end": start + 1.5, "setup_hours": 0.25,
                        "materials": ["M1"] if k == 0 else []})
    ops[3]["after"] = ["L1-1"]
    return {"format": "riskengine.plan/1", "id": id, "horizon": {"start": "2026-11-16T06:00:00+00:00",
                                                                  "end": 24},
            "bucket_hours": 8, "resources": [{"id": "L1"}, {"id": "L2"}], "operations": ops}


def small_premises() -> dict:
    return {"format": "riskengine.premises/1",
            "defaults": {"breakdowns": {"mtbf_hours": 20, "mttr_hours": 1.0},
                         "performance": {"dist": "lognormal", "mean": 0.97, "cv": 0.05}},
            "materials": {"M1": {"late": {"probability": 0.2, "delay_hours": 2}}}}


def start_server(*options: str, key: str | None = API_KEY, log_path: Path,
                 timeout: float = 120) -> Server:
    """``riskengine serve`` with ``options`` on a free port, once /healthz answers."""
    port = free_port()
    path = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    env = {**os.environ, "PYTHONPATH": path}
    env.pop("RISKENGINE_API_KEY", None)
    if key is not None:
        env["RISKENGINE_API_KEY"] = key
    cmd = [sys.executable, "-m", "riskengine.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
           *options]
    log = log_path.open("ab")
    process = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited: {log_path.read_text(errors='replace')}")
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return Server(url, process)
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the server did not answer /healthz within {timeout:g} s")
        time.sleep(0.2)


def stop_server(srv: Server, timeout: float = 20) -> None:
    srv.process.terminate()
    try:
        srv.process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        srv.process.kill()
        srv.process.wait()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    log_path = tmp_path_factory.mktemp("server") / "server.log"
    srv = start_server("--workers", "1", "--max-queued", "1", "--max-body-mb", str(MAX_BODY / 2**20),
                       "--sync-work", str(SYNC_WORK), "--job-work", str(JOB_WORK), "--log-level", "warning",
                       log_path=log_path)
    with srv.client() as c:  # compile or load the kernel once
        r = c.post("/v1/score", json={"plan": small_plan(), "premises": small_premises(), "replications": 10})
        assert r.status_code == 200, r.text
    yield srv
    stop_server(srv)
    text = log_path.read_text(errors="replace")
    assert "Traceback" not in text, text  # no request crashed a handler
