#!/usr/bin/env bash
# Every request check, run and status send says "User-Agent:
# snapmig/VERSION" (one session set-up, session.h).  The servers are a
# stand-in, named as such: two loopback HTTP servers (Python's http.server)
# that record each request's User-Agent and answer 404 with an
# Elasticsearch-style error body.  A real cluster does not report the
# User-Agent it received; the rig's fault proxy does not log headers.
set -u
: "${SNM_BINARY:?}" "${SNM_SOURCE_DIR:?}"
cd "$SNM_SOURCE_DIR" || exit 1
tmp=$(mktemp -d)
standin=
trap '[ -n "$standin" ] && kill "$standin" 2>/dev/null; rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

version=$("$SNM_BINARY" --version | sed -n '1s/^snapmig //p')
[ -n "$version" ] || { echo "FAIL: no version from --version" >&2; exit 1; }
want="snapmig/$version"

python3 -c '
import http.server, json, sys, threading
log = open(sys.argv[1], "a", buffering=1)
class Standin(http.server.BaseHTTPRequestHandler):
    def answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        log.write(json.dumps({"method": self.command, "path": self.path,
                              "ua": self.headers.get("User-Agent")}) + "\n")
        body = b"{\"error\":{\"type\":\"stand_in\",\"reason\":\"stand-in\"},\"status\":404}"
        self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = answer
    def log_message(self, *args):
        pass
servers = [http.server.ThreadingHTTPServer(("127.0.0.1", 0), Standin)
           for _ in range(2)]
for s in servers:
    threading.Thread(target=s.serve_forever, daemon=True).start()
print(" ".join(str(s.server_address[1]) for s in servers), flush=True)
threading.Event().wait()
' "$tmp/requests" >"$tmp/ports" &
standin=$!
for _ in $(seq 100); do [ -s "$tmp/ports" ] && break; sleep 0.1; done
read -r port_a port_b <"$tmp/ports" || { echo "FAIL: the stand-in did not start" >&2; exit 1; }

cat >"$tmp/plan.json" <<JSON
{"snapmig": 1, "name": "ua",
 "domains": {"a": {"endpoint": "http://127.0.0.1:$port_a"}, "b": {"endpoint": "http://127.0.0.1:$port_b"}},
 "repository": {"name": "r", "type": "fs", "settings": {"location": "/tmp/r"}},
 "snapshot": {"domain": "a"}, "restores": [{"domain": "b"}]}
JSON
# a run that has a snapshot going and one index restoring: status asks
# about both
cat >"$tmp/state.json" <<'JSON'
{"format": 1, "run_id": "run-ua", "plan": {"name": "ua", "digest": "0000000000000000000000000000000000000000000000000000000000000000"},
 "created": null, "updated": null, "step": "restore", "events": 0,
 "snapshot": {"name": "snap-ua", "repository": "r", "state": "started"},
 "restores": [{"domain": "b", "state": "restoring", "indices": [
   {"source": "i1", "target": "i1", "state": "restoring",
    "docs_expected": null, "docs_found": null, "bytes": null}]}]}
JSON

# user_agents WHAT MIN_REQUESTS: every request logged since the last call
# carries $want, and there were at least MIN_REQUESTS of them.
user_agents() {
  python3 -c '
import json, sys
want, what, least = sys.argv[2], sys.argv[3], int(sys.argv[4])
reqs = [json.loads(l) for l in open(sys.argv[1])]
bad = [r for r in reqs if r["ua"] != want]
assert len(reqs) >= least, "%s: %d request(s), want >= %d" % (what, len(reqs), least)
assert not bad, "%s: User-Agent %r on %s %s, want %r" % (what, bad[0]["ua"], bad[0]["method"], bad[0]["path"], want)
' "$tmp/requests" "$want" "$1" "$2" || fail "$1: User-Agent"
  : >"$tmp/requests"
}

"$SNM_BINARY" check "$tmp/plan.json" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 1 ] || fail "check: exit $rc, want 1 (blockers): $(cat "$tmp/err")"
user_agents check 2

SNAPMIG_LOCK_DIR=$tmp "$SNM_BINARY" run -q --state "$tmp/run-state.json" \
  "$tmp/plan.json" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 1 ] || fail "run: exit $rc, want 1 (blockers): $(cat "$tmp/err")"
user_agents run 2

"$SNM_BINARY" status --state="$tmp/state.json" "$tmp/plan.json" \
  >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 0 ] || fail "status: exit $rc: $(cat "$tmp/err")"
grep -q "live: b: GET /i1/_recovery: HTTP 404" "$tmp/out" ||
  fail "status did not ask the target: $(cat "$tmp/out")"
user_agents status 3

[ "$failures" -eq 0 ] && echo "user-agent CLI: ok ($want)"
exit $((failures > 0))
