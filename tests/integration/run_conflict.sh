#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# An open index on the target with a name a restore would give makes
# `snapmig run` refuse before it changes anything: exit 1, a run.failed
# event naming the index, no repository registered, no snapshot taken, the
# index lists of both domains unchanged.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/run/common.sh"

it_source_and_target
it_require_s3_up

RUN="$(it_run_id)"
PREFIX="rn-cf-$RUN"
REPO="rn_cf_${RUN//-/_}"
NAME="rn-cf-$RUN"

it_on_exit "curl -s -m 30 -X DELETE '$SRC/$PREFIX-*'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/$PREFIX-*'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/_snapshot/$REPO'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/_snapshot/$REPO'"

"$IT_RIG" seed --node source --indices 2 --docs 50 --prefix "$PREFIX" >/dev/null || it_fail "seed"
it_ack "conflicting index on target" PUT "$DST/$PREFIX-001" '{"settings":{"number_of_shards":1,"number_of_replicas":0}}'

PLAN="$RN_TMP/plan.json"
rn_plan "$PLAN" "$(jq -n --arg s "$SRC" --arg t "$DST" --arg repo "$REPO" --arg name "$NAME" \
    --arg b "$SNAPMIG_RIG_S3_BUCKET" --arg run "$RUN" --arg p "$PREFIX" '{
  snapmig: 1, name: $name,
  domains: {source: {endpoint: $s}, target: {endpoint: $t}},
  repository: {name: $repo, type: "s3", settings: {bucket: $b, base_path: ("it/run-conflict/" + $run)}},
  snapshot: {domain: "source", indices: [($p + "-*")]},
  restores: [{domain: "target"}]}')"

indices_of() { curl -s -m 30 "$1/_cat/indices?h=index&expand_wildcards=all" | sort; }
repos_of() { curl -s -m 30 "$1/_snapshot" | jq -c 'keys'; }
src_before="$(indices_of "$SRC")" dst_before="$(indices_of "$DST")"
src_repos="$(repos_of "$SRC")" dst_repos="$(repos_of "$DST")"

rn_run "$RN_TMP/ev.ndjson" --json "$PLAN"
assert_eq 1 "$RN_RC" "exit status with a conflict"
rn_check_ndjson "$RN_TMP/ev.ndjson"
assert_eq "run.start preflight.done run.failed" "$(rn_types "$RN_TMP/ev.ndjson" | paste -sd' ')" "events"
assert_contains "$(jq -sr '.[] | select(.type == "preflight.done") | .blockers | join(" | ")' "$RN_TMP/ev.ndjson")" \
    "$PREFIX-001" "the blocker names the index"
# human mode says the same on stderr
rn_run "$RN_TMP/human" "$PLAN"
assert_eq 1 "$RN_RC" "exit status (human mode)"
assert_contains "$(cat "$RN_TMP/human.err")" "$PREFIX-001" "human mode names the index"
assert_contains "$(cat "$RN_TMP/human.err")" "blocker" "human mode says blocker"

assert_eq "$src_before" "$(indices_of "$SRC")" "indices on source unchanged"
assert_eq "$dst_before" "$(indices_of "$DST")" "indices on target unchanged"
assert_eq "$src_repos" "$(repos_of "$SRC")" "repositories on source unchanged"
assert_eq "$dst_repos" "$(repos_of "$DST")" "repositories on target unchanged"
it_http GET "$SRC/_snapshot/$REPO"
assert_http_status 404 "repository $REPO on source"
it_pass "refused before changing anything"
