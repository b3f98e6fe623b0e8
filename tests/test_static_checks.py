"""The static checks of the test run: ``ruff check .`` and ``mypy riskengine`` are clean.

Both run from the repository root as the developer runs them, with the configuration of
``pyproject.toml`` (``[tool.ruff]``, ``[tool.mypy]``); a failure shows the tool's report.
A tool that is not installed (it comes with the ``test`` extra) skips its test with the
command that installs it.

Run time on the shared 2-core development machine: ruff under a second; mypy about 24 s of CPU
from a clean clone (no ``.mypy_cache``: 81 s of wall time on the busy machine), 5 to 8 s with
its cache.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Bound of one tool's run (a cold mypy takes about a minute here; a hung tool must not hang the run).
TIMEOUT = 600


def _run(module: str, *args: str) -> subprocess.CompletedProcess:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed: python -m pip install -e '.[test]'")
    env = {**os.environ, "NO_COLOR": "1"}
    try:
        return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else exc.stdout or ""
        pytest.fail(f"{module} {' '.join(args)} did not finish in {TIMEOUT} s:\n{out}")


def test_ruff_is_clean():
    done = _run("ruff", "check", ".")
    assert done.returncode == 0, f"ruff check . found problems:\n{done.stdout}{done.stderr}"


def test_mypy_is_clean():
    done = _run("mypy", "riskengine")
    assert done.returncode == 0, f"mypy riskengine found problems:\n{done.stdout}{done.stderr}"
    assert "Success: no issues found" in done.stdout, done.stdout
