"""Time always advances (issue 15.1): shift and bucket lengths not exact in binary
(0.1, 1.1, 2.2, 3.3, ...) once stopped the clock on a shift boundary, so `score` ran forever in
both engines. Each check runs in a child process under a timeout: a regression is an endless
loop in compiled code, which would otherwise hang the test run instead of failing it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from bounded import riskengine, run_bounded

from riskengine.simulation import mechanics as mech

ROOT = Path(__file__).resolve().parent.parent
FACTORY = ROOT / "scenarios" / "example-factory"
TESTS = Path(__file__).resolve().parent


def test_shift_index_of_the_issue_example():
    """15 x 1.1 = 16.5 (in binary just above 16.5 / 1.1 = 15): floor(16.5 / 1.1) = 14 names
    the shift that ended at 16.5; the index is 15, whose end 16 x 1.1 is later."""
    t = 15 * 1.1
    assert int(t // 1.1) == 14  # the arithmetic that stopped the clock
    assert mech.shift_index(t, 1.1) == 15
    assert mech.shift_index(0.0, 1.1) == 0 and mech.shift_index(1.0, 1.1) == 0
    assert mech.shift_index(16.0, 8.0) == 2 and mech.shift_index(15.999, 8.0) == 1


@pytest.mark.parametrize("check", ["check_shift_index_ends_later", "check_advance_in_slow_shifts",
                                   "check_absent_shifts_are_skipped",
                                   "check_always_absent_ends_with_the_calendar",
                                   "check_both_engines_end_and_agree"])
def test_time_advances_for_any_shift_length(check):
    """Property tests of tests/time_props.py (random shift and bucket lengths, decimals included;
    both engines for whole replications), each in a child process with a timeout."""
    done = run_bounded([sys.executable, "-c", f"import time_props; time_props.{check}()"],
                       timeout=240, cwd=TESTS)
    assert done.returncode == 0, done.stderr[-4000:]


def test_issue_repro_bucket_1_1_scores_in_bounded_time(tmp_path):
    """The issue's repro: the example's plan-v1 with bucket_hours 1.1, its premises, one
    replication (it ran forever); now it ends with exit 0 and a result, in both engines."""
    plan = json.loads((FACTORY / "plan-v1.json").read_text())
    plan["bucket_hours"] = 1.1
    path = tmp_path / "plan-b11.json"
    path.write_text(json.dumps(plan))
    for engine in ("kernel", "reference"):
        out = tmp_path / f"{engine}.json"
        done = riskengine("score", path, "--premises", FACTORY / "premises.toml", "--replications", 1,
                          "--engine", engine, "--quiet", "--json", out)
        assert done.returncode == 0, done.stderr
        result = json.loads(out.read_text())
        assert result["replications"] == 1
