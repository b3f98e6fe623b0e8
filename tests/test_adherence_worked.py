"""The worked numbers of docs/design.md section 2, through the public API and the CLI's JSON."""

from __future__ import annotations

import json

import pytest
from builders import measure, op, plan_dict, run
from click.testing import CliRunner

from riskengine.cli import main


def article_btp():
    """Planned A/B/C 100/200/300, produced 90/220/280 (the source article's BTP table)."""
    plan = plan_dict([op("a", "A", 100, 0, 2), op("b", "B", 200, 2, 4), op("c", "C", 300, 4, 6)])
    records = [run("a", 90, 0, 2), run("b", 220, 2, 4), run("c", 280, 4, 6)]
    return [plan], records


def article_bts():
    """V 92%, M 80%, Sq 70%: ten orders of 100 planned in one shift, 920 built of which
    736 to mix (9 x 80 + 16) plus 184 unplanned, started 1-6 then 10, 9, 8, 7 (7 in sequence)."""
    ops = [op(f"o{k}", f"P{k}", 100, 0.8 * (k - 1), 0.8 * k) for k in range(1, 11)]
    order = [1, 2, 3, 4, 5, 6, 10, 9, 8, 7]
    records = [run(f"o{k}", 16 if k == 10 else 80, 0.5 * i, 0.5 * (i + 1)) for i, k in enumerate(order)]
    records.append(run(None, 184, 5.0, 6.0, product="X", resource="L1"))
    return [plan_dict(ops)], records


def ford_condenser():
    """Planned 810, built 690, built to mix 540, 3 of 4 batches in sequence."""
    ops = [op("b1", "P1", 200, 0, 2), op("b2", "P2", 200, 2, 4), op("b3", "P3", 200, 4, 6),
           op("b4", "P4", 210, 6, 8)]
    records = [run("b1", 200, 0, 1), run("b2", 200, 1, 2), run("b4", 40, 2, 3),
               run("b3", 100, 3, 4), run(None, 150, 4, 5, product="P5", resource="L1")]
    return [plan_dict(ops)], records


CASES = {
    # name: (builder, expected total figures)
    "article_btp": (article_btp, {"planned": 600, "produced": 590, "built_to_mix": 570,
                                  "volume": 590 / 600, "btp": 0.95}),
    "article_bts": (article_bts, {"volume": 0.92, "mix": 0.80, "sequence": 0.70,
                                  "bts": 0.92 * 0.80 * 0.70, "orders_in_sequence": 7,
                                  "orders_built_to_mix": 10}),
    "ford": (ford_condenser, {"planned": 810, "produced": 690, "built_to_mix": 540,
                              "volume": 690 / 810, "mix": 540 / 690, "sequence": 0.75,
                              "bts": 0.5, "orders_in_sequence": 3, "orders_built_to_mix": 4}),
}


@pytest.mark.parametrize("name", CASES)
def test_worked_numbers_through_api(name):
    build, expected = CASES[name]
    total = measure(*build()).total
    for key, value in expected.items():
        assert total[key] == pytest.approx(value, abs=1e-12), key


def test_rounded_figures_match_the_sources():
    assert round(measure(*article_btp()).total["volume"] * 100, 1) == 98.3
    assert round(measure(*article_bts()).total["bts"] * 100) == 52
    assert round(measure(*article_bts()).total["bts"] * 100, 1) == 51.5
    ford = measure(*ford_condenser()).total
    assert [round(ford[k] * 100, 1) for k in ("volume", "mix", "sequence", "bts")] == [
        85.2, 78.3, 75.0, 50.0]


@pytest.mark.parametrize("name", CASES)
def test_worked_numbers_through_cli_json(name, tmp_path):
    build, expected = CASES[name]
    plans, records = build()
    args = ["measure"]
    for k, p in enumerate(plans):
        path = tmp_path / f"plan{k}.json"
        path.write_text(json.dumps(p))
        args += ["--plan", str(path)]
    actuals = tmp_path / "actuals.json"
    actuals.write_text(json.dumps({"format": "riskengine.actuals/1", "records": records}))
    result = CliRunner().invoke(main, [*args, "--actuals", str(actuals), "--json", "-"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["format"] == "riskengine.measurement/1"
    for key, value in expected.items():
        assert doc["total"][key] == pytest.approx(value, abs=1e-12), key


def test_ford_main_impact_is_sequence_and_causes_are_ranked():
    m = measure(*ford_condenser())
    assert m.main_impact == "sequence"
    # b3 short by 100 and b4 short by 170 (no cause recorded on either)
    assert {(o["id"], o["deviation"], o["lost_units"]) for o in m.operations if not o["hit"]} == {
        ("b3", "short", 100.0), ("b4", "short", 170.0)}
    assert m.data_quality["misses_without_cause"] == 2
    assert m.data_quality["unplanned_units"] == 150
