#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Issue 11, metadata: Elasticsearch 7.10 (legacy) -> OpenSearch 2.19
# (target) with a plan `metadata` section naming a composable index
# template, the component template it is made of, a legacy template and the
# ingest pipeline the template names (index.default_pipeline), with
# rename_patterns. `check` finds nothing in the way; `run` copies the four
# in dependency order (pipeline, component, composable, legacy) before its
# restore, each on record as "created"; the target then creates an index
# from the copied template (the component's mapping, the template's
# settings), takes a document through the copied pipeline (its ingest
# stats count it), and a legacy-template index gets that template's
# settings. A second check sees every item identical (nothing to do).
#
# The legacy node has no ingest-common (Elasticsearch does not publish it on
# Maven Central: docs/rig.md), so the pipeline has no processors.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/run/common.sh"

it_load_rig_env
SRC="$SNAPMIG_RIG_LEGACY_URL"
DST="$SNAPMIG_RIG_TARGET_URL"
it_require_search_up legacy "$SRC"
it_require_search_up target "$DST"

RUN="$(it_run_id)"
PREFIX="mt-ix-$RUN"
REPO="mt_${RUN//-/_}"
NAME="mt-$RUN"
LOCATION="$SNAPMIG_RIG_FS_REPO/run-meta-$RUN"
M="mt-$RUN" # the metadata items' prefix
PIPE="$M-pipe" COMP="$M-comp" TMPL="$M-tmpl" LEG="$M-leg"

for u in "$SRC" "$DST"; do
    # (run last first: the component after the template made of it)
    it_on_exit "curl -s -m 30 -X DELETE '$u/_component_template/$COMP'"
    it_on_exit "curl -s -m 30 -X DELETE '$u/_index_template/$TMPL'"
    it_on_exit "curl -s -m 30 -X DELETE '$u/_template/$LEG'"
    it_on_exit "curl -s -m 30 -X DELETE '$u/_ingest/pipeline/$PIPE'"
done
it_on_exit "curl -s -m 30 -X DELETE '$DST/m-mtx-$RUN-*,m-mtl-$RUN-*'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/$PREFIX-*'"
it_on_exit "curl -s -m 60 -X DELETE '$SRC/_snapshot/$REPO/snapmig-$NAME-*'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/_snapshot/$REPO'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/_snapshot/$REPO'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/m-$PREFIX-*'"

# ---- the source's metadata
it_ack "pipeline on legacy" PUT "$SRC/_ingest/pipeline/$PIPE" \
    '{"description": "snapmig metadata test", "version": 3, "processors": []}'
it_ack "component template on legacy" PUT "$SRC/_component_template/$COMP" \
    '{"template": {"settings": {"number_of_shards": 1},
      "mappings": {"properties": {"msg": {"type": "keyword"}, "n": {"type": "integer"}}}},
      "_meta": {"owner": "snapmig-test"}}'
it_ack "index template on legacy" PUT "$SRC/_index_template/$TMPL" \
    "$(jq -nc --arg p "mtx-$RUN-*" --arg c "$COMP" --arg pipe "$PIPE" --arg a "mtx-alias-$RUN" '{
      index_patterns: [$p], composed_of: [$c], priority: 250, version: 7,
      template: {settings: {"index.default_pipeline": $pipe, number_of_replicas: 0},
                 aliases: {($a): {}}}}')"
it_ack "legacy template on legacy" PUT "$SRC/_template/$LEG" \
    "$(jq -nc --arg p "mtl-$RUN-*" '{index_patterns: [$p], order: 3,
      settings: {number_of_shards: 2, number_of_replicas: 0}}')"

mapfile -t INDICES < <("$IT_RIG" seed --node legacy --indices 1 --docs 50 --prefix "$PREFIX" | awk '{print $1}')
assert_eq 1 "${#INDICES[@]}" "seeded indices"

PLAN="$RN_TMP/plan.json"
rn_plan "$PLAN" "$(jq -n --arg s "$SRC" --arg t "$DST" --arg repo "$REPO" --arg name "$NAME" \
    --arg loc "$LOCATION" --arg p "$PREFIX" --arg m "$M" --arg leg "$LEG" '{
  snapmig: 1, name: $name,
  domains: {legacy: {endpoint: $s}, target: {endpoint: $t}},
  repository: {name: $repo, type: "fs", settings: {location: $loc}},
  snapshot: {domain: "legacy", indices: [($p + "-*")]},
  restores: [{domain: "target", rename: {pattern: "(.+)", replacement: "m-$1"},
              index_settings: {"index.number_of_replicas": 0}}],
  metadata: {index_templates: [($m + "-t*")], component_templates: [($m + "-comp")],
             legacy_templates: $leg, ingest_pipelines: [($m + "-p*")],
             rename_patterns: true},
  polling: {initial_ms: 100, max_ms: 1000}}')"

# ---- check: nothing in the way, nothing changed
rc=0
"$SNM_BINARY" check --json "$PLAN" >"$RN_TMP/check.json" 2>"$RN_TMP/check.err" || rc=$?
assert_eq 0 "$rc" "exit status of check ($(jq -c '[.issues[] | .message]' "$RN_TMP/check.json" 2>/dev/null) $(cat "$RN_TMP/check.err"))"
assert_eq 0 "$(jq '[.issues[] | select(.code | startswith("metadata"))] | length' "$RN_TMP/check.json")" "metadata issues in check"
it_http GET "$DST/_index_template/$TMPL"
assert_http_status 404 "the template on the target after check"

# ---- run
rn_run "$RN_TMP/ev.ndjson" --json "$PLAN"
assert_eq 0 "$RN_RC" "exit status of run ($(cat "$RN_TMP/ev.ndjson.err"))"
rn_check_ndjson "$RN_TMP/ev.ndjson"
assert_eq "pipeline:$PIPE:created component_template:$COMP:created index_template:$TMPL:created legacy_template:$LEG:created" \
    "$(jq -sr '[.[] | select(.type == "metadata.item") | "\(.kind):\(.name):\(.state)"] | join(" ")' "$RN_TMP/ev.ndjson")" \
    "metadata events, in dependency order"
# ... and all before the restore
assert_eq true "$(jq -s '(map(.type) | index("restore.start")) > (map(.type) | rindex("metadata.item"))' "$RN_TMP/ev.ndjson")" \
    "metadata copied before the restore"
STATE="$RN_TMP/.snapmig/$NAME.state.json"
assert_eq "created created created created" \
    "$(jq -r '[.rounds[0].restores[0].metadata[].state] | join(" ")' "$STATE")" "state file: metadata"
assert_eq 50 "$(doc_count "$DST" "m-${INDICES[0]}")" "docs in the restored index"

# ---- the copies: renamed patterns, the rest as on the source
body="$(it_json GET "$DST/_index_template/$TMPL")"
assert_eq "[\"m-mtx-$RUN-*\"]" "$(jq -c '.index_templates[0].index_template.index_patterns' <<<"$body")" "renamed index_patterns"
assert_eq "[\"$COMP\"] 250 7 $PIPE" \
    "$(jq -r '.index_templates[0].index_template | "\(.composed_of | tojson) \(.priority) \(.version) \(.template.settings.index.default_pipeline)"' <<<"$body")" \
    "the copied template"
assert_eq "[\"m-mtl-$RUN-*\"] 3" "$(it_json GET "$DST/_template/$LEG" | jq -c --arg n "$LEG" '.[$n] | "\(.index_patterns | tojson) \(.order)"' | jq -r .)" \
    "the copied legacy template"
assert_eq 3 "$(it_json GET "$DST/_ingest/pipeline/$PIPE" | jq --arg n "$PIPE" '.[$n].version')" "the copied pipeline"

# ---- the target uses them: an index from the template takes a document
# through the copied pipeline (its default_pipeline: indexing fails when
# that pipeline is missing, as the control shows), the component's mapping,
# the legacy template's settings. (A pipeline without processors is not
# counted in the ingest stats, so they cannot show it.)
it_ack "control index" PUT "$DST/m-mtx-$RUN-ctl" \
    "$(jq -nc --arg n "no-such-pipeline-$RUN" '{settings: {"index.default_pipeline": $n}}')"
code="$(curl -s -m 30 -o "$RN_TMP/ctl.json" -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
    "$DST/m-mtx-$RUN-ctl/_doc/1?refresh=true" -d '{"msg": "x"}')"
assert_eq 400 "$code" "a document into an index whose default_pipeline is missing"
assert_contains "$(cat "$RN_TMP/ctl.json")" "no-such-pipeline-$RUN" "the control's refusal"
assert_eq 201 "$(curl -s -m 30 -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
    "$DST/m-mtx-$RUN-a/_doc/1?refresh=true" -d '{"msg": "through the copied pipeline", "n": 1}')" \
    "a document into m-mtx-$RUN-a, through $PIPE"
assert_eq 1 "$(doc_count "$DST" "m-mtx-$RUN-a")" "documents in m-mtx-$RUN-a"
mapping="$(it_json GET "$DST/m-mtx-$RUN-a/_mapping")"
assert_eq "keyword integer" "$(jq -r '.[].mappings.properties | "\(.msg.type) \(.n.type)"' <<<"$mapping")" \
    "mapping from the copied component template"
assert_eq "$PIPE" "$(it_json GET "$DST/m-mtx-$RUN-a/_settings" | jq -r '.[].settings.index.default_pipeline')" \
    "default_pipeline from the copied template"
assert_eq 201 "$(curl -s -m 30 -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
    "$DST/m-mtl-$RUN-b/_doc/1?refresh=true" -d '{"x": 1}')" "document into m-mtl-$RUN-b"
assert_eq 2 "$(it_json GET "$DST/m-mtl-$RUN-b/_settings" | jq -r '.[].settings.index.number_of_shards')" \
    "shards from the copied legacy template"

# ---- check again: identical everywhere, nothing to do
rc=0
"$SNM_BINARY" check --json "$PLAN" >"$RN_TMP/check2.json" 2>"$RN_TMP/check2.err" || rc=$?
assert_eq 0 "$(jq '[.issues[] | select(.code | startswith("metadata"))] | length' "$RN_TMP/check2.json")" \
    "metadata issues after the copy ($(jq -c '[.issues[] | .message]' "$RN_TMP/check2.json"))"
it_pass "Elasticsearch 7.10 -> OpenSearch 2.19: templates, component, pipeline copied and used"
