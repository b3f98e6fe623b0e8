"""Starter premises for a plan (``riskengine init PLAN --out premises.toml``).

A commented TOML file with every section of ``riskengine.premises/1``, moderate
defaults, one section per resource and per material the plan uses, and above
every key the description of its field (from the premises model itself: the
same text as the JSON Schema's), so a new user edits numbers instead of
writing premises from the schema. The defaults are a shop of ordinary
reliability, not a calibration: a line fails every 80 busy hours and is
repaired in 1.5 h, 1% of shifts miss their crew, 2% of material lots are late
by 4 h on average, 1% of units are scrapped (so a HIT tolerates 2% short),
operation speed varies by 5% around the planned one and setups take 10% longer. The
text is checked before it is returned: it parses, validates and fits the plan
(:func:`starter_premises`), which the tests confirm on every bundled plan.
"""

from __future__ import annotations

import tomllib

from pydantic import BaseModel

from riskengine.io.toml_writer import _key, _scalar
from riskengine.model import premises as pm
from riskengine.model.describe import field_description
from riskengine.model.plan import Plan
from riskengine.model.premises import check_premises_against, parse_premises, plan_materials
from riskengine.model.rules import Band

LOGNORMAL = "lognormal"
#: The moderate defaults (field values of the sections below).
DEFAULTS = {
    "performance": {"dist": LOGNORMAL, "mean": 1.0, "cv": 0.05},
    "scrap_rate": 0.01,
    "setup_overrun": {"dist": LOGNORMAL, "mean": 1.1, "cv": 0.3},
}
BREAKDOWNS = {"mtbf_hours": 80.0, "mttr_hours": {"dist": LOGNORMAL, "mean": 1.5, "cv": 0.5}}
ABSENTEEISM = {"probability": 0.01, "effect": "stop", "speed": 0.5}
LATE = {"probability": 0.02, "delay_hours": 4.0}  # a bare duration: the mean of an exponential
REJECTED = {"probability": 0.005, "delay_hours": 12.0}
DEVIATION = {"probability": 0.05, "window": 3, "rule": "same_family"}
EXECUTION = {"early_start": False, "on_blocked": "wait", "resequence_window": 3,
             "lateness_tolerance_hours": 0.0, "quantity_tolerance": 0.98, "sequence_basis": "orders",
             "reliability_consequence": "miss"}


def _comment(text: str, out: list[str]) -> None:
    """``text`` as comment lines of at most about 100 columns."""
    import textwrap

    out += ["# " + line for line in textwrap.wrap(" ".join(text.split()), 98, break_on_hyphens=False)]


def _described(model: type[BaseModel], fields: dict, out: list[str]) -> None:
    """Each field as ``key = value`` under the comment of its description."""
    for name, value in fields.items():
        _comment(field_description(model, name), out)
        out.append(f"{_key(model.model_fields[name].alias or name)} = {_scalar(value)}")


def _table(header: str, model: type[BaseModel] | None, fields: dict, out: list[str], intro: str = "") -> None:
    out.append("")
    if intro:
        _comment(intro, out)
    out.append(f"[{header}]")
    if model is not None:
        _described(model, fields, out)


def _doc(model: type[BaseModel], field: str) -> str:
    return field_description(model, field)


def starter_premises(plan: Plan) -> str:
    """The commented starter premises of ``plan`` (module docstring), validated against it."""
    out: list[str] = []
    _comment(f"Starter premises for plan {plan.id}, written by `riskengine init`: moderate defaults "
             "for its resources and materials, to be replaced by your shop's figures (or by "
             "`riskengine calibrate` from history). Every key says its unit and meaning. Delete a "
             "section to mean 'no such disruption'. Durations are hours; a bare number for a duration is "
             "the mean of an exponential distribution; a distribution is {dist = NAME, ...}: fixed "
             "(value), exponential (mean), lognormal and gamma (mean, cv), weibull (shape, scale), "
             "normal (mean, sd), uniform (low, high), triangular and pert (low, mode, high), empirical "
             "(values). Any number may also be {uncertain = DIST} when it is not known.", out)
    _comment("Try it: riskengine score PLAN --premises THIS_FILE. Reference: riskengine schema premises.",
             out)
    out.append('format = "riskengine.premises/1"')
    _table("reliability", None, {}, out, _doc(pm.Premises, "reliability")
           + " None by default (breakdowns, absenteeism, ... below model those causes); e.g. "
             "quality = 0.99")
    _table("defaults", pm.ResourcePremises, DEFAULTS, out, _doc(pm.Premises, "defaults"))
    _table("defaults.breakdowns", pm.Breakdowns, BREAKDOWNS, out, _doc(pm.ResourcePremises, "breakdowns"))
    _table("defaults.absenteeism", pm.Absenteeism, ABSENTEEISM, out, _doc(pm.ResourcePremises, "absenteeism")
           + " shift_hours (default: the plan's bucket) may be given too.")
    for r in plan.resources:
        out.append("")
        _comment(f"Resource {r.id}{f' ({r.name})' if r.name else ''}: its own disruptions, overriding "
                 "[defaults] key by key; empty: the defaults. A less reliable line, say:", out)
        out += ["# breakdowns = { mtbf_hours = 40.0, mttr_hours = 2.0 }", f"[resources.{_key(r.id)}]"]
    _materials(plan, out)
    _table("operator.deviation", pm.Deviation, DEVIATION, out, _doc(pm.OperatorPremises, "deviation"))
    _table("execution", pm.Execution, EXECUTION, out, _doc(pm.Premises, "execution")
           + " reliability_delay_hours is needed only with reliability_consequence = 'delay'.")
    out.append("")
    _comment(_doc(pm.Premises, "bands"), out)
    for band in pm.DEFAULT_BANDS:
        out.append("[[bands]]")
        fields = {"until_hours": band.until_hours, "measures": list(band.measures)}
        _described(Band, {k: v for k, v in fields.items() if v is not None}, out)
    _table("drivers", None, {}, out, _doc(pm.Premises, "drivers") + " None by default; e.g. "
           "[drivers.supplier-x] probability = 0.05, materials = [...], delay_hours = 24.0 "
           "(or kind = 'absenteeism' with resources = [...]).")
    _table("plugins", None, {}, out, _doc(pm.Premises, "plugins") + " None by default.")
    _table("uncertainty", pm.Uncertainty, {"replications_per_draw": 5}, out, _doc(pm.Premises, "uncertainty"))
    text = "\n".join(out) + "\n"
    check_premises_against(parse_premises(tomllib.loads(text), "starter premises"), plan, "starter premises")
    return text


def _materials(plan: Plan, out: list[str]) -> None:
    """One table per material the plan uses, its two lot risks as inline tables."""
    materials = sorted(plan_materials(plan) | {m.id for m in plan.materials or []})
    intro = _doc(pm.Premises, "materials")
    if not materials:
        _table("materials", None, {}, out, intro + f" Plan {plan.id} uses no material.")
        return
    out.append("")
    _comment(intro, out)
    _comment("late: " + _doc(pm.MaterialPremises, "late") + " rejected: "
             + _doc(pm.MaterialPremises, "rejected") + " probability: " + _doc(pm.LotRisk, "probability")
             + " delay_hours: " + _doc(pm.LotRisk, "delay_hours"), out)
    for mid in materials:
        out += [f"[materials.{_key(mid)}]",
                f"late = {_scalar(LATE)}      # P(lot late), mean hours late",
                f"rejected = {_scalar(REJECTED)}  # P(lot rejected), mean hours to its replacement"]
