#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A sync round over a plan whose first round restored a data stream
# (OpenSearch 2.19 -> 2.19): the servers refuse to close a data stream's
# write index ("cannot close the following data stream write indices"),
# and restore a stream only whole, into no existing stream, so a sync
# round cannot bring a stream up to date by closing and restoring over it.
# It must refuse before it closes anything: exit 1, a message naming the
# stream and what to do, and the target's stream exactly as the run left
# it (the same backing indices, UUIDs, open, the same documents); the
# state file keeps the round unverified and the earlier one intact.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/run/common.sh"

it_source_and_target

RUN="$(it_run_id)"
DS="dss-$RUN-app"
TMPL="dss-$RUN"
REPO="dss_${RUN//-/_}"
NAME="dss-$RUN"
LOC="$SNAPMIG_RIG_FS_REPO/it-sync-ds-$RUN"
TARGET_DS="m-$DS"

# cleanups run last registered first: a template after its streams
it_on_exit "rm -rf '$LOC'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/_index_template/$TMPL'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/_index_template/m-$TMPL'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/_data_stream/$DS'"
it_on_exit "curl -s -m 60 -X DELETE '$SRC/_snapshot/$REPO/snapmig-$NAME-*'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/_snapshot/$REPO'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/_data_stream/$TARGET_DS'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/_snapshot/$REPO'"

tmpl_body() { # PATTERN
    printf '{"index_patterns":["%s"],"data_stream":{},"priority":500,"template":{"settings":{"number_of_shards":1,"number_of_replicas":0}}}' "$1"
}
it_ack "source template" PUT "$SRC/_index_template/$TMPL" "$(tmpl_body "dss-$RUN-*")"
it_ack "target template" PUT "$DST/_index_template/m-$TMPL" "$(tmpl_body "m-dss-$RUN-*")"
it_ack "create stream" PUT "$SRC/_data_stream/$DS" ""
doc() { it_json POST "$1/$2/_doc?refresh=true" "{\"@timestamp\":\"$3\",\"m\":\"$4\"}" >/dev/null; }
doc "$SRC" "$DS" 2024-01-01T00:00:00Z one
resp="$(it_json POST "$SRC/$DS/_rollover" "")"
assert_eq true "$(jq -r .rolled_over <<<"$resp")" "source rollover"
doc "$SRC" "$DS" 2024-01-02T00:00:00Z two

PLAN="$RN_TMP/plan.json"
STATE="$RN_TMP/state.json"
rn_plan "$PLAN" "$(jq -n --arg s "$SRC" --arg t "$DST" --arg repo "$REPO" --arg name "$NAME" \
    --arg loc "$LOC" --arg ds "$DS" '{
  snapmig: 1, name: $name,
  domains: {source: {endpoint: $s}, target: {endpoint: $t}},
  repository: {name: $repo, type: "fs", settings: {location: $loc}},
  snapshot: {domain: "source", indices: [$ds]},
  restores: [{domain: "target", indices: [$ds],
              rename: {pattern: "(.+)", replacement: "m-$1"}}],
  polling: {initial_ms: 100, max_ms: 500}}')"

rn_run "$RN_TMP/run.ndjson" --json --state "$STATE" "$PLAN"
assert_eq 0 "$RN_RC" "exit status of run ($(tail -c 600 "$RN_TMP/run.ndjson.err"))"

# what the target holds after the first round
target_picture() {
    it_json GET "$DST/_data_stream/$TARGET_DS" |
        jq -c '[.data_streams[0].indices[] | {index_name, index_uuid}]'
}
before="$(target_picture)"
assert_eq 2 "$(jq length <<<"$before")" "the restored stream's backing indices"
status_of() {
    curl -s -m 30 "$DST/_cat/indices/.ds-$TARGET_DS-*?h=index,status&expand_wildcards=all&s=index" |
        awk '{print $1 "=" $2}' | paste -sd,
}
open_before="$(status_of)"
assert_contains "$open_before" "=open" "backing indices open after run"
assert_eq 2 "$(doc_count "$DST" "$TARGET_DS")" "documents in the target stream after run"

# the source moves on; a sync round cannot replace the stream
doc "$SRC" "$DS" 2024-01-03T00:00:00Z three
RN_RC=0
"$SNM_BINARY" sync --json --state "$STATE" "$PLAN" >"$RN_TMP/sync.ndjson" 2>"$RN_TMP/sync.err" || RN_RC=$?
assert_eq 1 "$RN_RC" "exit status of sync over a data stream ($(tail -c 600 "$RN_TMP/sync.err"))"
msg="$(cat "$RN_TMP/sync.err")"
assert_contains "$msg" "data stream $TARGET_DS" "the message names the stream"
assert_contains "$msg" "write index" "the message says why (the write index cannot be closed)"
# nothing was closed, nothing restored over: the same indices, UUIDs,
# states and documents
assert_eq "$before" "$(target_picture)" "the stream's backing indices and UUIDs after the refused sync"
assert_eq "$open_before" "$(status_of)" "backing indices still open"
assert_eq 2 "$(doc_count "$DST" "$TARGET_DS")" "documents in the target stream after the refused sync"
if rn_has_event "$RN_TMP/sync.ndjson" restore.start; then
    it_fail "the refused sync started a restore"
fi
# the state file: the first round verified, the second not
assert_eq verified "$(jq -r '[.rounds[0].restores[0].indices[].state] | unique | join(",")' "$STATE")" "round 1 stays verified"
assert_ne verified "$(jq -r '[.rounds[-1].restores[0].indices[].state] | unique | join(",")' "$STATE")" "round 2 is not verified"
it_pass
