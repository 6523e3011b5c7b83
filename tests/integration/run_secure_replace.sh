#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Restoring over an existing index needs indices:admin/close, which the
# security plugin's manage_snapshots role does not grant.  On the rig's
# 'secure' node as target, user "migrator" (manage_snapshots and a read
# role of the rig's own) and a plan from the legacy Elasticsearch 7.10
# node (the secure node is older than the OpenSearch source) with
# on_conflict "replace" over an index an admin made there:
#  1. check warns (permission-unknown) that it cannot tell whether the
#     identity may close indices, naming indices:admin/close;
#  2. run stops with the server's 403 for the close, names the request
#     and the permission, and the index is as it was (open, its document);
#  3. as admin (all_access) check says nothing about closing, and the run
#     replaces and verifies the index.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=run/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/run/common.sh"

it_load_rig_env
it_require_secure_up
SEC="$SNAPMIG_RIG_SECURE_URL"
SRC="$SNAPMIG_RIG_LEGACY_URL"
it_require_search_up legacy "$SRC"

RUN="$(it_run_id)"
P="rr-$RUN"
REPO="rr_${RUN//-/_}"
LOCATION="$SNAPMIG_RIG_FS_REPO/run-secure-replace-$RUN"
it_on_exit "rm -rf '$LOCATION'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/$P-*'"
it_on_exit "curl -s -m 60 -X DELETE '$SRC/_snapshot/$REPO/*'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/_snapshot/$REPO'"
it_on_exit "it_secure_http admin DELETE '$SEC/_snapshot/$REPO'"
it_on_exit "it_secure_http admin DELETE '$SEC/m-$P-*'"

"$IT_RIG" seed --node legacy --indices 1 --docs 200 --prefix "$P" >/dev/null || it_fail "rig seed failed"
settings="$(curl -s -m 30 "$SRC/$P-*/_settings/index.number_of_shards?flat_settings=true")"
IX="$(jq -r 'keys[0]' <<<"$settings")"
SHARDS="$(jq -r --arg i "$IX" '.[$i].settings["index.number_of_shards"]' <<<"$settings")"
[[ "$SHARDS" =~ ^[0-9]+$ ]] || it_fail "source shard count: $settings"
# the index on the target the plan will replace, made by an admin
it_secure_json admin PUT "$SEC/m-$IX" "{\"settings\":{\"number_of_shards\":$SHARDS,\"number_of_replicas\":0}}" >/dev/null
it_secure_json admin PUT "$SEC/m-$IX/_doc/mine?refresh=true" '{"by":"admin"}' >/dev/null

# plan USER (each user's run takes a snapshot name of its own: the two
# runs are separate runs, and may start within the same second)
plan() {
    jq -n --arg s "$SRC" --arg t "$SEC" --arg u "$1" --arg ca "$SNAPMIG_RIG_SECURE_CA" \
        --arg p "$P" --arg repo "$REPO" --arg loc "$LOCATION" '{
      snapmig: 1, name: "run-secure-replace",
      domains: {
        source: {endpoint: $s},
        secure: {endpoint: $t, ca_file: $ca,
                 auth: {type: "basic", username: $u, password_env: "SNM_IT_SECURE_PW"}}},
      repository: {name: $repo, type: "fs", settings: {location: $loc}},
      snapshot: {domain: "source", indices: [($p + "-*")],
                 name: ("snapmig-{plan}-" + $u + "-{utc:%Y%m%d-%H%M%S}")},
      restores: [{domain: "secure", rename: {pattern: "^(.+)$", replacement: "m-$1"},
                  on_conflict: "replace", index_settings: {"index.number_of_replicas": 0}}]}'
}
PLAN="$RN_TMP/plan.json"

untouched() { # WHAT: the admin's index is open, with its one document
    it_secure_http admin GET "$SEC/_cat/indices/m-$IX?h=status"
    assert_eq open "$(tr -d ' \n' <<<"$IT_BODY")" "$1: m-$IX is open"
    it_secure_http admin GET "$SEC/m-$IX/_count"
    assert_eq 1 "$(jq -r .count <<<"$IT_BODY")" "$1: m-$IX holds the admin's document"
}

# ------------------------------------------------ 1. check as migrator
export SNM_IT_SECURE_PW="$SNAPMIG_RIG_SECURE_MIGRATOR_PASSWORD"
rn_plan "$PLAN" "$(plan migrator)"
rc=0
"$SNM_BINARY" check --json --state "$RN_TMP/m.state" "$PLAN" >"$RN_TMP/check.json" 2>"$RN_TMP/check.err" || rc=$?
assert_eq 0 "$rc" "check as migrator: exit code ($(jq -c '[.issues[] | select(.severity == "blocker")]' "$RN_TMP/check.json"))"
assert_eq replace "$(jq -r '.restores[0].items[0].action' "$RN_TMP/check.json")" "check predicts the replace"
msg="$(jq -r '[.issues[] | select(.code == "permission-unknown" and .domain == "secure")][0].message' "$RN_TMP/check.json")"
assert_contains "$msg" "indices:admin/close" "check names the close permission"
assert_contains "$msg" "user \"migrator\"" "check names the user"
untouched "after check"

# ------------------------------------------------ 2. run as migrator
rn_run "$RN_TMP/m.out" --state "$RN_TMP/m.state" "$PLAN"
assert_eq 1 "$RN_RC" "run as migrator: exit code"
err="$(cat "$RN_TMP/m.out.err")"
assert_contains "$err" "403" "the run's message has the server's status"
assert_contains "$err" "indices:admin/close" "the run's message names the permission"
assert_contains "$err" "_close" "the run's message names the request"
untouched "after the refused close"

# ------------------------------------------------ 3. as admin
export SNM_IT_SECURE_PW="$(it_secure_password admin)"
rn_plan "$PLAN" "$(plan admin)"
rc=0
"$SNM_BINARY" check --json --state "$RN_TMP/a.state" "$PLAN" >"$RN_TMP/check2.json" 2>/dev/null || rc=$?
assert_eq 0 "$rc" "check as admin: exit code"
assert_eq 0 "$(jq '[.issues[] | select(.code == "permission-unknown" or .code == "permission-missing")] | length' "$RN_TMP/check2.json")" "check as admin: nothing about permissions"
rn_run "$RN_TMP/a.out" --state "$RN_TMP/a.state" "$PLAN"
assert_eq 0 "$RN_RC" "run as admin: exit code ($(tail -c 600 "$RN_TMP/a.out.err"))"
it_secure_http admin GET "$SEC/m-$IX/_count"
assert_eq 200 "$(jq -r .count <<<"$IT_BODY")" "the replaced index holds the source's documents"
it_pass
