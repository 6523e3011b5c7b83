#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A restore that fails on the target after it started is reported at once,
# not at polling.timeout_s, naming the index, the shard, the server's
# reason and what to do; the state file records the restore as failed.
#  1. index_settings with an unknown store type pass the restore request,
#     then every allocation of the restored primary fails ("Unknown store
#     type") until the target gives up (UNASSIGNED, ALLOCATION_FAILED,
#     allocation explain "no").
#  2. index_settings require a node name that does not exist: the primary
#     stays UNASSIGNED with NEW_INDEX_RESTORED - as shards waiting in the
#     allocation queue do - and only the allocator's explanation
#     (can_allocate "no") tells them apart (found by the kill-point driver:
#     the run waited until its timeout).
# Each run must exit 1 long before its 300 s timeout.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/run/common.sh"

it_source_and_target
it_require_s3_up

RUN="$(it_run_id)"

# fails TAG INDEX_SETTINGS_JSON WANT...: a restore with those settings fails
# fast with a message holding every WANT.
fails() {
    local tag="$1" settings="$2" prefix="rn-$1-$RUN" repo="rn_$1_${RUN//-/_}" name="rn-$1-$RUN"
    local plan="$RN_TMP/$tag.json" state="$RN_TMP/$tag.state.json" start took err target want
    shift 2
    it_on_exit "curl -s -m 30 -X DELETE '$SRC/$prefix-*'"
    it_on_exit "curl -s -m 30 -X DELETE '$SRC/_snapshot/$repo'"
    it_on_exit "curl -s -m 60 -X DELETE '$SRC/_snapshot/$repo/snapmig-$name-*'"
    it_on_exit "curl -s -m 30 -X DELETE '$DST/_snapshot/$repo'"
    it_on_exit "curl -s -m 30 -X DELETE '$DST/f-$prefix-*'"
    mapfile -t INDICES < <("$IT_RIG" seed --node source --indices 1 --docs 50 --prefix "$prefix" | awk '{print $1}')
    rn_plan "$plan" "$(jq -n --arg s "$SRC" --arg t "$DST" --arg repo "$repo" --arg name "$name" \
        --arg b "$SNAPMIG_RIG_S3_BUCKET" --arg run "$RUN" --arg p "$prefix" --arg tag "$tag" \
        --argjson set "$settings" '{
      snapmig: 1, name: $name,
      domains: {source: {endpoint: $s}, target: {endpoint: $t}},
      repository: {name: $repo, type: "s3", settings: {bucket: $b, base_path: ("it/run-" + $tag + "/" + $run)}},
      snapshot: {domain: "source", indices: [($p + "-*")]},
      restores: [{domain: "target", rename: {pattern: "^(.+)$", replacement: "f-$1"},
                  index_settings: ({"index.number_of_replicas": 0} + $set)}],
      polling: {initial_ms: 100, max_ms: 1000, timeout_s: 300}}')"
    start=$SECONDS
    rn_start "$RN_TMP/$tag.out" --state "$state" "$plan"
    rn_wait_pid "$RN_PID" 120
    took=$((SECONDS - start))
    err="$(cat "$RN_TMP/$tag.out.err")"
    assert_eq 1 "$RN_RC" "$tag: exit status ($err)"
    ((took < 120)) || it_fail "$tag: the failure took ${took}s to notice"
    target="f-${INDICES[0]}"
    for want in "restoring $target failed" "primary shard 0" "$@" "run snapmig again"; do
        grep -qF -- "$want" <<<"$err" || it_fail "$tag: the message lacks '$want': $err"
    done
    assert_eq failed "$(rn_state_get "$state" '.rounds[-1].restores[0].state')" "$tag: restore state"
    # the target really is in that state: red, the primary unassigned
    assert_eq red "$(it_json GET "$DST/_cluster/health/$target" | jq -r .status)" "$tag: health of $target"
    it_log "$tag: reported after ${took}s"
}

fails fail '{"index.store.type": "bogus"}' "Unknown store type" "retry_failed=true"
fails nop '{"index.routing.allocation.require._name": "no-such-node"}' "cannot be allocated"
it_pass "a failed and an unplaceable restore were reported at once"
