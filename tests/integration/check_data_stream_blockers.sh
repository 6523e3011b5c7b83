#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `snapmig check` on data streams (OpenSearch 2.19 source -> target): each
# blocker on the real servers, and the clean case.  The source holds two
# streams (a: two backing indices after a rollover; b: one).
#  - the target's matching template has no data_stream, or none matches:
#    data-stream-template;
#  - two streams renamed onto one name: rename-collision (for the streams);
#  - the renamed stream exists on the target: data-stream-exists, and with
#    on_conflict "skip" the stream and its backing indices are skipped;
#  - an index of the stream's target name exists: index-exists;
#  - restores[].indices names a backing index, not its stream:
#    data-stream-backing;
#  - snapshot.indices selects one of a stream's two backing indices:
#    data-stream-partial.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/check/common.sh"

it_source_and_target

RUN="$(it_run_id)"
P="dsb-$RUN"
REPO="dsb_${RUN//-/_}"

# cleanups run last registered first: a template after its streams
it_on_exit "curl -s -m 30 -X DELETE '$SRC/_index_template/$P'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/_index_template/$P-ds'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/_index_template/$P-plain'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/_data_stream/$P-*'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/_data_stream/*$P-*'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/n-$P-a'"

tmpl() { # URL NAME PATTERN DATA_STREAM(0/1)
    local ds=""
    [[ "$4" == 1 ]] && ds='"data_stream":{},'
    it_ack "template $2" PUT "$1/_index_template/$2" \
        "{\"index_patterns\":[\"$3\"],$ds\"priority\":400,\"template\":{\"settings\":{\"number_of_shards\":1,\"number_of_replicas\":0}}}"
}
tmpl "$SRC" "$P" "$P-*" 1
for s in a b; do
    it_ack "stream $s" PUT "$SRC/_data_stream/$P-$s" ""
    it_json POST "$SRC/$P-$s/_doc?refresh=true" '{"@timestamp":"2024-01-01T00:00:00Z"}' >/dev/null
done
assert_eq true "$(it_json POST "$SRC/$P-a/_rollover" "" | jq -r .rolled_over)" "rollover of a"

plan() { # FILE SNAPSHOT_INDICES_JSON RESTORE_JSON
    ck_plan "$1" "$(jq -n --arg s "$SRC" --arg t "$DST" --arg repo "$REPO" --argjson si "$2" --argjson r "$3" '{
      snapmig: 1, name: "dsb",
      domains: {source: {endpoint: $s}, target: {endpoint: $t}},
      repository: {name: $repo, type: "fs", settings: {location: "/tmp/unused"}},
      snapshot: {domain: "source", indices: $si},
      restores: [$r + {domain: "target"}]}')"
}
issue_of() { # CODE: the index of the first such issue
    jq -r --arg c "$1" '[.issues[] | select(.code == $c)][0].index' <<<"$CK_OUT"
}
stream_json() { # TARGET: the restore's stream item that has it
    jq -c --arg t "$1" '.restores[0].data_streams[] | select(.target == $t)' <<<"$CK_OUT"
}

# no template matches the renamed streams
plan "$CK_TMP/p1.json" "[\"$P-*\"]" '{"rename": {"pattern": "(.+)", "replacement": "m-$1"}}'
ck_json "$CK_TMP/p1.json"
assert_eq 1 "$CK_RC" "exit without templates"
ck_has_issue blocker data-stream-template target
assert_eq blocked "$(stream_json "m-$P-a" | jq -r .action)" "stream a blocked"
assert_eq ".ds-m-$P-a-000001,.ds-m-$P-a-000002" "$(stream_json "m-$P-a" | jq -r '[.backing[].target] | sort | join(",")')" "predicted backing of a"
assert_eq '["'"$P"'-a","'"$P"'-b"]' "$(jq -c '.snapshot.data_streams' <<<"$CK_OUT")" "snapshot names the streams"

# one matches but has no data_stream; then one with data_stream: clean
tmpl "$DST" "$P-plain" "m-$P-*" 0
ck_json "$CK_TMP/p1.json"
ck_has_issue blocker data-stream-template target
assert_contains "$(jq -r '[.issues[] | select(.code == "data-stream-template")][0].message' <<<"$CK_OUT")" "$P-plain has no data_stream" "names the template"
it_ack "drop plain template" DELETE "$DST/_index_template/$P-plain"
tmpl "$DST" "$P-ds" "m-$P-*" 1
ck_json "$CK_TMP/p1.json"
ck_no_blockers
assert_eq "$P-ds" "$(stream_json "m-$P-a" | jq -r .template)" "template of the stream"

# two streams onto one name
plan "$CK_TMP/p2.json" "[\"$P-*\"]" '{"rename": {"pattern": "-[ab]$", "replacement": "-one"}}'
ck_json "$CK_TMP/p2.json"
ck_has_issue blocker rename-collision target
assert_contains "$(jq -r '[.issues[] | select(.code == "rename-collision")] | map(.message) | join(" | ")' <<<"$CK_OUT")" "data streams $P-a (restores[0]) and $P-b (restores[0]) would both be restored as data stream $P-one" "stream collision"

# the renamed stream exists on the target; then on_conflict skip
it_ack "target stream" PUT "$DST/_data_stream/m-$P-a" ""
ck_json "$CK_TMP/p1.json"
ck_has_issue blocker data-stream-exists target
assert_eq "m-$P-a" "$(issue_of data-stream-exists)" "existing stream named"
plan "$CK_TMP/p3.json" "[\"$P-*\"]" '{"rename": {"pattern": "(.+)", "replacement": "m-$1"}, "on_conflict": "skip"}'
ck_json "$CK_TMP/p3.json"
ck_no_blockers
assert_eq skip "$(stream_json "m-$P-a" | jq -r .action)" "existing stream skipped"
assert_eq "skip,skip" "$(jq -r --arg ds "$P-a" '[.restores[0].items[] | select(.data_stream == $ds) | .action] | join(",")' <<<"$CK_OUT")" "its backing indices skipped"
assert_eq restore "$(stream_json "m-$P-b" | jq -r .action)" "the other stream restored"

# an index of the stream's target name
it_ack "index n-$P-a" PUT "$DST/n-$P-a" '{"settings":{"number_of_replicas":0}}'
plan "$CK_TMP/p4.json" "[\"$P-*\"]" '{"rename": {"pattern": "(.+)", "replacement": "n-$1"}}'
ck_json "$CK_TMP/p4.json"
ck_has_issue blocker index-exists target
assert_eq "n-$P-a" "$(issue_of index-exists)" "index in the way"

# a backing index named alone in the restore
plan "$CK_TMP/p5.json" "[\"$P-*\"]" "{\"indices\": [\".ds-$P-b-000001\"], \"rename\": {\"pattern\": \"(.+)\", \"replacement\": \"m-\$1\"}}"
ck_json "$CK_TMP/p5.json"
ck_has_issue blocker data-stream-backing target
assert_eq ".ds-$P-b-000001" "$(issue_of data-stream-backing)" "backing index named"

# one of two backing indices in the snapshot
plan "$CK_TMP/p6.json" "[\".ds-$P-a-000001\"]" '{"rename": {"pattern": "(.+)", "replacement": "m-$1"}}'
ck_json "$CK_TMP/p6.json"
ck_has_issue blocker data-stream-partial source
assert_eq "$P-a" "$(issue_of data-stream-partial)" "partial stream named"
it_pass
