"""Terminal words of the governance results: the measurement's accountability parts, the review
sheet and the trend, with the headlines a supervisor and management read first (docs/design.md
section 9)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from riskengine.adherence.figures import pct
from riskengine.feasibility.result import VERDICTS
from riskengine.report.terminal import horizon_line, iso_clock, listing, prose, table

SIDE_WORDS = {"plan": "plan-side", "execution": "execution-side", "unexplained": "unexplained"}


def cause_lines(causes: Sequence[Mapping[str, Any]]) -> list[str]:
    """The cause Pareto with each cause's side, owner and corrective action."""
    if not causes:
        return []
    return ["  Causes of misses, with who owns them and what they call for"] + table(
        ["cause", "misses", "lost units", "share", "side", "owner", "action"],
        [[c["cause"], c["misses"], f"{c['lost_units']:g}", pct(c["share"], 0),
          SIDE_WORDS.get(c.get("side", ""), "-"), c.get("owner", "-"), c.get("action", "-")] for c in causes],
        align="lrrrlll")


def owner_lines(owners: Sequence[Mapping[str, Any]], title: str = "Misses by owner") -> list[str]:
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


def accountability_lines(acc: Mapping[str, Any] | None) -> list[str]:
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


# -- the review sheet ----------------------------------------------------------------------

#: Check findings listed on the sheet (every one is in the JSON and the HTML report).
MAX_FINDINGS = 20


def _interval(e: dict | None) -> str:
    if not e or e.get("mean") is None:
        return "-"
    return f"{pct(e['mean'])} [{pct(e['low'])} - {pct(e['high'])}]"


def status_words(plan: dict) -> str:
    """'proposed, never validated' / 'validated by A. Supervisor on Mon 16 Nov 05:40'."""
    status = plan.get("status") or "no status recorded"
    v = plan.get("validation")
    if v:
        said = "" if status == "validated" else f"{status}, "
        return f"{said}validated by {v['by']} on {iso_clock(v['at'])}"
    return f"{status}, never validated"


def review_headline(d: dict) -> str:
    """One sentence: is it executable, how likely it holds, where it is weakest, what to flag."""
    summary = d["check"]["summary"]
    verdict = VERDICTS[summary["verdict"]]
    if summary["errors"]:
        errors = [f for f in d["check"]["findings"] if f["severity"] == "error"]
        kinds = list(dict.fromkeys(f["kind"] for f in errors))
        where = list(dict.fromkeys(f["resource"] for f in errors if f["resource"]))
        verdict += (f" ({summary['errors']} check error(s): {', '.join(kinds)}"
                    + (f"; on {listing(where, 4)}" if where else "") + ")")
    holds = (d["forecast"].get("plan_holds") or {}).get("mean")
    parts = [f"Plan {d['plan']['id']} is {verdict}",
             f"it holds as planned with probability {pct(holds)}" if holds is not None else None]
    short = [f["factor"] for f in (d.get("rigor") or {}).get("factors", []) if not f["enough"]]
    if short:
        parts.append(f"{' and '.join(short)} will not hold as far ahead as the bands demand")
    if d["operations"]:
        o = d["operations"][0]
        cause = f", mostly {o['causes'][0]['cause']}" if o["causes"] else ""
        parts.append(f"least likely to hold: {o['id']} on {o['resource']} (P(HIT) {pct(o['hit']['mean'])}"
                     f"{cause})")
    if d["resources"] and d["resources"][0]["criticality"]["mean"] > 0:
        r = d["resources"][0]
        parts.append(f"failures start most often on {r['id']} ({pct(r['criticality']['mean'], 0)} of "
                     "replications)")
    return "; ".join(p for p in parts if p) + "."


def review_text(d: dict) -> str:
    """The terminal summary of a review sheet (``riskengine.review/1``)."""
    p, c, f = d["plan"], d["check"], d["forecast"]
    lines = [f"Review sheet of plan {p['id']} ({status_words(p)}), {p['operations']} operations",
             horizon_line(*(datetime.fromisoformat(p[k]) for k in ("horizon_start", "horizon_end"))),
             "", *prose(review_headline(d)), "",
             f"  1. Check: {VERDICTS[c['summary']['verdict']]} ({c['summary']['errors']} error(s), "
             f"{c['summary']['warnings']} warning(s))"]
    lines += [f"     {x['severity'].upper():<7} {x['kind']:<9} {x['message']}"
              for x in c["findings"][:MAX_FINDINGS]]
    if len(c["findings"]) > MAX_FINDINGS:
        lines.append(f"     ... and {len(c['findings']) - MAX_FINDINGS} more (all in --json and --report)")
    lines += ["", *prose(f"2. Forecast ({f['replications']} replications, seed {f['seed']}): plan holds "
                         f"{_interval(f['plan_holds'])}; expected BTS {_interval(f['bts'])}, "
                         f"BTP {_interval(f['btp'])}", hang=3)]
    lines += ["", "  3. Operations least likely to be a HIT, and why"]
    lines += table(["operation", "resource", "planned end", "P(HIT)", "causes (P(miss with it), owner)",
                    "starts failures", "check"],
                   [[o["id"], o["resource"], iso_clock(o["planned_end"]), pct(o["hit"]["mean"]),
                     listing([f"{x['cause']} {pct(x['probability'], 0)} ({x['owner']})" for x in o["causes"]],
                             3),
                     pct(o["criticality"]["mean"]) if o["criticality"] else "-",
                     ", ".join(o["findings"]) or "-"] for o in d["operations"]], align="lllrlrl")
    lines += _rigor_lines(d.get("rigor"))
    lines += ["", "  5. Where failures start (share of replications whose first miss began there)"]
    lines += table(["resource", "criticality", "operations", "its riskiest operation"],
                   [[r["id"], _interval(r["criticality"]), r["operations"], r["riskiest"] or "-"]
                    for r in d["resources"]], align="lrrl")
    lines += ["", *prose(f"6. Flags: {len(d['flags_template'])} operations in the template (riskiest first, "
                         "then those check names in errors); write the risk of each operation you flag "
                         "(rows left without a risk are not flags), add rows for others, then sign off: "
                         f"riskengine review PLAN --sign-off --by NAME --flags FLAGS.csv --out "
                         f"{p['id']}-validated.json")]
    for w in d.get("warnings", []):
        lines += prose(f"warning: {w}")
    return "\n".join(lines)


def _rigor_lines(rigor: dict | None) -> list[str]:
    if not rigor:
        return []
    lines = ["", f"  4. Rigor against the bands ({pct(rigor['confidence'], 0)} confidence)"]
    lines += table(["factor", "holds through", "bands demand it through", "enough"],
                   [[x["factor"], f"{iso_clock(x['holds_until'])} ({x['holds_hours']:g} h)"
                     if x["holds_hours"] else "not the first bucket",
                     "every band" if x["demanded_hours"] is None else f"{x['demanded_hours']:g} h",
                     "yes" if x["enough"] else "NO"] for x in rigor["factors"]], align="lllr")
    for sentence in rigor["advice"]:
        lines += prose(sentence, indent=4)
    return lines


# -- the trend ----------------------------------------------------------------------------

def validated_words(week: dict) -> str:
    """'yes', 'no' or '3 of 21 buckets'."""
    n, v = week["buckets"], week["validated_buckets"]
    return "yes" if v == n and n else "no" if v == 0 else f"{v} of {n} buckets"


def limits(point: dict | None) -> str:
    if point is None:
        return "-"
    mark = {"above": "  ABOVE", "below": "  BELOW"}.get(point["out_of_control"] or "", "")
    return f"{pct(point['lower'])} - {pct(point['upper'])}{mark}"


def trend_headline(d: dict) -> str:
    """One sentence: adherence over the weeks, validated against not, control, the top owner."""
    t, parts = d["total"], []
    parts.append(f"Over {len(d['weeks'])} week(s) BTS {pct(t['bts'], 0)} and BTP {pct(t['btp'], 0)} "
                 f"(summed counts), {pct(t['hit_rate'], 0)} of {t['operations']} operations a HIT")
    yes, no = d["by_validation"]["validated"], d["by_validation"]["not_validated"]
    if yes["operations"] and no["operations"]:
        parts.append(f"under validated plans BTS {pct(yes['bts'], 0)} and HIT rate "
                     f"{pct(yes['hit_rate'], 0)}, under plans never validated {pct(no['bts'], 0)} and "
                     f"{pct(no['hit_rate'], 0)}")
    elif not yes["operations"]:
        parts.append("no plan in effect was validated by operations")
    out = d["p_chart"]["weeks_out_of_control"]
    parts.append(f"out of control: {', '.join(out)}" if out else "every week within its control limits")
    if d["owners"]:
        o = d["owners"][0]
        parts.append(f"most misses are {o['owner']}'s ({pct(o['share'], 0)}: {', '.join(o['causes'])})")
    return "; ".join(parts) + "."


def _trend_split_rows(parts: dict) -> list[list[str]]:
    rows = []
    for name, key in (("validated", "validated"), ("not validated", "not_validated")):
        s = parts[key]
        rows.append([name, str(s["operations"]), pct(s["hit_rate"]), pct(s["bts"]), pct(s["btp"]),
                     *(str(s["sides"][k]["misses"]) for k in ("plan", "execution", "unexplained"))])
    return rows


def trend_text(d: dict) -> str:
    """The terminal summary of a trend (``riskengine.trend/1``)."""
    weeks = d["weeks"]
    names = [w["week"] for w in weeks]
    lines = [f"Adherence trend over {len(weeks)} week(s) ({names[0]} to {names[-1]}), "
             f"{len(d['measurements'])} measurement(s)", "", *prose(trend_headline(d)), "",
             "  Weeks (every figure from the week's summed counts; p-chart of the HIT rate)"]
    lines += table(["week", "plans", "validated", "planned", "BTS", "BTP", "volume", "mix", "sequence",
                    "operations", "HIT rate", "control limits", "plan-side", "execution-side", "unexplained"],
                   [[w["week"], ", ".join(w["plans"]), validated_words(w), f"{w['planned']:g}", pct(w["bts"]),
                     pct(w["btp"]), pct(w["volume"]), pct(w["mix"]), pct(w["sequence"]), w["operations"],
                     pct(w["hit_rate"]), limits(w["p_chart"]),
                     *(w["sides"][k]["misses"] for k in ("plan", "execution", "unexplained"))]
                    for w in weeks],
                   align="lll" + "r" * 12)
    lines += prose(f"{d['p_chart']['method']}; center {pct(d['p_chart']['center'])}.")
    lines += ["", "  Validated against never validated plans (all weeks; misses by side)"]
    lines += table(["plan in effect", "operations", "HIT rate", "BTS", "BTP", "plan-side", "execution-side",
                    "unexplained"], _trend_split_rows(d["by_validation"]), align="lrrrrrrr")
    if d["owners"]:
        lines += ["", "  Misses by owner, week by week"]
        lines += table(["owner", "total", "lost units", *names],
                       [[o["owner"], o["misses"], f"{o['lost_units']:g}", *(x["misses"] for x in o["weeks"])]
                        for o in d["owners"]])
    for title, key in (("Resources", "resources"), ("Areas", "areas")):
        if d[key]:
            lines += ["", f"  {title}: BTS per week (own counts)"]
            lines += table(["id", "all weeks", *names],
                           [[r["id"], pct(r["total"]["bts"]), *_by_week(r["weeks"], names, "bts")]
                            for r in d[key]])
    if d["families"]:
        lines += ["", "  Product families: BTP per week (own products only), HIT rate of their operations"]
        lines += table(["family", "BTP", "HIT rate", *names],
                       [[f["family"], pct(f["btp"]), pct(f["hit_rate"]), *_by_week(f["weeks"], names, "btp")]
                        for f in d["families"]])
    if d["flags"]["measured"]:
        f = d["flags"]
        lines += ["", *prose(flag_sentence({**f, "flags": f["measured"]}))]
    for w in d.get("warnings", []):
        lines += prose(f"warning: {w}")
    return "\n".join(lines)


def _by_week(rows: list[dict], names: list[str], key: str) -> list[str]:
    seen = {r["week"]: r[key] for r in rows}
    return [pct(seen[n]) if n in seen else "-" for n in names]
