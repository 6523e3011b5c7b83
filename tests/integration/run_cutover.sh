#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The final round of a live migration (docs/live-migration.md): a writer
# keeps indexing into the source during `snapmig run` and during `snapmig
# cutover`.  After the cutover: a write to the source is refused (403
# cluster_block_exception), every target count equals the source's
# exactly, the alias moved in one step from an old target index to the
# restored one, the write downtime is in the events, the state file, the
# summary and `status`, and an index whose index.blocks.write was already
# true keeps it.  Then `cutover` as the very first round of another plan,
# with unblock_source: the previous values are back afterwards.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/run/common.sh"

it_source_and_target

RUN="$(it_run_id)"
PREFIX="rn-cu-$RUN"
REPO="rn_cu_${RUN//-/_}"
NAME="rn-cu-$RUN"
LOC="$SNAPMIG_RIG_FS_REPO/it-cutover-$RUN"
ALIAS="$PREFIX-live"

it_on_exit "curl -s -m 30 -X PUT -H 'Content-Type: application/json' '$SRC/$PREFIX-*/_settings' -d '{\"index.blocks.write\":null}'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/$PREFIX-*'"
it_on_exit "curl -s -m 30 -X PUT -H 'Content-Type: application/json' '$DST/c-$PREFIX-*/_settings' -d '{\"index.blocks.write\":null}'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/c-$PREFIX-*,old-$PREFIX'"
it_on_exit "curl -s -m 60 -X DELETE '$SRC/_snapshot/$REPO/*'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/_snapshot/$REPO'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/_snapshot/$REPO'"
it_on_exit "rm -rf '$LOC'"

bulk() { rn_bulk "$SRC" "$1" "$2" "$3" "${4:-}" ""; } # INDEX FROM N [QUERY]
for ix in a b c; do
    it_ack "create $PREFIX-$ix" PUT "$SRC/$PREFIX-$ix" '{"settings":{"number_of_shards":1,"number_of_replicas":0}}'
    bulk "$PREFIX-$ix" 0 500
done
curl -s -m 30 -X POST "$SRC/$PREFIX-*/_refresh" >/dev/null
# c was write-blocked before any cutover: it must stay so
it_ack "block c beforehand" PUT "$SRC/$PREFIX-c/_settings" '{"index.blocks.write":true}'
# the alias the cutover moves, on an old index of the target
it_ack "old target index" PUT "$DST/old-$PREFIX" '{"settings":{"number_of_shards":1,"number_of_replicas":0},"aliases":{"'"$ALIAS"'":{}}}'

STOP="$RN_TMP/stop-writer"
WROTE="$RN_TMP/writes"
writer() {
    local n=100000
    while [[ ! -e "$STOP" ]]; do
        bulk "$PREFIX-a" "$n" 10 "?refresh=wait_for"
        n=$((n + 10))
        echo "$n" >"$WROTE"
    done
}
writer &
WRITER=$!
it_on_exit "touch '$STOP'; kill $WRITER 2>/dev/null || true"

PLAN="$RN_TMP/plan.json"
STATE="$RN_TMP/state.json"
rn_plan "$PLAN" "$(jq -n --arg s "$SRC" --arg t "$DST" --arg repo "$REPO" --arg name "$NAME" \
    --arg loc "$LOC" --arg p "$PREFIX" --arg alias "$ALIAS" '{
  snapmig: 1, name: $name,
  domains: {source: {endpoint: $s}, target: {endpoint: $t}},
  repository: {name: $repo, type: "fs", settings: {location: $loc}},
  snapshot: {domain: "source", indices: [($p + "-*")]},
  restores: [{domain: "target", rename: {pattern: "^(.+)$", replacement: "c-$1"},
              index_settings: {"index.number_of_replicas": 0},
              verify: "sample", sample_size: 20}],
  cutover: {aliases: [{alias: $alias, index: ("c-" + $p + "-a")}]},
  polling: {initial_ms: 100, max_ms: 500}}')"

rn_run "$RN_TMP/run.ndjson" --json --state "$STATE" "$PLAN"
assert_eq 0 "$RN_RC" "run exit status ($(tail -c 600 "$RN_TMP/run.ndjson.err"))"
wait_for "the writer writes" 30 test -s "$WROTE"
it_log "run done at ${SECONDS}s; cutover with the writer running"

RN_RC=0
"$SNM_BINARY" cutover --json --state "$STATE" "$PLAN" >"$RN_TMP/cut.ndjson" 2>"$RN_TMP/cut.err" || RN_RC=$?
assert_eq 0 "$RN_RC" "cutover exit status ($(tail -c 800 "$RN_TMP/cut.err"))"
rn_check_ndjson "$RN_TMP/cut.ndjson"

# writes are refused now (the writer is still running)
it_http PUT "$SRC/$PREFIX-a/_doc/after-block" '{"n":-1}'
assert_eq 403 "$IT_STATUS" "a write to the source after the cutover"
assert_contains "$IT_BODY" "cluster_block_exception" "the refusal"
touch "$STOP"
wait "$WRITER" || true

# exact counts, on both sides and in the state file
for ix in a b c; do
    src="$(doc_count "$SRC" "$PREFIX-$ix")"
    dst="$(doc_count "$DST" "c-$PREFIX-$ix")"
    assert_eq "$src" "$dst" "c-$PREFIX-$ix holds exactly the source's documents"
    assert_eq "$src" "$(jq -r --arg i "$PREFIX-$ix" '.rounds[-1].snapshot.docs_before[$i]' "$STATE")" \
        "$ix: the count before the snapshot is the frozen source's"
    assert_eq "$src" "$(jq -r --arg i "$PREFIX-$ix" '.rounds[-1].snapshot.docs_after[$i]' "$STATE")" \
        "$ix: before == after"
    assert_eq verified "$(jq -r --arg i "$PREFIX-$ix" '.rounds[-1].restores[0].indices[] | select(.source == $i) | .state' "$STATE")" \
        "$ix verified"
done
(($(doc_count "$SRC" "$PREFIX-a") > 500)) || it_fail "the writer wrote nothing into a"

# the blocks: a and b blocked by the cutover, c was and stays
assert_eq "true true true" \
    "$(for ix in a b c; do jq -r --arg i "$PREFIX-$ix" '.[$i].settings["index.blocks.write"] // "unset"' \
        <<<"$(it_json GET "$SRC/$PREFIX-$ix/_settings/index.blocks.write?flat_settings=true")"; done | paste -sd' ')" \
    "the source's write blocks"
assert_eq "null null true" \
    "$(for ix in a b c; do jq -r --arg i "$PREFIX-$ix" '.rounds[-1].cutover.blocks[] | select(.index == $i) | .previous' "$STATE"; done | paste -sd' ')" \
    "the previous values on record"
assert_eq "done true" "$(jq -r '.rounds[-1].cutover | "\(.state) \(.source_blocked)"' "$STATE")" "the cutover on record"

# the alias moved, from the old index to the restored one
assert_eq "c-$PREFIX-a" "$(jq -r 'keys | join(",")' <<<"$(it_json GET "$DST/_alias/$ALIAS")")" "alias $ALIAS"
assert_eq "old-$PREFIX" "$(jq -r '.rounds[-1].cutover.aliases[0].holders | join(",")' "$STATE")" \
    "the alias's holders before the switch, on record"

# the downtime: events, run.done, state file
down="$(jq -s '[.[] | select(.type == "cutover.done")][0].downtime_ms' "$RN_TMP/cut.ndjson")"
sdown="$(jq -s '[.[] | select(.type == "cutover.done")][0].switch_downtime_ms' "$RN_TMP/cut.ndjson")"
[[ "$down" =~ ^[0-9]+$ && "$sdown" =~ ^[0-9]+$ ]] || it_fail "cutover.done downtime: $down, $sdown"
((sdown >= down)) || it_fail "block->switched ($sdown ms) is shorter than block->verified ($down ms)"
assert_eq "$down" "$(jq -s '[.[] | select(.type == "run.done")][0].downtime_ms' "$RN_TMP/cut.ndjson")" "run.done downtime_ms"
assert_eq "$down" "$(jq -r '.rounds[-1].cutover.downtime_ms' "$STATE")" "the state file's downtime_ms"
rn_has_event "$RN_TMP/cut.ndjson" cutover.blocked || it_fail "no cutover.blocked event"
# verify "sample": every index compared by _source (20 documents each)
assert_eq "3 true 60" \
    "$(jq -s '[.[] | select(.type == "verify.sample")] | "\(length) \(all(.ok)) \(map(.equal) | add)"' -r "$RN_TMP/cut.ndjson")" \
    "verify.sample events (indices, all ok, documents equal)"
# in `run`, "sample" compares counts only, and says so once
assert_eq 1 "$(jq -s '[.[] | select(.type == "warning" and (.message | test("compares documents only in")))] | length' "$RN_TMP/run.ndjson")" \
    "run warns once that sample compares documents only in cutover"
it_log "cutover done at ${SECONDS}s: write downtime $down ms to verified, $sdown ms to switched"

# status: every round, the block, the last downtime
"$SNM_BINARY" status --state "$STATE" "$PLAN" >"$RN_TMP/status.txt" 2>&1 || true
assert_contains "$(cat "$RN_TMP/status.txt")" "cutover (round 2): done; write downtime" "status shows the downtime"
assert_contains "$(cat "$RN_TMP/status.txt")" "WRITE-BLOCKED by this plan's cutover (round 2" "status shows the block"
assert_contains "$(cat "$RN_TMP/status.txt")" "round 1: snapshot" "status shows round 1"

# ---- cutover as the very first round, unblock_source, the human summary
PLAN2="$RN_TMP/plan2.json"
STATE2="$RN_TMP/state2.json"
it_ack "unblock b for the second plan" PUT "$SRC/$PREFIX-b/_settings" '{"index.blocks.write":false}'
rn_plan "$PLAN2" "$(jq -n --arg s "$SRC" --arg t "$DST" --arg repo "$REPO" --arg name "$NAME-2" \
    --arg loc "$LOC" --arg p "$PREFIX" '{
  snapmig: 1, name: $name,
  domains: {source: {endpoint: $s}, target: {endpoint: $t}},
  repository: {name: $repo, type: "fs", settings: {location: $loc}},
  snapshot: {domain: "source", indices: [($p + "-b"), ($p + "-c")]},
  restores: [{domain: "target", rename: {pattern: "^(.+)$", replacement: "c-$1-2"},
              index_settings: {"index.number_of_replicas": 0}}],
  cutover: {unblock_source: true},
  polling: {initial_ms: 100, max_ms: 500}}')"
RN_RC=0
"$SNM_BINARY" cutover --state "$STATE2" "$PLAN2" >"$RN_TMP/cut2.txt" 2>"$RN_TMP/cut2.err" || RN_RC=$?
assert_eq 0 "$RN_RC" "first-round cutover exit status ($(tail -c 800 "$RN_TMP/cut2.err"))"
assert_contains "$(cat "$RN_TMP/cut2.txt")" "Cutover (round 1): writes to the source were blocked for" "the summary's downtime"
assert_contains "$(cat "$RN_TMP/cut2.txt")" "put back to their previous values" "the summary says the blocks were lifted"
assert_eq "false true" \
    "$(for ix in b c; do jq -r --arg i "$PREFIX-$ix" '.[$i].settings["index.blocks.write"] // "unset"' \
        <<<"$(it_json GET "$SRC/$PREFIX-$ix/_settings/index.blocks.write?flat_settings=true")"; done | paste -sd' ')" \
    "unblock_source put back false on b and left c blocked"
assert_eq 1 "$(jq '.rounds | length' "$STATE2")" "one round"
assert_eq "$(doc_count "$SRC" "$PREFIX-b")" "$(doc_count "$DST" "c-$PREFIX-b-2")" "b copied exactly"

it_pass "cutover in ${SECONDS}s: downtime $down ms"
