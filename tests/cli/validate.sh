#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `snapmig validate` on the example plans (valid) and the invalid fixtures:
# exit codes, the PLAN:LINE:COL: error: format, --json, and that an inline
# password never reaches the output.
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

# 1. every example plan is valid
for plan in plans/*.json; do
  run validate "$plan"
  [ "$rc" -eq 0 ] || fail "$plan: exit $rc: $err"
  [[ "$out" == "$plan: ok: plan \""* ]] || fail "$plan: summary: $out"
  [ -z "$err" ] || fail "$plan: unexpected stderr: $err"
done
run validate plans/local-rig.json
[ "$out" = 'plans/local-rig.json: ok: plan "local-rig", source "source", 1 restore onto "target", repository "snapmig-rig" (s3, bucket snapmig-rig)' ] \
  || fail "local-rig summary: $out"

# 2. invalid fixtures: exit 2, every stderr line located, expected messages
check_invalid() { # PLAN EXPECTED-SUBSTRING...
  local plan=$1 line
  shift
  run validate "$plan"
  [ "$rc" -eq 2 ] || fail "$plan: exit $rc, want 2"
  [ -z "$out" ] || fail "$plan: unexpected stdout: $out"
  while IFS= read -r line; do
    [[ "$line" =~ ^"$plan":[0-9]+:[0-9]+:\ (error|warning):\  ]] ||
      fail "$plan: badly formed line: $line"
  done <<<"$err"
  grep -Eq "^$plan:[0-9]+:[0-9]+: error: " <<<"$err" || fail "$plan: no error"
  for want in "$@"; do
    grep -Fq -- "$want" <<<"$err" || fail "$plan: missing \"$want\" in: $err"
  done
}
check_invalid tests/plans/invalid-many.json \
  "tests/plans/invalid-many.json:6:7: error: domains.eu.endpont: unknown key (did you mean 'endpoint'?)" \
  "tests/plans/invalid-many.json:5:11: error: domains.eu: missing required key 'endpoint'" \
  "restores[1].rename.pattern: missing closing parenthesis at offset 8: \"logs-(.+\"" \
  "unknown domain \"usa\" (did you mean 'us'?)" \
  "duplicate key" "is the snapshot's source domain" \
  "unknown value \"overwrite\" (expected \"fail\", \"skip\" or \"replace\")"
[ "$(grep -c ': error: ' <<<"$err")" -eq 18 ] || fail "invalid-many: want 18 errors: $err"
check_invalid tests/plans/invalid-auth.json "cannot be derived" "port must be 1 to 65535"
check_invalid tests/plans/invalid-repo.json "missing required key 'bucket'" "empty strftime format"
check_invalid tests/plans/invalid-missing.json \
  "tests/plans/invalid-missing.json:2:3: error: missing required key 'snapmig'"
check_invalid tests/plans/invalid-syntax.json \
  "tests/plans/invalid-syntax.json:5:1: error: JSON syntax error: "

# 3. an inline password is reported but never printed, in any mode
cat >"$tmp/pw.json" <<'PLAN'
{"snapmig": 1, "name": "pw",
 "domains": {"a": {"endpoint": "https://a.example.com"},
             "b": {"endpoint": "https://b.example.com",
                   "auth": {"type": "basic", "username": "u",
                            "password": "Sup3r-Secret-Pa55"}}},
 "repository": {"name": "r", "type": "fs", "settings": {"location": "/x"}},
 "snapshot": {"domain": "a"}, "restores": [{"domain": "b"}]}
PLAN
for mode in "" "--json" "-q"; do
  run validate $mode "$tmp/pw.json"
  [ "$rc" -eq 2 ] || fail "pw.json $mode: exit $rc"
  grep -q "Sup3r-Secret-Pa55" "$tmp/out" "$tmp/err" && fail "password printed ($mode)"
  grep -q "password_env" "$tmp/out" "$tmp/err" || fail "no password error ($mode)"
done

# 4. warnings alone pass; -q hides them and the summary
run validate tests/plans/warnings.json
[ "$rc" -eq 0 ] || fail "warnings.json: exit $rc"
[ "$(grep -c ': warning: ' <<<"$err")" -eq 5 ] || fail "warnings.json: $err"
run validate -q tests/plans/warnings.json
[ "$rc" -eq 0 ] && [ -z "$out" ] && [ -z "$err" ] || fail "-q: rc=$rc out=$out err=$err"

# 5. --json: one document on stdout, nothing on stderr
run validate --json tests/plans/invalid-many.json
[ "$rc" -eq 2 ] && [ -z "$err" ] || fail "--json invalid: rc=$rc err=$err"
[[ "$out" == '{"plan":"tests/plans/invalid-many.json","valid":false,"errors":18,'* ]] ||
  fail "--json invalid: $out"
[ "$(wc -l <"$tmp/out")" -eq 1 ] || fail "--json: not one line"
run validate --json plans/local-rig.json
[ "$rc" -eq 0 ] || fail "--json valid: exit $rc"
[[ "$out" == *'"valid":true'*'"digest":"'[0-9a-f]*'"description":"plan \"local-rig\"'* ]] ||
  fail "--json valid: $out"

# 6. unreadable file and usage errors
run validate "$tmp/missing.json"
[ "$rc" -eq 2 ] || fail "missing file: exit $rc"
[ "$err" = "snapmig: error: cannot read $tmp/missing.json: No such file or directory" ] ||
  fail "missing file: $err"
run validate
[ "$rc" -eq 2 ] || fail "no plan: exit $rc"
run validate --bogus plans/local-rig.json
[ "$rc" -eq 2 ] || fail "bad option: exit $rc"
run validate --help
[ "$rc" -eq 0 ] && [[ "$out" == "usage: snapmig validate"* ]] || fail "--help: $out"

# 7. '\v' and '\f' between tokens (yajl takes them as blanks): a normal
#    result, located like any other, never an abort
printf '{"snapshot":{"name":\x0b"{"}}' >"$tmp/vt.json"
run validate "$tmp/vt.json"
[ "$rc" -eq 2 ] || fail "vt.json: exit $rc, want 2: $err"
grep -Fq "$tmp/vt.json:1:23: error: snapshot.name: unterminated placeholder" \
  <<<"$err" || fail "vt.json: $err"
sed 's/": /":\x0b\x0c/g; s/^  /\x0c /' plans/local-rig.json >"$tmp/ff.json"
grep -q $'\f' "$tmp/ff.json" || fail "ff.json: no form feed written"
run validate "$tmp/ff.json"
[ "$rc" -eq 0 ] || fail "ff.json: exit $rc: $err"

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "ok"
