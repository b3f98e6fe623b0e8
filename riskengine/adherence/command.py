"""``riskengine measure``: realized adherence against the plan in effect per bucket."""

from __future__ import annotations

import click

from riskengine.cli_helpers import (
    check_report_path,
    command_line,
    emit,
    handled,
    json_option,
    quiet_option,
    report_option,
    write_report,
)


@click.command()
@click.option("--plan", "plans", multiple=True, required=True, metavar="PLAN",
              help="A plan version (JSON or CSV); repeat for re-published versions.")
@click.option("--actuals", required=True, metavar="ACTUALS", help="Realized production (JSON or CSV).")
@click.option("--bucket-hours", type=click.FloatRange(min=0, min_open=True, max=24 * 366),
              help="Bucket size in hours (default: the first plan's bucket_hours).")
@click.option("--lateness-tolerance", type=click.FloatRange(min=0), default=0.0, show_default=True,
              help="Hours after the planned bucket end that still count as on time.")
@click.option("--quantity-tolerance", type=click.FloatRange(min=0, min_open=True, max=1),
              default=1.0, show_default=True,
              help="Share of the planned quantity that counts as complete.")
@click.option("--sequence-basis", type=click.Choice(["orders", "units"]), default="orders",
              show_default=True, help="Count sequence adherence in orders or in units.")
@json_option
@quiet_option
@report_option
@handled
def measure(plans, actuals, bucket_hours, lateness_tolerance, quantity_tolerance, sequence_basis,
            json_path, quiet, report_path) -> None:
    """Measure realized adherence against the plan in effect per bucket."""
    from riskengine.adherence.measure import measure as run
    from riskengine.io.readers import read_actuals, read_history
    from riskengine.model.rules import AdherenceRules

    history = read_history(list(plans))
    records = read_actuals(actuals, history)
    rules = AdherenceRules(bucket_hours=bucket_hours, lateness_tolerance_hours=lateness_tolerance,
                           quantity_tolerance=quantity_tolerance, sequence_basis=sequence_basis)
    check_report_path(report_path)
    result = run(history, records, rules)
    emit(result, json_path, quiet)
    command = command_line("measure", *(w for p in plans for w in ("--plan", p)), ("--actuals", actuals),
                           ("--bucket-hours", bucket_hours), ("--lateness-tolerance", lateness_tolerance),
                           ("--quantity-tolerance", quantity_tolerance), ("--sequence-basis", sequence_basis))
    write_report(result, report_path, quiet, json_path, plan=history, command=command)
