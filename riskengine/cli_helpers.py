"""What every ``riskengine`` command shares: error handling, output, common options.

A command module imports from here (never from :mod:`riskengine.cli`, which
only registers the commands), so a command can live in its own subpackage
without an import cycle:

- :func:`handled` turns bad input into exit 2 with the message naming the
  field (a file that cannot be read or written too), and any other failure
  into exit 1 with one line (never a traceback);
- :func:`emit` prints the terminal summary and writes the JSON result;
- :data:`json_option`, :data:`quiet_option`, :data:`report_option` are the
  options several commands take; :func:`write_report` and
  :func:`command_line` write the HTML report and the command that reproduces it.

Exit codes: 0 success, 2 invalid input, 1 internal error, 3 ``check`` found errors.
"""

from __future__ import annotations

import functools
import os
import shlex
import sys
import traceback
from pathlib import Path

import click
from pydantic import ValidationError

from riskengine.errors import InputError, Problem, from_pydantic

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
        except OSError as exc:  # a file the user named cannot be read or written (name too long,
            # no permission, disk full, ...): the environment or the input, not a bug
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(f"error: {where}{exc.strerror or exc}", err=True)
            sys.exit(EXIT_INVALID)
        except Exception as exc:  # the promise: no input crashes the process with a traceback
            if os.environ.get("RISKENGINE_DEBUG"):
                traceback.print_exc()
            click.echo(f"internal error: {type(exc).__name__}: {exc}", err=True)
            sys.exit(EXIT_INTERNAL)

    wrapper.handled = True  # checked by the tests for every registered command
    return wrapper


def emit(result, json_path: str | None, quiet: bool) -> None:
    """Print the human summary and write the JSON result where asked.

    When the summary is not shown (``--quiet``, ``--json -``) the result's
    ``warnings`` go to stderr, so that they are never lost (the first
    :data:`~riskengine.report.terminal.MAX_WARNINGS`, then how many more)."""
    from riskengine.io.writers import write_json
    from riskengine.report.terminal import capped_warnings

    shown = not quiet and json_path != "-"
    if shown:
        click.echo(str(result))
    document = result.to_dict() if json_path or not shown else None
    if document is not None and not shown:
        for line in capped_warnings(document.get("warnings") or []):
            click.echo(line, err=True)
    if json_path:
        write_json(document, json_path)
        if json_path != "-" and not quiet:
            click.echo(f"\nresult written to {json_path}")


json_option = click.option("--json", "json_path", metavar="PATH",
                           help="Write the JSON result to PATH ('-' for stdout).")
quiet_option = click.option("--quiet", is_flag=True, help="No terminal summary.")
report_option = click.option("--report", "report_path", metavar="OUT.html",
                             help="Also write a self-contained HTML report (figures, tables, premises).")


def check_file_path(path: str | None, option: str, what: str = "a file path") -> None:
    """Refuse an output path that is a directory or stdout (before any work is done)."""
    if path is not None and (path == "-" or Path(path).is_dir()):
        raise InputError(Problem(option, f"must be {what}, got {path!r}"))


def check_report_path(path: str | None) -> None:
    """Refuse an unusable report path before any work is done."""
    check_file_path(path, "--report")


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


def tick(line, done: int, total: int) -> None:
    """Progress of a run whose total is known only once it starts (compare, sensitivity)."""
    line.total = total
    line.update(done)


def set_threads(threads: int | None) -> None:
    """Limit the kernel's threads (None: all cores)."""
    if threads:
        import numba

        from riskengine._jit import max_threads

        numba.set_num_threads(min(threads, max_threads()))


def save_figure(draw, path: str | os.PathLike) -> None:
    """Draw a matplotlib figure with ``draw()`` (returns its axes) on the Agg backend, save it to
    ``path`` and close it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = draw()
    ax.figure.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    ax.figure.savefig(path, dpi=110)
    plt.close(ax.figure)
