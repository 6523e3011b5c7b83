#!/usr/bin/env bash
# A restore whose primaries no node may ever hold is reported at once, not
# at polling.timeout_s (found by the kill-point driver: it waited 24 h):
# index_settings require a node name that does not exist, so the shards
# stay UNASSIGNED with reason NEW_INDEX_RESTORED - as shards waiting in the
# allocation queue do - and only the allocator's explanation (can_allocate
# "no") tells them apart.  The run must exit 1 long before its 300 s
# timeout, naming the index, the shard and what to do.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/run/common.sh"

it_load_rig_env
SRC="$SNAPMIG_RIG_SOURCE_URL"
DST="$SNAPMIG_RIG_TARGET_URL"
it_require_search_up source "$SRC"
it_require_search_up target "$DST"
it_require_s3_up

RUN="$(it_run_id)"
PREFIX="rn-nop-$RUN"
REPO="rn_nop_${RUN//-/_}"
NAME="rn-nop-$RUN"

it_on_exit "curl -s -m 30 -X DELETE '$SRC/$PREFIX-*'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/_snapshot/$REPO'"
it_on_exit "curl -s -m 60 -X DELETE '$SRC/_snapshot/$REPO/snapmig-$NAME-*'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/_snapshot/$REPO'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/f-$PREFIX-*'"

mapfile -t INDICES < <("$IT_RIG" seed --node source --indices 1 --docs 50 --prefix "$PREFIX" | awk '{print $1}')

PLAN="$RN_TMP/plan.json"
rn_plan "$PLAN" "$(jq -n --arg s "$SRC" --arg t "$DST" --arg repo "$REPO" --arg name "$NAME" \
    --arg b "$SNAPMIG_RIG_S3_BUCKET" --arg run "$RUN" --arg p "$PREFIX" '{
  snapmig: 1, name: $name,
  domains: {source: {endpoint: $s}, target: {endpoint: $t}},
  repository: {name: $repo, type: "s3", settings: {bucket: $b, base_path: ("it/run-noplace/" + $run)}},
  snapshot: {domain: "source", indices: [($p + "-*")]},
  restores: [{domain: "target", rename: {pattern: "^(.+)$", replacement: "f-$1"},
              index_settings: {"index.number_of_replicas": 0,
                               "index.routing.allocation.require._name": "no-such-node"}}],
  polling: {initial_ms: 100, max_ms: 1000, timeout_s: 300}}')"

STATE="$RN_TMP/state.json"
start=$SECONDS
rn_start "$RN_TMP/out.txt" --state "$STATE" "$PLAN"
rn_wait_pid "$RN_PID" 120
took=$((SECONDS - start))
err="$(cat "$RN_TMP/out.txt.err")"
assert_eq 1 "$RN_RC" "exit status ($err)"
((took < 120)) || it_fail "the failure took ${took}s to notice"
target="f-${INDICES[0]}"
for want in "restoring $target failed" "primary shard 0" "cannot be allocated" \
    "run snapmig again"; do
    grep -qF -- "$want" <<<"$err" || it_fail "the message lacks '$want': $err"
done
assert_eq failed "$(rn_state_get "$STATE" '.restores[0].state')" "restore state"
assert_eq red "$(it_json GET "$DST/_cluster/health/$target" | jq -r .status)" "health of $target"
it_pass "an unplaceable restore was reported after ${took}s"
