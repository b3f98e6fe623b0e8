"""``riskengine import table FILE --kind KIND --map MAP.toml``: a spreadsheet export as a plan or actuals.

Added to the ``import`` group in :mod:`riskengine.interop.command`;
the import itself is :func:`riskengine.interop.tables.import_table`.
"""

from __future__ import annotations

import click


def table_command(handled) -> click.Command:
    """The ``table`` command (``handled``: the CLI's error wrapper)."""
    from riskengine.interop.tables import KINDS

    @click.command(name="table")
    @click.argument("file", metavar="FILE", required=False)
    @click.option("--kind", type=click.Choice(list(KINDS)), help="What the rows are: plan operations, "
                  "actual records or customer orders (due dates).")
    @click.option("--map", "map_path", metavar="MAP.toml", help="The column map (see --template).")
    @click.option("--timezone", metavar="ZONE", help="IANA time zone of times without UTC offset "
                  "(e.g. Europe/Berlin).")
    @click.option("--plan", "plans", multiple=True, metavar="PLAN",
                  help="Check imported actuals against these plan versions (orders: against the last "
                  "one's operations).")
    @click.option("--json", "json_path", default="-", show_default=True, metavar="PATH",
                  help="Where to write the document ('-' for stdout).")
    @click.option("--template", is_flag=True, help="Print a commented column map for --kind (default "
                  "plan) and exit.")
    @click.option("--quiet", is_flag=True, help="No summary or notes on stderr.")
    @handled
    def table(file, kind, map_path, timezone, plans, json_path, template, quiet) -> None:
        """Import a spreadsheet export (CSV with any delimiter, or .xlsx) through a column map:
        -> riskengine.plan/1, riskengine.actuals/1 or an orders table (which a plan's "orders" may
        name). Extra columns are ignored (with a note); naive
        local times are localized in --timezone; a bad cell is named (exit 2)."""
        from riskengine.errors import InputError, Problem
        from riskengine.interop.tables import import_table
        from riskengine.interop.tables import template as make_template
        from riskengine.io.readers import read_history
        from riskengine.io.writers import write_json

        if template:
            click.echo(make_template(kind or "plan"), nl=False)
            return
        missing = [Problem(name, "required (or --template)") for name, value in
                   (("FILE", file), ("--kind", kind), ("--map", map_path)) if not value]
        if missing:
            raise InputError(missing)
        if plans and kind not in ("actuals", "orders"):
            raise InputError(Problem("--plan", "checks actuals and orders only (--kind actuals, orders)"))
        history = read_history(list(plans)) if plans else None
        made = import_table(file, kind, map_path, timezone=timezone, history=history)
        write_json(made.document, json_path)
        if not quiet:
            for note in made.notes:
                click.echo(f"note: {note}", err=True)
            doc = made.document
            what = {"plan": lambda: f"plan {doc['id']}: {len(doc['operations'])} operations on "
                            f"{len(doc['resources'])} resources",
                    "actuals": lambda: f"actuals: {len(doc['records'])} records",
                    "orders": lambda: f"{len(doc['orders'])} orders"}[kind]()
            click.echo(f"imported {what}" + (f" -> {json_path}" if json_path != "-" else ""), err=True)

    return table
