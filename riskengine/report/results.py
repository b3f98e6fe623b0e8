"""What the report layer reads from a result: one dict view of objects and dicts alike.

Every figure and report function accepts a result object (:class:`ScoreResult`,
:class:`Measurement`, :class:`CompareResult`, :class:`SensitivityResult`) or its
``to_dict()`` document, so a figure can be drawn from a JSON file written days
earlier. This module turns either into the dict, tells which kind it is, and
holds the few derived views that more than one figure or table needs (the
measurement consolidated per day, the sensitivity rows, plain-word names).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import numpy as np

from riskengine.adherence.arrays import COUNT_NAMES
from riskengine.adherence.figures import figures
from riskengine.adherence.figures import pct as terminal_pct

SCORE, MEASUREMENT, COMPARE, SENSITIVITY = "score", "measurement", "compare", "sensitivity"
REVIEW, TREND, FORECAST = "review", "trend", "forecast"
FACTORS = ("volume", "mix", "sequence")

#: Plain words for the sensitivity sources (premises field names) and the causes.
SOURCE_WORDS = {
    "breakdowns": "breakdowns",
    "absenteeism": "absenteeism",
    "performance": "speed losses",
    "scrap_rate": "scrap",
    "setup_overrun": "setup overruns",
    "operator deviation": "operators' deviations from the sequence",
}


def as_dict(result: Any) -> dict:
    """The result's document: ``result.to_dict()`` for an object, the dict itself otherwise."""
    if isinstance(result, dict):
        return result
    if hasattr(result, "to_dict"):
        return result.to_dict()
    raise TypeError(f"expected a riskengine result or its to_dict() dict, got {type(result).__name__}")


def kind(result: Any) -> str:
    """``"score"``, ``"measurement"``, ``"compare"``, ``"sensitivity"``, ``"review"``, ``"trend"`` or
    ``"forecast"``."""
    d = as_dict(result)
    fmt = d.get("format", "")
    for name in (SCORE, MEASUREMENT, COMPARE, REVIEW, TREND, FORECAST):
        if fmt == f"riskengine.{name}/1":
            return name
    if "rows" in d and "base" in d:
        return SENSITIVITY
    raise TypeError(f"not a riskengine result (format {fmt!r})")


def expect(result: Any, *kinds: str) -> dict:
    """The result's dict, checked to be one of ``kinds`` (a clear error otherwise)."""
    d = as_dict(result)
    k = kind(d)
    if k not in kinds:
        raise TypeError(f"this figure takes a {' or '.join(kinds)} result, got a {k} result")
    return d


def sensitivity_rows(result: Any) -> list[dict]:
    """The tornado rows of a score (``sensitivity``) or of a sensitivity result; [] when absent."""
    d = as_dict(result)
    if kind(d) == SCORE:
        d = d.get("sensitivity") or {}
    return list(d.get("rows", []))


def source_words(row: dict) -> str:
    """A sensitivity row's source in plain words: 'breakdowns', 'all disruptions of P1', ..."""
    name = row["name"]
    if row["kind"] == "resource":
        return f"all disruptions of {name}"
    if name.startswith("material "):
        parts = name.split(" ")
        lot = {"late": "late", "rejected": "rejected"}.get(parts[-1], parts[-1])
        return f"{lot} lots of {' '.join(parts[1:-1])}"
    if name.startswith("reliability "):
        return f"{name.split(' ', 1)[1]} reliability failures"
    return SOURCE_WORDS.get(name, name.replace("_", " "))


def top_risk(result: Any) -> dict | None:
    """The source whose removal gains most BTS (plan holds breaks ties), or None without rows."""
    rows = [r for r in sensitivity_rows(result)
            if r["change"] == "removed" and r["bts"]["mean"] is not None]
    if not rows:
        return None
    return max(rows, key=lambda r: (r["bts"]["mean"], r["plan_holds"]["mean"] or 0.0, r["name"]))


def day_of(start: str, origin: datetime) -> int:
    """Index of the 24-hour day (from the timeline start) in which a bucket starts."""
    hours = (datetime.fromisoformat(start) - origin).total_seconds() / 3600.0
    return int(math.floor(hours / 24.0 + 1e-9))


def daily(measurement: Any) -> list[dict]:
    """A measurement's buckets consolidated per 24-hour day from the timeline start.

    A bucket belongs to the day in which it starts. The day's counts are the
    sums of its buckets' counts, and its ratios come from those sums with the
    same functions as every other figure (never an average of percentages);
    a ratio is None on a day with nothing planned. Rows: ``day`` (0-based),
    ``start`` (ISO of the day's first bucket), ``buckets``, counts and ratios.
    """
    d = expect(measurement, MEASUREMENT)
    units = d["rules"].get("sequence_basis") == "units"
    origin = datetime.fromisoformat(d["timeline"]["start"])
    days: dict[int, list[dict]] = {}
    for b in d["buckets"]:
        days.setdefault(day_of(b["start"], origin), []).append(b)
    rows = []
    for day in sorted(days):
        members = days[day]
        counts = np.array([[float(b[name] or 0.0) for name in COUNT_NAMES] for b in members]).sum(axis=0)
        rows.append({"day": day, "start": members[0]["start"], "buckets": len(members)}
                    | figures(counts, units))
    return rows


def day_label(iso: str) -> str:
    """'Mon 16' for a timestamp: what a planner calls a day."""
    t = datetime.fromisoformat(iso)
    return f"{t:%a} {t.day}"


def pct(x: float | None, digits: int | None = None) -> str:
    """A ratio in percent for reports: whole points between 1% and 99% (and for exactly 0 and
    1), one decimal outside, so 0.2% and 99.9% do not read as 0% and 100%.

    '-' for None (nothing planned / not estimated).
    """
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    if digits is None:
        digits = 0 if 0.01 <= x <= 0.99 or x in (0.0, 1.0) else 1
    return terminal_pct(x, digits)  # and never 0% or 100% for a share strictly between


def interval(e: dict | None, digits: int | None = None) -> str:
    """An estimate as 'mean [low-high]' in percent, e.g. '38% [36-40%]'."""
    if not e or e.get("mean") is None:
        return "-"
    if digits is None:
        digits = 0 if all(0.01 <= e[k] <= 0.99 for k in ("mean", "low", "high")) else 1
    low, high = (f"{100 * e[k]:.{digits}f}" for k in ("low", "high"))
    return f"{pct(e['mean'], digits)} [{low}-{high}%]"
