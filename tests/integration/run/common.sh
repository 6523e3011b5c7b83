# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Helpers for the `snapmig run` integration tests (tests/integration/
# run_*.sh); sourced after ../lib.sh.  Not a test itself (it lives in a
# subdirectory, which the test glob does not enter).

: "${SNM_BINARY:?SNM_BINARY must name the snapmig binary (ctest sets it)}"
[[ -x "$SNM_BINARY" ]] || it_fail "SNM_BINARY=$SNM_BINARY is not executable"

RN_TMP="$(mktemp -d)"
it_on_exit "rm -rf '$RN_TMP'"

# rn_plan FILE JSON: write a plan (jq checks and pretty-prints it).
rn_plan() {
    jq . <<<"$2" >"$1" || it_fail "bad plan JSON for $1"
}

# rn_bulk URL INDEX FROM N [QUERY] [TEXT]: index documents FROM..FROM+N-1
# (_id and "n" the number; with TEXT given, also "t": "document N TEXT",
# TEXT may be empty) through one POST URL/INDEX/_bulk[QUERY]; safe to call
# from several subshells at once (a writer in the background).
rn_bulk() {
    local url="$1" index="$2" from="$3" n="$4" query="${5:-}" i
    local f="$RN_TMP/bulk.$BASHPID.$from"
    : >"$f"
    for ((i = from; i < from + n; i++)); do
        if [[ $# -ge 6 ]]; then
            printf '{"index":{"_id":"%d"}}\n{"n":%d,"t":"document %d%s"}\n' "$i" "$i" "$i" "${6:+ $6}" >>"$f"
        else
            printf '{"index":{"_id":"%d"}}\n{"n":%d}\n' "$i" "$i" >>"$f"
        fi
    done
    curl -s -m 60 -H 'Content-Type: application/x-ndjson' -X POST "$url/$index/_bulk$query" --data-binary "@$f" -o /dev/null
    rm -f "$f"
}

# rn_run OUT ARGS...: run snapmig run ARGS; stdout to OUT, stderr to
# OUT.err; sets RN_RC.
rn_run() {
    local out="$1"
    shift
    RN_RC=0
    "$SNM_BINARY" run "$@" >"$out" 2>"$out.err" || RN_RC=$?
}

# rn_start OUT ARGS...: the same in the background; sets RN_PID.
rn_start() {
    local out="$1"
    shift
    "$SNM_BINARY" run "$@" >"$out" 2>"$out.err" &
    RN_PID=$!
    it_on_exit "kill -9 $RN_PID 2>/dev/null || true"
}

# rn_wait_pid PID DEADLINE_S: wait for the background run; sets RN_RC.
rn_wait_pid() {
    local pid="$1" deadline=$((SECONDS + $2))
    while kill -0 "$pid" 2>/dev/null; do
        ((SECONDS < deadline)) || it_fail "snapmig (pid $pid) still running after $2 s"
        sleep 0.1
    done
    RN_RC=0
    wait "$pid" || RN_RC=$?
}

# rn_has_event FILE TYPE [JQ_FILTER]: 0 when FILE holds such an event,
# on any line; 1 otherwise (also for a missing file or a last line still
# being written), never 2, which wait_for takes for a terminal failure.
# Not `jq -e` over the lines: that reports on the last line's output only
# (jq 1.6 exits 4 when the match is not the last line, 0 for no input).
rn_has_event() {
    [[ -f "$1" ]] || return 1
    if jq -nRe --arg t "$2" \
        "any(inputs | fromjson? | objects | select(.type == \$t)${3:+ | select($3)}; true)" \
        "$1" >/dev/null 2>&1; then
        return 0
    fi
    return 1
}

# rn_types FILE: the event types, one per line, progress collapsed.
rn_types() {
    jq -r .type "$1" | uniq
}

# rn_check_ndjson FILE: every line is one JSON object with the 4 fields.
rn_check_ndjson() {
    local n=0 line
    while IFS= read -r line; do
        n=$((n + 1))
        jq -e 'type == "object" and (.type|type) == "string" and (.time|test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$")) and (.plan|type) == "string" and (.step|type) == "string"' \
            >/dev/null <<<"$line" || it_fail "line $n of $1 is not a valid event: $line"
    done <"$1"
    ((n > 0)) || it_fail "$1 holds no events"
}

# rn_snapshots_of URL REPO PLAN_NAME: how many snapshots of the plan the
# repository holds (by metadata.snapmig_plan).
rn_snapshots_of() {
    local body
    body="$(it_json GET "$1/_snapshot/$2/_all")"
    jq --arg p "$3" '[.snapshots[] | select(.metadata.snapmig_plan == $p)] | length' <<<"$body"
}

# rn_state_get STATE_FILE JQ: a value of the state file.
rn_state_get() {
    jq -r "$2" "$1"
}

# rn_fingerprint_eq SRC DST SRC_INDEX DST_INDEX: same count and content.
rn_fingerprint_eq() {
    assert_eq "$(index_fingerprint "$1" "$3")" "$(index_fingerprint "$2" "$4")" \
        "content of $4 vs $3"
}

# rn_throttled_setup TAG DOCS: a throttled S3 migration of two seeded
# source indices onto the target (rename "moved-$1", fast polling), for the
# tests that stop snapmig part-way.  Needs SRC, DST and RUN; sets PREFIX,
# REPO, NAME, INDICES and PLAN ($RN_TMP/plan.json), and registers the
# clean-up of everything it and the run create.
rn_throttled_setup() {
    local tag="$1" docs="$2"
    PREFIX="rn-$tag-$RUN"
    REPO="rn_${tag}_${RUN//-/_}"
    NAME="rn-$tag-$RUN"

    it_on_exit "curl -s -m 30 -X DELETE '$SRC/$PREFIX-*'"
    it_on_exit "curl -s -m 30 -X DELETE '$SRC/_snapshot/$REPO'"
    it_on_exit "curl -s -m 60 -X DELETE '$SRC/_snapshot/$REPO/snapmig-$NAME-*'"
    it_on_exit "curl -s -m 30 -X DELETE '$DST/_snapshot/$REPO'"
    it_on_exit "curl -s -m 30 -X DELETE '$DST/moved-$PREFIX-*'"

    mapfile -t INDICES < <("$IT_RIG" seed --node source --indices 2 --docs "$docs" --prefix "$PREFIX" | awk '{print $1}')

    PLAN="$RN_TMP/plan.json"
    rn_plan "$PLAN" "$(jq -n --arg s "$SRC" --arg t "$DST" --arg repo "$REPO" --arg name "$NAME" \
        --arg b "$SNAPMIG_RIG_S3_BUCKET" --arg run "$RUN" --arg p "$PREFIX" --arg tag "$tag" '{
      snapmig: 1, name: $name,
      domains: {source: {endpoint: $s}, target: {endpoint: $t}},
      repository: {name: $repo, type: "s3", settings: {bucket: $b, base_path: ("it/run-" + $tag + "/" + $run),
                   max_snapshot_bytes_per_sec: "200kb", max_restore_bytes_per_sec: "200kb"}},
      snapshot: {domain: "source", indices: [($p + "-*")]},
      restores: [{domain: "target", rename: {pattern: "^(.+)$", replacement: "moved-$1"},
                  index_settings: {"index.number_of_replicas": 0}}],
      polling: {initial_ms: 100, max_ms: 500}}')"
}
