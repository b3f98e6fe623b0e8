"""Study files, designs, seeds and sweeps (issue 9).

Acceptance: a study run on local cores and on a LocalCluster of 2 worker processes
gives identical tables; a sweep killed midway and restarted recomputes no finished
cell and ends with the table of an uninterrupted run. Oracles: the article's r^n for
plan holds under per-operation reliability, slack worked by hand, the Latin/Sobol
stratification of the design points, the seed formula against the rng module.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from builders import op, plan_dict
from click.testing import CliRunner

from riskengine.analysis.score import score
from riskengine.cli import main
from riskengine.errors import InputError
from riskengine.model.plan import parse_plan
from riskengine.model.premises import parse_premises
from riskengine.simulation import rng
from riskengine.studies import (
    build_cells,
    cell_seed,
    design_points,
    parse_study,
    read_study,
    read_table,
    sweep,
)
from riskengine.studies.cells import GOLDEN_GAMMA, canonical
from riskengine.studies.store import store_path
from riskengine.studies.transform import add_slack, set_breakdown_rate

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "scenarios" / "studies" / "ft06-slack-breakdowns.toml"
JOBSHOP = ROOT / "scenarios" / "jobshop"


def chain(tmp_path: Path, n: int = 5) -> Path:
    """n one-hour operations in sequence on L1 (a plan file)."""
    doc = plan_dict([op(f"o{i}", "A", 1, i, i + 1) for i in range(n)], horizon_hours=n)
    path = tmp_path / "chain.json"
    path.write_text(json.dumps(doc))
    return path


def study_doc(**over) -> dict:
    doc = {"format": "riskengine.study/1", "name": "t", "premises": str(JOBSHOP / "premises.toml"),
           "plans": {"cpsat": str(JOBSHOP / "ft06-cpsat.json")}, "replications": 20, "seed": 3}
    doc.update(over)
    return doc


def problems(doc: dict) -> list[str]:
    with pytest.raises(InputError) as e:
        build_cells(parse_study(doc))
    return [str(p) for p in e.value.problems]


# -- validation ---------------------------------------------------------------------------

def test_study_errors_name_the_field():
    assert problems(study_doc(metrics=["bts", "bogus"])) == [
        "metrics[1]: unknown metric 'bogus'; known: plan_holds, bts, btp, volume, mix, sequence, finish, "
        "holds_day_K"]
    assert problems(study_doc(parameters=[{"name": "s", "field": "slack", "low": 0, "high": 1}])) == [
        "parameters[0]: a grid design needs values (low/high are for sobol, lhs or halton designs)"]
    assert problems(study_doc(parameters=[{"name": "s", "field": "slack", "values": [-0.1]}])) == [
        "parameters[0].values: slack takes numbers >= 0"]
    assert problems(study_doc(parameters=[{"name": "seed", "field": "slack", "values": [0]}]))[0].startswith(
        "parameters[0].name: 'seed' is taken")
    assert problems(study_doc(plans={"x": "missing.json"})) == ["plans.x: no such file 'missing.json'"]
    assert problems(study_doc(design={"kind": "sobol"},
                              parameters=[{"name": "s", "field": "slack", "low": 0, "high": 1}])) == [
        "design.points: a sobol design needs points"]
    assert "give replications or precision, not both" in problems(study_doc(precision=0.1))[0]
    assert problems(study_doc(seed=-1))[0].startswith("seed: Input should be greater than or equal to 0")
    assert problems(study_doc(parameters=[{"name": "x", "field": "slack", "values": [0], "low": 0}])) == [
        "parameters[0]: give values (a grid axis) or low and high (a design range), not both"]


def test_variant_errors_name_the_design_point():
    bad = problems(study_doc(parameters=[{"name": "scrap", "field": "defaults.scrap_rate",
                                          "values": [0.1, 1.5]}]))
    assert bad == ["design point (scrap=1.5): premises.defaults.scrap_rate: "
                   "Input should be less than or equal to 1, got 1.5"]
    bad = problems(study_doc(parameters=[{"name": "p", "field": ["resources", "X9", "scrap_rate"],
                                          "values": [0.1]}]))
    assert bad == ["plans.cpsat with premises.resources.X9: unknown resource 'X9' (not in plan ft06-cpsat)"]
    bad = problems(study_doc(premises=str(ROOT / "scenarios" / "example-factory" / "premises.toml"),
                             parameters=[{"name": "m", "field": "defaults.scrap_rate.x",
                                          "values": [1]}]))
    assert bad == ["design point (m=1): defaults.scrap_rate is not a table (it holds 0.004)"]
    bad = problems(study_doc(parameters=[{"name": "m", "field": "defaults.breakdowns.mtbf_hours.x",
                                          "values": [1]}]))
    assert bad == ["design point (m=1): premises.defaults.breakdowns.mtbf_hours.x: Extra inputs are not "
                   "permitted"]


def test_read_study_reports_toml_and_file_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("format = \n")
    with pytest.raises(InputError) as e:
        read_study(bad)
    assert "not valid TOML" in str(e.value) and e.value.source == str(bad)
    with pytest.raises(InputError):
        read_study(tmp_path / "none.toml")


# -- designs, transforms, seeds ---------------------------------------------------------------

def test_grid_is_the_product_in_order():
    s = read_study(STUDY)
    points = design_points(s)
    assert len(points) == 16 and points[0] == {"slack": 0.0, "breakdown_rate": 0.0}
    assert points[1] == {"slack": 0.0, "breakdown_rate": 0.01} and points[4]["slack"] == 0.1
    cells = build_cells(s)
    assert len(cells) == 48 and [c.plan for c in cells[:3]] == ["cpsat", "mwkr", "spt"]


@pytest.mark.parametrize("kind", ["sobol", "lhs"])
def test_space_filling_designs_stratify_each_parameter(kind):
    s = parse_study(study_doc(design={"kind": kind, "points": 16}, parameters=[
        {"name": "slack", "field": "slack", "low": 0.0, "high": 0.4},
        {"name": "mtbf", "field": "defaults.breakdowns.mtbf_hours", "low": 10, "high": 1000, "scale": "log"},
        {"name": "rule", "field": "execution.on_blocked", "values": ["wait", "next_ready"]}]))
    points = design_points(s)
    assert len(points) == 32 and {p["rule"] for p in points[:16]} == {"wait"}
    first = points[:16]
    # a Latin hypercube and a base-2 Sobol net of 16 points put exactly one point in each sixteenth
    slack = sorted(math.floor(16 * p["slack"] / 0.4) for p in first)
    mtbf = sorted(math.floor(16 * math.log(p["mtbf"] / 10) / math.log(100)) for p in first)
    assert slack == list(range(16)) and mtbf == list(range(16))
    assert [p["slack"] for p in points[16:]] == [p["slack"] for p in first]
    assert design_points(s) == points  # seeded by the study seed
    assert design_points(parse_study({**study_doc(seed=4), **{"design": s.design.model_dump(),
                                      "parameters": [p.model_dump() for p in s.parameters]}})) != points


def test_slack_by_hand():
    plan = parse_plan(plan_dict([op("a", "A", 1, 0, 2), op("b", "A", 1, 2, 5)], horizon_hours=8))
    doc = add_slack(plan, 0.5)
    stretched = parse_plan(doc)
    assert [(stretched.hours(o.start), stretched.hours(o.end), o.work_hours) for o in stretched.operations] \
        == [(0.0, 3.0, 2.0), (3.0, 7.5, 3.0)]
    assert stretched.horizon_hours == 12.0
    # zero variability: a runs 0 -> 2, b waits for its planned start 3 and runs 3 h -> finish 6
    result = score(stretched, parse_premises({"format": "riskengine.premises/1"}), replications=2)
    assert result.finish["mean"] == 6.0 and result.plan_holds["mean"] == 1.0
    assert add_slack(plan, 0.0) == plan.model_dump(mode="json", by_alias=True, exclude_none=True)


def test_breakdown_rate_knob():
    base = {"format": "riskengine.premises/1", "defaults": {"breakdowns": {"mtbf_hours": 5, "mttr_hours": 1}}}
    assert set_breakdown_rate(base, 0.04)["defaults"]["breakdowns"] == {"mtbf_hours": 25.0, "mttr_hours": 1}
    assert "breakdowns" not in set_breakdown_rate(base, 0)["defaults"]
    assert base["defaults"]["breakdowns"]["mtbf_hours"] == 5  # the base is not changed
    with pytest.raises(KeyError):
        set_breakdown_rate({"format": "riskengine.premises/1"}, 0.1)


def test_cell_seed_formula_and_crn_modes():
    key = {"breakdown_rate": 0.01, "slack": 0.1}
    k = rng.mix64(np.uint64((7 + GOLDEN_GAMMA) % 2**64))
    expected = int(rng.mix64(np.uint64(int(k) ^ int(rng.fnv1a64(canonical(key)))))) >> 1
    assert cell_seed(7, key) == expected and 0 <= expected < 2**63
    assert cell_seed(7, key) != cell_seed(8, key)
    s = read_study(STUDY)
    seeds = [c.seed for c in build_cells(s)]
    assert seeds[0] == seeds[1] == seeds[2] != seeds[3]  # plans share the seed of their design point
    s.crn = "none"
    assert len({c.seed for c in build_cells(s)}) == 48
    s.crn = "all"
    assert {c.seed for c in build_cells(s)} == {cell_seed(s.seed, {})}


# -- sweeps -------------------------------------------------------------------------------------

def test_plan_holds_follows_r_to_the_n(tmp_path):
    """Five operations, each a MISS with probability 1 - r (the article's factor model): r^5."""
    plan = chain(tmp_path)
    premises = tmp_path / "p.json"
    premises.write_text(json.dumps({"format": "riskengine.premises/1", "reliability": {"material": 0.9}}))
    s = parse_study({"format": "riskengine.study/1", "name": "r", "premises": str(premises),
                     "plans": {"chain": str(plan)}, "replications": 4000, "seed": 11,
                     "metrics": ["plan_holds"],
                     "parameters": [{"name": "r", "field": "reliability.material",
                                     "values": [0.8, 0.9, 0.99]}]})
    result = sweep(s, workers=1)
    cols = result.columns
    for r, mean, low, high in zip(cols["r"], cols["plan_holds_mean"], cols["plan_holds_low"],
                                  cols["plan_holds_high"], strict=True):
        p = r**5
        assert abs(mean - p) <= 4.5 * math.sqrt(p * (1 - p) / 4000)
        assert low <= mean <= high
    assert cols["replications"] == [4000] * 3 and cols["planned_finish"] == [5.0] * 3


def test_local_and_local_cluster_give_identical_tables(tmp_path):
    s = read_study(STUDY)
    one = sweep(s, out=tmp_path / "one.parquet", workers=1)
    pool = sweep(s, out=tmp_path / "pool.csv", workers=2)
    cluster = sweep(s, out=tmp_path / "cluster.parquet", backend="dask", address="local", workers=2)
    assert one.rows == pool.rows == cluster.rows
    assert one.computed == cluster.computed == 48 and cluster.workers == 2
    a = read_table(tmp_path / "one.parquet")
    assert a == read_table(tmp_path / "cluster.parquet") == read_table(tmp_path / "pool.csv")
    assert list(a)[:7] == ["cell", "plan", "slack", "breakdown_rate", "seed", "replications",
                           "planned_finish"]
    assert all(lo <= m <= hi for lo, m, hi in zip(a["bts_low"], a["bts_mean"], a["bts_high"], strict=True))
    assert not store_path(tmp_path / "one.parquet").exists()  # the cell store goes once the table is written


def test_interrupted_sweep_resumes_without_recomputing(tmp_path):
    s = read_study(STUDY)
    full = sweep(s, workers=1)
    out = tmp_path / "r.parquet"

    def stop_after_ten(done: int, total: int) -> None:
        if done == 10:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sweep(s, out=out, workers=1, progress=stop_after_ten)
    store = store_path(out)
    before = {f.name: f.stat().st_mtime_ns for f in store.glob("*.json")}
    assert len(before) == 10 and not out.exists()
    again = sweep(s, out=out, workers=1, keep_cells=True)
    assert (again.reused, again.computed) == (10, 38)
    assert {f.name: f.stat().st_mtime_ns for f in store.glob("*.json") if f.name in before} == before
    assert again.rows == full.rows and read_table(out) == read_table_of(full.rows, tmp_path)


def read_table_of(rows: list[dict], tmp_path: Path) -> dict:
    from riskengine.studies import write_table

    write_table(rows, tmp_path / "expected.parquet")
    return read_table(tmp_path / "expected.parquet")


def test_killed_sweep_restarts_from_finished_cells(tmp_path):
    text = STUDY.read_text().replace("replications = 200", "replications = 1500")
    text = text.replace('"../jobshop/', f'"{JOBSHOP}/')
    study = tmp_path / "study.toml"
    study.write_text(text)
    out = tmp_path / "k.parquet"
    store = store_path(out)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-m", "riskengine.cli", "sweep", str(study), "--out", str(out),
                             "--workers", "1", "--quiet"], env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(store.glob("*.json"))) < 5 and proc.poll() is None:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = {f.name: f.stat().st_mtime_ns for f in store.glob("*.json")}
    assert 5 <= len(finished) < 48 and not out.exists()
    resumed = sweep(read_study(study), out=out, workers=1, keep_cells=True)
    assert (resumed.reused, resumed.computed) == (len(finished), 48 - len(finished))
    assert {n: t for n, t in ((f.name, f.stat().st_mtime_ns) for f in store.glob("*.json"))
            if n in finished} == finished
    uninterrupted = sweep(read_study(study), out=tmp_path / "u.parquet", workers=1)
    assert read_table(out) == read_table(tmp_path / "u.parquet") and resumed.rows == uninterrupted.rows


def test_sweep_command(tmp_path):
    out = tmp_path / "t.csv"
    r = CliRunner().invoke(main, ["sweep", str(STUDY), "--out", str(out), "--workers", "1"])
    assert r.exit_code == 0, r.output
    assert "48 cells (48 computed, 0 reused)" in r.output and out.exists()
    r = CliRunner().invoke(main, ["sweep", str(STUDY), "--out", str(tmp_path / "t.txt")])
    assert r.exit_code == 2 and "--out: must end in .parquet or .csv" in r.output
    bad = tmp_path / "bad.toml"
    bad.write_text(STUDY.read_text().replace('metrics = ["plan_holds"', 'metrics = ["holds"'))
    r = CliRunner().invoke(main, ["sweep", str(bad), "--out", str(tmp_path / "b.parquet")])
    assert r.exit_code == 2 and "metrics[0]: unknown metric 'holds'" in r.output
    assert "Traceback" not in r.output and not (tmp_path / "b.parquet").exists()


def test_existing_scheduler_address_and_precision_mode():
    """--dask ADDRESS: cells go to a scheduler that is already running; precision: adaptive cells."""
    from distributed import LocalCluster

    doc = study_doc(precision=0.05, replications=None, metrics=["plan_holds", "bts"],
                    parameters=[{"name": "rate", "field": "breakdown_rate", "values": [0.0, 0.02]}])
    doc.pop("replications")
    s = parse_study(doc)
    local = sweep(s)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        remote = sweep(s, backend="dask", address=cluster.scheduler_address)
    assert remote.rows == local.rows and remote.workers == 1 and remote.backend.startswith("dask (tcp://")
    for row in local.rows:
        assert row["replications"] >= 400
        assert (row["bts_high"] - row["bts_low"]) / 2 <= 0.05 + 1e-12


def test_curves_draw_the_table_means_and_delays():
    import matplotlib

    matplotlib.use("Agg")
    from riskengine.studies.figures import curves

    s = read_study(STUDY)
    cols = sweep(s).columns
    ax = curves(cols, x="breakdown_rate", metric="plan_holds", by="slack", plan="cpsat")
    assert len(ax.lines) == 4
    first = [i for i in range(48) if cols["plan"][i] == "cpsat" and cols["slack"][i] == 0.0]
    assert list(ax.lines[0].get_ydata()) == [cols["plan_holds_mean"][i] for i in first]
    ax = curves(cols, x="breakdown_rate", metric="delay", where={"slack": 0.2})
    assert [line.get_label() for line in ax.lines] == ["cpsat", "mwkr", "spt"]
    spt = [i for i in range(48) if cols["plan"][i] == "spt" and cols["slack"][i] == 0.2]
    assert list(ax.lines[2].get_ydata()) == [cols["finish_mean"][i] - cols["planned_finish"][i] for i in spt]


def test_study_schema_accepts_the_shipped_studies():
    import tomllib

    import jsonschema

    from riskengine.io.schema import schema

    s = schema("study")
    assert s["title"] == "riskengine.study/1" and "base" not in s["properties"]
    for path in sorted((ROOT / "scenarios" / "studies").glob("*.toml")):
        jsonschema.validate(tomllib.loads(path.read_text()), s)
        read_study(path)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**tomllib.loads(STUDY.read_text()), "crn": "sometimes"}, s)
