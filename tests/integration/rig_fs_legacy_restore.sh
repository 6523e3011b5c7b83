#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Proof test: Elasticsearch 7.10 (legacy) -> shared fs repository ->
# OpenSearch 2.x (target). Seeds legacy, snapshots into a directory under the
# shared path.repo, restores it on the target through a read-only fs
# registration (renamed), and compares counts and content.
# Needs the rig: tests/rig/rig up
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

it_load_rig_env
SRC="$SNAPMIG_RIG_LEGACY_URL"
DST="$SNAPMIG_RIG_TARGET_URL"
it_require_search_up legacy "$SRC"
it_require_search_up target "$DST"

legacy_version="$(it_json GET "$SRC/" | jq -r .version.number)"
[[ "$legacy_version" == 7.* ]] || it_fail "legacy node is not Elasticsearch 7.x (version $legacy_version)"

RUN="$(it_run_id)"
PREFIX="it-fs-$RUN"
REPO="it_fs_${RUN//-/_}"
SNAP="snap-$RUN"
LOCATION="$SNAPMIG_RIG_FS_REPO/it-fs-legacy-restore-$RUN"
RESTORED="restored-"
NUM_INDICES=2
NUM_DOCS=750

it_on_exit "curl -s -m 30 -X DELETE '$SRC/$PREFIX-*'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/_snapshot/$REPO'"
it_on_exit "curl -s -m 60 -X DELETE '$SRC/_snapshot/$REPO/$SNAP'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/_snapshot/$REPO'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/$RESTORED$PREFIX-*'"

it_log "seeding $NUM_INDICES indices x $NUM_DOCS docs on legacy $legacy_version (prefix $PREFIX)"
seeded="$("$IT_RIG" seed --node legacy --indices "$NUM_INDICES" --docs "$NUM_DOCS" --prefix "$PREFIX")" ||
    it_fail "rig seed failed"
mapfile -t INDICES < <(awk '{ print $1 }' <<<"$seeded")
assert_eq "$NUM_INDICES" "${#INDICES[@]}" "number of seeded indices"

it_ack "register fs repository on legacy" PUT "$SRC/_snapshot/$REPO" "$(jq -nc --arg l "$LOCATION" '{type:"fs",settings:{location:$l}}')"

resp="$(it_json PUT "$SRC/_snapshot/$REPO/$SNAP?wait_for_completion=false" \
    "$(jq -nc --arg i "$PREFIX-*" '{indices:$i,include_global_state:false}')")"
assert_eq true "$(jq -r .accepted <<<"$resp")" "snapshot accepted"
wait_for "snapshot $SNAP SUCCESS on legacy" 180 snapshot_done "$SRC" "$REPO" "$SNAP"
snap_info="$(it_json GET "$SRC/_snapshot/$REPO/$SNAP")"
assert_eq 0 "$(jq -r '.snapshots[0].shards.failed' <<<"$snap_info")" "failed shards in snapshot"
assert_eq "$legacy_version" "$(jq -r '.snapshots[0].version' <<<"$snap_info")" "snapshot version"
[[ -f "$LOCATION/index.latest" ]] || it_fail "no $LOCATION/index.latest: the snapshot is not in the shared fs repository"

it_ack "register read-only fs repository on target" PUT "$DST/_snapshot/$REPO" "$(jq -nc --arg l "$LOCATION" '{type:"fs",settings:{location:$l,readonly:true}}')"
resp="$(it_json GET "$DST/_snapshot/$REPO/$SNAP")"
assert_eq SUCCESS "$(jq -r '.snapshots[0].state' <<<"$resp")" "legacy snapshot state as seen by target"

resp="$(it_json POST "$DST/_snapshot/$REPO/$SNAP/_restore?wait_for_completion=false" \
    "$(jq -nc --arg i "$PREFIX-*" --arg r "$RESTORED\$1" '{indices:$i,include_global_state:false,rename_pattern:"(.+)",rename_replacement:$r}')")"
assert_eq true "$(jq -r .accepted <<<"$resp")" "restore accepted"
wait_for "restored indices green on target" 180 indices_green "$DST" "$RESTORED$PREFIX-*" "$NUM_INDICES"

assert_same_counts "$SRC" "$DST" "$RESTORED" "${INDICES[@]}"
assert_eq "$NUM_DOCS" "$(doc_count "$DST" "$RESTORED${INDICES[0]}")" "docs in $RESTORED${INDICES[0]}"
created="$(it_json GET "$DST/$RESTORED${INDICES[0]}/_settings" | jq -r '.[].settings.index.version.created')"
[[ "$created" =~ ^7 ]] || it_fail "restored index should keep its Elasticsearch 7 creation version, got '$created'"

it_pass "$NUM_INDICES indices restored from ES $legacy_version via fs repository $LOCATION"
