"""A bounded fuzz of ``riskengine forecast`` through the real CLI (as tests/test_cli_fuzz.py does for
the other commands): mutated plans, premises, actuals and events, as-of times inside, on and outside
the horizon. Every outcome is exit 0, 2 or 4 (never 1), without a traceback, within the time bound.

Deterministic: hypothesis derandomized, no example database.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from cli_fuzz import Child, _csv, _json, _toml_or_json, base_history, base_plan, base_premises, mutated
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXAMPLES = 60
AS_OF = ["0", "5.5", "8", "12.25", "24", "31", "-3", "2026-11-16T14:30:00+00:00", "tomorrow", "nan"]


@st.composite
def forecast_cases(draw, history):
    actuals, events = history
    return {"plan": draw(mutated(base_plan())), "premises": draw(mutated(base_premises())),
            "actuals": draw(mutated({"format": "riskengine.actuals/1", "records": actuals})),
            "events": draw(mutated({"format": "riskengine.events/1", "events": events})),
            "csv": draw(st.booleans()), "as_of": draw(st.sampled_from(AS_OF)),
            "replications": draw(st.integers(1, 20)),
            "engine": draw(st.sampled_from(["kernel"] * 5 + ["reference"])),
            "alert": draw(st.sampled_from(["0.8", "0.001", "1"]))}


def command_line(docs: dict, folder: Path) -> list[str]:
    plan = str(_json(folder / "plan.json", docs["plan"]))
    premises = str(_toml_or_json(folder / "premises", docs["premises"]))
    table = docs["csv"] and isinstance(docs["actuals"], dict) and isinstance(docs["events"], dict)
    actuals = (_csv(folder / "actuals.csv", docs["actuals"].get("records")) if table
               else _json(folder / "actuals.json", docs["actuals"]))
    events = (_csv(folder / "events.csv", docs["events"].get("events")) if table
              else _json(folder / "events.json", docs["events"]))
    return ["forecast", plan, "--premises", premises, "--as-of", docs["as_of"], "--actuals", str(actuals),
            "--events", str(events), "--replications", str(docs["replications"]), "--engine", docs["engine"],
            "--alert", docs["alert"], "--fail-on-alert", "--json", str(folder / "out.json"), "--quiet"]


@pytest.fixture(scope="module")
def child():
    process = Child()
    with tempfile.TemporaryDirectory() as work:  # load (or compile) the kernel before the clock runs
        folder = Path(work)
        warm = command_line({"plan": base_plan(), "premises": base_premises(), "actuals": {
            "format": "riskengine.actuals/1", "records": []}, "events": {"format": "riskengine.events/1",
                                                                         "events": []},
            "csv": False, "as_of": "8", "replications": 2, "engine": "kernel", "alert": "0.8"}, folder)
        assert process.run(warm, timeout=900)["code"] in (0, 4)
    yield process
    process.close()


def test_forecast_outcomes_are_0_2_or_4_within_the_time_bound(child, tmp_path_factory):
    history = base_history()
    codes: list[int | None] = []

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(forecast_cases(history))
    def check(docs):
        args = command_line(docs, tmp_path_factory.mktemp("case"))
        result = child.run(args)
        codes.append(result["code"])
        bad = result["code"] is None or result["code"] not in (0, 2, 4) or result["exception"] or (
            "Traceback" in result["output"] or "internal error" in result["output"])
        assert not bad, (args, result["code"], result["exception"] or result["output"])

    check()
    assert 2 in codes and {0, 4} & set(codes), codes  # valid and refused inputs were both tried
