#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The counts window when the snapshot PUT lands late (found by the
# kill-point driver's "late" points): the PUT's connection dies without an
# answer, snapmig looks the snapshot up (not there yet); the next count it
# sends (POST /_msearch) (a recount of "before", in the versions that recounted there) is
# held until the first PUT has reached the source and created the snapshot,
# and documents are written after that: they are in neither the snapshot
# nor the copy.  The copy is right, so the run must verify it: the counts
# taken before the FIRST PUT are the lower bound, not later ones.
# The interleaving is forced through the fault proxy (late delivery, the
# lookup and the next count held until the PUT has landed).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=run/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/run/common.sh"
# shellcheck source=run/kill_points.sh
source "$(dirname "${BASH_SOURCE[0]}")/run/kill_points.sh"

it_source_and_target
it_require_s3_up

RUN="$(it_run_id)"
fp_start S "$SRC"
fp_start T "$DST"
KP_S="$FP_URL_S"
KP_T="$FP_URL_T"
KP_POINT="late-put-counts"
KP_SIG=none
KP_WPREFIX="lpc-$RUN"
KP_NAME="lpc-$RUN"
KP_REPO="lpc_${RUN//-/_}"
KP_TPREFIX="lpct-$RUN"
KP_DIR="$RN_TMP"
KP_PLAN="$RN_TMP/plan.json"
it_on_exit "curl -s -m 60 -X DELETE '$SRC/$KP_WPREFIX-*'"
it_on_exit "curl -s -m 60 -X DELETE '$DST/$KP_TPREFIX-*'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/_snapshot/$KP_REPO'"
it_on_exit "curl -s -m 120 -X DELETE '$SRC/_snapshot/$KP_REPO/snapmig-*'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/_snapshot/$KP_REPO'"

mapfile -t KP_SRC_INDICES < <(kp_seed "$KP_WPREFIX" 500)
kp_plan

# every attempt of the PUT (libcurl resends it on other pooled
# connections) reaches the source 3 s after snapmig saw its connection die
late="$(kp_rule "$KP_S" PUT "$(kp_re_snap_put)" late 0 '{"delay_ms": 3000}')"
lookup="$(kp_rule "$KP_S" GET "$(kp_re_snap_get)" hold 1)"
"$SNM_BINARY" run --json "$KP_PLAN" >"$RN_TMP/ev" 2>"$RN_TMP/ev.err" &
KP_PID=$!
it_on_exit "kill -9 $KP_PID 2>/dev/null || true"
kp_reach "$KP_S" "$lookup"
recount="$(kp_rule "$KP_S" POST "$KP_RE_MSEARCH" hold 0)"
kp_release "$KP_S" "$lookup"
kp_reach "$KP_S" "$recount"
landed() {
    fp_log "$KP_S" | jq -e --argjson a "$late" 'any(.[]; .rule == $a and .upstream_status == 200)' >/dev/null
}
wait_for "the late PUT creates the snapshot" 30 landed
taken() { [[ "$(curl -s -m 10 "$SRC/_snapshot/$KP_REPO/_all" | jq '.snapshots | length')" == 1 ]]; }
wait_for "the snapshot is listed" 30 taken

# documents that come after the snapshot: not in it, not in the copy
body=""
for i in $(seq 1 30); do body+='{"index":{}}'$'\n''{"id":999999,"level":"INFO"}'$'\n'; done
out="$(curl -s -m 60 -H 'Content-Type: application/x-ndjson' --data-binary "$body" "$SRC/${KP_SRC_INDICES[0]}/_bulk?refresh=true")"
assert_eq false "$(jq -r .errors <<<"$out")" "_bulk of the later documents"
curl -s -m 10 -o /dev/null -X DELETE "$KP_S/__proxy/rules/$late"
fp_clear "$KP_S"

rn_wait_pid "$KP_PID" 120
[[ "$RN_RC" == 0 ]] || it_fail "snapmig exited $RN_RC: $(jq -c 'select(.type == "run.failed" or .type == "verify.index" and (.ok | not)) | del(.time, .plan)' "$RN_TMP/ev")"
assert_eq 4 "$(jq -s '[.[] | select(.type == "verify.index" and .ok)] | length' "$RN_TMP/ev")" "indices verified"
assert_eq 1 "$(rn_snapshots_of "$SRC" "$KP_REPO" "$KP_NAME")" "snapshots of the plan"
assert_eq 500 "$(doc_count "$DST" "$KP_TPREFIX-000")" "documents in the copy (the snapshot's)"
it_pass "a PUT that landed late, documents written after it: the copy verified"
