"""Packaging (issue 21): one version source; the core imports and runs without the optional
extras, and a command that needs a missing extra says which one to install (exit 2)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

from click.testing import CliRunner

import riskengine
from riskengine.cli import main

ROOT = Path(__file__).resolve().parent.parent
SHEETS = ROOT / "scenarios" / "example-factory" / "spreadsheet"

#: a Python process in which the optional extras' packages cannot be imported (as after `pip install .`)
WITHOUT_EXTRAS = """
import sys
BLOCKED = ("pandas", "openpyxl", "defusedxml", "pyarrow", "dask", "fastapi", "uvicorn", "ortools")

class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None

sys.meta_path.insert(0, Blocker())
"""


def test_one_version_source():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert riskengine.__version__ == version("riskengine") == pyproject["project"]["version"]
    r = CliRunner().invoke(main, ["--version"])
    assert r.exit_code == 0 and r.output.strip().endswith(pyproject["project"]["version"])
    assert pyproject["project"]["version"] not in (ROOT / "riskengine" / "__init__.py").read_text()


def test_extras_are_declared_by_what_they_enable():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "optional-dependencies"]
    wanted = {"service", "interop", "sweep", "jobshop", "pandas", "sheets", "all", "docs", "test"}
    assert wanted <= set(extras)
    assert extras["all"] == ["riskengine[service,interop,pandas,sheets,sweep,jobshop]"]
    assert any(d.startswith("defusedxml") for d in extras["interop"])
    assert any(d.startswith("openpyxl") for d in extras["sheets"])
    assert any(d.startswith("pandas") for d in extras["pandas"])
    core = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    assert not any(d.startswith(("pandas", "openpyxl", "defusedxml")) for d in core)


def _core(code: str, tmp_path: Path) -> subprocess.CompletedProcess:
    script = tmp_path / "core.py"
    script.write_text(WITHOUT_EXTRAS + code, encoding="utf-8")
    return subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_core_works_without_extras_and_names_the_missing_ones(tmp_path):
    code = f"""
import sys
from click.testing import CliRunner
import riskengine as rk
from riskengine.cli import main

plan = rk.read_plan("scenarios/example-factory/plan-v1.json")
assert rk.check(plan).ok
csv = CliRunner().invoke(main, ["import", "table", r"{SHEETS / 'wk47-v1.csv'}", "--kind", "plan", "--map",
                                r"{SHEETS / 'map.toml'}", "--timezone", "Europe/Berlin", "--quiet"])
assert csv.exit_code == 0, csv.output
for args in (["import", "table", r"{SHEETS / 'wk47-v1.xlsx'}", "--kind", "plan", "--map",
              r"{SHEETS / 'map.toml'}", "--timezone", "Europe/Berlin"],
             ["import", "b2mml", "scenarios/b2mml/schedule-v1.xml"]):
    r = CliRunner().invoke(main, args)
    print(r.exit_code, r.output.strip())
try:
    rk.measure(plan, rk.read_actuals("scenarios/example-factory/actuals.csv",
                                     rk.read_history(["scenarios/example-factory/plan-v1.json",
                                                      "scenarios/example-factory/plan-v2.json",
                                                      "scenarios/example-factory/plan-v3.json"]))).to_frames()
except ImportError as exc:
    print("to_frames:", exc)
print("loaded:", sorted(m for m in ("pandas", "openpyxl", "defusedxml") if m in sys.modules))
"""
    r = _core(code, tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "2 error: reading .xlsx workbooks needs openpyxl, which is not installed: "
        "python -m pip install 'riskengine[sheets]'",
        "2 error: B2MML import needs defusedxml, which is not installed: "
        "python -m pip install 'riskengine[interop]'",
        "to_frames: to_frames() needs pandas, which is not installed: "
        "python -m pip install 'riskengine[pandas]'",
        "loaded: []"]
