"""Scenario studies: study files, design points, sweeps on local cores or Dask.

::

    from riskengine.studies import read_study, sweep
    result = sweep(read_study("scenarios/studies/ft06-slack-breakdowns.toml"), out="out/ft06.parquet")
    result.columns["plan_holds_mean"]

Names are imported on first use, so the command line starts fast.
"""

import importlib

_NAMES = {"build_cells": "cells", "cell_seed": "cells", "design_points": "design", "Study": "study",
          "parse_study": "study", "read_study": "study", "SweepResult": "runner", "sweep": "runner",
          "read_table": "table", "write_table": "table"}
__all__ = sorted(_NAMES)


def __getattr__(name: str):
    if name in _NAMES:
        return getattr(importlib.import_module(f"riskengine.studies.{_NAMES[name]}"), name)
    raise AttributeError(f"module 'riskengine.studies' has no attribute {name!r}")
