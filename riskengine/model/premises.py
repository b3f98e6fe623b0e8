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
- ``drivers.<id>``: shared drivers (common shocks) that hit several entities in
  the same replication (:class:`MaterialDriver`).
- ``uncertainty``: how the engine samples uncertain parameters (any number
  above may be written ``{"uncertain": DIST}``: see
  :mod:`riskengine.model.distributions`).
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from riskengine.errors import InputError, Problem, validate_document
from riskengine.model.common import (
    CAUSES,
    MAX_BUCKETS,
    Id,
    NonNegative,
    PositiveQuantity,
    Probability,
    Strict,
)
from riskengine.model.distributions import (
    TAIL,
    Distribution,
    Uncertain,
    UPositive,
    UProbability,
    as_distribution,
    number_or_uncertain,
    quantile,
)
from riskengine.model.plan import Plan
from riskengine.model.rules import DEFAULT_BANDS, AdherenceRules, Band, check_bands

PREMISES_FORMAT = "riskengine.premises/1"
#: A duration: a number (the mean of an exponential), an uncertain number (an exponential whose
#: mean is uncertain) or a distribution.
_Hours = Annotated[float, Field(gt=0, allow_inf_nan=False)]
_DurationInput = number_or_uncertain(_Hours, UPositive, Distribution)
Duration = Annotated[_DurationInput, AfterValidator(as_distribution)]
#: A probability, certain or uncertain.
MaybeProbability = number_or_uncertain(Probability, UProbability)
FACTOR_ALIASES = {"machine": "breakdown", "operator": "absenteeism"}


#: Least mean time between failures, in hours of processing (36 s): a machine failing more
#: often never gets its work done, and each failure is a step of the simulation.
MIN_MTBF_HOURS = 0.01
#: The parameters that scale a distribution's mean (those an uncertain MTBF may hide in).
_SCALE_FIELDS = ("mean_", "value", "scale")


def lowest_mean(dist: object) -> tuple[float, str]:
    """The distribution's mean with its uncertain parameters at their means, and with each
    uncertain parameter that scales the mean at its TAIL quantile instead; the least of
    these and what gave it."""
    low, why = dist.mean(), ""
    for name in _SCALE_FIELDS:
        u = getattr(dist, name, None)
        if isinstance(u, Uncertain):
            q = quantile(u.uncertain, TAIL)
            mean = dist.model_copy(update={name: q}).mean() if q == q else -math.inf
            if not mean >= low:
                low, why = mean, f" with its uncertain {name.rstrip('_')} at its {TAIL:.1%} quantile ({q:g})"
    return low, why


class Breakdowns(Strict):
    """Failures arrive over processing time; a repair renews the machine (a new time to
    failure is drawn after each repair); repairs take clock time.

    The mean time between failures must be at least MIN_MTBF_HOURS, also for the uncertain
    mean's lowest 0.1% of draws (:func:`lowest_mean`): an MTBF of 0 (``fixed`` 0, or an
    uncertain one concentrated at 0) would fail forever without processing anything.
    """

    mtbf_hours: Duration
    mttr_hours: Duration

    @field_validator("mtbf_hours")
    @classmethod
    def _fails_after_some_work(cls, dist: object) -> object:
        low, why = lowest_mean(dist)
        if not low >= MIN_MTBF_HOURS:
            raise ValueError(f"the mean time between failures must be at least {MIN_MTBF_HOURS:g} h "
                             f"(36 s) of processing; it is {low:g} h{why}")
        return dist



#: The speed of a short-handed crew (effect slow): at least 1% of standard (a slower crew is
#: absent, effect stop; at 1e-12 one hour of work would take 10^12 hours of shifts).
CrewSpeed = Annotated[float, Field(ge=0.01, le=1, allow_inf_nan=False)]


class Absenteeism(Strict):
    """Per resource and shift: with ``probability`` the crew is missing for the whole shift;
    ``stop`` halts the resource, ``slow`` runs it at ``speed``."""

    probability: MaybeProbability
    effect: Literal["stop", "slow"] = "stop"
    speed: CrewSpeed = 0.5
    shift_hours: PositiveQuantity | None = None


class ResourcePremises(Strict):
    breakdowns: Breakdowns | None = None
    absenteeism: Absenteeism | None = None
    performance: Distribution | None = None
    scrap_rate: MaybeProbability | None = None
    setup_overrun: Distribution | None = None


class LotRisk(Strict):
    probability: MaybeProbability
    delay_hours: Duration



class MaterialPremises(Strict):
    late: LotRisk | None = None
    rejected: LotRisk | None = None


class Deviation(Strict):
    probability: MaybeProbability
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



class MaterialDriver(Strict):
    """A supplier (or any common cause) whose lateness hits several materials at once.

    Per replication the shock occurs with ``probability`` (uniform 0 of the
    driver's key in stream ``STREAM_DRIVER``); when it occurs one delay is
    drawn from ``delay_hours`` (variate 1) and *added* to the arrival of every
    listed material's lot, on top of the lot's own late and rejected delays
    (which still apply, independently). A material listed by several drivers
    adds each occurring driver's delay. The shock is identified by the
    driver's id, so two plans scored with the same seed see the same shocks.
    """

    kind: Literal["material"] = "material"
    probability: MaybeProbability
    materials: list[Id] = Field(min_length=1, max_length=100_000)
    delay_hours: Duration



class AbsenceDriver(Strict):
    """A plant-wide absenteeism (flu wave, transport strike) that hits several crews at once.

    In each shift (windows of ``shift_hours`` from the horizon start, default
    the plan's bucket) the shock occurs with ``probability`` (uniform s of
    the driver's key in stream ``STREAM_DRIVER`` for shift s, one uniform for
    all its resources); every listed resource's crew is then absent for the
    shift with the driver's ``effect`` (``stop``, or ``slow`` at ``speed``), on
    top of the resource's own absenteeism (absent when either occurs). A
    resource's own absenteeism, if any, must have the same effect, speed and
    shift length, and a resource belongs to at most one absenteeism driver.
    """

    kind: Literal["absenteeism"]
    probability: MaybeProbability
    resources: list[Id] = Field(min_length=1, max_length=100_000)
    effect: Literal["stop", "slow"] = "stop"
    speed: CrewSpeed = 0.5
    shift_hours: PositiveQuantity | None = None


def _driver_kind(value: object) -> str:
    """The kind of a driver (``material`` when not given or unknown: its error then says so);
    tags in angle brackets stay out of error locations."""
    kind = value.get("kind", "material") if isinstance(value, dict) else getattr(value, "kind", "material")
    return "<absenteeism>" if kind == "absenteeism" else "<material>"


Driver = Annotated[Annotated[MaterialDriver, Tag("<material>")]
                   | Annotated[AbsenceDriver, Tag("<absenteeism>")], Discriminator(_driver_kind)]


class Uncertainty(Strict):
    """The nested sampling of uncertain parameters (:mod:`riskengine.simulation.parameters`):
    replications ``k M .. k M + M - 1`` share parameter draw k, M = ``replications_per_draw``."""

    replications_per_draw: Annotated[int, Field(ge=1, le=100_000)] = 5


class Premises(Strict):
    format: Literal["riskengine.premises/1"]
    reliability: dict[str, MaybeProbability] = Field(default_factory=dict)
    defaults: ResourcePremises = Field(default_factory=ResourcePremises)
    resources: dict[str, ResourcePremises] = Field(default_factory=dict)
    materials: dict[str, MaterialPremises] = Field(default_factory=dict)
    operator: OperatorPremises = Field(default_factory=OperatorPremises)
    execution: Execution = Field(default_factory=Execution)
    bands: list[Band] = Field(default_factory=lambda: [b.model_copy() for b in DEFAULT_BANDS],
                              min_length=1)
    #: Plugin name -> its options (validated by the plugin itself, riskengine/plugins.py).
    plugins: dict[Id, dict[str, Any]] = Field(default_factory=dict)
    drivers: dict[Annotated[str, Field(min_length=1, max_length=200)], Driver] = Field(default_factory=dict)
    uncertainty: Uncertainty = Field(default_factory=Uncertainty)

    @field_validator("reliability")
    @classmethod
    def _known_factors(cls, v: dict[str, float | Uncertain]) -> dict[str, float | Uncertain]:
        out = {}
        for name, r in v.items():
            cause = FACTOR_ALIASES.get(name, name)
            if cause not in CAUSES or cause in ("knock-on", "unknown"):
                raise ValueError(f"unknown factor {name!r}; use a cause of the taxonomy "
                                 f"({', '.join(CAUSES[:9])}) or machine/operator")
            if cause in out and (isinstance(r, Uncertain) or isinstance(out[cause], Uncertain)):
                raise ValueError(f"factor {name!r} is given twice (as {cause!r} and an alias); an "
                                 "uncertain factor must be given once")
            out[cause] = r if cause not in out else out[cause] * r
        return out

    @model_validator(mode="after")
    def _name_uncertain(self) -> Premises:
        """Stamp every uncertain number with its place in the document (its identity)."""
        _stamp(self, "")
        return self

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


def _stamp(node: object, path: str) -> None:
    if isinstance(node, Uncertain):
        node._path = path
        return
    if isinstance(node, dict):
        for k, v in node.items():
            _stamp(v, f"{path}.{k}" if path else str(k))
    elif isinstance(node, list):
        for k, v in enumerate(node):
            _stamp(v, f"{path}[{k}]")
    elif isinstance(node, Strict):
        for name, info in type(node).model_fields.items():
            key = info.alias or name
            _stamp(getattr(node, name), f"{path}.{key}" if path else key)


def uncertain_numbers(node: object) -> list[Uncertain]:
    """Every uncertain number in a premises document (or part of one), in document order."""
    if isinstance(node, Uncertain):
        return [node]
    if isinstance(node, dict):
        return [u for v in node.values() for u in uncertain_numbers(v)]
    if isinstance(node, list):
        return [u for v in node for u in uncertain_numbers(v)]
    if isinstance(node, Strict):
        return [u for name in type(node).model_fields for u in uncertain_numbers(getattr(node, name))]
    return []


def _check_absence_driver(premises: Premises, plan: Plan, did: str, driver: AbsenceDriver,
                          crews: dict[str, str]) -> list[Problem]:
    problems = []
    resources = {r.id for r in plan.resources}
    shift = driver.shift_hours or plan.bucket_hours
    for k, rid in enumerate(driver.resources):
        where = f"drivers.{did}.resources[{k}]"
        if rid not in resources:
            problems.append(Problem(where, f"unknown resource {rid!r} (not in plan {plan.id})"))
            continue
        if rid in crews and crews[rid] != did:
            problems.append(Problem(where, f"resource {rid!r} is already hit by absenteeism driver "
                                    f"{crews[rid]!r}; a resource belongs to at most one"))
        crews[rid] = did
        own = premises.for_resource(rid).absenteeism
        if own is not None and ((own.effect, own.speed if own.effect == "slow" else None,
                                 own.shift_hours or plan.bucket_hours)
                                != (driver.effect, driver.speed if driver.effect == "slow" else None, shift)):
            problems.append(Problem(where, f"resource {rid!r} has its own absenteeism with another effect, "
                                    "speed or shift length; they must agree with the driver's"))
    return problems


def _shift_problems(premises: Premises, plan: Plan) -> list[Problem]:
    """Shifts of absenteeism are at most MAX_BUCKETS over the horizon, like the plan's buckets
    (the engines step through a resource's time shift by shift)."""
    found = [(f"resources.{rid}.absenteeism", rp.absenteeism) for rid, rp in premises.resources.items()]
    found += [("defaults.absenteeism", premises.defaults.absenteeism)]
    found += [(f"drivers.{did}", d) for did, d in premises.drivers.items() if isinstance(d, AbsenceDriver)]
    problems = []
    for where, section in found:
        if section is not None and section.shift_hours is not None:
            n = plan.horizon_hours / section.shift_hours
            if n > MAX_BUCKETS:
                problems.append(Problem(f"{where}.shift_hours", f"gives {n:.0f} shifts over the horizon; at "
                                        f"most {MAX_BUCKETS} are allowed, got {section.shift_hours:g}"))
    return problems


def parse_premises(data: object, source: str | None = None) -> Premises:
    """Validate a premises document (already parsed JSON or TOML)."""
    return validate_document(Premises, data, "premises must be an object (JSON or TOML table)", source)


def check_premises_against(premises: Premises, plan: Plan, source: str | None = None) -> None:
    """Resources named in the premises must exist in the plan (a misspelt line id is an error).

    Materials are not checked: a plant's premises (calibrated from history,
    say) name every material it buys, and this week's plan uses only some;
    the entries of the others simply do not apply (nor do a material
    driver's materials that the plan does not use).
    """
    problems = []
    resources = {r.id for r in plan.resources}
    for rid in premises.resources:
        if rid not in resources:
            problems.append(Problem(f"resources.{rid}", f"unknown resource {rid!r} (not in plan "
                                    f"{plan.id})"))
    seen: dict[str, Uncertain] = {}
    for u in uncertain_numbers(premises):
        first = seen.setdefault(u.key, u)
        if first is not u and first.uncertain != u.uncertain:
            problems.append(Problem(u._path, f"the name {u.key!r} is given to different distributions "
                                    f"(also at {first._path}); one name is one unknown"))
    problems += _shift_problems(premises, plan)
    crews: dict[str, str] = {}
    for did, driver in premises.drivers.items():
        if isinstance(driver, AbsenceDriver):
            problems += _check_absence_driver(premises, plan, did, driver, crews)
    if premises.execution.reliability_consequence == "delay" and premises.reliability and \
            premises.execution.reliability_delay_hours is None:
        problems.append(Problem("execution.reliability_delay_hours",
                                "required when reliability_consequence is 'delay'"))
    if problems:
        raise InputError(problems, source)
