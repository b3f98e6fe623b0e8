"""``riskengine simulate`` (docs/design.md sections 3 and 5): replications written as realized data, measured
exactly as the kernel judged them, and learned from by calibrate."""

from __future__ import annotations

import csv
import json
import math
from datetime import datetime, timedelta
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from click.testing import CliRunner

import riskengine as rk
from riskengine.calibration.estimate import calibrate
from riskengine.calibration.events import parse_events, read_events
from riskengine.calibration.result import true_values
from riskengine.calibration.synthetic import plans_from, weekly_plans
from riskengine.cli import main
from riskengine.io.schema import schema

ROOT = Path(__file__).resolve().parent.parent
FACTORY = ROOT / "scenarios" / "example-factory"
PLAN = str(FACTORY / "plan-v1.json")
PREMISES = str(FACTORY / "premises.toml")
WEEKS = ROOT / "scenarios" / "calibration-weeks"
SUMMARY = ["replication", "plan_holds", "bts", "btp", "volume", "mix", "sequence", "hits", "finish_hours"]


def cli(*args: str):
    return CliRunner().invoke(main, list(args))


def read_rows(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    out = tmp_path_factory.mktemp("sim") / "runs"
    res = cli("simulate", PLAN, "--premises", PREMISES, "--replications", "12", "--seed", "5",
              "--out", str(out), "--json", "-", "--quiet")
    assert res.exit_code == 0, res.output
    return out, json.loads(res.stdout)


def test_the_folder_holds_actuals_events_and_summary(simulated):
    out, doc = simulated
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted([f"replication-{k:04d}.csv" for k in range(1, 13)]
                           + [f"events-{k:04d}.csv" for k in range(1, 13)] + ["summary.csv"])
    rows = read_rows(out / "summary.csv")
    assert list(rows[0]) == SUMMARY and [r["replication"] for r in rows] == [str(k) for k in range(1, 13)]
    history = rk.read_history([PLAN])
    actuals = rk.read_actuals(out / "replication-0001.csv", history)  # riskengine.actuals/1
    assert len(actuals.records) == len(history.versions[0].operations)
    events = read_events(out / "events-0001.csv", history.versions)  # riskengine.events/1
    windows = [w for ws in events.windows.values() for w in ws]
    assert len(windows) == 4 and events.materials and any(w.breakdowns for w in windows)
    assert doc["format"] == "riskengine.simulation/1" and doc["replications"] == 12
    jsonschema.validate(doc, schema("simulation"))
    assert doc["rules"]["quantity_tolerance"] == 0.98


def test_each_replication_measures_exactly_as_the_kernel_judged_it(simulated):
    """The invariant of docs/design.md section 3 through the command line: measure --premises on
    replication k's actuals gives row k's figures, to the last bit."""
    out, _ = simulated
    for row in read_rows(out / "summary.csv"):
        k = int(row["replication"])
        res = cli("measure", "--plan", PLAN, "--actuals", str(out / f"replication-{k:04d}.csv"),
                  "--premises", PREMISES, "--json", "-", "--quiet")
        assert res.exit_code == 0, res.output
        m = json.loads(res.stdout)
        for name in ("bts", "btp", "volume", "mix", "sequence"):
            expected = float(row[name]) if row[name] else None
            assert m["total"][name] == expected, (k, name)
        hits = sum(o["hit"] for o in m["operations"])
        assert hits == int(row["hits"]) and (hits == len(m["operations"])) == (row["plan_holds"] == "1")


def test_summary_means_equal_score_means(simulated):
    """The mean of the K rows is score's mean for the same plan, premises, seed and K."""
    out, doc = simulated
    rows = read_rows(out / "summary.csv")
    result = rk.score(rk.read_plan(PLAN), rk.read_premises(PREMISES), replications=12, seed=5)
    for name in ("bts", "btp", "volume", "mix", "sequence"):
        column = np.array([float(r[name]) for r in rows if r[name]])
        assert float(np.mean(column)) == result.adherence[name]["mean"] == doc["means"][name], name
    holds = np.mean([int(r["plan_holds"]) for r in rows])
    assert holds == result.plan_holds["mean"] == doc["means"]["plan_holds"]
    finish = np.array([float(r["finish_hours"]) for r in rows])
    assert float(np.mean(finish)) == result.finish["mean"]


def test_the_folder_is_complete_or_absent(tmp_path):
    out = tmp_path / "runs"
    out.mkdir()
    (out / "mine.txt").write_text("keep")
    res = cli("simulate", PLAN, "--premises", PREMISES, "--replications", "2", "--out", str(out))
    assert res.exit_code == 2 and "exists already" in res.output
    assert [p.name for p in out.iterdir()] == ["mine.txt"]
    res = cli("simulate", PLAN, "--premises", PREMISES, "--replications", "2", "--out", str(out),
              "--force", "--quiet")
    assert res.exit_code == 0, res.output
    assert len(list(out.iterdir())) == 5 and not (out / "mine.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["runs"]  # no temporaries left beside it
    bad = tmp_path / "bad.toml"
    bad.write_text('format = "riskengine.premises/1"\n[resources.NOPE.breakdowns]\nmtbf_hours = 5\n'
                   'mttr_hours = 1\n')
    res = cli("simulate", PLAN, "--premises", str(bad), "--out", str(tmp_path / "never"))
    assert res.exit_code == 2 and "resources.NOPE" in res.output
    assert not (tmp_path / "never").exists()


def _as_weeks(out: Path, plan_doc: dict, k: int) -> tuple[list[dict], list[dict], list[dict]]:
    """K replications of one plan laid out as K consecutive weeks (ids prefixed by the week, times
    shifted by 7 days): a history calibrate can read."""
    plans = weekly_plans(plan_doc, k)
    actuals, events = [], []
    for w in range(k):
        tag, shift = f"W{w + 1:02d}-", 24 * 7 * w
        for r in read_rows(out / f"replication-{w + 1:04d}.csv"):
            row = {key: v for key, v in r.items() if v != ""}
            row["operation"] = tag + row["operation"]
            for t in ("start", "end"):
                if t in row:
                    row[t] = float(row[t]) + shift
            actuals.append(row)
        for e in read_rows(out / f"events-{w + 1:04d}.csv"):
            row = {key: v for key, v in e.items() if v != ""}
            for t in ("start", "end"):
                if t in row:
                    row[t] = (datetime.fromisoformat(row[t]) + timedelta(days=7 * w)).isoformat()
            if "window" in row:
                row["window"] = plans[w]["id"]
            events.append(row)
    return plans, actuals, events


def test_calibrate_learns_the_premises_back_from_simulated_history(tmp_path):
    """The learning loop: 8 replications simulated from known premises, read as 8 weeks of
    history, calibrate recovers the premises within its 95% intervals (25 intervals: more than 3
    misses has probability 0.04)."""
    truth = rk.read_premises(WEEKS / "premises-true.toml")
    out = tmp_path / "runs"
    res = cli("simulate", PLAN, "--premises", str(WEEKS / "premises-true.toml"), "--replications", "8",
              "--seed", "21", "--out", str(out), "--quiet")
    assert res.exit_code == 0, res.output
    docs, actuals, events = _as_weeks(out, json.loads(Path(PLAN).read_text()), 8)
    plans = plans_from(docs)
    history = rk.PlanHistory(plans)
    for row in actuals:
        row["quantity"] = float(row["quantity"])
        for key in ("setup_hours", "run_hours"):
            if key in row:
                row[key] = float(row[key])
    records = rk.parse_actuals({"format": "riskengine.actuals/1", "records": actuals}, history)
    for row in events:
        for key in ("run_hours", "shifts"):
            if key in row:
                row[key] = float(row[key]) if key == "run_hours" else int(row[key])
    log = parse_events({"format": "riskengine.events/1", "events": events}, plans)
    result = calibrate(history, records, log, deviation_rule="easiest_first")
    target = true_values(truth, [r.id for r in plans[0].resources])
    missed = [key for key, v in target.items()
              if not result.estimate(*key)["low"] <= v <= (result.estimate(*key)["high"] or math.inf)]
    assert len(missed) <= 3, missed


def test_both_engines_write_the_same_files(tmp_path):
    """Kernel == reference per replication: the folders are byte for byte the same."""
    folders = []
    for engine in ("kernel", "reference"):
        out = tmp_path / engine
        res = cli("simulate", PLAN, "--premises", PREMISES, "--replications", "3", "--seed", "9",
                  "--engine", engine, "--out", str(out), "--quiet")
        assert res.exit_code == 0, res.output
        folders.append({p.name: p.read_bytes() for p in out.iterdir()})
    assert folders[0] == folders[1] and len(folders[0]) == 7
