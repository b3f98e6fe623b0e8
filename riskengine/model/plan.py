"""The production plan (``riskengine.plan/1``): one published version of a schedule.

A plan has a horizon, a bucket size, resources and planned operations. The
sequence on a resource is the order of planned starts (ties by planned end,
then by position in the file). Times are ISO 8601 with a UTC offset or hours
from the horizon start; numbers are turned into datetimes on validation, so
everything downstream sees aware datetimes. ``published_at`` defaults to the
horizon start when absent.
"""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from typing import Literal

from pydantic import Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from riskengine.errors import Problem, validate_document
from riskengine.model.calendar import Calendar, calendar_problems, resolve_calendar_times
from riskengine.model.common import (
    ABSENT,
    MAX_BUCKETS,
    MAX_OPERATIONS,
    BucketHours,
    DefaultedPlanTime,
    Id,
    Instant,
    NonNegative,
    PlanTime,
    PositiveQuantity,
    Strict,
    duplicates,
    hours_between,
    raise_if,
    resolve_time,
)
from riskengine.model.setup import SetupMatrix
from riskengine.model.validation import Status, Validation, validation_problems

PLAN_FORMAT = "riskengine.plan/1"


class Horizon(Strict):
    """The span the plan covers."""

    start: Instant
    """Start of the horizon, ISO 8601 with a UTC offset: the origin of every time given in hours, and
    the offset every time is shown in."""
    end: PlanTime
    """End of the horizon: ISO 8601 with offset, or hours from the start."""

    @field_validator("end")
    @classmethod
    def _resolve_end(cls, end: datetime | float, info: ValidationInfo) -> datetime | float:
        start = info.data.get("start")
        if start is None:  # start is invalid and reported on its own
            return end
        end = resolve_time(end, start)
        if end <= start:
            raise ValueError(f"must be after start ({start.isoformat()})")
        return end


class Resource(Strict):
    """A line, machine or work centre that runs operations one at a time."""

    id: Id
    """Its id, as operations, calendars and premises name it."""
    name: str | None = None
    """A readable name (reports only)."""
    area: str | None = None
    """The area it belongs to: adherence is also measured per area."""


class Operation(Strict):
    """A planned run: a quantity of a product on a resource in a planned window."""

    id: Id
    """Its id (unique in the plan)."""
    order: str | None = None
    """The order it belongs to (an order completes with its last operation)."""
    product: Id
    """The product it makes: mix is counted per product."""
    family: str | None = None
    """Its setup family: the setup matrix gives the changeover hours between families."""
    resource: Id
    """The resource it runs on; its place in the resource's sequence is the order of planned starts."""
    quantity: PositiveQuantity
    """Planned good units."""
    start: PlanTime
    """Planned start (setup included): ISO 8601 with offset, or hours from the horizon start."""
    end: PlanTime
    """Planned end: ISO 8601 with offset, or hours from the horizon start. Its bucket is the one
    whose window (start, end] holds this time."""
    setup_hours: NonNegative = 0.0
    """Planned setup before processing, in hours, inside the window."""
    after: list[Id] = Field(default_factory=list)
    """Routing: operations that must be complete before this one starts."""
    materials: list[Id] = Field(default_factory=list)
    """Materials it consumes: it cannot start before their lots arrive."""
    work_hours: PositiveQuantity | None = None
    """Working hours it needs (setup included) when its window is stretched over non-working time of
    its resource's calendar; default end - start."""


class Material(Strict):
    """A material the plan declares, with its planned arrival (None: due when the first
    operation that uses it is planned to start, as for undeclared materials)."""

    id: Id
    """The material's id, as operations and premises name it."""
    name: str | None = None
    """A readable name (reports only)."""
    available_at: PlanTime | None = None
    """Planned arrival of its lot: ISO 8601 with offset or hours from the horizon start; default when
    the first operation that uses it is planned to start."""


class Plan(Strict):
    """One published version of a production schedule (``riskengine.plan/1``)."""

    format: Literal["riskengine.plan/1"]
    """The format and its version."""
    id: Id
    """The version's id (e.g. wk47-v2)."""
    published_at: DefaultedPlanTime = ABSENT
    """When this version was published: horizon bands count from it. Default: the horizon start."""
    horizon: Horizon
    """The span the plan covers."""
    bucket_hours: BucketHours = 8.0
    """Length of an adherence bucket (a shift, a day) in hours, laid from the horizon start."""
    resources: list[Resource] = Field(min_length=1)
    """The resources that run operations."""
    operations: list[Operation] = Field(min_length=1, max_length=MAX_OPERATIONS)
    """The planned operations."""
    calendars: dict[Id, Calendar] | None = None
    """Working time by "default" (every resource) or resource id: weekly shifts and breaks, dated
    non-working and extra working intervals. None: every resource works around the clock."""
    setup_matrix: SetupMatrix | None = None
    """Setup hours by changeover: outer key the family a resource comes from, inner key the family it
    goes to ({"F1": {"F2": 0.5}}); keys are families (the operations' family), not products."""
    materials: list[Material] | None = Field(default=None, max_length=MAX_OPERATIONS)
    """Declared materials with their planned arrival; when given, operations may only name these."""
    status: Status | None = None
    """Where the version is in its life: draft, proposed (to operations, for review), validated
    (signed off by operations), published (released for execution). Absent: not recorded (a plan in
    effect is then read as published)."""
    validation: Validation | None = None
    """The sign-off by operations (riskengine review --sign-off): who, when, the risks flagged.
    Required with status validated; measure splits adherence by whether the plan in effect had one."""
    #: What the reader wants the user to know about this plan (e.g. what an operations CSV lacks).
    _warnings: list[str] = PrivateAttr(default_factory=list)

    @model_validator(mode="after")
    def _resolve_times(self) -> Plan:
        origin = self.horizon.start
        self.published_at = resolve_time(
            origin if self.published_at is None else self.published_at, origin)
        for op in self.operations:
            op.start = resolve_time(op.start, origin)
            op.end = resolve_time(op.end, origin)
        for m in self.materials or []:
            if m.available_at is not None:
                m.available_at = resolve_time(m.available_at, origin)
        resolve_calendar_times(self.calendars, origin)
        return self

    # -- derived views ------------------------------------------------------

    def hours(self, t: datetime) -> float:
        """Hours from this plan's horizon start to ``t``."""
        return hours_between(self.horizon.start, t)

    @property
    def horizon_hours(self) -> float:
        return self.hours(self.horizon.end)

    @cached_property
    def operation_index(self) -> dict[str, int]:
        return {op.id: i for i, op in enumerate(self.operations)}

    @cached_property
    def resource_index(self) -> dict[str, int]:
        return {r.id: i for i, r in enumerate(self.resources)}

    @cached_property
    def sequences(self) -> dict[str, list[int]]:
        """Operation indices per resource in planned sequence (start, end, file order)."""
        seq: dict[str, list[int]] = {r.id: [] for r in self.resources}
        for i, op in enumerate(self.operations):
            seq[op.resource].append(i)
        for ops in seq.values():
            ops.sort(key=lambda i: (self.operations[i].start, self.operations[i].end, i))
        return seq

    def planned_positions(self) -> list[int]:
        """Each operation's position (0-based) in its resource's planned sequence."""
        pos = [0] * len(self.operations)
        for ops in self.sequences.values():
            for k, i in enumerate(ops):
                pos[i] = k
        return pos


def _semantic_problems(plan: Plan) -> list[Problem]:
    """Cross-reference checks that a field-by-field schema cannot express."""
    problems: list[Problem] = []
    for rid, where in duplicates([r.id for r in plan.resources]).items():
        for i in where[1:]:
            problems.append(Problem(f"resources[{i}].id", f"duplicate id {rid!r}"))
    op_ids = [op.id for op in plan.operations]
    for oid, where in duplicates(op_ids).items():
        for i in where[1:]:
            problems.append(Problem(f"operations[{i}].id", f"duplicate id {oid!r}"))
    resources = {r.id for r in plan.resources}
    known = set(op_ids)
    for i, op in enumerate(plan.operations):
        loc = f"operations[{i}]"
        if op.resource not in resources:
            problems.append(Problem(f"{loc}.resource", f"unknown resource {op.resource!r}"))
        if op.end <= op.start:
            problems.append(
                Problem(f"{loc}.end", f"must be after start ({op.start.isoformat()}), "
                        f"got {op.end.isoformat()}")
            )
        elif op.setup_hours > hours_between(op.start, op.end) + 1e-9:
            problems.append(
                Problem(f"{loc}.setup_hours", "must not exceed the planned window end - start "
                        f"({hours_between(op.start, op.end):g} h), got {op.setup_hours:g}")
            )
        for k, pred in enumerate(op.after):
            if pred not in known:
                problems.append(Problem(f"{loc}.after[{k}]", f"unknown operation {pred!r}"))
            elif pred == op.id:
                problems.append(Problem(f"{loc}.after[{k}]", "an operation cannot follow itself"))
    problems += _work_problems(plan) + _material_problems(plan) + calendar_problems(plan)
    problems += validation_problems(plan)
    if not problems:
        problems += _cycle_problems(plan)
    n_buckets = plan.horizon_hours / plan.bucket_hours
    if n_buckets > MAX_BUCKETS:
        problems.append(
            Problem("bucket_hours", f"gives {n_buckets:.0f} buckets over the horizon; "
                    f"at most {MAX_BUCKETS} are allowed")
        )
    if plan.published_at is not None and plan.published_at > plan.horizon.end:
        problems.append(Problem("published_at", "must not be after the horizon end"))
    return problems


def _work_problems(plan: Plan) -> list[Problem]:
    """``work_hours`` fits in the window and holds the setup."""
    problems: list[Problem] = []
    for i, op in enumerate(plan.operations):
        if op.work_hours is None or op.end <= op.start:
            continue
        window = hours_between(op.start, op.end)
        if op.work_hours > window + 1e-9:
            problems.append(Problem(f"operations[{i}].work_hours", "must not exceed the planned window "
                                    f"end - start ({window:g} h), got {op.work_hours:g}"))
        elif op.setup_hours > op.work_hours + 1e-9:
            problems.append(Problem(f"operations[{i}].setup_hours", "must not exceed work_hours "
                                    f"({op.work_hours:g} h), got {op.setup_hours:g}"))
    return problems


def _material_problems(plan: Plan) -> list[Problem]:
    """Declared materials are unique; when declared, operations name only those."""
    if plan.materials is None:
        return []
    problems = [Problem(f"materials[{i}].id", f"duplicate id {mid!r}")
                for mid, where in duplicates([m.id for m in plan.materials]).items() for i in where[1:]]
    known = {m.id for m in plan.materials}
    for i, op in enumerate(plan.operations):
        for k, mid in enumerate(op.materials):
            if mid not in known:
                problems.append(Problem(f"operations[{i}].materials[{k}]",
                                        f"unknown material {mid!r} (not in the plan's materials)"))
    return problems


def _cycle_problems(plan: Plan) -> list[Problem]:
    """Routing (``after``) must be acyclic: Kahn's algorithm, report one member per cycle."""
    index = plan.operation_index
    indegree = [len(op.after) for op in plan.operations]
    successors: list[list[int]] = [[] for _ in plan.operations]
    for i, op in enumerate(plan.operations):
        for pred in op.after:
            successors[index[pred]].append(i)
    ready = [i for i, d in enumerate(indegree) if d == 0]
    while ready:
        i = ready.pop()
        for j in successors[i]:
            indegree[j] -= 1
            if indegree[j] == 0:
                ready.append(j)
    stuck = [i for i, d in enumerate(indegree) if d > 0]
    if not stuck:
        return []
    names = ", ".join(plan.operations[i].id for i in stuck[:10])
    return [Problem(f"operations[{stuck[0]}].after",
                    f"routing has a cycle among operations {names}")]


def plan_warnings(plan: Plan) -> list[str]:
    """What the plan's reader noted about it (an operations CSV has no calendars, ...)."""
    return list(plan._warnings)


def parse_plan(data: object, source: str | None = None) -> Plan:
    """Validate a plan document (already parsed JSON) and return the :class:`Plan`.

    Raises
    ------
    InputError
        With every problem found and its location.
    """
    plan = validate_document(Plan, data, "a plan must be a JSON object", source)
    raise_if(_semantic_problems(plan), source)
    return plan
