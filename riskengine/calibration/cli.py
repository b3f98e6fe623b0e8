"""The ``calibrate`` and ``backtest`` commands.

:func:`commands` builds them with the shared helpers of :mod:`riskengine.cli` (passed in,
so this module does not import the CLI module that registers it: no import cycle).
"""

from __future__ import annotations

from pathlib import Path

import click

from riskengine.errors import InputError, Problem


def _figure_path(path: str | None) -> None:
    if path is not None and (path == "-" or Path(path).is_dir()):
        raise InputError(Problem("--figure", f"must be a file path (.png, .svg, .pdf), got {path!r}"))


def commands(handled, emit, json_option, quiet_option) -> list[click.Command]:
    """The two commands, decorated with the CLI's error handling and options."""

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
    @click.option("--deviation-window", type=click.IntRange(2, 50), default=3, show_default=True)
    @click.option("--absence-effect", type=click.Choice(["stop", "slow"]), default="stop", show_default=True)
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

        if Path(out).is_dir() or (report_path is not None and Path(report_path).is_dir()):
            raise InputError(Problem("--out", "must be a file path"))
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
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt

            from riskengine.calibration.figures import fit_cdf

            Path(figures_dir).mkdir(parents=True, exist_ok=True)
            for parameter in result.fits:
                ax = fit_cdf(result, parameter)
                ax.figure.tight_layout()
                ax.figure.savefig(Path(figures_dir) / f"fit-{parameter}.png", dpi=110)
                plt.close(ax.figure)
        if not quiet:
            click.echo(f"\npremises written to {out}" + (f", report to {report_path}" if report_path else ""))


    @click.command()
    @click.option("--plan", "--plans", "plans", multiple=True, required=True, metavar="PLAN",
                  help="A past plan version; repeat for each.")
    @click.option("--actuals", required=True, metavar="ACTUALS", help="Realized production (JSON or CSV).")
    @click.option("--premises", "premises", multiple=True, required=True, metavar="F",
                  help="Premises known at the time: once for all plans, or once per plan in the same order.")
    @click.option("--replications", type=click.IntRange(1, 10_000_000), default=2000, show_default=True)
    @click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=0, show_default=True)
    @click.option("--engine", type=click.Choice(["kernel", "reference"]), default="kernel", show_default=True)
    @click.option("--figure", "figure_path", metavar="OUT.png", help="Write the reliability diagram.")
    @json_option
    @quiet_option
    @handled
    def backtest(plans, actuals, premises, replications, seed, engine, figure_path, json_path, quiet) -> None:
        """Back-test past forecasts: Brier score, reliability, predictive interval coverage."""
        from riskengine.calibration.backtest import backtest as run
        from riskengine.io.readers import read_actuals, read_plan, read_premises
        from riskengine.model.actuals import PlanHistory

        _figure_path(figure_path)
        versions = [read_plan(p) for p in plans]  # in the order given: premises follow it
        records = read_actuals(actuals, PlanHistory(versions, source=", ".join(plans)))
        loaded = [read_premises(p) for p in premises]
        result = run(versions, records, loaded, replications=replications, seed=seed, engine=engine)
        emit(result, json_path, quiet)
        if figure_path:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt

            from riskengine.calibration.figures import reliability

            ax = reliability(result)
            ax.figure.tight_layout()
            Path(figure_path).parent.mkdir(parents=True, exist_ok=True)
            ax.figure.savefig(figure_path, dpi=110)
            plt.close(ax.figure)

    return [calibrate, backtest]
