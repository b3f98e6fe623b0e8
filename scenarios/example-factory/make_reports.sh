#!/usr/bin/env bash
# The three HTML reports of the example factory (score, compare, measure) and their JSON results.
# Usage, from anywhere:  bash scenarios/example-factory/make_reports.sh [OUT_DIR]
# OUT_DIR defaults to out/example-factory at the repository root (ignored by git);
# REPLICATIONS (default 2000) sets the replications of score and compare.
# Same files every run: fixed seed, and the reports carry no timestamp.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:-$root/out/example-factory}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
reps="${REPLICATIONS:-2000}"
cd "$root"
here=scenarios/example-factory

riskengine score "$here/plan-v1.json" --premises "$here/premises.toml" --replications "$reps" --seed 1 \
    --sensitivity --quiet --json "$out/score.json" --report "$out/score.html"
riskengine compare "$here/plan-v1.json" "$here/plan-v2.json" "$here/plan-v3.json" \
    --premises "$here/premises.toml" --replications "$reps" --seed 1 \
    --quiet --json "$out/compare.json" --report "$out/compare.html"
riskengine measure --plan "$here/plan-v1.json" --plan "$here/plan-v2.json" --plan "$here/plan-v3.json" \
    --actuals "$here/actuals.csv" --premises "$here/premises.toml" --quiet --json "$out/measure.json" \
    --report "$out/measure.html"

echo "reports written to $out: score.html compare.html measure.html"
