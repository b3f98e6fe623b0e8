"""``riskengine score`` on the command line (issue 4; docs/design.md sections 1, 5 and 6).

The real command runs in-process (``CliRunner``) on the example factory with its TOML
premises and with the same premises as JSON: the result file follows the
``riskengine.score/1`` contract, is reproducible byte for byte, can go to stdout alone,
``--precision`` stops at the asked half-width, and invalid premises exit 2 with the field
named, no traceback and no result file.
"""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from riskengine.cli import main
from riskengine.model.common import CAUSES

FACTORY = Path(__file__).resolve().parent.parent / "scenarios" / "example-factory"
PLAN = str(FACTORY / "plan-v1.json")
TOML = FACTORY / "premises.toml"
HEADLINE = ("bts", "btp", "volume", "mix", "sequence")
EPS = 0.0  # bounds are exact: Wilson ends at 0 and 1, ratio intervals are clipped to [0, 1]


def run(*args: str):
    return CliRunner().invoke(main, ["score", *args])


def json_premises(tmp_path: Path, edit=None) -> Path:
    """The example factory's premises as a JSON file (optionally edited)."""
    data = tomllib.loads(TOML.read_text(encoding="utf-8"))
    if edit:
        edit(data)
    path = tmp_path / "premises.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def assert_probability(est: dict, where: str) -> None:
    assert set(est) >= {"mean", "low", "high"}, where
    assert 0.0 <= est["mean"] <= 1.0, where
    assert -EPS <= est["low"] <= est["mean"] + EPS and est["mean"] - EPS <= est["high"] <= 1.0 + EPS, where


def assert_ratio(est: dict | None, where: str) -> None:
    """An adherence estimate: {mean, low, high, p10, p50, p90}, the figures in [0, 1]."""
    if est is None:  # nothing planned
        return
    assert set(est) >= {"mean", "low", "high", "p10", "p50", "p90"}, where
    assert est["low"] <= est["mean"] <= est["high"], where
    assert 0.0 <= est["p10"] <= est["p50"] <= est["p90"] <= 1.0, where
    assert 0.0 <= est["mean"] <= 1.0, where


def assert_finish(est: dict, where: str) -> None:
    assert set(est) >= {"mean", "sd", "low", "high", "p50", "p80", "p90"}, where
    assert est["low"] <= est["mean"] <= est["high"], where
    assert 0.0 < est["p50"] <= est["p80"] <= est["p90"], where
    assert est["sd"] >= 0.0, where


def assert_contract(doc: dict, replications: int, seed: int) -> None:
    """Every key of ``riskengine.score/1`` (docs/design.md section 5), with values in range."""
    assert doc["format"] == "riskengine.score/1"
    assert doc["replications"] == replications and doc["seed"] == seed
    assert_probability(doc["plan_holds"], "plan_holds")
    days = doc["holds_through_day"]
    assert [d["day"] for d in days] == list(range(1, 8))  # a 7-day horizon
    for d in days:
        assert_probability(d, f"day {d['day']}")
    assert all(a["mean"] >= b["mean"] for a, b in zip(days, days[1:], strict=False))
    assert days[-1]["mean"] == doc["plan_holds"]["mean"]
    assert set(doc["adherence"]) == set(HEADLINE)
    for name in HEADLINE:
        assert_ratio(doc["adherence"][name], name)
    assert [b["band"] for b in doc["bands"]] == ["<24h", "<48h", "rest"]
    assert [b["measures"] for b in doc["bands"]] == [["volume", "mix", "sequence"], ["volume", "mix"],
                                                      ["volume"]]
    for b in doc["bands"]:
        assert_ratio(b["score"], b["band"])
    assert len(doc["buckets"]) == 21  # 7 days of 8-hour buckets
    for b in doc["buckets"]:
        assert_ratio(b["bts"], f"bucket {b['index']}")
        assert_ratio(b["btp"], f"bucket {b['index']}")
    assert_finish(doc["finish"], "finish")
    assert [r["id"] for r in doc["resources"]] == ["P1", "P2", "K1", "K2"]
    for r in doc["resources"]:
        assert_finish(r["finish"], r["id"])
        assert r["finish"]["mean"] <= doc["finish"]["mean"] + EPS
    assert len(doc["operations"]) == 114
    for o in doc["operations"]:
        assert set(o) >= {"id", "hit", "lateness_hours", "main_cause"}
        assert_probability(o["hit"], o["id"])
        assert o["lateness_hours"] >= 0.0
        assert o["main_cause"] is None or o["main_cause"] in CAUSES
        assert (o["main_cause"] is None) == (o["hit"]["mean"] == 1.0), o["id"]
    assert doc["causes"], "the example factory's premises make misses"
    for c in doc["causes"]:
        assert set(c) >= {"cause", "share", "lost_units"} and c["cause"] in CAUSES
        assert 0.0 < c["share"] <= 1.0 and c["lost_units"] >= 0.0
    assert math.isclose(sum(c["share"] for c in doc["causes"]), 1.0)
    assert [c["share"] for c in doc["causes"]] == sorted((c["share"] for c in doc["causes"]), reverse=True)
    assert doc["main_impact"] in ("volume", "mix", "sequence")
    assert doc["adherence"][doc["main_impact"]]["mean"] == min(doc["adherence"][m]["mean"]
                                                              for m in ("volume", "mix", "sequence"))


def test_score_example_factory_writes_the_contract(tmp_path):
    out = tmp_path / "score.json"
    res = run(PLAN, "--premises", str(TOML), "--replications", "40", "--seed", "7", "--json", str(out))
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert_contract(doc, 40, 7)
    # the terminal summary came too
    assert "Probability the plan is executed as planned" in res.stdout
    assert f"result written to {out}" in res.stdout


def test_json_premises_give_the_same_result_as_toml(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert run(PLAN, "--premises", str(TOML), "--replications", "30", "--json", str(a)).exit_code == 0
    premises = json_premises(tmp_path)
    res = run(PLAN, "--premises", str(premises), "--replications", "30", "--json", str(b))
    assert res.exit_code == 0, res.output
    doc = json.loads(b.read_text(encoding="utf-8"))
    assert_contract(doc, 30, 0)  # the default seed is 0
    assert doc == json.loads(a.read_text(encoding="utf-8"))


def test_premises_may_name_materials_this_plan_does_not_use(tmp_path):
    """A plant's premises cover every material it buys; the unused entries do not apply."""
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert run(PLAN, "--premises", str(TOML), "--replications", "30", "--json", str(a)).exit_code == 0
    premises = json_premises(tmp_path, lambda d: d["materials"].update(
        {"NOT-BOUGHT-THIS-WEEK": {"late": {"probability": 0.9, "delay_hours": 48}}}))
    res = run(PLAN, "--premises", str(premises), "--replications", "30", "--json", str(b))
    assert res.exit_code == 0, res.output
    with_extra, plain = (json.loads(p.read_text(encoding="utf-8")) for p in (b, a))
    assert "NOT-BOUGHT-THIS-WEEK" in with_extra["premises"]["materials"]  # echoed for reproduction
    del with_extra["premises"]["materials"]["NOT-BOUGHT-THIS-WEEK"]
    # ... and named in a warning (no id of the plan is close enough for a "did you mean")
    assert with_extra.pop("warnings") == ["materials.NOT-BOUGHT-THIS-WEEK: plan wk47-v1 uses no material "
                                          "'NOT-BOUGHT-THIS-WEEK'; its risks do not apply"]
    assert plain.pop("warnings") == []
    assert with_extra == plain


def test_same_seed_gives_byte_identical_json(tmp_path):
    paths = [tmp_path / f"{k}.json" for k in range(3)]
    for path, seed in zip(paths, ("11", "11", "12"), strict=True):
        res = run(PLAN, "--premises", str(TOML), "--replications", "30", "--seed", seed, "--quiet",
                  "--json", str(path))
        assert res.exit_code == 0, res.output
        assert res.stdout == ""  # --quiet
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert paths[0].read_bytes() != paths[2].read_bytes()


def test_json_to_stdout_prints_only_json(tmp_path):
    out = tmp_path / "score.json"
    args = [PLAN, "--premises", str(TOML), "--replications", "30", "--seed", "5"]
    res = run(*args, "--json", "-")
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("{") and res.stdout.endswith("}\n")
    doc = json.loads(res.stdout)  # nothing else on stdout
    assert_contract(doc, 30, 5)
    assert run(*args, "--quiet", "--json", str(out)).exit_code == 0
    assert res.stdout == out.read_text(encoding="utf-8")


def half_widths(doc: dict) -> dict[str, float]:
    widths = {"plan_holds": (doc["plan_holds"]["high"] - doc["plan_holds"]["low"]) / 2}
    widths.update({m: (doc["adherence"][m]["high"] - doc["adherence"][m]["low"]) / 2 for m in HEADLINE})
    return widths


def test_precision_stops_at_the_asked_half_width(tmp_path):
    out = tmp_path / "score.json"
    res = run(PLAN, "--premises", str(TOML), "--precision", "0.05", "--seed", "3", "--json", str(out))
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    n = doc["replications"]
    assert n % 100 == 0 and n >= 100
    assert_contract(doc, n, 3)
    assert max(half_widths(doc).values()) <= 0.05, half_widths(doc)


def test_precision_adds_replications_until_the_half_width_is_reached(tmp_path):
    """One 4-hour operation that holds with probability 0.5 (reliability factor; its
    adherence is exactly 1, so plan holds sets the width). The first batch of 400 has a
    Wilson half-width of ~1.96 x 0.5 / sqrt(400) = 0.049 (> 0.047 for any estimate within
    4.5 se of 0.5), above the 0.03 asked, so batches are added; the next target is
    1.05 x 400 x (0.049 / 0.03)^2 ~ 1120, rounded up to 1200, where the half-width is at most
    1.96 x 0.5 / sqrt(1200) = 0.028: the run stops there."""
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({
        "format": "riskengine.plan/1", "id": "one",
        "horizon": {"start": "2026-11-16T06:00:00+00:00", "end": 8}, "bucket_hours": 8,
        "resources": [{"id": "L1"}],
        "operations": [{"id": "o", "product": "A", "resource": "L1", "quantity": 10, "start": 0,
                        "end": 4}]}), encoding="utf-8")
    premises = tmp_path / "p.json"
    premises.write_text(json.dumps({"format": "riskengine.premises/1", "reliability": {"machine": 0.5}}),
                        encoding="utf-8")
    out = tmp_path / "score.json"
    res = run(str(plan), "--premises", str(premises), "--precision", "0.03", "--json", str(out))
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    n = doc["replications"]
    assert n % 100 == 0 and 400 < n <= 1200, n
    assert doc["precision"] == 0.03
    assert abs(doc["plan_holds"]["mean"] - 0.5) <= 4.5 * math.sqrt(0.25 / n)
    assert max(half_widths(doc).values()) <= 0.03, half_widths(doc)


def _set(path: list[str], value):
    def edit(data: dict) -> None:
        node = data
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
    return edit


# (name, TOML text edit or None, JSON data edit or None, text that must name the field)
INVALID = [
    ("unknown resource", lambda t: t + '\n[resources.L9.absenteeism]\nprobability = 0.1\n', None,
     "resources.L9"),
    ("probability 1.5", lambda t: t.replace("probability = 0.03\n", "probability = 1.5\n"), None,
     "resources.K1.absenteeism.probability"),
    ("unknown distribution", lambda t: t.replace('dist = "gamma"', 'dist = "gama"'), None,
     "resources.P1.breakdowns.mttr_hours"),
    ("TOML syntax error", lambda t: t.replace("scrap_rate = 0.004", "scrap_rate = = 0.004"), None,
     "line 7"),
    ("JSON probability 1.5", None, _set(["materials", "PK-FILM-F31", "late", "probability"], 1.5),
     "materials.PK-FILM-F31.late.probability"),
    ("JSON unknown distribution", None, _set(["defaults", "performance"], {"dist": "betta", "mean": 1}),
     "defaults.performance"),
    ("uncertain range reversed", lambda t: t.replace("scrap_rate = 0.004", 'scrap_rate = { uncertain = '
                                                    '{ dist = "uniform", low = 0.01, high = 0.001 } }'),
     None, "defaults.scrap_rate.uncertain.uniform"),
    ("JSON uncertain mean below 0", None, _set(["resources", "P1", "breakdowns", "mtbf_hours"], {
        "uncertain": {"dist": "uniform", "low": -5, "high": 50}}), "resources.P1.breakdowns.mtbf_hours"),
    ("JSON driver of a resource not in the plan", None, _set(["drivers", "s"], {
        "kind": "absenteeism", "probability": 0.1, "resources": ["L9"]}), "drivers.s.resources[0]"),
    ("JSON unknown resource", None, _set(["resources", "Z1"], {"scrap_rate": 0.1}), "resources.Z1"),
]


@pytest.mark.parametrize("name, toml_edit, json_edit, field", INVALID, ids=[c[0] for c in INVALID])
def test_invalid_premises_exit_2_naming_the_field(tmp_path, name, toml_edit, json_edit, field):
    if toml_edit:
        premises = tmp_path / "premises.toml"
        text = toml_edit(TOML.read_text(encoding="utf-8"))
        assert text != TOML.read_text(encoding="utf-8")  # the edit applied
        premises.write_text(text, encoding="utf-8")
    else:
        premises = json_premises(tmp_path, json_edit)
    out = tmp_path / "score.json"
    res = run(PLAN, "--premises", str(premises), "--replications", "10", "--json", str(out))
    assert res.exit_code == 2, (res.exit_code, res.output)
    assert field in res.stderr, res.stderr
    assert res.stderr.startswith("error: invalid input")
    assert "Traceback" not in res.output and res.stdout == ""
    assert not out.exists()
    assert list(tmp_path.glob("*.tmp")) == [] and list(tmp_path.glob(".score.json*")) == []


def test_adherence_intervals_stay_within_0_and_1(tmp_path):
    out = tmp_path / "score.json"
    assert run(PLAN, "--premises", str(TOML), "--replications", "40", "--seed", "7",
               "--json", str(out)).exit_code == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    estimates = list(doc["adherence"].values()) + [b["score"] for b in doc["bands"]]
    estimates += [b[k] for b in doc["bands"] for k in ("volume", "mix", "sequence")]
    estimates += [b[k] for b in doc["buckets"] for k in ("bts", "btp")]
    for est in estimates:
        if est is not None:
            assert 0.0 <= est["low"] and est["high"] <= 1.0, est
