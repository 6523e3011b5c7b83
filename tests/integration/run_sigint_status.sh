#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Ctrl-C: SIGINT while `snapmig run` polls the snapshot stops it cleanly
# (exit 130, run.interrupted last, state saved, the snapshot left running);
# `status` shows the recorded state and the live snapshot; running again
# completes; `status` then says done.  Also SIGTERM during the restore.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/run/common.sh"

it_source_and_target
it_require_s3_up

RUN="$(it_run_id)"
rn_throttled_setup int 15000
STATE="$RN_TMP/custom.state.json"

rc=0
"$SNM_BINARY" status --state "$STATE" "$PLAN" >/dev/null 2>&1 || rc=$?
assert_eq 1 "$rc" "status before the run"

rn_start "$RN_TMP/ev1" --json --state "$STATE" "$PLAN"
wait_for "snapshot.progress" 60 rn_has_event "$RN_TMP/ev1" snapshot.progress
# status while the run is going (another process reads the state file)
during="$("$SNM_BINARY" status --json --state "$STATE" "$PLAN")" || it_fail "status during the run"
assert_eq snapshot "$(jq -r .state.step <<<"$during")" "status during: step"
kill -INT "$RN_PID"
rn_wait_pid "$RN_PID" 20
assert_eq 130 "$RN_RC" "exit status after SIGINT"
rn_check_ndjson "$RN_TMP/ev1"
assert_eq run.interrupted "$(jq -sr '.[-1].type' "$RN_TMP/ev1")" "last event"
assert_eq SIGINT "$(jq -sr '.[-1].signal' "$RN_TMP/ev1")" "signal named"
assert_eq snapshot "$(rn_state_get "$STATE" .step)" "saved step"
SNAP="$(rn_state_get "$STATE" .rounds[-1].snapshot.name)"
# the snapshot goes on without snapmig
state_now="$(it_json GET "$SRC/_snapshot/$REPO/$SNAP" | jq -r '.snapshots[0].state')"
[[ "$state_now" == IN_PROGRESS || "$state_now" == SUCCESS ]] || it_fail "snapshot after SIGINT is $state_now"

out="$("$SNM_BINARY" status --state "$STATE" "$PLAN")" || it_fail "status after the interrupt"
assert_contains "$out" "step: snapshot" "status after interrupt: step"
assert_contains "$out" "snapshot: $SNAP in $REPO: started; on source:" "status after interrupt: live snapshot"

# resumed, then SIGTERM while restoring
rn_start "$RN_TMP/ev2" --json --state "$STATE" "$PLAN"
wait_for "restore.progress" 120 rn_has_event "$RN_TMP/ev2" restore.progress '.bytes_total > 0'
kill -TERM "$RN_PID"
rn_wait_pid "$RN_PID" 20
assert_eq 130 "$RN_RC" "exit status after SIGTERM"
assert_eq SIGTERM "$(jq -sr '.[-1].signal' "$RN_TMP/ev2")" "SIGTERM named"
out="$("$SNM_BINARY" status --state "$STATE" "$PLAN")" || it_fail "status after SIGTERM"
assert_contains "$out" "restore 1 onto target: restoring" "status after SIGTERM: restore state"
assert_contains "$out" "recovered " "status after SIGTERM: live recovery"

rn_run "$RN_TMP/ev3" --json --state "$STATE" "$PLAN"
assert_eq 0 "$RN_RC" "exit of the resumed run ($(cat "$RN_TMP/ev3.err"))"
assert_eq 1 "$(rn_snapshots_of "$SRC" "$REPO" "$NAME")" "one snapshot of the plan"
for i in "${INDICES[@]}"; do
    assert_eq 15000 "$(doc_count "$DST" "moved-$i")" "docs in moved-$i"
done
out="$("$SNM_BINARY" status --state "$STATE" "$PLAN")" || it_fail "status after the run"
assert_contains "$out" "step: done" "status after: done"
it_pass "SIGINT and SIGTERM: 130, state saved, resumed to the end"
