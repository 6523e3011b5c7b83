#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `snapmig check` on a plan with earlier rounds predicts the next `sync`
# (docs/check.md, "A plan with earlier rounds"):
#   - right after `run`, the indices it restored are "replace", not
#     index-exists blockers;
#   - after writes on the source: the changed index says how many
#     documents changed since its round, a new source index is "new", and
#     the following sync replaces and restores exactly those;
#   - after the sync, the prediction held (the same indices replaced and
#     new) and check predicts the round after it;
#   - a target index recreated by hand (another UUID) or closed by hand is
#     a blocker, and sync then refuses it too and leaves it as it was.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/run/common.sh"

it_source_and_target

RUN="$(it_run_id)"
PREFIX="ck-nr-$RUN"
REPO="ck_nr_${RUN//-/_}"
NAME="ck-nr-$RUN"
LOC="$SNAPMIG_RIG_FS_REPO/it-next-round-$RUN"

it_on_exit "curl -s -m 30 -X DELETE '$SRC/$PREFIX-*'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/c-$PREFIX-*'"
it_on_exit "curl -s -m 60 -X DELETE '$SRC/_snapshot/$REPO/*'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/_snapshot/$REPO'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/_snapshot/$REPO'"
it_on_exit "rm -rf '$LOC'"

bulk() { rn_bulk "$1" "$2" "$3" "$4" "?refresh=true" ""; } # URL INDEX FROM N
uuid_of() { jq -r '.[].settings.index.uuid' <<<"$(it_json GET "$1/$2/_settings/index.uuid")"; }
status_of() { curl -s -m 30 "$1/_cat/indices/$2?h=status" | tr -d ' \n'; }

it_ack "create $PREFIX-001" PUT "$SRC/$PREFIX-001" '{"settings":{"number_of_shards":2,"number_of_replicas":0}}'
it_ack "create $PREFIX-002" PUT "$SRC/$PREFIX-002" '{"settings":{"number_of_shards":1,"number_of_replicas":0}}'
bulk "$SRC" "$PREFIX-001" 0 200
bulk "$SRC" "$PREFIX-002" 0 100

# the state file at its default place, next to the plan: check finds it
PLAN="$RN_TMP/plan.json"
STATE="$RN_TMP/.snapmig/$NAME.state.json"
rn_plan "$PLAN" "$(jq -n --arg s "$SRC" --arg t "$DST" --arg repo "$REPO" --arg name "$NAME" \
    --arg loc "$LOC" --arg p "$PREFIX" '{
  snapmig: 1, name: $name,
  domains: {source: {endpoint: $s}, target: {endpoint: $t}},
  repository: {name: $repo, type: "fs", settings: {location: $loc}},
  snapshot: {domain: "source", indices: [($p + "-*")]},
  restores: [{domain: "target", rename: {pattern: "^(.+)$", replacement: "c-$1"},
              index_settings: {"index.number_of_replicas": 0}}],
  polling: {initial_ms: 100, max_ms: 500}}')"

check() { # OUT: snapmig check --json; sets RN_RC
    RN_RC=0
    "$SNM_BINARY" check --json "$PLAN" >"$1" 2>"$1.err" || RN_RC=$?
}
sync_run() { # OUT
    RN_RC=0
    "$SNM_BINARY" sync --json "$PLAN" >"$1" 2>"$1.err" || RN_RC=$?
}
# "target:action" of every item a check predicts, sorted
predicted() { jq -r '.restores[0].items[] | "\(.target):\(.action)"' "$1" | sort | paste -sd' '; }
# "target:replace|restore" of every index a run or sync restored, sorted
restored() {
    jq -r 'select(.type == "restore.index") | "\(.target):\(if .replaced then "replace" else "restore" end)"' "$1" |
        sort | paste -sd' '
}

rn_run "$RN_TMP/run.ndjson" --json "$PLAN"
assert_eq 0 "$RN_RC" "run ($(tail -c 600 "$RN_TMP/run.ndjson.err"))"
[[ -f "$STATE" ]] || it_fail "no state file at $STATE"

# right after the run: the next sync replaces both; no blocker
check "$RN_TMP/c0.json"
assert_eq "0 " "$RN_RC $(jq -r '[.issues[] | select(.severity == "blocker") | .code] | join(",")' "$RN_TMP/c0.json")" \
    "check after run: no blocker"
assert_eq "c-$PREFIX-001:replace c-$PREFIX-002:replace" "$(predicted "$RN_TMP/c0.json")" "check after run predicts"
assert_eq "2 2 0 0" "$(jq -r '.next_round | "\(.round) \(.replace) \(.new) \(.blocked)"' "$RN_TMP/c0.json")" \
    "next_round after run"
assert_eq "0 0" "$(jq -r '[.restores[0].items[] | select(.target == "c-'"$PREFIX"'-001") | .docs_changed][0] as $d | "\($d) \(.restores[0].new_shards)"' "$RN_TMP/c0.json")" \
    "nothing changed since the run; no new shards"

# writes on the source: 50 more documents in 001, a new index 003
bulk "$SRC" "$PREFIX-001" 1000 50
it_ack "create $PREFIX-003" PUT "$SRC/$PREFIX-003" '{"settings":{"number_of_shards":1,"number_of_replicas":0}}'
bulk "$SRC" "$PREFIX-003" 0 30
check "$RN_TMP/c1.json"
assert_eq 0 "$RN_RC" "check after writes ($(jq -c '[.issues[] | select(.severity == "blocker")]' "$RN_TMP/c1.json"))"
assert_eq "c-$PREFIX-001:replace c-$PREFIX-002:replace c-$PREFIX-003:restore" "$(predicted "$RN_TMP/c1.json")" \
    "check predicts 001 and 002 replaced, 003 new"
assert_eq "200 250 50 1" \
    "$(jq -r '.restores[0].items[] | select(.target == "c-'"$PREFIX"'-001") | "\(.docs_last) \(.docs) \(.docs_changed) \(.round)"' "$RN_TMP/c1.json")" \
    "001: documents then and now"
assert_eq "0 new" \
    "$(jq -r '(.restores[0].items[] | select(.target == "c-'"$PREFIX"'-002") | .docs_changed | tostring) + " " + (.restores[0].items[] | select(.target == "c-'"$PREFIX"'-003") | .verdict)' "$RN_TMP/c1.json")" \
    "002 unchanged, 003 new"
assert_eq "2 2 1 0 1" "$(jq -r '"\(.next_round.round) \(.next_round.replace) \(.next_round.new) \(.next_round.blocked) \(.restores[0].new_shards)"' "$RN_TMP/c1.json")" \
    "next_round after writes; the new index's shard"
"$SNM_BINARY" check "$PLAN" >"$RN_TMP/c1.txt" 2>&1 || true
assert_contains "$(cat "$RN_TMP/c1.txt")" "Next sync: round 2: 2 indices replaced, 1 new, 0 blocked" "human next-round line"
it_log "$(sed -n '/^Next sync/,/^$/p' "$RN_TMP/c1.txt")"

sync_run "$RN_TMP/s1.ndjson"
assert_eq 0 "$RN_RC" "sync ($(tail -c 600 "$RN_TMP/s1.ndjson.err"))"
assert_eq "$(predicted "$RN_TMP/c1.json")" "$(restored "$RN_TMP/s1.ndjson")" "the sync did what check predicted"

# after the sync: round 3 would replace all three
check "$RN_TMP/c2.json"
assert_eq 0 "$RN_RC" "check after sync"
assert_eq "c-$PREFIX-001:replace c-$PREFIX-002:replace c-$PREFIX-003:replace" "$(predicted "$RN_TMP/c2.json")" \
    "check after sync predicts three replaced"
assert_eq "3 0" "$(jq -r '"\(.next_round.round) \(.restores[0].items[] | select(.target == "c-'"$PREFIX"'-001") | .docs_changed)"' "$RN_TMP/c2.json")" \
    "round 3, 001 unchanged since round 2"

# a target index closed by hand: a blocker; sync refuses, it stays closed
it_ack "close c-$PREFIX-001 by hand" POST "$DST/c-$PREFIX-001/_close"
u001="$(uuid_of "$DST" "c-$PREFIX-001")"
check "$RN_TMP/cc.json"
assert_eq "1 target-index-closed c-$PREFIX-001" \
    "$RN_RC $(jq -r '[.issues[] | select(.severity == "blocker")][0] | "\(.code) \(.index)"' "$RN_TMP/cc.json")" \
    "check blocks the closed index"
sync_run "$RN_TMP/sc.ndjson"
assert_eq 1 "$RN_RC" "sync with a closed index"
assert_contains "$(jq -r 'select(.type == "run.failed") | .error' "$RN_TMP/sc.ndjson")" "is closed" \
    "the failure says the index is closed"
assert_eq "$u001 close" "$(uuid_of "$DST" "c-$PREFIX-001") $(status_of "$DST" "c-$PREFIX-001")" \
    "the closed index is left closed, same UUID"
it_ack "open c-$PREFIX-001" POST "$DST/c-$PREFIX-001/_open"
wait_for "c-$PREFIX-001 open and green" 30 indices_green "$DST" "c-$PREFIX-001" 1

# a target index recreated by hand: a blocker; sync refuses, untouched
it_ack "delete c-$PREFIX-002" DELETE "$DST/c-$PREFIX-002"
it_ack "recreate c-$PREFIX-002" PUT "$DST/c-$PREFIX-002" '{"settings":{"number_of_shards":1,"number_of_replicas":0}}'
hand="$(uuid_of "$DST" "c-$PREFIX-002")"
check "$RN_TMP/c3.json"
assert_eq 1 "$RN_RC" "check with a recreated index"
assert_eq "index-recreated c-$PREFIX-002" \
    "$(jq -r '[.issues[] | select(.severity == "blocker")][0] | "\(.code) \(.index)"' "$RN_TMP/c3.json")" \
    "the blocker names the recreated index"
sync_run "$RN_TMP/s2.ndjson"
assert_eq 1 "$RN_RC" "sync with a recreated index"
assert_eq "$hand open 0" "$(uuid_of "$DST" "c-$PREFIX-002") $(status_of "$DST" "c-$PREFIX-002") $(doc_count "$DST" "c-$PREFIX-002")" \
    "the recreated index is untouched"
assert_eq open "$(status_of "$DST" "c-$PREFIX-001")" "nothing closed"
it_pass "check predicted the sync (2 replaced, 1 new), and blocks a closed and a recreated index as sync does"
