"""riskengine: Monte Carlo scheduling risk and exact schedule adherence.

Python API (docs/design.md section 1)::

    import riskengine as re
    history = re.read_history(["plan-v1.json", "plan-v2.json"])
    actuals = re.read_actuals("actuals.csv", history)
    result = re.measure(history, actuals)
    print(result)            # terminal summary
    result.to_dict()         # riskengine.measurement/1
"""

from riskengine.adherence.measure import measure
from riskengine.adherence.result import Measurement
from riskengine.errors import InputError, Problem
from riskengine.io.readers import read_actuals, read_history, read_plan
from riskengine.model import (
    Actuals,
    Operation,
    Plan,
    PlanHistory,
    Record,
    Resource,
    parse_actuals,
    parse_plan,
)
from riskengine.model.rules import AdherenceRules, Band

__version__ = "0.1.0"

__all__ = [
    "Actuals",
    "AdherenceRules",
    "Band",
    "InputError",
    "Measurement",
    "Operation",
    "Plan",
    "PlanHistory",
    "Problem",
    "Record",
    "Resource",
    "measure",
    "parse_actuals",
    "parse_plan",
    "read_actuals",
    "read_history",
    "read_plan",
]
