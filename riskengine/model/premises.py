"""The variability model (``riskengine.premises/1``): what can go wrong on the shop floor.

Sections (all optional; an absent section means "no such disruption"):

- ``reliability``: the source article's per-operation factor model. Each
  factor fails independently per operation with probability 1 - r, with a
  realized effect (docs/design.md section 3): with
  ``execution.reliability_consequence`` ``"miss"`` the operation is held past
  its bucket (a quality failure scraps the lot below the quantity tolerance),
  a MISS with that cause; with ``"delay"`` its start is held by
  ``reliability_delay_hours``.
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

import difflib
import math
from collections.abc import Iterable
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
    AS_DISTRIBUTION,
    AS_NUMBER,
    AS_UNCERTAIN,
    BY_SHAPE,
    BY_SHAPE_OR_DIST,
    TAIL,
    Distribution,
    Uncertain,
    UPositive,
    UProbability,
    as_distribution,
    quantile,
)
from riskengine.model.plan import Plan
from riskengine.model.rules import DEFAULT_BANDS, AdherenceRules, Band, check_bands

PREMISES_FORMAT = "riskengine.premises/1"
#: A duration: a number (the mean of an exponential), an uncertain number (an exponential whose
#: mean is uncertain) or a distribution.
_Hours = Annotated[float, Field(gt=0, allow_inf_nan=False)]
_DurationInput = Annotated[Annotated[_Hours, AS_NUMBER] | Annotated[UPositive, AS_UNCERTAIN]
                           | Annotated[Distribution, AS_DISTRIBUTION], BY_SHAPE_OR_DIST]
Duration = Annotated[_DurationInput, AfterValidator(as_distribution)]
#: A probability, certain or uncertain.
MaybeProbability = Annotated[Annotated[Probability, AS_NUMBER] | Annotated[UProbability, AS_UNCERTAIN],
                             BY_SHAPE]
FACTOR_ALIASES = {"machine": "breakdown", "operator": "absenteeism"}


#: Least mean time between failures, in hours of processing (36 s): a machine failing more
#: often never gets its work done, and each failure is a step of the simulation.
MIN_MTBF_HOURS = 0.01
#: The parameters that scale a distribution's mean (those an uncertain MTBF may hide in).
_SCALE_FIELDS = ("mean_", "value", "scale")


def lowest_mean(dist: Distribution) -> tuple[float, str]:
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
    """Time between failures, in busy (processing) hours: a number is the mean of an exponential
    distribution; or a distribution {dist = ...}. Its mean is at least 0.01 h (36 s)."""
    mttr_hours: Duration
    """Time to repair, in clock hours: a number is the mean of an exponential distribution; or a distribution
    {dist = ...}."""

    @field_validator("mtbf_hours")
    @classmethod
    def _fails_after_some_work(cls, dist: Distribution) -> Distribution:  # (a Duration is read as one)
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
    """Probability (0-1) that the crew is missing for a whole shift."""
    effect: Literal["stop", "slow"] = "stop"
    """What an absent crew does: stop the resource, or slow it to speed."""
    speed: CrewSpeed = 0.5
    """Share of the normal rate the resource keeps when slowed [0.01, 1]."""
    shift_hours: PositiveQuantity | None = None
    """Length of a shift in hours, laid from the horizon start (default: the plan's bucket)."""


class ResourcePremises(Strict):
    """The disruptions of a resource (or, under defaults, of every resource without its own)."""

    breakdowns: Breakdowns | None = None
    """Machine failures over busy time, and their repairs."""
    absenteeism: Absenteeism | None = None
    """Missing crews per shift."""
    performance: Distribution | None = None
    """Performance factor of an operation: processing time = planned processing / factor (1: as
    planned; 0.95: 5% slower), a distribution {dist = ...} drawn per operation."""
    scrap_rate: MaybeProbability | None = None
    """Share (0-1) of units scrapped, drawn unit by unit: good quantity = planned - scrapped."""
    setup_overrun: Distribution | None = None
    """Actual setup / planned setup (1: as planned; 1.2: 20% longer), a distribution drawn per
    changeover."""


class LotRisk(Strict):
    """A risk of a material's lot."""

    probability: MaybeProbability
    """Probability (0-1) that the lot is affected."""
    delay_hours: Duration
    """How late it then arrives, in hours: a number is the mean of an exponential distribution; or a
    distribution {dist = ...}."""



class MaterialPremises(Strict):
    """The risks of one material's lots."""

    late: LotRisk | None = None
    """The lot arrives late."""
    rejected: LotRisk | None = None
    """The lot is rejected at incoming inspection and replaced after a delay."""


class Deviation(Strict):
    """The operator takes another operation first."""

    probability: MaybeProbability
    """Probability (0-1), per choice of the next operation, that the operator deviates."""
    window: Annotated[int, Field(ge=2, le=50)] = 3
    """How many of the next planned operations the operator chooses from."""
    rule: Literal["same_family", "easiest_first"] = "same_family"
    """What the operator prefers: the same setup family (saves a setup) or the shortest operation."""


class OperatorPremises(Strict):
    """What operators do."""

    deviation: Deviation | None = None
    """Deviations from the planned sequence."""


class Execution(Strict):
    """How the shop executes a plan, and the adherence rules a HIT is judged by."""

    early_start: bool = False
    """Whether an operation may start before its planned start when it is ready."""
    on_blocked: Literal["wait", "next_ready"] = "wait"
    """When the next operation cannot start (material late): wait for it, or run the next ready one."""
    resequence_window: Annotated[int, Field(ge=2, le=50)] = 3
    """How many of the next planned operations next_ready looks at."""
    lateness_tolerance_hours: NonNegative = 0.0
    """Hours after the end of an operation's planned bucket that still count as on time (a HIT)."""
    quantity_tolerance: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 1.0
    """Share of the planned quantity that counts as complete (1: all of it; 0.98 tolerates 2% scrap)."""
    sequence_basis: Literal["orders", "units"] = "orders"
    """Count sequence adherence in orders or in units."""
    reliability_consequence: Literal["miss", "delay"] = "miss"
    """What a failed reliability factor does to the execution: miss holds the operation until its
    bucket's end plus the lateness tolerance (a replacement lot, a repair, the crew, ...; a failed
    quality factor scraps the lot below the quantity tolerance), a MISS with the factor's cause;
    delay holds its start by reliability_delay_hours."""
    reliability_delay_hours: Duration | None = None
    """How long a failed reliability factor holds the start, in hours (needed with consequence
    delay): a number is the mean of an exponential distribution; or a distribution {dist = ...}."""



class MaterialDriver(Strict):
    """A supplier (or any common cause) whose lateness hits several materials at once.

    Per replication the shock occurs with ``probability`` (uniform 0 of the
    driver's key in stream ``Stream.DRIVER``); when it occurs one delay is
    drawn from ``delay_hours`` (variate 1) and *added* to the arrival of every
    listed material's lot, on top of the lot's own late and rejected delays
    (which still apply, independently). A material listed by several drivers
    adds each occurring driver's delay. The shock is identified by the
    driver's id, so two plans scored with the same seed see the same shocks.
    """

    kind: Literal["material"] = "material"
    """A material driver (the default)."""
    probability: MaybeProbability
    """Probability (0-1), per replication, that the shock occurs."""
    materials: list[Id] = Field(min_length=1, max_length=100_000)
    """The materials whose lots it delays."""
    delay_hours: Duration
    """The delay added to every listed material's lot, in hours: a number is the mean of an exponential
    distribution; or a distribution {dist = ...}."""



class AbsenceDriver(Strict):
    """A plant-wide absenteeism (flu wave, transport strike) that hits several crews at once.

    In each shift (windows of ``shift_hours`` from the horizon start, default
    the plan's bucket) the shock occurs with ``probability`` (uniform s of
    the driver's key in stream ``Stream.DRIVER`` for shift s, one uniform for
    all its resources); every listed resource's crew is then absent for the
    shift with the driver's ``effect`` (``stop``, or ``slow`` at ``speed``), on
    top of the resource's own absenteeism (absent when either occurs). A
    resource's own absenteeism, if any, must have the same effect, speed and
    shift length, and a resource belongs to at most one absenteeism driver.
    """

    kind: Literal["absenteeism"]
    """An absenteeism driver."""
    probability: MaybeProbability
    """Probability (0-1), per shift, that the shock occurs."""
    resources: list[Id] = Field(min_length=1, max_length=100_000)
    """The resources whose crews it takes away."""
    effect: Literal["stop", "slow"] = "stop"
    """What the absence does: stop the resources, or slow them to speed."""
    speed: CrewSpeed = 0.5
    """Share of the normal rate kept when slowed [0.01, 1]."""
    shift_hours: PositiveQuantity | None = None
    """Length of a shift in hours (default: the plan's bucket)."""


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
    """Replications that share one draw of the uncertain parameters."""


class Premises(Strict):
    """The variability model (``riskengine.premises/1``): what can go wrong on the shop floor. An
    absent section means "no such disruption"."""

    format: Literal["riskengine.premises/1"]
    """The format and its version."""
    reliability: dict[str, MaybeProbability] = Field(default_factory=dict)
    """The article's per-operation factors: cause (material, machine = breakdown, operator =
    absenteeism, quality, ...) -> reliability r in [0, 1]; each fails independently per operation
    with probability 1 - r, and the operation is then held past its bucket (quality: its lot
    scrapped below the tolerance), a MISS with that cause (or delayed: execution)."""
    defaults: ResourcePremises = Field(default_factory=ResourcePremises)
    """Disruptions of every resource, unless its own section overrides them field by field."""
    resources: dict[str, ResourcePremises] = Field(default_factory=dict)
    """Resource id -> its own disruptions (overriding the defaults field by field)."""
    materials: dict[str, MaterialPremises] = Field(default_factory=dict)
    """Material id -> the risks of its lots (one lot per material and plan)."""
    operator: OperatorPremises = Field(default_factory=OperatorPremises)
    """What operators do."""
    execution: Execution = Field(default_factory=Execution)
    """How the shop executes, and the tolerances a HIT is judged by."""
    bands: list[Band] = Field(default_factory=lambda: [b.model_copy() for b in DEFAULT_BANDS],
                              min_length=1)
    """Horizon bands: how strictly each part of the horizon is scored (by default volume x mix x
    sequence in the first 24 h after publication, volume x mix to 48 h, volume beyond)."""
    plugins: dict[Id, dict[str, Any]] = Field(default_factory=dict)
    """Plugin name -> its options: a plugin of the riskengine.plugins entry points acts only when
    named here."""
    drivers: dict[Annotated[str, Field(min_length=1, max_length=200)], Driver] = Field(default_factory=dict)
    """Driver id -> a shared cause (a supplier, a flu wave) that hits several materials or crews in
    the same replication."""
    uncertainty: Uncertainty = Field(default_factory=Uncertainty)
    """How uncertain parameters ({uncertain = DIST} anywhere a number is taken) are sampled."""

    @field_validator("reliability")
    @classmethod
    def _known_factors(cls, v: dict[str, float | Uncertain]) -> dict[str, float | Uncertain]:
        out: dict[str, float | Uncertain] = {}
        for name, r in v.items():
            cause = FACTOR_ALIASES.get(name, name)
            if cause not in CAUSES or cause in ("knock-on", "unknown"):
                raise ValueError(f"unknown factor {name!r}; use a cause of the taxonomy "
                                 f"({', '.join(CAUSES[:9])}) or machine/operator")
            if cause in out and (isinstance(r, Uncertain) or isinstance(out[cause], Uncertain)):
                raise ValueError(f"factor {name!r} is given twice (as {cause!r} and an alias); an "
                                 "uncertain factor must be given once")
            # both plain numbers when the cause is given twice (an uncertain one is refused above)
            out[cause] = r if cause not in out else out[cause] * r  # type: ignore[operator]
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
            problems.append(Problem(where, f"unknown resource {rid!r} (not in plan {plan.id})"
                                    f"{did_you_mean(rid, resources)}"))
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
    found: list[tuple[str, Absenteeism | AbsenceDriver | None]] = [
        (f"resources.{rid}.absenteeism", rp.absenteeism) for rid, rp in premises.resources.items()]
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


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """`` (did you mean 'MAT-COCO'?)`` when a known id is close to ``name`` (difflib's ratio of at
    least 0.6), else an empty string."""
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def plan_materials(plan: Plan) -> set[str]:
    """The materials a plan's operations use."""
    return {m for op in plan.operations for m in op.materials}


def premises_warnings(premises: Premises, plan: Plan) -> list[str]:
    """Entries of the premises that the plan does not use, each with the closest id it does use.

    A plant's premises (calibrated from history, say) may name every material
    it buys while this week's plan uses only some: the others simply do not
    apply, but a misspelt id would silently drop its risk, so each is named:
    materials (``materials.ID``), material drivers' materials, and resources
    the plan declares but runs no operation on (an unknown resource is an
    error, :func:`check_premises_against`).
    """
    used = plan_materials(plan)
    busy = {op.resource for op in plan.operations}
    out = []
    for mid in premises.materials:
        if mid not in used:
            out.append(f"materials.{mid}: plan {plan.id} uses no material {mid!r}; its risks do not "
                       f"apply{did_you_mean(mid, used)}")
    for did, driver in premises.drivers.items():
        if isinstance(driver, MaterialDriver):
            for k, mid in enumerate(driver.materials):
                if mid not in used:
                    out.append(f"drivers.{did}.materials[{k}]: plan {plan.id} uses no material {mid!r}"
                               f"{did_you_mean(mid, used)}")
        else:
            for k, rid in enumerate(driver.resources):
                if rid in plan.resource_index and rid not in busy:
                    out.append(f"drivers.{did}.resources[{k}]: plan {plan.id} has no operation on "
                               f"{rid!r}")
    for rid in premises.resources:
        if rid in plan.resource_index and rid not in busy:
            out.append(f"resources.{rid}: plan {plan.id} has no operation on {rid!r}; its risks do not "
                       "apply")
    return out


def check_premises_against(premises: Premises, plan: Plan, source: str | None = None) -> None:
    """Resources named in the premises must exist in the plan (a misspelt line id is an error).

    Materials are not checked here: a plant's premises name every material it
    buys and this week's plan uses only some, so entries the plan does not use
    are warnings (:func:`premises_warnings`), with the closest id it uses.
    """
    problems = []
    resources = {r.id for r in plan.resources}
    for rid in premises.resources:
        if rid not in resources:
            problems.append(Problem(f"resources.{rid}", f"unknown resource {rid!r} (not in plan "
                                    f"{plan.id}){did_you_mean(rid, resources)}"))
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
