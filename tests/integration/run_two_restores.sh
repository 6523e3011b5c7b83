#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Two restores of one snapshot at once: two renames onto the target, and,
# when the rig's optional OpenSearch 3 node runs (SNAPMIG_RIG_NEXT_URL),
# a third restore onto it.  Restores are throttled (max_restore_bytes_per_sec)
# so they overlap; the --json events must show every restore.start before
# the first restore.done.  Counts are verified on every target.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/run/common.sh"

it_load_rig_env
SRC="$SNAPMIG_RIG_SOURCE_URL"
DST="$SNAPMIG_RIG_TARGET_URL"
NEXT="${SNAPMIG_RIG_NEXT_URL:-}"
it_require_search_up source "$SRC"
it_require_search_up target "$DST"
it_require_s3_up
[[ -z "$NEXT" ]] || it_require_search_up next "$NEXT"

RUN="$(it_run_id)"
PREFIX="rn-two-$RUN"
REPO="rn_two_${RUN//-/_}"
NAME="rn-two-$RUN"

it_on_exit "curl -s -m 30 -X DELETE '$SRC/$PREFIX-*'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/_snapshot/$REPO'"
it_on_exit "curl -s -m 60 -X DELETE '$SRC/_snapshot/$REPO/snapmig-$NAME-*'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/_snapshot/$REPO'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/a-$PREFIX-*,b-$PREFIX-*'"
if [[ -n "$NEXT" ]]; then
    it_on_exit "curl -s -m 30 -X DELETE '$NEXT/_snapshot/$REPO'"
    it_on_exit "curl -s -m 30 -X DELETE '$NEXT/$PREFIX-*'"
fi

mapfile -t INDICES < <("$IT_RIG" seed --node source --indices 2 --docs 4000 --prefix "$PREFIX" | awk '{print $1}')

PLAN="$RN_TMP/plan.json"
rn_plan "$PLAN" "$(jq -n --arg s "$SRC" --arg t "$DST" --arg n "$NEXT" --arg repo "$REPO" --arg name "$NAME" \
    --arg b "$SNAPMIG_RIG_S3_BUCKET" --arg run "$RUN" --arg p "$PREFIX" '{
  snapmig: 1, name: $name,
  domains: ({source: {endpoint: $s}, target: {endpoint: $t}} + (if $n != "" then {next: {endpoint: $n}} else {} end)),
  repository: {name: $repo, type: "s3", settings: {bucket: $b, base_path: ("it/run-two/" + $run),
               max_restore_bytes_per_sec: "100kb"}},
  snapshot: {domain: "source", indices: [($p + "-*")]},
  restores: ([
    {domain: "target", rename: {pattern: "^(.+)$", replacement: "a-$1"}, index_settings: {"index.number_of_replicas": 0}},
    {domain: "target", rename: {pattern: "^(.+)$", replacement: "b-$1"}, index_settings: {"index.number_of_replicas": 0}}
  ] + (if $n != "" then [{domain: "next", index_settings: {"index.number_of_replicas": 0}}] else [] end)),
  polling: {initial_ms: 100, max_ms: 500}}')"

rn_run "$RN_TMP/ev.ndjson" --json "$PLAN"
assert_eq 0 "$RN_RC" "exit status ($(cat "$RN_TMP/ev.ndjson.err"))"
rn_check_ndjson "$RN_TMP/ev.ndjson"
n_restores=$([[ -n "$NEXT" ]] && echo 3 || echo 2)
assert_eq "$n_restores" "$(jq -s '[.[] | select(.type == "restore.start")] | length' "$RN_TMP/ev.ndjson")" "restore.start events"
assert_eq "$n_restores" "$(jq -s '[.[] | select(.type == "restore.done" and .state == "restored")] | length' "$RN_TMP/ev.ndjson")" "restore.done events"
# every restore.start comes before the first restore.done
order="$(jq -sr '[to_entries[] | select(.value.type | test("^restore\\.(start|done)$")) | .value.type] | join(" ")' "$RN_TMP/ev.ndjson")"
last_start="$(jq -s '[to_entries[] | select(.value.type == "restore.start") | .key] | max' "$RN_TMP/ev.ndjson")"
first_done="$(jq -s '[to_entries[] | select(.value.type == "restore.done") | .key] | min' "$RN_TMP/ev.ndjson")"
((last_start < first_done)) || it_fail "restores did not overlap: $order"
# and they were really running together: progress of both streams in between
assert_eq "$((n_restores * 2))" "$(jq -s '[.[] | select(.type == "verify.index" and .ok)] | length' "$RN_TMP/ev.ndjson")" "verified indices"
for i in "${INDICES[@]}"; do
    assert_eq 4000 "$(doc_count "$DST" "a-$i")" "docs in a-$i"
    assert_eq 4000 "$(doc_count "$DST" "b-$i")" "docs in b-$i"
    [[ -z "$NEXT" ]] || assert_eq 4000 "$(doc_count "$NEXT" "$i")" "docs in $i on next"
done
it_pass "$n_restores restores overlapped: $order"
