"""Cells of a study: one plan under one design point, with its own seed.

Seeds (the derivation that makes a sweep's table the same on any backend and
any number of workers): a cell's seed depends only on the study seed and the
cell's *key*, never on the order or the place in which cells run::

    key  = canonical JSON of the key's (name, value) pairs, sorted by name
    seed = mix64(mix64(study_seed + G) XOR fnv1a64(key)) >> 1        (63 bits)

with G = 0x9E3779B97F4A7C15, ``mix64`` SplitMix64's output function and
``fnv1a64`` the 64-bit FNV-1a hash of the key's UTF-8 bytes (both as in
:mod:`riskengine.simulation.rng`). The key is chosen by the study's ``crn``:

- ``"plans"`` (default): the design point's parameter values. All plans under
  one design point share the seed, so they see the same breakdowns, late lots
  and absences (common random numbers): plan differences within a point are
  paired, as in ``riskengine compare``.
- ``"none"``: the parameter values and the plan label: independent streams.
- ``"all"``: nothing; every cell has the same seed (CRN across the whole study:
  smooth curves over a parameter, but cells are not independent).

A cell's *id* is the SHA-256 (first 20 hex digits) of everything that
determines its row: plan document, premises document, replications or
precision, seed, engine, metrics, label and parameter values. The resume store
(:mod:`riskengine.studies.store`) keys finished cells by it, so a changed
study never reuses a stale row.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from riskengine.errors import InputError, Problem
from riskengine.io.readers import read_plan, read_premises
from riskengine.model.plan import Plan, parse_plan
from riskengine.model.premises import check_premises_against, parse_premises
from riskengine.studies.design import design_points
from riskengine.studies.study import MAX_CELLS, Study
from riskengine.studies.transform import add_slack, set_breakdown_rate, set_field

MASK64 = (1 << 64) - 1
GOLDEN_GAMMA = 0x9E3779B97F4A7C15


def _mix64(z: int) -> int:
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def _fnv1a64(text: str) -> int:
    h = 0xCBF29CE484222325
    for byte in text.encode("utf-8"):
        h = ((h ^ byte) * 0x100000001B3) & MASK64
    return h


def canonical(value: object) -> str:
    """Canonical JSON (sorted keys, no spaces; floats by shortest round-trip repr)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=True)


def cell_seed(study_seed: int, key: dict) -> int:
    """The seed of a cell: a pure function of the study seed and the cell's key (module doc)."""
    return _mix64(_mix64((study_seed + GOLDEN_GAMMA) & MASK64) ^ _fnv1a64(canonical(key))) >> 1


@dataclass
class Cell:
    """One unit of work: everything a worker needs, as plain JSON-able data."""

    index: int
    cell_id: str
    plan: str
    parameters: dict
    seed: int
    plan_doc: dict
    premises_doc: dict
    planned_finish: float
    plan_key: str = ""

    def task(self, study: Study) -> dict:
        """The worker's input (:func:`riskengine.studies.worker.run_cell`)."""
        return {"cell_id": self.cell_id, "index": self.index, "plan": self.plan,
                "parameters": self.parameters, "seed": self.seed, "plan_doc": self.plan_doc,
                "premises_doc": self.premises_doc, "planned_finish": self.planned_finish,
                "plan_key": self.plan_key,
                "replications": study.replications, "precision": study.precision,
                "max_replications": study.max_replications, "engine": study.engine,
                "metrics": list(study.metrics)}


def _plan_finish(plan: Plan) -> float:
    return max(plan.hours(op.end) for op in plan.operations)


def build_cells(study: Study) -> list[Cell]:
    """Every cell of a study, validated (plans, premises and each variant) before any work.

    Raises
    ------
    InputError
        Every problem found, located as ``cells[i] (plan=..., name=value): field: message``.
    """
    plans = {label: read_plan(study.path(rel)) for label, rel in study.plans.items()}
    base = read_premises(study.path(study.premises)).model_dump(mode="json", by_alias=True, exclude_none=True)
    points = design_points(study)
    n = len(points) * len(plans)
    if n > MAX_CELLS:
        raise InputError(Problem("parameters", f"the study has {n} cells; at most {MAX_CELLS} are allowed"))
    params = {p.name: p for p in study.parameters}
    variants: dict[tuple[str, float], tuple[dict, float, str]] = {}
    cells: list[Cell] = []
    problems: list[Problem] = []
    for point in points:
        premises_doc, where = base, ", ".join(f"{k}={v!r}" for k, v in point.items())
        slack = 0.0
        try:
            for name, value in point.items():
                p = params[name]
                if p.knob == "slack":
                    slack = float(value)
                elif p.knob == "breakdown_rate":
                    premises_doc = set_breakdown_rate(premises_doc, float(value))
                else:
                    premises_doc = set_field(premises_doc, p.path, value)
            premises = parse_premises(premises_doc, "premises")
        except KeyError as exc:
            problems.append(Problem(f"design point ({where})", str(exc.args[0])))
            continue
        except InputError as exc:
            problems += [Problem(f"design point ({where}): premises.{q.location}", q.message)
                         for q in exc.problems]
            continue
        for label, plan in plans.items():
            if (label, slack) not in variants:
                try:
                    doc = add_slack(plan, slack)
                    variant = parse_plan(doc, f"plans.{label}") if slack else plan
                except InputError as exc:  # the stretched plan breaks a limit (hours, years, buckets)
                    problems += [Problem(f"design point ({where}): plans.{label} stretched: {q.location}",
                                         q.message) for q in exc.problems]
                    continue
                except OverflowError:  # beyond what a date can hold
                    problems.append(Problem(f"design point ({where})", f"slack {slack:g} stretches plan "
                                            f"{label} past the year 9999"))
                    continue
                variants[label, slack] = (doc, _plan_finish(variant),
                                          hashlib.sha256(canonical(doc).encode()).hexdigest())
            try:
                check_premises_against(premises, plan)
            except InputError as exc:
                problems += [Problem(f"plans.{label} with premises.{q.location}", q.message)
                             for q in exc.problems]
            doc, finish, plan_hash = variants[label, slack]
            key = {} if study.crn == "all" else dict(point)
            if study.crn == "none":
                key["plan"] = label
            seed = cell_seed(study.seed, key)
            digest = hashlib.sha256(canonical(
                {"plan_doc": plan_hash, "premises": premises_doc, "replications": study.replications,
                 "precision": study.precision, "max_replications": study.max_replications,
                 "seed": seed, "engine": study.engine, "metrics": study.metrics, "plan": label,
                 "parameters": point}).encode()).hexdigest()[:20]
            cells.append(Cell(len(cells), digest, label, dict(point), seed, doc, premises_doc, finish,
                              plan_hash))
    if problems:
        raise InputError(list(dict.fromkeys(problems))[:100], "study")
    return cells
