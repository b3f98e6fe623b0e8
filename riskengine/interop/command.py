"""``riskengine import b2mml|table FILE``: other systems' schedules and performance as plans or actuals.

``import`` is a group: other importers join it as its subcommands.
"""

from __future__ import annotations

import click

from riskengine.cli_helpers import handled
from riskengine.interop.table_command import table_command


@click.group(name="import")
def import_() -> None:
    """Import plans and actuals from other systems' formats."""


import_.add_command(table_command(handled))


@import_.command()
@click.argument("file", metavar="FILE.xml")
@click.option("--json", "json_path", default="-", show_default=True, metavar="PATH",
              help="Where to write the plan or actuals document ('-' for stdout).")
@click.option("--bucket-hours", type=click.FloatRange(0, 24 * 366, min_open=True), default=8.0,
              show_default=True, help="Bucket size of an imported plan (B2MML has none).")
@click.option("--plan", "plans", multiple=True, metavar="PLAN",
              help="A plan version the imported actuals were produced against (their operations must be "
                   "in one of them); repeat for every re-published version.")
@click.option("--timezone", metavar="ZONE", help="IANA time zone of times without UTC offset "
              "(e.g. Europe/Berlin); without it such times are refused.")
@click.option("--quantity-key", metavar="KEY", help="The Key of the Quantity to read where a "
              "material has several.")
@click.option("--quiet", is_flag=True, help="No summary on stderr.")
@handled
def b2mml(file, json_path, bucket_hours, plans, timezone, quantity_key, quiet) -> None:
    """Read an ISA-95 B2MML ProductionSchedule (-> riskengine.plan/1) or ProductionPerformance
    (-> riskengine.actuals/1), V0401 or V0600+. Untrusted XML is safe: DTDs and entities are
    refused."""
    from riskengine.extras import require

    require("defusedxml", "B2MML import")
    from riskengine.interop.b2mml import read_b2mml
    from riskengine.io.readers import read_history
    from riskengine.io.writers import write_json

    history = read_history(list(plans)) if plans else None
    kind, document = read_b2mml(file, bucket_hours=bucket_hours, history=history, timezone=timezone,
                                quantity_key=quantity_key)
    write_json(document, json_path)
    if not quiet:
        if kind == "plan":
            what = (f"plan {document['id']}: {len(document['operations'])} operations on "
                    f"{len(document['resources'])} resources")
        else:
            what = (f"actuals: {len(document['records'])} records"
                    + (f", checked against {len(plans)} plan version(s)" if plans else ""))
        click.echo(f"imported {what}" + (f" -> {json_path}" if json_path != "-" else ""), err=True)
