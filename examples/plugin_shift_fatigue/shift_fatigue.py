"""Shift fatigue: a riskengine plugin (entry points group ``riskengine.plugins``).

A deviation rule the engine does not have: operations planned to start in the
night hours run slower, because crews are tired. The rule is compiled into the
kernel's parameters (no new kernel code): the planned processing work of each
such operation is multiplied by ``1 + slowdown`` in the compiled arrays, so
both engines (numba kernel and SimPy reference) execute it.

Options, in the premises::

    [plugins.shift_fatigue]
    from_hour = 22          # night starts (wall-clock hour of the planned start, the plan's offset)
    to_hour = 6             # night ends (may wrap past midnight)
    slowdown = 0.15         # night operations need 15% more processing time
    resources = ["P1"]      # optional: only these resources (default: all)
"""

from __future__ import annotations

import sys

from pydantic import BaseModel, ConfigDict, Field

name = "shift_fatigue"


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid")

    from_hour: float = Field(22.0, ge=0, lt=24)
    to_hour: float = Field(6.0, ge=0, le=24)
    slowdown: float = Field(ge=0, le=5, allow_inf_nan=False)
    resources: list[str] | None = None


def configure(config: dict) -> Options:
    """Validate the options (a pydantic error is reported as plugins.shift_fatigue.FIELD)."""
    return Options.model_validate(config)


def in_night(hour: float, options: Options) -> bool:
    """Whether a wall-clock hour lies in [from_hour, to_hour), wrapping past midnight."""
    if options.from_hour <= options.to_hour:
        return options.from_hour <= hour < options.to_hour
    return hour >= options.from_hour or hour < options.to_hour


def compiled(compiled, plan, premises, options: Options):
    """Scale the processing work of night operations: t_work' = t_work * (1 + slowdown)."""
    chosen = None if options.resources is None else set(options.resources)
    for i, op in enumerate(plan.operations):
        hour = op.start.hour + op.start.minute / 60 + op.start.second / 3600
        if in_night(hour, options) and (chosen is None or op.resource in chosen):
            compiled.op_work[i] *= 1.0 + options.slowdown
    return compiled


plugin = sys.modules[__name__]  # the module itself is the plugin object the entry point names
