#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Safety issue (#8) regressions that need a fault on one chosen request,
# injected by the project's fault proxy (tests/support/faultproxy.py) in
# front of the rig's real source and target nodes:
#  A (item 4) stopped after the snapshot's SUCCESS was saved and before its
#    "after" counts were, with documents written while the snapshot PUT was
#    held: the resumed run counts again and verifies the window;
#  B (item 5) killed while the restore POST is in flight, which reaches the
#    target only after the resumed run sent its own: the resumed run sees
#    the restore landed (its _recovery names this run's snapshot) and
#    adopts it instead of failing on "already exists";
#  C (item 7) 429 Too Many Requests answers to the recovery polls: no news,
#    the run finishes;
#  D (item 9) recovery replies that never list the indices: a warning at
#    once, failure after 3 rounds (not at polling.timeout_s), then a rerun
#    adopts what was restored;
#  E every snapshot PUT reaches the source 1.5 s after the client gave up:
#    the run looks the snapshot up a few times, paced, finds it and adopts
#    it, without a second PUT;
#  F (item 19) the snapshot status answers the repository_exception a
#    source gives when its S3 bucket is down: the failure says the storage
#    is unreachable and that a rerun resumes; the rerun does;
#  G (item 19) a restoring index is deleted on the target (a real
#    index_not_found_exception): the failure says it is gone and that a
#    rerun restores it again; the rerun does;
#  H (item 10) killed with only target work left, then the source goes
#    away: the resumed run warns and finishes with the target.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/run/common.sh"

it_source_and_target
it_require_s3_up
fp_start SP "$SRC"
fp_start DP "$DST"
RUN="$(it_run_id)"

# fx_setup TAG DOCS: 2 seeded source indices and a plan through the proxies
# (rename "fx-$1"); sets PREFIX REPO NAME INDICES PLAN STATE.
fx_setup() {
    local tag="$1" docs="$2" dir="$RN_TMP/$1" throttle="${3:-}"
    PREFIX="fx-$tag-$RUN"
    REPO="fx_${tag}_${RUN//-/_}"
    NAME="fx-$tag-$RUN"
    mkdir -p "$dir"
    it_on_exit "curl -s -m 30 -X DELETE '$SRC/$PREFIX-*'"
    it_on_exit "curl -s -m 30 -X DELETE '$DST/fx-$PREFIX-*'"
    it_on_exit "curl -s -m 60 -X DELETE '$SRC/_snapshot/$REPO/snapmig-*'"
    it_on_exit "curl -s -m 30 -X DELETE '$SRC/_snapshot/$REPO'"
    it_on_exit "curl -s -m 30 -X DELETE '$DST/_snapshot/$REPO'"
    mapfile -t INDICES < <("$IT_RIG" seed --node source --indices 2 --docs "$docs" --prefix "$PREFIX" | awk '{print $1}')
    PLAN="$dir/plan.json"
    STATE="$dir/.snapmig/$NAME.state.json"
    rn_plan "$PLAN" "$(jq -n --arg s "$FP_URL_SP" --arg t "$FP_URL_DP" --arg repo "$REPO" --arg name "$NAME" \
        --arg b "$SNAPMIG_RIG_S3_BUCKET" --arg run "$RUN" --arg p "$PREFIX" --arg tag "$tag" --arg th "$throttle" '{
      snapmig: 1, name: $name,
      domains: {source: {endpoint: $s}, target: {endpoint: $t}},
      repository: {name: $repo, type: "s3", settings: ({bucket: $b, base_path: ("it/faults-" + $tag + "/" + $run)}
                   + (if $th == "" then {} else {max_restore_bytes_per_sec: $th} end))},
      snapshot: {domain: "source", indices: [($p + "-*")]},
      restores: [{domain: "target", rename: {pattern: "^(.+)$", replacement: "fx-$1"},
                  index_settings: {"index.number_of_replicas": 0}}],
      polling: {initial_ms: 100, max_ms: 300}}')"
}

# FX_ONLY=abd runs only those scenarios (to try one against an old binary).
fx_want() { [[ -z "${FX_ONLY:-}" || "$FX_ONLY" == *"$1"* ]]; }

# fx_done EVENTS DOCS...: the run verified every index with these counts.
fx_done() {
    local ev="$1" i=0
    shift
    assert_eq 2 "$(jq -s '[.[] | select(.type == "verify.index" and .ok)] | length' "$ev")" "verified indices"
    for want in "$@"; do
        assert_eq "$want" "$(doc_count "$DST" "fx-${INDICES[$i]}")" "docs in fx-${INDICES[$i]}"
        i=$((i + 1))
    done
    assert_eq 1 "$(rn_snapshots_of "$SRC" "$REPO" "$NAME")" "snapshots of the plan"
    assert_eq done "$(rn_state_get "$STATE" .step)" "state step"
}

# ---- A: stopped before the "after" counts, the source written meanwhile
if fx_want a; then
    fx_setup a 300
    fp_clear "$FP_URL_SP"
    # the preflight counts every index in one POST /_msearch, and so does
    # the run before the snapshot: those two pass, the "after" one is held
    r_before="$(fp_rule "$FP_URL_SP" '{"method":"POST","path":"^/_msearch$","action":"pass","times":2}')"
    r_put="$(fp_rule "$FP_URL_SP" "{\"method\":\"PUT\",\"path\":\"^/_snapshot/$REPO/snapmig-\",\"action\":\"hold\"}")"
    r_after="$(fp_rule "$FP_URL_SP" '{"method":"POST","path":"^/_msearch$","action":"hold","times":0}')"
    rn_start "$RN_TMP/a/ev1" --json "$PLAN"
    fp_wait "$FP_URL_SP" "$r_put" 1 60
    # documents that the snapshot has and the "before" counts have not
    for k in $(seq 1 25); do
        it_json PUT "$SRC/${INDICES[0]}/_doc/extra-$k" '{"extra":true}' >/dev/null
    done
    it_json POST "$SRC/${INDICES[0]}/_refresh" >/dev/null
    assert_eq 1 "$(fp_release "$FP_URL_SP" "$r_put")" "released the snapshot PUT"
    fp_wait "$FP_URL_SP" "$r_after" 1 60
    kill -9 "$RN_PID"
    rn_wait_pid "$RN_PID" 10
    assert_eq success "$(rn_state_get "$STATE" .rounds[-1].snapshot.state)" "A: snapshot state when killed"
    assert_eq 0 "$(jq '.rounds[-1].snapshot.docs_after | length' "$STATE")" "A: no 'after' counts when killed"
    fp_clear "$FP_URL_SP"
    # more writes after the snapshot: the late 'after' count only widens the window
    it_json PUT "$SRC/${INDICES[0]}/_doc/later?refresh=true" '{"later":true}' >/dev/null
    rn_run "$RN_TMP/a/ev2" --json "$PLAN"
    assert_eq 0 "$RN_RC" "A: exit of the resumed run ($(tail -3 "$RN_TMP/a/ev2.err"))"
    fx_done "$RN_TMP/a/ev2" 325 300
    it_log "A passed: the resumed run took the missing 'after' counts"
fi

# ---- B: killed while the restore POST is in flight; it lands only after
# the resumed run has looked at the target and sent its own POST
if fx_want b; then
    fx_setup b 200
    fp_clear "$FP_URL_DP"
    r_late="$(fp_rule "$FP_URL_DP" '{"method":"POST","path":"/_restore","action":"late","delay_ms":4000,"times":2}')"
    rn_start "$RN_TMP/b/ev1" --json "$PLAN"
    fp_wait "$FP_URL_DP" "$r_late" 1 60
    kill -9 "$RN_PID"
    rn_wait_pid "$RN_PID" 10
    fp_clear "$FP_URL_DP"
    # the resumed run's own POST reaches the target after the late one
    r_slow="$(fp_rule "$FP_URL_DP" '{"method":"POST","path":"/_restore","action":"delay","delay_ms":6000,"times":1}')"
    rn_run "$RN_TMP/b/ev2" --json "$PLAN"
    assert_eq 0 "$RN_RC" "B: exit of the resumed run ($(tail -3 "$RN_TMP/b/ev2.err"))"
    fx_done "$RN_TMP/b/ev2" 200 200
    if [[ "$(fp_hits "$FP_URL_DP" "$r_slow")" == 1 ]]; then
        assert_contains "$(cat "$RN_TMP/b/ev2.err")" "already exists" "B: the resumed run's POST was refused"
        it_log "B: the resumed run's POST was refused (already exists) and the late restore adopted"
    [[ -z "${FX_DEBUG:-}" ]] || cat "$RN_TMP/b/ev2.err" >&2
    else
        it_log "B: the late restore had landed before the resumed run looked; adopted"
    [[ -z "${FX_DEBUG:-}" ]] || { jq -c '[.time,.type]' "$RN_TMP/b/ev2"; fp_log "$FP_URL_DP" | jq -c '.[] | select(.method == "POST") | [.time,.path[0:20],.action,.status,.upstream_at,.upstream_status,.closed_at]'; } >&2
    fi
    fp_clear "$FP_URL_DP"
    it_log "B passed: a restore that landed late was adopted"
fi

# ---- C: 429 on the recovery polls
if fx_want c; then
    fx_setup c 200
    r_429="$(fp_rule "$FP_URL_DP" '{"method":"GET","path":"/_recovery","action":"respond","status":429,"times":8,"headers":{"Retry-After":"0"},"body":{"error":{"type":"too_many_requests","reason":"slow down"},"status":429}}')"
    rn_run "$RN_TMP/c/ev" --json "$PLAN"
    assert_eq 0 "$RN_RC" "C: exit with 429s while polling ($(tail -3 "$RN_TMP/c/ev.err"))"
    assert_eq 8 "$(fp_hits "$FP_URL_DP" "$r_429")" "C: the 429 answers were all given"
    fx_done "$RN_TMP/c/ev" 200 200
    if grep -q "unreachable" "$RN_TMP/c/ev" "$RN_TMP/c/ev.err"; then
        it_fail "C: a 429 was called unreachable"
    fi
    fp_clear "$FP_URL_DP"
    it_log "C passed: 429 while polling is no news"
fi

# ---- D: recovery replies that never list the indices
if fx_want d; then
    fx_setup d 200
    r_junk="$(fp_rule "$FP_URL_DP" '{"method":"GET","path":"^/fx-[^?]*/_recovery(\\?filter_path=.*)?$","action":"rewrite","status":200,"body":{},"times":0}')"
    rn_run "$RN_TMP/d/ev" --json "$PLAN"
    assert_eq 1 "$RN_RC" "D: exit when recovery replies never parse"
    assert_contains "$(jq -sr '.[] | select(.type == "warning") | .message' "$RN_TMP/d/ev")" "lists no shards" "D: a warning"
    assert_contains "$(jq -sr '.[] | select(.type == "run.failed") | .error' "$RN_TMP/d/ev")" "3 rounds in a row" "D: the failure"
    (($(fp_hits "$FP_URL_DP" "$r_junk") <= 12)) || it_fail "D: kept polling ($(fp_hits "$FP_URL_DP" "$r_junk") rounds)"
    fp_clear "$FP_URL_DP"
    rn_run "$RN_TMP/d/ev2" --json "$PLAN"
    assert_eq 0 "$RN_RC" "D: the rerun ($(tail -3 "$RN_TMP/d/ev2.err"))"
    fx_done "$RN_TMP/d/ev2" 200 200
    it_log "D passed: junk recovery replies fail fast; the rerun adopts"
fi

# ---- E: every snapshot PUT lands 1.5 s after the client gave up
if fx_want e; then
    fx_setup e 200
    r_put="$(fp_rule "$FP_URL_SP" "{\"method\":\"PUT\",\"path\":\"^/_snapshot/$REPO/snapmig-\",\"action\":\"late\",\"delay_ms\":1500,\"times\":0}")"
    rn_run "$RN_TMP/e/ev" --json "$PLAN"
    assert_eq 0 "$RN_RC" "E: exit with a late snapshot PUT ($(tail -3 "$RN_TMP/e/ev.err"))"
    fx_done "$RN_TMP/e/ev" 200 200
    # exactly one PUT: none after the first lookup (the run waited for it
    # to land instead of sending another), and no silent resend by libcurl
    # (a non-replayable request has a connection of its own)
    assert_eq 1 "$(fp_hits "$FP_URL_SP" "$r_put")" "E: snapshot PUTs that reached the proxy"
    late_after_lookup="$(fp_log "$FP_URL_SP" | jq --arg r "/_snapshot/$REPO/snapmig-" '
      ([.[] | select(.method == "GET" and (.path | startswith($r)) and (.path | contains("/_status") | not)) | .seq] | min) as $first
      | [.[] | select(.method == "PUT" and (.path | startswith($r)) and .seq > $first)] | length')"
    assert_eq 0 "$late_after_lookup" "E: snapshot PUTs sent after the first lookup"
    fp_clear "$FP_URL_SP"
    it_log "E passed: a late snapshot PUT was waited for and adopted"
fi

# ---- F: the repository's storage fails while the snapshot is polled
if fx_want f; then
    fx_setup f 200
    # the poll (GET _snapshot/R/S, which decides the end) fails
    r_repo="$(fp_rule "$FP_URL_SP" "{\"method\":\"GET\",\"path\":\"^/_snapshot/$REPO/snapmig-[^/?]*\$\",\"action\":\"respond\",\"status\":500,\"times\":0,\"body\":{\"error\":{\"type\":\"repository_exception\",\"reason\":\"[$REPO] Could not determine repository generation from root blobs\"},\"status\":500}}")"
    rn_run "$RN_TMP/f/ev" --json "$PLAN"
    assert_eq 1 "$RN_RC" "F: exit when the repository fails"
    err="$(jq -sr '.[] | select(.type == "run.failed") | .error' "$RN_TMP/f/ev")"
    assert_contains "$err" "Could not determine repository generation" "F: the server's reason"
    assert_contains "$err" "storage is unreachable" "F: what it means"
    assert_contains "$err" "run snapmig again: it resumes" "F: what to do"
    fp_clear "$FP_URL_SP"
    rn_run "$RN_TMP/f/ev2" --json "$PLAN"
    assert_eq 0 "$RN_RC" "F: the rerun ($(tail -3 "$RN_TMP/f/ev2.err"))"
    fx_done "$RN_TMP/f/ev2" 200 200
    it_log "F passed: repository failure explained, the rerun resumed"
fi

# ---- G: a restored index is deleted on the target while it recovers
if fx_want g; then
    fx_setup g 20000 100kb
    rn_start "$RN_TMP/g/ev" --json "$PLAN"
    wait_for "restore.progress" 120 rn_has_event "$RN_TMP/g/ev" restore.progress '.bytes_total > 0'
    present() { curl -sf -m 10 -o /dev/null "$DST/fx-${INDICES[1]}"; }
    wait_for "fx-${INDICES[1]} on the target" 30 present
    it_json DELETE "$DST/fx-${INDICES[1]}" >/dev/null
    rn_wait_pid "$RN_PID" 300
    assert_eq 1 "$RN_RC" "G: exit when a restoring index is deleted"
    err="$(jq -sr '.[] | select(.type == "run.failed") | .error' "$RN_TMP/g/ev")"
    assert_contains "$err" "index_not_found_exception" "G: the server's reason"
    assert_contains "$err" "is gone from the cluster" "G: what it means"
    assert_contains "$err" "restores it again" "G: what to do"
    rn_run "$RN_TMP/g/ev2" --json "$PLAN"
    assert_eq 0 "$RN_RC" "G: the rerun ($(tail -3 "$RN_TMP/g/ev2.err"))"
    fx_done "$RN_TMP/g/ev2" 20000 20000
    it_log "G passed: an index lost mid-restore is explained and restored again"
fi

# ---- H: only target work is left and the source is down (last: it stops
# the source's proxy)
if fx_want h; then
    fx_setup h 200
    r_post="$(fp_rule "$FP_URL_DP" '{"method":"POST","path":"/_restore","action":"hold"}')"
    rn_start "$RN_TMP/h/ev1" --json "$PLAN"
    fp_wait "$FP_URL_DP" "$r_post" 1 60
    kill -9 "$RN_PID"
    rn_wait_pid "$RN_PID" 10
    fp_clear "$FP_URL_DP"
    assert_eq 2 "$(jq '.rounds[-1].snapshot.docs_after | length' "$STATE")" "H: the 'after' counts are on record"
    kill "$FP_PID_SP"
    gone() { ! curl -s -m 2 -o /dev/null "$FP_URL_SP/"; }
    wait_for "the source's proxy is gone" 10 gone
    rn_run "$RN_TMP/h/ev2" --json "$PLAN"
    assert_eq 0 "$RN_RC" "H: exit with the source down ($(tail -3 "$RN_TMP/h/ev2.err"))"
    assert_contains "$(jq -sr '.[] | select(.type == "preflight.done") | .warnings | join(" | ")' "$RN_TMP/h/ev2")" \
        "goes on with the targets" "H: the unreachable source is a warning"
    fx_done "$RN_TMP/h/ev2" 200 200
    it_log "H passed: a run with only target work left resumed with the source down"
fi

it_pass "A (item 4), B (item 5), C (item 7), D (item 9), E (late PUT), F and G (item 19), H (item 10)"