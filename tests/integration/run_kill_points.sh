#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Issue #8, "never destroy target data, always resume": `snapmig run` is
# stopped at every step boundary - kill -9, SIGTERM and SIGINT at each - and
# the same command, run again, must finish with what an uninterrupted run
# leaves: exit 0, the state file at "done", exactly one snapshot of the plan
# in the repository, each index restored once (one restore POST accepted,
# every shard recovered from the plan's snapshot) with the source's
# document count, nothing deleted, closed or opened on the target, and a
# closed target index that was there before left as it was.
#
# The points are reached through two fault proxies per signal
# (tests/support/faultproxy.py in front of the source and the target
# node): a request is held (or dropped, delivered late, or executed with
# its answer lost) and the proxy says when it arrived; then the signal
# goes.  The three signals run concurrently (one worker each, with its own
# proxies, source indices and per-point plans, repositories and target
# names); the points of one signal run one after the other.  At the end a
# table shows point x signal; any FAILED point fails the test.
#
# KP_POINTS="status-10 refresh" and KP_SIGNALS="kill int" run a subset
# (for debugging); the default is every point with every signal.
# KP_ARTIFACTS=DIR keeps every scenario's plan, events, stderr, state file
# and log there.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=run/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/run/common.sh"
# shellcheck source=run/kill_points.sh
source "$(dirname "${BASH_SOURCE[0]}")/run/kill_points.sh"

T_START=$SECONDS
it_source_and_target
it_require_s3_up
command -v timeout >/dev/null 2>&1 || it_fail "timeout (coreutils) not found"

read -r -a POINTS <<<"${KP_POINTS:-${KP_ALL_POINTS[*]}}"
read -r -a SIGNALS <<<"${KP_SIGNALS:-kill term int}"
for p in "${POINTS[@]}"; do
    [[ " ${KP_ALL_POINTS[*]} " == *" $p "* ]] || it_fail "KP_POINTS: unknown point $p (known: ${KP_ALL_POINTS[*]})"
done
for s in "${SIGNALS[@]}"; do
    [[ "$s" == kill || "$s" == term || "$s" == int ]] || it_fail "KP_SIGNALS: unknown signal $s (kill, term, int)"
done
KP_DOCS="${KP_DOCS:-1000}"

RUN="$(it_run_id)"

# Whatever a failed or interrupted test leaves: the workers clean up after
# each point; this is the safety net.
kp_cleanup_all() {
    local repo
    curl -s -m 60 -o /dev/null -X DELETE "$DST/kpt-$RUN-*"
    curl -s -m 60 -o /dev/null -X DELETE "$SRC/kp-$RUN-*"
    for repo in $(curl -s -m 30 "$SRC/_snapshot/kp_${RUN//-/_}_*" | jq -r 'keys[]?'); do
        curl -s -m 120 -o /dev/null -X DELETE "$SRC/_snapshot/$repo/snapmig-*"
        curl -s -m 30 -o /dev/null -X DELETE "$SRC/_snapshot/$repo"
    done
    for repo in $(curl -s -m 30 "$DST/_snapshot/kp_${RUN//-/_}_*" | jq -r 'keys[]?'); do
        curl -s -m 30 -o /dev/null -X DELETE "$DST/_snapshot/$repo"
    done
}
it_on_exit kp_cleanup_all
WORKERS=()
kp_stop_workers() {
    local w
    for w in "${WORKERS[@]}"; do kill "$w" 2>/dev/null || true; done
    # their snapmig processes
    for w in "$RN_TMP"/*/*/pid; do
        if [[ -f "$w" ]]; then kill -KILL "$(cat "$w")" 2>/dev/null || true; fi
    done
}
it_on_exit kp_stop_workers
if [[ -n "${KP_ARTIFACTS:-}" ]]; then
    mkdir -p "$KP_ARTIFACTS" || it_fail "cannot create KP_ARTIFACTS=$KP_ARTIFACTS"
    it_on_exit "cp -a '$RN_TMP/.' '$KP_ARTIFACTS/'"
fi

# Per signal: two proxies, four source indices, and a closed target
# index with a document that no run may touch.
for s in "${SIGNALS[@]}"; do
    fp_start "S_$s" "$SRC" 2>>"$RN_TMP/faultproxy.log"
    fp_start "T_$s" "$DST" 2>>"$RN_TMP/faultproxy.log"
done
seeders=()
for s in "${SIGNALS[@]}"; do
    (kp_seed "kp-$RUN-$s" "$KP_DOCS") >"$RN_TMP/seed.$s" 2>"$RN_TMP/seed.$s.err" &
    seeders+=($!)
done
for i in "${!seeders[@]}"; do
    wait "${seeders[$i]}" || it_fail "seeding kp-$RUN-${SIGNALS[$i]}-*: $(cat "$RN_TMP/seed.${SIGNALS[$i]}.err")"
    cp "$RN_TMP/seed.${SIGNALS[$i]}" "$RN_TMP/indices.${SIGNALS[$i]}"
    assert_eq 4 "$(wc -l <"$RN_TMP/indices.${SIGNALS[$i]}")" "source indices seeded for ${SIGNALS[$i]}"
done
for s in "${SIGNALS[@]}"; do
    keep="kpt-$RUN-$s-keep"
    it_ack "create $keep" PUT "$DST/$keep" '{"settings":{"number_of_shards":1,"number_of_replicas":0}}'
    it_json PUT "$DST/$keep/_doc/keep?refresh=true" "{\"owner\":\"someone else\",\"signal\":\"$s\"}" >/dev/null
    it_ack "close $keep" POST "$DST/$keep/_close"
    curl -s -m 30 "$DST/_cat/indices/$keep?h=uuid&expand_wildcards=all" | tr -d ' \n' >"$RN_TMP/keep-uuid.$s"
    [[ -s "$RN_TMP/keep-uuid.$s" ]] || it_fail "no uuid for $keep"
done
it_log "setup: $((SECONDS - T_START)) s; ${#POINTS[@]} points x ${#SIGNALS[@]} signals, $KP_DOCS docs x 4 indices per signal"

# Each worker starts at another point (a third of the list further on), so
# that the throttled steps of the workers rarely overlap: every node has one
# snapshot thread, which throttled snapshots (restores) hold while they wait.
T_WORK=$SECONDS
for i in "${!SIGNALS[@]}"; do
    off=$((i * ${#POINTS[@]} / ${#SIGNALS[@]}))
    (kp_worker "${SIGNALS[$i]}" "${POINTS[@]:$off}" "${POINTS[@]:0:$off}") &
    WORKERS+=($!)
done
for w in "${WORKERS[@]}"; do
    wait "$w" || it_fail "a worker ended abnormally (exit $?)"
done
T_WORK=$((SECONDS - T_WORK))

# The closed indices, opened at last: still the one document each.
for s in "${SIGNALS[@]}"; do
    keep="kpt-$RUN-$s-keep"
    assert_eq "$(cat "$RN_TMP/keep-uuid.$s") close" \
        "$(curl -s -m 30 "$DST/_cat/indices/$keep?h=uuid,status&expand_wildcards=all" | tr -s ' ' | sed 's/ *$//')" \
        "$keep at the end"
    it_ack "open $keep" POST "$DST/$keep/_open"
    it_json GET "$DST/_cluster/health/$keep?wait_for_status=green&timeout=30s" >/dev/null
    assert_eq 1 "$(doc_count "$DST" "$keep")" "documents in $keep"
    assert_eq "someone else" "$(it_json GET "$DST/$keep/_doc/keep" | jq -r ._source.owner)" "the document in $keep"
done

# ---------------------------------------------------------------- table
cat "${SIGNALS[@]/#/$RN_TMP/results.}" >"$RN_TMP/results" 2>/dev/null || true
cell() {
    awk -F'\t' -v p="$1" -v s="$2" '$1 == p && $2 == s { print ($3 == "ok" ? "survived" : "FAILED") " " $4 "s"; found = 1 }
        END { if (!found) print "not run" }' "$RN_TMP/results"
}
declare -A SIGNAME=([kill]="kill -9" [term]=SIGTERM [int]=SIGINT)
{
    printf '\n%-16s' "POINT"
    for s in "${SIGNALS[@]}"; do printf ' | %-14s' "${SIGNAME[$s]}"; done
    printf '\n%s\n' "$(printf -- '-%.0s' $(seq 1 $((16 + 17 * ${#SIGNALS[@]}))))"
    for p in "${POINTS[@]}"; do
        printf '%-16s' "$p"
        for s in "${SIGNALS[@]}"; do printf ' | %-14s' "$(cell "$p" "$s")"; done
        printf '\n'
    done
    awk -F'\t' '$3 == "ok" && $5 != "" { printf "note %s/%s: %s\n", $1, $2, $5 }' "$RN_TMP/results"
    awk -F'\t' '$3 != "ok" { printf "FAILED %s/%s: %s\n", $1, $2, (length($5) > 400 ? substr($5, 1, 300) " ... " substr($5, length($5) - 95) : $5) }' "$RN_TMP/results"
    printf 'wall time: %d s (setup %d s, points %d s)\n' "$((SECONDS - T_START))" "$((T_WORK > 0 ? SECONDS - T_START - T_WORK : 0))" "$T_WORK"
} >&2

failed="$(awk -F'\t' '$3 != "ok"' "$RN_TMP/results" | wc -l)"
ran="$(wc -l <"$RN_TMP/results")"
if ((failed > 0)); then
    while read -r f; do
        printf '\n==== log of %s ====\n' "$f" >&2
        cat "$RN_TMP/$f/log" >&2
    done < <(awk -F'\t' '$3 != "ok" { print $2 "/" $1 }' "$RN_TMP/results")
fi
assert_eq "$((${#POINTS[@]} * ${#SIGNALS[@]}))" "$ran" "scenarios run"
((failed == 0)) || it_fail "$failed of $ran kill points failed (table above)"
it_pass "$ran kill points survived (${#POINTS[@]} points x ${#SIGNALS[@]} signals) in $((SECONDS - T_START)) s"
