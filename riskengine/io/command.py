"""``riskengine schema``: the JSON Schemas of the file formats and results."""

from __future__ import annotations

import json

import click

from riskengine.cli_helpers import handled
from riskengine.errors import InputError, Problem


@click.command()
@click.argument("name")
@handled
def schema(name) -> None:
    """Print the JSON Schema of a format: plan, actuals, measurement, ..."""
    from riskengine.io.schema import SCHEMAS
    from riskengine.io.schema import schema as build

    if name not in SCHEMAS:
        raise InputError(Problem("NAME", f"unknown schema {name!r}; known: {', '.join(SCHEMAS)}"))
    click.echo(json.dumps(build(name), indent=2))
