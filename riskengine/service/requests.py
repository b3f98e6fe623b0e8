"""Request bodies of the service and of ``riskengine call`` (docs/design.md sections 1 and 5).

A request carries the contract's documents inline (``plan``, ``premises``,
``actuals``: the formats ``riskengine.plan/1`` etc.) next to the run options
the CLI takes as flags, e.g. ``POST /v1/score``::

    {"plan": {"format": "riskengine.plan/1", ...}, "premises": {"format": "riskengine.premises/1", ...},
     "replications": 1000, "seed": 0}

:func:`validate` checks everything before any work and collects every problem
with its location in the request (``plan.operations[12].quantity``,
``premises.resources.L9``, ``replications``) into one :class:`InputError`
(HTTP 422, exit code 2). Requests that are well formed but too big for the
service raise :class:`TooLarge` (HTTP 413): more operations than
``Limits.max_operations``, more simulation work than a synchronous call
(``Limits.sync_work``) or a job (``Limits.job_work``) may do, or more memory than
``Limits.max_memory_bytes`` (estimated before any work,
:func:`riskengine.simulation.memory.estimate`; every 413 on work or memory says
the estimate). Work is counted in operation-replications: per replication each
operation, and each figure it reports (a bucket's BTS and BTP, a day, a band, a
resource's finish: judging and summarizing one costs about
:data:`FIGURE_WEIGHT` of an operation-sample, README, Performance), summed over
plans; a SimPy reference run counts :data:`REFERENCE_WEIGHT` times as much (it is
that much slower than the kernel). Operations alone are counted first, from the
raw body, so that a huge request is refused before its documents are parsed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import Field, SkipValidation, ValidationError

from riskengine.analysis.score import MAX_REPLICATIONS, MAX_SEED
from riskengine.errors import InputError, Problem, from_pydantic, strict_documents
from riskengine.governance.service import OWNERS, ReviewRequest, TrendRequest
from riskengine.governance.service import inputs as governance_inputs
from riskengine.io.readers import check_depth
from riskengine.live.service import ForecastRequest
from riskengine.live.service import inputs as forecast_inputs
from riskengine.model.actuals import Actuals, PlanHistory, parse_actuals
from riskengine.model.common import ABSENT, BucketHours, NonNegative, Strict
from riskengine.model.plan import Plan, parse_plan
from riskengine.model.premises import Premises, check_premises_against, parse_premises

OPERATIONS = ("score", "compare", "measure", "check", "review", "trend", "forecast")
#: How many times more a SimPy reference replication costs than a kernel replication.
REFERENCE_WEIGHT = 300
#: The cost of one figure of a replication in operation-samples (measured: 7-10 ns vs ~85 ns).
FIGURE_WEIGHT = 1 / 8
Replications = Annotated[int, Field(ge=1, le=MAX_REPLICATIONS)]
Seed = Annotated[int, Field(ge=0, le=MAX_SEED)]
Engine = Literal["kernel", "reference"]


PREMISES_TOML = ("The premises as TOML text (what a premises.toml file holds), instead of the JSON "
                 "document in premises; give one of the two.")


class TooLarge(InputError):
    """A well-formed request that exceeds the service's limits (HTTP 413)."""


@dataclass(frozen=True)
class Limits:
    """What one request may ask for (``riskengine serve`` options)."""

    max_body_bytes: int = 16 * 2**20
    max_operations: int = 50_000
    sync_work: float = 5e7  # ~4 s of kernel time on 2 cores (README, Performance: ~12 M op-samples/s)
    job_work: float = 1e10  # ~15 min
    max_memory_bytes: int = 2**30  # estimated memory of one request (simulation.memory)


class ScoreRequest(Strict):
    """``POST /v1/score``: the options of ``riskengine score``."""

    plan: SkipValidation[Plan]
    premises: SkipValidation[Premises] = ABSENT  # or premises_toml (one of the two: validate())
    premises_toml: str = Field(default=ABSENT, description=PREMISES_TOML)
    replications: Replications = 1000
    precision: Annotated[float, Field(gt=0, lt=1)] | None = None
    max_replications: Replications = 100_000
    seed: Seed = 0
    engine: Engine = "kernel"
    confidence: Annotated[float, Field(gt=0, lt=1)] = 0.8  # of the rigor advice (score --confidence)


class CompareRequest(Strict):
    """``POST /v1/compare``: plans scored with common random numbers (``paired``)."""

    plans: Annotated[list[SkipValidation[Plan]], Field(min_length=2, max_length=20)]
    premises: SkipValidation[Premises] = ABSENT  # or premises_toml (one of the two: validate())
    premises_toml: str = Field(default=ABSENT, description=PREMISES_TOML)
    replications: Replications = 1000
    seed: Seed = 0
    paired: bool = True
    engine: Engine = "kernel"
    rank_by: Literal["plan_holds", "on_time"] = "plan_holds"  # compare --rank-by


class MeasureRequest(Strict):
    """``POST /v1/measure``: realized adherence against the plan versions."""

    plans: Annotated[list[SkipValidation[Plan]], Field(min_length=1, max_length=50)]
    actuals: SkipValidation[Actuals]
    premises: SkipValidation[Premises] = ABSENT  # the adherence rules of their execution and bands
    premises_toml: str = Field(default=ABSENT, description=PREMISES_TOML)
    bucket_hours: BucketHours | None = None
    lateness_tolerance_hours: NonNegative | None = None  # None: the premises' (else the default)
    quantity_tolerance: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] | None = None
    sequence_basis: Literal["orders", "units"] | None = None
    owners: dict[str, Any] | None = Field(default=None, description=OWNERS)


class CheckRequest(Strict):
    """``POST /v1/check``: plan checks, and the repaired plan when ``repair`` is true."""

    plan: SkipValidation[Plan]
    repair: bool = False


MODELS: dict[str, type[Strict]] = {
    "score": ScoreRequest, "compare": CompareRequest, "measure": MeasureRequest,
    "check": CheckRequest, "review": ReviewRequest, "trend": TrendRequest, "forecast": ForecastRequest}
#: The operations that simulate replications (work and memory counted against the limits).
SIMULATING = ("score", "compare", "review", "forecast")


@dataclass
class Validated:
    """A request whose documents are parsed, validated and cross-checked."""

    operation: str
    request: Strict
    plans: list[Plan]
    premises: Premises | None = None
    history: PlanHistory | None = None
    actuals: Actuals | None = None
    work: float = 0.0
    owners: dict | None = None  # the cause ownership table (measure, review, trend)
    measurements: list | None = None  # the parsed measurements of a trend
    forecast: dict | None = None  # a forecast's as-of time, events and previous forecast


def located(prefix: str, exc: InputError) -> list[Problem]:
    """The problems of a nested document, located in the request (``plan.operations[3].id``)."""
    out = []
    for p in exc.problems:
        if not p.location:
            where = prefix
        elif p.location.startswith("["):
            where = prefix + p.location
        else:
            where = f"{prefix}.{p.location}"
        out.append(Problem(where, p.message))
    return out


def _raw_plans(operation: str, data: dict) -> list[tuple[str, object]]:
    if operation in ("score", "check", "review"):
        return [("plan", data["plan"])] if "plan" in data else []
    if operation == "trend":
        return []
    plans = data.get("plans")
    return [(f"plans[{k}]", p) for k, p in enumerate(plans)] if isinstance(plans, list) else []


def _replications(request: Any) -> int:
    return request.replications if getattr(request, "precision", None) is None else request.max_replications


def work_of(operation: str, request: Any, n_operations: list[int],
            n_figures: list[int] | None = None) -> float:
    """Operation-replications a request asks to simulate (0 for measure and check): operations,
    and figures (``n_figures`` per plan, when known) weighted by :data:`FIGURE_WEIGHT`. A forecast
    simulates one version, the plan in effect at its as-of time: counted as the largest."""
    if operation not in SIMULATING:
        return 0.0
    if operation == "forecast":
        n_operations = [max(n_operations, default=0)]
        n_figures = [max(n_figures)] if n_figures else None
    weight = REFERENCE_WEIGHT if request.engine == "reference" else 1
    per_replication = float(sum(n_operations)) + FIGURE_WEIGHT * sum(n_figures or [])
    return per_replication * _replications(request) * weight


def memory_of(operation: str, request: Strict, plans: list[Plan], premises: Premises | None) -> int:
    """Bytes a validated request is estimated to need (:func:`riskengine.simulation.memory.estimate`;
    0 for the operations that simulate nothing)."""
    from riskengine.simulation.memory import estimate, shape_of

    if operation not in SIMULATING or premises is None or not plans:
        return 0
    if operation == "forecast":
        from riskengine.live.run import memory_needed

        return memory_needed(plans, premises, _replications(request))
    shapes = [shape_of(p, premises) for p in plans]
    largest = max(shapes, key=lambda s: estimate(s, _replications(request)))
    return estimate(largest, _replications(request), plans=len(plans), keep_head=operation == "compare")


def _too_large(operation: str, request: Strict, plans: list[Plan], premises: Premises | None,
               limits: Limits, job: bool) -> list[Problem]:
    """The work (figures counted) and memory of a parsed request against ``limits``."""
    from riskengine.simulation.memory import describe, shape_of

    if operation not in SIMULATING or premises is None or not plans:
        return []
    figures = [shape_of(p, premises).width for p in plans]
    if operation == "forecast":  # one version is simulated (work_of)
        figures = [max(figures)]
    work = work_of(operation, request, [len(p.operations) for p in plans], figures)
    memory = memory_of(operation, request, plans, premises)
    cap = limits.job_work if job else limits.sync_work
    what = f"{'a job' if job else 'a synchronous call'}"
    problems = []
    if work > cap:
        hint = "" if job else "; submit it to POST /v1/jobs, or ask for fewer replications"
        problems.append(Problem("replications", f"{work:.3g} operation-replications of simulation "
                                f"({sum(figures)} figures per replication counted as {FIGURE_WEIGHT:g} "
                                f"operation each); at most {cap:.3g} are allowed in {what}{hint}; "
                                f"memory: {describe(memory)} estimated"))
    if memory > limits.max_memory_bytes:
        problems.append(Problem("replications", f"needs {describe(memory)} of memory (estimated before "
                                f"any work); at most {describe(limits.max_memory_bytes)} are allowed per "
                                "request"))
    return problems


def _size_problems(raw: list[tuple[str, object]], limits: Limits) -> tuple[list[Problem], list[int]]:
    problems, counts = [], []
    for where, plan in raw:
        ops = plan.get("operations") if isinstance(plan, dict) else None
        n = len(ops) if isinstance(ops, list) else 0
        counts.append(n)
        if n > limits.max_operations:
            problems.append(Problem(f"{where}.operations", f"{n} operations; this service accepts at "
                                    f"most {limits.max_operations} per plan"))
    return problems, counts


def validate(operation: str, data: object, limits: Limits | None = None, *, job: bool = False,
             strict: bool = False) -> Validated:
    """Validate a request body for ``operation`` (every problem at once).

    Parameters
    ----------
    operation
        ``score``, ``compare``, ``measure`` or ``check``.
    data
        The parsed JSON body.
    limits
        Size and work limits (None: no limits, as on the command line).
    job
        Whether the request runs as a job (``Limits.job_work``) or synchronously
        (``Limits.sync_work``).
    strict
        Whether a number must be a JSON number, not a string holding one, in the request
        and in the documents in it (the service; files read by the CLI stay lax).

    Raises
    ------
    InputError
        Every problem of the envelope and of the documents in it, located.
    TooLarge
        The request is valid but bigger than ``limits`` allow.
    """
    with strict_documents(strict):
        return _validate(operation, data, limits, job=job, strict=strict)


def _validate(operation: str, data: object, limits: Limits | None, *, job: bool, strict: bool) -> Validated:
    """:func:`validate` (documents already in strict mode or not)."""
    if operation not in MODELS:
        raise InputError(Problem("operation", f"must be one of {', '.join(OPERATIONS)}, got {operation!r}"))
    if not isinstance(data, dict):
        raise InputError(Problem("", f"a {operation} request must be a JSON object"))
    data, problems, premises_at = _premises_toml(operation, data)
    request = None
    try:
        request = MODELS[operation].model_validate(data, strict=strict)
    except ValidationError as exc:
        problems += from_pydantic(exc).problems
    raw = _raw_plans(operation, data)
    if limits is not None:
        too_big, counts = _size_problems(raw, limits)
        if request is not None:
            work = work_of(operation, request, counts)
            cap = limits.job_work if job else limits.sync_work
            if work > cap:
                hint = "" if job else "; submit it to POST /v1/jobs, or ask for fewer replications"
                too_big.append(Problem("replications", f"{work:.3g} operation-replications of simulation; "
                                       f"at most {cap:.3g} are allowed in "
                                       f"{'a job' if job else 'a synchronous call'}{hint}"))
        if too_big:
            raise TooLarge(too_big)
    plans: list[Plan] = []
    for where, doc in raw:
        try:
            plans.append(parse_plan(doc))
        except InputError as exc:
            problems += located(where, exc)
    premises = None
    if operation in (*SIMULATING, "measure") and data.get("premises") is not None:
        try:
            premises = parse_premises(data["premises"])
        except InputError as exc:
            problems += located(premises_at, exc)
    if premises is not None and len(plans) == len(raw) and operation != "measure":  # measure: rules only
        problems += _premises_problems(premises, plans, premises_at)
    history = actuals = None
    if operation in ("measure", "forecast") and raw and len(plans) == len(raw):
        try:
            history = PlanHistory(plans)
        except InputError as exc:
            problems += exc.problems
        if history is not None and data.get("actuals") is not None:
            try:
                actuals = parse_actuals(data["actuals"], history)
            except InputError as exc:
                problems += located("actuals", exc)
    owners, measurements, more = governance_inputs(operation, data)
    problems += more
    forecast = None
    if operation == "forecast":
        forecast, more = forecast_inputs(data, history)
        problems += more
    if problems:
        raise InputError(problems)
    assert request is not None
    if limits is not None:
        too_big = _too_large(operation, request, plans, premises, limits, job)
        if too_big:
            raise TooLarge(too_big)
    return Validated(operation, request, plans, premises, history, actuals,
                     work_of(operation, request, [len(p.operations) for p in plans]), owners, measurements,
                     forecast)


def _premises_toml(operation: str, data: dict) -> tuple[dict, list[Problem], str]:
    """Premises sent as TOML text (``premises_toml``) read into ``premises``: the request, the
    problems found, and where premises problems are located (``premises_toml.defaults.scrap_rate``)."""
    if operation not in (*SIMULATING, "measure"):
        return data, [], "premises"
    if "premises_toml" not in data:
        missing = [] if data.get("premises") is not None or operation == "measure" else [
            Problem("premises", "required (or premises_toml: the premises as TOML text)")]
        return data, missing, "premises"
    import tomllib

    text = data["premises_toml"]
    out = {k: v for k, v in data.items() if k != "premises_toml"}
    if "premises" in data:
        return out, [Problem("premises_toml", "give premises or premises_toml, not both")], "premises"
    if not isinstance(text, str):
        return out, [Problem("premises_toml", f"must be TOML text (a string), got {type(text).__name__}")], ""
    try:
        out["premises"] = check_depth(tomllib.loads(text), where="premises_toml")
    except tomllib.TOMLDecodeError as exc:
        return out, [Problem("premises_toml", f"not valid TOML: {exc}")], ""
    except RecursionError:  # tomllib parses nested arrays and inline tables recursively
        return out, [Problem("premises_toml", "not valid TOML: nested too deeply")], ""
    except InputError as exc:
        return out, exc.problems, ""
    return out, [], "premises_toml"


def _premises_problems(premises: Premises, plans: list[Plan], at: str = "premises") -> list[Problem]:
    """Premises against each plan, and the plugins they name (riskengine.plugins)."""
    from riskengine.plugins import configure_all

    problems: list[Problem] = []
    seen: set[Problem] = set()
    for plan in plans:
        try:
            check_premises_against(premises, plan)
        except InputError as exc:
            for p in located(at, exc):
                if p not in seen:
                    seen.add(p)
                    problems.append(p)
    try:
        configure_all(premises)
    except InputError as exc:
        problems += located(at, exc)
    return problems
