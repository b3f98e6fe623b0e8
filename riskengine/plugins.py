"""Python extension point: plugins in the entry points group ``riskengine.plugins``.

A plugin adds a disruption source or a deviation rule of its own without new
kernel code: it rewrites the premises, or the compiled parameter arrays the
engines read (:class:`riskengine.simulation.compile.Compiled`), before any
replication runs. Both engines (the numba kernel and the SimPy reference)
read the same arrays, so they stay equivalent with a plugin too.

A plugin is any object (a module, an instance) with a ``name`` and any of
these hooks, all optional:

``configure(config: dict) -> object``
    Validate the plugin's options; raise ``ValueError``, a pydantic
    ``ValidationError`` or an :class:`~riskengine.errors.InputError`. What it
    returns is handed to the other hooks (default: the dict itself).
``premises(premises, plan, options) -> Premises``
    Return changed premises (e.g. a disruption expressed with the built-in
    sources). They are validated again like a premises file.
``compiled(compiled, plan, premises, options) -> Compiled | None``
    Change the parameter arrays in place (or return new ones). Every array
    must keep its shape and dtype, stay free of NaN, and probabilities stay in
    [0, 1]; otherwise the run is refused (nothing unvalidated reaches a kernel).

Plugins act only where the premises name them, in the order given, with
their options::

    [plugins.shift_fatigue]          # premises.toml
    from_hour = 22
    to_hour = 6
    slowdown = 0.15

so a result (whose ``premises`` echo names the plugins) stays reproducible,
and an installed plugin never changes a run that does not ask for it. A
package declares its plugin in ``pyproject.toml``::

    [project.entry-points."riskengine.plugins"]
    shift_fatigue = "shift_fatigue:plugin"

``examples/plugin_shift_fatigue/`` is a complete example.
"""

from __future__ import annotations

from dataclasses import fields
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import ValidationError

from riskengine.errors import InputError, Problem, from_pydantic

if TYPE_CHECKING:
    from riskengine.model.plan import Plan
    from riskengine.model.premises import Premises
    from riskengine.simulation.compile import Compiled

GROUP = "riskengine.plugins"
_registered: dict[str, Any] = {}
#: Compiled fields that are probabilities (kept in [0, 1]) and that must stay finite and >= 0.
_PROBABILITIES = ("mat_late_p", "mat_reject_p", "res_absence_p", "res_absence_speed", "res_scrap",
                  "rel_fail_p", "deviation_p", "quantity_tolerance", "drv_p")
_NON_NEGATIVE = ("op_setup", "op_work", "op_quantity", "res_shift_hours", "bucket_hours",
                 "lateness_tolerance")


def register(plugin: Any, name: str | None = None) -> None:
    """Register a plugin by hand (tests, notebooks); installed ones are found by entry point."""
    _registered[name or plugin.name] = plugin


def unregister(name: str) -> None:
    _registered.pop(name, None)


def available() -> list[str]:
    """Names of the registered and installed plugins."""
    return sorted(set(_registered) | {ep.name for ep in entry_points(group=GROUP)})


def load(name: str) -> Any:
    """The plugin called ``name`` (registered by hand first, then by entry point)."""
    if name in _registered:
        return _registered[name]
    for ep in entry_points(group=GROUP, name=name):
        try:
            return ep.load()
        except Exception as exc:  # a broken plugin package is the user's input problem
            raise InputError(Problem(f"plugins.{name}", f"the plugin could not be loaded "
                                     f"({ep.value}): {type(exc).__name__}: {exc}")) from None
    known = ", ".join(available()) or "none installed"
    raise InputError(Problem(f"plugins.{name}", f"no plugin {name!r} in the entry points group "
                             f"{GROUP!r} (available: {known})"))


def configure_all(premises: Premises) -> list[tuple[str, Any, Any]]:
    """Load and configure every plugin the premises name: (name, plugin, options) in order."""
    out, problems = [], []
    for name, config in premises.plugins.items():
        try:
            plugin = load(name)
            configure = getattr(plugin, "configure", None)
            options = configure(dict(config)) if configure else config
        except InputError as exc:
            problems += [p if p.location.startswith("plugins.") else
                         Problem(f"plugins.{name}" + (f".{p.location}" if p.location else ""), p.message)
                         for p in exc.problems]
            continue
        except ValidationError as exc:
            problems += from_pydantic(exc, prefix=f"plugins.{name}").problems
            continue
        except (ValueError, TypeError) as exc:
            problems.append(Problem(f"plugins.{name}", str(exc)))
            continue
        out.append((name, plugin, options))
    if problems:
        raise InputError(problems)
    return out


def compile_with_plugins(plan: Plan, premises: Premises) -> Compiled:
    """:func:`~riskengine.simulation.compile.compile_model` with the premises' plugins applied."""
    from riskengine.model.premises import check_premises_against, parse_premises
    from riskengine.simulation.compile import compile_model

    if not premises.plugins:
        return compile_model(plan, premises)
    chosen = configure_all(premises)
    for name, plugin, options in chosen:
        hook = getattr(plugin, "premises", None)
        if hook is not None:
            changed = hook(premises, plan, options)
            document = changed.model_dump(mode="json", by_alias=True, exclude_none=True)
            try:
                premises = parse_premises(document, f"premises changed by plugin {name!r}")
                check_premises_against(premises, plan, f"premises changed by plugin {name!r}")
            except InputError as exc:
                raise InputError([Problem(f"plugins.{name}", str(p)) for p in exc.problems]) from None
    compiled = compile_model(plan, premises)
    for name, plugin, options in chosen:
        hook = getattr(plugin, "compiled", None)
        if hook is not None:
            before = {f.name: _shape(getattr(compiled, f.name)) for f in fields(compiled)}
            changed = hook(compiled, plan, premises, options)
            compiled = compiled if changed is None else changed
            check_compiled(compiled, before, name)
    return compiled


def _shape(value: object) -> tuple:
    if isinstance(value, np.ndarray):
        return ("array", value.shape, value.dtype)
    return ("scalar", type(value))


def check_compiled(compiled: Compiled, before: dict[str, tuple], name: str) -> None:
    """Refuse parameter arrays a plugin changed in shape, type or range."""
    problems = []
    for field, was in before.items():
        value = getattr(compiled, field)
        if _shape(value) != was:
            problems.append(Problem(f"plugins.{name}", f"changed the shape or type of {field}"))
            continue
        if value is None:  # a field that holds no parameter (a score's empty forecast state)
            continue
        values = np.asarray(value, dtype=np.float64) if was[0] == "scalar" or value.dtype.kind == "f" \
            else None
        if values is None:
            continue
        if np.isnan(values).any():
            problems.append(Problem(f"plugins.{name}", f"left NaN in {field}"))
        elif field in _PROBABILITIES and ((values < 0).any() or (values > 1).any()):
            problems.append(Problem(f"plugins.{name}", f"put {field} outside [0, 1]"))
        elif field in _NON_NEGATIVE and (~np.isfinite(values) | (values < 0)).any():
            problems.append(Problem(f"plugins.{name}", f"made {field} negative or infinite"))
    if problems:
        raise InputError(problems)
