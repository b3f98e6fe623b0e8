"""Figures of calibration and back-test (matplotlib; each takes ``ax=None`` and returns the axes).

- :func:`fit_cdf`: the empirical distribution of a calibrated quantity (the
  Kaplan-Meier estimate, ``scipy.stats.ecdf`` of ``CensoredData``, when values
  are censored) against the fitted CDF of every candidate family, the chosen
  one drawn bold.
- :func:`recovery`: estimates and their 95% intervals divided by known true
  values (a scenario simulated from known premises): 1 is the truth.
- :func:`reliability`: the back-test's reliability diagram, observed frequency
  of hits against the forecast probability per bin, with Wilson intervals.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from riskengine.calibration.fitting import frozen
from riskengine.calibration.result import CalibrationResult
from riskengine.report.axes import new_axes, percent_axis


def fit_cdf(result: CalibrationResult, parameter: str, ax: Axes | None = None) -> Axes:
    """Empirical (or Kaplan-Meier) CDF of ``parameter``'s sample versus the fitted families."""
    ax = new_axes(ax, (6.0, 4.0))
    sample = result.samples[parameter]
    ecdf = __import__("scipy.stats", fromlist=["ecdf"]).ecdf(sample.censored_data()).cdf
    label = "Kaplan-Meier" if sample.censored.size else "empirical"
    ax.step(ecdf.quantiles, ecdf.probabilities, where="post", color="black", lw=1.2,
            label=f"{label} (n = {sample.n}, {sample.censored.size} censored)")
    top = float(max(sample.observed.max(initial=0), sample.censored.max(initial=0)))
    x = np.linspace(0, top * 1.05, 300)
    fits = result.fits.get(parameter, {}).get("candidates", [])
    for k, f in enumerate(fits):
        theta = _theta(f)
        ax.plot(x, frozen(f["family"], theta).cdf(x), lw=2.2 if k == 0 else 1.0,
                alpha=1.0 if k == 0 else 0.6,
                label=f"{f['family']} (AIC {f['aic']:.1f})" + (" chosen" if k == 0 else ""))
    ax.set_xlabel(parameter.split(".")[-1])
    ax.set_ylabel("cumulative probability")
    ax.set_ylim(0, 1.02)
    ax.set_title(parameter, fontsize="medium")
    ax.legend(fontsize="small", frameon=False, loc="lower right")
    return ax


def _theta(fit: dict) -> np.ndarray:
    """Log-parameters of a fit from its premises form (see :func:`fitting.frozen`)."""
    d = fit["distribution"]
    if fit["family"] == "exponential":
        return np.array([np.log(d["mean"])])
    if fit["family"] == "weibull":
        return np.array([np.log(d["shape"]), np.log(d["scale"])])
    m, cv = d["mean"], d["cv"]
    if fit["family"] == "lognormal":
        s2 = np.log1p(cv * cv)
        return np.array([0.5 * np.log(s2), np.log(m) - s2 / 2])
    return np.array([np.log(1 / cv**2), np.log(m * cv**2)])  # gamma


def recovery(result: CalibrationResult, truth: dict[tuple[str, str], float],
             ax: Axes | None = None) -> Axes:
    """Each estimate and its 95% interval divided by the true value (true values of 0 are
    shown as differences instead: estimate - 0)."""
    rows = [(k, e, v) for k, v in truth.items() if (e := result.estimate(*k))]
    ax = new_axes(ax, (7.0, 0.32 * len(rows) + 1.2))
    for j, (_, e, v) in enumerate(rows):
        scale = v if v else 1.0
        low = e["low"] if e["low"] is not None else e["estimate"] or 0.0
        high = e["high"] if e["high"] is not None else low
        mid = e["estimate"] if e["estimate"] is not None else low
        ok = low <= v <= high
        ax.plot([low / scale, high / scale], [j, j], color="#4c72b0" if ok else "#c44e52", lw=2)
        ax.plot(mid / scale, j, "o", color="black", ms=4)
    ax.axvline(1.0, color="grey", lw=0.8, ls="--")
    ax.set_yticks(range(len(rows)), [f"{p} {q}" for (p, q), _, _ in rows], fontsize="x-small")
    ax.invert_yaxis()
    ax.set_xlabel("estimate / true value (95% interval; red: misses the truth)")
    ax.set_title("Calibrated versus true premises", fontsize="medium")
    return ax


def reliability(backtest, ax: Axes | None = None) -> Axes:
    """Reliability diagram of a back-test (its result or ``to_dict()``)."""
    hits = backtest["hits"] if isinstance(backtest, dict) else backtest.hits
    ax = new_axes(ax, (5.0, 5.0))
    ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--", label="perfect calibration")
    bins = hits.get("bins", [])
    if bins:
        f = np.array([b["forecast"] for b in bins])
        o = np.array([b["observed"] for b in bins])
        err = np.array([[b["observed"] - b["observed_low"], b["observed_high"] - b["observed"]]
                        for b in bins]).T
        ax.errorbar(f, o, yerr=err, fmt="o", color="#8172b3", capsize=3,
                    label="observed hit rate (Wilson 95%)")
        for b in bins:
            ax.annotate(str(b["n"]), (b["forecast"], b["observed"]), textcoords="offset points",
                        xytext=(5, -10), fontsize="x-small", color="grey")
    percent_axis(ax, "x")
    percent_axis(ax, "y")
    ax.set_xlabel("forecast probability of a hit")
    ax.set_ylabel("observed frequency")
    brier = hits.get("brier")
    ax.set_title("Reliability of operation hit forecasts" +
                 (f"\nBrier {brier:.3f}, Spiegelhalter z {hits['spiegelhalter_z']:+.2f}" if brier else ""),
                 fontsize="medium")
    ax.legend(loc="upper left", fontsize="small", frameon=False)
    return ax
