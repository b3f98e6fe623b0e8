"""pandas out: every result as a dict of tidy DataFrames (extra ``pandas``).

:func:`to_frames` reads a result's JSON document (``result.to_dict()``: the
stable contract of ``riskengine schema NAME``), so it works on a result
object, on its dict and on a JSON file read back. Each frame has one row per
observation and exactly the columns listed in :data:`COLUMNS` (documented
there, in order); an estimate ``{"mean", "low", "high", ...}`` becomes the
columns ``mean``, ``low``, ``high`` (95% interval) and its quantiles, or, where a
row holds one estimate of a named quantity, ``hit_mean``, ``hit_low``, ...
Times are ``Timestamp`` values in the plan's UTC offset. Probabilities and
adherence ratios are fractions (0.93, not 93).

Frames by result format:

- ``riskengine.score/1``: ``headline``, ``days``, ``bands``, ``buckets``,
  ``operations``, ``operation_causes``, ``causes``, ``resources``,
  ``criticality``, ``critical_resources``, ``rigor``, when present ``sensitivity``,
  and ``orders``, ``order_causes`` (empty without orders);
- ``riskengine.compare/1``: ``plans``, ``differences``, ``ranking``, ``orders``,
  ``order_differences``;
- ``riskengine.measurement/1``: ``total``, ``buckets``, ``bands``, ``resources``,
  ``areas``, ``products``, ``operations``, ``causes``, ``plans``, ``orders``;
- ``riskengine.check/1``: ``findings``, ``finding_operations``, ``summary``, ``moves``;
- sensitivity (``score --sensitivity``'s section, or ``sensitivity()``): ``sensitivity``;
- ``riskengine.calibration/1``: ``estimates``, ``fits``, ``fallbacks``;
- ``riskengine.backtest/1``: ``plans``, ``reliability``, ``coverage``, ``bands``, ``operations``;
- a sweep (:class:`~riskengine.studies.runner.SweepResult`): ``cells`` (the table's
  columns, documented in :mod:`riskengine.studies.table`); :func:`sweep_frame` reads a
  written table.
"""

from __future__ import annotations

from riskengine.extras import require

EST = {"mean": "estimate (mean over replications)", "low": "95% interval, lower end",
       "high": "95% interval, upper end"}
QUANTILES = {"p10": "10th percentile over replications", "p50": "median over replications",
             "p80": "80th percentile over replications", "p90": "90th percentile over replications",
             "sd": "standard deviation over replications"}
COUNTS = {"planned": "units planned", "produced": "units produced",
          "volume_units": "min(produced, planned) summed over buckets",
          "built_to_mix": "units built to mix: sum over products of min(planned, produced)",
          "orders_built_to_mix": "orders completed in their bucket",
          "orders_in_sequence": "of those, orders in planned sequence (longest increasing subsequence)",
          "units_built_to_mix_in_orders": "units of the orders built to mix",
          "units_in_sequence": "units of the orders in sequence",
          "volume": "volume = min(A, S) / S", "mix": "mix = built to mix / A",
          "sequence": "sequence share", "btp": "BTP = built to mix / S",
          "bts": "BTS = volume x mix x sequence"}
DIFF = {"mean": "paired difference a - b (mean)", "low": "95% interval, lower end",
        "high": "95% interval, upper end", "p_a_better": "share of replications where a is better",
        "p_tie": "share of replications with a tie",
        "half_width_paired": "95% half-width with common random numbers",
        "half_width_independent": "95% half-width had the streams been independent"}


def _prefixed(prefix: str, fields: dict) -> dict:
    return {f"{prefix}_{k}": f"{prefix}: {v}" for k, v in fields.items()}


#: result format -> frame -> column -> meaning (every frame has exactly these columns, in order)
COLUMNS: dict[str, dict[str, dict[str, str]]] = {
    "riskengine.score/1": {
        "headline": {"metric": "plan_holds, bts, btp, volume, mix, sequence or finish (hours from the "
                               "horizon start)", **EST, **QUANTILES},
        "days": {"day": "day of the horizon (1 = first 24 h)",
                 **{k: f"probability the plan holds through that day: {v}" for k, v in EST.items()}},
        "bands": {"band": "horizon band label", "until_hours": "band end, hours from the horizon start",
                  "measures": "the factors the band demands, e.g. 'volume x mix x sequence'",
                  "metric": "score, volume, mix or sequence", **EST,
                  **{k: QUANTILES[k] for k in ("p10", "p50", "p90")}},
        "buckets": {"index": "bucket number from the horizon start", "start": "bucket start",
                    "end": "bucket end", "band": "horizon band of the bucket", "metric": "bts or btp",
                    **EST, **{k: QUANTILES[k] for k in ("p10", "p50", "p90")}},
        "operations": {"id": "operation id", "resource": "resource id",
                       **_prefixed("hit", {k: f"probability of a HIT, {v}" for k, v in EST.items()}),
                       "lateness_hours": "mean lateness of the executed operation, hours",
                       "not_executed": "share of replications in which it was not executed",
                       "main_cause": "most frequent cause of its misses (None: no miss)",
                       **{f"finish_{q}": f"{QUANTILES[q]} of its actual end (None: not finished by then)"
                          for q in ("p50", "p80", "p90")}},
        "operation_causes": {"operation": "operation id", "cause": "miss cause",
                             "probability": "share of replications in which it missed by that cause"},
        "causes": {"cause": "miss cause", "share": "share of all misses",
                   "misses_per_replication": "misses by that cause per replication",
                   "lost_units": "units lost by that cause per replication"},
        "resources": {"id": "resource id", **_prefixed("finish", {k: f"{v}, hours from the horizon start"
                                                                  for k, v in {**EST, **QUANTILES}.items()
                                                                  if k != "p10"})},
        "criticality": {"id": "operation id", "resource": "resource id",
                        **_prefixed("criticality", {k: f"share of replications whose first miss began "
                                                       f"here, {v}" for k, v in EST.items()}),
                        "cruciality_bts": "correlation of its delay with the loss 1 - BTS",
                        "cruciality_miss": "correlation of its delay with the plan-miss indicator",
                        "ssi": "schedule sensitivity index", "duration_sd_hours": "sd of its duration"},
        "critical_resources": {"id": "resource id", **_prefixed(
            "criticality", {k: f"share of replications whose first miss began on it, {v}"
                            for k, v in EST.items()})},
        "rigor": {"factor": "volume, mix or sequence", "hours": "hours from the horizon start",
                  **{k: f"probability the factor holds that far, {v}" for k, v in EST.items()},
                  "demanded_until_hours": "how far ahead the bands demand the factor"},
        "sensitivity": {"kind": "source or resource", "name": "what is changed", "change": "removed or "
                        "halved", "metric": "plan_holds or bts", **DIFF},
        "orders": {"id": "order id", "customer": "who ordered it", "priority": "its priority",
                   "due": "due date", "operations": "its operations",
                   "planned_completion": "planned end of its last operation",
                   **_prefixed("on_time", {k: f"probability it completes by its due date, {v}"
                                           for k, v in EST.items()}),
                   **_prefixed("otif", {k: f"probability it is on time in full, {v}"
                                        for k, v in EST.items()}),
                   **{f"completion_{q}": f"{QUANTILES[q]} of its completion" for q in ("p50", "p80", "p90")},
                   "tardiness_mean": "mean hours late (0 when on time)",
                   "tardiness_p90": "90th percentile of the hours late",
                   "main_cause": "the cause that made it late most often (None: never late)"},
        "order_causes": {"order": "order id", "cause": "cause of its lateness",
                         "probability": "share of replications in which it was late by that cause"},
    },
    "riskengine.compare/1": {
        "plans": {"plan": "plan id", "metric": "plan_holds, bts, btp, volume, mix, sequence or finish",
                  **EST, **QUANTILES},
        "differences": {"a": "plan a", "b": "plan b", "metric": "the metric compared", **DIFF},
        "ranking": {"rank": "1 = first by the ranking's rule (rank_by)", "plan": "plan id"},
        "orders": {"plan": "plan id", "orders": "orders it lists",
                   "orders_likely_on_time": "orders on time with probability >= 80%"},
        "order_differences": {"a": "plan a", "b": "plan b", "order": "order id",
                              "metric": "on_time (probability) or tardiness_hours", **DIFF},
    },
    "riskengine.measurement/1": {
        "total": {**COUNTS, "otif": "share of the orders due in the timeline on time in full (None: no "
                                    "orders)", "orders": "orders due in the timeline",
                  "orders_otif": "of them, on time in full"},
        "buckets": {"index": "bucket number", "start": "bucket start", "end": "bucket end",
                    "plan": "plan version in effect", "band": "horizon band", **COUNTS},
        "bands": {"band": "horizon band", "until_hours": "band end, hours from the origin",
                  "measures": "the factors the band demands", "buckets": "buckets in the band",
                  **COUNTS, "score": "the band's score (product of its factors)"},
        "resources": {"id": "resource id", **COUNTS},
        "areas": {"id": "area", **COUNTS},
        "products": {"id": "product", "planned": "units planned", "produced": "units produced",
                     "built_to_mix": "min(planned, produced)"},
        "operations": {"id": "operation id", "plan": "plan version", "resource": "resource id",
                       "product": "product", "bucket": "planned bucket", "planned": "units planned",
                       "good": "good units produced", "start": "actual start", "end": "actual end",
                       "hit": "HIT (True) or MISS", "deviation": "how it missed", "cause": "recorded cause",
                       "lost_units": "units lost"},
        "causes": {"cause": "miss cause", "misses": "operations missed", "lost_units": "units lost",
                   "share": "share of misses"},
        "plans": {"id": "plan version", "published_at": "publication time"},
        "orders": {"id": "order id", "plan": "newest plan version listing it", "customer": "who ordered it",
                   "priority": "its priority", "due": "due date", "operations": "its operations",
                   "completed": "when its last operation completed (None: not completed)",
                   "on_time": "completed by its due date", "in_full": "every operation within the "
                   "quantity tolerance", "otif": "on time in full", "lateness_hours": "hours late"},
    },
    "riskengine.check/1": {
        "findings": {"finding": "finding number", "kind": "conflict, routing, order, calendar, setup, "
                     "capacity, material or horizon", "severity": "error or warning",
                     "resource": "resource id (None: not one resource)", "message": "what is wrong"},
        "finding_operations": {"finding": "finding number", "operation": "an operation involved"},
        "summary": {"kind": "finding kind", "errors": "error findings", "warnings": "warning findings"},
        "moves": {"operation": "operation the repair moved", "old_start": "planned start",
                  "new_start": "repaired start", "shift_hours": "hours moved right",
                  "old_end": "planned end", "new_end": "repaired end",
                  "setup_added_hours": "setup added by the repair"},
    },
    "riskengine.calibration/1": {
        "estimates": {"parameter": "premises path", "quantity": "mean, cv or probability",
                      "estimate": "point estimate", "low": "95% interval, lower end",
                      "high": "95% interval, upper end", "n": "values or trials", "n_censored":
                      "right-censored values", "method": "how it was estimated",
                      "fallback": "why a fallback was used (None: estimated)"},
        "fits": {"parameter": "premises path", "family": "distribution family",
                 "chosen": "whether this family was chosen (least AIC, the simplest within 2)",
                 "n": "values", "n_censored": "right-censored values", "loglik": "log-likelihood",
                 "aic": "Akaike information criterion", **_prefixed("mean", EST), **_prefixed("cv", EST),
                 "ks": "Kolmogorov-Smirnov statistic", "ks_pvalue": "its p-value",
                 "ad": "Anderson-Darling statistic"},
        "fallbacks": {"parameter": "premises path", "reason": "why", "used": "what was used instead"},
    },
    "riskengine.backtest/1": {
        "plans": {"plan": "plan version", "operations": "operations forecast",
                  "whole_horizon": "whether the actuals cover its whole horizon",
                  "forecast_plan_holds": "forecast probability the plan holds",
                  "metric": "bts, btp, volume, mix or sequence", "realized": "realized value",
                  **_prefixed("forecast", {**EST, **{k: QUANTILES[k] for k in ("p10", "p50", "p90")}})},
        "reliability": {"low": "forecast bin, lower end", "high": "forecast bin, upper end",
                        "n": "operations in the bin", "forecast": "mean forecast probability of a HIT",
                        "observed": "observed HIT rate", "observed_low": "its 95% interval, lower end",
                        "observed_high": "its 95% interval, upper end",
                        "within": "whether the mean forecast lies in that interval"},
        "coverage": {"interval": "which P10-P90 interval (bucket.bts, plan.mix, band.<24h, ...)",
                     "covered": "realized values inside", "n": "forecasts", "rate": "covered / n "
                     "(nominal 0.8)"},
        "bands": {"band": "horizon band", "versions": "plan versions", "forecast": "mean forecast score",
                  "realized": "realized score"},
        "operations": {"plan": "plan version", "id": "operation id",
                       "forecast": "forecast probability of a HIT", "hit": "realized HIT"},
    },
}
COLUMNS["sensitivity"] = {"sensitivity": COLUMNS["riskengine.score/1"]["sensitivity"]}


# -- building the frames ----------------------------------------------------------------------------

def _frame(rows: list[dict], columns: dict[str, str], times: tuple[str, ...] = ()):
    """A DataFrame with exactly ``columns`` (in order), times as Timestamps in their offset."""
    pd = require("pandas", "to_frames()")
    df = pd.DataFrame([{c: row.get(c) for c in columns} for row in rows], columns=list(columns))
    for c in times:
        df[c] = timestamps(df[c].tolist())
    return df


def timestamps(values: list):
    """ISO times (or None) as a Series of Timestamps in their own UTC offset: one datetime dtype
    when they share an offset, else (a clock change within the data) Timestamps of object dtype."""
    pd = require("pandas", "to_frames()")
    try:
        return pd.to_datetime(pd.Series(values, dtype=object), format="ISO8601")
    except (ValueError, TypeError):
        return pd.Series([None if v is None else pd.Timestamp(v) for v in values], dtype=object)


def _est(d: dict | None, prefix: str = "") -> dict:
    """An estimate's fields, optionally prefixed (``hit_mean``)."""
    return {f"{prefix}{k}": v for k, v in (d or {}).items()}


def _score(d: dict) -> dict[str, list[dict]]:
    a = d["adherence"]
    rows = {
        "headline": [{"metric": "plan_holds", **_est(d["plan_holds"])},
                     *({"metric": m, **_est(a[m])} for m in ("bts", "btp", "volume", "mix", "sequence")),
                     {"metric": "finish", **_est(d["finish"])}],
        "days": [dict(day) for day in d["holds_through_day"]],
        "bands": [{"band": b["band"], "until_hours": b["until_hours"], "measures": " x ".join(b["measures"]),
                   "metric": m, **_est(b[m])}
                  for b in d["bands"] for m in ("score", "volume", "mix", "sequence")],
        "buckets": [{**{k: b[k] for k in ("index", "start", "end", "band")}, "metric": m, **_est(b[m])}
                    for b in d["buckets"] for m in ("bts", "btp")],
        "operations": [{**o, **_est(o["hit"], "hit_"), **_est(o.get("finish"), "finish_")}
                       for o in d["operations"]],
        "operation_causes": [{"operation": o["id"], "cause": c, "probability": p}
                             for o in d["operations"] for c, p in o["causes"].items()],
        "causes": d["causes"],
        "resources": [{"id": r["id"], **_est(r["finish"], "finish_")} for r in d["resources"]],
    }
    crit = d.get("criticality") or {"operations": [], "resources": []}
    rows["criticality"] = [{**o, **_est(o["criticality"], "criticality_"),
                            **_est(o["cruciality"], "cruciality_")} for o in crit["operations"]]
    rows["critical_resources"] = [{"id": r["id"], **_est(r["criticality"], "criticality_")}
                                  for r in crit["resources"]]
    factors = (d.get("rigor_advice") or {"factors": []})["factors"]
    rows["rigor"] = [{"factor": f["factor"], **h, "demanded_until_hours": f["demanded_until_hours"]}
                     for f in factors for h in f["holds_through"]]
    if d.get("sensitivity"):
        rows["sensitivity"] = _sensitivity(d["sensitivity"])["sensitivity"]
    orders = d.get("orders") or []
    rows["orders"] = [{**o, **_est(o["on_time"], "on_time_"), **_est(o["otif"], "otif_"),
                       **_est(o["completion"], "completion_"), **_est(o["tardiness_hours"], "tardiness_")}
                      for o in orders]
    rows["order_causes"] = [{"order": o["id"], "cause": c, "probability": p}
                            for o in orders for c, p in o["causes"].items()]
    return rows


def _sensitivity(d: dict) -> dict[str, list[dict]]:
    return {"sensitivity": [{**{k: r[k] for k in ("kind", "name", "change")}, "metric": m, **r[m]}
                            for r in d["rows"] for m in ("plan_holds", "bts")]}


def _compare(d: dict) -> dict[str, list[dict]]:
    plans = [{"plan": p["id"], "metric": m, **_est(est)} for p in d["plans"]
             for m, est in (("plan_holds", p["plan_holds"]), *p["adherence"].items(),
                            ("finish", p["finish"]))]
    return {"plans": plans, "differences": d["differences"],
            "ranking": [{"rank": k, "plan": p} for k, p in enumerate(d["ranking"], 1)],
            "orders": [{"plan": p["id"], "orders": p["orders"],
                        "orders_likely_on_time": p["orders_likely_on_time"]}
                       for p in d["plans"] if "orders" in p],
            "order_differences": [{"a": r["a"], "b": r["b"], "order": r["order"], "metric": m, **r[m]}
                                  for r in d.get("order_differences", [])
                                  for m in ("on_time", "tardiness_hours")]}


def _measurement(d: dict) -> dict[str, list[dict]]:
    return {"total": [d["total"]], "buckets": d["buckets"],
            "bands": [{**b, "measures": " x ".join(b["measures"])} for b in d["bands"]],
            **{k: d[k] for k in ("resources", "areas", "products", "operations", "causes", "plans")},
            "orders": d.get("orders", [])}


def _check(d: dict) -> dict[str, list[dict]]:
    findings = [{"finding": k, **f} for k, f in enumerate(d["findings"])]
    by_kind = d["summary"]["by_kind_and_severity"]
    return {"findings": findings,
            "finding_operations": [{"finding": f["finding"], "operation": o} for f in findings
                                   for o in f["operations"]],
            "summary": [{"kind": k, "errors": v["error"], "warnings": v["warning"]}
                        for k, v in by_kind.items()],
            "moves": (d.get("repair") or {}).get("moves", [])}


def _calibration(d: dict) -> dict[str, list[dict]]:
    fits = [{"parameter": name, "family": c["family"], "chosen": c["family"] == fit["chosen"],
             "n": fit["n"], "n_censored": fit["n_censored"], "loglik": c["loglik"], "aic": c["aic"],
             **_est(_interval(c["mean"]), "mean_"), **_est(_interval(c["cv"]), "cv_"),
             **{k: (c.get("gof") or {}).get(k) for k in ("ks", "ks_pvalue", "ad")}}
            for name, fit in d["fits"].items() for c in fit["candidates"]]
    return {"estimates": d["estimates"], "fits": fits, "fallbacks": d["fallbacks"]}


def _interval(e: dict | None) -> dict:
    return {} if e is None else {"mean": e["estimate"], "low": e["low"], "high": e["high"]}


def _backtest(d: dict) -> dict[str, list[dict]]:
    plans = [{"plan": p["id"], **{k: p[k] for k in ("operations", "whole_horizon", "forecast_plan_holds")},
              "metric": m, "realized": p["realized"][m], **_est(p["forecast"][m], "forecast_")}
             for p in d["plans"] for m in p["forecast"]]
    return {"plans": plans, "reliability": d["hits"]["bins"],
            "coverage": [{"interval": k, **v} for k, v in d["coverage"].items()], "bands": d["bands"],
            "operations": d["operations"]}


BUILDERS = {"riskengine.score/1": _score, "riskengine.compare/1": _compare,
            "riskengine.measurement/1": _measurement, "riskengine.check/1": _check,
            "riskengine.calibration/1": _calibration, "riskengine.backtest/1": _backtest,
            "sensitivity": _sensitivity}
TIMES = {("riskengine.score/1", "buckets"): ("start", "end"),
         ("riskengine.score/1", "operations"): ("finish_p50", "finish_p80", "finish_p90"),
         ("riskengine.score/1", "orders"): ("due", "planned_completion", "completion_p50", "completion_p80",
                                            "completion_p90"),
         ("riskengine.measurement/1", "orders"): ("due", "completed"),
         ("riskengine.measurement/1", "buckets"): ("start", "end"),
         ("riskengine.measurement/1", "operations"): ("start", "end"),
         ("riskengine.measurement/1", "plans"): ("published_at",),
         ("riskengine.check/1", "moves"): ("old_start", "new_start", "old_end", "new_end")}


def to_frames(result) -> dict:
    """A result (object, ``to_dict()`` output or its JSON read back) as a dict of tidy DataFrames.

    Parameters
    ----------
    result
        A score, compare, measurement, check, sensitivity, calibration, back-test
        or sweep result, or the dict of one; or a plan
        (:func:`riskengine.interop.frames.plan_frames`).

    Returns
    -------
    dict[str, pandas.DataFrame]
        The frames of that result (module docstring), each with exactly the
        columns of :data:`COLUMNS`.

    Examples
    --------
    >>> import riskengine as rk
    >>> history = rk.read_history([f"scenarios/example-factory/plan-v{k}.json" for k in (1, 2, 3)])
    >>> m = rk.measure(history, rk.read_actuals("scenarios/example-factory/actuals.csv", history))
    >>> frames = to_frames(m)
    >>> sorted(frames)
    ['areas', 'bands', 'buckets', 'causes', 'operations', 'orders', 'plans', 'products', 'resources', 'total']
    >>> round(float(frames["total"].loc[0, "bts"]), 4) == round(m.total["bts"], 4)
    True
    >>> frames["buckets"]["start"].iloc[0]
    Timestamp('2026-11-16 06:00:00+0100', tz='UTC+01:00')
    """
    from riskengine.model.plan import Plan

    if isinstance(result, Plan):
        from riskengine.interop.frames import plan_frames

        return plan_frames(result)
    rows = getattr(result, "rows", None)
    if rows is not None and hasattr(result, "computed"):  # a SweepResult: its table as one frame
        pd = require("pandas", "to_frames()")
        return {"cells": pd.DataFrame(rows)}
    d = result if isinstance(result, dict) else result.to_dict()
    name = d.get("format") or ("sensitivity" if "rows" in d and "base" in d else None)
    if name not in BUILDERS:
        raise ValueError(f"to_frames() knows the formats {', '.join(BUILDERS)}, not {name!r}")
    built = BUILDERS[name](d)
    return {frame: _frame(built[frame], columns, TIMES.get((name, frame), ()))
            for frame, columns in COLUMNS[name].items() if frame in built}


def sweep_frame(path):
    """A sweep's result table (``.parquet`` or ``.csv``, ``riskengine sweep --out``) as a DataFrame.

    The columns are documented in :mod:`riskengine.studies.table` (``cell``,
    ``plan``, the parameters, ``seed``, ``replications``, ``{metric}_mean``,
    ``_low``, ``_high``, ``cell_id``).
    """
    from riskengine.studies.table import read_table

    pd = require("pandas", "sweep_frame()")
    return pd.DataFrame(read_table(path))
