"""Orders and finish dates in the score (``orders[]``, ``operations[].finish``; docs/design.md section 5).

From the integer accumulators of :mod:`riskengine.simulation.orders` (the same
in both engines and for any thread count):

- ``on_time``: P(completion <= due), and ``otif``: P(on time and in full), as
  the measurement judges a realized order (:mod:`riskengine.adherence.orders`);
  95% Wilson intervals over the replications (as the operations' P(HIT):
  the per-draw counts are not kept, so no design effect with uncertain
  parameters);
- ``completion``: the P50, P80 and P90 of the completion as dates in the
  plan's offset, and ``operations[].finish`` the same of each operation's
  end, from log-linear histograms (:mod:`riskengine.simulation.histogram`:
  within max(3.75 min, 1/16 of the distance from the due date or planned end)
  of the exact quantiles over the replications); null where the quantile falls
  among replications in which the order (operation) did not complete;
- ``tardiness_hours``: mean of max(0, completion - due) (an order not completed
  counted as late until the replication's last instant: a lower bound) and its
  P90 (null where the P90 order did not complete);
- ``main_cause``: the cause that made it late most often (ties to the earlier
  cause of the taxonomy), ``causes`` P(late with each cause): the cause of
  the operation that completed it last, traced to where its delay began.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NotRequired

import numpy as np
from pydantic import with_config
from typing_extensions import TypedDict

from riskengine.io.documents import PART, Estimate, NonNegative
from riskengine.model.common import CAUSES
from riskengine.model.orders import order_members
from riskengine.model.plan import Plan

if TYPE_CHECKING:  # the simulation (numba) is imported where the figures are computed
    from riskengine.simulation.orders import OrderTally

#: "Likely on time": P(on time) at least this (headline, compare, ``--rank-by on_time``).
LIKELY = 0.8
QUANTILES = np.array([0.5, 0.8, 0.9])


@with_config(PART)
class FinishDates(TypedDict):
    """Percentiles of a time over replications, as dates in the plan's offset (null: it had not
    happened by then in that share of replications)."""

    p50: str | None
    """Median, ISO 8601."""
    p80: str | None
    """80th percentile, ISO 8601."""
    p90: str | None
    """90th percentile, ISO 8601."""


@with_config(PART)
class Tardiness(TypedDict):
    """Hours an order completes after its due date, max(0, completion - due)."""

    mean: NonNegative
    """Mean over replications (an order not completed counts as late until the replication's last
    instant: a lower bound)."""
    p90: NonNegative
    """90th percentile over replications (null: the order had not completed in that share)."""


@with_config(PART)
class OrderForecast(TypedDict):
    """One customer order of the plan: how likely it is on time, and when it completes."""

    id: str
    """Order id."""
    due: str
    """Due date, ISO 8601 in the plan's offset."""
    customer: NotRequired[str]
    """Who ordered it (when the plan says)."""
    priority: NotRequired[int]
    """Its priority (when the plan says)."""
    operations: int
    """How many operations it has (it completes with the last of them)."""
    planned_completion: str
    """The planned end of its last operation, ISO 8601."""
    on_time: Estimate
    """P(completion <= due), with its 95% Wilson interval."""
    otif: Estimate
    """P(on time and in full: every operation produced at least the quantity tolerance x planned)."""
    completion: FinishDates
    """When it completes (its last operation ends)."""
    tardiness_hours: Tardiness
    """How late it is, in hours (0 when on time)."""
    main_cause: str | None
    """The cause that made it late most often (null: never late)."""
    causes: dict[str, float]
    """P(late with this cause), by cause."""


def _dates(anchor: datetime, hours: np.ndarray) -> dict:
    """Percentiles (hours from ``anchor``) as dates to the second (the histograms' error is
    minutes); inf or nan: null."""
    return {f"p{round(100 * q)}": (anchor + timedelta(seconds=round(float(h) * 3600))).isoformat()
            if math.isfinite(h) else None for q, h in zip(QUANTILES, hours, strict=True)}


def operation_finishes(plan: Plan, c, tally: OrderTally, n: int) -> list[dict]:
    """Each operation's finish percentiles as dates (``operations[].finish``), plan order."""
    from riskengine.simulation.histogram import quantiles

    q = quantiles(tally.op_finish, n, QUANTILES)
    ends = c.op_end
    return [_dates(plan.horizon.start, ends[i] + q[i]) for i in range(c.n_ops)]


def order_forecasts(plan: Plan, c, tally: OrderTally, n: int) -> list[dict[str, Any]]:
    """The ``orders[]`` of a score (module docstring), in the plan's order."""
    from riskengine.simulation import insight
    from riskengine.simulation.histogram import quantiles
    from riskengine.simulation.statistics import wilson

    if not plan.orders:
        return []
    q = quantiles(tally.completion, n, QUANTILES)
    tardy = quantiles(tally.completion, n, QUANTILES[2:], 0.0)
    members = order_members(plan)
    out = []
    for o, order in enumerate(plan.orders):
        late = tally.late_causes[o]
        last = max(plan.operations[i].end for i in members[o])
        row: dict[str, Any] = {"id": order.id, "due": order.due.isoformat()}
        row |= {k: getattr(order, k) for k in ("customer", "priority") if getattr(order, k) is not None}
        row |= {
            "operations": len(members[o]), "planned_completion": last.isoformat(),
            "on_time": wilson(int(tally.on_time[o]), n), "otif": wilson(int(tally.otif[o]), n),
            "completion": _dates(order.due, q[o]),
            "tardiness_hours": {"mean": int(tally.tardiness[o]) / insight.SCALE / n,
                                "p90": float(tardy[o, 0]) if math.isfinite(tardy[o, 0]) else None},
            "main_cause": CAUSES[int(np.argmax(late))] if late.any() else None,
            "causes": {CAUSES[k]: int(v) / n for k, v in enumerate(late) if v},
        }
        out.append(row)
    return out


def likely_on_time(orders: Sequence[Mapping[str, Any]]) -> int:
    """How many orders are on time with probability at least :data:`LIKELY`."""
    return sum(1 for o in orders if o["on_time"]["mean"] >= LIKELY)


def orders_at_risk(orders: Sequence[Mapping[str, Any]], n: int | None = None) -> list[Mapping[str, Any]]:
    """Orders, least likely to be on time first (ties by id); the first ``n`` (all: None)."""
    ranked = sorted(orders, key=lambda o: (o["on_time"]["mean"], o["id"]))
    return ranked if n is None else ranked[:n]
