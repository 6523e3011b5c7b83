#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Proof test of the rig's Toxiproxy: a proxy in front of the real target node
# forwards requests; a latency toxic delays the answer by at least its
# latency; reset_peer and timeout toxics make requests fail; a downstream
# timeout toxic loses the answer of a request the server did execute; and
# removing the toxics restores service. Needs the rig: tests/rig/rig up
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

it_load_rig_env
it_require_search_up target "$SNAPMIG_RIG_TARGET_URL"
it_require_toxiproxy_up

DST="$SNAPMIG_RIG_TARGET_URL"
IDX="tp-$(it_run_id)"
it_on_exit "curl -s -m 30 -X DELETE '$DST/$IDX'"

# req CURL_ARGS...: one request; sets RC (curl's exit code), CODE (HTTP
# status, 000 without an answer), BODY and SECS (curl's time_total).
req() {
    local out
    RC=0
    out="$(curl -s -m 30 -o "$BODY_FILE" -w '%{http_code} %{time_total}' "$@")" || RC=$?
    CODE="${out% *}"
    SECS="${out#* }"
    BODY="$(cat "$BODY_FILE" 2>/dev/null || true)"
}
BODY_FILE="$(mktemp)"
it_on_exit "rm -f '$BODY_FILE'"

PROXY="$(tp_proxy target "$DST")"
it_log "toxiproxy proxy $PROXY -> $DST"

req "$PROXY/_cluster/health"
assert_eq 200 "$CODE" "GET _cluster/health through Toxiproxy"
assert_eq snapmig-rig-target "$(jq -r .cluster_name <<<"$BODY")" "cluster behind Toxiproxy"

# ------------------------------------------------------------------ latency
toxic="$(tp_toxic target '{"type":"latency","stream":"downstream","attributes":{"latency":1500,"jitter":0}}')"
assert_eq latency_downstream "$toxic" "name of the latency toxic"
req "$DST/_cluster/health"
direct="$SECS"
req "$PROXY/_cluster/health"
assert_eq 200 "$CODE" "request through the latency toxic"
awk -v t="$SECS" 'BEGIN { exit !(t >= 1.5) }' ||
    it_fail "latency toxic of 1500 ms: the request took only ${SECS}s"
it_log "ok: latency toxic: ${SECS}s through Toxiproxy (direct: ${direct}s)"
tp_untoxic target "$toxic"
req "$PROXY/_cluster/health"
assert_eq 200 "$CODE" "after removing the latency toxic"

# --------------------------------------------------------------- reset_peer
tp_toxic target '{"type":"reset_peer","attributes":{"timeout":0}}' >/dev/null
req "$PROXY/_cluster/health"
assert_ne 0 "$RC" "reset_peer: curl must fail"
assert_eq 000 "$CODE" "reset_peer: no HTTP answer"
it_log "ok: reset_peer: curl exit $RC"
tp_clear target
req "$PROXY/_cluster/health"
assert_eq 200 "$CODE" "service restored after removing reset_peer"

# ------------------------------------------------------------------ timeout
# timeout > 0: the connection is closed after that long, without data.
tp_toxic target '{"type":"timeout","attributes":{"timeout":500}}' >/dev/null
req "$PROXY/_cluster/health"
assert_ne 0 "$RC" "timeout 500: curl must fail"
assert_eq 000 "$CODE" "timeout 500: no HTTP answer"
it_log "ok: timeout toxic (500 ms): curl exit $RC after ${SECS}s"
tp_clear target

# timeout 0 on the downstream only: the request reaches the server, which
# executes it, but its answer never comes back; only the client's own
# timeout (curl -m 3, exit 28) ends the wait.
tp_toxic target '{"type":"timeout","stream":"downstream","attributes":{"timeout":0}}' >/dev/null
req -m 3 -X PUT -H 'Content-Type: application/json' \
    --data-binary '{"settings":{"number_of_shards":1,"number_of_replicas":0}}' "$PROXY/$IDX"
assert_eq 28 "$RC" "downstream blackhole: curl gives up on its own timeout"
assert_eq 000 "$CODE" "downstream blackhole: no HTTP answer"
index_there() { [[ "$(curl -s -m 10 -o /dev/null -w '%{http_code}' -I "$DST/$IDX")" == 200 ]]; }
wait_for "the PUT whose answer was lost created $IDX" 30 index_there
it_log "ok: downstream timeout toxic: answer lost, index $IDX created"
tp_clear target

assert_eq 0 "$(curl -s -m 10 "$SNAPMIG_RIG_TOXIPROXY_URL/proxies/$(tp__name target)/toxics" | jq length)" \
    "no toxics left"
req "$PROXY/_cluster/health"
assert_eq 200 "$CODE" "service restored after removing every toxic"

it_pass "latency, reset_peer and timeout toxics in front of the real target node"
