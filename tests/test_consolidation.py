"""Consolidation, plan in effect, horizon bands, HIT/MISS and the cause Pareto (docs/design.md section 2)."""

from __future__ import annotations

import numpy as np
import pytest
from builders import measure, op, plan_dict, run

from riskengine._jit import jit
from riskengine.adherence import arrays as ar
from riskengine.adherence import sequence as sq


def test_overproduction_one_day_never_makes_up_a_shortfall_another():
    ops = [op("d1", "A", 100, 0, 8), op("d2", "A", 100, 24, 32)]
    records = [run("d1", 150, 0, 8), run("d2", 50, 24, 32)]
    m = measure([plan_dict(ops, horizon_hours=48, bucket_hours=24)], records)
    day1, day2 = m.buckets
    assert (day1["volume"], day2["volume"]) == (1.0, 0.5)
    # the week: sum of min(A, S) per bucket over sum of S, not min(sum A, sum S) / sum S = 100%
    assert m.total["volume"] == 150 / 200
    assert m.total["btp"] == 150 / 200
    assert m.total["mix"] == 150 / 200  # B = 100 + 50 of A = 200


def test_week_figure_is_the_ratio_of_summed_counts():
    ops = [op(f"o{d}{k}", "AB"[k], 50 + 10 * d, 24 * d + 4 * k, 24 * d + 4 * k + 4)
           for d in range(3) for k in range(2)]
    records = [run(f"o{d}{k}", 40 + 17 * d * k, 24 * d + 4 * k, 24 * d + 4 * k + 3)
               for d in range(3) for k in range(2)]
    m = measure([plan_dict(ops, horizon_hours=72, bucket_hours=24)], records)
    summed = {key: sum(b[key] for b in m.buckets) for key in ("planned", "produced", "built_to_mix")}
    assert {key: m.total[key] for key in summed} == summed
    assert m.total["btp"] == pytest.approx(summed["built_to_mix"] / summed["planned"], abs=1e-15)
    assert m.total["btp"] != pytest.approx(np.mean([b["btp"] for b in m.buckets]), abs=1e-6)


def test_nothing_planned_is_reported_as_null_not_zero_or_one():
    m = measure([plan_dict([op("a", "A", 10, 0, 4)], horizon_hours=16)], [run("a", 10, 0, 4)])
    assert m.buckets[1]["planned"] == 0 and m.buckets[1]["bts"] is None
    assert m.buckets[0]["bts"] == 1.0


def test_completion_on_a_boundary_belongs_to_the_bucket_that_ends_there():
    assert ar.bucket_of(8.0, 0.0, 8.0, 3) == 0
    assert ar.bucket_of(8.0 + 1e-6, 0.0, 8.0, 3) == 1
    assert ar.bucket_of(0.0, 0.0, 8.0, 3) == -1
    assert ar.bucket_of(24.0, 0.0, 8.0, 3) == 2 and ar.bucket_of(24.01, 0.0, 8.0, 3) == -1


def versions(second_published: float):
    v1 = plan_dict([op("x1", "A", 100, 0, 8), op("x2", "A", 100, 24, 32)], id="v1",
                   horizon_hours=48, bucket_hours=24)
    v2 = plan_dict([op("x1", "A", 100, 0, 8), op("y2", "B", 80, 26, 30)], id="v2",
                   horizon_hours=48, bucket_hours=24,
                   published_at=second_published)
    return v1, v2


def test_each_bucket_is_measured_against_the_plan_in_effect():
    v1, v2 = versions(second_published=20)  # re-published during day 1, before day 2 starts
    m = measure([v1, v2], [run("x1", 100, 0, 8), run("y2", 80, 26, 30)])
    assert [b["plan"] for b in m.buckets] == ["v1", "v2"]
    assert m.buckets[1]["planned"] == 80 and m.buckets[1]["bts"] == 1.0
    assert {o["id"] for o in m.operations} == {"x1", "y2"}  # x2 of v1 was superseded
    # day 2 starts 4 h after v2's publication: the strictest band; day 1 too (lead 0 from v1)
    assert [b["band"] for b in m.buckets] == ["<24h", "<24h"]


def test_a_bucket_before_the_republication_keeps_the_old_plan():
    v1, v2 = versions(second_published=30)  # re-published during day 2: day 2 stays on v1
    m = measure([v1, v2], [run("x1", 100, 0, 8), run("y2", 80, 26, 30)])
    assert [b["plan"] for b in m.buckets] == ["v1", "v1"]
    # B was built instead of A: volume counts it, mix and BTP do not
    assert m.buckets[1]["planned"] == 100 and m.buckets[1]["volume"] == 0.8
    assert m.buckets[1]["btp"] == 0.0
    assert [b["band"] for b in m.buckets] == ["<24h", "<48h"]  # day 2 starts 24 h after v1
    band48 = next(b for b in m.bands if b["band"] == "<48h")
    assert band48["measures"] == ["volume", "mix"] and band48["score"] == 0.0


def test_hit_miss_deviations_and_the_cause_pareto():
    ops = [op("ok", "A", 10, 0, 1), op("late", "B", 20, 1, 2), op("short", "C", 30, 2, 3),
           op("skip", "D", 40, 3, 4), op("gone", "E", 50, 4, 5), op("seq1", "F", 5, 5, 6),
           op("seq2", "G", 5, 6, 7)]
    records = [run("ok", 10, 0, 1), run("late", 20, 7, 9, cause="breakdown"),
               run("short", 27, 2, 3, cause="quality"),
               {"operation": "skip", "quantity": 0, "cause": "material"},
               run("seq2", 5, 3, 4), run("seq1", 5, 4, 5, cause="local-decision")]
    m = measure([plan_dict(ops)], records)
    got = {o["id"]: (o["hit"], o["deviation"], o["cause"], o["lost_units"]) for o in m.operations}
    assert got == {
        "ok": (True, None, None, 0.0),
        "late": (False, "late", "breakdown", 20.0),
        "short": (False, "short", "quality", 3.0),
        "skip": (False, "not_executed", "material", 40.0),
        "gone": (False, "not_executed", "unknown", 50.0),
        # seq2 started first: with equal chains the lower planned position (seq1) is kept
        "seq1": (True, None, None, 0.0),
        "seq2": (False, "out_of_sequence", "unknown", 0.0),
    }
    assert [(c["cause"], c["misses"], c["lost_units"]) for c in m.causes] == [
        ("unknown", 2, 50.0), ("material", 1, 40.0), ("breakdown", 1, 20.0), ("quality", 1, 3.0)]
    assert m.data_quality["misses_without_cause"] == 2
    assert m.data_quality["share_without_cause"] == 2 / 5


def test_tolerances_turn_small_deviations_into_hits():
    ops = [op("a", "A", 100, 0, 7)]
    late_and_short = [run("a", 96, 6, 8.5)]
    assert not measure([plan_dict(ops)], late_and_short).operations[0]["hit"]
    lenient = measure([plan_dict(ops)], late_and_short, lateness_tolerance_hours=1,
                      quantity_tolerance=0.95)
    assert lenient.operations[0]["hit"]


def test_areas_and_resources_are_measured_on_their_own():
    doc = plan_dict([op("a", "A", 100, 0, 4, "L1"), op("b", "A", 100, 0, 4, "L2")])
    doc["resources"] = [{"id": "L1", "area": "pack"}, {"id": "L2", "area": "pack"}]
    # L1 overproduces A, L2 underproduces A: per line 100% and 50%, the area is one scope
    m = measure([doc], [run("a", 150, 0, 4), run("b", 50, 0, 4)])
    assert {r["id"]: r["volume"] for r in m.resources} == {"L1": 1.0, "L2": 0.5}
    assert m.areas[0]["volume"] == 1.0  # S_A = 200, A_A = 200 across the area
    assert m.total["volume"] == 1.0


@jit
def _inside_a_kernel(planned, product, produced_units, position):
    counts = np.zeros((planned.shape[0], ar.N_COUNTS))
    done = np.zeros(product.shape[0], np.int64)  # everything completed in bucket 0
    ar.add_volume_mix(done, product, produced_units, planned, planned.sum(axis=1),
                      np.zeros_like(planned), counts)
    member = np.zeros(position.shape[0], np.int8)
    order = np.arange(position.shape[0])
    bucket = np.zeros(position.shape[0], np.int64)
    sq.add_sequence(order, bucket, np.zeros(position.shape[0], np.int64), 1, position,
                    np.ones(position.shape[0]), counts, member)
    out = np.empty(ar.N_RATIOS)
    ar.ratios(counts[0], False, out)
    code = ar.classify(5.0, 9.0, 10.0, 8.0, 1.0, False, True)
    return out, code


def test_the_array_functions_run_inside_njit():
    """Ford's figures computed by the same functions from inside a compiled kernel."""
    planned = np.array([[200.0, 200.0, 200.0, 210.0, 0.0]])
    product = np.array([0, 1, 2, 3, 4])
    produced = np.array([200.0, 200.0, 100.0, 40.0, 150.0])
    out, code = _inside_a_kernel(planned, product, produced, np.array([0, 1, 3, 2]))
    assert out[ar.BTS] == pytest.approx(0.5, abs=1e-15)
    assert out[ar.VOLUME] == 690 / 810 and out[ar.SEQUENCE] == 0.75
    assert code == ar.LATE
