"""The trend's scopes: validated or not, resources and areas, product families, owners over time.

Each function takes the weeks of :mod:`riskengine.governance.trend` (the
measurements of each ISO week) and sums counts before dividing (docs/design.md
section 2), so a scope's figure over many weeks is never an average of its
weekly percentages.
"""

from __future__ import annotations

import numpy as np

from riskengine.adherence.arrays import COUNT_NAMES
from riskengine.adherence.figures import figures
from riskengine.governance.owners import SIDE_OF, SIDES, Owners
from riskengine.model.common import CAUSES


def vector(x) -> np.ndarray:
    """The adherence counts of a scope (an object with the count fields) as an array."""
    return np.array([float(getattr(x, name)) for name in COUNT_NAMES])


def zeros() -> np.ndarray:
    return np.zeros(len(COUNT_NAMES))


def sides(ops: list) -> dict:
    """Misses and lost units of ``ops`` by side, with each side's share of the misses."""
    out = {side: {"misses": 0, "lost_units": 0.0, "share": 0.0} for side in SIDES}
    for o in ops:
        if not o.hit:
            row = out[SIDE_OF[o.cause or "unknown"]]
            row["misses"] += 1
            row["lost_units"] += o.lost_units
    total = sum(r["misses"] for r in out.values())
    for r in out.values():
        r["share"] = r["misses"] / total if total else 0.0
    return out


def outcomes(counts: np.ndarray, buckets: int, ops: list, units: bool) -> dict:
    """Figures of ``counts`` (over ``buckets``) with the operations, HITs, misses, HIT rate and
    misses by side."""
    hits = sum(1 for o in ops if o.hit)
    return figures(counts, units) | {"buckets": buckets, "operations": len(ops), "hits": hits,
                                     "misses": len(ops) - hits,
                                     "hit_rate": hits / len(ops) if ops else None, "sides": sides(ops)}


def by_validation(weeks: list, units: bool) -> dict:
    """``by_validation`` (all weeks) and ``weeks_by_validation`` (each week)."""
    total = {}
    for name, want in (("validated", True), ("not_validated", False)):
        counts = sum((w.parts[want] for w in weeks), zeros())
        ops = [o for w in weeks for o, v in zip(w.ops, w.op_validated, strict=True) if v is want]
        total[name] = outcomes(counts, sum(w.part_buckets[want] for w in weeks), ops, units)
    return {"by_validation": total,
            "weeks_by_validation": [{"week": w.week, "validated": w.part(True, units),
                                     "not_validated": w.part(False, units)} for w in weeks]}


def scopes(weeks: list, kind: str, units: bool) -> list[dict]:
    """Each resource (``kind="resources"``) or area (``"areas"``) per week and in total, in order of
    first appearance."""
    rows: dict[str, dict] = {}
    for w in weeks:
        sums: dict[str, np.ndarray] = {}
        for _, m in w.members:
            for scope in getattr(m, kind):
                sums[scope.id] = sums.get(scope.id, zeros()) + vector(scope)
        for sid, counts in sums.items():
            row = rows.setdefault(sid, {"id": sid, "counts": zeros(), "weeks": []})
            row["counts"] += counts
            row["weeks"].append({"week": w.week} | figures(counts, units))
    return [{"id": r["id"], "total": figures(r["counts"], units), "weeks": r["weeks"]} for r in rows.values()]


class _Family:
    """Planned, produced and built-to-mix units, operations and HITs of a family."""

    def __init__(self) -> None:
        self.units = np.zeros(3)
        self.operations = self.hits = 0

    def add(self, other: _Family) -> None:
        self.units += other.units
        self.operations += other.operations
        self.hits += other.hits

    def figures(self) -> dict:
        planned, produced, built = (float(x) for x in self.units)
        return {"planned": planned, "produced": produced, "built_to_mix": built,
                "btp": built / planned if planned else None, "operations": self.operations,
                "hits": self.hits, "hit_rate": self.hits / self.operations if self.operations else None}


def families(weeks: list) -> list[dict]:
    """Each product family (a product without one is its own) per week and in total: BTP of its own
    products' units, the HIT rate of its own operations."""
    total: dict[str, _Family] = {}
    products: dict[str, list[str]] = {}
    history: dict[str, list[dict]] = {}
    for w in weeks:
        week: dict[str, _Family] = {}
        family_of: dict[str, str] = {}
        for _, m in w.members:
            for p in m.products:
                fam = family_of[p.id] = p.family or p.id
                week.setdefault(fam, _Family()).units += (p.planned, p.produced, p.built_to_mix)
                products.setdefault(fam, [])
                if p.id not in products[fam]:
                    products[fam].append(p.id)
        for o in w.ops:
            f = week.setdefault(family_of.get(o.product, o.product), _Family())
            f.operations += 1
            f.hits += o.hit
        for fam, f in week.items():
            total.setdefault(fam, _Family()).add(f)
            products.setdefault(fam, [fam])
            history.setdefault(fam, []).append({"week": w.week} | f.figures())
    return [{"family": fam, "products": products[fam], **f.figures(), "weeks": history[fam]}
            for fam, f in total.items()]


def _table_of(m, owners: Owners, override: bool) -> Owners:
    """The owners of a measurement's causes: those recorded in its Pareto unless overridden."""
    if override:
        return owners
    table = dict(owners)
    for c in m.causes:
        if c.cause in table and c.owner:
            table[c.cause] = (c.owner, c.action or table[c.cause][1])
    return table


def owner_rows(weeks: list, owners: Owners, override: bool) -> list[dict]:
    """The misses by owner over the weeks: per owner its causes (taxonomy order) and their actions,
    its misses and lost units in total and per week (0 in weeks without); most misses first, then
    most lost units, then the owner's name. The rows sum to all misses."""
    rows: dict[str, dict] = {}
    for k, w in enumerate(weeks):
        for _, m in w.members:
            table = _table_of(m, owners, override)
            for o in (o for o in m.measured if not o.hit):
                cause = o.cause or "unknown"
                owner, action = table[cause]
                row = rows.setdefault(owner, {"owner": owner, "causes": {}, "misses": 0, "lost_units": 0.0,
                                              "weeks": [[0, 0.0] for _ in weeks]})
                row["causes"].setdefault(cause, action)
                row["misses"] += 1
                row["lost_units"] += o.lost_units
                row["weeks"][k][0] += 1
                row["weeks"][k][1] += o.lost_units
    total = sum(r["misses"] for r in rows.values())
    out = []
    for r in rows.values():
        causes = sorted(r["causes"], key=CAUSES.index)
        out.append({"owner": r["owner"], "causes": causes,
                    "actions": list(dict.fromkeys(r["causes"][c] for c in causes)),
                    "misses": r["misses"], "lost_units": r["lost_units"],
                    "share": r["misses"] / total if total else 0.0,
                    "weeks": [{"week": w.week, "misses": n, "lost_units": lost}
                              for w, (n, lost) in zip(weeks, r["weeks"], strict=True)]})
    return sorted(out, key=lambda r: (-r["misses"], -r["lost_units"], r["owner"]))
