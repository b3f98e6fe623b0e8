"""The calibration result and report (``riskengine.calibration/1``).

``estimates[]``: one row per estimated figure: ``parameter`` (a premises path,
e.g. ``resources.P1.breakdowns.mttr_hours``; ``materials.late`` for the pooled
lateness), ``quantity`` (``mean``, ``cv`` or ``probability``), ``estimate``,
``low``, ``high`` (95%), ``n`` (values or trials), ``n_censored``, ``method``
and ``fallback`` (null, or why a default was used). ``fits``: per fitted
parameter the candidate families with log-likelihood, AIC, mean, cv and
goodness of fit. ``fallbacks[]`` and ``warnings[]``: what had too little data.
``premises``: the calibrated premises document (point estimates only).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from riskengine.calibration.documents import CalibrationDocument
from riskengine.calibration.fitting import Sample
from riskengine.model.distributions import nominal
from riskengine.model.premises import Premises
from riskengine.report.terminal import prose, table

CALIBRATION_FORMAT = "riskengine.calibration/1"


@dataclass
class CalibrationResult:
    premises: Premises
    document: dict
    estimates: list[dict]
    fits: dict[str, dict]
    samples: dict[str, Sample] = field(repr=False)
    fallbacks: list[dict]
    warnings: list[str]
    plans: list[str]

    def to_dict(self) -> dict:
        return CalibrationDocument.checked(
            {"format": CALIBRATION_FORMAT, "plans": self.plans, "estimates": self.estimates,
             "fits": self.fits, "fallbacks": self.fallbacks, "warnings": self.warnings,
             "premises": self.document})

    def to_frames(self) -> dict:
        """This result as tidy pandas DataFrames (extra ``pandas``; :mod:`riskengine.interop.results`)."""
        from riskengine.interop.results import to_frames

        return to_frames(self)

    def estimate(self, parameter: str, quantity: str) -> dict | None:
        return next((e for e in self.estimates
                     if e["parameter"] == parameter and e["quantity"] == quantity), None)

    def premises_toml(self) -> str:
        from riskengine.io.toml_writer import to_toml

        return to_toml(self.document, "Premises calibrated by `riskengine calibrate` from plans "
                       f"{', '.join(self.plans)}.\nIntervals, sample sizes and fit diagnostics: "
                       "the calibration report (riskengine.calibration/1).")

    def __str__(self) -> str:
        lines = [f"Calibration from {len(self.plans)} plan version(s)", ""]
        lines += table(["parameter", "", "estimate", "95% interval", "n"],
                       [[e["parameter"], e["quantity"], _num(e["estimate"]),
                         f"[{_num(e['low'])} - {_num(e['high'])}]",
                         f"{e['n']}{' *' if e['fallback'] else ''}"] for e in self.estimates],
                       align="llrrr", indent=2)
        if self.fallbacks:
            lines += ["", "  * fallbacks:"]
            lines += [line for f in self.fallbacks
                      for line in prose(f"{f['parameter']}: {f['reason']}; {f['used']}", 4)]
        if self.warnings:
            lines += ["", "  Warnings:"] + [line for w in self.warnings for line in prose(w, 4)]
        return "\n".join(lines)


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.4g}"


def true_values(premises: Premises, resources: list[str]) -> dict[tuple[str, str], float]:
    """The figures of a known premises document named as the calibration's estimates
    (mean and cv of distributions, probabilities): what calibration should recover."""
    out: dict[tuple[str, str], float] = {}

    def dist(parameter: str, d, cv: bool = True) -> None:
        if d is None:
            return
        m = d.mean()
        out[(parameter, "mean")] = m
        if cv and d.dist != "exponential":
            out[(parameter, "cv")] = math.sqrt(d.variance()) / m

    for r in resources:
        rp = premises.for_resource(r)
        if rp.breakdowns:
            dist(f"resources.{r}.breakdowns.mtbf_hours", rp.breakdowns.mtbf_hours)
            dist(f"resources.{r}.breakdowns.mttr_hours", rp.breakdowns.mttr_hours)
        out[(f"resources.{r}.absenteeism", "probability")] = \
            nominal(rp.absenteeism.probability) if rp.absenteeism else 0.0
    d = premises.defaults
    dist("defaults.performance", d.performance)
    dist("defaults.setup_overrun", d.setup_overrun)
    out[("defaults.scrap_rate", "probability")] = nominal(d.scrap_rate or 0.0)
    lates = [m.late for m in premises.materials.values() if m.late is not None]
    if lates:
        out[("materials.late", "probability")] = nominal(lates[0].probability)
        dist("materials.late.delay_hours", lates[0].delay_hours)
    dev = premises.operator.deviation
    out[("operator.deviation", "probability")] = nominal(dev.probability) if dev else 0.0
    return out
