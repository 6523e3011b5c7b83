#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `snapmig check --json -v -v` against a server that quotes every request
# back (a loopback stand-in in Python: a real cluster will not do it on
# demand): in the 200 reply to GET / (the cluster name) and in the error
# reason of every other request (HTTP 500).  One domain uses basic auth
# (password from password_env), the other SigV4 with a session token.
# Neither the report on stdout nor the log and trace on stderr may show a
# password, basic credentials (base64 or decoded), the secret key, the
# session token, an Authorization value or a signature.
set -u
: "${SNM_BINARY:?}"
tmp=$(mktemp -d)
trap 'kill "$srv" 2>/dev/null; rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

python3 -c '
import base64, json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

seen = open(sys.argv[1], "a")

class Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def handle_one(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        quoted = self.requestline + "\n" + str(self.headers)
        auth = self.headers.get("Authorization") or ""
        print(auth, file=seen, flush=True)
        if auth.startswith("Basic "):
            quoted += " decoded: " + base64.b64decode(auth[6:]).decode()
        if self.command == "GET" and self.path == "/":
            status, body = 200, {"name": "n", "cluster_name": "echo " + quoted,
                                 "version": {"number": "7.10.2"}}
        else:
            status, body = 500, {"error": {"type": "echo_exception",
                                           "reason": quoted}, "status": 500}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Echo", auth)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = handle_one

s = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
print(s.server_address[1], flush=True)
s.serve_forever()
' "$tmp/seen" >"$tmp/port" &
srv=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port=$(cat "$tmp/port")
[ -n "$port" ] || { echo "FAIL: the echo server did not start" >&2; exit 1; }

cat >"$tmp/plan.json" <<JSON
{"snapmig": 1, "name": "echo",
 "domains": {
   "a": {"endpoint": "http://127.0.0.1:$port",
         "auth": {"type": "basic", "username": "migrator",
                  "password_env": "SNM_T_ECHO_PW"}},
   "b": {"endpoint": "http://127.0.0.1:$port",
         "auth": {"type": "aws-sigv4", "region": "eu-west-1"}}},
 "repository": {"name": "r", "type": "fs", "settings": {"location": "/tmp/r"}},
 "snapshot": {"domain": "a"}, "restores": [{"domain": "b"}]}
JSON

password='hunter2-password'
secret_key='wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
token='IQoJb3JpZ2luX2VjEPT//////////wEaCXVzLWVhc3QtMSJHMEUCIQDk7example+token/with+base64/chars=='
env -u AWS_PROFILE HOME="$tmp" AWS_CONFIG_FILE="$tmp/none" \
  AWS_SHARED_CREDENTIALS_FILE="$tmp/none" AWS_EC2_METADATA_DISABLED=true \
  SNM_T_ECHO_PW="$password" AWS_ACCESS_KEY_ID=AKIDEXAMPLE \
  AWS_SECRET_ACCESS_KEY="$secret_key" AWS_SESSION_TOKEN="$token" \
  "$SNM_BINARY" check --json -v -v "$tmp/plan.json" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -le 1 ] || fail "exit $rc: $(tail -5 "$tmp/err")"
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$tmp/out" ||
  fail "stdout is not one JSON document: $(head -c 500 "$tmp/out")"

# the server did quote requests of both domains, and they reached the output
grep -q '^Basic ' "$tmp/seen" || fail "no basic auth request reached the server"
grep -q '^AWS4-HMAC-SHA256 .*Signature=' "$tmp/seen" ||
  fail "no signed request reached the server"
grep -q 'echo_exception' "$tmp/out" "$tmp/err" ||
  fail "the server's reason is not in the output"
grep -q 'REDACTED' "$tmp/out" || fail "stdout shows no [REDACTED]"

hidden() { # hidden WHAT VALUE
  if grep -qF -- "$2" "$tmp/out"; then fail "stdout shows $1"; fi
  if grep -qF -- "$2" "$tmp/err"; then fail "stderr shows $1"; fi
}
hidden "the password" "$password"
hidden "the decoded basic credentials" "migrator:$password"
hidden "the basic credentials" "$(printf 'migrator:%s' "$password" | base64)"
hidden "the secret key" "$secret_key"
hidden "the session token" "$token"
n=0
while IFS= read -r auth; do
  [ -n "$auth" ] || continue
  hidden "an Authorization value" "$auth"
  case $auth in
  *Signature=*)
    hidden "a signature" "${auth##*Signature=}"
    n=$((n + 1))
    ;;
  esac
done <"$tmp/seen"
[ "$n" -gt 0 ] || fail "no signature to look for"

[ "$failures" -eq 0 ] && echo "check secrets: ok ($n signatures)"
exit $((failures > 0))
