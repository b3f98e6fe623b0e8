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
