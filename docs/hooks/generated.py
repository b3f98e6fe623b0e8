"""mkdocs hook: pages generated at build time, so that they cannot drift from the code.

``formats.md`` is written from the JSON Schemas (:mod:`riskengine.io.schema`, what
``riskengine schema NAME`` prints): per format its fields, their types, whether
they are required, and their descriptions; ``changelog.md`` is the repository's
``CHANGELOG.md``.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[2]
INTRO = """# File formats

Every document riskengine reads or writes names its format and version in
`format` (`riskengine.plan/1`). This page is generated from the JSON Schemas
when the site is built; `riskengine schema NAME` prints the same schema
(`GET /v1/schemas/NAME` from the service). Inputs refuse unknown fields, so a
typo is an error that names the field. Times are ISO 8601 with a UTC offset
(`2026-11-16T06:00:00+01:00`) or, where the type says so, hours from the
horizon start; spreadsheet exports with local times go through
`riskengine import table` (the [planner's guide](guides/planner.md)).
"""


def _type(s: dict) -> str:
    """A short readable type of a JSON Schema node."""
    if "$ref" in s:
        return f"`{s['$ref'].rsplit('/', 1)[-1]}`"
    if "const" in s:
        return f"`{s['const']!r}`".replace("'", '"')
    if "enum" in s:
        return " or ".join(f"`{v}`" for v in s["enum"])
    for key in ("anyOf", "oneOf"):
        if key in s:
            kinds = [_type(x) for x in s[key] if x.get("type") != "null"]
            return " or ".join(dict.fromkeys(kinds)) + (" (or null)" if any(
                x.get("type") == "null" for x in s[key]) else "")
    t = s.get("type")
    if t == "array":
        return f"list of {_type(s.get('items', {}))}"
    if t == "object" and isinstance(s.get("additionalProperties"), dict):
        return f"map of {_type(s['additionalProperties'])}"
    if isinstance(t, list):
        return " or ".join(t)
    return t or "any"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _table(node: dict) -> list[str]:
    props = node.get("properties", {})
    if not props:
        return [f"Type: {_type(node)}.", ""]
    required = set(node.get("required", []))
    lines = ["| field | type | required | description |", "| --- | --- | --- | --- |"]
    for name, s in props.items():
        lines.append(f"| `{name}` | {_cell(_type(s))} | {'yes' if name in required else ''} | "
                     f"{_cell(s.get('description', ''))} |")
    return [*lines, ""]


def formats_page() -> str:
    from riskengine.io.schema import SCHEMAS, schema

    out = [INTRO]
    for name in SCHEMAS:
        s = schema(name)
        out += [f"## {s.get('title', name)}", ""]
        if s.get("description"):
            out += [_cell(s["description"]), ""]
        out += [f"`riskengine schema {name}`", "", *_table(s)]
        for def_name, d in s.get("$defs", {}).items():
            out += [f"### {name}: {def_name}", ""]
            if d.get("description"):
                out += [_cell(d["description"]), ""]
            out += _table(d)
    return "\n".join(out)


def on_files(files, config):
    files.append(File.generated(config, "formats.md", content=formats_page()))
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    files.append(File.generated(config, "changelog.md", content=changelog))
    return files
