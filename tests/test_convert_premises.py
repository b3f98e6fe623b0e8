"""Premises as TOML or JSON (issue 21): `riskengine convert` round trips, and the service and
`riskengine call` take the premises as TOML text (`premises_toml`), located like JSON premises."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

import riskengine as rk
from riskengine.cli import main
from riskengine.errors import InputError
from riskengine.service.requests import validate

ROOT = Path(__file__).resolve().parent.parent
FACTORY = ROOT / "scenarios" / "example-factory"


@pytest.mark.parametrize("name", ["premises.toml", "premises-uncertain.toml"])
def test_convert_round_trips_toml_json_toml(tmp_path, name):
    original = tomllib.loads((FACTORY / name).read_text(encoding="utf-8"))
    as_json, as_toml = tmp_path / "p.json", tmp_path / "p.toml"
    r = CliRunner().invoke(main, ["convert", str(FACTORY / name), str(as_json)])
    assert r.exit_code == 0, r.output
    assert json.loads(as_json.read_text()) == original
    r = CliRunner().invoke(main, ["convert", str(as_json), str(as_toml)])
    assert r.exit_code == 0, r.output
    assert tomllib.loads(as_toml.read_text()) == original
    assert rk.read_premises(as_toml) == rk.read_premises(FACTORY / name) == rk.read_premises(as_json)
    r = CliRunner().invoke(main, ["convert", str(as_json), "-", "--to", "toml"])
    assert r.exit_code == 0 and r.output == as_toml.read_text()


def test_convert_refuses_invalid_premises_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text((FACTORY / "premises.toml").read_text().replace("scrap_rate = 0.004", "scrap_rate = 2"))
    out = tmp_path / "out.json"
    r = CliRunner().invoke(main, ["convert", str(bad), str(out)])
    assert r.exit_code == 2
    assert "defaults.scrap_rate: Input should be less than or equal to 1, got 2" in r.output
    assert not out.exists()
    r = CliRunner().invoke(main, ["convert", str(FACTORY / "premises.toml"), "-"])
    assert r.exit_code == 2 and "--to: give json or toml" in r.output


def _request(**premises) -> dict:
    plan = json.loads((FACTORY / "plan-v1.json").read_text())
    return {"plan": plan, "replications": 50, "seed": 7, **premises}


def test_call_score_with_premises_toml_equals_json_premises():
    text = (FACTORY / "premises.toml").read_text(encoding="utf-8")
    as_json = tomllib.loads(text)
    results = []
    for body in (_request(premises=as_json), _request(premises_toml=text)):
        r = CliRunner().invoke(main, ["call", "score"], input=json.dumps(body))
        assert r.exit_code == 0, r.output
        results.append(json.loads(r.output))
    assert results[0] == results[1]
    assert results[0]["replications"] == 50


def test_premises_toml_problems_are_located():
    text = (FACTORY / "premises.toml").read_text(encoding="utf-8")
    cases = [
        (_request(premises_toml=text.replace("scrap_rate = 0.004", "scrap_rate = 2")),
         ["premises_toml.defaults.scrap_rate: Input should be less than or equal to 1, got 2"]),
        (_request(premises_toml="[defaults\nscrap_rate = 1"), None),
        (_request(premises_toml=text, premises=tomllib.loads(text)),
         ["premises_toml: give premises or premises_toml, not both"]),
        (_request(premises_toml=3), ["premises_toml: must be TOML text (a string), got int"]),
        (_request(), ["premises: required (or premises_toml: the premises as TOML text)"]),
        (_request(premises=None), ["premises: required (or premises_toml: the premises as TOML text)"]),
    ]
    for body, expected in cases:
        with pytest.raises(InputError) as err:
            validate("score", body)
        got = [str(p) for p in err.value.problems]
        if expected is None:
            assert len(got) == 1 and got[0].startswith("premises_toml: not valid TOML: ")
        else:
            assert got == expected
    plans = [_request()["plan"], json.loads((FACTORY / "plan-v2.json").read_text())]
    ok = validate("compare", {"plans": plans, "premises_toml": text})
    assert ok.premises == rk.read_premises(FACTORY / "premises.toml")
