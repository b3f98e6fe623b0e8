"""Orders and due dates in the score (issue 18; docs/design.md section 5): closed forms, the Wilson
interval, finish quantiles against exact ones, both engines, any thread count."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from builders import T0, op, plan_dict

import riskengine as rk
from riskengine.analysis.score import score
from riskengine.errors import InputError
from riskengine.model.premises import parse_premises
from riskengine.simulation import histogram as hist
from riskengine.simulation.accumulate import Accumulators, run_reference
from riskengine.simulation.compile import compile_model
from riskengine.simulation.runner import kernel_replication, run_kernel
from riskengine.simulation.statistics import wilson

K = 4.0  # standard errors (the acceptance)
ORIGIN = datetime.fromisoformat(T0)
FACTORY = Path(__file__).resolve().parent.parent / "scenarios" / "example-factory"


def premises(**sections):
    return parse_premises({"format": "riskengine.premises/1", **sections})


def with_orders(doc: dict, orders: list[dict]) -> rk.Plan:
    return rk.parse_plan({**doc, "orders": orders})


def hours(iso: str) -> float:
    return (datetime.fromisoformat(iso) - ORIGIN).total_seconds() / 3600


def test_one_operation_order_is_on_time_exactly_when_no_failure_occurs():
    """x = 4 h of work, exponential failures of MTBF m = 10 h, fixed repairs r = 2 h, due at the
    planned end + r/2: on time iff no failure in the 4 busy hours, P = exp(-x/m) = 0.6703."""
    x, m, r = 4.0, 10.0, 2.0
    plan = with_orders(plan_dict([op("job-10", "A", 10, 0, x, order="JOB")], horizon_hours=8),
                       [{"id": "JOB", "due": x + r / 2}])
    p = premises(defaults={"breakdowns": {"mtbf_hours": m, "mttr_hours": {"dist": "fixed", "value": r}}})
    n = 20_000
    result = score(plan, p, replications=n, seed=18)
    order = result.orders[0]
    expected = math.exp(-x / m)
    assert abs(order["on_time"]["mean"] - expected) <= K * math.sqrt(expected * (1 - expected) / n)
    assert order["on_time"] == wilson(round(order["on_time"]["mean"] * n), n)
    assert order["main_cause"] == "breakdown" and set(order["causes"]) == {"breakdown"}
    assert order["causes"]["breakdown"] == pytest.approx(1 - order["on_time"]["mean"])
    assert order["otif"] == order["on_time"]  # no scrap: on time is in full
    # a late order completes at least r after its planned end: tardiness at least r/2 then
    late = 1 - order["on_time"]["mean"]
    assert order["tardiness_hours"]["mean"] >= late * r / 2
    assert hours(order["completion"]["p50"]) == pytest.approx(x, abs=hist.RESOLUTION)  # most: as planned
    assert order["due"] == (ORIGIN + timedelta(hours=x + r / 2)).isoformat()
    assert result.warnings == []


def test_two_chained_operations_with_reliability_factors_multiply():
    """Factors material r_a = 0.9 and machine r_b = 0.8 fail independently per operation and
    delay it 2 h; the due date leaves 1 h of slack, so any failure makes the order late. Each
    operation holds with r1 = r2 = r_a r_b (the premises' factors apply to every operation):
    P(on time) = r1 r2 = 0.5184; the single-operation order: r_a r_b = 0.72."""
    ops = [op("a-10", "A", 10, 0, 2, order="A"), op("a-20", "A", 10, 2, 4, after=["a-10"], order="A"),
           op("b-10", "B", 10, 0, 3, resource="L2", order="B")]
    plan = with_orders(plan_dict(ops, horizon_hours=8), [{"id": "A", "due": 5}, {"id": "B", "due": 4}])
    p = premises(reliability={"material": 0.9, "machine": 0.8},
                 execution={"reliability_consequence": "delay",
                            "reliability_delay_hours": {"dist": "fixed", "value": 2}})
    n = 20_000
    result = score(plan, p, replications=n, seed=7)
    by_id = {o["id"]: o for o in result.orders}
    for oid, expected in (("A", (0.9 * 0.8) ** 2), ("B", 0.9 * 0.8)):
        est = by_id[oid]["on_time"]["mean"]
        assert abs(est - expected) <= K * math.sqrt(expected * (1 - expected) / n), (oid, est)
    assert set(by_id["A"]["causes"]) == {"material", "breakdown"}  # machine is the breakdown factor


def test_ten_replications_all_on_time_give_wilsons_interval_not_one_one():
    plan = with_orders(plan_dict([op("o", "A", 10, 0, 2, order="O")]), [{"id": "O", "due": 3}])
    order = score(plan, premises(), replications=10, seed=1).orders[0]
    assert order["on_time"]["mean"] == 1.0 and order["on_time"]["high"] == 1.0
    z = 1.959963984540054
    assert order["on_time"]["low"] == pytest.approx(1 / (1 + z * z / 10))  # Wilson's bound at k = n
    assert order["on_time"]["low"] < 0.73
    assert order["tardiness_hours"] == {"mean": 0.0, "p90": 0.0} and order["main_cause"] is None


def test_an_order_the_plan_completes_after_its_due_date_is_late_by_planning():
    ops = [op("x-10", "A", 10, 0, 2, order="X"), op("x-20", "A", 10, 2, 6, after=["x-10"], order="X")]
    plan = with_orders(plan_dict(ops), [{"id": "X", "due": 5, "customer": "ACME", "priority": 1}])
    p = premises(defaults={"breakdowns": {"mtbf_hours": 5, "mttr_hours": 1}})
    result = score(plan, p, replications=200, seed=3)
    order = result.orders[0]
    assert order["on_time"]["mean"] == 0.0 and order["causes"] == {"planning": 1.0}
    assert order["customer"] == "ACME" and order["priority"] == 1 and order["operations"] == 2
    assert order["planned_completion"] == (ORIGIN + timedelta(hours=6)).isoformat()
    assert any("order X is planned to complete" in w for w in result.warnings)
    assert order["tardiness_hours"]["mean"] >= 1.0


def _exact_and_bound(values: np.ndarray, q: float) -> tuple[float, float]:
    """numpy's linear percentile and the histogram's error bound there (widths of the bins of the
    two order statistics around it)."""
    x = np.sort(values)
    h = q * (x.shape[0] - 1)
    j = int(math.floor(h))
    stats = [x[j]] + ([x[j + 1]] if h > j else [])
    return float(np.percentile(values, 100 * q)), max(hist.bin_width_at(s) for s in stats)


@pytest.mark.parametrize("seed", [0, 5])
def test_finish_quantiles_are_within_the_stated_error_of_exact_quantiles(seed):
    """Every operation's P50, P80, P90 finish from the histograms against numpy's percentiles of
    the same replications' ends (kernel, replication by replication): within the width of the
    bins of the order statistics, which is at most max(1/16 h, |x|/16) (x: from the planned end)."""
    ops = [op("a", "A", 100, 0, 3, order="O1"), op("b", "B", 100, 3, 5, after=["a"], order="O1"),
           op("c", "C", 100, 0, 4, resource="L2", order="O2"),
           op("d", "A", 100, 4, 30, resource="L2", order="O2")]
    plan = with_orders(plan_dict(ops, horizon_hours=48), [{"id": "O1", "due": 6}, {"id": "O2", "due": 31}])
    p = premises(defaults={"breakdowns": {"mtbf_hours": 6, "mttr_hours": {"dist": "lognormal", "mean": 2,
                                                                          "cv": 1}},
                           "performance": {"dist": "lognormal", "mean": 0.95, "cv": 0.1}},
                 execution={"early_start": True})
    n = 301
    result = score(plan, p, replications=n, seed=seed)
    c = compile_model(plan, p)
    ends = np.array([kernel_replication(c, seed, rep).end for rep in range(n)])
    checked = 0
    for i, forecast in enumerate(result.operations):
        for q in (0.5, 0.8, 0.9):
            exact, bound = _exact_and_bound(ends[:, i] - c.op_end[i], q)
            est = hours(forecast["finish"][f"p{round(100 * q)}"]) - c.op_end[i]
            assert abs(est - exact) <= bound + 1 / 3600, (forecast["id"], q, est, exact, bound)
            assert bound <= max(hist.RESOLUTION, (abs(exact) + bound) / hist.SUB) + 1e-12
            checked += 1
    completion = np.stack([ends[:, :2].max(axis=1), ends[:, 2:].max(axis=1)], axis=1)
    for o, order in enumerate(result.orders):
        due = c.order_due[o]
        for q in (0.5, 0.8, 0.9):
            exact, bound = _exact_and_bound(completion[:, o] - due, q)
            assert abs(hours(order["completion"][f"p{round(100 * q)}"]) - due - exact) <= bound + 1 / 3600
        tardy = np.maximum(completion[:, o] - due, 0.0)
        assert order["tardiness_hours"]["mean"] == pytest.approx(tardy.mean(), abs=2**-16)
        exact, bound = _exact_and_bound(completion[:, o] - due, 0.9)
        assert abs(order["tardiness_hours"]["p90"] - max(np.percentile(tardy, 90), 0)) <= bound
        on_time = int(np.count_nonzero(completion[:, o] <= due + 1e-9))
        assert order["on_time"] == wilson(on_time, n)
    assert checked == 12


def test_histogram_bins_hold_their_values_and_quantiles_follow_numpy():
    rng = np.random.default_rng(3)
    values = np.concatenate([rng.normal(0, 2, 5000), rng.exponential(300, 2000), [0.0, -1.0, 1.0, 2.5]])
    counts = np.zeros((hist.BINS, 1), np.int32)
    for v in values:
        counts[hist.bin_of(v), 0] += 1
    b = np.array([hist.bin_of(v) for v in values])
    assert np.all((hist.EDGES[b] <= values) & (values <= hist.EDGES[b + 1]))
    widths = np.diff(hist.EDGES)
    assert widths.min() == hist.RESOLUTION and hist.EDGES[-1] == hist.LIMIT
    assert np.all(widths <= np.maximum(hist.RESOLUTION, np.maximum(abs(hist.EDGES[:-1]),
                                                                    abs(hist.EDGES[1:])) / hist.SUB))
    qs = np.array([0.1, 0.5, 0.8, 0.9, 0.99])
    est = hist.quantiles(counts, values.shape[0], qs)[0]
    for q, e in zip(qs, est, strict=True):
        exact, bound = _exact_and_bound(values, q)
        assert abs(e - exact) <= bound, (q, e, exact)
    # replications not counted (not finished) are the largest: the P90 of 10/9 the count is inf
    assert math.isinf(hist.quantiles(counts, int(values.shape[0] / 0.85), np.array([0.9]))[0, 0])


def _factory_with_orders() -> tuple[rk.Plan, object]:
    doc = json.loads((FACTORY / "plan-v1.json").read_text())
    ids = list(dict.fromkeys(o["order"] for o in doc["operations"] if o.get("order")))
    ends = {}
    for o in doc["operations"]:
        if o.get("order"):
            ends[o["order"]] = max(ends.get(o["order"], ""), o["end"])
    doc["orders"] = [{"id": oid, "due": (datetime.fromisoformat(ends[oid])
                                         + timedelta(hours=k % 5)).isoformat()} for k, oid in enumerate(ids)]
    return rk.parse_plan(doc), rk.read_premises(FACTORY / "premises.toml")


def test_order_accumulators_agree_between_engines_and_chunkings():
    plan, p = _factory_with_orders()
    c = compile_model(plan, p)
    ref = Accumulators(c, 30)
    run_reference(c, 4, 0, 30, ref)
    tallies = [ref.orders()]
    for chunks in (1, 3, 30):
        acc = Accumulators(c, 30)
        run_kernel(c, 4, 0, 30, acc, chunks=chunks)
        tallies.append(acc.orders())
    assert tallies[0].on_time.sum() > 0 and tallies[0].late_causes.sum() > 0
    for other in tallies[1:]:
        for name in tallies[0]._fields[:6]:
            assert np.array_equal(getattr(tallies[0], name), getattr(other, name)), name


def test_orders_must_be_named_by_operations():
    doc = plan_dict([op("o1", "A", 10, 0, 2, order="WO1042")])
    with pytest.raises(InputError) as e:
        rk.parse_plan({**doc, "orders": [{"id": "WO1042", "due": 3}, {"id": "WO1043", "due": 3},
                                         {"id": "WO1042", "due": 4}]})
    text = str(e.value)
    assert "orders[2].id: duplicate id 'WO1042'" in text
    assert "orders[1].id: no operation belongs to order 'WO1043'" in text
    assert "did you mean 'WO1042'" in text
    with pytest.raises(InputError, match=r"orders\[0\].due"):
        rk.parse_plan({**doc, "orders": [{"id": "WO1042", "due": "tomorrow"}]})
    # an operation's order need not be listed
    assert rk.parse_plan({**doc, "orders": []}).orders == []


def test_orders_may_be_a_csv_named_by_the_plan(tmp_path):
    doc = plan_dict([op("o1", "A", 10, 0, 2, order="W1"), op("o2", "A", 10, 2, 4, order="W2")])
    (tmp_path / "orders.csv").write_text("id;due;customer;priority\nW1;2,5;ACME;1\nW2;"
                                         "2026-11-16T12:00:00+00:00;;\n")
    (tmp_path / "plan.json").write_text(json.dumps({**doc, "orders": "orders.csv"}))
    plan = rk.read_plan(tmp_path / "plan.json")
    assert [(o.id, o.due.isoformat(), o.customer, o.priority) for o in plan.orders] == [
        ("W1", "2026-11-16T08:30:00+00:00", "ACME", 1), ("W2", "2026-11-16T12:00:00+00:00", None, None)]
    (tmp_path / "bad.csv").write_text("id,due,deadline\nW1,3,4\n")
    (tmp_path / "bad.json").write_text(json.dumps({**doc, "orders": "bad.csv"}))
    with pytest.raises(InputError, match="header.deadline: unknown column"):
        rk.read_plan(tmp_path / "bad.json")
