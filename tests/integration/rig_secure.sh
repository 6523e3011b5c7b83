#!/usr/bin/env bash
# Proof test of the rig's 'secure' node (OpenSearch + security plugin):
# TLS only, verified with the rig's CA for 127.0.0.1 and localhost; basic
# auth with the three internal users and their roles; a 403 naming the
# permission for reader; migrator snapshots into the fs and the S3
# repository the node shares with 'target', which restores both (counts and
# content compared); what migrator may not do.
# Needs the rig: tests/rig/rig up
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

it_load_rig_env
it_require_secure_up
SEC="$SNAPMIG_RIG_SECURE_URL"
DST="$SNAPMIG_RIG_TARGET_URL"
CA="$SNAPMIG_RIG_SECURE_CA"
it_require_search_up target "$DST"
it_require_s3_up
port="${SEC##*:}"

# ---------------------------------------------------------------- TLS
[[ "$SEC" == https://127.0.0.1:* ]] || it_fail "SNAPMIG_RIG_SECURE_URL should be https://127.0.0.1:PORT, is $SEC"
rc=0
curl -s -m 10 -o /dev/null "http://127.0.0.1:$port/" || rc=$?
assert_ne 0 "$rc" "plain HTTP to the secure node's port must fail (curl exit code)"
rc=0
curl -s -m 10 -o /dev/null "$SEC/" || rc=$?
assert_eq 60 "$rc" "HTTPS without the rig's CA: curl exit code (60 = certificate not verified)"
code="$(curl -s -m 10 --cacert "$CA" -o /dev/null -w '%{http_code}' "https://localhost:$port/")" || code=000
assert_eq 401 "$code" "HTTPS to localhost (SAN DNS:localhost) with the CA and no credentials"
issuer="$(openssl x509 -in "$CA" -noout -subject)"
assert_contains "$issuer" "snapmig-rig-ca" "subject of SNAPMIG_RIG_SECURE_CA"

# ----------------------------------------------------------- identities
it_secure_http - GET "$SEC/"
assert_http_status 401 "no credentials"
saved="$SNAPMIG_RIG_SECURE_MIGRATOR_PASSWORD"
SNAPMIG_RIG_SECURE_MIGRATOR_PASSWORD="${saved}x"
it_secure_http migrator GET "$SEC/_plugins/_security/authinfo"
SNAPMIG_RIG_SECURE_MIGRATOR_PASSWORD="$saved"
assert_http_status 401 "migrator with a wrong password"
assert_ne "$SNAPMIG_RIG_SECURE_MIGRATOR_PASSWORD" "$SNAPMIG_RIG_SECURE_READER_PASSWORD" "migrator's and reader's random passwords"

for user in admin migrator reader; do
    info="$(it_secure_json "$user" GET "$SEC/_plugins/_security/authinfo")"
    assert_eq "$user" "$(jq -r .user_name <<<"$info")" "authinfo user_name of $user"
    roles="$(jq -c '.roles | sort' <<<"$info")"
    case "$user" in
        admin) assert_eq '["all_access"]' "$roles" "roles of admin" ;;
        migrator) assert_eq '["manage_snapshots","snapmig_rig_read_monitor"]' "$roles" "roles of migrator" ;;
        reader) assert_eq '["snapmig_rig_read_monitor"]' "$roles" "roles of reader" ;;
    esac
    account="$(it_secure_json "$user" GET "$SEC/_plugins/_security/api/account")"
    assert_eq "$roles" "$(jq -c '.roles | sort' <<<"$account")" "roles of $user in _plugins/_security/api/account"
done
it_log "ok: TLS, 401s, and the roles of admin, migrator, reader"

# ------------------------------------------------------------- seed
RUN="$(it_run_id)"
PREFIX="it-sec-$RUN"
FSREPO="it_sec_fs_${RUN//-/_}"
S3REPO="it_sec_s3_${RUN//-/_}"
LOCATION="$SNAPMIG_RIG_FS_REPO/it-secure-$RUN"
BASE_PATH="it-secure/$RUN"
SNAP="snap-$RUN"
NUM_DOCS=600

it_on_exit "curl -s -m 30 -X DELETE '$DST/restored-fs-$PREFIX-*,restored-s3-$PREFIX-*'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/_snapshot/$FSREPO'"
it_on_exit "curl -s -m 30 -X DELETE '$DST/_snapshot/$S3REPO'"
it_on_exit "it_secure_http admin DELETE '$SEC/_snapshot/$FSREPO'"
it_on_exit "it_secure_http admin DELETE '$SEC/_snapshot/$S3REPO'"
it_on_exit "it_secure_http admin DELETE '$SEC/_snapshot/$FSREPO/$SNAP'"
it_on_exit "it_secure_http admin DELETE '$SEC/_snapshot/$S3REPO/$SNAP'"
it_on_exit "it_secure_http admin DELETE '$SEC/$PREFIX-*'"

seeded="$("$IT_RIG" seed --node secure --indices 2 --docs "$NUM_DOCS" --prefix "$PREFIX")" || it_fail "rig seed --node secure failed"
mapfile -t INDICES < <(awk '{ print $1 }' <<<"$seeded")
assert_eq 2 "${#INDICES[@]}" "number of seeded indices"
it_secure_http reader GET "$SEC/${INDICES[0]}/_count"
assert_http_status 200 "reader counts a seeded index"
assert_eq "$NUM_DOCS" "$(jq -r .count <<<"$IT_BODY")" "docs in ${INDICES[0]} as reader"

# ------------------------------------------------- what reader may not do
fs_body="$(jq -nc --arg l "$LOCATION" '{type:"fs",settings:{location:$l}}')"
it_secure_http reader PUT "$SEC/_snapshot/$FSREPO" "$fs_body"
assert_http_status 403 "reader registers a repository"
assert_contains "$(jq -r .error.reason <<<"$IT_BODY")" "no permissions for [cluster:admin/repository/put]" "reader's 403 reason"

# ------------------------------------------- migrator: fs repository
it_secure_http migrator PUT "$SEC/_snapshot/$FSREPO" "$fs_body"
assert_http_status 200 "migrator registers fs repository $LOCATION"
it_secure_http reader PUT "$SEC/_snapshot/$FSREPO/$SNAP" '{"indices":"'"$PREFIX"'-*"}'
assert_http_status 403 "reader creates a snapshot"
assert_contains "$(jq -r .error.reason <<<"$IT_BODY")" "cluster:admin/snapshot/create" "reader's 403 reason for a snapshot"
snap_body="$(jq -nc --arg i "$PREFIX-*" '{indices:$i,include_global_state:false}')"
resp="$(it_secure_json migrator PUT "$SEC/_snapshot/$FSREPO/$SNAP?wait_for_completion=false" "$snap_body")"
assert_eq true "$(jq -r .accepted <<<"$resp")" "fs snapshot accepted"
wait_for "snapshot $FSREPO/$SNAP SUCCESS on secure" 180 secure_snapshot_done migrator "$SEC" "$FSREPO" "$SNAP"
[[ -f "$LOCATION/index.latest" ]] || it_fail "no $LOCATION/index.latest: the snapshot is not in the shared fs directory"

# ------------------------------------------- migrator: S3 repository
s3_body="$(jq -nc --arg b "$SNAPMIG_RIG_S3_BUCKET" --arg p "$BASE_PATH" '{type:"s3",settings:{bucket:$b,base_path:$p}}')"
it_secure_http migrator PUT "$SEC/_snapshot/$S3REPO" "$s3_body"
assert_http_status 200 "migrator registers s3 repository (bucket $SNAPMIG_RIG_S3_BUCKET, base_path $BASE_PATH)"
resp="$(it_secure_json migrator PUT "$SEC/_snapshot/$S3REPO/$SNAP?wait_for_completion=false" "$snap_body")"
assert_eq true "$(jq -r .accepted <<<"$resp")" "s3 snapshot accepted"
wait_for "snapshot $S3REPO/$SNAP SUCCESS on secure" 180 secure_snapshot_done migrator "$SEC" "$S3REPO" "$SNAP"

# ------------------------------------------- what migrator may not do
it_secure_http migrator DELETE "$SEC/${INDICES[0]}"
assert_http_status 403 "migrator deletes an index"
it_secure_http migrator PUT "$SEC/_plugins/_security/api/internalusers/intruder" '{"password":"Xy7-unused-Pw9-long-enough"}'
assert_http_status 403 "migrator creates an internal user"

# --------------------------- target restores from both shared repositories
it_ack "register read-only fs repository on target" PUT "$DST/_snapshot/$FSREPO" \
    "$(jq -nc --arg l "$LOCATION" '{type:"fs",settings:{location:$l,readonly:true}}')"
it_ack "register read-only s3 repository on target" PUT "$DST/_snapshot/$S3REPO" \
    "$(jq -nc --arg b "$SNAPMIG_RIG_S3_BUCKET" --arg p "$BASE_PATH" '{type:"s3",settings:{bucket:$b,base_path:$p,readonly:true}}')"
for repo in "$FSREPO" "$S3REPO"; do
    kind=fs
    [[ "$repo" == "$S3REPO" ]] && kind=s3
    resp="$(it_json POST "$DST/_snapshot/$repo/$SNAP/_restore?wait_for_completion=false" \
        "$(jq -nc --arg i "$PREFIX-*" --arg r "restored-$kind-\$1" '{indices:$i,include_global_state:false,rename_pattern:"(.+)",rename_replacement:$r}')")"
    assert_eq true "$(jq -r .accepted <<<"$resp")" "restore from $kind accepted"
    wait_for "restored-$kind indices green on target" 180 indices_green "$DST" "restored-$kind-$PREFIX-*" 2
    for index in "${INDICES[@]}"; do
        assert_eq "$(secure_fingerprint admin "$SEC" "$index")" "$(index_fingerprint "$DST" "restored-$kind-$index")" \
            "content of restored-$kind-$index on target vs $index on secure"
    done
    assert_eq "$NUM_DOCS" "$(doc_count "$DST" "restored-$kind-${INDICES[1]}")" "docs in restored-$kind-${INDICES[1]}"
    it_log "ok: target restored the secure node's snapshot from $kind ($repo)"
done

it_pass "TLS, users and roles, 403 for reader, migrator's snapshots restored on target from fs and s3"
