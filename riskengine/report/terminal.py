"""What the terminal summaries share: aligned tables that never cut a cell, dates, legends.

- :func:`table` lays out rows under headers, each column as wide as its
  widest cell (ids are never cut: a long id widens its column).
- :func:`clock` and :func:`iso_clock` show a time as a date in the plan's
  offset (``Fri 20 Nov 19:18``); hours from the horizon start are only ever a
  second figure next to it (:func:`when`).
- :func:`listing` joins items and says how many are left out when it has
  to stop (``..., and 3 more``): a list is never silently cut; so do
  :func:`warning_lines` past :data:`MAX_WARNINGS` (a big plan's warnings).
- :data:`HIT`, :data:`CRUCIALITY`, :data:`SSI`: the one-line explanations
  shown wherever those figures are (terminal, HTML report, ``--help``).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from datetime import datetime, timedelta

#: Width prose lines are wrapped at (tables are as wide as their cells).
WIDTH = 100

#: Warnings a terminal summary (or stderr) shows; the rest are counted on one line (the JSON has all).
MAX_WARNINGS = 20

#: One-line explanations of the figures a planner meets (terminal legend, HTML report, --help).
CRITICALITY = ("the share of replications whose first miss (the miss with the earliest planned start) "
               "began at the operation")
CRUCIALITY = ("correlation of the operation's delay with the plan's loss of BTS (+1: when it is late, "
              "adherence drops in step; 0: its delay does not matter)")
SSI = ("schedule sensitivity index = sd(the operation's duration) / sd(the plan's finish) x criticality "
       "(Vanhoucke 2010): how much of the finish's spread starts there")


def hit_definition(bucket_hours: float, lateness_tolerance: float = 0.0,
                   quantity_tolerance: float = 1.0) -> str:
    """What a HIT is, in the rules in force: "An operation is a HIT when it completes within its
    planned bucket (8 h) plus 1 h, with at least 98% of its quantity, in sequence"."""
    late = f" plus {lateness_tolerance:g} h" if lateness_tolerance else ""
    qty = ("its quantity" if quantity_tolerance >= 1
           else f"at least {100 * quantity_tolerance:g}% of its quantity")
    return (f"An operation is a HIT when it completes within its planned bucket ({bucket_hours:g} h)"
            f"{late}, with {qty}, in sequence")


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], align: str = "",
          indent: int = 4, gap: int = 2) -> list[str]:
    """Lines of a table: each column as wide as its widest cell or header, nothing cut.

    ``align`` has one letter per column, ``l`` or ``r`` (default: the first
    column left, the others right)."""
    cells = [[str(c) for c in row] for row in rows]
    n = len(headers)
    align = (align or "l" + "r" * (n - 1)).ljust(n, "r")
    widths = [max([len(headers[k])] + [len(row[k]) for row in cells]) for k in range(n)]

    def line(values: Sequence[str]) -> str:
        parts = [v.ljust(w) if a == "l" else v.rjust(w)
                 for v, w, a in zip(values, widths, align, strict=True)]
        return (" " * indent + (" " * gap).join(parts)).rstrip()

    return [line(list(headers))] + [line(row) for row in cells]


#: Phrases a line is never broken inside: "8 h", "+1.2 pt", "Mon 16 Nov 14:00", "K1 17.7%".
_UNBREAKABLE = re.compile(r"\d h\b|\d pt\b|\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d\d \w{3}(?: \d{4})? \d\d:\d\d"
                          r"|[^\s,(]+ [<>]?\d+(?:\.\d+)?%")


def prose(text: str, indent: int = 2, hang: int = 2) -> list[str]:
    """``text`` wrapped at :data:`WIDTH` columns, its continuation lines indented ``hang`` more;
    a number stays with its unit, a date with its time, a name with its percentage."""
    glued = _UNBREAKABLE.sub(lambda m: m.group(0).replace(" ", "\0"), text)
    lines = textwrap.wrap(glued, WIDTH, initial_indent=" " * indent, subsequent_indent=" " * (indent + hang),
                          break_on_hyphens=False, break_long_words=False)
    return [line.replace("\0", " ") for line in lines]


def capped_warnings(warnings: Sequence[str], limit: int = MAX_WARNINGS) -> list[str]:
    """``warning: ...`` for the first ``limit`` warnings, then one line saying how many more there
    are and where they all are (at 200,000 operations a plan can warn of tens of thousands of late
    orders; the result's JSON keeps every one)."""
    out = [f"warning: {w}" for w in warnings[:limit]]
    if len(warnings) > limit:
        out.append(f"... and {len(warnings) - limit} more warnings (the JSON result, --json, lists all "
                   f"{len(warnings)})")
    return out


def warning_lines(warnings: Sequence[str], limit: int = MAX_WARNINGS) -> list[str]:
    """:func:`capped_warnings` as a summary's prose lines."""
    return [line for w in capped_warnings(warnings, limit) for line in prose(w)]


def listing(items: Sequence[str], limit: int | None = None, more: str = "") -> str:
    """``a, b, c`` — or ``a, b, and 3 more`` (plus ``more``, e.g. where the rest is) past ``limit``."""
    if limit is None or len(items) <= limit:
        return ", ".join(items)
    rest = len(items) - limit
    return ", ".join(items[:limit]) + f", and {rest} more" + (f" {more}" if more else "")


def clock(origin: datetime, hours: float | None, year: bool = False) -> str:
    """``Fri 20 Nov 19:18``: ``hours`` after ``origin`` as a date in ``origin``'s offset."""
    if hours is None:
        return "-"
    t = origin + timedelta(hours=float(hours))
    return t.strftime("%a %d %b %Y %H:%M" if year else "%a %d %b %H:%M")


def iso_clock(iso: str | None, year: bool = False) -> str:
    """An ISO 8601 time as ``Fri 20 Nov 19:18`` (in its own offset)."""
    if iso is None:
        return "-"
    return datetime.fromisoformat(iso).strftime("%a %d %b %Y %H:%M" if year else "%a %d %b %H:%M")


def when(origin: datetime, hours: float | None) -> str:
    """``Fri 20 Nov 19:18 (+105.3 h)``: the date first, hours from the horizon start second."""
    if hours is None:
        return "-"
    return f"{clock(origin, hours)} (+{hours:.1f} h)"


def offset_name(t: datetime) -> str:
    """``UTC+01:00``: the offset dates are shown in."""
    text = t.isoformat()
    return "UTC" + (text[-6:] if text[-6] in "+-" else "+00:00")


def horizon_line(start: datetime, end: datetime) -> str:
    """``Horizon Mon 16 Nov 2026 06:00 to Mon 23 Nov 2026 06:00 (times in UTC+00:00)``."""
    return (f"Horizon {start.strftime('%a %d %b %Y %H:%M')} to {end.strftime('%a %d %b %Y %H:%M')} "
            f"(times in {offset_name(start)})")
