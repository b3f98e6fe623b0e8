"""Adherence over many weeks for management (``riskengine trend``; docs/design.md section 9).

``trend(measurements)`` reads measurements (``riskengine.measurement/1``),
one period each, and groups them by the ISO week of their timeline start
(measurements of one week, e.g. one per area, are summed). Every figure of a
week, a resource, an area, a family or an owner sums the counts of its
measurements and divides at the end (docs/design.md section 2: never an
average of percentages). Per week: BTS, BTP, volume, mix and sequence; the
operations measured, their HITs and the misses by side; the flags that
materialized. Side by side, the buckets (and their operations) measured
against validated plans and against plans never validated. Per resource and
area (their own counts), per product family (products are never mixed across
families: BTP = built to mix / planned of the family's products, the HIT rate
of its operations), and the misses by owner over time.

The p-chart (Shewhart; Montgomery, *Introduction to Statistical Quality
Control*, section 7.2, variable sample size) charts each week's HIT rate
p_i = hits_i / n_i, n_i the operations measured, around
p-bar = sum(hits) / sum(n) with limits p-bar +- 3 sqrt(p-bar (1 - p-bar) / n_i),
clipped to [0, 1]; a week outside its limits is out of control. Only
operations are counted items: units are not independent trials (a lot of
2,000 units is late as one), so BTS and BTP have no control limits.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime

from riskengine.errors import InputError, Problem
from riskengine.governance.owners import Owners, owner_table
from riskengine.governance.trend_documents import TrendResult
from riskengine.governance.trend_input import Measured, MeasurementIn, parse_measurement
from riskengine.governance.trend_scopes import (
    by_validation,
    families,
    outcomes,
    owner_rows,
    scopes,
    vector,
    zeros,
)

P_CHART_METHOD = ("p-chart of the weekly HIT rate: center p-bar = all hits / all operations measured, "
                  "limits p-bar +- 3 sqrt(p-bar (1 - p-bar) / n), n the week's operations, clipped to "
                  "[0, 1]; units are not independent trials (a lot is late as one), so BTS and BTP "
                  "get no control limits")


def iso_week(t: datetime) -> str:
    """``2026-W47``: the ISO 8601 week of ``t`` (in its own offset)."""
    year, week, _ = t.isocalendar()
    return f"{year}-W{week:02d}"


def p_chart(hits: list[int], operations: list[int]) -> tuple[float | None, list[dict | None]]:
    """The center line and each period's control point (None for a period without operations).

    p-bar = sum(hits) / sum(n); limits p-bar +- 3 sqrt(p-bar (1 - p-bar) / n_i), clipped to [0, 1];
    out of control ``"above"`` / ``"below"`` when p_i lies strictly outside.
    """
    total = sum(operations)
    if total == 0:
        return None, [None] * len(hits)
    center = sum(hits) / total
    points: list[dict | None] = []
    for x, n in zip(hits, operations, strict=True):
        if n == 0:
            points.append(None)
            continue
        sigma = math.sqrt(center * (1.0 - center) / n)
        lower, upper = max(0.0, center - 3 * sigma), min(1.0, center + 3 * sigma)
        p = x / n
        out = "above" if p > upper else "below" if p < lower else None
        points.append({"center": center, "lower": lower, "upper": upper, "out_of_control": out})
    return center, points


class _Week:
    """The measurements of one ISO week, summed."""

    def __init__(self, week: str, members: list[tuple[str, MeasurementIn]]):
        self.week, self.members = week, members
        self.counts = sum((vector(m.total) for _, m in members), zeros())
        self.parts = {True: zeros(), False: zeros()}
        self.part_buckets = {True: 0, False: 0}
        self.ops: list[Measured] = []
        self.op_validated: list[bool] = []
        for _, m in members:
            for b in m.buckets:
                self.parts[b.validated] += vector(b)
                self.part_buckets[b.validated] += 1
            validated = {p.id: p.validated for p in m.plans}
            self.ops += m.measured
            self.op_validated += [validated[o.plan] for o in m.measured]

    def part(self, want: bool, units: bool) -> dict:
        ops = [o for o, v in zip(self.ops, self.op_validated, strict=True) if v is want]
        return outcomes(self.parts[want], self.part_buckets[want], ops, units)

    def row(self, units: bool) -> dict:
        starts = [m.timeline.start for _, m in self.members]
        flagged = [o for o in self.ops if o.flagged]
        return {"week": self.week, "start": min(starts).isoformat(),
                "end": max(m.timeline.end for _, m in self.members).isoformat(),
                "measurements": len(self.members),
                "plans": [p.id for _, m in self.members for p in m.plans],
                "validated_buckets": self.part_buckets[True],
                **outcomes(self.counts, sum(len(m.buckets) for _, m in self.members), self.ops, units),
                "flags_measured": len(flagged), "flags_materialized": sum(1 for o in flagged if not o.hit)}


def _weeks(measurements: list[tuple[str, MeasurementIn]]) -> tuple[list[_Week], list[str]]:
    """The measurements by ISO week (oldest first); problems with repeated operations are errors."""
    seen: dict[tuple[str, str], str] = {}
    problems, warnings = [], []
    groups: dict[str, list] = defaultdict(list)
    for k, (source, m) in enumerate(measurements):
        again = next((o for o in m.measured if (o.plan, o.id) in seen), None)
        if again is not None:
            problems.append(Problem(f"measurements[{k}]", f"operation {again.id} of plan {again.plan} is "
                                    f"also measured in {seen[again.plan, again.id]}: each operation counts "
                                    "once"))
        seen.update({(o.plan, o.id): source for o in m.measured})
        days = (m.timeline.end - m.timeline.start).total_seconds() / 86400
        if days > 7 + 1e-6:
            warnings.append(f"{source} spans {days:.3g} days; it counts as one period in week "
                            f"{iso_week(m.timeline.start)}")
        groups[iso_week(m.timeline.start)].append((source, m))
    if problems:
        raise InputError(problems)
    ordered = sorted(groups.items(), key=lambda kv: min(m.timeline.start for _, m in kv[1]))
    return [_Week(week, members) for week, members in ordered], warnings


def trend(measurements: list, owners: Owners | None = None) -> TrendResult:
    """Adherence trends over the weeks of ``measurements`` (module docstring).

    Parameters
    ----------
    measurements
        Measurement documents (dicts, :class:`~riskengine.adherence.result.Measurement` objects or
        ``(source, MeasurementIn)`` pairs as :func:`~riskengine.governance.trend_input.read_measurements`
        gives them).
    owners
        An ownership table overriding the owners recorded in the measurements (None: each
        measurement's own, the default table where it has none).

    Returns
    -------
    TrendResult
        ``riskengine.trend/1``.

    Examples
    --------
    Two of the governance-weeks scenario's weeks, one never validated, one validated:

    >>> import riskengine as rk
    >>> weeks = []
    >>> for w in ("04", "05"):
    ...     history = rk.read_history([f"scenarios/governance-weeks/plans/week-{w}.json"])
    ...     actuals = rk.read_actuals(f"scenarios/governance-weeks/actuals/week-{w}.csv", history)
    ...     rules = rk.AdherenceRules(lateness_tolerance_hours=1, quantity_tolerance=0.98)
    ...     weeks.append(rk.measure(history, actuals, rules))
    >>> t = rk.trend(weeks)
    >>> [(w["week"], w["validated_buckets"], w["hits"], w["operations"]) for w in t.weeks]
    [('2026-W50', 0, 94, 114), ('2026-W51', 21, 91, 114)]
    >>> t.total["hits"] == sum(w["hits"] for w in t.weeks)
    True
    """
    pairs = [m if isinstance(m, tuple) else
             (f"measurements[{k}]", parse_measurement(m if isinstance(m, dict) else m.to_dict(),
                                                      f"measurements[{k}]"))
             for k, m in enumerate(measurements)]
    if not pairs:
        raise InputError(Problem("measurements", "give at least one measurement"))
    bases = {m.rules.sequence_basis for _, m in pairs}
    if len(bases) > 1:
        raise InputError(Problem("rules.sequence_basis", "the measurements count sequence differently "
                                 f"({' and '.join(sorted(bases))}); measure them with one basis"))
    units = bases == {"units"}
    weeks, warnings = _weeks(pairs)
    rows = [w.row(units) for w in weeks]
    center, points = p_chart([r["hits"] for r in rows], [r["operations"] for r in rows])
    for r, point in zip(rows, points, strict=True):
        r["p_chart"] = point
    all_ops = [o for w in weeks for o in w.ops]
    total = outcomes(sum((w.counts for w in weeks), zeros()), sum(r["buckets"] for r in rows), all_ops, units)
    flagged = [o for o in all_ops if o.flagged]
    materialized = sum(1 for o in flagged if not o.hit)
    unflagged = [o for w in weeks for o, v in zip(w.ops, w.op_validated, strict=True) if v and not o.flagged]
    unflagged_misses = sum(1 for o in unflagged if not o.hit)
    return TrendResult.build(
        weeks=rows, total=total,
        p_chart={"metric": "hit_rate", "center": center, "method": P_CHART_METHOD,
                 "weeks_out_of_control": [r["week"] for r in rows
                                          if (r["p_chart"] or {}).get("out_of_control")]},
        **by_validation(weeks, units),
        resources=scopes(weeks, "resources", units), areas=scopes(weeks, "areas", units),
        families=families(weeks), owners=owner_rows(weeks, owners or owner_table(), owners is not None),
        flags={"measured": len(flagged), "materialized": materialized,
               "hit_rate": materialized / len(flagged) if flagged else None,
               "unflagged_operations": len(unflagged), "unflagged_misses": unflagged_misses,
               "unflagged_miss_rate": unflagged_misses / len(unflagged) if unflagged else None},
        measurements=[{"source": s, "week": iso_week(m.timeline.start),
                       "start": m.timeline.start.isoformat(), "end": m.timeline.end.isoformat(),
                       "plans": [p.id for p in m.plans]} for s, m in pairs],
        warnings=warnings,
    )
