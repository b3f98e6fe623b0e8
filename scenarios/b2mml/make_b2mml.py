"""Write the B2MML samples of this folder from the example factory (ISA-95 import, issue 8).

    python scenarios/b2mml/make_b2mml.py

``schedule-v1.xml`` .. ``schedule-v3.xml`` are the example factory's three plan
versions as ProductionSchedules; ``performance.xml`` is its week of actuals as a
ProductionPerformance, produced against all three (import it with the three
imported plans: ``--plan`` once per version).
``riskengine import b2mml FILE`` reads them back (calendars are not part of a
B2MML schedule, so the imported plan works around the clock).
"""

from __future__ import annotations

from pathlib import Path

from riskengine.interop.b2mml import actuals_to_performance, plan_to_schedule
from riskengine.io.readers import read_csv_rows, read_plan
from riskengine.io.writers import write_text_atomic

HERE = Path(__file__).resolve().parent
FACTORY = HERE.parent / "example-factory"


def main() -> None:
    for v in (1, 2, 3):
        schedule = plan_to_schedule(read_plan(FACTORY / f"plan-v{v}.json"))
        write_text_atomic(HERE / f"schedule-v{v}.xml", schedule)
    records = read_csv_rows(FACTORY / "actuals.csv")
    write_text_atomic(HERE / "performance.xml", actuals_to_performance(records, "wk47-performance"))


if __name__ == "__main__":
    main()
