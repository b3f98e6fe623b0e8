"""A plan version's status and its operational validation (optional fields of ``riskengine.plan/1``).

A schedule goes from planning to the shop floor through a review: planning
proposes a version, the supervisor who will execute it reviews it
(``riskengine review``), flags the risks they see and signs it off
(``riskengine review --sign-off``), planning publishes it. A version records
where it is in that life in ``status`` and, once signed off, who signed it,
when and what they flagged in ``validation`` (docs/design.md section 9).

A version *is validated* when it carries a ``validation`` record: ``status``
says where it is now (``validated``, or ``published`` after the sign-off),
the record says that operations accepted it. The rules checked on reading:
``status: validated`` needs the record; a ``draft`` or ``proposed`` version
carries none (a changed plan is signed off again); a flag names an operation
of the plan. Plans without these fields read as before (status unknown, not
validated).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from riskengine.errors import Problem
from riskengine.model.common import MAX_OPERATIONS, Id, Instant, Strict

if TYPE_CHECKING:
    from riskengine.model.plan import Plan

Status = Literal["draft", "proposed", "validated", "published"]
STATUSES: tuple[str, ...] = ("draft", "proposed", "validated", "published")
#: A short free text (a name, a risk).
Text = Annotated[str, Field(min_length=1, max_length=200)]


class Flag(Strict):
    """A risk the supervisor flagged when reviewing the plan: which operation, what risk, a note."""

    operation: Id
    """The operation at risk (an operation id of this plan)."""
    risk: Text
    """What may go wrong, in the supervisor's words: a cause of the taxonomy (material, breakdown,
    setup, ...) or a short phrase."""
    note: Annotated[str, Field(max_length=2000)] | None = None
    """Anything else: what was agreed, who watches it."""


class Validation(Strict):
    """The sign-off of a plan version by operations: who, when, and the risks they flagged."""

    by: Text
    """Who signed the plan off for execution (the supervisor's name or role)."""
    at: Instant
    """When, ISO 8601 with a UTC offset."""
    flags: list[Flag] = Field(default_factory=list, max_length=MAX_OPERATIONS)
    """The risks flagged at review (may be empty: nothing flagged)."""


def is_validated(plan: Plan) -> bool:
    """Whether operations signed this version off (it carries a ``validation`` record)."""
    return plan.validation is not None


def validation_problems(plan: Plan) -> list[Problem]:
    """The status and the validation record agree, and flags name operations of the plan."""
    problems: list[Problem] = []
    if plan.status == "validated" and plan.validation is None:
        problems.append(Problem("validation", "required when status is validated (who signed the plan "
                                "off, when, and the flags: riskengine review --sign-off writes both)"))
    if plan.status in ("draft", "proposed") and plan.validation is not None:
        problems.append(Problem("validation", f"a {plan.status} plan carries no validation: a plan that "
                                "changed after its sign-off is signed off again (status validated)"))
    if plan.validation is not None:
        known = plan.operation_index
        for k, flag in enumerate(plan.validation.flags):
            if flag.operation not in known:
                problems.append(Problem(f"validation.flags[{k}].operation",
                                        f"unknown operation {flag.operation!r} (not in this plan)"))
    return problems


def unvalidated_warning(plan: Plan) -> str | None:
    """The warning ``check`` gives for a plan in effect (status published or not given) that
    operations never signed off; None for a validated, draft or proposed plan."""
    if is_validated(plan) or plan.status in ("draft", "proposed"):
        return None
    said = "status published" if plan.status == "published" else "no status recorded: read as in effect"
    return (f"plan {plan.id} ({said}) was never validated by operations: its adherence will measure "
            "the plan as much as its execution; review it with riskengine review and sign it off "
            "(riskengine review --sign-off)")
