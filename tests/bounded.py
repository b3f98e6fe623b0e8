"""Run a child process under a time bound: a hang fails the test instead of the test run.

A regression that loops forever in compiled code (numba) holds the GIL-free thread where no
signal reaches it, so anything that could hang runs in a child process with a timeout.
"""

from __future__ import annotations

import subprocess
import sys

import pytest


def run_bounded(args: list[str], timeout: float, **kwargs) -> subprocess.CompletedProcess:
    """Run a child process (text output captured); a timeout kills it and fails the test."""
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kwargs)
    except subprocess.TimeoutExpired:
        pytest.fail(f"did not finish within {timeout:g} s (endless loop?): {' '.join(map(str, args))}")


def riskengine(*args: object, timeout: float = 180, **kwargs) -> subprocess.CompletedProcess:
    """``riskengine ARGS`` (the real command line, this interpreter) under a time bound."""
    return run_bounded([sys.executable, "-m", "riskengine.cli", *map(str, args)], timeout, **kwargs)
