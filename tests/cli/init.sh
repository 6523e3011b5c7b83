#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/cli/init.sh - `snapmig init` without a cluster: its usage errors
# (exit 2, in the words of the options, before anything is sent), an
# existing -o file never overwritten, no value of --auth quoted back, and
# unreachable clusters (closed ports on 127.0.0.1): exit 1, each named with
# its endpoint, no plan written.  The rig test is tests/integration/init.sh.
set -uo pipefail
: "${SNM_BINARY:?}"
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

expect() { # want-status, want-text-in-stderr, description, args...
  local want=$1 text=$2 what=$3 rc
  shift 3
  "$SNM_BINARY" init "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  if [ "$rc" -ne "$want" ]; then
    fail "$what: exit $rc, want $want: $(cat "$tmp/err")"
  elif ! grep -qF -- "$text" "$tmp/err"; then
    fail "$what: stderr lacks '$text': $(cat "$tmp/err")"
  else
    ok "$what"
  fi
}

# two closed ports: bound, then released
read -r p1 p2 < <(python3 -c '
import socket
a, b = socket.socket(), socket.socket()
a.bind(("127.0.0.1", 0)); b.bind(("127.0.0.1", 0))
print(a.getsockname()[1], b.getsockname()[1])')
S=http://127.0.0.1:$p1
T=http://127.0.0.1:$p2

"$SNM_BINARY" init --help >"$tmp/help" && grep -q -- '--source URL' "$tmp/help" &&
  ok "init --help" || fail "init --help: $(cat "$tmp/help")"
expect 2 "no --source URL given" "no --source"
expect 2 "no --target URL given" "no --target" --source "$S"
expect 2 "--target: must start with https:// or http://" "a target that is not a URL" \
  --source "$S" --target "ftp://x"
expect 2 '--indices: "Logs" must not contain uppercase' "an index pattern in capitals" \
  --source "$S" --target "$T" --indices Logs
expect 2 '--name: "bad name" may only use' "a bad --name" --source "$S" --target "$T" --name "bad name"
expect 2 "give it once" "--auth twice for both" --source "$S" --target "$T" --auth none --auth basic
expect 2 "unexpected argument 'extra'" "an operand" --source "$S" --target "$T" extra
expect 2 "auth basic: needs username=USER and password_env" "basic without password_env" \
  --source "$S" --target "$T" --auth target:basic,username=u
for spec in "basic,username=u,pasword=s3cr3t-value" "s3cr3t-value" "basic,s3cr3t-value"; do
  "$SNM_BINARY" init --source "$S" --target "$T" --auth "$spec" >/dev/null 2>"$tmp/err"
  rc=$?
  if [ "$rc" -eq 2 ] && ! grep -q s3cr3t "$tmp/err"; then
    ok "--auth '$spec': exit 2, the value not quoted"
  else
    fail "--auth '$spec': exit $rc: $(cat "$tmp/err")"
  fi
done
expect 2 "a password never goes in a plan" "--auth with a password" \
  --source "$S" --target "$T" --auth basic,username=u,password=s3cr3t-value
grep -q s3cr3t "$tmp/err" && fail "the password is quoted back" || ok "the password is not quoted back"

echo keep >"$tmp/exists.json"
expect 2 "exists: init never overwrites a file" "an existing -o file" \
  --source "$S" --target "$T" -o "$tmp/exists.json"
[ "$(cat "$tmp/exists.json")" = keep ] && ok "the existing file is untouched" ||
  fail "the existing file changed"

expect 1 "source: GET $S/: connection refused" "an unreachable source, named" \
  --source "$S" --target "$T" -o "$tmp/new.json"
grep -qF "target: GET $T/: connection refused" "$tmp/err" &&
  ok "an unreachable target, named too" || fail "the target's error: $(cat "$tmp/err")"
[ ! -e "$tmp/new.json" ] && ok "no plan written" || fail "a plan was written: $(cat "$tmp/new.json")"
[ ! -s "$tmp/out" ] && ok "nothing on stdout" || fail "stdout: $(cat "$tmp/out")"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
