"""Generate the governance-weeks scenario: eight weeks, the last four with plans validated by operations.

Run ``python scenarios/governance-weeks/make_weeks.py``; it writes, next to itself:

- ``plans/week-01.json`` .. ``week-08.json``: the plans in effect (``riskengine.plan/1``), the
  example factory's week (``../example-factory/plan-v1.json``) repeated from Monday 16 November
  2026, each as planning proposed it: the carton packer K2 has had no night crew on Tuesday and
  Wednesday nights since week 47 (its calendar says so) but planning still loads those nights
  (``riskengine check`` finds the operations in non-working time). Weeks 1-4 were published as
  proposed, never validated. From week 5 the supervisor reviews each proposal
  (``riskengine review``), planning repairs what check finds (``riskengine check --repair``),
  the supervisor signs the repaired plan off, flagging the three operations the review sheet
  finds least likely to be a HIT (``riskengine review --sign-off``), and planning publishes it.
- ``proposed/week-05.json`` .. ``week-08.json``: the proposals reviewed in weeks 5-8, and
  ``flags/week-05.csv`` .. ``week-08.csv`` the risks the supervisor flagged at their sign-off.
- ``actuals/week-01.csv`` .. ``week-08.csv``: what the shop floor recorded, each week executed
  by the SimPy reference simulator from ``../example-factory/premises.toml`` (week w is
  replication w - 1 of seed 47, :func:`riskengine.calibration.synthetic.realize_week`).

Running it again gives the same files (fixed seeds, fixed sign-off times).
"""

from __future__ import annotations

import copy
import csv
import json
import sys
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from riskengine.calibration.synthetic import ACTUALS_COLUMNS, realize_week, weekly_plans  # noqa: E402
from riskengine.feasibility import repair  # noqa: E402
from riskengine.governance.review import review  # noqa: E402
from riskengine.governance.signoff import sign_off  # noqa: E402
from riskengine.io.readers import read_premises  # noqa: E402
from riskengine.model.plan import parse_plan  # noqa: E402

SEED = 47
WEEKS = 8
VALIDATED_FROM = 5
FACTORY = ROOT / "scenarios" / "example-factory"
SUPERVISOR = "K. Meyer (shift supervisor)"


def without_night_crew(doc: dict) -> dict:
    """The week as planning proposed it: the carton packer K2 has no night crew on Tuesday and
    Wednesday nights (its calendar says so), but the operations planned on it are those of the
    three-shift week (``riskengine check`` finds them in non-working time)."""
    doc = copy.deepcopy(doc)
    nights = [{"start": start, "end": start + 8, "reason": "no night crew"} for start in (40, 64)]
    doc.setdefault("calendars", {})["K2"] = {"non_working": nights}  # hours from the horizon start
    return doc


def validated(proposal: dict, premises, week: int) -> tuple[dict, list[dict]]:
    """Review, repair and sign-off of a proposal: the plan planning publishes, and the flags."""
    fixed = repair(parse_plan(proposal))
    doc = dict(fixed.document, id=proposal["id"])
    plan = parse_plan(doc)
    sheet = review(plan, premises, replications=400, seed=week, top=3)
    flags = [{"operation": o["id"], "risk": o["causes"][0]["cause"] if o["causes"] else "unknown",
              "note": f"flagged at review: P(HIT) {100 * o['hit']['mean']:.0f}%"} for o in sheet.operations]
    at = plan.published_at - timedelta(hours=2)
    return sign_off(plan, by=SUPERVISOR, at=at, flags=flags) | {"status": "published"}, flags


def write_json(path: Path, doc: dict) -> None:
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")


def write_csv(path: Path, columns: tuple[str, ...], rows: list[dict]) -> None:
    path.parent.mkdir(exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
        out.writeheader()
        for row in rows:
            out.writerow({k: ("" if row.get(k) is None else row[k]) for k in columns})


def main() -> None:
    template = json.loads((FACTORY / "plan-v1.json").read_text(encoding="utf-8"))
    premises = read_premises(FACTORY / "premises.toml")
    for w, doc in enumerate(weekly_plans(template, WEEKS, prefix="W"), start=1):
        name = f"week-{w:02d}"
        proposal = without_night_crew(doc) | {"id": name, "status": "proposed"}
        if w < VALIDATED_FROM:
            final = proposal | {"status": "published"}
        else:
            write_json(HERE / "proposed" / f"{name}.json", proposal)
            final, flags = validated(proposal, premises, w)
            write_csv(HERE / "flags" / f"{name}.csv", ("operation", "risk", "note"), flags)
        write_json(HERE / "plans" / f"{name}.json", final)
        actuals, _ = realize_week(parse_plan(final), premises, SEED, w - 1)
        write_csv(HERE / "actuals" / f"{name}.csv", ACTUALS_COLUMNS, actuals)


if __name__ == "__main__":
    main()
