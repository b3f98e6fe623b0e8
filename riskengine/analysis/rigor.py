"""Rigor advice: how far ahead volume, mix and sequence can be demanded.

docs/design.md section 2 scores each horizon band on some of the factors (by default
volume x mix x sequence in the first 24 h, volume x mix to 48 h, volume
beyond). Whether a plan can live up to that is a question the simulation
answers: per replication the engines record, for each factor, the first
bucket in which it breaks (mix or sequence below 1, volume below the
premises' quantity tolerance; a bucket with nothing planned never breaks:
:mod:`riskengine.simulation.insight`), and accumulate the histogram of that
first-break bucket F (integer counts).

The factor *holds through* h = m x bucket_hours when it broke in none of the
first m buckets, so P(holds through h) = P(F >= m) = (replications with
F >= m) / n, the factor's holds-through-time curve. The advice for a
confidence c (default 80%) is the largest horizon h with
P(holds through h) >= c, with the 95% Wilson interval of that probability;
``horizon_hours_low`` is the more cautious horizon at which even the Wilson
lower bound reaches c (the answer allowing for the Monte Carlo error). With
uncertain parameters (M replications per parameter draw) the Wilson
intervals use n / M effective replications, the conservative design effect
(the per-replication first breaks are not kept).
Horizons are hours from the horizon start; bands are defined from the
publication of the plan, so ``demanded_until_hours`` converts the last band
that scores the factor to the same clock (None: every band scores it).

The advice sentences say what *holds* means for the factor (:data:`MEANING`:
every bucket's volume at least the quantity tolerance, mix and sequence at
100%) and give horizons as dates in the plan's offset, hours from the
horizon start second.
"""

from __future__ import annotations

from datetime import datetime

from riskengine.model.plan import Plan
from riskengine.model.premises import Premises
from riskengine.model.rules import Band
from riskengine.report.terminal import clock
from riskengine.simulation.accumulate import Accumulators
from riskengine.simulation.compile import Compiled
from riskengine.simulation.statistics import wilson

FACTORS = ("volume", "mix", "sequence")  # the rows of Accumulators.breaks
DEFAULT_CONFIDENCE = 0.8
#: What "the factor holds in a bucket" means (``{tolerance}``: the premises' quantity tolerance).
MEANING = {"volume": "every bucket produces at least {tolerance} of its planned units",
           "mix": "every bucket's units match the planned product mix",
           "sequence": "each resource completes every bucket's operations in planned order"}


def holds_through(breaks_row, n: int) -> list[int]:
    """Replications with F >= m for m = 0 .. n_buckets (from the first-break histogram)."""
    out, running = [], 0
    for k in reversed(range(len(breaks_row))):
        running += int(breaks_row[k])
        out.append(running)
    out.reverse()
    return out


def demanded_until(bands: list[Band], factor: str, published: float) -> float | None:
    """Hours from the horizon start until which the bands score ``factor``; None: always;
    0 when no band scores it."""
    until = 0.0
    for band in bands:
        if factor in band.measures:
            if band.until_hours is None:
                return None
            until = band.until_hours + published
    return max(until, 0.0)


def rigor_advice(plan: Plan, premises: Premises, c: Compiled, acc: Accumulators,
                 confidence: float = DEFAULT_CONFIDENCE) -> dict:
    """The horizon up to which each factor holds with probability ``confidence`` (module docstring).

    Returns ``{"confidence", "bucket_hours", "horizon_hours", "factors": [...], "advice": [...]}``;
    each factor ``{"factor", "horizon_hours", "horizon_hours_low", "probability" (estimate at
    that horizon), "demanded_until_hours", "holds_through": [{"hours", "mean", "low", "high"}]}``
    and ``advice`` one sentence per factor.
    """
    n = acc.replications
    deff = float(c.replications_per_draw) if c.uncertain else 1.0
    bh = c.bucket_hours
    n_buckets = c.n_buckets
    published = (plan.published_at - plan.horizon.start).total_seconds() / 3600.0
    bands = premises.rules().bands
    horizon = n_buckets * bh
    factors, advice = [], []
    for f, name in enumerate(FACTORS):
        counts = holds_through(acc.breaks[f], n)
        curve = ([{"hours": m * bh, **(wilson(k, n, deff=deff) or {})} for m, k in enumerate(counts)]
                 if n else [])
        best = max((m for m, k in enumerate(counts) if n and k >= confidence * n), default=0)
        cautious = max((m for m, point in enumerate(curve) if point["low"] >= confidence), default=0)
        demanded = demanded_until(bands, name, published)
        at = best if best > 0 else min(1, n_buckets)  # at 0 h: how likely the first bucket holds
        row = {"factor": name, "horizon_hours": best * bh, "horizon_hours_low": cautious * bh,
               "probability": ({"hours": curve[at]["hours"], **{k: curve[at][k] for k in
                                                                ("mean", "low", "high")}}
                               if curve else None),
               "demanded_until_hours": demanded, "holds_through": curve}
        factors.append(row)
        advice.append(sentence(row, confidence, horizon, plan.horizon.start,
                               premises.execution.quantity_tolerance))
    return {"confidence": confidence, "bucket_hours": bh, "horizon_hours": horizon,
            "factors": factors, "advice": advice}


def sentence(row: dict, confidence: float, horizon: float, origin: datetime,
             quantity_tolerance: float = 1.0) -> str:
    """The advice for one factor, e.g. "sequence (each resource completes every bucket's
    operations in planned order) holds with 80% probability through Fri 20 Nov 06:00, the first
    96 h (P 82.6% [79.0-85.7%]); the bands demand it through Tue 17 Nov 06:00 (24 h)"."""
    p = row["probability"]
    h = row["horizon_hours"]
    name = row["factor"]
    if p is None:
        return f"{name}: no replications"
    meaning = MEANING[name].format(tolerance=f"{100 * quantity_tolerance:g}%")
    interval = f"P {100 * p['mean']:.1f}% [{100 * p['low']:.1f}-{100 * p['high']:.1f}%]"
    at = f"{clock(origin, p['hours'])}, {p['hours']:g} h"
    conf = f"{100 * confidence:g}%"
    if h >= horizon:
        text = (f"{name} ({meaning}) holds with {conf} probability through the whole horizon "
                f"(to {at}; {interval})")
    elif h > 0:
        text = (f"{name} ({meaning}) holds with {conf} probability through {clock(origin, h)}, "
                f"the first {h:g} h ({interval}), not beyond")
    else:
        text = (f"{name} ({meaning}) holds with less than {conf} probability even in the first "
                f"bucket ({interval} that it holds to {at})")
    demanded = row["demanded_until_hours"]
    if demanded is None:
        text += "; every band demands it"
    elif demanded > 0:
        text += f"; the bands demand it through {clock(origin, demanded)} ({demanded:g} h)"
    else:
        text += "; no band demands it"
    if (demanded is None and h < horizon) or (demanded is not None and h < demanded):
        text += ", longer than it holds at this confidence"
    return text
