#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `snapmig cutover` failing between the block and the restore: the
# snapshot cannot be written (the repository made unreachable: a fault
# proxy in front of the source answers the snapshot PUT with the
# repository_exception a lost repository gives).  The cutover exits 1
# naming the failure and saying the source's write blocks were put back,
# and they are (unset stays unset, false stays false).  With
# keep_blocked_on_failure the blocks stay, `status` shows them, and
# `cutover --rollback` lifts them (a second --rollback has nothing to do);
# a later `cutover` with the repository back finishes.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/run/common.sh"

it_source_and_target

RUN="$(it_run_id)"
PREFIX="rn-cf-$RUN"
REPO="rn_cf_${RUN//-/_}"
NAME="rn-cf-$RUN"
LOC="$SNAPMIG_RIG_FS_REPO/it-cutover-fail-$RUN"

it_on_exit "curl -s -m 30 -X PUT -H 'Content-Type: application/json' '$SRC/$PREFIX-*/_settings' -d '{\"index.blocks.write\":null}'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/$PREFIX-*'"
it_on_exit "curl -s -m 30 -X PUT -H 'Content-Type: application/json' '$DST/f-$PREFIX-*/_settings' -d '{\"index.blocks.write\":null}'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/f-$PREFIX-*'"
it_on_exit "curl -s -m 60 -X DELETE '$SRC/_snapshot/$REPO/*'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/_snapshot/$REPO'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/_snapshot/$REPO'"
it_on_exit "rm -rf '$LOC'"

fp_start S "$SRC"
S="$FP_URL_S"

for ix in a b; do
    it_ack "create $PREFIX-$ix" PUT "$SRC/$PREFIX-$ix" '{"settings":{"number_of_shards":1,"number_of_replicas":0}}'
    printf '{"index":{"_id":"1"}}\n{"n":1}\n{"index":{"_id":"2"}}\n{"n":2}\n' |
        curl -s -m 30 -H 'Content-Type: application/x-ndjson' -X POST "$SRC/$PREFIX-$ix/_bulk?refresh=true" --data-binary @- -o /dev/null
done
# b has the setting, false; a has none
it_ack "b: blocks.write false" PUT "$SRC/$PREFIX-b/_settings" '{"index.blocks.write":false}'

blocks() { # the source's index.blocks.write of a and b ("unset" when none)
    local ix
    for ix in a b; do
        jq -r --arg i "$PREFIX-$ix" '.[$i].settings["index.blocks.write"] // "unset"' \
            <<<"$(it_json GET "$SRC/$PREFIX-$ix/_settings/index.blocks.write,index.uuid?flat_settings=true")"
    done | paste -sd' '
}

PLAN="$RN_TMP/plan.json"
STATE="$RN_TMP/state.json"
plan() { # KEEP_BLOCKED
    rn_plan "$PLAN" "$(jq -n --arg s "$S" --arg t "$DST" --arg repo "$REPO" --arg name "$NAME" \
        --arg loc "$LOC" --arg p "$PREFIX" --argjson keep "$1" '{
  snapmig: 1, name: $name,
  domains: {source: {endpoint: $s}, target: {endpoint: $t}},
  repository: {name: $repo, type: "fs", settings: {location: $loc}},
  snapshot: {domain: "source", indices: [($p + "-*")]},
  restores: [{domain: "target", rename: {pattern: "^(.+)$", replacement: "f-$1"},
              index_settings: {"index.number_of_replicas": 0}}],
  cutover: {keep_blocked_on_failure: $keep},
  polling: {initial_ms: 100, max_ms: 300}}')"
}
cutover() { # OUT [ARGS...]
    local out="$1"
    shift
    RN_RC=0
    "$SNM_BINARY" cutover --state "$STATE" "$@" "$PLAN" >"$out" 2>"$out.err" || RN_RC=$?
}
plan false
rn_run "$RN_TMP/run.ndjson" --json --state "$STATE" "$PLAN"
assert_eq 0 "$RN_RC" "run exit status ($(tail -c 600 "$RN_TMP/run.ndjson.err"))"

# the repository is unreachable from here on: every snapshot PUT fails
unreachable='{"method":"PUT","path":"^/_snapshot/'"$REPO"'/[^/?]+","action":"respond","status":500,"times":0,"body":{"error":{"type":"repository_exception","reason":"['"$REPO"'] could not write the snapshot: the repository storage is unreachable (simulated)"},"status":500}}'
rule="$(fp_rule "$S" "$unreachable")"

cutover "$RN_TMP/c1.txt"
assert_eq 1 "$RN_RC" "cutover with the repository unreachable"
msg="$(cat "$RN_TMP/c1.txt.err")"
assert_contains "$msg" "repository_exception" "the message names the server's error"
assert_contains "$msg" "repository storage is unreachable" "the message has the server's reason"
assert_contains "$msg" "the source's write blocks were put back to their previous values" "the message says the blocks were put back"
assert_eq "unset false" "$(blocks)" "the blocks after the failed cutover"
assert_eq "rolled_back false" "$(jq -r '.rounds[-1].cutover | "\(.state) \(.source_blocked)"' "$STATE")" "the round on record"
(($(fp_hits "$S" "$rule") >= 1)) || it_fail "the snapshot PUT never reached the proxy"
it_http PUT "$SRC/$PREFIX-a/_doc/3" '{"n":3}'
assert_eq 201 "$IT_STATUS" "the source takes writes again"

# keep_blocked_on_failure: the blocks stay, status shows them, --rollback lifts them
plan true
cutover "$RN_TMP/c2.txt"
assert_eq 1 "$RN_RC" "cutover (keep_blocked_on_failure) with the repository unreachable"
assert_contains "$(cat "$RN_TMP/c2.txt.err")" "the source stays write-blocked (keep_blocked_on_failure)" "the message says the blocks stay"
assert_contains "$(cat "$RN_TMP/c2.txt.err")" "cutover --rollback" "the message says how to lift them"
assert_eq "true true" "$(blocks)" "the blocks stay on"
it_http PUT "$SRC/$PREFIX-a/_doc/4" '{"n":4}'
assert_eq 403 "$IT_STATUS" "a write while blocked"
status_out="$("$SNM_BINARY" status --state "$STATE" "$PLAN" 2>&1 || true)"
assert_contains "$status_out" "WRITE-BLOCKED by this plan's cutover" "status shows the block"

cutover "$RN_TMP/rb.txt" --rollback
assert_eq 0 "$RN_RC" "cutover --rollback ($(tail -c 600 "$RN_TMP/rb.txt.err"))"
assert_eq "unset false" "$(blocks)" "the blocks after --rollback"
assert_contains "$(cat "$RN_TMP/rb.txt.err")" "put back to their previous values" "--rollback says what it did"
cutover "$RN_TMP/rb2.txt" --rollback
assert_eq 2 "$RN_RC" "a second --rollback has nothing to lift"

# the repository is back: a cutover finishes
fp_clear "$S"
cutover "$RN_TMP/c3.txt"
assert_eq 0 "$RN_RC" "cutover with the repository back ($(tail -c 600 "$RN_TMP/c3.txt.err"))"
assert_eq "true true" "$(blocks)" "the source blocked after the cutover"
for ix in a b; do
    assert_eq "$(doc_count "$SRC" "$PREFIX-$ix")" "$(doc_count "$DST" "f-$PREFIX-$ix")" "f-$PREFIX-$ix count"
done
it_pass "a failure after the block put the blocks back; keep_blocked kept them; --rollback lifted them"
