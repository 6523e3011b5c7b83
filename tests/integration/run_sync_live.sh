#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Live migration rounds (docs/live-migration.md): a writer keeps indexing
# into the source while `snapmig run` and two `snapmig sync` rounds go.
# After each, every target count lies in the round's before/after window;
# a sync round closes and restores over the indices earlier rounds
# restored and transfers far fewer bytes than it reuses; a new source
# index is restored; an index on the target that this plan did not make
# (a foreign one, or one of ours deleted and made again by hand) is never
# closed or restored over: the round refuses and leaves it as it was.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/run/common.sh"

it_source_and_target

RUN="$(it_run_id)"
PREFIX="rn-sy-$RUN"
REPO="rn_sy_${RUN//-/_}"
NAME="rn-sy-$RUN"
LOC="$SNAPMIG_RIG_FS_REPO/it-sync-$RUN"

it_on_exit "curl -s -m 30 -X DELETE '$SRC/$PREFIX-*'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/c-$PREFIX-*'"
it_on_exit "curl -s -m 60 -X DELETE '$SRC/_snapshot/$REPO/*'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/_snapshot/$REPO'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/_snapshot/$REPO'"
it_on_exit "rm -rf '$LOC'"

bulk() { rn_bulk "$SRC" "$1" "$2" "$3" "${4:-}" "with some text to give the segments a size"; } # INDEX FROM N [QUERY]
# Merges on the source rewrite segments, and a rewritten segment is
# downloaded again.  Lucene treats every segment below
# index.merge.policy.floor_segment (2 MB) as the same size, so in an index
# this small the writer's merges may swallow the base segments; a real
# index's large segments are merged rarely.  A floor of 1 kB makes this
# small index behave like a large one (measured: docs/live-migration.md).
for ix in 001 002; do
    it_ack "create $PREFIX-$ix" PUT "$SRC/$PREFIX-$ix" '{"settings":{"number_of_shards":2,"number_of_replicas":0,"index.merge.policy.floor_segment":"1kb"}}'
    for ((b = 0; b < 10; b++)); do bulk "$PREFIX-$ix" $((b * 1000)) 1000; done
done
curl -s -m 30 -X POST "$SRC/$PREFIX-*/_refresh" >/dev/null

curl -s -m 30 -X POST "$SRC/$PREFIX-*/_flush" >/dev/null
# the writer: small bulks into 001 until the stop file appears; each
# waits for the index's periodic refresh (once a second), so what it wrote
# is counted (a snapshot holds documents a count does not see before a
# refresh: see the report of this change)
STOP="$RN_TMP/stop-writer"
writer() {
    local n=100000
    while [[ ! -e "$STOP" ]]; do
        bulk "$PREFIX-001" "$n" 10 "?refresh=wait_for"
        n=$((n + 10))
    done
}
writer &
WRITER=$!
it_on_exit "touch '$STOP'; kill $WRITER 2>/dev/null || true"
stop_writer() {
    touch "$STOP"
    wait "$WRITER" || true
}

PLAN="$RN_TMP/plan.json"
STATE="$RN_TMP/state.json"
rn_plan "$PLAN" "$(jq -n --arg s "$SRC" --arg t "$DST" --arg repo "$REPO" --arg name "$NAME" \
    --arg loc "$LOC" --arg p "$PREFIX" '{
  snapmig: 1, name: $name,
  domains: {source: {endpoint: $s}, target: {endpoint: $t}},
  repository: {name: $repo, type: "fs", settings: {location: $loc}, keep_snapshots: 2},
  snapshot: {domain: "source", indices: [($p + "-*")]},
  restores: [{domain: "target", rename: {pattern: "^(.+)$", replacement: "c-$1"},
              index_settings: {"index.number_of_replicas": 0}}],
  polling: {initial_ms: 100, max_ms: 500}}')"

sync_run() { # OUT: snapmig sync --json
    RN_RC=0
    "$SNM_BINARY" sync --json --state "$STATE" "$PLAN" >"$1" 2>"$1.err" || RN_RC=$?
}

# every target count of the state file's current round lies in its window
check_window() {
    local what="$1" round idx before after found
    round="$(jq '.rounds | length' "$STATE")"
    for idx in $(jq -r '.rounds[-1].restores[0].indices[].source' "$STATE"); do
        before="$(jq -r --arg i "$idx" '.rounds[-1].snapshot.docs_before[$i]' "$STATE")"
        after="$(jq -r --arg i "$idx" '.rounds[-1].snapshot.docs_after[$i]' "$STATE")"
        found="$(doc_count "$DST" "c-$idx")"
        ((found >= before && found <= after)) ||
            it_fail "$what (round $round): c-$idx holds $found documents, not in [$before, $after]"
        assert_eq verified "$(jq -r --arg i "$idx" '.rounds[-1].restores[0].indices[] | select(.source == $i) | .state' "$STATE")" \
            "$what: $idx verified"
    done
}

it_log "seeded at ${SECONDS}s"
rn_run "$RN_TMP/run.ndjson" --json --state "$STATE" "$PLAN"
assert_eq 0 "$RN_RC" "run exit status ($(tail -c 600 "$RN_TMP/run.ndjson.err"))"
check_window "run"
uuid1="$(jq -r '.rounds[0].restores[0].indices[] | select(.source | endswith("-001")) | .uuid' "$STATE")"
assert_ne "null" "$uuid1" "run records the restored index's UUID"

it_log "run done at ${SECONDS}s"
# a foreign snapshot in the plan's repository: keep_snapshots never
# touches it
it_json PUT "$SRC/_snapshot/$REPO/foreign-$RUN?wait_for_completion=true" \
    "{\"indices\":\"$PREFIX-002\",\"include_global_state\":false}" >/dev/null
sync_run "$RN_TMP/s1.ndjson"
assert_eq 0 "$RN_RC" "first sync exit status ($(tail -c 600 "$RN_TMP/s1.ndjson.err"))"
rn_check_ndjson "$RN_TMP/s1.ndjson"
assert_eq 2 "$(jq '.rounds | length' "$STATE")" "rounds after the first sync"
check_window "sync 1"
assert_eq "true true" "$(jq -r 'select(.type == "restore.index") | .replaced' "$RN_TMP/s1.ndjson" | paste -sd' ')" \
    "sync 1 replaced both indices"
assert_eq "$uuid1" "$(jq -r '.[] | select(.settings) | .settings.index.uuid' <<<"$(it_json GET "$DST/c-$PREFIX-001/_settings/index.uuid")")" \
    "the replaced index keeps its UUID"
assert_ne "$(jq -r '.rounds[0].snapshot.name' "$STATE")" "$(jq -r '.rounds[1].snapshot.name' "$STATE")" \
    "each round its own snapshot"
t1="$(jq -s '[.[] | select(.type == "run.done")][0].bytes_transferred' "$RN_TMP/s1.ndjson")"
r1="$(jq -s '[.[] | select(.type == "run.done")][0].bytes_reused' "$RN_TMP/s1.ndjson")"
it_log "sync 1: $t1 bytes transferred, $r1 reused"

it_log "sync 1 done at ${SECONDS}s"
# a new source index that matches the plan, and a foreign index of that
# name on the target: the round refuses before closing anything
it_ack "create $PREFIX-003" PUT "$SRC/$PREFIX-003" '{"settings":{"number_of_shards":1,"number_of_replicas":0}}'
bulk "$PREFIX-003" 0 50
it_ack "a foreign index on the target" PUT "$DST/c-$PREFIX-003" '{"settings":{"number_of_shards":1,"number_of_replicas":0}}'
curl -s -m 30 -H 'Content-Type: application/json' -X PUT "$DST/c-$PREFIX-003/_doc/x?refresh=true" -d '{"foreign":1}' >/dev/null
foreign_uuid="$(jq -r '.[].settings.index.uuid' <<<"$(it_json GET "$DST/c-$PREFIX-003/_settings/index.uuid")")"
sync_run "$RN_TMP/s2a.ndjson"
assert_eq 1 "$RN_RC" "sync with a foreign index in the way"
assert_contains "$(jq -r 'select(.type == "preflight.done") | .blockers | join(" | ")' "$RN_TMP/s2a.ndjson")" \
    "c-$PREFIX-003" "the blocker names the foreign index"
assert_eq "$foreign_uuid open 1" \
    "$(jq -r '.[].settings.index.uuid' <<<"$(it_json GET "$DST/c-$PREFIX-003/_settings/index.uuid")") $(curl -s "$DST/_cat/indices/c-$PREFIX-003?h=status") $(doc_count "$DST" "c-$PREFIX-003")" \
    "the foreign index is untouched"
it_ack "delete the foreign index" DELETE "$DST/c-$PREFIX-003"

# one of ours deleted and made again by hand (same name, new UUID): never
# replaced
it_ack "delete c-$PREFIX-002 by hand" DELETE "$DST/c-$PREFIX-002"
it_ack "make c-$PREFIX-002 again by hand" PUT "$DST/c-$PREFIX-002" '{"settings":{"number_of_shards":2,"number_of_replicas":0}}'
hand_uuid="$(jq -r '.[].settings.index.uuid' <<<"$(it_json GET "$DST/c-$PREFIX-002/_settings/index.uuid")")"
sync_run "$RN_TMP/s2b.ndjson"
assert_eq 1 "$RN_RC" "sync with an index made again by hand"
assert_contains "$(jq -r 'select(.type == "run.failed") | .error' "$RN_TMP/s2b.ndjson")" "made again" \
    "the failure says the index was made again"
assert_eq "$hand_uuid open" \
    "$(jq -r '.[].settings.index.uuid' <<<"$(it_json GET "$DST/c-$PREFIX-002/_settings/index.uuid")") $(curl -s "$DST/_cat/indices/c-$PREFIX-002?h=status")" \
    "the hand-made index is untouched (same UUID, open)"
assert_eq "open" "$(curl -s "$DST/_cat/indices/c-$PREFIX-001?h=status")" "nothing was closed"
it_ack "delete the hand-made index" DELETE "$DST/c-$PREFIX-002"

# the same round, resumed: 002 is restored anew, 003 is new, 001 replaced
sync_run "$RN_TMP/s2.ndjson"
assert_eq 0 "$RN_RC" "second sync exit status ($(tail -c 600 "$RN_TMP/s2.ndjson.err"))"
check_window "sync 2"
assert_eq "c-$PREFIX-001:true c-$PREFIX-002:false c-$PREFIX-003:false" \
    "$(jq -r 'select(.type == "restore.index") | "\(.target):\(.replaced)"' "$RN_TMP/s2.ndjson" | sort | paste -sd' ')" \
    "sync 2: 001 replaced, 002 and 003 restored"
t2="$(jq -r 'select(.type == "restore.index" and .replaced) | .bytes_transferred' "$RN_TMP/s2.ndjson")"
r2="$(jq -r 'select(.type == "restore.index" and .replaced) | .bytes_reused' "$RN_TMP/s2.ndjson")"
it_log "sync 2, the replaced index: $t2 bytes transferred, $r2 reused"
((r2 > 0 && t2 * 4 < r2)) || it_fail "sync 2 transferred $t2 bytes and reused only $r2"

it_log "sync 2 done at ${SECONDS}s"
stop_writer
assert_eq 3 "$(jq '.rounds | length' "$STATE")" "rounds after the second sync"
# keep_snapshots 2: round 1's snapshot is deleted, rounds 2 and 3 and the
# foreign one are kept
snaps="$(it_json GET "$SRC/_snapshot/$REPO/_all" | jq -r '[.snapshots[].snapshot] | sort | join(" ")')"
for k in 1 2; do
    assert_contains "$snaps" "$(jq -r ".rounds[$k].snapshot.name" "$STATE")" "round $((k + 1))'s snapshot kept"
done
assert_contains "$snaps" "foreign-$RUN" "the foreign snapshot survives"
r1="$(jq -r '.rounds[0].snapshot.name' "$STATE")"
[[ " $snaps " != *" $r1 "* ]] || it_fail "round 1's snapshot $r1 is still there ($snaps)"
assert_eq true "$(jq -r '.rounds[0].snapshot.deleted' "$STATE")" "round 1's snapshot recorded as deleted"
assert_eq "$r1" "$(jq -r 'select(.type == "snapshot.deleted") | .snapshot' "$RN_TMP/s2.ndjson")" "the deletion event"
it_pass "run + 2 sync rounds under writes: counts in the window, $t2 B moved vs $r2 B reused"
