#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Issue #8, item 21: "snapshot ...: success in 0ms" for a snapshot that took
# longer.  The duration is the server's end - start; when the server gives
# no end time it is the run's own (PUT to the end), never the server's
# start against the run's clock, which differ (a source whose clock runs
# ahead of ours by about the snapshot's length gave "0ms", further ahead
# "?").  The project's fault proxy (tests/support/faultproxy.py) rewrites
# the source's snapshot info reply: the real snapshot's state and shards,
# no end time, and a start time an hour ahead of ours.  Also: the first
# restore line never reads "0 B of 0 B, 0/0 files".
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/run/common.sh"

it_source_and_target
it_require_s3_up
fp_start SP "$SRC"
RUN="$(it_run_id)"
PREFIX="st-$RUN"
REPO="st_${RUN//-/_}"
NAME="st-$RUN"
SNAP="snap-$NAME" # fixed: the rewritten reply names it

it_on_exit "curl -s -m 30 -X DELETE '$SRC/$PREFIX-*'"
it_on_exit "curl -s -m 60 -X DELETE '$SRC/_snapshot/$REPO/$SNAP'"
it_on_exit "curl -s -m 30 -X DELETE '$SRC/_snapshot/$REPO'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/_snapshot/$REPO'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/moved-$PREFIX-*'"
mapfile -t INDICES < <("$IT_RIG" seed --node source --indices 2 --docs 2000 --prefix "$PREFIX" | awk '{print $1}')

PLAN="$RN_TMP/plan.json"
rn_plan "$PLAN" "$(jq -n --arg s "$FP_URL_SP" --arg t "$DST" --arg repo "$REPO" --arg name "$NAME" \
    --arg snap "$SNAP" --arg b "$SNAPMIG_RIG_S3_BUCKET" --arg run "$RUN" --arg p "$PREFIX" '{
  snapmig: 1, name: $name,
  domains: {source: {endpoint: $s}, target: {endpoint: $t}},
  repository: {name: $repo, type: "s3", settings: {bucket: $b, base_path: ("it/times/" + $run),
               max_snapshot_bytes_per_sec: "100kb"}},
  snapshot: {domain: "source", name: $snap, indices: [($p + "-*")]},
  restores: [{domain: "target", rename: {pattern: "^(.+)$", replacement: "moved-$1"},
              index_settings: {"index.number_of_replicas": 0}}],
  polling: {initial_ms: 100, max_ms: 300}}')"

# the info reply (GET _snapshot/REPO/SNAP, the poll that decides the end):
# SUCCESS, both shards, a start an hour ahead, no end time.  Rewritten only
# once the real snapshot has ended: until then the polls are dropped (no
# answer: "no news", snapmig polls again), so that the rewritten success
# is never one the source would not give.
ahead=$(( $(date +%s) * 1000 + 3600 * 1000 ))
body="$(jq -cn --arg snap "$SNAP" --argjson start "$ahead" '{snapshots: [{snapshot: $snap,
  uuid: "u", state: "SUCCESS", start_time_in_millis: $start,
  shards: {total: 2, failed: 0, successful: 2}, failures: []}]}')"
r_drop="$(fp_rule "$FP_URL_SP" "$(jq -cn --arg p "^/_snapshot/$REPO/$SNAP\$" \
    '{method: "GET", path: $p, action: "drop", times: 0}')")"

# without --json: the progress text on stderr is what a user reads
t0=$SECONDS
rn_start "$RN_TMP/out" "$PLAN"
ended() { curl -s -m 10 "$SRC/_snapshot/$REPO/$SNAP" | jq -e '.snapshots[0].state == "SUCCESS"' >/dev/null; }
wait_for "the snapshot ends on the source" 120 ended
r_info="$(fp_rule "$FP_URL_SP" "$(jq -cn --arg p "^/_snapshot/$REPO/$SNAP\$" --argjson b "$body" \
    '{method: "GET", path: $p, action: "rewrite", status: 200, body: $b, times: 0}')")"
curl -s -m 10 -o /dev/null -X DELETE "$FP_URL_SP/__proxy/rules/$r_drop"
rn_wait_pid "$RN_PID" 120
wall=$((SECONDS - t0 + 1))
assert_eq 0 "$RN_RC" "run exit ($(tail -3 "$RN_TMP/out.err"))"
(($(fp_hits "$FP_URL_SP" "$r_info") >= 1)) || it_fail "the snapshot info request was not rewritten"
line="$(grep -E "snapshot $SNAP: success in " "$RN_TMP/out.err" || true)"
[[ -n "$line" ]] || it_fail "no snapshot line in: $(cat "$RN_TMP/out.err")"
it_log "$line (run ${wall}s)"
# "in 850ms", "in 2s", "in 1m02s": at least 0.3 s (the snapshot is
# throttled to 100 kB/s) and at most the run's wall time
ms="$(sed -nE 's/.*success in ([0-9]+)ms .*/\1/p; s/.*success in ([0-9]+)s .*/\1000/p; s/.*success in ([0-9]+)m([0-9]+)s .*/\1 \2/p' <<<"$line" |
    awk 'NF == 2 {print ($1 * 60 + $2) * 1000; next} {print $1}')"
[[ -n "$ms" ]] || it_fail "the snapshot line gives no duration: $line"
((ms >= 300 && ms <= wall * 1000)) || it_fail "snapshot duration ${ms} ms is not the run's own (0.3 s .. ${wall} s): $line"
if grep -Eq "0 B of 0 B|0/0 files" "$RN_TMP/out.err"; then
    it_fail "a restore line without sizes: $(grep -E "0 B of 0 B|0/0 files" "$RN_TMP/out.err" | head -1)"
fi
it_log "snapshot duration from the run's own clock when the server gives no end time"
