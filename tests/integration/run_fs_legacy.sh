#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `snapmig run` Elasticsearch 7.10 (legacy) -> OpenSearch (target) through
# the rig's shared `fs` repository: exit 0, counts and content match, the
# snapshot carries snapmig's metadata (Elasticsearch >= 7.3).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/run/common.sh"

it_load_rig_env
SRC="$SNAPMIG_RIG_LEGACY_URL"
DST="$SNAPMIG_RIG_TARGET_URL"
it_require_search_up legacy "$SRC"
it_require_search_up target "$DST"

RUN="$(it_run_id)"
PREFIX="rn-fs-$RUN"
REPO="rn_fs_${RUN//-/_}"
NAME="rn-fs-$RUN"
LOCATION="$SNAPMIG_RIG_FS_REPO/run-fs-$RUN"

it_on_exit "curl -s -m 30 -X DELETE '$SRC/$PREFIX-*'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/_snapshot/$REPO'"
it_on_exit "curl -s -m 60 -X DELETE '$SRC/_snapshot/$REPO/snapmig-$NAME-*'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/_snapshot/$REPO'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/$PREFIX-*'"

mapfile -t INDICES < <("$IT_RIG" seed --node legacy --indices 2 --docs 500 --prefix "$PREFIX" | awk '{print $1}')
assert_eq 2 "${#INDICES[@]}" "seeded indices"

PLAN="$RN_TMP/plan.json"
rn_plan "$PLAN" "$(jq -n --arg s "$SRC" --arg t "$DST" --arg repo "$REPO" --arg name "$NAME" \
    --arg loc "$LOCATION" --arg p "$PREFIX" '{
  snapmig: 1, name: $name,
  domains: {legacy: {endpoint: $s}, target: {endpoint: $t}},
  repository: {name: $repo, type: "fs", settings: {location: $loc}},
  snapshot: {domain: "legacy", indices: [($p + "-*")]},
  restores: [{domain: "target", index_settings: {"index.number_of_replicas": 0}}],
  polling: {initial_ms: 100, max_ms: 1000}}')"

rn_run "$RN_TMP/ev.ndjson" --json "$PLAN"
assert_eq 0 "$RN_RC" "exit status of run ($(cat "$RN_TMP/ev.ndjson.err"))"
rn_check_ndjson "$RN_TMP/ev.ndjson"
assert_eq true "$(jq -s '[.[] | select(.type == "verify.done")][0].ok' "$RN_TMP/ev.ndjson")" "verify.done ok"
SNAP="$(jq -sr '.[0].snapshot' "$RN_TMP/ev.ndjson")"
for i in "${INDICES[@]}"; do
    assert_eq 500 "$(doc_count "$DST" "$i")" "docs in $i on target"
    rn_fingerprint_eq "$SRC" "$DST" "$i" "$i"
done
body="$(it_json GET "$SRC/_snapshot/$REPO/$SNAP")"
assert_eq "$NAME" "$(jq -r '.snapshots[0].metadata.snapmig_plan' <<<"$body")" "metadata on Elasticsearch 7.10"
it_pass "Elasticsearch 7.10 -> OpenSearch via fs"
