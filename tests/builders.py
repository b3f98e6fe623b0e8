"""Small builders for hand-made plans and actuals in tests (hours from the horizon start)."""

from __future__ import annotations

import riskengine as re

T0 = "2026-11-16T06:00:00+00:00"


def plan_dict(ops: list[dict], *, id: str = "v1", horizon_hours: float = 24, bucket_hours: float = 8,
              published_at: str | float | None = None, resources: list[str] | None = None) -> dict:
    """A plan document; each op dict needs id, product, resource, quantity, start, end (hours)."""
    names = resources or sorted({op["resource"] for op in ops})
    doc = {"format": "riskengine.plan/1", "id": id,
           "horizon": {"start": T0, "end": horizon_hours}, "bucket_hours": bucket_hours,
           "resources": [{"id": r} for r in names], "operations": ops}
    if published_at is not None:
        doc["published_at"] = published_at
    return doc


def op(id: str, product: str, quantity: float, start: float, end: float, resource: str = "L1",
       **extra) -> dict:
    return {"id": id, "product": product, "resource": resource, "quantity": quantity,
            "start": start, "end": end, **extra}


def run(id: str | None, quantity: float, start: float, end: float, **extra) -> dict:
    """An actual record (``id`` None for unplanned production: give product and resource)."""
    rec = {"quantity": quantity, "start": start, "end": end, **extra}
    if id is not None:
        rec["operation"] = id
    return rec


def measure(plans: list[dict], records: list[dict], **rules):
    history = re.PlanHistory([re.parse_plan(p) for p in plans])
    actuals = re.parse_actuals({"format": "riskengine.actuals/1", "records": records}, history)
    return re.measure(history, actuals, re.AdherenceRules(**rules))
