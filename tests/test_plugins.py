"""The Python extension point (issue 8): plugins of the entry points group ``riskengine.plugins``
that compile a custom rule into the kernel's parameters, shown with examples/plugin_shift_fatigue.

The example is found the way an installed package is (a ``*.dist-info`` with its entry point
on ``sys.path``), and its effect is checked against closed-form finish times on both engines.
"""

from __future__ import annotations

import importlib
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from riskengine import plugins
from riskengine.analysis.score import score
from riskengine.cli import main
from riskengine.errors import InputError
from riskengine.model.plan import parse_plan
from riskengine.model.premises import parse_premises

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "plugin_shift_fatigue"


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """The example plugin 'installed': its module and a dist-info with the entry point on sys.path."""
    info = tmp_path / "riskengine_shift_fatigue-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: riskengine-shift-fatigue\nVersion: 0.1.0\n")
    project = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())
    points = project["project"]["entry-points"][plugins.GROUP]
    (info / "entry_points.txt").write_text(
        f"[{plugins.GROUP}]\n" + "".join(f"{k} = {v}\n" for k, v in points.items()))
    monkeypatch.syspath_prepend(str(EXAMPLE))
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    yield
    sys.modules.pop("shift_fatigue", None)


def plan():
    """L1 works 10:00-12:00 (day), L2 22:00-24:00 (night); horizon from 06:00 UTC."""
    return parse_plan({
        "format": "riskengine.plan/1", "id": "night", "horizon": {"start": "2026-11-16T06:00:00+00:00",
                                                                 "end": 24},
        "resources": [{"id": "L1"}, {"id": "L2"}],
        "operations": [
            {"id": "day", "product": "A", "resource": "L1", "quantity": 10, "start": 4, "end": 6},
            {"id": "night", "product": "B", "resource": "L2", "quantity": 10, "start": 16, "end": 18,
             "setup_hours": 0.5}]})


def premises(**options):
    doc = {"format": "riskengine.premises/1"}
    if options:
        doc["plugins"] = {"shift_fatigue": options}
    return parse_premises(doc)


def test_the_entry_point_is_found(installed):
    assert "shift_fatigue" in plugins.available()
    loaded = plugins.load("shift_fatigue")
    assert loaded.name == "shift_fatigue" and callable(loaded.compiled)


@pytest.mark.parametrize("engine", ["kernel", "reference"])
def test_night_work_is_slower_by_the_closed_form(installed, engine):
    # no disruptions: an operation ends at start + setup + work; the night one's work
    # (2 h - 0.5 h setup) becomes 1.5 x 1.4 = 2.1 h, so it ends at 16 + 0.5 + 2.1 = 18.6 h
    base = score(plan(), premises(), replications=3, seed=1, engine=engine)
    tired = score(plan(), premises(slowdown=0.4), replications=3, seed=1, engine=engine)
    assert base.finish["mean"] == 18.0
    assert tired.finish["mean"] == pytest.approx(16 + 0.5 + 1.5 * 1.4, abs=1e-9)
    lateness = {o["id"]: o["lateness_hours"] for o in tired.operations}
    assert lateness["day"] == 0.0 and lateness["night"] == pytest.approx(0.6, abs=1e-6)
    finish = {r["id"]: r["finish"]["mean"] for r in tired.resources}
    assert finish["L1"] == 6.0
    assert tired.premises["plugins"] == {"shift_fatigue": {"slowdown": 0.4}}
    # only the resources asked for
    only_l1 = score(plan(), premises(slowdown=0.4, resources=["L1"]), replications=3, seed=1, engine=engine)
    assert only_l1.finish["mean"] == 18.0


def test_plugin_in_a_premises_file_on_the_cli(installed, tmp_path):
    source = tmp_path / "premises.toml"
    source.write_text('format = "riskengine.premises/1"\n[plugins.shift_fatigue]\nslowdown = -1\n')
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(plan().model_dump_json())
    r = CliRunner().invoke(main, ["score", str(plan_file), "--premises", str(source), "--replications", "5"])
    assert r.exit_code == 2
    assert "plugins.shift_fatigue.slowdown: Input should be greater than or equal to 0, got -1" in r.output


def test_unknown_plugin_is_an_input_error():
    with pytest.raises(InputError) as err:
        score(plan(), parse_premises({"format": "riskengine.premises/1", "plugins": {"nope": {}}}),
              replications=2)
    [problem] = err.value.problems
    assert problem.location == "plugins.nope"
    assert "no plugin 'nope' in the entry points group 'riskengine.plugins'" in problem.message


class Broken:
    """A plugin that breaks the arrays it was given."""

    name = "broken"

    def __init__(self, how: str):
        self.how = how

    def compiled(self, compiled, plan, premises, options):
        if self.how == "nan":
            compiled.op_work[0] = np.nan
        elif self.how == "shape":
            compiled.op_work = np.zeros(5)
        elif self.how == "probability":
            compiled.res_scrap[:] = 1.5


@pytest.mark.parametrize("how, message", [("nan", "left NaN in op_work"),
                                          ("shape", "changed the shape or type of op_work"),
                                          ("probability", "put res_scrap outside [0, 1]")])
def test_broken_arrays_never_reach_the_kernel(how, message):
    plugins.register(Broken(how))
    try:
        with pytest.raises(InputError) as err:
            score(plan(), parse_premises({"format": "riskengine.premises/1", "plugins": {"broken": {}}}),
                  replications=2)
    finally:
        plugins.unregister("broken")
    assert [str(p) for p in err.value.problems] == [f"plugins.broken: {message}"]
