"""A bounded fuzz of the command line in the suite (issue 15.8; the generator, the child process
and the longer campaign are in tests/cli_fuzz.py): mutated plans, premises, actuals, events,
study files and B2MML through the real CLI mapping. Every outcome is exit 0, 2 or 3 (never 1),
without a traceback, within cli_fuzz.TIME_BOUND seconds each.

Deterministic: hypothesis derandomized, no example database, so the same inputs every run.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from cli_fuzz import Child, base_history, base_plan, base_premises, cases, command_line, verdict
from hypothesis import HealthCheck, given, settings

EXAMPLES = 150


@pytest.fixture(scope="module")
def child():
    process = Child()
    with tempfile.TemporaryDirectory() as work:  # load (or compile) the kernel before the clock runs
        folder = Path(work)
        warm = command_line("score", {"plan": base_plan(), "premises": base_premises(), "replications": 2,
                                      "seed": 0, "engine": "kernel"}, folder)
        assert process.run(warm, timeout=900)["code"] == 0
    yield process
    process.close()


def test_cli_outcomes_are_0_2_or_3_within_the_time_bound(child, tmp_path_factory):
    history = base_history()
    outcomes: list[tuple[str, int | None]] = []

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(cases(history))
    def check(case):
        command, docs = case
        args = command_line(command, docs, tmp_path_factory.mktemp("case"))
        result = child.run(args)
        outcomes.append((command, result["code"]))
        problem = verdict(result)
        assert problem is None, (problem, args, result["exception"] or result["output"])

    check()
    codes = {code for _, code in outcomes}
    assert codes <= {0, 2, 3} and {0, 2} <= codes, outcomes  # both valid and refused inputs were tried
    assert len({command for command, _ in outcomes}) >= 6, outcomes
