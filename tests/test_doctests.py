"""The examples in the public API's docstrings run as doctests (issue 21), from the repository
root (they read the example scenarios)."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: modules whose docstrings carry the examples of the public API (import riskengine as rk)
PUBLIC = ["riskengine.io.readers", "riskengine.analysis.score", "riskengine.analysis.simulate",
          "riskengine.analysis.compare",
          "riskengine.analysis.sensitivity", "riskengine.adherence.measure", "riskengine.feasibility.checks",
          "riskengine.calibration.estimate", "riskengine.calibration.backtest", "riskengine.interop.frames",
          "riskengine.interop.results", "riskengine.interop.tables", "riskengine.interop.localtime",
          "riskengine.extras", "riskengine.governance.review", "riskengine.governance.signoff",
          "riskengine.governance.trend", "riskengine.governance.owners", "riskengine.live.run",
          "riskengine.live.events"]


@pytest.mark.parametrize("name", PUBLIC)
def test_docstring_examples_run(name, monkeypatch):
    monkeypatch.chdir(ROOT)
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                             raise_on_error=False, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
    assert result.attempted > 0, f"{name} has no examples"


def test_every_public_function_has_parameters_returns_and_examples():
    import riskengine as rk

    for name in ("read_plan", "read_history", "read_actuals", "read_premises", "score", "simulate", "compare",
                 "sensitivity", "measure", "check", "calibrate", "backtest", "plan_from_frames",
                 "actuals_from_frame", "to_frames", "import_table", "review", "sign_off", "trend",
                 "read_owners", "forecast", "read_known_events"):
        doc = getattr(rk, name).__doc__
        for section in ("Parameters\n", "Returns\n", "Examples\n"):
            assert section in doc, f"rk.{name} has no {section.strip()} section"
