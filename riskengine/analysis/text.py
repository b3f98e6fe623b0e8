"""The terminal summaries of a score and a comparison (what ``print(result)`` shows).

Times are dates in the plan's offset with hours from the horizon start as a
second figure; tables are aligned on their widest cell and never cut an id;
every figure says what it means where it is shown (what a HIT is, what
"holds" means, cruciality and SSI in a legend).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from riskengine.adherence.figures import pct
from riskengine.analysis.criticality import top_critical
from riskengine.analysis.order_text import compare_order_lines, order_lines
from riskengine.feasibility.result import plan_check_words
from riskengine.report.terminal import (
    CRITICALITY,
    CRUCIALITY,
    SSI,
    clock,
    hit_definition,
    horizon_line,
    iso_clock,
    listing,
    prose,
    table,
    warning_lines,
)

if TYPE_CHECKING:
    from riskengine.analysis.compare import CompareResult
    from riskengine.analysis.result import ScoreResult

ADHERENCE: tuple[tuple[Literal["bts", "btp", "volume", "mix", "sequence"], str], ...] = (
    ("bts", "BTS (volume x mix x sequence)"), ("btp", "BTP (built to mix / planned)"),
    ("volume", "volume"), ("mix", "mix"), ("sequence", "sequence"))
RISKIEST = 5


def _interval(e: Mapping[str, Any] | None) -> str:
    return "-" if e is None else f"[{pct(e['low'])} - {pct(e['high'])}]"


def _origin(result: ScoreResult) -> datetime | None:
    return datetime.fromisoformat(result.horizon["start"]) if result.horizon else None


def score_text(r: ScoreResult) -> str:
    """The terminal summary of a score."""
    origin = _origin(r)
    execution = r.premises.get("execution", {})
    bucket = r.rigor_advice["bucket_hours"] if r.rigor_advice else None
    lines = [f"Plan {r.plan}: {r.replications} replications, seed {r.seed} ({r.engine} engine)"]
    if r.horizon and origin is not None:
        lines.append(horizon_line(origin, datetime.fromisoformat(r.horizon["end"])))
    lines.append("")
    if bucket is not None:
        lines += prose(hit_definition(bucket, execution.get("lateness_tolerance_hours", 0.0),
                                      execution.get("quantity_tolerance", 1.0))
                       + "; the plan holds when every operation is a HIT.")
    pc = r.plan_check
    checked = plan_check_words(dict(pc) if pc else None)
    if checked and pc:
        lines += prose(checked)
        lines += [line for f in pc["findings"] for line in prose(f"{f['kind']}: {f['message']}", 4)]
        more = pc["errors"] - len(pc["findings"])
        if more > 0:
            lines.append(f"    ... and {more} more (riskengine check lists them all)")
    h = r.plan_holds
    if h is not None:
        lines.append(f"  Probability the plan is executed as planned: {pct(h['mean'])} {_interval(h)}")
    if r.holds_through_day:
        lines += prose("Holds through day (every operation planned to end by then a HIT): "
                       + ", ".join(f"d{d['day']} {pct(d['mean'])}" for d in r.holds_through_day))
    lines += ["", "  Expected adherence"]
    rows = [[label, pct(e["mean"]), _interval(e), pct(e["p10"]), pct(e["p50"]), pct(e["p90"])]
            for name, label in ADHERENCE if (e := r.adherence[name]) is not None]
    lines += table(["", "mean", "95% interval", "P10", "P50", "P90"], rows)
    if r.main_impact:
        lines.append(f"  The factor that costs most: {r.main_impact}")
    lines += ["", "  Horizon bands (each scored on its rigor)"]
    lines += table(["band", "rigor", "expected score", "95% interval"],
                   [[b["band"], " x ".join(b["measures"]), pct(b["score"]["mean"]), _interval(b["score"])]
                    for b in r.bands if b["score"] is not None], align="llrr")
    lines += _finish_lines(r, origin)
    lines += order_lines(r.orders)
    lines += _riskiest_lines(r, origin)
    if r.causes:
        lines += ["", *prose("Miss causes (share of all misses): "
                             + listing([f"{c['cause']} {pct(c['share'], 0)}" for c in r.causes]))]
    lines += uncertainty_lines(r.uncertainty)
    lines += insight_lines(r.criticality, r.rigor_advice)
    lines += _sensitivity_lines(r.sensitivity)
    if r.warnings:
        lines += ["", *warning_lines(r.warnings)]
    return "\n".join(lines)


def _finish_lines(r: ScoreResult, origin: datetime | None) -> list[str]:
    f: Mapping[str, Any] | None = r.finish
    if not f:
        return []
    rows = [[name, clock(origin, f[key]) if origin else "-", "-" if f[key] is None else f"+{f[key]:.1f} h"]
            for name, key in (("mean", "mean"), ("P50", "p50"), ("P80", "p80"), ("P90", "p90"))]
    return ["", "  Finish of the last operation",
            *table(["", "date", "from horizon start"], rows, align="llr")]


def _riskiest_lines(r: ScoreResult, origin: datetime | None) -> list[str]:
    ops = r.riskiest(RISKIEST)
    if not ops:
        return []
    rows = []
    for o in ops:
        late = "-" if o["lateness_hours"] is None else f"{o['lateness_hours']:.1f} h"
        end = iso_clock(o.get("planned_end"))
        rows.append([o["id"], o["resource"], pct(o["hit"]["mean"]), end, late, o["main_cause"] or "-"])
    return ["", *prose(f"Riskiest operations: the {len(ops)} least likely to be a HIT (a miss there may "
                       "be inherited from upstream: Critical operations below say where failures start)"),
            *table(["operation", "resource", "P(HIT)", "planned end", "mean lateness", "main cause"],
                   rows, align="llrlrl")]


def insight_lines(crit: Mapping[str, Any] | None, rigor: Mapping[str, Any] | None) -> list[str]:
    """The terminal lines of criticality (top 5 operations and resources) and rigor advice."""
    lines = []
    ops, res = top_critical(crit)
    if ops:
        rows = [[o["id"], o["resource"], pct(o["criticality"]["mean"]),
                 "-" if (cr := o["cruciality"]["bts"]) is None else f"{cr:+.2f}",
                 "-" if o["ssi"] is None else f"{o['ssi']:.3f}"] for o in ops]
        lines += ["", *prose("Critical operations: where the failures start (the first miss of a "
                             "replication began there, even when it was absorbed there and only a "
                             "later operation missed)"),
                  *table(["operation", "resource", "share", "cruciality", "SSI"], rows, align="llrrr"),
                  *(line for text in (f"share (criticality): {CRITICALITY}", f"cruciality: {CRUCIALITY}",
                                      f"SSI: {SSI}") for line in prose(text, 4))]
        lines += prose("Critical resources (share of replications whose first miss began there): "
                       + ", ".join(f"{r['id']} {pct(r['criticality']['mean'])}" for r in res))
    if rigor:
        lines += ["", "  Rigor advice: how far ahead each factor holds, next to what the bands demand"]
        lines += [line for a in rigor["advice"] for line in prose(a, 4)]
    return lines


def uncertainty_lines(u: Mapping[str, Any] | None) -> list[str]:
    """The terminal lines of the variance decomposition (none without uncertain parameters)."""
    if not u:
        return []
    lines = ["", f"  Parameter uncertainty: {len(u['parameters'])} uncertain parameters, {u['draws']} draws "
             f"x {u['replications_per_draw']} replications"]
    first_day = u["holds_through_day"][0]["variance"] if u["holds_through_day"] else None
    for d, label in ((u["plan_holds"], "plan holds"), (first_day, "holds day 1"), (u["bts"], "BTS")):
        if d and d["parameter_share"]["mean"] is not None:
            sh = d["parameter_share"]
            lines.append(f"    {label}: {pct(sh['mean'], 0)} of the variance from the parameters "
                         f"[{pct(sh['low'], 0)} - {pct(sh['high'], 0)}], "
                         f"{pct(1 - sh['mean'], 0)} from shop-floor randomness")
    return lines


def _points(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:+.1f} pt"


def _sensitivity_lines(s: Mapping[str, Any] | None) -> list[str]:
    if not s:
        return []
    rows = [[r["kind"], r["name"], r["change"], _points(r["plan_holds"]["mean"]), _points(r["bts"]["mean"])]
            for r in s["rows"] if r["plan_holds"]["mean"] is not None]
    return ["", "  Sensitivity: gain (CRN-paired, percentage points) if a source is removed or halved",
            *table(["kind", "source", "change", "plan holds", "BTS"], rows, align="lllrr")]


def _mean(e: Mapping[str, Any] | None) -> float | None:
    return None if e is None else e["mean"]


def compare_text(r: CompareResult) -> str:
    """The terminal summary of a comparison."""
    lines = [f"Compared {len(r.plans)} plans, {r.replications} replications each, seed {r.seed} "
             f"({'common random numbers' if r.paired else 'independent streams'})", ""]
    rows = []
    for p in r.plans:
        finish = p["finish"]
        at: Mapping[str, Any] = p.get("finish_at") or {}
        rows.append([p["id"], pct(_mean(p["plan_holds"])), pct(_mean(p["adherence"]["bts"])),
                     pct(_mean(p["adherence"]["btp"])),
                     iso_clock(at.get("mean")),
                     "-" if finish is None else f"{finish['mean']:.1f} h"])
    lines += table(["plan", "P(holds)", "BTS", "BTP", "mean finish", "from its horizon start"], rows,
                   indent=2)
    lines += ["", "  Differences a - b (paired: the same disruptions for both plans)"]
    rows = []
    for d in r.differences:
        if d["mean"] is None or d["low"] is None or d["high"] is None:
            continue
        scale, unit = (1.0, " h") if d["metric"] == "finish" else (100.0, " pt")
        rows.append([d["a"], d["b"], d["metric"], f"{d['mean'] * scale:+.2f}{unit}",
                     f"[{d['low'] * scale:+.2f}, {d['high'] * scale:+.2f}]", pct(d["p_a_better"], 0)])
    lines += table(["a", "b", "metric", "mean", "95% interval", "P(a better)"], rows, align="lllrrr")
    lines += compare_order_lines(r.plans, r.order_differences)
    how = ("most orders on time with >= 80% probability first" if r.rank_by == "on_time"
           else "most likely to hold first")
    lines += ["", *prose(f"Ranking ({how}): " + " > ".join(r.ranking))]
    if r.warnings:
        lines += ["", *warning_lines(r.warnings)]
    return "\n".join(lines)
