"""When an order is on time and in full: the one definition for forecasts and measurements.

An order completes when its last operation completes; it is *on time* when that
completion is at or before its due date, *in full* when every one of its
operations produced at least ``quantity_tolerance`` x its planned units (the
quantity rule of a HIT), and OTIF when both hold (docs/design.md section 5). The score
judges every simulated replication with these functions
(:mod:`riskengine.simulation.orders`) and ``measure`` the realized record
(:mod:`riskengine.adherence.order_measure`), so both mean the same thing.
"""

from __future__ import annotations

from riskengine._jit import fused_entry

#: Rounding allowance of the comparisons (as in :func:`riskengine.adherence.arrays.classify`).
EDGE = 1e-9


@fused_entry
def on_time(completion: float, due: float) -> bool:
    """Whether an order completed at ``completion`` (hours; inf: not completed) is on time for
    ``due``."""
    return completion <= due + EDGE


@fused_entry
def in_full(good: float, planned: float, quantity_tolerance: float) -> bool:
    """Whether an operation's ``good`` units count as its ``planned`` quantity in full."""
    return good > 0.0 and good >= planned * quantity_tolerance - EDGE
