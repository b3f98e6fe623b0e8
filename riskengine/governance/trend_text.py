"""The trend on the terminal, and its headline (what management reads first)."""

from __future__ import annotations

from riskengine.adherence.figures import pct
from riskengine.governance.text import flag_sentence
from riskengine.report.terminal import prose, table

VALIDATED_WORDS = {True: "yes", False: "no"}


def validated_words(week: dict) -> str:
    """'yes', 'no' or '3 of 21 buckets'."""
    n, v = week["buckets"], week["validated_buckets"]
    return "yes" if v == n and n else "no" if v == 0 else f"{v} of {n} buckets"


def limits(point: dict | None) -> str:
    if point is None:
        return "-"
    mark = {"above": "  ABOVE", "below": "  BELOW"}.get(point["out_of_control"] or "", "")
    return f"{pct(point['lower'])} - {pct(point['upper'])}{mark}"


def headline(d: dict) -> str:
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


def _split_rows(parts: dict) -> list[list[str]]:
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
             f"{len(d['measurements'])} measurement(s)", "", *prose(headline(d)), "",
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
                    "unexplained"], _split_rows(d["by_validation"]), align="lrrrrrrr")
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
