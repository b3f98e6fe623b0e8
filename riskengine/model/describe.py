"""Field descriptions: the docstring under each field, put into the JSON Schema when one is made.

The models document a field the way Python documents an attribute, with a
string under it::

    mtbf_hours: Duration
    \"\"\"Time between failures, in busy (processing) hours: ...\"\"\"

:func:`describe` is the ``json_schema_extra`` hook of every described model
(inputs: :class:`riskengine.model.common.Strict`; results:
:mod:`riskengine.io.documents`). When a schema is generated it gives each
property the docstring of its field (a typed dict's or
a model's inherited fields included, by alias where the field has one) and
makes every description one line (a field's docstring wins over the
description of its type, an explicit ``Field(description=...)`` over both).
The sources are read only then, once per module: pydantic's own
``use_attribute_docstrings`` reads them at import, which cost every command
about 0.3 s of start-up. :func:`field_description`
gives the same text to other readers (``riskengine init``'s comments).
"""

from __future__ import annotations

import ast
import functools
import inspect
import sys


@functools.cache
def _module_docs(module: str) -> dict[str, dict[str, str]]:
    """Class name -> attribute -> docstring, for the top-level classes of a module's source."""
    try:
        tree = ast.parse(inspect.getsource(sys.modules[module]))
    except (KeyError, OSError, TypeError, SyntaxError):
        return {}
    out: dict[str, dict[str, str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            docs = {}
            for stmt, after in zip(node.body, node.body[1:], strict=False):
                if (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
                        and isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant)
                        and isinstance(after.value.value, str)):
                    docs[stmt.target.id] = after.value.value
            out[node.name] = docs
    return out


def _own(cls: type) -> dict[str, str]:
    return _module_docs(cls.__module__).get(cls.__qualname__, {})


def field_docs(cls: type) -> dict[str, str]:
    """Field name -> docstring, inherited ones first (a subclass's own win)."""
    docs: dict[str, str] = {}
    if hasattr(cls, "__required_keys__"):  # a typed dict: its bases are in __orig_bases__
        for base in getattr(cls, "__orig_bases__", ()):
            if isinstance(base, type) and hasattr(base, "__required_keys__"):
                docs.update(field_docs(base))
    else:
        for base in reversed(cls.__mro__[1:]):
            if base.__module__.startswith("riskengine."):
                docs.update(_own(base))
    docs.update(_own(cls))
    return docs


def field_description(model: type, name: str) -> str:
    """The description of a model's field: its docstring, on one line."""
    return " ".join(field_docs(model).get(name, "").split())


def describe(schema: dict, cls: type | None = None) -> None:
    """JSON Schema hook: describe every property by its field's docstring, each on one line."""
    docs = field_docs(cls) if cls is not None else {}
    fields = getattr(cls, "model_fields", {}) if cls is not None else {}
    by_alias = {info.alias: name for name, info in fields.items() if info.alias}
    if "description" in schema:
        schema["description"] = " ".join(schema["description"].split())
    for key, prop in schema.get("properties", {}).items():
        name = by_alias.get(key, key)
        explicit = name in fields and fields[name].description  # Field(description=...) wins
        if name in docs and not explicit:  # over a type's own words (e.g. what a time may be)
            prop["description"] = docs[name]
        if "description" in prop:
            prop["description"] = " ".join(prop["description"].split())
