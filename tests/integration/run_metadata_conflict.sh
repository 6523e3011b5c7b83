#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Issue 11, metadata conflicts: OpenSearch source -> OpenSearch target.
# The target has an index template of the same name as the source's with
# another body, and another template whose patterns and priority a second
# source template would overlap.
#  - on_conflict "block" (the default): `check` exits 1 with a
#    metadata-conflict blocker naming the JSON paths that differ, and a
#    metadata-rejected blocker with the target's own reason (its simulate
#    API refuses the overlapping template); `run` stops in its preflight:
#    nothing is written, no snapshot is taken;
#  - "skip": `run` finishes and the target's template is left as it was
#    (event state "skipped");
#  - "replace": `run` finishes and the target's template is the source's
#    (event state "replaced").
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/run/common.sh"

it_source_and_target

RUN="$(it_run_id)"
PREFIX="mc-ix-$RUN"
REPO="mc_${RUN//-/_}"
M="mc-$RUN"
T="$M-t" R="$M-r" O="$M-other"
LOCATION="$SNAPMIG_RIG_FS_REPO/run-meta-conflict-$RUN"

for u in "$SRC" "$DST"; do
    it_on_exit "curl -s -m 30 -X DELETE '$u/_index_template/$T'"
    it_on_exit "curl -s -m 30 -X DELETE '$u/_index_template/$R'"
done
it_on_exit "curl -s -m 30 -X DELETE '$DST/_index_template/$O'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/$PREFIX-*'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/$PREFIX-*'"
it_on_exit "curl -s -m 60 -X DELETE '$SRC/_snapshot/$REPO/snapmig-*'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/_snapshot/$REPO'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/_snapshot/$REPO'"

tmpl() { # PATTERN PRIORITY SHARDS
    jq -nc --arg p "$1" --argjson pr "$2" --argjson s "$3" \
        '{index_patterns: [$p], priority: $pr, template: {settings: {number_of_shards: $s}}}'
}
it_ack "template $T on the source" PUT "$SRC/_index_template/$T" "$(tmpl "mcx-$RUN-*" 300 1)"
it_ack "template $T on the target" PUT "$DST/_index_template/$T" "$(tmpl "mcx-$RUN-*" 300 2)"
it_ack "template $R on the source" PUT "$SRC/_index_template/$R" "$(tmpl "mco-$RUN-*" 77 1)"
it_ack "template $O on the target" PUT "$DST/_index_template/$O" "$(tmpl "mco-$RUN-*" 77 1)"
"$IT_RIG" seed --node source --indices 1 --docs 20 --prefix "$PREFIX" >/dev/null

# plan NAME METADATA_JSON
plan() {
    rn_plan "$RN_TMP/$1.json" "$(jq -n --arg s "$SRC" --arg t "$DST" --arg repo "$REPO" --arg name "$1" \
        --arg loc "$LOCATION" --arg p "$PREFIX" --argjson m "$2" '{
      snapmig: 1, name: $name,
      domains: {source: {endpoint: $s}, target: {endpoint: $t}},
      repository: {name: $repo, type: "fs", settings: {location: $loc}},
      snapshot: {domain: "source", indices: [($p + "-*")]},
      restores: [{domain: "target", on_conflict: "skip",
                  index_settings: {"index.number_of_replicas": 0}}],
      metadata: $m,
      polling: {initial_ms: 100, max_ms: 1000}}')"
}
target_shards() {
    it_json GET "$DST/_index_template/$T" | jq -r '.index_templates[0].index_template.template.settings.index.number_of_shards'
}

# ---- block
plan "mc-block-$RUN" "$(jq -nc --arg m "$M" '{index_templates: [($m + "-t"), ($m + "-r")]}')"
rc=0
"$SNM_BINARY" check --json "$RN_TMP/mc-block-$RUN.json" >"$RN_TMP/check.json" 2>"$RN_TMP/check.err" || rc=$?
assert_eq 1 "$rc" "exit status of check with a conflict"
msg="$(jq -r '[.issues[] | select(.code == "metadata-conflict" and .severity == "blocker")][0].message' "$RN_TMP/check.json")"
assert_contains "$msg" "index template $T on target differs from the source's: template.settings.index.number_of_shards" \
    "the conflict's message"
msg="$(jq -r '[.issues[] | select(.code == "metadata-rejected")][0].message' "$RN_TMP/check.json")"
assert_contains "$msg" "target would refuse index template $R:" "the rejection's message"
assert_contains "$msg" "$O" "the rejection names the template it overlaps"
assert_eq 2 "$(jq '[.issues[] | select(.severity == "blocker")] | length' "$RN_TMP/check.json")" \
    "blockers ($(jq -c '[.issues[] | .message]' "$RN_TMP/check.json"))"
rn_run "$RN_TMP/block.ndjson" --json "$RN_TMP/mc-block-$RUN.json"
assert_eq 1 "$RN_RC" "exit status of run with a conflict"
assert_eq 0 "$(jq -s '[.[] | select(.type == "metadata.item" or .type == "snapshot.start")] | length' "$RN_TMP/block.ndjson")" \
    "metadata written or snapshots started by the blocked run"
assert_eq 2 "$(target_shards)" "the target's template after the blocked run"
it_http GET "$DST/_index_template/$R"
assert_http_status 404 "$R on the target after the blocked run"

# ---- skip: the target's is kept
plan "mc-skip-$RUN" "$(jq -nc --arg t "$T" '{index_templates: [$t], on_conflict: "skip"}')"
rc=0
"$SNM_BINARY" check --json "$RN_TMP/mc-skip-$RUN.json" >"$RN_TMP/check-skip.json" 2>/dev/null || rc=$?
assert_eq 0 "$rc" "exit status of check with on_conflict skip"
assert_eq warning "$(jq -r '[.issues[] | select(.code == "metadata-conflict")][0].severity' "$RN_TMP/check-skip.json")" \
    "a skipped conflict is a warning"
rn_run "$RN_TMP/skip.ndjson" --json "$RN_TMP/mc-skip-$RUN.json"
assert_eq 0 "$RN_RC" "exit status of run with on_conflict skip ($(cat "$RN_TMP/skip.ndjson.err"))"
assert_eq "$T:skipped" "$(jq -sr '[.[] | select(.type == "metadata.item") | "\(.name):\(.state)"] | join(" ")' "$RN_TMP/skip.ndjson")" \
    "metadata events with skip"
assert_eq 2 "$(target_shards)" "the target's template after skip"

# ---- replace: the source's replaces it
plan "mc-replace-$RUN" "$(jq -nc --arg t "$T" '{index_templates: [$t], on_conflict: "replace"}')"
rn_run "$RN_TMP/replace.ndjson" --json "$RN_TMP/mc-replace-$RUN.json"
assert_eq 0 "$RN_RC" "exit status of run with on_conflict replace ($(cat "$RN_TMP/replace.ndjson.err"))"
assert_eq "$T:replaced" "$(jq -sr '[.[] | select(.type == "metadata.item") | "\(.name):\(.state)"] | join(" ")' "$RN_TMP/replace.ndjson")" \
    "metadata events with replace"
assert_eq 1 "$(target_shards)" "the target's template after replace"
assert_eq "replaced" "$(jq -r '.rounds[0].restores[0].metadata[0].state' "$RN_TMP/.snapmig/mc-replace-$RUN.state.json")" \
    "state file after replace"
it_pass "metadata conflicts: block (check and run), skip, replace; a template the target refuses"
