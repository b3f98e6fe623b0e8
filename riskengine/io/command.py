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
    inputs (plan, actuals, premises, events, study, owners) and results (score, compare, measurement,
    check, calibration, backtest, study-table, review, trend)."""
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


@click.command()
@click.argument("plan", metavar="PLAN")
@click.option("--out", required=True, metavar="PREMISES.toml",
              help="Where to write the starter premises ('-' for stdout).")
@click.option("--force", is_flag=True, help="Overwrite --out if it exists.")
@handled
def init(plan, out, force) -> None:
    """Write commented starter premises for PLAN: every section, moderate defaults, one section per
    resource and material the plan uses, each key with its unit and meaning. `riskengine score PLAN
    --premises PREMISES.toml` accepts the file as it is."""
    from pathlib import Path

    from riskengine.io.readers import read_plan
    from riskengine.io.starter import starter_premises
    from riskengine.io.writers import write_text_atomic

    if out != "-" and Path(out).exists() and not force:
        raise InputError(Problem("--out", f"{out} exists; give --force to overwrite it"))
    if out != "-" and Path(out).is_dir():
        raise InputError(Problem("--out", f"must be a file path, got {out!r}"))
    text = starter_premises(read_plan(plan))
    if out == "-":
        click.echo(text, nl=False)
        return
    write_text_atomic(out, text)
    click.echo(f"starter premises written to {out}; score with: riskengine score {plan} --premises {out}",
               err=True)
