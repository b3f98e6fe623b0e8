"""The README's examples run as written (issue 14.6): a README example can never fail again.

Each section listed in :data:`SECTIONS` opts in: its shell blocks run as one bash script
(``set -euo pipefail``, so any failing command fails the test; background processes such as
``riskengine serve &`` are stopped at the end), and its Python blocks with this interpreter, from
a scratch folder that links the repository's ``scenarios/`` and ``examples/`` (so results land in
the scratch ``out/``, never in the checkout). What a test run changes is declared here, next to
the section, and checked to match the README's text (a stale change fails): smaller replication
counts, a free port. ``python -m pip install`` lines are left out (the test environment has the
extras). A later section opts in with one entry.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def free_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return str(s.getsockname()[1])


@dataclass
class Run:
    """How a section runs in the test."""

    replace: dict[str, str] = field(default_factory=dict)  #: README text -> test text (must occur)
    env: dict[str, str] = field(default_factory=dict)  #: extra environment (e.g. smaller REPLICATIONS)
    before: tuple[str, ...] = ()  #: sections whose scripts run first (what this one builds on)
    tools: tuple[str, ...] = ()  #: programs the section needs (skipped with the reason without them)
    optional: tuple[str, ...] = ()  #: programs whose commands are skipped (said so) when absent
    outputs: tuple[str, ...] = ()  #: files the section must have written under the scratch folder


SECTIONS = {
    "Using it": Run(env={"REPLICATIONS": "200"},  # make_reports.sh's replications
                    replace={"replications=2000": "replications=300"},
                    outputs=("out/measurement.json", "out/example-factory/score.html", "out/premises.toml",
                             "out/score.html")),
    "Simulated replications as realized data": Run(outputs=("out/simulated/summary.csv",
                                                              "out/simulated/events-0020.csv",
                                                              "out/simulated-0001.json")),
    "Calibrate premises from history": Run(outputs=("out/premises-calibrated.toml", "out/calibration.json")),
    "Back-test forecasts": Run(before=("Calibrate premises from history",),
                               replace={"--replications 500": "--replications 60"},
                               outputs=("out/backtest.json", "out/reliability.png")),
    "ISA-95 (B2MML) import": Run(outputs=("out/plan-v3.json", "out/actuals.json")),
    "One score on a Dask cluster": Run(outputs=("out/score-local.json", "out/score-dask.json")),
    "Orders and due dates": Run(replace={"--replications 2000": "--replications 200",
                                         "--replications 500": "--replications 100"},
                                outputs=("out/orders-score.html", "out/orders-map.toml")),
    "JSON on stdin and stdout": Run(tools=("jq",), replace={"replications: 500": "replications: 100"},
                                    outputs=("out/request.json", "out/result.json")),
    "HTTP service": Run(tools=("curl", "jq"), optional=("java",), env={"REPLICATIONS": "100"}),
    "Review, sign-off and accountability": Run(replace={"--seed 5 \\\n": "--seed 5 --replications 200 \\\n"},
                                               outputs=("out/review.html", "out/flags.csv",
                                                        "out/week-05-validated.json")),
    "Memory": Run(tools=("/usr/bin/time",), replace={"--replications 1000000": "--replications 500"},
                  outputs=("r.json",)),
    "Adherence trends": Run(env={"REPLICATIONS": "200"},  # make_reports.sh's review sheet
                            outputs=("out/trend.html", "out/trend.json", "out/weeks/week-08.json")),
    "The live plan: forecast from the current state": Run(
        replace={"--replications 2000 --json out/tuesday.json": "--replications 200 --json out/tuesday.json",
                 "--replications 2000 --alert": "--replications 200 --alert"},
        outputs=("out/tuesday.json", "out/tuesday.html", "out/tuesday-18.json")),
}


def sections(text: str) -> dict[str, str]:
    """Heading -> its text, for ``##`` and ``###`` headings (a ``##`` section includes its ``###``)."""
    heads = [(m.start(), len(m.group(1)), m.group(2).strip())
             for m in re.finditer(r"^(#{2,3}) (.+)$", text, flags=re.M)]
    out = {}
    for k, (start, level, name) in enumerate(heads):
        end = next((s for s, lv, _ in heads[k + 1:] if lv <= level), len(text))
        out[name] = text[start:end]
    return out


def blocks(section: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", section, flags=re.M | re.S)


def script(name: str, run: Run, texts: dict[str, str]) -> str:
    """The section's shell blocks (after those of ``run.before``) as one bash script."""
    parts = []
    for each in (*run.before, name):
        body = "\n".join(blocks(texts[each], "bash"))
        body = "\n".join(line for line in body.splitlines() if not line.startswith("python -m pip install"))
        parts.append(body)
    return "\n".join(parts)


def replaced(text: str, replace: dict[str, str]) -> str:
    for old, new in replace.items():
        text = text.replace(old, new)
    return text


@pytest.fixture
def scratch(tmp_path):
    for folder in ("scenarios", "examples"):
        (tmp_path / folder).symlink_to(ROOT / folder)
    return tmp_path


def untracked() -> set[str]:
    out = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=ROOT,
                         capture_output=True, text=True)
    return set(out.stdout.splitlines()) if out.returncode == 0 else set()


def test_every_opted_in_section_exists_and_has_commands():
    texts = sections(README.read_text())
    for name in SECTIONS:
        assert name in texts, f"README has no section {name!r}"
        assert blocks(texts[name], "bash"), f"section {name!r} has no shell block"


@pytest.mark.parametrize("name", list(SECTIONS))
def test_readme_section_runs_as_written(name, scratch):
    run = SECTIONS[name]
    missing = [t for t in run.tools if not shutil.which(t)]
    if missing:
        pytest.skip(f"the section needs {', '.join(missing)}")
    texts = sections(README.read_text())
    port = free_port()
    replace = {**run.replace, **({"8000": port} if "8000" in texts[name] else {})}
    for old in run.replace:
        assert old in "".join(texts[s] for s in (*run.before, name)), f"stale test change: {old!r}"
    shell = replaced(script(name, run, texts), replace)
    stubs = "".join(f'{tool}() {{ echo "{tool} is not installed: skipped"; }}\n'
                    for tool in run.optional if not shutil.which(tool))
    bash = ("set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n"
            f"mkdir -p out\n{stubs}{shell}\n")
    env = {**os.environ, **run.env, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("RISKENGINE_API_KEY", None)
    before = untracked()
    done = subprocess.run(["bash", "-c", bash], cwd=scratch, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, f"{name}:\n{bash}\n--- stdout\n{done.stdout[-4000:]}\n--- stderr\n" \
                                 f"{done.stderr[-4000:]}"
    for code in blocks(texts[name], "python"):
        (scratch / "block.py").write_text(replaced(code, replace))
        ran = subprocess.run([sys.executable, "block.py"], cwd=scratch, env=env, capture_output=True,
                             text=True, timeout=600)
        assert ran.returncode == 0, ran.stdout + ran.stderr
    for path in run.outputs:
        assert (scratch / path).is_file(), f"{name} did not write {path}"
    assert untracked() == before  # nothing written into the checkout
