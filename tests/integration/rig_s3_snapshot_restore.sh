#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Proof test: OpenSearch source -> S3 repository (S3Proxy) -> OpenSearch target.
# Seeds the source, snapshots to an s3 repository, restores on the target
# through a read-only registration of the same repository (renamed), and
# compares counts and content. Needs the rig: tests/rig/rig up
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

it_source_and_target
it_require_s3_up

RUN="$(it_run_id)"
PREFIX="it-s3-$RUN"
REPO="it_s3_${RUN//-/_}"
SNAP="snap-$RUN"
BASE_PATH="it/s3-snapshot-restore/$RUN"
RESTORED="restored-"
NUM_INDICES=3
NUM_DOCS=500

it_on_exit "curl -s -m 30 -X DELETE '$SRC/$PREFIX-*'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/_snapshot/$REPO'"
it_on_exit "curl -s -m 60 -X DELETE '$SRC/_snapshot/$REPO/$SNAP'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/_snapshot/$REPO'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/$RESTORED$PREFIX-*'"

it_log "seeding $NUM_INDICES indices x $NUM_DOCS docs on source (prefix $PREFIX)"
seeded="$("$IT_RIG" seed --node source --indices "$NUM_INDICES" --docs "$NUM_DOCS" --prefix "$PREFIX")" ||
    it_fail "rig seed failed"
mapfile -t INDICES < <(awk '{ print $1 }' <<<"$seeded")
assert_eq "$NUM_INDICES" "${#INDICES[@]}" "number of seeded indices"

repo_settings="$(jq -nc --arg b "$SNAPMIG_RIG_S3_BUCKET" --arg p "$BASE_PATH" '{type:"s3",settings:{bucket:$b,base_path:$p}}')"
it_ack "register s3 repository on source" PUT "$SRC/_snapshot/$REPO" "$repo_settings"
resp="$(it_json POST "$SRC/_snapshot/$REPO/_verify")"
[[ "$(jq -r '.nodes | length' <<<"$resp")" -ge 1 ]] || it_fail "repository verification on source: $resp"

resp="$(it_json PUT "$SRC/_snapshot/$REPO/$SNAP?wait_for_completion=false" \
    "$(jq -nc --arg i "$PREFIX-*" '{indices:$i,include_global_state:false}')")"
assert_eq true "$(jq -r .accepted <<<"$resp")" "snapshot accepted"
wait_for "snapshot $SNAP SUCCESS on source" 180 snapshot_done "$SRC" "$REPO" "$SNAP"

snap_info="$(it_json GET "$SRC/_snapshot/$REPO/$SNAP")"
assert_eq 0 "$(jq -r '.snapshots[0].shards.failed' <<<"$snap_info")" "failed shards in snapshot"
assert_eq "$NUM_INDICES" "$(jq -r '.snapshots[0].indices | length' <<<"$snap_info")" "indices in snapshot"

# The snapshot really is in the bucket (signed S3 listing under base_path).
# curl 7.88's SigV4 neither sorts nor encodes the query: give it canonical form.
listing="$(s3_curl "$SNAPMIG_RIG_S3_ACCESS_KEY" "$SNAPMIG_RIG_S3_SECRET_KEY" -H "x-amz-content-sha256: $IT_EMPTY_SHA256" \
    "$SNAPMIG_RIG_S3_URL/$SNAPMIG_RIG_S3_BUCKET?list-type=2&max-keys=1000&prefix=$(jq -rn --arg p "$BASE_PATH/" '$p|@uri')")"
assert_contains "$listing" "<Key>$BASE_PATH/index.latest</Key>" "repository root blob in the S3 bucket"
assert_contains "$listing" "<Key>$BASE_PATH/indices/" "index data in the S3 bucket"

ro_settings="$(jq -nc --arg b "$SNAPMIG_RIG_S3_BUCKET" --arg p "$BASE_PATH" '{type:"s3",settings:{bucket:$b,base_path:$p,readonly:true}}')"
it_ack "register read-only s3 repository on target" PUT "$DST/_snapshot/$REPO" "$ro_settings"
resp="$(it_json GET "$DST/_snapshot/$REPO/_all")"
assert_eq "$SNAP" "$(jq -r '.snapshots[].snapshot' <<<"$resp")" "snapshots visible on target"

resp="$(it_json POST "$DST/_snapshot/$REPO/$SNAP/_restore?wait_for_completion=false" \
    "$(jq -nc --arg i "$PREFIX-*" --arg r "$RESTORED\$1" '{indices:$i,include_global_state:false,rename_pattern:"(.+)",rename_replacement:$r}')")"
assert_eq true "$(jq -r .accepted <<<"$resp")" "restore accepted"
wait_for "restored indices green on target" 180 indices_green "$DST" "$RESTORED$PREFIX-*" "$NUM_INDICES"

assert_same_counts "$SRC" "$DST" "$RESTORED" "${INDICES[@]}"
assert_eq "$NUM_DOCS" "$(doc_count "$DST" "$RESTORED${INDICES[0]}")" "docs in $RESTORED${INDICES[0]}"

# A read-only repository must refuse writes.
it_http PUT "$DST/_snapshot/$REPO/must-fail?wait_for_completion=true" '{"indices":"none"}'
[[ "$IT_STATUS" != 2* ]] || it_fail "snapshot into read-only repository on target unexpectedly succeeded"

it_pass "$NUM_INDICES indices restored from s3://$SNAPMIG_RIG_S3_BUCKET/$BASE_PATH"
