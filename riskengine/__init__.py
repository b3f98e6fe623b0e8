"""riskengine: Monte Carlo scheduling risk and exact schedule adherence.

The public Python API (``import riskengine as rk``)::

    import riskengine as rk
    plan = rk.read_plan("scenarios/example-factory/plan-v1.json")
    premises = rk.read_premises("scenarios/example-factory/premises.toml")
    result = rk.score(plan, premises, replications=1000, seed=1)
    print(result)            # terminal summary
    result.to_dict()         # riskengine.score/1
    result.to_frames()       # tidy pandas DataFrames (extra ``pandas``)

Readers: :func:`read_plan`, :func:`read_history`, :func:`read_actuals`,
:func:`read_premises`; from pandas (extra ``pandas``): :func:`plan_from_frames`,
:func:`actuals_from_frame`; from spreadsheets: :func:`import_table`.
Analyses: :func:`score`, :func:`simulate` (replications as realized data), :func:`compare`,
:func:`sensitivity`, :func:`measure`, :func:`check`, :func:`calibrate`, :func:`backtest`. The
operational contract: :func:`review` (the review sheet), :func:`sign_off`, :func:`trend`,
:func:`read_owners`. The live plan: :func:`forecast` from the state at an as-of time (events:
:func:`read_known_events`). Results to pandas: :func:`to_frames` (also ``result.to_frames()``),
:func:`sweep_frame`. One score over a Dask cluster (extra ``sweep``): ``dask=`` of :func:`score`,
:func:`compare`, :func:`sensitivity` (an address, ``"local"`` or a :class:`Cluster`).

The heavier analyses are imported on first use, so ``import riskengine`` stays
quick for the command line.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

from riskengine.adherence.measure import measure
from riskengine.adherence.result import Measurement
from riskengine.errors import InputError, Problem
from riskengine.extras import MissingExtra
from riskengine.io.readers import read_actuals, read_history, read_plan, read_premises
from riskengine.model import (
    Actuals,
    Operation,
    Plan,
    PlanHistory,
    Record,
    Resource,
    parse_actuals,
    parse_plan,
)
from riskengine.model.rules import AdherenceRules, Band

try:
    __version__ = _version("riskengine")  # the one version: pyproject.toml's, as installed
except PackageNotFoundError:  # pragma: no cover - running from a source tree that is not installed
    __version__ = "0+unknown"

#: name -> module of the functions imported on first use (PEP 562)
_LAZY = {
    "score": "riskengine.analysis.score",
    "simulate": "riskengine.analysis.simulate",
    "compare": "riskengine.analysis.compare",
    "sensitivity": "riskengine.analysis.sensitivity",
    "check": "riskengine.feasibility.checks",
    "calibrate": "riskengine.calibration.estimate",
    "backtest": "riskengine.calibration.backtest",
    "plan_from_frames": "riskengine.interop.frames",
    "actuals_from_frame": "riskengine.interop.frames",
    "to_frames": "riskengine.interop.results",
    "sweep_frame": "riskengine.interop.results",
    "import_table": "riskengine.interop.tables",
    "review": "riskengine.governance.review",
    "sign_off": "riskengine.governance.signoff",
    "trend": "riskengine.governance.trend",
    "read_owners": "riskengine.governance.owners",
    "forecast": "riskengine.live.run",
    "read_known_events": "riskengine.live.events",
    "Cluster": "riskengine.analysis.cluster",
}


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'riskengine' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "Actuals",
    "AdherenceRules",
    "Band",
    "Cluster",
    "InputError",
    "Measurement",
    "MissingExtra",
    "Operation",
    "Plan",
    "PlanHistory",
    "Problem",
    "Record",
    "Resource",
    "__version__",
    "actuals_from_frame",
    "backtest",
    "calibrate",
    "check",
    "compare",
    "forecast",
    "import_table",
    "measure",
    "parse_actuals",
    "parse_plan",
    "plan_from_frames",
    "read_actuals",
    "read_history",
    "read_known_events",
    "read_plan",
    "read_owners",
    "read_premises",
    "review",
    "score",
    "sensitivity",
    "sign_off",
    "simulate",
    "sweep_frame",
    "to_frames",
    "trend",
]
