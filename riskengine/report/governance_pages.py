"""The review sheet and the trend as HTML reports, and the measurement's accountability tables.

- review: headline, check findings, forecast, the operations least likely to be a HIT (figure
  and table with causes and owners), rigor against the bands (figure, table, advice), where
  failures start (figure, table), the flags template and the sign-off command;
- trend: headline, adherence per week, the p-chart, misses by owner over time, validated
  against never validated plans (figures); tables of weeks, parts, owners, resources, areas,
  families, flags, the measurements read;
- :func:`accountability_blocks`: the cause Pareto with owners and actions, the Pareto by
  owner, the validated / not validated split and the flags, for the measurement's report.

The pages are built with :mod:`riskengine.report.html` (self-contained, inline SVG, no script).
"""

from __future__ import annotations

from datetime import datetime

import riskengine
from riskengine.governance.text import (
    SIDE_WORDS,
    flag_sentence,
    limits,
    review_headline,
    status_words,
    trend_headline,
    validated_words,
)
from riskengine.report import governance_figures as gf
from riskengine.report.html import esc, figure, page, svg, table
from riskengine.report.results import interval, pct
from riskengine.report.terminal import iso_clock, offset_name

SIDES = ("plan", "execution", "unexplained")


def _section(title: str, *blocks: str) -> str:
    return f"<h2>{esc(title)}</h2>" + "".join(blocks)


def _grid(*blocks: str) -> str:
    return '<div class="grid">' + "".join(blocks) + "</div>"


def _note(text: str) -> str:
    return f'<p class="note">{esc(text)}</p>'


def _run(command: str | None, facts: list[tuple[str, object]]) -> str:
    blocks = [table(["", ""], [("riskengine version", riskengine.__version__), *facts], caption="Run")]
    if command:
        blocks.append(f"<p>Command:</p><pre><code>{esc(command)}</code></pre>")
    return _section("How this report was made", *blocks)


def causes_table(causes: list[dict]) -> str:
    """The cause Pareto with side, owner and corrective action."""
    return table(["cause", "misses", "share", "lost units", "side", "owner", "corrective action"],
                 [[c["cause"], c["misses"], pct(c["share"]), f"{c['lost_units']:,.0f}",
                   SIDE_WORDS.get(c.get("side", ""), "-"), c.get("owner", "-"), c.get("action", "-")]
                  for c in causes], caption="Causes of misses, who owns them and what they call for",
                 numeric=(1, 2, 3))


def owners_table(owners: list[dict], caption: str = "Misses by owner (sums of their causes)") -> str:
    return table(["owner", "misses", "share", "lost units", "causes", "corrective actions"],
                 [[o["owner"], o["misses"], pct(o["share"]), f"{o['lost_units']:,.0f}",
                   ", ".join(o["causes"]), "; ".join(o["actions"])] for o in owners],
                 caption=caption, numeric=(1, 2, 3))


def _split_rows(parts: dict) -> list[list]:
    rows = []
    for name, key in (("validated", "validated"), ("never validated", "not_validated")):
        s = parts[key]
        hit = s.get("hit_rate", s["hits"] / s["operations"] if s["operations"] else None)
        rows.append([name, s["buckets"], s["operations"], pct(hit), pct(s["bts"]), pct(s["btp"]),
                     *(s["sides"][k]["misses"] for k in SIDES)])
    return rows


SPLIT_HEADS = ["plan in effect", "buckets", "operations", "HIT rate", "BTS", "BTP", "plan-side misses",
               "execution-side misses", "unexplained misses"]


def accountability_blocks(d: dict) -> list[str]:
    """The measurement's governance tables (nothing for a measurement without them)."""
    acc = d.get("accountability")
    if not acc:
        return []
    blocks = [causes_table(d["causes"]), owners_table(d.get("owners", [])),
              table(SPLIT_HEADS, _split_rows(acc), caption="Accountability: adherence under validated and "
                    "never validated plans", numeric=range(1, 9)),
              _note(f"Sides: {acc['rule']}.")]
    if acc["flags"]["flags"]:
        blocks.append(_note(flag_sentence(acc["flags"])))
    return blocks


def review_page(d: dict, *, command: str | None = None, **_: object) -> str:
    """The review sheet (``riskengine.review/1``)."""
    p, c, f = d["plan"], d["check"], d["forecast"]
    findings = table(["severity", "kind", "operations", "what"],
                     [[x["severity"], x["kind"], ", ".join(x["operations"]), x["message"]]
                      for x in c["findings"]],
                     caption=f"Check: {c['summary']['errors']} error(s), "
                             f"{c['summary']['warnings']} warning(s)")
    bands = [[b["band"], " x ".join(b["measures"]), interval(b["score"])] for b in f["bands"]]
    body = [_section("1. Check", findings if c["findings"] else _note("No finding: executable as planned.")),
            _section("2. Forecast", table(["", "estimate [95% interval]"],
                                          [["plan holds (every operation a HIT)", interval(f["plan_holds"])],
                                           ["BTS", interval(f["bts"])], ["BTP", interval(f["btp"])]]),
                     table(["band", "rigor", "expected score"], bands, caption="Horizon bands",
                           numeric=(2,)))]
    ops = [[o["id"], o["resource"], o["product"], iso_clock(o["planned_start"]), iso_clock(o["planned_end"]),
            interval(o["hit"]), "; ".join(f"{x['cause']} {pct(x['probability'])} ({x['owner']})"
                                          for x in o["causes"]),
            pct(o["criticality"]["mean"]) if o["criticality"] else "-", ", ".join(o["findings"]) or "-"]
           for o in d["operations"]]
    body.append(_section(
        "3. Operations least likely to be a HIT",
        figure(svg(lambda ax: gf.hit_probabilities(d, ax=ax), "hits", (9.0, 1.2 + 0.35 * len(ops))),
               "P(HIT) with its 95% interval; the colour is the cause of most of its misses.", wide=True),
        table(["operation", "resource", "product", "planned start", "planned end", "P(HIT)",
               "causes: P(miss with it) (owner)", "starts failures", "check"], ops, numeric=(5, 7))))
    body.append(_section("4. Rigor against the bands and 5. Where failures start", _grid(
        figure(svg(lambda ax: gf.rigor_reach(d, ax=ax), "rigor", (8.0, 3.0)),
               "Green: the factor holds as far ahead as the bands demand it; orange: it does not."),
        figure(svg(lambda ax: gf.failure_starts(d, ax=ax), "starts", (7.0, 3.6)),
               "Share of replications whose first miss began on the resource (criticality).")),
        '<ul class="rigor">' + "".join(f"<li>{esc(a)}</li>" for a in (d.get("rigor") or {}).get("advice", []))
        + "</ul>",
        table(["resource", "criticality", "operations", "its riskiest operation"],
              [[r["id"], interval(r["criticality"]), r["operations"], r["riskiest"] or "-"]
               for r in d["resources"]], numeric=(1, 2))))
    body.append(_section(
        "6. Flags", _note("Write the risk of each operation you flag (rows left without a risk are not "
                          "flags), add rows for other operations, then sign the plan off:"),
        f"<pre><code>riskengine review PLAN --sign-off --by NAME --flags FLAGS.csv --out "
        f"{esc(p['id'])}-validated.json</code></pre>",
        table(["operation", "risk", "note"],
              [[r["operation"], r["risk"], r["note"]] for r in d["flags_template"]],
              caption="Flags template (--flags-template writes it as CSV)"),
        *(_note(f"warning: {w}") for w in d.get("warnings", []))))
    body.append(_run(command, [("plan", p["id"]), ("status", status_words(p)),
                               ("replications", f["replications"]), ("seed", f["seed"])]))
    return page(f"Review sheet of plan {p['id']}",
                f"riskengine review: {p['operations']} operations, status {status_words(p)}; "
                f"times in {offset_name(datetime.fromisoformat(p['horizon_start']))}",
                review_headline(d), body)


def _by_week(rows: list[dict], names: list[str], key: str) -> list[str]:
    seen = {r["week"]: r[key] for r in rows}
    return [pct(seen[n]) if n in seen else "-" for n in names]


def trend_page(d: dict, *, command: str | None = None, **_: object) -> str:
    """The trend (``riskengine.trend/1``)."""
    weeks, names = d["weeks"], [w["week"] for w in d["weeks"]]
    body = [_section("Figures", _grid(
        figure(svg(lambda ax: gf.weekly_adherence(d, ax=ax), "weekly"),
               "Each week's figures come from its summed counts, never from averaged percentages."),
        figure(svg(lambda ax: gf.control_chart(d, ax=ax), "pchart"),
               "A week outside its limits had a special cause: look at its owners and causes."),
        figure(svg(lambda ax: gf.owners_over_time(d, ax=ax), "owners"),
               "Who owns the misses, week by week: the structural actions to set."),
        figure(svg(lambda ax: gf.validation_sides(d, ax=ax), "validation"),
               "Once operations validate the plan, misses measure execution rather than the plan."))),
        _section("Weeks", table(
            ["week", "plans", "validated", "planned", "BTS", "BTP", "volume", "mix", "sequence", "operations",
             "HIT rate", "control limits", "plan-side", "execution-side", "unexplained"],
            [[w["week"], ", ".join(w["plans"]), validated_words(w), f"{w['planned']:,.0f}",
              *(pct(w[k]) for k in ("bts", "btp", "volume", "mix", "sequence")), w["operations"],
              pct(w["hit_rate"]), limits(w["p_chart"]), *(w["sides"][k]["misses"] for k in SIDES)]
             for w in weeks], numeric=range(3, 15)),
            _note(f"{d['p_chart']['method']}; center {pct(d['p_chart']['center'])}."))]
    parts = [table(SPLIT_HEADS, _split_rows(d["by_validation"]), caption="All weeks", numeric=range(1, 9))]
    parts += [table(SPLIT_HEADS, _split_rows(w), caption=w["week"], numeric=range(1, 9))
              for w in d["weeks_by_validation"]
              if w["validated"]["operations"] and w["not_validated"]["operations"]]
    if d["flags"]["measured"]:
        parts.append(_note(flag_sentence({**d["flags"], "flags": d["flags"]["measured"]})))
    body.append(_section("Validated against never validated plans", *parts))
    body.append(_section("Owners", owners_table(d["owners"], "Misses by owner, all weeks"), table(
        ["owner", *names], [[o["owner"], *(x["misses"] for x in o["weeks"])] for o in d["owners"]],
        caption="Misses by owner, week by week", numeric=range(1, len(names) + 1))))
    scopes = [table(["id", "all weeks", *names],
                    [[r["id"], pct(r["total"]["bts"]), *_by_week(r["weeks"], names, "bts")] for r in d[key]],
                    caption=f"{title}: BTS per week (own counts)", numeric=range(1, len(names) + 2))
              for title, key in (("Resources", "resources"), ("Areas", "areas")) if d[key]]
    scopes.append(table(["family", "products", "BTP", "HIT rate", *names],
                        [[f["family"], ", ".join(f["products"]), pct(f["btp"]), pct(f["hit_rate"]),
                          *_by_week(f["weeks"], names, "btp")] for f in d["families"]],
                        caption="Product families: BTP per week of their own products (never mixed)",
                        numeric=range(2, len(names) + 4)))
    body.append(_section("Resources, areas and product families", *scopes,
                         *(_note(f"warning: {w}") for w in d.get("warnings", []))))
    body.append(_run(command, [("measurements", len(d["measurements"]))]) + table(
        ["measurement", "week", "start", "end", "plans"],
        [[m["source"], m["week"], iso_clock(m["start"], year=True), iso_clock(m["end"], year=True),
          ", ".join(m["plans"])] for m in d["measurements"]]))
    return page(f"Adherence trend over {len(weeks)} week(s)", f"riskengine trend: {names[0]} to {names[-1]}, "
                f"{len(d['measurements'])} measurement(s)", trend_headline(d), body)
