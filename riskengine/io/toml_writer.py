"""A small TOML writer for premises documents (the standard library only reads TOML).

Tables become ``[a.b]`` sections, dicts whose values are all scalars or lists
of scalars (distributions, absenteeism) inside a section become inline tables,
lists of dicts become arrays of tables (``[[bands]]``). Keys that are not bare
TOML keys are quoted. Floats are written with ``repr`` (round-trip exact).
"""

from __future__ import annotations

import json
import math
import re

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(k: str) -> str:
    return k if _BARE.match(k) else json.dumps(k)


def _scalar(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"TOML premises cannot hold {v}")
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(_scalar(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_scalar(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def _flat(v: object) -> bool:
    """A dict written inline: none of its values is a dict or a list of dicts."""
    return isinstance(v, dict) and all(
        not isinstance(x, dict) and not (isinstance(x, list) and any(isinstance(y, dict) for y in x))
        for x in v.values())


def _table(path: list[str], table: dict, out: list[str]) -> None:
    plain = {k: v for k, v in table.items() if not isinstance(v, dict) or _flat(v)}
    plain = {k: v for k, v in plain.items()
             if not (isinstance(v, list) and v and all(isinstance(x, dict) for x in v))}
    if plain or not path:
        if path:
            out.append(f"\n[{'.'.join(map(_key, path))}]")
        out += [f"{_key(k)} = {_scalar(v)}" for k, v in plain.items()]
    for k, v in table.items():
        if k in plain:
            continue
        if isinstance(v, dict):
            _table([*path, k], v, out)
        else:
            for item in v:
                out.append(f"\n[[{'.'.join(map(_key, [*path, k]))}]]")
                out += [f"{_key(a)} = {_scalar(b)}" for a, b in item.items()]


def to_toml(document: dict, header: str = "") -> str:
    """The TOML text of a nested dict (None values and empty tables are left out)."""
    def clean(v):
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items() if x is not None and x != {}}
        if isinstance(v, list):
            return [clean(x) for x in v]
        return v

    out: list[str] = [f"# {line}" if line else "#" for line in header.splitlines()]
    _table([], clean(document), out)
    return "\n".join(out).lstrip("\n") + "\n"
