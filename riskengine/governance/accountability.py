"""Accountability in the measurement: validated or not, plan-side or execution-side, flags.

Once operations have signed a plan off, its misses stop measuring the plan and
start measuring execution (docs/design.md section 9). :func:`accountability`
adds to a measurement (``riskengine.measurement/1``, fields added, none
renamed):

- per plan version its ``status``, whether it was ``validated`` and its
  ``validation`` record; per bucket whether the plan in effect was validated;
- ``accountability.validated`` and ``accountability.not_validated``: the
  adherence counts (summed over the buckets whose plan in effect was, or was
  not, validated, then divided: never averaged percentages), the operations
  measured against those plans, their HITs and MISSes, and the misses split
  by side (:data:`riskengine.governance.owners.SIDES`);
- ``accountability.flags``: the supervisor's hit rate. A flag *materialized*
  when its operation, measured against the version whose validation flagged
  it, is a MISS; the hit rate is materialized / flagged operations measured
  (a flag on an operation of a version that was never in effect for its
  bucket cannot materialize and is not counted), next to the miss rate of
  the operations nobody flagged in validated plans;
- each row of the cause Pareto gains ``owner``, ``action`` and ``side``, and
  ``owners`` is the Pareto by owner (:func:`riskengine.governance.owners.by_owner`).
"""

from __future__ import annotations

import numpy as np

from riskengine.adherence.figures import figures
from riskengine.governance.owners import SIDE_OF, SIDE_RULE, SIDES, Owners, annotate_causes, by_owner
from riskengine.model.actuals import PlanHistory
from riskengine.model.validation import is_validated


def plan_rows(history: PlanHistory) -> list[dict]:
    """Each version's id, publication, status, whether validated and its validation record."""
    return [{"id": p.id, "published_at": p.published_at.isoformat(), "status": p.status,
             "validated": is_validated(p),
             "validation": p.validation.model_dump(mode="json") if p.validation else None}
            for p in history.versions]


def flags_of(history: PlanHistory) -> dict[str, dict[str, dict]]:
    """Version id -> flagged operation -> ``{"risk", "note"}`` (an operation flagged twice: both
    risks and notes, joined by '; ')."""
    out: dict[str, dict[str, dict]] = {}
    for p in history.versions:
        mine: dict[str, dict] = {}
        for f in p.validation.flags if p.validation else []:
            seen = mine.get(f.operation)
            if seen is None:
                mine[f.operation] = {"risk": f.risk, "note": f.note}
            else:
                seen["risk"] += f"; {f.risk}"
                seen["note"] = "; ".join(n for n in (seen["note"], f.note) if n) or None
        out[p.id] = mine
    return out


def _sides(operations: list[dict]) -> dict:
    """Misses and lost units per side, with each side's share of the misses."""
    out = {side: {"misses": 0, "lost_units": 0.0, "share": 0.0} for side in SIDES}
    for o in operations:
        if not o["hit"]:
            row = out[SIDE_OF[o["cause"]]]
            row["misses"] += 1
            row["lost_units"] += o["lost_units"]
    total = sum(r["misses"] for r in out.values())
    for r in out.values():
        r["share"] = r["misses"] / total if total else 0.0
    return out


def _split(counts: np.ndarray, members: list[int], operations: list[dict], units: bool) -> dict:
    """One side of the validated / not validated split."""
    c = counts[members].sum(axis=0) if members else np.zeros(counts.shape[1])
    hits = sum(1 for o in operations if o["hit"])
    return figures(c, units) | {"buckets": len(members), "operations": len(operations), "hits": hits,
                                "misses": len(operations) - hits, "sides": _sides(operations)}


def _flag_outcome(history: PlanHistory, operations: list[dict]) -> dict:
    """The supervisor's hit rate (module docstring)."""
    flagged = [o for o in operations if o["flag"] is not None]
    validated = {p.id for p in history.versions if is_validated(p)}
    unflagged = [o for o in operations if o["flag"] is None and o["plan"] in validated]
    materialized = sum(1 for o in flagged if not o["hit"])
    missed = sum(1 for o in unflagged if not o["hit"])
    misses = materialized + missed
    return {"flags": sum(len(p.validation.flags) for p in history.versions if p.validation),
            "measured": len(flagged), "materialized": materialized,
            "hit_rate": materialized / len(flagged) if flagged else None,
            "unflagged_operations": len(unflagged), "unflagged_misses": missed,
            "unflagged_miss_rate": missed / len(unflagged) if unflagged else None,
            "misses_flagged_share": materialized / misses if misses else None}


def accountability(history: PlanHistory, plan_of_bucket: list[int], counts: np.ndarray,
                   operations: list[dict], causes: list[dict], units: bool, owners: Owners) -> dict:
    """The governance fields of a measurement (module docstring).

    Parameters
    ----------
    history
        The plan versions measured.
    plan_of_bucket
        Index (in ``history.versions``) of the version in effect for each bucket.
    counts
        The adherence counts per bucket (buckets x counts, :mod:`riskengine.adherence.arrays`).
    operations, causes
        The measured operations and the cause Pareto; operations gain ``flag``, causes
        ``owner``, ``action`` and ``side`` (in place).
    units
        Whether sequence is counted in units.
    owners
        The ownership table.

    Returns
    -------
    dict
        ``plans`` (rows of :func:`plan_rows`), ``bucket_validated`` (one bool per bucket),
        ``owners`` (the Pareto by owner) and ``accountability``.
    """
    validated = [is_validated(p) for p in history.versions]
    flags = flags_of(history)
    for o in operations:
        o["flag"] = flags[o["plan"]].get(o["id"])
    annotate_causes(causes, owners)
    bucket_validated = [validated[v] for v in plan_of_bucket]
    by_version = {p.id: validated[k] for k, p in enumerate(history.versions)}
    split = {}
    for name, want in (("validated", True), ("not_validated", False)):
        members = [b for b, ok in enumerate(bucket_validated) if ok is want]
        ops = [o for o in operations if by_version[o["plan"]] is want]
        split[name] = _split(counts, members, ops, units)
    return {
        "plans": plan_rows(history),
        "bucket_validated": bucket_validated,
        "owners": by_owner(causes, owners),
        "accountability": {"rule": SIDE_RULE, "sides": {k: list(v) for k, v in SIDES.items()},
                           **split, "misses": _sides(operations),
                           "flags": _flag_outcome(history, operations)},
    }
