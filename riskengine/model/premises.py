"""The variability model (``riskengine.premises/1``): what can go wrong on the shop floor.

Sections (all optional; an absent section means "no such disruption"):

- ``reliability``: the source article's per-operation factor model. Each
  factor fails independently per operation with probability 1 - r; the
  operation is then a MISS with that cause (``execution.reliability_consequence``
  ``"miss"``), or is delayed by ``reliability_delay_hours`` (``"delay"``).
  Keys are causes of the taxonomy; ``machine`` stands for breakdown and
  ``operator`` for absenteeism.
- ``defaults`` and ``resources.<id>``: breakdowns (``mtbf_hours``,
  ``mttr_hours``: a number is the mean of an exponential, or a distribution),
  absenteeism per shift, performance factor, scrap rate and setup overrun
  factor; a resource's values override the defaults field by field.
- ``materials.<id>``: ``late`` and ``rejected`` lots, each with a probability
  and a delay distribution in hours.
- ``operator.deviation``: the probability that the operator takes another
  operation from the next ``window`` ones (``same_family`` or ``easiest_first``).
- ``execution``: early start, the reaction to a blocked operation
  (``wait`` / ``next_ready``), tolerances and sequence basis.
- ``bands``: horizon bands (as in :mod:`riskengine.model.rules`).
- ``plugins.<name>``: options of a plugin of the ``riskengine.plugins`` entry
  points group that rewrites the premises or compiled parameters before a run
  (:mod:`riskengine.plugins`); plugins act only when named here.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator

from riskengine.errors import InputError, Problem, from_pydantic
from riskengine.model.common import CAUSES, Id, NonNegative, PositiveQuantity, Probability, Strict
from riskengine.model.distributions import Distribution, as_distribution
from riskengine.model.plan import Plan
from riskengine.model.rules import DEFAULT_BANDS, AdherenceRules, Band, check_bands

PREMISES_FORMAT = "riskengine.premises/1"
Duration = Annotated[float, Field(gt=0, allow_inf_nan=False)] | Distribution
FACTOR_ALIASES = {"machine": "breakdown", "operator": "absenteeism"}


class Breakdowns(Strict):
    """Failures arrive over processing time; a repair renews the machine (a new time to
    failure is drawn after each repair); repairs take clock time."""

    mtbf_hours: Duration
    mttr_hours: Duration

    @field_validator("mtbf_hours", "mttr_hours")
    @classmethod
    def _number_is_exponential(cls, v):
        return as_distribution(v)


class Absenteeism(Strict):
    """Per resource and shift: with ``probability`` the crew is missing for the whole shift;
    ``stop`` halts the resource, ``slow`` runs it at ``speed``."""

    probability: Probability
    effect: Literal["stop", "slow"] = "stop"
    speed: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 0.5
    shift_hours: PositiveQuantity | None = None


class ResourcePremises(Strict):
    breakdowns: Breakdowns | None = None
    absenteeism: Absenteeism | None = None
    performance: Distribution | None = None
    scrap_rate: Probability | None = None
    setup_overrun: Distribution | None = None


class LotRisk(Strict):
    probability: Probability
    delay_hours: Duration

    @field_validator("delay_hours")
    @classmethod
    def _number_is_exponential(cls, v):
        return as_distribution(v)


class MaterialPremises(Strict):
    late: LotRisk | None = None
    rejected: LotRisk | None = None


class Deviation(Strict):
    probability: Probability
    window: Annotated[int, Field(ge=2, le=50)] = 3
    rule: Literal["same_family", "easiest_first"] = "same_family"


class OperatorPremises(Strict):
    deviation: Deviation | None = None


class Execution(Strict):
    early_start: bool = False
    on_blocked: Literal["wait", "next_ready"] = "wait"
    resequence_window: Annotated[int, Field(ge=2, le=50)] = 3
    lateness_tolerance_hours: NonNegative = 0.0
    quantity_tolerance: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 1.0
    sequence_basis: Literal["orders", "units"] = "orders"
    reliability_consequence: Literal["miss", "delay"] = "miss"
    reliability_delay_hours: Duration | None = None

    @field_validator("reliability_delay_hours")
    @classmethod
    def _number_is_exponential(cls, v):
        return None if v is None else as_distribution(v)


class Premises(Strict):
    format: Literal["riskengine.premises/1"]
    reliability: dict[str, Probability] = Field(default_factory=dict)
    defaults: ResourcePremises = Field(default_factory=ResourcePremises)
    resources: dict[str, ResourcePremises] = Field(default_factory=dict)
    materials: dict[str, MaterialPremises] = Field(default_factory=dict)
    operator: OperatorPremises = Field(default_factory=OperatorPremises)
    execution: Execution = Field(default_factory=Execution)
    bands: list[Band] = Field(default_factory=lambda: [b.model_copy() for b in DEFAULT_BANDS],
                              min_length=1)
    #: Plugin name -> its options (validated by the plugin itself, riskengine/plugins.py).
    plugins: dict[Id, dict[str, Any]] = Field(default_factory=dict)

    @field_validator("reliability")
    @classmethod
    def _known_factors(cls, v: dict[str, float]) -> dict[str, float]:
        out = {}
        for name, r in v.items():
            cause = FACTOR_ALIASES.get(name, name)
            if cause not in CAUSES or cause in ("knock-on", "unknown"):
                raise ValueError(f"unknown factor {name!r}; use a cause of the taxonomy "
                                 f"({', '.join(CAUSES[:9])}) or machine/operator")
            out[cause] = out.get(cause, 1.0) * r
        return out

    @field_validator("bands")
    @classmethod
    def _bands(cls, v: list[Band]) -> list[Band]:
        return check_bands(v)

    def for_resource(self, resource_id: str) -> ResourcePremises:
        """The defaults overridden field by field by the resource's own section."""
        own = self.resources.get(resource_id)
        if own is None:
            return self.defaults
        given = {k: getattr(own, k) for k in type(own).model_fields if getattr(own, k) is not None}
        return self.defaults.model_copy(update=given)

    def rules(self) -> AdherenceRules:
        """The adherence rules (bands and tolerances) this premises file sets."""
        e = self.execution
        return AdherenceRules(bands=self.bands, lateness_tolerance_hours=e.lateness_tolerance_hours,
                              quantity_tolerance=e.quantity_tolerance, sequence_basis=e.sequence_basis)


def parse_premises(data: object, source: str | None = None) -> Premises:
    """Validate a premises document (already parsed JSON or TOML)."""
    if not isinstance(data, dict):
        raise InputError(Problem("", "premises must be an object (JSON or TOML table)"), source)
    try:
        return Premises.model_validate(data)
    except ValidationError as exc:
        raise from_pydantic(exc, source) from None


def check_premises_against(premises: Premises, plan: Plan, source: str | None = None) -> None:
    """Resources named in the premises must exist in the plan (a misspelt line id is an error).

    Materials are not checked: a plant's premises (calibrated from history,
    say) name every material it buys, and this week's plan uses only some;
    the entries of the others simply do not apply.
    """
    problems = []
    resources = {r.id for r in plan.resources}
    for rid in premises.resources:
        if rid not in resources:
            problems.append(Problem(f"resources.{rid}", f"unknown resource {rid!r} (not in plan "
                                    f"{plan.id})"))
    if premises.execution.reliability_consequence == "delay" and premises.reliability and \
            premises.execution.reliability_delay_hours is None:
        problems.append(Problem("execution.reliability_delay_hours",
                                "required when reliability_consequence is 'delay'"))
    if problems:
        raise InputError(problems, source)
