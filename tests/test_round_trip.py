"""A simulated replication is realized data (docs/design.md section 3): the round trip as a
property over random plans and premises, for both engines.

A replication written as realized data (``riskengine simulate``'s actuals CSV) and measured with
the same rules (``measure(..., premises)``) gives exactly the engine's own judgement: volume,
mix, sequence, BTP and BTS to the last bit, plan holds, the number of HITs, and each operation's
HIT/MISS and cause. And the mean of the replications' summary rows is score's mean, to the bit.

Plans and premises: several resources, routings, calendars with nights and weekends, setup
matrices the plan may ignore, lots the plan may start before, overlapping operations, every
disruption source, operator deviation, both on_blocked policies, uncertain parameters
(:func:`test_kernel_equivalence.plan_and_premises`), and random adherence rules (lateness and
quantity tolerances, both sequence bases, bands). Size: CASES random cases x REPLICATIONS
replications x 2 engines (the closing note of issue 16 states it); ROUND_TRIP_CASES and
ROUND_TRIP_REPLICATIONS set a longer campaign.
"""

from __future__ import annotations

import math
import os

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_kernel_equivalence import plan_and_premises

import riskengine as rk
from riskengine.adherence import arrays as ar
from riskengine.analysis.simulate import _write_csv
from riskengine.model.common import CAUSES
from riskengine.model.premises import parse_premises
from riskengine.plugins import compile_with_plugins
from riskengine.simulation.realize import ACTUALS_COLUMNS, realizations

CASES = int(os.environ.get("ROUND_TRIP_CASES", "60"))  # a longer campaign: set both
REPLICATIONS = int(os.environ.get("ROUND_TRIP_REPLICATIONS", "25"))
RATIOS = ("bts", "btp", "volume", "mix", "sequence")


@st.composite
def with_rules(draw):
    """A random plan and premises with random adherence rules."""
    plan, premises = draw(plan_and_premises())
    data = premises.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["execution"] |= {"lateness_tolerance_hours": draw(st.sampled_from([0.0, 0.5, 1.0])),
                          "quantity_tolerance": draw(st.sampled_from([1.0, 0.98, 0.9])),
                          "sequence_basis": draw(st.sampled_from(["orders", "units"]))}
    data["bands"] = draw(st.sampled_from([
        [{"until_hours": 24, "measures": ["volume", "mix", "sequence"]}, {"measures": ["volume"]}],
        [{"measures": ["volume", "mix"]}]]))
    return plan, parse_premises(data)


def check_replications(plan, premises, seed: int, engine: str, path) -> list[dict]:
    """Measure each replication's actuals file and compare with the engine's judgement."""
    c = compile_with_plugins(plan, premises)
    history = rk.PlanHistory([plan])
    rows = []
    for realized in realizations(plan, c, seed, 0, REPLICATIONS, engine):
        _write_csv(path, ACTUALS_COLUMNS, realized.actuals)
        m = rk.measure(history, rk.read_actuals(path, history), premises)
        row = realized.summary
        for name in RATIOS:
            assert m.total[name] == row[name], (engine, realized.replication, name)
        outcome = {o["id"]: (o["hit"], o["cause"]) for o in m.operations}
        expected = {op.id: (realized.code[i] == ar.HIT,
                            CAUSES[realized.cause[i]] if realized.code[i] != ar.HIT else None)
                    for i, op in enumerate(plan.operations) if c.op_bucket[i] >= 0}
        assert outcome == expected, (engine, realized.replication)
        hits = sum(hit for hit, _ in outcome.values())
        assert hits == row["hits"] and (hits == len(outcome)) == (row["plan_holds"] == 1)
        rows.append(row)
    return rows


def mean(rows: list[dict], name: str) -> float | None:
    x = np.array([math.nan if r[name] is None else r[name] for r in rows], np.float64)
    x = x[np.isfinite(x)]
    return float(np.mean(x)) if x.shape[0] else None


@settings(max_examples=CASES, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                     HealthCheck.function_scoped_fixture])
@given(with_rules(), st.integers(0, 2**40))
def test_a_replication_measures_exactly_as_the_engine_judged_it(tmp_path, model, seed):
    plan, premises = model
    path = tmp_path / "replication.csv"
    for engine in ("kernel", "reference"):
        rows = check_replications(plan, premises, seed, engine, path)
        result = rk.score(plan, premises, replications=REPLICATIONS, seed=seed, engine=engine)
        for name in RATIOS:
            expected = result.adherence[name]["mean"] if result.adherence[name] else None
            assert mean(rows, name) == expected, (engine, name)
        assert mean(rows, "plan_holds") == result.plan_holds["mean"]
