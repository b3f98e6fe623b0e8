"""Calibrate premises from history: ``calibrate(plans, actuals, events)``.

Every premise gets an estimate with its 95% interval, sample size and method
(:mod:`riskengine.calibration.fitting`), collected in a
:class:`~riskengine.calibration.result.CalibrationResult` whose premises
(``riskengine.premises/1``) hold the point estimates; the intervals go to the
calibration report (``riskengine.calibration/1``).

What is estimated where (see :mod:`riskengine.calibration.observations`):

- ``resources.<id>.breakdowns`` for every resource with an observation window:
  time between failures with at least ``min_samples`` failures by the best of
  the candidate families (censored fit); with fewer failures an exponential
  (its chi-square interval); with none, the 95% lower bound T / ln 20 of the
  mean (never infinite or zero), as an exponential mean, with a warning. Time
  to repair by the best family with at least ``min_samples`` repairs, else the
  repairs of all resources pooled (fallback, warning).
- ``resources.<id>.absenteeism``: the resource's absent / scheduled shifts with
  at least ``min_trials`` scheduled shifts, else all resources pooled
  (fallback, warning). The effect (stop or slow) is not in the data: option.
- ``materials.<id>.late`` for every material in the events: one probability and
  delay distribution pooled over all lots (a lot per material and week is too
  little for each material alone).
- ``defaults.performance``, ``defaults.setup_overrun``, ``defaults.scrap_rate``:
  shop-wide, pooled over resources.
- ``operator.deviation``: deviations / opportunities.

A premise without enough data (fewer than ``min_samples`` values for a
distribution, ``min_trials`` trials for a probability, after pooling) is left
out of the premises, which means "no such disruption", and says so in
``fallbacks`` and a warning. ``base`` premises, when given, supply everything
calibration does not estimate (execution, bands, reliability factors, rejected
lots) and the premises of what has no data. Without ``base`` the execution
rules are written with defaults and a quantity tolerance that routine scrap
passes (:func:`default_execution`), with a warning.
"""

from __future__ import annotations

import math

import numpy as np

from riskengine.calibration.events import Events
from riskengine.calibration.fitting import Sample, exponential_mean, fit_best, proportion, union_interval
from riskengine.calibration.observations import LATE_HOURS, observe
from riskengine.calibration.result import CalibrationResult
from riskengine.errors import InputError, Problem
from riskengine.model.actuals import Actuals, PlanHistory
from riskengine.model.plan import Plan
from riskengine.model.premises import PREMISES_FORMAT, Premises, parse_premises

MIN_SAMPLES = 10
MIN_TRIALS = 20


class _Builder:
    def __init__(self, min_samples: int, min_trials: int):
        self.min_samples, self.min_trials = min_samples, min_trials
        self.estimates: list[dict] = []
        self.fits: dict[str, dict] = {}
        self.samples: dict[str, Sample] = {}
        self.fallbacks: list[dict] = []
        self.warnings: list[str] = []

    def add(self, parameter: str, quantity: str, est: dict, n: int, method: str,
            n_censored: int = 0, fallback: str | None = None) -> None:
        self.estimates.append({"parameter": parameter, "quantity": quantity, **est, "n": n,
                               "n_censored": n_censored, "method": method, "fallback": fallback})

    def fallback(self, parameter: str, reason: str, used: str) -> None:
        self.fallbacks.append({"parameter": parameter, "reason": reason, "used": used})
        self.warnings.append(f"{parameter}: {reason}; {used}")

    def distribution(self, parameter: str, sample: Sample, fallback: str | None = None) -> dict | None:
        """Fit the candidate families when the sample is large enough, else an exponential
        mean when there is at least one value; None without values."""
        n_obs, n_cens = int(sample.observed.size), int(sample.censored.size)
        if n_obs >= self.min_samples:
            fits = fit_best(sample)
            if fits:
                best = fits[0]
                self.fits[parameter] = {"n": sample.n, "n_censored": n_cens, "chosen": best.family,
                                        "candidates": [f.to_dict() for f in fits]}
                self.samples[parameter] = sample
                method = (f"maximum likelihood, {best.family} (AIC rule, {len(fits)} families; "
                          "interval: union over the families within 2 AIC)")
                self.add(parameter, "mean", union_interval(fits, "mean"), sample.n, method, n_cens,
                         fallback)
                self.add(parameter, "cv", union_interval(fits, "cv"), sample.n, method, n_cens,
                         fallback)
                return best.distribution()
        if n_obs >= 1:
            mean = exponential_mean(sample)
            self.add(parameter, "mean", mean, sample.n, "exponential, chi-square interval", n_cens,
                     fallback or f"fewer than {self.min_samples} observed values: exponential")
            self.samples[parameter] = sample
            return {"dist": "exponential", "mean": mean["estimate"]}
        return None


def _set(doc: dict, path: list[str], value: object) -> None:
    for key in path[:-1]:
        doc = doc.setdefault(key, {})
    doc[path[-1]] = value


def calibrate(plans: list[Plan] | PlanHistory, actuals: Actuals, events: Events | None = None, *,
              base: Premises | None = None, min_samples: int = MIN_SAMPLES,
              min_trials: int = MIN_TRIALS, deviation_window: int = 3,
              deviation_rule: str = "same_family", absence_effect: str = "stop") -> CalibrationResult:
    """Estimate the premises from realized history (module docstring).

    Parameters
    ----------
    plans
        The plan versions the actuals were produced against.
    actuals
        Realized production, validated against the plans; ``setup_hours`` and
        ``run_hours`` feed setup overrun and performance.
    events
        Windows, breakdowns, material lots and absences (optional: without them
        breakdowns, material lateness and absenteeism are not calibrated).
    base
        Premises supplying what calibration does not estimate; without it the
        execution rules are written with defaults (:func:`default_execution`) and a warning.
    min_samples, min_trials
        Least values for fitting a distribution, least trials for a probability.
    deviation_window, deviation_rule
        The operator deviation rule the data is read with.
    absence_effect
        ``stop`` or ``slow`` for the calibrated absenteeism.

    Returns
    -------
    CalibrationResult
        The calibrated ``premises`` (point estimates), every estimate with its
        95% interval and sample size, the fits and the fallbacks
        (``riskengine.calibration/1`` as ``to_dict()``; pandas: ``to_frames()``).

    Examples
    --------
    >>> import riskengine as rk
    >>> from riskengine.calibration.events import read_events
    >>> weeks = [rk.read_plan(f"scenarios/calibration-weeks/plans/week-0{k}.json") for k in range(1, 9)]
    >>> history = rk.PlanHistory(weeks)
    >>> actuals = rk.read_actuals("scenarios/calibration-weeks/actuals.csv", history)
    >>> events = read_events("scenarios/calibration-weeks/events.csv", weeks)
    >>> cal = rk.calibrate(history, actuals, events)
    >>> e = cal.estimate("resources.P1.breakdowns.mtbf_hours", "mean")  # the truth is 20 run hours
    >>> bool(e["low"] < 20 < e["high"]), e["n"]
    (True, 40)
    """
    if min_samples < 2 or min_trials < 1:
        raise InputError(Problem("min_samples", f"must be >= 2 (min_trials >= 1), got {min_samples} "
                                 f"and {min_trials}"))
    history = plans if isinstance(plans, PlanHistory) else PlanHistory(list(plans))
    obs = observe(history, actuals, events, window=deviation_window, rule=deviation_rule)
    b = _Builder(min_samples, min_trials)
    b.warnings += obs.warnings
    doc = base.model_dump(mode="json", by_alias=True, exclude_none=True) if base else {}
    doc["format"] = PREMISES_FORMAT
    resources = [r.id for r in history.versions[-1].resources]
    if events is None:
        b.warnings.append("no events: breakdowns, material lateness and absenteeism are not "
                          "calibrated")
    _breakdowns(b, obs, resources, events is not None, doc)
    _absenteeism(b, obs, resources, absence_effect, doc)
    _material_lateness(b, obs, doc)
    _shop_factors(b, obs, doc)
    _deviation(b, obs, deviation_window, deviation_rule, doc)
    if base is None:
        doc["execution"] = default_execution(obs.scrap_shares)
        b.warnings.append(execution_warning(doc["execution"], obs.scrap_shares))
    premises = parse_premises(doc, "calibrated premises")
    return CalibrationResult(premises=premises, document=doc, estimates=b.estimates, fits=b.fits,
                             samples=b.samples, fallbacks=b.fallbacks, warnings=b.warnings,
                             plans=[p.id for p in history.versions])


#: Share of operations whose scrap alone the default quantity tolerance lets pass.
SCRAP_QUANTILE = 0.95


def default_execution(scrap_shares: np.ndarray) -> dict:
    """The execution rules written without ``--base`` (they are not in the data).

    The shop's defaults (wait for late material, no lateness tolerance, sequence
    in orders), except the quantity tolerance: a tolerance of 1 with any scrap
    makes almost every operation short, so every forecast and every realized
    operation a MISS (a back-test has nothing to tell apart). It is set to
    1 - q, q the 95th percentile of the operations' scrapped shares, rounded
    down to a whole percent (at least 50%): routine scrap alone then does not
    make an operation short.
    """
    q = float(np.quantile(scrap_shares, SCRAP_QUANTILE)) if scrap_shares.size else 0.0
    tolerance = max(0.5, math.floor(round((1.0 - q) * 100, 9)) / 100)
    return {"early_start": False, "on_blocked": "wait", "lateness_tolerance_hours": 0.0,
            "quantity_tolerance": tolerance, "sequence_basis": "orders"}


def execution_warning(execution: dict, scrap_shares: np.ndarray) -> str:
    """The warning that says the execution rules are assumed, and why the tolerance is what it is."""
    q = float(np.quantile(scrap_shares, SCRAP_QUANTILE)) if scrap_shares.size else 0.0
    return ("execution: the execution rules are not in the data and no --base gave them; written: wait "
            "for late material, lateness tolerance 0 h, sequence in orders, quantity tolerance "
            f"{100 * execution['quantity_tolerance']:g}% (95% of the executed operations lost at most "
            f"{100 * q:.1f}% of their units, so routine scrap alone does not make an operation short); "
            "check them against your shop's rules, or give them with --base")


def _breakdowns(b: _Builder, obs, resources: list[str], with_events: bool, doc: dict) -> None:
    """``resources.<id>.breakdowns``: time between failures and time to repair per resource."""
    pooled = Sample(np.concatenate([s.observed for s in obs.ttr.values()] or [np.zeros(0)]),
                    np.concatenate([s.censored for s in obs.ttr.values()] or [np.zeros(0)]))
    pooled_ttr = None
    for r in resources:
        if r not in obs.tbf:
            if with_events:
                b.warnings.append(f"resources.{r}: no observation window in the events; its "
                                  "breakdowns and absenteeism are not calibrated")
            continue
        p = f"resources.{r}.breakdowns"
        tbf = obs.tbf[r]
        if tbf.observed.size == 0:
            mean = exponential_mean(tbf)
            b.add(f"{p}.mtbf_hours", "mean", mean, tbf.n, "no failure: one-sided 95% lower bound "
                  "T / ln 20", tbf.n, "lower bound")
            b.fallback(f"{p}.mtbf_hours", f"no failure in {obs.exposure[r]:g} run hours",
                       f"MTBF set to its 95% lower bound {mean['low']:.4g} h (exponential)")
            tbf_dist: dict | None = {"dist": "exponential", "mean": mean["low"]}
        else:
            tbf_dist = b.distribution(f"{p}.mtbf_hours", tbf)
        ttr = obs.ttr[r]
        if ttr.observed.size >= b.min_samples:
            ttr_dist = b.distribution(f"{p}.mttr_hours", ttr)
        else:
            if pooled_ttr is None:
                pooled_ttr = b.distribution("pooled.mttr_hours", pooled) or {}
            ttr_dist = pooled_ttr or None
            b.fallback(f"{p}.mttr_hours", f"{ttr.observed.size} repair(s), fewer than {b.min_samples}",
                       "the repairs of all resources pooled" if ttr_dist else "no repair anywhere")
        if ttr_dist is None:
            b.fallback(p, "no repair time can be estimated", "breakdowns left out")
            continue
        _set(doc, ["resources", r, "breakdowns"], {"mtbf_hours": tbf_dist, "mttr_hours": ttr_dist})


def _absenteeism(b: _Builder, obs, resources: list[str], effect: str, doc: dict) -> None:
    """``resources.<id>.absenteeism``: absent / scheduled shifts, all resources pooled as a fallback."""
    tot = [sum(v[0] for v in obs.absences.values()), sum(v[1] for v in obs.absences.values())]
    for r in resources:
        if r not in obs.absences:
            continue
        k, n = obs.absences[r]
        p = f"resources.{r}.absenteeism"
        if n >= b.min_trials:
            est = proportion(k, n)
            b.add(p, "probability", est, n, "absent / scheduled shifts, Wilson interval")
        elif tot[1] >= b.min_trials:
            est = proportion(*tot)
            b.add(p, "probability", est, tot[1], "all resources pooled, Wilson interval",
                  fallback="pooled")
            b.fallback(p, f"{n} scheduled shift(s), fewer than {b.min_trials}", "all resources pooled")
        else:
            b.fallback(p, f"{tot[1]} scheduled shifts in all, fewer than {b.min_trials}",
                       "absenteeism left out")
            continue
        section = {"probability": est["estimate"], "effect": effect}
        if len(obs.shift_hours.get(r, ())) == 1:
            section["shift_hours"] = next(iter(obs.shift_hours[r]))
        _set(doc, ["resources", r, "absenteeism"], section)


def _material_lateness(b: _Builder, obs, doc: dict) -> None:
    """``materials.<id>.late``: one probability and delay pooled over every lot."""
    lots = int(obs.lateness.size)
    if not lots:
        return
    late = obs.lateness[obs.lateness > LATE_HOURS]
    if lots < b.min_trials:
        b.fallback("materials.late", f"{lots} lot(s), fewer than {b.min_trials}", "left out")
        return
    est = proportion(int(late.size), lots)
    b.add("materials.late", "probability", est, lots, "late lots / lots, Wilson interval")
    delay = b.distribution("materials.late.delay_hours", Sample(late))
    if delay is None:
        b.warnings.append("materials.late: no late lot, lateness left out")
        return
    for m in obs.materials:
        _set(doc, ["materials", m, "late"], {"probability": est["estimate"], "delay_hours": delay})


def _shop_factors(b: _Builder, obs, doc: dict) -> None:
    """``defaults.performance``, ``defaults.setup_overrun`` and ``defaults.scrap_rate``, shop-wide."""
    for key, values in (("performance", obs.performance), ("setup_overrun", obs.setup_overrun)):
        dist = None
        if values.size >= b.min_samples:
            dist = b.distribution(f"defaults.{key}", Sample(values))
        if dist is None:
            b.fallback(f"defaults.{key}", f"{values.size} value(s), fewer than {b.min_samples}",
                       "left out (no such variability)")
            doc.get("defaults", {}).pop(key, None)
        else:
            _set(doc, ["defaults", key], dist)
    scrapped, units = obs.scrap
    if units >= b.min_trials:
        est = proportion(scrapped, units)
        b.add("defaults.scrap_rate", "probability", est, units, "scrapped / planned units, Wilson")
        _set(doc, ["defaults", "scrap_rate"], est["estimate"])
    else:
        b.fallback("defaults.scrap_rate", f"{units} planned unit(s)", "left out")


def _deviation(b: _Builder, obs, window: int, rule: str, doc: dict) -> None:
    """``operator.deviation``: deviations / opportunities of the rule read."""
    dev, opp, other = obs.deviation
    if opp >= b.min_trials:
        est = proportion(dev, opp)
        b.add("operator.deviation", "probability", est, opp,
              f"deviations / opportunities ({rule}, window {window}), Wilson")
        _set(doc, ["operator", "deviation"], {"probability": est["estimate"], "window": window, "rule": rule})
    else:
        b.fallback("operator.deviation", f"{opp} opportunities, fewer than {b.min_trials}", "left out")
    if other:
        b.warnings.append(f"operator.deviation: {other} move(s) out of planned order that the "
                          f"{rule} rule does not explain (not counted)")
