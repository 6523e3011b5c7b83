#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Crash safety: `snapmig run` killed with SIGKILL while it polls the
# snapshot, run again (killed again while it polls the restore), run a
# third time: it completes, the repository holds exactly ONE snapshot of
# the plan, the target holds each index once with the right count, and the
# resumed runs say so (run.start resumed: true, same run id and snapshot).
# The third run resumes from the state file rewritten as snapmig 0.1 wrote
# it (format 1: one snapshot and its restores at the top level).
# Snapshot and restore are throttled by repository settings so the kill
# points are reached deterministically (waited for on the --json events).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/run/common.sh"

it_source_and_target
it_require_s3_up

RUN="$(it_run_id)"
rn_throttled_setup kill 20000
STATE="$RN_TMP/.snapmig/$NAME.state.json"

# 1: killed while the snapshot runs
rn_start "$RN_TMP/ev1" --json "$PLAN"
wait_for "first snapshot.progress" 60 rn_has_event "$RN_TMP/ev1" snapshot.progress
kill -9 "$RN_PID"
rn_wait_pid "$RN_PID" 10
assert_eq snapshot "$(rn_state_get "$STATE" .step)" "state step after kill 1"
assert_eq started "$(rn_state_get "$STATE" .rounds[-1].snapshot.state)" "snapshot state after kill 1"
SNAP="$(rn_state_get "$STATE" .rounds[-1].snapshot.name)"
RUN_ID="$(rn_state_get "$STATE" .run_id)"

# 2: resumed, killed while the restore runs
rn_start "$RN_TMP/ev2" --json "$PLAN"
wait_for "restore.progress of the resumed run" 120 rn_has_event "$RN_TMP/ev2" restore.progress '.bytes_total > 0'
kill -9 "$RN_PID"
rn_wait_pid "$RN_PID" 10
assert_eq true "$(jq -s '.[0].resumed' "$RN_TMP/ev2")" "second run resumed"
assert_eq "$SNAP" "$(jq -sr '.[0].snapshot' "$RN_TMP/ev2")" "same snapshot name"
assert_eq "$RUN_ID" "$(jq -sr '.[0].run_id' "$RN_TMP/ev2")" "same run id"
assert_eq restore "$(rn_state_get "$STATE" .step)" "state step after kill 2"
assert_eq '["restoring"]' "$(jq -c '[.rounds[-1].restores[0].indices[].state] | unique' "$STATE")" "index states after kill 2"
assert_eq 0 "$(jq -s '[.[] | select(.type == "repository.registered")] | length' "$RN_TMP/ev2")" "no second registration"

# 3: resumed to the end, from a format 1 state file (snapmig 0.1's layout)
jq '{format: 1, snapmig_version, run_id, plan, created, updated, step, events,
     repositories, snapshot: .rounds[0].snapshot, restores: .rounds[0].restores}' \
    "$STATE" >"$STATE.v1"
mv "$STATE.v1" "$STATE"
assert_eq "1 none restoring" "$(jq -r '"\(.format) \(.rounds // "none") \([.restores[0].indices[].state] | unique | join(","))"' "$STATE")" \
    "format 1 state file before the third run"
rn_run "$RN_TMP/ev3" --json "$PLAN"
assert_eq 0 "$RN_RC" "exit of the third run ($(cat "$RN_TMP/ev3.err"))"
rn_check_ndjson "$RN_TMP/ev3"
assert_eq 0 "$(jq -s '[.[] | select(.type == "snapshot.start" or .type == "restore.start" and (.indices | length) == 0)] | length' "$RN_TMP/ev3")" \
    "the third run neither starts a snapshot nor an empty restore"
assert_eq 2 "$(jq -s '[.[] | select(.type == "verify.index" and .ok)] | length' "$RN_TMP/ev3")" "verified"
assert_eq 1 "$(rn_snapshots_of "$SRC" "$REPO" "$NAME")" "snapshots of the plan in the repository"
body="$(it_json GET "$SRC/_snapshot/$REPO/_all")"
assert_eq "$SNAP" "$(jq -r '.snapshots | map(.snapshot) | join(",")' <<<"$body")" "the one snapshot"
for i in "${INDICES[@]}"; do
    assert_eq 20000 "$(doc_count "$DST" "moved-$i")" "docs in moved-$i"
done
assert_eq 2 "$(curl -s -m 30 "$DST/_cat/indices/moved-$PREFIX-*?h=index" | wc -l)" "restored indices on target"
assert_eq done "$(rn_state_get "$STATE" .step)" "final step"
assert_eq "2 1 $RUN_ID $SNAP" "$(jq -r '"\(.format) \(.rounds | length) \(.run_id) \(.rounds[0].snapshot.name)"' "$STATE")" \
    "rewritten as format 2, one round, same run and snapshot"
assert_eq true "$(jq -s '.[0].resumed' "$RN_TMP/ev3")" "third run resumed from format 1"
it_pass "resumed twice after SIGKILL; one snapshot ($SNAP)"
