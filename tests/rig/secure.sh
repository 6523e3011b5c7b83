# shellcheck shell=bash
# The rig's 'secure' node: OpenSearch with the security plugin (TLS on HTTP
# and transport, internal users). Sourced by tests/rig/rig after lib.sh.
#
# At 'up secure' the rig makes, with openssl, a throwaway CA, the node's
# certificate (SAN IP:127.0.0.1, DNS:localhost; also its transport
# certificate, listed in plugins.security.nodes_dn) and the admin client
# certificate (plugins.security.authcz.admin_dn) that securityadmin needs, and
# random passwords for the internal users admin, migrator and reader. The CA
# key is deleted once the certificates are signed. When the node answers on
# HTTPS, a background job (rig_secure_init, log: secure/logs/init.log) loads
# the security index with the plugin's own securityadmin tool, then creates
# the users through the security REST API with the admin certificate (the
# server hashes the passwords: no bcrypt tool needed), and checks that each
# user can log in. The node is
# healthy only after that.
#
# Files: $RIG_DIR/secure/config/certs/ (ca.pem, node.pem, node-key.pem: read
# by the node; ca.pem is SNAPMIG_RIG_SECURE_CA) and $RIG_SECURE_CLIENT (mode
# 700: admin certificate and key, passwords, curl config files, the security
# config that securityadmin loads, the 'initialised' marker).

RIG_SECURE_CLIENT="$RIG_DIR/secure-client"
RIG_SECURE_USERS=(admin migrator reader)
RIG_SECURE_ADMIN_DN="CN=snapmig-rig-admin,OU=rig,O=snapmig"
RIG_SECURE_NODE_DN="CN=snapmig-rig-secure,OU=rig,O=snapmig"
RIG_SECURE_INIT_PID=""

rig_secure_ca() { echo "$(rig_node_dir secure)/config/certs/ca.pem"; }

# rig_secure_password USER: the user's password (from the file 'up' wrote).
rig_secure_password() {
    local user pw
    while read -r user pw; do
        [[ "$user" == "$1" ]] && {
            printf '%s' "$pw"
            return 0
        }
    done <"$RIG_SECURE_CLIENT/passwords"
    return 1
}

# The certificates, with openssl. CONF is the node's config dir.
rig_secure_make_certs() {
    local conf="$1" certs="$1/certs" client="$RIG_SECURE_CLIENT" tmp
    rig_need openssl openssl
    tmp="$client/ca-tmp"
    mkdir -p "$certs" "$tmp"
    cat >"$tmp/openssl.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[node]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[admin]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
    (
        set -e
        cd "$tmp"
        # PKCS#8 keys ("BEGIN PRIVATE KEY"): the plugin reads no other PEM form.
        openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out ca-key.pem
        openssl req -x509 -new -key ca-key.pem -config openssl.cnf -extensions ca -days 30 \
            -subj "/O=snapmig/OU=rig/CN=snapmig-rig-ca" -out ca.pem
        local what subj
        for what in node admin; do
            if [[ "$what" == node ]]; then subj="/O=snapmig/OU=rig/CN=snapmig-rig-secure"; else subj="/O=snapmig/OU=rig/CN=snapmig-rig-admin"; fi
            openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$what-key.pem"
            openssl req -new -key "$what-key.pem" -config openssl.cnf -subj "$subj" -out "$what.csr"
            openssl x509 -req -in "$what.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial -CAserial ca.srl \
                -days 30 -extfile openssl.cnf -extensions "$what" -out "$what.pem"
        done
    ) >"$client/openssl.log" 2>&1 || {
        cat "$client/openssl.log" >&2
        rig_die "making the secure node's certificates with openssl failed"
    }
    cp "$tmp/ca.pem" "$tmp/node.pem" "$tmp/node-key.pem" "$certs/"
    cp "$tmp/admin.pem" "$tmp/admin-key.pem" "$client/"
    chmod 644 "$certs/ca.pem" "$certs/node.pem"
    chmod 600 "$certs/node-key.pem" "$client/admin-key.pem"
    rm -rf "$tmp"
}

# The security config securityadmin loads: the plugin's defaults, no internal
# users (they are created through the REST API once the index exists), the
# rig's read-and-monitor role, and the role mappings.
rig_secure_write_security_config() {
    local home="$1" out="$RIG_SECURE_CLIENT/security"
    mkdir -p "$out"
    cp "$home/.rig-security-defaults/"*.yml "$out/"
    cat >"$out/internal_users.yml" <<'EOF'
_meta:
  type: "internalusers"
  config_version: 2
EOF
    cat >>"$out/roles.yml" <<'EOF'

# snapmig rig: what reading a cluster for a migration needs (index listings,
# settings, mappings, counts, health), and no snapshot permission.
snapmig_rig_read_monitor:
  reserved: false
  description: "snapmig rig: read and monitor indices and the cluster; no snapshot permission"
  cluster_permissions:
    - "cluster_monitor"
    - "cluster_composite_ops_ro"
  index_permissions:
    - index_patterns:
        - "*"
      allowed_actions:
        - "read"
        - "indices_monitor"
        - "indices:admin/get"
        - "indices:admin/aliases/get"
        - "indices:admin/mappings/get"
        - "indices:admin/resolve/index"
        - "indices:admin/data_stream/get"
EOF
    cat >"$out/roles_mapping.yml" <<'EOF'
_meta:
  type: "rolesmapping"
  config_version: 2

all_access:
  reserved: false
  users:
    - "admin"
  description: "snapmig rig: admin has all access"

manage_snapshots:
  reserved: false
  users:
    - "migrator"
  description: "snapmig rig: migrator may register repositories, snapshot and restore"

snapmig_rig_read_monitor:
  reserved: false
  users:
    - "migrator"
    - "reader"
  description: "snapmig rig: migrator and reader read and monitor everything"
EOF
}

# Called by rig_write_search_config for 'secure': certificates, passwords,
# security settings appended to CONF/opensearch.yml. bcrypt with 4 rounds
# (default 12): with the rig's C1-only JIT a 12-round check takes about 2 s,
# and every login with a new or wrong password pays it.
rig_secure_write_config() {
    local conf="$1" home user
    home="$(rig_home secure)"
    rm -rf "$RIG_SECURE_CLIENT"
    mkdir -p "$RIG_SECURE_CLIENT"
    chmod 700 "$RIG_SECURE_CLIENT"
    rig_secure_make_certs "$conf"
    (
        umask 077
        for user in "${RIG_SECURE_USERS[@]}"; do
            printf '%s %s\n' "$user" "$(openssl rand -base64 24 | tr '+/' 'Zz')"
        done >"$RIG_SECURE_CLIENT/passwords"
    )
    rig_secure_write_security_config "$home"
    cat >>"$conf/opensearch.yml" <<EOF
plugins.security.ssl.transport.pemcert_filepath: certs/node.pem
plugins.security.ssl.transport.pemkey_filepath: certs/node-key.pem
plugins.security.ssl.transport.pemtrustedcas_filepath: certs/ca.pem
plugins.security.ssl.transport.enforce_hostname_verification: false
plugins.security.ssl.http.enabled: true
plugins.security.ssl.http.pemcert_filepath: certs/node.pem
plugins.security.ssl.http.pemkey_filepath: certs/node-key.pem
plugins.security.ssl.http.pemtrustedcas_filepath: certs/ca.pem
plugins.security.ssl.http.clientauth_mode: OPTIONAL
plugins.security.authcz.admin_dn: ["$RIG_SECURE_ADMIN_DN"]
plugins.security.nodes_dn: ["$RIG_SECURE_NODE_DN"]
plugins.security.allow_default_init_securityindex: false
plugins.security.audit.type: noop
plugins.security.password.hashing.bcrypt.rounds: 4
plugins.security.restapi.roles_enabled: ["all_access"]
plugins.security.check_snapshot_restore_write_privileges: true
plugins.security.enable_snapshot_restore_privilege: true
plugins.security.system_indices.enabled: true
plugins.security.system_indices.indices: [".plugins-ml-config", ".plugins-ml-connector", ".plugins-ml-model", ".plugins-ml-task", ".opendistro-job-scheduler-lock", ".opendistro-alerting-config", ".opendistro-alerting-alert*", ".opendistro-anomaly-results*", ".opendistro-anomaly-detector*", ".opendistro-reports-*", ".opensearch-notifications-*", ".opensearch-notebooks", ".opensearch-observability", ".ql-datasources", ".opendistro-asynchronous-search-response*", ".replication-metadata-store", ".opensearch-knn-models", ".geospatial-ip2geo-data*"]
EOF
}

# curl config for USER (user:password and the CA), so that no password is
# ever on a command line.
rig_secure_curlrc() {
    local user="$1" pw
    pw="$(rig_secure_password "$user")" || rig_die "no password for $user in $RIG_SECURE_CLIENT/passwords"
    (
        umask 077
        printf 'user = "%s:%s"\ncacert = "%s"\n' "$user" "$pw" "$(rig_secure_ca)" >"$RIG_SECURE_CLIENT/$user.curlrc"
    )
}

# The background job: securityadmin, the users, a login check of each user.
# Output goes to secure/logs/init.log; the last step writes the marker.
rig_secure_say() { printf '[%s] %s\n' "$(date +%T.%3N)" "$*"; }

rig_secure_init() {
    local home client="$RIG_SECURE_CLIENT" url ca user code out
    home="$(rig_home secure)"
    url="$(rig_url secure)"
    ca="$(rig_secure_ca)"
    rig_secure_say "securityadmin: loading $client/security into the security index"
    OPENSEARCH_JAVA_HOME="$RIG_JAVA_HOME" JAVA_HOME="$RIG_JAVA_HOME" \
        JAVA_OPTS="-Xms32m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1" \
        bash "$home/plugins/opensearch-security/tools/securityadmin.sh" -cd "$client/security" -icl \
        -cacert "$ca" -cert "$client/admin.pem" -key "$client/admin-key.pem" \
        -h 127.0.0.1 -p "$RIG_SECURE_PORT" || {
        rig_secure_say "securityadmin failed (exit $?)"
        return 1
    }
    # The node loads what securityadmin wrote in a background thread that
    # retries every 3 s; until then its REST API fails (even with the admin
    # certificate). Its health endpoint says when it is done.
    local deadline=$((SECONDS + 120))
    until [[ "$(curl -s -m 5 --cacert "$ca" "$url/_plugins/_security/health" | jq -r .status 2>/dev/null)" == UP ]]; do
        if ((SECONDS >= deadline)); then
            rig_secure_say "the security plugin did not report status UP within 120 s of securityadmin"
            return 1
        fi
        sleep 0.5
    done
    rig_secure_say "security plugin status UP"
    # All users in one PATCH (each change reloads the security config). The
    # passwords reach jq through its environment and curl through stdin:
    # never on a command line.
    out="$(RIG_PW_ADMIN="$(rig_secure_password admin)" RIG_PW_MIGRATOR="$(rig_secure_password migrator)" \
        RIG_PW_READER="$(rig_secure_password reader)" jq -nc '[
            {op: "add", path: "/admin", value: {password: env.RIG_PW_ADMIN, description: "snapmig rig: all access"}},
            {op: "add", path: "/migrator", value: {password: env.RIG_PW_MIGRATOR, description: "snapmig rig: manage_snapshots + read and monitor"}},
            {op: "add", path: "/reader", value: {password: env.RIG_PW_READER, description: "snapmig rig: read and monitor, no snapshots"}}]' |
        curl -s -m 60 --cacert "$ca" --cert "$client/admin.pem" --key "$client/admin-key.pem" \
            -X PATCH -H 'Content-Type: application/json' --data-binary @- \
            -w '\n%{http_code}' "$url/_plugins/_security/api/internalusers")" || out=$'\n000'
    code="${out##*$'\n'}"
    if [[ "$code" != 200 ]]; then
        rig_secure_say "creating the internal users failed: HTTP $code: ${out%$'\n'*}"
        return 1
    fi
    rig_secure_say "internal users ${RIG_SECURE_USERS[*]}: HTTP $code"
    for user in "${RIG_SECURE_USERS[@]}"; do
        rig_secure_curlrc "$user"
        out="$(curl -s -m 30 -K "$client/$user.curlrc" "$url/_plugins/_security/authinfo")" || out=""
        if [[ "$(jq -r .user_name <<<"$out" 2>/dev/null)" != "$user" ]]; then
            rig_secure_say "user $user cannot log in: ${out:0:500}"
            return 1
        fi
        rig_secure_say "user $user logs in; roles: $(jq -c .roles <<<"$out")"
    done
    touch "$client/initialised"
}

# rig_wait_healthy's hook for 'secure': 0 once initialised, 1 while waiting
# (for HTTPS, or for the init job), 2 when the init job failed (logged).
rig_secure_poststart() {
    local client="$RIG_SECURE_CLIENT" log code rc
    log="$(rig_node_dir secure)/logs/init.log"
    [[ -f "$client/initialised" ]] && return 0
    if [[ -n "$RIG_SECURE_INIT_PID" ]]; then
        kill -0 "$RIG_SECURE_INIT_PID" 2>/dev/null && return 1
        rc=0
        wait "$RIG_SECURE_INIT_PID" || rc=$?
        RIG_SECURE_INIT_PID=""
        if ((rc != 0)) || [[ ! -f "$client/initialised" ]]; then
            rig_err "initialising the security plugin of secure failed (exit $rc); log: $log"
            tail -n 40 "$log" >&2
            return 2
        fi
        return 0
    fi
    if [[ ! -s "$client/passwords" ]]; then
        rig_err "secure runs but $client/passwords is missing; restart it: tests/rig/rig down secure && tests/rig/rig up secure"
        return 2
    fi
    code="$(curl -s -m 3 --cacert "$(rig_secure_ca)" -o /dev/null -w '%{http_code}' "$(rig_url secure)/" 2>/dev/null)" || code=000
    [[ "$code" == 000 ]] && return 1
    rig_log "secure answers on HTTPS (HTTP $code); initialising its security index (securityadmin) and users"
    rig_secure_init >"$log" 2>&1 </dev/null &
    RIG_SECURE_INIT_PID=$!
    return 1
}
