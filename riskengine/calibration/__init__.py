"""Calibrate premises from realized history and back-test forecasts (docs/design.md section 1)."""

from riskengine.calibration.backtest import BacktestResult, backtest
from riskengine.calibration.estimate import calibrate
from riskengine.calibration.events import Events, parse_events, read_events
from riskengine.calibration.result import CalibrationResult, true_values

__all__ = ["BacktestResult", "CalibrationResult", "Events", "backtest", "calibrate", "parse_events",
           "read_events", "true_values"]
