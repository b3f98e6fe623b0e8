"""``riskengine calibrate`` (premises from history) and ``riskengine backtest`` (past forecasts)."""

from __future__ import annotations

from pathlib import Path

import click

from riskengine.cli_helpers import check_file_path, emit, handled, json_option, quiet_option, save_figure


@click.command()
@click.option("--plan", "--plans", "plans", multiple=True, required=True, metavar="PLAN",
              help="A plan version the actuals were produced against; repeat for each.")
@click.option("--actuals", required=True, metavar="ACTUALS",
              help="Realized production (JSON or CSV), with setup_hours and run_hours columns.")
@click.option("--events", metavar="EVENTS", help="Windows, breakdowns, material lots, absences "
              "(riskengine.events/1, CSV or JSON).")
@click.option("--out", required=True, metavar="PREMISES.toml", help="Where to write the premises.")
@click.option("--report", "report_path", metavar="CALIBRATION.json",
              help="Write the calibration report (riskengine.calibration/1: estimates, intervals, n, "
                   "method, fits, fallbacks).")
@click.option("--base", metavar="PREMISES", help="Premises supplying what is not calibrated "
              "(execution, bands, reliability factors).")
@click.option("--min-samples", type=click.IntRange(2, 10_000), default=10, show_default=True,
              help="Least values to fit a distribution.")
@click.option("--min-trials", type=click.IntRange(1, 10_000_000), default=20, show_default=True,
              help="Least trials to estimate a probability.")
@click.option("--deviation-rule", type=click.Choice(["same_family", "easiest_first"]),
              default="same_family", show_default=True, help="Operator deviation rule to read.")
@click.option("--deviation-window", type=click.IntRange(2, 50), default=3, show_default=True,
              help="Operations the operator may choose from (the deviation rule's window).")
@click.option("--absence-effect", type=click.Choice(["stop", "slow"]), default="stop", show_default=True,
              help="What an absent crew does to its resource (not in the data).")
@click.option("--figures", "figures_dir", metavar="DIR",
              help="Write the fit figure (empirical vs fitted CDF) of each fitted quantity as PNG.")
@quiet_option
@handled
def calibrate(plans, actuals, events, out, report_path, base, min_samples, min_trials, deviation_rule,
              deviation_window, absence_effect, figures_dir, quiet) -> None:
    """Estimate premises from realized history; write them as TOML."""
    from riskengine.calibration.estimate import calibrate as run
    from riskengine.calibration.events import read_events
    from riskengine.io.readers import read_actuals, read_history, read_premises
    from riskengine.io.writers import write_json, write_text_atomic

    check_file_path(out, "--out")
    check_file_path(report_path, "--report")
    history = read_history(list(plans))
    records = read_actuals(actuals, history)
    ev = read_events(events, history.versions) if events else None
    base_premises = read_premises(base) if base else None
    result = run(history, records, ev, base=base_premises, min_samples=min_samples,
                 min_trials=min_trials, deviation_window=deviation_window,
                 deviation_rule=deviation_rule, absence_effect=absence_effect)
    if not quiet:
        click.echo(str(result))
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
    write_text_atomic(out, result.premises_toml())
    if report_path:
        write_json(result.to_dict(), report_path)
    if figures_dir:
        from riskengine.calibration.figures import fit_cdf

        for parameter in result.fits:
            save_figure(lambda p=parameter: fit_cdf(result, p), Path(figures_dir) / f"fit-{parameter}.png")
    if not quiet:
        click.echo(f"\npremises written to {out}" + (f", report to {report_path}" if report_path else ""))


@click.command()
@click.option("--plan", "--plans", "plans", multiple=True, required=True, metavar="PLAN",
              help="A past plan version; repeat for each.")
@click.option("--actuals", required=True, metavar="ACTUALS", help="Realized production (JSON or CSV).")
@click.option("--premises", "premises", multiple=True, required=True, metavar="F",
              help="Premises known at the time: once for all plans, or once per plan in the same order.")
@click.option("--replications", type=click.IntRange(1, 10_000_000), default=2000, show_default=True,
              help="Replications per plan version.")
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=0, show_default=True,
              help="Seed of the counter-based random numbers.")
@click.option("--engine", type=click.Choice(["kernel", "reference"]), default="kernel", show_default=True,
              help="Simulation engine: the numba kernel or the SimPy reference.")
@click.option("--figure", "figure_path", metavar="OUT.png", help="Write the reliability diagram.")
@json_option
@quiet_option
@handled
def backtest(plans, actuals, premises, replications, seed, engine, figure_path, json_path, quiet) -> None:
    """Back-test past forecasts: Brier score, reliability, predictive interval coverage."""
    from riskengine.calibration.backtest import backtest as run
    from riskengine.io.readers import read_actuals, read_plan, read_premises
    from riskengine.model.actuals import PlanHistory

    check_file_path(figure_path, "--figure", "a file path (.png, .svg, .pdf)")
    versions = [read_plan(p) for p in plans]  # in the order given: premises follow it
    records = read_actuals(actuals, PlanHistory(versions, source=", ".join(plans)))
    loaded = [read_premises(p) for p in premises]
    result = run(versions, records, loaded, replications=replications, seed=seed, engine=engine)
    emit(result, json_path, quiet)
    if figure_path:
        from riskengine.calibration.figures import reliability

        save_figure(lambda: reliability(result), figure_path)
