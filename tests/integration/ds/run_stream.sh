# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# The body of the data stream run tests (run_data_stream*.sh), sourced
# with SRC and DST set: a data stream with two backing indices on the
# source (created, a document, POST _rollover, two more documents), its
# template on both sides (DS_TEMPLATE_BY=user, the default: the target's
# created by the test, as a user would; DS_TEMPLATE_BY=plan: copied by the
# plan's metadata section with rename_patterns, so check counts it before
# it exists), `check` predicting the renamed stream and backing indices,
# `run` restoring it as a stream, and the target taking a new document and
# a rollover.  Not a test itself (a subdirectory).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../run/common.sh"

RUN="$(it_run_id)"
DS="dsr-$RUN-app"
TMPL="dsr-$RUN"
REPO="dsr_${RUN//-/_}"
NAME="dsr-$RUN"
BASE_PATH="it/run-ds/$RUN"
TARGET_DS="m-$DS"
BY="${DS_TEMPLATE_BY:-user}"
if [[ "$BY" == plan ]]; then TARGET_TMPL="$TMPL"; else TARGET_TMPL="m-$TMPL"; fi

# cleanups run last registered first: a template after its streams
it_on_exit "curl -s -m 30 -X DELETE '$SRC/_index_template/$TMPL'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/_index_template/$TARGET_TMPL'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/_data_stream/$DS'"
it_on_exit "curl -s -m 60 -X DELETE '$SRC/_snapshot/$REPO/snapmig-$NAME-*'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/_snapshot/$REPO'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/_data_stream/$TARGET_DS'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/_snapshot/$REPO'"

it_ack "source template" PUT "$SRC/_index_template/$TMPL" \
    "{\"index_patterns\":[\"dsr-$RUN-*\"],\"data_stream\":{},\"priority\":500,\"template\":{\"settings\":{\"number_of_shards\":1,\"number_of_replicas\":0}}}"
it_ack "create stream" PUT "$SRC/_data_stream/$DS" ""
doc() { it_json POST "$1/$2/_doc?refresh=true" "{\"@timestamp\":\"$3\",\"m\":\"$4\"}" >/dev/null; }
doc "$SRC" "$DS" 2024-01-01T00:00:00Z one
resp="$(it_json POST "$SRC/$DS/_rollover" "")"
assert_eq true "$(jq -r .rolled_over <<<"$resp")" "source rollover"
doc "$SRC" "$DS" 2024-01-02T00:00:00Z two
doc "$SRC" "$DS" 2024-01-03T00:00:00Z three
mapfile -t BACKING < <(it_json GET "$SRC/_data_stream/$DS" | jq -r '.data_streams[0].indices[].index_name')
assert_eq 2 "${#BACKING[@]}" "backing indices on the source"

PLAN="$RN_TMP/plan.json"
plan_json() {
    jq -n --arg s "$SRC" --arg t "$DST" --arg repo "$REPO" --arg name "$NAME" \
        --arg b "$SNAPMIG_RIG_S3_BUCKET" --arg bp "$BASE_PATH" --arg ds "$DS" \
        --arg tmpl "$TMPL" --arg by "$1" '{
  snapmig: 1, name: $name,
  domains: {source: {endpoint: $s}, target: {endpoint: $t}},
  repository: {name: $repo, type: "s3", settings: {bucket: $b, base_path: $bp}},
  snapshot: {domain: "source", indices: [$ds]},
  restores: [{domain: "target", indices: [$ds],
              rename: {pattern: "(.+)", replacement: "m-$1"}}],
  polling: {initial_ms: 100, max_ms: 1000}}
  + if $by == "plan" then {metadata: {index_templates: [$tmpl], rename_patterns: true}} else {} end'
}

# check, with no template on the target (and none brought by the plan): a
# blocker naming the stream
rn_plan "$PLAN" "$(plan_json user)"
rc=0
"$SNM_BINARY" check --json "$PLAN" >"$RN_TMP/ck0.json" 2>"$RN_TMP/ck0.err" || rc=$?
assert_eq 1 "$rc" "check without a target template ($(cat "$RN_TMP/ck0.err"))"
assert_eq "$TARGET_DS" "$(jq -r '[.issues[] | select(.code=="data-stream-template")][0].index' "$RN_TMP/ck0.json")" "data-stream-template blocker"

if [[ "$BY" == plan ]]; then
    # the plan brings the source's template, renamed: check counts it
    rn_plan "$PLAN" "$(plan_json plan)"
else
    # the user creates the template on the target; check is clean and predicts
    it_ack "target template" PUT "$DST/_index_template/m-$TMPL" \
        "{\"index_patterns\":[\"m-dsr-$RUN-*\"],\"data_stream\":{},\"priority\":500,\"template\":{\"settings\":{\"number_of_shards\":1,\"number_of_replicas\":0}}}"
fi
rc=0
"$SNM_BINARY" check --json "$PLAN" >"$RN_TMP/ck.json" 2>"$RN_TMP/ck.err" || rc=$?
assert_eq 0 "$rc" "check with the template ($(jq -c '.issues' "$RN_TMP/ck.json"))"
assert_eq "$TARGET_DS" "$(jq -r '.restores[0].data_streams[0].target' "$RN_TMP/ck.json")" "predicted stream"
assert_eq "$TARGET_TMPL" "$(jq -r '.restores[0].data_streams[0].template' "$RN_TMP/ck.json")" "template that matches"
predicted="$(jq -r '.restores[0].items[] | select(.action=="restore") | .target' "$RN_TMP/ck.json" | sort | paste -sd,)"
want="$(for b in "${BACKING[@]}"; do printf '.ds-m-%s\n' "${b#.ds-}"; done | sort | paste -sd,)"
assert_eq "$want" "$predicted" "predicted backing indices"

rn_run "$RN_TMP/ev.ndjson" --json "$PLAN"
assert_eq 0 "$RN_RC" "exit status of run ($(cat "$RN_TMP/ev.ndjson.err"))"
assert_eq success "$(jq -sr '.[-1].status' "$RN_TMP/ev.ndjson")" "run.done status"
assert_eq "$TARGET_DS" "$(jq -sr '.[-1].data_streams | join(",")' "$RN_TMP/ev.ndjson")" "run.done data_streams"
SNAP="$(jq -sr '.[0].snapshot' "$RN_TMP/ev.ndjson")"
body="$(it_json GET "$SRC/_snapshot/$REPO/$SNAP")"
assert_eq "[\"$DS\"]" "$(jq -c '.snapshots[0].data_streams' <<<"$body")" "the snapshot holds the stream"
assert_eq 2 "$(jq -s '[.[] | select(.type == "verify.index" and .ok)] | length' "$RN_TMP/ev.ndjson")" "verified backing indices"
assert_eq "$TARGET_DS" "$(jq -sr '[.[] | select(.type == "verify.data_stream" and .ok)][0].data_stream' "$RN_TMP/ev.ndjson")" "verified stream"

if [[ "$BY" == plan ]]; then
    body="$(it_json GET "$DST/_index_template/$TMPL")"
    assert_eq "[\"m-dsr-$RUN-*\"]" "$(jq -c '.index_templates[0].index_template.index_patterns' <<<"$body")" "the copied template's renamed patterns"
    assert_eq true "$(jq '.index_templates[0].index_template | has("data_stream")' <<<"$body")" "the copied template makes data streams"
fi

# on the target: a stream, with the predicted backing indices and counts
body="$(it_json GET "$DST/_data_stream/$TARGET_DS")"
assert_eq "$want" "$(jq -r '.data_streams[0].indices[].index_name' <<<"$body" | sort | paste -sd,)" "restored backing indices"
for b in "${BACKING[@]}"; do
    assert_eq "$(doc_count "$SRC" "$b")" "$(doc_count "$DST" ".ds-m-${b#.ds-}")" "docs of .ds-m-${b#.ds-}"
done
assert_eq 3 "$(doc_count "$DST" "$TARGET_DS")" "docs in the stream"
# it works: a new document, a rollover, another document
doc "$DST" "$TARGET_DS" 2024-01-04T00:00:00Z four
resp="$(it_json POST "$DST/$TARGET_DS/_rollover" "")"
assert_eq true "$(jq -r .rolled_over <<<"$resp")" "target rollover ($resp)"
doc "$DST" "$TARGET_DS" 2024-01-05T00:00:00Z five
assert_eq 5 "$(doc_count "$DST" "$TARGET_DS")" "docs after writes"
assert_eq 3 "$(it_json GET "$DST/_data_stream/$TARGET_DS" | jq '.data_streams[0].indices | length')" "backing indices after the rollover"

# a second check now blocks: the stream exists
rc=0
"$SNM_BINARY" check --json "$PLAN" >"$RN_TMP/ck2.json" 2>/dev/null || rc=$?
assert_eq 1 "$rc" "check after the run"
assert_contains "$(jq -r '[.issues[].code] | join(",")' "$RN_TMP/ck2.json")" "data-stream-exists" "existing stream blocks"
