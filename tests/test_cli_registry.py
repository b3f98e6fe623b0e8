"""The command registry: every command loads, is named as registered and handles its errors."""

from __future__ import annotations

import ast
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from riskengine.cli import COMMANDS, load_command, main

PACKAGE = Path(__file__).resolve().parent.parent / "riskengine"


def _leaves(command: click.Command):
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            yield from _leaves(sub)
    else:
        yield command


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_registered_command_loads_and_is_handled(name):
    command = load_command(name)
    assert command.name == name
    for leaf in _leaves(command):
        assert getattr(leaf.callback, "handled", False), f"{name} {leaf.name} is not wrapped by handled"
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "%%" not in result.output  # click prints help text as written


def test_help_lists_every_command_in_registry_order():
    out = CliRunner().invoke(main, ["--help"]).output
    listed = [line.split()[0] for line in out.split("Commands:")[1].splitlines() if line.strip()]
    assert listed == list(COMMANDS)


def test_an_unknown_command_is_a_usage_error():
    result = CliRunner().invoke(main, ["nope"])
    assert result.exit_code == 2 and "No such command 'nope'" in result.output


def test_command_modules_do_not_import_the_registry():
    """Commands take their helpers from riskengine.cli_helpers; only the entry point imports cli."""
    for path in PACKAGE.rglob("*.py"):
        if path.name == "cli.py" and path.parent == PACKAGE:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert node.module != "riskengine.cli", path
            elif isinstance(node, ast.Import):
                assert all(a.name != "riskengine.cli" for a in node.names), path
