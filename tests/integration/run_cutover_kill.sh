#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `snapmig cutover` killed with SIGKILL, then run again: it finishes the
# round - the block never forgotten (`status` shows it while the round is
# unfinished), one snapshot per round, the restore POST reaching the target
# once, exact counts, the alias moved by one effective POST /_aliases -
# and, with unblock_source, every source index ends with its previous
# index.blocks.write.  The kill points, each request held by a fault proxy:
#   block-held    PUT SOURCES/_settings {"index.blocks.write":true} (source)
#   restore-held  POST _snapshot/R/S/_restore (target)
#   switch-held   POST /_aliases (target)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/run/common.sh"

it_source_and_target

RUN="$(it_run_id)"
PREFIX="rn-ck-$RUN"
REPO="rn_ck_${RUN//-/_}"
NAME="rn-ck-$RUN"
LOC="$SNAPMIG_RIG_FS_REPO/it-cutover-kill-$RUN"
ALIAS="$PREFIX-live"

it_on_exit "curl -s -m 30 -X PUT -H 'Content-Type: application/json' '$SRC/$PREFIX-*/_settings' -d '{\"index.blocks.write\":null}'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/$PREFIX-*'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/k-$PREFIX-*,old-$PREFIX'"
it_on_exit "curl -s -m 60 -X DELETE '$SRC/_snapshot/$REPO/*'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/_snapshot/$REPO'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/_snapshot/$REPO'"
it_on_exit "rm -rf '$LOC'"

fp_start S "$SRC"
fp_start T "$DST"
S="$FP_URL_S"
T="$FP_URL_T"

bulk() { rn_bulk "$SRC" "$1" "$2" "$3" "?refresh=true"; } # INDEX FROM N
for ix in a b; do
    it_ack "create $PREFIX-$ix" PUT "$SRC/$PREFIX-$ix" '{"settings":{"number_of_shards":1,"number_of_replicas":0}}'
    bulk "$PREFIX-$ix" 0 300
done
it_ack "b: blocks.write false" PUT "$SRC/$PREFIX-b/_settings" '{"index.blocks.write":false}'
it_ack "old target index" PUT "$DST/old-$PREFIX" '{"settings":{"number_of_shards":1,"number_of_replicas":0},"aliases":{"'"$ALIAS"'":{}}}'

blocks() {
    local ix
    for ix in a b; do
        jq -r --arg i "$PREFIX-$ix" '.[$i].settings["index.blocks.write"] // "unset"' \
            <<<"$(it_json GET "$SRC/$PREFIX-$ix/_settings/index.blocks.write,index.uuid?flat_settings=true")"
    done | paste -sd' '
}

PLAN="$RN_TMP/plan.json"
STATE="$RN_TMP/state.json"
rn_plan "$PLAN" "$(jq -n --arg s "$S" --arg t "$T" --arg repo "$REPO" --arg name "$NAME" \
    --arg loc "$LOC" --arg p "$PREFIX" --arg alias "$ALIAS" '{
  snapmig: 1, name: $name,
  domains: {source: {endpoint: $s}, target: {endpoint: $t}},
  repository: {name: $repo, type: "fs", settings: {location: $loc}},
  snapshot: {domain: "source", indices: [($p + "-*")]},
  restores: [{domain: "target", rename: {pattern: "^(.+)$", replacement: "k-$1"},
              index_settings: {"index.number_of_replicas": 0}, verify: "sample"}],
  cutover: {aliases: [{alias: $alias, index: ("k-" + $p + "-a")}], unblock_source: true},
  polling: {initial_ms: 100, max_ms: 300}}')"

rn_run "$RN_TMP/run.ndjson" --json --state "$STATE" "$PLAN"
assert_eq 0 "$RN_RC" "run exit status ($(tail -c 600 "$RN_TMP/run.ndjson.err"))"

n=1000
for point in block-held restore-held switch-held; do
    bulk "$PREFIX-a" "$n" 20
    n=$((n + 20))
    # the alias back on the old index: each round has a switch to do
    it_http POST "$DST/_aliases" \
        '{"actions":[{"remove":{"index":"k-'"$PREFIX"'-*","alias":"'"$ALIAS"'"}},{"add":{"index":"old-'"$PREFIX"'","alias":"'"$ALIAS"'"}}]}'
    assert_eq "old-$PREFIX" "$(jq -r 'keys | join(",")' <<<"$(it_json GET "$DST/_alias/$ALIAS")")" \
        "$point: the alias on the old index before the round"
    case "$point" in
        block-held) url="$S" rule='{"method":"PUT","path":"/_settings$","action":"hold"}' ;;
        restore-held) url="$T" rule='{"method":"POST","path":"/_restore","action":"hold"}' ;;
        switch-held) url="$T" rule='{"method":"POST","path":"^/_aliases$","action":"hold"}' ;;
    esac
    id="$(fp_rule "$url" "$rule")"
    "$SNM_BINARY" cutover --json --state "$STATE" "$PLAN" >"$RN_TMP/$point.ndjson" 2>"$RN_TMP/$point.err" &
    pid=$!
    it_on_exit "kill -9 $pid 2>/dev/null || true"
    fp_wait "$url" "$id" 1 60
    kill -9 "$pid"
    wait "$pid" || true
    # the held request is dropped (its client is gone): what the state
    # file says is all a resume has
    fp_clear "$url"
    status_out="$("$SNM_BINARY" status --state "$STATE" "$PLAN" 2>&1 || true)"
    assert_contains "$status_out" "WRITE-BLOCKED by this plan's cutover (round" "$point: status shows the block"
    round="$(jq '.rounds | length' "$STATE")"
    "$SNM_BINARY" cutover --json --state "$STATE" "$PLAN" >"$RN_TMP/$point.resume.ndjson" 2>"$RN_TMP/$point.resume.err" ||
        it_fail "$point: the resumed cutover failed: $(tail -c 800 "$RN_TMP/$point.resume.err")"
    assert_eq "$round" "$(jq '.rounds | length' "$STATE")" "$point: the resume finished the same round"
    assert_eq "done false" "$(jq -r '.rounds[-1].cutover | "\(.state) \(.source_blocked)"' "$STATE")" "$point: the cutover on record"
    assert_eq "unset false" "$(blocks)" "$point: every block back to its previous value (unblock_source)"
    assert_eq "$round" "$(rn_snapshots_of "$SRC" "$REPO" "$NAME")" "$point: one snapshot per round"
    snap="$(jq -r '.rounds[-1].snapshot.name' "$STATE")"
    assert_eq 1 "$(fp_log "$T" | jq --arg s "/_snapshot/$REPO/$snap/_restore" \
        '[.[] | select(.method == "POST" and (.path | startswith($s)) and (.upstream_status // 0) == 200)] | length')" \
        "$point: one restore POST reached the target"
    assert_eq "k-$PREFIX-a" "$(jq -r 'keys | join(",")' <<<"$(it_json GET "$DST/_alias/$ALIAS")")" "$point: alias moved"
    for ix in a b; do
        assert_eq "$(doc_count "$SRC" "$PREFIX-$ix")" "$(doc_count "$DST" "k-$PREFIX-$ix")" "$point: k-$PREFIX-$ix count"
    done
    it_log "$point: killed, resumed, round $round verified and switched"
done
# the switch: POST /_aliases reached the target once per round (the held
# one was dropped with its client)
assert_eq 3 "$(fp_log "$T" | jq '[.[] | select(.method == "POST" and .path == "/_aliases" and (.upstream_status // 0) == 200)] | length')" \
    "one effective POST /_aliases per cutover round"
it_pass "cutover killed at 3 points and resumed: no block forgotten, one snapshot per round, restored once, switched once"
