"""The ``riskengine`` command line (DESIGN.md 6 and 8).

Exit codes: 0 success, 2 invalid input (the message names the field),
1 internal error; ``check`` exits 3 when the plan has error findings.
``--json PATH`` writes the result atomically, ``-`` to stdout (then the
terminal summary is left out so the output stays JSON).
"""

from __future__ import annotations

import functools
import json
import os
import sys
import traceback

import click
from pydantic import ValidationError

from riskengine.errors import InputError, from_pydantic

EXIT_INVALID = 2
EXIT_INTERNAL = 1
EXIT_FINDINGS = 3


def handled(func):
    """Run a command body; turn bad input into exit 2 and any other failure into exit 1."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except InputError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_INVALID)
        except ValidationError as exc:  # options validated by a model (e.g. NaN tolerances)
            click.echo(f"error: {from_pydantic(exc, 'options')}", err=True)
            sys.exit(EXIT_INVALID)
        except BrokenPipeError:  # the reader of our output went away (e.g. `| head`): not our error
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(0)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:  # the promise: no input crashes the process with a traceback
            if os.environ.get("RISKENGINE_DEBUG"):
                traceback.print_exc()
            click.echo(f"internal error: {type(exc).__name__}: {exc}", err=True)
            sys.exit(EXIT_INTERNAL)

    return wrapper


def emit(result, json_path: str | None, quiet: bool) -> None:
    """Print the human summary and write the JSON result where asked."""
    from riskengine.io.writers import write_json

    if not quiet and json_path != "-":
        click.echo(str(result))
    if json_path:
        write_json(result.to_dict(), json_path)
        if json_path != "-" and not quiet:
            click.echo(f"\nresult written to {json_path}")


json_option = click.option("--json", "json_path", metavar="PATH",
                           help="Write the JSON result to PATH ('-' for stdout).")
quiet_option = click.option("--quiet", is_flag=True, help="No terminal summary.")
report_option = click.option("--report", "report_path", metavar="OUT.html",
                             help="Also write a self-contained HTML report (figures, tables, premises).")


def check_report_path(path: str | None) -> None:
    """Refuse an unusable report path before any work is done."""
    from riskengine.errors import Problem

    if path is not None and (path == "-" or os.path.isdir(path)):
        raise InputError(Problem("--report", f"must be a file path, got {path!r}"))


def write_report(result, path: str | None, quiet: bool, json_path: str | None, **options) -> None:
    """Write the HTML report where asked (matplotlib is imported only then)."""
    if not path:
        return
    from riskengine.report.html import write_report as write

    write(result, path, **options)
    if not quiet and json_path != "-":
        click.echo(f"report written to {path}")


def command_line(*words) -> str:
    """The shell command that reproduces a run (options with None or False values left out)."""
    import shlex

    out: list[str] = ["riskengine"]
    for w in words:
        if isinstance(w, tuple):
            name, value = w
            if value is None or value is False:
                continue
            out += [name] if value is True else [name, str(value)]
        else:
            out.append(str(w))
    return shlex.join(out)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="riskengine")
def main() -> None:
    """riskengine: how likely a production schedule is to be executed as planned,
    and the exact adherence it achieved."""


@main.command()
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


@main.command()
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
    from riskengine.errors import Problem
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
    if repair_path:
        result.repair = repair(loaded)
        if result.repair.ok:
            write_json(result.repair.document, repair_path)
    emit(result, json_path, quiet)
    if repair_path and result.repair.ok and repair_path != "-" and not quiet and json_path != "-":
        click.echo(f"repaired plan written to {repair_path}")
    sys.exit(0 if result.ok else EXIT_FINDINGS)


@main.command()
@click.argument("plan", metavar="PLAN")
@click.option("--premises", required=True, metavar="F", help="The variability model (JSON or TOML).")
@click.option("--replications", type=click.IntRange(1, 10_000_000), default=1000, show_default=True,
              help="Number of replications.")
@click.option("--precision", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              help="Instead of a count: stop when every headline 95%% interval half-width is at "
                   "most this (e.g. 0.01).")
@click.option("--max-replications", type=click.IntRange(1, 10_000_000), default=100_000,
              show_default=True, help="Cap of the adaptive --precision mode.")
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=0, show_default=True,
              help="Seed of the counter-based random numbers.")
@click.option("--engine", type=click.Choice(["kernel", "reference"]), default="kernel",
              show_default=True, help="Simulation engine: the numba kernel or the SimPy reference.")
@click.option("--threads", type=click.IntRange(1, 1024), help="Kernel threads (default: all cores).")
@click.option("--sensitivity", "with_sensitivity", is_flag=True,
              help="Add the tornado: CRN-paired gains if each source or resource is removed or halved.")
@click.option("--confidence", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.8,
              show_default=True, help="Confidence of the rigor advice (how far ahead sequence, mix "
                                      "and volume hold).")
@json_option
@quiet_option
@report_option
@handled
def score(plan, premises, replications, precision, max_replications, seed, engine, threads,
          with_sensitivity, confidence, json_path, quiet, report_path) -> None:
    """Score a plan: probability it is executed as planned, expected adherence, risks.

    On a terminal, a progress line on stderr shows the replications done and
    the current largest headline half-width (not with --quiet, never on stdout)."""
    if threads:
        import numba

        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    from riskengine.analysis.score import score as run
    from riskengine.io.readers import read_plan, read_premises
    from riskengine.model.premises import check_premises_against
    from riskengine.report.progress import batches, progress_line

    loaded = read_plan(plan)
    model = read_premises(premises)
    check_premises_against(model, loaded, source=premises)
    check_report_path(report_path)
    line = progress_line("score", quiet=quiet, total=None if precision else replications, precision=precision)
    batch = None if line is None else (1000 if precision else batches(replications))
    try:
        result = run(loaded, model, replications=replications, precision=precision, seed=seed,
                     engine=engine, max_replications=max_replications,
                     progress=line.update if line else None, batch=batch, confidence=confidence)
    finally:
        if line:
            line.close()
    if with_sensitivity:
        from riskengine.analysis.sensitivity import sensitivity

        line = progress_line("sensitivity", quiet=quiet)
        try:
            result.sensitivity = sensitivity(
                loaded, model, replications=result.replications, seed=seed, engine=engine,
                progress=(lambda done, total: _tick(line, done, total)) if line else None).to_dict()
        finally:
            if line:
                line.close()
    emit(result, json_path, quiet)
    command = command_line("score", plan, ("--premises", premises),
                           ("--replications", None if precision else replications),
                           ("--precision", precision),
                           ("--max-replications", max_replications if precision else None),
                           ("--seed", seed), ("--engine", engine), ("--sensitivity", with_sensitivity),
                           ("--confidence", confidence if confidence != 0.8 else None))
    write_report(result, report_path, quiet, json_path, plan=loaded, command=command)


def _tick(line, done: int, total: int) -> None:
    """Progress of a run whose total is known only once it starts (compare, sensitivity)."""
    line.total = total
    line.update(done)


@main.command()
@click.argument("plans", nargs=-1, required=True, metavar="PLAN_A PLAN_B [PLAN ...]")
@click.option("--premises", required=True, metavar="F", help="The variability model (JSON or TOML).")
@click.option("--replications", type=click.IntRange(1, 10_000_000), default=1000, show_default=True,
              help="Replications per plan.")
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=0, show_default=True,
              help="Seed shared by all plans (common random numbers).")
@click.option("--independent", is_flag=True,
              help="Score each plan with its own seed instead (to see what pairing buys).")
@click.option("--engine", type=click.Choice(["kernel", "reference"]), default="kernel", show_default=True)
@json_option
@quiet_option
@report_option
@handled
def compare(plans, premises, replications, seed, independent, engine, json_path, quiet, report_path) -> None:
    """Compare candidate schedules under common random numbers: paired differences and ranking."""
    from riskengine.analysis.compare import compare as run
    from riskengine.io.readers import read_plan, read_premises
    from riskengine.model.premises import check_premises_against
    from riskengine.report.progress import batches, progress_line

    loaded = [read_plan(p) for p in plans]
    model = read_premises(premises)
    for each in loaded:
        check_premises_against(model, each, source=premises)
    check_report_path(report_path)
    line = progress_line("compare", quiet=quiet, total=replications * len(loaded))
    try:
        result = run(loaded, model, replications=replications, seed=seed, engine=engine,
                     paired=not independent, batch=batches(replications) if line else None,
                     progress=(lambda done, _total: line.update(done)) if line else None)
    finally:
        if line:
            line.close()
    emit(result, json_path, quiet)
    command = command_line("compare", *plans, ("--premises", premises), ("--replications", replications),
                           ("--seed", seed), ("--independent", independent), ("--engine", engine))
    write_report(result, report_path, quiet, json_path,
                 premises=model.model_dump(mode="json", by_alias=True), command=command)


@main.command()
@click.argument("name")
@handled
def schema(name) -> None:
    """Print the JSON Schema of a format: plan, actuals, measurement, ..."""
    from riskengine.errors import Problem
    from riskengine.io.schema import SCHEMAS
    from riskengine.io.schema import schema as build

    if name not in SCHEMAS:
        raise InputError(Problem("NAME", f"unknown schema {name!r}; known: {', '.join(SCHEMAS)}"))
    click.echo(json.dumps(build(name), indent=2))


def _register_calibration() -> None:
    """``calibrate`` and ``backtest`` live in riskengine.calibration.cli."""
    from riskengine.calibration.cli import commands

    for command in commands(handled, emit, json_option, quiet_option):
        main.add_command(command)


_register_calibration()


# -- APS plugin interfaces (issue 8): serve, call, import b2mml ---------------------------------
from riskengine.interop.command import add_commands as _add_import_commands  # noqa: E402
from riskengine.service.command import add_commands as _add_service_commands  # noqa: E402

_add_service_commands(main, handled)
_add_import_commands(main, handled)


# -- commands whose bodies live in their own modules (they do not import this one) --------
def _register(module: str, name: str) -> None:
    import importlib

    command = getattr(importlib.import_module(module), name)
    command.callback = handled(command.callback)
    main.add_command(command)


_register("riskengine.studies.command", "sweep")
_register("riskengine.jobshop.command", "jobshop")
_register("riskengine.interop.convert", "convert")


if __name__ == "__main__":  # pragma: no cover
    main()
