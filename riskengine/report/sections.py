"""The content of the three reports: which figures and tables, in which order, with which words.

- score: headline estimates, degradation curve, factors per band, spread,
  cause Paretos, tornado (with ``--sensitivity``), Gantt by hit probability;
  tables of bands, riskiest operations, causes, sensitivity, finish times.
- compare: plans side by side, paired differences (figure and table), ranking.
- measure: per-day trend, factors per band, cause Paretos, Gantt of HIT/MISS;
  tables of total, bands, buckets, resources and areas, causes, data quality.

Each ends with what is needed to reproduce it: command, seed, replications,
engine, version, premises (or adherence rules and plan versions).
"""

from __future__ import annotations

import json
from typing import Any

import riskengine
from riskengine.feasibility.result import plan_check_words
from riskengine.report import figures as fig
from riskengine.report.governance_pages import accountability_blocks
from riskengine.report.headline import headline
from riskengine.report.html import esc, figure, page, svg, table
from riskengine.report.order_pages import compare_orders_blocks, measure_orders_blocks, orders_at_risk_blocks
from riskengine.report.results import interval, pct, sensitivity_rows, source_words
from riskengine.report.terminal import CRITICALITY, CRUCIALITY, SSI, clock, hit_definition, iso_clock

ADHERENCE = (("bts", "BTS"), ("btp", "BTP"), ("volume", "volume"), ("mix", "mix"), ("sequence", "sequence"))
RIGOR = {"volume": "V", "mix": "M", "sequence": "Sq"}


def _h(x: float | None, digits: int = 1) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def _grid(*blocks: str) -> str:
    return '<div class="grid">' + "".join(blocks) + "</div>"


def _section(title: str, *blocks: str) -> str:
    return f"<h2>{esc(title)}</h2>" + "".join(blocks)


def _reproduce(command: str | None, facts: list[tuple[str, Any]], documents: list[tuple[str, Any]]) -> str:
    rows = [("riskengine version", riskengine.__version__), *facts]
    blocks = [table(["", ""], rows, caption="Run")]
    if command:
        blocks.append(f"<p>Command:</p><pre><code>{esc(command)}</code></pre>")
    for title, doc in documents:
        blocks.append(f"<details><summary>{esc(title)}</summary>"
                      f"<pre><code>{esc(json.dumps(doc, indent=2))}</code></pre></details>")
    return _section("Premises and seed (to reproduce this report)", *blocks)


def _estimate_row(label: str, e: dict | None) -> list[Any]:
    if not e:
        return [label, "-", "-", "-", "-", "-"]
    return [label, pct(e["mean"]), f"{pct(e['low'])} - {pct(e['high'])}",
            pct(e.get("p10")), pct(e.get("p50")), pct(e.get("p90"))]


def _gantt(plan: Any, d: dict, caption: str) -> str:
    """The report's Gantt chart: every resource with an operation, or for a big plan the worst
    (:data:`riskengine.report.gantt.REPORT_BARS`, :data:`~riskengine.report.gantt.REPORT_ROWS`)."""
    from riskengine.report.gantt import REPORT_BARS, REPORT_ROWS, shown_resources

    shown, of = shown_resources(plan, d, REPORT_BARS, REPORT_ROWS)
    with_ops = {o["resource"] for o in d["operations"]}
    rows = len(with_ops) if len(shown) == of else len(set(shown) & with_ops)
    if len(shown) < of:
        caption += f" Only {len(shown)} of the {of} resources are drawn (the JSON holds every operation)."
    return figure(svg(lambda ax: fig.gantt(plan, d, ax=ax, max_bars=REPORT_BARS, max_rows=REPORT_ROWS),
                      "gantt", (13.0, 1.4 + 0.55 * (rows or 1))), caption, wide=True)


def score_page(d: dict, *, plan: Any = None, premises: dict | None = None, command: str | None = None) -> str:
    """The report of a score (``riskengine.score/1``)."""
    body = score_blocks(d, plan=plan, premises=premises, command=command)
    return page(f"Score of plan {d['plan']}", f"riskengine score: {d['replications']} replications, "
                f"seed {d['seed']}", headline(d), body)


def score_blocks(d: dict, *, plan: Any = None, premises: dict | None = None,
                 command: str | None = None) -> list[str]:
    """The sections of a score's report (a forecast's report shows them too, after its own)."""
    holds = d["plan_holds"]
    key = [[("probability the plan holds"), pct(holds["mean"]), f"{pct(holds['low'])} - {pct(holds['high'])}",
            "", "", ""]]
    key += [_estimate_row(label, d["adherence"].get(name)) for name, label in ADHERENCE]
    origin = _origin(d)
    body = []
    checked = plan_check_words(d.get("plan_check"))
    if checked:
        body.append(_section("Plan check", f'<p class="warn">{esc(checked)}</p>', table(
            ["kind", "operations", "finding"],
            [[f["kind"], ", ".join(f["operations"]), f["message"]] for f in d["plan_check"]["findings"]],
            caption=f"The first of its {d['plan_check']['errors']} errors")))
    body += [_section("Headline estimates",
                     table(["", "mean", "95% interval", "P10", "P50", "P90"], key, numeric=(1, 2, 3, 4, 5)),
                     f'<p class="note">{esc(_hit_words(d))} {esc(_finish_words(d.get("finish"), origin))} '
                     f'Intervals are the Monte Carlo uncertainty of {d["replications"]} replications '
                     "(Wilson for probabilities, t for means).</p>"
                     + _uncertainty_note(d.get("uncertainty")),
                     _rigor(d.get("rigor_advice")))]
    if d.get("orders"):
        body.append(_section("Orders at risk", *orders_at_risk_blocks(d["orders"])))
    figures = [
        figure(svg(lambda ax: fig.degradation(d, ax=ax), "degradation"),
               "How the probability of holding decays with the horizon; dashed: independent days."),
        figure(svg(lambda ax: fig.factors(d, ax=ax), "factors"),
               "Look at the factors separately before their product (BTS)."),
        figure(svg(lambda ax: fig.distribution(d, ax=ax), "distribution", (8.0, 3.6)),
               "Spread over replications: box P10-P90, line P50, diamond the mean."),
        figure(svg(lambda ax: fig.pareto(d, ax=ax), "pareto-count"),
               "Which disruption sources cause the misses (expected per replication)."),
        figure(svg(lambda ax: fig.pareto(d, ax=ax, by="lost_units"), "pareto-units"),
               "The same causes weighted by the units they cost."),
    ]
    rows = sensitivity_rows(d)
    if rows:
        sources = min(12, len({(r["kind"], r["name"]) for r in rows}))  # the tornado shows at most 12
        figures.append(figure(svg(lambda ax: fig.tornado(d, ax=ax), "tornado", (12.0, 1.4 + 0.3 * sources)),
                              "Gain in expected BTS if each source were removed or halved (CRN-paired).",
                              wide=True))
    if plan is not None:
        figures.append(_gantt(plan, d, "The plan, each operation coloured by its probability of being a HIT; "
                                       "the black line under it runs from the P50 to the P80 of its finish."))
    body.append(_section("Figures", _grid(*figures)))
    bands = [[b["band"], " x ".join(RIGOR[m] for m in b["measures"]), interval(b["score"]),
              *(pct((b.get(m) or {}).get("mean")) for m in ("volume", "mix", "sequence"))]
             for b in d["bands"]]
    risky = sorted(d["operations"], key=lambda o: (o["hit"]["mean"], o["id"]))[:10]
    risky_rows = [[o["id"], o["resource"], interval(o["hit"]), iso_clock(o.get("planned_end")),
                   _h(o["lateness_hours"], 2), pct(o.get("not_executed")), o["main_cause"]] for o in risky]
    causes = [[c["cause"], pct(c["share"]), _h(c["misses_per_replication"], 2), f"{c['lost_units']:,.0f}"]
              for c in d["causes"]]
    tables = [
        table(["band", "rigor", "expected score", "volume", "mix", "sequence"], bands,
              caption="Horizon bands", numeric=(2, 3, 4, 5)),
        table(["operation", "resource", "P(HIT)", "planned end", "expected lateness h", "not executed",
               "main cause"], risky_rows,
              caption="Riskiest operations: the least likely to be a HIT (a miss there may be inherited "
                      "from upstream; Critical operations say where the failures start)",
              numeric=(2, 4, 5)),
        table(["cause", "share of misses", "misses per replication", "lost units per replication"], causes,
              caption="Causes of misses", numeric=(1, 2, 3)),
    ]
    critical = _critical_rows(d.get("criticality"))
    if critical:
        tables.append(table(
            ["operation", "resource", "criticality", "cruciality (1 - BTS)", "cruciality (miss)",
             "SSI", "sd duration h"], critical,
            caption="Critical operations: where the failures start (the first miss of a replication "
                    "began there)", numeric=(2, 3, 4, 5, 6)))
        tables.append('<p class="note">' + "<br>".join(esc(t) for t in (
            f"Criticality: {CRITICALITY}.", f"Cruciality: {CRUCIALITY}.", f"SSI: {SSI}.")) + "</p>")
    if rows:
        tables.append(table(
            ["source", "change", "gain in P(holds)", "gain in BTS (points)"],
            [[source_words(r), r["change"], _points(r["plan_holds"]), _points(r["bts"])] for r in rows],
            caption="Sensitivity: CRN-paired gains with their 95% intervals", numeric=(2, 3)))
    tables.append(table(["resource", "mean", "P50", "P80", "P90"],
                        [[r["id"], *(_when(origin, (r["finish"] or {}).get(k)) for k in ("mean", "p50", "p80",
                                                                                        "p90"))]
                         for r in d["resources"]],
                        caption="Finish time per resource: date (hours from the horizon start)"))
    body.append(_section("Tables", *tables))
    body.append(_reproduce(command, [("plan", d["plan"]), ("seed", d["seed"]),
                                     ("replications", d["replications"]), ("engine", d["engine"]),
                                     ("precision", d["precision"] or "fixed count")],
                           [("Premises (riskengine.premises/1)", d.get("premises") or premises or {})]))
    return body


def _origin(d: dict):
    from datetime import datetime

    horizon = d.get("horizon")
    return datetime.fromisoformat(horizon["start"]) if horizon else None


def _when(origin, hours: float | None) -> str:
    """``Fri 20 Nov 19:18 (+105.3 h)``, or hours alone without a horizon."""
    if hours is None:
        return "-"
    return f"{clock(origin, hours)} (+{hours:.1f} h)" if origin else f"{hours:.1f} h"


def _finish_words(f: dict | None, origin) -> str:
    if not f:
        return ""
    return (f"The last operation finishes on average {_when(origin, f['mean'])} "
            f"(P50 {_when(origin, f['p50'])}, P80 {_when(origin, f['p80'])}, P90 {_when(origin, f['p90'])}; "
            "hours from the horizon start in brackets).")


def _hit_words(d: dict) -> str:
    """What a HIT is under the rules of this score."""
    advice = d.get("rigor_advice") or {}
    if not advice:
        return ""
    e = (d.get("premises") or {}).get("execution", {})
    return (hit_definition(advice["bucket_hours"], e.get("lateness_tolerance_hours", 0.0),
                           e.get("quantity_tolerance", 1.0))
            + "; the plan holds when every operation is a HIT.")


def _uncertainty_note(u: dict | None) -> str:
    """One line on how much of the spread comes from uncertain parameters (none without them)."""
    if not u:
        return ""
    parts = []
    for name, label in (("plan_holds", "plan holds"), ("bts", "BTS")):
        share = (u.get(name) or {}).get("parameter_share") or {}
        if share.get("mean") is not None:
            parts.append(f"{pct(share['mean'])} of the variance of {label} "
                         f"[{pct(share['low'])} - {pct(share['high'])}]")
    said = "; ".join(parts) if parts else "no variance to split"
    return (f'<p class="note">Parameter uncertainty ({len(u["parameters"])} uncertain parameters, '
            f'{u["draws"]} draws x {u["replications_per_draw"]} replications): {esc(said)} comes from '
            "the uncertain parameters, the rest from shop-floor randomness; intervals account for "
            "the shared draws.</p>")


def _rigor(advice: dict | None) -> str:
    """The rigor advice sentences (how far ahead each factor holds at the chosen confidence)."""
    if not advice:
        return ""
    items = "".join(f"<li>{esc(a)}</li>" for a in advice["advice"])
    return (f'<p>Rigor advice at {100 * advice["confidence"]:g}% confidence: how far ahead each factor '
            f'holds, next to what the bands demand:</p><ul class="rigor">{items}</ul>')


def _critical_rows(crit: dict | None, n: int = 10) -> list[list[Any]]:
    """The ``n`` operations with the highest criticality above 0."""
    if not crit:
        return []

    def r(x: float | None) -> str:
        return "-" if x is None else f"{x:+.2f}"

    return [[o["id"], o["resource"], interval(o["criticality"]), r(o["cruciality"]["bts"]),
             r(o["cruciality"]["miss"]), _h(o["ssi"], 3), _h(o.get("duration_sd_hours"), 2)]
            for o in crit["operations"] if o["criticality"]["mean"] > 0][:n]


def _points(e: dict) -> str:
    if e["mean"] is None:
        return "-"
    return f"{100 * e['mean']:+.1f} [{100 * e['low']:+.1f}, {100 * e['high']:+.1f}]"


def compare_page(d: dict, *, plan: Any = None, premises: dict | None = None,
                 command: str | None = None) -> str:
    """The report of a comparison (``riskengine.compare/1``)."""
    rank = {pid: k + 1 for k, pid in enumerate(d["ranking"])}
    plans = [[rank[p["id"]], p["id"], interval(p["plan_holds"]),
              *(interval(p["adherence"].get(m)) for m, _ in ADHERENCE),
              _plan_finish(p)] for p in d["plans"]]
    plans.sort(key=lambda r: r[0])
    body = [_section("Plans", table(["rank", "plan", "P(holds)", *(label for _, label in ADHERENCE),
                                     "mean finish (hours from its start)"], plans,
                                    numeric=(0, 2, 3, 4, 5, 6, 7)))]
    n_pairs = len({(r["a"], r["b"]) for r in d["differences"]})
    body.append(_section("Figures", _grid(
        figure(svg(lambda ax: fig.comparison(d, ax=ax), "comparison"),
               "Each plan's probability of holding and expected BTS with its own 95% interval."),
        figure(svg(lambda ax: fig.differences(d, ax=ax), "differences", (7.0, 1.6 + 0.6 * n_pairs)),
               "Paired differences (common random numbers) with their 95% intervals: "
               "an interval clear of zero is a real difference."))))
    pairs = "common random numbers" if d["paired"] else "independent streams"
    diffs = []
    for r in d["differences"]:
        scale, unit = (1.0, " h") if r["metric"] == "finish" else (100.0, " pt")
        if r["mean"] is None:
            diffs.append([f"{r['a']} - {r['b']}", r["metric"], "-", "-", "-", "-"])
            continue
        diffs.append([f"{r['a']} - {r['b']}", r["metric"], f"{scale * r['mean']:+.2f}{unit}",
                      f"[{scale * r['low']:+.2f}, {scale * r['high']:+.2f}]",
                      f"{scale * r['half_width_paired']:.2f} / {scale * r['half_width_independent']:.2f}",
                      pct(r["p_a_better"])])
    body.append(_section("Paired differences", table(
        ["a - b", "metric", "mean", "95% interval", "half-width paired / independent", "P(a better)"],
        diffs, numeric=(2, 3, 4, 5)),
        f'<p class="note">Scored with {esc(pairs)}: replication k of every plan sees the same breakdowns, '
        "lots and absences, so differences are measured far more precisely than each plan's own figures. "
        f"Ranking: {esc(_ranking_words(d))}.</p>"))
    if compare_orders_blocks(d):
        body.append(_section("Orders", *compare_orders_blocks(d)))
    body.append(_reproduce(command, [("plans", ", ".join(p["id"] for p in d["plans"])), ("seed", d["seed"]),
                                     ("replications per plan", d["replications"]), ("pairing", pairs)],
                           [("Premises (riskengine.premises/1)", premises)] if premises else []))
    return page(f"Comparison of {len(d['plans'])} plans",
                f"riskengine compare: {d['replications']} replications per plan, seed {d['seed']}",
                headline(d), body)


def _ranking_words(d: dict) -> str:
    """How the plans are ranked (``compare --rank-by``)."""
    if d.get("rank_by") == "on_time":
        return ("most orders on time with at least 80% probability first, ties broken by P(holds), "
                "then expected BTS")
    return "most likely to hold first, ties broken by expected BTS"


def _plan_finish(p: dict) -> str:
    """A compared plan's mean finish as a date, hours from its horizon start second."""
    mean = (p.get("finish") or {}).get("mean")
    at = (p.get("finish_at") or {}).get("mean")
    return f"{iso_clock(at)} (+{_h(mean)} h)" if at else f"{_h(mean)} h"


def _measure_hit_words(d: dict) -> str:
    r = d["rules"]
    return hit_definition(d["timeline"]["bucket_hours"], r.get("lateness_tolerance_hours", 0.0),
                          r.get("quantity_tolerance", 1.0)) + "; every other measured operation is a MISS."


def _ratios(row: dict) -> list[str]:
    return [pct(row.get(k)) for k in ("bts", "volume", "mix", "sequence", "btp")]


def measure_page(d: dict, *, plan: Any = None, premises: dict | None = None,
                 command: str | None = None) -> str:
    """The report of a measurement (``riskengine.measurement/1``)."""
    t = d["total"]
    counts = ["planned", "produced", "built_to_mix", "orders_in_sequence", "orders_built_to_mix"]
    ratio_heads = ["BTS", "volume", "mix", "sequence", "BTP"]
    heads = [c.replace("_", " ") + (" (units)" if k < 3 else "") for k, c in enumerate(counts)]
    body = [_section("Total", table([*heads, *ratio_heads], [[*(f"{t[c]:,.0f}" for c in counts),
                                                               *_ratios(t)]],
                                    numeric=range(10)))]
    figures = [
        figure(svg(lambda ax: fig.daily_trend(d, ax=ax), "daily"),
               "Each day's figures come from the summed counts of its buckets, never averaged percentages."),
        figure(svg(lambda ax: fig.factors(d, ax=ax), "factors"),
               "Look at the factors separately before their product (BTS)."),
        figure(svg(lambda ax: fig.pareto(d, ax=ax), "pareto-count"), "Misses per cause."),
        figure(svg(lambda ax: fig.pareto(d, ax=ax, by="lost_units"), "pareto-units"),
               "Units lost per cause."),
    ]
    if plan is not None and d["operations"]:
        figures.append(_gantt(plan, d, "Measured operations at their planned times in the plan in effect; "
                                       "misses are labelled with their cause."))
    body.append(_section("Figures", _grid(*figures)))
    bands = [[b["band"], " x ".join(RIGOR[m] for m in b["measures"]), b["buckets"], pct(b["score"]),
              f"{b['planned']:,.0f}", *_ratios(b)] for b in d["bands"]]
    buckets = [[iso_clock(b["start"], year=True), b["plan"], b["band"],
                f"{b['planned']:,.0f}", f"{b['produced']:,.0f}", *_ratios(b)] for b in d["buckets"]]
    scopes = [[r["id"], f"{r['planned']:,.0f}", f"{r['produced']:,.0f}", *_ratios(r)]
              for r in d["resources"] + d["areas"]]
    causes = [[c["cause"], c["misses"], pct(c["share"]), f"{c['lost_units']:,.0f}"] for c in d["causes"]]
    dq = d["data_quality"]
    quality = [["operations measured", dq["operations"]], ["misses", dq["misses"]],
               ["misses without a recorded cause", f"{dq['misses_without_cause']} "
                                                   f"({pct(dq['share_without_cause'])})"],
               ["unplanned units produced", f"{dq['unplanned_units']:,.0f}"],
               ["records outside the timeline", dq["records_outside_timeline"]]]
    body.append(_section(
        "Tables",
        table(["band", "rigor", "buckets", "score", "planned", *ratio_heads], bands, caption="Horizon bands",
              numeric=range(2, 10)),
        table(["resource / area", "planned", "produced", *ratio_heads], scopes,
              caption="Resources and areas", numeric=range(1, 8)),
        *(accountability_blocks(d) or [table(["cause", "misses", "share", "lost units"], causes,
                                             caption="Causes of misses", numeric=(1, 2, 3))]),
        *measure_orders_blocks(d),
        f'<p class="note">{esc(_measure_hit_words(d))}</p>',
        table(["", ""], quality, caption="Data quality"),
        table(["bucket start", "plan in effect", "band", "planned", "produced", *ratio_heads], buckets,
              caption="Buckets (dates in the plans' offset)", numeric=range(3, 10)),
        *(f'<p class="note">warning: {esc(w)}</p>' for w in d.get("warnings", []))))
    versions = table(["plan version", "published at", "validated"],
                     [[p["id"], p["published_at"], _validated(p)] for p in d["plans"]])
    body.append(_reproduce(command, [("timeline", f"{d['timeline']['start']} to {d['timeline']['end']}"),
                                     ("bucket hours", d["timeline"]["bucket_hours"])],
                           [("Adherence rules", d["rules"])]) + versions)
    return page("Measured adherence", f"riskengine measure: {d['timeline']['buckets']} buckets of "
                f"{d['timeline']['bucket_hours']:g} h against {len(d['plans'])} plan version(s)",
                headline(d), body)


def _validated(p: dict) -> str:
    """'by K. Meyer, Mon 14 Dec 04:00 (3 flags)' or 'never' for a plan version of a measurement."""
    v = p.get("validation")
    if not v:
        return "never"
    return f"by {v['by']}, {iso_clock(v['at'])} ({len(v['flags'])} flag(s))"
