"""The ``riskengine`` command line: one group, and the registry of its commands.

Each command lives with its concept (``riskengine/analysis/command.py`` holds
``score`` and ``compare``, ``riskengine/adherence/command.py`` holds
``measure``, ...) and takes what every command shares (error handling and
exit codes, JSON output, common options) from :mod:`riskengine.cli_helpers`.
This module only registers them.

Adding a command
    1. Write it as a ``click`` command (or group) in its subpackage's
       ``command.py``, decorated with ``@handled`` from
       :mod:`riskengine.cli_helpers` (bad input -> exit 2, never a traceback).
    2. Add one line to :data:`COMMANDS`: ``"name": "riskengine.pkg.command:attribute"``.

    A command's module is imported only when the command runs (or ``--help``
    lists it), so a command needing an optional extra never slows or breaks
    the others. The tests check that every registered command loads, has the
    name it is registered under and is wrapped by ``handled``.

Exit codes: 0 success, 2 invalid input (the message names the field),
1 internal error; ``check`` exits 3 when the plan has error findings.
``--json PATH`` writes the result atomically, ``-`` to stdout (then the
terminal summary is left out so the output stays JSON).
"""

from __future__ import annotations

import importlib

import click

#: Command name -> "module:attribute" of its click command, in the order ``--help`` lists them.
COMMANDS: dict[str, str] = {
    "score": "riskengine.analysis.command:score",
    "compare": "riskengine.analysis.command:compare",
    "simulate": "riskengine.analysis.command:simulate",
    "measure": "riskengine.adherence.command:measure",
    "forecast": "riskengine.live.command:forecast",
    "check": "riskengine.feasibility.command:check",
    "review": "riskengine.governance.command:review",
    "trend": "riskengine.governance.command:trend",
    "init": "riskengine.io.command:init",
    "schema": "riskengine.io.command:schema",
    "calibrate": "riskengine.calibration.command:calibrate",
    "backtest": "riskengine.calibration.command:backtest",
    "sweep": "riskengine.studies.command:sweep",
    "jobshop": "riskengine.jobshop.command:jobshop",
    "serve": "riskengine.service.command:serve",
    "call": "riskengine.service.command:call",
    "import": "riskengine.interop.command:import_",
    "convert": "riskengine.interop.convert:convert",
}


def load_command(name: str) -> click.Command:
    """The click command registered under ``name`` (its module imported now)."""
    module, attribute = COMMANDS[name].split(":")
    return getattr(importlib.import_module(module), attribute)


class Registry(click.Group):
    """A group whose commands come from :data:`COMMANDS`, imported when first used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return load_command(name) if name in COMMANDS else None


@click.group(cls=Registry, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="riskengine")
def main() -> None:
    """riskengine: how likely a production schedule is to be executed as planned,
    and the exact adherence it achieved."""


if __name__ == "__main__":  # pragma: no cover
    main()
