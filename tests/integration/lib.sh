# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Shared helpers for the rig integration tests (tests/integration/rig_*.sh).
# Sourced by each test; needs bash, curl and jq. The tests expect the rig to
# be up (tests/rig/rig up) and FAIL - never skip - when it is not.
set -euo pipefail
shopt -s inherit_errexit

IT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
IT_RIG="$IT_ROOT/tests/rig/rig"
IT_NAME="$(basename "${0%.sh}")"
IT_HTTP_TIMEOUT="${IT_HTTP_TIMEOUT:-60}"

it_log() { printf '%s: %s\n' "$IT_NAME" "$*" >&2; }

it_fail() {
    printf '%s: FAIL: %s\n' "$IT_NAME" "$*" >&2
    exit 1
}

it_pass() { printf '%s: PASS%s\n' "$IT_NAME" "${1:+: $1}" >&2; }

command -v curl >/dev/null 2>&1 || it_fail "curl not found (apt-get install -y curl)"
command -v jq >/dev/null 2>&1 || it_fail "jq not found (apt-get install -y jq)"

# ------------------------------------------------------------- cleanup

# Cleanup commands run at exit (pass or fail), last registered first.
# Failures in cleanup are reported but do not change the test result.
IT_CLEANUPS=()
it_on_exit() { IT_CLEANUPS+=("$*"); }
it_run_cleanups() {
    local rc=$? i
    set +e
    for ((i = ${#IT_CLEANUPS[@]} - 1; i >= 0; i--)); do
        eval "${IT_CLEANUPS[$i]}" >/dev/null 2>&1 || it_log "cleanup step failed (ignored): ${IT_CLEANUPS[$i]}"
    done
    exit "$rc"
}
trap it_run_cleanups EXIT

# ----------------------------------------------------------- rig setup

# Load the rig's URLs/credentials unless the caller already exported them.
it_load_rig_env() {
    if [[ -z "${SNAPMIG_RIG_SOURCE_URL:-}" ]]; then
        local env_out
        env_out="$("$IT_RIG" env)" || it_fail "'tests/rig/rig env' failed"
        eval "$env_out"
    fi
    local v
    for v in SNAPMIG_RIG_SOURCE_URL SNAPMIG_RIG_TARGET_URL SNAPMIG_RIG_LEGACY_URL SNAPMIG_RIG_S3_URL \
        SNAPMIG_RIG_S3_ACCESS_KEY SNAPMIG_RIG_S3_SECRET_KEY SNAPMIG_RIG_S3_BUCKET SNAPMIG_RIG_S3_REGION \
        SNAPMIG_RIG_FS_REPO; do
        [[ -n "${!v:-}" ]] || it_fail "$v is not set (eval \"\$(tests/rig/rig env)\")"
    done
}

# it_source_and_target: the rig's environment, and SRC and DST set to its
# OpenSearch source and target nodes, both answering.
it_source_and_target() {
    it_load_rig_env
    SRC="$SNAPMIG_RIG_SOURCE_URL"
    DST="$SNAPMIG_RIG_TARGET_URL"
    it_require_search_up source "$SRC"
    it_require_search_up target "$DST"
}

# it_require_search_up NAME URL: the node answers and its cluster is not red.
it_require_search_up() {
    local name="$1" url="$2" body
    body="$(curl -sf -m 10 "$url/_cluster/health" 2>/dev/null)" ||
        it_fail "rig $name node is not reachable at $url - start the rig first: tests/rig/rig up"
    [[ "$(jq -r .status <<<"$body")" != red ]] || it_fail "rig $name node at $url is red: $body"
}

it_require_s3_up() {
    local code
    code="$(curl -s -m 10 -o /dev/null -w '%{http_code}' "$SNAPMIG_RIG_S3_URL/" 2>/dev/null)" || code=000
    [[ "$code" != 000 ]] || it_fail "rig S3 server is not reachable at $SNAPMIG_RIG_S3_URL - start the rig first: tests/rig/rig up"
}

# ------------------------------------------------ the secure node (TLS + users)

# The rig's 'secure' node (OpenSearch with the security plugin, HTTPS) and
# its internal users admin (all access), migrator (manage_snapshots + read
# and monitor) and reader (read and monitor only); see docs/rig.md.

# it_secure_password USER: prints USER's password (from rig env).
it_secure_password() {
    local var="SNAPMIG_RIG_SECURE_${1^^}_PASSWORD"
    [[ -n "${!var:-}" ]] || it_fail "$var is not set (the rig's secure node runs? eval \"\$(tests/rig/rig env)\")"
    printf '%s' "${!var}"
}

# it_require_secure_up: the secure node's variables are set, it answers on
# HTTPS with the rig's CA, and admin logs in.
it_require_secure_up() {
    local v body
    for v in SNAPMIG_RIG_SECURE_URL SNAPMIG_RIG_SECURE_CA SNAPMIG_RIG_SECURE_ADMIN_PASSWORD \
        SNAPMIG_RIG_SECURE_MIGRATOR_PASSWORD SNAPMIG_RIG_SECURE_READER_PASSWORD; do
        [[ -n "${!v:-}" ]] || it_fail "$v is not set - is the rig's secure node up? (tests/rig/rig up; eval \"\$(tests/rig/rig env)\")"
    done
    [[ -r "$SNAPMIG_RIG_SECURE_CA" ]] || it_fail "SNAPMIG_RIG_SECURE_CA=$SNAPMIG_RIG_SECURE_CA is not readable"
    it_secure_http admin GET "$SNAPMIG_RIG_SECURE_URL/_cluster/health"
    [[ "$IT_STATUS" == 200 ]] ||
        it_fail "rig secure node is not usable at $SNAPMIG_RIG_SECURE_URL as admin (HTTP $IT_STATUS: ${IT_BODY:0:300}) - tests/rig/rig up"
    body="$IT_BODY"
    [[ "$(jq -r .status <<<"$body")" != red ]] || it_fail "rig secure node is red: $body"
}

# it_secure_http USER METHOD URL [JSON_BODY]: like it_http, as USER (basic
# auth) over HTTPS verified with the rig's CA. USER "-" sends no credentials.
# The password goes to curl in a config file on a pipe, not on its command
# line.
it_secure_http() {
    local user="$1" method="$2" url="$3" out pw=""
    local -a args=(-s -m "$IT_HTTP_TIMEOUT" --cacert "$SNAPMIG_RIG_SECURE_CA" -X "$method" -w '\n%{http_code}')
    if [[ $# -ge 4 ]]; then
        args+=(-H 'Content-Type: application/json' --data-binary "$4")
    fi
    if [[ "$user" != - ]]; then
        pw="$(it_secure_password "$user")"
        out="$(curl -K <(printf 'user = "%s:%s"\n' "$user" "$pw") "${args[@]}" "$url" 2>/dev/null)" || out=$'\n000'
    else
        out="$(curl "${args[@]}" "$url" 2>/dev/null)" || out=$'\n000'
    fi
    IT_STATUS="${out##*$'\n'}"
    IT_BODY="${out%$'\n'*}"
}

# it_secure_json USER METHOD URL [JSON_BODY]: fails unless 2xx; prints the body.
it_secure_json() {
    it_secure_http "$@"
    [[ "$IT_STATUS" == 2* ]] || it_fail "$2 $3 as $1 returned HTTP $IT_STATUS: ${IT_BODY:0:1000}"
    printf '%s' "$IT_BODY"
}

# secure_snapshot_done USER URL REPO SNAP: snapshot_done on the secure node as USER.
secure_snapshot_done() {
    local user="$1" url="$2" repo="$3" snap="$4" state
    it_secure_http "$user" GET "$url/_snapshot/$repo/$snap"
    [[ "$IT_STATUS" == 200 ]] || return 1
    state="$(jq -r '.snapshots[0].state // "UNKNOWN"' <<<"$IT_BODY")"
    case "$state" in
        SUCCESS) return 0 ;;
        IN_PROGRESS | STARTED | INIT | UNKNOWN) return 1 ;;
        *)
            it_log "snapshot $repo/$snap is $state: ${IT_BODY:0:1000}"
            return 2
            ;;
    esac
}

# A unique, index-name-safe id per run so reruns never collide.
it_run_id() {
    printf '%s-%s-%s' "$(date -u +%Y%m%d%H%M%S)" "$$" "$RANDOM"
}

# ------------------------------------------------------------------ HTTP

# it_http METHOD URL [JSON_BODY]: sets IT_STATUS and IT_BODY; never fails.
IT_STATUS=000
IT_BODY=""
it_http() {
    local method="$1" url="$2" out
    local -a args=(-s -m "$IT_HTTP_TIMEOUT" -X "$method" -w '\n%{http_code}')
    if [[ $# -ge 3 ]]; then
        args+=(-H 'Content-Type: application/json' --data-binary "$3")
    fi
    out="$(curl "${args[@]}" "$url" 2>/dev/null)" || out=$'\n000'
    IT_STATUS="${out##*$'\n'}"
    IT_BODY="${out%$'\n'*}"
}

# it_json METHOD URL [JSON_BODY]: like it_http but fails unless 2xx; prints the body.
it_json() {
    it_http "$@"
    [[ "$IT_STATUS" == 2* ]] || it_fail "$1 $2 returned HTTP $IT_STATUS: ${IT_BODY:0:1000}"
    printf '%s' "$IT_BODY"
}

# ------------------------------------------------------------ asserts

assert_eq() {
    local expected="$1" actual="$2" what="$3"
    [[ "$expected" == "$actual" ]] || it_fail "$what: expected '$expected', got '$actual'"
}

assert_ne() {
    local unexpected="$1" actual="$2" what="$3"
    [[ "$unexpected" != "$actual" ]] || it_fail "$what: did not expect '$actual'"
}

assert_contains() {
    local haystack="$1" needle="$2" what="$3"
    [[ "$haystack" == *"$needle"* ]] || it_fail "$what: '$needle' not found in: ${haystack:0:1000}"
}

assert_http_status() {
    local expected="$1" what="$2"
    [[ "$IT_STATUS" == "$expected" ]] || it_fail "$what: expected HTTP $expected, got $IT_STATUS: ${IT_BODY:0:1000}"
}

# it_ack WHAT METHOD URL [JSON_BODY]: the request must return 2xx and
# {"acknowledged":true} (runs in the current shell, so one clear FAIL line).
it_ack() {
    local what="$1"
    shift
    it_http "$@"
    [[ "$IT_STATUS" == 2* ]] || it_fail "$what: $1 $2 returned HTTP $IT_STATUS: ${IT_BODY:0:1000}"
    [[ "$(jq -r '.acknowledged // false' <<<"$IT_BODY")" == true ]] || it_fail "$what: not acknowledged: ${IT_BODY:0:1000}"
}

# assert_acknowledged JSON WHAT
assert_acknowledged() {
    [[ "$(jq -r '.acknowledged // false' <<<"$1")" == true ]] || it_fail "$2: not acknowledged: ${1:0:1000}"
}

# ------------------------------------------------------------- polling

# wait_for DESCRIPTION TIMEOUT_SECONDS COMMAND [ARGS...]
# Polls COMMAND until it succeeds; fails the test at the deadline. COMMAND
# may exit 2 to abort at once (a terminal failure such as a FAILED snapshot).
wait_for() {
    local what="$1" timeout="$2" rc
    shift 2
    local deadline=$((SECONDS + timeout))
    while :; do
        rc=0
        "$@" || rc=$?
        ((rc == 0)) && return 0
        ((rc == 2)) && it_fail "$what: gave up (terminal failure)"
        ((SECONDS >= deadline)) && it_fail "$what: not reached within ${timeout}s"
        sleep 0.5
    done
}

# ------------------------------------------------ snapshot/restore helpers

# snapshot_done URL REPO SNAP: 0 when SUCCESS, 1 while running, 2 on failure.
snapshot_done() {
    local url="$1" repo="$2" snap="$3" state
    it_http GET "$url/_snapshot/$repo/$snap"
    [[ "$IT_STATUS" == 200 ]] || return 1
    state="$(jq -r '.snapshots[0].state // "UNKNOWN"' <<<"$IT_BODY")"
    case "$state" in
        SUCCESS) return 0 ;;
        IN_PROGRESS | STARTED | INIT | UNKNOWN) return 1 ;;
        *)
            it_log "snapshot $repo/$snap is $state: ${IT_BODY:0:1000}"
            return 2
            ;;
    esac
}

# indices_green URL PATTERN EXPECTED_COUNT: all EXPECTED_COUNT indices exist and are green.
indices_green() {
    local url="$1" pattern="$2" expected="$3" body
    body="$(curl -sf -m 10 "$url/_cluster/health/$pattern?level=indices&wait_for_status=green&timeout=2s" 2>/dev/null)" || return 1
    [[ "$(jq -r .status <<<"$body")" == green ]] || return 1
    [[ "$(jq -r '.indices | length' <<<"$body")" == "$expected" ]] || return 1
    # No shard of them is still recovering.
    [[ "$(jq -r '.initializing_shards + .relocating_shards + .unassigned_shards' <<<"$body")" == 0 ]]
}

# doc_count URL INDEX
doc_count() {
    local body
    body="$(it_json GET "$1/$2/_count")"
    jq -r .count <<<"$body"
}

# index_fingerprint URL INDEX: count plus aggregates over the seeded fields,
# so a restore with the right count but wrong content still fails.
IT_FINGERPRINT_QUERY='{"size":0,"track_total_hits":true,"aggs":{"bytes":{"sum":{"field":"bytes"}},"ts_max":{"max":{"field":"ts"}},"ts_min":{"min":{"field":"ts"}},"levels":{"terms":{"field":"level","size":10,"order":{"_key":"asc"}}}}}'
IT_FINGERPRINT_JQ='[.hits.total.value, .aggregations.bytes.value, .aggregations.ts_max.value, .aggregations.ts_min.value, [.aggregations.levels.buckets[] | [.key, .doc_count]]]'
index_fingerprint() {
    local body
    body="$(it_json POST "$1/$2/_search" "$IT_FINGERPRINT_QUERY")"
    jq -c "$IT_FINGERPRINT_JQ" <<<"$body"
}

# secure_fingerprint USER URL INDEX: index_fingerprint on the secure node as USER.
secure_fingerprint() {
    local body
    body="$(it_secure_json "$1" POST "$2/$3/_search" "$IT_FINGERPRINT_QUERY")"
    jq -c "$IT_FINGERPRINT_JQ" <<<"$body"
}

# assert_same_counts SRC_URL DST_URL DST_PREFIX INDEX... : for each INDEX the
# restored DST_PREFIX+INDEX on DST has the same count and fingerprint.
assert_same_counts() {
    local src="$1" dst="$2" dst_prefix="$3" index src_count dst_count src_fp dst_fp
    shift 3
    for index in "$@"; do
        src_count="$(doc_count "$src" "$index")"
        dst_count="$(doc_count "$dst" "$dst_prefix$index")"
        assert_eq "$src_count" "$dst_count" "_count of $dst_prefix$index on $dst vs $index on $src"
        src_fp="$(index_fingerprint "$src" "$index")"
        dst_fp="$(index_fingerprint "$dst" "$dst_prefix$index")"
        assert_eq "$src_fp" "$dst_fp" "content fingerprint of $dst_prefix$index vs $index"
        it_log "ok: $index ($src_count docs) == $dst_prefix$index ($dst_count docs)"
    done
}

# Signed S3 request with curl's SigV4 (curl >= 7.75). S3 needs the payload
# hash header, which curl 7.88 does not add by itself, and curl 7.88 signs the
# query string as given: pass it already sorted by name and percent-encoded.
export IT_EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
s3_curl() {
    local key="$1" secret="$2"
    shift 2
    curl -s -m 30 --aws-sigv4 "aws:amz:$SNAPMIG_RIG_S3_REGION:s3" --user "$key:$secret" "$@"
}

# ------------------------------------------ fault-injection proxy (faultproxy)

# tests/support/faultproxy.py: an HTTP/1.1 reverse proxy in front of one rig
# node whose rules answer, drop, delay, hold or rewrite chosen requests (see
# docs/rig.md). Each proxy runs in the background for the test's lifetime
# and logs the requests its rules act on to the test's stderr.
FP_SCRIPT="$IT_ROOT/tests/support/faultproxy.py"
FP_DIR=""

# fp__call METHOD URL [JSON_BODY]: prints the reply body, then a last line
# with the HTTP status (000 when there was no answer).
fp__call() {
    local -a args=(-s -m "${FP_CALL_TIMEOUT:-30}" -X "$1" -w '\n%{http_code}')
    [[ $# -ge 3 ]] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
    curl "${args[@]}" "$2" 2>/dev/null || printf '\n000'
}

# fp__expect WHAT STATUS OUT: fail unless OUT (from fp__call) has STATUS;
# prints the body.
fp__expect() {
    local what="$1" want="$2" out="$3" code
    code="${out##*$'\n'}"
    [[ "$code" == "$want" ]] || it_fail "$what: HTTP $code (expected $want): ${out%$'\n'*}"
    printf '%s' "${out%$'\n'*}"
}

# fp_start NAME UPSTREAM_URL: start a proxy in front of UPSTREAM_URL (e.g.
# "$SNAPMIG_RIG_TARGET_URL") on an ephemeral 127.0.0.1 port and wait (10 s
# deadline) until it listens. Sets and exports FP_URL_<NAME> (its base URL)
# and sets FP_PID_<NAME>; stops it at exit. NAME is a shell identifier.
# Call it in the test's own shell, not in $(...).
fp_start() {
    local name="$1" upstream="$2" pid portfile deadline url
    [[ "$name" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || it_fail "fp_start: NAME '$name' is not a shell identifier"
    command -v python3 >/dev/null 2>&1 || it_fail "python3 not found (apt-get install -y python3)"
    if [[ -z "$FP_DIR" ]]; then
        FP_DIR="$(mktemp -d "${TMPDIR:-/tmp}/it-faultproxy.XXXXXX")"
        it_on_exit "rm -rf '$FP_DIR'"
    fi
    portfile="$FP_DIR/$name.port"
    rm -f "$portfile"
    python3 "$FP_SCRIPT" --upstream "$upstream" --port 0 --port-file "$portfile" \
        --exit-with-parent </dev/null >/dev/null &
    pid=$!
    it_on_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null || true"
    deadline=$((SECONDS + 10))
    while [[ ! -s "$portfile" ]]; do
        kill -0 "$pid" 2>/dev/null || it_fail "fp_start $name: faultproxy exited before listening (see its messages above)"
        ((SECONDS < deadline)) || it_fail "fp_start $name: faultproxy did not listen within 10 s"
        sleep 0.05
    done
    url="http://127.0.0.1:$(tr -dc '0-9' <"$portfile")"
    printf -v "FP_URL_$name" '%s' "$url"
    printf -v "FP_PID_$name" '%s' "$pid"
    export "FP_URL_$name"
    it_log "faultproxy $name: $url -> $upstream (pid $pid)"
}

# fp_rule URL JSON: add a rule (docs/rig.md); prints its id.
fp_rule() {
    local out
    out="$(fp__call POST "$1/__proxy/rules" "$2")"
    out="$(fp__expect "fp_rule $2" 201 "$out")"
    jq -r .id <<<"$out"
}

# fp_wait URL ID COUNT TIMEOUT_S: block until rule ID has matched COUNT
# requests; fails the test when that does not happen within TIMEOUT_S.
fp_wait() {
    local url="$1" id="$2" count="$3" timeout="$4" out code
    out="$(FP_CALL_TIMEOUT=$((${timeout%.*} + 10)) fp__call GET "$url/__proxy/wait/$id?count=$count&timeout_s=$timeout")"
    code="${out##*$'\n'}"
    case "$code" in
        200) return 0 ;;
        408) it_fail "fp_wait: rule $id matched $(jq -r .hits <<<"${out%$'\n'*}") of $count request(s) within ${timeout}s" ;;
        *) it_fail "fp_wait: rule $id: HTTP $code: ${out%$'\n'*}" ;;
    esac
}

# fp_hits URL ID: prints how many requests rule ID has matched.
fp_hits() {
    local out
    out="$(fp__call GET "$1/__proxy/hits/$2")"
    out="$(fp__expect "fp_hits $2" 200 "$out")"
    jq -r .hits <<<"$out"
}

# fp_release URL ID: forward the requests rule ID holds now; prints how many.
fp_release() {
    local out
    out="$(fp__call POST "$1/__proxy/release/$2")"
    out="$(fp__expect "fp_release $2" 200 "$out")"
    jq -r .released <<<"$out"
}

# fp_clear URL: delete every rule (held requests are forwarded).
fp_clear() {
    local out
    out="$(fp__call DELETE "$1/__proxy/rules")"
    fp__expect "fp_clear" 200 "$out" >/dev/null
}

# fp_log URL: prints the proxy's request log (a JSON array).
fp_log() {
    local out
    out="$(fp__call GET "$1/__proxy/log")"
    fp__expect "fp_log" 200 "$out"
}

# ------------------------------------------------------- Toxiproxy (rig)

# Proxies on the rig's Toxiproxy (SNAPMIG_RIG_TOXIPROXY_URL). A test's NAME
# becomes the Toxiproxy proxy "it-<test>-<pid>-NAME", so reruns and other
# tests never collide; every proxy a test creates is deleted at its exit
# (the names are kept in a file, so tp_proxy also works inside $(...)).
TP_NAMES_FILE="${TMPDIR:-/tmp}/it-toxiproxy-$$.names"

tp__api() {
    [[ -n "${SNAPMIG_RIG_TOXIPROXY_URL:-}" ]] ||
        it_fail "SNAPMIG_RIG_TOXIPROXY_URL is not set (eval \"\$(tests/rig/rig env)\")"
    printf '%s' "$SNAPMIG_RIG_TOXIPROXY_URL"
}
tp__name() { printf 'it-%s-%s-%s' "$IT_NAME" "$$" "$1"; }

tp__cleanup() {
    local name
    [[ -f "$TP_NAMES_FILE" ]] || return 0
    while read -r name; do
        curl -s -m 10 -o /dev/null -X DELETE "$SNAPMIG_RIG_TOXIPROXY_URL/proxies/$name"
    done <"$TP_NAMES_FILE"
    rm -f "$TP_NAMES_FILE"
}
it_on_exit tp__cleanup

# it_require_toxiproxy_up: the rig's Toxiproxy answers.
it_require_toxiproxy_up() {
    local api
    api="$(tp__api)"
    curl -sf -m 10 -o /dev/null "$api/version" ||
        it_fail "rig Toxiproxy is not reachable at $api - start the rig first: tests/rig/rig up"
}

# tp_proxy NAME UPSTREAM [LISTEN_PORT]: create a Toxiproxy proxy listening on
# 127.0.0.1:LISTEN_PORT (default 0 = ephemeral) in front of UPSTREAM
# (HOST:PORT or http://HOST:PORT); prints its URL, http://127.0.0.1:PORT.
tp_proxy() {
    local name upstream="${2#http://}" api out listen
    name="$(tp__name "$1")"
    api="$(tp__api)"
    upstream="${upstream%/}"
    out="$(fp__call POST "$api/proxies" "$(jq -nc --arg n "$name" --arg l "127.0.0.1:${3:-0}" \
        --arg u "$upstream" '{name: $n, listen: $l, upstream: $u, enabled: true}')")"
    out="$(fp__expect "tp_proxy $1 -> $upstream" 201 "$out")"
    echo "$name" >>"$TP_NAMES_FILE"
    listen="$(jq -r .listen <<<"$out")"
    [[ "$listen" =~ ^127\.0\.0\.1:[0-9]+$ && "$listen" != *:0 ]] || it_fail "tp_proxy $1: unexpected listen address '$listen'"
    printf 'http://%s\n' "$listen"
}

# tp_toxic NAME JSON: add a toxic to proxy NAME, e.g.
#   tp_toxic pg '{"type":"latency","attributes":{"latency":1000}}'
# Prints the toxic's name (Toxiproxy's default: <type>_<stream>).
tp_toxic() {
    local out
    out="$(fp__call POST "$(tp__api)/proxies/$(tp__name "$1")/toxics" "$2")"
    out="$(fp__expect "tp_toxic $1 $2" 200 "$out")"
    jq -r .name <<<"$out"
}

# tp_untoxic NAME TOXIC: remove one toxic.
tp_untoxic() {
    local out
    out="$(fp__call DELETE "$(tp__api)/proxies/$(tp__name "$1")/toxics/$2")"
    fp__expect "tp_untoxic $1 $2" 204 "$out" >/dev/null
}

# tp_clear NAME: remove every toxic of proxy NAME.
tp_clear() {
    local out toxic api
    api="$(tp__api)"
    out="$(fp__call GET "$api/proxies/$(tp__name "$1")/toxics")"
    out="$(fp__expect "tp_clear $1" 200 "$out")"
    for toxic in $(jq -r '.[].name' <<<"$out"); do
        tp_untoxic "$1" "$toxic"
    done
}
