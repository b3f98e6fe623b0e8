"""JSON Schemas of the input and result formats (``riskengine schema NAME``).

Input schemas come from the validating models, so they cannot drift from
what is accepted. Result schemas are written here from the contract of
DESIGN.md 8; results may carry more fields than the schema names (fields are
added, never renamed).
"""

from __future__ import annotations

from riskengine.adherence.arrays import COUNT_NAMES, RATIO_NAMES
from riskengine.calibration.events import EventsFile
from riskengine.model.actuals import Actuals
from riskengine.model.plan import Plan
from riskengine.model.premises import Premises

_ID = "https://riskengine.dev/schema/"


def _ratio() -> dict:
    return {"type": ["number", "null"], "minimum": 0, "maximum": 1}


def _figures(extra: dict | None = None, required: tuple[str, ...] = ()) -> dict:
    props = {name: {"type": ["number", "null"]} for name in COUNT_NAMES}
    props.update({name: _ratio() for name in RATIO_NAMES})
    props.update(extra or {})
    return {"type": "object", "properties": props,
            "required": [*COUNT_NAMES[:2], "built_to_mix", "orders_built_to_mix",
                         "orders_in_sequence", *RATIO_NAMES, *required]}


def measurement_schema() -> dict:
    time = {"type": "string", "format": "date-time"}
    operation = {
        "type": "object",
        "required": ["id", "hit", "deviation", "cause"],
        "properties": {
            "id": {"type": "string"}, "plan": {"type": "string"}, "hit": {"type": "boolean"},
            "deviation": {"enum": [None, "late", "short", "out_of_sequence", "not_executed"]},
            "cause": {"type": ["string", "null"]}, "lost_units": {"type": "number"},
        },
    }
    cause = {"type": "object", "required": ["cause", "misses", "lost_units"],
             "properties": {"cause": {"type": "string"}, "misses": {"type": "integer"},
                            "lost_units": {"type": "number"}, "share": {"type": "number"}}}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": _ID + "measurement-1.json",
        "title": "riskengine.measurement/1",
        "type": "object",
        "required": ["format", "total", "buckets", "bands", "operations", "causes"],
        "properties": {
            "format": {"const": "riskengine.measurement/1"},
            "total": _figures(),
            "buckets": {"type": "array", "items": _figures(
                {"start": time, "end": time, "plan": {"type": "string"}},
                ("start", "end", "plan"))},
            "bands": {"type": "array", "items": _figures(
                {"band": {"type": "string"}, "score": _ratio(),
                 "measures": {"type": "array", "items": {"enum": ["volume", "mix", "sequence"]}}},
                ("band", "measures", "score"))},
            "resources": {"type": "array", "items": _figures({"id": {"type": "string"}})},
            "operations": {"type": "array", "items": operation},
            "causes": {"type": "array", "items": cause},
            "main_impact": {"enum": ["volume", "mix", "sequence", None]},
        },
    }


def _estimate(continuous: bool = False, extra: tuple[str, ...] = ()) -> dict:
    keys = ["mean", "low", "high", *(("p10", "p50", "p90") if continuous else ()), *extra]
    return {"type": ["object", "null"], "required": keys,
            "properties": {k: {"type": "number"} for k in keys}}


def _variance() -> dict:
    """A variance decomposition (:func:`riskengine.analysis.variance.decompose`), or null."""
    share = {"type": "object", "required": ["mean", "low", "high"],
             "properties": {k: {"type": ["number", "null"], "minimum": 0, "maximum": 1}
                            for k in ("mean", "low", "high")}}
    keys = ("total_variance", "parameter_variance", "shop_floor_variance")
    return {"type": ["object", "null"],
            "required": ["draws", "replications", *keys, "parameter_share"],
            "properties": {"draws": {"type": "integer", "minimum": 2},
                           "replications": {"type": "integer", "minimum": 1},
                           **{k: {"type": "number", "minimum": 0} for k in keys},
                           "parameter_share": share}}


def _uncertainty() -> dict:
    """The ``uncertainty`` section of a score: null without uncertain parameters."""
    return {"type": ["object", "null"],
            "required": ["parameters", "replications_per_draw", "draws", "plan_holds", "bts", "btp",
                         "finish", "holds_through_day"],
            "properties": {"parameters": {"type": "array", "items": {"type": "string"}},
                           "replications_per_draw": {"type": "integer", "minimum": 1},
                           "draws": {"type": "integer", "minimum": 1},
                           **{k: _variance() for k in ("plan_holds", "bts", "btp", "finish")},
                           "holds_through_day": {"type": "array", "items": {
                               "type": "object", "required": ["day", "variance"],
                               "properties": {"day": {"type": "integer"}, "variance": _variance()}}}}}


def _probability() -> dict:
    bound = {"type": "number", "minimum": 0, "maximum": 1}
    return {"type": "object", "required": ["mean", "low", "high"],
            "properties": {"mean": bound, "low": bound, "high": bound}}


def _criticality() -> dict:
    """``criticality`` of a score (riskengine.analysis.criticality)."""
    correlation = {"type": ["number", "null"], "minimum": -1, "maximum": 1}
    operation = {"type": "object", "required": ["id", "resource", "criticality", "cruciality", "ssi"],
                 "properties": {"id": {"type": "string"}, "resource": {"type": "string"},
                                "criticality": _probability(),
                                "cruciality": {"type": "object", "required": ["bts", "miss"],
                                               "properties": {"bts": correlation, "miss": correlation}},
                                "ssi": {"type": ["number", "null"], "minimum": 0},
                                "duration_sd_hours": {"type": ["number", "null"], "minimum": 0}}}
    resource = {"type": "object", "required": ["id", "criticality"],
                "properties": {"id": {"type": "string"}, "criticality": _probability()}}
    return {"type": "object", "required": ["operations", "resources", "finish_sd_hours"],
            "properties": {"operations": {"type": "array", "items": operation},
                           "resources": {"type": "array", "items": resource},
                           "finish_sd_hours": {"type": "number", "minimum": 0},
                           "method": {"type": "string"}}}


def _rigor_advice() -> dict:
    """``rigor_advice`` of a score (riskengine.analysis.rigor)."""
    hours = {"type": "number", "minimum": 0}
    point = {**_probability(), "required": ["hours", "mean", "low", "high"]}
    point["properties"] = {**point["properties"], "hours": hours}
    factor = {"type": "object",
              "required": ["factor", "horizon_hours", "horizon_hours_low", "probability",
                           "demanded_until_hours", "holds_through"],
              "properties": {"factor": {"enum": ["volume", "mix", "sequence"]},
                             "horizon_hours": hours, "horizon_hours_low": hours,
                             "probability": {**point, "type": ["object", "null"]},
                             "demanded_until_hours": {"type": ["number", "null"], "minimum": 0},
                             "holds_through": {"type": "array", "items": point}}}
    return {"type": "object", "required": ["confidence", "bucket_hours", "factors", "advice"],
            "properties": {"confidence": {"type": "number", "exclusiveMinimum": 0,
                                          "exclusiveMaximum": 1},
                           "bucket_hours": {"type": "number", "exclusiveMinimum": 0},
                           "horizon_hours": hours,
                           "factors": {"type": "array", "items": factor, "minItems": 3, "maxItems": 3},
                           "advice": {"type": "array", "items": {"type": "string"}}}}


def score_schema() -> dict:
    finish = _estimate(False, ("sd", "p50", "p80", "p90"))
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": _ID + "score-1.json",
        "title": "riskengine.score/1",
        "type": "object",
        "required": ["format", "replications", "seed", "plan_holds", "holds_through_day", "adherence",
                     "bands", "buckets", "finish", "resources", "operations", "causes", "main_impact",
                     "criticality", "rigor_advice"],
        "properties": {
            "format": {"const": "riskengine.score/1"},
            "replications": {"type": "integer", "minimum": 1},
            "seed": {"type": "integer", "minimum": 0},
            "plan_holds": _estimate(),
            "holds_through_day": {"type": "array", "items": {
                **_estimate(), "required": ["day", "mean", "low", "high"]}},
            "adherence": {"type": "object", "required": ["bts", "btp", "volume", "mix", "sequence"],
                          "properties": {k: _estimate(True) for k in ("bts", "btp", "volume", "mix",
                                                                      "sequence")}},
            "bands": {"type": "array", "items": {"type": "object", "required": ["band", "measures", "score"],
                                                 "properties": {"score": _estimate(True)}}},
            "buckets": {"type": "array"},
            "finish": finish,
            "resources": {"type": "array", "items": {"type": "object", "required": ["id", "finish"]}},
            "operations": {"type": "array", "items": {
                "type": "object", "required": ["id", "hit", "lateness_hours", "main_cause"]}},
            "causes": {"type": "array", "items": {
                "type": "object", "required": ["cause", "share", "lost_units"]}},
            "main_impact": {"enum": ["volume", "mix", "sequence", None]},
            "uncertainty": _uncertainty(),
            "criticality": _criticality(),
            "rigor_advice": _rigor_advice(),
        },
    }


def _input(model, name: str) -> dict:
    schema = model.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": _ID + f"{name}-1.json", **schema, "title": f"riskengine.{name}/1"}


#: Schema builders by the name ``riskengine schema`` takes.
SCHEMAS = {
    "plan": lambda: _input(Plan, "plan"),
    "actuals": lambda: _input(Actuals, "actuals"),
    "premises": lambda: _input(Premises, "premises"),
    "measurement": measurement_schema,
    "score": score_schema,
    "events": lambda: _input(EventsFile, "events"),
    "study": lambda: _input(_study_model(), "study"),
}


def _study_model():
    from riskengine.studies.study import Study  # studies import the io readers: imported on use

    return Study


def schema(name: str) -> dict:
    """The JSON Schema of a format by name (``plan``, ``actuals``, ``measurement``, ...)."""
    try:
        return SCHEMAS[name]()
    except KeyError:
        raise KeyError(f"unknown schema {name!r}; known: {', '.join(SCHEMAS)}") from None
