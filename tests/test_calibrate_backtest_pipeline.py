"""Calibrate without --base, then back-test (issue 14.11): the pipeline a newcomer runs first.

Without --base the execution rules are not in the data: calibrate writes sensible ones with a
warning (a quantity tolerance that routine scrap passes; the truth of the calibration weeks is
98%), so that the back-test has HITs and MISSes to tell apart; and a back-test whose every
operation is a MISS (the old tolerance of 100% with 1% scrap) reports it instead of crashing.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from click.testing import CliRunner

from riskengine.calibration.estimate import default_execution
from riskengine.cli import main
from riskengine.io.schema import schema

WEEKS = Path(__file__).resolve().parent.parent / "scenarios" / "calibration-weeks"
PLANS = [arg for w in range(1, 9) for arg in ("--plan", str(WEEKS / "plans" / f"week-0{w}.json"))]


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("calibrated")
    out, report = folder / "premises.toml", folder / "calibration.json"
    result = CliRunner().invoke(main, ["calibrate", *PLANS, "--actuals", str(WEEKS / "actuals.csv"),
                                       "--events", str(WEEKS / "events.csv"), "--out", str(out),
                                       "--report", str(report), "--quiet"])
    assert result.exit_code == 0, result.output
    return out, json.loads(report.read_text()), result.output


def backtest(premises: Path) -> tuple[int, str, dict | None]:
    result = CliRunner().invoke(main, ["backtest", *PLANS, "--actuals", str(WEEKS / "actuals.csv"),
                                       "--premises", str(premises), "--replications", "40", "--json", "-"])
    doc = json.loads(result.stdout) if result.exit_code == 0 else None
    return result.exit_code, result.output, doc


def test_calibrate_without_base_writes_execution_rules_with_a_warning(calibrated):
    out, report, output = calibrated
    execution = tomllib.loads(out.read_text())["execution"]
    assert execution == {"early_start": False, "on_blocked": "wait", "lateness_tolerance_hours": 0.0,
                         "quantity_tolerance": 0.98, "sequence_basis": "orders"}  # the truth: 98%
    warning = next(w for w in report["warnings"] if w.startswith("execution:"))
    assert "no --base" in warning and "quantity tolerance 98%" in warning
    assert f"warning: {warning}" in output  # on stderr too
    jsonschema.validate(report, schema("calibration"))


def test_the_calibrated_premises_back_test_without_a_crash(calibrated):
    code, output, doc = backtest(calibrated[0])
    assert code == 0, output
    jsonschema.validate(doc, schema("backtest"))
    hits = doc["hits"]
    assert hits["n"] == len(doc["operations"]) > 800
    assert 0 < hits["observed_rate"] < 1 and hits["brier_skill"] is not None
    assert doc["warnings"] == []


def test_a_back_test_where_every_operation_misses_says_so(calibrated, tmp_path):
    """The crash of issue 14.11: a quantity tolerance of 100% with 1% scrap makes every operation a MISS."""
    strict = tmp_path / "strict.toml"
    text = calibrated[0].read_text()
    strict.write_text(text.replace("quantity_tolerance = 0.98", "quantity_tolerance = 1.0"))
    code, output, doc = backtest(strict)
    assert code == 0, output  # no internal error
    assert doc["hits"]["observed_rate"] == 0.0 and doc["hits"]["brier_skill"] is None
    assert doc["warnings"] and doc["warnings"][0].startswith("every measured operation was a MISS")
    jsonschema.validate(doc, schema("backtest"))
    shown = CliRunner().invoke(main, ["backtest", *PLANS, "--actuals", str(WEEKS / "actuals.csv"),
                                      "--premises", str(strict), "--replications", "40"])
    assert shown.exit_code == 0 and "skill -" in shown.output and "warning: every measured" in shown.output


def test_the_default_quantity_tolerance_lets_routine_scrap_pass():
    shares = np.array([0.0] * 90 + [0.013] * 6 + [0.2] * 4)  # 95th percentile 1.3%: 98.7% -> 98%
    assert default_execution(shares)["quantity_tolerance"] == 0.98
    shares = np.array([0.0] * 97 + [0.2] * 3)  # 95th percentile 0: the worst 3% do not set it
    assert default_execution(shares)["quantity_tolerance"] == 1.0
    assert default_execution(np.zeros(10))["quantity_tolerance"] == 1.0
    assert default_execution(np.zeros(0))["quantity_tolerance"] == 1.0
    assert default_execution(np.full(10, 0.9))["quantity_tolerance"] == 0.5  # never below 50%
