"""``riskengine review`` (the review sheet, and the sign-off) and ``riskengine trend``."""

from __future__ import annotations

import click

from riskengine.adherence.command import owners_option
from riskengine.analysis.command import engine_option, seed_option
from riskengine.cli_helpers import (
    check_file_path,
    check_report_path,
    command_line,
    emit,
    handled,
    json_option,
    quiet_option,
    report_option,
    write_report,
)
from riskengine.errors import InputError, Problem


def _refuse(**given) -> None:
    """Options that only the other mode of ``review`` takes."""
    problems = [Problem(f"--{name.replace('_', '-')}", why) for name, (value, why) in given.items()
                if value not in (None, False)]
    if problems:
        raise InputError(problems)


@click.command()
@click.argument("plan", metavar="PLAN")
@click.option("--premises", metavar="F", help="The variability model (JSON or TOML) the plan is scored "
                                                "under; not needed with --sign-off.")
@click.option("--replications", type=click.IntRange(1, 10_000_000), default=1000, show_default=True,
              help="Replications of the score behind the sheet.")
@seed_option
@engine_option
@click.option("--top", type=click.IntRange(1, 1000), default=10, show_default=True,
              help="How many of the operations least likely to be a HIT the sheet lists.")
@click.option("--confidence", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.8,
              show_default=True, help="Confidence of the rigor advice.")
@owners_option
@click.option("--flags-template", "template_path", metavar="OUT.csv",
              help="Write the flags template (CSV: operation, risk, note) to fill in for the sign-off.")
@click.option("--sign-off", "signing", is_flag=True,
              help="Sign the plan off instead: write it with status validated and its validation "
                   "record (--by, --flags, --out).")
@click.option("--by", metavar="NAME", help="With --sign-off: who signs the plan off.")
@click.option("--flags", "flags_path", metavar="FLAGS.csv",
              help="With --sign-off: the filled-in flags template (rows without a risk are skipped).")
@click.option("--at", metavar="TIME", help="With --sign-off: when, ISO 8601 with offset (default: now).")
@click.option("--out", "out_path", metavar="PLAN-validated.json",
              help="With --sign-off: where to write the validated plan ('-' for stdout).")
@json_option
@quiet_option
@report_option
@handled
def review(plan, premises, replications, seed, engine, top, confidence, owners_path, template_path, signing,
           by, flags_path, at, out_path, json_path, quiet, report_path) -> None:
    """The review sheet of a plan, for the supervisor who will execute it: check findings, the
    operations least likely to be a HIT and why (causes and their owners), rigor against the bands,
    the resources where failures start, and a flags template (--flags-template).

    With --sign-off the plan is signed off instead: PLAN is written to --out with status validated
    and its validation record (who, when, the flags of the filled-in template), which measure
    reads to split adherence by validated and not validated plans and to count the flags that
    materialized."""
    from riskengine.io.readers import read_plan

    if signing:
        _refuse(premises=(premises, "scores the plan for the sheet; not used with --sign-off"),
                flags_template=(template_path, "belongs to the sheet, not to --sign-off"),
                json=(json_path, "belongs to the sheet; --sign-off writes the plan to --out"),
                report=(report_path, "belongs to the sheet; --sign-off writes the plan to --out"))
        _sign_off(read_plan(plan), plan, by, flags_path, at, out_path, quiet)
        return
    _refuse(by=(by, "only with --sign-off"), flags=(flags_path, "only with --sign-off"),
            at=(at, "only with --sign-off"), out=(out_path, "only with --sign-off"))
    if premises is None:
        raise InputError(Problem("--premises", "required for the review sheet (the plan is scored under "
                                 "them); `riskengine init PLAN` writes a starter"))
    from riskengine.governance.owners import read_owners
    from riskengine.governance.review import review as run
    from riskengine.io.readers import read_premises
    from riskengine.model.premises import check_premises_against

    loaded, model = read_plan(plan), read_premises(premises)
    check_premises_against(model, loaded, source=premises)
    owners = read_owners(owners_path)
    check_report_path(report_path)
    check_file_path(template_path, "--flags-template")
    result = run(loaded, model, replications=replications, seed=seed, engine=engine, top=top,
                 confidence=confidence, owners=owners)
    emit(result, json_path, quiet)
    if template_path:
        from riskengine.governance.review import flags_csv
        from riskengine.io.writers import write_text_atomic

        write_text_atomic(template_path, flags_csv(result.flags_template))
        if not quiet and json_path != "-":
            click.echo(f"flags template written to {template_path}")
    command = command_line("review", plan, ("--premises", premises), ("--replications", replications),
                           ("--seed", seed), ("--engine", engine), ("--top", top),
                           ("--confidence", confidence if confidence != 0.8 else None),
                           ("--owners", owners_path))
    write_report(result, report_path, quiet, json_path, command=command)


def _sign_off(loaded, plan_path, by, flags_path, at, out_path, quiet) -> None:
    """``review --sign-off``: write the validated plan."""
    from riskengine.feasibility import check
    from riskengine.governance.signoff import read_flags, sign_off
    from riskengine.io.writers import write_json
    from riskengine.model.common import parse_instant

    missing = [Problem(name, "required with --sign-off") for name, v in (("--by", by), ("--out", out_path))
               if not v or not str(v).strip()]
    if missing:
        raise InputError(missing)
    if out_path != "-":
        check_file_path(out_path, "--out")
    try:
        when = parse_instant(at) if at else None
    except ValueError as exc:
        raise InputError(Problem("--at", f"{exc}, got {at!r}")) from None
    flags, skipped = read_flags(flags_path, loaded) if flags_path else ([], 0)
    document = sign_off(loaded, by=by.strip(), at=when, flags=flags)
    errors = check(loaded).errors
    write_json(document, out_path)
    if quiet or out_path == "-":
        if errors:
            click.echo(f"warning: check finds {len(errors)} error(s) in the plan signed off", err=True)
        return
    v = document["validation"]
    click.echo(f"plan {loaded.id} signed off by {v['by']} at {v['at']}: {len(flags)} flag(s)"
               + (f" ({skipped} template row(s) without a risk skipped)" if skipped else "")
               + f"; written to {out_path}")
    if errors:
        click.echo(f"warning: check finds {len(errors)} error(s) in this plan (`riskengine check "
                   f"{plan_path}`): it is signed off as NOT executable as planned; the flags should "
                   "say how the shop floor will deal with them", err=True)


@click.command()
@click.argument("measurements", nargs=-1, required=True, metavar="MEASUREMENT.json ...")
@click.option("--owners", "owners_path", metavar="F.toml",
              help="Who owns each cause and its corrective action (riskengine.owners/1), instead of "
                   "the owners recorded in the measurements' cause Paretos.")
@json_option
@quiet_option
@report_option
@handled
def trend(measurements, owners_path, json_path, quiet, report_path) -> None:
    """Adherence over many weeks, for management, from measurements (measure --json), one period
    each, grouped by the ISO week of their start: BTS, BTP, volume, mix and sequence per week (counts
    summed, never percentages averaged), a p-chart of the weekly HIT rate (3-sigma limits from the
    counts) with the weeks out of control, per resource, area and product family, the misses by
    owner over time, and validated against never validated plans side by side."""
    from riskengine.governance.trend import trend as run
    from riskengine.governance.trend_input import read_measurements

    owners = None
    if owners_path:
        from riskengine.governance.owners import read_owners

        owners = read_owners(owners_path)
    check_report_path(report_path)
    result = run(read_measurements(list(measurements)), owners)
    emit(result, json_path, quiet)
    write_report(result, report_path, quiet, json_path,
                 command=command_line("trend", *measurements, ("--owners", owners_path)))
