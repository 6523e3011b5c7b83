#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Issue 11, metadata with real processors: OpenSearch source -> OpenSearch
# target, both with the ingest-common module (the rig installs it: docs/
# rig.md). The plan copies a pipeline with `set` and `grok` processors and
# the composable template that names it as default_pipeline, renamed; a
# document indexed on the target into a new index of the renamed pattern
# comes out with the fields the processors add, and the pipeline's ingest
# stats count it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/run/common.sh"

it_source_and_target
for u in "$SRC" "$DST"; do
    curl -s -m 10 "$u/_nodes/plugins" | jq -e '[.nodes[].modules[].name] | index("ingest-common")' >/dev/null ||
        it_fail "$u has no ingest-common module: the rig installs it since issue 11; restart that node (tests/rig/rig down source target && tests/rig/rig up source target)"
done

RUN="$(it_run_id)"
PREFIX="mp-ix-$RUN"
REPO="mp_${RUN//-/_}"
NAME="mp-$RUN"
PIPE="mp-$RUN-pipe" TMPL="mp-$RUN-tmpl"
LOCATION="$SNAPMIG_RIG_FS_REPO/run-meta-pipeline-$RUN"
for u in "$SRC" "$DST"; do
    it_on_exit "curl -s -m 30 -X DELETE '$u/_index_template/$TMPL'"
    it_on_exit "curl -s -m 30 -X DELETE '$u/_ingest/pipeline/$PIPE'"
done
it_on_exit "curl -s -m 30 -X DELETE '$DST/m-mpx-$RUN-*'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/$PREFIX-*'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/m-$PREFIX-*'"
it_on_exit "curl -s -m 60 -X DELETE '$SRC/_snapshot/$REPO/snapmig-*'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/_snapshot/$REPO'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/_snapshot/$REPO'"

it_ack "pipeline" PUT "$SRC/_ingest/pipeline/$PIPE" \
    '{"processors": [{"set": {"field": "migrated", "value": "yes"}},
                     {"grok": {"field": "msg", "patterns": ["%{WORD:verb} %{NUMBER:code:int}"]}}]}'
it_ack "index template" PUT "$SRC/_index_template/$TMPL" \
    "$(jq -nc --arg p "mpx-$RUN-*" --arg pipe "$PIPE" \
        '{index_patterns: [$p], priority: 270, template: {settings: {"index.default_pipeline": $pipe}}}')"
mapfile -t INDICES < <("$IT_RIG" seed --node source --indices 1 --docs 10 --prefix "$PREFIX" | awk '{print $1}')
assert_eq 1 "${#INDICES[@]}" "seeded indices"

PLAN="$RN_TMP/plan.json"
rn_plan "$PLAN" "$(jq -n --arg s "$SRC" --arg t "$DST" --arg repo "$REPO" --arg name "$NAME" \
    --arg loc "$LOCATION" --arg p "$PREFIX" --arg tm "$TMPL" --arg pipe "$PIPE" '{
  snapmig: 1, name: $name,
  domains: {source: {endpoint: $s}, target: {endpoint: $t}},
  repository: {name: $repo, type: "fs", settings: {location: $loc}},
  snapshot: {domain: "source", indices: [($p + "-*")]},
  restores: [{domain: "target", rename: {pattern: "(.+)", replacement: "m-$1"},
              index_settings: {"index.number_of_replicas": 0}}],
  metadata: {index_templates: [$tm], ingest_pipelines: [$pipe], rename_patterns: true},
  polling: {initial_ms: 100, max_ms: 500}}')"

rn_run "$RN_TMP/ev.ndjson" --json "$PLAN"
assert_eq 0 "$RN_RC" "exit status of run ($(cat "$RN_TMP/ev.ndjson.err"))"
assert_eq "pipeline:created index_template:created" \
    "$(jq -sr '[.[] | select(.type == "metadata.item") | "\(.kind):\(.state)"] | join(" ")' "$RN_TMP/ev.ndjson")" \
    "metadata events"
before="$(it_json GET "$DST/_nodes/stats/ingest" | jq --arg n "$PIPE" '[.nodes[].ingest.pipelines[$n].count // 0] | add')"
assert_eq 201 "$(curl -s -m 30 -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
    "$DST/m-mpx-$RUN-a/_doc/1?refresh=true" -d '{"msg": "GET 200"}')" "a document into m-mpx-$RUN-a"
assert_eq "yes GET 200" "$(it_json GET "$DST/m-mpx-$RUN-a/_doc/1" | jq -r '._source | "\(.migrated) \(.verb) \(.code)"')" \
    "the fields the copied pipeline's processors add"
after="$(it_json GET "$DST/_nodes/stats/ingest" | jq --arg n "$PIPE" '[.nodes[].ingest.pipelines[$n].count // 0] | add')"
assert_eq $((before + 1)) "$after" "documents through $PIPE on the target (ingest stats)"

it_pass "a pipeline with processors copied, renamed template naming it, used on the target"
