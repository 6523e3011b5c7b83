#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Safety issue, item 1: an index with a restore's target name that appears
# on the target AFTER the preflight (here: created, given a document and
# closed while the throttled snapshot runs) is never restored over.  The
# run fails before the restore with a message naming it, the document is
# still there, and once the index is out of the way the same command
# resumes and finishes (one snapshot, both indices verified).  Item 12
# too: while it runs, a copy of the plan in another folder is refused.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/run/common.sh"

it_source_and_target
it_require_s3_up

RUN="$(it_run_id)"
rn_throttled_setup race 20000
VICTIM="moved-${INDICES[0]}"

rn_start "$RN_TMP/ev1" --json "$PLAN"
wait_for "snapshot.progress" 60 rn_has_event "$RN_TMP/ev1" snapshot.progress
# item 12: the same plan copied elsewhere (its own state file) must not
# run alongside: it would take a second snapshot
mkdir -p "$RN_TMP/copy"
cp "$PLAN" "$RN_TMP/copy/plan.json"
rn_run "$RN_TMP/copy/ev" --json "$RN_TMP/copy/plan.json"
assert_eq 1 "$RN_RC" "exit of a second run of the plan from another folder"
assert_contains "$(jq -sr '.[] | select(.type == "run.failed") | .error' "$RN_TMP/copy/ev")" \
    "another snapmig run of plan \"$NAME\"" "the second run names the first"
# someone else's index appears under a target name, with data, closed
it_ack "create $VICTIM" PUT "$DST/$VICTIM" '{"settings":{"number_of_shards":1,"number_of_replicas":0}}'
it_json PUT "$DST/$VICTIM/_doc/keep?refresh=true" '{"owner":"someone else"}' >/dev/null
it_ack "close $VICTIM" POST "$DST/$VICTIM/_close"
rn_wait_pid "$RN_PID" 300

assert_eq 1 "$RN_RC" "exit status when a target name was taken after the preflight"
rn_check_ndjson "$RN_TMP/ev1"
err="$(jq -sr '.[] | select(.type == "run.failed") | .error' "$RN_TMP/ev1")"
assert_contains "$err" "$VICTIM" "the failure names the index"
assert_contains "$err" "never restores over" "the failure says why"
assert_eq 0 "$(jq -s '[.[] | select(.type == "restore.progress")] | length' "$RN_TMP/ev1")" "no restore went out"
it_ack "reopen $VICTIM" POST "$DST/$VICTIM/_open"
it_json GET "$DST/_cluster/health/$VICTIM?wait_for_status=green&timeout=30s" >/dev/null
assert_eq 1 "$(doc_count "$DST" "$VICTIM")" "documents in $VICTIM (untouched)"
assert_eq "someone else" "$(it_json GET "$DST/$VICTIM/_doc/keep" | jq -r ._source.owner)" "the document is the one written"
assert_eq 404 "$(curl -s -o /dev/null -w '%{http_code}' "$DST/moved-${INDICES[1]}")" "the other index was not restored either"

# the user moves the index out of the way; the same command resumes
it_ack "delete $VICTIM" DELETE "$DST/$VICTIM"
rn_run "$RN_TMP/ev2" --json "$PLAN"
assert_eq 0 "$RN_RC" "exit of the resumed run ($(cat "$RN_TMP/ev2.err"))"
assert_eq true "$(jq -s '.[0].resumed' "$RN_TMP/ev2")" "the second run resumed"
assert_eq 2 "$(jq -s '[.[] | select(.type == "verify.index" and .ok)] | length' "$RN_TMP/ev2")" "verified"
assert_eq 1 "$(rn_snapshots_of "$SRC" "$REPO" "$NAME")" "snapshots of the plan"
for i in "${INDICES[@]}"; do
    assert_eq 20000 "$(doc_count "$DST" "moved-$i")" "docs in moved-$i"
done
it_pass "a closed index created after the preflight was left alone"
