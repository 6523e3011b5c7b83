#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `snapmig run` OpenSearch -> OpenSearch through the rig's S3 bucket, with a
# rename and index_settings: exit 0, the restored names, counts and content
# (checked with curl), the --json event stream (every line an event, the
# documented order), the state file, `status` after the run, and a second
# run that says it is already done.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/run/common.sh"

it_source_and_target
it_require_s3_up

RUN="$(it_run_id)"
PREFIX="rn-s3-$RUN"
REPO="rn_s3_${RUN//-/_}"
NAME="rn-s3-$RUN"
BASE_PATH="it/run-s3/$RUN"

it_on_exit "curl -s -m 30 -X DELETE '$SRC/$PREFIX-*'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/_snapshot/$REPO'"
it_on_exit "curl -s -m 60 -X DELETE '$SRC/_snapshot/$REPO/snapmig-$NAME-*'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/_snapshot/$REPO'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/moved-*-$RUN'"

mapfile -t INDICES < <("$IT_RIG" seed --node source --indices 3 --docs 400 --prefix "$PREFIX" | awk '{print $1}')
assert_eq 3 "${#INDICES[@]}" "seeded indices"

PLAN="$RN_TMP/plan.json"
rn_plan "$PLAN" "$(jq -n --arg s "$SRC" --arg t "$DST" --arg repo "$REPO" --arg name "$NAME" \
    --arg b "$SNAPMIG_RIG_S3_BUCKET" --arg bp "$BASE_PATH" --arg p "$PREFIX" --arg run "$RUN" '{
  snapmig: 1, name: $name,
  domains: {source: {endpoint: $s}, target: {endpoint: $t}},
  repository: {name: $repo, type: "s3", settings: {bucket: $b, base_path: $bp}},
  snapshot: {domain: "source", indices: [($p + "-*")]},
  restores: [{domain: "target",
              rename: {pattern: ("^" + $p + "-(?<n>[0-9]+)$"), replacement: ("moved-${n}-" + $run)},
              index_settings: {"index.number_of_replicas": 0}}],
  polling: {initial_ms: 100, max_ms: 1000}}')"

# status before any run: exit 1, says so
rc=0
"$SNM_BINARY" status "$PLAN" >"$RN_TMP/st0" 2>&1 || rc=$?
assert_eq 1 "$rc" "status before a run"
assert_contains "$(cat "$RN_TMP/st0")" "no run recorded for plan $NAME" "status before a run"

start=$(date +%s%N)
rn_run "$RN_TMP/ev.ndjson" --json "$PLAN"
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
assert_eq 0 "$RN_RC" "exit status of run ($(cat "$RN_TMP/ev.ndjson.err"))"

# --json: NDJSON events only, in the documented order
rn_check_ndjson "$RN_TMP/ev.ndjson"
types="$(rn_types "$RN_TMP/ev.ndjson" | grep -v -e '\.progress$' -e '^warning$' | tr '\n' ' ')"
assert_eq "run.start preflight.done repository.registered snapshot.start snapshot.done restore.start restore.index restore.done verify.index verify.done run.done " \
    "$types" "event sequence"
assert_eq 3 "$(jq -s '[.[] | select(.type == "verify.index" and .ok)] | length' "$RN_TMP/ev.ndjson")" "verified indices"
assert_eq '["source","target"]' "$(jq -sc '[.[] | select(.type == "repository.registered") | .domain] | sort' "$RN_TMP/ev.ndjson")" "registrations"
assert_eq true "$(jq -s '[.[] | select(.type == "repository.registered" and .domain == "target")][0].readonly' "$RN_TMP/ev.ndjson")" "target registration read-only"
SNAP="$(jq -sr '.[0].snapshot' "$RN_TMP/ev.ndjson")"
assert_eq success "$(jq -sr '.[-1].status' "$RN_TMP/ev.ndjson")" "run.done status"

# on the servers
for i in "${INDICES[@]}"; do
    n="${i##*-}"
    assert_eq 400 "$(doc_count "$DST" "moved-$n-$RUN")" "docs in moved-$n-$RUN"
    rn_fingerprint_eq "$SRC" "$DST" "$i" "moved-$n-$RUN"
    assert_eq 0 "$(jq -r '.[].settings.index.number_of_replicas' <<<"$(it_json GET "$DST/moved-$n-$RUN/_settings")")" "replicas of moved-$n-$RUN"
done
body="$(it_json GET "$DST/_snapshot/$REPO")"
assert_eq true "$(jq -r ".[\"$REPO\"].settings.readonly" <<<"$body")" "readonly registration on target"
body="$(it_json GET "$SRC/_snapshot/$REPO/$SNAP")"
assert_eq SUCCESS "$(jq -r '.snapshots[0].state' <<<"$body")" "snapshot state"
assert_eq "$NAME" "$(jq -r '.snapshots[0].metadata.snapmig_plan' <<<"$body")" "snapshot metadata"
assert_eq "$(printf '%s\n' "${INDICES[@]}" | sort | paste -sd,)" "$(jq -r '.snapshots[0].indices | sort | join(",")' <<<"$body")" "snapshot indices"

# state file: 0600, step done, every index verified
STATE="$RN_TMP/.snapmig/$NAME.state.json"
assert_eq 600 "$(stat -c %a "$STATE")" "state file mode"
assert_eq done "$(rn_state_get "$STATE" .step)" "state step"
assert_eq '["verified"]' "$(jq -c '[.rounds[-1].restores[0].indices[].state] | unique' "$STATE")" "index states"

# status after the run
out="$("$SNM_BINARY" status "$PLAN")" || it_fail "status after the run failed"
assert_contains "$out" "step: done" "status after"
assert_contains "$out" "on source: SUCCESS" "status after: live snapshot state"
assert_contains "$out" "recovered 3/3 indices" "status after: live recovery"
assert_eq done "$("$SNM_BINARY" status --json "$PLAN" | jq -r .state.step)" "status --json step"

# again: already done, exit 0, nothing new
rn_run "$RN_TMP/again" "$PLAN"
assert_eq 0 "$RN_RC" "exit of a second run"
assert_contains "$(cat "$RN_TMP/again.err")" "already migrated" "second run"
assert_contains "$(cat "$RN_TMP/again.err")" "--fresh" "second run points to --fresh"
assert_eq 1 "$(rn_snapshots_of "$SRC" "$REPO" "$NAME")" "snapshots of the plan"

it_pass "3 indices moved and verified in ${elapsed_ms} ms"
