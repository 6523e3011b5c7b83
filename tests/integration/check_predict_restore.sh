#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `snapmig check` on a clean plan (source -> target through the rig's S3
# bucket, with a rename) finds no blocker, and the names it predicts are the
# names a real snapshot + restore (done here with curl) produces on the
# target.  Also: exit 0, one JSON document, repository "absent" on both.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/check/common.sh"

it_source_and_target
it_require_s3_up

RUN="$(it_run_id)"
PREFIX="ck-pr-$RUN"
REPO="ck_pr_${RUN//-/_}"
SNAP="snap-$RUN"
BASE_PATH="it/check-predict/$RUN"

it_on_exit "curl -s -m 30 -X DELETE '$SRC/$PREFIX-*'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/_snapshot/$REPO'"
it_on_exit "curl -s -m 60 -X DELETE '$SRC/_snapshot/$REPO/$SNAP'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/_snapshot/$REPO'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/moved-*-$RUN'"

"$IT_RIG" seed --node source --indices 3 --docs 50 --prefix "$PREFIX" >/dev/null || it_fail "rig seed failed"
# A fourth index the plan excludes, and one the exclusion does not cover.
it_ack "create excluded index" PUT "$SRC/$PREFIX-skip" '{"settings":{"number_of_shards":1,"number_of_replicas":0}}'

PLAN="$CK_TMP/plan.json"
ck_plan "$PLAN" "$(jq -n --arg s "$SRC" --arg t "$DST" --arg repo "$REPO" \
    --arg b "$SNAPMIG_RIG_S3_BUCKET" --arg bp "$BASE_PATH" --arg p "$PREFIX" --arg run "$RUN" '{
  snapmig: 1, name: "check-predict",
  domains: {source: {endpoint: $s}, target: {endpoint: $t}},
  repository: {name: $repo, type: "s3", settings: {bucket: $b, base_path: $bp}},
  snapshot: {domain: "source", name: ("snap-" + $run), indices: [($p + "-*"), ("-" + $p + "-skip")]},
  restores: [{domain: "target",
              rename: {pattern: ("^" + $p + "-(?<n>[0-9]+)$"), replacement: ("moved-${n}-" + $run)},
              index_settings: {"index.number_of_replicas": 0}}]}')"

start=$(date +%s%N)
ck_json "$PLAN"
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
ck_no_blockers
assert_eq 0 "$CK_RC" "exit status of a clean check"
assert_eq absent "$(jq -r '.domains[] | select(.id=="source") | .repository.state' <<<"$CK_OUT")" "repository state on source"
assert_eq true "$(jq -r '.domains[] | select(.id=="target") | .repository.would_register.settings.readonly' <<<"$CK_OUT")" "readonly on target"
assert_eq "$PREFIX-000,$PREFIX-001,$PREFIX-002" "$(jq -r '.snapshot.indices | join(",")' <<<"$CK_OUT")" "resolved snapshot indices"
assert_eq 50 "$(jq -r --arg i "$PREFIX-001" '.indices[] | select(.name==$i) | .docs' <<<"$CK_OUT")" "predicted docs"
predicted="$(jq -r '.restores[0].items[] | select(.action=="restore") | .target' <<<"$CK_OUT" | sort)"
assert_eq 3 "$(wc -l <<<"$predicted")" "number of predicted restores"
assert_contains "$predicted" "moved-000-$RUN" "predicted name"

# Now do it for real with curl and compare.
it_ack "register repository on source" PUT "$SRC/_snapshot/$REPO" \
    "$(jq -nc --arg b "$SNAPMIG_RIG_S3_BUCKET" --arg p "$BASE_PATH" '{type:"s3",settings:{bucket:$b,base_path:$p}}')"
indices="$(jq -c '.snapshot.indices | join(",")' <<<"$CK_OUT")"
resp="$(it_json PUT "$SRC/_snapshot/$REPO/$SNAP?wait_for_completion=false" "{\"indices\":$indices,\"include_global_state\":false}")"
assert_eq true "$(jq -r .accepted <<<"$resp")" "snapshot accepted"
wait_for "snapshot $SNAP" 180 snapshot_done "$SRC" "$REPO" "$SNAP"
it_ack "register repository on target" PUT "$DST/_snapshot/$REPO" \
    "$(jq -nc --arg b "$SNAPMIG_RIG_S3_BUCKET" --arg p "$BASE_PATH" '{type:"s3",settings:{bucket:$b,base_path:$p,readonly:true}}')"
restore_body="$(jq -c --arg p "$PREFIX" --arg run "$RUN" '{indices: (.snapshot.indices | join(",")), include_global_state: false,
    rename_pattern: ("^" + $p + "-(?<n>[0-9]+)$"), rename_replacement: ("moved-${n}-" + $run),
    index_settings: {"index.number_of_replicas": 0}}' <<<"$CK_OUT")"
resp="$(it_json POST "$DST/_snapshot/$REPO/$SNAP/_restore?wait_for_completion=false" "$restore_body")"
assert_eq true "$(jq -r .accepted <<<"$resp")" "restore accepted"
wait_for "restored indices green" 180 indices_green "$DST" "moved-*-$RUN" 3
actual="$(curl -s -m 30 "$DST/_cat/indices/moved-*-$RUN?h=index&expand_wildcards=all" | tr -d ' ' | sort)"
assert_eq "$predicted" "$actual" "predicted vs restored index names"
for name in $actual; do
    src_name="$(jq -r --arg t "$name" '.restores[0].items[] | select(.target==$t) | .source' <<<"$CK_OUT")"
    assert_eq "$(jq -r --arg t "$name" '.restores[0].items[] | select(.target==$t) | .docs' <<<"$CK_OUT")" \
        "$(doc_count "$DST" "$name")" "predicted docs of $name (from $src_name)"
done

# Checked again now, the same plan sees the registrations (matching) and
# the restored indices (open: blockers).
ck_json "$PLAN"
assert_eq matches "$(jq -r '.domains[] | select(.id=="target") | .repository.state' <<<"$CK_OUT")" "repository state on target after registering"
ck_has_issue blocker index-exists target
ck_has_issue warning snapshot-exists source
assert_eq 1 "$CK_RC" "exit status with blockers"

it_pass "predicted $(wc -l <<<"$predicted") names = restored names; check took ${elapsed_ms} ms"
