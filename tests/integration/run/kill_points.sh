# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# The kill-point driver behind tests/integration/run_kill_points.sh (issue
# #8): sourced after ../lib.sh and common.sh.  Not a test itself.
#
# A scenario is (point, signal).  It starts `snapmig run --json PLAN` on a
# plan of its own (own name, repository, base_path, target names) whose
# domains are a worker's two fault proxies, arms the point's proxy rules,
# waits until the proxy reports that the point was reached (a held or
# faulted request: /__proxy/wait, never a sleep), sends the signal, checks
# how the process ended, clears the rules and runs the same command again
# (no rules): it must finish, and the clusters must hold what a run that
# was never stopped leaves.
#
# Needs: SRC DST RUN KP_DOCS; the worker's FP URLs in KP_S / KP_T; its
# source indices KP_SRC_INDICES (array) and prefix KP_WPREFIX; its closed
# target index KP_KEEP with uuid KP_KEEP_UUID.

# The points, in the order a run reaches them; "held" = the proxy keeps
# the request (it never reaches the node: the client goes away first).
#   preflight       GET / on the source held (the first preflight request)
#   repo-src        PUT _snapshot/R on the source held
#   repo-tgt        PUT _snapshot/R on the target held (source registered)
#   repo-tgt-after  the first source POST /_msearch after the target's
#                   registration (the "before" counts) held
#   counts-before   the source refuses that _msearch (405): the last of
#                   the four "before" _counts snapmig falls back to held
#   snap-put-held   the snapshot PUT held; 25 documents are written into a
#                   source index meanwhile (after the "before" counts)
#   snap-put-drop   every attempt of the PUT dropped  } then the lookup
#   snap-put-late   ... delivered 1 s after its      } (GET _snapshot/R/S)
#                   connection was closed             } that decides what
#   snap-put-ack    ... executed, its answer lost     } happened is held
#   status-1/-10    the 1st / 10th poll of the snapshot (GET
#                   _snapshot/R/S, which decides its end) held
#   after-success   a poll held until the snapshot has ended on the
#                   source: the answer that would tell snapmig is lost
#   counts-after    the "after" counts' POST /_msearch held
#   restore-drop/-late/-ack  the POST _restore faulted like the PUT; the
#                   probe after it (GET TARGETS/_settings/index.uuid,index.number_of_shards) held
#   recovery-1/-10  the 1st / 10th GET TARGETS/_recovery held
#   refresh         POST TARGETS/_refresh held
#   target-counts   the target's counts (POST /_msearch) held
# shellcheck disable=SC2034
KP_ALL_POINTS=(
    preflight repo-src repo-tgt repo-tgt-after counts-before
    snap-put-held snap-put-drop snap-put-late snap-put-ack
    status-1 status-10 after-success counts-after
    restore-drop restore-late restore-ack
    recovery-1 recovery-10 refresh target-counts
)

KP_POLLING='{"initial_ms": 100, "max_ms": 300}'
KP_RUN1_DEADLINE=90   # s for run 1 to reach the point
KP_EXIT_DEADLINE=30   # s for the signalled process to exit
KP_RESUME_DEADLINE=240 # s for the resumed run
KP_LATE_MS=1000       # delay of the "late" actions (after the kill, even on a busy machine)

kp_log() { printf '%s [%s]: %s\n' "$IT_NAME" "${KP_TAG:-main}" "$*" >&2; }

# kp_now: epoch seconds with milliseconds.
kp_now() { date +%s.%3N; }

# kp_since T: seconds since T (a kp_now value), to the 0.1 s.
kp_since() { awk -v a="$1" -v b="$(kp_now)" 'BEGIN { printf "%.1f", b - a }'; }

# kp_rule URL METHOD REGEX ACTION TIMES [EXTRA_JSON]: add a rule, print its id.
kp_rule() {
    fp_rule "$1" "$(jq -nc --arg m "$2" --arg p "$3" --arg a "$4" --argjson t "$5" \
        --argjson x "${6:-null}" '{method: $m, path: $p, action: $a, times: $t} + ($x // {})')"
}

# kp_until WHAT DEADLINE_S CMD...: poll CMD (every 50 ms) until it succeeds;
# fail at the deadline.
kp_until() {
    local what="$1" secs="$2" deadline
    deadline=$(($(date +%s%N) / 1000000 + secs * 1000))
    shift 2
    until "$@"; do
        (($(date +%s%N) / 1000000 < deadline)) || it_fail "$what: not reached within ${secs}s"
        sleep 0.05
    done
}

# kp_reach URL RULE_ID [COUNT]: block until rule RULE_ID of the proxy at URL
# has matched COUNT requests (the point is reached).  Waits on the proxy in
# 2 s slices so that a snapmig that ended early (KP_PID gone) fails at once
# with its last events instead of at the deadline.
kp_reach() {
    local url="$1" id="$2" count="${3:-1}" deadline=$((SECONDS + KP_RUN1_DEADLINE)) out code
    while :; do
        out="$(FP_CALL_TIMEOUT=10 fp__call GET "$url/__proxy/wait/$id?count=$count&timeout_s=2")"
        code="${out##*$'\n'}"
        case "$code" in
            200) return 0 ;;
            408) ;;
            *) it_fail "kill point not reached: wait for rule $id: HTTP $code: ${out%$'\n'*}" ;;
        esac
        if ! kill -0 "$KP_PID" 2>/dev/null; then
            local rc=0
            wait "$KP_PID" || rc=$?
            it_fail "kill point not reached: snapmig ended first (exit $rc); last events: $(tail -n 3 "$KP_DIR/ev1" 2>/dev/null | jq -c '{type, step, error}' 2>/dev/null | tr '\n' ' ')"
        fi
        ((SECONDS < deadline)) || it_fail "kill point not reached within ${KP_RUN1_DEADLINE}s (rule $id: $(jq -r .hits <<<"${out%$'\n'*}") of $count hits)"
    done
}

kp_no_held() {
    local out
    out="$(fp__call GET "$1/__proxy/rules")"
    [[ "${out##*$'\n'}" == 200 ]] && [[ "$(jq '[.[].held] | add // 0' <<<"${out%$'\n'*}")" == 0 ]]
}

# kp_events FILE: every line of FILE is an event (one JSON object with the
# four common fields); prints the last one, compact.  One jq for the file.
kp_events() {
    jq -nc -e '[inputs] as $e | if ($e | length) > 0 and all($e[]; type == "object" and (.type | type) == "string"
        and (.time | type) == "string" and (.plan | type) == "string" and (.step | type) == "string")
        then $e[-1] else error("not a stream of events") end' "$1" 2>/dev/null
}

# kp_release URL ID: forward what rule ID holds (exactly one request).
kp_release() {
    assert_eq 1 "$(fp_release "$1" "$2")" "requests released by rule $2"
}

# --------------------------------------------------------------- points

# Regexes of the requests the points act on (R: the scenario's repository).
kp_re_repo() { printf '^/_snapshot/%s$' "$KP_REPO"; }
kp_re_snap_put() { printf '^/_snapshot/%s/snapmig-[^/?]+\\?wait_for_completion' "$KP_REPO"; }
kp_re_snap_get() { printf '^/_snapshot/%s/snapmig-[^/?]+$' "$KP_REPO"; }
KP_RE_COUNT='^/[^/_][^/]*/_count$'
KP_RE_MSEARCH='^/_msearch$'
KP_RE_PROBE='/_settings/index\.uuid,index\.number_of_shards\?'
kp_re_restore() { printf '^/_snapshot/%s/snapmig-[^/?]+/_restore\\?' "$KP_REPO"; }
KP_RE_RECOVERY='^/[^/_][^/?]*/_recovery(\?filter_path=.*)?$'
KP_RE_REFRESH='^/[^/_][^/]*/_refresh$'

# kp_arm POINT: the rules that must be there before snapmig starts.
kp_arm() {
    local p="$1"
    case "$p" in
        preflight) KP_H="$(kp_rule "$KP_S" GET '^/$' hold 1)" ;;
        repo-src) KP_H="$(kp_rule "$KP_S" PUT "$(kp_re_repo)" hold 1)" ;;
        repo-tgt | repo-tgt-after | counts-before) KP_H="$(kp_rule "$KP_T" PUT "$(kp_re_repo)" hold 1)" ;;
        snap-put-held | counts-after) KP_H="$(kp_rule "$KP_S" PUT "$(kp_re_snap_put)" hold 1)" ;;
        snap-put-drop | snap-put-late | snap-put-ack)
            # every attempt gets the fault (libcurl resends a request whose
            # reused connection died without an answer, up to 5 times, on
            # the other pooled connections); the lookup that follows is
            # held: the kill point
            kp_rule "$KP_S" PUT "$(kp_re_snap_put)" "$(kp_fault "$p")" 0 "$(kp_fault_args "$p")" >/dev/null
            KP_H="$(kp_rule "$KP_S" GET "$(kp_re_snap_get)" hold 0)"
            ;;
        status-1 | after-success) KP_H="$(kp_rule "$KP_S" GET "$(kp_re_snap_get)" hold 1)" ;;
        status-10)
            kp_rule "$KP_S" GET "$(kp_re_snap_get)" pass 9 >/dev/null
            KP_H="$(kp_rule "$KP_S" GET "$(kp_re_snap_get)" hold 1)"
            ;;
        restore-drop | restore-late | restore-ack)
            # the probe before the POST passes; the one after it (which
            # decides whether the POST landed) is held: the kill point
            kp_rule "$KP_T" GET "$KP_RE_PROBE" pass 1 >/dev/null
            KP_H="$(kp_rule "$KP_T" GET "$KP_RE_PROBE" hold 0)"
            kp_rule "$KP_T" POST "$(kp_re_restore)" "$(kp_fault "$p")" 0 "$(kp_fault_args "$p")" >/dev/null
            ;;
        recovery-1) KP_H="$(kp_rule "$KP_T" GET "$KP_RE_RECOVERY" hold 1)" ;;
        recovery-10)
            kp_rule "$KP_T" GET "$KP_RE_RECOVERY" pass 9 >/dev/null
            KP_H="$(kp_rule "$KP_T" GET "$KP_RE_RECOVERY" hold 1)"
            ;;
        refresh) KP_H="$(kp_rule "$KP_T" POST "$KP_RE_REFRESH" hold 1)" ;;
        target-counts) KP_H="$(kp_rule "$KP_T" POST "$KP_RE_MSEARCH" hold 1)" ;;
        *) it_fail "unknown kill point $p" ;;
    esac
}

kp_fault() {
    case "$1" in
        *-drop) echo drop ;;
        *-late) echo late ;;
        *-ack) echo forward_drop ;;
    esac
}
kp_fault_args() {
    case "$1" in
        *-late) echo "{\"delay_ms\": $KP_LATE_MS}" ;;
        *) echo null ;;
    esac
}

# kp_snapshot_ended: the scenario's snapshot is over on the source (asked
# directly, not through the proxy).
kp_snapshot_ended() {
    curl -s -m 10 "$SRC/_snapshot/$KP_REPO/_all" |
        jq -e '.snapshots | length > 0 and all(.[]; .state == "SUCCESS")' >/dev/null
}

# kp_reach_point POINT: block until snapmig is at POINT (rules of kp_arm
# in place, snapmig started as KP_PID).
kp_reach_point() {
    local p="$1" b
    case "$p" in
        repo-tgt-after | counts-before)
            # the target's registration arrived: from now on the source's
            # next _msearch is the "before" counts (the preflight's is done)
            kp_reach "$KP_T" "$KP_H"
            if [[ "$p" == counts-before ]]; then
                # refused: snapmig counts each index with _count instead
                kp_rule "$KP_S" POST "$KP_RE_MSEARCH" respond 1 \
                    '{"status": 405, "body": {"error": "Incorrect HTTP method for uri [/_msearch] and method [POST]", "status": 405}}' >/dev/null
                kp_rule "$KP_S" GET "$KP_RE_COUNT" pass 3 >/dev/null
                b="$(kp_rule "$KP_S" GET "$KP_RE_COUNT" hold 0)"
            else
                b="$(kp_rule "$KP_S" POST "$KP_RE_MSEARCH" hold 0)"
            fi
            kp_release "$KP_T" "$KP_H"
            KP_H="$b"
            kp_reach "$KP_S" "$KP_H"
            ;;
        counts-after)
            # the snapshot PUT arrived: the next _msearch is the "after" counts
            kp_reach "$KP_S" "$KP_H"
            b="$(kp_rule "$KP_S" POST "$KP_RE_MSEARCH" hold 0)"
            kp_release "$KP_S" "$KP_H"
            KP_H="$b"
            kp_reach "$KP_S" "$KP_H"
            ;;
        snap-put-held)
            kp_reach "$KP_S" "$KP_H"
            kp_write_extra_docs
            ;;
        after-success)
            # a poll is held; the snapshot ends on the source meanwhile
            kp_reach "$KP_S" "$KP_H"
            kp_until "the snapshot ended on the source" "$KP_RUN1_DEADLINE" kp_snapshot_ended
            ;;
        preflight | repo-src | status-1 | status-10 | snap-put-*) kp_reach "$KP_S" "$KP_H" ;;
        *) kp_reach "$KP_T" "$KP_H" ;;
    esac
}

# While the snapshot PUT is held (the "before" counts are on disk), the
# source gets more documents: the resumed run must not verify against the
# old counts alone.
KP_EXTRA_DOCS=25
kp_write_extra_docs() {
    local i body="" idx="${KP_SRC_INDICES[0]}" out
    for ((i = 0; i < KP_EXTRA_DOCS; i++)); do
        body+="{\"index\":{\"_id\":\"extra-$KP_POINT-$KP_SIG-$i\"}}"$'\n'
        body+="{\"id\":$((1000000 + i)),\"index_no\":0,\"level\":\"INFO\",\"service\":\"svc-extra\"}"$'\n'
    done
    out="$(curl -s -m 60 -H 'Content-Type: application/x-ndjson' --data-binary "$body" \
        "$SRC/$idx/_bulk?refresh=true")" || it_fail "extra documents: _bulk into $idx failed"
    [[ "$(jq -r .errors <<<"$out")" == false ]] || it_fail "extra documents: _bulk errors: ${out:0:500}"
    kp_log "wrote $KP_EXTRA_DOCS documents into $idx while the snapshot PUT was held"
}

# kp_seed PREFIX DOCS: four source indices PREFIX-000..003 of DOCS
# documents each, with TWO primary shards each: eight primaries are more
# than a node starts restoring at once (cluster.routing.allocation.
# node_initial_primaries_recoveries, 4), so part of a restore waits
# unassigned, as it does on any real cluster.  Prints the names.
kp_seed() {
    local prefix="$1" docs="$2" i name out
    for i in 0 1 2 3; do
        name="$prefix-00$i"
        it_ack "create $name" PUT "$SRC/$name" \
            '{"settings":{"number_of_shards":2,"number_of_replicas":0},"mappings":{"properties":{"id":{"type":"long"},"index_no":{"type":"long"},"ts":{"type":"date"},"level":{"type":"keyword"},"service":{"type":"keyword"},"bytes":{"type":"long"}}}}'
        out="$(jq -nrc --argjson n "$docs" --argjson i "$i" 'range($n) |
            ({index: {_id: tostring}} | tojson),
            ({id: ., index_no: $i, ts: (1704067200000 + . * 60000 + $i), level: (["DEBUG", "INFO", "WARN", "ERROR"][. % 4]),
              service: "svc-\(. % 7)", bytes: ((7919 * . + $i) % 100000)} | tojson)' |
            curl -s -m 120 -H 'Content-Type: application/x-ndjson' --data-binary @- "$SRC/$name/_bulk?refresh=true")" ||
            it_fail "seeding $name: _bulk failed"
        [[ "$(jq -r '.errors' <<<"$out")" == false ]] || it_fail "seeding $name: _bulk errors: ${out:0:500}"
        assert_eq "$docs" "$(doc_count "$SRC" "$name")" "documents seeded in $name"
        echo "$name"
    done
}

# ------------------------------------------------------------- scenario

# kp_plan: write the scenario's plan.  The step a point stops in is
# throttled (repository rate limits) so that it runs for a few seconds: the
# snapshot for the points inside it, the restore for those inside it, a
# longer one for the 10th poll; the other steps run at full speed, which
# keeps the test short (each node has ONE snapshot thread, shared by the
# three workers).
KP_RATE_FAST="${KP_RATE_FAST:-5mb}"
KP_RATE="${KP_RATE:-80kb}"
KP_RATE_SLOW="${KP_RATE_SLOW:-70kb}"
kp_plan() {
    local srate="$KP_RATE_FAST" rrate="$KP_RATE_FAST"
    case "$KP_POINT" in
        snap-put-late | snap-put-ack | status-1) srate="$KP_RATE" ;;
        status-10) srate="$KP_RATE_SLOW" ;;
        restore-drop | restore-late | restore-ack | recovery-1) rrate="$KP_RATE" ;;
        recovery-10) rrate="$KP_RATE_SLOW" ;;
    esac
    rn_plan "$KP_PLAN" "$(jq -n --arg s "$KP_S" --arg t "$KP_T" --arg repo "$KP_REPO" --arg name "$KP_NAME" \
        --arg b "$SNAPMIG_RIG_S3_BUCKET" --arg bp "it/kill-points/$RUN/$KP_SIG/$KP_POINT" \
        --arg p "$KP_WPREFIX" --arg rep "$KP_TPREFIX-\$1" --arg sr "$srate" --arg rr "$rrate" \
        --argjson polling "$KP_POLLING" '{
      snapmig: 1, name: $name,
      domains: {source: {endpoint: $s}, target: {endpoint: $t}},
      repository: {name: $repo, type: "s3", settings: {bucket: $b, base_path: $bp,
                   max_snapshot_bytes_per_sec: $sr, max_restore_bytes_per_sec: $rr}},
      snapshot: {domain: "source", indices: [($p + "-*")]},
      restores: [{domain: "target", rename: {pattern: "^.*-([0-9]+)$", replacement: $rep},
                  index_settings: {"index.number_of_replicas": 0}}],
      polling: $polling}')"
}

# kp_stop: send the scenario's signal to KP_PID, wait (bounded) for it to
# end, and check how it ended.
kp_stop() {
    local deadline=$((SECONDS + KP_EXIT_DEADLINE)) rc=0 last
    KP_KILLED_AT="$(kp_now)"
    case "$KP_SIG" in
        kill) kill -KILL "$KP_PID" ;;
        term) kill -TERM "$KP_PID" ;;
        int) kill -INT "$KP_PID" ;;
    esac
    while kill -0 "$KP_PID" 2>/dev/null; do
        ((SECONDS < deadline)) || {
            kill -KILL "$KP_PID" 2>/dev/null
            it_fail "snapmig still running ${KP_EXIT_DEADLINE}s after SIG${KP_SIG^^}"
        }
        sleep 0.05
    done
    wait "$KP_PID" || rc=$?
    KP_PID=""
    case "$KP_SIG" in
        kill) assert_eq 137 "$rc" "exit status after SIGKILL" ;;
        *)
            [[ "$rc" == 130 ]] || it_fail "exit status after SIG${KP_SIG^^}: expected 130, got $rc; stderr: $(tail -n 5 "$KP_DIR/ev1.err")"
            last="$(kp_events "$KP_DIR/ev1")" || it_fail "the events of the interrupted run are not NDJSON events: $(tail -n 3 "$KP_DIR/ev1")"
            [[ "$(jq -r '.type + " " + .signal' <<<"$last")" == "run.interrupted SIG${KP_SIG^^}" ]] ||
                it_fail "last event after SIG${KP_SIG^^}: expected run.interrupted naming it, got $last"
            ;;
    esac
}

# kp_resume_failed WHAT: print the resumed run's output, the state file
# and the requests, then fail naming the point, WHAT and snapmig's error.
kp_resume_failed() {
    local why
    why="$(jq -r 'select(.type == "run.failed") | .error' "$KP_DIR/ev2" 2>/dev/null | head -n 1)"
    {
        echo "---- $KP_TAG: $1"
        echo "---- resumed run, stderr:"
        cat "$KP_DIR/ev2.err" 2>/dev/null
        echo "---- resumed run, events:"
        jq -c 'del(.time, .plan)' "$KP_DIR/ev2" 2>/dev/null || cat "$KP_DIR/ev2"
        echo "---- first run, last events:"
        tail -n 5 "$KP_DIR/ev1" 2>/dev/null
        echo "---- state file ($KP_STATE):"
        cat "$KP_STATE" 2>/dev/null || echo "(none)"
        echo "---- requests through the proxies (source, target):"
        kp_proxy_trace
    } >&2
    it_fail "$KP_POINT/SIG${KP_SIG^^}: $1${why:+: $why}"
}

kp_proxy_trace() {
    { fp_log "$KP_S" | jq -r '.[] | "\(.time) S \(.conn) \(.method) \(.path[0:110]) -> \(.status) (\(.action // "-"), upstream \(.upstream_status))"'
      fp_log "$KP_T" | jq -r '.[] | "\(.time) T \(.conn) \(.method) \(.path[0:110]) -> \(.status) (\(.action // "-"), upstream \(.upstream_status))"'
    } | sort -n
}

# kp_check: what the resumed run must have left.
kp_check() {
    local snap n i urls=() out want tlog slog
    [[ "$KP_RC2" == 0 ]] || kp_resume_failed "the resumed run exited $KP_RC2"
    out="$(kp_events "$KP_DIR/ev2")" || kp_resume_failed "the resumed run's stdout is not a stream of events"
    [[ "$(jq -r '.type + " " + .status' <<<"$out")" == "run.done success" ]] ||
        kp_resume_failed "the resumed run did not end with run.done success: $out"
    out="$(jq -r '.step + " " + .rounds[-1].snapshot.name' "$KP_STATE")"
    [[ "${out%% *}" == "done" ]] || kp_resume_failed "state step is '${out%% *}', not done"
    snap="${out#* }"
    n="$(rn_snapshots_of "$SRC" "$KP_REPO" "$KP_NAME")"
    [[ "$n" == 1 ]] || kp_resume_failed "$n snapshots of the plan in $KP_REPO (expected 1): $(it_json GET "$SRC/_snapshot/$KP_REPO/_all" | jq -c '[.snapshots[] | {snapshot, state, metadata}]')"
    # the target holds exactly the restored indices (and the closed one,
    # untouched), each with its source's count, every shard recovered from
    # this run's snapshot: one curl, one jq
    for i in "${KP_SRC_INDICES[@]}"; do
        urls+=("$SRC/$i/_count" "$DST/$KP_TPREFIX-${i##*-}/_count")
    done
    urls+=("$DST/_cat/indices/$KP_TPREFIX-*,$KP_KEEP?h=index,uuid,status&expand_wildcards=all&format=json"
        "$DST/$KP_TPREFIX-*/_recovery")
    want="$(printf '%s\n' "${KP_SRC_INDICES[@]}" | sed "s/^.*-/$KP_TPREFIX-/" | jq -Rsc 'split("\n") | map(select(. != ""))')"
    out="$(curl -s -m 60 "${urls[@]}" | jq -src --argjson n "${#KP_SRC_INDICES[@]}" --argjson want "$want" \
        --arg keep "$KP_KEEP" --arg uuid "$KP_KEEP_UUID" --arg snap "$snap" --arg repo "$KP_REPO" '
        .[0:2 * $n] as $c | .[2 * $n] as $cat | .[2 * $n + 1] as $rec |
        [range($n) | select($c[2 * .].count == null or $c[2 * .].count != $c[2 * . + 1].count) |
            "\($want[.]): \($c[2 * . + 1].count // $c[2 * . + 1].error.type) documents, its source \($c[2 * .].count)"] +
        (if ([$cat[] | select(.index != $keep) | .index] | sort) != ($want | sort)
            then ["target indices \([$cat[] | .index] | sort), expected \($want) and \($keep)"] else [] end) +
        (if ([$cat[] | select(.index == $keep) | .uuid + " " + .status]) != ["\($uuid) close"]
            then ["the closed index \($keep) changed: \([$cat[] | select(.index == $keep)])"] else [] end) +
        ([$rec | to_entries[] | .key as $i | .value.shards[]
            | select(.type != "SNAPSHOT" or .source.snapshot != $snap or .source.repository != $repo)
            | "\($i) shard \(.id): recovered from \(.type) \(.source)"] | unique) | join("; ")')" ||
        kp_resume_failed "cannot read the target's indices, counts and recoveries"
    [[ -z "$out" ]] || kp_resume_failed "$out"
    # one restore POST accepted by the target; nothing deleted, closed or
    # opened on the target, nothing deleted on the source
    tlog="$(fp_log "$KP_T")"
    slog="$(fp_log "$KP_S")"
    out="$(jq -nr --argjson t "$tlog" --argjson s "$slog" --arg re "$(kp_re_restore)" '
        ([$t[] | select(.method == "POST" and (.path | test($re)) and .upstream_status == 200)] | length) as $posts |
        (if $posts != 1 then ["\($posts) restore POSTs accepted by the target (expected exactly 1)"] else [] end) +
        [$t[] | select(.method == "DELETE" or (.path | test("/_(close|open)([?]|$)"))) | "target: \(.method) \(.path)"] +
        [$s[] | select(.method == "DELETE") | "source: \(.method) \(.path)"] | join("; ")')"
    [[ -z "$out" ]] || kp_resume_failed "$out"
}

# kp_note: facts worth a line in the table (late deliveries).
kp_note() {
    local log url=""
    case "$KP_POINT" in
        snap-put-late) url="$KP_S" ;;
        restore-late) url="$KP_T" ;;
        *) return 0 ;;
    esac
    log="$(fp_log "$url")"
    jq -r --argjson k "$KP_KILLED_AT" --argjson r "$KP_RESUMED_AT" '
        [.[] | select(.action == "late") | .upstream_at] |
        "late x\(length): reached the server " +
        (map(if . == null then "never"
             else ((. - $k) * 1000 | floor) as $d |
                 (if $d >= 0 then "\($d) ms after the kill" else "\(-$d) ms BEFORE the kill" end) +
                 (if . > $r then " (during the resume)" else "" end) end) | join(", "))' <<<"$log"
}

# kp_scenario POINT SIG: one scenario; exits non-zero (it_fail) when it fails.
kp_scenario() {
    KP_POINT="$1"
    KP_SIG="$2"
    KP_TAG="$KP_POINT/$KP_SIG"
    KP_DIR="$RN_TMP/$KP_SIG/$KP_POINT"
    KP_NAME="kp-$RUN-$KP_SIG-$KP_POINT"
    KP_REPO="kp_${RUN//-/_}_${KP_SIG}_${KP_POINT//-/_}"
    KP_TPREFIX="kpt-$RUN-$KP_SIG-$KP_POINT"
    KP_PLAN="$KP_DIR/plan.json"
    KP_STATE="$KP_DIR/.snapmig/$KP_NAME.state.json"
    KP_PID=""
    KP_T0="$(kp_now)"
    mkdir -p "$KP_DIR"
    kp_plan
    fp_clear "$KP_S"
    fp_clear "$KP_T"
    curl -s -m 10 -o /dev/null -X DELETE "$KP_S/__proxy/log"
    curl -s -m 10 -o /dev/null -X DELETE "$KP_T/__proxy/log"

    kp_arm "$KP_POINT"
    "$SNM_BINARY" run --json "$KP_PLAN" >"$KP_DIR/ev1" 2>"$KP_DIR/ev1.err" &
    KP_PID=$!
    echo "$KP_PID" >"$KP_DIR/pid"
    kp_reach_point "$KP_POINT"
    kp_log "point reached after $(kp_since "$KP_T0") s"
    kp_stop
    kp_log "stopped after $(kp_since "$KP_KILLED_AT") s"
    # a request held when snapmig went away is dropped, never forwarded:
    # wait for the proxies to notice before the rules go
    kp_until "held requests dropped" 10 kp_no_held "$KP_S"
    kp_until "held requests dropped" 10 kp_no_held "$KP_T"
    fp_clear "$KP_S"
    fp_clear "$KP_T"

    KP_RESUMED_AT="$(kp_now)"
    KP_RC2=0
    timeout -s KILL "$KP_RESUME_DEADLINE" "$SNM_BINARY" run --json "$KP_PLAN" >"$KP_DIR/ev2" 2>"$KP_DIR/ev2.err" || KP_RC2=$?
    [[ "$KP_RC2" != 137 ]] || kp_resume_failed "the resumed run did not end within ${KP_RESUME_DEADLINE}s"
    kp_log "resumed run: exit $KP_RC2 after $(kp_since "$KP_RESUMED_AT") s"
    kp_note >"$KP_DIR/note"
    kp_check
    kp_log "checked after $(kp_since "$KP_T0") s"
}

# kp_scenario_cleanup POINT SIG: remove what the scenario made (also after
# a failure): its snapmig if still running, then (in the background, the
# caller waits for it later) the target indices, the snapshot and the
# registrations.
kp_scenario_cleanup() {
    local sig="$2" point="$1" repo pid
    repo="kp_${RUN//-/_}_${sig}_${point//-/_}"
    pid="$(cat "$RN_TMP/$sig/$point/pid" 2>/dev/null || true)"
    [[ -z "$pid" ]] || kill -KILL "$pid" 2>/dev/null || true
    {
        curl -s -m 60 -o /dev/null -X DELETE "$DST/kpt-$RUN-$sig-$point-*"
        curl -s -m 120 -o /dev/null -X DELETE "$SRC/_snapshot/$repo/snapmig-*"
        curl -s -m 60 -o /dev/null -X DELETE "$SRC/_snapshot/$repo"
        curl -s -m 60 -o /dev/null -X DELETE "$DST/_snapshot/$repo"
    } &
    KP_CLEANERS+=($!)
}

# kp_worker SIG POINT...: run the points one after the other with SIG;
# one result line per point in $RN_TMP/results.SIG:
# POINT SIG ok|FAILED SECONDS REASON-OR-NOTE
kp_worker() {
    local sig="$1" point rc t0 reason note
    shift
    KP_TAG="SIG${sig^^}"
    KP_S_VAR="FP_URL_S_$sig"
    KP_T_VAR="FP_URL_T_$sig"
    KP_S="${!KP_S_VAR}"
    KP_T="${!KP_T_VAR}"
    KP_WPREFIX="kp-$RUN-$sig"
    KP_KEEP="kpt-$RUN-$sig-keep"
    KP_KEEP_UUID="$(cat "$RN_TMP/keep-uuid.$sig")"
    mapfile -t KP_SRC_INDICES <"$RN_TMP/indices.$sig"
    KP_CLEANERS=()
    for point in "$@"; do
        t0=$SECONDS
        mkdir -p "$RN_TMP/$sig/$point"
        rc=0
        (kp_scenario "$point" "$sig") >"$RN_TMP/$sig/$point/log" 2>&1 &
        wait $! || rc=$?
        kp_scenario_cleanup "$point" "$sig"
        if ((rc == 0)); then
            reason="$(cat "$RN_TMP/$sig/$point/note" 2>/dev/null || true)"
            printf '%s\t%s\tok\t%s\t%s\n' "$point" "$sig" "$((SECONDS - t0))" "$reason" >>"$RN_TMP/results.$sig"
            kp_log "$point/$sig: survived ($((SECONDS - t0)) s)${reason:+; $reason}"
        else
            reason="$(grep -a 'FAIL: ' "$RN_TMP/$sig/$point/log" | tail -n 1 | sed 's/^.*FAIL: //')"
            reason="${reason#"$point/SIG${sig^^}: "}"
            note="$(cat "$RN_TMP/$sig/$point/note" 2>/dev/null || true)"
            reason="${reason:-exit $rc, no message}${note:+ [$note]}"
            printf '%s\t%s\tFAILED\t%s\t%s\n' "$point" "$sig" "$((SECONDS - t0))" "$reason" >>"$RN_TMP/results.$sig"
            kp_log "$point/$sig: FAILED ($((SECONDS - t0)) s): ${reason:-exit $rc}"
        fi
    done
    wait "${KP_CLEANERS[@]}" 2>/dev/null || true
}
