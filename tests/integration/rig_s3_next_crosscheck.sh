#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Optional proof test (needs the opt-in 'next' node: SNAPMIG_RIG_NEXT=1
# tests/rig/rig up). Cross-checks the rig's stand-in repository-s3 plugin on
# OpenSearch 2.x against the upstream repository-s3 plugin on OpenSearch 3.x:
#  1. source (stand-in) snapshots to S3, next (upstream) restores it;
#  2. next (upstream) snapshots to S3, source (stand-in) reads its metadata.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

it_load_rig_env
[[ -n "${SNAPMIG_RIG_NEXT_URL:-}" ]] ||
    it_fail "the 'next' node is not up (SNAPMIG_RIG_NEXT_URL unset) - start it with: SNAPMIG_RIG_NEXT=1 tests/rig/rig up"
SRC="$SNAPMIG_RIG_SOURCE_URL"
NXT="$SNAPMIG_RIG_NEXT_URL"
it_require_search_up source "$SRC"
it_require_search_up next "$NXT"
it_require_s3_up

RUN="$(it_run_id)"
PREFIX="it-x-$RUN"
REPO1="it_x1_${RUN//-/_}"
REPO2="it_x2_${RUN//-/_}"
SNAP1="snap1-$RUN"
SNAP2="snap2-$RUN"
BASE1="it/next-crosscheck/$RUN/from-source"
BASE2="it/next-crosscheck/$RUN/from-next"
RESTORED="restored-"
NUM_INDICES=2
NUM_DOCS=300

it_on_exit "curl -s -m 30 -X DELETE '$SRC/$PREFIX-*'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/_snapshot/$REPO1'"
it_on_exit "curl -s -m 60 -X DELETE '$SRC/_snapshot/$REPO1/$SNAP1'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/_snapshot/$REPO2'"
it_on_exit "curl -s -m 30 -X DELETE '$NXT/_snapshot/$REPO2'"
it_on_exit "curl -s -m 60 -X DELETE '$NXT/_snapshot/$REPO2/$SNAP2'"
it_on_exit "curl -s -m 30 -X DELETE '$NXT/_snapshot/$REPO1'"
it_on_exit "curl -s -m 30 -X DELETE '$NXT/$RESTORED$PREFIX-*'"

plugins="$(it_json GET "$NXT/_cat/plugins?h=component")"
assert_contains "$plugins" repository-s3 "plugins on next"

seeded="$("$IT_RIG" seed --node source --indices "$NUM_INDICES" --docs "$NUM_DOCS" --prefix "$PREFIX")" || it_fail "rig seed failed"
mapfile -t INDICES < <(awk '{ print $1 }' <<<"$seeded")

# 1. stand-in writes, upstream reads.
it_ack "register s3 repository on source" PUT "$SRC/_snapshot/$REPO1" "$(jq -nc --arg b "$SNAPMIG_RIG_S3_BUCKET" --arg p "$BASE1" '{type:"s3",settings:{bucket:$b,base_path:$p}}')"
resp="$(it_json PUT "$SRC/_snapshot/$REPO1/$SNAP1?wait_for_completion=false" "$(jq -nc --arg i "$PREFIX-*" '{indices:$i,include_global_state:false}')")"
assert_eq true "$(jq -r .accepted <<<"$resp")" "snapshot on source accepted"
wait_for "snapshot $SNAP1 SUCCESS on source" 180 snapshot_done "$SRC" "$REPO1" "$SNAP1"

it_ack "register read-only s3 repository on next" PUT "$NXT/_snapshot/$REPO1" "$(jq -nc --arg b "$SNAPMIG_RIG_S3_BUCKET" --arg p "$BASE1" '{type:"s3",settings:{bucket:$b,base_path:$p,readonly:true}}')"
resp="$(it_json POST "$NXT/_snapshot/$REPO1/$SNAP1/_restore?wait_for_completion=false" \
    "$(jq -nc --arg i "$PREFIX-*" --arg r "$RESTORED\$1" '{indices:$i,include_global_state:false,rename_pattern:"(.+)",rename_replacement:$r}')")"
assert_eq true "$(jq -r .accepted <<<"$resp")" "restore on next accepted"
wait_for "restored indices green on next" 180 indices_green "$NXT" "$RESTORED$PREFIX-*" "$NUM_INDICES"
assert_same_counts "$SRC" "$NXT" "$RESTORED" "${INDICES[@]}"

# 2. upstream writes, stand-in reads the repository metadata.
it_ack "register s3 repository on next" PUT "$NXT/_snapshot/$REPO2" "$(jq -nc --arg b "$SNAPMIG_RIG_S3_BUCKET" --arg p "$BASE2" '{type:"s3",settings:{bucket:$b,base_path:$p}}')"
resp="$(it_json PUT "$NXT/_snapshot/$REPO2/$SNAP2?wait_for_completion=false" "$(jq -nc --arg i "$RESTORED$PREFIX-*" '{indices:$i,include_global_state:false}')")"
assert_eq true "$(jq -r .accepted <<<"$resp")" "snapshot on next accepted"
wait_for "snapshot $SNAP2 SUCCESS on next" 180 snapshot_done "$NXT" "$REPO2" "$SNAP2"
it_ack "register read-only s3 repository on source" PUT "$SRC/_snapshot/$REPO2" "$(jq -nc --arg b "$SNAPMIG_RIG_S3_BUCKET" --arg p "$BASE2" '{type:"s3",settings:{bucket:$b,base_path:$p,readonly:true}}')"
resp="$(it_json GET "$SRC/_snapshot/$REPO2/$SNAP2")"
assert_eq SUCCESS "$(jq -r '.snapshots[0].state' <<<"$resp")" "upstream-written snapshot state read by the stand-in"
assert_eq "$NUM_INDICES" "$(jq -r '.snapshots[0].indices | length' <<<"$resp")" "indices of the upstream-written snapshot"

it_pass "stand-in and upstream repository-s3 read each other's snapshots"
