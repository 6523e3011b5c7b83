#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `snapmig iam-policy` on plans/aws-manual-snapshot.json: every document is
# valid JSON with the expected ARNs, --document picks one, notes go to
# stderr, and plans that cannot give the documents exit 2 with a message.
set -u
: "${SNM_BINARY:?}" "${SNM_SOURCE_DIR:?}"
cd "$SNM_SOURCE_DIR" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
plan=plans/aws-manual-snapshot.json

run() { # run ARGS...: sets rc, out, err
  "$SNM_BINARY" "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  out=$(cat "$tmp/out")
  err=$(cat "$tmp/err")
}

# json_get EXPR: evaluate a Python expression on the JSON document in
# $tmp/out (bound to d); prints the result, fails when it is not JSON.
json_get() {
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
    "$tmp/out" "$1"
}

role_arn='arn:aws:iam::123456789012:role/TheSnapshotRole'
old_arn='arn:aws:es:eu-central-1:123456789012:domain/logs-old/*'
new_arn='arn:aws:es:eu-central-1:123456789012:domain/logs-new/*'

# 1. all three documents in one object
run iam-policy "$plan"
[ "$rc" -eq 0 ] || fail "all: exit $rc: $err"
[ -z "$err" ] || fail "all: unexpected stderr: $err"
python3 -c 'import json,sys; json.load(sys.stdin)' <"$tmp/out" || fail "all: not JSON"
[ "$(json_get 'sorted(d)')" = "['snapshot_role_policy', 'snapshot_role_trust_policy', 'user_policy']" ] ||
  fail "all: keys: $(json_get 'sorted(d)')"
[ "$(json_get 'd["snapshot_role_policy"]["Statement"][0]["Resource"]')" = "['arn:aws:s3:::my-snapshot-bucket']" ] ||
  fail "all: bucket ARN"
[ "$(json_get 'd["snapshot_role_policy"]["Statement"][1]["Resource"]')" = "['arn:aws:s3:::my-snapshot-bucket/snapmig/logs-eu/*']" ] ||
  fail "all: object ARN"
[ "$(json_get 'd["snapshot_role_trust_policy"]["Statement"][0]["Principal"]["Service"]')" = "es.amazonaws.com" ] ||
  fail "all: trust principal"
[ "$(json_get 'd["user_policy"]["Statement"][0]["Resource"]')" = "$role_arn" ] ||
  fail "all: PassRole resource"
[ "$(json_get 'd["user_policy"]["Statement"][1]["Resource"]')" = "['$old_arn', '$new_arn']" ] ||
  fail "all: domain ARNs: $(json_get 'd["user_policy"]["Statement"][1]["Resource"]')"

# 2. --document: exactly one policy document, the same as its part of the whole
cp "$tmp/out" "$tmp/all.json"
for pair in role-policy:snapshot_role_policy trust-policy:snapshot_role_trust_policy \
  user-policy:user_policy; do
  doc=${pair%%:*} key=${pair#*:}
  run iam-policy --document "$doc" "$plan"
  [ "$rc" -eq 0 ] || fail "$doc: exit $rc: $err"
  python3 -c 'import json,sys; json.load(sys.stdin)' <"$tmp/out" || fail "$doc: not JSON"
  [ "$(json_get 'd["Version"]')" = "2012-10-17" ] || fail "$doc: Version"
  python3 -c '
import json, sys
whole = json.load(open(sys.argv[1]))[sys.argv[3]]
one = json.load(open(sys.argv[2]))
sys.exit(0 if whole == one else 1)' "$tmp/all.json" "$tmp/out" "$key" ||
    fail "$doc differs from its part of the whole"
  run iam-policy --document="$doc" "$plan"
  [ "$rc" -eq 0 ] || fail "--document=$doc: exit $rc"
done
run iam-policy --document user-policy "$plan"
grep -Fq "$old_arn" <<<"$out" || fail "user-policy: no $old_arn"
grep -Fq '"es:ESHttpHead"' <<<"$out" || fail "user-policy: no ESHttpHead"

# 3. a domain that is not an AWS endpoint: left out, note on stderr
sed -e 's#"https://vpc-logs-new-0123456789abcdef.eu-central-1.es.amazonaws.com"#"https://search.example.com"#' \
  "$plan" >"$tmp/custom.json"
run iam-policy --document user-policy "$tmp/custom.json"
[ "$rc" -eq 0 ] || fail "custom: exit $rc: $err"
grep -Fq 'snapmig: note: domain "new": search.example.com is not an Amazon OpenSearch Service endpoint' <<<"$err" ||
  fail "custom: note: $err"
[ "$(json_get 'd["Statement"][1]["Resource"]')" = "['$old_arn']" ] || fail "custom: ARNs"

# 4. errors: exit 2, a message that says what to add
check_error() { # FILE WANT
  run iam-policy "$1"
  [ "$rc" -eq 2 ] || fail "$1: exit $rc, want 2"
  [ -z "$out" ] || fail "$1: unexpected stdout: $out"
  grep -Fq -- "$2" <<<"$err" || fail "$1: missing \"$2\" in: $err"
}
grep -v '"role_arn"' "$plan" >"$tmp/no-role.json"
check_error "$tmp/no-role.json" "has no \"role_arn\": add \"role_arn\": \"arn:aws:iam::123456789012:role/NAME\""
sed -e 's#arn:aws:iam::123456789012:role/TheSnapshotRole#arn:aws:iam::1234:role/TheSnapshotRole#' \
  "$plan" >"$tmp/bad-role.json"
check_error "$tmp/bad-role.json" "is not an IAM role ARN (the account id must be 12 digits)"
sed -e 's#"type": "s3"#"type": "fs"#' -e 's#"bucket": "my-snapshot-bucket"#"location": "/mnt/snapshots"#' \
  "$plan" >"$tmp/fs.json"
check_error "$tmp/fs.json" 'of type "fs"'
grep -v '"bucket"' "$plan" >"$tmp/no-bucket.json" # the plan check catches it
check_error "$tmp/no-bucket.json" "missing required key 'bucket'"
check_error tests/plans/invalid-syntax.json "JSON syntax error"
run iam-policy no-such-plan.json
[ "$rc" -eq 2 ] || fail "missing plan: exit $rc"
run iam-policy --document everything "$plan"
[ "$rc" -eq 2 ] || fail "bad --document: exit $rc"
grep -Fq 'not "everything"' <<<"$err" || fail "bad --document: $err"
run iam-policy
[ "$rc" -eq 2 ] || fail "no plan: exit $rc"
run iam-policy --help
[ "$rc" -eq 0 ] && grep -Fq "usage: snapmig iam-policy" <<<"$out" || fail "--help"
run help iam-policy
[ "$rc" -eq 0 ] && grep -Fq "trust-policy" <<<"$out" || fail "help iam-policy"

[ "$failures" -eq 0 ] || { echo "$failures failure(s)" >&2; exit 1; }
echo "iam-policy: all checks passed"
