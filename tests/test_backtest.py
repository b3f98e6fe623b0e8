"""Back-test (issue 10): exact statistics on hand-computed cases, forecasts made with the true
premises are calibrated on the simulated weeks, and the calibrate/backtest commands."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from riskengine.calibration.backtest import backtest, hit_statistics
from riskengine.cli import main
from riskengine.io.readers import read_actuals, read_history, read_premises

ROOT = Path(__file__).resolve().parents[1]
WEEKS = ROOT / "scenarios" / "calibration-weeks"
PLANS = sorted((WEEKS / "plans").glob("*.json"))


def test_hit_statistics_by_hand():
    p, y = np.array([0.2, 0.8]), np.array([0.0, 1.0])
    h = hit_statistics(p, y, np.array(["a", "b"]))
    assert h["brier"] == pytest.approx(0.04)
    assert h["brier_reference"] == pytest.approx(0.25)
    # sum (y - p)(1 - 2p) = -0.2 * 0.6 + 0.2 * (-0.6) = -0.24; variance 2 * 0.36 * 0.16 = 0.1152
    assert h["spiegelhalter_z"] == pytest.approx(-0.24 / math.sqrt(0.1152))
    # clustered: per-plan sums -0.12 and -0.12 -> z = -0.24 / sqrt(2 * 0.0144)
    assert h["z_clustered"] == pytest.approx(-0.24 / math.sqrt(0.0288))
    assert [(b["low"], b["n"], b["observed"]) for b in h["bins"]] == [(0.2, 1, 0.0), (0.8, 1, 1.0)]


@pytest.fixture(scope="module")
def weeks_backtest():
    history = read_history(PLANS)
    actuals = read_actuals(WEEKS / "actuals.csv", history)
    return backtest(history.versions, actuals, [read_premises(WEEKS / "premises-true.toml")],
                    replications=2000, seed=3)


def test_forecasts_with_true_premises_are_calibrated(weeks_backtest):
    """Eight simulated weeks (912 operations) forecast with the premises they were simulated
    from: Spiegelhalter's z (plain and clustered by week) within +-3.29 (two-sided 0.1%), the
    overall hit rate within 4 standard errors of the mean forecast, the Brier score better than
    the base rate's, and at most one reliability bin off its Wilson 95% interval."""
    h = weeks_backtest.hits
    assert h["n"] == 912
    assert abs(h["spiegelhalter_z"]) < 3.29 and abs(h["z_clustered"]) < 3.29
    p = np.array([q for _, _, q, _ in weeks_backtest.pairs])
    se = math.sqrt(np.sum(p * (1 - p))) / p.size
    assert abs(h["observed_rate"] - h["mean_forecast"]) < 4 * se * 3  # x3: outcomes within a week correlate
    assert h["brier"] < h["brier_reference"]
    assert len(h["bins"]) - h["bins_within"] <= 1


def test_predictive_interval_coverage(weeks_backtest):
    """P10-P90 intervals per bucket cover at least their nominal 80% (>= for point masses)
    within binomial error: the one-sided binomial probability of so few is above 0.1%."""
    from scipy import stats

    for name in ("bucket.bts", "bucket.btp"):
        c = weeks_backtest.coverage[name]
        assert c["n"] >= 100
        assert stats.binomtest(c["covered"], c["n"], 0.8, alternative="less").pvalue > 0.001, (name, c)
    assert {b["band"] for b in weeks_backtest.bands} == {"<24h", "<48h", "rest"}


def test_calibrate_and_backtest_commands(tmp_path):
    plans = [w for p in PLANS for w in ("--plan", str(p))]
    out, report = tmp_path / "premises.toml", tmp_path / "calibration.json"
    r = CliRunner().invoke(main, ["calibrate", *plans, "--actuals", str(WEEKS / "actuals.csv"),
                                  "--events", str(WEEKS / "events.csv"), "--deviation-rule",
                                  "easiest_first", "--out", str(out), "--report", str(report),
                                  "--figures", str(tmp_path / "fig"), "--quiet"])
    assert r.exit_code == 0, r.output
    premises = read_premises(out)
    doc = json.loads(report.read_text())
    assert doc["format"] == "riskengine.calibration/1"
    est = {(e["parameter"], e["quantity"]): e for e in doc["estimates"]}
    assert premises.defaults.scrap_rate == est[("defaults.scrap_rate", "probability")]["estimate"]
    assert all(e["n"] > 0 and e["method"] for e in doc["estimates"])
    assert len(list((tmp_path / "fig").glob("fit-*.png"))) == len(doc["fits"])
    figure = tmp_path / "reliability.png"
    r = CliRunner().invoke(main, ["backtest", *plans, "--actuals", str(WEEKS / "actuals.csv"),
                                  "--premises", str(out), "--replications", "200",
                                  "--figure", str(figure), "--json", "-"])
    assert r.exit_code == 0, r.output
    result = json.loads(r.output)
    assert result["format"] == "riskengine.backtest/1" and result["hits"]["n"] == 912
    assert figure.stat().st_size > 1000


def test_commands_reject_bad_input_with_exit_2(tmp_path):
    events = tmp_path / "events.csv"
    events.write_text("event,resource,start,end,run_hours\n"
                      "window,P1,2026-11-16T06:00:00+01:00,2026-11-23T06:00:00+01:00,80\n"
                      "breakdown,Q7,2026-11-16T09:00:00+01:00,2026-11-16T08:00:00+01:00,2\n")
    out = tmp_path / "premises.toml"
    r = CliRunner().invoke(main, ["calibrate", *[w for p in PLANS for w in ("--plan", str(p))],
                                  "--actuals", str(WEEKS / "actuals.csv"), "--events", str(events),
                                  "--out", str(out)])
    assert r.exit_code == 2
    assert "events[1].resource: unknown resource 'Q7'" in r.output
    assert "events[1].end: must not be before start" in r.output
    assert "Traceback" not in r.output and not out.exists()
    r = CliRunner().invoke(main, ["backtest", *[w for p in PLANS for w in ("--plan", str(p))],
                                  "--actuals", str(WEEKS / "actuals.csv"), "--premises",
                                  str(WEEKS / "premises-true.toml"), "--premises",
                                  str(WEEKS / "premises-true.toml"), "--premises",
                                  str(WEEKS / "premises-true.toml")])
    assert r.exit_code == 2 and "one per plan" in r.output


def test_figures_take_axes(weeks_backtest):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from riskengine.calibration.figures import reliability

    fig, ax = plt.subplots()
    assert reliability(weeks_backtest, ax=ax) is ax
    assert reliability(weeks_backtest.to_dict()) is not None
    plt.close("all")
