"""Where numba's compiled code goes, and what the compiled kernel may call (issues 14, 17).

- A ``score`` run writes nothing under the installed package's directory (numba's cache of
  riskengine's functions lives in the per-user cache folder) and works when that directory is
  read-only; ``NUMBA_CACHE_DIR`` wins, and the user's own functions are cached where numba
  always caches them (:mod:`riskengine._jit`).
- The first run says on stderr that it compiles the kernel (not with ``--quiet``).
- The kernel's hot path is compiled without numba's runtime: no reference counting of the
  shared arrays (what kept two threads from running faster than one, README, Performance).
"""

from __future__ import annotations

import compileall
import os
import re
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import numba
import numpy as np

import riskengine
from riskengine.io.readers import read_plan, read_premises
from riskengine.simulation import runner
from riskengine.simulation.accumulate import Accumulators
from riskengine.simulation.compile import compile_model

ROOT = Path(__file__).resolve().parent.parent
FACTORY = ROOT / "scenarios" / "example-factory"
PACKAGE = Path(riskengine.__file__).resolve().parent


def files_under(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file()}


def clean_env(tmp: Path, **extra: str) -> dict[str, str]:
    """The environment of a child that sees the package copy under ``tmp/site`` and a cache
    home of its own (``NUMBA_CACHE_DIR`` unset unless given)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_CACHE_DIR", "XDG_CACHE_HOME"))}
    env.update({"PYTHONPATH": str(tmp / "site"), "XDG_CACHE_HOME": str(tmp / "cache"),
                "HOME": str(tmp / "home"), "PYTHONDONTWRITEBYTECODE": "1", **extra})
    return env


def installed_copy(tmp: Path) -> Path:
    """riskengine copied as an installed package (bytecode compiled as pip does)."""
    site = tmp / "site"
    shutil.copytree(PACKAGE, site / "riskengine", ignore=shutil.ignore_patterns("__pycache__", "*.nb[ic]"))
    compileall.compile_dir(site / "riskengine", quiet=1)
    (tmp / "home").mkdir()
    return site / "riskengine"


def score_in_child(tmp: Path, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "from riskengine.cli import main; main()", "score",
         str(FACTORY / "plan-v1.json"), "--premises", str(FACTORY / "premises.toml"),
         "--replications", "10", "--json", str(tmp / "out.json"), *extra],
        env=env, cwd=tmp, capture_output=True, text=True, timeout=600)


def set_writable(folder: Path, writable: bool) -> None:
    for p in [folder, *folder.rglob("*")]:
        mode = p.stat().st_mode
        p.chmod(mode | stat.S_IWUSR if writable else mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def test_score_writes_nothing_into_the_package_and_runs_from_a_read_only_install(tmp_path):
    package = installed_copy(tmp_path)
    before = files_under(package)
    env = clean_env(tmp_path)
    first = score_in_child(tmp_path, env)
    assert first.returncode == 0, first.stderr
    assert files_under(package) == before  # nothing written, nothing changed
    cached = list((tmp_path / "cache" / "riskengine" / "numba").rglob("*.nbi"))
    assert any(p.name.startswith("runner._simulate_chunk") for p in cached), cached
    assert "compiling the simulation kernel, once" in first.stderr  # the cold run says so
    set_writable(package, False)
    try:
        again = score_in_child(tmp_path, env, "--quiet")
        assert again.returncode == 0, again.stderr
        assert again.stderr == ""  # warm (the cache holds the kernel) and quiet
    finally:
        set_writable(package, True)
    assert files_under(package) == before


def test_numba_cache_dir_wins_and_user_functions_stay_where_numba_caches_them(tmp_path):
    installed_copy(tmp_path)
    user = tmp_path / "user"
    user.mkdir()
    (user / "mine.py").write_text(textwrap.dedent("""
        import numba

        @numba.njit(cache=True)
        def twice(x):
            return 2 * x
    """))
    code = "import riskengine.simulation.rng, mine; assert mine.twice(21) == 42"
    own = subprocess.run([sys.executable, "-c", code], cwd=user, capture_output=True, text=True,
                         env=clean_env(tmp_path, PYTHONPATH=f"{tmp_path / 'site'}{os.pathsep}{user}"))
    assert own.returncode == 0, own.stderr
    assert list((user / "__pycache__").glob("mine.twice-*.nbi"))  # numba's own place for the user's
    assert list((tmp_path / "cache" / "riskengine" / "numba").rglob("rng.mix64-*.nbi"))  # riskengine's
    given = tmp_path / "given"
    shutil.rmtree(tmp_path / "cache")
    env = clean_env(tmp_path, PYTHONPATH=f"{tmp_path / 'site'}{os.pathsep}{user}", NUMBA_CACHE_DIR=str(given))
    wins = subprocess.run([sys.executable, "-c", code], cwd=user, capture_output=True, text=True, env=env)
    assert wins.returncode == 0, wins.stderr
    assert list(given.rglob("rng.mix64-*.nbi")) and list(given.rglob("mine.twice-*.nbi"))
    assert not (tmp_path / "cache" / "riskengine").exists()


def test_a_changed_callee_in_another_file_is_another_version_of_the_cache(tmp_path):
    """numba checks a cached function against its own file only; riskengine's cache has a
    folder per version of all its numba sources, so a changed callee recompiles its callers."""
    from riskengine._jit import fingerprint, sources_fingerprint

    package = installed_copy(tmp_path)
    assert fingerprint(package) == sources_fingerprint()
    cli = package / "cli.py"  # no compiled functions: not part of it
    cli.write_text(cli.read_text() + "\n# changed\n")
    assert fingerprint(package) == sources_fingerprint()
    mechanics = package / "simulation" / "mechanics.py"
    mechanics.write_text(mechanics.read_text() + "\n# changed\n")
    assert fingerprint(package) != sources_fingerprint()


def test_the_kernel_calls_nothing_of_numbas_runtime():
    """No reference counting (``NRT_incref``/``NRT_decref``) or allocation in the chunk loop and
    everything it calls: the kernel is compiled afresh (a cached function cannot be inspected)
    and its LLVM IR searched; a function compiled with the runtime shows the same search works."""
    c = compile_model(read_plan(FACTORY / "plan-v1.json"), read_premises(FACTORY / "premises-uncertain.toml"))
    runner.run_kernel(c, 0, 0, 2, Accumulators(c, 2))  # everything it calls, from the cache
    fresh = numba.njit(nogil=True, _nrt=False, no_cfunc_wrapper=True)(runner._simulate_chunk.py_func)
    original = runner._simulate_chunk
    runner._simulate_chunk = fresh
    try:
        runner.run_kernel(c, 0, 0, 2, Accumulators(c, 2), chunks=1)
    finally:
        runner._simulate_chunk = original
    assert re.findall(r"@NRT_\w+", "".join(fresh.inspect_llvm().values())) == []

    @numba.njit
    def counted(a):
        return _first(a[1:]) + _first(a)

    counted(np.arange(3.0))
    assert re.findall(r"@NRT_\w+", "".join(counted.inspect_llvm().values()))


@numba.njit
def _first(a):
    return a[0]


def test_each_installed_copy_keeps_its_most_recent_versions(tmp_path):
    from riskengine import _jit

    current = _jit.version_folder.__wrapped__(tmp_path)
    install = current.parent
    for k in range(6):  # six older versions of this copy, the last made most recently
        old = install / f"old{k}"
        old.mkdir()
        os.utime(old, (1_000_000 + k, 1_000_000 + k))
    other = tmp_path / "riskengine_another_copy" / "v1"
    other.mkdir(parents=True)
    assert _jit.version_folder.__wrapped__(tmp_path) == current
    kept = sorted(p.name for p in install.iterdir())
    assert kept == sorted([current.name, *(f"old{k}" for k in range(6 - (_jit.KEEP_VERSIONS - 1), 6))])
    assert other.is_dir()  # another copy's versions are its own
