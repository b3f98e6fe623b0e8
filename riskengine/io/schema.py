"""JSON Schemas of the input and result formats (``riskengine schema NAME``).

Every schema comes from a pydantic model, so it cannot drift from what is
accepted or written: input schemas from the validating models (plan,
actuals, premises, events, study), result schemas from the typed result
models (:mod:`riskengine.io.documents`). Field descriptions are the
docstrings under the fields. Results may gain fields (added, never renamed).
"""

from __future__ import annotations

import importlib

from riskengine.io.documents import schema_of

#: Schema name -> (model "module:attribute", what it describes). Inputs first, then results.
MODELS: dict[str, tuple[str, str]] = {
    "plan": ("riskengine.model.plan:Plan", "input: a plan version"),
    "actuals": ("riskengine.model.actuals:Actuals", "input: realized production"),
    "premises": ("riskengine.model.premises:Premises", "input: the variability model"),
    "events": ("riskengine.calibration.events:EventsFile", "input: shop-floor events (calibrate, forecast)"),
    "study": ("riskengine.studies.study:Study", "input: a scenario study for sweep"),
    "owners": ("riskengine.governance.owners:OwnersFile", "input: cause owners and actions (--owners)"),
    "orders": ("riskengine.model.orders:OrdersTable", "input: a plan's orders table (a plan may name it)"),
    "score": ("riskengine.analysis.result:ScoreResult", "result of score"),
    "compare": ("riskengine.analysis.compare:CompareResult", "result of compare"),
    "simulation": ("riskengine.analysis.simulate:SimulationResult", "result of simulate"),
    "measurement": ("riskengine.adherence.result:Measurement", "result of measure"),
    "forecast": ("riskengine.live.result:ForecastResult", "result of forecast"),
    "check": ("riskengine.feasibility.documents:CheckDocument", "result of check"),
    "calibration": ("riskengine.calibration.documents:CalibrationDocument", "report of calibrate --report"),
    "backtest": ("riskengine.calibration.documents:BacktestDocument", "result of backtest"),
    "study-table": ("riskengine.studies.table:StudyRow", "a row of the table sweep writes"),
    "review": ("riskengine.governance.review_documents:ReviewResult", "result of review"),
    "trend": ("riskengine.governance.trend_documents:TrendResult", "result of trend"),
}
INPUTS = ("plan", "actuals", "premises", "events", "study", "owners", "orders")

#: The names ``riskengine schema`` takes (kept for callers that iterate over them).
SCHEMAS = tuple(MODELS)


def model(name: str):
    """The pydantic model of a schema name."""
    module, attribute = MODELS[name][0].split(":")
    return getattr(importlib.import_module(module), attribute)


def _input(name: str) -> dict:
    schema = model(name).model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"https://riskengine.dev/schema/{name}-1.json", **schema, "title": f"riskengine.{name}/1"}


def schema(name: str) -> dict:
    """The JSON Schema of a format by name (``plan``, ``actuals``, ``score``, ...)."""
    if name not in MODELS:
        raise KeyError(f"unknown schema {name!r}; known: {', '.join(MODELS)}")
    return _input(name) if name in INPUTS else schema_of(model(name), name)
