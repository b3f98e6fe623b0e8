"""Optional dependencies (pyproject extras) and the message when one is missing.

``pip install riskengine`` installs the core: plans, premises, actuals, score,
compare, measure, check, calibrate, the HTML report. What an extra enables:

========  ====================================  ======================================
extra     installs                              enables
========  ====================================  ======================================
service   fastapi, uvicorn, defusedxml          ``riskengine serve`` (HTTP service)
interop   defusedxml                            ``riskengine import b2mml``
pandas    pandas                                ``plan_from_frames``, ``to_frames()``
sheets    openpyxl                              ``riskengine import table`` of ``.xlsx``
sweep     dask.distributed, pyarrow             ``riskengine sweep --dask``, Parquet tables
jobshop   ortools                               ``riskengine jobshop --rule cpsat``
all       every extra above
========  ====================================  ======================================

A command or function that needs a missing extra raises :class:`MissingExtra`:
an :class:`~riskengine.errors.InputError` (the CLI exits 2 with the message,
the service answers 422) that is also an :class:`ImportError` (what Python
code expects), naming the extra to install.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from riskengine.errors import InputError, Problem

#: module -> extra that installs it
EXTRA_OF = {"defusedxml": "interop", "pandas": "pandas", "openpyxl": "sheets", "pyarrow": "sweep",
            "dask": "sweep", "fastapi": "service", "uvicorn": "service", "ortools": "jobshop"}


class MissingExtra(InputError, ImportError):
    """An optional dependency is not installed; the message names the extra that installs it."""

    def __init__(self, module: str, purpose: str):
        extra = EXTRA_OF.get(module.split(".")[0], "all")
        self.module, self.extra = module, extra
        super().__init__(Problem("", f"{purpose} needs {module.split('.')[0]}, which is not installed: "
                                 f"python -m pip install 'riskengine[{extra}]'"))

    def _text(self) -> str:
        return self.problems[0].message


def require(module: str, purpose: str) -> ModuleType:
    """Import ``module`` or raise :class:`MissingExtra` saying which extra installs it.

    Parameters
    ----------
    module
        The module to import, e.g. ``"pandas"`` or ``"openpyxl"``.
    purpose
        What needs it, for the message (``"reading .xlsx files"``).

    Returns
    -------
    module
        The imported module.

    Examples
    --------
    >>> require("json", "writing JSON").__name__
    'json'
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtra(module, purpose) from None
