#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Safety issue, item 8: one cluster under two domain ids (the rig's source
# as "source" and, through another endpoint spelling, as "copy").  check
# says it is the same cluster; run registers the repository once, writable
# (before, it registered it read-only through "copy", which made the
# source's registration read-only and failed the snapshot), copies the
# indices within the cluster under new names and verifies them; the
# repository is left writable.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/run/common.sh"

it_load_rig_env
SRC="$SNAPMIG_RIG_SOURCE_URL"
it_require_search_up source "$SRC"
it_require_s3_up
ALT="${SRC/127.0.0.1/localhost}"
[[ "$ALT" != "$SRC" ]] || it_fail "cannot spell $SRC another way"

RUN="$(it_run_id)"
PREFIX="sc-$RUN"
REPO="sc_${RUN//-/_}"
NAME="sc-$RUN"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/$PREFIX-*,copy-$PREFIX-*'"
it_on_exit "curl -s -m 60 -X DELETE '$SRC/_snapshot/$REPO/snapmig-*'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/_snapshot/$REPO'"
mapfile -t INDICES < <("$IT_RIG" seed --node source --indices 2 --docs 300 --prefix "$PREFIX" | awk '{print $1}')

PLAN="$RN_TMP/plan.json"
rn_plan "$PLAN" "$(jq -n --arg s "$SRC" --arg a "$ALT" --arg repo "$REPO" --arg name "$NAME" \
    --arg b "$SNAPMIG_RIG_S3_BUCKET" --arg run "$RUN" --arg p "$PREFIX" '{
  snapmig: 1, name: $name,
  domains: {source: {endpoint: $s}, copy: {endpoint: $a}},
  repository: {name: $repo, type: "s3", settings: {bucket: $b, base_path: ("it/same-cluster/" + $run)}},
  snapshot: {domain: "source", indices: [($p + "-*")]},
  restores: [{domain: "copy", rename: {pattern: "^(.+)$", replacement: "copy-$1"},
              index_settings: {"index.number_of_replicas": 0}}]}')"

out="$("$SNM_BINARY" check --json "$PLAN")" || it_fail "check: exit $? ($out)"
assert_contains "$(jq -r '.issues[]? | select(.code == "same-cluster") | .message' <<<"$out")" \
    "same cluster as the source" "check names the same cluster"

rn_run "$RN_TMP/ev" --json "$PLAN"
assert_eq 0 "$RN_RC" "exit of a same-cluster copy ($(tail -3 "$RN_TMP/ev.err"))"
assert_eq 1 "$(jq -s '[.[] | select(.type == "repository.registered")] | length' "$RN_TMP/ev")" "one registration"
assert_eq 2 "$(jq -s '[.[] | select(.type == "verify.index" and .ok)] | length' "$RN_TMP/ev")" "verified"
assert_eq null "$(it_json GET "$SRC/_snapshot/$REPO" | jq -r ".\"$REPO\".settings.readonly")" "the registration is writable"
for i in "${INDICES[@]}"; do
    assert_eq 300 "$(doc_count "$SRC" "copy-$i")" "docs in copy-$i"
    assert_eq 300 "$(doc_count "$SRC" "$i")" "docs in $i (the original)"
done
it_pass "same cluster under two ids: registered once, copied and verified"
