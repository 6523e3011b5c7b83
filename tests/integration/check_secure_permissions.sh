#!/usr/bin/env bash
# What `snapmig check` reads from the security plugin about its identity on
# the rig's 'secure' node (GET _plugins/_security/authinfo), and what it
# concludes about the snapshot permissions the run needs, before the run
# sends anything:
#  1. a user mapped to static roles only (readall_and_monitor; a user this
#     test creates through the security REST API as admin and deletes): a
#     permission-missing blocker from the roles, not from a refused
#     request, naming what the run needs and manage_snapshots;
#  2. reader (the rig's own read-and-monitor role, whose definition a
#     non-admin cannot read): "cannot tell", no blocker made up from the
#     roles; the refused repository read remains the one permission-missing;
#  3. migrator (manage_snapshots): granted, no permission blocker, check
#     passes;
#  4. the plain target (OpenSearch without the plugin) and the legacy
#     node (Elasticsearch 7.10, asked on the _opendistro path): nothing is
#     said about security.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=run/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/run/common.sh"

it_load_rig_env
it_require_secure_up
SEC="$SNAPMIG_RIG_SECURE_URL"
DST="$SNAPMIG_RIG_TARGET_URL"
LEG="$SNAPMIG_RIG_LEGACY_URL"
it_require_search_up target "$DST"
it_require_search_up legacy "$LEG"

RUN="$(it_run_id)"
P="csp-$RUN"
REPO="csp_${RUN//-/_}"
TMPUSER="snm-perm-$RUN"
it_on_exit "it_secure_http admin DELETE '$SEC/$P-*'"
it_on_exit "it_secure_http admin DELETE '$SEC/_plugins/_security/api/internalusers/$TMPUSER'"

"$IT_RIG" seed --node secure --indices 1 --docs 20 --prefix "$P" >/dev/null || it_fail "rig seed --node secure failed"

# A user mapped to the static role readall_and_monitor only, with a random
# password that goes to curl in files, never on a command line.
umask 077
TMPPW="$(head -c 24 /dev/urandom | base64 | tr '+/' 'Zz')"
jq -n --arg pw "$TMPPW" '{password: $pw, opendistro_security_roles: ["readall_and_monitor"],
    description: "snapmig check_secure_permissions.sh (deleted at exit)"}' >"$RN_TMP/user.json"
printf 'user = "admin:%s"\n' "$(it_secure_password admin)" >"$RN_TMP/admin.curl"
status="$(curl -s -m "$IT_HTTP_TIMEOUT" --cacert "$SNAPMIG_RIG_SECURE_CA" -K "$RN_TMP/admin.curl" \
    -X PUT -H 'Content-Type: application/json' --data-binary @"$RN_TMP/user.json" \
    -o "$RN_TMP/user.reply" -w '%{http_code}' "$SEC/_plugins/_security/api/internalusers/$TMPUSER")" || status=000
[[ "$status" == 20? ]] || it_fail "creating user $TMPUSER as admin: HTTP $status: $(head -c 500 "$RN_TMP/user.reply")"
rm -f "$RN_TMP/admin.curl"

# plan USER: secure (source, as USER with the rig's CA) -> target and legacy
plan() {
    jq -n --arg s "$SEC" --arg t "$DST" --arg l "$LEG" --arg u "$1" --arg ca "$SNAPMIG_RIG_SECURE_CA" \
        --arg p "$P-*" --arg repo "$REPO" --arg loc "$SNAPMIG_RIG_FS_REPO/check-perm-$RUN" '{
      snapmig: 1, name: "check-secure-permissions",
      domains: {
        secure: {endpoint: $s, ca_file: $ca,
                 auth: {type: "basic", username: $u, password_env: "SNM_IT_SECURE_PW"}},
        target: {endpoint: $t},
        legacy: {endpoint: $l}},
      repository: {name: $repo, type: "fs", settings: {location: $loc}},
      snapshot: {domain: "secure", indices: [$p]},
      restores: [{domain: "target", rename: {pattern: "^(.+)$", replacement: "m-$1"}},
                 {domain: "legacy", rename: {pattern: "^(.+)$", replacement: "m-$1"}}]}'
}
PLAN="$RN_TMP/plan.json"

# check_as USER PASSWORD NAME: check --json and the human report; sets
# CK_RC (of --json), CK_JSON and CK_TEXT (the files).
check_as() {
    rn_plan "$PLAN" "$(plan "$1")"
    CK_JSON="$RN_TMP/$3.json"
    CK_TEXT="$RN_TMP/$3.txt"
    CK_RC=0
    SNM_IT_SECURE_PW="$2" "$SNM_BINARY" check --json "$PLAN" >"$CK_JSON" 2>"$RN_TMP/$3.err" || CK_RC=$?
    jq -e .domains "$CK_JSON" >/dev/null || it_fail "check --json as $1: no report: $(head -c 1000 "$RN_TMP/$3.err")"
    SNM_IT_SECURE_PW="$2" "$SNM_BINARY" check "$PLAN" >"$CK_TEXT" 2>&1 || true
    ! grep -qF -- "$2" "$CK_JSON" "$CK_TEXT" "$RN_TMP/$3.err" || it_fail "check as $1: the password appears in the output"
}

# sec DOMAIN JQ: a value of the domain's "security" report
sec() {
    jq -c --arg d "$1" ".domains[] | select(.id == \$d) | .security${2:+ | $2}" "$CK_JSON"
}

# permission_missing DOMAIN: the blockers' "message / hint"
permission_missing() {
    jq -r --arg d "$1" '.issues[] | select(.severity == "blocker" and .code == "permission-missing" and .domain == $d)
        | .message + " / " + .hint' "$CK_JSON"
}

# no_word_on_plain_nodes NAME: target and legacy have no plugin: nothing said
no_word_on_plain_nodes() {
    assert_eq null "$(sec target)" "$1: target's security report"
    assert_eq null "$(sec legacy)" "$1: legacy's security report"
    assert_eq "" "$(permission_missing target)$(permission_missing legacy)" "$1: permission-missing on target or legacy"
    assert_eq 1 "$(grep -c 'security plugin:' "$CK_TEXT")" "$1: 'security plugin:' lines in the human report (secure's only)"
}

# ------------------------------------------------ 1. static roles that lack it
check_as "$TMPUSER" "$TMPPW" static
assert_eq 1 "$CK_RC" "check as $TMPUSER: exit code"
assert_eq '"known"' "$(sec secure .state)" "$TMPUSER: the plugin answered authinfo"
assert_eq '["readall_and_monitor"]' "$(sec secure .roles)" "$TMPUSER: roles"
assert_eq '"missing"' "$(sec secure .snapshot_permissions)" "$TMPUSER: snapshot permissions"
msg="$(permission_missing secure)"
assert_eq 1 "$(grep -c 'permission-missing' <<<"$(jq -r '.issues[] | select(.domain == "secure") | .code' "$CK_JSON")")" \
    "$TMPUSER: one permission-missing on secure"
assert_contains "$msg" "user \"$TMPUSER\" on secure lacks cluster:admin/repository/put, cluster:admin/snapshot/create" \
    "$TMPUSER: the blocker names what the run needs"
assert_contains "$msg" "maps it to the roles readall_and_monitor (backend roles: none)" "$TMPUSER: the blocker names the roles"
assert_contains "$msg" "manage_snapshots" "$TMPUSER: the blocker says which role to map"
[[ "$msg" != *"HTTP 403"* ]] || it_fail "$TMPUSER: the blocker comes from a refused request, not from the roles: $msg"
assert_contains "$(cat "$CK_TEXT")" "snapshot permissions: MISSING cluster:admin/repository/put" "$TMPUSER: human report"
no_word_on_plain_nodes "$TMPUSER"
it_log "ok: static roles lacking the snapshot permissions are a blocker from authinfo"

# ------------------------------------------------ 2. reader: a role of the rig's own
check_as reader "$SNAPMIG_RIG_SECURE_READER_PASSWORD" reader
assert_eq 1 "$CK_RC" "check as reader: exit code"
assert_eq '"reader"' "$(sec secure .user)" "reader: user"
assert_eq '["snapmig_rig_read_monitor"]' "$(sec secure .roles)" "reader: roles"
assert_eq '"unknown"' "$(sec secure .snapshot_permissions)" "reader: snapshot permissions"
assert_eq '"snapmig_rig_read_monitor"' "$(sec secure .roles_not_known)" "reader: the role snapmig cannot know"
msg="$(permission_missing secure)"
assert_eq 1 "$(grep -c . <<<"$msg")" "reader: one permission-missing on secure (the refused repository read)"
assert_contains "$msg" "HTTP 403" "reader: the blocker comes from the refused request"
assert_contains "$(cat "$CK_TEXT")" "snapshot permissions: cannot tell (what role snapmig_rig_read_monitor grants" \
    "reader: human report"
no_word_on_plain_nodes reader
it_log "ok: reader's own role: cannot tell; the refused read is the blocker"

# ------------------------------------------------ 3. migrator
check_as migrator "$SNAPMIG_RIG_SECURE_MIGRATOR_PASSWORD" migrator
assert_eq '"granted"' "$(sec secure .snapshot_permissions)" "migrator: snapshot permissions"
assert_eq '"manage_snapshots"' "$(sec secure .granted_by)" "migrator: granted by"
assert_eq "" "$(jq -r '.issues[] | select(.code == "permission-missing") | .message' "$CK_JSON")" \
    "migrator: no permission-missing"
assert_contains "$(cat "$CK_TEXT")" "snapshot permissions: granted (role manage_snapshots)" "migrator: human report"
no_word_on_plain_nodes migrator
it_log "ok: migrator: granted by manage_snapshots, no permission blocker"

it_pass "authinfo read on secure only: static roles lacking it a blocker, the rig's own role 'cannot tell', manage_snapshots granted, plain nodes left alone"
