"""``riskengine forecast``: the rest of the horizon from the shop floor's state at an as-of time."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from riskengine.analysis.command import dask_option, memory_option
from riskengine.cli_helpers import (
    check_report_path,
    command_line,
    emit,
    handled,
    json_option,
    quiet_option,
    report_option,
    set_threads,
    write_report,
)

#: Exit code of ``--fail-on-alert`` when there are alerts (a scheduled job).
EXIT_ALERTS = 4


def read_forecast_actuals(path: str, history, timezone: str | None = None):
    """Actuals for a forecast: ``riskengine.actuals/1`` (JSON or CSV) or a B2MML
    ProductionPerformance (``.xml``; extra ``interop``), whose segments without an end are in
    progress."""
    from riskengine.io.readers import read_actuals

    if Path(path).suffix.lower() != ".xml":
        return read_actuals(path, history)
    from riskengine.extras import require

    require("defusedxml", "B2MML actuals")
    from riskengine.errors import InputError, Problem
    from riskengine.interop.b2mml import parse_xml, performance_to_actuals
    from riskengine.model.actuals import parse_actuals

    file = Path(path)
    if not file.is_file():
        raise InputError(Problem(path, "no such file"))
    root = parse_xml(file.read_bytes(), path)
    doc = performance_to_actuals(root, path, history, timezone=timezone, in_progress=True)
    return parse_actuals(doc, history, path)


def read_previous(path: str | None) -> dict | None:
    """The previous forecast (``--previous``), checked."""
    if path is None:
        return None
    from riskengine.io.readers import read_json
    from riskengine.live.alerts import check_previous

    return check_previous(read_json(path), path)


@click.command()
@click.argument("plan", metavar="PLAN")
@click.option("--plan", "more_plans", multiple=True, metavar="P2",
              help="Another version of the plan (re-published); the one in effect at --as-of is executed.")
@click.option("--premises", required=True, metavar="F", help="The variability model (JSON or TOML).")
@click.option("--as-of", "as_of", required=True, metavar="T",
              help="The as-of time: ISO 8601 with offset (2026-11-17T10:00+01:00), or hours from the horizon "
                   "start. Nothing before it is simulated.")
@click.option("--actuals", metavar="A", help="What was produced (riskengine.actuals/1 JSON or CSV, or B2MML "
              "ProductionPerformance .xml): records ended by T are realized, one started before T and "
              "not ended by it is in progress, later ones are not known yet.")
@click.option("--events", metavar="E", help="What is known at T (riskengine.events/1 CSV or JSON): a "
              "breakdown without end (a resource down), a material lot with its expected arrival, an "
              "absent crew.")
@click.option("--previous", "previous_path", metavar="OLD.json",
              help="An earlier forecast (--json): what changed since, and why.")
@click.option("--alert", type=click.FloatRange(0, 1, min_open=True), default=0.8, show_default=True,
              help="Operations whose P(HIT) is below this are alerts.")
@click.option("--fail-on-alert", is_flag=True, help=f"Exit {EXIT_ALERTS} when there are alerts "
              "(for a scheduled job).")
@click.option("--replications", type=click.IntRange(1, 10_000_000), default=1000, show_default=True,
              help="Number of replications.")
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=0, show_default=True,
              help="Seed of the counter-based random numbers.")
@click.option("--engine", type=click.Choice(["kernel", "reference"]), default="kernel", show_default=True,
              help="Simulation engine: the numba kernel or the SimPy reference.")
@click.option("--threads", type=click.IntRange(1, 1024), help="Kernel threads (default: all cores).")
@click.option("--timezone", metavar="ZONE", help="IANA time zone of B2MML times without UTC offset.")
@memory_option
@dask_option
@json_option
@quiet_option
@report_option
@handled
def forecast(plan, more_plans, premises, as_of, actuals, events, previous_path, alert, fail_on_alert,
             replications, seed, engine, threads, timezone, max_memory, dask_address, json_path, quiet,
             report_path) -> None:
    """Forecast the rest of the horizon from the shop floor's state at an as-of time: how likely
    the plan in effect is to hold now, the week's expected adherence (realized buckets counted as
    they were), and the operations to act on first.

    Every replication starts from the state at T: operations done, operations in progress with
    their remaining work, resources down (the remaining repair drawn given the time already
    spent), lots with a known arrival, crews known absent; then executes the rest with the
    premises. Exit 0; 4 with --fail-on-alert when there are alerts.

    With --dask the replications and the dates' sample run as chunks on a Dask cluster, each
    worker rebuilding the state at T from the same documents; the JSON is the same, bit for bit."""
    set_threads(threads)
    import numba

    from riskengine.analysis.command import refuse_over
    from riskengine.io.readers import read_history, read_premises
    from riskengine.live.events import read_known_events
    from riskengine.live.run import as_of_time, memory_needed
    from riskengine.live.run import forecast as run
    from riskengine.report.progress import batches, compile_notice, progress_line
    from riskengine.simulation.runner import announce_compile

    paths = [plan, *more_plans]
    history = read_history(paths)
    model = read_premises(premises)
    records = read_forecast_actuals(actuals, history, timezone) if actuals else None
    known = read_known_events(events, history.versions) if events else None
    old = read_previous(previous_path)
    check_report_path(report_path)
    refuse_over(memory_needed(history.versions, model, replications, numba.get_num_threads()), replications,
                max_memory)
    line = progress_line("forecast", quiet=quiet, total=replications)
    try:
        with announce_compile(compile_notice(quiet)):
            result = run(history, model, as_of_time(as_of, history), actuals=records, events=known,
                         previous=old, replications=replications, seed=seed, engine=engine, alert=alert,
                         progress=(lambda done, _w: line.update(done)) if line else None,
                         batch=batches(replications) if line else None, dask=dask_address)
    finally:
        if line:
            line.close()
    emit(result, json_path, quiet)
    command = command_line("forecast", plan, *(w for p in more_plans for w in ("--plan", p)),
                           ("--premises", premises), ("--as-of", as_of), ("--actuals", actuals),
                           ("--events", events), ("--previous", previous_path),
                           ("--alert", alert if alert != 0.8 else None), ("--replications", replications),
                           ("--seed", seed), ("--engine", engine))
    write_report(result, report_path, quiet, json_path, plan=history, command=command)
    if fail_on_alert and result.alerts:
        if not quiet and json_path != "-":
            click.echo(f"{len(result.alerts)} alert(s): exit {EXIT_ALERTS}", err=True)
        sys.exit(EXIT_ALERTS)
