#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A target whose index listing cannot be read is never taken for an empty
# one (issue #8, item 2).  A fault proxy (tests/support/faultproxy.py, the
# fp_* helpers of lib.sh) sits in front of the target and answers
# GET /_cat/indices with a refusal (403, as for an identity without the
# monitor permissions), a 500, or a 200 that is not the table asked for.
# The target holds a CLOSED index of the name the restore gives:
#  - check exits 1 with an indices-unreadable blocker on the target that
#    names the request and the server's reason, the restore "blocked";
#  - run refuses before changing anything: the closed index keeps its
#    uuid and stays closed, no repository is registered on the target.
# Needs the fault proxy (branch wt-infra): fp_start/fp_rule in lib.sh.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/check/common.sh"

declare -F fp_start >/dev/null ||
    it_fail "this test needs the fault proxy helpers (fp_start, fp_rule in lib.sh)"
it_source_and_target
it_require_s3_up

RUN="$(it_run_id)"
P="ck-unk-$RUN"
REPO="ck_unk_${RUN//-/_}"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/$P-*'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/$P-*'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/_snapshot/$REPO'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/_snapshot/$REPO'"

one_shard='{"settings":{"number_of_shards":1,"number_of_replicas":0}}'
it_ack "create $P-a" PUT "$SRC/$P-a" "$one_shard"
it_ack "create the target's $P-a" PUT "$DST/$P-a" "$one_shard"
it_ack "close the target's $P-a" POST "$DST/$P-a/_close" ''
uuid_before="$(curl -s -m 30 "$DST/_cat/indices/$P-a?h=uuid,status&expand_wildcards=all")"

fp_start target "$DST"
PLAN="$CK_TMP/plan.json"
ck_plan "$PLAN" "$(jq -n --arg s "$SRC" --arg t "$FP_URL_target" --arg repo "$REPO" \
    --arg b "$SNAPMIG_RIG_S3_BUCKET" --arg p "$P" '{
  snapmig: 1, name: "check-unknown-listing",
  domains: {source: {endpoint: $s}, target: {endpoint: $t}},
  repository: {name: $repo, type: "s3", settings: {bucket: $b, base_path: ("it/check-unknown/" + $p)}},
  snapshot: {domain: "source", indices: [($p + "-*")]},
  restores: [{domain: "target", index_settings: {"index.number_of_replicas": 0}}]}')"

# Without a fault the closed index is seen: an index-exists blocker.
ck_json "$PLAN"
assert_eq 1 "$CK_RC" "exit with the closed index in the way"
ck_has_issue blocker index-exists target

denied='{"error":{"root_cause":[{"type":"security_exception","reason":"no permissions for [indices:monitor/settings/get]"}],"type":"security_exception","reason":"no permissions for [indices:monitor/settings/get]"},"status":403}'
boom='{"error":{"type":"exception","reason":"boom"},"status":500}'
for fault in "403|$denied|HTTP 403 security_exception: no permissions" \
    "500|$boom|HTTP 500 exception: boom" \
    '200|[{"index":"x"}]|HTTP 200, but the reply'; do
    IFS='|' read -r status body want <<<"$fault"
    id="$(fp_rule "$FP_URL_target" "$(jq -nc --arg b "$body" --argjson s "$status" \
        '{method: "GET", path: "^/_cat/indices", action: "respond", status: $s, body: $b, times: 0}')")"
    ck_json "$PLAN"
    assert_eq 1 "$CK_RC" "check exit ($status)"
    ck_has_issue blocker indices-unreadable target
    msg="$(jq -r '.issues[] | select(.code=="indices-unreadable") | .message' <<<"$CK_OUT")"
    assert_contains "$msg" "GET /_cat/indices" "message names the request ($status)"
    assert_contains "$msg" "$want" "message gives the cause ($status)"
    assert_eq blocked "$(jq -r '.restores[0].items[0].action' <<<"$CK_OUT")" "the restore is not predicted as fine ($status)"
    curl -s -m 30 -X DELETE "$FP_URL_target/__proxy/rules/$id" >/dev/null
done

# run goes through the same preflight: it refuses, the closed index stays.
fp_rule "$FP_URL_target" "$(jq -nc --arg b "$denied" \
    '{method: "GET", path: "^/_cat/indices", action: "respond", status: 403, body: $b, times: 0}')" >/dev/null
rc=0
"$SNM_BINARY" run --state "$CK_TMP/state.json" "$PLAN" >"$CK_TMP/run.out" 2>"$CK_TMP/run.err" || rc=$?
[[ "$rc" -ne 0 ]] || it_fail "run went ahead with the target's listing unknown"
assert_contains "$(cat "$CK_TMP/run.err")" "indices-unreadable" "run names the blocker"
assert_eq "$uuid_before" "$(curl -s -m 30 "$DST/_cat/indices/$P-a?h=uuid,status&expand_wildcards=all")" "the closed index is untouched"
assert_eq null "$(curl -s -m 30 "$DST/_snapshot" | jq -c --arg r "$REPO" '.[$r]')" "no repository on the target"

it_pass "403, 500 and a foreign 200 on the target's listing block check and run"
