"""Coverage of the calibration intervals over simulated histories of the true premises.

``python scenarios/calibration-weeks/coverage.py [SEEDS] [WEEKS]`` simulates SEEDS histories
(seeds 1000, 1001, ...) of WEEKS weeks from ``premises-true.toml`` as ``make_weeks.py``
does, calibrates each and prints, per parameter, how many 95% intervals contain the true
value, with the two-sided binomial test against 95%, and the total. A history where a
figure fell back (e.g. fewer than 10 late lots: an exponential delay, no cv) counts as not
covered for it.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from scipy import stats  # noqa: E402

from riskengine.calibration import calibrate, parse_events, true_values  # noqa: E402
from riskengine.calibration.synthetic import plans_from, realize, weekly_plans  # noqa: E402
from riskengine.io.readers import read_premises  # noqa: E402
from riskengine.model.actuals import PlanHistory, parse_actuals  # noqa: E402


def main(seeds: int = 50, weeks: int = 8) -> None:
    truth = read_premises(HERE / "premises-true.toml")
    template = json.loads((HERE.parent / "example-factory" / "plan-v1.json").read_text())
    plans = plans_from(weekly_plans(template, weeks))
    history = PlanHistory(plans)
    target = true_values(truth, [r.id for r in plans[0].resources])
    covered = dict.fromkeys(target, 0)
    missing = dict.fromkeys(target, 0)
    started = time.perf_counter()
    for seed in range(seeds):
        actuals, events = realize(plans, truth, 1000 + seed)
        records = [{k: v for k, v in row.items() if v != ""} for row in actuals]
        result = calibrate(history, parse_actuals({"format": "riskengine.actuals/1", "records": records},
                                                  history),
                           parse_events({"format": "riskengine.events/1", "events": events}, plans),
                           deviation_rule="easiest_first")
        for key, value in target.items():
            e = result.estimate(*key)
            if e is None:  # a fallback without this figure (e.g. fewer than 10 late lots: no cv)
                missing[key] += 1
                continue
            high = float("inf") if e["high"] is None else e["high"]
            covered[key] += e["low"] <= value <= high
    elapsed = time.perf_counter() - started
    print(f"{seeds} histories of {weeks} weeks in {elapsed:.1f} s\n")
    print(f"{'parameter':<42} {'quantity':<12} {'true':>8} {'covered':>9}  binomial p")
    total = n = 0
    for (param, qty), value in target.items():
        k = covered[(param, qty)]
        p = stats.binomtest(k, seeds, 0.95).pvalue
        note = "  (true 0: always covered, not counted)" if value == 0 else ""
        note += f"  ({missing[(param, qty)]} without an estimate: fallback)" if missing[(param, qty)] else ""
        print(f"{param:<42} {qty:<12} {value:>8.4g} {k:>4} / {seeds:<3} {p:>8.3f}{note}")
        if value > 0:
            total, n = total + k, n + seeds
    print(f"\nall (true values > 0): {total} / {n} = {total / n:.3f}, "
          f"binomial p {stats.binomtest(total, n, 0.95).pvalue:.3f}")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
