"""The score result (``riskengine.score/1``): estimates with their Monte Carlo uncertainty."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any, Final, Literal

import numpy as np
from pydantic import Field

from riskengine.analysis.criticality import criticality
from riskengine.analysis.documents import (
    Adherence,
    BandForecast,
    BucketForecast,
    CauseShare,
    Criticality,
    DayHolds,
    Factor,
    FinishAt,
    HorizonDates,
    OperationForecast,
    ParameterUncertainty,
    PlanCheck,
    ResourceFinish,
    RigorAdvice,
    Sensitivity,
)
from riskengine.analysis.orders import OrderForecast, operation_finishes, order_forecasts
from riskengine.analysis.rigor import DEFAULT_CONFIDENCE, rigor_advice
from riskengine.analysis.variance import uncertainty_section
from riskengine.feasibility.checks import check
from riskengine.io.documents import Document, Estimate, Finish, Rules
from riskengine.model.common import CAUSES
from riskengine.model.orders import planned_late
from riskengine.model.plan import Plan, plan_warnings
from riskengine.model.premises import Premises, premises_warnings
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

SCORE_FORMAT: Final = "riskengine.score/1"
FACTORS = ("volume", "mix", "sequence")


class ScoreResult(Document):
    """Forecast of a plan's execution (``riskengine.score/1``): probability it holds, adherence,
    finish, risks.

    Every estimate is ``{"mean", "low", "high"}`` (95% interval: Wilson for
    probabilities, t for means), continuous ones add ``p10``, ``p50``, ``p90``.
    """

    format: Literal["riskengine.score/1"] = SCORE_FORMAT
    """The document's format and version."""
    plan: str
    """The scored plan version's id."""
    seed: int
    """Seed of the counter-based random numbers (same seed, same inputs: the same result)."""
    engine: Literal["kernel", "reference"]
    """The simulation engine: the numba kernel or the SimPy reference."""
    replications: int
    """Replications run."""
    precision: float | None
    """Target half-width of the adaptive mode (null: a fixed number of replications)."""
    plan_holds: Estimate | None
    """P(the plan is executed as planned): every operation is a HIT."""
    holds_through_day: list[DayHolds]
    """P(the plan holds through day k), k = 1, 2, ...: the degradation curve."""
    adherence: Adherence
    """Expected adherence over the horizon."""
    bands: list[BandForecast]
    """Expected adherence per horizon band, with the band's rigor."""
    buckets: list[BucketForecast]
    """Expected BTS and BTP per bucket."""
    finish: Finish | None
    """Hours from the horizon start to the last completion."""
    resources: list[ResourceFinish]
    """Each resource's finish."""
    operations: list[OperationForecast]
    """Each judged operation: P(HIT), lateness, main miss cause."""
    causes: list[CauseShare]
    """The miss Pareto: every cause with misses, most frequent first."""
    main_impact: Factor | None
    """The factor (volume, mix or sequence) that costs the most adherence."""
    premises: dict[str, Any] = Field(default_factory=dict)
    """The premises used (riskengine.premises/1, every default filled in)."""
    plan_check: PlanCheck | None = None
    """What riskengine check finds in the plan: its errors are executed, not refused."""
    rules: Rules | None = None
    """The adherence rules the replications were judged by (the premises' execution and bands,
    the plan's bucket): the rules ``riskengine measure --premises`` applies to realized data."""
    sensitivity: Sensitivity | None = None
    """The tornado of ``--sensitivity`` (null without it)."""
    uncertainty: ParameterUncertainty | None = None
    """The variance from uncertain parameters (null without them)."""
    criticality: Criticality | None = None
    """Which operations and resources start the failures."""
    rigor_advice: RigorAdvice | None = None
    """How far ahead volume, mix and sequence hold."""
    horizon: HorizonDates | None = None
    """The plan's horizon: its start is the origin of every figure in hours, and its offset that
    of every time shown."""
    finish_at: FinishAt | None = None
    """The finish as dates in the plan's offset."""
    warnings: list[str] = Field(default_factory=list)
    """What the inputs leave out or name in vain (premises entries the plan does not use, a plan
    without calendars, ...)."""
    orders: list[OrderForecast] = Field(default_factory=list)
    """Each customer order of the plan (its ``orders``): P(on time), completion dates, tardiness,
    main cause (empty when the plan lists no orders)."""

    def to_frames(self) -> dict:
        """This result as tidy pandas DataFrames (extra ``pandas``; :mod:`riskengine.interop.results`)."""
        from riskengine.interop.results import to_frames

        return to_frames(self)

    def riskiest(self, n: int = 5) -> list[OperationForecast]:
        """The operations least likely to be a HIT."""
        return sorted(self.operations, key=lambda o: (o["hit"]["mean"], o["id"]))[:n]

    def __str__(self) -> str:
        from riskengine.analysis.text import score_text

        return score_text(self)


def build_result(plan: Plan, premises: Premises, c: Compiled, acc: Accumulators, *, seed: int,
                 engine: str, precision: float | None,
                 confidence: float = DEFAULT_CONFIDENCE, warnings: list[str] | None = None) -> ScoreResult:
    """Turn accumulated replications into the score's estimates (``confidence``: of the rigor
    advice; ``warnings``: the inputs' warnings when the caller has them, else those of ``plan``)."""
    n = acc.replications
    col = acc.column  # a figure's values, or its sketch past the row budget (simulation/streamed.py)
    lay = acc.layout
    # nested replications (uncertain parameters): intervals account for the draws they share
    m = c.replications_per_draw if c.uncertain else 1
    ratio, proportion, finish_estimate = (partial(f, per_draw=m) for f in (_ratio, _proportion, _finish))
    adherence = {"bts": ratio(col(BTS)), "btp": ratio(col(BTP)),
                 "volume": ratio(col(VOLUME)), "mix": ratio(col(MIX)),
                 "sequence": ratio(col(SEQUENCE))}
    bands = []
    for k, band in enumerate(premises.rules().bands):
        base = lay.bands + BAND_FIELDS * k
        bands.append({"band": band.label, "until_hours": band.until_hours,
                      "measures": list(band.measures), "score": ratio(col(base)),
                      **{m: ratio(col(base + 1 + j)) for j, m in enumerate(FACTORS)}})
    buckets = []
    for b in range(c.n_buckets):
        base = lay.buckets + BUCKET_FIELDS * b
        start = plan.horizon.start + timedelta(hours=b * c.bucket_hours)
        buckets.append({"index": b, "start": start.isoformat(),
                        "end": (start + timedelta(hours=c.bucket_hours)).isoformat(),
                        "band": bands[int(c.band_of_bucket[b])]["band"],
                        "bts": ratio(col(base)), "btp": ratio(col(base + 1))})
    orders = acc.orders()
    finishes = operation_finishes(plan, c, orders, n)
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
            "planned_end": op.end.isoformat(),
            "finish": finishes[i],
        })
    operations = [o for o in operations if o["hit"] is not None]
    misses = int(acc.cause_misses.sum())
    causes = [{"cause": CAUSES[k], "share": int(m) / misses, "misses_per_replication": int(m) / n,
               "lost_units": acc.cause_lost[k] / UNITS_SCALE / n}
              for k, m in enumerate(acc.cause_misses) if m]
    causes.sort(key=lambda row: (-row["share"], CAUSES.index(row["cause"])))
    means = {m: e["mean"] for m in FACTORS if (e := adherence[m]) is not None}
    finish = finish_estimate(col(FINISH))
    return ScoreResult.build(
        plan=plan.id, seed=seed, engine=engine, replications=n, precision=precision,
        plan_holds=proportion(col(HOLDS)),
        # (never None: every replication has a value; proportion() is None for none)
        holds_through_day=[{"day": d + 1, **proportion(col(lay.days + d))}  # type: ignore[dict-item]
                           for d in range(lay.n_days)],
        adherence=adherence, bands=bands, buckets=buckets,
        finish=finish,
        resources=[{"id": r.id, "finish": finish_estimate(col(lay.resources + k))}
                   for k, r in enumerate(plan.resources)],
        operations=operations, causes=causes,
        main_impact=min(means, key=lambda m: (means[m], FACTORS.index(m))) if means else None,
        premises=premises.model_dump(mode="json", by_alias=True),
        rules=premises.rules().document(c.bucket_hours),
        plan_check=check(plan).brief(),
        uncertainty=uncertainty_section(col, n, {"plan_holds": HOLDS, "bts": BTS, "btp": BTP,
                                                 "finish": FINISH}, m, tuple(str(k) for k in c.par_keys),
                                        range(lay.days, lay.days + lay.n_days)),
        criticality=criticality(plan, c, acc),
        rigor_advice=rigor_advice(plan, premises, c, acc, confidence),
        horizon={"start": plan.horizon.start.isoformat(), "end": plan.horizon.end.isoformat()},
        finish_at=finish_dates(plan, finish),
        warnings=(premises_warnings(premises, plan) + plan_warnings(plan) + planned_late(plan)
                  if warnings is None else warnings),
        orders=order_forecasts(plan, c, orders, n),
    )


def finish_dates(plan: Plan, finish: dict | None) -> dict | None:
    """The finish estimate's mean and percentiles as ISO dates in the plan's offset."""
    if finish is None:
        return None
    start = plan.horizon.start
    return {k: None if finish[k] is None else (start + timedelta(hours=finish[k])).isoformat()
            for k in ("mean", "p50", "p80", "p90")}
