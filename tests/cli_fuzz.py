"""Fuzzing the command line (issue 15.8): mutated plans, premises, actuals, events, study files
and B2MML through the real CLI mapping; every outcome must be exit 0, 2 or 3 (never 1: an
internal error), within a time bound.

The commands run in a long-lived child process (:class:`Child`, click's CliRunner on
``riskengine.cli.main``: the same mapping from exceptions to exit codes as the installed
command, without a new interpreter per input); the parent gives each input a time bound and
replaces a child that overruns it (a hang in compiled code cannot be interrupted in-process).

``tests/test_cli_fuzz.py`` runs a bounded, derandomized sample in the suite. A longer campaign
runs outside it and prints its figures::

    python tests/cli_fuzz.py --examples 2000 [--seed N]
"""

from __future__ import annotations

import copy
import csv
import io
import json
import math
import queue
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
T0 = "2026-11-16T06:00:00+00:00"
#: Seconds an input may take (tiny documents, at most 30 replications: a few seconds at most).
TIME_BOUND = 60.0
ALLOWED = {0, 2, 3}

_CHILD = r"""
import json, sys, traceback
from click.testing import CliRunner
from riskengine.cli import main
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    r = CliRunner().invoke(main, json.loads(line))
    exc = None
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        exc = "".join(traceback.format_exception(r.exception))[-4000:]
    print(json.dumps({"code": r.exit_code, "output": r.output[-3000:], "exception": exc}), flush=True)
"""


class Child:
    """A process running riskengine commands one at a time (see the module docstring)."""

    def __init__(self) -> None:
        self._start()

    def _start(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-c", _CHILD], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                        cwd=ROOT)
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, args=(self.process, self.lines), daemon=True).start()
        assert self.lines.get(timeout=120) is not None, "the fuzz child did not start"

    @staticmethod
    def _read(process, lines) -> None:
        for line in process.stdout:
            lines.put(json.loads(line))
        lines.put(None)

    def run(self, args: list[str], timeout: float = TIME_BOUND) -> dict:
        """``{"code", "output", "exception", "seconds"}``; ``code`` None: over the time bound
        (the child is then replaced)."""
        t = time.monotonic()
        self.process.stdin.write(json.dumps(args) + "\n")
        self.process.stdin.flush()
        try:
            answer = self.lines.get(timeout=timeout)
        except queue.Empty:
            answer = {"code": None, "output": "", "exception": f"no answer within {timeout:g} s"}
            self.close()
            self._start()
        if answer is None:  # the child died (a crash of the interpreter itself)
            answer = {"code": -1, "output": "", "exception": "the child process died"}
            self._start()
        return {**answer, "seconds": time.monotonic() - t}

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


# -- the documents to mutate -------------------------------------------------------------------------


def base_plan() -> dict:
    ops = []
    for k in range(3):
        for r, line in enumerate(("L1", "L2")):
            start = 3.0 * k + 2.0 * r
            ops.append({"id": f"{line}-{k}", "order": f"WO{k}", "product": f"P{k}", "family": f"F{k % 2}",
                        "resource": line, "quantity": 100, "start": start, "end": start + 2.0,
                        "setup_hours": 0.25, "after": [f"L1-{k}"] if line == "L2" else [],
                        "materials": ["M1"] if k == 0 else []})
    return {"format": "riskengine.plan/1", "id": "fuzz", "published_at": 0,
            "horizon": {"start": T0, "end": 24}, "bucket_hours": 8,
            "resources": [{"id": "L1"}, {"id": "L2"}], "operations": ops,
            "calendars": {"default": {"shifts": [{"start": "06:00", "end": "22:00"}]}},
            "materials": [{"id": "M1", "available_at": 0}]}


def base_premises() -> dict:
    return {"format": "riskengine.premises/1",
            "reliability": {"material": 0.99},
            "defaults": {"breakdowns": {"mtbf_hours": 20, "mttr_hours": {"dist": "lognormal", "mean": 1,
                                                                         "cv": 0.5}},
                         "absenteeism": {"probability": 0.1, "effect": "slow", "speed": 0.6},
                         "performance": {"dist": "gamma", "mean": 0.97, "cv": 0.1},
                         "scrap_rate": 0.01, "setup_overrun": {"dist": "triangular", "low": 0.8,
                                                               "mode": 1, "high": 2}},
            "resources": {"L2": {"breakdowns": {"mtbf_hours": {"uncertain": {"dist": "uniform", "low": 10,
                                                                             "high": 40}},
                                                "mttr_hours": 0.5}}},
            "materials": {"M1": {"late": {"probability": 0.2, "delay_hours": {"dist": "exponential",
                                                                              "mean": 2}}}},
            "operator": {"deviation": {"probability": 0.1, "window": 3, "rule": "easiest_first"}},
            "execution": {"on_blocked": "next_ready", "lateness_tolerance_hours": 0.5},
            "drivers": {"flu": {"kind": "absenteeism", "probability": 0.05, "resources": ["L1"],
                                "effect": "slow", "speed": 0.6}},
            "uncertainty": {"replications_per_draw": 2}}


def base_history() -> tuple[list[dict], list[dict]]:
    """Actuals and events of the base plan, realized once under the base premises."""
    from riskengine.calibration.synthetic import realize_week
    from riskengine.model.plan import parse_plan
    from riskengine.model.premises import parse_premises

    return realize_week(parse_plan(base_plan()), parse_premises(base_premises()), seed=5, week=0)


def base_study(plan: str, premises: str) -> dict:
    return {"format": "riskengine.study/1", "name": "fuzz", "premises": premises, "seed": 3,
            "replications": 20, "metrics": ["plan_holds", "bts", "finish"], "crn": "plans",
            "plans": {"a": plan}, "design": {"kind": "grid"},
            "parameters": [{"name": "slack", "field": "slack", "values": [0.0, 0.2]}]}


B2MML = (ROOT / "scenarios" / "b2mml" / "schedule-v1.xml").read_text(encoding="utf-8")

# -- mutations --------------------------------------------------------------------------------------------


def _deep(levels: int) -> list:
    out: list = []
    for _ in range(levels):
        out = [out]
    return out


ODD_VALUES = [0, -1, 1, 0.1, 1.1, 3.3, 1e-300, 5e-324, 1e300, 1e155, -1e308, 2**63, 2**64, 10**30,
              math.nan, math.inf, -math.inf, "", "x", "1000", "-1", "2100-01-01T00:00:00+00:00",
              "1900-01-01T00:00:00Z", "2026-13-45T99:00:00", "\u0000", "é" * 300, None, True, False, [], {},
              [1, 2], {"a": 1}, _deep(70), {"uncertain": {"dist": "beta", "alpha": 1e-9, "beta": 1e9}}]
DISTRIBUTION = st.fixed_dictionaries({"dist": st.sampled_from(
    ["fixed", "exponential", "lognormal", "gamma", "weibull", "normal", "uniform", "triangular", "pert",
     "empirical", "beta"])}, optional={
    k: st.sampled_from([0, 1e-200, 1e-9, 0.01, 0.5, 1, 3, 1e3, 1e155, -2, 1e308])
    for k in ("value", "mean", "cv", "shape", "scale", "sd", "low", "mode", "high", "alpha", "beta")})
#: Numbers that are valid somewhere and extreme everywhere: zero, tiny, huge, not exact in binary.
EXTREME_NUMBERS = [0, 1e-12, 1e-6, 0.01, 0.1, 0.3, 0.9999999, 1, 1.1, 2.2, 3.3, 7.7, 24, 168, 1e3, 1e5, 1e6,
                   1e12, 1e155, 1e300]
ODD = st.one_of(st.sampled_from(ODD_VALUES), DISTRIBUTION,
                st.floats(allow_nan=True, allow_infinity=True), st.integers(-2**70, 2**70),
                st.text(max_size=20))


def _paths(doc, prefix=()) -> list[tuple]:
    """Every place in a document: (path to the container, key or index)."""
    out = []
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else []
    for k, v in items:
        out.append((prefix, k))
        out += _paths(v, (*prefix, k))
    return out


def _at(doc, path):
    for k in path:
        doc = doc[k]
    return doc


@st.composite
def mutated(draw, document: dict, frozen: tuple[str, ...] = ()) -> dict:
    """``document`` with 0 to 3 changes: a number replaced by an extreme one (or a distribution
    by another), any value by an odd one, a key removed, an unknown key added, a list item
    doubled (never the keys in ``frozen``)."""
    doc = copy.deepcopy(document)
    for _ in range(draw(st.integers(0, 3))):
        places = [p for p in _paths(doc) if p[1] not in frozen]
        if not places:
            break
        path, key = draw(st.sampled_from(places))
        parent = _at(doc, path)
        action = draw(st.sampled_from(["replace", "replace", "number", "number", "number", "remove", "add",
                                       "double"]))
        value = parent[key]
        if action == "number" and isinstance(value, dict) and "dist" in value:
            parent[key] = draw(DISTRIBUTION)
        elif action == "number" and isinstance(value, int | float) and not isinstance(value, bool):
            parent[key] = draw(st.sampled_from(EXTREME_NUMBERS)) * (1 if value >= 0 else -1)
        elif action in ("replace", "number"):
            parent[key] = copy.deepcopy(draw(ODD))  # a copy: later changes must not alter ODD_VALUES
        elif action == "remove":
            del parent[key]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "Format", "id2", ""]))] = copy.deepcopy(draw(ODD))
        elif action == "double" and isinstance(parent[key], list) and parent[key]:
            parent[key].append(copy.deepcopy(parent[key][0]))
    return doc


@st.composite
def mutated_text(draw, text: str) -> str:
    """A text cut short, with a line dropped, doubled or replaced, or an encoding declared."""
    lines = text.splitlines()
    action = draw(st.sampled_from(["cut", "drop", "double", "replace", "encoding", "none"]))
    k = draw(st.integers(0, len(lines) - 1))
    if action == "cut":
        return text[: draw(st.integers(0, len(text)))]
    if action == "drop":
        del lines[k]
    elif action == "double":
        lines.insert(k, lines[k])
    elif action == "replace":
        lines[k] = draw(st.sampled_from(["<ValueString>1e400</ValueString>", "<ID></ID>", "&amp;",
                                         "<StartTime>2100-01-01T00:00:00Z</StartTime>", "<!DOCTYPE x>",
                                         "<EndTime>yesterday</EndTime>", "\u0000"]))
    elif action == "encoding":
        lines[0] = f'<?xml version="1.0" encoding="{draw(st.sampled_from(["x-none", "utf-16", "ascii"]))}"?>'
    return "\n".join(lines) + "\n"


# -- writing the inputs and the command lines ----------------------------------------------------------------


def _json(path: Path, doc) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")  # NaN and Infinity as JSON5-ish literals
    return path


def _toml_or_json(path: Path, doc) -> Path:
    """TOML when the document can be written as TOML, else JSON (premises read both)."""
    from riskengine.io.toml_writer import to_toml

    try:
        path.with_suffix(".toml").write_text(to_toml(doc), encoding="utf-8")
        return path.with_suffix(".toml")
    except (ValueError, TypeError, AttributeError, RecursionError):
        return _json(path.with_suffix(".json"), doc)


def _csv(path: Path, rows) -> Path:
    rows = [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []
    columns = list(dict.fromkeys(str(k) for r in rows for k in r))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, columns, extrasaction="ignore")
    writer.writeheader()
    for r in rows:
        writer.writerow({str(k): (";".join(map(str, v)) if isinstance(v, list) else v) for k, v in r.items()})
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


COMMANDS = ["check", "score", "score", "compare", "measure", "calibrate", "sweep", "b2mml", "call"]


@st.composite
def cases(draw, history: tuple[list[dict], list[dict]]):
    """(command, documents): a command and the (mutated) documents it reads."""
    command = draw(st.sampled_from(COMMANDS))
    docs: dict = {"plan": draw(mutated(base_plan()))}
    if command in ("score", "compare", "sweep", "call"):
        docs["premises"] = draw(mutated(base_premises()))
    if command == "compare":
        docs["plan2"] = draw(mutated(base_plan()))
    if command in ("measure", "calibrate"):
        actuals, events = history
        docs["actuals"] = draw(mutated({"format": "riskengine.actuals/1", "records": actuals}))
        docs["actuals_csv"] = draw(st.booleans())
        if command == "calibrate":
            docs["events"] = draw(mutated({"format": "riskengine.events/1", "events": events}))
            docs["events_csv"] = draw(st.booleans())
    if command == "sweep":  # the amount of work stays small: its keys are never changed
        docs["study"] = draw(mutated(base_study("PLAN", "PREMISES"),
                                     frozen=("replications", "max_replications", "precision")))
    if command == "b2mml":
        docs["xml"] = draw(mutated_text(B2MML))
    docs["replications"] = draw(st.integers(1, 30))
    docs["seed"] = draw(st.integers(0, 2**40))
    docs["engine"] = draw(st.sampled_from(["kernel"] * 5 + ["reference"]))
    return command, docs


def command_line(command: str, docs: dict, folder: Path) -> list[str]:
    """Write the documents of a case into ``folder``; the arguments of its command."""
    plan = str(_json(folder / "plan.json", docs["plan"]))
    out = str(folder / "out.json")
    common = ["--replications", str(docs["replications"]), "--seed", str(docs["seed"])]
    if command == "check":
        return ["check", plan, "--json", out, "--quiet"]
    if command == "b2mml":
        (folder / "in.xml").write_text(docs["xml"], encoding="utf-8", errors="surrogatepass")
        return ["import", "b2mml", str(folder / "in.xml"), "--json", out, "--quiet"]
    premises = str(_toml_or_json(folder / "premises", docs["premises"])) if "premises" in docs else ""
    if command == "score":
        return ["score", plan, "--premises", premises, *common, "--engine", docs["engine"], "--json", out,
                "--quiet"]
    if command == "compare":
        plan2 = str(_json(folder / "plan2.json", docs["plan2"]))
        return ["compare", plan, plan2, "--premises", premises, *common, "--json", out, "--quiet"]
    if command == "call":
        request = {"plan": docs["plan"], "premises": docs["premises"], "replications": docs["replications"]}
        return ["call", "score", "--request", str(_json(folder / "request.json", request)), "--json", out]
    if command == "sweep":
        study = json.loads(json.dumps(docs["study"]).replace('"PLAN"', json.dumps(plan))
                           .replace('"PREMISES"', json.dumps(premises)))
        return ["sweep", str(_toml_or_json(folder / "study", study)), "--out", str(folder / "t.csv"),
                "--quiet"]
    actuals = (_csv(folder / "actuals.csv", docs["actuals"].get("records"))
               if docs["actuals_csv"] and isinstance(docs["actuals"], dict)
               else _json(folder / "actuals.json", docs["actuals"]))
    if command == "measure":
        return ["measure", "--plan", plan, "--actuals", str(actuals), "--json", out, "--quiet"]
    events = (_csv(folder / "events.csv", docs["events"].get("events"))
              if docs["events_csv"] and isinstance(docs["events"], dict)
              else _json(folder / "events.json", docs["events"]))
    return ["calibrate", "--plan", plan, "--actuals", str(actuals), "--events", str(events),
            "--out", str(folder / "calibrated.toml"), "--quiet"]


def verdict(result: dict) -> str | None:
    """What is wrong with an outcome (None: exit 0, 2 or 3 within the bound, no traceback)."""
    if result["code"] is None:
        return "hang"
    if result["code"] not in ALLOWED:
        return f"exit {result['code']}"
    if result["exception"] or "Traceback" in result["output"] or "internal error" in result["output"]:
        return "traceback"
    return None


def campaign(examples: int, seed: int | None) -> None:  # pragma: no cover - run by hand
    """The long campaign: ``examples`` inputs, the figures printed, every failure saved."""
    import tempfile

    from hypothesis import HealthCheck, given, settings

    history = base_history()
    child = Child()
    tally: Counter = Counter()
    failures: list[dict] = []
    slowest = [0.0]
    work = Path(tempfile.mkdtemp(prefix="riskengine-fuzz-"))

    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(cases(history))
    def one(case):
        command, docs = case
        folder = Path(tempfile.mkdtemp(dir=work))
        args = command_line(command, docs, folder)
        result = child.run(args)
        tally[(command, "hang" if result["code"] is None else result["code"])] += 1
        slowest[0] = max(slowest[0], result["seconds"])
        if verdict(result):
            failures.append({"verdict": verdict(result), "args": args, **result})
            print(f"FAILURE {verdict(result)}: {args}\n{result['exception'] or result['output']}", flush=True)

    if seed is not None:
        from hypothesis import seed as hypothesis_seed

        one = hypothesis_seed(seed)(one)
    started = time.monotonic()
    child.run(["score", str(_json(work / "warm.json", base_plan())), "--premises",
               str(_toml_or_json(work / "warm", base_premises())), "--replications", "5", "--quiet"],
              timeout=600)
    one()
    child.close()
    by_code = Counter()
    for (_command, code), n in tally.items():
        by_code[code] += n
    print(f"\ninputs tried: {sum(tally.values())} in {time.monotonic() - started:.0f} s "
          f"(slowest {slowest[0]:.1f} s); outcomes by exit code: {dict(sorted(by_code.items(), key=str))}")
    for command in dict.fromkeys(COMMANDS):
        mine = {code: n for (c, code), n in tally.items() if c == command}
        if mine:
            print(f"  {command:10s} {dict(sorted(mine.items(), key=str))}")
    print(f"exit 1: {by_code.get(1, 0)}, hangs (> {TIME_BOUND:g} s): {by_code.get('hang', 0)}, "
          f"failures kept in {work / 'failures.json'}")
    (work / "failures.json").write_text(json.dumps(failures, indent=1, default=str))


if __name__ == "__main__":  # pragma: no cover
    import argparse

    parser = argparse.ArgumentParser(description="The CLI fuzz campaign (see the module docstring).")
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=None)
    options = parser.parse_args()
    campaign(options.examples, options.seed)
