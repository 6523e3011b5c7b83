#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# One cluster under two domain ids (issue #8, item 8): a plan whose
# "source" and "copy" domains both point at the rig's source node.
#  - check finds them by cluster_uuid: "copy" is the same cluster as
#    "source" (human report and --json same_as), and shares its repository
#    registration: nothing read-only is planned for it, even with
#    readonly_on_targets, and there is no repository blocker between them;
#  - with a rename the plan has no blocker at all;
#  - without one, each restore would land on the source's own open index:
#    index-exists blockers, and nothing else.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/check/common.sh"

it_load_rig_env
SRC="$SNAPMIG_RIG_SOURCE_URL"
it_require_search_up source "$SRC"
it_require_s3_up

RUN="$(it_run_id)"
P="ck-same-$RUN"
REPO="ck_same_${RUN//-/_}"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/$P-*'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/_snapshot/$REPO'"
"$IT_RIG" seed --node source --indices 2 --docs 10 --prefix "$P" >/dev/null || it_fail "rig seed failed"

plan() { # plan RESTORE_EXTRA_JSON
    jq -n --arg s "$SRC" --arg repo "$REPO" --arg b "$SNAPMIG_RIG_S3_BUCKET" \
        --arg p "$P" --argjson r "$1" '{
      snapmig: 1, name: "check-same-cluster",
      domains: {source: {endpoint: $s}, copy: {endpoint: $s}},
      repository: {name: $repo, type: "s3", readonly_on_targets: true,
                   settings: {bucket: $b, base_path: ("it/check-same/" + $p)}},
      snapshot: {domain: "source", indices: [($p + "-*")]},
      restores: [({domain: "copy", index_settings: {"index.number_of_replicas": 0}} + $r)]}'
}
PLAN="$CK_TMP/plan.json"
rename="{\"rename\":{\"pattern\":\"^$P-(.+)\$\",\"replacement\":\"$P-copy-\$1\"}}"

# 1. renamed: no blocker; "copy" is the same cluster as "source".
ck_plan "$PLAN" "$(plan "$rename")"
ck_json "$PLAN"
ck_no_blockers
uuid="$(curl -s -m 30 "$SRC/" | jq -r .cluster_uuid)"
assert_eq source "$(jq -r '.domains[] | select(.id=="copy") | .same_as' <<<"$CK_OUT")" "copy.same_as"
assert_eq null "$(jq -r '.domains[] | select(.id=="source") | .same_as' <<<"$CK_OUT")" "source.same_as"
assert_eq "$uuid" "$(jq -r '.domains[] | select(.id=="copy") | .cluster_uuid' <<<"$CK_OUT")" "cluster_uuid"
# the registration planned for "copy" is the source's: not read-only
assert_eq null "$(jq -r '.domains[] | select(.id=="copy") | .repository.would_register.settings.readonly' <<<"$CK_OUT")" "copy's registration is writable"
assert_eq "$(jq -c '.domains[] | select(.id=="source") | .repository.would_register' <<<"$CK_OUT")" \
    "$(jq -c '.domains[] | select(.id=="copy") | .repository.would_register' <<<"$CK_OUT")" "one registration"
assert_eq 2 "$(jq -r '[.restores[0].items[] | select(.action=="restore")] | length' <<<"$CK_OUT")" "both indices restored"
body="$(jq -c '.domains[] | select(.id=="source") | .repository.would_register' <<<"$CK_OUT")"
ck_run "$PLAN"
assert_eq 0 "$CK_RC" "human check exit"
assert_contains "$CK_OUT" "same cluster as source (cluster_uuid $uuid)" "human report"

# 2. the source's registration exists (writable): it matches for both ids.
it_ack "register the repository on the source" PUT "$SRC/_snapshot/$REPO" "$body"
ck_json "$PLAN"
ck_no_blockers
assert_eq matches "$(jq -r '.domains[] | select(.id=="copy") | .repository.state' <<<"$CK_OUT")" "copy's repository state"

# 3. no rename: each restore would land on the source's own open index.
ck_plan "$PLAN" "$(plan '{}')"
ck_json "$PLAN"
assert_eq 1 "$CK_RC" "exit with the source's own indices in the way"
assert_eq "index-exists" "$(jq -r '[.issues[] | select(.severity=="blocker") | .code] | unique | join(",")' <<<"$CK_OUT")" "only index-exists blockers"
assert_eq 2 "$(jq -r '[.issues[] | select(.severity=="blocker")] | length' <<<"$CK_OUT")" "one per index"

it_pass "same cluster under two ids: detected, one writable registration, own indices block"
