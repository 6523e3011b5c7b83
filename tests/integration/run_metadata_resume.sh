#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Issue 11, metadata resume: `snapmig run` is killed (-9) between two
# metadata items, in the worst place: the second item's create request was
# sent and not answered (a fault proxy in front of the target has it: the
# kill-point mechanism of run/kill_points.sh). Two scenarios, each with
# items of its own:
#   landed  the request reaches the target after the kill (a "delay" rule
#           forwards it later): the second run finds the item identical and
#           records it as created without sending it again;
#   lost    the request never reaches the target (a "hold" rule drops it
#           when the client goes away): the second run finds it absent and
#           creates it.
# Either way the run started again finishes, the state file says every item
# was created, and across both runs each item reached the target exactly
# once (the proxy counts the writes).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/run/common.sh"

it_source_and_target

RUN="$(it_run_id)"
PREFIX="mr-ix-$RUN"
REPO="mr_${RUN//-/_}"
LOCATION="$SNAPMIG_RIG_FS_REPO/run-meta-resume-$RUN"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/$PREFIX-*'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/$PREFIX-*'"
it_on_exit "curl -s -m 60 -X DELETE '$SRC/_snapshot/$REPO/snapmig-*'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/_snapshot/$REPO'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/_snapshot/$REPO'"
mapfile -t INDICES < <("$IT_RIG" seed --node source --indices 1 --docs 20 --prefix "$PREFIX" | awk '{print $1}')
assert_eq 1 "${#INDICES[@]}" "seeded indices"
fp_start T "$DST" 2>>"$RN_TMP/faultproxy.log"

# scenario TAG RULE_JSON_TAIL: the run killed while the component
# template's create request is in the proxy's hands.
scenario() {
    local tag="$1" action="$2" M NAME PIPE COMP TMPL LEG STATE PLAN KP PUTS u
    M="mr-$tag-$RUN"
    NAME="mr-$tag-$RUN"
    PIPE="$M-pipe" COMP="$M-comp" TMPL="$M-tmpl" LEG="$M-leg"
    STATE="$RN_TMP/.snapmig/$NAME.state.json"
    for u in "$SRC" "$DST"; do
        # (run last first: the component after the template made of it)
        it_on_exit "curl -s -m 30 -X DELETE '$u/_component_template/$COMP'"
        it_on_exit "curl -s -m 30 -X DELETE '$u/_index_template/$TMPL'"
        it_on_exit "curl -s -m 30 -X DELETE '$u/_template/$LEG'"
        it_on_exit "curl -s -m 30 -X DELETE '$u/_ingest/pipeline/$PIPE'"
    done
    it_ack "pipeline" PUT "$SRC/_ingest/pipeline/$PIPE" '{"description": "resume test", "processors": []}'
    it_ack "component template" PUT "$SRC/_component_template/$COMP" \
        '{"template": {"mappings": {"properties": {"msg": {"type": "keyword"}}}}}'
    it_ack "index template" PUT "$SRC/_index_template/$TMPL" \
        "$(jq -nc --arg p "mrx-$tag-$RUN-*" --arg c "$COMP" --arg pipe "$PIPE" \
            '{index_patterns: [$p], composed_of: [$c], priority: 260,
              template: {settings: {"index.default_pipeline": $pipe}}}')"
    it_ack "legacy template" PUT "$SRC/_template/$LEG" \
        "$(jq -nc --arg p "mrl-$tag-$RUN-*" '{index_patterns: [$p], order: 2, settings: {number_of_shards: 1}}')"
    PLAN="$RN_TMP/$NAME.json"
    rn_plan "$PLAN" "$(jq -n --arg s "$SRC" --arg t "$FP_URL_T" --arg repo "$REPO" --arg name "$NAME" \
        --arg loc "$LOCATION" --arg p "$PREFIX" --arg m "$M" '{
      snapmig: 1, name: $name,
      domains: {source: {endpoint: $s}, target: {endpoint: $t}},
      repository: {name: $repo, type: "fs", settings: {location: $loc}},
      snapshot: {domain: "source", indices: [($p + "-*")]},
      restores: [{domain: "target", on_conflict: "skip",
                  index_settings: {"index.number_of_replicas": 0}}],
      metadata: {index_templates: [($m + "-tmpl")], component_templates: [($m + "-comp")],
                 legacy_templates: [($m + "-leg")], ingest_pipelines: [($m + "-pipe")]},
      polling: {initial_ms: 100, max_ms: 500}}')"

    # the kill point: the component template's create request; every other
    # metadata write counted
    KP="$(fp_rule "$FP_URL_T" "$(jq -nc --arg p "^/_component_template/$COMP" --argjson a "$action" \
        '{method: "PUT", path: $p, times: 1} + $a')")"
    PUTS="$(fp_rule "$FP_URL_T" "$(jq -nc --arg m "$M" \
        '{method: "PUT", path: ("^/(_ingest/pipeline|_component_template|_index_template|_template)/" + $m), action: "pass", times: 0}')")"

    rn_start "$RN_TMP/$tag.ev1" --json "$PLAN"
    fp_wait "$FP_URL_T" "$KP" 1 90
    kill -9 "$RN_PID"
    rn_wait_pid "$RN_PID" 10
    assert_eq "pipeline:created component_template:creating index_template:pending legacy_template:pending" \
        "$(jq -r '[.rounds[0].restores[0].metadata[] | "\(.kind):\(.state)"] | join(" ")' "$STATE")" \
        "$tag: state file at the kill"
    if [[ "$tag" == landed ]]; then
        wait_for "$tag: $COMP on the target" 30 \
            bash -c "[[ \$(curl -s -o /dev/null -w '%{http_code}' '$DST/_component_template/$COMP') == 200 ]]"
    else
        it_http GET "$DST/_component_template/$COMP"
        assert_http_status 404 "$tag: $COMP on the target after the kill"
    fi

    rn_run "$RN_TMP/$tag.ev2" --json "$PLAN"
    assert_eq 0 "$RN_RC" "$tag: exit status of the resumed run ($(cat "$RN_TMP/$tag.ev2.err"))"
    rn_check_ndjson "$RN_TMP/$tag.ev2"
    assert_eq true "$(jq -s '.[0].resumed' "$RN_TMP/$tag.ev2")" "$tag: the second run resumed"
    assert_eq "component_template:$COMP:created index_template:$TMPL:created legacy_template:$LEG:created" \
        "$(jq -sr '[.[] | select(.type == "metadata.item") | "\(.kind):\(.name):\(.state)"] | join(" ")' "$RN_TMP/$tag.ev2")" \
        "$tag: metadata events of the resumed run"
    assert_eq "pipeline:created component_template:created index_template:created legacy_template:created" \
        "$(jq -r '[.rounds[0].restores[0].metadata[] | "\(.kind):\(.state)"] | join(" ")' "$STATE")" \
        "$tag: state file at the end"
    # the kill point's request, and the writes that went through
    assert_eq 1 "$(fp_hits "$FP_URL_T" "$KP")" "$tag: component template PUTs at the kill point"
    assert_eq "$([[ "$tag" == landed ]] && echo 3 || echo 4)" "$(fp_hits "$FP_URL_T" "$PUTS")" \
        "$tag: other metadata PUTs over both runs"
    assert_eq "[\"$COMP\"]" "$(it_json GET "$DST/_index_template/$TMPL" | jq -c '.index_templates[0].index_template.composed_of')" \
        "$tag: the index template on the target"
    assert_eq keyword "$(it_json GET "$DST/_component_template/$COMP" | jq -r '.component_templates[0].component_template.template.mappings.properties.msg.type')" \
        "$tag: the component template on the target"
    assert_eq 2 "$(it_json GET "$DST/_template/$LEG" | jq --arg n "$LEG" '.[$n].order')" "$tag: the legacy template on the target"
}

scenario landed '{"action": "delay", "delay_ms": 1500}'
scenario lost '{"action": "hold"}'
assert_eq 20 "$(doc_count "$DST" "${INDICES[0]}")" "documents restored"
it_pass "killed between two metadata items (request landed late, request lost): resumed, each written once"
