#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `snapmig check` changes nothing: with -v every request it sent is logged
# ("DOMAIN: METHOD PATH -> STATUS"); there must be some, all GET or HEAD
# but for the document counts' POST /_msearch (searches, which only read),
# and each domain's index list and repository list are byte-identical
# before and after - also for a plan with blockers, and for the legacy node.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/check/common.sh"

it_load_rig_env
SRC="$SNAPMIG_RIG_SOURCE_URL"
DST="$SNAPMIG_RIG_TARGET_URL"
LEG="$SNAPMIG_RIG_LEGACY_URL"
for n in source target legacy; do
    u="SNAPMIG_RIG_${n^^}_URL"
    it_require_search_up "$n" "${!u}"
done

RUN="$(it_run_id)"
P="ck-ro-$RUN"
REPO="ck_ro_${RUN//-/_}"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/$P-*'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/$P-*'"
it_on_exit "curl -s -m 30 -X DELETE '$LEG/$P-*'"
"$IT_RIG" seed --node source --indices 2 --docs 20 --prefix "$P" >/dev/null || it_fail "rig seed failed"
it_ack "index on legacy" PUT "$LEG/$P-l" '{"settings":{"number_of_shards":1,"number_of_replicas":0}}'
# A conflict, so the run below has blockers too.
it_ack "conflicting index on target" PUT "$DST/$P-000" '{"settings":{"number_of_shards":1,"number_of_replicas":0}}'

state() {
    local u
    for u in "$SRC" "$DST" "$LEG"; do
        curl -s -m 30 "$u/_cat/indices?expand_wildcards=all&h=index,status,uuid,docs.count&s=index"
        curl -s -m 30 "$u/_snapshot/_all"
    done
}

PLAN="$CK_TMP/plan.json"
ck_plan "$PLAN" "$(jq -n --arg s "$SRC" --arg t "$DST" --arg l "$LEG" --arg repo "$REPO" \
    --arg b "$SNAPMIG_RIG_S3_BUCKET" --arg p "$P" '{
  snapmig: 1, name: "check-readonly",
  domains: {source: {endpoint: $s}, target: {endpoint: $t}, legacy: {endpoint: $l}},
  repository: {name: $repo, type: "s3", settings: {bucket: $b, base_path: ("it/check-ro/" + $p)}},
  snapshot: {domain: "source", indices: ($p + "-*")},
  restores: [{domain: "target"}, {domain: "legacy", rename: {pattern: "^", replacement: "x-"}}]}')"

before="$(state)"
ck_run -v "$PLAN"
after="$(state)"
assert_eq 1 "$CK_RC" "exit status (blockers expected)"
[[ "$before" == "$after" ]] || it_fail "cluster state changed: $(diff <(echo "$before") <(echo "$after") | head -20)"

# es.c logs "snapmig: HH:MM:SS.mmm debug: DOMAIN: METHOD PATH -> STATUS (...)".
mapfile -t lines < <(grep -E ' debug: [a-z0-9_-]+: [A-Z]+ /[^ ]* -> [0-9]+' <<<"$CK_ERR" || true)
((${#lines[@]} >= 15)) || it_fail "expected at least 15 logged requests, got ${#lines[@]}: $CK_ERR"
searches=0
for l in "${lines[@]}"; do
    m="$(sed -E 's/.* debug: [a-z0-9_-]+: ([A-Z]+) .*/\1/' <<<"$l")"
    if [[ "$m" == POST && "$l" =~ ": POST /_msearch -> " ]]; then
        searches=$((searches + 1))
        continue
    fi
    [[ "$m" == GET || "$m" == HEAD ]] || it_fail "non-read request: $l"
done
((searches >= 1)) || it_fail "no POST /_msearch (the document counts) logged"
for d in source target legacy; do
    grep -q " debug: $d: GET / -> 200" <<<"$CK_ERR" || it_fail "no GET / logged for $d"
done
reported="$(grep -oE 'BLOCKED: [0-9]+ blockers?, [0-9]+ warnings? \(([0-9]+) requests' <<<"$CK_OUT" | grep -oE '[0-9]+ requests' | grep -oE '[0-9]+')"
assert_eq "${#lines[@]}" "$reported" "requests logged vs requests reported"

it_pass "${#lines[@]} requests, all GET but $searches POST /_msearch; indices and repositories unchanged on 3 domains"
