"""Plain, validated data: plans, plan history, actuals (and, later, premises).

This layer never imports numba, matplotlib, simpy, dask or the web stack.
"""

from riskengine.model.actuals import Actuals, PlanHistory, Record, parse_actuals
from riskengine.model.common import CAUSES
from riskengine.model.plan import Horizon, Operation, Plan, Resource, parse_plan

__all__ = [
    "CAUSES",
    "Actuals",
    "Horizon",
    "Operation",
    "Plan",
    "PlanHistory",
    "Record",
    "Resource",
    "parse_actuals",
    "parse_plan",
]
