"""Design points of a study: a full grid, or a space-filling design (scipy.stats.qmc).

- Parameters with ``values`` are grid axes: every combination, the first
  parameter varying slowest (``itertools.product`` order).
- Parameters with ``low``/``high`` are covered by ``points`` points of a
  scrambled Sobol sequence (Owen scrambling; ``points`` a power of two keeps its
  balance properties, scipy warns otherwise), a Latin hypercube (McKay, Beckman
  and Conover, Technometrics 21(2), 1979) or a scrambled Halton sequence, drawn
  in [0, 1)^d and scaled to [low, high] linearly or, with ``scale = "log"``, as
  low * (high/low)^u. The scrambling is seeded by the study seed (a numpy
  ``Generator``), so the points are the same on every machine.
- With both kinds, each grid combination is crossed with every design point
  (grid outer).
"""

from __future__ import annotations

import inspect
import itertools
import math
import warnings

import numpy as np
from scipy.stats import qmc

from riskengine.model.common import required
from riskengine.studies.study import Study


def _engine(kind: str, d: int, seed: int) -> qmc.QMCEngine:
    cls = {"sobol": qmc.Sobol, "lhs": qmc.LatinHypercube, "halton": qmc.Halton}[kind]
    key = "rng" if "rng" in inspect.signature(cls).parameters else "seed"  # scipy >= 1.15 names it rng
    return cls(d, scramble=True, **{key: np.random.default_rng(seed)})


def unit_sample(kind: str, d: int, points: int, seed: int) -> np.ndarray:
    """``points`` x ``d`` design in [0, 1)^d."""
    engine = _engine(kind, d, seed)
    if isinstance(engine, qmc.Sobol) and points & (points - 1) == 0:
        return engine.random_base2(int(math.log2(points)))
    with warnings.catch_warnings():  # Sobol with n not a power of 2: documented above
        warnings.simplefilter("ignore", UserWarning)
        return engine.random(points)


def design_points(study: Study) -> list[dict]:
    """The design points of a study: one dict {parameter name: value} per point."""
    gridded = [(p.name, p.values) for p in study.parameters if p.values is not None]
    ranged = [(p.name, p.scale, required(p.low, f"{p.name}.low"), required(p.high, f"{p.name}.high"))
              for p in study.parameters if p.values is None]
    grid = [dict(zip([name for name, _ in gridded], combo, strict=True))
            for combo in itertools.product(*(values for _, values in gridded))]
    if study.design.kind == "grid" or not ranged:
        return grid
    points = required(study.design.points, "design.points")
    u = unit_sample(study.design.kind, len(ranged), int(points), study.seed)
    sampled = []
    for row in u:
        point = {}
        for (name, scale, low, high), x in zip(ranged, row, strict=True):
            if scale == "log":
                value = low * (high / low) ** float(x)
            else:
                value = low + (high - low) * float(x)
            point[name] = float(value)
        sampled.append(point)
    return [{**g, **s} for g in grid for s in sampled]
