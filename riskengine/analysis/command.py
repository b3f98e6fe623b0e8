"""``riskengine score`` and ``riskengine compare``: forecasts of a plan's execution."""

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
    set_threads,
    tick,
    write_report,
)

premises_option = click.option("--premises", required=True, metavar="F",
                               help="The variability model (JSON or TOML); `riskengine init PLAN` "
                                    "writes a starter.")
seed_option = click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=0, show_default=True,
                           help="Seed of the counter-based random numbers.")
engine_option = click.option("--engine", type=click.Choice(["kernel", "reference"]), default="kernel",
                             show_default=True,
                             help="Simulation engine: the numba kernel or the SimPy reference.")
memory_option = click.option("--max-memory", type=click.FloatRange(0, min_open=True), default=4096.0,
                             show_default=True, metavar="MB",
                             help="Refuse a run estimated to need more memory than this (MiB), "
                                  "before any work (exit 2 with the estimate).")

dask_option = click.option("--dask", "dask_address", metavar="ADDRESS",
                           help="Spread the replications over a Dask cluster: a scheduler address "
                                "(tcp://host:8786), or 'local' for a LocalCluster of one worker per core "
                                "made for this run. The result is bit-identical (extra: sweep).")


def _check_memory(plans, premises, replications: int, max_memory: float, keep_head: bool = False) -> None:
    """Exit 2 (InputError) when the run's memory estimate (riskengine.simulation.memory) is over
    ``max_memory`` MiB."""
    import numba

    from riskengine.simulation.memory import estimate, shape_of

    need = max(estimate(shape_of(p, premises), replications, numba.get_num_threads(), plans=len(plans),
                        keep_head=keep_head) for p in plans)
    refuse_over(need, replications, max_memory)


def refuse_over(need: int, replications: int, max_memory: float) -> None:
    """Exit 2 (InputError) when ``need`` bytes, a run's memory estimate, are over ``max_memory`` MiB."""
    from riskengine.errors import InputError, Problem
    from riskengine.simulation.memory import MB, describe

    if need > max_memory * MB:
        cap = describe(int(max_memory * MB))
        raise InputError(Problem("--max-memory", f"the run needs {describe(need)} of memory (estimated "
                                 f"for {replications} replications); the cap is {cap}: ask for fewer "
                                 "replications, or raise the cap with --max-memory MB"))


def _read(plans, premises):
    """The plans and premises, validated and checked against each other."""
    from riskengine.io.readers import read_plan, read_premises
    from riskengine.model.premises import check_premises_against

    loaded = [read_plan(p) for p in plans]
    model = read_premises(premises)
    for each in loaded:
        check_premises_against(model, each, source=premises)
    return loaded, model


def _score(plan, premises, quiet: bool, cluster, **options):
    """``score``'s run with its progress line (on a terminal, not with --quiet)."""
    from riskengine.analysis.score import score as run
    from riskengine.report.progress import batches, compile_notice, progress_line
    from riskengine.simulation.runner import announce_compile

    precision, replications = options["precision"], options["replications"]
    line = progress_line("score", quiet=quiet, total=None if precision else replications, precision=precision)
    batch = None if line is None else (1000 if precision else batches(replications))
    try:
        with announce_compile(compile_notice(quiet)):
            return run(plan, premises, progress=line.update if line else None, batch=batch, dask=cluster,
                       **options)
    finally:
        if line:
            line.close()


def _sensitivity(plan, premises, quiet: bool, cluster, replications: int, seed: int, engine: str):
    """``score --sensitivity``'s tornado, with its progress line."""
    from riskengine.analysis.sensitivity import sensitivity
    from riskengine.report.progress import progress_line

    line = progress_line("sensitivity", quiet=quiet)
    try:
        return sensitivity(plan, premises, replications=replications, seed=seed, engine=engine, dask=cluster,
                           progress=(lambda done, total: tick(line, done, total)) if line else None).to_dict()
    finally:
        if line:
            line.close()


@click.command()
@click.argument("plan", metavar="PLAN")
@premises_option
@click.option("--replications", type=click.IntRange(1, 10_000_000), default=1000, show_default=True,
              help="Number of replications.")
@click.option("--precision", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              help="Instead of a count: stop when every headline 95% interval half-width is at "
                   "most this (e.g. 0.01).")
@click.option("--max-replications", type=click.IntRange(1, 10_000_000), default=100_000,
              show_default=True, help="Cap of the adaptive --precision mode.")
@seed_option
@engine_option
@click.option("--threads", type=click.IntRange(1, 1024), help="Kernel threads (default: all cores).")
@click.option("--sensitivity", "with_sensitivity", is_flag=True,
              help="Add the tornado: CRN-paired gains if each source or resource is removed or halved.")
@click.option("--confidence", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.8,
              show_default=True, help="Confidence of the rigor advice (how far ahead sequence, mix "
                                      "and volume hold).")
@memory_option
@dask_option
@json_option
@quiet_option
@report_option
@handled
def score(plan, premises, replications, precision, max_replications, seed, engine, threads,
          with_sensitivity, confidence, max_memory, dask_address, json_path, quiet, report_path) -> None:
    """Score a plan: probability it is executed as planned, expected adherence, risks.

    An operation is a HIT when it completes within its planned bucket plus the
    premises' lateness tolerance, with its quantity (times the quantity
    tolerance), in sequence; the plan holds when every operation is a HIT.
    Riskiest operations are the least likely to be a HIT; critical operations
    are where the failures start. Criticality: the share of replications whose
    first miss began at the operation. Cruciality: correlation of its delay
    with the plan's loss of BTS. SSI: sd(its duration) / sd(the plan's finish)
    x criticality (Vanhoucke 2010).

    On a terminal, a progress line on stderr shows the replications done and
    the current largest headline half-width (not with --quiet, never on stdout).

    With --dask the replications run as chunks on a Dask cluster (docs/design.md section 6,
    "Scale-out"); the JSON is the same, bit for bit."""
    set_threads(threads)
    from riskengine.analysis.cluster import connect

    (loaded,), model = _read([plan], premises)
    check_report_path(report_path)
    _check_memory([loaded], model, max_replications if precision else replications, max_memory,
                  keep_head=with_sensitivity)
    with connect(dask_address) as cluster:
        result = _score(loaded, model, quiet, cluster, replications=replications, precision=precision,
                        seed=seed, engine=engine, max_replications=max_replications, confidence=confidence)
        if with_sensitivity:
            result.sensitivity = _sensitivity(loaded, model, quiet, cluster, result.replications, seed,
                                              engine)
    emit(result, json_path, quiet)
    command = command_line("score", plan, ("--premises", premises),
                           ("--replications", None if precision else replications),
                           ("--precision", precision),
                           ("--max-replications", max_replications if precision else None),
                           ("--seed", seed), ("--engine", engine), ("--sensitivity", with_sensitivity),
                           ("--confidence", confidence if confidence != 0.8 else None))
    write_report(result, report_path, quiet, json_path, plan=loaded, command=command)


@click.command()
@click.argument("plans", nargs=-1, required=True, metavar="PLAN_A PLAN_B [PLAN ...]")
@premises_option
@click.option("--replications", type=click.IntRange(1, 10_000_000), default=1000, show_default=True,
              help="Replications per plan.")
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=0, show_default=True,
              help="Seed shared by all plans (common random numbers).")
@click.option("--independent", is_flag=True,
              help="Score each plan with its own seed instead (to see what pairing buys).")
@click.option("--rank-by", type=click.Choice(["plan_holds", "on_time"]), default="plan_holds",
              show_default=True,
              help="Rank by P(plan holds), or by the orders on time with >= 80% probability.")
@engine_option
@memory_option
@dask_option
@json_option
@quiet_option
@report_option
@handled
def compare(plans, premises, replications, seed, independent, rank_by, engine, max_memory, dask_address,
            json_path, quiet, report_path) -> None:
    """Compare candidate schedules under common random numbers: paired differences and ranking.

    With --dask each plan's replications run as chunks on a Dask cluster; the JSON is the same."""
    from riskengine.analysis.compare import compare as run
    from riskengine.report.progress import batches, compile_notice, progress_line
    from riskengine.simulation.runner import announce_compile

    loaded, model = _read(plans, premises)
    check_report_path(report_path)
    _check_memory(loaded, model, replications, max_memory, keep_head=True)
    line = progress_line("compare", quiet=quiet, total=replications * len(loaded))
    try:
        with announce_compile(compile_notice(quiet)):
            result = run(loaded, model, replications=replications, seed=seed, engine=engine,
                         paired=not independent, batch=batches(replications) if line else None,
                         progress=(lambda done, _total: line.update(done)) if line else None,
                         rank_by=rank_by, dask=dask_address)
    finally:
        if line:
            line.close()
    emit(result, json_path, quiet)
    command = command_line("compare", *plans, ("--premises", premises), ("--replications", replications),
                           ("--seed", seed), ("--independent", independent),
                           ("--rank-by", None if rank_by == "plan_holds" else rank_by), ("--engine", engine))
    write_report(result, report_path, quiet, json_path,
                 premises=model.model_dump(mode="json", by_alias=True), command=command)


@click.command()
@click.argument("plan", metavar="PLAN")
@premises_option
@click.option("--replications", type=click.IntRange(1, 100_000), default=10, show_default=True,
              help="Number of replications to write (two files each).")
@click.option("--out", "out", required=True, metavar="DIR",
              help="The folder to write (complete or absent: written beside, then renamed).")
@seed_option
@engine_option
@click.option("--force", is_flag=True, help="Replace DIR if it exists.")
@json_option
@quiet_option
@handled
def simulate(plan, premises, replications, out, seed, engine, force, json_path, quiet) -> None:
    """Write K simulated replications as realized data (docs/design.md section 5).

    DIR/replication-0001.csv ... are riskengine.actuals/1 (numbered from 1 = replication 0 of
    score), DIR/events-0001.csv ... riskengine.events/1 (windows with run hours, breakdowns,
    material arrivals, absences), DIR/summary.csv one row per replication with its own figures
    (plan_holds, bts, btp, volume, mix, sequence, hits, finish_hours). `riskengine measure --plan
    PLAN --actuals DIR/replication-0001.csv --premises F` gives exactly row 1's figures, and the
    mean of a column equals score's mean for the same seed and replications."""
    from riskengine.analysis.simulate import simulate as run
    from riskengine.report.progress import compile_notice, progress_line
    from riskengine.simulation.runner import announce_compile

    (loaded,), model = _read([plan], premises)
    line = progress_line("simulate", quiet=quiet, total=replications)
    try:
        with announce_compile(compile_notice(quiet)):
            result = run(loaded, model, replications=replications, seed=seed, out=out, engine=engine,
                         force=force, progress=line.update if line else None)
    finally:
        if line:
            line.close()
    emit(result, json_path, quiet)
