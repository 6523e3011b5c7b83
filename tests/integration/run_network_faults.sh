#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Network faults between snapmig and real servers, injected with Toxiproxy
# (the rig's): a migration whose domains sit behind 40 ms of latency each
# way, whose source connections are reset while it polls the snapshot, and
# whose target connections stall (timeout toxic) while it polls the
# restore, finishes on its own: the lost polls are "no news" (logged as
# "still waiting"), nothing is restored twice, the counts are verified and
# the repository holds one snapshot of the plan.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/run/common.sh"

it_source_and_target
it_require_s3_up
it_require_toxiproxy_up

RUN="$(it_run_id)"
PREFIX="nf-$RUN"
REPO="nf_${RUN//-/_}"
NAME="nf-$RUN"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/$PREFIX-*'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/moved-$PREFIX-*'"
it_on_exit "curl -s -m 60 -X DELETE '$SRC/_snapshot/$REPO/snapmig-*'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/_snapshot/$REPO'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/_snapshot/$REPO'"
mapfile -t INDICES < <("$IT_RIG" seed --node source --indices 2 --docs 20000 --prefix "$PREFIX" | awk '{print $1}')

TSRC="$(tp_proxy source "$SRC")"
TDST="$(tp_proxy target "$DST")"
tp_toxic source '{"name":"lat_down","type":"latency","stream":"downstream","attributes":{"latency":40,"jitter":5}}' >/dev/null
tp_toxic source '{"name":"lat_up","type":"latency","stream":"upstream","attributes":{"latency":40,"jitter":5}}' >/dev/null
tp_toxic target '{"name":"lat_down","type":"latency","stream":"downstream","attributes":{"latency":40,"jitter":5}}' >/dev/null
tp_toxic target '{"name":"lat_up","type":"latency","stream":"upstream","attributes":{"latency":40,"jitter":5}}' >/dev/null

PLAN="$RN_TMP/plan.json"
rn_plan "$PLAN" "$(jq -n --arg s "$TSRC" --arg t "$TDST" --arg repo "$REPO" --arg name "$NAME" \
    --arg b "$SNAPMIG_RIG_S3_BUCKET" --arg run "$RUN" --arg p "$PREFIX" '{
  snapmig: 1, name: $name,
  domains: {source: {endpoint: $s, timeout_s: 3}, target: {endpoint: $t, timeout_s: 3}},
  repository: {name: $repo, type: "s3", settings: {bucket: $b, base_path: ("it/netfaults/" + $run),
               max_snapshot_bytes_per_sec: "200kb", max_restore_bytes_per_sec: "200kb"}},
  snapshot: {domain: "source", indices: [($p + "-*")]},
  restores: [{domain: "target", rename: {pattern: "^(.+)$", replacement: "moved-$1"},
              index_settings: {"index.number_of_replicas": 0}}],
  polling: {initial_ms: 100, max_ms: 500}}')"
"$SNM_BINARY" validate "$PLAN" >/dev/null || it_fail "plan does not validate: $("$SNM_BINARY" validate "$PLAN" 2>&1)"

# still_waiting N: stderr holds at least N "still waiting" lines
still_waiting() { (($(grep -c "still waiting" "$RN_TMP/ev.err" || true) >= $1)); }

rn_start "$RN_TMP/ev" --json -v "$PLAN"
# the source resets every connection while the snapshot is polled
wait_for "snapshot.progress" 60 rn_has_event "$RN_TMP/ev" snapshot.progress
tp_toxic source '{"name":"reset","type":"reset_peer","stream":"upstream","attributes":{"timeout":0}}' >/dev/null
wait_for "a lost snapshot poll" 60 still_waiting 1
tp_untoxic source reset
# the target stalls every connection while the restore is polled
wait_for "restore.progress" 120 rn_has_event "$RN_TMP/ev" restore.progress
n="$(grep -c "still waiting" "$RN_TMP/ev.err" || true)"
tp_toxic target '{"name":"stall","type":"timeout","stream":"downstream","attributes":{"timeout":0}}' >/dev/null
wait_for "a lost recovery poll" 60 still_waiting $((n + 1))
tp_untoxic target stall
rn_wait_pid "$RN_PID" 300

assert_eq 0 "$RN_RC" "exit after network faults ($(grep -v 'still waiting' "$RN_TMP/ev.err" | tail -3))"
rn_check_ndjson "$RN_TMP/ev"
assert_eq 2 "$(jq -s '[.[] | select(.type == "verify.index" and .ok)] | length' "$RN_TMP/ev")" "verified"
assert_eq 1 "$(jq -s '[.[] | select(.type == "restore.start")] | length' "$RN_TMP/ev")" "one restore"
assert_eq 1 "$(rn_snapshots_of "$SRC" "$REPO" "$NAME")" "snapshots of the plan"
for i in "${INDICES[@]}"; do
    assert_eq 20000 "$(doc_count "$DST" "moved-$i")" "docs in moved-$i"
done
it_pass "latency, resets while polling the snapshot, stalls while polling the restore: finished and verified"
