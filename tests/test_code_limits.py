"""Issue 17's limits on the code's shape, checked on the source (ast), so they hold as it grows:

- no function in ``riskengine/`` is longer than 120 lines;
- no function in ``riskengine/simulation/`` takes more than 15 parameters (what crosses the numba
  boundary travels in the named records of :mod:`riskengine.simulation.records`: a new premise
  array is added there, in one place, not to every signature on its way to the kernel).
"""

from __future__ import annotations

import ast
from pathlib import Path

import riskengine

PACKAGE = Path(riskengine.__file__).resolve().parent
MAX_LINES = 120
MAX_PARAMETERS = 15


def functions(folder: Path):
    """``(path relative to the package, function node)`` for every function under ``folder``."""
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                yield path.relative_to(PACKAGE), node


def parameter_count(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    a = node.args
    starred = (a.vararg is not None) + (a.kwarg is not None)
    return len(a.posonlyargs) + len(a.args) + len(a.kwonlyargs) + starred


def test_no_function_is_longer_than_120_lines():
    too_long = [f"{path}:{node.name} ({node.end_lineno - node.lineno + 1} lines)"
                for path, node in functions(PACKAGE) if node.end_lineno - node.lineno + 1 > MAX_LINES]
    assert too_long == []


def test_no_simulation_function_takes_more_than_15_parameters():
    too_many = [f"{path}:{node.name} ({parameter_count(node)} parameters)"
                for path, node in functions(PACKAGE / "simulation") if parameter_count(node) > MAX_PARAMETERS]
    assert too_many == []


def test_the_limits_see_what_they_limit():
    """The walk finds the kernel's entry points with their real parameter counts (a test that
    found no functions would pass on anything)."""
    found = {node.name: parameter_count(node) for _, node in functions(PACKAGE / "simulation")}
    assert found["replicate"] == 6  # seed, rep, model, scrap, scratch, out
    assert len(found) > 100
