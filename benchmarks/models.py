"""Synthetic plans and premises for the benchmarks (deterministic: same arguments, same documents).

- :func:`chain_documents` / :func:`chain_model`: the chain model of benchmarks/README.md (see
  :mod:`benchmarks.numpy_chain`) as a riskengine plan and premises: one resource, ``n``
  operations back to back, three reliability factors, lognormal setup overrun, exponential
  breakdowns over busy time. Nothing else (no scrap, performance loss, materials,
  absenteeism or operator deviation), so the kernel, the reference and the numpy version
  simulate the same thing.
- :func:`week_documents`: a week of a larger two-stage factory (processing lines feeding
  packing lines) with ``n_ops`` operations: routing pairs, setups on family changes,
  material lots per family and day, and premises in the style of
  ``scenarios/example-factory/premises.toml``.
- :func:`plant_documents`: a month of a large plant (issue 22's big plans: 200,000 operations by
  default): four stages (press, machining, assembly, packing) of about ``n_ops / 1,600`` work
  centres each, orders routed through three or four of them, shift calendars (three shifts and
  Saturdays in production, two shifts in packing, breaks, a plant holiday, maintenance windows),
  operations planned in working time (stretched over breaks with ``work_hours``), material lots
  per family and day, due dates, and premises like the week's.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from benchmarks.numpy_chain import DEFAULT, ChainParams

T0 = "2026-11-16T06:00:00+00:00"  # a Monday
FACTORS = ("material", "machine", "operator")  # three distinct causes of the taxonomy
PRODUCTS = ("A", "B", "C", "D")


def chain_documents(n_ops: int, params: ChainParams = DEFAULT) -> tuple[dict, dict]:
    """Plan and premises documents (``riskengine.plan/1``, ``riskengine.premises/1``) of the chain."""
    p = params
    d = p.duration
    ops = [{"id": f"OP{i:06d}", "product": PRODUCTS[i % len(PRODUCTS)], "resource": "L1",
            "quantity": 100, "start": i * d, "end": (i + 1) * d, "setup_hours": p.setup}
           for i in range(n_ops)]
    horizon = max(p.bucket_hours, math.ceil(n_ops * d / p.bucket_hours) * p.bucket_hours)
    plan = {"format": "riskengine.plan/1", "id": f"chain-{n_ops}",
            "horizon": {"start": T0, "end": horizon}, "bucket_hours": p.bucket_hours,
            "resources": [{"id": "L1"}], "operations": ops}
    premises = {
        "format": "riskengine.premises/1",
        "reliability": dict(zip(FACTORS, p.reliability, strict=True)),
        "defaults": {
            "setup_overrun": {"dist": "lognormal", "mean": p.setup_mean, "cv": p.setup_cv},
            "breakdowns": {"mtbf_hours": {"dist": "exponential", "mean": p.mtbf},
                           "mttr_hours": {"dist": "exponential", "mean": p.mttr}},
        },
        "execution": {"early_start": False, "on_blocked": "wait",
                      "lateness_tolerance_hours": p.tolerance},
    }
    return plan, premises


def chain_model(n_ops: int, params: ChainParams = DEFAULT):
    """The chain as validated ``(Plan, Premises)``."""
    from riskengine.model.plan import parse_plan
    from riskengine.model.premises import parse_premises

    plan, premises = chain_documents(n_ops, params)
    return parse_plan(plan), parse_premises(premises)


FAMILIES = ("crackers", "digestives", "cookies", "wafers", "bars", "rusks", "biscotti", "snaps")


def week_documents(n_ops: int = 10_000, lines: int = 20, seed: int = 47) -> tuple[dict, dict]:
    """A one-week plan of ``lines`` processing lines P01.. each feeding packing line K01..
    (10% of orders go to the neighbouring packer), with ``n_ops // 2`` two-operation orders
    (processing, then packing after it), and premises like the example factory's."""
    rng = np.random.default_rng(seed)
    horizon, gap = 168.0, 0.25
    n_orders = n_ops // 2
    per_line = np.full(lines, n_orders // lines)
    per_line[: n_orders % lines] += 1
    ops_p: list[dict] = []
    ops_k: list[tuple[float, int, dict]] = []
    number = 0
    for j in range(lines):
        runs = rng.uniform(0.3, 1.0, per_line[j])
        fams = np.concatenate([np.full(int(rng.integers(3, 15)), rng.integers(len(FAMILIES)))
                               for _ in range(per_line[j])])[: per_line[j]]  # family campaigns
        setups = np.array([0.25 if k == 0 or fams[k] != fams[k - 1] else 0.0 for k in range(len(fams))])
        scale = min(1.0, 0.9 * horizon / float(runs.sum() + setups.sum()))
        t = 0.0
        for k in range(per_line[j]):
            number += 1
            family = FAMILIES[fams[k]]
            product = f"{family[:3].upper()}-{int(rng.integers(4))}"
            day = int(t // 24)
            run = round(float(runs[k]) * scale + setups[k], 4)
            order = f"WO{number:06d}"
            ops_p.append({"id": f"{order}-10", "order": order, "product": product, "family": family,
                          "resource": f"P{j + 1:02d}", "quantity": int(rng.integers(5, 30)) * 100,
                          "start": round(t, 4), "end": round(t + run, 4), "setup_hours": setups[k],
                          "materials": [f"RM-{family}-P{j + 1:02d}-D{day}", f"RM-FLOUR-D{day}"]})
            packer = (j + 1) % lines if rng.random() < 0.1 else j
            ops_k.append((t + run + gap, packer, {
                "id": f"{order}-20", "order": order, "product": product, "family": family,
                "resource": f"K{packer + 1:02d}", "quantity": ops_p[-1]["quantity"],
                "after": [f"{order}-10"], "materials": [f"PK-{family}-K{packer + 1:02d}-D{day}"],
                "_run": round(run * 0.85, 4)}))
            t += run
    ops_k.sort(key=lambda x: (x[1], x[0]))
    free = [0.0] * lines
    for ready, packer, op in ops_k:
        start = max(ready, free[packer])
        op["start"], op["end"] = round(start, 4), round(start + op.pop("_run"), 4)
        free[packer] = op["end"]
    end = max(max(o["end"] for o in ops_p), max(free))
    plan = {"format": "riskengine.plan/1", "id": f"week-{n_ops}", "published_at": T0,
            "horizon": {"start": T0, "end": max(horizon, math.ceil(end / 8) * 8.0)}, "bucket_hours": 8,
            "resources": [{"id": f"{s}{j + 1:02d}", "area": a} for s, a in (("P", "processing"),
                                                                          ("K", "packing"))
                          for j in range(lines)],
            "operations": ops_p + [op for _, _, op in ops_k]}
    late = {"late": {"probability": 0.08, "delay_hours": {"dist": "lognormal", "mean": 10, "cv": 0.6}}}
    often = {"late": {"probability": 0.03, "delay_hours": 6}}
    rejected = {"rejected": {"probability": 0.03, "delay_hours": {"dist": "triangular", "low": 12,
                                                                  "mode": 24, "high": 48}}}
    risks = {"RM-cookies": late, "RM-crackers": often, "RM-wafers": often, "PK-cookies": rejected,
             "PK-snaps": rejected}
    used = sorted({m for o in plan["operations"] for m in o["materials"]})
    materials = {m: risks[m[: m.index("-", 3)]] for m in used if m[: m.index("-", 3)] in risks}
    premises = {
        "format": "riskengine.premises/1",
        "defaults": {"scrap_rate": 0.004, "performance": {"dist": "lognormal", "mean": 0.99, "cv": 0.04},
                     "setup_overrun": {"dist": "lognormal", "mean": 1.15, "cv": 0.4},
                     "breakdowns": {"mtbf_hours": 80,
                                    "mttr_hours": {"dist": "lognormal", "mean": 1.2, "cv": 0.8}}},
        "resources": {**{f"P{j + 1:02d}": {"breakdowns": {"mtbf_hours": 40, "mttr_hours": {
            "dist": "gamma", "mean": 2.0, "cv": 0.7}}} for j in range(0, lines, 4)},
                      **{f"K{j + 1:02d}": {"absenteeism": {"probability": 0.03, "effect": "slow",
                                                           "speed": 0.6}} for j in range(1, lines, 3)}},
        "materials": materials,
        "operator": {"deviation": {"probability": 0.08, "window": 3, "rule": "same_family"}},
        "execution": {"early_start": False, "on_blocked": "next_ready", "lateness_tolerance_hours": 1,
                      "quantity_tolerance": 0.98},
    }
    return plan, premises


def write_documents(plan: dict, premises: dict, folder: str | Path) -> tuple[Path, Path]:
    """Write ``plan.json`` and ``premises.json`` into ``folder``; return their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = folder / "plan.json", folder / "premises.json"
    for path, doc in zip(paths, (plan, premises), strict=True):
        path.write_text(json.dumps(doc), encoding="utf-8")
    return paths


STAGES = ("press", "machining", "assembly", "packing")
SHIFTS3 = [{"name": "early", "days": ["mon-sat"], "start": "06:00", "end": "14:00"},
           {"name": "late", "days": ["mon-sat"], "start": "14:00", "end": "22:00"},
           {"name": "night", "days": ["mon-fri"], "start": "22:00", "end": "06:00"}]
SHIFTS2 = SHIFTS3[:2]
BREAKS = [{"start": "10:00", "end": "10:30"}, {"start": "18:00", "end": "18:30"},
          {"start": "02:00", "end": "02:30"}]


def _plant_calendars(resources: list[dict], rng: np.random.Generator, days: int) -> dict:
    """Three shifts and Saturdays by default, a plant holiday, two shifts in packing, and an
    8-hour maintenance window on every fourth work centre."""
    holiday = 24.0 * (days // 2) - 6.0  # a whole calendar day in the middle of the month
    calendars: dict = {"default": {"shifts": SHIFTS3, "breaks": BREAKS,
                                   "non_working": [{"start": holiday, "end": holiday + 24.0,
                                                    "reason": "plant holiday"}]}}
    for k, r in enumerate(resources):
        own: dict = {}
        if r["area"] == "packing":
            own["shifts"] = SHIFTS2
        if k % 4 == 1:
            start = 24.0 * int(rng.integers(1, days - 1)) + 8.0
            own["non_working"] = [{"start": start, "end": start + 8.0, "reason": "maintenance"}]
        if own:
            calendars[r["id"]] = own
    return calendars


def _working(plan: dict) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each resource's working intervals (riskengine's own reading of the calendars)."""
    from riskengine.model.calendar import working_intervals
    from riskengine.model.plan import parse_plan

    first = plan["resources"][0]["id"]
    skeleton = parse_plan({**plan, "operations": [{"id": "x", "product": "x", "resource": first,
                                                   "quantity": 1, "start": 0, "end": 1}]})
    out = {}
    for r in plan["resources"]:
        iv = working_intervals(skeleton, r["id"])
        out[r["id"]] = (np.ascontiguousarray(iv[:, 0]), np.ascontiguousarray(iv[:, 1]))
    return out


def _routes(n_ops: int, per_stage: int, rng: np.random.Generator) -> list[list[tuple[int, int]]]:
    """Each order's (stage, work centre) steps: three or four stages in order, in the order's cell
    (10% of steps go to the neighbouring centre), ``n_ops`` steps in all."""
    routes, total = [], 0
    while total < n_ops:
        cell = int(rng.integers(per_stage))
        stages = [0, 1, 2, 3] if rng.random() < 0.75 else [0, 2, 3]
        steps = [(s, (cell + 1) % per_stage if rng.random() < 0.1 else cell) for s in stages]
        steps = steps[: n_ops - total]
        routes.append(steps)
        total += len(steps)
    return routes


def plant_documents(n_ops: int = 200_000, seed: int = 22, days: int = 30) -> tuple[dict, dict]:
    """A month of a large plant with ``n_ops`` operations (module docstring): plan and premises."""
    from riskengine.model.calendar import finish_time, next_working

    rng = np.random.default_rng(seed)
    per_stage = max(2, round(n_ops / (len(STAGES) * 400)))
    resources = [{"id": f"{s[:2].upper()}{j + 1:03d}", "area": s} for s in STAGES for j in range(per_stage)]
    horizon = 24.0 * days
    plan: dict = {"format": "riskengine.plan/1", "id": f"month-{n_ops}", "published_at": T0,
                  "horizon": {"start": T0, "end": horizon}, "bucket_hours": 8, "resources": resources,
                  "calendars": _plant_calendars(resources, rng, days)}
    working = _working(plan)
    routes = _routes(n_ops, per_stage, rng)
    releases = np.sort(rng.uniform(0.0, 0.75 * horizon, len(routes)))
    run = rng.uniform(0.4, 1.6, n_ops)
    # load each stage's work centres to about 70% of their working hours in the month
    capacity = {rid: float(np.clip(np.minimum(e, horizon) - np.maximum(s, 0.0), 0.0, None).sum())
                for rid, (s, e) in working.items()}
    load = np.bincount([stage for steps in routes for stage, _ in steps], weights=run, minlength=len(STAGES))
    scale = [0.7 * per_stage * capacity[resources[st * per_stage + 1]["id"]] / load[st]
             for st in range(len(STAGES))]
    ops, orders = _plan_orders(routes, releases, run, scale, resources, per_stage, working, rng,
                               finish_time, next_working)
    plan["operations"] = ops
    plan["orders"] = orders
    plan["horizon"]["end"] = max(horizon, math.ceil(max(o["end"] for o in ops) / 8) * 8.0)
    return plan, _plant_premises(resources, ops)


def _plan_orders(routes, releases, run, scale, resources, per_stage, working, rng, finish_time, next_working):
    """Operations planned in working time, order by order (list scheduling), and the orders."""
    cursor = {r["id"]: 0.0 for r in resources}
    family_on = {r["id"]: "" for r in resources}
    ops, orders, k = [], [], 0
    for o, steps in enumerate(routes):
        order = f"SO{o + 1:06d}"
        family = FAMILIES[int(rng.integers(len(FAMILIES)))]
        product = f"{family[:3].upper()}-{int(rng.integers(150)):03d}"
        quantity = int(rng.integers(2, 40)) * 50
        ready, before = float(releases[o]), None
        for n, (stage, cell) in enumerate(steps):
            rid = resources[stage * per_stage + cell]["id"]
            starts, ends = working[rid]
            setup = 0.25 if family_on[rid] != family else 0.0
            work = round(float(run[k]) * scale[stage] + setup, 4)
            start = next_working(starts, ends, max(ready, cursor[rid]))
            end = finish_time(starts, ends, start, work)
            op = {"id": f"{order}-{10 * (n + 1)}", "order": order, "product": product, "family": family,
                  "resource": rid, "quantity": quantity, "start": start, "end": end, "setup_hours": setup}
            if end - start > work + 1e-9:
                op["work_hours"] = work
            if before is not None:
                op["after"] = [before]
            day = int(start // 24)
            if stage == 0:
                op["materials"] = [f"RM-{family}-D{day}", f"COIL-{rid}-W{day // 7}"]
            elif stage == 3:
                op["materials"] = [f"PK-{family}-D{day}"]
            ops.append(op)
            cursor[rid], family_on[rid], before, ready = end, family, op["id"], end + 0.25
            k += 1
        slack = float(rng.choice([4.0, 8.0, 16.0, 24.0, 48.0], p=[0.2, 0.3, 0.25, 0.15, 0.1]))
        orders.append({"id": order, "due": round(ready - 0.25 + slack, 2),
                       "customer": f"customer-{int(rng.integers(60)):02d}"})
    return ops, orders


def _plant_premises(resources: list[dict], ops: list[dict]) -> dict:
    """Premises in the style of the week plan's: breakdowns, slow crews, late lots, operators."""
    late = {"late": {"probability": 0.06, "delay_hours": {"dist": "lognormal", "mean": 8, "cv": 0.6}}}
    often = {"late": {"probability": 0.02, "delay_hours": 6}}
    rejected = {"rejected": {"probability": 0.02, "delay_hours": {"dist": "triangular", "low": 12,
                                                                  "mode": 24, "high": 48}}}
    risks = {"RM-cookies": late, "RM-crackers": often, "COIL-PR": often, "PK-snaps": rejected}
    used = sorted({m for o in ops for m in o.get("materials", ())})
    materials = {m: risks[m[: m.index("-", 3)]] for m in used if m[: m.index("-", 3)] in risks}
    by_area: dict[str, list[str]] = {}
    for r in resources:
        by_area.setdefault(r["area"], []).append(r["id"])
    return {
        "format": "riskengine.premises/1",
        "defaults": {"scrap_rate": 0.003, "performance": {"dist": "lognormal", "mean": 0.99, "cv": 0.04},
                     "setup_overrun": {"dist": "lognormal", "mean": 1.1, "cv": 0.4},
                     "breakdowns": {"mtbf_hours": 120,
                                    "mttr_hours": {"dist": "lognormal", "mean": 1.0, "cv": 0.8}}},
        "resources": {**{rid: {"breakdowns": {"mtbf_hours": 60, "mttr_hours": {"dist": "gamma", "mean": 1.5,
                                                                               "cv": 0.7}}}
                         for rid in by_area["press"][::3]},
                      **{rid: {"absenteeism": {"probability": 0.03, "effect": "slow", "speed": 0.6}}
                         for rid in by_area["assembly"][1::3]}},
        "materials": materials,
        "operator": {"deviation": {"probability": 0.05, "window": 3, "rule": "same_family"}},
        "execution": {"early_start": False, "on_blocked": "next_ready", "lateness_tolerance_hours": 1,
                      "quantity_tolerance": 0.98},
    }
