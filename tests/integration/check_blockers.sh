#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Each blocker the rig can produce, found by `snapmig check`:
#  - an open index of the target name exists (on_conflict fail), and the
#    same with on_conflict skip reported as "skip", not a blocker;
#  - a closed index of the target name;
#  - two source indices renamed onto one target name;
#  - the repository registered on the target with other settings;
#  - an explicit source index that does not exist;
#  - an unreachable domain (a closed port) - the others are still checked;
#  - SigV4 credentials the server refuses (the rig's S3 server checks
#    signatures; the OpenSearch nodes have no security plugin).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/check/common.sh"

it_source_and_target
it_require_s3_up

RUN="$(it_run_id)"
P="ck-bl-$RUN"
REPO="ck_bl_${RUN//-/_}"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/$P-*'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/$P-*'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/_snapshot/$REPO'"

one_shard='{"settings":{"number_of_shards":1,"number_of_replicas":0}}'
for i in a-1 a-2 b-1; do
    it_ack "create $P-$i" PUT "$SRC/$P-$i" "$one_shard"
done

# base plan: everything with prefix P, renamed by prefix swap to P-x-
base() { # base RESTORE_JSON [EXTRA_DOMAINS_JSON]
    jq -n --arg s "$SRC" --arg t "$DST" --arg repo "$REPO" --arg b "$SNAPMIG_RIG_S3_BUCKET" \
        --arg p "$P" --argjson r "$1" --argjson extra "${2:-{\}}" '{
      snapmig: 1, name: "check-blockers",
      domains: ({source: {endpoint: $s}, target: {endpoint: $t}} + $extra),
      repository: {name: $repo, type: "s3", settings: {bucket: $b, base_path: ("it/check-blockers/" + $p)}},
      snapshot: {domain: "source", indices: [($p + "-*")]},
      restores: [({domain: "target", index_settings: {"index.number_of_replicas": 0}} + $r)]}'
}
PLAN="$CK_TMP/plan.json"

# 1. open index of the target name; skip turns it into "skip".
it_ack "create conflicting open index" PUT "$DST/$P-x-a-1" "$one_shard"
rename="{\"rename\":{\"pattern\":\"^$P-(.+)\$\",\"replacement\":\"$P-x-\$1\"}}"
ck_plan "$PLAN" "$(base "$rename")"
ck_json "$PLAN"
assert_eq 1 "$CK_RC" "exit with an open conflict"
ck_has_issue blocker index-exists target
assert_eq blocked "$(jq -r --arg t "$P-x-a-1" '.restores[0].items[] | select(.target==$t) | .action' <<<"$CK_OUT")" "action on conflict (fail)"
assert_eq restore "$(jq -r --arg t "$P-x-a-2" '.restores[0].items[] | select(.target==$t) | .action' <<<"$CK_OUT")" "action without conflict"
ck_plan "$PLAN" "$(base "$(jq -c '. + {on_conflict: "skip"}' <<<"$rename")")"
ck_json "$PLAN"
ck_no_blockers
assert_eq skip "$(jq -r --arg t "$P-x-a-1" '.restores[0].items[] | select(.target==$t) | .action' <<<"$CK_OUT")" "action on conflict (skip)"

# 2. a closed index of the target name is a blocker too.
it_http POST "$DST/$P-x-a-1/_close"
assert_http_status 200 "close $P-x-a-1"
ck_plan "$PLAN" "$(base "$rename")"
ck_json "$PLAN"
ck_has_issue blocker index-exists target
assert_contains "$(jq -r '.issues[] | select(.code=="index-exists") | .message' <<<"$CK_OUT")" "closed index $P-x-a-1" "closed conflict message"
curl -s -m 30 -X DELETE "$DST/$P-x-a-1" >/dev/null

# 3. two sources onto one name: a-1 and b-1 both become P-x-1.
ck_plan "$PLAN" "$(base "{\"rename\":{\"pattern\":\"^$P-[ab]-(.+)\$\",\"replacement\":\"$P-x-\$1\"}}")"
ck_json "$PLAN"
ck_has_issue blocker rename-collision target
assert_eq 2 "$(jq -r --arg t "$P-x-1" '[.restores[0].items[] | select(.target==$t and .action=="blocked")] | length' <<<"$CK_OUT")" "both colliding items blocked"

# 4. repository registered on the target with other settings.
it_ack "register differing repository" PUT "$DST/_snapshot/$REPO" \
    "$(jq -nc --arg b "$SNAPMIG_RIG_S3_BUCKET" '{type:"s3",settings:{bucket:$b,base_path:"elsewhere",readonly:true,compress:true}}')"
ck_plan "$PLAN" "$(base "$rename")"
ck_json "$PLAN"
ck_has_issue blocker repo-settings target
diff="$(jq -r '.domains[] | select(.id=="target") | .repository.differences' <<<"$CK_OUT")"
assert_contains "$diff" "base_path" "differing key named"
assert_contains "$diff" "compress" "extra key named"
[[ "$diff" != *readonly* ]] || it_fail "readonly \"true\" (string) vs true (bool) must compare equal: $diff"
# Registered the same way the plan would: no blocker ("true" == true).
it_ack "register matching repository" PUT "$DST/_snapshot/$REPO" \
    "$(jq -nc --arg b "$SNAPMIG_RIG_S3_BUCKET" --arg p "it/check-blockers/$P" '{type:"s3",settings:{bucket:$b,base_path:$p,readonly:true}}')"
ck_json "$PLAN"
assert_eq matches "$(jq -r '.domains[] | select(.id=="target") | .repository.state' <<<"$CK_OUT")" "matching registration"
curl -s -m 30 -X DELETE "$DST/_snapshot/$REPO" >/dev/null

# 5. an explicit index that does not exist on the source.
ck_plan "$PLAN" "$(base "$rename" | jq --arg p "$P" '.snapshot.indices += [($p + "-nope"), ($p + "-none-*")]')"
ck_json "$PLAN"
ck_has_issue blocker index-missing source
ck_has_issue warning pattern-no-match source

# 6. an unreachable target: blocker naming it; the source is still checked.
port="$(ck_closed_port)"
ck_plan "$PLAN" "$(base "$rename" | jq --arg u "http://127.0.0.1:$port" '.domains.target.endpoint = $u')"
ck_json "$PLAN"
ck_has_issue blocker unreachable target
assert_contains "$(jq -r '.issues[] | select(.code=="unreachable") | .message' <<<"$CK_OUT")" "target unreachable:" "unreachable message"
assert_eq true "$(jq -r '.domains[] | select(.id=="source") | .reachable' <<<"$CK_OUT")" "source still checked"
assert_eq 3 "$(jq -r '.snapshot.indices | length' <<<"$CK_OUT")" "source indices still resolved"

# 7. SigV4 with wrong credentials, against the S3 server (which verifies
#    signatures): an auth blocker naming the domain and "environment".
s3dom="$(jq -nc --arg u "$SNAPMIG_RIG_S3_URL" '{s3: {endpoint: $u, auth: {type: "aws-sigv4", service: "s3", region: "us-east-1"}}}')"
ck_plan "$PLAN" "$(base "$rename" "$s3dom")"
CK_RC=0
AWS_ACCESS_KEY_ID="$SNAPMIG_RIG_S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="wrong-$RUN-secret" AWS_SESSION_TOKEN= \
    AWS_PROFILE= AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_CONFIG_FILE=/dev/null \
    "$SNM_BINARY" check --json "$PLAN" >"$CK_TMP/out" 2>"$CK_TMP/err" || CK_RC=$?
CK_OUT="$(cat "$CK_TMP/out")"
assert_eq 1 "$CK_RC" "exit with an auth blocker"
ck_has_issue blocker auth s3
msg="$(jq -r '.issues[] | select(.code=="auth") | .message' <<<"$CK_OUT")"
assert_contains "$msg" "s3" "auth message names the domain"
assert_contains "$msg" "HTTP 403" "auth message has the status"
assert_contains "$msg" "environment" "auth message names the credentials source"
[[ "$CK_OUT$(cat "$CK_TMP/err")" != *"wrong-$RUN-secret"* ]] || it_fail "the secret key leaked into the output"
assert_eq true "$(jq -r '.domains[] | select(.id=="target") | .reachable' <<<"$CK_OUT")" "other domains still checked"

it_pass "open/closed conflicts, skip, collision, repository settings, missing index, unreachable, auth"
