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
index_fingerprint() {
    local body
    body="$(it_json POST "$1/$2/_search" '{"size":0,"track_total_hits":true,"aggs":{"bytes":{"sum":{"field":"bytes"}},"ts_max":{"max":{"field":"ts"}},"ts_min":{"min":{"field":"ts"}},"levels":{"terms":{"field":"level","size":10,"order":{"_key":"asc"}}}}}')"
    jq -c '[.hits.total.value, .aggregations.bytes.value, .aggregations.ts_max.value, .aggregations.ts_min.value, [.aggregations.levels.buckets[] | [.key, .doc_count]]]' <<<"$body"
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
