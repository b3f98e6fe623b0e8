"""``riskengine check``: a plan's health before any simulation (and its repair)."""

from __future__ import annotations

import sys

import click

from riskengine.cli_helpers import EXIT_FINDINGS, emit, handled, json_option, quiet_option
from riskengine.errors import InputError, Problem


@click.command()
@click.argument("plan", metavar="PLAN")
@click.option("--premises", metavar="F", type=click.Path(exists=True, dir_okay=False),
              help="Premises file (accepted; not used by the checks yet).")
@click.option("--repair", "repair_path", metavar="OUT.json",
              help="Write the nearest executable plan (operations shifted right) to OUT.json.")
@json_option
@quiet_option
@handled
def check(plan, premises, repair_path, json_path, quiet) -> None:
    """Check a plan before simulation: conflicts, routing, calendars, setups, capacity,
    materials, horizon. Exit 0 when no finding is an error, 3 otherwise."""
    from riskengine.feasibility import check as run
    from riskengine.feasibility import repair
    from riskengine.io.readers import read_plan
    from riskengine.io.writers import write_json

    if repair_path == "-" and json_path == "-":
        raise InputError(Problem("--repair", "only one of --repair and --json can write to stdout"))
    loaded = read_plan(plan)
    if premises and not quiet:
        click.echo("note: --premises is accepted but not used by the checks yet", err=True)
    result = run(loaded)
    repaired = None
    if repair_path:
        result.repair = repaired = repair(loaded)
        if repaired.ok:
            write_json(repaired.document, repair_path)
    emit(result, json_path, quiet)
    if repaired is not None and repaired.ok and repair_path != "-" and not quiet and json_path != "-":
        click.echo(f"repaired plan written to {repair_path}")
    sys.exit(0 if result.ok else EXIT_FINDINGS)
