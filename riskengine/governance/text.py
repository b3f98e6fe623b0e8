"""Terminal lines of the governance parts: the cause and owner Paretos, the accountability split.

Shared by the measurement's summary, the review sheet and the trend (docs/design.md section 9).
"""

from __future__ import annotations

from riskengine.adherence.figures import pct
from riskengine.report.terminal import prose, table

SIDE_WORDS = {"plan": "plan-side", "execution": "execution-side", "unexplained": "unexplained"}


def cause_lines(causes: list[dict]) -> list[str]:
    """The cause Pareto with each cause's side, owner and corrective action."""
    if not causes:
        return []
    return ["  Causes of misses, with who owns them and what they call for"] + table(
        ["cause", "misses", "lost units", "share", "side", "owner", "action"],
        [[c["cause"], c["misses"], f"{c['lost_units']:g}", pct(c["share"], 0),
          SIDE_WORDS.get(c.get("side"), "-"), c.get("owner", "-"), c.get("action", "-")] for c in causes],
        align="lrrrlll")


def owner_lines(owners: list[dict], title: str = "Misses by owner") -> list[str]:
    """The Pareto by owner (count and lost units)."""
    if not owners:
        return []
    return [f"  {title}"] + table(
        ["owner", "misses", "lost units", "share", "causes"],
        [[o["owner"], o["misses"], f"{o['lost_units']:g}", pct(o["share"], 0), ", ".join(o["causes"])]
         for o in owners], align="lrrrl")


def split_row(name: str, s: dict) -> list[str]:
    """One row of the validated / not validated table."""
    sides = s["sides"]
    return [name, str(s["buckets"]), str(s["operations"]), str(s["hits"]), pct(s["bts"]), pct(s["btp"]),
            *(str(sides[k]["misses"]) for k in ("plan", "execution", "unexplained"))]


SPLIT_HEADERS = ["plan in effect", "buckets", "operations", "HIT", "BTS", "BTP", "plan-side",
                 "execution-side", "unexplained"]


def accountability_lines(acc: dict | None) -> list[str]:
    """The validated / not validated split, the side rule and the supervisor's hit rate."""
    if not acc:
        return []
    lines = ["", "  Accountability: adherence under validated and never validated plans, misses by side"]
    lines += table(SPLIT_HEADERS, [split_row("validated", acc["validated"]),
                                   split_row("not validated", acc["not_validated"])], align="lrrrrrrrr")
    lines += prose(f"Sides: {acc['rule']}.")
    f = acc["flags"]
    if f["flags"]:
        lines += prose(flag_sentence(f))
    elif acc["validated"]["buckets"]:
        lines += prose("No risk was flagged at sign-off.")
    return lines


def flag_sentence(f: dict) -> str:
    """'3 of 5 flagged operations missed (60%): the supervisor's hit rate; unflagged ones missed
    12% of the time.'"""
    if not f["measured"]:
        return (f"{f['flags']} risk(s) flagged at sign-off, none on an operation measured against the "
                "version that flagged it.")
    text = (f"Flags: {f['materialized']} of {f['measured']} flagged operations missed "
            f"({pct(f['hit_rate'], 0)}, the supervisor's hit rate)")
    if f["unflagged_miss_rate"] is not None:
        text += (f"; operations nobody flagged missed {pct(f['unflagged_miss_rate'], 0)} of the time "
                 f"({f['unflagged_misses']} of {f['unflagged_operations']})")
    return text + "."
