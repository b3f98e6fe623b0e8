"""``riskengine schema`` (the JSON Schemas of the formats) and ``riskengine init`` (starter premises)."""

from __future__ import annotations

import json

import click

from riskengine.cli_helpers import handled
from riskengine.errors import InputError, Problem


@click.command()
@click.argument("name", required=False)
@handled
def schema(name) -> None:
    """Print the JSON Schema of a format (every field described); without NAME, list the formats:
    inputs (plan, actuals, premises, events, study) and results (score, compare, measurement,
    check, calibration, backtest, study-table)."""
    from riskengine.io.schema import MODELS
    from riskengine.io.schema import schema as build

    if name is None:
        from riskengine.report.terminal import table

        rows = [[key, f"riskengine.{key}/1", what] for key, (_, what) in MODELS.items()]
        click.echo("\n".join(table(["name", "format", "what"], rows, align="lll", indent=0)))
        return
    if name not in MODELS:
        raise InputError(Problem("NAME", f"unknown schema {name!r}; known: {', '.join(MODELS)}"))
    click.echo(json.dumps(build(name), indent=2))
