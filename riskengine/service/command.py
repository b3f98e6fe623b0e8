"""``riskengine serve`` (the HTTP service) and ``riskengine call`` (one request over stdin/stdout).

``riskengine call OPERATION`` reads the body of ``POST /v1/OPERATION`` (a JSON
request with the plan, premises or actuals inline and the run options) from
stdin or ``--request FILE`` and writes the result document to stdout or
``--json PATH``: the same code path as the service, for APS tools that
prefer to spawn a process. Invalid input exits 2 with every problem on
stderr (as JSON with ``--errors-json``).

The web stack is imported only when ``serve`` runs.
"""

from __future__ import annotations

import json
import sys

import click

from riskengine.cli_helpers import handled
from riskengine.errors import InputError, Problem


def _serve(host, port, api_key, workers, max_queued, max_body_mb, max_operations, sync_work, job_work,
           max_memory_mb, state_dir, keep_results, openapi_path, log_level, dask_address) -> None:
    try:
        import uvicorn

        from riskengine.service.app import Settings, create_app
    except ImportError as exc:
        raise click.ClickException(f"the service needs its extra: python -m pip install "
                                   f"'riskengine[service]' ({exc})") from None
    from riskengine.service.requests import Limits

    if openapi_path:
        from riskengine.io.writers import write_json
        from riskengine.service.openapi import generate

        write_json(generate(keyed=bool(api_key)), openapi_path)
        return
    limits = Limits(max_body_bytes=int(max_body_mb * 2**20), max_operations=max_operations,
                    sync_work=sync_work, job_work=job_work, max_memory_bytes=int(max_memory_mb * 2**20))
    from riskengine.analysis.cluster import connect

    with connect(dask_address) as cluster:  # reached (or refused, exit 2) before serving
        settings = Settings(limits=limits, api_key=api_key or None, workers=workers, max_queued=max_queued,
                            state_dir=state_dir, keep_results_hours=keep_results, dask=cluster)
        app = create_app(settings)
        jobs = "a temporary folder (lost at exit: use --state-dir to keep them)"
        click.echo(f"riskengine service on http://{host}:{port} (OpenAPI: /openapi.json, docs: /docs); "
                   f"API key {'required' if settings.api_key else 'not required'}; jobs in "
                   f"{state_dir or jobs}{f', run on Dask ({dask_address})' if cluster else ''}", err=True)
        # SIGTERM: requests in flight get GRACE_SECONDS, running jobs go back to the queue within the
        # manager's drain_seconds (jobs.JobManager.shutdown); the process then exits at once
        uvicorn.run(app, host=host, port=port, log_level=log_level, timeout_graceful_shutdown=GRACE_SECONDS)
    _exit_now_if_threads_remain()


#: Seconds a request in flight may still take once the service is asked to stop.
GRACE_SECONDS = 3


def _exit_now_if_threads_remain() -> None:
    """End the process even if a simulation batch still runs in a thread (it would be joined at
    exit, for as long as the batch takes): its job is back in the queue already."""
    import logging
    import os
    import threading

    if any(t.is_alive() for t in threading.enumerate() if t is not threading.main_thread()):
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def _finite(_ctx, param, value):
    """Click callback: a limit must be a finite number (inf, nan and 1e400 are refused)."""
    import math

    if value is not None and not math.isfinite(value):
        raise click.BadParameter(f"must be a finite number, got {value!r}", param=param)
    return value


def _call(operation, request_path, json_path, errors_json) -> None:
    from riskengine.io.readers import read_json
    from riskengine.io.writers import write_json
    from riskengine.service.operations import run
    from riskengine.service.requests import validate

    data = read_json(request_path)
    try:
        result = run(validate(operation, data, strict=True))
    except InputError as exc:
        if errors_json:
            click.echo(json.dumps(exc.to_dict(), indent=2), err=True)
            sys.exit(2)
        raise
    write_json(result, json_path)
    if operation == "check" and result["summary"]["errors"]:
        sys.exit(3)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--api-key", envvar="RISKENGINE_API_KEY", show_envvar=True, metavar="KEY",
              help="Require this key in the X-API-Key header (prefer the environment variable).")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Jobs running at once (each job's kernel already uses every core).")
@click.option("--max-queued", type=click.IntRange(0, 100_000), default=8, show_default=True,
              help="Jobs waiting beyond the running ones; more get 503 with Retry-After.")
@click.option("--max-body-mb", type=click.FloatRange(0, min_open=True), default=16.0, show_default=True,
              callback=_finite, help="Largest request body (MiB); larger ones get 413.")
@click.option("--max-operations", type=click.IntRange(1), default=50_000, show_default=True,
              help="Most operations per plan; more get 413.")
@click.option("--sync-work", type=click.FloatRange(0, min_open=True), default=5e7, show_default=True,
              callback=_finite,
              help="Most operation-replications a synchronous call may simulate (413 beyond).")
@click.option("--job-work", type=click.FloatRange(0, min_open=True), default=1e10, show_default=True,
              callback=_finite, help="Most operation-replications a job may simulate (413 beyond).")
@click.option("--max-memory-mb", type=click.FloatRange(0, min_open=True), default=1024.0, show_default=True,
              callback=_finite, help="Most memory one request may need, estimated before any work "
                                     "(MiB; 413 beyond).")
@click.option("--state-dir", type=click.Path(file_okay=False), metavar="DIR",
              help="Keep jobs in DIR/jobs.sqlite3: queued jobs survive a restart, results stay "
                   "readable, several service processes may share DIR (on a local disk).")
@click.option("--keep-results", type=click.FloatRange(0, min_open=True), default=24.0, show_default=True,
              callback=_finite, metavar="HOURS",
              help="Hours a finished job's result stays readable (unless deleted first).")
@click.option("--openapi", "openapi_path", metavar="PATH",
              help="Write the OpenAPI document to PATH ('-' for stdout) and exit.")
@click.option("--log-level", type=click.Choice(["critical", "error", "warning", "info", "debug"]),
              default="info", show_default=True)
@click.option("--dask", "dask_address", metavar="ADDRESS",
              help="Run the jobs' replications on a Dask cluster: a scheduler address, or 'local' "
                   "(a LocalCluster of one worker per core for the life of the service; extra: sweep). "
                   "Results are bit-identical; synchronous calls run in this process.")
@handled
def serve(**options) -> None:
    """Run the HTTP service for APS tools (FastAPI on uvicorn): /v1/score, /v1/compare,
    /v1/measure, /v1/check, /v1/review, /v1/trend, /v1/forecast, /v1/jobs, /v1/schemas/NAME, /healthz,
    /openapi.json."""
    _serve(**options)


@click.command()
@click.argument("operation", type=click.Choice(["score", "compare", "measure", "check", "review", "trend",
                                                "forecast"]))
@click.option("--request", "request_path", default="-", show_default=True, metavar="FILE",
              help="The request (the body of POST /v1/OPERATION); '-' reads stdin.")
@click.option("--json", "json_path", default="-", show_default=True, metavar="PATH",
              help="Where to write the result ('-' for stdout).")
@click.option("--errors-json", is_flag=True, help="Invalid input: the problems as JSON on stderr.")
@handled
def call(operation, request_path, json_path, errors_json) -> None:
    """Run one request as the service would, JSON in (stdin) and out (stdout).

    Example: riskengine call score < request.json > result.json"""
    if request_path == json_path and request_path != "-":
        raise InputError(Problem("--json", "must not overwrite the request file"))
    _call(operation, request_path, json_path, errors_json)
