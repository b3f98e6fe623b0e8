"""Back-test: past forecasts against what happened (``riskengine.backtest/1``).

For each plan version, the forecast is :func:`riskengine.analysis.score.score`
of that version with the premises known when it was published (one premises
for all, or one per version), and the realized figures come from
:func:`riskengine.adherence.measure.measure` of all versions together (each
bucket against the plan in effect, docs/design.md section 2), with the premises' rules.

Operation hits (every operation the forecast judges and the measurement
measures against the same version): with forecast probability p_i and
outcome y_i in {0, 1},

- Brier score B = mean (p_i - y_i)^2 (Brier 1950), and the Brier score of the
  base rate ybar (1 - ybar) as a reference (skill = 1 - B / B_ref);
- Spiegelhalter's test (Spiegelhalter 1986, *Stat. Med.* 5, 421): under
  calibration E[sum (y - p)(1 - 2p)] = 0, and with independent outcomes
  Z = sum (y - p)(1 - 2p) / sqrt(sum (1 - 2p)^2 p (1 - p)) is standard normal.
  Operations of one plan share breakdowns, materials and knock-on delays, so
  their outcomes are not independent: ``z_clustered`` replaces the variance by
  the sum over plan versions of the squared per-version sums (a cluster-robust
  sandwich variance; approximately t with versions - 1 degrees of freedom);
- reliability diagram: forecasts in ten bins of width 0.1; per bin the mean
  forecast, the observed frequency and its Wilson 95% interval (again for
  independent outcomes).

Predictive intervals: the forecast interval of a figure is its P10-P90 over
replications (the distribution of what one execution may give, not the Monte
Carlo interval of the mean), nominal coverage 80%; for figures with point
masses (a volume of exactly 100%) the coverage of [P10, P90] is at least 80%.
Checked per bucket (BTS, BTP) where the version is in effect, and per version
and band (BTS and its factors volume, mix, sequence; band score) for versions
in effect over their whole horizon (otherwise the forecast and the realized
figures cover different buckets and the version is skipped there).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import numpy as np
from scipy import stats

from riskengine.adherence.arrays import COUNT_NAMES
from riskengine.adherence.figures import band_score, figures, pct
from riskengine.adherence.measure import measure
from riskengine.analysis.score import score
from riskengine.calibration.documents import BacktestDocument
from riskengine.calibration.fitting import proportion
from riskengine.errors import InputError, Problem
from riskengine.model.actuals import Actuals, PlanHistory
from riskengine.model.plan import Plan
from riskengine.model.premises import Premises
from riskengine.report.terminal import table, warning_lines

BACKTEST_FORMAT = "riskengine.backtest/1"
FIGURES: tuple[Literal["bts", "btp", "volume", "mix", "sequence"], ...] = (
    "bts", "btp", "volume", "mix", "sequence")
BINS = 10


def restrict(premises: Premises, plan: Plan) -> Premises:
    """The premises without resources the plan does not have (calibrated premises cover every
    resource of the history; materials the plan does not use simply do not apply)."""
    resources = {r.id for r in plan.resources}
    return premises.model_copy(update={
        "resources": {k: v for k, v in premises.resources.items() if k in resources}})


def hit_statistics(p: np.ndarray, y: np.ndarray, cluster: np.ndarray) -> dict:
    """Brier score, Spiegelhalter's z (plain and clustered) and the reliability bins."""
    n = p.size
    if n == 0:
        return {"n": 0, "brier": None}
    brier = float(np.mean((p - y) ** 2))
    base = float(y.mean())
    ref = base * (1 - base)
    u = (y - p) * (1 - 2 * p)
    var = float(np.sum((1 - 2 * p) ** 2 * p * (1 - p)))
    z = float(u.sum() / math.sqrt(var)) if var > 0 else None
    sums = np.array([u[cluster == c].sum() for c in np.unique(cluster)])
    k = sums.size
    zc = float(u.sum() / math.sqrt(np.sum(sums**2))) if k > 1 and np.sum(sums**2) > 0 else None
    bins = []
    edges = np.linspace(0, 1, BINS + 1)
    idx = np.minimum((p * BINS).astype(int), BINS - 1)
    for b in range(BINS):
        m = idx == b
        if not m.any():
            continue
        hits = int(y[m].sum())
        w = proportion(hits, int(m.sum()))
        mean_p = float(p[m].mean())
        bins.append({"low": float(edges[b]), "high": float(edges[b + 1]), "n": int(m.sum()),
                     "forecast": mean_p, "observed": w["estimate"], "observed_low": w["low"],
                     "observed_high": w["high"], "within": w["low"] <= mean_p <= w["high"]})
    return {"n": n, "brier": brier, "brier_reference": ref,
            "brier_skill": 1 - brier / ref if ref > 0 else None,
            "mean_forecast": float(p.mean()), "observed_rate": base,
            "spiegelhalter_z": z, "spiegelhalter_p": 2 * stats.norm.sf(abs(z)) if z is not None else None,
            "clusters": k, "z_clustered": zc,
            "p_clustered": float(2 * stats.t.sf(abs(zc), k - 1)) if zc is not None else None,
            "bins": bins, "bins_within": sum(b["within"] for b in bins)}


def _counts(rows: list[dict]) -> np.ndarray:
    return np.sum([[r[name] or 0.0 for name in COUNT_NAMES] for r in rows], axis=0) \
        if rows else np.zeros(len(COUNT_NAMES))


def _inside(est: Mapping[str, Any] | None, value: float | None) -> bool | None:
    if est is None or value is None or est.get("p10") is None:
        return None
    return est["p10"] - 1e-12 <= value <= est["p90"] + 1e-12


@dataclass
class BacktestResult:
    plans: list[dict]
    hits: dict
    coverage: dict
    bands: list[dict]
    replications: int
    seed: int
    pairs: list[tuple[str, str, float, bool]] = field(repr=False, default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rules: dict | None = None  # the adherence rules of every version (None: they differ)

    def to_dict(self) -> dict:
        return BacktestDocument.checked(
            {"format": BACKTEST_FORMAT, "replications": self.replications, "seed": self.seed,
             "plans": self.plans, "hits": self.hits, "coverage": self.coverage, "bands": self.bands,
             "operations": [{"plan": a, "id": b, "forecast": p, "hit": y} for a, b, p, y in self.pairs],
             "warnings": self.warnings, "rules": self.rules})

    def to_frames(self) -> dict:
        """This result as tidy pandas DataFrames (extra ``pandas``; :mod:`riskengine.interop.results`)."""
        from riskengine.interop.results import to_frames

        return to_frames(self)

    def __str__(self) -> str:
        h = self.hits
        lines = [f"Back-test of {len(self.plans)} plan version(s), {self.replications} replications "
                 f"each (seed {self.seed})", ""]
        if h["n"]:
            lines += [f"  Operation hits: {h['n']} forecasts, mean forecast {pct(h['mean_forecast'])}, "
                      f"observed {pct(h['observed_rate'])}",
                      f"  Brier score {h['brier']:.4f} (base rate {h['brier_reference']:.4f}, "
                      f"skill {_f(h['brier_skill'], '.3f')})",
                      f"  Spiegelhalter z {_f(h['spiegelhalter_z'])} (p {_f(h['spiegelhalter_p'], '.3f')}); "
                      f"clustered by plan z {_f(h['z_clustered'])} (p {_f(h['p_clustered'], '.3f')})",
                      f"  Reliability bins within their 95% interval: {h['bins_within']} of "
                      f"{len(h['bins'])}", ""]
            lines += table(["forecast bin", "n", "forecast", "observed", "95% interval"],
                           [[f"{b['low']:.1f}-{b['high']:.1f}", b["n"], pct(b["forecast"]),
                             pct(b["observed"]), f"[{pct(b['observed_low'])} - {pct(b['observed_high'])}]"]
                            for b in h["bins"]])
        lines += ["", "  Coverage of the P10-P90 predictive intervals (nominal 80%)"]
        lines += table(["figure", "covered", "of", "rate"],
                       [[name, c["covered"], c["n"], pct(c["rate"])] for name, c in self.coverage.items()
                        if c["n"]])
        if self.bands:
            lines += ["", "  Bands (means over the versions in effect over their whole horizon)"]
            lines += table(["band", "forecast", "realized", "versions"],
                           [[b["band"], pct(b["forecast"]), pct(b["realized"]), b["versions"]]
                            for b in self.bands])
        lines += warning_lines(self.warnings)
        return "\n".join(lines)


def _f(x: float | None, spec: str = "+.2f") -> str:
    return "-" if x is None else format(x, spec)


def backtest(plans: list[Plan], actuals: Actuals, premises: list[Premises], *, replications: int = 2000,
             seed: int = 0, engine: str = "kernel") -> BacktestResult:
    """Forecast each plan version with the premises of its time and compare with what happened
    (module docstring).

    Parameters
    ----------
    plans
        The past plan versions.
    actuals
        What was produced, validated against ``plans``.
    premises
        One premises for all versions, or one per version in the order of ``plans``.
    replications, seed, engine
        Of each version's forecast (:func:`riskengine.analysis.score.score`).

    Returns
    -------
    BacktestResult
        Brier score and reliability of the operation hit probabilities,
        coverage of the P10-P90 intervals, forecast versus realized per band
        (``riskengine.backtest/1`` as ``to_dict()``; pandas: ``to_frames()``).

    Examples
    --------
    >>> import riskengine as rk
    >>> weeks = [rk.read_plan(f"scenarios/calibration-weeks/plans/week-0{k}.json") for k in (1, 2)]
    >>> history = rk.PlanHistory(weeks)
    >>> import pandas as pd  # the actuals of the first two of eight weeks
    >>> rows = pd.read_csv("scenarios/calibration-weeks/actuals.csv")
    >>> actuals = rk.actuals_from_frame(rows[rows["operation"].str[:3].isin(["W01", "W02"])], history)
    >>> truth = rk.read_premises("scenarios/calibration-weeks/premises-true.toml")
    >>> result = rk.backtest(weeks, actuals, [truth], replications=100)
    >>> result.hits["n"], [p["id"] for p in result.plans]
    (228, ['week-01', 'week-02'])
    """
    if len(premises) not in (1, len(plans)):
        raise InputError(Problem("premises", f"give one premises file or one per plan ({len(plans)}), "
                                 f"got {len(premises)}"))
    per_plan = {p.id: premises[0] if len(premises) == 1 else premises[k] for k, p in enumerate(plans)}
    history = PlanHistory(list(plans))
    measured: dict[str, dict] = {}  # the measurement by the rules it used (as JSON)
    pairs: list[tuple[str, str, float, bool]] = []
    plan_rows: list[dict[str, Any]] = []
    bands: dict[str, dict[str, Any]] = {}
    cover = {f"bucket.{n}": [0, 0] for n in ("bts", "btp")}
    cover |= {f"plan.{n}": [0, 0] for n in FIGURES}
    for plan in history.versions:
        prem = restrict(per_plan[plan.id], plan)
        rules = prem.rules()
        key = rules.model_dump_json()
        if key not in measured:
            measured[key] = measure(history, actuals, rules).to_dict()
        real = measured[key]
        fc = score(plan, prem, replications=replications, seed=seed, engine=engine)
        hit = {o["id"]: o["hit"] for o in real["operations"] if o["plan"] == plan.id}
        n_ops = 0
        for o in fc.operations:
            if o["id"] in hit and (forecast := o["hit"]) is not None and forecast["mean"] is not None:
                pairs.append((plan.id, o["id"], float(forecast["mean"]), bool(hit[o["id"]])))
                n_ops += 1
        mine = [b for b in real["buckets"] if b["plan"] == plan.id]
        starts = {datetime.fromisoformat(b["start"]): b for b in mine}
        for b in fc.buckets:
            r = starts.get(datetime.fromisoformat(b["start"]))
            for name in ("bts", "btp"):
                inside = _inside(b[name], r[name]) if r else None
                if inside is not None:
                    cover[f"bucket.{name}"][0] += inside
                    cover[f"bucket.{name}"][1] += 1
        whole = len(mine) == len(fc.buckets)
        row: dict[str, Any] = {"id": plan.id, "operations": n_ops, "whole_horizon": whole,
                               "forecast_plan_holds": fc.plan_holds["mean"] if fc.plan_holds else None,
                               "rules": real["rules"]}
        if whole:
            units = rules.sequence_basis == "units"
            total = figures(_counts(mine), units)
            row["realized"] = {n: total[n] for n in FIGURES}
            row["forecast"] = {n: fc.adherence[n] for n in FIGURES}
            for n in FIGURES:
                inside = _inside(fc.adherence[n], total[n])
                if inside is not None:
                    cover[f"plan.{n}"][0] += inside
                    cover[f"plan.{n}"][1] += 1
            for band in fc.bands:
                members = [b for b in mine if b["band"] == band["band"]]
                realized = band_score(_counts(members), band["measures"], units) if members else None
                if band["score"] is not None and realized is not None:
                    acc = bands.setdefault(band["band"], {"forecast": [], "realized": [], "covered": 0})
                    acc["forecast"].append(band["score"]["mean"])
                    acc["realized"].append(realized)
                    acc["covered"] += bool(_inside(band["score"], realized))
        plan_rows.append(row)
    p = np.array([q for _, _, q, _ in pairs])
    y = np.array([float(h) for _, _, _, h in pairs])
    cluster = np.array([a for a, _, _, _ in pairs])
    coverage = {k: {"covered": int(c), "n": int(n), "rate": c / n if n else None}
                for k, (c, n) in cover.items()}
    for name, acc in bands.items():
        coverage[f"band.{name}"] = {"covered": acc["covered"], "n": len(acc["realized"]),
                                    "rate": acc["covered"] / len(acc["realized"])}
    band_rows = [{"band": name, "versions": len(acc["realized"]),
                  "forecast": float(np.mean(acc["forecast"])), "realized": float(np.mean(acc["realized"]))}
                 for name, acc in bands.items()]
    hits = hit_statistics(p, y, cluster)
    used = [row["rules"] for row in plan_rows]
    return BacktestResult(plans=plan_rows, hits=hits, coverage=coverage, bands=band_rows,
                          replications=replications, seed=seed, pairs=pairs, warnings=_warnings(hits),
                          rules=used[0] if all(r == used[0] for r in used) else None)


def _warnings(hits: dict) -> list[str]:
    """What makes the hit statistics uninformative."""
    if not hits["n"]:
        return ["no forecast operation was measured: the actuals cover none of the plans' operations"]
    if hits["observed_rate"] in (0.0, 1.0):
        every = "MISS" if hits["observed_rate"] == 0.0 else "HIT"
        return [f"every measured operation was a {every}: the Brier skill and Spiegelhalter's test are "
                "undefined; check the premises' execution rules (quantity_tolerance, "
                "lateness_tolerance_hours) against how the shop judges an operation"]
    return []
