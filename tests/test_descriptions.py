"""Every field of every schema is described (issue 14.15): a new user can write premises from the
schema alone, and an APS integrator can read every result field's meaning."""

from __future__ import annotations

import pytest

from riskengine.io.schema import INPUTS, SCHEMAS, schema


def described(spec: dict, defs: dict) -> bool:
    """A property's own description, or (a bare reference, which pydantic leaves without one when
    it would repeat the referenced model's) the description of the model it refers to."""
    if str(spec.get("description", "")).strip():
        return True
    ref = spec.get("$ref", "")
    return bool(ref) and bool(str(defs.get(ref.rsplit("/", 1)[-1], {}).get("description", "")).strip())


def undescribed(doc: dict) -> list[str]:
    """Paths of properties without a non-empty description, in the root and every $def."""
    missing = []
    defs = doc.get("$defs", {})
    for name, node in [("", doc), *((f"$defs.{k}", v) for k, v in defs.items())]:
        for prop, spec in node.get("properties", {}).items():
            if not described(spec, defs):
                missing.append(f"{name}.{prop}" if name else prop)
    return missing


@pytest.mark.parametrize("name", INPUTS)
def test_every_property_of_every_input_schema_is_described(name):
    doc = schema(name)
    assert undescribed(doc) == []
    assert len(doc["properties"]) >= 2  # the walk found the fields


@pytest.mark.parametrize("name", [n for n in SCHEMAS if n not in INPUTS])
def test_every_property_of_every_result_schema_is_described(name):
    assert undescribed(schema(name)) == []


def test_descriptions_say_units_and_meaning_where_a_newcomer_guesses():
    """The questions of issue 14.15, answered by the premises schema itself."""
    defs = schema("premises")["$defs"]
    props = {k: v["properties"] for k, v in defs.items() if "properties" in v}
    assert "busy (processing) hours" in props["Breakdowns"]["mtbf_hours"]["description"]
    assert "mean of an exponential" in props["Breakdowns"]["mtbf_hours"]["description"]
    assert "processing time = planned processing / factor" in \
        props["ResourcePremises"]["performance"]["description"]
    assert "Actual setup / planned setup" in props["ResourcePremises"]["setup_overrun"]["description"]
    plan = schema("plan")
    assert "families" in plan["properties"]["setup_matrix"]["description"]
    assert "not products" in plan["properties"]["setup_matrix"]["description"]
    assert "setup included" in plan["$defs"]["Operation"]["properties"]["work_hours"]["description"]
    # wrapped docstrings become one line
    assert "\n" not in plan["properties"]["calendars"]["description"]


def test_the_walk_finds_a_missing_description():
    doc = {"properties": {"a": {"description": "x"}, "b": {"type": "number"}, "m": {"$ref": "#/$defs/M"},
                          "n": {"$ref": "#/$defs/N"}},
           "$defs": {"M": {"description": "an M", "properties": {"c": {"description": " "}}},
                     "N": {"properties": {}}}}
    assert undescribed(doc) == ["b", "n", "$defs.M.c"]


def test_inherited_keys_of_typed_dicts_keep_their_descriptions():
    props = schema("score")["$defs"]["DayHolds"]["properties"]
    assert props["mean"]["description"] == "The estimate, in [0, 1]."  # declared on Estimate
    assert props["day"]["description"].startswith("k, counted from 1")
