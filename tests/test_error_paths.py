"""Every failure speaks the contract's exit codes (issue 15.2-15.5): the repros of an outside
probe that ended in a hang, exit 1 or a silent loss now end in exit 2 with a message naming
the field or file at fault, or run (degenerate premises handled by a stated rule).

Whatever could hang runs as the real command in a child process under a time bound
(tests/bounded.py); the rest runs in-process with click's CliRunner.
"""

from __future__ import annotations

import errno
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from bounded import riskengine
from click.testing import CliRunner

import riskengine.io.writers as writers
from riskengine.cli import main
from riskengine.errors import MAX_LISTED, InputError
from riskengine.io.readers import MAX_DEPTH, check_depth
from riskengine.model.distributions import quantile
from riskengine.model.premises import MIN_MTBF_HOURS, lowest_mean, parse_premises

ROOT = Path(__file__).resolve().parent.parent
FACTORY = ROOT / "scenarios" / "example-factory"
PLAN = FACTORY / "plan-v1.json"
PREMISES = (FACTORY / "premises.toml").read_text(encoding="utf-8")
P1_MTBF = "mtbf_hours = 40"  # the older oven's line in premises.toml


def premises_with(tmp_path: Path, old: str, new: str, name: str = "premises.toml") -> Path:
    assert old in PREMISES
    path = tmp_path / name
    path.write_text(PREMISES.replace(old, new, 1), encoding="utf-8")
    return path


def invoke(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_refused(result, *words: str) -> None:
    """Exit 2, the message names each of ``words``, no traceback."""
    text = result.output if hasattr(result, "output") else result.stderr
    code = result.exit_code if hasattr(result, "exit_code") else result.returncode
    assert code == 2, text
    assert "Traceback" not in text and "internal error" not in text, text
    for word in words:
        assert word in text, (word, text)


# -- degenerate premises (15.1) ------------------------------------------------------------------


@pytest.mark.parametrize("mtbf, why", [
    ('{ dist = "fixed", value = 0 }', "it is 0 h"),
    ('{ dist = "fixed", value = -3 }', "it is -3 h"),
    ('{ uncertain = { dist = "beta", alpha = 1e-9, beta = 1e9 } }', "uncertain mean at its 0.1% quantile"),
    ('{ dist = "exponential", mean = { uncertain = { dist = "uniform", low = 0.001, high = 0.5 } } }',
     "it is 0.001499 h with its uncertain mean at its 0.1% quantile"),
    ('{ dist = "lognormal", mean = 1e-4, cv = 0.5 }', "it is 0.0001 h"),
])
def test_mtbf_at_zero_is_refused_naming_the_field(tmp_path, mtbf, why):
    """The issue's repros (MTBF fixed 0; an uncertain MTBF concentrated at 0) failed forever
    without processing anything; the rule: a mean time between failures of at least
    MIN_MTBF_HOURS, also with an uncertain mean at its 0.1% quantile. Exit 2 at once."""
    path = premises_with(tmp_path, P1_MTBF, f"mtbf_hours = {mtbf}")
    done = riskengine("score", PLAN, "--premises", path, "--replications", 1, timeout=120)
    assert_refused(done, "resources.P1.breakdowns.mtbf_hours", "at least 0.01 h", why)


def test_mtbf_rule_keeps_usual_uncertain_mtbfs():
    """Exactly at the bound passes; a usual uncertain MTBF (uniform 25-60 h, a gamma posterior)
    has its 0.1% quantile far above it; a gamma with most of its mass near 0 does not."""
    def mtbf(value):
        doc = {"format": "riskengine.premises/1", "defaults": {"breakdowns": {"mtbf_hours": value,
                                                                             "mttr_hours": 1}}}
        return parse_premises(doc).defaults.breakdowns.mtbf_hours

    assert lowest_mean(mtbf({"dist": "fixed", "value": MIN_MTBF_HOURS}))[0] == MIN_MTBF_HOURS
    low, why = lowest_mean(mtbf({"uncertain": {"dist": "uniform", "low": 25, "high": 60}}))
    assert low == pytest.approx(25 + 35 * 0.001) and "0.1% quantile" in why
    gamma = {"dist": "gamma", "mean": 80, "cv": 0.3}
    assert lowest_mean(mtbf({"uncertain": gamma}))[0] == pytest.approx(quantile(
        mtbf({"uncertain": gamma}).mean_.uncertain, 0.001))
    with pytest.raises(InputError, match="mtbf_hours"):  # shape 0.04: 61% of its draws below 36 s
        mtbf({"uncertain": {"dist": "gamma", "mean": 80, "cv": 5}})


@pytest.mark.parametrize("effect", ["stop", "slow"])
def test_crew_absent_in_every_shift_ends_in_bounded_time(tmp_path, effect):
    """Absenteeism with probability 1 on a resource without a calendar (a calendar that never
    ends): stop stepped through shifts forever; now the crew never comes (nothing runs, cause
    absenteeism), and slow runs every shift at the crew's speed 0.5: "a" (setup 2 h, work 1 h)
    ends at 6 h instead of 3 h, "b" (work 2 h) at 10 h instead of 5 h."""
    plan = {"format": "riskengine.plan/1", "id": "always-absent", "bucket_hours": 8,
            "horizon": {"start": "2026-11-16T06:00:00+00:00", "end": 24}, "resources": [{"id": "L1"}],
            "operations": [{"id": "a", "product": "P", "resource": "L1", "quantity": 1, "start": 0,
                            "end": 3, "setup_hours": 2},
                           {"id": "b", "product": "P", "resource": "L1", "quantity": 1, "start": 3,
                            "end": 5}]}
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    (tmp_path / "p.toml").write_text('format = "riskengine.premises/1"\n[defaults.absenteeism]\n'
                                     f'probability = 1\neffect = "{effect}"\nspeed = 0.5\n')
    out = tmp_path / "r.json"
    done = riskengine("score", tmp_path / "plan.json", "--premises", tmp_path / "p.toml", "--replications",
                      20, "--quiet", "--json", out, timeout=240)
    assert done.returncode == 0, done.stderr
    ops = {o["id"]: o for o in json.loads(out.read_text())["operations"]}
    if effect == "stop":
        assert ops["a"]["not_executed"] == 1.0 and ops["b"]["not_executed"] == 1.0
        assert ops["a"]["causes"] == {"absenteeism": 1.0}
    else:
        assert (ops["a"]["lateness_hours"], ops["b"]["lateness_hours"]) == (3.0, 5.0)
        assert ops["b"]["causes"] == {"absenteeism": 1.0}


@pytest.mark.parametrize("section, value, words", [
    ("absenteeism", 'probability = 0.5\nshift_hours = 0.0001',
     ["defaults.absenteeism.shift_hours", "240000 shifts", "at most 100000"]),
    ("absenteeism", 'probability = 0.5\neffect = "slow"\nspeed = 1e-12',
     ["defaults.absenteeism.speed", "greater than or equal to 0.01"]),
])
def test_shifts_and_crew_speed_have_a_floor(tmp_path, section, value, words):
    """Shifts no shorter than the plan's buckets may be (at most 100000 over the horizon), and a
    crew no slower than 1% (at 1e-12 one hour of work takes 10^12 hours of shifts)."""
    path = tmp_path / "p.toml"
    path.write_text(f'format = "riskengine.premises/1"\n[defaults.{section}]\n{value}\n')
    plan = {"format": "riskengine.plan/1", "id": "p", "horizon": {"start": "2026-11-16T06:00:00+00:00",
            "end": 24}, "resources": [{"id": "L1"}],
            "operations": [{"id": "a", "product": "P", "resource": "L1", "quantity": 1, "start": 0,
                            "end": 2}]}
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    assert_refused(invoke("score", tmp_path / "plan.json", "--premises", path, "--replications", 1), *words)


# -- distributions the samplers cannot draw from (15.3) ----------------------------------------------


@pytest.mark.parametrize("dist, words", [
    ('{ dist = "gamma", mean = 2.0, cv = 1e155 }', ["resources.P1.breakdowns.mttr_hours", "cv",
                                                    "must be between 1e-100 and 1000, got 1e+155"]),
    ('{ dist = "gamma", mean = 2.0, cv = 1e-160 }', ["mttr_hours", "cv", "between 1e-100 and 1000"]),
    ('{ dist = "lognormal", mean = 2.0, cv = 1e200 }', ["mttr_hours", "cv", "between 0 and 1000"]),
    ('{ dist = "gamma", mean = 2.0, cv = { uncertain = { dist = "uniform", low = 1, high = 1e170 } } }',
     ["mttr_hours", "cv", "quantiles"]),
    ('{ dist = "beta", alpha = 0.01, beta = 0.01 }', ["mttr_hours", "alpha + beta must be at least 0.05"]),
])
def test_distributions_the_samplers_cannot_draw_are_refused(tmp_path, dist, words):
    """gamma cv 1e155 (the issue's repro: ZeroDivisionError in the kernel), a gamma cv whose
    1 / cv^2 overflows (an endless rejection loop), a lognormal cv whose log overflows, and a
    beta whose both gamma draws underflow to 0 (0 / 0): exit 2 naming the parameter."""
    path = premises_with(tmp_path, 'mttr_hours = { dist = "gamma", mean = 2.0, cv = 0.7 }',
                         f"mttr_hours = {dist}")
    done = riskengine("score", PLAN, "--premises", path, "--replications", 1, timeout=120)
    assert_refused(done, *words)


# -- far-end plans, deep documents, unknown encodings (15.3) -----------------------------------------


def test_operation_ending_in_2100_is_invalid_input_for_every_command(tmp_path):
    """An operation of a plan with calendars ending in 2100: `score` said "internal error: cannot
    lay out more than 537600 hours of calendar" (exit 1) and `check` exit 3 with 24,005
    findings; now both refuse the plan with the same located message (exit 2)."""
    plan = json.loads(PLAN.read_text())
    plan["operations"][-1]["end"] = "2100-01-01T00:00:00+01:00"
    path = tmp_path / "far.json"
    path.write_text(json.dumps(plan))
    n = len(plan["operations"]) - 1
    for args in (["score", path, "--premises", FACTORY / "premises.toml", "--replications", 1],
                 ["check", path]):
        assert_refused(invoke(*args), f"operations[{n}].end", "at most 3000 weeks after the horizon start")


def nested_toml(depth: int, table: str = "") -> str:
    return table + "x = " + "[" * depth + "]" * depth + "\n"


@pytest.mark.parametrize("depth, message", [(500, "nested too deeply"),
                                            (MAX_DEPTH + 1, f"nested deeper than {MAX_DEPTH}")])
def test_deeply_nested_toml_premises_and_study_files(tmp_path, depth, message):
    """TOML nested 500 deep raised RecursionError in tomllib (exit 1), in premises and study
    files alike; nesting beyond MAX_DEPTH (parsed fine, but walked recursively later) too."""
    premises = tmp_path / "deep.toml"
    premises.write_text(nested_toml(depth, 'format = "riskengine.premises/1"\n'))
    assert_refused(invoke("score", PLAN, "--premises", premises, "--replications", 1), "deep.toml", message)
    study = tmp_path / "study.toml"
    study.write_text(nested_toml(depth))
    assert_refused(invoke("sweep", study, "--out", tmp_path / "out.csv", "--quiet"), "study.toml", message)


def test_deeply_nested_json_is_refused_before_it_is_walked(tmp_path):
    """Plugin options are free-form: 900 levels of them passed the JSON parser and then
    overflowed the stack of the code walking the premises (exit 1)."""
    doc = {"format": "riskengine.premises/1", "plugins": {"p": {}}}
    node = doc["plugins"]["p"]
    for _ in range(900):
        node["a"] = {}
        node = node["a"]
    path = tmp_path / "deep.json"
    path.write_text(json.dumps(doc))
    assert_refused(invoke("score", PLAN, "--premises", path, "--replications", 1), "deep.json",
                   f"nested deeper than {MAX_DEPTH} levels")
    check_depth(json.loads("[" * MAX_DEPTH + "]" * MAX_DEPTH))  # the limit itself is fine


def test_b2mml_with_an_unknown_encoding(tmp_path):
    """An XML declaration naming an encoding Python does not know raised LookupError (exit 1)."""
    path = tmp_path / "schedule.xml"
    path.write_text('<?xml version="1.0" encoding="x-no-such-encoding"?>\n<ProductionSchedule/>\n')
    assert_refused(invoke("import", "b2mml", path), "schedule.xml", "unknown encoding: x-no-such-encoding")


# -- failed writes (15.3) and stale temporaries (15.5) ------------------------------------------------


def _file_size_limit(limit: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


@pytest.mark.parametrize("target", ["file", "stdout"])
def test_file_size_limit_is_a_clean_error(tmp_path, target):
    """Writing a result past the process's file size limit (EFBIG): "internal error: OSError"
    before, or for stdout a silently cut result with exit 0 (a buffered stream drops the rest
    of a short write); now exit 2 naming the file, and no file or temporary left."""
    out = tmp_path / "r.json"
    args = [sys.executable, "-m", "riskengine.cli", "score", str(PLAN), "--premises",
            str(FACTORY / "premises.toml"), "--replications", "5", "--quiet", "--json"]
    subprocess.run(args + [os.devnull], check=True, timeout=300)  # compiled kernels cached first
    with (tmp_path / "stdout.json").open("w") as sink:
        done = subprocess.run(args + [str(out) if target == "file" else "-"], stdout=sink,
                              stderr=subprocess.PIPE, text=True, timeout=180,
                              preexec_fn=_file_size_limit(16384))
    where = str(out) if target == "file" else "standard output"
    assert_refused(done, "cannot write", "File too large", where)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stdout.json"]


def test_disk_full_is_a_clean_error(tmp_path, monkeypatch):
    """ENOSPC in the middle of a write (a full disk): exit 2 naming the file, the old result
    kept, no temporary left."""
    out = tmp_path / "r.json"
    out.write_text("old\n")

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(writers.os, "fsync", full)
    result = invoke("check", PLAN, "--json", out, "--quiet")
    assert_refused(result, str(out), "No space left on device")
    assert out.read_text() == "old\n" and sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


def test_unwritable_folder_is_a_clean_error(tmp_path):
    (tmp_path / "file").write_text("")
    assert_refused(invoke("check", PLAN, "--json", tmp_path / "file" / "r.json", "--quiet"), "cannot write")


_KILLED_WRITER = """
import os, signal, sys
import riskengine.io.writers as w
def killed(fd):  # the process dies between the write and the rename
    os.kill(os.getpid(), signal.SIGKILL)
w.os.fsync = killed
w.write_text_atomic(sys.argv[1], "x" * 100000)
"""


def test_stale_temporary_of_a_killed_write_is_removed_by_the_next_write(tmp_path):
    """A SIGKILL between write and rename left a full-size hidden .tmp file for good; the next
    write of the same file removes it (its writer is gone), and never one of a live writer."""
    out = tmp_path / "r.json"
    done = subprocess.run([sys.executable, "-c", _KILLED_WRITER, str(out)], timeout=60)
    assert done.returncode == -signal.SIGKILL
    (stale,) = list(tmp_path.iterdir())
    assert stale.name.startswith(".r.json.") and stale.stat().st_size == 100000 and not out.exists()
    live = tmp_path / f".r.json.{os.getpid()}.abcdefgh.tmp"  # this process is alive: kept
    other = tmp_path / ".r.json.bak.12.abcdefgh.tmp"  # not a temporary of r.json: kept
    live.write_text(""), other.write_text("")
    writers.write_text_atomic(out, "{}\n")  # just killed: younger than STALE_AFTER, kept
    assert stale.exists()
    old = time.time() - writers.STALE_AFTER - 1
    for p in (stale, live, other):
        os.utime(p, (old, old))
    writers.write_text_atomic(out, "{}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["r.json", live.name, other.name])


def test_problem_lists_are_capped_on_the_command_line(tmp_path):
    """One broken document can have tens of thousands of problems: the message lists the first
    MAX_LISTED and says how many more there are (never silently cut)."""
    plan = json.loads(PLAN.read_text())
    plan["operations"] = [{**plan["operations"][0], "id": f"o{k}", "quantity": -1} for k in range(250)]
    path = tmp_path / "many.json"
    path.write_text(json.dumps(plan))
    result = invoke("check", path)
    assert_refused(result, "(250 problems)", "operations[0].quantity", "... and 150 more")
    assert result.output.count(".quantity: ") == MAX_LISTED


def test_sweep_slack_beyond_any_date_is_invalid_input(tmp_path):
    """Found by the CLI fuzz campaign: a slack of 1e155 overflowed the date arithmetic of the
    stretched plan (exit 1); now exit 2 naming the design point."""
    study = ROOT / "scenarios" / "studies" / "ft06-slack-breakdowns.toml"
    text = study.read_text().replace("values = [0.0, 0.1, 0.2, 0.3]", "values = [1e155]")
    path = tmp_path / "study.toml"
    path.write_text(text.replace('"../jobshop/', f'"{ROOT / "scenarios" / "jobshop"}/'))
    assert_refused(invoke("sweep", path, "--out", tmp_path / "t.csv", "--quiet"),
                   "design point (slack=1e+155", "past the year 9999")


def test_call_reads_requests_strictly_like_the_service(tmp_path):
    """`riskengine call` runs what POST /v1/OPERATION runs: a string for a number is refused."""
    plan = json.loads(PLAN.read_text())
    path = tmp_path / "request.json"
    path.write_text(json.dumps({"plan": plan, "premises": {"format": "riskengine.premises/1"},
                                "replications": "10"}))
    assert_refused(invoke("call", "score", "--request", path), "replications",
                   "Input should be a valid integer, got '10'")


@pytest.mark.parametrize("command", ["score", "measure"])
def test_bucket_longer_than_any_date_is_invalid_input(tmp_path, command):
    """Found by the CLI fuzz campaign: a bucket of 2^63 hours overflowed the date of its end
    (exit 1); a bucket is now at most 1,000,000 hours, like any time of a document."""
    plan = json.loads(PLAN.read_text())
    plan["bucket_hours"] = 2**63
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    args = (["score", path, "--premises", FACTORY / "premises.toml", "--replications", 1]
            if command == "score" else ["measure", "--plan", path, "--actuals", FACTORY / "actuals.csv"])
    assert_refused(invoke(*args), "bucket_hours", "less than or equal to 1000000")


def test_file_names_the_file_system_refuses(tmp_path):
    """Found by the CLI fuzz campaign: a study naming a plan file of 300 characters ended in
    "internal error: OSError: File name too long" (pathlib's is_file raises it); reading or
    writing such a name is now exit 2 naming it, as any other unreadable or unwritable file."""
    long = "é" * 300
    study = ROOT / "scenarios" / "studies" / "ft06-slack-breakdowns.toml"
    text = study.read_text().replace('"../jobshop/ft06-cpsat.json"', f'"{long}.json"')
    path = tmp_path / "study.toml"
    path.write_text(text.replace('"../jobshop/', f'"{ROOT / "scenarios" / "jobshop"}/'))
    assert_refused(invoke("sweep", path, "--out", tmp_path / "t.csv", "--quiet"), "plans.cpsat",
                   "File name too long")
    assert_refused(invoke("check", tmp_path / f"{long}.json"), "File name too long")
    assert_refused(invoke("check", PLAN, "--json", tmp_path / f"{long}.json"), "cannot write",
                   "File name too long")


def test_any_os_error_of_a_command_is_exit_2_naming_the_file():
    """What no reader or writer caught (a permission, a full disk in a library's own write) is
    still the environment's or the input's fault, not an internal error."""
    import click

    from riskengine.cli_helpers import handled

    @click.command()
    @handled
    def denied() -> None:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), "/srv/out/report.html")

    result = CliRunner().invoke(denied, [])
    assert_refused(result, "/srv/out/report.html: Permission denied")
