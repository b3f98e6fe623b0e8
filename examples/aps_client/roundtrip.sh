#!/usr/bin/env bash
# The round trip of an APS tool with the riskengine service, in plain curl (+ jq for JSON):
# health, a synchronous score, a job polled to completion with its progress, and an invalid
# request answered with every problem located.
#
#   export RISKENGINE_API_KEY=s3cret                    # optional: the service then requires it
#   riskengine serve --port 8000 &                      # python -m pip install 'riskengine[service]'
#   examples/aps_client/roundtrip.sh http://127.0.0.1:8000
#
# It waits up to WAIT seconds (default 30) for a service that is still starting.
# Environment: RISKENGINE_API_KEY (sent as X-API-Key when set: export it, so that the service and
# this script both see it), PLAN and PREMISES (JSON files; default: the example factory's plan-v1
# and these premises), REPLICATIONS (default 500).
set -euo pipefail
BASE=${1:-http://127.0.0.1:8000}
HERE=$(cd "$(dirname "$0")" && pwd)
PLAN=${PLAN:-$HERE/../../scenarios/example-factory/plan-v1.json}
PREMISES=${PREMISES:-$HERE/premises.json}
REPLICATIONS=${REPLICATIONS:-500}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
AUTH=()
if [ -n "${RISKENGINE_API_KEY:-}" ]; then AUTH=(-H "X-API-Key: $RISKENGINE_API_KEY"); fi
call() {  # call METHOD PATH [BODY_FILE] -> response body on stdout, HTTP status in $WORK/status
    local method=$1 path=$2 body=${3:-}
    local args=(-sS -X "$method" "${AUTH[@]}" -o "$WORK/response" -w '%{http_code}')
    if [ -n "$body" ]; then args+=(-H 'Content-Type: application/json' --data-binary "@$body"); fi
    curl "${args[@]}" "$BASE$path" > "$WORK/status"
    cat "$WORK/response"
}

for _ in $(seq "$((${WAIT:-30} * 5))"); do  # a service started in the background may still be starting
    curl -sf -o /dev/null "$BASE/healthz" && break
    sleep 0.2
done
echo "== health"
call GET /healthz | jq -c '{status, version, api_key_required}'
if [ "$(jq -r .api_key_required "$WORK/response")" = true ] && [ -z "${RISKENGINE_API_KEY:-}" ]; then
    echo "the service requires an API key: export RISKENGINE_API_KEY=... (the service's key) and run again"
    exit 1
fi

echo "== POST /v1/score ($REPLICATIONS replications, seed 1)"
jq -n --slurpfile plan "$PLAN" --slurpfile premises "$PREMISES" --argjson n "$REPLICATIONS" \
    '{plan: $plan[0], premises: $premises[0], replications: $n, seed: 1}' > "$WORK/score.json"
call POST /v1/score "$WORK/score.json" > "$WORK/sync.json"
[ "$(cat "$WORK/status")" = 200 ] || { echo "score failed (HTTP $(cat "$WORK/status")): $(cat "$WORK/sync.json")"; exit 1; }
jq -c '{plan, replications, plan_holds: .plan_holds.mean, bts: .adherence.bts.mean, finish_p90: .finish.p90}' \
    "$WORK/sync.json"

echo "== POST /v1/jobs (the same request as a job)"
jq '{operation: "score", request: .}' "$WORK/score.json" > "$WORK/job.json"
id=$(call POST /v1/jobs "$WORK/job.json" | jq -r .id)
[ "$(cat "$WORK/status")" = 202 ] || { echo "job refused: $(cat "$WORK/response")"; exit 1; }
while true; do
    call GET "/v1/jobs/$id" > "$WORK/state.json"
    status=$(jq -r .status "$WORK/state.json")
    echo "job $id: $status $(jq -c .progress "$WORK/state.json")"
    case $status in done) break ;; failed|cancelled) exit 1 ;; esac
    sleep 0.2
done
if [ "$(jq -c .result.plan_holds "$WORK/state.json")" = "$(jq -c .plan_holds "$WORK/sync.json")" ]; then
    echo "job result = synchronous result (same seed): plan holds $(jq .result.plan_holds.mean "$WORK/state.json")"
else
    echo "job result differs from the synchronous one"; exit 1
fi

echo "== an invalid request: every problem, located"
jq '.replications = 0 | .plan.operations[0].quantity = -5' "$WORK/score.json" > "$WORK/bad.json"
call POST /v1/score "$WORK/bad.json" | jq -r '.problems[] | "  \(.location): \(.message)"'
echo "HTTP $(cat "$WORK/status")"
