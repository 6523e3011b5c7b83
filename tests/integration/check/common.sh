# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Helpers for the `snapmig check` integration tests (tests/integration/
# check_*.sh); sourced after ../lib.sh.  Not a test itself (it lives in a
# subdirectory, which the test glob does not enter).

: "${SNM_BINARY:?SNM_BINARY must name the snapmig binary (ctest sets it)}"
[[ -x "$SNM_BINARY" ]] || it_fail "SNM_BINARY=$SNM_BINARY is not executable"

CK_TMP="$(mktemp -d)"
it_on_exit "rm -rf '$CK_TMP'"

# ck_plan FILE JSON: write a plan (jq checks and pretty-prints it).
ck_plan() {
    jq . <<<"$2" >"$1" || it_fail "bad plan JSON for $1"
}

# ck_run ARGS...: run snapmig check; sets CK_RC, CK_OUT (stdout), CK_ERR.
ck_run() {
    CK_RC=0
    "$SNM_BINARY" check "$@" >"$CK_TMP/out" 2>"$CK_TMP/err" || CK_RC=$?
    CK_OUT="$(cat "$CK_TMP/out")"
    CK_ERR="$(cat "$CK_TMP/err")"
}

# ck_json PLAN: run check --json; the output must be one JSON document.
ck_json() {
    ck_run --json "$1"
    jq -e . >/dev/null <<<"$CK_OUT" ||
        it_fail "check --json $1 did not print JSON (exit $CK_RC): $CK_OUT $CK_ERR"
}

# ck_has_issue SEVERITY CODE [DOMAIN]: the last --json result has it.
ck_has_issue() {
    local sev="$1" code="$2" dom="${3:-}"
    jq -e --arg s "$sev" --arg c "$code" --arg d "$dom" \
        '[.issues[] | select(.severity == $s and .code == $c and ($d == "" or .domain == $d))] | length > 0' \
        >/dev/null <<<"$CK_OUT" ||
        it_fail "expected a $sev '$code'${dom:+ on $dom}; issues: $(jq -c '[.issues[] | {severity, code, domain, message}]' <<<"$CK_OUT")"
}

ck_no_blockers() {
    [[ "$CK_RC" == 0 && "$(jq -r .blockers <<<"$CK_OUT")" == 0 ]] ||
        it_fail "expected no blockers (exit $CK_RC): $(jq -c '[.issues[] | select(.severity == "blocker") | .message]' <<<"$CK_OUT") $CK_ERR"
}

# A TCP port on 127.0.0.1 nothing listens on (bound then released).
ck_closed_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
