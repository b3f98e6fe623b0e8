"""The score result (``riskengine.score/1``): estimates with their Monte Carlo uncertainty."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import timedelta
from functools import partial

import numpy as np

from riskengine.adherence.figures import pct
from riskengine.analysis.criticality import criticality, top_critical
from riskengine.analysis.rigor import DEFAULT_CONFIDENCE, rigor_advice
from riskengine.analysis.variance import uncertainty_section
from riskengine.model.common import CAUSES
from riskengine.model.plan import Plan
from riskengine.model.premises import Premises
from riskengine.simulation.accumulate import HOURS_SCALE, UNITS_SCALE, Accumulators
from riskengine.simulation.compile import Compiled
from riskengine.simulation.statistics import finish_estimate as _finish
from riskengine.simulation.statistics import proportion as _proportion
from riskengine.simulation.statistics import ratio as _ratio
from riskengine.simulation.statistics import wilson
from riskengine.simulation.summary import (
    BAND_FIELDS,
    BTP,
    BTS,
    BUCKET_FIELDS,
    FINISH,
    HOLDS,
    MIX,
    SEQUENCE,
    VOLUME,
)

SCORE_FORMAT = "riskengine.score/1"
FACTORS = ("volume", "mix", "sequence")


@dataclass
class ScoreResult:
    """Forecast of a plan's execution: probability it holds, adherence, finish, risks.

    Every estimate is ``{"mean", "low", "high"}`` (95% interval: Wilson for
    probabilities, t for means), continuous ones add ``p10``, ``p50``, ``p90``.
    """

    plan: str
    seed: int
    engine: str
    replications: int
    precision: float | None
    plan_holds: dict
    holds_through_day: list[dict]
    adherence: dict
    bands: list[dict]
    buckets: list[dict]
    finish: dict | None
    resources: list[dict]
    operations: list[dict]
    causes: list[dict]
    main_impact: str | None
    premises: dict = field(default_factory=dict)
    sensitivity: dict | None = None
    uncertainty: dict | None = None
    criticality: dict | None = None
    rigor_advice: dict | None = None

    def to_dict(self) -> dict:
        return {"format": SCORE_FORMAT, **asdict(self)}

    def to_frames(self) -> dict:
        """This result as tidy pandas DataFrames (extra ``pandas``; :mod:`riskengine.interop.results`)."""
        from riskengine.interop.results import to_frames

        return to_frames(self)

    def riskiest(self, n: int = 5) -> list[dict]:
        """The operations least likely to be a HIT."""
        return sorted(self.operations, key=lambda o: (o["hit"]["mean"], o["id"]))[:n]

    def __str__(self) -> str:
        h, a = self.plan_holds, self.adherence
        lines = [f"Plan {self.plan}: {self.replications} replications, seed {self.seed} "
                 f"({self.engine} engine)", "",
                 f"  Probability the plan is executed as planned: {pct(h['mean'])} "
                 f"[{pct(h['low'])} - {pct(h['high'])}]"]
        if self.holds_through_day:
            curve = "  ".join(f"d{d['day']} {pct(d['mean'], 0)}" for d in self.holds_through_day)
            lines.append(f"  Holds through day: {curve}")
        lines += ["", "  Expected adherence    mean     95% interval       P10     P50     P90"]
        for name in ("bts", "btp", "volume", "mix", "sequence"):
            e = a[name]
            if e is not None:
                label = name.upper() if name in ("bts", "btp") else name
                lines.append(f"    {label:<18} {pct(e['mean']):>7}  "
                             f"[{pct(e['low'])} - {pct(e['high'])}]  {pct(e['p10']):>7} "
                             f"{pct(e['p50']):>7} {pct(e['p90']):>7}")
        if self.main_impact:
            lines.append(f"  The factor that costs most: {self.main_impact}")
        lines += ["", "  Band      rigor                 expected score"]
        for b in self.bands:
            if b["score"] is not None:
                lines.append(f"    {b['band']:<8} {' x '.join(b['measures']):<22} {pct(b['score']['mean'])}")
        if self.finish:
            f = self.finish
            lines += ["", f"  Finish (hours from horizon start): mean {f['mean']:.1f}, P50 {f['p50']:.1f}, "
                      f"P80 {f['p80']:.1f}, P90 {f['p90']:.1f}"]
        lines += ["", "  Riskiest operations    P(hit)   lateness h   main cause"]
        for o in self.riskiest():
            lines.append(f"    {o['id'][:20]:<20} {pct(o['hit']['mean']):>7} {o['lateness_hours']:>11.2f}"
                         f"   {o['main_cause'] or '-'}")
        if self.causes:
            lines += ["", "  Miss causes: " + ", ".join(f"{c['cause']} {pct(c['share'], 0)}"
                                                         for c in self.causes[:6])]
        lines += uncertainty_lines(self.uncertainty)
        lines += insight_lines(self.criticality, self.rigor_advice)
        if self.sensitivity:
            lines += ["", "  Sensitivity: CRN-paired gain if removed/halved   plan holds        BTS"]
            for r in self.sensitivity["rows"]:
                if r["plan_holds"]["mean"] is not None:
                    lines.append(f"    {r['kind']:<8} {r['name'][:30]:<30} {r['change']:<8} "
                                 f"{100 * r['plan_holds']['mean']:>+8.1f}pt "
                                 f"{100 * (r['bts']['mean'] or 0):>+8.1f}pt")
        return "\n".join(lines)


def insight_lines(crit: dict | None, rigor: dict | None) -> list[str]:
    """The terminal lines of criticality (top 5 operations and resources) and rigor advice."""
    lines = []
    ops, res = top_critical(crit)
    if ops:
        lines += ["", "  Critical operations (share of replications whose first miss began there)",
                  f"    {'operation':<30} {'resource':<12} {'share':>7}   {'crucial.':>8}  {'SSI':>6}"]
        for o in ops:
            cr = o["cruciality"]["bts"]
            lines.append(f"    {o['id'][:30]:<30} {o['resource'][:12]:<12} {pct(o['criticality']['mean']):>7}"
                         f"   {'-' if cr is None else f'{cr:+.2f}':>8}  "
                         f"{'-' if o['ssi'] is None else format(o['ssi'], '.3f'):>6}")
        lines.append("  Critical resources: " + ", ".join(f"{r['id']} {pct(r['criticality']['mean'])}"
                                                          for r in res))
    if rigor:
        lines += ["", "  Rigor advice:"] + [f"    {a}" for a in rigor["advice"]]
    return lines


def build_result(plan: Plan, premises: Premises, c: Compiled, acc: Accumulators, *, seed: int,
                 engine: str, precision: float | None,
                 confidence: float = DEFAULT_CONFIDENCE) -> ScoreResult:
    """Turn accumulated replications into the score's estimates (``confidence``: of the rigor
    advice)."""
    n = acc.replications
    rows = acc.rows[:n]
    lay = acc.layout
    # nested replications (uncertain parameters): intervals account for the draws they share
    m = c.replications_per_draw if c.uncertain else 1
    ratio, proportion, finish_estimate = (partial(f, per_draw=m) for f in (_ratio, _proportion, _finish))
    adherence = {"bts": ratio(rows[:, BTS]), "btp": ratio(rows[:, BTP]),
                 "volume": ratio(rows[:, VOLUME]), "mix": ratio(rows[:, MIX]),
                 "sequence": ratio(rows[:, SEQUENCE])}
    bands = []
    for k, band in enumerate(premises.rules().bands):
        base = lay.bands + BAND_FIELDS * k
        bands.append({"band": band.label, "until_hours": band.until_hours,
                      "measures": list(band.measures), "score": ratio(rows[:, base]),
                      **{m: ratio(rows[:, base + 1 + j]) for j, m in enumerate(FACTORS)}})
    buckets = []
    for b in range(c.n_buckets):
        base = lay.buckets + BUCKET_FIELDS * b
        start = plan.horizon.start + timedelta(hours=b * c.bucket_hours)
        buckets.append({"index": b, "start": start.isoformat(),
                        "end": (start + timedelta(hours=c.bucket_hours)).isoformat(),
                        "band": bands[int(c.band_of_bucket[b])]["band"],
                        "bts": ratio(rows[:, base]), "btp": ratio(rows[:, base + 1])})
    operations = []
    for i, op in enumerate(plan.operations):
        executed = int(acc.op_executed[i])
        causes = acc.op_causes[i]
        main = CAUSES[int(np.argmax(causes))] if causes.any() else None
        judged = c.op_bucket[i] >= 0
        operations.append({
            "id": op.id, "resource": op.resource,
            "hit": wilson(int(acc.op_hits[i]), n) if judged else None,
            "lateness_hours": acc.op_lateness[i] / HOURS_SCALE / executed if executed else None,
            "not_executed": 1.0 - executed / n,
            "main_cause": main,
            "causes": {CAUSES[k]: int(v) / n for k, v in enumerate(causes) if v},
        })
    operations = [o for o in operations if o["hit"] is not None]
    misses = int(acc.cause_misses.sum())
    causes = [{"cause": CAUSES[k], "share": int(m) / misses, "misses_per_replication": int(m) / n,
               "lost_units": acc.cause_lost[k] / UNITS_SCALE / n}
              for k, m in enumerate(acc.cause_misses) if m]
    causes.sort(key=lambda row: (-row["share"], CAUSES.index(row["cause"])))
    means = {m: adherence[m]["mean"] for m in FACTORS if adherence[m] is not None}
    return ScoreResult(
        plan=plan.id, seed=seed, engine=engine, replications=n, precision=precision,
        plan_holds=proportion(rows[:, HOLDS]),
        holds_through_day=[{"day": d + 1, **proportion(rows[:, lay.days + d])}
                           for d in range(lay.n_days)],
        adherence=adherence, bands=bands, buckets=buckets,
        finish=finish_estimate(rows[:, FINISH]),
        resources=[{"id": r.id, "finish": finish_estimate(rows[:, lay.resources + k])}
                   for k, r in enumerate(plan.resources)],
        operations=operations, causes=causes,
        main_impact=min(means, key=lambda m: (means[m], FACTORS.index(m))) if means else None,
        premises=premises.model_dump(mode="json", by_alias=True),
        uncertainty=uncertainty_section(rows, {"plan_holds": HOLDS, "bts": BTS, "btp": BTP,
                                               "finish": FINISH}, m, tuple(str(k) for k in c.par_keys),
                                        range(lay.days, lay.days + lay.n_days)),
        criticality=criticality(plan, c, acc),
        rigor_advice=rigor_advice(plan, premises, c, acc, confidence),
    )


def uncertainty_lines(u: dict | None) -> list[str]:
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
