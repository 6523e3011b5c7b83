#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `snapmig check` without servers: usage and plan errors exit 2, --help 0,
# a plan whose domains are all unreachable exits 1 with one JSON document
# naming a blocker per domain, and nothing goes to stdout but the report.
set -u
: "${SNM_BINARY:?}" "${SNM_SOURCE_DIR:?}"
cd "$SNM_SOURCE_DIR" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

run() { # run ARGS...: sets rc, out, err
  "$SNM_BINARY" "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  out=$(cat "$tmp/out")
  err=$(cat "$tmp/err")
}

run check --help
[ "$rc" -eq 0 ] || fail "--help: exit $rc"
[[ "$out" == "usage: snapmig check"* ]] || fail "--help: $out"
run check
[ "$rc" -eq 2 ] || fail "no plan: exit $rc"
run check --bogus plans/local-rig.json
[ "$rc" -eq 2 ] || fail "unknown option: exit $rc"
[[ "$err" == *"unknown option '--bogus'"* ]] || fail "unknown option: $err"
run check plans/local-rig.json plans/local-rig.json
[ "$rc" -eq 2 ] || fail "two plans: exit $rc"
run check "$tmp/missing.json"
[ "$rc" -eq 2 ] || fail "missing file: exit $rc"
[[ "$err" == *"cannot read"* ]] || fail "missing file: $err"
run check --json tests/plans/invalid-syntax.json
[ "$rc" -eq 2 ] || fail "invalid plan: exit $rc"
[ -z "$out" ] || fail "invalid plan: unexpected stdout: $out"
[[ "$err" == tests/plans/invalid-syntax.json:*:*:\ error:* ]] || fail "invalid plan: $err"

# Two closed ports: both domains unreachable -> exit 1, JSON with blockers.
ports=$(python3 -c 'import socket
ss=[socket.socket() for _ in range(2)]
[s.bind(("127.0.0.1",0)) for s in ss]
print(" ".join(str(s.getsockname()[1]) for s in ss))')
set -- $ports
cat >"$tmp/plan.json" <<JSON
{"snapmig": 1, "name": "unreachable",
 "domains": {"a": {"endpoint": "http://127.0.0.1:$1"}, "b": {"endpoint": "http://127.0.0.1:$2"}},
 "repository": {"name": "r", "type": "fs", "settings": {"location": "/tmp/r"}},
 "snapshot": {"domain": "a"}, "restores": [{"domain": "b"}]}
JSON
run check --json "$tmp/plan.json"
[ "$rc" -eq 1 ] || fail "unreachable: exit $rc: $err"
echo "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["ok"] is False, d
codes = sorted((i["domain"], i["code"]) for i in d["issues"] if i["severity"] == "blocker")
assert codes == [("a", "unreachable"), ("b", "unreachable")], codes
assert all(not x["reachable"] for x in d["domains"]), d["domains"]
assert d["snapshot"]["indices"] is None
' || fail "unreachable: JSON: $out"
run check -q "$tmp/plan.json"
[ "$rc" -eq 1 ] || fail "unreachable -q: exit $rc"
[[ "$out" == *"Blockers (2)"* && "$out" != *"Domains"* ]] || fail "-q report: $out"

# SIGINT while requests are in flight: exit 130, promptly.  The stand-in
# is a listening socket that accepts and never answers (a hung server, which
# a real one will not do on demand).
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
print(s.getsockname()[1], flush=True)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)' >"$tmp/port" &
hung=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port=$(cat "$tmp/port")
sed "s/127.0.0.1:$1\"/127.0.0.1:$port\"/" "$tmp/plan.json" >"$tmp/hung.json"
"$SNM_BINARY" check -v "$tmp/hung.json" >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 100); do grep -q "check: asking" "$tmp/err" && break; sleep 0.1; done
grep -q "check: asking" "$tmp/err" || fail "SIGINT: check did not start: $(cat "$tmp/err")"
start=$(date +%s%N)
kill -INT "$pid"
wait "$pid"
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
kill "$hung" 2>/dev/null
[ "$rc" -eq 130 ] || fail "SIGINT: exit $rc, want 130: $(cat "$tmp/err")"
[ "$ms" -lt 5000 ] || fail "SIGINT: took $ms ms to stop"
grep -q "interrupted, stopping" "$tmp/err" || fail "SIGINT: no message: $(cat "$tmp/err")"
[ ! -s "$tmp/out" ] || fail "SIGINT: a report was printed: $(cat "$tmp/out")"

[ "$failures" -eq 0 ] && echo "check CLI: ok"
exit $((failures > 0))
