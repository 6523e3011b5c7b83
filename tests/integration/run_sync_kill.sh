#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `snapmig sync` killed with SIGKILL inside a round, then run again: it
# finishes the round with the guarantees of `run` - one snapshot per
# round, each index restored once per round (one restore POST reaches the
# target), nothing left closed, counts equal to the source's (no writer
# here) - and `status` shows an index the kill left between its close and
# its restore.  The kill points, reached through a fault proxy in front of
# the target (a held request, or one delivered after the kill):
#   close-held     POST TARGETS/_close held (nothing closed yet)
#   restore-held   POST _restore held: the indices are closed, not restored
#   restore-late   POST _restore delivered 1 s after the kill
#   identity-held  GET TARGETS/_settings/index.creation_date,... held
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/run/common.sh"

it_source_and_target

RUN="$(it_run_id)"
PREFIX="rn-sk-$RUN"
REPO="rn_sk_${RUN//-/_}"
NAME="rn-sk-$RUN"
LOC="$SNAPMIG_RIG_FS_REPO/it-sync-kill-$RUN"

it_on_exit "curl -s -m 30 -X DELETE '$SRC/$PREFIX-*'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/k-$PREFIX-*'"
it_on_exit "curl -s -m 60 -X DELETE '$SRC/_snapshot/$REPO/*'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/_snapshot/$REPO'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/_snapshot/$REPO'"
it_on_exit "rm -rf '$LOC'"

fp_start T "$DST"
T="$FP_URL_T"

bulk() { rn_bulk "$SRC" "$1" "$2" "$3" "?refresh=true"; } # INDEX FROM N
for ix in 001 002; do
    it_ack "create $PREFIX-$ix" PUT "$SRC/$PREFIX-$ix" '{"settings":{"number_of_shards":2,"number_of_replicas":0}}'
    bulk "$PREFIX-$ix" 0 500
done

PLAN="$RN_TMP/plan.json"
STATE="$RN_TMP/state.json"
rn_plan "$PLAN" "$(jq -n --arg s "$SRC" --arg t "$T" --arg repo "$REPO" --arg name "$NAME" \
    --arg loc "$LOC" --arg p "$PREFIX" '{
  snapmig: 1, name: $name,
  domains: {source: {endpoint: $s}, target: {endpoint: $t}},
  repository: {name: $repo, type: "fs", settings: {location: $loc}},
  snapshot: {domain: "source", indices: [($p + "-*")]},
  restores: [{domain: "target", rename: {pattern: "^(.+)$", replacement: "k-$1"},
              index_settings: {"index.number_of_replicas": 0}}],
  polling: {initial_ms: 100, max_ms: 300}}')"

rn_run "$RN_TMP/run.ndjson" --json --state "$STATE" "$PLAN"
assert_eq 0 "$RN_RC" "run exit status ($(tail -c 600 "$RN_TMP/run.ndjson.err"))"

# the round's checks, after the resumed sync finished
check_round() {
    local what="$1" rounds snap posts ix
    rounds="$(jq '.rounds | length' "$STATE")"
    assert_eq done "$(jq -r .step "$STATE")" "$what: state at done"
    assert_eq "$rounds" "$(rn_snapshots_of "$SRC" "$REPO" "$NAME")" "$what: one snapshot per round"
    snap="$(jq -r '.rounds[-1].snapshot.name' "$STATE")"
    posts="$(fp_log "$T" | jq --arg s "/_snapshot/$REPO/$snap/_restore" \
        '[.[] | select(.method == "POST" and (.path | startswith($s)) and (.upstream_status // 0) == 200)] | length')"
    assert_eq 1 "$posts" "$what: one restore POST of round $rounds reached the target"
    for ix in 001 002; do
        assert_eq open "$(curl -s "$DST/_cat/indices/k-$PREFIX-$ix?h=status" | tr -d ' \n')" "$what: k-$PREFIX-$ix open"
        assert_eq "$(doc_count "$SRC" "$PREFIX-$ix")" "$(doc_count "$DST" "k-$PREFIX-$ix")" "$what: k-$PREFIX-$ix count"
        assert_eq "verified true" "$(jq -r --arg t "k-$PREFIX-$ix" '.rounds[-1].restores[0].indices[] | select(.target == $t) | "\(.state) \(.replace)"' "$STATE")" \
            "$what: k-$PREFIX-$ix replaced and verified"
    done
}

n=1000
for point in close-held restore-held restore-late identity-held; do
    bulk "$PREFIX-001" "$n" 20
    n=$((n + 20))
    case "$point" in
        close-held) rule='{"method":"POST","path":"/_close$","action":"hold"}' ;;
        restore-held) rule='{"method":"POST","path":"/_restore","action":"hold"}' ;;
        restore-late) rule='{"method":"POST","path":"/_restore","action":"late","delay_ms":1000}' ;;
        identity-held) rule='{"method":"GET","path":"/_settings/index.creation_date,index.uuid","action":"hold"}' ;;
    esac
    id="$(fp_rule "$T" "$rule")"
    "$SNM_BINARY" sync --json --state "$STATE" "$PLAN" >"$RN_TMP/$point.ndjson" 2>"$RN_TMP/$point.err" &
    pid=$!
    it_on_exit "kill -9 $pid 2>/dev/null || true"
    fp_wait "$T" "$id" 1 60
    kill -9 "$pid"
    wait "$pid" || true
    fp_clear "$T"
    case "$point" in
        close-held | restore-held)
            status_out="$("$SNM_BINARY" status --state "$STATE" "$PLAN" 2>&1 || true)"
            assert_contains "$status_out" "MAY BE CLOSED" "$point: status shows the indices being replaced"
            ;;
        restore-late)
            # the late POST lands after the kill: wait for it on the proxy's log
            wait_for "the late restore delivered" 30 bash -c \
                "curl -s '$T/__proxy/log' | jq -e '[.[] | select(.action == \"late\" and .upstream_status != null)] | length > 0' >/dev/null"
            ;;
    esac
    "$SNM_BINARY" sync --json --state "$STATE" "$PLAN" >"$RN_TMP/$point.resume.ndjson" 2>"$RN_TMP/$point.resume.err" || \
        it_fail "$point: the resumed sync failed: $(tail -c 800 "$RN_TMP/$point.resume.err")"
    check_round "$point"
    it_log "$point: killed, resumed, round $(jq '.rounds | length' "$STATE") verified"
done
it_pass "sync killed at 4 points and resumed: one snapshot per round, restored once, nothing left closed"
