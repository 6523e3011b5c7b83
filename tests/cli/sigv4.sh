#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# CLI tests of `snapmig sigv4` against the AWS SigV4 test suite.
# Needs SNM_BINARY (the built snapmig) and SNM_SIGV4_SUITE (the suite's v4
# folder), both set by ctest.  Credentials come from each case's
# context.json (the suite's example keys are public).
set -u

: "${SNM_BINARY:?SNM_BINARY must point to the snapmig binary}"
: "${SNM_SIGV4_SUITE:?SNM_SIGV4_SUITE must point to the suite v4 folder}"
SUITE=$SNM_SIGV4_SUITE
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
ALL_OUT=$TMP/all-output # every stdout and stderr, searched for the secret
: >"$ALL_OUT"
FAILS=0
CHECKS=0

fail() {
  echo "FAIL: $*" >&2
  FAILS=$((FAILS + 1))
}

# Keep the credential chain to the environment: no profile files, no ECS,
# no instance metadata.
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_CONTAINER_CREDENTIALS_RELATIVE_URI \
  AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_CONTAINER_AUTHORIZATION_TOKEN
export AWS_SHARED_CREDENTIALS_FILE=$TMP/no-credentials
export AWS_CONFIG_FILE=$TMP/no-config
export AWS_EC2_METADATA_DISABLED=true
export AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:9
export HOME=$TMP

# json_str KEY FILE / json_num KEY FILE / json_bool KEY FILE: flat lookups
# in the suite's context.json files (one key per line there).
json_str() { sed -n "s/.*\"$1\": *\"\\([^\"]*\\)\".*/\\1/p" "$2" | head -n1; }
json_num() { sed -n "s/.*\"$1\": *\\([0-9][0-9]*\\).*/\\1/p" "$2" | head -n1; }
json_bool() { grep -q "\"$1\": *true" "$2"; }

# run OUTFILE ERRFILE [args...]: snapmig sigv4 with the case's credentials
# (CASE_AK, CASE_SK, CASE_TOKEN), stdout and stderr captured; returns the
# exit status.
run() {
  local out=$1 err=$2 rc
  shift 2
  env AWS_ACCESS_KEY_ID="$CASE_AK" AWS_SECRET_ACCESS_KEY="$CASE_SK" \
    ${CASE_TOKEN:+AWS_SESSION_TOKEN="$CASE_TOKEN"} \
    "$SNM_BINARY" sigv4 "$@" >"$out" 2>"$err"
  rc=$?
  cat "$out" "$err" >>"$ALL_OUT"
  return $rc
}

load_case() {
  local ctx=$SUITE/$1/context.json
  CASE_AK=$(json_str access_key_id "$ctx")
  CASE_SK=$(json_str secret_access_key "$ctx")
  CASE_TOKEN=$(json_str token "$ctx")
  CASE_EXPIRES=$(json_num expiration_in_seconds "$ctx")
  CASE_OPTS=(--service "$(json_str service "$ctx")"
    --region "$(json_str region "$ctx")"
    --time "$(json_str timestamp "$ctx")")
  json_bool normalize "$ctx" || CASE_OPTS+=(--no-normalize)
  if json_bool sign_body "$ctx"; then CASE_OPTS+=(--sign-body); fi
  if json_bool omit_session_token "$ctx"; then
    CASE_OPTS+=(--omit-session-token)
  fi
}

# expect_print CASE VARIANT WHAT: --print WHAT equals the suite file plus
# one newline, byte for byte.
expect_print() {
  local c=$1 v=$2 what=$3 extra=()
  local want=$SUITE/$c/$v-$what.txt
  [ -f "$want" ] || return 0
  [ "$v" = query ] && extra=(--presign --expires "$CASE_EXPIRES")
  CHECKS=$((CHECKS + 1))
  run "$TMP/out" "$TMP/err" "${CASE_OPTS[@]}" "${extra[@]}" \
    --print "$what" "$SUITE/$c/request.txt"
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    fail "$c $v $what: exit status $rc ($(cat "$TMP/err"))"
    return
  fi
  { cat "$want"; echo; } >"$TMP/want"
  cmp -s "$TMP/want" "$TMP/out" || fail "$c $v $what differs from $want"
}

# 1. Every case of the suite, both variants, all four outputs.
ncases=0
for dir in "$SUITE"/*/; do
  c=$(basename "$dir")
  [ -f "$dir/request.txt" ] || continue
  ncases=$((ncases + 1))
  load_case "$c"
  for v in header query; do
    for what in canonical-request string-to-sign signature signed-request; do
      expect_print "$c" "$v" "$what"
    done
  done
done
[ "$ncases" -ge 25 ] || fail "only $ncases suite cases found in $SUITE"

# 2. Reading the request from stdin, and from a CRLF copy.
load_case get-header-value-trim
want=$SUITE/get-header-value-trim/header-signature.txt
run "$TMP/out" "$TMP/err" "${CASE_OPTS[@]}" --print signature - \
  <"$SUITE/get-header-value-trim/request.txt" ||
  fail "stdin: exit status $?"
cmp -s <(cat "$want"; echo) "$TMP/out" || fail "stdin: signature differs"
sed 's/$/\r/' "$SUITE/get-header-value-trim/request.txt" >"$TMP/crlf.txt"
run "$TMP/out" "$TMP/err" "${CASE_OPTS[@]}" --print signature "$TMP/crlf.txt" ||
  fail "crlf: exit status $?"
cmp -s <(cat "$want"; echo) "$TMP/out" || fail "crlf: signature differs"

# 3. --omit-session-token: the token is sent but not signed, so the
# signatures are those of the same request without a token.
load_case get-vanilla-with-session-token
tok_req=$SUITE/get-vanilla-with-session-token/request.txt
run "$TMP/out" "$TMP/err" "${CASE_OPTS[@]}" --omit-session-token \
  --print signature "$tok_req" || fail "omit: exit status $?"
cmp -s <(cat "$SUITE/get-vanilla/header-signature.txt"; echo) "$TMP/out" ||
  fail "omit: header signature is not the unsigned-token one"
run "$TMP/out" "$TMP/err" "${CASE_OPTS[@]}" --omit-session-token \
  --print signed-request "$tok_req" || fail "omit: exit status $?"
grep -qx "X-Amz-Security-Token:$CASE_TOKEN" "$TMP/out" ||
  fail "omit: the signed request does not carry the token"
grep -q "SignedHeaders=host;x-amz-date," "$TMP/out" ||
  fail "omit: the token is still among the signed headers"
run "$TMP/out" "$TMP/err" "${CASE_OPTS[@]}" --omit-session-token --presign \
  --expires "$CASE_EXPIRES" --print signature "$tok_req" ||
  fail "omit presign: exit status $?"
cmp -s <(cat "$SUITE/get-vanilla/query-signature.txt"; echo) "$TMP/out" ||
  fail "omit presign: signature is not the unsigned-token one"

# 4. The readable report has every section and no secret.
run "$TMP/out" "$TMP/err" "${CASE_OPTS[@]}" "$tok_req" || fail "report: $?"
for h in "== canonical request ==" "== string to sign ==" "== signature ==" \
  "== signed request =="; do
  grep -qx -- "$h" "$TMP/out" || fail "report lacks '$h'"
done
grep -q "$(cat "$SUITE/get-vanilla-with-session-token/header-signature.txt")" \
  "$TMP/out" || fail "report lacks the signature"

# 5. A pasted, already signed request is signed again at its X-Amz-Date.
load_case get-vanilla
sed -n '1,/^$/p' "$SUITE/get-vanilla/header-signed-request.txt" |
  sed 's/X-Amz-Date:.*/X-Amz-Date:20150830T123600Z/' >"$TMP/pasted.txt"
run "$TMP/out" "$TMP/err" --service service --region us-east-1 \
  --print signature "$TMP/pasted.txt" || fail "pasted: exit status $?"
cmp -s <(cat "$SUITE/get-vanilla/header-signature.txt"; echo) "$TMP/out" ||
  fail "pasted: not re-signed at the request's X-Amz-Date"

# 5b. A folded header value (a line starting with a blank continues the
# header above) is signed with the fold as one space, as in AWS's
# get-header-value-multiline case (held back from the suite copy), and the
# signed request keeps the folded lines as written.
load_case get-vanilla
printf 'GET / HTTP/1.1\nHost:example.amazonaws.com\nMy-Header1:value1\n  value2\n     value3\n' \
  >"$TMP/multiline.txt"
CHECKS=$((CHECKS + 1))
run "$TMP/out" "$TMP/err" "${CASE_OPTS[@]}" --print canonical-request \
  "$TMP/multiline.txt" || fail "multiline: exit status $?"
grep -qx "my-header1:value1 value2 value3" "$TMP/out" ||
  fail "multiline: canonical header: $(grep my-header1 "$TMP/out")"
CHECKS=$((CHECKS + 1))
run "$TMP/out" "$TMP/err" "${CASE_OPTS[@]}" --print signature \
  "$TMP/multiline.txt" || fail "multiline: exit status $?"
[ "$(cat "$TMP/out")" = \
  cfd34249e4b1c8d6b91ef74165d41a32e5fab3306300901bb65a51a73575eefd ] ||
  fail "multiline: signature $(cat "$TMP/out")"
CHECKS=$((CHECKS + 1))
run "$TMP/out" "$TMP/err" "${CASE_OPTS[@]}" --print signed-request \
  "$TMP/multiline.txt" || fail "multiline: exit status $?"
sed -n 3,5p "$TMP/out" | cmp -s - <(printf 'My-Header1:value1\n  value2\n     value3\n') ||
  fail "multiline: signed request: $(cat "$TMP/out")"

# 6. Errors: usage and invalid input exit 2, missing credentials exit 1,
# each with a message on stderr and nothing on stdout.
expect_error() {
  local want_rc=$1 needle=$2 rc
  shift 2
  CHECKS=$((CHECKS + 1))
  run "$TMP/out" "$TMP/err" "$@"
  rc=$?
  [ "$rc" -eq "$want_rc" ] || fail "'$*': exit $rc, want $want_rc"
  grep -qF -- "$needle" "$TMP/err" ||
    fail "'$*': stderr lacks '$needle': $(cat "$TMP/err")"
  [ ! -s "$TMP/out" ] || fail "'$*': wrote to stdout on error"
}
req=$SUITE/get-vanilla/request.txt
expect_error 2 "cannot open request file" --service s --region r \
  "$TMP/missing.txt"
expect_error 2 "invalid time '2015-08-30 12:36:00'" --service s --region r \
  --time "2015-08-30 12:36:00" "$req"
expect_error 2 "--region is required" --service s "$req"
expect_error 2 "--service is required" --region r "$req"
expect_error 2 "unknown option '--frobnicate'" --service s --region r \
  --frobnicate "$req"
expect_error 2 "--print takes" --service s --region r --print all "$req"
expect_error 2 "exclude each other" --service s --region r --sign-body \
  --unsigned-payload "$req"
expect_error 2 "--expires only applies with --presign" --service s \
  --region r --expires 60 "$req"
expect_error 2 "not a number of seconds" --service s --region r --presign \
  --expires 604801 "$req"
expect_error 2 "give one REQUEST_FILE" --service s --region r
printf 'this is not a request\n' >"$TMP/bad.txt"
expect_error 2 "bad.txt:1: expected a request line" --service s --region r \
  "$TMP/bad.txt"
CASE_AK='' CASE_SK='' CASE_TOKEN='' \
  expect_error 1 "AWS_ACCESS_KEY_ID" --service s --region r "$req"

# 7. --help lists every option and exits 0.
CHECKS=$((CHECKS + 1))
"$SNM_BINARY" sigv4 --help >"$TMP/help" 2>&1 || fail "--help: exit $?"
for o in --service --region --time --presign --expires --sign-body \
  --unsigned-payload --no-normalize --omit-session-token --print \
  --profile --help; do
  grep -q -- "$o" "$TMP/help" || fail "--help does not mention $o"
done

# 8. The session token is printed as is (the suite's outputs above are
# byte-exact), with a warning on stderr when stdout is a terminal.
# on_tty OUTFILE ERRFILE ARGS...: like run, with stdout on a new
# pseudo-terminal (read back into OUTFILE) and stderr into ERRFILE.
on_tty() {
  local out=$1 err=$2
  shift 2
  env AWS_ACCESS_KEY_ID="$CASE_AK" AWS_SECRET_ACCESS_KEY="$CASE_SK" \
    ${CASE_TOKEN:+AWS_SESSION_TOKEN="$CASE_TOKEN"} \
    python3 -c '
import os, subprocess, sys
out, err = sys.argv[1], sys.argv[2]
m, s = os.openpty()
with open(err, "wb") as e:
    rc = subprocess.call(sys.argv[3:], stdin=subprocess.DEVNULL, stdout=s,
                         stderr=e)
os.close(s)
data = b""
while True:
    try:
        chunk = os.read(m, 65536)
    except OSError:  # EIO: the terminal is closed and drained
        break
    if not chunk:
        break
    data += chunk
open(out, "wb").write(data)
sys.exit(rc)
' "$out" "$err" "$SNM_BINARY" sigv4 "$@"
}
warning="the output holds the session token"
load_case get-vanilla-with-session-token
for what in "" canonical-request signed-request; do
  CHECKS=$((CHECKS + 1))
  on_tty "$TMP/out" "$TMP/err" "${CASE_OPTS[@]}" ${what:+--print "$what"} \
    "$tok_req" || fail "tty ${what:-report}: exit status $?"
  grep -qF "$CASE_TOKEN" "$TMP/out" ||
    fail "tty ${what:-report}: the token is not printed"
  grep -qF "$warning" "$TMP/err" ||
    fail "tty ${what:-report}: no warning on stderr: $(cat "$TMP/err")"
  if grep -qF "$CASE_TOKEN" "$TMP/err"; then
    fail "tty ${what:-report}: the warning shows the token"
  fi
done
# no token in what is printed, or stdout is not a terminal: no warning
CHECKS=$((CHECKS + 1))
on_tty "$TMP/out" "$TMP/err" "${CASE_OPTS[@]}" --print signature "$tok_req" ||
  fail "tty signature: exit status $?"
if grep -qF "$warning" "$TMP/err"; then fail "tty signature: warned"; fi
CHECKS=$((CHECKS + 1))
on_tty "$TMP/out" "$TMP/err" "${CASE_OPTS[@]}" --omit-session-token \
  --print canonical-request "$tok_req" || fail "tty omitted: exit status $?"
if grep -qF "$warning" "$TMP/err"; then fail "tty omitted token: warned"; fi
load_case get-vanilla
CHECKS=$((CHECKS + 1))
on_tty "$TMP/out" "$TMP/err" "${CASE_OPTS[@]}" "$SUITE/get-vanilla/request.txt" ||
  fail "tty no token: exit status $?"
if grep -qF "$warning" "$TMP/err"; then fail "tty without a token: warned"; fi
load_case get-vanilla-with-session-token
for what in "" canonical-request signed-request; do
  CHECKS=$((CHECKS + 1))
  run "$TMP/out" "$TMP/err" "${CASE_OPTS[@]}" ${what:+--print "$what"} \
    "$tok_req" || fail "file ${what:-report}: exit status $?"
  grep -qF "$CASE_TOKEN" "$TMP/out" ||
    fail "file ${what:-report}: the token is not printed"
  if grep -qF "$warning" "$TMP/err"; then
    fail "file ${what:-report}: warned although stdout is a file"
  fi
done
CHECKS=$((CHECKS + 1))
"$SNM_BINARY" sigv4 --help >"$TMP/help" 2>&1
grep -q "session token" "$TMP/help" && grep -q "terminal" "$TMP/help" ||
  fail "--help does not say the session token is printed"

# 9. The suite's secret key never appeared in any output.
SECRET=$(json_str secret_access_key "$SUITE/get-vanilla/context.json")
[ -n "$SECRET" ] || fail "could not read the suite's secret key"
if grep -qF -- "$SECRET" "$ALL_OUT"; then
  fail "the secret access key appeared in the output"
fi
[ "$CHECKS" -ge 200 ] || fail "only $CHECKS checks ran"

echo "sigv4 CLI: $ncases suite cases, $CHECKS checks, $FAILS failures"
[ "$FAILS" -eq 0 ]
