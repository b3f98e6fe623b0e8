"""Study files (``riskengine.study/1``, TOML): many scenario variants of base plans.

A study names base plans and premises (paths relative to the study file),
the parameters it varies, how their values are chosen (a full grid or a
space-filling design), the metrics to keep, the replications (or a target
precision) and a seed::

    format = "riskengine.study/1"
    name = "ft06-slack-breakdowns"
    premises = "premises.toml"
    seed = 7
    replications = 200              # or: precision = 0.02 (and max_replications)
    metrics = ["plan_holds", "bts", "finish"]
    crn = "plans"                   # see riskengine.studies.cells

    [plans]                         # label = file
    optimal = "jobshop/ft06-cpsat.json"
    mwkr = "jobshop/ft06-mwkr-active.json"

    [design]
    kind = "grid"                   # grid | sobol | lhs | halton (points = N)

    [[parameters]]
    name = "slack"                  # the table column
    field = "slack"                 # a knob (below) or a premises field
    values = [0.0, 0.1, 0.2]        # grid axis; a design uses low/high (scale linear|log)

    [[parameters]]
    name = "mtbf"
    field = "defaults.breakdowns.mtbf_hours"
    values = [20, 40, 80]

A ``field`` is a dotted path into the premises document (a list of keys when
a key holds a dot) whose value the parameter replaces, or one of the knobs:

- ``slack`` (plan): stretch every planned time by (1 + slack) from the horizon
  start, keeping each operation's work content
  (:func:`riskengine.studies.transform.add_slack`);
- ``breakdown_rate`` (premises): failures per busy hour of every resource
  without its own breakdowns: ``defaults.breakdowns.mtbf_hours = 1 / rate``,
  rate 0 removes the default breakdowns
  (:func:`riskengine.studies.transform.set_breakdown_rate`).

Every cell is one plan under one design point: plans x design points.
Everything is validated before any cell runs, each problem with its location.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, model_validator
from pydantic.json_schema import SkipJsonSchema

from riskengine.errors import InputError, Problem, from_pydantic
from riskengine.io.readers import read_toml
from riskengine.model.common import Id, Strict

STUDY_FORMAT = "riskengine.study/1"
KNOBS = ("slack", "breakdown_rate")
#: Kept per cell as mean, low, high (95% interval); ``holds_day_K`` for any day K is accepted too.
METRICS = ("plan_holds", "bts", "btp", "volume", "mix", "sequence", "finish")
#: Column names a parameter may not take.
RESERVED = ("cell", "cell_id", "plan", "seed", "replications", "planned_finish")
MAX_CELLS = 1_000_000
Value = bool | int | float | str


class Parameter(Strict):
    """One varied field: grid ``values``, or a ``low``-``high`` range for a design."""

    name: Id
    """The table column of the parameter."""
    field: str | list[str]
    """A knob (slack, breakdown_rate) or a dotted premises path (a list of keys when a key holds a
    dot), e.g. defaults.breakdowns.mtbf_hours."""
    values: list[Value] | None = Field(default=None, min_length=1)
    """The values of a grid axis."""
    low: float | None = None
    """Lower end of a design range (sobol, lhs, halton)."""
    high: float | None = None
    """Upper end of a design range."""
    scale: Literal["linear", "log"] = "linear"
    """How a design range is spread: linear, or log (low > 0)."""

    @model_validator(mode="after")
    def _values_or_range(self) -> Parameter:
        path = self.path
        if not path or any(not p for p in path):
            raise ValueError(f"field: must be a knob ({', '.join(KNOBS)}) or a dotted premises path")
        if self.values is not None and (self.low is not None or self.high is not None):
            raise ValueError("give values (a grid axis) or low and high (a design range), not both")
        if self.values is None:
            if self.low is None or self.high is None:
                raise ValueError("needs values (a grid axis) or low and high (a design range)")
            if not self.low < self.high:
                raise ValueError(f"low must be below high, got {self.low} and {self.high}")
            if self.scale == "log" and self.low <= 0:
                raise ValueError(f"a log scale needs low > 0, got {self.low}")
        return self

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(self.field.split(".")) if isinstance(self.field, str) else tuple(self.field)

    @property
    def knob(self) -> str | None:
        return self.path[0] if len(self.path) == 1 and self.path[0] in KNOBS else None


class Design(Strict):
    """``grid``: every combination of the parameters' values. ``sobol``, ``lhs``, ``halton``:
    ``points`` space-filling points over the ranged parameters (scipy.stats.qmc), crossed
    with the values of any gridded ones."""

    kind: Literal["grid", "sobol", "lhs", "halton"] = "grid"
    """grid: every combination of values; sobol, lhs, halton: space-filling points over the ranges."""
    points: Annotated[int, Field(ge=1, le=MAX_CELLS)] | None = None
    """Design points of a space-filling design."""


class Study(Strict):
    """A scenario study (``riskengine.study/1``, TOML): base plans under varied premises or knobs."""

    format: Literal["riskengine.study/1"]
    """The format and its version."""
    name: Id
    """The study's name."""
    description: str | None = None
    """What the study asks."""
    plans: dict[Id, str] = Field(min_length=1)
    """Label -> plan file (relative to the study file)."""
    premises: str
    """The base premises file (relative to the study file)."""
    parameters: list[Parameter] = Field(default_factory=list)
    """The varied parameters."""
    design: Design = Field(default_factory=Design)
    """How the design points are chosen."""
    metrics: list[str] = Field(default_factory=lambda: ["plan_holds", "bts", "btp", "finish"], min_length=1)
    """Metrics kept per cell (mean and 95% interval): plan_holds, bts, btp, volume, mix, sequence,
    finish, holds_day_K."""
    replications: Annotated[int, Field(ge=2, le=10_000_000)] | None = None
    """Replications per cell (or give precision)."""
    precision: Annotated[float, Field(gt=0, lt=1)] | None = None
    """Instead of replications: the target half-width of the headline 95% intervals."""
    max_replications: Annotated[int, Field(ge=2, le=10_000_000)] = 100_000
    """Cap of the adaptive precision mode."""
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0
    """The study seed; each cell's seed derives from it and the cell's design point."""
    crn: Literal["plans", "all", "none"] = "plans"
    """Common random numbers: plans (the plans of a design point share a seed), all (every cell
    shares the study seed), none (every cell its own)."""
    engine: Literal["kernel", "reference"] = "kernel"
    """Simulation engine: the numba kernel or the SimPy reference."""
    #: Folder the relative paths are read from (the study file's folder; not part of the file).
    base: SkipJsonSchema[str] = Field(default=".", exclude=True)

    @model_validator(mode="after")
    def _consistent(self) -> Study:
        if self.replications is not None and self.precision is not None:
            raise ValueError("give replications or precision, not both")
        if self.replications is None and self.precision is None:
            self.replications = 1000
        return self

    def path(self, relative: str) -> Path:
        return Path(self.base) / relative


def _problems(study: Study) -> list[Problem]:
    """Checks across fields: names, metrics, design kind against the parameters."""
    problems = []
    seen: set[str] = set()
    for i, p in enumerate(study.parameters):
        if p.name in RESERVED or p.name in seen or p.name.endswith(("_mean", "_low", "_high")):
            problems.append(Problem(f"parameters[{i}].name", f"{p.name!r} is taken (reserved: "
                                    f"{', '.join(RESERVED)}, metric columns, other parameters)"))
        seen.add(p.name)
        if p.knob and p.values is not None and not all(
                isinstance(v, int | float) and not isinstance(v, bool) and v >= 0 for v in p.values):
            problems.append(Problem(f"parameters[{i}].values", f"{p.knob} takes numbers >= 0"))
        if p.knob and p.low is not None and p.low < 0:
            problems.append(Problem(f"parameters[{i}].low", f"{p.knob} takes numbers >= 0, got {p.low}"))
        if study.design.kind == "grid" and p.values is None:
            problems.append(Problem(f"parameters[{i}]", "a grid design needs values (low/high are for "
                                    "sobol, lhs or halton designs)"))
    for k, m in enumerate(study.metrics):
        day = m.removeprefix("holds_day_")
        if m not in METRICS and not (m.startswith("holds_day_") and day.isdigit() and int(day) >= 1):
            problems.append(Problem(f"metrics[{k}]", f"unknown metric {m!r}; known: {', '.join(METRICS)}, "
                                    "holds_day_K"))
    ranged = [p for p in study.parameters if p.values is None]
    if study.design.kind != "grid":
        if study.design.points is None:
            problems.append(Problem("design.points", f"a {study.design.kind} design needs points"))
        if not ranged:
            problems.append(Problem("parameters", f"a {study.design.kind} design needs at least one "
                                    "parameter with low and high"))
    elif study.design.points is not None:
        problems.append(Problem("design.points", "only sobol, lhs and halton designs take points"))
    for label, rel in study.plans.items():
        problems += _file_problems(f"plans.{label}", study.path(rel))
    problems += _file_problems("premises", study.path(study.premises))
    return problems


def _file_problems(where: str, path: Path) -> list[Problem]:
    """A named file that is not there, or whose name the file system refuses (too long)."""
    try:
        if path.is_file():
            return []
    except OSError as exc:
        return [Problem(where, f"cannot read {str(path)[:200]!r}: {exc.strerror or exc}")]
    return [Problem(where, f"no such file {str(path)!r}")]


def parse_study(data: object, base: str | os.PathLike = ".", source: str | None = None) -> Study:
    """Validate a study document (parsed TOML); relative paths are read from ``base``."""
    if not isinstance(data, dict):
        raise InputError(Problem("", "a study must be a TOML table"), source)
    try:
        study = Study.model_validate({**data, "base": str(base)})
    except ValidationError as exc:
        raise from_pydantic(exc, source) from None
    problems = _problems(study)
    if problems:
        raise InputError(problems, source)
    return study


def read_study(path: str | os.PathLike) -> Study:
    """Read and validate a study file (TOML)."""
    path = Path(path)
    data = read_toml(path)
    if "base" in data:
        raise InputError(Problem("base", "Extra inputs are not permitted"), str(path))
    return parse_study(data, path.parent, str(path))
