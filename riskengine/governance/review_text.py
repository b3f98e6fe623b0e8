"""The review sheet on the terminal, and its headline (what a supervisor reads first)."""

from __future__ import annotations

from datetime import datetime

from riskengine.adherence.figures import pct
from riskengine.feasibility.result import VERDICTS
from riskengine.report.terminal import horizon_line, iso_clock, listing, prose, table

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
        return f"{status}, validated by {v['by']} on {iso_clock(v['at'])}"
    return f"{status}, never validated"


def headline(d: dict) -> str:
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
             "", *prose(headline(d)), "",
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
