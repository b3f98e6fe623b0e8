"""No orphans (issue 15.5): `sweep --workers 2` killed with SIGKILL left its 2 pool workers and
the multiprocessing resource tracker running for minutes; now they end with it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "scenarios" / "studies" / "ft06-slack-breakdowns.toml"
JOBSHOP = ROOT / "scenarios" / "jobshop"
PROC = Path("/proc")

pytestmark = pytest.mark.skipif(not PROC.is_dir(), reason="reads the process tree from /proc (Linux)")


def _stat(pid: int) -> tuple[int, str] | None:
    """(parent pid, state) of a process, None once it is gone."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[1]), fields[0]


def descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (st := _stat(int(entry.name))) is not None:
            children.setdefault(st[0], []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    st = _stat(pid)
    return st is not None and st[1] not in ("Z", "X")  # a zombie has ended (only not reaped yet)


def test_killed_sweep_takes_its_pool_workers_and_resource_tracker_along(tmp_path):
    text = STUDY.read_text().replace("replications = 200", "replications = 3000")
    study = tmp_path / "study.toml"
    study.write_text(text.replace('"../jobshop/', f'"{JOBSHOP}/'))
    out = tmp_path / "k.parquet"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-m", "riskengine.cli", "sweep", str(study), "--out", str(out),
                             "--workers", "2", "--quiet"], env=env)
    cells = Path(str(out) + ".cells")
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and len(list(cells.glob("*.json"))) < 2 and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, "the sweep ended before it could be killed"
    family = descendants(proc.pid)
    assert len(family) >= 3, family  # two workers and the resource tracker
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(alive(p) for p in family):
        time.sleep(0.1)
    left = {p for p in family if alive(p)}
    for p in left:  # do not leave them behind for the rest of the run
        os.kill(p, signal.SIGKILL)
    assert not left, f"still running 10 s after the sweep was killed: {left}"
