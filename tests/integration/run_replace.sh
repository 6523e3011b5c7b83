#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# restores[].on_conflict "replace" (docs/plan-format.md): an index made by
# hand on the target with a name a restore gives.
#   - without "replace" it is an index-exists blocker and stays untouched;
#   - with "replace" and the source index's shard count, check lists it as
#     "replace" (its UUID), run closes and restores over it and verifies
#     it (same UUID, the source's documents, bytes reported), and check
#     after the run lists it as "replace" again (the next round's);
#   - with another shard count it is a replace-shards blocker, untouched.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/run/common.sh"

it_source_and_target

RUN="$(it_run_id)"
PREFIX="rn-rp-$RUN"
REPO="rn_rp_${RUN//-/_}"
LOC="$SNAPMIG_RIG_FS_REPO/it-replace-$RUN"

it_on_exit "curl -s -m 30 -X DELETE '$SRC/$PREFIX-*'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/$PREFIX-*'"
it_on_exit "curl -s -m 60 -X DELETE '$SRC/_snapshot/$REPO/*'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/_snapshot/$REPO'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/_snapshot/$REPO'"
it_on_exit "rm -rf '$LOC'"

bulk() { rn_bulk "$1" "$2" "$3" "$4" "?refresh=true"; } # URL INDEX FROM N
uuid_of() { jq -r '.[].settings.index.uuid' <<<"$(it_json GET "$1/$2/_settings/index.uuid")"; }
status_of() { curl -s -m 30 "$1/_cat/indices/$2?h=status" | tr -d ' \n'; }

# source: 001 (2 shards, 300 docs), 002 (1 shard, 40 docs)
it_ack "create $PREFIX-001" PUT "$SRC/$PREFIX-001" '{"settings":{"number_of_shards":2,"number_of_replicas":0}}'
it_ack "create $PREFIX-002" PUT "$SRC/$PREFIX-002" '{"settings":{"number_of_shards":1,"number_of_replicas":0}}'
bulk "$SRC" "$PREFIX-001" 0 300
bulk "$SRC" "$PREFIX-002" 0 40
# target, by hand: 001 with the same shard count, 002 with another
it_ack "hand-made $PREFIX-001" PUT "$DST/$PREFIX-001" '{"settings":{"number_of_shards":2,"number_of_replicas":0}}'
it_ack "hand-made $PREFIX-002" PUT "$DST/$PREFIX-002" '{"settings":{"number_of_shards":3,"number_of_replicas":0}}'
bulk "$DST" "$PREFIX-001" 1000 5
bulk "$DST" "$PREFIX-002" 1000 5
u1="$(uuid_of "$DST" "$PREFIX-001")" u2="$(uuid_of "$DST" "$PREFIX-002")"

plan() { # FILE NAME ON_CONFLICT INDEX
    rn_plan "$1" "$(jq -n --arg s "$SRC" --arg t "$DST" --arg repo "$REPO" --arg name "$2" \
        --arg loc "$LOC" --arg oc "$3" --arg ix "$4" '{
      snapmig: 1, name: $name,
      domains: {source: {endpoint: $s}, target: {endpoint: $t}},
      repository: {name: $repo, type: "fs", settings: {location: $loc}},
      snapshot: {domain: "source", indices: [$ix]},
      restores: [{domain: "target", on_conflict: $oc,
                  index_settings: {"index.number_of_replicas": 0}}],
      polling: {initial_ms: 100, max_ms: 500}}')"
}
check() { # OUT PLAN [ARGS]: snapmig check --json; sets RN_RC
    RN_RC=0
    "$SNM_BINARY" check --json "${@:3}" "$2" >"$1" 2>"$1.err" || RN_RC=$?
}
untouched() { # WHAT
    assert_eq "$u1 open 5" "$(uuid_of "$DST" "$PREFIX-001") $(status_of "$DST" "$PREFIX-001") $(doc_count "$DST" "$PREFIX-001")" \
        "$1: hand-made $PREFIX-001 untouched"
    assert_eq "$u2 open 5" "$(uuid_of "$DST" "$PREFIX-002") $(status_of "$DST" "$PREFIX-002") $(doc_count "$DST" "$PREFIX-002")" \
        "$1: hand-made $PREFIX-002 untouched"
}

# 1. without replace: a blocker, nothing touched
plan "$RN_TMP/fail.json" "rn-rp-fail-$RUN" fail "$PREFIX-001"
check "$RN_TMP/c-fail.json" "$RN_TMP/fail.json"
assert_eq 1 "$RN_RC" "check without replace"
assert_eq "index-exists blocked" \
    "$(jq -r '[.issues[] | select(.index == "'"$PREFIX-001"'") | .code][0] + " " + .restores[0].items[0].action' "$RN_TMP/c-fail.json")" \
    "check without replace: index-exists"
rn_run "$RN_TMP/r-fail.ndjson" --json --state "$RN_TMP/fail.state" "$RN_TMP/fail.json"
assert_eq 1 "$RN_RC" "run without replace"
untouched "without replace"

# 2. replace, another shard count: a blocker, nothing touched
plan "$RN_TMP/shards.json" "rn-rp-shards-$RUN" replace "$PREFIX-002"
check "$RN_TMP/c-shards.json" "$RN_TMP/shards.json"
assert_eq 1 "$RN_RC" "check, replace with another shard count"
assert_contains "$(jq -r '.issues[] | select(.code == "replace-shards") | .message' "$RN_TMP/c-shards.json")" \
    "$PREFIX-002 exists on target with 3 primary shards" "replace-shards blocker"
rn_run "$RN_TMP/r-shards.ndjson" --json --state "$RN_TMP/shards.state" "$RN_TMP/shards.json"
assert_eq 1 "$RN_RC" "run, replace with another shard count"
untouched "another shard count"

# 3. replace, the same shard count: predicted, then replaced and verified
plan "$RN_TMP/rep.json" "rn-rp-rep-$RUN" replace "$PREFIX-001"
check "$RN_TMP/c-rep.json" "$RN_TMP/rep.json" --state "$RN_TMP/rep.state"
assert_eq 0 "$RN_RC" "check with replace ($(head -c 600 "$RN_TMP/c-rep.json.err"))"
assert_eq "replace replace on_conflict $u1" \
    "$(jq -r '.restores[0].items[0] | "\(.action) \(.verdict) \(.replace) \(.target_uuid)"' "$RN_TMP/c-rep.json")" \
    "check lists the index as replace, with its UUID"
assert_eq 1 "$(jq -r '.restores[0].replaced' "$RN_TMP/c-rep.json")" "one index replaced"
"$SNM_BINARY" check --state "$RN_TMP/rep.state" "$RN_TMP/rep.json" >"$RN_TMP/c-rep.txt" 2>&1 || true
grep -Eq "^  $PREFIX-001 +$PREFIX-001 .* replace +replace" "$RN_TMP/c-rep.txt" ||
    it_fail "human check does not list $PREFIX-001 as replace: $(cat "$RN_TMP/c-rep.txt")"
rn_run "$RN_TMP/r-rep.ndjson" --json --state "$RN_TMP/rep.state" "$RN_TMP/rep.json"
assert_eq 0 "$RN_RC" "run with replace ($(tail -c 600 "$RN_TMP/r-rep.ndjson.err"))"
rn_check_ndjson "$RN_TMP/r-rep.ndjson"
assert_eq "$u1 open 300" "$(uuid_of "$DST" "$PREFIX-001") $(status_of "$DST" "$PREFIX-001") $(doc_count "$DST" "$PREFIX-001")" \
    "replaced: same UUID, open, the source's documents"
assert_eq "true verified $u1" \
    "$(jq -r '.rounds[0].restores[0].indices[0] | "\(.replace) \(.state) \(.uuid)"' "$RN_TMP/rep.state")" \
    "state: replaced, verified, the UUID"
ev="$(jq -c 'select(.type == "restore.index")' "$RN_TMP/r-rep.ndjson")"
assert_eq "true true" "$(jq -r '"\(.replaced) \((.bytes_transferred|type) == "number" and (.bytes_reused|type) == "number")"' <<<"$ev")" \
    "restore.index: replaced, bytes transferred and reused"
assert_eq "$u2 open 5" "$(uuid_of "$DST" "$PREFIX-002") $(status_of "$DST" "$PREFIX-002") $(doc_count "$DST" "$PREFIX-002")" \
    "the other hand-made index untouched"
# check after the run: the next round replaces it (no index-exists)
check "$RN_TMP/c-after.json" "$RN_TMP/rep.json" --state "$RN_TMP/rep.state"
assert_eq 0 "$RN_RC" "check after the run ($(jq -c '[.issues[] | select(.severity == "blocker")]' "$RN_TMP/c-after.json"))"
assert_eq "replace round $u1" \
    "$(jq -r '.restores[0].items[0] | "\(.action) \(.replace) \(.target_uuid)"' "$RN_TMP/c-after.json")" \
    "check after the run: replace (the earlier round's)"
it_pass "on_conflict replace: blocked without it, replaced with it (same UUID, verified), refused for another shard count"
