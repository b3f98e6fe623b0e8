"""``riskengine sweep STUDY.toml --out results.parquet [--dask ADDRESS]``."""

from __future__ import annotations

import sys

import click

from riskengine.cli_helpers import handled


def _progress(quiet: bool):
    """A 'cells done' line on stderr when it is a terminal (never with --quiet)."""
    from riskengine.report.progress import stderr_is_terminal

    if quiet or not stderr_is_terminal():
        return None

    def show(done: int, total: int) -> None:
        sys.stderr.write(f"\rsweep: {done}/{total} cells" + ("\n" if done == total else ""))
        sys.stderr.flush()

    return show


@click.command()
@click.argument("study", metavar="STUDY.toml")
@click.option("--out", required=True, metavar="PATH",
              help="Result table: .parquet or .csv (finished cells are kept in PATH.cells/ until it is "
                   "written, so an interrupted sweep resumes).")
@click.option("--csv", "csv_path", metavar="PATH", help="Also write the table as CSV.")
@click.option("--dask", "address", metavar="ADDRESS",
              help="Run on a dask.distributed scheduler (e.g. tcp://host:8786), or 'local' for a "
                   "LocalCluster; default: local processes.")
@click.option("--workers", type=click.IntRange(1, 4096),
              help="Local processes (default 1: this process, the kernel on all cores) or LocalCluster "
                   "workers (default: the number of cores).")
@click.option("--keep-cells", is_flag=True, help="Keep PATH.cells/ after the table is written.")
@click.option("--quiet", is_flag=True, help="No summary, no progress.")
@handled
def sweep(study, out, csv_path, address, workers, keep_cells, quiet) -> None:
    """Run every cell of a study (plans x design points) and write one row per cell
    with each metric's mean and 95% interval. Cell seeds derive from the study seed
    and the cell, so the table is the same on any backend and worker count."""
    from riskengine.studies import read_study
    from riskengine.studies import sweep as run
    from riskengine.studies.table import check_out, write_table

    loaded = read_study(study)
    if csv_path:
        check_out(csv_path)
    result = run(loaded, out=out, backend="dask" if address else "local", address=address, workers=workers,
                 keep_cells=keep_cells, progress=_progress(quiet))
    if csv_path:
        write_table(result.rows, csv_path)
    if not quiet:
        click.echo(str(result))
        click.echo(f"table written to {out}" + (f" and {csv_path}" if csv_path else ""))
