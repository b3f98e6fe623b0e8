"""pandas in and out (issue 21): plan -> frames -> plan equal; a bad value in a DataFrame gives the
same located error as the file; actuals from a frame measure like the file; every result's
to_frames() has exactly its documented columns and the result's own numbers."""

from __future__ import annotations

import builtins
import json
import sys
from pathlib import Path

import pandas as pd
import pytest

import riskengine as rk
from riskengine.errors import InputError
from riskengine.extras import MissingExtra
from riskengine.interop.results import COLUMNS, to_frames

ROOT = Path(__file__).resolve().parent.parent
FACTORY = ROOT / "scenarios" / "example-factory"
WEEKS = ROOT / "scenarios" / "calibration-weeks"


@pytest.fixture(scope="module")
def plan():
    return rk.read_plan(FACTORY / "plan-v1.json")


@pytest.fixture(scope="module")
def history():
    return rk.read_history([FACTORY / f"plan-v{k}.json" for k in (1, 2, 3)])


def _same_plan(frames: dict, plan) -> rk.Plan:
    return rk.plan_from_frames(frames["operations"], resources=frames["resources"],
                               horizon=(plan.horizon.start, plan.horizon.end),
                               calendars=plan.model_dump(mode="json")["calendars"],
                               bucket_hours=plan.bucket_hours, id=plan.id, published_at=plan.published_at,
                               orders=frames.get("orders"))


def test_plan_to_frames_to_plan_is_equal(plan):
    frames = to_frames(plan)
    assert list(frames["operations"].columns) == list(rk.Operation.model_fields)
    assert str(frames["operations"]["start"].dtype) == "datetime64[us, UTC+01:00]"
    assert frames["operations"].loc[1, "after"] == [] and frames["operations"].loc[0, "quantity"] == 2500
    back = _same_plan(frames, plan)
    assert back == plan
    assert back.model_dump(mode="json") == plan.model_dump(mode="json")


def test_horizon_and_resources_default_like_a_plan_csv(tmp_path, plan):
    ops = to_frames(plan)["operations"]
    csv = tmp_path / "wk47.csv"
    ops.assign(after=ops["after"].map(";".join), materials=ops["materials"].map(";".join),
               start=[t.isoformat() for t in ops["start"]], end=[t.isoformat() for t in ops["end"]]) \
        .drop(columns=["work_hours"]).to_csv(csv, index=False)
    from_file = rk.read_plan(csv)
    from_frame = rk.plan_from_frames(ops, id="wk47")
    assert from_frame.model_dump(mode="json") == from_file.model_dump(mode="json")
    assert from_frame.horizon.end.isoformat() == "2026-11-20T08:15:00+01:00"


def test_a_bad_value_gives_the_same_located_error_as_the_file(tmp_path, plan):
    doc = json.loads((FACTORY / "plan-v1.json").read_text())
    doc["operations"][12]["quantity"] = -5
    doc["operations"][3]["start"] = "2026-11-16T14:45:00"  # no UTC offset
    doc["operations"][40]["after"] = ["WO0000-10"]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError) as from_file:
        rk.read_plan(path)
    ops = pd.DataFrame(doc["operations"])
    with pytest.raises(InputError) as from_frame:
        rk.plan_from_frames(ops, horizon=(plan.horizon.start, plan.horizon.end), id=plan.id,
                            calendars=doc["calendars"], resources=pd.DataFrame(doc["resources"]))
    assert from_frame.value.problems == from_file.value.problems
    assert [str(p) for p in from_frame.value.problems] == [
        "operations[3].start: must include a UTC offset, e.g. 2026-11-16T06:00:00+00:00, "
        "got '2026-11-16T14:45:00'",
        "operations[12].quantity: Input should be greater than 0, got -5"]
    doc["operations"][3]["start"] = "2026-11-16T14:45:00+01:00"
    doc["operations"][12]["quantity"] = 1000
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError) as from_file:
        rk.read_plan(path)
    with pytest.raises(InputError) as from_frame:
        rk.plan_from_frames(pd.DataFrame(doc["operations"]), horizon=(plan.horizon.start, plan.horizon.end),
                            id=plan.id, calendars=doc["calendars"], resources=pd.DataFrame(doc["resources"]))
    assert from_frame.value.problems == from_file.value.problems
    assert [str(p) for p in from_file.value.problems] == [
        "operations[40].after[0]: unknown operation 'WO0000-10'"]


def test_naive_timestamps_are_localized_or_refused(plan):
    ops = to_frames(plan)["operations"].head(2).drop(columns=["after"])
    naive = ops.assign(start=ops["start"].dt.tz_localize(None), end=ops["end"].dt.tz_localize(None))
    assert rk.plan_from_frames(naive, timezone="Europe/Berlin").operations[0].start.isoformat() == \
        "2026-11-16T06:00:00+01:00"
    with pytest.raises(InputError) as err:
        rk.plan_from_frames(naive)
    assert str(err.value.problems[0]).startswith("operations[0].start: must include a UTC offset")
    gap = naive.assign(start=[pd.Timestamp("2026-03-29 02:30"), naive["start"].iloc[1]])
    with pytest.raises(InputError) as err:
        rk.plan_from_frames(gap, timezone="Europe/Berlin")
    assert str(err.value.problems[0]).startswith(
        "operations[0].start: 2026-03-29 02:30 does not exist in Europe/Berlin")


def test_actuals_from_frame_measure_like_the_file(history):
    from_file = rk.read_actuals(FACTORY / "actuals.csv", history)
    df = pd.read_csv(FACTORY / "actuals.csv")
    from_frame = rk.actuals_from_frame(df, history)
    assert from_frame == from_file
    assert rk.measure(history, from_frame).to_dict() == rk.measure(history, from_file).to_dict()
    bad = df.assign(cause=df["cause"].where(df.index != 4, "weather"))
    with pytest.raises(InputError) as err:
        rk.actuals_from_frame(bad, history)
    assert [str(p) for p in err.value.problems] == [
        "records[4].cause: must be one of material, breakdown, performance, absenteeism, quality, setup, "
        "planning, local-decision, operational, knock-on, unknown, got 'weather'"]


def _check_columns(result, name: str) -> dict:
    frames = result.to_frames()
    assert frames == {} or set(frames) <= set(COLUMNS[name])
    for frame, df in frames.items():
        assert list(df.columns) == list(COLUMNS[name][frame]), (name, frame)
    return frames


def test_measurement_frames(history):
    m = rk.measure(history, rk.read_actuals(FACTORY / "actuals.csv", history))
    frames = _check_columns(m, "riskengine.measurement/1")
    assert set(frames) == set(COLUMNS["riskengine.measurement/1"])
    assert frames["total"].loc[0, "bts"] == m.total["bts"]
    assert [None if pd.isna(x) else x for x in frames["buckets"]["bts"]] == [b["bts"] for b in m.buckets]
    assert frames["operations"]["hit"].sum() == m.data_quality["operations"] - m.data_quality["misses"]
    assert frames["bands"].loc[0, "measures"] == " x ".join(m.bands[0]["measures"])
    assert to_frames(json.loads(json.dumps(m.to_dict())))["causes"].equals(frames["causes"])


def test_score_and_sensitivity_frames(plan):
    premises = rk.read_premises(FACTORY / "premises.toml")
    result = rk.score(plan, premises, replications=200, seed=3)
    result.sensitivity = rk.sensitivity(plan, premises, replications=50, seed=3).to_dict()
    frames = _check_columns(result, "riskengine.score/1")
    assert set(frames) == set(COLUMNS["riskengine.score/1"])
    head = frames["headline"].set_index("metric")
    assert head.loc["bts", "mean"] == result.adherence["bts"]["mean"]
    assert head.loc["finish", "p80"] == result.finish["p80"]
    assert head.loc["plan_holds", "high"] == result.plan_holds["high"]
    ops = frames["operations"].set_index("id")
    first = result.operations[0]
    assert ops.loc[first["id"], "hit_low"] == first["hit"]["low"]
    assert len(frames["buckets"]) == 2 * len(result.buckets)
    assert frames["buckets"]["start"].iloc[0] == pd.Timestamp("2026-11-16T06:00:00+01:00")
    causes = frames["operation_causes"]
    assert len(causes) == sum(len(o["causes"]) for o in result.operations)
    assert len(frames["sensitivity"]) == 2 * len(result.sensitivity["rows"])
    row = result.sensitivity["rows"][0]
    got = frames["sensitivity"].query("metric == 'bts'").iloc[0]
    assert (got["name"], got["mean"]) == (row["name"], row["bts"]["mean"])
    alone = rk.sensitivity(plan, premises, replications=50, seed=3)
    assert _check_columns(alone, "sensitivity")["sensitivity"].equals(frames["sensitivity"])


def test_compare_and_check_frames(plan, history):
    premises = rk.read_premises(FACTORY / "premises.toml")
    result = rk.compare(history.versions[:2], premises, replications=100, seed=1)
    frames = _check_columns(result, "riskengine.compare/1")
    assert frames["ranking"]["plan"].tolist() == result.ranking
    assert len(frames["plans"]) == 2 * 7
    assert frames["differences"]["mean"].tolist() == [d["mean"] for d in result.differences]
    broken = rk.check(rk.read_plan(ROOT / "scenarios" / "broken-plan" / "plan.json"))
    frames = _check_columns(broken, "riskengine.check/1")
    assert len(frames["findings"]) == len(broken.findings) > 0
    assert len(frames["finding_operations"]) == sum(len(f.operations) for f in broken.findings)
    assert frames["summary"]["errors"].sum() == len(broken.errors)


def test_calibration_and_backtest_frames():
    from riskengine.calibration.events import read_events

    weeks = [rk.read_plan(WEEKS / "plans" / f"week-0{k}.json") for k in (1, 2)]
    history = rk.PlanHistory(weeks)
    actuals = rk.actuals_from_frame(pd.read_csv(WEEKS / "actuals.csv").query("operation.str[:3] in "
                                                                             "['W01', 'W02']"), history)
    cal = rk.calibrate(weeks, actuals, read_events(WEEKS / "events.csv", weeks))
    frames = _check_columns(cal, "riskengine.calibration/1")
    assert frames["estimates"]["estimate"].tolist() == [e["estimate"] for e in cal.estimates]
    fits = frames["fits"]
    assert len(fits) == sum(len(f["candidates"]) for f in cal.fits.values())
    assert fits.groupby("parameter")["chosen"].sum().eq(1).all()
    back = rk.backtest(weeks, actuals, [rk.read_premises(WEEKS / "premises-true.toml")], replications=50)
    frames = _check_columns(back, "riskengine.backtest/1")
    assert len(frames["operations"]) == len(back.pairs)
    assert frames["coverage"].set_index("interval").loc["plan.bts", "n"] == back.coverage["plan.bts"]["n"]


def test_sweep_frame_reads_a_written_table(tmp_path):
    from riskengine.studies.table import write_table

    rows = [{"cell": 0, "plan": "a", "slack": 0.1, "bts_mean": 0.9}, {"cell": 1, "plan": "b", "slack": 0.2,
                                                                      "bts_mean": None}]
    write_table(rows, tmp_path / "t.csv")
    df = rk.sweep_frame(tmp_path / "t.csv")
    assert df["plan"].tolist() == ["a", "b"] and df["slack"].tolist() == [0.1, 0.2]
    assert df["bts_mean"].isna().tolist() == [False, True]


def test_without_pandas_the_message_names_the_extra(monkeypatch, history):
    real = builtins.__import__

    def no_pandas(name, *args, **kwargs):
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError("No module named 'pandas'")
        return real(name, *args, **kwargs)

    m = rk.measure(history, rk.read_actuals(FACTORY / "actuals.csv", history))
    for module in [k for k in sys.modules if k == "pandas" or k.startswith("pandas.")]:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.setattr(builtins, "__import__", no_pandas)
    with pytest.raises(ImportError) as err:
        m.to_frames()
    assert isinstance(err.value, MissingExtra) and isinstance(err.value, InputError)
    assert str(err.value) == ("to_frames() needs pandas, which is not installed: "
                              "python -m pip install 'riskengine[pandas]'")
