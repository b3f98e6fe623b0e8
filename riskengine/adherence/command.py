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

owners_option = click.option(
    "--owners", "owners_path", metavar="F.toml",
    help="Who owns each cause and its corrective action (riskengine.owners/1; default: the table of "
         "docs/design.md section 9), e.g. [causes.breakdown] owner = \"maintenance\".")


@click.command()
@click.option("--plan", "plans", multiple=True, required=True, metavar="PLAN",
              help="A plan version (JSON or CSV); repeat for re-published versions.")
@click.option("--actuals", required=True, metavar="ACTUALS", help="Realized production (JSON or CSV).")
@click.option("--premises", "premises_path", metavar="F",
              help="Judge by the adherence rules of these premises (their execution tolerances, "
                   "sequence basis and bands: what score uses), or of a rules file holding only "
                   "those sections. The options below override single rules.")
@click.option("--bucket-hours", type=click.FloatRange(min=0, min_open=True, max=24 * 366),
              help="Bucket size in hours (default: the first plan's bucket_hours).")
@click.option("--lateness-tolerance", type=click.FloatRange(min=0),
              help="Hours after the planned bucket end that still count as on time (default: the "
                   "premises', else 0).")
@click.option("--quantity-tolerance", type=click.FloatRange(min=0, min_open=True, max=1),
              help="Share of the planned quantity that counts as complete (default: the premises', "
                   "else 1).")
@click.option("--sequence-basis", type=click.Choice(["orders", "units"]),
              help="Count sequence adherence in orders or in units (default: the premises', else "
                   "orders).")
@owners_option
@json_option
@quiet_option
@report_option
@handled
def measure(plans, actuals, premises_path, bucket_hours, lateness_tolerance, quantity_tolerance,
            sequence_basis, owners_path, json_path, quiet, report_path) -> None:
    """Measure realized adherence against the plan in effect per bucket.

    Misses are ranked by cause, each with its owner and corrective action, and by owner; adherence
    is split by whether operations validated the plan in effect (riskengine review --sign-off), and
    misses into plan-side, execution-side and unexplained.

    The rules come from one place: --premises F gives the ones score judges by (the same
    defaults when F has no execution section, or without --premises)."""
    from riskengine.adherence.measure import measure as run
    from riskengine.governance.owners import read_owners
    from riskengine.io.readers import read_actuals, read_history, read_premises
    from riskengine.model.rules import AdherenceRules

    history = read_history(list(plans))
    records = read_actuals(actuals, history)
    base = read_premises(premises_path).rules() if premises_path else AdherenceRules()
    rules = base.overridden(bucket_hours=bucket_hours, lateness_tolerance_hours=lateness_tolerance,
                            quantity_tolerance=quantity_tolerance, sequence_basis=sequence_basis)
    owners = read_owners(owners_path)
    check_report_path(report_path)
    result = run(history, records, rules, owners)
    emit(result, json_path, quiet)
    command = command_line("measure", *(w for p in plans for w in ("--plan", p)), ("--actuals", actuals),
                           ("--premises", premises_path), ("--bucket-hours", bucket_hours),
                           ("--lateness-tolerance", lateness_tolerance),
                           ("--quantity-tolerance", quantity_tolerance), ("--sequence-basis", sequence_basis),
                           ("--owners", owners_path))
    write_report(result, report_path, quiet, json_path, plan=history, command=command)
