#!/usr/bin/env bash
# The review sheet of week 5's proposal and the eight-week trend of the governance-weeks scenario,
# with their JSON results and the weekly measurements.
# Usage, from anywhere:  bash scenarios/governance-weeks/make_reports.sh [OUT_DIR]
# OUT_DIR defaults to out/governance-weeks at the repository root (ignored by git);
# REPLICATIONS (default 1000) sets the replications of the review sheet's score.
# Same files every run: fixed seed, and the reports carry no timestamp.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:-$root/out/governance-weeks}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
reps="${REPLICATIONS:-1000}"
cd "$root"
here=scenarios/governance-weeks

riskengine review "$here/proposed/week-05.json" --premises scenarios/example-factory/premises.toml \
    --replications "$reps" --seed 5 --quiet --flags-template "$out/flags-week-05.csv" \
    --json "$out/review.json" --report "$out/review.html"
for week in 01 02 03 04 05 06 07 08; do
    riskengine measure --plan "$here/plans/week-$week.json" --actuals "$here/actuals/week-$week.csv" \
        --lateness-tolerance 1 --quantity-tolerance 0.98 --quiet --json "$out/measure-week-$week.json"
done
riskengine trend "$out"/measure-week-0?.json --quiet --json "$out/trend.json" --report "$out/trend.html"

echo "reports written to $out: review.html trend.html"
