#!/usr/bin/env bash
# snapmig against the rig's 'secure' node (OpenSearch + security plugin,
# HTTPS with the rig's CA, basic auth from password_env):
#  1. secure -> target as migrator with ca_file: run migrates and verifies;
#  2. reader: check has a permission-missing blocker naming the snapshot
#     permission and manage_snapshots; run refuses before changing anything;
#  3. a wrong password: exit 1, a 401 message naming the domain, the user
#     and the password_env variable; nothing changed;
#  4. no ca_file: a certificate error naming ca_file; insecure: true works,
#     with the warning that verification is off;
#  5. a wildcard leaves .opendistro_security out with a warning; naming it
#     is a blocker.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=run/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/run/common.sh"

it_load_rig_env
it_require_secure_up
SEC="$SNAPMIG_RIG_SECURE_URL"
DST="$SNAPMIG_RIG_TARGET_URL"
it_require_search_up target "$DST"

RUN="$(it_run_id)"
P="rs-$RUN"
REPO="rs_${RUN//-/_}"
LOCATION="$SNAPMIG_RIG_FS_REPO/run-secure-$RUN"
export SNM_IT_SECURE_PW=""
it_on_exit "curl -s -m 30 -X DELETE '$DST/m-$P-*'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/_snapshot/$REPO'"
it_on_exit "it_secure_http admin DELETE '$SEC/_snapshot/$REPO'"
it_on_exit "it_secure_http admin DELETE '$SEC/$P-*'"

"$IT_RIG" seed --node secure --indices 2 --docs 300 --prefix "$P" >/dev/null || it_fail "rig seed --node secure failed"

# plan USER [CA_FILE|-] [INSECURE] [INDICES_JSON]
plan() {
    jq -n --arg s "$SEC" --arg t "$DST" --arg u "$1" --arg ca "${2:--}" --argjson ins "${3:-false}" \
        --argjson idx "${4:-[\"$P-*\"]}" --arg repo "$REPO" --arg loc "$LOCATION" '{
      snapmig: 1, name: "run-secure",
      domains: {
        secure: ({endpoint: $s, auth: {type: "basic", username: $u, password_env: "SNM_IT_SECURE_PW"}}
                 + (if $ca != "-" then {ca_file: $ca} else {} end)
                 + (if $ins then {insecure: true} else {} end)),
        target: {endpoint: $t}},
      repository: {name: $repo, type: "fs", settings: {location: $loc}},
      snapshot: {domain: "secure", indices: $idx},
      restores: [{domain: "target", rename: {pattern: "^(.+)$", replacement: "m-$1"},
                  index_settings: {"index.number_of_replicas": 0}}]}'
}
PLAN="$RN_TMP/plan.json"

# nothing_changed WHAT: no repository on either side, no restored index
nothing_changed() {
    it_secure_http admin GET "$SEC/_snapshot/$REPO"
    assert_http_status 404 "$1: repository $REPO on secure"
    it_http GET "$DST/_snapshot/$REPO"
    assert_http_status 404 "$1: repository $REPO on target"
    it_http GET "$DST/_cat/indices/m-$P-*?format=json"
    assert_eq 0 "$(jq length <<<"$IT_BODY")" "$1: restored indices on target"
}

# ------------------------------------------------ 3. a wrong password
rn_plan "$PLAN" "$(plan migrator "$SNAPMIG_RIG_SECURE_CA")"
SNM_IT_SECURE_PW="not-the-password" rn_run "$RN_TMP/wrong.out" --state "$RN_TMP/wrong.state" "$PLAN"
assert_eq 1 "$RN_RC" "run with a wrong password: exit code"
err="$(cat "$RN_TMP/wrong.out.err" "$RN_TMP/wrong.out")"
assert_contains "$err" "secure" "401 message names the domain"
assert_contains "$err" "HTTP 401" "401 message"
assert_contains "$err" "user \"migrator\"" "401 message names the user"
assert_contains "$err" "SNM_IT_SECURE_PW" "401 message names the password_env variable"
[[ "$err" != *not-the-password* ]] || it_fail "the password appears in snapmig's output"
nothing_changed "wrong password"
it_log "ok: wrong password"

# ------------------------------------------------ 2. reader
export SNM_IT_SECURE_PW="$SNAPMIG_RIG_SECURE_READER_PASSWORD"
rn_plan "$PLAN" "$(plan reader "$SNAPMIG_RIG_SECURE_CA")"
rc=0
"$SNM_BINARY" check --json "$PLAN" >"$RN_TMP/reader.json" 2>"$RN_TMP/reader.err" || rc=$?
assert_eq 1 "$rc" "check as reader: exit code"
msg="$(jq -r '[.issues[] | select(.severity == "blocker" and .code == "permission-missing" and .domain == "secure")][0] | .message + " / " + .hint' "$RN_TMP/reader.json")"
assert_contains "$msg" "user \"reader\"" "permission-missing names the user"
assert_contains "$msg" "cluster:admin/snapshot/" "permission-missing names the snapshot permission"
assert_contains "$msg" "cluster:admin/repository/put" "permission-missing names what the run needs"
assert_contains "$msg" "manage_snapshots" "permission-missing says which role to map"
rn_run "$RN_TMP/reader.out" --state "$RN_TMP/reader.state" "$PLAN"
assert_eq 1 "$RN_RC" "run as reader: exit code"
assert_contains "$(cat "$RN_TMP/reader.out" "$RN_TMP/reader.out.err")" "permission-missing" "run as reader says why"
nothing_changed "run as reader"
it_log "ok: reader is refused by check and run, nothing changed"

# ------------------------------------------------ 4. certificates
export SNM_IT_SECURE_PW="$SNAPMIG_RIG_SECURE_MIGRATOR_PASSWORD"
rn_plan "$PLAN" "$(plan migrator -)"
rc=0
"$SNM_BINARY" check "$PLAN" >"$RN_TMP/noca.out" 2>&1 || rc=$?
assert_eq 1 "$rc" "check without ca_file: exit code"
out="$(cat "$RN_TMP/noca.out")"
assert_contains "$out" "certificate could not be verified" "no ca_file: the certificate error"
assert_contains "$out" "ca_file" "no ca_file: names ca_file"
assert_contains "$out" "\"insecure\": true" "no ca_file: names insecure"
rn_plan "$PLAN" "$(plan migrator - true)"
rc=0
"$SNM_BINARY" check "$PLAN" >"$RN_TMP/insecure.out" 2>"$RN_TMP/insecure.err" || rc=$?
assert_eq 0 "$rc" "check with insecure: true: exit code ($(cat "$RN_TMP/insecure.out"))"
assert_contains "$(cat "$RN_TMP/insecure.err")" "TLS certificate verification is off" "insecure: the warning"
it_log "ok: no ca_file is a certificate error naming ca_file; insecure works with a warning"

# ------------------------------------------------ 5. the security index
rn_plan "$PLAN" "$(plan migrator "$SNAPMIG_RIG_SECURE_CA" false '["*"]')"
"$SNM_BINARY" check --json "$PLAN" >"$RN_TMP/wild.json" 2>/dev/null || true
assert_eq false "$(jq '.indices[] | select(.name == ".opendistro_security") | .selected' "$RN_TMP/wild.json")" \
    "the wildcard does not snapshot .opendistro_security"
assert_eq true "$(jq --arg i "$P-000" '.indices[] | select(.name == $i) | .selected' "$RN_TMP/wild.json")" \
    "the wildcard snapshots $P-000"
assert_contains "$(jq -r '.issues[] | select(.code == "system-indices-left-out") | .message' "$RN_TMP/wild.json")" \
    ".opendistro_security" "the wildcard's warning names .opendistro_security"
rn_plan "$PLAN" "$(plan migrator "$SNAPMIG_RIG_SECURE_CA" false '["'"$P"'-*", ".opendistro_security"]')"
rc=0
"$SNM_BINARY" check --json "$PLAN" >"$RN_TMP/named.json" 2>/dev/null || rc=$?
assert_eq 1 "$rc" "check naming .opendistro_security: exit code"
assert_contains "$(jq -r '.issues[] | select(.severity == "blocker" and .code == "system-index-named") | .message' "$RN_TMP/named.json")" \
    "break its security" "naming .opendistro_security is a blocker that says why"
it_log "ok: .opendistro_security left out by a wildcard, a blocker when named"

# ------------------------------------------------ 1. migrator migrates
rn_plan "$PLAN" "$(plan migrator "$SNAPMIG_RIG_SECURE_CA")"
rn_run "$RN_TMP/run.out" --json --state "$RN_TMP/run.state" "$PLAN"
assert_eq 0 "$RN_RC" "run as migrator: exit code ($(tail -c 2000 "$RN_TMP/run.out.err"))"
for i in 000 001; do
    assert_eq "$(secure_fingerprint admin "$SEC" "$P-$i")" "$(index_fingerprint "$DST" "m-$P-$i")" \
        "content of m-$P-$i on target vs $P-$i on secure"
done
assert_eq '[true,2,0]' "$(jq -sc '[.[] | select(.type == "verify.done") | .ok, .checked, .mismatched]' "$RN_TMP/run.out")" \
    "run's verify.done event: [ok, checked, mismatched]"
assert_eq 1 "$(jq -s '[.[] | select(.type == "run.done")] | length' "$RN_TMP/run.out")" "run.done events"
[[ "$(cat "$RN_TMP/run.out" "$RN_TMP/run.out.err" "$RN_TMP/run.state")" != *"$SNAPMIG_RIG_SECURE_MIGRATOR_PASSWORD"* ]] ||
    it_fail "migrator's password appears in snapmig's output or state file"

it_pass "secure -> target as migrator verified; reader, wrong password, certificates and the security index refused as they should be"
