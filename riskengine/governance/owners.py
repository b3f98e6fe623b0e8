"""Who owns each cause of a miss, the corrective action it calls for, and which side it is on.

A cause Pareto tells what went wrong; management acts on it through the people
who own the causes (docs/design.md section 9). :data:`DEFAULT_OWNERS` is the
table of the founding design (breakdown -> maintenance -> preventive
maintenance, material -> planning and supply -> supplier and lead-time
review, ...), completed for the causes it does not name; a small TOML file
(``riskengine.owners/1``, ``--owners F.toml``) overrides any entry::

    format = "riskengine.owners/1"
    [causes.breakdown]
    owner = "maintenance"
    action = "TPM: autonomous maintenance on the ovens"

:data:`SIDES` splits the causes by accountability: *plan-side* causes are
what the plan assumed and the shop floor could not deliver (``planning``:
capacity, lead times, an impossible sequence; the unmet constraints
``material`` and ``setup``: a lot that did not arrive when planned, a
changeover longer than the plan allowed); *execution-side* causes arise on
the shop floor during execution, from its decisions (``operational``,
``local-decision``) and its reliability (``breakdown``, ``performance``,
``absenteeism``, ``quality``: the plan takes their rates as given, their
owners are on the shop side); *unexplained* misses have no root of their
own on record (``unknown``: no cause recorded; ``knock-on``: inherited from
an earlier miss that the record does not name).
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from riskengine.errors import InputError, Problem, validate_document
from riskengine.model.common import CAUSES, Strict

OWNERS_FORMAT = "riskengine.owners/1"

#: cause -> (owner, corrective action): the founding design's table (its section 10.5) and, for the
#: causes it does not name, performance -> engineering, knock-on and unknown -> supervision.
DEFAULT_OWNERS: dict[str, tuple[str, str]] = {
    "material": ("planning and supply", "supplier and lead-time review"),
    "breakdown": ("maintenance", "preventive maintenance"),
    "performance": ("engineering", "rate standards and micro-stop reduction"),
    "absenteeism": ("team management", "staffing"),
    "quality": ("quality", "scrap reduction"),
    "setup": ("engineering", "SMED and sequencing rules"),
    "planning": ("planning", "premises and rules review"),
    "local-decision": ("supervision", "visual management and escalation"),
    "operational": ("supervision", "visual management and escalation"),
    "knock-on": ("supervision", "record the miss a delay was inherited from"),
    "unknown": ("supervision", "cause capture at the line (reason codes in the MES)"),
}

Side = Literal["plan", "execution", "unexplained"]
#: side -> its causes, in taxonomy order (module docstring).
SIDES: dict[str, tuple[str, ...]] = {
    "plan": ("material", "setup", "planning"),
    "execution": ("breakdown", "performance", "absenteeism", "quality", "local-decision", "operational"),
    "unexplained": ("knock-on", "unknown"),
}
SIDE_OF: dict[str, str] = {cause: side for side, causes in SIDES.items() for cause in causes}
#: The rule in one sentence, as the measurement states it.
SIDE_RULE = ("plan-side: what the plan assumed and the shop floor could not deliver (planning; unmet "
             "constraints: material, setup); execution-side: what arose on the shop floor during "
             "execution, its decisions (operational, local-decision) and its reliability (breakdown, "
             "performance, absenteeism, quality); unexplained: no root of its own on record (unknown, "
             "knock-on)")

Text = Annotated[str, Field(min_length=1, max_length=200)]


class CauseOwner(Strict):
    """Who owns a cause and what they do about it (either may be left to the default)."""

    owner: Text | None = None
    """The function that owns the cause (maintenance, quality, ...)."""
    action: Text | None = None
    """The structural corrective action the cause calls for."""


class OwnersFile(Strict):
    """Overrides of the cause ownership table (``riskengine.owners/1``; every cause not named keeps
    its default owner and action)."""

    format: Literal["riskengine.owners/1"]
    """The format and its version."""
    causes: dict[str, CauseOwner] = Field(default_factory=dict)
    """Cause of the taxonomy -> its owner and action."""


Owners = dict[str, tuple[str, str]]


def owner_table(overrides: OwnersFile | None = None) -> Owners:
    """The ownership table: :data:`DEFAULT_OWNERS` with ``overrides`` applied."""
    table = dict(DEFAULT_OWNERS)
    for cause, entry in (overrides.causes if overrides else {}).items():
        owner, action = table[cause]
        table[cause] = (entry.owner or owner, entry.action or action)
    return table


def parse_owners(data: object, source: str | None = None) -> Owners:
    """Validate an owners document and return the whole table (defaults where it is silent)."""
    model = validate_document(OwnersFile, data, "an owners file must be a TOML table or JSON object",
                              source)
    problems = []
    for cause, entry in model.causes.items():
        if cause not in CAUSES:
            close = difflib.get_close_matches(cause, CAUSES, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else f" (causes: {', '.join(CAUSES)})"
            problems.append(Problem(f"causes.{cause}", f"unknown cause{hint}"))
        elif entry.owner is None and entry.action is None:
            problems.append(Problem(f"causes.{cause}", "give an owner, an action or both"))
    if problems:
        raise InputError(problems, source)
    return owner_table(model)


def read_owners(path: str | os.PathLike | None) -> Owners:
    """The cause ownership table of a ``riskengine.owners/1`` file, the defaults where it is silent.

    Parameters
    ----------
    path
        A TOML file (JSON by the suffix ``.json``); None gives the default table.

    Returns
    -------
    dict
        cause -> (owner, corrective action), for every cause of the taxonomy.

    Examples
    --------
    >>> import riskengine as rk
    >>> owners = rk.read_owners("scenarios/governance-weeks/owners.toml")
    >>> owners["material"][0], owners["breakdown"]
    ('purchasing', ('maintenance', 'preventive maintenance'))
    """
    if path is None:
        return owner_table()
    import json
    import tomllib

    path = Path(path)
    if not path.is_file():
        raise InputError(Problem("--owners", f"no such file {str(path)!r}"))
    try:
        text = path.read_text(encoding="utf-8-sig")
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise InputError(Problem("", f"not valid {'JSON' if path.suffix.lower() == '.json' else 'TOML'}: "
                                 f"{exc}"), str(path)) from None
    except (UnicodeDecodeError, RecursionError):
        raise InputError(Problem("", "not a readable UTF-8 text file"), str(path)) from None
    return parse_owners(data, str(path))


def annotate_causes(causes: list[dict], owners: Owners) -> None:
    """Give each row of a cause Pareto its owner, action and side (in place)."""
    for row in causes:
        owner, action = owners[row["cause"]]
        row.update(owner=owner, action=action, side=SIDE_OF[row["cause"]])


def by_owner(causes: list[dict], owners: Owners) -> list[dict]:
    """The Pareto by owner: each owner's misses and lost units summed over its causes.

    Rows ``{"owner", "causes", "actions", "misses", "lost_units", "share"}`` with the causes (and
    their distinct actions) in taxonomy order; most misses first, then most lost units, then the
    owner's name. The rows sum to the cause Pareto: every cause has exactly one owner.
    """
    rows: dict[str, dict] = {}
    for c in sorted(causes, key=lambda c: CAUSES.index(c["cause"])):
        owner, action = owners[c["cause"]]
        row = rows.setdefault(owner, {"owner": owner, "causes": [], "actions": [], "misses": 0,
                                      "lost_units": 0.0, "share": 0.0})
        row["causes"].append(c["cause"])
        if action not in row["actions"]:
            row["actions"].append(action)
        row["misses"] += c["misses"]
        row["lost_units"] += c["lost_units"]
    total = sum(r["misses"] for r in rows.values())
    for r in rows.values():
        r["share"] = r["misses"] / total if total else 0.0
    return sorted(rows.values(), key=lambda r: (-r["misses"], -r["lost_units"], r["owner"]))
