#!/usr/bin/env bash
# The one option parser, through the binary: every command takes
# --name=value and --name value, bundled short flags, '--' before an
# operand; usage errors exit 2 with one message naming the command and
# 'snapmig CMD --help'; the global options and `snapmig help CMD`.
# No server: the state file used by `status` records a run that has not
# reached its snapshot yet, so status asks the clusters nothing.
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

# usage_error WANT ARGS...: exit 2, nothing on stdout, stderr holds WANT and
# the pointer to the command's --help.
usage_error() {
  local want=$1 cmd=$2
  shift
  run "$@"
  [ "$rc" -eq 2 ] || fail "'$*': exit $rc, want 2"
  [ -z "$out" ] || fail "'$*': wrote to stdout: $out"
  [[ "$err" == *"$want"* ]] || fail "'$*': stderr lacks \"$want\": $err"
  [[ "$err" == *"Run 'snapmig $cmd --help' for the options."* ]] ||
    fail "'$*': no --help pointer: $err"
  [ "$(grep -c . <<<"$err")" -le 3 ] || fail "'$*': more than 3 lines: $err"
}

cat >"$tmp/plan.json" <<'JSON'
{"snapmig": 1, "name": "opts",
 "domains": {"a": {"endpoint": "http://127.0.0.1:9"}, "b": {"endpoint": "http://127.0.0.1:9"}},
 "repository": {"name": "r", "type": "fs", "settings": {"location": "/tmp/r"}},
 "snapshot": {"domain": "a"}, "restores": [{"domain": "b"}]}
JSON
cat >"$tmp/state.json" <<'JSON'
{"format": 1, "run_id": "run-opts", "plan": {"name": "opts", "digest": "0000000000000000000000000000000000000000000000000000000000000000"},
 "created": null, "updated": null, "step": "preflight", "events": 0,
 "snapshot": {"name": "snap-opts", "repository": "r", "state": "pending"},
 "restores": [{"domain": "b", "state": "pending", "indices": []}]}
JSON

# 1. status: --state=FILE and --state FILE read the same file (before the
#    one parser, status knew only the second form).
run status --state="$tmp/state.json" "$tmp/plan.json"
[ "$rc" -eq 0 ] || fail "status --state=FILE: exit $rc: $err"
[[ "$out" == "plan opts, run run-opts, state file $tmp/state.json"* ]] ||
  fail "status --state=FILE: $out"
eq_form=$out
run status --state "$tmp/state.json" "$tmp/plan.json"
[ "$rc" -eq 0 ] || fail "status --state FILE: exit $rc: $err"
[ "$out" = "$eq_form" ] || fail "status --state FILE differs: $out"
run status "$tmp/plan.json" --state "$tmp/state.json" --json
[ "$rc" -eq 0 ] || fail "status PLAN --state FILE --json: exit $rc: $err"
python3 -c 'import json, sys
d = json.loads(sys.argv[1])
assert d["state"]["run_id"] == "run-opts", d' "$out" ||
  fail "status --json after the operand: $out"
# without it, the default path beside the plan holds no run: exit 1
run status "$tmp/plan.json"
[ "$rc" -eq 1 ] || fail "status, no state file: exit $rc"
[[ "$err" == *"no run recorded for plan opts"* ]] || fail "status, no run: $err"
# '--' ends the options: a plan whose name starts with '-'
cp "$tmp/plan.json" "$tmp/-plan.json"
(cd "$tmp" && "$SNM_BINARY" status --state state.json -- -plan.json) \
  >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 0 ] || fail "status -- -plan.json: exit $rc: $(cat "$tmp/err")"
(cd "$tmp" && "$SNM_BINARY" validate -q -- -plan.json) >"$tmp/out" 2>&1 ||
  fail "validate -- -plan.json: $(cat "$tmp/out")"

# 2. errors name the command, the option and the way to --help
usage_error "snapmig status: option '--state' needs a value (--state FILE)" \
  status "$tmp/plan.json" --state
usage_error "snapmig status: unknown option '--bogus'" status --bogus \
  "$tmp/plan.json"
usage_error "snapmig status: option '--json' takes no value" status \
  --json=yes "$tmp/plan.json"
usage_error "snapmig status: one plan at a time" status a.json b.json
usage_error "snapmig status: no PLAN given" status --json
usage_error "snapmig check: unknown option '-x' (in '-qxv')" check -qxv \
  "$tmp/plan.json"
usage_error "snapmig run: option '--fresh' takes no value" run --fresh=1 \
  "$tmp/plan.json"
usage_error "snapmig run: option '--state' needs a value" run "$tmp/plan.json" \
  --state
usage_error "snapmig validate: unknown option '--jsn'" validate --jsn \
  "$tmp/plan.json"
usage_error "snapmig iam-policy: option '--document' needs a value" \
  iam-policy "$tmp/plan.json" --document
usage_error "snapmig iam-policy: --document wants role-policy" iam-policy \
  --document=all "$tmp/plan.json"
usage_error "snapmig sigv4: option '--region' needs a value" sigv4 \
  --service s --region
usage_error "snapmig version: unexpected argument 'x'" version x
# a value option's value is the next argument, even when it looks like one
usage_error "snapmig run: no PLAN given" run --state --json

# 3. bundled short flags and -- in the other commands
run validate -q -- "$tmp/plan.json"
[ "$rc" -eq 0 ] && [ -z "$out" ] || fail "validate -q --: rc=$rc out=$out"
run check -qvv --json -- "$tmp/-plan.json"
[ "$rc" -eq 1 ] || fail "check -qvv --json -- -plan.json: exit $rc: $err"
[[ "$out" == "{"* ]] || fail "check --json: $out"

# 4. --help: generated from the option table, on stdout, exit 0; each
#    option listed once with its help
for cmd in validate check run status iam-policy sigv4 version; do
  run "$cmd" --help
  [ "$rc" -eq 0 ] || fail "$cmd --help: exit $rc"
  [[ "$out" == "usage: snapmig $cmd"* ]] || fail "$cmd --help: $out"
  grep -q -- "^  -h, --help  *this text$" <<<"$out" ||
    fail "$cmd --help lists no -h, --help: $out"
  run "$cmd" -h
  [ "$rc" -eq 0 ] && [[ "$out" == "usage: snapmig $cmd"* ]] ||
    fail "$cmd -h: rc=$rc $out"
  run help "$cmd"
  [ "$rc" -eq 0 ] && [[ "$out" == "usage: snapmig $cmd"* ]] ||
    fail "help $cmd: rc=$rc $out"
done
run run --help
for o in "--json" "-q, --quiet" "-v, --verbose" "--state FILE" "--fresh"; do
  grep -qF -- "  $o " <<<"$out" || fail "run --help lacks '$o': $out"
done
run status --help
grep -qF -- "  --state FILE  the state file" <<<"$out" ||
  fail "status --help: $out"

# 5. the global options
run --version
[ "$rc" -eq 0 ] && [[ "$out" == "snapmig "[0-9]* ]] || fail "--version: $out"
run -V
[ "$rc" -eq 0 ] && [[ "$out" == "snapmig "[0-9]* ]] || fail "-V: $out"
run --help
[ "$rc" -eq 0 ] && [[ "$out" == "usage: snapmig COMMAND"* ]] ||
  fail "--help: $out"
run --help status
[ "$rc" -eq 0 ] && [[ "$out" == "usage: snapmig status"* ]] ||
  fail "--help status: $out"
run
[ "$rc" -eq 2 ] && [[ "$err" == "usage: snapmig COMMAND"* ]] ||
  fail "no command: rc=$rc $err"
run frobnicate
[ "$rc" -eq 2 ] || fail "unknown command: exit $rc"
[[ "$err" == *"snapmig: unknown command 'frobnicate'"*"Run 'snapmig --help' for the commands."* ]] ||
  fail "unknown command: $err"
run -x
[ "$rc" -eq 2 ] && [[ "$err" == *"snapmig: unknown option '-x'"* ]] ||
  fail "-x: rc=$rc $err"

[ "$failures" -eq 0 ] && echo "options CLI: ok"
exit $((failures > 0))
