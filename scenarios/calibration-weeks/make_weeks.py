"""Generate the calibration-weeks scenario: eight weeks of realized data from known premises.

Run ``python scenarios/calibration-weeks/make_weeks.py``; it writes, next to itself,
``premises-true.toml`` (the truth), ``plans/week-01.json`` .. ``week-08.json`` (the
example factory's plan wk47-v1 repeated over eight consecutive weeks), ``actuals.csv``
and ``events.csv`` (what the shop floor recorded, simulated by the SimPy reference from
the true premises: week w is replication w - 1 of seed 2026). Running it again gives
the same files.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from riskengine.calibration.events import COLUMNS  # noqa: E402
from riskengine.calibration.synthetic import ACTUALS_COLUMNS, plans_from, realize, weekly_plans  # noqa: E402
from riskengine.io.toml_writer import to_toml  # noqa: E402
from riskengine.model.premises import parse_premises  # noqa: E402

SEED = 2026
WEEKS = 8
TEMPLATE = ROOT / "scenarios" / "example-factory" / "plan-v1.json"


def truth(materials: list[str]) -> dict:
    """The true premises (riskengine.premises/1) the weeks are simulated from."""
    late = {"probability": 0.1, "delay_hours": {"dist": "lognormal", "mean": 6.0, "cv": 0.8}}
    return {
        "format": "riskengine.premises/1",
        "defaults": {
            "breakdowns": {"mtbf_hours": {"dist": "exponential", "mean": 30.0},
                           "mttr_hours": {"dist": "lognormal", "mean": 1.5, "cv": 0.6}},
            "performance": {"dist": "lognormal", "mean": 0.95, "cv": 0.05},
            "scrap_rate": 0.01,
            "setup_overrun": {"dist": "lognormal", "mean": 1.2, "cv": 0.4},
        },
        "resources": {
            "P1": {"breakdowns": {"mtbf_hours": {"dist": "exponential", "mean": 20.0},
                                  "mttr_hours": {"dist": "gamma", "mean": 2.0, "cv": 0.5}},
                   "absenteeism": {"probability": 0.03, "effect": "stop"}},
            "K1": {"absenteeism": {"probability": 0.05, "effect": "stop"}},
            "K2": {"absenteeism": {"probability": 0.04, "effect": "stop"}},
        },
        "materials": {m: {"late": late} for m in materials},
        "operator": {"deviation": {"probability": 0.15, "window": 3, "rule": "easiest_first"}},
        "execution": {"early_start": False, "on_blocked": "wait", "lateness_tolerance_hours": 1.0,
                      "quantity_tolerance": 0.98},
    }


def write_csv(path: Path, columns: tuple[str, ...], rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
        w.writeheader()
        for row in rows:
            w.writerow({k: ("" if row.get(k) is None else row[k]) for k in columns})


def main() -> None:
    template = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    documents = weekly_plans(template, WEEKS, prefix="W")
    materials = list(dict.fromkeys(m for op in template["operations"] for m in op.get("materials", [])))
    true = truth(materials)
    premises = parse_premises(true)
    (HERE / "plans").mkdir(exist_ok=True)
    for w, doc in enumerate(documents):
        doc["id"] = f"week-{w + 1:02d}"
        (HERE / "plans" / f"week-{w + 1:02d}.json").write_text(json.dumps(doc, indent=1) + "\n",
                                                                encoding="utf-8")
    actuals, events = realize(plans_from(documents), premises, SEED)
    (HERE / "premises-true.toml").write_text(to_toml(true, (
        "The true premises of the calibration-weeks scenario (written by make_weeks.py).\n"
        "The actuals and events were simulated from them; calibration should recover them.")),
        encoding="utf-8")
    write_csv(HERE / "actuals.csv", ACTUALS_COLUMNS, actuals)
    write_csv(HERE / "events.csv", COLUMNS, events)


if __name__ == "__main__":
    main()
