"""Sign-off: the plan version operations validated (``riskengine review --sign-off``).

``sign_off(plan, by=..., flags=...)`` returns the plan document
(``riskengine.plan/1``) with ``status: validated`` and its ``validation``
record: who signed it off, when, and the risks they flagged (docs/design.md
section 9). Everything else is the plan as read, times as ISO 8601 in their
own offset, so the validated version re-reads as the same plan: same id, same
operations, same publication (measure's plan in effect does not move).

The flags come from the review sheet's template (CSV: ``operation``, ``risk``,
``note``, any delimiter riskengine reads). A row whose ``risk`` is empty is a
template row the supervisor did not flag and is skipped; every other row
must name an operation of the plan (a misspelt id is refused with the closest
one, ``row 3.operation``).
"""

from __future__ import annotations

import difflib
import os
from datetime import UTC, datetime, timezone

from riskengine.errors import InputError, Problem
from riskengine.governance.review import FLAG_COLUMNS
from riskengine.model.plan import Plan, parse_plan
from riskengine.model.validation import Flag


def read_flags(path: str | os.PathLike, plan: Plan) -> tuple[list[dict], int]:
    """The flags of a filled-in template, and how many rows were left without a risk (skipped)."""
    from pydantic import ValidationError

    from riskengine.errors import from_pydantic
    from riskengine.io.readers import read_csv_rows

    rows = read_csv_rows(path, set(FLAG_COLUMNS))
    flags, problems, skipped = [], [], 0
    known = plan.operation_index
    for k, row in enumerate(rows, start=1):
        if not row.get("risk"):
            skipped += 1
            continue
        try:
            flag = Flag.model_validate(row)
        except ValidationError as exc:
            problems += from_pydantic(exc, prefix=f"row {k}").problems
            continue
        if flag.operation not in known:
            close = difflib.get_close_matches(flag.operation, list(known), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(Problem(f"row {k}.operation",
                                    f"unknown operation {flag.operation!r} (not in plan {plan.id}){hint}"))
            continue
        flags.append(flag.model_dump(mode="json", exclude_none=True))
    if problems:
        raise InputError(problems, str(path))
    return flags, skipped


def now_in(plan: Plan) -> datetime:
    """The time now, to the second, in the offset of the plan's horizon start."""
    offset = plan.horizon.start.utcoffset()
    tz = timezone(offset) if offset is not None else UTC
    return datetime.now(tz).replace(microsecond=0)


def sign_off(plan: Plan, *, by: str, at: datetime | None = None, flags: list[dict] | None = None) -> dict:
    """The validated version of ``plan`` as a ``riskengine.plan/1`` document (module docstring).

    Parameters
    ----------
    plan
        The plan version signed off.
    by
        Who signs it off.
    at
        When (default: now, in the plan's offset).
    flags
        The flagged risks (``{"operation", "risk", "note"}``), e.g. from :func:`read_flags`.

    Returns
    -------
    dict
        The plan document, validated again (a problem raises :class:`InputError`).

    Examples
    --------
    >>> import riskengine as rk
    >>> from datetime import datetime
    >>> plan = rk.read_plan("scenarios/example-factory/plan-v1.json")
    >>> doc = sign_off(plan, by="K. Meyer", at=datetime.fromisoformat("2026-11-16T05:30:00+01:00"),
    ...                flags=[{"operation": "WO1092-20", "risk": "breakdown"}])
    >>> doc["status"], doc["validation"]["by"], rk.parse_plan(doc).validation.flags[0].operation
    ('validated', 'K. Meyer', 'WO1092-20')
    """
    doc = plan.model_dump(mode="json", by_alias=True, exclude_none=True)
    doc["status"] = "validated"
    doc["validation"] = {"by": by, "at": (at or now_in(plan)).isoformat(), "flags": list(flags or [])}
    parse_plan(doc, source=f"sign-off of {plan.id}")
    return doc
